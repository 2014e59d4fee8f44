"""Tests of companion.seq2seq.attention: equal to Keras's layers, outputs and gradients."""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer
from support import gradients, to_numpy

from companion import seq2seq

SOURCE_MASK = np.array([[True, True, True, False, False], [True, True, True, True, True]])


def _inputs(rng, query_dim=6, value_dim=6):
    query = rng.standard_normal((2, 4, query_dim)).astype("float32")
    values = rng.standard_normal((2, 5, value_dim)).astype("float32")
    return query, values


def _keras_reference(layer, values, mask):
    """Keras's layer, its weights set to ours, fed with the projections ours adds."""
    bahdanau = isinstance(layer, seq2seq.BahdanauAttention)
    if bahdanau:
        reference = keras.layers.AdditiveAttention(use_scale=True)
        reference.build([(None, None, layer.units)] * 3)
        reference.scale.assign(layer.score_vector)  # v
    else:
        reference = keras.layers.Attention(score_mode="dot")

    def run(query):
        if bahdanau:
            inputs = [layer.query_projection(query), values, layer.key_projection(values)]
        else:
            inputs = [query, values, layer.keys(values)]
        return reference(inputs, mask=[None, mask], return_attention_scores=True)

    return reference, run


@pytest.mark.parametrize("kind", ["bahdanau", "dot", "general"])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_equals_the_keras_layer_outputs_and_gradients(rng, kind, masked):
    query, values = _inputs(rng)
    mask = SOURCE_MASK if masked else None
    layer = seq2seq.make_attention(kind, 8)
    context, weights = layer(query, values, value_mask=mask, return_weights=True)
    reference, reference_outputs = _keras_reference(layer, values, mask)
    expected_context, expected_weights = reference_outputs(query)
    np.testing.assert_allclose(to_numpy(context)[0], to_numpy(expected_context)[0], atol=1e-6)
    np.testing.assert_allclose(to_numpy(weights)[0], to_numpy(expected_weights)[0], atol=1e-6)
    if masked:
        assert np.all(to_numpy(weights)[0][0, :, 3:] == 0.0)

    # gradients with respect to the weights and to the query (the dot score has no weights)
    query_variable = keras.Variable(query, name="query")
    ours = [query_variable, *layer.trainable_weights]
    # Keras's scale plays our score vector v: the same position in both lists
    score_vector = getattr(layer, "score_vector", None)
    theirs = [reference.scale if w is score_vector else w for w in ours]
    mix = ops.convert_to_tensor(rng.standard_normal(tuple(context.shape)).astype("float32"))

    def our_loss():
        out = layer(query_variable.value, values, value_mask=mask)
        return ops.sum(out * mix), out

    def their_loss():
        out, _ = reference_outputs(query_variable.value)
        return ops.sum(out * mix), out

    _, our_grads = gradients(ours, our_loss)
    _, their_grads = gradients(theirs, their_loss)
    assert len(our_grads) == {"bahdanau": 4, "dot": 1, "general": 2}[kind]
    for ours_grad, theirs_grad in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(ours_grad, theirs_grad, atol=1e-5)


def test_scaled_luong_equals_keras_attention_with_its_scale_set(rng):
    query, values = _inputs(rng)
    layer = seq2seq.LuongAttention("dot", scaled=True)
    reference = keras.layers.Attention(use_scale=True)
    reference.build([query.shape, values.shape])
    reference.scale.assign(1.0 / np.sqrt(query.shape[-1]))
    np.testing.assert_allclose(
        to_numpy(layer(query, values))[0], to_numpy(reference([query, values]))[0], atol=1e-6
    )


def test_a_fully_padded_source_gives_zero_weights_not_nan(rng):
    query, values = _inputs(rng)
    mask = np.array([[False] * 5, [True] * 5])
    for kind in seq2seq.ATTENTION_KINDS:
        context, weights = seq2seq.make_attention(kind, 4)(
            query, values, value_mask=mask, return_weights=True
        )
        context, weights = to_numpy([context, weights])
        assert np.isfinite(context).all() and np.isfinite(weights).all()
        np.testing.assert_array_equal(weights[0], 0.0)
        np.testing.assert_array_equal(context[0], 0.0)
        np.testing.assert_allclose(weights[1].sum(-1), 1.0, atol=1e-6)


def test_masked_softmax_rows_sum_to_one_over_real_positions():
    scores = np.array([[[1.0, 2.0, 30.0]]], "float32")
    weights = to_numpy(seq2seq.masked_softmax(scores, np.array([[True, True, False]])))[0]
    expected = np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()
    np.testing.assert_allclose(weights[0, 0], [*expected, 0.0], atol=1e-6)


@keras.saving.register_keras_serializable(package="tests")
class AttentionModelLayer(keras.layers.Layer):
    """Query and values in one tensor, so the shared checks can drive the layer."""

    def __init__(self, kind="bahdanau", **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        self.attention = seq2seq.make_attention(kind, 4)

    def call(self, inputs):
        return self.attention(inputs[:, :3], inputs[:, 3:])

    def get_config(self):
        return {**super().get_config(), "kind": self.kind}


@pytest.mark.parametrize("kind", ["bahdanau", "general"])
def test_attention_layers_pass_the_shared_layer_checks(rng, tmp_path, kind):
    inputs = rng.standard_normal((2, 8, 5)).astype("float32")
    check_layer(lambda: AttentionModelLayer(kind), inputs, tmp_path)
    for layer in (seq2seq.BahdanauAttention(3), seq2seq.LuongAttention("dot", scaled=True)):
        restored = type(layer).from_config(layer.get_config())
        assert restored.get_config() == layer.get_config()


def test_attention_rejects_bad_arguments(rng):
    query, values = _inputs(rng, query_dim=6, value_dim=7)
    with pytest.raises(ValueError, match=r"values.*6.*got"):
        seq2seq.LuongAttention("dot")(query, values)
    with pytest.raises(ValueError, match=r"score must be one of.*'cosine'"):
        seq2seq.LuongAttention("cosine")
    with pytest.raises(ValueError, match=r"query must have shape \(batch"):
        seq2seq.BahdanauAttention(3)(query[0], values)
    with pytest.raises(ValueError, match=r"attention must be one of.*'luong'"):
        seq2seq.make_attention("luong", 3)
