r"""Attention and the Transformer, from scratch (decks 001, 003 and 004).

* :mod:`~companion.transformer.masks`: :func:`padding_mask`,
  :func:`causal_mask`, :func:`attention_mask` and :func:`mask_table`;
* :mod:`~companion.transformer.attention`:
  :func:`scaled_dot_product_attention` and :class:`MultiHeadAttention`,
  equal to ``keras.ops.dot_product_attention`` and
  ``keras.layers.MultiHeadAttention``;
* :mod:`~companion.transformer.positional`:
  :class:`SinusoidalPositionEncoding`, :class:`PositionEmbedding` and
  :class:`TokenAndPositionEmbedding`;
* :mod:`~companion.transformer.blocks`: :class:`TransformerEncoderBlock`
  and :class:`TransformerDecoderBlock` (post-norm or pre-norm, key/value
  cache), equal to keras-hub's;
* :mod:`~companion.transformer.stacks`: :class:`TransformerEncoder` and
  :class:`TransformerDecoder`, ids in;
* :mod:`~companion.transformer.models`: :class:`MaskedLanguageModel`
  (encoder-only), :class:`TransformerLanguageModel` (decoder-only),
  :class:`TransformerSeq2Seq` (encoder-decoder), :func:`mask_tokens` and
  :func:`build_forecaster`;
* :mod:`~companion.transformer.tuning`: the layers parameter-efficient
  tuning adds, :class:`LoRADense`, :class:`BottleneckAdapter`,
  :class:`SoftPrompt` and :func:`prepend_prefix` (chapter 8);
* :mod:`~companion.transformer.reference`: :func:`mha_weights_from_keras`
  and :func:`block_weights_from_keras_hub`, for the equality proofs.
"""

from companion.transformer.attention import (
    MultiHeadAttention,
    masked_attention_softmax,
    scaled_dot_product_attention,
)
from companion.transformer.blocks import TransformerDecoderBlock, TransformerEncoderBlock
from companion.transformer.masks import attention_mask, causal_mask, mask_table, padding_mask
from companion.transformer.models import (
    MaskedLanguageModel,
    TransformerLanguageModel,
    TransformerSeq2Seq,
    build_forecaster,
    mask_tokens,
)
from companion.transformer.positional import (
    POSITION_KINDS,
    PositionEmbedding,
    SinusoidalPositionEncoding,
    TokenAndPositionEmbedding,
)
from companion.transformer.reference import block_weights_from_keras_hub, mha_weights_from_keras
from companion.transformer.stacks import TransformerDecoder, TransformerEncoder
from companion.transformer.tuning import (
    TUNING_VARIABLES,
    BottleneckAdapter,
    LoRADense,
    SoftPrompt,
    is_tuning_variable,
    prepend_prefix,
)

__all__ = [
    "POSITION_KINDS",
    "TUNING_VARIABLES",
    "BottleneckAdapter",
    "LoRADense",
    "MaskedLanguageModel",
    "MultiHeadAttention",
    "PositionEmbedding",
    "SinusoidalPositionEncoding",
    "TokenAndPositionEmbedding",
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerEncoder",
    "TransformerEncoderBlock",
    "TransformerLanguageModel",
    "TransformerSeq2Seq",
    "attention_mask",
    "block_weights_from_keras_hub",
    "build_forecaster",
    "causal_mask",
    "mask_table",
    "mask_tokens",
    "masked_attention_softmax",
    "mha_weights_from_keras",
    "padding_mask",
    "is_tuning_variable",
    "prepend_prefix",
    "scaled_dot_product_attention",
    "SoftPrompt",
]
