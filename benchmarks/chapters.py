"""Runs every chapter as a program, on each backend, and times it.

Usage::

    python -m benchmarks.chapters --scale quick --backends tensorflow torch   # CI smoke test
    python -m benchmarks.chapters --scale default                             # book timings

Each chapter runs in its own process (``python chapters/NN_name.py --backend B
--<scale> --outdir DIR``), so it starts with a fresh backend, as a reader
runs it. Backends are interleaved chapter by chapter, so that a drift in the
machine's load touches every backend alike. The run fails if any chapter
fails; a chapter over its time budget is reported (``--budget``) but does not
fail the run, since a shared CI machine's speed varies.

Writes ``<outdir>/chapter_times-<scale>.json`` (the machine, then per run:
chapter, backend, scale, seconds, exit status, bars passed, load average) and
prints a markdown table with the spread of each chapter across backends
(slowest / fastest). ``--record`` also writes it to
``benchmarks/chapter_times.json``, the measurement the book's landing page
shows.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
from companion.runtime import BACKENDS, available_cores

# Seconds on 2 cores: a --quick run on every backend (CI runs them on all three); the default
# run on JAX (CI builds the book with JAX; the others are held to 3x of JAX instead).
BUDGETS = {"quick": (45.0, BACKENDS), "default": (180.0, ("jax",)), "full": (None, ())}


def chapters():
    return sorted(p for p in (ROOT / "chapters").glob("[0-9][0-9]_*.py"))


def run_chapter(path, backend, scale, outdir):
    """Runs one chapter; returns its record (time, status, bars) and its output's tail."""
    flags = [] if scale == "default" else [f"--{scale}"]
    command = [sys.executable, str(path), "--backend", backend, *flags, "--outdir", str(outdir)]
    env = dict(os.environ, KERAS_BACKEND=backend, MPLBACKEND="Agg")
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    record = {
        "chapter": path.stem,
        "backend": backend,
        "scale": scale,
        "seconds": round(seconds, 1),
        "status": result.returncode,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    numbers = outdir / f"{path.stem}.json"
    if numbers.exists():
        bars = json.loads(numbers.read_text())["bars"]
        record["bars_passed"] = sum(bar["passed"] for bar in bars)
        record["bars"] = len(bars)
    return record, (result.stdout + result.stderr)[-3000:]


def markdown(records, budget, budgeted):
    """One row per chapter: seconds on each backend, and the spread across them."""
    backends = sorted({r["backend"] for r in records}, key=BACKENDS.index)
    lines = [
        f"| chapter | {' | '.join(backends)} | spread (slowest / fastest) |",
        "| --- |" + " --- |" * (len(backends) + 1),
    ]
    for chapter in sorted({r["chapter"] for r in records}):
        row = {r["backend"]: r for r in records if r["chapter"] == chapter}
        cells = []
        for backend in backends:
            r = row.get(backend)
            if r is None:
                cells.append("not run")
                continue
            mark = "" if r["status"] == 0 else " FAILED"
            over = ""
            if budget and backend in budgeted and r["seconds"] > budget:
                over = " (over budget)"
            cells.append(f"{r['seconds']:.1f} s{mark}{over}")
        times = [r["seconds"] for r in row.values() if r["status"] == 0]
        spread = f"{max(times) / min(times):.2f}x" if len(times) > 1 else "n/a"
        lines.append(f"| {chapter} | {' | '.join(cells)} | {spread} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=tuple(BUDGETS), default="quick")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--only", default="", help="chapters whose file name contains this")
    parser.add_argument("--outdir", type=pathlib.Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--budget", type=float, default=None, help="seconds per chapter")
    parser.add_argument(
        "--record", action="store_true", help="also write benchmarks/chapter_times.json"
    )
    args = parser.parse_args(argv)
    budget, budgeted = BUDGETS[args.scale]
    budget = args.budget if args.budget is not None else budget
    args.outdir.mkdir(parents=True, exist_ok=True)
    records = []
    for path in (p for p in chapters() if args.only in p.name):
        for backend in args.backends:  # interleaved: drift touches every backend alike
            outdir = args.outdir / f"{args.scale}-{backend}"
            outdir.mkdir(parents=True, exist_ok=True)
            record, tail = run_chapter(path, backend, args.scale, outdir)
            records.append(record)
            status = "ok" if record["status"] == 0 else f"FAILED (exit {record['status']})"
            print(
                f"{path.stem} on {backend}, {args.scale}: {status} in {record['seconds']} s "
                f"(load {record['load_before']})",
                flush=True,
            )
            if record["status"] != 0:
                print(tail, flush=True)
    measurement = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {available_cores()} CPU cores, "
        f"Python {platform.python_version()}",
        "records": records,
    }
    text = json.dumps(measurement, indent=2) + "\n"
    (args.outdir / f"chapter_times-{args.scale}.json").write_text(text)
    if args.record:
        (ROOT / "benchmarks" / "chapter_times.json").write_text(text)
    print(markdown(records, budget, budgeted))
    failed = [f"{r['chapter']} on {r['backend']}" for r in records if r["status"] != 0]
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
