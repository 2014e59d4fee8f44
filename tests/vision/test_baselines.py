"""Tests of companion.vision.baselines: the CNN and the MLP build, train, load and check sizes."""

import pytest
from layer_checks import check_save_and_load, check_training_step

from companion import vision


@pytest.mark.parametrize("build", [vision.build_cnn, vision.build_mlp])
def test_baselines_output_logits_train_and_load_back(rng, tmp_path, build):
    images = rng.random((4, 12, 12, 1)).astype("float32")
    model = build((12, 12, 1), 3)
    assert model.output_shape == (None, 3)
    check_training_step(model, images)
    check_save_and_load(model, images, tmp_path)


def test_the_cnn_shares_its_kernels_and_the_mlp_does_not():
    cnn = vision.build_cnn((28, 28, 1), 10, filters=(16, 32), dense_units=64)
    conv_parameters = (3 * 3 * 1 + 1) * 16 + (3 * 3 * 16 + 1) * 32  # independent of the image
    dense_parameters = (7 * 7 * 32 + 1) * 64 + (64 + 1) * 10
    assert cnn.count_params() == conv_parameters + dense_parameters
    mlp = vision.build_mlp((28, 28, 1), 10, units=(128,))
    assert mlp.count_params() == (784 + 1) * 128 + (128 + 1) * 10


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match=r"image_shape must be \(height, width, channels\)"):
        vision.build_cnn((28, 28), 10)
    with pytest.raises(ValueError, match=r"num_classes"):
        vision.build_mlp((28, 28, 1), 1)
    with pytest.raises(ValueError, match=r"dropout"):
        vision.build_cnn((28, 28, 1), 10, dropout=1.0)
