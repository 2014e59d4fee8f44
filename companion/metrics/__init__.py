"""Metrics for generated text (chapters 4 and 6): BLEU, PINC, perplexity and distinct-n.

* :mod:`~companion.metrics.bleu`: :func:`corpus_bleu` and :func:`sentence_bleu`
  (equal to sacreBLEU's), their :class:`BleuScore`, and :func:`bleu_tokens`,
  the ``"13a"`` tokeniser of WMT's ``mteval-v13a``;
* :mod:`~companion.metrics.pinc`: :func:`pinc` and :func:`sentence_pinc`, the
  share of an output's n-grams that are not in its source (Chen and Dolan,
  2011);
* :mod:`~companion.metrics.perplexity`: :func:`token_perplexity` from logits
  and the stateful Keras metric :class:`Perplexity`;
* :mod:`~companion.metrics.diversity`: :func:`distinct_n`, the share of
  distinct n-grams over a set of outputs (Li et al., 2016).
"""

from companion.metrics.bleu import BleuScore, bleu_tokens, corpus_bleu, sentence_bleu
from companion.metrics.diversity import distinct_n
from companion.metrics.perplexity import Perplexity, token_perplexity
from companion.metrics.pinc import pinc, sentence_pinc

__all__ = [
    "BleuScore",
    "Perplexity",
    "bleu_tokens",
    "corpus_bleu",
    "distinct_n",
    "pinc",
    "sentence_bleu",
    "sentence_pinc",
    "token_perplexity",
]
