"""Tests of companion.recurrent.lstm: the variants against a NumPy reference and Keras."""

import keras
import numpy as np
import pytest
from support import ragged_mask, random_sequences, to_numpy

from companion import recurrent

ATOL = 1e-5
BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5


@pytest.mark.parametrize(
    "options", [{"peephole": True}, {"coupled": True}, {"peephole": True, "coupled": True}]
)
def test_lstm_variants_fast_path_equals_cell_loop_and_numpy(options, rng):
    cell_layer = keras.layers.RNN(
        recurrent.LSTMCell(UNITS, **options), return_sequences=True, return_state=True
    )
    fast = recurrent.LSTM(UNITS, return_sequences=True, return_state=True, **options)
    inputs, mask = random_sequences(rng), ragged_mask()
    cell_layer(inputs)
    fast(inputs)
    weights = [w + 0.3 * rng.normal(size=w.shape).astype("float32") for w in fast.get_weights()]
    cell_layer.set_weights(weights)
    fast.set_weights(weights)
    expected = to_numpy(cell_layer(inputs, mask=mask))
    for a, e in zip(to_numpy(fast(inputs, mask=mask)), expected, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)

    # the equations of deck 003, written again in NumPy (no mask)
    kernel, recurrent_kernel, bias = weights[:3]
    peep = weights[3] if options.get("peephole") else None
    sigmoid = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    h = c = np.zeros((BATCH, UNITS))
    for t in range(STEPS):
        z = inputs[:, t] @ kernel + h @ recurrent_kernel + bias
        if options.get("coupled"):
            z_f, z_c, z_o = np.split(z, 3, axis=-1)
            f = sigmoid(z_f + (peep[0] * c if peep is not None else 0))
            c = f * c + (1 - f) * np.tanh(z_c)
        else:
            z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
            i = sigmoid(z_i + (peep[0] * c if peep is not None else 0))
            f = sigmoid(z_f + (peep[1] * c if peep is not None else 0))
            c = f * c + i * np.tanh(z_c)
        o = sigmoid(z_o + (peep[-1] * c if peep is not None else 0))
        h = o * np.tanh(c)
    output, h_final, c_final = to_numpy(fast(inputs))
    np.testing.assert_allclose(h_final, h, atol=ATOL)
    np.testing.assert_allclose(c_final, c, atol=ATOL)
    np.testing.assert_allclose(output[:, -1], h, atol=ATOL)


def test_peephole_lstm_with_zero_peepholes_is_the_standard_lstm(rng):
    inputs = random_sequences(rng)
    standard, peephole = recurrent.LSTM(UNITS), recurrent.LSTM(UNITS, peephole=True)
    standard(inputs)
    peephole(inputs)
    peephole.set_weights(standard.get_weights() + [np.zeros((3, UNITS), "float32")])
    np.testing.assert_allclose(
        to_numpy(peephole(inputs))[0], to_numpy(standard(inputs))[0], atol=ATOL
    )
