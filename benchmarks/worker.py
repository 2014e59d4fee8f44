"""Times benchmarks under the current ``KERAS_BACKEND``, one request at a time.

Started by ``python -m benchmarks`` (one worker per backend, all alive at once so
the driver can interleave the backends). Protocol: the driver writes one
benchmark id (``module:index``) per line on stdin; the worker times it and
writes one JSON line on stdout. ``--list`` prints every benchmark id with its
group, variant, goal and whether it is backend-bound.
"""

import argparse
import gc
import importlib
import json
import os
import pkgutil
import sys

from companion.runtime import configure_threads, select_backend

select_backend(None)  # the thread policy and quiet logs, before the backends load

import benchmarks  # noqa: E402
from benchmarks.core import time_benchmark  # noqa: E402


def discover():
    """Every Benchmark of every ``bench_*`` module, keyed by ``module:index``."""
    found = {}
    for module_info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if module_info.name.startswith("bench_"):
            module = importlib.import_module(f"benchmarks.{module_info.name}")
            for index, benchmark in enumerate(module.BENCHMARKS):
                found[f"{module_info.name}:{index}"] = benchmark
    return found


def _threads():
    if os.environ.get("KERAS_BACKEND") == "torch":
        import torch

        return torch.get_num_threads()
    return configure_threads()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    found = discover()
    if args.list:
        listing = {
            key: {
                "group": b.group,
                "variant": b.variant,
                "baseline": b.baseline,
                "goals": {goal.kind: goal.limit for goal in b.goals},
                "backend_bound": b.backend_bound,
            }
            for key, b in found.items()
        }
        print(json.dumps(listing))
        return
    print(json.dumps({"ready": len(found)}), flush=True)  # imports done: the driver may go on
    for line in sys.stdin:
        key = line.strip()
        if not key:
            continue
        row = time_benchmark(found[key], repeat=args.repeat)
        row.update(key=key, threads=_threads())
        release_models()  # before the row: the driver starts the next timing when it reads it
        print(json.dumps(row), flush=True)


def release_models():
    """Frees the models of the last benchmark: a long-lived worker that kept them would make
    every garbage collection walk them, slowing the next benchmark's pure-Python code."""
    import keras

    keras.backend.clear_session()
    gc.collect()


if __name__ == "__main__":
    main()
