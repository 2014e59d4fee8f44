r"""Language models (deck 004): a probability for every sequence of tokens.

.. math::

    p_\theta(w_0, \dots, w_n) = p_\theta(w_0)\, p_\theta(w_1 \mid w_0) \cdots
    p_\theta(w_n \mid w_{n-1}, \dots, w_0)

* :mod:`~companion.lm.ngram`: :class:`NGramLanguageModel`, counts with add-k
  or interpolated Kneser-Ney smoothing, the baseline;
* :mod:`~companion.lm.rnn_lm`: :func:`build_language_model` on
  :mod:`companion.recurrent`, trained on :func:`stream_windows` or
  :func:`shifted_pairs` (targets are the inputs shifted by one);
* :mod:`~companion.lm.scoring`: :func:`token_log_probs`,
  :func:`stream_log_probs`, :func:`sequence_log_probs` and :func:`perplexity`.
"""

from companion.lm.ngram import NGramLanguageModel
from companion.lm.rnn_lm import build_language_model, shifted_pairs, stream_windows
from companion.lm.scoring import perplexity, sequence_log_probs, stream_log_probs, token_log_probs

__all__ = [
    "NGramLanguageModel",
    "build_language_model",
    "perplexity",
    "sequence_log_probs",
    "shifted_pairs",
    "stream_log_probs",
    "stream_windows",
    "token_log_probs",
]
