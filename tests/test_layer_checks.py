"""The shared layer checks catch what they claim to catch."""

import keras
import numpy as np
import pytest
from layer_checks import check_layer, check_loads_across_backends


@keras.saving.register_keras_serializable(package="companion_tests")
class ScaledDense(keras.layers.Layer):
    """A small well-behaved layer: y = scale * (x W)."""

    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return self.scale * keras.ops.matmul(inputs, self.kernel)  # (B, ..., units)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


@keras.saving.register_keras_serializable(package="companion_tests")
class ForgetsScale(ScaledDense):
    """A defective layer: its config loses ``scale``."""

    def get_config(self):
        config = super().get_config()
        config.pop("scale")
        return config


def test_a_complete_layer_passes(tmp_path):
    inputs = np.random.default_rng(0).normal(size=(4, 3, 5)).astype("float32")
    model = check_layer(lambda: ScaledDense(units=2, scale=0.5), inputs, tmp_path)
    assert model.output_shape == (None, 3, 2)


def test_an_incomplete_config_is_caught(tmp_path):
    inputs = np.ones((2, 5), "float32")
    with pytest.raises(AssertionError, match="get_config\\(\\) misses an argument"):
        check_layer(lambda: ForgetsScale(units=2, scale=0.5), inputs, tmp_path)


BUILD_KERAS_MODEL = """
def build():
    inputs = keras.Input(shape=(6, 3))
    hidden = keras.layers.GRU(4, return_sequences=True)(inputs)
    outputs = keras.layers.Dense(2)(keras.layers.LSTM(5)(hidden))
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    return keras.Model(inputs, outputs), x
"""


def test_a_model_saved_under_another_backend_loads_here(tmp_path):
    check_loads_across_backends(BUILD_KERAS_MODEL, tmp_path)
