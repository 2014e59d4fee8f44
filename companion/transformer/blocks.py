r"""The Transformer's two blocks: the encoder block and the decoder block (deck ``004_…``).

An encoder block is self-attention then a position-wise feed-forward
network, each wrapped in a residual connection and a layer normalisation.
In the paper the normalisation comes after the residual sum (post-norm):

.. math::

    z = \operatorname{LN}(x + \operatorname{MHA}(x, x)), \qquad
    y = \operatorname{LN}(z + W_2\, \operatorname{ReLU}(W_1 z + b_1) + b_2).

GPT-2 and the Vision Transformer normalise first (pre-norm,
``normalize_first=True``), which trains deep stacks without a warm-up:

.. math::

    z = x + \operatorname{MHA}(\operatorname{LN}(x)), \qquad
    y = z + \operatorname{FFN}(\operatorname{LN}(z)).

A decoder block has a *causal* self-attention (position :math:`i` sees
:math:`j \le i`) and, in an encoder-decoder, a cross-attention whose queries
are the decoder's states and whose keys and values are the encoder's
outputs. Layer names follow ``keras_hub.layers.TransformerEncoder`` and
``TransformerDecoder``; given the same weights the blocks compute the same
outputs (:func:`~companion.transformer.block_weights_from_keras_hub`).
"""

import keras
from keras import ops

from companion.checks import check_activation, check_bool, check_float, check_int, check_rank
from companion.transformer.attention import MultiHeadAttention
from companion.transformer.masks import attention_mask
from companion.transformer.tuning import BottleneckAdapter, check_lora


class _Block(keras.layers.Layer):
    """What both blocks share: hyper-parameters, sub-layers, the residual wrapper."""

    def __init__(
        self,
        intermediate_dim,
        num_heads,
        dropout=0.0,
        activation="relu",
        layer_norm_epsilon=1e-5,
        normalize_first=False,
        lora_rank=0,
        lora_alpha=None,
        adapter_dim=0,
        prefix_length=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.intermediate_dim = check_int("intermediate_dim", intermediate_dim, minimum=1)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        self.dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0, open_maximum=True)
        self.activation = check_activation("activation", activation)
        self.layer_norm_epsilon = check_float("layer_norm_epsilon", layer_norm_epsilon, 0.0)
        self.normalize_first = check_bool("normalize_first", normalize_first)
        self.lora_rank, self.lora_alpha = check_lora(lora_rank, lora_alpha)
        self.adapter_dim = check_int("adapter_dim", adapter_dim, minimum=0)
        self.prefix_length = check_int("prefix_length", prefix_length, minimum=0)
        self.supports_masking = True

    def _attention(self, name, hidden_dim, key_dim, value_dim=None, prefix=True):
        layer = MultiHeadAttention(
            self.num_heads,
            key_dim,
            dropout=self.dropout,
            lora_rank=self.lora_rank,
            lora_alpha=self.lora_alpha,
            prefix_length=self.prefix_length if prefix else 0,
            dtype=self.dtype_policy,
            name=name,
        )
        layer.build((None, None, hidden_dim), (None, None, value_dim or hidden_dim))
        return layer

    def _adapter(self, name, hidden_dim):
        """A :class:`BottleneckAdapter` after a sub-layer, or `None` without ``adapter_dim``."""
        if not self.adapter_dim:
            return None
        layer = BottleneckAdapter(self.adapter_dim, dtype=self.dtype_policy, name=name)
        layer.build((None, None, hidden_dim))
        return layer

    def _norm(self, name, hidden_dim):
        layer = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name=name
        )
        layer.build((None, None, hidden_dim))
        return layer

    def _dropout(self, name):
        return keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name=name)

    def _check_hidden_dim(self, shape):
        hidden_dim = shape[-1]
        if hidden_dim is None or hidden_dim < self.num_heads:
            raise ValueError(
                f"the inputs' last axis must hold at least num_heads={self.num_heads} "
                f"features, split between the heads (got shape {tuple(shape)})"
            )
        return hidden_dim, hidden_dim // self.num_heads

    def _build_feedforward(self, hidden_dim):
        self.feedforward_norm = self._norm("feedforward_layer_norm", hidden_dim)
        self.feedforward_intermediate = keras.layers.Dense(
            self.intermediate_dim,
            activation=self.activation,
            dtype=self.dtype_policy,
            name="feedforward_intermediate_dense",
        )
        self.feedforward_intermediate.build((None, None, hidden_dim))
        self.feedforward_output = keras.layers.Dense(
            hidden_dim, dtype=self.dtype_policy, name="feedforward_output_dense"
        )
        self.feedforward_output.build((None, None, self.intermediate_dim))
        self.feedforward_dropout = self._dropout("feedforward_dropout")

    def feedforward(self, x):
        r""":math:`\operatorname{FFN}(z) = W_2\, \sigma(W_1 z + b_1) + b_2`, at each position."""
        return self.feedforward_output(self.feedforward_intermediate(x))  # (B, T, d)

    def residual(self, x, sublayer, norm, dropout, training, adapter=None):
        """``LN(x + F(x))`` (post-norm) or ``x + F(LN(x))`` (pre-norm); F returns a tuple.

        With an adapter, ``F(x)`` becomes ``Adapter(F(x))`` (Houlsby et al.).
        """
        inner = norm(x) if self.normalize_first else x
        y, *extras = sublayer(inner)
        if adapter is not None:
            y = adapter(y)  # (B, T, d) = y + W_up s(W_down y)
        x = x + dropout(y, training=training)  # the residual connection
        return (x if self.normalize_first else norm(x)), extras

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "intermediate_dim": self.intermediate_dim,
                "num_heads": self.num_heads,
                "dropout": self.dropout,
                "activation": keras.activations.serialize(self.activation),
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "normalize_first": self.normalize_first,
                "lora_rank": self.lora_rank,
                "lora_alpha": self.lora_alpha,
                "adapter_dim": self.adapter_dim,
                "prefix_length": self.prefix_length,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class TransformerEncoderBlock(_Block):
    r"""Self-attention and a feed-forward network, each with a residual and a layer norm.

    Equal to ``keras_hub.layers.TransformerEncoder`` given the same weights.

    Args:
        intermediate_dim: int >= 1. Width of the feed-forward network's hidden layer.
        num_heads: int >= 1. Attention heads; each gets ``d // num_heads`` features.
        dropout: float in [0, 1). On the attention weights and each residual
            branch. Defaults to `0.0`.
        activation: the feed-forward network's activation. Defaults to `"relu"`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
        normalize_first: bool. Pre-norm (`True`) or the paper's post-norm.
            Defaults to `False`.
        lora_rank, lora_alpha: LoRA on the query and value projections
            (:class:`~companion.transformer.LoRADense`); rank 0 is none.
            Defaults to `0` and `None`.
        adapter_dim: int >= 0. A :class:`~companion.transformer.BottleneckAdapter`
            of this width after self-attention and after the feed-forward
            network; 0 is none. Defaults to `0`.
        prefix_length: int >= 0. Learned prefix keys and values in the
            self-attention (prefix-tuning); 0 is none. Defaults to `0`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: float tensor ``(batch, time, d)``.
        padding_mask: bool tensor ``(batch, time)`` or `None`; `True` at real tokens.
        return_weights: bool. Also return the weights ``(batch, heads, time, time)``.
        training: bool.

    Returns:
        float tensor ``(batch, time, d)``, and the attention weights when asked.

    Example:

    >>> block = TransformerEncoderBlock(intermediate_dim=16, num_heads=2)
    >>> keras.ops.convert_to_numpy(block(np.ones((1, 3, 8), "float32"))).shape
    (1, 3, 8)
    """

    def build(self, inputs_shape):
        hidden_dim, key_dim = self._check_hidden_dim(inputs_shape)
        self.self_attention = self._attention("self_attention_layer", hidden_dim, key_dim)
        self.self_attention_norm = self._norm("self_attention_layer_norm", hidden_dim)
        self.self_attention_dropout = self._dropout("self_attention_dropout")
        self._build_feedforward(hidden_dim)
        self.self_attention_adapter = self._adapter("self_attention_adapter", hidden_dim)
        self.feedforward_adapter = self._adapter("feedforward_adapter", hidden_dim)

    def call(self, inputs, padding_mask=None, return_weights=False, training=None):
        check_rank("inputs", inputs.shape, 3, "(batch, time, features)")
        mask = None
        if padding_mask is not None:
            mask = attention_mask(padding_mask)  # (B, T, T): every real token sees every real one

        def attend(x):
            return self.self_attention(
                x, x, attention_mask=mask, return_weights=True, training=training
            )

        x, (weights,) = self.residual(
            inputs,
            attend,
            self.self_attention_norm,
            self.self_attention_dropout,
            training,
            self.self_attention_adapter,
        )
        x, _ = self.residual(
            x,
            lambda z: (self.feedforward(z),),
            self.feedforward_norm,
            self.feedforward_dropout,
            training,
            self.feedforward_adapter,
        )
        return (x, weights) if return_weights else x


@keras.saving.register_keras_serializable(package="companion")
class TransformerDecoderBlock(_Block):
    r"""Causal self-attention, optional cross-attention to an encoder, and a feed-forward network.

    Equal to ``keras_hub.layers.TransformerDecoder`` given the same weights.
    With a key/value ``cache`` of shape ``(batch, 2, max_length, heads, d_k)``
    the block processes only the new positions starting at ``cache_index``
    and returns the cache with their keys and values written in; feeding a
    sequence one position at a time this way gives exactly the outputs of
    the full causal pass.

    Args:
        intermediate_dim: int >= 1. Width of the feed-forward network's hidden layer.
        num_heads: int >= 1. Attention heads.
        cross_attention: bool. Whether the block attends to an encoder's
            outputs (encoder-decoder) or not (decoder-only). Defaults to `False`.
        dropout, activation, layer_norm_epsilon, normalize_first: as in
            :class:`TransformerEncoderBlock`.
        lora_rank, lora_alpha, adapter_dim, prefix_length: as in
            :class:`TransformerEncoderBlock` (LoRA also in the cross-attention).
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        inputs: float tensor ``(batch, time, d)``.
        encoder_outputs: float tensor ``(batch, S, d)``; required with
            cross-attention, refused without.
        encoder_padding_mask: bool tensor ``(batch, S)`` or `None`.
        decoder_padding_mask: bool tensor ``(batch, time)`` (or ``(batch,
            max_length)`` with a cache) or `None`. Padding at the end needs
            none: causal attention never looks ahead to it.
        cache: float tensor ``(batch, 2, max_length, heads, d_k)`` or `None`.
        cache_index: int or int tensor. Position of the first input step.
        return_weights: bool. Also return ``{"self": ..., "cross": ...}`` weights.
        training: bool.

    Returns:
        ``outputs`` ``(batch, time, d)``, followed by the weights when asked
        and by the updated cache when one was given.
    """

    def __init__(self, intermediate_dim, num_heads, cross_attention=False, **kwargs):
        super().__init__(intermediate_dim, num_heads, **kwargs)
        self.cross_attention = check_bool("cross_attention", cross_attention)

    def build(self, inputs_shape, encoder_outputs_shape=None):
        hidden_dim, key_dim = self._check_hidden_dim(inputs_shape)
        self.self_attention = self._attention("self_attention", hidden_dim, key_dim)
        self.self_attention_norm = self._norm("self_attention_layer_norm", hidden_dim)
        self.self_attention_dropout = self._dropout("self_attention_dropout")
        if self.cross_attention:
            encoder_dim = hidden_dim if encoder_outputs_shape is None else encoder_outputs_shape[-1]
            self.cross_attention_layer = self._attention(
                "cross_attention", hidden_dim, key_dim, encoder_dim, prefix=False
            )
            self.cross_attention_norm = self._norm("cross_attention_layer_norm", hidden_dim)
            self.cross_attention_dropout = self._dropout("cross_attention_dropout")
        self._build_feedforward(hidden_dim)
        self.self_attention_adapter = self._adapter("self_attention_adapter", hidden_dim)
        self.feedforward_adapter = self._adapter("feedforward_adapter", hidden_dim)

    def _check_encoder(self, encoder_outputs):
        if self.cross_attention and encoder_outputs is None:
            raise ValueError(
                "encoder_outputs must be given: this block was made with cross_attention=True "
                "(got encoder_outputs=None)"
            )
        if not self.cross_attention and encoder_outputs is not None:
            raise ValueError(
                "encoder_outputs must be None: this block was made with cross_attention=False "
                f"(got a tensor of shape {tuple(encoder_outputs.shape)})"
            )

    def call(
        self,
        inputs,
        encoder_outputs=None,
        encoder_padding_mask=None,
        decoder_padding_mask=None,
        cache=None,
        cache_index=None,
        return_weights=False,
        training=None,
    ):
        check_rank("inputs", inputs.shape, 3, "(batch, time, features)")
        self._check_encoder(encoder_outputs)
        if (cache is None) != (cache_index is None):
            raise ValueError(
                "cache and cache_index must be given together "
                f"(got cache={'a tensor' if cache is not None else None}, "
                f"cache_index={cache_index})"
            )
        length = ops.shape(inputs)[1]
        self_mask = attention_mask(
            decoder_padding_mask,
            causal=True,
            query_length=length,
            key_length=None if cache is None else ops.shape(cache)[2],
            start_index=0 if cache is None else cache_index,
        )  # (B, T, T), or (B, T, max_length) with a cache
        weights = {}

        def attend_to_itself(x):
            results = self.self_attention(
                x,
                x,
                attention_mask=self_mask,
                cache=cache,
                cache_index=cache_index,
                return_weights=True,
                training=training,
            )
            weights["self"] = results[1]
            return results[0], *results[2:]

        x, new_cache = self.residual(
            inputs,
            attend_to_itself,
            self.self_attention_norm,
            self.self_attention_dropout,
            training,
            self.self_attention_adapter,
        )
        if self.cross_attention:
            cross_mask = None
            if encoder_padding_mask is not None:
                cross_mask = attention_mask(encoder_padding_mask, query_length=length)

            def attend_to_encoder(x):
                out, weights["cross"] = self.cross_attention_layer(
                    x,
                    encoder_outputs,
                    attention_mask=cross_mask,
                    return_weights=True,
                    training=training,
                )
                return (out,)

            x, _ = self.residual(
                x,
                attend_to_encoder,
                self.cross_attention_norm,
                self.cross_attention_dropout,
                training,
            )
        x, _ = self.residual(
            x,
            lambda z: (self.feedforward(z),),
            self.feedforward_norm,
            self.feedforward_dropout,
            training,
            self.feedforward_adapter,
        )
        results = (x,) + ((weights,) if return_weights else ()) + tuple(new_cache)
        return results[0] if len(results) == 1 else results

    def get_config(self):
        config = super().get_config()
        config["cross_attention"] = self.cross_attention
        return config
