r"""The three Transformer types of deck ``003_…``, and a forecaster.

* **encoder-only** (BERT): :class:`MaskedLanguageModel`, pre-trained by
  hiding tokens and predicting them from both sides (:func:`mask_tokens`);
* **decoder-only** (GPT): :class:`TransformerLanguageModel`, the next token
  from the tokens before it, :math:`p(w_{t+1} \mid w_{\le t})`;
* **encoder-decoder** (the original Transformer): :class:`TransformerSeq2Seq`,
  :math:`p(T \mid S)`, a drop-in for chapter 4's recurrent
  :class:`~companion.seq2seq.Seq2Seq` (the same inputs, the same greedy loop);
* :func:`build_forecaster`: a causal Transformer on a real-valued series.
"""

import keras
import numpy as np
from keras import ops

from companion import seq2seq
from companion.checks import check_float, check_int, check_rank
from companion.transformer.blocks import TransformerDecoderBlock
from companion.transformer.positional import SinusoidalPositionEncoding
from companion.transformer.stacks import TransformerDecoder, TransformerEncoder

_ARCHITECTURE_OPTIONS = (  # the stack's shape; a tuned copy keeps these
    "hidden_dim",
    "num_layers",
    "num_heads",
    "intermediate_dim",
    "dropout",
    "normalize_first",
    "positions",
)
_STACK_OPTIONS = _ARCHITECTURE_OPTIONS + (
    "lora_rank",
    "lora_alpha",
    "adapter_dim",
    "prefix_length",
    "prompt_length",
)


def mask_tokens(ids, mask_id, vocabulary_size, rate=0.15, seed=0, first_regular_id=4):
    """BERT's corruption: choose ``rate`` of the real tokens; mask 80%, randomise 10%, keep 10%.

    The model sees the corrupted ids and is scored on the chosen positions only.

    Args:
        ids: int array ``(N, T)``, padded with 0.
        mask_id: int. The ``[MASK]`` id.
        vocabulary_size: int. Random replacements are drawn from
            ``[first_regular_id, vocabulary_size)``.
        rate: float in (0, 1). Share of real tokens chosen. Defaults to `0.15`.
        seed: int. NumPy seed. Defaults to `0`.
        first_regular_id: int. Ids below it (padding, OOV, start, end) are
            never chosen nor drawn. Defaults to `4`.

    Returns:
        ``(inputs, labels, weights)``: the corrupted ids, the original ids,
        and float32 weights, 1 at chosen positions and 0 elsewhere.

    Example:

    >>> inputs, labels, weights = mask_tokens(np.array([[5, 6, 7, 0]]), 4, 10, rate=0.5)
    >>> weights.shape, labels.tolist()
    ((1, 4), [[5, 6, 7, 0]])
    """
    ids = np.asarray(ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be (N, T) int ids (got shape {ids.shape}, dtype {ids.dtype})")
    mask_id = check_int("mask_id", mask_id, minimum=0)
    vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=first_regular_id + 1)
    rate = check_float("rate", rate, minimum=0.0, maximum=1.0, open_minimum=True, open_maximum=True)
    rng = np.random.default_rng(seed)
    chosen = (rng.random(ids.shape) < rate) & (ids >= first_regular_id)  # (N, T)
    action = rng.random(ids.shape)  # < 0.8: [MASK], < 0.9: random token, else kept
    random_ids = rng.integers(first_regular_id, vocabulary_size, ids.shape)
    inputs = np.where(chosen & (action < 0.8), mask_id, ids)
    inputs = np.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs.astype(np.int32), ids.astype(np.int32), chosen.astype(np.float32)


def _stack_config(stack):
    config = stack.get_config()
    return {key: config[key] for key in _STACK_OPTIONS}


@keras.saving.register_keras_serializable(package="companion")
class MaskedLanguageModel(keras.Model):
    r"""Encoder-only (BERT): contextual vectors from both sides, and a token guess at each.

    .. math::

        p(w_t \mid \tilde w_{1..T}) = \operatorname{softmax}(W_o h_t + b_o),
        \qquad H = \operatorname{Encoder}(\tilde w_{1..T})

    where :math:`\tilde w` is the corrupted input of :func:`mask_tokens`.

    Args:
        vocabulary_size: int >= 2. Number of ids (0 is padding).
        sequence_length: int >= 1. Longest input.
        **options: ``hidden_dim``, ``num_layers``, ``num_heads``,
            ``intermediate_dim``, ``dropout``, ``normalize_first``,
            ``positions`` and the tuning layers (``lora_rank``, ``lora_alpha``,
            ``adapter_dim``, ``prefix_length``, ``prompt_length``), as in
            :class:`TransformerEncoder`; the rest goes to ``keras.Model``.

    Call arguments:
        ids: int tensor ``(batch, time)``.

    Returns:
        logits ``(batch, time, vocabulary_size)``.
    """

    def __init__(self, vocabulary_size, sequence_length, **options):
        stack_options = {k: options.pop(k) for k in _STACK_OPTIONS if k in options}
        super().__init__(**options)
        self.encoder = TransformerEncoder(
            vocabulary_size,
            sequence_length,
            dtype=self.dtype_policy,
            name="encoder",
            **stack_options,
        )
        self.output_layer = keras.layers.Dense(
            vocabulary_size, dtype=self.dtype_policy, name="output_layer"
        )

    def call(self, ids, training=None):
        hidden, _ = self.encoder(ids, training=training)  # (B, T, d)
        return self.output_layer(hidden)  # (B, T, V)

    def attention_weights(self, ids):
        """Every block's weights, a list of ``(batch, heads, time, time)`` tensors."""
        return self.encoder(ids, return_weights=True)[2]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.encoder.vocabulary_size,
                "sequence_length": self.encoder.sequence_length,
                **_stack_config(self.encoder),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class TransformerLanguageModel(keras.Model):
    r"""Decoder-only (GPT): :math:`p(w_{t+1} \mid w_{\le t}) = \mathrm{softmax}(W_o h_t + b_o)`.

    Args:
        vocabulary_size: int >= 2. Number of ids.
        sequence_length: int >= 1. Context length (and cache length).
        **options: as in :class:`MaskedLanguageModel`.

    Call arguments:
        ids: int tensor ``(batch, time)``, ``time <= sequence_length``.

    Returns:
        next-token logits ``(batch, time, vocabulary_size)``.

    Example:

    >>> model = TransformerLanguageModel(20, 8, hidden_dim=16, num_heads=2, num_layers=1)
    >>> keras.ops.convert_to_numpy(model(np.ones((2, 5), "int32"))).shape
    (2, 5, 20)
    """

    def __init__(self, vocabulary_size, sequence_length, **options):
        stack_options = {k: options.pop(k) for k in _STACK_OPTIONS if k in options}
        super().__init__(**options)
        self.decoder = TransformerDecoder(
            vocabulary_size,
            sequence_length,
            dtype=self.dtype_policy,
            name="decoder",
            **stack_options,
        )

    def call(self, ids, training=None):
        return self.decoder(ids, training=training)[0]  # (B, T, V)

    def empty_cache(self, batch_size):
        """Zeros ``(batch, num_layers, 2, sequence_length, heads, head_dim)``."""
        return self.decoder.empty_cache(batch_size)

    def next(self, ids, cache, index):
        """One cached step: the logits of ``ids`` at positions ``index ..``, hidden states, cache.

        Args:
            ids: int tensor ``(batch, time)``, usually ``time = 1``.
            cache: float tensor from :meth:`empty_cache` or an earlier call.
            index: int or int tensor. Position of ``ids[:, 0]``.

        Returns:
            ``(logits, hidden, cache)``: ``(batch, time, V)``, ``(batch, time,
            d)`` and the cache with the new keys and values.
        """
        logits, hidden, cache = self.decoder(ids, cache=cache, cache_index=index)
        return logits, hidden, cache

    def attention_weights(self, ids):
        """Every block's causal self-attention weights, ``(batch, heads, time, time)`` each."""
        return [w["self"] for w in self.decoder(ids, return_weights=True)[2]]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.decoder.vocabulary_size,
                "sequence_length": self.decoder.sequence_length,
                **_stack_config(self.decoder),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="companion")
class TransformerSeq2Seq(keras.Model):
    r"""Encoder-decoder: :math:`p(y_t \mid y_{<t}, S)` with cross-attention to the encoded source.

    Takes chapter 4's inputs ``(source_ids, decoder_inputs)`` and returns
    logits, so :func:`~companion.seq2seq.teacher_forcing_pairs` and
    :func:`~companion.seq2seq.greedy_translate` work unchanged. Both sides
    use sinusoidal positions by default (sources of any length).

    Args:
        source_vocabulary_size: int >= 2.
        target_vocabulary_size: int >= 2.
        target_length: int >= 1. Longest target, and the decoder cache's length.
        source_length: int >= 1. Longest source (learned positions only).
            Defaults to `512`.
        **options: as in :class:`MaskedLanguageModel`; ``positions`` defaults
            to `"sinusoidal"`.

    Call arguments:
        inputs: ``(source_ids, decoder_inputs)``, int ``(batch, S)`` and ``(batch, T)``.

    Returns:
        logits ``(batch, T, target_vocabulary_size)``.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        target_length,
        source_length=512,
        **options,
    ):
        stack_options = {k: options.pop(k) for k in _STACK_OPTIONS if k in options}
        stack_options.setdefault("positions", "sinusoidal")
        super().__init__(**options)
        self.encoder = TransformerEncoder(
            source_vocabulary_size,
            source_length,
            dtype=self.dtype_policy,
            name="encoder",
            **stack_options,
        )
        self.decoder = TransformerDecoder(
            target_vocabulary_size,
            target_length,
            cross_attention=True,
            dtype=self.dtype_policy,
            name="decoder",
            **stack_options,
        )

    def _split(self, inputs):
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise ValueError(
                f"inputs must be a pair (source_ids, decoder_inputs) (got {type(inputs).__name__})"
            )
        source, decoder_inputs = (ops.convert_to_tensor(t) for t in inputs)
        check_rank("source_ids", source.shape, 2, "(batch, source time)")
        check_rank("decoder_inputs", decoder_inputs.shape, 2, "(batch, target time)")
        return source, decoder_inputs

    def call(self, inputs, training=None):
        source, decoder_inputs = self._split(inputs)
        encoded, source_mask = self.encoder(source, training=training)  # (B, S, d), (B, S)
        logits, _ = self.decoder(
            decoder_inputs,
            encoder_outputs=encoded,
            encoder_padding_mask=source_mask,
            training=training,
        )
        return logits  # (B, T, V)

    def encode(self, source_ids):
        """``(encoder_outputs, [empty cache, 0], source_mask)``: where greedy decoding starts."""
        encoded, source_mask = self.encoder(source_ids)  # (B, S, d), (B, S)
        cache = self.decoder.empty_cache(ops.shape(source_ids)[0])
        return encoded, [cache, ops.convert_to_tensor(0, "int32")], source_mask

    @property
    def max_decode_steps(self):
        """The most decoder steps a cached loop can take: the cache's length."""
        return self.decoder.sequence_length

    def decode_step(self, previous, states, encoder_outputs, source_mask):
        """One cached decoder step: the greedy loop's view of the decoder.

        The recurrent decoder's state is :math:`s_t`; here it is the
        key/value cache and the position of the next step.

        Returns:
            ``(logits, states, weights)``: ``(batch, V)``, the updated
            ``[cache, index + 1]`` and the last block's cross-attention
            weights averaged over the heads ``(batch, S)``.
        """
        cache, index = states
        logits, _, weights, cache = self.decoder(
            previous[:, None],
            encoder_outputs=encoder_outputs,
            encoder_padding_mask=source_mask,
            cache=cache,
            cache_index=index,
            return_weights=True,
        )  # (B, 1, V), (B, 1, d), [{"self", "cross"}], (B, N, 2, L, H, dk)
        cross = ops.mean(weights[-1]["cross"][:, :, 0, :], axis=1)  # (B, S)
        return logits[:, 0], [cache, index + 1], cross

    sequence_log_probs = seq2seq.Seq2Seq.sequence_log_probs

    def cross_attention_weights(self, inputs):
        """Every block's cross-attention weights, ``(batch, heads, T, S)`` each."""
        source, decoder_inputs = self._split(inputs)
        encoded, source_mask = self.encoder(source)
        weights = self.decoder(
            decoder_inputs,
            encoder_outputs=encoded,
            encoder_padding_mask=source_mask,
            return_weights=True,
        )[2]
        return [w["cross"] for w in weights]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "source_vocabulary_size": self.encoder.vocabulary_size,
                "target_vocabulary_size": self.decoder.vocabulary_size,
                "target_length": self.decoder.sequence_length,
                "source_length": self.encoder.sequence_length,
                **_stack_config(self.encoder),
            }
        )
        return config


def build_forecaster(features=1, hidden_dim=32, num_heads=4, num_layers=2, dropout=0.0):
    r"""A causal Transformer forecaster: a window of values in, next values out (many-to-many).

    .. math::

        x_t = W_{in} y_t + PE_t, \quad H = \operatorname{CausalBlocks}(X), \quad
        \hat y_{t+1} = W_{out} h_t

    Position :math:`t` sees the steps up to :math:`t` only, as a recurrent
    forecaster does.

    Args:
        features: int >= 1. Values per step. Defaults to `1`.
        hidden_dim: int. Defaults to `32`.
        num_heads: int. Must divide ``hidden_dim``. Defaults to `4`.
        num_layers: int >= 1. Defaults to `2`.
        dropout: float in [0, 1). Defaults to `0.0`.

    Returns:
        a ``keras.Model``: ``(batch, time, features)`` -> ``(batch, time, features)``.
    """
    features = check_int("features", features, minimum=1)
    hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
    num_layers = check_int("num_layers", num_layers, minimum=1)
    values = keras.Input((None, features), name="values")
    x = keras.layers.Dense(hidden_dim, name="input_projection")(values)  # (B, T, d)
    x = x + SinusoidalPositionEncoding(name="positions")(x)
    for index in range(num_layers):
        x = TransformerDecoderBlock(
            2 * hidden_dim, num_heads, dropout=dropout, name=f"block_{index}"
        )(x)  # (B, T, d), causal
    outputs = keras.layers.Dense(features, name="forecast")(x)  # (B, T, features)
    return keras.Model(values, outputs, name="transformer_forecaster")
