"""Runs the benchmarks on every backend, interleaved, and checks their stated goals.

Usage::

    python -m benchmarks                      # every benchmark, every backend
    python -m benchmarks --backends jax torch --filter recurrent
    python -m benchmarks --output benchmarks/results/recurrent.md
    python -m benchmarks --device gpu         # the GPU benchmarks, into RESULTS.md

One worker process per backend stays alive for the whole run (the backend is
fixed when Keras is imported); the driver sends them one benchmark at a time,
rotating the order of the backends from one benchmark to the next, so that a
drift in the machine's load touches every backend alike. Only one worker
computes at any moment, and each has the thread policy of
:mod:`companion.runtime.backends` (all the cores of an otherwise idle machine).

The report gives, per row, the median time per call, the ratio to the group's
baseline on the same backend, the goal and whether it is met, the load average
when the row was measured (flagged when it exceeds the cores: the numbers are
then not trustworthy) and the backend's thread count; then, for the variants
that run in the backend, the spread across backends (slowest / fastest)
against its goal.

``--device gpu`` runs the GPU benchmarks instead (:mod:`benchmarks.gpu`): per
backend, each in its own process, a training step of the recurrent layers
with whether Keras took its cuDNN path (checked in the run), causal
``keras.ops.dot_product_attention`` at T = 512 to 4096 with and without flash
attention (the error as the result where flash is not supported), and the
companion's GPT training step in ``mixed_bfloat16`` with its model-FLOPs
utilisation (``--peak-tflops`` for a GPU the table does not know). It
replaces the "GPU benchmarks" section of ``--results`` (default
``benchmarks/RESULTS.md``) and prints it; ``--backends``, ``--filter``
(``recurrent``, ``attention`` or ``gpt``) and ``--repeat`` apply. On a
machine without an NVIDIA GPU it says so, measures nothing and exits 0.
"""

import argparse
import collections
import json
import os
import platform
import subprocess
import sys
import time

from companion.runtime import BACKENDS, available_cores


def _format_seconds(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def _worker_command(repeat, listing=False):
    command = [sys.executable, "-m", "benchmarks.worker", "--repeat", str(repeat)]
    return command + (["--list"] if listing else [])


def _environment(backend):
    return dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")


def list_benchmarks(backend, filter_text):
    result = subprocess.run(
        _worker_command(1, listing=True), env=_environment(backend), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"listing the benchmarks failed:\n{result.stderr[-4000:]}")
    listing = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        key: info
        for key, info in listing.items()
        if filter_text in key or filter_text in info["group"]
    }


class Workers:
    """One long-lived worker process per backend, started one after the other.

    Each worker is started only when the previous one has finished importing
    its backend, so that no start-up competes with another worker's timing.
    """

    def __init__(self, backends, repeat, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        self.processes = {}
        for backend in backends:
            log = open(os.path.join(log_dir, f"worker-{backend}.log"), "w")  # noqa: SIM115
            self.processes[backend] = subprocess.Popen(
                _worker_command(repeat),
                env=_environment(backend),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
            if not self.processes[backend].stdout.readline():  # {"ready": ...}
                raise RuntimeError(f"the {backend} worker failed to start; see its log")

    def time(self, backend, key):
        process = self.processes[backend]
        process.stdin.write(key + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {backend} worker died on {key}; see its log")
        return json.loads(line)

    def close(self):
        for process in self.processes.values():
            process.stdin.close()
            process.wait(timeout=60)


def measure(listing, backends, repeat, log_dir):
    """Times every benchmark on every backend, rotating the backends' order."""
    workers = Workers(backends, repeat, log_dir)
    rows = []
    try:
        for index, key in enumerate(listing):
            turn = index % len(backends)
            for backend in backends[turn:] + backends[:turn]:
                load = os.getloadavg()[0]
                row = workers.time(backend, key)
                row.update(backend=backend, load=load, **listing[key])
                rows.append(row)
                print(
                    f"{row['group']} | {row['variant']} | {backend}: "
                    f"{_format_seconds(row['median_s'])} (load {load:.1f})",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        workers.close()
    return rows


def report(rows, cores):
    """The markdown report: one table of rows, one of spreads, and the goals' tally."""
    baselines = {(r["backend"], r["group"]): r["median_s"] for r in rows if r["baseline"]}
    lines = [
        "| group | variant | backend | median | ratio to baseline | goal | met | load | threads |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    tally = collections.Counter()
    for r in sorted(
        rows, key=lambda r: (r["group"], not r["baseline"], r["variant"], r["backend"])
    ):
        baseline = baselines.get((r["backend"], r["group"]))
        ratio = r["median_s"] / baseline if baseline and not r["baseline"] else None
        ratio_text = "baseline" if r["baseline"] else (f"{ratio:.3g}x" if ratio else "n/a")
        limit, met = r["goals"].get("ratio"), ""
        if limit is not None and ratio is not None:
            met = "met" if ratio <= limit else "MISSED"
            tally[met] += 1
        load = f"{r['load']:.1f}" + (" (over the cores)" if r["load"] > cores else "")
        lines.append(
            f"| {r['group']} | {r['variant']} | {r['backend']} | {_format_seconds(r['median_s'])} "
            f"| {ratio_text} | {'' if limit is None else f'<= {limit:g}x baseline'} "
            f"| {met} | {load} | {r['threads']} |"
        )
    spreads = [
        "| group | variant | fastest | slowest | spread | goal | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    by_variant = collections.defaultdict(list)
    for r in rows:
        if r["backend_bound"]:
            by_variant[(r["group"], r["variant"])].append(r)
    for (group, variant), variant_rows in sorted(by_variant.items()):
        if len(variant_rows) < 2:
            continue
        fastest = min(variant_rows, key=lambda r: r["median_s"])
        slowest = max(variant_rows, key=lambda r: r["median_s"])
        spread = slowest["median_s"] / fastest["median_s"]
        limit, met = variant_rows[0]["goals"].get("spread"), ""
        if limit is not None:
            met = "met" if spread <= limit else "MISSED"
            tally[met] += 1
        spreads.append(
            f"| {group} | {variant} | {fastest['backend']} {_format_seconds(fastest['median_s'])} "
            f"| {slowest['backend']} {_format_seconds(slowest['median_s'])} | {spread:.2f}x "
            f"| {'' if limit is None else f'<= {limit:g}x'} | {met} |"
        )
    summary = f"Goals met: {tally['met']} of {tally['met'] + tally['MISSED']}."
    return "\n".join(lines), "\n".join(spreads), summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--filter", default="", help="only groups or modules containing this")
    parser.add_argument("--repeat", type=int, default=7, help="timed samples per benchmark")
    parser.add_argument("--output", default=os.path.join("benchmarks", "results", "latest.md"))
    parser.add_argument(
        "--device",
        choices=("cpu", "gpu"),
        default="cpu",
        help="gpu: the GPU benchmarks, into the section of --results (see above)",
    )
    parser.add_argument(
        "--results",
        default=os.path.join("benchmarks", "RESULTS.md"),
        help="--device gpu: the file whose GPU section is replaced",
    )
    parser.add_argument(
        "--peak-tflops",
        type=float,
        default=None,
        help="--device gpu: the GPU's peak dense bfloat16 TFLOP/s, for the MFU",
    )
    args = parser.parse_args(argv)
    if args.device == "gpu":
        from benchmarks import gpu

        gpu.main(args)
        return

    listing = list_benchmarks(args.backends[0], args.filter)
    cores = available_cores()
    loads_before = os.getloadavg()
    rows = measure(listing, list(args.backends), args.repeat, os.path.dirname(args.output))
    table, spreads, summary = report(rows, cores)
    loads = [r["load"] for r in rows]
    header = (
        f"Benchmarks run on {time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, {cores} CPU cores, "
        f"Python {platform.python_version()}, backends interleaved. Load average "
        f"{loads_before[0]:.1f} at the start, {min(loads):.1f} to {max(loads):.1f} during the "
        "rows; a row measured with a load above the cores is flagged. Median of the timed "
        "samples after warm-up; ratio = median / the group's baseline on the same backend."
    )
    text = f"{header}\n\n{table}\n\nSpread across backends (backend-bound variants only):\n\n"
    text += f"{spreads}\n\n{summary}\n"
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w") as file:
        file.write(text)
    print(text)


if __name__ == "__main__":
    main()
