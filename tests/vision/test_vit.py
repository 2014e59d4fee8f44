"""Tests of companion.vision.vit: attention weights, the shared checks, saving, bad input."""

import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer, check_loads_across_backends

from companion import vision

SHAPE, PATCH, HIDDEN, LAYERS, HEADS, MLP = (8, 8, 3), 4, 8, 2, 2, 16


def test_attention_weights_are_one_row_stochastic_matrix_per_block_and_head(rng, small_vit):
    weights = small_vit().attention_weights(rng.normal(size=(3, *SHAPE)).astype("float32"))
    assert len(weights) == LAYERS
    for block in weights:
        block = ops.convert_to_numpy(block)
        assert block.shape == (3, HEADS, 5, 5)
        np.testing.assert_allclose(block.sum(axis=-1), 1.0, atol=1e-5)


def test_vit_passes_the_shared_layer_checks(rng, tmp_path, small_vit):
    images = rng.normal(size=(2, *SHAPE)).astype("float32")
    check_layer(lambda: small_vit(dropout=0.1), images, tmp_path, atol=1e-5)


def test_vit_saved_under_another_backend_loads_here(tmp_path):
    build = """
    from companion import vision

    def build():
        model = vision.VisionTransformer((8, 8, 1), 4, 3, hidden_dim=8, num_layers=1,
                                         num_heads=2, mlp_dim=8)
        images = np.random.default_rng(0).normal(size=(2, 8, 8, 1)).astype("float32")
        model(images)
        return model, images
    """
    check_loads_across_backends(build, tmp_path)


def test_bad_configurations_and_images_are_refused(rng, small_vit):
    with pytest.raises(ValueError, match=r"multiple of num_heads \(got hidden_dim=10, num_heads=4"):
        vision.VisionTransformer(SHAPE, PATCH, 5, hidden_dim=10, num_heads=4)
    with pytest.raises(ValueError, match=r"multiple of patch_size=3 \(got image_shape=\(8, 8, 3\)"):
        vision.VisionTransformer(SHAPE, 3, 5)
    with pytest.raises(ValueError, match=r"images must have shape \(batch, 8, 8, 3\)"):
        small_vit()(np.zeros((1, 8, 8, 1), "float32"))
