r"""Seq2Seq: the encoder and the decoder as one Keras model, trained by teacher forcing.

Training maximises :math:`\log p(T \mid S) = \sum_t \log p(y_t \mid y_{<t}, S)`
with the reference's previous tokens as the decoder's inputs (teacher
forcing): the target ``<s> y_1 .. y_n </s>`` gives the decoder inputs
``<s> y_1 .. y_n`` and the labels ``y_1 .. y_n </s>``, shifted by one
(:func:`teacher_forcing_pairs`). Padding labels (id 0) carry no loss
(``SparseCategoricalCrossentropy(ignore_class=0)``).
"""

import keras
import numpy as np
from keras import ops

from companion import lm
from companion.checks import check_choice, check_int
from companion.seq2seq.attention import ATTENTION_KINDS
from companion.seq2seq.decoder import RecurrentDecoder
from companion.seq2seq.encoder import CELLS, RecurrentEncoder


def _describe(inputs):
    shape = getattr(inputs, "shape", None)
    if shape is not None:
        return f"of shape {tuple(shape)}"
    return f"of length {len(inputs)}" if isinstance(inputs, (tuple, list)) else repr(inputs)


def teacher_forcing_pairs(target_ids):
    """Decoder inputs and labels from padded targets: start id, tokens, end id, padding.

    Args:
        target_ids: int array ``(N, T)`` with the start id first and the end
            id after the last token, padded with 0 at the end.

    Returns:
        ``(decoder_inputs, labels)``: int32 arrays ``(N, T - 1)``; the labels
        are the inputs shifted left by one.

    Example:

    >>> inputs, labels = teacher_forcing_pairs(np.array([[2, 7, 8, 3, 0]]))
    >>> inputs.tolist(), labels.tolist()
    ([[2, 7, 8, 3]], [[7, 8, 3, 0]])
    """
    target_ids = np.asarray(target_ids)
    if target_ids.ndim != 2 or target_ids.shape[1] < 2:
        raise ValueError(
            "target_ids must be (N, T) ids with T >= 2, the start id and at least the end id "
            f"(got shape {target_ids.shape})"
        )
    return lm.shifted_pairs(target_ids)


@keras.saving.register_keras_serializable(package="companion")
class Seq2Seq(keras.Model):
    """An encoder-decoder: ``(source_ids, decoder_inputs) -> logits``.

    Args:
        source_vocabulary_size: int. Number of source ids (0 is padding).
        target_vocabulary_size: int. Number of target ids (0 is padding).
        embedding_dim: int. Size of both embeddings. Defaults to 64.
        units: int. Size of the recurrent states. Defaults to 128.
        cell: str. ``"gru"`` or ``"lstm"``. Defaults to ``"gru"``.
        attention: str or `None`. `None` (the bottleneck), ``"bahdanau"``,
            ``"dot"`` or ``"general"``. Defaults to ``"bahdanau"``.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        inputs: a tuple ``(source_ids, decoder_inputs)`` of int tensors
            ``(batch, S)`` and ``(batch, T)``.

    Returns:
        logits ``(batch, T, target_vocabulary_size)``.

    Example:

    >>> model = Seq2Seq(12, 9, embedding_dim=4, units=6)
    >>> tuple(model((np.array([[5, 6, 0]]), np.array([[2, 4]]))).shape)
    (1, 2, 9)
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=64,
        units=128,
        cell="gru",
        attention="bahdanau",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.source_vocabulary_size = check_int(
            "source_vocabulary_size", source_vocabulary_size, minimum=2
        )
        self.target_vocabulary_size = check_int(
            "target_vocabulary_size", target_vocabulary_size, minimum=2
        )
        self.embedding_dim = check_int("embedding_dim", embedding_dim, minimum=1)
        self.units = check_int("units", units, minimum=1)
        self.cell = check_choice("cell", cell, tuple(CELLS))
        if attention is not None:
            check_choice("attention", attention, ATTENTION_KINDS)
        self.attention_kind = attention
        self.encoder = RecurrentEncoder(
            source_vocabulary_size,
            embedding_dim,
            units,
            cell=cell,
            dtype=self.dtype_policy,
            name="encoder",
        )
        self.decoder = RecurrentDecoder(
            target_vocabulary_size,
            embedding_dim,
            units,
            cell,
            attention,
            dtype=self.dtype_policy,
            name="decoder",
        )

    def _split(self, inputs):
        """``(source, decoder inputs)`` from a pair of tensors, or of shapes in ``build``."""
        pair = isinstance(inputs, (tuple, list)) and len(inputs) == 2
        if not pair or any(isinstance(part, int) or part is None for part in inputs):
            raise ValueError(
                "inputs must be a tuple (source_ids, decoder_inputs) of two id tensors "
                f"(got {type(inputs).__name__} {_describe(inputs)})"
            )
        return inputs

    def build(self, inputs_shape):
        source_shape, target_shape = self._split(inputs_shape)
        self.encoder.build(source_shape)
        self.decoder.build(target_shape)

    def call(self, inputs, return_weights=False):
        source_ids, decoder_inputs = self._split(inputs)
        encoder_outputs, states, source_mask = self.encoder(source_ids)
        return self.decoder(
            decoder_inputs, encoder_outputs, states, source_mask, return_weights=return_weights
        )

    def encode(self, source_ids):
        """``(encoder_outputs, states, source_mask)``: what a decoding loop starts from."""
        return self.encoder(source_ids)

    def decode_step(self, previous, states, encoder_outputs, source_mask):
        """One free-running decoder step, ``(logits, states, weights)``: the decoder's ``step``."""
        return self.decoder.step(previous, states, encoder_outputs, source_mask)

    def sequence_log_probs(self, source_ids, decoder_inputs, labels):
        r"""Per-sentence :math:`\log p(T \mid S)` and token counts, as NumPy arrays ``(B,)``.

        Padding labels (0) are left out of the sum and of the count.
        """
        logits = ops.cast(self((source_ids, decoder_inputs)), "float32")  # (B, T, V)
        log_probs = ops.log_softmax(logits, axis=-1)  # (B, T, V), in float32 whatever the policy
        labels = ops.convert_to_tensor(labels, "int32")
        picked = ops.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]  # (B, T)
        real = ops.cast(ops.not_equal(labels, 0), picked.dtype)  # (B, T)
        totals = ops.sum(picked * real, axis=-1)  # (B,)
        return ops.convert_to_numpy(totals), np.asarray(ops.convert_to_numpy(ops.sum(real, -1)))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "source_vocabulary_size": self.source_vocabulary_size,
                "target_vocabulary_size": self.target_vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "units": self.units,
                "cell": self.cell,
                "attention": self.attention_kind,
            }
        )
        return config
