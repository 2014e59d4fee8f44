"""Tests of companion.recurrent.bptt: BPTT by hand equals autodiff; parameter counts."""

import keras
import numpy as np
import pytest
from keras import ops
from support import gradients, random_sequences, to_numpy

from companion import recurrent

ATOL = 1e-5
BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5


def test_parameter_counts_follow_deck_004(rng):
    units, features = 8, FEATURES
    inputs = random_sequences(rng)
    simple = recurrent.parameter_count("simple_rnn", units, features)
    assert simple == units * (features + units + 1)
    assert recurrent.parameter_count("lstm", units, features) == 4 * simple
    assert recurrent.parameter_count("gru", units, features) == 3 * simple
    cases = [
        ("simple_rnn", {}, recurrent.SimpleRNN(units), keras.layers.SimpleRNN(units)),
        ("lstm", {}, recurrent.LSTM(units), keras.layers.LSTM(units)),
        ("gru", {}, recurrent.GRU(units), keras.layers.GRU(units, reset_after=False)),
        (
            "gru",
            {"reset_after": True},
            recurrent.GRU(units, reset_after=True),
            keras.layers.GRU(units),
        ),
        ("lstm", {"peephole": True}, recurrent.LSTM(units, peephole=True), None),
        ("lstm", {"coupled": True}, recurrent.LSTM(units, coupled=True), None),
    ]
    for kind, options, mine, reference in cases:
        mine(inputs)
        expected = recurrent.parameter_count(kind, units, features, **options)
        assert mine.count_params() == expected, (kind, options)
        if reference is not None:
            reference(inputs)
            assert reference.count_params() == expected, (kind, options)


def _bptt_setup(rng, steps=7, hidden=4, outputs=2):
    inputs = random_sequences(rng, steps=steps)
    targets = rng.normal(size=(BATCH, steps, outputs)).astype("float32")
    rnn = keras.layers.SimpleRNN(hidden, return_sequences=True)
    dense = keras.layers.Dense(outputs)
    model = keras.Sequential([keras.Input((steps, FEATURES)), rnn, dense])
    model.set_weights(
        [0.5 * rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    )
    return inputs, targets, model


def test_bptt_by_hand_equals_autodiff(rng):
    inputs, targets, model = _bptt_setup(rng)
    w_xh, w_hh, b_h, w_hy, b_y = model.get_weights()

    def loss_fn():  # L = sum_t mean_b 0.5 ||y_t - target_t||^2
        outputs = model(inputs)
        return ops.sum(0.5 * ops.square(outputs - ops.convert_to_tensor(targets))) / BATCH, [
            outputs
        ]

    (outputs,), autodiff = gradients(model.trainable_weights, loss_fn)
    result = recurrent.rnn_bptt_numpy(inputs, targets, w_xh, w_hh, b_h, w_hy, b_y)
    expected_loss = np.sum(0.5 * (outputs.astype(np.float64) - targets) ** 2) / BATCH
    np.testing.assert_allclose(result.loss, expected_loss, rtol=1e-5)
    for name, expected in zip(("w_xh", "w_hh", "b_h", "w_hy", "b_y"), autodiff, strict=True):
        np.testing.assert_allclose(result.gradients[name], expected, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(result.w_hh_terms.sum(axis=0), result.gradients["w_hh"])
    np.testing.assert_allclose(result.outputs, to_numpy(model(inputs))[0], atol=ATOL)


def test_bptt_state_gradients_match_finite_differences(rng):
    inputs, targets, model = _bptt_setup(rng, steps=5)
    weights = [w.astype(np.float64) for w in model.get_weights()]
    loss_weights = np.array([0.0, 0.0, 0.0, 0.0, 1.0])  # only the last step's loss
    result = recurrent.rnn_bptt_numpy(inputs, targets, *weights, loss_weights=loss_weights)
    w_xh, w_hh, b_h, w_hy, b_y = weights
    # perturb h_2 of the first sequence and run the rest of the recurrence by hand
    t, unit, eps = 2, 1, 1e-6

    def loss_after(h_t):
        h = h_t
        for k in range(t + 1, inputs.shape[1]):
            h = np.tanh(inputs[:, k] @ w_xh + h @ w_hh + b_h)
        y = h @ w_hy + b_y
        return 0.5 * np.sum((y - targets[:, -1]) ** 2) / BATCH

    h_t = result.states[:, t + 1].copy()
    plus, minus = h_t.copy(), h_t.copy()
    plus[0, unit] += eps
    minus[0, unit] -= eps
    numeric = (loss_after(plus) - loss_after(minus)) / (2 * eps)
    np.testing.assert_allclose(result.state_gradients[0, t, unit], numeric, rtol=1e-6)
    with pytest.raises(ValueError, match="targets must have"):
        recurrent.rnn_bptt_numpy(inputs, targets[:, :2], *weights)
