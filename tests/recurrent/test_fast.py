"""Tests of companion.recurrent.fast: the fast path equals Keras, outputs and gradients."""

import keras
import numpy as np
import pytest
from layer_checks import check_layer, check_loads_across_backends
from support import gradients, loss_of_outputs, ragged_mask, random_sequences, to_numpy

from companion import recurrent

ATOL = 1e-5
BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5


KINDS = {
    "simple_rnn": (
        lambda **kw: keras.layers.SimpleRNN(UNITS, **kw),
        lambda **kw: keras.layers.RNN(recurrent.SimpleRNNCell(UNITS), **kw),
        lambda **kw: recurrent.SimpleRNN(UNITS, **kw),
        False,
    ),
    "lstm": (
        lambda **kw: keras.layers.LSTM(UNITS, **kw),
        lambda **kw: keras.layers.RNN(recurrent.LSTMCell(UNITS), **kw),
        lambda **kw: recurrent.LSTM(UNITS, **kw),
        False,
    ),
    "gru": (
        lambda **kw: keras.layers.GRU(UNITS, reset_after=False, **kw),
        lambda **kw: keras.layers.RNN(recurrent.GRUCell(UNITS), **kw),
        lambda **kw: recurrent.GRU(UNITS, **kw),
        True,
    ),
    "gru_reset_after": (
        lambda **kw: keras.layers.GRU(UNITS, reset_after=True, **kw),
        lambda **kw: keras.layers.RNN(recurrent.GRUCell(UNITS, reset_after=True), **kw),
        lambda **kw: recurrent.GRU(UNITS, reset_after=True, **kw),
        True,
    ),
}


@pytest.mark.parametrize("masked", [False, True], ids=["no_mask", "mask"])
@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_cells_and_fast_path_equal_keras(kind, go_backwards, masked, rng):
    make_keras, make_cell_layer, make_fast, is_gru = KINDS[kind]
    flags = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    reference, cell_layer, fast = make_keras(**flags), make_cell_layer(**flags), make_fast(**flags)
    inputs = random_sequences(rng)
    mask = ragged_mask() if masked else None
    for layer in (reference, cell_layer, fast):
        layer.build((None, STEPS, FEATURES))
    # random weights, biases included, in the deck's convention
    weights = [
        w + 0.3 * rng.normal(size=w.shape).astype("float32") for w in reference.get_weights()
    ]
    reference.set_weights(recurrent.convert_gru_weights(weights) if is_gru else weights)
    cell_layer.set_weights(weights)
    fast.set_weights(weights)

    expected, expected_grads = gradients(
        reference.trainable_weights, loss_of_outputs(reference, inputs, mask)
    )
    if is_gru:  # d/d(-w) = -d/dw: the gradients follow the same map
        expected_grads = recurrent.convert_gru_weights(expected_grads)
    for layer in (cell_layer, fast):
        actual, grads = gradients(layer.trainable_weights, loss_of_outputs(layer, inputs, mask))
        assert len(actual) == len(expected) == 2 + len(layer.state_size) - 1
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)
        for a, e in zip(grads, expected_grads, strict=True):
            np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_fully_masked_sequence_returns_initial_state_without_nan(kind, rng):
    _, make_cell_layer, make_fast, _ = KINDS[kind]
    inputs = random_sequences(rng)
    mask = np.ones((BATCH, STEPS), bool)
    mask[0] = False
    for layer in (make_cell_layer(return_state=True), make_fast(return_state=True)):
        layer(inputs)
        initial = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in layer.state_size]
        results = to_numpy(layer(inputs, initial_state=initial, mask=mask))
        for array in results:
            assert np.all(np.isfinite(array))
        for state, start in zip(results[1:], initial, strict=True):
            np.testing.assert_allclose(state[0], start[0], atol=ATOL)
            assert not np.allclose(state[1], start[1])


def test_zero_length_sequences_return_the_initial_state(rng):
    inputs = np.zeros((BATCH, 0, FEATURES), "float32")
    layer = recurrent.LSTM(UNITS, return_sequences=True, return_state=True)
    layer.build((None, None, FEATURES))
    initial = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(2)]
    output, h, c = to_numpy(layer(inputs, initial_state=initial))
    assert output.shape == (BATCH, 0, UNITS)
    np.testing.assert_array_equal(h, initial[0])
    np.testing.assert_array_equal(c, initial[1])
    last = to_numpy(recurrent.GRU(UNITS)(inputs))[0]
    np.testing.assert_array_equal(last, np.zeros((BATCH, UNITS)))


def test_bad_inputs_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="rank 2"):
        recurrent.LSTM(UNITS)(np.zeros((BATCH, FEATURES), "float32"))
    with pytest.raises(ValueError, match="one time step"):
        recurrent.GRUCell(UNITS)(np.zeros((BATCH, STEPS, FEATURES), "float32"), [None])
    with pytest.raises(ValueError, match="mask must have shape"):
        recurrent.GRU(UNITS)(random_sequences(rng), mask=np.ones((BATCH, STEPS + 1), bool))
    with pytest.raises(ValueError, match="merge_mode"):
        recurrent.Bidirectional(recurrent.GRU(UNITS), merge_mode="min")
    with pytest.raises(ValueError, match="activation"):
        recurrent.SimpleRNNCell(UNITS, activation="not_an_activation")
    with pytest.raises(ValueError, match="recurrent_activation"):
        recurrent.LSTMCell(UNITS, recurrent_activation="nope")
    with pytest.raises(ValueError, match="units must be an int >= 1"):
        recurrent.SimpleRNN(0)
    with pytest.raises(ValueError, match="initial_state must be a list of 2"):
        recurrent.LSTM(UNITS)(random_sequences(rng), initial_state=[np.zeros((BATCH, UNITS))])
    with pytest.raises(TypeError, match="cell"):
        recurrent.FastRNN(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="kind"):
        recurrent.parameter_count("transformer", 4, 3)


LAYER_FACTORIES = {
    "simple_rnn": lambda: recurrent.SimpleRNN(UNITS, return_sequences=True),
    "irnn_in_keras_rnn": lambda: keras.layers.RNN(recurrent.irnn_cell(UNITS)),
    "lstm": lambda: recurrent.LSTM(UNITS),
    "lstm_cell_in_keras_rnn": lambda: keras.layers.RNN(
        recurrent.LSTMCell(UNITS, peephole=True, coupled=True)
    ),
    "lstm_peephole": lambda: recurrent.LSTM(UNITS, peephole=True, return_sequences=True),
    "gru": lambda: recurrent.GRU(UNITS, reset_after=True, go_backwards=True),
    "gru_cell_in_keras_rnn": lambda: keras.layers.RNN(recurrent.GRUCell(UNITS)),
    "fast_rnn": lambda: recurrent.FastRNN(recurrent.LSTMCell(UNITS, coupled=True)),
    "bidirectional_max": lambda: recurrent.Bidirectional(
        recurrent.GRU(UNITS, return_sequences=True), merge_mode="max"
    ),
}


@pytest.mark.parametrize("name", sorted(LAYER_FACTORIES))
def test_layers_pass_the_shared_checks(name, tmp_path, rng):
    check_layer(LAYER_FACTORIES[name], random_sequences(rng), tmp_path)


def test_model_saved_under_one_backend_loads_under_another(tmp_path):
    build = """
    from companion import recurrent

    def build():
        inputs = keras.Input((6, 4))
        x = recurrent.Bidirectional(recurrent.LSTM(5, return_sequences=True, peephole=True),
                                    merge_mode="max")(inputs)
        x = keras.layers.RNN(recurrent.GRUCell(5, reset_after=True), return_sequences=True)(x)
        x = recurrent.GRU(5, return_sequences=True)(x)
        x = recurrent.SimpleRNN(3)(x)
        model = keras.Model(inputs, x)
        data = np.random.default_rng(1).normal(size=(2, 6, 4)).astype("float32")
        return model, data
    """
    check_loads_across_backends(build, tmp_path)


def test_wrong_feature_count_and_initial_state_size_are_clear_errors(rng):
    """Regression: both gave an obscure matmul error deep inside the loop."""
    gru = recurrent.GRU(UNITS)
    gru(random_sequences(rng))
    with pytest.raises(
        ValueError, match=r"inputs must have 4 features, as when the layer was built"
    ):
        gru(random_sequences(rng, features=FEATURES + 1))
    lstm = recurrent.LSTM(UNITS)
    wrong = [np.zeros((BATCH, UNITS + 2), "float32"), np.zeros((BATCH, UNITS), "float32")]
    with pytest.raises(ValueError, match=r"initial_state\[0\] must have 5 units, the state size"):
        lstm(random_sequences(rng), initial_state=wrong)
    with pytest.raises(ValueError, match=r"initial_state\[1\] must have shape \(batch, 5\)"):
        lstm(random_sequences(rng), initial_state=[wrong[1], np.zeros((UNITS,), "float32")])


def test_stateful_is_refused_with_the_alternative():
    with pytest.raises(ValueError, match="stateful must be False.*initial_state"):
        recurrent.LSTM(UNITS, stateful=True)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_unroll_gives_the_outputs_of_the_compiled_loop(go_backwards, rng):
    inputs, mask = random_sequences(rng), ragged_mask()
    flags = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    looped, unrolled = recurrent.LSTM(UNITS, **flags), recurrent.LSTM(UNITS, unroll=True, **flags)
    looped(inputs)
    unrolled(inputs)
    unrolled.set_weights(looped.get_weights())
    expected = to_numpy(looped(inputs, mask=mask))
    for a, e in zip(to_numpy(unrolled(inputs, mask=mask)), expected, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL)
