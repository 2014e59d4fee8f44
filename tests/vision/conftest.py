"""The vision tests' weights come from the test's own seed.

Keras draws initial weights from a global generator; seeding it from the
``rng`` fixture makes every test's weights, hence its results, the same
from run to run (as ``rng`` makes its data).
"""

import keras
import pytest


@pytest.fixture(autouse=True)
def _seeded_keras(rng):
    keras.utils.set_random_seed(int(rng.integers(2**31)))
