"""Tests of companion.recurrent.gru: the deck's update convention and the weight map."""

import numpy as np
import pytest
from support import random_sequences, to_numpy

from companion import recurrent

ATOL = 1e-5
BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5


def test_gru_follows_the_deck_update_convention(rng):
    """h_t = (1 - z_t) h_{t-1} + z_t h~_t: with z = 0 (huge negative bias) h stays put."""
    layer = recurrent.GRU(UNITS, return_state=True)
    inputs = random_sequences(rng)
    layer(inputs)
    kernel, recurrent_kernel, bias = layer.get_weights()
    bias[:UNITS] = -1e4  # update gate closed
    layer.set_weights([kernel, recurrent_kernel, bias])
    initial = rng.normal(size=(BATCH, UNITS)).astype("float32")
    _, final = to_numpy(layer(inputs, initial_state=[initial]))
    np.testing.assert_allclose(final, initial, atol=ATOL)


def test_convert_gru_weights_is_its_own_inverse_and_checks_shapes(rng):
    weights = [rng.normal(size=s) for s in ((4, 15), (5, 15), (2, 15))]
    back = recurrent.convert_gru_weights(recurrent.convert_gru_weights(weights))
    for a, b in zip(back, weights, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        recurrent.convert_gru_weights(weights)[2][:, :5], -weights[2][:, :5]
    )
    with pytest.raises(ValueError, match="3 \\* units"):
        recurrent.convert_gru_weights([np.zeros((4, 12)), np.zeros((5, 15))])
    with pytest.raises(ValueError, match="list of 1"):
        recurrent.convert_gru_weights([np.zeros((4, 15))])
