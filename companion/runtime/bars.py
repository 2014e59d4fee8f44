"""Quality bars: the claims a chapter makes, checked while it runs.

A bar is printed as ``[bar PASS] description: value (required >= threshold)``
and recorded (``--outdir`` writes them to the chapter's JSON). A missed bar
raises :class:`QualityBarError`, so the book build fails and a built book
proves every claim on its pages.

Two kinds of bar: a *proof* (our layer equals Keras's to 1e-5) holds at any
size and is always enforced; a bar on what *training reaches*
(``needs_training=True``) is enforced in the default and ``--full`` runs and
only reported in a ``--quick`` smoke run, whose toy models cannot reach it.
"""

import operator

from companion.runtime.chapter import RUN

_COMPARISONS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class QualityBarError(AssertionError):
    """Raised when a chapter misses one of the quality bars it states."""


def check_bar(description, value, comparison, threshold, needs_training=False):
    """Checks, prints and records one of a chapter's stated quality bars.

    Args:
        description: str. What is measured, e.g. ``"test MAE / naive MAE"``.
        value: float. The measured value.
        comparison: str. One of ``">"``, ``">="``, ``"<"``, ``"<="``.
        threshold: float. The bar.
        needs_training: bool. The bar is about what training reaches, so a
            ``--quick`` run reports it without enforcing it. Defaults to `False`.

    Returns:
        `None`, so a call that ends a cell leaves no stray value on the page.

    Raises:
        ValueError: for an unknown ``comparison``.
        QualityBarError: if the bar is missed (and enforced).
    """
    if comparison not in _COMPARISONS:
        raise ValueError(
            f"comparison must be one of {', '.join(_COMPARISONS)} (got comparison={comparison!r})"
        )
    value = float(value)
    passed = bool(_COMPARISONS[comparison](value, threshold))
    enforced = not (needs_training and RUN.quick)
    status = "PASS" if passed else ("FAIL" if enforced else "MISSED, not enforced in --quick")
    print(f"[bar {status}] {description}: {value:.4g} (required {comparison} {threshold:g})")
    RUN.bars.append(
        {
            "description": description,
            "value": value,
            "comparison": comparison,
            "threshold": float(threshold),
            "passed": passed,
            "enforced": enforced,
        }
    )
    RUN.save_numbers()
    if not passed and enforced:
        raise QualityBarError(
            f"quality bar missed: {description} = {value:.4g}, required {comparison} {threshold:g}"
        )
