"""Tests of companion.runtime.seeds: Keras's seeding, without importing TensorFlow."""

import os
import subprocess
import sys

import keras
import numpy as np
from keras import ops

from companion import runtime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _draws():
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    return [
        ops.convert_to_numpy(keras.random.normal((4,))),
        ops.convert_to_numpy(layer.kernel),
        np.random.rand(2),
    ]


def test_set_seed_draws_what_keras_set_random_seed_draws():
    keras.utils.set_random_seed(5)
    expected = _draws()
    runtime.set_seed(5)
    for actual, reference in zip(_draws(), expected, strict=True):
        np.testing.assert_array_equal(actual, reference)
    runtime.set_seed(6)
    assert not np.array_equal(_draws()[0], expected[0])


def test_set_seed_imports_tensorflow_only_when_it_is_the_backend():
    source = "import sys\nfrom companion import runtime\nruntime.select_backend(None)\n"
    source += "import keras\nruntime.set_seed(1)\nprint('tensorflow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    expected = keras.config.backend() == "tensorflow"
    assert result.stdout.strip().splitlines()[-1] == str(expected)
