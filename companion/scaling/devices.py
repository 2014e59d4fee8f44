"""Several devices for one model: the mesh, the distribution, and the flags that set them.

Keras 3 distributes training with ``keras.distribution`` (built on JAX's
sharding, so JAX only). This module sets it up from two numbers, as the
chapters' ``--devices N --model-parallel M`` do:

* ``M = 1``: ``DataParallel`` on ``N`` devices: every device holds the whole
  model and ``1/N`` of each batch; the gradients are averaged across devices;
* ``M > 1``: ``ModelParallel`` on a mesh of ``N/M × M`` devices (axes
  ``"batch"`` and ``"model"``): the batch is split over the first axis and
  the Transformer blocks' big matrices over the second
  (:mod:`companion.scaling.layouts`).

On a CPU, ``N`` devices are simulated by XLA
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``), which must be set
before JAX starts: :func:`request_devices` does it, so call it before the
first ``import keras``. On TensorFlow and torch, ``keras.distribution`` is
not available and asking for devices raises an error that says so.

Nothing here imports Keras at import time.
"""

import os
import sys

from companion.checks import check_int
from companion.scaling.layouts import BATCH_AXIS, MODEL_AXIS, transformer_layout_map

DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"


def check_parallelism(devices, model_parallel=1):
    """Checks ``devices`` and ``model_parallel`` and returns them as ints.

    Args:
        devices: int >= 1. Devices to train on.
        model_parallel: int >= 1 dividing ``devices``. Devices that share one
            copy of the model. Defaults to 1 (data parallel only).

    Returns:
        ``(devices, model_parallel)``.
    """
    devices = check_int("devices", devices, minimum=1)
    model_parallel = check_int("model_parallel", model_parallel, minimum=1)
    if devices % model_parallel:
        raise ValueError(
            f"model_parallel must divide devices={devices} into a whole number of model "
            f"copies (got model_parallel={model_parallel})"
        )
    return devices, model_parallel


def check_distribution_backend(backend):
    """Raises ``ValueError`` unless ``backend`` is JAX, the one that has ``keras.distribution``."""
    if backend != "jax":
        raise ValueError(
            "--devices and --model-parallel need the JAX backend: keras.distribution "
            f"(DataParallel, ModelParallel) is implemented only for JAX (got backend={backend!r}). "
            "Run with --backend jax, or without --devices on one device."
        )


def simulated_device_flags(flags, devices):
    """``flags`` (an ``XLA_FLAGS`` string) with XLA's CPU device count set to ``devices``.

    The count goes first: XLA stops reading ``XLA_FLAGS`` at the first word
    that is not a ``--flag`` (such as the thread policy's
    ``intra_op_parallelism_threads=N``), and ignores everything after it.
    """
    devices = check_int("devices", devices, minimum=1)
    kept = [flag for flag in flags.split() if not flag.startswith(DEVICE_COUNT_FLAG)]
    return " ".join([f"{DEVICE_COUNT_FLAG}={devices}", *kept])


def _started_devices():
    """``(count, platform)`` of JAX's devices, or `None` while JAX has not created them.

    Read from the modules already loaded, so that nothing here starts JAX.
    """
    bridge = sys.modules.get("jax._src.xla_bridge")
    if bridge is None or not bridge.backends_are_initialized():
        return None
    return len(bridge.devices()), bridge.default_backend()


def request_devices(devices, backend):
    """Makes ``devices`` CPU devices appear to JAX (simulated); call before ``import keras``.

    A machine with accelerators keeps them: the flag only changes the CPU
    platform, which JAX uses when it has no GPU or TPU.

    Args:
        devices: int >= 1.
        backend: str. The Keras backend that will be used.

    Raises:
        ValueError: if ``backend`` is not JAX, or if JAX has already
            started (its devices are then fixed).
    """
    devices, _ = check_parallelism(devices)
    check_distribution_backend(backend)
    started = _started_devices()
    if started is not None:
        count, platform = started
        if count < devices and platform == "cpu":
            raise ValueError(
                f"devices={devices} CPU devices were requested but JAX has already started "
                f"with {count}; set the devices before the first import of keras "
                f"or jax (XLA_FLAGS={DEVICE_COUNT_FLAG}={devices})"
            )
        return
    os.environ["XLA_FLAGS"] = simulated_device_flags(os.environ.get("XLA_FLAGS", ""), devices)


def _devices(count):
    """The first ``count`` of ``keras.distribution.list_devices()`` (accelerators first)."""
    import keras

    check_distribution_backend(keras.config.backend())
    available = keras.distribution.list_devices()
    if len(available) < count:
        raise ValueError(
            f"devices={count} were requested but JAX sees {len(available)} ({available}); on a "
            f"CPU, set XLA_FLAGS={DEVICE_COUNT_FLAG}={count} before importing keras"
        )
    return available[:count]


def device_mesh(devices, model_parallel=1):
    """A ``keras.distribution.DeviceMesh`` of shape ``(devices / model_parallel, model_parallel)``.

    Args:
        devices: int >= 1. The first ``devices`` of ``keras.distribution.list_devices()``.
        model_parallel: int >= 1 dividing ``devices``.

    Returns:
        ``keras.distribution.DeviceMesh`` with the axes ``("batch", "model")``.
    """
    import keras

    devices, model_parallel = check_parallelism(devices, model_parallel)
    return keras.distribution.DeviceMesh(
        shape=(devices // model_parallel, model_parallel),
        axis_names=(BATCH_AXIS, MODEL_AXIS),
        devices=_devices(devices),
    )


def make_distribution(devices, model_parallel=1):
    """``DataParallel`` (``model_parallel == 1``) or ``ModelParallel`` with the Transformer layout.

    Args:
        devices: int >= 1.
        model_parallel: int >= 1 dividing ``devices``. Defaults to 1.

    Returns:
        a ``keras.distribution.Distribution``; use it with
        ``keras.distribution.set_distribution(d)`` or ``with d.scope():``
        before the model is created.
    """
    import keras

    devices, model_parallel = check_parallelism(devices, model_parallel)
    if model_parallel == 1:  # a one-axis mesh, "batch", as DataParallel expects
        return keras.distribution.DataParallel(devices=_devices(devices))
    return keras.distribution.ModelParallel(
        layout_map=transformer_layout_map(device_mesh(devices, model_parallel)),
        batch_dim_name=BATCH_AXIS,
    )


def shardings(model):
    """How each variable of ``model`` is laid out: one row per variable.

    Args:
        model: a built Keras model (JAX backend).

    Returns:
        list of dict with ``path``, ``shape`` (the whole variable), ``axes``
        (the mesh axis of each dimension, `None` when not split),
        ``shard_shape`` (what one device holds) and ``devices`` (how many
        devices hold a part or a copy of it).
    """
    if not hasattr(model, "variables") or not getattr(model, "built", False):
        raise TypeError(f"model must be a built Keras model (got {model!r})")
    rows = []
    for variable in model.variables:
        value = variable.value
        spec = tuple(getattr(value.sharding, "spec", ()))
        axes = spec + (None,) * (len(variable.shape) - len(spec))
        rows.append(
            {
                "path": variable.path,
                "shape": tuple(variable.shape),
                "axes": axes,
                "shard_shape": tuple(value.addressable_shards[0].data.shape),
                "devices": len(value.sharding.device_set),
            }
        )
    return rows
