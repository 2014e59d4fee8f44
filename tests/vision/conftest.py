"""The vision tests' weights come from the test's own seed; ``small_vit`` makes their ViT.

Keras draws initial weights from a global generator; seeding it from the
``rng`` fixture makes every test's weights, hence its results, the same
from run to run (as ``rng`` makes its data).
"""

import keras
import pytest

from companion import vision


@pytest.fixture(autouse=True)
def _seeded_keras(rng):
    keras.utils.set_random_seed(int(rng.integers(2**31)))


SMALL_VIT = {
    "image_shape": (8, 8, 3),
    "patch_size": 4,
    "num_classes": 5,
    "hidden_dim": 8,
    "num_layers": 2,
    "num_heads": 2,
    "mlp_dim": 16,
}


@pytest.fixture
def small_vit():
    """Makes built ViTs of the SMALL_VIT sizes (8 x 8 x 3 images, a 2 x 2 grid).

    Keyword arguments override the sizes.
    """

    def make(**options):
        config = {**SMALL_VIT, **options}
        model = vision.VisionTransformer(**config)
        model.build((None, *config["image_shape"]))
        return model

    return make
