"""Runs a character GPT on several simulated CPU devices, in a fresh process, and reports.

JAX fixes its number of devices when it starts, so a process that already
runs Keras on one device (a test session, the book build) cannot use four.
:func:`run_simulated` starts ``python -m companion.scaling.simulate`` with
``XLA_FLAGS=--xla_force_host_platform_device_count=N``; the child, for each
``(devices, model_parallel)`` layout asked for:

1. takes one training step on one device and the same step distributed,
   from the same weights (:func:`~companion.scaling.agreement.train_step_agreement`);
2. records every variable's sharding (:func:`~companion.scaling.devices.shardings`);
3. optionally trains on, the one-device model and each distributed one,
   for a few hundred steps on a file of token ids, recording the losses
   and the time.

It prints one JSON object, which :func:`run_simulated` returns as a dict.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from companion.checks import check_int
from companion.scaling.devices import simulated_device_flags

SIMULATED_GPT = {"hidden_dim": 32, "num_heads": 4, "num_layers": 2, "intermediate_dim": 64}


def _gpt_builder(vocabulary_size, context, shape):
    from companion.transformer import TransformerLanguageModel

    return lambda: TransformerLanguageModel(vocabulary_size, context, **shape)


def _windows(ids, context, batch, steps, seed):
    """``steps × batch`` random windows of ``ids``: inputs and next-token targets."""
    starts = np.random.default_rng(seed).integers(0, len(ids) - context - 1, steps * batch)
    windows = np.stack([ids[s : s + context + 1] for s in starts])  # (S·B, T + 1)
    return windows[:, :-1], windows[:, 1:]


def _train_on(model, distribution, x, y, batch):
    """Trains ``model`` on the batches of ``x, y`` after the first; its losses and seconds.

    The model has taken its first step (and compiled it) in the agreement
    check, so the clock measures training only. Under a distribution, the
    steps run in its scope, which splits each batch across the devices.
    """
    scope = distribution.scope() if distribution is not None else contextlib.nullcontext()
    losses = []
    start = time.perf_counter()
    with scope:
        for first in range(batch, len(x), batch):
            batch_x, batch_y = x[first : first + batch], y[first : first + batch]
            losses.append(float(model.train_on_batch(batch_x, batch_y)))  # (B, T) each
    return losses, time.perf_counter() - start


def _layout_reports(layouts, distributions, agreements, x):
    import keras

    from companion.scaling.devices import shardings

    reports = []
    for (devices, model_parallel), distribution, agreement in zip(
        layouts, distributions, agreements, strict=True
    ):
        mesh = distribution.device_mesh
        numbers = {k: v for k, v in agreement.items() if not k.endswith("model")}
        reports.append(
            {
                "devices": devices,
                "model_parallel": model_parallel,
                "distribution": type(distribution).__name__,
                "mesh_shape": list(mesh.shape),
                "axis_names": list(mesh.axis_names),
                "mesh_devices": [str(d) for d in np.ravel(mesh.devices)],
                "data_layout": list(distribution.get_data_layout(x.shape).axes),
                "shardings": shardings(agreement["model"]),
                "backend_devices": [str(d) for d in keras.distribution.list_devices()],
                **numbers,
            }
        )
    return reports


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layouts", nargs="+", required=True, help="DEVICES:MODEL_PARALLEL ...")
    parser.add_argument("--ids", default=None, help=".npy file of token ids to train on")
    parser.add_argument("--vocabulary-size", type=int, default=40)
    parser.add_argument("--context", type=int, default=32)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=0, help="training steps per layout")
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    args = parser.parse_args(argv)

    from companion.scaling.agreement import train_step_agreement
    from companion.scaling.devices import make_distribution

    layouts = [tuple(int(n) for n in text.split(":")) for text in args.layouts]
    build_model = _gpt_builder(args.vocabulary_size, args.context, SIMULATED_GPT)
    rng = np.random.default_rng(0)
    if args.ids is None:
        ids = rng.integers(0, args.vocabulary_size, 4096).astype("int32")
    else:
        ids = np.load(args.ids).astype("int32")
    x, y = _windows(ids, args.context, args.batch, max(args.steps, 1), seed=0)
    distributions = [make_distribution(d, m) for d, m in layouts]
    first_x, first_y = x[: args.batch], y[: args.batch]
    agreements = train_step_agreement(
        build_model, first_x, first_y, distributions, args.learning_rate
    )
    report = {"gpt": SIMULATED_GPT, "training": {}}
    report["layouts"] = _layout_reports(layouts, distributions, agreements, first_x)
    if args.steps > 1:  # the first step was the agreement check's; training goes on from it
        single = agreements[0]["single_model"]
        losses, seconds = _train_on(single, None, x, y, args.batch)
        report["training"]["1 device"] = ([agreements[0]["loss_single"], *losses], seconds)
        for (devices, model_parallel), distribution, agreement in zip(
            layouts, distributions, agreements, strict=True
        ):
            losses, seconds = _train_on(agreement["model"], distribution, x, y, args.batch)
            name = f"{devices} devices, model parallel {model_parallel}"
            report["training"][name] = ([agreement["loss_distributed"], *losses], seconds)
    print(json.dumps(report))


def run_simulated(layouts, ids=None, vocabulary_size=40, steps=0, batch=16, timeout=600):
    """Runs :func:`main` in a new JAX process with as many CPU devices as the layouts need.

    Args:
        layouts: list of ``(devices, model_parallel)`` pairs.
        ids: int array or None. Token ids to train on (saved to a temporary
            file); `None` draws random ids.
        vocabulary_size: int. Ids are below it.
        steps: int >= 0. Training steps per layout, the proof's step included
            (0 or 1: only the one-step proof).
        batch: int. Windows per step; a multiple of every layout's data-parallel devices.
        timeout: float. Seconds before the child is stopped.

    Returns:
        dict: ``gpt`` (the model's shape), ``layouts`` (one report per
        layout: mesh, shardings, one-step agreement) and ``training``
        (losses per step and seconds, per layout and on one device).
    """
    check_int("steps", steps, minimum=0)
    devices = max(check_int("devices", d, minimum=1) for d, _ in layouts)
    environment = dict(os.environ, KERAS_BACKEND="jax")
    environment["XLA_FLAGS"] = simulated_device_flags(environment.get("XLA_FLAGS", ""), devices)
    command = [sys.executable, "-m", "companion.scaling.simulate", "--layouts"]
    command += [f"{d}:{m}" for d, m in layouts]
    command += ["--vocabulary-size", str(vocabulary_size), "--steps", str(steps)]
    command += ["--batch", str(batch)]
    with tempfile.TemporaryDirectory() as folder:
        if ids is not None:
            path = os.path.join(folder, "ids.npy")
            np.save(path, np.asarray(ids, "int32"))
            command += ["--ids", path]
        result = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=timeout
        )
    if result.returncode != 0:
        raise RuntimeError(f"the simulated-device run failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
