"""Running a chapter: backend choice, quality bars and the closing run report.

A chapter script is both a program and a book page. It starts with::

    from companion import runtime

    args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads
    import keras

and ends with ``runtime.report()``, which prints the backend, the library
versions and the wall time of the run, so every page says what it ran with.

This module must not import Keras at import time: the backend can only be
chosen before the first ``import keras``.
"""

import argparse
import importlib.metadata
import operator
import os
import platform
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")

_START_TIME = time.perf_counter()

_COMPARISONS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class QualityBarError(AssertionError):
    """Raised when a chapter misses one of the quality bars it states."""


def select_backend(backend):
    """Sets ``KERAS_BACKEND`` to ``backend``, before Keras is imported.

    Args:
        backend: str or None. One of ``"tensorflow"``, ``"jax"``, ``"torch"``.
            `None` keeps the environment's choice (``KERAS_BACKEND``, or
            Keras's own default).

    Returns:
        The backend name that Keras will use.

    Raises:
        ValueError: if ``backend`` is not a known backend name, or if Keras
            was already imported with another backend.
    """
    if backend is None:
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} (got backend={backend!r})")
    keras = sys.modules.get("keras")
    if keras is not None and keras.config.backend() != backend:
        raise ValueError(
            f"backend={backend!r} was requested but keras is already imported with "
            f"backend {keras.config.backend()!r}; choose the backend before importing keras"
        )
    os.environ["KERAS_BACKEND"] = backend
    return backend


def parse_args(description, argv=None):
    """Parses a chapter script's command line and selects the backend.

    Args:
        description: str. The chapter's docstring, shown by ``--help``.
        argv: list of str or None. The arguments; `None` reads ``sys.argv``.
            Under sphinx-gallery the script gets no arguments and the
            environment's ``KERAS_BACKEND`` is used.

    Returns:
        An ``argparse.Namespace`` with ``backend`` (str), ``full`` (bool:
        train at full scale rather than within the book's time budget) and
        ``seed`` (int).
    """
    parser = argparse.ArgumentParser(
        description=(description or "").strip().splitlines()[0] if description else None
    )
    parser.add_argument(
        "--backend",
        default=None,
        help=f"Keras backend: one of {', '.join(BACKENDS)}. Defaults to $KERAS_BACKEND.",
    )
    parser.add_argument(
        "--full", action="store_true", help="train at full scale instead of the book's budget"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed. Defaults to 0.")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.backend = select_backend(args.backend)
    global _START_TIME
    _START_TIME = time.perf_counter()  # the run report's wall time starts here
    return args


def check_bar(description, value, comparison, threshold):
    """Checks and prints one of a chapter's stated quality bars.

    The book build fails when a bar is missed, so a built book proves every
    number it states.

    Args:
        description: str. What is measured, e.g. ``"test MAE / naive MAE"``.
        value: float. The measured value.
        comparison: str. One of ``">"``, ``">="``, ``"<"``, ``"<="``.
        threshold: float. The bar.

    Returns:
        ``value``, so the call can sit inside an expression.

    Raises:
        ValueError: for an unknown ``comparison``.
        QualityBarError: if the bar is missed.
    """
    if comparison not in _COMPARISONS:
        raise ValueError(
            f"comparison must be one of {', '.join(_COMPARISONS)} (got comparison={comparison!r})"
        )
    value = float(value)
    passed = _COMPARISONS[comparison](value, threshold)
    status = "PASS" if passed else "FAIL"
    print(f"[bar {status}] {description}: {value:.4g} (required {comparison} {threshold:g})")
    if not passed:
        raise QualityBarError(
            f"quality bar missed: {description} = {value:.4g}, required {comparison} {threshold:g}"
        )
    return value


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def run_report(start_time=None):
    """Returns the run report: backend, versions and wall time, as text.

    Args:
        start_time: float or None. A ``time.perf_counter()`` value; `None`
            measures from the last :func:`parse_args` call (the start of the
            chapter), or from the import of this module.
    """
    keras = sys.modules.get("keras")
    backend = keras.config.backend() if keras is not None else os.environ.get("KERAS_BACKEND")
    packages = ["keras", "keras-hub", "numpy"] + ([backend] if backend in BACKENDS else [])
    versions = ", ".join(f"{name} {_version(name)}" for name in packages if _version(name))
    elapsed = time.perf_counter() - (_START_TIME if start_time is None else start_time)
    return (
        f"Ran with backend {backend} on Python {platform.python_version()} "
        f"({platform.machine()}, {os.cpu_count()} CPU cores); {versions}; "
        f"wall time {elapsed:.1f} s."
    )


def report(start_time=None):
    """Prints :func:`run_report`; every chapter ends with this call."""
    print(run_report(start_time))
