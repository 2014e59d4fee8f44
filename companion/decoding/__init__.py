r"""Decoding: turning a model's next-token distribution into a sequence (chapter 6).

Every strategy takes one callable, keras-hub's ``next(tokens, cache, index)
-> (logits, hidden_states, cache)``, and runs one compiled loop.

* :mod:`~companion.decoding.loop`: the interface, prompts of different
  lengths, stop tokens, and the loop of one token per step;
* :mod:`~companion.decoding.greedy`: :func:`greedy`, the most probable next
  token, and :func:`generate_greedy`, the same in NumPy (chapter 3);
* :mod:`~companion.decoding.sampling`: :func:`filtered_probabilities`
  (temperature, top-k, top-p), :func:`sample`, :func:`top_k`, :func:`top_p`;
* :mod:`~companion.decoding.beam`: :func:`beam_search` with GNMT's
  :func:`gnmt_length_penalty` and finished beams;
* :mod:`~companion.decoding.adapters`: :func:`language_model_step` (the GPT,
  with or without its key/value cache) and :func:`seq2seq_step` (the
  recurrent and Transformer encoder-decoders);
* :mod:`~companion.decoding.generator`: :class:`Generator` and
  :func:`generate`, many prompts in one compiled ``predict``.
"""

from companion.decoding.adapters import language_model_step, seq2seq_step
from companion.decoding.beam import beam_search, gnmt_length_penalty
from companion.decoding.generator import STRATEGIES, Generator, generate
from companion.decoding.greedy import generate_greedy, greedy
from companion.decoding.sampling import filtered_probabilities, sample, top_k, top_p

__all__ = [
    "STRATEGIES",
    "Generator",
    "beam_search",
    "filtered_probabilities",
    "generate",
    "generate_greedy",
    "gnmt_length_penalty",
    "greedy",
    "language_model_step",
    "sample",
    "seq2seq_step",
    "top_k",
    "top_p",
]
