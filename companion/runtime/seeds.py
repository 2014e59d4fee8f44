"""Seeding a run: the same numbers every time, without importing TensorFlow needlessly.

``keras.utils.set_random_seed`` seeds Python, NumPy, the Keras global seed and
TensorFlow, and it imports TensorFlow whenever it is installed, to seed its
``tf.data`` pipelines. On JAX or torch nothing here uses ``tf.data``, and the
import costs seconds and prints TensorFlow's start-up messages, so
:func:`set_seed` does the rest of Keras's work and leaves TensorFlow alone
unless it is the backend.
"""

import random

import numpy as np

from companion.checks import check_int

# Keras's own names for its global seed state (keras/src/utils/rng_utils.py); the test
# of this module checks that set_seed and keras.utils.set_random_seed draw the same numbers.
_GLOBAL_SEED = "global_random_seed"
_GLOBAL_SEED_GENERATOR = "global_seed_generator"


def set_seed(seed):
    """Seeds Python, NumPy and Keras (and TensorFlow when it is the backend).

    Args:
        seed: int >= 0.

    Example:

    >>> set_seed(0)
    >>> first = keras.ops.convert_to_numpy(keras.random.normal((2,)))
    >>> set_seed(0)
    >>> bool((first == keras.ops.convert_to_numpy(keras.random.normal((2,)))).all())
    True
    """
    import keras
    from keras.src.backend.common import global_state

    seed = check_int("seed", seed, minimum=0)
    if keras.config.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    global_state.set_global_attribute(_GLOBAL_SEED, seed)
    global_state.set_global_attribute(_GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
