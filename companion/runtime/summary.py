"""The run report that closes every chapter: what it ran with, and how long it took.

The report names the backend and its version, Keras, keras-hub and NumPy,
the Python version, the cores, the threads the backend was given and the
load average during the run, and the wall time, so a reader can judge every
number and timing on the page.
"""

import importlib.metadata
import os
import platform
import sys
import time

from companion.runtime.backends import BACKENDS, available_cores
from companion.runtime.chapter import RUN


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _threads(backend):
    """The threads the running backend uses, as it reports them."""
    if backend == "torch" and "torch" in sys.modules:
        return sys.modules["torch"].get_num_threads()
    if backend == "tensorflow":
        return int(os.environ.get("TF_NUM_INTRAOP_THREADS", available_cores()))
    return int(os.environ.get("OMP_NUM_THREADS", available_cores()))


def run_report(start_time=None):
    """Returns the run report as text.

    Args:
        start_time: float or None. A ``time.perf_counter()`` value; `None`
            measures from the start of the chapter (:func:`parse_args`).
    """
    if start_time is not None and not isinstance(start_time, (int, float)):
        raise TypeError(
            f"start_time must be a number from time.perf_counter() (got {start_time!r})"
        )
    keras = sys.modules.get("keras")
    backend = keras.config.backend() if keras is not None else os.environ.get("KERAS_BACKEND")
    packages = ["keras", "keras-hub", "numpy"] + ([backend] if backend in BACKENDS else [])
    versions = ", ".join(f"{name} {_version(name)}" for name in packages if _version(name))
    elapsed = time.perf_counter() - (RUN.start if start_time is None else start_time)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"Ran with backend {backend} on Python {platform.python_version()} "
        f"({platform.machine()}, {available_cores()} CPU cores, {_threads(backend)} threads, "
        f"load average {load}); {versions}; scale {RUN.scale}{_scaling(keras)}; "
        f"wall time {elapsed:.1f} s."
    )


def _scaling(keras):
    """``", <distribution>, <policy>"`` when a run is distributed or in mixed precision."""
    if keras is None:
        return ""
    parts = []
    distribution = keras.distribution.distribution()
    if distribution is not None:
        mesh = distribution.device_mesh
        parts.append(f"{type(distribution).__name__} on a {mesh.shape} mesh {mesh.axis_names}")
    if keras.config.dtype_policy().name != "float32":
        parts.append(f"dtype policy {keras.config.dtype_policy().name}")
    return "".join(f", {part}" for part in parts)


def report(start_time=None):
    """Prints :func:`run_report` and saves the checked numbers; every chapter ends with it."""
    print(run_report(start_time))
    RUN.save_numbers()
