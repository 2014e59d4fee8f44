r"""Distinct-n (Li et al., 2016): how varied a set of generated texts is.

A decoder that repeats itself, within one output or across outputs, uses
few different n-grams. Distinct-n counts them over the whole set of
outputs:

.. math::

    \text{distinct-}n = \frac{|\{\text{n-grams of all outputs}\}|}
                             {\#\,\text{n-grams of all outputs}}

between 0 (one n-gram, repeated) and 1 (no n-gram twice). The tokens are
characters (``unit="char"``) or whitespace-separated words
(``unit="word"``). It measures variety only: random characters score 1.
Read it beside a quality measure such as perplexity or BLEU.

References:
    Li, Galley, Brockett, Gao and Dolan (2016). A diversity-promoting
    objective function for neural conversation models. NAACL.
"""

from companion.checks import check_choice, check_int, check_texts


def distinct_n(texts, n, unit="char"):
    """Distinct n-grams over all ``texts`` divided by their total count.

    Args:
        texts: list of str. The generated outputs.
        n: int >= 1. The n-gram order.
        unit: str. ``"char"`` or ``"word"`` (whitespace-separated). Defaults
            to `"char"`.

    Returns:
        float in [0, 1]; 0.0 when no text has ``n`` tokens.

    Example:

    >>> distinct_n(["abab", "abc"], 2)  # ab, ba, ab | ab, bc: 3 distinct of 5
    0.6
    """
    texts = check_texts("texts", texts)
    n = check_int("n", n, minimum=1)
    unit = check_choice("unit", unit, ("char", "word"))
    distinct, total = set(), 0
    for text in texts:
        tokens = list(text) if unit == "char" else text.split()
        grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        distinct.update(grams)
        total += len(grams)
    return len(distinct) / total if total else 0.0
