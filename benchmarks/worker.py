"""Times every selected benchmark under the current ``KERAS_BACKEND``.

Run by ``python -m benchmarks``; prints one JSON list of rows on its last line.
"""

import argparse
import importlib
import json
import pkgutil

import benchmarks
from benchmarks.core import time_benchmark


def discover(filter_text=""):
    """Yields every Benchmark of every ``bench_*`` module that matches the filter."""
    for module_info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if not module_info.name.startswith("bench_"):
            continue
        module = importlib.import_module(f"benchmarks.{module_info.name}")
        for benchmark in module.BENCHMARKS:
            if filter_text in module_info.name or filter_text in benchmark.group:
                yield benchmark


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default="")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = [time_benchmark(b, repeat=args.repeat) for b in discover(args.filter)]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
