"""The benchmark description and the timer, run inside one backend's process.

A :class:`Benchmark` is one *variant* (for example "from scratch" or "keras")
of one *group* (what is compared, for example "windowing, T=100000"). Its
``make`` builds the inputs once and returns the zero-argument function that is
timed. Exactly one variant of a group is its ``baseline``: the table reports
every other variant's median time as a ratio to it.
"""

import dataclasses
import statistics
import time
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass
class Benchmark:
    """One timed variant of a compared group.

    Attributes:
        group: str. What is being compared, with its sizes.
        variant: str. Which implementation, e.g. ``"from scratch"``.
        make: callable returning the zero-argument function to time.
        baseline: bool. Whether the other variants are compared to this one.
    """

    group: str
    variant: str
    make: Callable[[], Callable[[], object]]
    baseline: bool = False


def _wait_for(result):
    """Blocks until asynchronous backends (jax, torch on GPU) have finished."""
    import keras

    for item in keras.tree.flatten(result):
        if item is not None and not isinstance(item, (int, float, str, np.ndarray)):
            keras.ops.convert_to_numpy(item)


def time_benchmark(benchmark, warmup=2, repeat=7, min_seconds=0.2):
    """Times one benchmark after ``warmup`` calls.

    Each of the ``repeat`` samples runs the function enough times to last at
    least ``min_seconds`` and records the time per call.

    Returns:
        A dict with ``group``, ``variant``, ``baseline``, ``median_s`` and
        ``samples_s`` (seconds per call).
    """
    function = benchmark.make()
    for _ in range(warmup):
        _wait_for(function())
    start = time.perf_counter()
    _wait_for(function())
    one_call = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(min_seconds / one_call))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            result = function()
        _wait_for(result)
        samples.append((time.perf_counter() - start) / calls)
    return {
        "group": benchmark.group,
        "variant": benchmark.variant,
        "baseline": benchmark.baseline,
        "median_s": statistics.median(samples),
        "samples_s": samples,
    }
