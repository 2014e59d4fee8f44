"""Tests of companion.transformer.attention: equal to Keras's attention, outputs and gradients.

Tolerances: outputs atol 1e-5, gradients atol 1e-4.
"""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_config_round_trip, check_layer
from support import gradients, to_numpy

from companion import transformer

OUTPUT_ATOL = 1e-5
GRADIENT_ATOL = 1e-4


def _heads(rng, batch=2, length=4, heads=2, depth=3):
    return rng.standard_normal((batch, length, heads, depth)).astype("float32")


def _visible_mask(rng, shape):
    """A random boolean mask where every query row keeps at least one key."""
    mask = rng.random(shape) < 0.6
    rows = mask.reshape(-1, shape[-1])
    rows[np.arange(len(rows)), rng.integers(0, shape[-1], len(rows))] = True
    return rows.reshape(shape)


def _mix(rng, shape):
    return ops.convert_to_tensor(rng.standard_normal(tuple(shape)).astype("float32"))


@pytest.mark.parametrize("mask_heads", [None, 1, 2])
def test_scaled_dot_product_attention_equals_keras_outputs_and_gradients(rng, mask_heads):
    query, key, value = _heads(rng, length=4), _heads(rng, length=5), _heads(rng, length=5)
    mask = None if mask_heads is None else _visible_mask(rng, (2, mask_heads, 4, 5))
    variables = [keras.Variable(t, name=n) for t, n in ((query, "q"), (key, "k"), (value, "v"))]
    mix = _mix(rng, (2, 4, 2, 3))

    def ours():
        q, k, v = (w.value for w in variables)
        out = transformer.scaled_dot_product_attention(q, k, v, mask=mask)
        return ops.sum(out * mix), out

    def theirs():
        q, k, v = (w.value for w in variables)
        out = ops.dot_product_attention(q, k, v, mask=mask, flash_attention=False)
        return ops.sum(out * mix), out

    (our_out,), our_grads = gradients(variables, ours)
    (their_out,), their_grads = gradients(variables, theirs)
    np.testing.assert_allclose(our_out, their_out, atol=OUTPUT_ATOL)
    for ours_grad, theirs_grad in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(ours_grad, theirs_grad, atol=GRADIENT_ATOL)


def test_scaled_dot_product_attention_weights_are_the_scaled_softmax(rng):
    query, key, value = _heads(rng), _heads(rng, length=5), _heads(rng, length=5)
    mask = _visible_mask(rng, (2, 1, 4, 5))
    outputs, weights = to_numpy(
        transformer.scaled_dot_product_attention(query, key, value, mask, return_weights=True)
    )
    scores = np.einsum("bqhd,bkhd->bhqk", query, key) / np.sqrt(3)
    scores = np.where(mask, scores, -np.inf)
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, expected, atol=OUTPUT_ATOL)
    assert np.all(weights[np.broadcast_to(~mask, weights.shape)] == 0.0)
    np.testing.assert_allclose(
        outputs, np.einsum("bhqk,bkhd->bqhd", expected, value), atol=OUTPUT_ATOL
    )
    # an explicit scale replaces 1 / sqrt(d_k)
    scaled = transformer.scaled_dot_product_attention(query, key, value, scale=0.5)
    reference = ops.dot_product_attention(query, key, value, scale=0.5, flash_attention=False)
    np.testing.assert_allclose(*to_numpy([scaled, reference]), atol=OUTPUT_ATOL)


def test_a_query_with_no_visible_key_gets_zero_weights_and_output_not_nan(rng):
    query, key, value = _heads(rng), _heads(rng, length=5), _heads(rng, length=5)
    mask = np.ones((2, 1, 4, 5), bool)
    mask[0, 0, 1] = False  # query 1 of sequence 0 sees nothing
    variables = [keras.Variable(t) for t in (query, key, value)]

    def loss():
        q, k, v = (w.value for w in variables)
        out, weights = transformer.scaled_dot_product_attention(q, k, v, mask, return_weights=True)
        return ops.sum(out), (out, weights)

    (outputs, weights), grads = gradients(variables, loss)
    assert all(np.isfinite(a).all() for a in (outputs, weights, *grads))
    np.testing.assert_array_equal(weights[0, :, 1], 0.0)
    np.testing.assert_array_equal(outputs[0, 1], 0.0)
    np.testing.assert_allclose(np.delete(weights[0], 1, axis=1).sum(-1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(grads[0][0, 1], 0.0)  # no gradient through a blind query


def test_masked_attention_softmax_without_a_mask_is_the_softmax(rng):
    scores = rng.standard_normal((2, 3, 4)).astype("float32")
    (weights,) = to_numpy(transformer.masked_attention_softmax(scores))
    np.testing.assert_allclose(weights, to_numpy(ops.softmax(scores, axis=-1))[0], atol=1e-6)


def test_scaled_dot_product_attention_refuses_bad_shapes(rng):
    query, key = _heads(rng), _heads(rng, length=5)
    with pytest.raises(ValueError, match=r"query must have shape \(batch, time, heads, features\)"):
        transformer.scaled_dot_product_attention(query[0], key, key)
    with pytest.raises(ValueError, match=r"key and value must have the same time axis"):
        transformer.scaled_dot_product_attention(query, key, key[:, :3])
    with pytest.raises(ValueError, match=r"mask must be broadcastable"):
        transformer.scaled_dot_product_attention(query, key, key, mask=np.ones((1,) * 5, bool))


def _pair(rng, query_shape, value_shape, num_heads=2, key_dim=4):
    """Our layer and Keras's, built on the same shapes, ours holding Keras's weights."""
    ours = transformer.MultiHeadAttention(num_heads, key_dim)
    ours.build(query_shape, value_shape)
    theirs = keras.layers.MultiHeadAttention(num_heads, key_dim)
    theirs.build(query_shape, value_shape)
    # random biases, so that the bias gradients and their mapping are tested too
    for layer in (theirs._query_dense, theirs._key_dense, theirs._value_dense):
        layer.bias.assign(rng.standard_normal(tuple(layer.bias.shape)).astype("float32"))
    return transformer.mha_weights_from_keras(ours, theirs), theirs


def _weight_pairs(ours, theirs):
    """Each of our trainable weights with the Keras weight that it equals after a reshape."""
    pairs = []
    for dense, einsum in (
        (ours.query_dense, theirs._query_dense),
        (ours.key_dense, theirs._key_dense),
        (ours.value_dense, theirs._value_dense),
        (ours.output_dense, theirs._output_dense),
    ):
        pairs += [(dense.kernel, einsum.kernel), (dense.bias, einsum.bias)]
    return pairs


@pytest.mark.parametrize("cross", [False, True], ids=["self", "cross"])
def test_multi_head_attention_equals_keras_outputs_weights_and_gradients(rng, cross):
    query = rng.standard_normal((2, 5, 8)).astype("float32")
    value = rng.standard_normal((2, 6, 16)).astype("float32") if cross else query
    mask = _visible_mask(rng, (2, 5, value.shape[1]))
    ours, theirs = _pair(rng, query.shape, value.shape)
    outputs, weights = ours(query, value, attention_mask=mask, return_weights=True)
    expected, expected_weights = theirs(
        query, value, attention_mask=mask, return_attention_scores=True
    )
    outputs, weights, expected, expected_weights = to_numpy(
        [outputs, weights, expected, expected_weights]
    )
    assert outputs.shape == (2, 5, 8) and weights.shape == (2, 2, 5, value.shape[1])
    np.testing.assert_allclose(outputs, expected, atol=OUTPUT_ATOL)
    np.testing.assert_allclose(weights, expected_weights, atol=OUTPUT_ATOL)
    assert np.all(weights[np.broadcast_to(~mask[:, None], weights.shape)] == 0.0)

    pairs = _weight_pairs(ours, theirs)
    assert len(pairs) == len(ours.trainable_weights) == 8
    query_variable = keras.Variable(query, name="query")
    mix = _mix(rng, outputs.shape)

    def loss(layer, **options):
        def run():
            q = query_variable.value
            out = layer(q, q if not cross else value, attention_mask=mask, **options)
            return ops.sum(out * mix), out

        return run

    _, our_grads = gradients([query_variable] + [o for o, _ in pairs], loss(ours))
    _, their_grads = gradients([query_variable] + [t for _, t in pairs], loss(theirs))
    for ours_grad, theirs_grad in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(
            ours_grad, theirs_grad.reshape(ours_grad.shape), atol=GRADIENT_ATOL
        )


def test_multi_head_attention_with_a_separate_key_and_no_mask(rng):
    query = rng.standard_normal((2, 5, 8)).astype("float32")
    value = rng.standard_normal((2, 6, 8)).astype("float32")
    key = rng.standard_normal((2, 6, 8)).astype("float32")
    ours, theirs = _pair(rng, query.shape, value.shape)
    np.testing.assert_allclose(
        *to_numpy([ours(query, value, key=key), theirs(query, value, key=key)]), atol=OUTPUT_ATOL
    )


def _projections(layer, x):
    """The keys and values that ``layer`` computes for ``x``, ``(B, T, H, d)`` each."""
    keys = layer.split_heads(layer.key_dense(x), layer.key_dim)
    values = layer.split_heads(layer.value_dense(x), layer.value_dim)
    return to_numpy([keys, values])


def test_the_cache_receives_the_new_keys_and_values_at_the_index(rng):
    layer = transformer.MultiHeadAttention(2, 4)
    x = rng.standard_normal((2, 2, 8)).astype("float32")
    layer(x, x)
    cache = np.zeros((2, 2, 7, 2, 4), "float32")
    cache[:, :, :3] = rng.standard_normal((2, 2, 3, 2, 4))  # three earlier positions
    mask = np.broadcast_to(np.arange(7) < 5, (2, 2, 7))  # the two new queries see positions 0..4
    outputs, new_cache = layer(x, x, attention_mask=mask, cache=cache, cache_index=3)
    new_cache = to_numpy(new_cache)[0]
    assert new_cache.shape == cache.shape
    keys, values = _projections(layer, x)
    np.testing.assert_allclose(new_cache[:, 0, 3:5], keys, atol=OUTPUT_ATOL)
    np.testing.assert_allclose(new_cache[:, 1, 3:5], values, atol=OUTPUT_ATOL)
    np.testing.assert_array_equal(new_cache[:, :, :3], cache[:, :, :3])  # earlier ones kept
    np.testing.assert_array_equal(new_cache[:, :, 5:], 0.0)  # later ones untouched
    # the step attends over the cache exactly as over the keys and values themselves
    q = layer.split_heads(layer.query_dense(x), 4)
    k, v = new_cache[:, 0, :5], new_cache[:, 1, :5]
    expected = layer.output_dense(
        ops.reshape(transformer.scaled_dot_product_attention(q, k, v), (2, 2, 8))
    )
    np.testing.assert_allclose(*to_numpy([outputs, expected]), atol=OUTPUT_ATOL)


def test_a_cache_without_an_index_is_read_as_it_is(rng):
    layer = transformer.MultiHeadAttention(2, 4)
    query = rng.standard_normal((2, 5, 8)).astype("float32")
    memory = rng.standard_normal((2, 6, 8)).astype("float32")
    expected = layer(query, memory)
    cache = np.stack(_projections(layer, memory), axis=1)  # (B, 2, S, H, dk)
    outputs, same_cache = layer(query, memory, cache=cache)
    np.testing.assert_allclose(*to_numpy([outputs, expected]), atol=OUTPUT_ATOL)
    np.testing.assert_array_equal(to_numpy(same_cache)[0], cache)


def test_multi_head_attention_sizes_and_results(rng):
    layer = transformer.MultiHeadAttention(
        3, 2, value_dim=5, output_dim=7, use_bias=False, kernel_initializer="zeros"
    )
    query = rng.standard_normal((2, 4, 6)).astype("float32")
    value = rng.standard_normal((2, 3, 9)).astype("float32")
    outputs, weights = layer(query, value, return_weights=True)
    assert tuple(outputs.shape) == (2, 4, 7) and tuple(weights.shape) == (2, 3, 4, 3)
    assert tuple(layer.value_dense.kernel.shape) == (9, 15) and layer.query_dense.bias is None
    np.testing.assert_allclose(to_numpy(weights)[0].sum(-1), 1.0, atol=1e-6)
    check_config_round_trip(transformer.MultiHeadAttention(2, 4, dropout=0.1, value_dim=3))


def test_multi_head_attention_dropout_acts_in_training_only(rng):
    layer = transformer.MultiHeadAttention(2, 4, dropout=0.5)
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    inference = to_numpy([layer(x, x), layer(x, x, training=False)])
    np.testing.assert_allclose(inference[0], inference[1], atol=0)
    (training,) = to_numpy(layer(x, x, training=True))
    assert np.isfinite(training).all() and not np.allclose(training, inference[0])
    _, weights = layer(x, x, return_weights=True, training=True)
    np.testing.assert_allclose(to_numpy(weights)[0].sum(-1), 1.0, atol=1e-6)  # before dropout


def test_multi_head_attention_returns_its_weights_and_cache_in_a_functional_model(rng):
    query, value = keras.Input((5, 8)), keras.Input((6, 16))
    layer = transformer.MultiHeadAttention(2, 4)
    outputs, weights = layer(query, value, return_weights=True)
    assert tuple(outputs.shape) == (None, 5, 8) and tuple(weights.shape) == (None, 2, 5, 6)
    model = keras.Model([query, value], [outputs, weights])
    q = rng.standard_normal((2, 5, 8)).astype("float32")
    v = rng.standard_normal((2, 6, 16)).astype("float32")
    for ours, expected in zip(
        to_numpy(model([q, v])), to_numpy(layer(q, v, return_weights=True)), strict=True
    ):
        np.testing.assert_allclose(ours, expected, atol=OUTPUT_ATOL)
    step, cache = keras.Input((1, 8)), keras.Input((2, 7, 2, 4))
    outputs, new_cache = transformer.MultiHeadAttention(2, 4)(
        step, step, cache=cache, cache_index=3
    )
    assert tuple(outputs.shape) == (None, 1, 8) and tuple(new_cache.shape) == (None, 2, 7, 2, 4)


@keras.saving.register_keras_serializable(package="tests")
class AttentionOnOneTensor(keras.layers.Layer):
    """Our multi-head attention driven by one tensor, as the shared checks call a layer.

    ``split=None`` is self-attention; ``split=s`` uses the first ``s`` steps as
    the queries and the rest as the keys and values (cross-attention).
    """

    def __init__(self, split=None, **kwargs):
        super().__init__(**kwargs)
        self.split = split
        self.attention = transformer.MultiHeadAttention(2, 4, name="attention")

    def build(self, inputs_shape):
        value_length = None if self.split is None else inputs_shape[1] - self.split
        self.attention.build(inputs_shape, (inputs_shape[0], value_length, inputs_shape[2]))

    def call(self, inputs):
        if self.split is None:
            return self.attention(inputs, inputs)
        return self.attention(inputs[:, : self.split], inputs[:, self.split :])

    def get_config(self):
        return {**super().get_config(), "split": self.split}


@pytest.mark.parametrize("split", [None, 2], ids=["self", "cross"])
def test_multi_head_attention_passes_the_shared_layer_checks(rng, tmp_path, split):
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    # cross-attention's gradients are proven equal to Keras's above: no second training step
    check_layer(lambda: AttentionOnOneTensor(split), x, tmp_path, train=split is None)
