"""Tests of companion.transformer.blocks: equal to keras-hub's blocks, and the key/value cache.

Tolerances: outputs atol 1e-5, gradients atol 1e-4.
"""

import keras
import keras_hub
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer
from support import gradients, to_numpy

from companion import transformer

OUTPUT_ATOL = 1e-5
GRADIENT_ATOL = 1e-4
HIDDEN, HEADS, INTERMEDIATE = 8, 2, 16
DECODER_PADDING = np.array([[True] * 5, [True, True, True, False, False]])
ENCODER_PADDING = np.array([[True, True, True, True, False, False], [True] * 6])


def _randomise(layer, rng):
    """Random values in every weight of a keras-hub block (biases and norms included).

    The block is made with zero kernels: JAX compiles a random initializer per shape.
    """
    for weight in layer.weights:
        weight.assign(0.5 * rng.standard_normal(tuple(weight.shape)).astype("float32"))


def _sublayer_pairs(ours, theirs):
    """(our sub-layer, keras-hub's) in the order of block_weights_from_keras_hub."""
    pairs = [(ours.self_attention, theirs._self_attention_layer)]
    pairs.append((ours.self_attention_norm, theirs._self_attention_layer_norm))
    if getattr(ours, "cross_attention", False):
        pairs.append((ours.cross_attention_layer, theirs._cross_attention_layer))
        pairs.append((ours.cross_attention_norm, theirs._cross_attention_layer_norm))
    pairs.append((ours.feedforward_intermediate, theirs._feedforward_intermediate_dense))
    pairs.append((ours.feedforward_output, theirs._feedforward_output_dense))
    pairs.append((ours.feedforward_norm, theirs._feedforward_layer_norm))
    return pairs


def _weight_pairs(ours, theirs):
    """Each of our trainable weights with keras-hub's that it equals after a reshape."""
    weights = []
    for our_layer, their_layer in _sublayer_pairs(ours, theirs):
        if isinstance(our_layer, transformer.MultiHeadAttention):
            our_layers = [our_layer.query_dense, our_layer.key_dense, our_layer.value_dense]
            our_layers.append(our_layer.output_dense)
            their_layers = [their_layer._query_dense, their_layer._key_dense]
            their_layers += [their_layer._value_dense, their_layer._output_dense]
        else:
            our_layers, their_layers = [our_layer], [their_layer]
        for o, t in zip(our_layers, their_layers, strict=True):
            weights += list(zip(o.trainable_weights, t.trainable_weights, strict=True))
    assert len(weights) == len(ours.trainable_weights)
    return weights


def _compare(rng, ours, theirs, run_ours, run_theirs, x):
    """Outputs, then gradients w.r.t. the inputs and every weight, of two equal blocks."""
    outputs, expected = to_numpy([run_ours(x), run_theirs(x)])
    np.testing.assert_allclose(outputs, expected, atol=OUTPUT_ATOL)
    pairs = _weight_pairs(ours, theirs)
    inputs = keras.Variable(x, name="inputs")
    mix = ops.convert_to_tensor(rng.standard_normal(outputs.shape).astype("float32"))

    def loss(run):
        def compute():
            out = run(inputs.value)
            return ops.sum(out * mix), out

        return compute

    _, our_grads = gradients([inputs] + [o for o, _ in pairs], loss(run_ours))
    _, their_grads = gradients([inputs] + [t for _, t in pairs], loss(run_theirs))
    for ours_grad, theirs_grad in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(
            ours_grad, theirs_grad.reshape(ours_grad.shape), atol=GRADIENT_ATOL
        )


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_block_equals_keras_hub_outputs_and_gradients(rng, normalize_first):
    x = rng.standard_normal((2, 5, HIDDEN)).astype("float32")
    options = {"normalize_first": normalize_first}
    theirs = keras_hub.layers.TransformerEncoder(
        INTERMEDIATE, HEADS, kernel_initializer="zeros", **options
    )
    theirs.build(x.shape)
    _randomise(theirs, rng)
    ours = transformer.TransformerEncoderBlock(INTERMEDIATE, HEADS, **options)
    ours.build(x.shape)
    transformer.block_weights_from_keras_hub(ours, theirs)
    _compare(
        rng,
        ours,
        theirs,
        lambda v: ours(v, padding_mask=DECODER_PADDING),
        lambda v: theirs(v, padding_mask=DECODER_PADDING),
        x,
    )
    # attention weights: no query looks at a padded key
    _, weights = ours(x, padding_mask=DECODER_PADDING, return_weights=True)
    (weights,) = to_numpy(weights)
    assert weights.shape == (2, HEADS, 5, 5)
    np.testing.assert_array_equal(weights[1, :, :, 3:], 0.0)


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("cross", [False, True], ids=["decoder-only", "cross-attention"])
def test_decoder_block_equals_keras_hub_outputs_and_gradients(rng, normalize_first, cross):
    x = rng.standard_normal((2, 5, HIDDEN)).astype("float32")
    encoded = rng.standard_normal((2, 6, 16)).astype("float32")  # another width than the decoder
    options = {"normalize_first": normalize_first}
    theirs = keras_hub.layers.TransformerDecoder(
        INTERMEDIATE, HEADS, kernel_initializer="zeros", **options
    )
    theirs.build(x.shape, encoded.shape if cross else None)
    _randomise(theirs, rng)
    ours = transformer.TransformerDecoderBlock(
        INTERMEDIATE, HEADS, cross_attention=cross, **options
    )
    ours.build(x.shape, encoded.shape if cross else None)
    transformer.block_weights_from_keras_hub(ours, theirs)
    if cross:

        def run_ours(v):
            return ours(v, encoded, encoder_padding_mask=ENCODER_PADDING)

        def run_theirs(v):
            return theirs(v, encoded, encoder_padding_mask=ENCODER_PADDING)

    else:

        def run_ours(v):
            return ours(v, decoder_padding_mask=DECODER_PADDING)

        def run_theirs(v):
            return theirs(v, decoder_padding_mask=DECODER_PADDING)

    _compare(rng, ours, theirs, run_ours, run_theirs, x)


def _decoder_block(rng, cross, normalize_first):
    block = transformer.TransformerDecoderBlock(
        INTERMEDIATE, HEADS, cross_attention=cross, normalize_first=normalize_first
    )
    block.build((None, None, HIDDEN), (None, None, HIDDEN) if cross else None)
    for weight in block.weights:  # random biases and norms too
        weight.assign(0.5 * rng.standard_normal(tuple(weight.shape)).astype("float32"))
    return block


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("cross", [False, True], ids=["decoder-only", "cross-attention"])
def test_cached_steps_give_the_full_causal_pass(rng, cross, normalize_first):
    block = _decoder_block(rng, cross, normalize_first)
    x = rng.standard_normal((2, 5, HIDDEN)).astype("float32")
    extra = {}
    if cross:
        extra = {
            "encoder_outputs": rng.standard_normal((2, 6, HIDDEN)).astype("float32"),
            "encoder_padding_mask": ENCODER_PADDING,
        }
    (full,) = to_numpy(block(x, **extra))
    cache = np.zeros((2, 2, 7, HEADS, HIDDEN // HEADS), "float32")  # room for 7 positions
    # a prompt of two positions at once, then one position at a time
    steps = []
    for start, stop in ((0, 2), (2, 3), (3, 4), (4, 5)):
        outputs, cache = block(x[:, start:stop], cache=cache, cache_index=start, **extra)
        steps.append(to_numpy(outputs)[0])
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=OUTPUT_ATOL)
    (cache,) = to_numpy(cache)
    np.testing.assert_array_equal(cache[:, :, 5:], 0.0)  # positions not reached yet
    assert (np.abs(cache[:, :, :5]).sum(axis=(0, 1, 3, 4)) > 0).all()  # positions written


def test_cached_steps_with_a_tensor_index_and_the_weights(rng):
    block = _decoder_block(rng, cross=False, normalize_first=False)
    x = rng.standard_normal((2, 5, HIDDEN)).astype("float32")
    (full,) = to_numpy(block(x))
    cache = ops.zeros((2, 2, 7, HEADS, HIDDEN // HEADS))
    for t in range(5):
        index = ops.convert_to_tensor(t, "int32")
        outputs, weights, cache = block(
            x[:, t : t + 1], cache=cache, cache_index=index, return_weights=True
        )
        np.testing.assert_allclose(to_numpy(outputs)[0][:, 0], full[:, t], atol=OUTPUT_ATOL)
        (self_weights,) = to_numpy(weights["self"])
        assert self_weights.shape == (2, HEADS, 1, 7) and "cross" not in weights
        np.testing.assert_array_equal(self_weights[..., t + 1 :], 0.0)  # the future is hidden


def test_decoder_block_weights_are_causal_and_cross_weights_skip_padding(rng):
    block = _decoder_block(rng, cross=True, normalize_first=True)
    x = rng.standard_normal((2, 5, HIDDEN)).astype("float32")
    encoded = rng.standard_normal((2, 6, HIDDEN)).astype("float32")
    _, weights = block(x, encoded, encoder_padding_mask=ENCODER_PADDING, return_weights=True)
    self_weights, cross_weights = to_numpy([weights["self"], weights["cross"]])
    upper = np.triu(np.ones((5, 5), bool), k=1)
    np.testing.assert_array_equal(self_weights[:, :, upper], 0.0)
    np.testing.assert_array_equal(cross_weights[0, :, :, 4:], 0.0)
    np.testing.assert_allclose(cross_weights.sum(-1), 1.0, atol=1e-6)


def test_blocks_return_their_weights_in_a_functional_model(rng):
    x = keras.Input((5, HIDDEN))
    encoded = keras.Input((6, 16))
    outputs, weights = transformer.TransformerEncoderBlock(INTERMEDIATE, HEADS)(
        x, return_weights=True
    )
    assert tuple(outputs.shape) == (None, 5, HIDDEN) and tuple(weights.shape) == (None, 2, 5, 5)
    block = transformer.TransformerDecoderBlock(INTERMEDIATE, HEADS, cross_attention=True)
    outputs, weights = block(x, encoded, return_weights=True)
    assert tuple(weights["self"].shape) == (None, 2, 5, 5)
    assert tuple(weights["cross"].shape) == (None, 2, 5, 6)
    model = keras.Model([x, encoded], [outputs, weights["cross"]])
    values = [rng.standard_normal((2, 5, HIDDEN)), rng.standard_normal((2, 6, 16))]
    values = [v.astype("float32") for v in values]
    eager_outputs, eager_weights = block(*values, return_weights=True)
    for ours, expected in zip(
        to_numpy(model(values)), to_numpy([eager_outputs, eager_weights["cross"]]), strict=True
    ):
        np.testing.assert_allclose(ours, expected, atol=OUTPUT_ATOL)
    step, cache = keras.Input((1, HIDDEN)), keras.Input((2, 7, HEADS, HIDDEN // HEADS))
    outputs, new_cache = transformer.TransformerDecoderBlock(INTERMEDIATE, HEADS)(
        step, cache=cache, cache_index=2
    )
    assert tuple(outputs.shape) == (None, 1, HIDDEN)
    assert tuple(new_cache.shape) == (None, 2, 7, HEADS, HIDDEN // HEADS)


def test_decoder_block_refuses_a_wrong_encoder_and_a_cache_without_its_index(rng):
    x = rng.standard_normal((2, 3, HIDDEN)).astype("float32")
    decoder_only = transformer.TransformerDecoderBlock(INTERMEDIATE, HEADS)
    with pytest.raises(ValueError, match=r"encoder_outputs must be None.*cross_attention=False"):
        decoder_only(x, x)
    with_cross = transformer.TransformerDecoderBlock(INTERMEDIATE, HEADS, cross_attention=True)
    with pytest.raises(
        ValueError, match=r"encoder_outputs must be given.*got encoder_outputs=None"
    ):
        with_cross(x)
    cache = np.zeros((2, 2, 4, HEADS, HIDDEN // HEADS), "float32")
    with pytest.raises(ValueError, match=r"cache and cache_index must be given together"):
        decoder_only(x, cache=cache)
    with pytest.raises(ValueError, match=r"cache and cache_index must be given together"):
        decoder_only(x, cache_index=0)


def test_blocks_refuse_too_few_features_and_bad_arguments():
    with pytest.raises(ValueError, match=r"at least num_heads=4 features.*\(got shape \(1, 2, 3\)"):
        transformer.TransformerEncoderBlock(8, 4)(np.zeros((1, 2, 3), "float32"))
    with pytest.raises(ValueError, match=r"intermediate_dim must be an int >= 1"):
        transformer.TransformerEncoderBlock(0, 2)
    with pytest.raises(TypeError, match=r"normalize_first must be a bool"):
        transformer.TransformerDecoderBlock(8, 2, normalize_first="yes")
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, time, features\)"):
        transformer.TransformerDecoderBlock(8, 2)(np.zeros((2, 8), "float32"))


@keras.saving.register_keras_serializable(package="tests")
class CrossAttentionBlockOnOneTensor(keras.layers.Layer):
    """A cross-attention decoder block driven by one tensor: 3 decoder steps, then the encoder's."""

    def __init__(self, normalize_first=False, **kwargs):
        super().__init__(**kwargs)
        self.normalize_first = normalize_first
        self.block = transformer.TransformerDecoderBlock(
            INTERMEDIATE, HEADS, cross_attention=True, normalize_first=normalize_first
        )

    def build(self, inputs_shape):
        self.block.build((None, None, inputs_shape[-1]), (None, None, inputs_shape[-1]))

    def call(self, inputs):
        return self.block(inputs[:, :3], inputs[:, 3:])

    def get_config(self):
        return {**super().get_config(), "normalize_first": self.normalize_first}


def test_blocks_pass_the_shared_layer_checks(rng, tmp_path):
    x = rng.standard_normal((2, 5, HIDDEN)).astype("float32")
    options = {"normalize_first": True, "activation": "gelu", "dropout": 0.1}
    for folder in ("encoder", "decoder", "cross"):
        (tmp_path / folder).mkdir()
    check_layer(
        lambda: transformer.TransformerEncoderBlock(INTERMEDIATE, HEADS, **options),
        x,
        tmp_path / "encoder",
        atol=OUTPUT_ATOL,
    )
    check_layer(
        lambda: transformer.TransformerDecoderBlock(INTERMEDIATE, HEADS, layer_norm_epsilon=1e-3),
        x,
        tmp_path / "decoder",
        atol=OUTPUT_ATOL,
    )
    # the cross-attention path's gradients equal keras-hub's (above): no third training step
    check_layer(
        lambda: CrossAttentionBlockOnOneTensor(normalize_first=True),
        x,
        tmp_path / "cross",
        train=False,
        atol=OUTPUT_ATOL,
    )
