"""Tests of companion.recurrent.fused: each backend kernel equals the readable loop.

The same layer runs twice with the same weights, once through the backend's
fused kernel (where one matches) and once through the readable ``keras.ops``
loop; outputs, final states and gradients must agree. Where no kernel matches
(JAX, or a configuration a kernel does not compute), the hook must refuse.
"""

import keras
import numpy as np
import pytest
from support import gradients, loss_of_outputs, random_sequences

from companion import recurrent
from companion.recurrent import fused

ATOL = 1e-5
UNITS = 5
EXPECTED_KERNELS = {  # configuration -> the kernel each backend runs (None: the readable loop)
    "lstm": {"torch": "torch.lstm", "tensorflow": None, "jax": None},
    "lstm_peephole": {"torch": None, "tensorflow": None, "jax": None},
    "lstm_coupled": {"torch": None, "tensorflow": None, "jax": None},
    "gru_reset_after": {"torch": "torch.gru", "tensorflow": None, "jax": None},
    "gru": {"torch": None, "tensorflow": None, "jax": None},
    "simple_rnn": {"torch": None, "tensorflow": None, "jax": None},
}
LAYERS = {
    "lstm": lambda **kw: recurrent.LSTM(UNITS, **kw),
    "lstm_peephole": lambda **kw: recurrent.LSTM(UNITS, peephole=True, **kw),
    "lstm_coupled": lambda **kw: recurrent.LSTM(UNITS, coupled=True, **kw),
    "gru_reset_after": lambda **kw: recurrent.GRU(UNITS, reset_after=True, **kw),
    "gru": lambda **kw: recurrent.GRU(UNITS, **kw),
    "simple_rnn": lambda **kw: recurrent.SimpleRNN(UNITS, **kw),
}


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fused_kernel_equals_the_readable_loop(name, go_backwards, rng, monkeypatch):
    flags = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    fast, readable = LAYERS[name](**flags), LAYERS[name](use_fused_kernel=False, **flags)
    inputs = random_sequences(rng, batch=3, steps=7, features=4)
    for layer in (fast, readable):
        layer.build(inputs.shape)
    weights = [w + 0.3 * rng.normal(size=w.shape).astype("float32") for w in fast.get_weights()]
    fast.set_weights(weights)
    readable.set_weights(weights)
    initial = [rng.normal(size=(3, UNITS)).astype("float32") for _ in fast.state_size]

    expected_kernel = EXPECTED_KERNELS[name][keras.config.backend()]
    assert fused.kernel_name(fast.cell) == expected_kernel
    calls = []
    if expected_kernel is not None:  # record that the kernel really ran
        kernel = fused._KERNELS[expected_kernel]
        monkeypatch.setitem(
            fused._KERNELS, expected_kernel, lambda *a: calls.append(1) or kernel(*a)
        )
    else:
        with pytest.raises(NotImplementedError, match="no fused kernel"):
            fused.fused_recurrence(fast.cell, inputs, initial, go_backwards)

    actual, grads = gradients(
        fast.trainable_weights, loss_of_outputs(fast, inputs, initial_state=initial)
    )
    expected, expected_grads = gradients(
        readable.trainable_weights, loss_of_outputs(readable, inputs, initial_state=initial)
    )
    assert bool(calls) == (expected_kernel is not None)
    for a, e in zip(actual + grads, expected + expected_grads, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-4)


def test_dropout_always_takes_the_readable_loop(rng, monkeypatch):
    used = []

    def refuse(*args, **kwargs):
        used.append(1)
        raise NotImplementedError("recorded")

    monkeypatch.setattr(fused, "fused_recurrence", refuse)
    inputs = random_sequences(rng)
    layer = recurrent.LSTM(UNITS, dropout=0.5)
    layer(inputs, training=True)  # dropout in this call: the kernels drop nothing
    assert used == []
    layer(inputs)  # inference may use a kernel
    assert used == [1]


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("name", ["lstm", "gru_reset_after"])
def test_post_padded_masks_take_the_kernel_and_equal_the_readable_loop(
    name, zero_output_for_mask, rng
):
    flags = dict(
        return_sequences=True, return_state=True, zero_output_for_mask=zero_output_for_mask
    )
    fast, readable = LAYERS[name](**flags), LAYERS[name](use_fused_kernel=False, **flags)
    inputs = random_sequences(rng, batch=4, steps=6, features=3)
    for layer in (fast, readable):
        layer.build(inputs.shape)
    readable.set_weights(fast.get_weights())
    mask = np.arange(6)[None, :] < np.array([[6], [2], [1], [4]])  # real steps, then padding
    actual, grads = gradients(fast.trainable_weights, loss_of_outputs(fast, inputs, mask))
    expected, expected_grads = gradients(
        readable.trainable_weights, loss_of_outputs(readable, inputs, mask)
    )
    for a, e in zip(actual + grads, expected + expected_grads, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-4)


def test_other_masks_are_refused_by_the_kernels(rng):
    if keras.config.backend() != "torch":
        pytest.skip("the masked kernels are torch's packed sequences")
    cell = recurrent.LSTMCell(UNITS)
    cell.build((None, 3))
    inputs = keras.ops.convert_to_tensor(random_sequences(rng, batch=2, steps=4, features=3))
    states = [keras.ops.zeros((2, UNITS))] * 2
    holes = keras.ops.convert_to_tensor(np.array([[True, False, True, True]] * 2))
    with pytest.raises(NotImplementedError, match="post-padded masks only"):
        fused.fused_recurrence(cell, inputs, states, False, mask=holes)
    full = keras.ops.convert_to_tensor(np.ones((2, 4), bool))
    with pytest.raises(NotImplementedError, match="forwards only"):
        fused.fused_recurrence(cell, inputs, states, True, mask=full)
