"""Tests of companion.recurrent.probes: the probe's gradient is dL/dh_t; the clock."""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer
from support import to_numpy

from companion import recurrent, training

BATCH, STEPS, FEATURES, UNITS = 2, 5, 3, 4


def test_the_probe_changes_nothing_and_its_gradient_is_the_gradient_through_time(rng):
    cell = recurrent.SimpleRNNCell(UNITS)
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    plain = recurrent.FastRNN(cell)
    probed_layer = recurrent.ProbedRNN(cell, BATCH, STEPS)
    np.testing.assert_allclose(to_numpy(probed_layer(inputs))[0], to_numpy(plain(inputs))[0])

    # L = sum_b c_b . h_T: dL/dh_T = c, and one step back dL/dh_{T-1} = W_hh (c * (1 - h_T^2))
    coefficients = rng.normal(size=(BATCH, UNITS)).astype("float32")
    model = keras.Sequential([keras.Input((STEPS, FEATURES), batch_size=BATCH), probed_layer])
    grads = training.sgd_gradients(
        model, inputs, coefficients, lambda c, h: ops.sum(c * h, axis=-1) * BATCH
    )
    probe_gradient = grads[[w.name for w in model.trainable_weights].index("probe")]
    np.testing.assert_allclose(probe_gradient[:, -1], coefficients, atol=1e-5)
    sequence = to_numpy(keras.layers.RNN(cell, return_sequences=True)(inputs))[0]  # h_1..h_T
    w_hh = to_numpy(cell.recurrent_kernel)[0]
    expected = (coefficients * (1.0 - sequence[:, -1] ** 2)) @ w_hh.T
    np.testing.assert_allclose(probe_gradient[:, -2], expected, atol=1e-5)
    norms = probed_layer.state_gradient_norms(probe_gradient)
    assert norms.shape == (STEPS,)
    np.testing.assert_allclose(norms[-1], np.linalg.norm(coefficients, axis=-1).mean(), rtol=1e-5)


def test_probe_shapes_are_checked(rng):
    probed = recurrent.ProbedRNN(recurrent.GRUCell(UNITS), BATCH, STEPS)
    with pytest.raises(ValueError, match=r"inputs must have shape \(2, 5, features\)"):
        probed(rng.normal(size=(BATCH, STEPS + 1, FEATURES)).astype("float32"))
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        recurrent.ProbedRNN(recurrent.GRUCell(UNITS), BATCH, 0)


def test_probed_rnn_passes_the_shared_checks(tmp_path, rng):
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    check_layer(
        lambda: recurrent.ProbedRNN(recurrent.LSTMCell(UNITS), BATCH, STEPS), inputs, tmp_path
    )


def test_the_clock_counts_time_and_passes_the_shared_checks(tmp_path):
    vectors = np.ones((3, 2), "float32")
    ramp = to_numpy(recurrent.Clock(4)(vectors))[0]
    assert ramp.shape == (3, 4, 1)
    np.testing.assert_allclose(ramp[1, :, 0], [0.0, 0.25, 0.5, 0.75])
    check_layer(lambda: recurrent.Clock(4), vectors, tmp_path, train=False)
    with pytest.raises(ValueError, match=r"vectors must have shape \(batch, features\)"):
        recurrent.Clock(4)(np.ones((3, 2, 1), "float32"))
