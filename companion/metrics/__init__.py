"""Metrics for generated text (chapter 4): BLEU, PINC and perplexity.

* :mod:`~companion.metrics.bleu`: :func:`corpus_bleu` and :func:`sentence_bleu`
  (equal to sacreBLEU's), their :class:`BleuScore`, and :func:`bleu_tokens`,
  the ``"13a"`` tokeniser of WMT's ``mteval-v13a``;
* :mod:`~companion.metrics.pinc`: :func:`pinc` and :func:`sentence_pinc`, the
  share of an output's n-grams that are not in its source (Chen and Dolan,
  2011);
* :mod:`~companion.metrics.perplexity`: :func:`token_perplexity` from logits
  and the stateful Keras metric :class:`Perplexity`.
"""

from companion.metrics.bleu import BleuScore, bleu_tokens, corpus_bleu, sentence_bleu
from companion.metrics.perplexity import Perplexity, token_perplexity
from companion.metrics.pinc import pinc, sentence_pinc

__all__ = [
    "BleuScore",
    "Perplexity",
    "bleu_tokens",
    "corpus_bleu",
    "pinc",
    "sentence_bleu",
    "sentence_pinc",
    "token_perplexity",
]
