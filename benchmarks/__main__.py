"""Runs the benchmarks on each backend and writes a markdown table.

Usage::

    python -m benchmarks                      # every benchmark, every backend
    python -m benchmarks --backends jax torch --filter sequences
    python -m benchmarks --output benchmarks/results/sequences.md

Each backend runs in its own process (the backend is fixed when Keras is
imported). The table gives the median time per call, the ratio to the
group's baseline variant on the same backend, and the spread of each variant
across backends (slowest median / fastest median).
"""

import argparse
import collections
import json
import os
import platform
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")


def _format_seconds(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def run_backend(backend, filter_text, repeat):
    """Runs the worker for one backend in a subprocess; returns its rows."""
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, "-m", "benchmarks.worker", "--repeat", str(repeat)]
    if filter_text:
        command += ["--filter", filter_text]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"benchmarks failed on backend {backend}:\n{result.stderr[-4000:]}")
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    for row in rows:
        row["backend"] = backend
    return rows


def markdown_table(rows):
    """Formats the rows of every backend as one markdown table."""
    baselines = {(row["backend"], row["group"]): row["median_s"] for row in rows if row["baseline"]}
    by_variant = collections.defaultdict(list)
    for row in rows:
        by_variant[(row["group"], row["variant"])].append(row["median_s"])
    lines = [
        "| group | variant | backend | median | ratio to baseline | spread across backends |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in sorted(
        rows, key=lambda r: (r["group"], not r["baseline"], r["variant"], r["backend"])
    ):
        baseline = baselines.get((row["backend"], row["group"]))
        ratio = (
            "baseline"
            if row["baseline"]
            else (f"{row['median_s'] / baseline:.3g}x" if baseline else "n/a")
        )
        medians = by_variant[(row["group"], row["variant"])]
        spread = f"{max(medians) / min(medians):.1f}x" if len(medians) > 1 else "n/a"
        lines.append(
            f"| {row['group']} | {row['variant']} | {row['backend']} | "
            f"{_format_seconds(row['median_s'])} | {ratio} | {spread} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--filter", default="", help="only groups or modules containing this")
    parser.add_argument("--repeat", type=int, default=7, help="timed samples per benchmark")
    parser.add_argument("--output", default=os.path.join("benchmarks", "results", "latest.md"))
    args = parser.parse_args(argv)

    rows = []
    for backend in args.backends:
        print(f"running benchmarks on {backend} ...", file=sys.stderr, flush=True)
        rows += run_backend(backend, args.filter, args.repeat)
    header = (
        f"Benchmarks run on {time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}. "
        "Median of the timed samples after warm-up; ratio = median / the group's baseline "
        "on the same backend."
    )
    table = header + "\n\n" + markdown_table(rows) + "\n"
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w") as file:
        file.write(table)
    print(table)


if __name__ == "__main__":
    main()
