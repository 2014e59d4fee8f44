"""``python -m benchmarks --device gpu``: the GPU benchmarks of every backend, into RESULTS.md.

First a check that costs no framework import: ``nvidia-smi`` on the PATH (or
``/proc/driver/nvidia``) and the GPUs it lists. Without one the command says
what it checked, measures nothing, leaves ``RESULTS.md`` alone and exits 0.
With one, each backend runs :mod:`benchmarks.gpu_measure` in its own process
(the backend is fixed when Keras is imported), one after the other so that
none competes for the GPU; a backend that sees no GPU (a CPU-only build) is
reported as skipped, with its reason. The tables (recurrent layers and their
cuDNN path, attention with and without flash, the GPT's step and its MFU)
replace the section between :data:`BEGIN` and :data:`END` in
``benchmarks/RESULTS.md`` (appended the first time), and are printed.
"""

import datetime
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys

from benchmarks import gpu_flops, gpu_measure

BEGIN = "<!-- gpu-benchmarks:begin (python -m benchmarks --device gpu replaces this section) -->"
END = "<!-- gpu-benchmarks:end -->"
LOG_DIR = os.path.join("benchmarks", "results")


def find_nvidia_gpus():
    """The NVIDIA GPUs the driver lists, found without importing a framework.

    Returns:
        ``(gpus, checked)``: ``gpus`` is `None` when there is none, else a
        dict of ``names`` (list of str), ``driver`` and ``cuda`` (the highest
        CUDA version the driver supports); ``checked`` says what was looked at.
    """
    smi = shutil.which("nvidia-smi")
    if smi is None:
        if not os.path.exists("/proc/driver/nvidia"):
            return None, "no `nvidia-smi` on the PATH and no /proc/driver/nvidia"
        unknown = "unknown (no nvidia-smi)"
        return {"names": [], "driver": unknown, "cuda": unknown}, "/proc/driver/nvidia exists"
    query = [smi, "--query-gpu=name,driver_version", "--format=csv,noheader"]
    try:
        listing = subprocess.run(query, capture_output=True, text=True, timeout=60)
        summary = subprocess.run([smi], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"`nvidia-smi` failed ({error})"
    lines = [line for line in listing.stdout.splitlines() if line.strip()]
    if listing.returncode != 0 or not lines:
        said = (listing.stderr or listing.stdout).strip().splitlines()
        return None, f"`nvidia-smi` lists no GPU ({said[0] if said else 'no output'})"
    cuda = re.search(r"CUDA Version:\s*([\d.]+)", summary)
    gpus = {
        "names": [line.rsplit(",", 1)[0].strip() for line in lines],  # "name, driver"
        "driver": lines[0].rsplit(",", 1)[-1].strip(),
        "cuda": cuda.group(1) if cuda else "unknown",
    }
    return gpus, f"`nvidia-smi` lists {len(lines)} GPU(s)"


def run_backend(backend, parts, repeat, log_dir=LOG_DIR):
    """Runs :mod:`benchmarks.gpu_measure` under ``backend``; its environment, rows and failure.

    Returns:
        A dict with ``environment`` (`None` if the process died before
        reporting it), ``rows`` (list of dicts) and ``failure`` (`None`, or
        why the process ended badly; its stderr is in ``log_dir``).
    """
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, f"gpu-{backend}.log")
    command = [sys.executable, "-m", "benchmarks.gpu_measure", "--parts", *parts]
    command += ["--repeat", str(repeat)]
    environment = dict(
        os.environ,
        KERAS_BACKEND=backend,
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_FORCE_GPU_ALLOW_GROWTH="true",  # TensorFlow, if a library loads it, leaves the GPU be
    )
    result = {"environment": None, "rows": [], "failure": None}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=log, text=True
        )
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # a library's own print
            if "environment" in message:
                result["environment"] = message["environment"]
            else:
                result["rows"].append(message["row"])
                print(f"{backend}: {_describe(message['row'])}", file=sys.stderr, flush=True)
        process.wait()
    if process.returncode != 0:
        result["failure"] = f"the process exited with code {process.returncode}; see {log_path}"
    return result


def _describe(row):
    """One line of progress for the terminal."""
    if row["part"] == "recurrent":
        what = row["layer"]
    elif row["part"] == "attention":
        what = f"attention T={row['length']} {row['dtype']} flash={row['flash']}"
    else:
        what = "GPT training step"
    return f"{what}: {_time(row)}"


def _cell(text):
    """Text that fits in one markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _time(row):
    if row["error"] is not None:
        return f"error: {_cell(row['error'])}"
    seconds = row["median_s"]
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _rows(results, part):
    return [
        (backend, row) for backend, r in results.items() for row in r["rows"] if row["part"] == part
    ]


def backends_table(results):
    """One line per backend: framework, CUDA and cuDNN, the GPU it saw, and its status."""
    lines = [
        "| backend | framework | CUDA / cuDNN (the framework's) | GPU seen | status |",
        "| --- | --- | --- | --- | --- |",
    ]
    for backend, result in results.items():
        env = result["environment"] or {}
        status = "measured"
        if env.get("skipped"):
            status = f"skipped: {env['skipped']}"
        if result["failure"]:
            status = f"failed after {len(result['rows'])} rows: {result['failure']}"
        lines.append(
            f"| {backend} | {env.get('framework', 'unknown')} "
            f"| {env.get('cuda', '?')} / {env.get('cudnn', '?')} "
            f"| {', '.join(env.get('devices', [])) or 'none'} | {_cell(status)} |"
        )
    return "\n".join(lines)


def recurrent_table(results):
    lines = ["| layer | backend | training step | cuDNN |", "| --- | --- | --- | --- |"]
    order = gpu_measure.RNN_LAYERS
    for backend, row in sorted(
        _rows(results, "recurrent"), key=lambda p: order.index(p[1]["layer"])
    ):
        lines.append(f"| {row['layer']} | {backend} | {_time(row)} | {_cell(row['cudnn'])} |")
    return "\n".join(lines)


def attention_table(results):
    """One line per length, dtype and backend: flash against not, and the kernels that ran."""
    cells = {}
    for backend, row in _rows(results, "attention"):
        cells.setdefault((row["length"], row["dtype"], backend), {})[row["flash"]] = row
    lines = [
        "| T | dtype | backend | flash_attention=True | flash_attention=False "
        "| speed-up of flash | kernel (True; False) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (length, dtype, backend), pair in sorted(cells.items()):
        flash, plain = pair.get(True), pair.get(False)
        speedup = ""
        if flash and plain and flash["error"] is None and plain["error"] is None:
            speedup = f"{plain['median_s'] / flash['median_s']:.2f}x"
        kernels = "; ".join(_cell(row["path"]) for row in (flash, plain) if row and row["path"])
        lines.append(
            f"| {length} | {dtype} | {backend} | {_time(flash) if flash else 'not run'} "
            f"| {_time(plain) if plain else 'not run'} | {speedup} | {kernels} |"
        )
    return "\n".join(lines)


def gpt_table(results, gpus, peak_override=None):
    """The GPT's step, tokens per second, model FLOP/s and MFU on each backend."""
    lines = [
        "| backend | training step | tokens/s | N | model FLOPs per token | model TFLOP/s "
        "| peak bf16 TFLOP/s | MFU |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for backend, row in _rows(results, "gpt"):
        if row["error"] is not None:
            lines.append(f"| {backend} | {_time(row)} | | | | | | |")
            continue
        devices = results[backend]["environment"]["devices"] or gpus["names"] or ["unknown"]
        tflops, source = gpu_flops.peak_tflops(devices[0], peak_override)
        per_token = gpu_flops.model_flops_per_token(
            row["parameters"], row["layers"], row["context"], row["width"]
        )
        achieved = row["tokens_per_second"] * per_token / 1e12
        mfu = gpu_flops.model_flops_utilisation(row["tokens_per_second"], per_token, tflops)
        peak = f"{tflops:g} ({source})" if tflops is not None else source
        lines.append(
            f"| {backend} | {_time(row)} | {row['tokens_per_second']:,.0f} "
            f"| {row['parameters']:,} | {per_token:,} | {achieved:.1f} | {_cell(peak)} "
            f"| {'n/a' if mfu is None else f'{mfu:.1%}'} |"
        )
    return "\n".join(lines)


def report(results, gpus, date, peak_override=None):
    """The markdown section: where and how it was measured, then one table per part."""
    m = gpu_measure  # the sizes
    names = ", ".join(gpus["names"]) or "an NVIDIA GPU that nvidia-smi could not name"
    text = [
        "## GPU benchmarks",
        "",
        f"Measured on {date} by `python -m benchmarks --device gpu` on {names} (driver "
        f"{gpus['driver']}, CUDA {gpus['cuda']} as the driver reports), Keras "
        f"{importlib.metadata.version('keras')}. Each backend ran alone, in its own process, "
        "one after the other, with Keras's defaults: `train_on_batch` compiled with XLA on "
        "JAX and TensorFlow (not on TensorFlow for a model with a cuDNN layer, which XLA "
        "cannot compile) and eager on torch. A time is the median of the timed samples after "
        "warm-up calls (`benchmarks/core.py`); each call ends by reading a result back to the "
        "host, so the GPU's queued work is counted. An error in a cell is the message the "
        "configuration raised. The paths (cuDNN, flash) are checked in the run, not assumed: "
        "`benchmarks/gpu_paths.py` says how.",
        "",
        backends_table(results),
        "",
        "### Recurrent layers",
        "",
        f"One training step (`train_on_batch`: forward, backward and an SGD update, MSE on "
        f"every output) of one layer, batch {m.RNN_BATCH} x {m.RNN_STEPS} steps x "
        f"{m.RNN_UNITS} features, {m.RNN_UNITS} units, float32. `recurrent.LSTM` and "
        "`recurrent.GRU` are the companion's from-scratch layers.",
        "",
        recurrent_table(results),
        "",
        "### Attention with and without flash",
        "",
        f"`keras.ops.dot_product_attention(q, k, v, is_causal=True, flash_attention=...)`, "
        f"forward and backward (the gradients of the output's sum), batch "
        f"{m.ATTENTION_BATCH}, {m.ATTENTION_HEADS} heads of {m.ATTENTION_HEAD_DIM}; float16 "
        "is tried where bfloat16's flash failed. On torch, `flash_attention=False` lets "
        "PyTorch's SDPA pick its kernel, flash included.",
        "",
        attention_table(results),
        "",
        "### GPT training step in mixed_bfloat16",
        "",
        f"One Adam step of the companion's `transformer.TransformerLanguageModel`, "
        f"{m.GPT_LAYERS} pre-norm layers of width {m.GPT_WIDTH}, {m.GPT_HEADS} heads, "
        f"vocabulary {m.GPT_VOCABULARY:,}, batch {m.GPT_BATCH} x {m.GPT_CONTEXT} tokens, "
        "under the `mixed_bfloat16` policy; its attention is the companion's from-scratch "
        "one, which materialises the (B, H, T, T) scores (no flash). Model FLOPs per token "
        "= 6N + 12·L·T·d (PaLM, appendix B), where N counts every trainable parameter "
        "except the token and position embedding tables (lookups) and includes the untied "
        "output layer (a matrix product per token); MFU = tokens/s x FLOPs per token / the "
        "GPU's peak dense bfloat16 FLOP/s (`benchmarks/gpu_flops.py`: datasheet figures "
        "without sparsity).",
        "",
        gpt_table(results, gpus, peak_override),
    ]
    return "\n".join(text)


def replace_section(text, section):
    """``text`` with the part from :data:`BEGIN` to :data:`END` replaced by ``section``.

    The section, between its markers, is appended when ``text`` has none, so
    running the benchmarks again replaces it instead of adding a copy.
    """
    marked = f"{BEGIN}\n{section.strip()}\n{END}"
    start = text.find(BEGIN)
    if start < 0:
        return f"{text.rstrip()}\n\n{marked}\n"
    end = text.find(END, start)
    if end < 0:
        raise ValueError(f"the GPU section's begin marker has no end marker ({END!r})")
    return text[:start] + marked + text[end + len(END) :]


def main(args):
    """The GPU run of ``python -m benchmarks``: ``args`` from its parser."""
    gpus, checked = find_nvidia_gpus()
    if gpus is None:
        print(f"No NVIDIA GPU ({checked}): nothing was measured and {args.results} is unchanged.")
        return
    parts = [part for part in gpu_measure.PARTS if args.filter in part]
    if not parts:
        raise SystemExit(f"--filter {args.filter!r} matches none of {', '.join(gpu_measure.PARTS)}")
    print(f"GPU found ({checked}); measuring {', '.join(parts)}.", file=sys.stderr)
    results = {backend: run_backend(backend, parts, args.repeat) for backend in args.backends}
    if not any(result["rows"] for result in results.values()):
        print(f"No backend measured anything: {args.results} is unchanged.")
        print(backends_table(results))
        return
    section = report(results, gpus, datetime.date.today().isoformat(), args.peak_tflops)
    with open(args.results, encoding="utf-8") as file:
        text = file.read()
    with open(args.results, "w", encoding="utf-8") as file:
        file.write(replace_section(text, section))
    print(section)
