"""Tests of companion.recurrent.cells: the vanilla cell, the IRNN and dropout."""

import keras
import numpy as np
import pytest
from support import gradients, loss_of_outputs, random_sequences, to_numpy

from companion import recurrent

ATOL = 1e-5
BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5


def test_irnn_starts_as_an_identity_recurrence(rng):
    cell = recurrent.irnn_cell(UNITS)
    layer = recurrent.FastRNN(cell, return_state=True)
    zeros = np.zeros((BATCH, 50, FEATURES), "float32")
    initial = np.abs(rng.normal(size=(BATCH, UNITS))).astype("float32")
    _, final = to_numpy(layer(zeros, initial_state=[initial]))
    np.testing.assert_allclose(to_numpy(cell.recurrent_kernel)[0], np.eye(UNITS))
    np.testing.assert_allclose(final, initial, atol=ATOL)  # h_t = relu(I h_{t-1}) = h_{t-1}
    assert cell.get_config()["activation"] == "relu"


DROPOUT_KINDS = {
    "simple_rnn": (keras.layers.SimpleRNN, recurrent.SimpleRNN, False),
    "lstm": (keras.layers.LSTM, recurrent.LSTM, False),
    "gru": (
        lambda units, **kw: keras.layers.GRU(units, reset_after=False, **kw),
        recurrent.GRU,
        True,
    ),
    "gru_reset_after": (
        lambda units, **kw: keras.layers.GRU(units, reset_after=True, **kw),
        lambda units, **kw: recurrent.GRU(units, reset_after=True, **kw),
        True,
    ),
}


def _masks(rng, count, width, rate):
    """Inverted-dropout masks: 0 or 1 / (1 - rate), as keras.random.dropout draws them."""
    kept = rng.random((count, BATCH, width)) >= rate
    return [keras.ops.convert_to_tensor((k / (1.0 - rate)).astype("float32")) for k in kept]


@pytest.mark.parametrize("recurrent_dropout", [0.0, 0.4], ids=["inputs", "inputs_and_states"])
@pytest.mark.parametrize("kind", sorted(DROPOUT_KINDS))
def test_dropout_equals_keras_with_the_same_masks(kind, recurrent_dropout, rng):
    """With the masks fixed, training outputs and gradients equal Keras's (its mask semantics:
    one mask per sequence, reused at every step; one per gate with recurrent dropout)."""
    make_keras, make_ours, is_gru = DROPOUT_KINDS[kind]
    options = dict(dropout=0.3, recurrent_dropout=recurrent_dropout, return_sequences=True)
    reference, ours = make_keras(UNITS, **options), make_ours(UNITS, **options)
    inputs = random_sequences(rng)
    for layer in (reference, ours):
        layer.build(inputs.shape)
    weights = [w + 0.3 * rng.normal(size=w.shape).astype("float32") for w in ours.get_weights()]
    ours.set_weights(weights)
    reference.set_weights(recurrent.convert_gru_weights(weights) if is_gru else weights)

    gates = ours.cell.gates
    input_masks = _masks(rng, gates if recurrent_dropout else 1, FEATURES, 0.3)
    recurrent_masks = _masks(rng, gates, UNITS, 0.4) if recurrent_dropout else None
    ours.cell.dropout_masks = lambda batch, dtype: (input_masks, recurrent_masks)
    one_mask = kind == "simple_rnn" or not recurrent_dropout  # Keras then keeps a single mask
    reference.cell.get_dropout_mask = lambda step: input_masks[0] if one_mask else input_masks
    reference.cell.get_recurrent_dropout_mask = lambda step: (
        recurrent_masks and (recurrent_masks[0] if kind == "simple_rnn" else recurrent_masks)
    )

    expected, expected_grads = gradients(
        reference.trainable_weights, loss_of_outputs(reference, inputs, training=True)
    )
    actual, grads = gradients(ours.trainable_weights, loss_of_outputs(ours, inputs, training=True))
    if is_gru:
        expected_grads = recurrent.convert_gru_weights(expected_grads)
    for a, e in zip(actual + grads, expected + expected_grads, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)
    dropped = to_numpy(ours(inputs, training=True))[0]
    assert not np.allclose(dropped, to_numpy(ours(inputs, training=False))[0])


@pytest.mark.parametrize("kind", sorted(DROPOUT_KINDS))
def test_dropout_is_off_outside_training_and_masks_are_inverted_dropout(kind, rng):
    _, make_ours, _ = DROPOUT_KINDS[kind]
    inputs = random_sequences(rng)
    plain = make_ours(UNITS, return_sequences=True)
    dropping = make_ours(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=2, return_sequences=True)
    plain(inputs)
    dropping(inputs)
    dropping.set_weights(plain.get_weights())
    np.testing.assert_allclose(to_numpy(dropping(inputs))[0], to_numpy(plain(inputs))[0], atol=ATOL)
    input_masks, recurrent_masks = dropping.cell.dropout_masks(2000, "float32")
    assert len(input_masks) == len(recurrent_masks) == dropping.cell.gates
    for mask in to_numpy(input_masks + recurrent_masks):
        assert set(np.unique(mask)) <= {0.0, 2.0}
        assert abs(mask.mean() - 1.0) < 0.05  # kept units are scaled by 1 / (1 - p)


def test_dropout_arguments_are_checked_and_the_cell_alone_refuses_to_drop_out(rng):
    with pytest.raises(ValueError, match=r"dropout must be a finite number in \[0, 1\).*1.5"):
        recurrent.LSTM(UNITS, dropout=1.5)
    with pytest.raises(ValueError, match=r"recurrent_dropout must be a finite number"):
        recurrent.GRUCell(UNITS, recurrent_dropout=-0.1)
    layer = keras.layers.RNN(recurrent.LSTMCell(UNITS, dropout=0.2))
    layer(random_sequences(rng))  # inference is fine
    with pytest.raises(ValueError, match="would draw a new mask at every step"):
        layer(random_sequences(rng), training=True)
