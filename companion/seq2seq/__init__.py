r"""Seq2Seq with attention, from scratch (decks 001, 003 and 004).

* :mod:`~companion.seq2seq.attention`: :func:`masked_softmax`,
  :class:`BahdanauAttention` (additive) and :class:`LuongAttention` (dot,
  general), each equal to its Keras layer given the same weights;
* :mod:`~companion.seq2seq.encoder`: :class:`RecurrentEncoder`, a source
  sentence read into states;
* :mod:`~companion.seq2seq.decoder`: :class:`RecurrentDecoder`, the
  conditioned language model, with the vector bottleneck or with attention;
* :mod:`~companion.seq2seq.model`: :class:`Seq2Seq` and
  :func:`teacher_forcing_pairs`;
* :mod:`~companion.seq2seq.batches`: :class:`LengthBuckets`, batches of
  similar length trimmed to their own padding;
* :mod:`~companion.seq2seq.greedy`: :class:`GreedyTranslator` and
  :func:`greedy_translate`, free running in one compiled loop.
"""

from companion.seq2seq.attention import (
    ATTENTION_KINDS,
    BahdanauAttention,
    LuongAttention,
    make_attention,
    masked_softmax,
)
from companion.seq2seq.batches import LengthBuckets
from companion.seq2seq.decoder import RecurrentDecoder
from companion.seq2seq.encoder import RecurrentEncoder
from companion.seq2seq.greedy import GreedyTranslator, greedy_translate
from companion.seq2seq.model import Seq2Seq, teacher_forcing_pairs

__all__ = [
    "ATTENTION_KINDS",
    "BahdanauAttention",
    "GreedyTranslator",
    "LengthBuckets",
    "LuongAttention",
    "RecurrentDecoder",
    "RecurrentEncoder",
    "Seq2Seq",
    "greedy_translate",
    "make_attention",
    "masked_softmax",
    "teacher_forcing_pairs",
]
