"""Tests of companion.recurrent: the cells and layers against Keras's, BPTT by hand.

Gradients are compared with autodiff through a small test-only helper,
:func:`gradients`, that uses the backend's own API (test code may import the
backends; ``companion/`` may not).
"""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer, check_loads_across_backends

from companion import recurrent

ATOL = 1e-5
RNG = np.random.default_rng(0)
BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5


def to_numpy(tree):
    return [np.asarray(ops.convert_to_numpy(t)) for t in keras.tree.flatten(tree)]


def gradients(layer, loss_fn):
    """Runs ``loss_fn()`` and differentiates it with respect to ``layer``'s weights.

    ``loss_fn`` calls ``layer`` and returns ``(loss, outputs)``; the helper
    dispatches on the backend (under JAX, one jitted function: eager JAX
    would trace every scan anew).

    Returns:
        ``(outputs, gradients)`` as lists of NumPy arrays.
    """
    weights = layer.trainable_weights
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, outputs = loss_fn()
        grads = tape.gradient(loss, [w.value for w in weights])
    elif backend == "torch":
        import torch

        loss, outputs = loss_fn()
        grads = torch.autograd.grad(loss, [w.value for w in weights])
    else:
        import jax

        def pure(values):
            with keras.StatelessScope(state_mapping=list(zip(weights, values, strict=True))):
                return loss_fn()

        (_, outputs), grads = jax.jit(jax.value_and_grad(pure, has_aux=True))(
            [w.value for w in weights]
        )
    return to_numpy(outputs), to_numpy(list(grads))


def random_inputs(steps=STEPS, features=FEATURES, batch=BATCH):
    return RNG.normal(size=(batch, steps, features)).astype("float32")


def ragged_mask(steps=STEPS):
    """Three sequences: full length, shorter (post-padded), one real step."""
    mask = np.ones((BATCH, steps), dtype=bool)
    mask[1, steps - 2 :] = False
    mask[2, 1:] = False
    return mask


def coefficients_for(shape, index):
    """Fixed random weights of the test loss, the same for every layer compared."""
    return np.random.default_rng(100 + index).normal(size=tuple(shape)).astype("float32")


def loss_of_outputs(layer, inputs, mask):
    """A scalar that depends on every output and state of ``layer``, and the outputs."""

    def loss_fn():
        outputs = keras.tree.flatten(layer(inputs, mask=mask))
        loss = sum(
            ops.sum(o * ops.convert_to_tensor(coefficients_for(o.shape, k)))
            for k, o in enumerate(outputs)
        )
        return loss, outputs

    return loss_fn


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
def test_cells_and_fast_path_equal_keras(kind, go_backwards, masked):
    make_keras, make_cell_layer, make_fast, is_gru = KINDS[kind]
    flags = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    reference, cell_layer, fast = make_keras(**flags), make_cell_layer(**flags), make_fast(**flags)
    inputs = random_inputs()
    mask = ragged_mask() if masked else None
    for layer in (reference, cell_layer, fast):
        layer.build((None, STEPS, FEATURES))
    # random weights, biases included, in the deck's convention
    weights = [
        w + 0.3 * RNG.normal(size=w.shape).astype("float32") for w in reference.get_weights()
    ]
    reference.set_weights(recurrent.convert_gru_weights(weights) if is_gru else weights)
    cell_layer.set_weights(weights)
    fast.set_weights(weights)

    expected, expected_grads = gradients(reference, loss_of_outputs(reference, inputs, mask))
    if is_gru:  # d/d(-w) = -d/dw: the gradients follow the same map
        expected_grads = recurrent.convert_gru_weights(expected_grads)
    for layer in (cell_layer, fast):
        actual, grads = gradients(layer, loss_of_outputs(layer, inputs, mask))
        assert len(actual) == len(expected) == 2 + len(layer.state_size) - 1
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)
        for a, e in zip(grads, expected_grads, strict=True):
            np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize(
    "options", [{"peephole": True}, {"coupled": True}, {"peephole": True, "coupled": True}]
)
def test_lstm_variants_fast_path_equals_cell_loop_and_numpy(options):
    cell_layer = keras.layers.RNN(
        recurrent.LSTMCell(UNITS, **options), return_sequences=True, return_state=True
    )
    fast = recurrent.LSTM(UNITS, return_sequences=True, return_state=True, **options)
    inputs, mask = random_inputs(), ragged_mask()
    cell_layer(inputs)
    fast(inputs)
    weights = [w + 0.3 * RNG.normal(size=w.shape).astype("float32") for w in fast.get_weights()]
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


def test_peephole_lstm_with_zero_peepholes_is_the_standard_lstm():
    inputs = random_inputs()
    standard, peephole = recurrent.LSTM(UNITS), recurrent.LSTM(UNITS, peephole=True)
    standard(inputs)
    peephole(inputs)
    peephole.set_weights(standard.get_weights() + [np.zeros((3, UNITS), "float32")])
    np.testing.assert_allclose(
        to_numpy(peephole(inputs))[0], to_numpy(standard(inputs))[0], atol=ATOL
    )


def test_gru_follows_the_deck_update_convention():
    """h_t = (1 - z_t) h_{t-1} + z_t h~_t: with z = 0 (huge negative bias) h stays put."""
    layer = recurrent.GRU(UNITS, return_state=True)
    inputs = random_inputs()
    layer(inputs)
    kernel, recurrent_kernel, bias = layer.get_weights()
    bias[:UNITS] = -1e4  # update gate closed
    layer.set_weights([kernel, recurrent_kernel, bias])
    initial = RNG.normal(size=(BATCH, UNITS)).astype("float32")
    _, final = to_numpy(layer(inputs, initial_state=[initial]))
    np.testing.assert_allclose(final, initial, atol=ATOL)


def test_convert_gru_weights_is_its_own_inverse_and_checks_shapes():
    weights = [RNG.normal(size=s) for s in ((4, 15), (5, 15), (2, 15))]
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


def test_irnn_starts_as_an_identity_recurrence():
    cell = recurrent.irnn_cell(UNITS)
    layer = recurrent.FastRNN(cell, return_state=True)
    zeros = np.zeros((BATCH, 50, FEATURES), "float32")
    initial = np.abs(RNG.normal(size=(BATCH, UNITS))).astype("float32")
    _, final = to_numpy(layer(zeros, initial_state=[initial]))
    np.testing.assert_allclose(to_numpy(cell.recurrent_kernel)[0], np.eye(UNITS))
    np.testing.assert_allclose(final, initial, atol=ATOL)  # h_t = relu(I h_{t-1}) = h_{t-1}
    assert cell.get_config()["activation"] == "relu"


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_fully_masked_sequence_returns_initial_state_without_nan(kind):
    _, make_cell_layer, make_fast, _ = KINDS[kind]
    inputs = random_inputs()
    mask = np.ones((BATCH, STEPS), bool)
    mask[0] = False
    for layer in (make_cell_layer(return_state=True), make_fast(return_state=True)):
        layer(inputs)
        initial = [RNG.normal(size=(BATCH, UNITS)).astype("float32") for _ in layer.state_size]
        results = to_numpy(layer(inputs, initial_state=initial, mask=mask))
        for array in results:
            assert np.all(np.isfinite(array))
        for state, start in zip(results[1:], initial, strict=True):
            np.testing.assert_allclose(state[0], start[0], atol=ATOL)
            assert not np.allclose(state[1], start[1])


def test_zero_length_sequences_return_the_initial_state():
    inputs = np.zeros((BATCH, 0, FEATURES), "float32")
    layer = recurrent.LSTM(UNITS, return_sequences=True, return_state=True)
    layer.build((None, None, FEATURES))
    initial = [RNG.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(2)]
    output, h, c = to_numpy(layer(inputs, initial_state=initial))
    assert output.shape == (BATCH, 0, UNITS)
    np.testing.assert_array_equal(h, initial[0])
    np.testing.assert_array_equal(c, initial[1])
    last = to_numpy(recurrent.GRU(UNITS)(inputs))[0]
    np.testing.assert_array_equal(last, np.zeros((BATCH, UNITS)))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="rank 2"):
        recurrent.LSTM(UNITS)(np.zeros((BATCH, FEATURES), "float32"))
    with pytest.raises(ValueError, match="one time step"):
        recurrent.GRUCell(UNITS)(np.zeros((BATCH, STEPS, FEATURES), "float32"), [None])
    with pytest.raises(ValueError, match="mask must have shape"):
        recurrent.GRU(UNITS)(random_inputs(), mask=np.ones((BATCH, STEPS + 1), bool))
    with pytest.raises(ValueError, match="merge_mode"):
        recurrent.Bidirectional(recurrent.GRU(UNITS), merge_mode="min")
    with pytest.raises(ValueError, match="activation"):
        recurrent.SimpleRNNCell(UNITS, activation="not_an_activation")
    with pytest.raises(ValueError, match="recurrent_activation"):
        recurrent.LSTMCell(UNITS, recurrent_activation="nope")
    with pytest.raises(ValueError, match="units must be a positive integer"):
        recurrent.SimpleRNN(0)
    with pytest.raises(ValueError, match="initial_state must be a list of 2"):
        recurrent.LSTM(UNITS)(random_inputs(), initial_state=[np.zeros((BATCH, UNITS))])
    with pytest.raises(TypeError, match="cell"):
        recurrent.FastRNN(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="kind"):
        recurrent.parameter_count("transformer", 4, 3)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional_equals_keras(merge_mode):
    inputs, mask = random_inputs(), ragged_mask()
    flags = dict(return_sequences=True, return_state=True)
    reference = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, **flags), merge_mode)
    mine = recurrent.Bidirectional(recurrent.LSTM(UNITS, **flags), merge_mode)
    reference.build((None, STEPS, FEATURES))
    mine.build((None, STEPS, FEATURES))
    weights = [
        w + 0.3 * RNG.normal(size=w.shape).astype("float32") for w in reference.get_weights()
    ]
    reference.set_weights(weights)
    mine.set_weights(weights)
    expected, expected_grads = gradients(reference, loss_of_outputs(reference, inputs, mask))
    actual, actual_grads = gradients(mine, loss_of_outputs(mine, inputs, mask))
    assert len(actual) == len(expected) == (6 if merge_mode is None else 5)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)
    for a, e in zip(actual_grads, expected_grads, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_max_takes_the_larger_direction(return_sequences):
    inputs, mask = random_inputs(), ragged_mask()
    layer = recurrent.Bidirectional(
        recurrent.GRU(UNITS, return_sequences=return_sequences), merge_mode=None
    )
    both = to_numpy(layer(inputs, mask=mask))
    maximum = recurrent.Bidirectional(layer.layer, merge_mode="max")
    maximum(inputs)
    maximum.set_weights(layer.get_weights())
    merged = to_numpy(maximum(inputs, mask=mask))[0]
    np.testing.assert_allclose(merged, np.maximum(both[0], both[1]), atol=ATOL)
    assert merged.shape[-1] == UNITS
    # the backward direction read the sequence from the end: its first output saw everything
    assert not np.allclose(both[0], both[1])


def test_parameter_counts_follow_deck_004():
    units, features = 8, FEATURES
    inputs = random_inputs()
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


def _bptt_setup(steps=7, hidden=4, outputs=2):
    inputs = random_inputs(steps=steps)
    targets = RNG.normal(size=(BATCH, steps, outputs)).astype("float32")
    rnn = keras.layers.SimpleRNN(hidden, return_sequences=True)
    dense = keras.layers.Dense(outputs)
    model = keras.Sequential([keras.Input((steps, FEATURES)), rnn, dense])
    model.set_weights(
        [0.5 * RNG.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    )
    return inputs, targets, model


def test_bptt_by_hand_equals_autodiff():
    inputs, targets, model = _bptt_setup()
    w_xh, w_hh, b_h, w_hy, b_y = model.get_weights()

    def loss_fn():  # L = sum_t mean_b 0.5 ||y_t - target_t||^2
        outputs = model(inputs)
        return ops.sum(0.5 * ops.square(outputs - ops.convert_to_tensor(targets))) / BATCH, [
            outputs
        ]

    (outputs,), autodiff = gradients(model, loss_fn)
    result = recurrent.rnn_bptt_numpy(inputs, targets, w_xh, w_hh, b_h, w_hy, b_y)
    expected_loss = np.sum(0.5 * (outputs.astype(np.float64) - targets) ** 2) / BATCH
    np.testing.assert_allclose(result.loss, expected_loss, rtol=1e-5)
    for name, expected in zip(("w_xh", "w_hh", "b_h", "w_hy", "b_y"), autodiff, strict=True):
        np.testing.assert_allclose(result.gradients[name], expected, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(result.w_hh_terms.sum(axis=0), result.gradients["w_hh"])
    np.testing.assert_allclose(result.outputs, to_numpy(model(inputs))[0], atol=ATOL)


def test_bptt_state_gradients_match_finite_differences():
    inputs, targets, model = _bptt_setup(steps=5)
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
def test_layers_pass_the_shared_checks(name, tmp_path):
    check_layer(LAYER_FACTORIES[name], random_inputs(), tmp_path)


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
