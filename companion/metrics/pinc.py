r"""PINC (Chen and Dolan, 2011): how many of an output's n-grams are new.

BLEU against a reference rewards copying when the source and the reference
share most words, as the King James Version and the Bible in Basic English
do; PINC ("Paraphrase In N-gram Changes") measures the other side: the share
of the output's n-grams that are *not* in the source. For a source
:math:`s` and an output :math:`c`, with :math:`\text{n-grams}_n(\cdot)` the
*set* of distinct n-grams of order :math:`n`,

.. math::

    \mathrm{PINC}(s, c) = \frac{1}{N} \sum_{n=1}^{N}
        \Big(1 - \frac{|\text{n-grams}_n(s) \cap \text{n-grams}_n(c)|}
                      {|\text{n-grams}_n(c)|}\Big)

averaged over the corpus and reported between 0 (a copy) and 100 (no n-gram
in common), as Carlson et al. (2018) report it beside BLEU.

An output of fewer than :math:`N` tokens has no n-gram of the longer orders;
those orders are skipped and the mean runs over the orders it has (a
one-token output is scored on unigrams alone). An empty output has no order
at all; it scores 0: it changes nothing new.
"""

from companion.checks import check_bool, check_choice, check_int, check_text
from companion.metrics.bleu import TOKENIZERS, _check_sentences, _tokens


def _ngram_set(tokens, n):
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def _pinc(source, output, max_order):
    """PINC of two token lists, in [0, 1]."""
    novelties = []
    for n in range(1, max_order + 1):
        output_ngrams = _ngram_set(output, n)
        if not output_ngrams:  # the output is shorter than n tokens: skip this order
            break
        shared = output_ngrams & _ngram_set(source, n)
        novelties.append(1.0 - len(shared) / len(output_ngrams))
    return sum(novelties) / len(novelties) if novelties else 0.0


def _check_options(max_order, tokenize, lowercase):
    return (
        check_int("max_order", max_order, minimum=1),
        check_choice("tokenize", tokenize, TOKENIZERS),
        check_bool("lowercase", lowercase),
    )


def sentence_pinc(source, output, max_order=4, tokenize="13a", lowercase=False):
    r"""PINC of one output against its source, in [0, 100].

    .. math::

        \mathrm{PINC}(s, c) = \frac{100}{N'} \sum_{n=1}^{N'}
            \Big(1 - \frac{|\text{n-grams}_n(s) \cap \text{n-grams}_n(c)|}
                          {|\text{n-grams}_n(c)|}\Big),
        \qquad N' = \min(N, |c|)

    Args:
        source: str. The input sentence.
        output: str. The system's rewrite of it.
        max_order: int >= 1. The largest n, :math:`N`. Defaults to `4`.
        tokenize: str. ``"13a"`` or ``"none"``, as for BLEU
            (:func:`~companion.metrics.bleu_tokens`). Defaults to `"13a"`.
        lowercase: bool. Compare case-insensitively. Defaults to `False`.

    Returns:
        float in [0, 100]; 0 for an empty output.

    Example:

    >>> sentence_pinc("Let there be light", "Let there be light")
    0.0
    >>> # its words are all copied (0); its bigrams and its trigram are all new (1, 1)
    >>> round(sentence_pinc("Let there be light", "Let light be"), 2)
    66.67
    """
    source = check_text("source", source)
    output = check_text("output", output)
    max_order, tokenize, lowercase = _check_options(max_order, tokenize, lowercase)
    return 100.0 * _pinc(
        _tokens(source, tokenize, lowercase), _tokens(output, tokenize, lowercase), max_order
    )


def pinc(sources, outputs, max_order=4, tokenize="13a", lowercase=False):
    """Corpus PINC: the mean of :func:`sentence_pinc` over aligned sentences, in [0, 100].

    Args:
        sources: list of str. The input sentences.
        outputs: list of str. One output per source.
        max_order, tokenize, lowercase: as in :func:`sentence_pinc`.

    Returns:
        float in [0, 100]. A system that copies its input scores 0.

    Example:

    >>> kjv = ["And God said, Let there be light: and there was light."]
    >>> pinc(kjv, kjv)
    0.0
    >>> round(pinc(kjv, ["God said: Light, come! And light came."]), 2)
    81.59

    References:
        - [Chen and Dolan, 2011, Collecting highly parallel data for paraphrase
          evaluation](https://aclanthology.org/P11-1020/)
        - [Carlson, Riddell and Rockmore, 2018, Evaluating prose style transfer
          with the Bible](https://doi.org/10.1098/rsos.171920)
    """
    sources = _check_sentences("sources", sources)
    outputs = _check_sentences("outputs", outputs)
    if len(outputs) != len(sources):
        raise ValueError(
            f"outputs must hold one output per source (got {len(outputs)} outputs for "
            f"{len(sources)} sources)"
        )
    max_order, tokenize, lowercase = _check_options(max_order, tokenize, lowercase)
    scores = [
        _pinc(_tokens(s, tokenize, lowercase), _tokens(o, tokenize, lowercase), max_order)
        for s, o in zip(sources, outputs, strict=True)
    ]
    return 100.0 * sum(scores) / len(scores)
