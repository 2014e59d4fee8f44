"""Beyond one CPU: data and model parallel training, and mixed precision (chapter 9).

* :mod:`~companion.scaling.devices`: :func:`request_devices` (simulated CPU
  devices), :func:`device_mesh`, :func:`make_distribution` (``DataParallel``
  or ``ModelParallel`` from ``--devices N --model-parallel M``) and
  :func:`shardings`;
* :mod:`~companion.scaling.layouts`: :data:`TRANSFORMER_LAYOUT`, the
  Megatron-style split of a Transformer block, and
  :func:`transformer_layout_map`;
* :mod:`~companion.scaling.agreement`: :func:`train_step_agreement`, one
  step on one device against the same step distributed;
* :mod:`~companion.scaling.precision`: :data:`PRECISIONS` and
  :func:`set_precision` (``mixed_float16``, ``mixed_bfloat16``) and
  :func:`proof_tolerance`;
* :mod:`~companion.scaling.simulate`: :func:`run_simulated`, a character
  GPT on several simulated CPU devices in a fresh JAX process.

Only JAX implements ``keras.distribution``; the other backends get a clear
error. Nothing here imports Keras at import time.
"""

from companion.scaling.agreement import TOLERANCE, train_step_agreement
from companion.scaling.devices import (
    check_distribution_backend,
    check_parallelism,
    device_mesh,
    make_distribution,
    request_devices,
    shardings,
    simulated_device_flags,
)
from companion.scaling.layouts import (
    TRANSFORMER_LAYOUT,
    check_model_parallel_sizes,
    transformer_layout_map,
)
from companion.scaling.precision import PRECISIONS, proof_tolerance, set_precision
from companion.scaling.simulate import SIMULATED_GPT, run_simulated

__all__ = [
    "PRECISIONS",
    "SIMULATED_GPT",
    "TOLERANCE",
    "TRANSFORMER_LAYOUT",
    "check_distribution_backend",
    "check_model_parallel_sizes",
    "check_parallelism",
    "device_mesh",
    "make_distribution",
    "proof_tolerance",
    "request_devices",
    "run_simulated",
    "set_precision",
    "shardings",
    "simulated_device_flags",
    "train_step_agreement",
    "transformer_layout_map",
]
