r"""BLEU (Papineni et al., 2002) from scratch, equal to sacreBLEU's numbers.

BLEU compares the n-grams of a system's hypotheses with those of reference
translations, over the whole corpus at once. With :math:`\mathrm{Count}(g)`
the count of n-gram :math:`g` in a hypothesis and
:math:`\mathrm{Count}_{ref}(g)` its largest count in any one reference of
that hypothesis, the modified n-gram precision of order :math:`n` clips each
count and sums over the corpus:

.. math::

    p_n = \frac{\sum_{h} \sum_{g \in \text{n-grams}(h)}
                \min\big(\mathrm{Count}(g), \mathrm{Count}_{ref}(g)\big)}
               {\sum_{h} \sum_{g \in \text{n-grams}(h)} \mathrm{Count}(g)}

With :math:`c` the total hypothesis length and :math:`r` the total reference
length (per sentence, the reference length closest to the hypothesis'), the
brevity penalty and the score are

.. math::

    \mathrm{BP} = \begin{cases} 1 & c \ge r \\ e^{1 - r / c} & c < r \end{cases}
    \qquad
    \mathrm{BLEU} = 100 \cdot \mathrm{BP} \cdot
        \exp\Big(\frac{1}{N} \sum_{n=1}^{N} \log p_n\Big)

reported, as sacreBLEU prints it, between 0 and 100. Text is tokenised with
sacreBLEU's default ``"13a"`` tokeniser (the rules of WMT's ``mteval-v13a.pl``),
re-implemented below, or split on whitespace (``"none"``).

Differences from the two libraries the tests compare with:

* sacreBLEU takes references as *streams* (``references[k][i]`` is the
  k-th reference of sentence ``i``); here ``references[i]`` belongs to
  ``hypotheses[i]``, as in NLTK and keras-hub: transpose with
  ``list(zip(*streams))``. Its ``corpus_bleu`` smooths with ``"exp"`` by
  default: ``smooth=True`` here.
* ``keras_hub.metrics.Bleu`` reports 0..1, takes the *shortest* reference
  length instead of the closest, smooths by adding 1 to every order's counts
  (Lin and Och, 2004), and its TensorFlow copy of the 13a rules keeps
  ``"3."`` at the end of a line and ``".5"`` at its start as one token.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass

from companion.checks import check_bool, check_choice, check_int, check_text

TOKENIZERS = ("13a", "none")

# mteval-v13a.pl, the language-dependent part (for Western languages), in order:
_RULES_13A = [
    # every symbol in the ASCII ranges {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ and / stands alone
    # (the apostrophe, the hyphen, the period and the comma are not in these ranges)
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    # a period or a comma stands alone unless it is preceded by a digit ...
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    # ... or followed by a digit: "1,000.50" stays one token
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    # a hyphen after a digit stands alone: "3-4" is three tokens, "well-known" one
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]
# mteval-v13a.pl, the language-independent part: skipped segments, joined lines, entities
_REPLACEMENTS_13A = [
    ("<skipped>", ""),
    ("-\n", ""),
    ("\n", " "),
    ("&quot;", '"'),
    ("&amp;", "&"),
    ("&lt;", "<"),
    ("&gt;", ">"),
]


def _tokenize_13a(line):
    for old, new in _REPLACEMENTS_13A:
        line = line.replace(old, new)
    line = f" {line} "  # the Perl script pads the line: a final "3." splits like any other
    for pattern, replacement in _RULES_13A:
        line = pattern.sub(replacement, line)
    return line.split()


def _tokens(text, tokenize, lowercase):
    if lowercase:
        text = text.lower()
    text = text.rstrip()
    return _tokenize_13a(text) if tokenize == "13a" else text.split()


def bleu_tokens(text, tokenize="13a", lowercase=False):
    """The tokens that BLEU (and :func:`~companion.metrics.pinc`) counts in one text.

    Args:
        text: str. One sentence.
        tokenize: str. ``"13a"``, sacreBLEU's default (punctuation and symbols
            split off, apostrophes and hyphens inside words kept), or
            ``"none"`` (split on whitespace only). Defaults to `"13a"`.
        lowercase: bool. Lowercase first. Defaults to `False`.

    Returns:
        list of str.

    Example:

    >>> bleu_tokens("And God said, Let there be light.")
    ['And', 'God', 'said', ',', 'Let', 'there', 'be', 'light', '.']
    >>> bleu_tokens("It costs 1,000.50 dollars; don't pay 3-4.")
    ['It', 'costs', '1,000.50', 'dollars', ';', "don't", 'pay', '3', '-', '4', '.']
    """
    text = check_text("text", text)
    tokenize = check_choice("tokenize", tokenize, TOKENIZERS)
    return _tokens(text, tokenize, check_bool("lowercase", lowercase))


def _check_sentences(name, sentences):
    """A non-empty list of str, one per sentence; one bare str is refused (wrap it)."""
    if isinstance(sentences, (str, bytes)):
        raise TypeError(
            f"{name} must be a list of str, one per sentence (got one {type(sentences).__name__}: "
            f"{sentences!r:.60}); wrap a single sentence in a list"
        )
    if not hasattr(sentences, "__iter__"):
        raise TypeError(
            f"{name} must be a list of str, one per sentence (got {type(sentences).__name__}: "
            f"{sentences!r:.60})"
        )
    sentences = list(sentences)
    if not sentences:
        raise ValueError(f"{name} must hold at least one sentence (got 0)")
    for index, sentence in enumerate(sentences):
        check_text(f"{name}[{index}]", sentence)
    return sentences


def _check_references(references, count):
    """One str or a non-empty list of str per hypothesis, as lists of str."""
    if isinstance(references, (str, bytes)) or not hasattr(references, "__iter__"):
        raise TypeError(
            "references must be a list with one reference (a str) or a list of references per "
            f"hypothesis (got {type(references).__name__}: {references!r:.60})"
        )
    references = list(references)
    if len(references) != count:
        raise ValueError(
            f"references must hold one item per hypothesis (got {len(references)} references for "
            f"{count} hypotheses); sacreBLEU's layout, reference streams, is the transpose: "
            "pass list(zip(*streams))"
        )
    checked = []
    for index, item in enumerate(references):
        if isinstance(item, str):
            item = [item]
        elif not isinstance(item, (list, tuple)) or not item:
            raise TypeError(
                f"references[{index}] must be a str or a non-empty list of str (got "
                f"{type(item).__name__}: {item!r:.60})"
            )
        checked.append([check_text(f"references[{index}][{k}]", r) for k, r in enumerate(item)])
    return checked


@dataclass(frozen=True)
class BleuScore:
    """A BLEU score and the statistics it is computed from.

    Attributes:
        score: float in [0, 100]. BLEU, as sacreBLEU's ``.score``.
        precisions: tuple of float. :math:`100 \\cdot p_n` for n = 1 ... N
            (0 for an order after an order with no hypothesis n-gram).
        brevity_penalty: float in [0, 1].
        hypothesis_length: int. :math:`c`, tokens in all hypotheses.
        reference_length: int. :math:`r`, the closest reference lengths summed.
        matches: tuple of int. Clipped n-gram matches per order.
        totals: tuple of int. Hypothesis n-grams per order.
    """

    score: float
    precisions: tuple
    brevity_penalty: float
    hypothesis_length: int
    reference_length: int
    matches: tuple
    totals: tuple

    def __str__(self):
        shown = "/".join(f"{p:.1f}" for p in self.precisions)
        return (
            f"BLEU = {self.score:.2f} {shown} (BP = {self.brevity_penalty:.3f} hyp_len = "
            f"{self.hypothesis_length} ref_len = {self.reference_length})"
        )


def _ngram_counts(tokens, n):
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _closest_length(hypothesis_length, reference_lengths):
    """The reference length closest to the hypothesis'; the shorter one on a tie."""
    return min(reference_lengths, key=lambda length: (abs(length - hypothesis_length), length))


def _sentence_statistics(hypothesis, references, max_order):
    """(c, r, matches, totals) of one tokenised hypothesis against its tokenised references."""
    matches, totals = [], []
    for n in range(1, max_order + 1):
        counts = _ngram_counts(hypothesis, n)
        reference_counts = Counter()  # the largest count of each n-gram in any one reference
        for reference in references:
            reference_counts |= _ngram_counts(reference, n)
        matches.append(sum((counts & reference_counts).values()))  # min(Count, Count_ref)
        totals.append(sum(counts.values()))
    length = len(hypothesis)
    return length, _closest_length(length, [len(r) for r in references]), matches, totals


def _score(c, r, matches, totals, smooth, effective_order):
    """BLEU from the corpus statistics, with sacreBLEU's conventions for the edge cases.

    ``smooth``: an order with no match gets precision :math:`1 / (2^k \\cdot total_n)`
    for its k-th such order (mteval-v13a, sacreBLEU's ``"exp"``). ``effective_order``:
    average only over the orders the hypotheses are long enough to have.
    """
    brevity_penalty = 1.0 if c >= r else (math.exp(1 - r / c) if c > 0 else 0.0)
    max_order = len(matches)
    precisions = [0.0] * max_order  # in percent, as sacreBLEU keeps them
    orders, halvings = max_order, 1
    if any(matches):
        for n in range(1, max_order + 1):
            if totals[n - 1] == 0:  # hypotheses shorter than n tokens: no n-gram at all
                break
            if effective_order:
                orders = n
            if matches[n - 1] > 0:
                precisions[n - 1] = 100.0 * matches[n - 1] / totals[n - 1]
            elif smooth:
                halvings *= 2
                precisions[n - 1] = 100.0 / (halvings * totals[n - 1])
    if all(p > 0 for p in precisions[:orders]):
        score = brevity_penalty * math.exp(sum(math.log(p) for p in precisions[:orders]) / orders)
    else:  # log 0: one order without a match makes the geometric mean 0
        score = 0.0
    return BleuScore(score, tuple(precisions), brevity_penalty, c, r, tuple(matches), tuple(totals))


def _bleu(hypotheses, references, max_order, smooth, tokenize, lowercase, effective_order):
    max_order = check_int("max_order", max_order, minimum=1)
    smooth = check_bool("smooth", smooth)
    tokenize = check_choice("tokenize", tokenize, TOKENIZERS)
    lowercase = check_bool("lowercase", lowercase)
    c, r = 0, 0
    matches, totals = [0] * max_order, [0] * max_order
    for hypothesis, refs in zip(hypotheses, references, strict=True):
        statistics = _sentence_statistics(
            _tokens(hypothesis, tokenize, lowercase),
            [_tokens(reference, tokenize, lowercase) for reference in refs],
            max_order,
        )
        c, r = c + statistics[0], r + statistics[1]
        matches = [a + b for a, b in zip(matches, statistics[2], strict=True)]
        totals = [a + b for a, b in zip(totals, statistics[3], strict=True)]
    return _score(c, r, matches, totals, smooth, effective_order)


def corpus_bleu(hypotheses, references, max_order=4, smooth=False, tokenize="13a", lowercase=False):
    r"""Corpus BLEU: clipped n-gram counts summed over all sentences, then one score.

    .. math::

        \mathrm{BLEU} = 100 \cdot \mathrm{BP} \cdot \exp\Big(\frac{1}{N}
            \sum_{n=1}^{N} \log p_n\Big), \qquad
        \mathrm{BP} = \min\big(1, e^{1 - r / c}\big)

    Equal to ``sacrebleu.corpus_bleu(hypotheses, streams, smooth_method="none")``
    (``smooth_method="exp"`` with ``smooth=True``), with ``streams`` the
    transpose of ``references``. Without smoothing, an order with no match at
    all gives a score of 0.

    Args:
        hypotheses: list of str. The system's outputs, one per sentence.
        references: list with one item per hypothesis: a str, or a list of
            str when a sentence has several references (their counts are
            clipped by the largest count in any one reference, and the
            reference length closest to the hypothesis' is used).
        max_order: int >= 1. The largest n. Defaults to `4`.
        smooth: bool. sacreBLEU's ``"exp"`` smoothing (mteval-v13a): the k-th
            order with no match gets precision :math:`1 / (2^k\, total_n)`.
            Defaults to `False`.
        tokenize: str. ``"13a"`` or ``"none"``, see :func:`bleu_tokens`.
            Defaults to `"13a"`.
        lowercase: bool. Case-insensitive BLEU. Defaults to `False`
            (case-sensitive, as Carlson et al. report).

    Returns:
        :class:`BleuScore`; ``.score`` is in [0, 100].

    Example:

    >>> bbe = ["And God said, Let there be light: and there was light."]
    >>> round(corpus_bleu(bbe, bbe).score, 2)  # a perfect match
    100.0
    >>> round(corpus_bleu(["God said, Let there be light."], bbe).score, 2)
    42.68

    References:
        - [Papineni et al., 2002](https://aclanthology.org/P02-1040/)
        - [Post, 2018, A Call for Clarity in Reporting BLEU Scores](https://aclanthology.org/W18-6319/)
    """
    hypotheses = _check_sentences("hypotheses", hypotheses)
    references = _check_references(references, len(hypotheses))
    return _bleu(hypotheses, references, max_order, smooth, tokenize, lowercase, False)


def sentence_bleu(
    hypothesis, references, max_order=4, smooth=True, tokenize="13a", lowercase=False
):
    """BLEU of one sentence, with sacreBLEU's ``sentence_bleu`` defaults.

    One sentence rarely has a 4-gram match, so by default the precisions are
    smoothed (``"exp"``) and averaged only over the orders the hypothesis is
    long enough to have (sacreBLEU's *effective order*). Equal to
    ``sacrebleu.sentence_bleu(hypothesis, references)`` (and to its
    ``smooth_method="none"`` with ``smooth=False``). Use it to look at single
    sentences; report :func:`corpus_bleu`, which is not the mean of these.

    Args:
        hypothesis: str.
        references: str, or a list of str.
        max_order, smooth, tokenize, lowercase: as in :func:`corpus_bleu`,
            but ``smooth`` defaults to `True`.

    Returns:
        :class:`BleuScore`.

    Example:

    >>> round(sentence_bleu("Let there be light", "Let there be light.").score, 2)
    77.88
    """
    hypothesis = check_text("hypothesis", hypothesis)
    references = _check_references([references], 1)
    return _bleu([hypothesis], references, max_order, smooth, tokenize, lowercase, True)
