"""Every companion layer under mixed precision: ``mixed_float16`` and ``mixed_bfloat16``.

Under a mixed policy the variables stay float32 and the layers compute in the
half type; softmaxes and losses run in float32. For every layer and model the
package registers (one row of :data:`CATALOGUE` each, kept complete by
``test_every_registered_layer_has_a_row``), under each policy:

* every floating variable is float32, and the layer and its sub-layers compute
  in the half type;
* the outputs are finite, of the half type (or float32 where the catalogue says
  why), and close to the float32 outputs of the same layer with the same
  weights: a float32 instance built from the same seed, whose weights are
  checked to be equal (one call per layer fewer than copying them: JAX
  compiles every first call);
* that float32 instance is given ``dtype="float32"`` under the mixed global
  policy: every sub-layer must follow its parent's policy, not the global one.

A classifier through four companion layers, and the DPO trainer with its own
loss, train one step (with Keras's loss scale optimizer under
``mixed_float16``): the loss is float32 and finite, and the weights move. The
targeted tests check that attention's softmax, the masks' large negative fills
and the losses do not overflow the half types.

Tolerances: the half types keep 11 (float16) and 8 (bfloat16) significant bits,
a relative rounding of :math:`2^{-11}` and :math:`2^{-8}` per operation; a few
layers deep these add up to about 1% and 5%, so outputs must agree within
``TOLERANCE[policy]`` times their scale (``max(1, max |y|)``) plus the same
relative error.
"""

import dataclasses
import inspect
from collections.abc import Callable

import keras
import numpy as np
import pytest
from keras import ops
from keras.src.saving import object_registration
from support import ragged_mask, to_numpy

from companion import (
    decoding,
    embeddings,
    finetune,
    lm,
    metrics,
    recurrent,
    scaling,
    seq2seq,
    training,
    transformer,
    vision,
)
from companion.finetune import contrastive, preference

POLICIES = ("mixed_float16", "mixed_bfloat16")
HALF = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
TOLERANCE = {"mixed_float16": 1e-2, "mixed_bfloat16": 5e-2}

BATCH, STEPS, FEATURES, UNITS, VOCABULARY, LENGTH = 2, 5, 3, 4, 20, 8
SIZES = {"hidden_dim": 8, "num_heads": 2, "num_layers": 1, "intermediate_dim": 16}


def _data(seed=0):
    return np.random.default_rng(seed)


def _normal(*shape, seed=0):
    return _data(seed).normal(size=shape).astype("float32")


def _ids(*shape, high=VOCABULARY, seed=0):
    ids = _data(seed).integers(1, high, size=shape).astype("int32")
    ids[-1, shape[-1] // 2 :] = 0  # one row padded
    return ids


MASK = ragged_mask(BATCH + 1, STEPS)[1:]  # a shorter sequence and a one-step one


@dataclasses.dataclass
class Row:
    """How to build and call one layer, and what its outputs should be.

    Attributes:
        make: callable ``(dtype=None) -> layer``, a fresh unbuilt layer; ``dtype``
            is passed on to the layer (and to the layers it wraps).
        inputs: callable returning the call's positional arguments, a tuple.
        call: callable ``(layer, *inputs) -> outputs``. Defaults to ``layer(*inputs)``.
        float32_outputs: indices (in ``keras.tree.flatten`` order) of the
            outputs that stay float32 on purpose; ``why`` says why.
        random_weights: the float32 layer gets random normal weights before the
            comparison (layers whose zero-initialised weights would make the
            outputs trivially equal).
        tokens: callable ``(float32 layer, inputs, half outputs)`` checking the
            integer outputs of a decoding loop, which cannot be compared
            element-wise (a near tie may flip one token and all after it).
    """

    make: Callable
    inputs: Callable
    call: Callable = None
    float32_outputs: tuple = ()
    why: str = ""
    random_weights: bool = False
    tokens: Callable = None


def _language_model(dtype=None):
    return transformer.TransformerLanguageModel(VOCABULARY, LENGTH, dtype=dtype, **SIZES)


def _seq2seq_model(dtype=None):
    return seq2seq.Seq2Seq(10, 9, embedding_dim=4, units=6, dtype=dtype)


def _near_greedy(logits, chosen, real, policy_tolerance):
    """Each chosen token scores within the tolerance of the best one under the float32 model.

    The half-precision loop picks its own argmax, whose logits differ from
    float32's by up to the tolerance; four times it bounds the gap between the
    two logits a near tie may swap.
    """
    logits = np.asarray(logits, "float64")  # (B, T, V)
    picked = np.take_along_axis(logits, chosen[..., None].astype(np.int64), -1)[..., 0]
    gap = (logits.max(-1) - picked)[real]  # (N,) >= 0
    scale = max(1.0, np.abs(logits).max())
    assert np.all(gap <= 4 * policy_tolerance * scale), f"tokens far from greedy: gaps {gap}"


def _check_generated_tokens(reference, inputs, outputs, tolerance):
    """The half-precision generator's continuation is greedy under the float32 language model."""
    (prompt,) = inputs
    (tokens,) = outputs  # (B, L)
    assert tokens.dtype == np.int32 and tokens.shape == (BATCH, LENGTH)
    np.testing.assert_array_equal(tokens[:, : prompt.shape[1]], prompt)
    logits = to_numpy(reference.network(tokens[:, :-1]))[0]  # (B, L - 1, V)
    real = np.zeros(tokens[:, 1:].shape, bool)
    real[:, prompt.shape[1] - 1 :] = True  # the generated positions
    _near_greedy(logits, tokens[:, 1:], real, tolerance)


def _check_translated_tokens(reference, inputs, outputs, tolerance):
    """The half-precision translation is greedy under the float32 encoder-decoder, up to the end."""
    (source,) = inputs
    tokens, weights = outputs  # (B, L), (B, L, S)
    assert tokens.dtype == np.int32 and tokens.shape == (BATCH, 4)
    start = np.full((BATCH, 1), reference.start_id, "int32")
    decoder_inputs = np.concatenate([start, tokens[:, :-1]], axis=1)  # (B, L)
    logits = to_numpy(reference.seq2seq((source, decoder_inputs)))[0]  # (B, L, V)
    ended = np.cumsum(tokens == reference.end_id, axis=1) - (tokens == reference.end_id)
    _near_greedy(logits, tokens, ended == 0, tolerance)
    real = (source != 0)[:, None, :]  # (B, 1, S)
    np.testing.assert_allclose(weights.astype("float32").sum(-1)[ended == 0], 1.0, atol=1e-2)
    assert np.all(weights[np.broadcast_to(~real, weights.shape)] == 0)


def _dpo_inputs():
    ids = _ids(BATCH, LENGTH, seed=1)
    weights = np.ones((BATCH, LENGTH - 1), "float32")
    return (
        {
            "chosen": ids,
            "rejected": ids[::-1].copy(),
            "chosen_weights": weights,
            "rejected_weights": weights,
        },
    )


def _blocks_inputs():
    return _normal(BATCH, STEPS, 8)


# One row per registered layer and model, "package.Name" as in companion's packages.
CATALOGUE = {
    # recurrent
    "recurrent.SimpleRNNCell": Row(
        lambda dtype=None: recurrent.SimpleRNNCell(UNITS, dtype=dtype),
        lambda: (_normal(BATCH, FEATURES), [_normal(BATCH, UNITS, seed=1)]),
    ),
    "recurrent.LSTMCell": Row(
        lambda dtype=None: recurrent.LSTMCell(UNITS, peephole=True, dtype=dtype),
        lambda: (_normal(BATCH, FEATURES), [_normal(BATCH, UNITS, seed=1)] * 2),
        random_weights=True,  # the peephole weights start at zero
    ),
    "recurrent.GRUCell": Row(
        lambda dtype=None: recurrent.GRUCell(UNITS, reset_after=True, dtype=dtype),
        lambda: (_normal(BATCH, FEATURES), [_normal(BATCH, UNITS, seed=1)]),
    ),
    "recurrent.FastRNN": Row(
        lambda dtype=None: recurrent.FastRNN(
            recurrent.GRUCell(UNITS, dtype=dtype),
            return_sequences=True,
            return_state=True,
            dtype=dtype,
        ),
        lambda: (_normal(BATCH, STEPS, FEATURES), None, MASK),
    ),
    "recurrent.SimpleRNN": Row(
        lambda dtype=None: recurrent.SimpleRNN(UNITS, return_sequences=True, dtype=dtype),
        lambda: (_normal(BATCH, STEPS, FEATURES),),
    ),
    "recurrent.LSTM": Row(
        lambda dtype=None: recurrent.LSTM(UNITS, return_state=True, dtype=dtype),
        lambda: (_normal(BATCH, STEPS, FEATURES), None, MASK),
    ),
    "recurrent.GRU": Row(
        lambda dtype=None: recurrent.GRU(UNITS, dtype=dtype),
        lambda: (_normal(BATCH, STEPS, FEATURES),),
    ),
    "recurrent.Bidirectional": Row(
        lambda dtype=None: recurrent.Bidirectional(
            recurrent.LSTM(UNITS, return_sequences=True, dtype=dtype), dtype=dtype
        ),
        lambda: (_normal(BATCH, STEPS, FEATURES), None, MASK),
    ),
    "recurrent.ProbedRNN": Row(
        lambda dtype=None: recurrent.ProbedRNN(
            recurrent.LSTMCell(UNITS, dtype=dtype), BATCH, STEPS, dtype=dtype
        ),
        lambda: (_normal(BATCH, STEPS, FEATURES),),
        random_weights=True,  # the probe starts at zero
    ),
    "recurrent.Clock": Row(
        lambda dtype=None: recurrent.Clock(STEPS, dtype=dtype),
        lambda: (_normal(BATCH, FEATURES),),
    ),
    # embeddings
    "embeddings.OneHotEmbedding": Row(
        lambda dtype=None: embeddings.OneHotEmbedding(6, 3, mask_zero=True, dtype=dtype),
        lambda: (_ids(BATCH, STEPS, high=6),),
    ),
    "embeddings.SkipGram": Row(
        lambda dtype=None: embeddings.SkipGram(10, 4, seed=1, dtype=dtype),
        lambda: (_ids(BATCH, 4, high=10),),
        random_weights=True,  # the context vectors start at zero
    ),
    # seq2seq
    "seq2seq.BahdanauAttention": Row(
        lambda dtype=None: seq2seq.BahdanauAttention(UNITS, dtype=dtype),
        lambda: (_normal(BATCH, 3, 5), _normal(BATCH, STEPS, 6, seed=1), MASK),
        call=lambda layer, q, v, m: layer(q, v, value_mask=m, return_weights=True),
    ),
    "seq2seq.LuongAttention": Row(
        lambda dtype=None: seq2seq.LuongAttention("general", scaled=True, dtype=dtype),
        lambda: (_normal(BATCH, 3, 5), _normal(BATCH, STEPS, 6, seed=1), MASK),
        call=lambda layer, q, v, m: layer(q, v, value_mask=m, return_weights=True),
    ),
    "seq2seq.RecurrentEncoder": Row(
        lambda dtype=None: seq2seq.RecurrentEncoder(10, 4, 6, cell="lstm", dtype=dtype),
        lambda: (_ids(BATCH, STEPS, high=10),),
    ),
    "seq2seq.RecurrentDecoder": Row(
        lambda dtype=None: seq2seq.RecurrentDecoder(9, 4, 6, attention="bahdanau", dtype=dtype),
        lambda: (
            _ids(BATCH, 4, high=9),
            _normal(BATCH, STEPS, 6),
            [_normal(BATCH, 6, seed=1)],
            MASK,
        ),
        call=lambda layer, *inputs: layer(*inputs, return_weights=True),
    ),
    "seq2seq.Seq2Seq": Row(
        _seq2seq_model,
        lambda: ((_ids(BATCH, STEPS, high=10), _ids(BATCH, 4, high=9, seed=1)),),
    ),
    "seq2seq.GreedyTranslator": Row(
        lambda dtype=None: seq2seq.GreedyTranslator(_seq2seq_model(dtype), 4, dtype=dtype),
        lambda: (_ids(BATCH, STEPS, high=10),),
        tokens=_check_translated_tokens,
    ),
    # transformer
    "transformer.MultiHeadAttention": Row(
        lambda dtype=None: transformer.MultiHeadAttention(2, 4, dtype=dtype),
        lambda: (_blocks_inputs(), _normal(BATCH, 4, 6, seed=1), np.ones((BATCH, STEPS, 4), bool)),
        call=lambda layer, q, v, m: layer(q, v, attention_mask=m, return_weights=True),
    ),
    "transformer.PositionEmbedding": Row(
        lambda dtype=None: transformer.PositionEmbedding(LENGTH, dtype=dtype),
        lambda: (_blocks_inputs(),),
    ),
    "transformer.SinusoidalPositionEncoding": Row(
        lambda dtype=None: transformer.SinusoidalPositionEncoding(dtype=dtype),
        lambda: (_blocks_inputs(),),
    ),
    "transformer.TokenAndPositionEmbedding": Row(
        lambda dtype=None: transformer.TokenAndPositionEmbedding(
            VOCABULARY, 8, LENGTH, dtype=dtype
        ),
        lambda: (_ids(BATCH, STEPS),),
    ),
    "transformer.TransformerEncoderBlock": Row(
        lambda dtype=None: transformer.TransformerEncoderBlock(16, 2, dtype=dtype),
        lambda: (_blocks_inputs(), MASK),
        call=lambda layer, x, m: layer(x, padding_mask=m, return_weights=True),
    ),
    "transformer.TransformerDecoderBlock": Row(
        lambda dtype=None: transformer.TransformerDecoderBlock(
            16, 2, cross_attention=True, dtype=dtype
        ),
        lambda: (_blocks_inputs(), _normal(BATCH, 4, 8, seed=1), MASK[:, :4]),
        call=lambda layer, x, e, m: layer(x, encoder_outputs=e, encoder_padding_mask=m),
    ),
    "transformer.TransformerEncoder": Row(
        lambda dtype=None: transformer.TransformerEncoder(VOCABULARY, LENGTH, dtype=dtype, **SIZES),
        lambda: (_ids(BATCH, STEPS),),
    ),
    "transformer.TransformerDecoder": Row(
        lambda dtype=None: transformer.TransformerDecoder(VOCABULARY, LENGTH, dtype=dtype, **SIZES),
        lambda: (_ids(BATCH, STEPS),),
    ),
    "transformer.MaskedLanguageModel": Row(
        lambda dtype=None: transformer.MaskedLanguageModel(
            VOCABULARY, LENGTH, dtype=dtype, **SIZES
        ),
        lambda: (_ids(BATCH, STEPS),),
    ),
    "transformer.TransformerLanguageModel": Row(_language_model, lambda: (_ids(BATCH, STEPS),)),
    "transformer.TransformerSeq2Seq": Row(
        lambda dtype=None: transformer.TransformerSeq2Seq(
            VOCABULARY, VOCABULARY, LENGTH, dtype=dtype, **SIZES
        ),
        lambda: ((_ids(BATCH, STEPS), _ids(BATCH, 4, seed=1)),),
    ),
    "transformer.LoRADense": Row(
        lambda dtype=None: transformer.LoRADense(4, rank=2, alpha=3.0, dtype=dtype),
        lambda: (_blocks_inputs(),),
        random_weights=True,  # B starts at zero
    ),
    "transformer.BottleneckAdapter": Row(
        lambda dtype=None: transformer.BottleneckAdapter(3, dtype=dtype),
        lambda: (_blocks_inputs(),),
        random_weights=True,  # the up-projection starts at zero
    ),
    "transformer.SoftPrompt": Row(
        lambda dtype=None: transformer.SoftPrompt(2, dtype=dtype),
        lambda: (_blocks_inputs(), MASK),
        call=lambda layer, x, m: layer(x, padding_mask=m),
    ),
    # decoding
    "decoding.Generator": Row(
        lambda dtype=None: decoding.Generator(
            _language_model(dtype), "greedy", max_length=LENGTH, dtype=dtype
        ),
        lambda: (_ids(BATCH, 3, seed=2) + 1,),  # unpadded prompts
        tokens=_check_generated_tokens,
    ),
    # vision
    "vision.PatchEmbedding": Row(
        lambda dtype=None: vision.PatchEmbedding(4, 6, dtype=dtype),
        lambda: (_normal(BATCH, 8, 8, 3),),
    ),
    "vision.ClassToken": Row(
        lambda dtype=None: vision.ClassToken(dtype=dtype),
        lambda: (_normal(BATCH, 4, 6),),
    ),
    "vision.GridPositionEmbedding": Row(
        lambda dtype=None: vision.GridPositionEmbedding(grid_size=2, dtype=dtype),
        lambda: (_normal(BATCH, 5, 6),),
    ),
    "vision.VisionTransformer": Row(
        lambda dtype=None: vision.VisionTransformer(
            (8, 8, 3), 4, 3, hidden_dim=8, num_layers=1, num_heads=2, mlp_dim=16, dtype=dtype
        ),
        lambda: (_normal(BATCH, 8, 8, 3),),
    ),
    # finetune
    "finetune.TextClassifier": Row(
        lambda dtype=None: finetune.TextClassifier(
            VOCABULARY, LENGTH, num_classes=3, dtype=dtype, **SIZES
        ),
        lambda: (_ids(BATCH, STEPS),),
    ),
    "finetune.SentenceEncoder": Row(
        lambda dtype=None: finetune.SentenceEncoder(
            VOCABULARY, LENGTH, output_dim=5, dtype=dtype, **SIZES
        ),
        lambda: (_ids(BATCH, STEPS),),
    ),
    "finetune.ContrastiveTrainer": Row(
        lambda dtype=None: finetune.ContrastiveTrainer(
            finetune.SentenceEncoder(VOCABULARY, LENGTH, dtype=dtype, **SIZES), dtype=dtype
        ),
        lambda: ({"first": _ids(BATCH, STEPS), "second": _ids(BATCH, STEPS, seed=1)},),
    ),
    "finetune.DPOTrainer": Row(
        lambda dtype=None: finetune.DPOTrainer(_language_model(dtype), dtype=dtype),
        _dpo_inputs,
        float32_outputs=(0, 1),
        why="sequence log-probabilities: a log-softmax and a sum over tokens, in float32",
    ),
    "finetune.PPOTrainer": Row(
        lambda dtype=None: finetune.PPOTrainer(_language_model(dtype), dtype=dtype),
        lambda: ({"ids": _ids(BATCH, LENGTH)},),
        float32_outputs=(0, 1),
        why="token log-probabilities (a log-softmax) and the values the float32 loss regresses",
        random_weights=True,  # the value head starts at zero
    ),
    # training
    "training.FlattenAll": Row(
        lambda dtype=None: training.FlattenAll(dtype=dtype),
        lambda: ([_normal(BATCH, 3, 4), _normal(BATCH, 2, seed=1)],),
    ),
}


def _registered_layers():
    """``package.Name`` of every layer and model registered under ``companion>``."""
    names = []
    for key, obj in object_registration.GLOBAL_CUSTOM_OBJECTS.items():
        if key.startswith("companion>") and inspect.isclass(obj):
            if issubclass(obj, keras.layers.Layer):
                names.append(f"{obj.__module__.split('.')[1]}.{obj.__name__}")
    return sorted(names)


@pytest.fixture
def policy(request):
    """Sets the global dtype policy for one test, and always restores float32."""
    keras.config.set_dtype_policy(request.param)
    try:
        yield request.param
    finally:
        keras.config.set_dtype_policy("float32")


def _dtype(tensor):
    return keras.backend.standardize_dtype(tensor.dtype)


def _floating(variables):
    return [v for v in variables if "float" in str(v.dtype)]


def _policies(layer):
    """``(name, policy)`` of the layer and every layer inside it."""
    return [(sub.name, sub.dtype_policy.name) for sub in layer._flatten_layers(include_self=True)]


def _built_and_called(row, dtype=None):
    """A fresh layer, built and called once on the row's inputs, and its outputs.

    The global seed is reset first, so two layers of one row start from the
    same weights whatever their policy (their variables are float32 both).
    """
    keras.utils.set_random_seed(1)
    layer, inputs = row.make(dtype=dtype), row.inputs()
    call = row.call or (lambda layer, *args: layer(*args))
    outputs = call(layer, *inputs)
    if row.random_weights:  # weights that start at zero would make the comparison trivial
        rng = np.random.default_rng(3)
        weights = layer.get_weights()
        layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in weights])
        outputs = call(layer, *inputs)
    return layer, inputs, keras.tree.flatten(outputs)


_REFERENCES = {}  # name -> (float32 layer, inputs, outputs as NumPy arrays), made once


def _reference(name):
    """The float32 layer of a row, given ``dtype="float32"`` under a mixed global policy.

    Its sub-layers must all follow the float32 it was given, not the global
    policy: a sub-layer created without ``dtype=self.dtype_policy`` fails here.
    """
    if name not in _REFERENCES:
        layer, inputs, outputs = _built_and_called(CATALOGUE[name], dtype="float32")
        others = [(n, p) for n, p in _policies(layer) if p != "float32"]
        assert not others, f"sub-layers must follow the parent's dtype policy (got {others})"
        assert all(_dtype(t) != "float16" and _dtype(t) != "bfloat16" for t in outputs)
        _REFERENCES[name] = layer, inputs, to_numpy(outputs)
    return _REFERENCES[name]


def test_every_registered_layer_has_a_row():
    missing = sorted(set(_registered_layers()) - set(CATALOGUE))
    assert not missing, f"write a mixed-precision row for {missing}"
    assert not set(CATALOGUE) - set(_registered_layers()), "a row for no registered layer"


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_layer_computes_in_half_precision_close_to_float32(name, policy):
    row, half, tolerance = CATALOGUE[name], HALF[policy], TOLERANCE[policy]
    reference, inputs, expected = _reference(name)
    layer, _, outputs = _built_and_called(row)
    for ours, theirs in zip(layer.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)  # the same weights: the same seed

    wrong = [(v.path, str(v.dtype)) for v in _floating(layer.weights) if v.dtype != "float32"]
    assert not wrong, f"variables must stay float32 under {policy} (got {wrong})"
    others = [(n, p) for n, p in _policies(layer) if p != policy]
    assert not others, f"every layer inside must follow {policy} (got {others})"
    assert layer.compute_dtype == half and layer.variable_dtype == "float32"

    actual = to_numpy(outputs)
    assert len(actual) == len(expected)
    if row.tokens is not None:
        row.tokens(reference, inputs, actual, tolerance)
    for index, (tensor, a, e) in enumerate(zip(outputs, actual, expected, strict=True)):
        if "float" not in _dtype(tensor):
            if row.tokens is None:  # masks are the same as in float32
                np.testing.assert_array_equal(a, e, err_msg=f"output {index}")
            continue
        wanted = "float32" if index in row.float32_outputs else half
        assert _dtype(tensor) == wanted, f"output {index} must be {wanted} (got {_dtype(tensor)})"
        a = a.astype("float32")
        assert np.all(np.isfinite(a)), f"output {index} is not finite"
        if row.tokens is None:
            scale = max(1.0, float(np.abs(e).max(initial=0.0)))
            np.testing.assert_allclose(
                a, e, rtol=tolerance, atol=tolerance * scale, err_msg=f"output {index}"
            )


# ----- one training step -----------------------------------------------------------------


def _stack():
    """A functional classifier through four companion layers: embedding, Transformer block,
    multi-head attention and LSTM."""
    ids = keras.Input((STEPS,), dtype="int32")
    real = ops.not_equal(ids, 0)  # (B, T)
    x = transformer.TokenAndPositionEmbedding(VOCABULARY, 8, LENGTH)(ids)  # (B, T, d)
    x = transformer.TransformerEncoderBlock(16, 2)(x, padding_mask=real)  # (B, T, d)
    x = transformer.MultiHeadAttention(2, 4)(x, x)  # (B, T, d)
    x = recurrent.LSTM(UNITS)(x, mask=real)  # (B, U)
    return keras.Model(ids, keras.layers.Dense(3)(x))  # (B, 3)


def _check_one_step(model, x, y, policy):
    """One ``fit`` step: loss scaling under float16, a finite float32 loss, every layer moves."""
    if policy == "mixed_float16":  # Keras scales the loss so float16 gradients do not underflow
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    loss = model.compute_loss(x=x, y=y, y_pred=model(x), training=True)
    assert _dtype(loss) == "float32" and np.isfinite(float(ops.convert_to_numpy(loss)))
    layers = [sub for sub in model._flatten_layers(recursive=False) if sub.trainable_weights]
    before = [to_numpy(sub.trainable_weights) for sub in layers]
    history = model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    for sub, weights in zip(layers, before, strict=True):
        after = to_numpy(sub.trainable_weights)
        moved = [not np.allclose(b, a) for b, a in zip(weights, after, strict=True)]
        assert any(moved), f"one training step left every weight of {sub.name} unchanged"


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
def test_a_classifier_of_companion_layers_trains_one_step(policy):
    keras.utils.set_random_seed(1)
    model = _stack()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    _check_one_step(model, _ids(BATCH, STEPS), np.array([0, 2]), policy)


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)  # bfloat16: the stack above
def test_dpo_trains_one_step_with_a_float32_loss(policy):
    keras.utils.set_random_seed(1)
    trainer = CATALOGUE["finetune.DPOTrainer"].make()
    (pairs,) = _dpo_inputs()
    pairs["reference_chosen"] = pairs["reference_rejected"] = np.full((BATCH,), -20.0, "float32")
    trainer.compile(optimizer=keras.optimizers.SGD(0.1))
    _check_one_step(trainer, pairs, None, policy)


# ----- softmax, masks and losses in float32 ----------------------------------------------


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
def test_attention_scores_beyond_the_half_range_give_finite_weights(policy):
    half = HALF[policy]
    depth = 16
    q = np.full((1, 2, 1, depth), 80.0, "float32")  # q.k = 102400: past float16's 65504
    k = np.stack([np.full(depth, 80.0), np.full(depth, 79.0)]).astype("float32")[None, :, None]
    v = _normal(1, 2, 1, depth)
    mask = np.array([[[[True, True], [False, False]]]])  # the second query sees no key
    args = [ops.cast(t, half) for t in (q, k, v)]
    outputs, weights = transformer.scaled_dot_product_attention(
        *args, mask=mask, return_weights=True
    )
    assert keras.backend.standardize_dtype(outputs.dtype) == half
    outputs, weights = (a.astype("float64") for a in to_numpy((outputs, weights)))
    assert np.all(np.isfinite(outputs)) and np.all(np.isfinite(weights))
    # scores 1600 and 1580 after the 1/sqrt(16) scale: the first key takes all the weight
    np.testing.assert_allclose(weights[0, 0, 0], [1.0, 0.0], atol=1e-6)
    np.testing.assert_array_equal(weights[0, 0, 1], [0.0, 0.0])  # no visible key: zeros
    np.testing.assert_array_equal(outputs[0, 1], 0.0)


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("softmax", ["transformer", "seq2seq"])
def test_masked_softmax_of_half_scores_runs_in_float32(policy, softmax):
    half = HALF[policy]
    scores = np.array([[[30.0, 20.0, -60000.0], [1.0, 2.0, 3.0]]], "float32")  # (1, 2, 3)
    if softmax == "transformer":
        mask = np.array([[[True, True, False], [False, False, False]]])  # row 2 fully hidden
        weights = transformer.masked_attention_softmax(ops.cast(scores, half), mask)
    else:
        mask = np.array([[True, True, False]])
        weights = seq2seq.masked_softmax(ops.cast(scores, half) * 2.0, mask)
    assert keras.backend.standardize_dtype(weights.dtype) == half
    (weights,) = to_numpy(weights)
    weights = weights.astype("float64")
    assert np.all(np.isfinite(weights))
    scale = 2.0 if softmax == "seq2seq" else 1.0
    first = np.exp(scale * np.array([30.0, 20.0]) - scale * 30.0)
    np.testing.assert_allclose(weights[0, 0, :2], first / first.sum(), atol=1e-3)
    assert weights[0, 0, 2] == 0.0
    if softmax == "transformer":
        np.testing.assert_array_equal(weights[0, 1], 0.0)


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_attention_layers_survive_large_inputs_and_fully_padded_rows(policy):
    x = np.full((BATCH, STEPS, 8), 300.0, "float32")
    mask = np.zeros((BATCH, STEPS), bool)
    mask[0, :2] = True  # the second row is all padding
    attention = transformer.MultiHeadAttention(2, 4, kernel_initializer="ones")
    attended = attention(x, x, attention_mask=np.broadcast_to(mask[:, None], (BATCH, STEPS, STEPS)))
    block = transformer.TransformerEncoderBlock(16, 2)
    encoded = block(x, padding_mask=mask)
    luong = seq2seq.LuongAttention("dot")
    context = luong(x[:, :2] / 30.0, x / 30.0, value_mask=mask)
    for name, result in (("MHA", attended), ("block", encoded), ("luong", context)):
        assert keras.backend.standardize_dtype(result.dtype) == "float16", name
        assert not np.any(np.isnan(to_numpy(result)[0].astype("float32"))), name
    assert np.all(np.isfinite(to_numpy(encoded)[0].astype("float32")))


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
def test_losses_of_half_inputs_are_float32(policy):
    half = HALF[policy]
    logits = ops.cast(_normal(BATCH, 4, 6) * 8.0, half)  # (B, T, V)
    targets = _ids(BATCH, 4, high=6)
    weights = np.ones((BATCH, 4), "float32")
    log_probs = preference.token_log_probs(logits, targets)
    sequences = preference.sequence_log_probs(logits, targets, weights)
    vectors = ops.cast(_normal(BATCH, 6), half)
    losses = {
        "token_log_probs": log_probs,
        "sequence_log_probs": sequences,
        "dpo_loss": preference.dpo_loss(sequences, sequences * 2.0, sequences, sequences),
        "ppo_clipped_loss": preference.ppo_clipped_loss(log_probs, log_probs, log_probs, weights),
        "info_nce_loss": contrastive.info_nce_loss(vectors, vectors, temperature=0.05),
    }
    losses["token_perplexity"] = metrics.token_perplexity(logits, targets, targets != 0)
    exact = preference.token_log_probs(ops.cast(logits, "float32"), targets)
    for name, loss in losses.items():
        assert keras.backend.standardize_dtype(loss.dtype) == "float32", name
        assert np.all(np.isfinite(to_numpy(loss)[0])), name
    np.testing.assert_allclose(*to_numpy((log_probs, exact)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
def test_perplexity_of_half_logits_is_float32(policy):
    logits = _normal(BATCH, 4, 6) * 8.0
    targets = _ids(BATCH, 4, high=6)
    metric = metrics.Perplexity(from_logits=True, mask_token_id=0)
    metric.update_state(targets, ops.cast(logits, HALF[policy]))
    result = metric.result()
    assert keras.backend.standardize_dtype(result.dtype) == "float32"
    exact = metrics.Perplexity(from_logits=True, mask_token_id=0, dtype="float32")
    exact.update_state(targets, ops.cast(ops.cast(logits, HALF[policy]), "float32"))
    np.testing.assert_allclose(*to_numpy((result, exact.result())), rtol=1e-5)


def _log_probs64(logits, targets):
    """log-softmax in float64 of a model's (half) logits, at the targets."""
    logits = np.asarray(logits, "float64")  # (B, T, V)
    log_probs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1))[..., None]
    log_probs -= logits.max(-1)[..., None]
    return np.take_along_axis(log_probs, targets[..., None].astype(np.int64), -1)[..., 0]


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
def test_log_probabilities_of_a_half_precision_model_are_float32(policy):
    keras.utils.set_random_seed(1)
    model = CATALOGUE["seq2seq.Seq2Seq"].make()
    source, targets = _ids(BATCH, STEPS, high=10), _ids(BATCH, 4, high=9, seed=1)
    totals, _ = model.sequence_log_probs(source, targets, targets)
    (logits,) = to_numpy(model((source, targets)))
    expected = (_log_probs64(logits, targets) * (targets != 0)).sum(-1)
    assert totals.dtype == np.float32
    np.testing.assert_allclose(totals, expected, rtol=1e-5, atol=1e-5)  # float16 is 1e-3 off

    gpt = _language_model()
    inputs, targets = _ids(BATCH, STEPS), _ids(BATCH, STEPS, seed=1)
    log_probs = lm.token_log_probs(gpt, inputs, targets)
    expected = _log_probs64(gpt.predict_on_batch(inputs), targets) * (targets != 0)
    np.testing.assert_allclose(log_probs, expected, rtol=1e-5, atol=1e-5)


# ----- the policy helpers of companion.scaling.precision -----------------------------------


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
def test_set_precision_sets_the_global_policy_and_proofs_widen_to_its_rounding(policy):
    assert scaling.set_precision(policy).name == policy
    epsilon = {"mixed_float16": 2.0**-10, "mixed_bfloat16": 2.0**-7}[policy]
    assert scaling.proof_tolerance(1e-5) == 16 * epsilon  # sixteen roundings of one ulp
    assert scaling.proof_tolerance(1.0) == 1.0  # never tighter than the float32 proof
    scaling.set_precision("float32")
    assert scaling.proof_tolerance(1e-5) == 1e-5
