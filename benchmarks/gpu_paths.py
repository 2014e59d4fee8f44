"""Which kernel a GPU benchmark actually ran: cuDNN for the recurrent layers, flash for attention.

A backend may take a fast path or quietly fall back, so the GPU benchmarks
check the path taken instead of assuming it. How Keras 3.15.1 decides (its
``keras/src/backend/*/rnn.py`` and ``nn.py``):

* **Recurrent layers.** ``keras.layers.LSTM`` and ``GRU`` call the backend's
  ``lstm`` / ``gru`` unless there is recurrent dropout; the backend raises
  ``NotImplementedError`` (and the layer runs its generic loop) when its
  ``cudnn_ok(activation, recurrent_activation, unroll, use_bias)`` is false:
  ``tanh`` and ``sigmoid``, no ``unroll``, a bias, and a GPU visible to the
  backend (TensorFlow also needs ``reset_after=True`` for a GRU; JAX and
  torch also need no mask). Then TensorFlow calls its
  ``_cudnn_lstm`` / ``_cudnn_gru`` (the ``CudnnRNNV3`` op), torch its
  ``_cudnn_lstm`` / ``_cudnn_gru`` (``torch._VF`` on CUDA tensors; an
  exception there is swallowed and the slow loop runs), and JAX
  ``jax.experimental.rnn.lstm``; JAX has no cuDNN GRU, its ``gru`` is a
  ``lax.scan``. The check here: ``cudnn_ok`` for the layer's own arguments,
  then a *spy* on the cuDNN function while the first training step is traced
  or run, which records whether it was called and whether it returned; on
  torch also the ``aten`` ops of one step in ``torch.profiler``
  (``aten::_cudnn_rnn``).
* **Attention.** ``keras.ops.dot_product_attention(..., flash_attention=True)``
  raises on TensorFlow ("not supported"); on torch it checks
  ``can_use_flash_attention`` and runs SDPA with only the flash kernel
  allowed, while ``flash_attention=False`` lets SDPA choose among all its
  kernels, flash included ("False" does not forbid flash on torch); on JAX it checks cuDNN's
  conditions, then calls ``jax.nn.dot_product_attention(implementation=
  "cudnn")`` and, if *that* raises, logs it and falls back to ``"xla"``: the
  spy records which implementation returned.
"""

import contextlib
import importlib

import keras


def first_line(error):
    """``"TypeName: first line of the message"``, short enough for a table cell.

    TensorFlow wraps an error raised while AutoGraph converts a function as
    "in user code:", a traceback, then ``"TypeName: message"``: that last line is kept.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()] or [""]
    name = type(error).__name__
    if lines[0] == "in user code:":
        lines = [lines[-1].removeprefix(f"{name}: ")]
    return f"{name}: {lines[0]}"[:200]


@contextlib.contextmanager
def spying(module, name):
    """Replaces ``module.name`` by a wrapper that records each call, then puts it back.

    Yields:
        A list that gets one ``(keyword arguments, outcome)`` pair per call:
        the outcome is ``"returned"`` or :func:`first_line` of the exception,
        which is raised again (the caller's behaviour is unchanged).
    """
    original = getattr(module, name)
    calls = []

    def spy(*args, **kwargs):
        try:
            result = original(*args, **kwargs)
        except Exception as error:
            calls.append((kwargs, first_line(error)))
            raise
        calls.append((kwargs, "returned"))
        return result

    setattr(module, name, spy)
    try:
        yield calls
    finally:
        setattr(module, name, original)


def keras_cudnn_function(layer):
    """``(module, name)`` of the function through which ``layer`` reaches cuDNN, or `None`."""
    backend = keras.config.backend()
    kind = "lstm" if isinstance(layer, keras.layers.LSTM) else "gru"
    if backend == "jax":
        rnn = importlib.import_module("jax.experimental.rnn")
        return (rnn, "lstm") if kind == "lstm" else None
    return importlib.import_module(f"keras.src.backend.{backend}.rnn"), f"_cudnn_{kind}"


def keras_cudnn_ok(layer):
    """The backend's own ``cudnn_ok`` for the layer's arguments."""
    backend = keras.config.backend()
    rnn = importlib.import_module(f"keras.src.backend.{backend}.rnn")
    cell = layer.cell
    options = {}
    if backend == "tensorflow" and isinstance(layer, keras.layers.GRU):
        options["reset_after"] = cell.reset_after
    return rnn.cudnn_ok(
        cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias, **options
    )


def torch_cudnn_ops(step):
    """The cuDNN RNN ops (``aten::_cudnn_rnn...``) that one call of ``step`` runs (torch only).

    Only ``_cudnn_rnn`` counts: ``aten::cudnn_is_acceptable`` runs on the CPU too.
    """
    if keras.config.backend() != "torch":
        return []
    from torch import profiler

    with profiler.profile(activities=[profiler.ProfilerActivity.CPU]) as profile:
        step()
    return sorted({event.name for event in profile.events() if "_cudnn_rnn" in event.name})


def keras_cudnn_verdict(layer, calls, cudnn_ops):
    """The "cuDNN" cell of a Keras layer's row: ``"yes: ..."`` or ``"no: ..."`` and why.

    Args:
        layer: the ``keras.layers.LSTM`` or ``GRU`` that was timed.
        calls: the spy's record of :func:`keras_cudnn_function`, or `None`
            when the backend has none for this layer.
        cudnn_ops: list of str. :func:`torch_cudnn_ops` of one step.
    """
    if calls is None:
        return "no: Keras's JAX GRU is a lax.scan (jax.experimental.rnn has no cuDNN GRU)"
    module, name = keras_cudnn_function(layer)
    function = f"{module.__name__}.{name}"
    profiled = f"; profile: {', '.join(cudnn_ops)}" if cudnn_ops else ""
    if any(outcome == "returned" for _, outcome in calls):
        return f"yes: cudnn_ok() is True and {function} returned{profiled}"
    if calls:
        return f"no: {function} raised {calls[0][1]}; Keras ran its generic loop"
    if not keras_cudnn_ok(layer):
        return "no: cudnn_ok() is False (no GPU visible to the backend, or arguments cuDNN lacks)"
    return f"no: cudnn_ok() is True but {function} was never called"


def companion_cudnn_verdict(layer, cudnn_ops):
    """The "cuDNN" cell of a companion layer's row: its fused kernel, if any, and the profile."""
    from companion.recurrent import fused

    kernel = fused.kernel_name(layer.cell)
    if kernel is None:
        return f"no: the readable loop (companion has no fused kernel on {keras.config.backend()})"
    if cudnn_ops:
        return f"yes: {kernel}; profile: {', '.join(cudnn_ops)}"
    return f"no: {kernel} ran without cuDNN (no aten::_cudnn_rnn in the profile)"


def attention_path(flash, calls):
    """What ``keras.ops.dot_product_attention`` ran, from the backend and, on JAX, the spy.

    Args:
        flash: bool. The ``flash_attention`` argument.
        calls: the spy's record of ``jax.nn.dot_product_attention`` (JAX),
            else `None`.
    """
    backend = keras.config.backend()
    if backend == "tensorflow":
        return "einsum and softmax (Keras's TensorFlow attention)"
    if backend == "torch":
        if flash:
            return "torch SDPA, flash kernel only"
        return "torch SDPA, its own choice of kernel (flash allowed)"
    returned = [kwargs.get("implementation") for kwargs, outcome in calls if outcome == "returned"]
    failed = [
        f"{kwargs.get('implementation')} raised {o}" for kwargs, o in calls if o != "returned"
    ]
    ran = f"jax.nn.dot_product_attention, implementation={returned[0]!r}" if returned else "none"
    return ran + (f" ({'; '.join(failed)})" if failed else "")
