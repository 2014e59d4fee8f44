"""Tests of companion.scaling.layouts: the Megatron-style split of a Transformer block."""

import re

import keras
import numpy as np
import pytest

from companion import scaling


def test_model_parallel_sizes_must_split_heads_and_widths_evenly():
    scaling.check_model_parallel_sizes(2, num_heads=4, hidden_dim=32, intermediate_dim=64)
    with pytest.raises(ValueError, match=r"num_heads must be a multiple of model_parallel=4"):
        scaling.check_model_parallel_sizes(4, num_heads=6, hidden_dim=48, intermediate_dim=64)


def test_the_layout_covers_every_block_of_every_transformer_model():
    """Every attention and MLP kernel of the GPT, the MLM and the seq2seq matches one key."""
    from companion.transformer import (
        MaskedLanguageModel,
        TransformerLanguageModel,
        TransformerSeq2Seq,
    )

    shape = {"hidden_dim": 8, "num_heads": 2, "num_layers": 1, "intermediate_dim": 16}
    ids = np.ones((1, 4), "int32")
    gpt = TransformerLanguageModel(12, 4, **shape)
    gpt(ids)
    mlm = MaskedLanguageModel(12, 4, **shape)
    mlm(ids)
    seq2seq = TransformerSeq2Seq(12, 12, 4, 4, **shape)
    seq2seq((ids, ids))
    # an attention layer has 7 sharded variables (query, key, value kernels and biases,
    # output kernel), an MLP 3; the seq2seq has self- and cross-attention in its decoder
    for model, attentions, mlps in ((gpt, 1, 1), (mlm, 1, 1), (seq2seq, 3, 2)):
        matched = [
            v.path
            for v in model.variables
            if any(re.fullmatch(key, v.path) for key in scaling.TRANSFORMER_LAYOUT)
        ]
        assert len(matched) == 7 * attentions + 3 * mlps, matched


@pytest.mark.skipif(keras.config.backend() != "jax", reason="a DeviceMesh needs JAX's devices")
def test_the_layout_map_needs_the_batch_and_model_axes():
    devices = keras.distribution.list_devices()[:1]
    mesh = keras.distribution.DeviceMesh((1, 1), ("data", "model"), devices)
    with pytest.raises(ValueError, match=r"device_mesh must have the axes \('batch', 'model'\)"):
        scaling.transformer_layout_map(mesh)
    mesh = keras.distribution.DeviceMesh((1, 1), ("batch", "model"), devices)
    layout_map = scaling.transformer_layout_map(mesh)
    assert layout_map["gpt/decoder/block_3/cross_attention/key/kernel"].axes == (None, "model")
    assert layout_map["gpt/decoder/block_3/feedforward_output_dense/bias"] is None  # replicated
