"""Tests of companion.transformer.reference: the weight transfers refuse what does not fit."""

import keras
import keras_hub
import numpy as np
import pytest
from support import to_numpy

from companion import transformer


def _built_keras_mha(query_dim=8, num_heads=2, key_dim=4):
    layer = keras.layers.MultiHeadAttention(num_heads, key_dim, kernel_initializer="zeros")
    layer.build((None, 3, query_dim), (None, 3, query_dim))
    return layer


def _built_ours(query_dim=8, num_heads=2, key_dim=4):
    layer = transformer.MultiHeadAttention(num_heads, key_dim, kernel_initializer="zeros")
    layer.build((None, 3, query_dim), (None, 3, query_dim))
    return layer


def test_mha_transfer_returns_our_layer_with_keras_weights():
    ours, theirs = _built_ours(), _built_keras_mha()
    assert transformer.mha_weights_from_keras(ours, theirs) is ours
    ours_kernel, theirs_kernel = to_numpy([ours.query_dense.kernel, theirs._query_dense.kernel])
    np.testing.assert_array_equal(ours_kernel, theirs_kernel.reshape(8, 8))


def test_mha_transfer_refuses_wrong_layers():
    with pytest.raises(TypeError, match=r"ours must be a built companion MultiHeadAttention"):
        transformer.mha_weights_from_keras(keras.layers.Dense(3), _built_keras_mha())
    with pytest.raises(TypeError, match=r"ours must be a built companion MultiHeadAttention"):
        transformer.mha_weights_from_keras(transformer.MultiHeadAttention(2, 4), _built_keras_mha())
    with pytest.raises(TypeError, match=r"theirs must be a built keras.layers.MultiHeadAttention"):
        transformer.mha_weights_from_keras(_built_ours(), keras.layers.MultiHeadAttention(2, 4))
    with pytest.raises(TypeError, match=r"theirs must be a built keras.layers.MultiHeadAttention"):
        transformer.mha_weights_from_keras(_built_ours(), "attention")


def test_mha_transfer_refuses_other_sizes():
    with pytest.raises(ValueError, match=r"heads differ: .* = \(2, 4, 4, True\) for ours against "):
        transformer.mha_weights_from_keras(_built_ours(), _built_keras_mha(key_dim=3))
    # as many numbers per kernel, sliced into other heads: refused, not scrambled
    with pytest.raises(ValueError, match=r"\(2, 4, 4, True\) for ours against \(4, 2, 2, True\)"):
        transformer.mha_weights_from_keras(_built_ours(), _built_keras_mha(num_heads=4, key_dim=2))
    with pytest.raises(
        ValueError, match=r"sizes differ: our query kernel \(6, 8\) against \(8, 2, 4"
    ):
        transformer.mha_weights_from_keras(_built_ours(query_dim=6), _built_keras_mha())
    no_bias = transformer.MultiHeadAttention(2, 4, use_bias=False, kernel_initializer="zeros")
    no_bias.build((None, 3, 8), (None, 3, 8))
    with pytest.raises(ValueError, match=r"\(2, 4, 4, False\) for ours against \(2, 4, 4, True\)"):
        transformer.mha_weights_from_keras(no_bias, _built_keras_mha())


def test_block_transfer_refuses_wrong_layers():
    hub_encoder = keras_hub.layers.TransformerEncoder(16, 2, kernel_initializer="zeros")
    hub_encoder.build((None, 3, 8))
    block = transformer.TransformerEncoderBlock(16, 2)
    with pytest.raises(TypeError, match=r"ours must be a built companion Transformer block"):
        transformer.block_weights_from_keras_hub(block, hub_encoder)  # not built yet
    with pytest.raises(TypeError, match=r"ours must be a built companion Transformer block"):
        transformer.block_weights_from_keras_hub(_built_ours(), hub_encoder)
    block.build((None, 3, 8))
    with pytest.raises(TypeError, match=r"theirs must be a built keras_hub.layers.Transformer"):
        transformer.block_weights_from_keras_hub(block, _built_keras_mha())
    with pytest.raises(TypeError, match=r"theirs must be a built keras_hub.layers.Transformer"):
        transformer.block_weights_from_keras_hub(block, keras_hub.layers.TransformerEncoder(16, 2))
    assert transformer.block_weights_from_keras_hub(block, hub_encoder) is block


def test_block_transfer_refuses_other_blocks_and_sizes():
    hub_encoder = keras_hub.layers.TransformerEncoder(16, 2, kernel_initializer="zeros")
    hub_encoder.build((None, 3, 8))
    hub_decoder = keras_hub.layers.TransformerDecoder(16, 2, kernel_initializer="zeros")
    hub_decoder.build((None, 3, 8))
    other_heads = transformer.TransformerEncoderBlock(16, 4)  # 4 heads of 2 features
    other_heads.build((None, 3, 8))
    with pytest.raises(
        ValueError, match=r"heads differ: .*\(4, 2, 2, True\) for ours against \(2, 4, 4"
    ):
        transformer.block_weights_from_keras_hub(other_heads, hub_encoder)
    narrower = transformer.TransformerEncoderBlock(8, 2)  # a feed-forward layer of 8, not 16
    narrower.build((None, 3, 8))
    with pytest.raises(ValueError, match=r"our feedforward_intermediate_dense kernel \(8, 8\)"):
        transformer.block_weights_from_keras_hub(narrower, hub_encoder)
    block = transformer.TransformerEncoderBlock(16, 2)
    block.build((None, 3, 8))
    with pytest.raises(ValueError, match=r"blocks differ: .*TransformerEncoderBlock .*decoder"):
        transformer.block_weights_from_keras_hub(block, hub_decoder)
    cross = transformer.TransformerDecoderBlock(16, 2, cross_attention=True)
    cross.build((None, 3, 8), (None, 4, 8))
    with pytest.raises(ValueError, match=r"cross_attention=True, .*cross-attention=False"):
        transformer.block_weights_from_keras_hub(cross, hub_decoder)
    decoder_only = transformer.TransformerDecoderBlock(16, 2)
    decoder_only.build((None, 3, 8))
    hub_cross = keras_hub.layers.TransformerDecoder(16, 2, kernel_initializer="zeros")
    hub_cross.build((None, 3, 8), (None, 4, 8))
    with pytest.raises(ValueError, match=r"cross_attention=False, .*cross-attention=True"):
        transformer.block_weights_from_keras_hub(decoder_only, hub_cross)
    assert transformer.block_weights_from_keras_hub(decoder_only, hub_decoder) is decoder_only
