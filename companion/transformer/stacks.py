r"""Stacks of blocks: a Transformer encoder and a Transformer decoder, ids in.

The encoder (deck ``004_…``): embed the tokens, add their positions, then
:math:`N` encoder blocks, :math:`H^{(l)} = \operatorname{Block}_l(H^{(l-1)})`.
The decoder does the same with decoder blocks and ends with the output
layer: a linear map to one score per vocabulary entry, whose softmax is the
next-token distribution :math:`p(w_{t+1} \mid w_{\le t}) =
\operatorname{softmax}(W_o h_t + b_o)`.

A pre-norm stack (``normalize_first=True``) ends with one more layer
normalisation, as GPT-2 does, since its last block's output is not normalised.
"""

import keras
from keras import ops

from companion.checks import check_bool, check_float, check_int, check_rank, concrete_values
from companion.transformer.blocks import TransformerDecoderBlock, TransformerEncoderBlock
from companion.transformer.masks import padding_mask
from companion.transformer.positional import TokenAndPositionEmbedding
from companion.transformer.tuning import SoftPrompt, check_lora


class _Stack(keras.layers.Layer):
    """Hyper-parameters, the embedding and the final norm that both stacks share."""

    def __init__(
        self,
        vocabulary_size,
        sequence_length,
        hidden_dim=64,
        num_layers=2,
        num_heads=4,
        intermediate_dim=None,
        dropout=0.0,
        normalize_first=False,
        positions="learned",
        lora_rank=0,
        lora_alpha=None,
        adapter_dim=0,
        prefix_length=0,
        prompt_length=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=2)
        self.sequence_length = check_int("sequence_length", sequence_length, minimum=1)
        self.hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        if self.hidden_dim % self.num_heads:
            raise ValueError(
                "hidden_dim must be a multiple of num_heads, so each head gets "
                f"hidden_dim // num_heads features (got hidden_dim={hidden_dim}, "
                f"num_heads={num_heads})"
            )
        intermediate_dim = 4 * self.hidden_dim if intermediate_dim is None else intermediate_dim
        self.intermediate_dim = check_int("intermediate_dim", intermediate_dim, minimum=1)
        self.dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0, open_maximum=True)
        self.normalize_first = check_bool("normalize_first", normalize_first)
        self.lora_rank, self.lora_alpha = check_lora(lora_rank, lora_alpha)
        self.adapter_dim = check_int("adapter_dim", adapter_dim, minimum=0)
        self.prefix_length = check_int("prefix_length", prefix_length, minimum=0)
        self.prompt_length = check_int("prompt_length", prompt_length, minimum=0)
        self.soft_prompt = None
        if self.prompt_length:
            self.soft_prompt = SoftPrompt(
                self.prompt_length, dtype=self.dtype_policy, name="soft_prompt"
            )
        self.embedding = TokenAndPositionEmbedding(
            self.vocabulary_size,
            self.hidden_dim,
            self.sequence_length,
            positions=positions,
            dtype=self.dtype_policy,
            name="embedding",
        )
        self.positions = self.embedding.positions
        self.embedding_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        self.final_norm = None
        if self.normalize_first:
            self.final_norm = keras.layers.LayerNormalization(
                epsilon=1e-5, dtype=self.dtype_policy, name="final_layer_norm"
            )

    @property
    def head_dim(self):
        return self.hidden_dim // self.num_heads

    def _block_options(self):
        return {
            "intermediate_dim": self.intermediate_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "normalize_first": self.normalize_first,
            "lora_rank": self.lora_rank,
            "lora_alpha": self.lora_alpha,
            "adapter_dim": self.adapter_dim,
            "prefix_length": self.prefix_length,
            "dtype": self.dtype_policy,
        }

    def _embed(self, ids, start_index=0, training=None):
        ids = ops.convert_to_tensor(ids)
        check_rank("ids", ids.shape, 2, "(batch, time)")
        x = self.embedding(ids, start_index=start_index)  # (B, T, d) = E[w] + P
        return self.embedding_dropout(x, training=training)

    def _prompt(self, x, real):
        """Prompt-tuning: the learned vectors go before the tokens (nothing without any)."""
        return (x, real) if self.soft_prompt is None else self.soft_prompt(x, real)

    def _finish(self, x):
        """Drops the prompt's positions (it is read, not returned), then the final norm."""
        x = x[:, self.prompt_length :]  # (B, T, d)
        return x if self.final_norm is None else self.final_norm(x)

    def _build_prompt(self):
        if self.soft_prompt is not None:
            self.soft_prompt.build((None, None, self.hidden_dim))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "sequence_length": self.sequence_length,
                "hidden_dim": self.hidden_dim,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "dropout": self.dropout,
                "normalize_first": self.normalize_first,
                "positions": self.positions,
                "lora_rank": self.lora_rank,
                "lora_alpha": self.lora_alpha,
                "adapter_dim": self.adapter_dim,
                "prefix_length": self.prefix_length,
                "prompt_length": self.prompt_length,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class TransformerEncoder(_Stack):
    r"""Ids -> contextual vectors: embedding, positions and :math:`N` encoder blocks.

    Id 0 is padding: no token attends to it.

    Args:
        vocabulary_size: int >= 2. Number of ids.
        sequence_length: int >= 1. Longest input (rows of the learned positions).
        hidden_dim: int. :math:`d`. Defaults to `64`.
        num_layers: int. :math:`N`. Defaults to `2`.
        num_heads: int. Must divide ``hidden_dim``. Defaults to `4`.
        intermediate_dim: int or `None`. Feed-forward width; `None` gives
            :math:`4d`. Defaults to `None`.
        dropout: float in [0, 1). Defaults to `0.0`.
        normalize_first: bool. Pre-norm blocks. Defaults to `False`.
        positions: ``"learned"`` or ``"sinusoidal"``. Defaults to `"learned"`.
        lora_rank, lora_alpha, adapter_dim, prefix_length: the tuning layers
            of every block, as in :class:`TransformerEncoderBlock`; 0 is none.
        prompt_length: int >= 0. A :class:`~companion.transformer.SoftPrompt`
            of this many learned vectors before the tokens (prompt-tuning);
            the outputs keep only the tokens' positions. Defaults to `0`.
        **kwargs: passed to ``keras.layers.Layer``.

    Call arguments:
        ids: int tensor ``(batch, time)``, padded with 0.
        return_weights: bool. Also return each block's weights
            ``(batch, heads, time, time)``, as a list.
        training: bool.

    Returns:
        ``(outputs, padding_mask)``: float ``(batch, time, d)`` and bool
        ``(batch, time)``, then the list of weights when asked.
    """

    def build(self, ids_shape):
        self.embedding.build(ids_shape)
        self._build_prompt()
        self.blocks = []
        for index in range(self.num_layers):
            block = TransformerEncoderBlock(**self._block_options(), name=f"block_{index}")
            block.build((None, None, self.hidden_dim))
            self.blocks.append(block)
        if self.final_norm is not None:
            self.final_norm.build((None, None, self.hidden_dim))

    def call(self, ids, return_weights=False, training=None):
        real = padding_mask(ids)  # (B, T)
        x = self._embed(ids, training=training)  # (B, T, d)
        x, seen = self._prompt(x, real)  # (B, P + T, d), (B, P + T); P = 0 without a prompt
        weights = []
        for block in self.blocks:
            x, block_weights = block(x, padding_mask=seen, return_weights=True, training=training)
            weights.append(block_weights)  # (B, H, P + T, P + T)
        x = self._finish(x)
        return (x, real, weights) if return_weights else (x, real)


@keras.saving.register_keras_serializable(package="companion")
class TransformerDecoder(_Stack):
    r"""Ids -> next-token logits: embedding, :math:`N` causal decoder blocks, the output layer.

    With ``cross_attention=True`` every block also attends to an encoder's
    outputs (the encoder-decoder); without, it is a decoder-only language
    model (GPT).

    Args:
        vocabulary_size: int >= 2. Number of ids.
        sequence_length: int >= 1. Longest input, and the length of the
            key/value cache.
        cross_attention: bool. Defaults to `False`.
        **kwargs: ``hidden_dim``, ``num_layers``, ``num_heads``,
            ``intermediate_dim``, ``dropout``, ``normalize_first`` and
            ``positions`` as in :class:`TransformerEncoder`; the rest goes to
            ``keras.layers.Layer``.

    Call arguments:
        ids: int tensor ``(batch, time)``.
        encoder_outputs: float tensor ``(batch, S, d)``, with cross-attention only.
        encoder_padding_mask: bool tensor ``(batch, S)`` or `None`.
        cache: float tensor of :meth:`empty_cache`'s shape, or `None`.
        cache_index: int or int tensor. Position of ``ids[:, 0]`` when cached.
        return_weights: bool. Also return each block's weights, as a list of dicts.
        training: bool.

    Returns:
        ``(logits, hidden)``: float ``(batch, time, vocabulary_size)`` and the
        last block's (normalised) outputs ``(batch, time, d)``; then the
        weights when asked and the updated cache when one was given.
    """

    def __init__(self, vocabulary_size, sequence_length, cross_attention=False, **kwargs):
        super().__init__(vocabulary_size, sequence_length, **kwargs)
        self.cross_attention = check_bool("cross_attention", cross_attention)

    def build(self, ids_shape, *args, **kwargs):
        self.embedding.build(ids_shape)
        self._build_prompt()
        self.blocks = []
        for index in range(self.num_layers):
            block = TransformerDecoderBlock(
                **self._block_options(),
                cross_attention=self.cross_attention,
                name=f"block_{index}",
            )
            block.build((None, None, self.hidden_dim), (None, None, self.hidden_dim))
            self.blocks.append(block)
        if self.final_norm is not None:
            self.final_norm.build((None, None, self.hidden_dim))
        self.output_layer = keras.layers.Dense(
            self.vocabulary_size, dtype=self.dtype_policy, name="output_layer"
        )
        self.output_layer.build((None, None, self.hidden_dim))

    def empty_cache(self, batch_size):
        """Zeros ``(batch, num_layers, 2, sequence_length, heads, head_dim)``: nothing cached."""
        shape = (self.num_layers, 2, self.sequence_length, self.num_heads, self.head_dim)
        return ops.zeros((batch_size, *shape), self.compute_dtype)

    def call(
        self,
        ids,
        encoder_outputs=None,
        encoder_padding_mask=None,
        cache=None,
        cache_index=None,
        return_weights=False,
        training=None,
    ):
        start = 0 if cache is None else cache_index
        if cache is not None:
            self._check_cache_room(ids, cache_index)
        x = self._embed(ids, start_index=start, training=training)  # (B, T, d)
        x, _ = self._prompt(x, None)  # (B, P + T, d): causal, every token sees the prompt
        weights, layer_caches = [], []
        for layer, block in enumerate(self.blocks):
            results = block(
                x,
                encoder_outputs=encoder_outputs,
                encoder_padding_mask=encoder_padding_mask,
                cache=None if cache is None else cache[:, layer],
                cache_index=cache_index,
                return_weights=True,
                training=training,
            )
            x, block_weights = results[0], results[1]  # (B, T, d), {"self", "cross"}
            weights.append(block_weights)
            if cache is not None:
                layer_caches.append(results[2])  # (B, 2, L, H, dk)
        hidden = self._finish(x)  # (B, T, d)
        logits = self.output_layer(hidden)  # (B, T, V) = W_o h_t + b_o
        results = (logits, hidden) + ((weights,) if return_weights else ())
        if cache is not None:
            results += (ops.stack(layer_caches, axis=1),)  # (B, N, 2, L, H, dk)
        return results

    def _check_cache_room(self, ids, cache_index):
        """A clear error when the cached steps would run past the cache (eager calls)."""
        if self.prompt_length:
            raise ValueError(
                "cache must be None with a soft prompt: the cached decoder does not hold the "
                f"prompt's keys and values (got prompt_length={self.prompt_length})"
            )
        index = cache_index if isinstance(cache_index, int) else concrete_values(cache_index)
        steps = ids.shape[1]
        if index is None or steps is None:  # traced: the values do not exist yet
            return
        if not 0 <= int(index) <= self.sequence_length - steps:
            raise ValueError(
                f"cache_index must be in [0, sequence_length - time] = [0, "
                f"{self.sequence_length - steps}] for {steps} new ids and a cache of "
                f"{self.sequence_length} positions (got cache_index={int(index)})"
            )

    def get_config(self):
        config = super().get_config()
        config["cross_attention"] = self.cross_attention
        return config
