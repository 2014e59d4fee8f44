"""Weights from the library's layers into ours, to prove the two compute the same thing.

Keras keeps each head's projection as its own slice of a 3-D kernel
(``EinsumDense``: ``(d, heads, d_k)`` for the queries, ``(heads, d_v, d)``
for the output); ours is one 2-D ``Dense`` kernel ``(d, heads * d_k)``
whose columns ``[i d_k, (i+1) d_k)`` are head :math:`i`. A reshape maps one
onto the other, so no number changes.
"""

import numpy as np
from keras import ops

from companion.transformer.attention import MultiHeadAttention
from companion.transformer.blocks import TransformerDecoderBlock, TransformerEncoderBlock


def _set(dense, kernel, bias, heads_first=False):
    """Sets a ``Dense`` layer's kernel (reshaped to its own shape) and bias.

    The other kernel keeps our input axis first (``(d, heads, d_k)``) or, with
    ``heads_first``, our output axis last (``(heads, d_v, d)``); any other
    shape is refused, even one with as many numbers.
    """
    kernel = np.asarray(ops.convert_to_numpy(kernel))
    ours = tuple(dense.kernel.shape)
    kept = -1 if heads_first else 0  # the axis that both kernels share
    if kernel.ndim < 2 or kernel.size != np.prod(ours) or kernel.shape[kept] != ours[kept]:
        raise ValueError(
            f"the layers' sizes differ: our {dense.name} kernel {ours} "
            f"against {tuple(kernel.shape)}"
        )
    values = [kernel.reshape(ours)]
    if dense.use_bias:
        values.append(np.reshape(ops.convert_to_numpy(bias), dense.bias.shape))
    dense.set_weights(values)


def mha_weights_from_keras(ours, theirs):
    """Copies a built ``keras.layers.MultiHeadAttention``'s weights into our built layer.

    Args:
        ours: a built :class:`MultiHeadAttention`.
        theirs: a built ``keras.layers.MultiHeadAttention`` with the same
            heads and sizes.

    Returns:
        ``ours``, for chaining.
    """
    if not isinstance(ours, MultiHeadAttention) or not ours.built:
        raise TypeError(f"ours must be a built companion MultiHeadAttention (got {ours!r:.80})")
    if not getattr(theirs, "built", False) or not hasattr(theirs, "_query_dense"):
        raise TypeError(
            f"theirs must be a built keras.layers.MultiHeadAttention (got {theirs!r:.80})"
        )
    sizes = (ours.num_heads, ours.key_dim, ours.value_dim, ours.use_bias)
    their_sizes = (theirs.num_heads, theirs.key_dim, theirs.value_dim, theirs._use_bias)
    if sizes != their_sizes:
        raise ValueError(
            "the layers' heads differ: (num_heads, key_dim, value_dim, use_bias) "
            f"= {sizes} for ours against {their_sizes} for Keras's"
        )
    pairs = (
        (ours.query_dense, theirs._query_dense),
        (ours.key_dense, theirs._key_dense),
        (ours.value_dense, theirs._value_dense),
        (ours.output_dense, theirs._output_dense),
    )
    for dense, einsum in pairs:
        heads_first = dense is ours.output_dense  # (heads, d_v, d): heads on the input side
        _set(dense, einsum.kernel, einsum.bias if dense.use_bias else None, heads_first)
    return ours


def _norm(ours, theirs):
    values = [ops.convert_to_numpy(w) for w in theirs.weights]
    if [v.shape for v in values] != [tuple(w.shape) for w in ours.weights]:
        raise ValueError(
            f"the layers' sizes differ: our {ours.name} weights "
            f"{[tuple(w.shape) for w in ours.weights]} against {[v.shape for v in values]}"
        )
    ours.set_weights(values)


def block_weights_from_keras_hub(ours, theirs):
    """Copies a keras-hub ``TransformerEncoder`` or ``TransformerDecoder``'s weights into ours.

    Args:
        ours: a built :class:`TransformerEncoderBlock` or :class:`TransformerDecoderBlock`.
        theirs: the built keras-hub layer of the same kind and sizes.

    Returns:
        ``ours``, for chaining.
    """
    if not isinstance(ours, (TransformerEncoderBlock, TransformerDecoderBlock)) or not ours.built:
        raise TypeError(f"ours must be a built companion Transformer block (got {ours!r:.80})")
    if not getattr(theirs, "built", False) or not hasattr(theirs, "_feedforward_output_dense"):
        raise TypeError(
            "theirs must be a built keras_hub.layers.TransformerEncoder or TransformerDecoder "
            f"(got {theirs!r:.80})"
        )
    decoder = isinstance(ours, TransformerDecoderBlock)
    their_kind = "decoder" if hasattr(theirs, "_cross_attention_layer") else "encoder"
    their_cross = getattr(theirs, "_cross_attention_layer", None) is not None
    our_cross = getattr(ours, "cross_attention", False)
    if (their_kind == "decoder") != decoder or their_cross != our_cross:
        raise ValueError(
            "the blocks differ: an encoder block takes a keras-hub TransformerEncoder and a "
            "decoder block a TransformerDecoder, both with or both without cross-attention "
            f"(got our {type(ours).__name__} with cross_attention={our_cross}, and a "
            f"keras-hub {their_kind} with cross-attention={their_cross})"
        )
    mha_weights_from_keras(ours.self_attention, theirs._self_attention_layer)
    _norm(ours.self_attention_norm, theirs._self_attention_layer_norm)
    if getattr(ours, "cross_attention", False):
        mha_weights_from_keras(ours.cross_attention_layer, theirs._cross_attention_layer)
        _norm(ours.cross_attention_norm, theirs._cross_attention_layer_norm)
    _norm(ours.feedforward_norm, theirs._feedforward_layer_norm)
    for dense, their_dense in (
        (ours.feedforward_intermediate, theirs._feedforward_intermediate_dense),
        (ours.feedforward_output, theirs._feedforward_output_dense),
    ):
        _set(dense, their_dense.kernel, their_dense.bias)
    return ours
