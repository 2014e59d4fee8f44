"""Tests of companion.vision.patches: patches equal Keras's, the two embeddings are one map.

Tolerances: patches exact (a reshape); embeddings atol 1e-5, gradients atol 1e-4.
"""

import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer
from support import gradients

from companion import vision


@pytest.mark.parametrize(
    "shape, size", [((2, 12, 12, 3), 4), ((1, 28, 28, 1), 7), ((2, 6, 4, 2), 2)]
)
def test_extract_patches_equals_keras(rng, shape, size):
    images = rng.normal(size=shape).astype("float32")
    ours = ops.convert_to_numpy(vision.extract_patches(images, size))
    theirs = ops.convert_to_numpy(ops.image.extract_patches(images, size))
    np.testing.assert_array_equal(ours, theirs)


def test_a_patch_holds_its_pixels_row_by_row_then_channel(rng):
    images = rng.normal(size=(1, 4, 6, 2)).astype("float32")
    patches = ops.convert_to_numpy(vision.extract_patches(images, 2))  # (1, 2, 3, 8)
    np.testing.assert_array_equal(patches[0, 1, 2], images[0, 2:4, 4:6, :].reshape(-1))


def test_convolution_and_dense_embeddings_are_the_same_map(rng):
    images = rng.normal(size=(2, 8, 8, 3)).astype("float32")
    convolution = vision.PatchEmbedding(4, 5, method="convolution")
    dense = vision.PatchEmbedding(4, 5, method="dense")
    convolution.build(images.shape)
    dense.build(images.shape)
    kernel = rng.normal(size=(4, 4, 3, 5)).astype("float32")
    bias = rng.normal(size=(5,)).astype("float32")
    convolution.projection.set_weights([kernel, bias])
    dense.projection.set_weights([kernel.reshape(48, 5), bias])  # (P, P, C, D) -> (P*P*C, D)

    def loss_of(layer):
        return lambda: (ops.sum(ops.sin(layer(images))), layer(images))

    (conv_out,), conv_grads = gradients(convolution.trainable_weights, loss_of(convolution))
    (dense_out,), dense_grads = gradients(dense.trainable_weights, loss_of(dense))
    assert conv_out.shape == (2, 4, 5)
    np.testing.assert_allclose(conv_out, dense_out, atol=1e-5)
    np.testing.assert_allclose(conv_grads[0].reshape(48, 5), dense_grads[0], atol=1e-4)
    np.testing.assert_allclose(conv_grads[1], dense_grads[1], atol=1e-4)


@pytest.mark.parametrize("method", vision.EMBEDDING_METHODS)
def test_patch_embedding_passes_the_shared_layer_checks(rng, tmp_path, method):
    images = rng.normal(size=(2, 8, 8, 1)).astype("float32")
    check_layer(lambda: vision.PatchEmbedding(4, 6, method=method), images, tmp_path)


def test_bad_patch_sizes_and_methods_are_refused(rng):
    images = rng.normal(size=(1, 10, 10, 1)).astype("float32")
    with pytest.raises(ValueError, match=r"multiples of patch_size=4 \(got images of shape"):
        vision.extract_patches(images, 4)
    with pytest.raises(ValueError, match=r"images must have shape \(batch, height, width"):
        vision.extract_patches(images[0], 5)
    with pytest.raises(ValueError, match=r"method must be one of .* \(got method='linear'\)"):
        vision.PatchEmbedding(5, 4, method="linear")
