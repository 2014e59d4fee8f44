"""Tests of companion.transformer.stacks: padding is invisible, the decoder is causal and caches.

Tolerance: outputs atol 1e-5.
"""

import keras
import numpy as np
import pytest
from keras import ops
from support import to_numpy

from companion import transformer

OUTPUT_ATOL = 1e-5
SIZES = {"hidden_dim": 8, "num_layers": 2, "num_heads": 2, "intermediate_dim": 16}


def _ids(rng, batch=2, length=6, vocabulary=20):
    return rng.integers(1, vocabulary, size=(batch, length)).astype("int32")


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_outputs_at_real_tokens_ignore_the_padding(rng, normalize_first):
    encoder = transformer.TransformerEncoder(20, 8, normalize_first=normalize_first, **SIZES)
    ids = _ids(rng)
    ids[1, 4:] = 0  # the second sentence has 4 real tokens
    outputs, real = to_numpy(encoder(ids))
    assert outputs.shape == (2, 6, 8)
    np.testing.assert_array_equal(real, ids != 0)
    # more padding appended
    longer = np.concatenate([ids, np.zeros((2, 2), "int32")], axis=1)
    np.testing.assert_allclose(to_numpy(encoder(longer))[0][:, :6], outputs, atol=OUTPUT_ATOL)
    # the sentence alone, without its padding
    alone = to_numpy(encoder(ids[1:, :4]))[0]
    np.testing.assert_allclose(alone[0], outputs[1, :4], atol=OUTPUT_ATOL)
    # another vector for the padding id changes nothing at the real tokens
    table = encoder.embedding.token_embedding.embeddings
    table.assign(ops.where(ops.arange(20)[:, None] == 0, 5.0, table.value))
    changed = to_numpy(encoder(ids))[0]
    np.testing.assert_allclose(changed[1, :4], outputs[1, :4], atol=OUTPUT_ATOL)
    np.testing.assert_allclose(changed[0], outputs[0], atol=OUTPUT_ATOL)


def test_encoder_weights_skip_padded_keys_in_every_block(rng):
    encoder = transformer.TransformerEncoder(20, 8, positions="sinusoidal", **SIZES)
    ids = _ids(rng)
    ids[0, 3:] = 0
    _, _, weights = encoder(ids, return_weights=True)
    weights = to_numpy(weights)
    assert len(weights) == 2 and weights[0].shape == (2, 2, 6, 6)
    for block_weights in weights:
        np.testing.assert_array_equal(block_weights[0, :, :, 3:], 0.0)
        np.testing.assert_allclose(block_weights.sum(-1), 1.0, atol=1e-6)
    # the same outputs in a functional model
    symbolic = encoder(keras.Input((None,), dtype="int32"), return_weights=True)
    shapes = [tuple(t.shape) for t in keras.tree.flatten(symbolic)]
    assert shapes == [(None, None, 8), (None, None), *[(None, 2, None, None)] * 2]


@pytest.mark.parametrize("normalize_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_is_causal(rng, normalize_first):
    decoder = transformer.TransformerDecoder(20, 8, normalize_first=normalize_first, **SIZES)
    ids = _ids(rng)
    logits, hidden = to_numpy(decoder(ids))
    assert logits.shape == (2, 6, 20) and hidden.shape == (2, 6, 8)
    for t in (2, 5):
        changed = ids.copy()
        changed[:, t] = (changed[:, t] % 19) + 1  # another real token at position t
        new_logits = to_numpy(decoder(changed))[0]
        np.testing.assert_allclose(new_logits[:, :t], logits[:, :t], atol=OUTPUT_ATOL)
        assert not np.allclose(new_logits[:, t], logits[:, t], atol=1e-4)
    weights = to_numpy([w["self"] for w in decoder(ids, return_weights=True)[2]])
    for block_weights in weights:
        np.testing.assert_array_equal(block_weights[:, :, np.triu(np.ones((6, 6), bool), 1)], 0.0)


@pytest.mark.parametrize(
    "cross, normalize_first",
    [(False, False), (False, True), (True, True)],
    ids=["decoder-only-post-norm", "decoder-only-pre-norm", "cross-attention-pre-norm"],
)
def test_cached_decoding_step_by_step_equals_the_full_pass(rng, cross, normalize_first):
    decoder = transformer.TransformerDecoder(
        20, 8, cross_attention=cross, normalize_first=normalize_first, **SIZES
    )
    ids = _ids(rng)
    extra = {}
    if cross:
        padding = np.array([[True] * 5, [True, True, False, False, False]])
        extra = {
            "encoder_outputs": rng.standard_normal((2, 5, 8)).astype("float32"),
            "encoder_padding_mask": padding,
        }
    full_logits, full_hidden = to_numpy(decoder(ids, **extra))
    cache = decoder.empty_cache(2)
    assert tuple(cache.shape) == (2, 2, 2, 8, 2, 4)  # (B, N, 2, L, H, dk)
    logits = []
    for t in range(6):
        step_logits, step_hidden, cache = decoder(
            ids[:, t : t + 1], cache=cache, cache_index=t, **extra
        )
        logits.append(to_numpy(step_logits)[0])
        np.testing.assert_allclose(
            to_numpy(step_hidden)[0][:, 0], full_hidden[:, t], atol=OUTPUT_ATOL
        )
    np.testing.assert_allclose(np.concatenate(logits, axis=1), full_logits, atol=OUTPUT_ATOL)
    (cache,) = to_numpy(cache)
    np.testing.assert_array_equal(cache[:, :, :, 6:], 0.0)  # positions 6 and 7 not reached


def test_pre_norm_stacks_end_with_a_final_norm(rng):
    ids = _ids(rng)
    for stack in (transformer.TransformerEncoder, transformer.TransformerDecoder):
        post_norm = stack(20, 8, **SIZES)
        pre_norm = stack(20, 8, normalize_first=True, **SIZES)
        post_outputs = to_numpy(post_norm(ids))
        pre_outputs = to_numpy(pre_norm(ids))
        assert post_norm.final_norm is None
        assert pre_norm.final_norm is not None and pre_norm.final_norm.built
        names = [w.path for w in pre_norm.weights]
        assert any("final_layer_norm" in name for name in names)
        assert not any("final_layer_norm" in w.path for w in post_norm.weights)
        # the last hidden states are normalised (a fresh norm: gamma 1, beta 0) in both
        hidden = pre_outputs[0] if stack is transformer.TransformerEncoder else pre_outputs[1]
        np.testing.assert_allclose(hidden.mean(-1), 0.0, atol=1e-5)
        np.testing.assert_allclose(hidden.std(-1), 1.0, atol=1e-2)
        hidden = post_outputs[0] if stack is transformer.TransformerEncoder else post_outputs[1]
        np.testing.assert_allclose(hidden.mean(-1), 0.0, atol=1e-5)


def test_stacks_config_round_trip_and_bad_arguments():
    for stack in (
        transformer.TransformerEncoder(20, 8, positions="sinusoidal", dropout=0.1, **SIZES),
        transformer.TransformerDecoder(20, 8, cross_attention=True, normalize_first=True),
    ):
        config = stack.get_config()
        assert type(stack).from_config(config).get_config() == config
    assert transformer.TransformerDecoder(20, 8).intermediate_dim == 4 * 64
    with pytest.raises(ValueError, match=r"hidden_dim must be a multiple of num_heads"):
        transformer.TransformerEncoder(20, 8, hidden_dim=6, num_heads=4)
    with pytest.raises(ValueError, match=r"vocabulary_size must be an int >= 2"):
        transformer.TransformerDecoder(1, 8)
    with pytest.raises(ValueError, match=r"ids must have shape \(batch, time\)"):
        transformer.TransformerDecoder(20, 8, **SIZES)(np.ones((2, 3, 1), "int32"))
