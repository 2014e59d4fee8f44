"""The benchmark description, its goal, and the timer, run inside one backend's process.

A :class:`Benchmark` is one *variant* (for example "from scratch" or "keras")
of one *group* (what is compared, for example "windowing, T=100000"). Its
``make`` builds the inputs once and returns the zero-argument function that is
timed. Exactly one variant of a group is its ``baseline``: the table reports
every other variant's median time as a ratio to it.

A variant may carry :class:`Goal` s, stated before anything is measured and
checked on every run: ``Goal("ratio", 1.2)`` (at most 1.2 times the baseline on
each backend) or ``Goal("spread", 3.0)`` (the slowest backend at most 3 times
the fastest). A variant that never touches the backend (pure Python or NumPy)
is ``backend_bound=False``: its spread across backends says nothing about the
backends, so none is published.
"""

import dataclasses
import statistics
import time
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Goal:
    """A speed goal: ``kind`` is ``"ratio"`` (to the baseline) or ``"spread"`` (across backends)."""

    kind: str
    limit: float

    def __post_init__(self):
        if self.kind not in ("ratio", "spread"):
            raise ValueError(f'kind must be "ratio" or "spread" (got kind={self.kind!r})')

    def describe(self):
        if self.kind == "ratio":
            return f"<= {self.limit:g}x baseline"
        return f"spread <= {self.limit:g}x"

    def met(self, value):
        return value <= self.limit


@dataclasses.dataclass
class Benchmark:
    """One timed variant of a compared group.

    Attributes:
        group: str. What is being compared, with its sizes.
        variant: str. Which implementation, e.g. ``"from scratch"``.
        make: callable returning the zero-argument function to time.
        baseline: bool. Whether the other variants are compared to this one.
        goals: tuple of Goal. The speeds this variant must reach.
        backend_bound: bool. Whether the work runs in the backend (`False` for
            pure Python or NumPy code: no spread across backends is shown).
    """

    group: str
    variant: str
    make: Callable[[], Callable[[], object]]
    baseline: bool = False
    goals: tuple = ()
    backend_bound: bool = True


def _wait_for(result):
    """Blocks until asynchronous backends (jax, torch on GPU) have finished.

    Only tensors are waited for: a tokeniser's list of 20,000 ids is not walked
    (``keras.tree.flatten`` over it cost more than the encoding on torch).
    """
    import keras

    items = list(result) if isinstance(result, (list, tuple)) else [result]
    if items and keras.ops.is_tensor(items[0]):
        for item in items:
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
