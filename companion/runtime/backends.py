"""The three Keras backends: choosing one, and how many CPU threads it may use.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, and each
backend sizes its thread pools when *it* is first imported. So both choices
are made here, before ``import keras``, and this module never imports Keras.

**Thread policy.** A process gets ``cores // workers`` threads, where
``workers`` is the number of processes sharing the machine's cores:
``pytest -n 2`` runs two workers, so each gets half the cores; a lone chapter
run keeps them all. Oversubscription is not a small cost on a CPU: PyTorch's
OpenMP threads spin while they wait for work, so two processes with two
threads each on two cores slow each other down many times over. The
environment variables below are the ones the backends read at import:

* ``OMP_NUM_THREADS`` (PyTorch's intra-op pool, NumPy's BLAS);
* ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` (TensorFlow);
* ``XLA_FLAGS`` with ``intra_op_parallelism_threads`` (JAX on the CPU).

``COMPANION_THREADS=N`` sets the count by hand (a machine with more cores,
or a shared one). A variable already set in the environment is never
overridden.
"""

import os
import sys

BACKENDS = ("tensorflow", "jax", "torch")


def check_backend(backend):
    """Returns ``backend`` if it is one of :data:`BACKENDS`, else raises ``ValueError``."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} (got backend={backend!r})")
    return backend


def available_cores():
    """The number of CPU cores this process may run on (its affinity, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def thread_budget():
    """Threads for this process: ``COMPANION_THREADS``, else cores divided by pytest workers."""
    chosen = os.environ.get("COMPANION_THREADS", "").strip()
    if chosen:
        if not chosen.isdigit() or int(chosen) < 1:
            raise ValueError(
                f"COMPANION_THREADS must be a positive int (got COMPANION_THREADS={chosen!r})"
            )
        return int(chosen)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return max(1, available_cores() // max(1, workers))


def configure_threads():
    """Sets the backends' thread variables to :func:`thread_budget`, before they load.

    Returns:
        int, the number of threads each backend will use.
    """
    threads = thread_budget()
    for variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ.setdefault(variable, str(threads))
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    flags = os.environ.get("XLA_FLAGS", "")
    if threads < available_cores() and "intra_op_parallelism_threads" not in flags:
        eigen = "true" if threads > 1 else "false"  # Eigen's own pool: off for one thread
        flags += f" --xla_cpu_multi_thread_eigen={eigen} intra_op_parallelism_threads={threads}"
        os.environ["XLA_FLAGS"] = flags.strip()
    return threads


def compile_cheaply():
    """Asks XLA (JAX, and TensorFlow's compiled functions) for its cheapest optimisation.

    A ``--quick`` run trains toy models for a few steps each: compiling them
    costs more than running them, so seconds of compiling matter more than
    microseconds of running. Must be called before the backend is imported.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" not in flags:
        # first: XLA ignores every flag after a word that is not a --flag, such as
        # configure_threads' intra_op_parallelism_threads=N
        cheap = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
        os.environ["XLA_FLAGS"] = f"{cheap} {flags}".strip()


def quiet_tensorflow_logs():
    """Silences TensorFlow's C++ start-up messages (it is imported by keras-hub on any backend)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def select_backend(backend):
    """Sets ``KERAS_BACKEND`` to ``backend`` and the thread policy, before Keras is imported.

    Args:
        backend: str or None. One of ``"tensorflow"``, ``"jax"``, ``"torch"``.
            `None` keeps the environment's choice (``KERAS_BACKEND``, or
            Keras's own default, TensorFlow).

    Returns:
        The backend name that Keras will use.

    Raises:
        ValueError: if ``backend`` is not a known backend name, or if Keras
            was already imported with another backend.
    """
    if backend is None:
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    check_backend(backend)
    keras = sys.modules.get("keras")
    if keras is not None and keras.config.backend() != backend:
        raise ValueError(
            f"backend={backend!r} was requested but keras is already imported with "
            f"backend {keras.config.backend()!r}; choose the backend before importing keras"
        )
    os.environ["KERAS_BACKEND"] = backend
    configure_threads()
    quiet_tensorflow_logs()
    return backend
