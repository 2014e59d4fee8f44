r"""Greedy translation in one compiled loop: :math:`\hat y_t = \arg\max_w p(w \mid \hat y_{<t}, S)`.

The encoder runs once; then ``max_length`` decoder steps run inside
``keras.ops.fori_loop``, each feeding the previous choice back in (free
running). Every buffer keeps one shape through the loop, so the loop
compiles: ``jax.jit`` on JAX and ``tf.function`` on TensorFlow, through
``predict``. Keras's torch backend runs the same loop as Python steps
(it compiles only with ``jit_compile=True``, through ``torch.compile``).
A sequence that has produced the end id is padded with 0 afterwards.
"""

import keras
import numpy as np
from keras import ops

from companion.checks import check_int
from companion.text.tokenizers import END_ID, START_ID


@keras.saving.register_keras_serializable(package="companion")
class GreedyTranslator(keras.Model):
    """Wraps an encoder-decoder model: source ids in, greedy output ids out.

    Any model with ``encode(source_ids)`` and ``decode_step(previous, states,
    encoder_outputs, source_mask)`` fits: the recurrent
    :class:`~companion.seq2seq.Seq2Seq` and the
    :class:`~companion.transformer.TransformerSeq2Seq`, whose states are its
    key/value cache.

    Args:
        seq2seq: an encoder-decoder model (see above).
        max_length: int >= 1. Number of decoder steps.
        start_id: int. The id fed at the first step. Defaults to 2.
        end_id: int. The id that ends a sequence. Defaults to 3.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        source_ids: int tensor ``(batch, S)``, padded with 0 at the end.

    Returns:
        ``(tokens, weights)``: int32 ``(batch, max_length)`` (the end id
        included, 0 after it) and the attention weights of every step
        ``(batch, max_length, S)`` (zeros for a bottleneck model).
    """

    def __init__(self, seq2seq, max_length, start_id=START_ID, end_id=END_ID, **kwargs):
        super().__init__(**kwargs)
        if not (hasattr(seq2seq, "encode") and hasattr(seq2seq, "decode_step")):
            raise TypeError(
                "seq2seq must be a companion encoder-decoder model with encode and decode_step "
                f"(got {type(seq2seq).__name__})"
            )
        if not seq2seq.weights:  # built whole by one symbolic call, not piecemeal by the loop
            ids = keras.KerasTensor((1, 2), "int32")
            seq2seq((ids, ids))
        self.seq2seq = seq2seq
        self.max_length = check_int("max_length", max_length, minimum=1)
        self.start_id = check_int("start_id", start_id, minimum=0)
        self.end_id = check_int("end_id", end_id, minimum=0)

    def call(self, source_ids):
        encoder_outputs, states, source_mask = self.seq2seq.encode(source_ids)
        batch, source_length = ops.shape(source_mask)[0], ops.shape(source_mask)[1]
        positions = ops.arange(self.max_length)  # (L,)
        tokens = ops.zeros((batch, self.max_length), "int32")  # (B, L)
        weights = ops.zeros((batch, self.max_length, source_length), encoder_outputs.dtype)
        previous = ops.full((batch,), self.start_id, "int32")  # (B,)
        done = ops.zeros((batch,), "bool")  # (B,)

        def body(t, carry):
            tokens, weights, previous, states, done = carry
            logits, states, step_weights = self.seq2seq.decode_step(
                previous, states, encoder_outputs, source_mask
            )  # (B, V), [(B, H)] or [cache, index], (B, S)
            choice = ops.cast(ops.argmax(logits, axis=-1), "int32")  # (B,)
            choice = ops.where(done, 0, choice)  # padding after the end
            here = ops.equal(positions, t)  # (L,), True at step t only
            tokens = ops.where(here[None, :], choice[:, None], tokens)  # (B, L)
            weights = ops.where(here[None, :, None], step_weights[:, None, :], weights)
            done = ops.logical_or(done, ops.equal(choice, self.end_id))
            return tokens, weights, choice, states, done

        carry = (tokens, weights, previous, list(states), done)
        tokens, weights, *_ = ops.fori_loop(0, self.max_length, body, carry)
        return tokens, weights

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "seq2seq": keras.saving.serialize_keras_object(self.seq2seq),
                "max_length": self.max_length,
                "start_id": self.start_id,
                "end_id": self.end_id,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["seq2seq"] = keras.saving.deserialize_keras_object(config["seq2seq"])
        return cls(**config)


def greedy_translate(seq2seq, source_ids, max_length, batch_size=256):
    """Greedy outputs of ``seq2seq`` for padded source ids, through a compiled ``predict``.

    Args:
        seq2seq: an encoder-decoder model, as for :class:`GreedyTranslator`.
        source_ids: int array ``(N, S)``.
        max_length: int >= 1. Number of decoder steps.
        batch_size: int >= 1. Sources per compiled call. Defaults to 256.

    Returns:
        ``(tokens, weights)`` as NumPy arrays ``(N, max_length)`` and
        ``(N, max_length, S)``.
    """
    source_ids = np.asarray(source_ids, dtype=np.int32)
    if source_ids.ndim != 2:
        raise ValueError(f"source_ids must be (N, S) ids (got shape {source_ids.shape})")
    translator = GreedyTranslator(seq2seq, max_length)
    limit = getattr(seq2seq, "max_decode_steps", None)  # a Transformer's cache length
    if limit is not None and translator.max_length > limit:
        raise ValueError(
            f"max_length must be <= the model's max_decode_steps={limit}, the length of its "
            f"key/value cache (got max_length={max_length})"
        )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    tokens, weights = translator.predict(source_ids, batch_size=batch_size, verbose=0)
    return tokens, weights
