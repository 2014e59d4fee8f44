"""The GPU benchmarks of one backend, run in that backend's own process by ``benchmarks.gpu``.

``python -m benchmarks.gpu_measure --parts recurrent attention gpt`` (with
``KERAS_BACKEND`` set) writes JSON lines on stdout: first
``{"environment": ...}`` (the framework, its CUDA build and the GPUs it
sees; ``"skipped"`` gives the reason when it sees none, and nothing is
measured), then one ``{"row": ...}`` per measurement as soon as it is taken,
so a crash loses only the rows after it. A measurement that raises (flash
attention the backend lacks, memory the GPU lacks) gives a row with the
error's message instead of a time.

* **recurrent**: one training step (``train_on_batch``, SGD, MSE on every
  output: forward, backward and the update) of ``keras.layers.LSTM`` and
  ``GRU`` and of the companion's from-scratch ``recurrent.LSTM`` and ``GRU``
  (``reset_after=True``), float32, and whether cuDNN ran
  (:mod:`benchmarks.gpu_paths`);
* **attention**: ``keras.ops.dot_product_attention``, causal, forward and
  backward (the gradients of the sum of its output with respect to the
  query, key and value, compiled with ``jax.jit`` or ``tf.function(
  jit_compile=True)``, eager on torch), with ``flash_attention=True`` and
  `False`, in bfloat16, and in float16 at the lengths where bfloat16's flash
  failed;
* **gpt**: one training step (Adam) of the companion's decoder-only
  :class:`~companion.transformer.TransformerLanguageModel` under the
  ``mixed_bfloat16`` policy, with its parameter counts for the MFU
  (:mod:`benchmarks.gpu_flops`).

Times come from :func:`benchmarks.core.time_benchmark` (warm-up calls, then
the median of timed samples); each timed call ends by reading a result back
to the host, so asynchronous GPU work is included.
"""

import argparse
import json
import warnings

import numpy as np

from benchmarks.core import Benchmark, time_benchmark

PARTS = ("recurrent", "attention", "gpt")

# Recurrent layers: one training step at a realistic size, float32.
RNN_BATCH, RNN_STEPS, RNN_UNITS = 64, 256, 512
RNN_LAYERS = ("keras.layers.LSTM", "keras.layers.GRU", "recurrent.LSTM", "recurrent.GRU")

# Attention: causal self-attention, forward and backward.
ATTENTION_BATCH, ATTENTION_HEADS, ATTENTION_HEAD_DIM = 8, 8, 64
ATTENTION_LENGTHS = (512, 1024, 2048, 4096)

# The GPT: GPT-2's vocabulary padded to a multiple of 64 (as nanoGPT does), pre-norm blocks.
GPT_LAYERS, GPT_HEADS, GPT_WIDTH, GPT_CONTEXT, GPT_BATCH = 6, 8, 512, 256, 32
GPT_VOCABULARY = 50_304


def _cuda_version(number):
    """CUDA's version number as text: ``12080 -> "12.8"``."""
    return "unknown" if number is None else f"{number // 1000}.{number % 1000 // 10}"


def _cudnn_version(number):
    """cuDNN's version number as text: ``90800 -> "9.8.0"``, and cuDNN 8's ``8907 -> "8.9.7"``."""
    if number is None:
        return "unknown"
    major, rest = divmod(number, 10_000 if number >= 90_000 else 1_000)
    return f"{major}.{rest // 100}.{rest % 100}"


def detect(backend):
    """The framework's version, its CUDA and cuDNN, and the GPUs it sees.

    Returns:
        A dict with ``framework``, ``cuda``, ``cudnn``, ``devices`` (names)
        and ``skipped`` (`None`, or why this backend has no GPU to measure).
    """
    if backend == "jax":
        import jax
        import jaxlib

        info = {"framework": f"jax {jax.__version__}, jaxlib {jaxlib.__version__}"}
        try:
            from jax._src.lib import cuda_versions  # private: only for the report's versions

            info["cuda"] = _cuda_version(cuda_versions.cuda_runtime_get_version())
            info["cudnn"] = _cudnn_version(cuda_versions.cudnn_get_version())
        except (ImportError, AttributeError):
            info["cuda"] = info["cudnn"] = "unknown"
        try:
            info["devices"] = [device.device_kind for device in jax.devices("gpu")]
        except RuntimeError as error:
            info["devices"] = []
            info["skipped"] = f"jax.devices('gpu') raised: {error}"
    elif backend == "torch":
        import torch

        info = {
            "framework": f"torch {torch.__version__}",
            "cuda": torch.version.cuda or "none (a CPU-only build)",
            "cudnn": _cudnn_version(torch.backends.cudnn.version()),
        }
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        info["devices"] = [torch.cuda.get_device_name(index) for index in range(count)]
        if not count:
            info["skipped"] = "torch.cuda.is_available() is False"
    else:
        import tensorflow as tf

        build = tf.sysconfig.get_build_info()
        info = {
            "framework": f"tensorflow {tf.__version__}",
            "cuda": build.get("cuda_version", "none (a CPU-only build)"),
            "cudnn": build.get("cudnn_version", "none"),
        }
        gpus = tf.config.list_physical_devices("GPU")
        info["devices"] = [
            tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
            for gpu in gpus
        ]
        if not gpus:
            info["skipped"] = "tf.config.list_physical_devices('GPU') is empty"
    info.setdefault("skipped", None)
    return info


def _on_device(array, dtype=None):
    """A NumPy array as a tensor on the backend's default device (the GPU when there is one)."""
    from keras import ops

    return ops.convert_to_tensor(array, dtype=dtype)


def _timed(benchmark, repeat):
    """``time_benchmark``'s median, or the error that stopped it: ``(seconds, error)``."""
    from benchmarks.gpu_paths import first_line

    try:
        return time_benchmark(benchmark, repeat=repeat)["median_s"], None
    except Exception as error:  # the table shows why this configuration does not run
        return None, first_line(error)


def _recurrent_layer(name, units):
    import keras

    from companion import recurrent

    layers = {
        "keras.layers.LSTM": lambda: keras.layers.LSTM(units, return_sequences=True),
        "keras.layers.GRU": lambda: keras.layers.GRU(units, return_sequences=True),
        "recurrent.LSTM": lambda: recurrent.LSTM(units, return_sequences=True),
        "recurrent.GRU": lambda: recurrent.GRU(units, reset_after=True, return_sequences=True),
    }
    return layers[name]()


def measure_recurrent(name, batch=RNN_BATCH, steps=RNN_STEPS, units=RNN_UNITS, repeat=7):
    """One row: the training step's median time of layer ``name`` and whether cuDNN ran."""
    import keras

    from benchmarks import gpu_paths
    from companion import runtime

    found = {}

    def make():
        runtime.set_seed(0)
        layer = _recurrent_layer(name, units)
        model = keras.Sequential([keras.Input((steps, units)), layer])
        model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
        rng = np.random.default_rng(0)
        x = _on_device(rng.normal(size=(batch, steps, units)).astype("float32"))
        y = _on_device(rng.normal(size=(batch, steps, units)).astype("float32"))

        def step():
            return model.train_on_batch(x, y)

        target = gpu_paths.keras_cudnn_function(layer) if name.startswith("keras.") else None
        if target is None:
            step()  # builds and compiles
            calls = None
        else:
            with gpu_paths.spying(*target) as calls:
                step()  # the first step traces (or, on torch, runs) the layer's path
        cudnn_ops = gpu_paths.torch_cudnn_ops(step)
        if name.startswith("keras."):
            found["cudnn"] = gpu_paths.keras_cudnn_verdict(layer, calls, cudnn_ops)
        else:
            found["cudnn"] = gpu_paths.companion_cudnn_verdict(layer, cudnn_ops)
        return step

    seconds, error = _timed(Benchmark("recurrent", name, make), repeat)
    return {
        "part": "recurrent",
        "layer": name,
        "median_s": seconds,
        "error": error,
        "cudnn": found.get("cudnn", "not reached"),
    }


def _attention_step(query, key, value, flash):
    """The zero-argument function to time: the query's, key's and value's gradients, summed.

    Summing them into one float32 scalar keeps every gradient computed while
    reading back 4 bytes, not three ``(B, T, H, D)`` tensors.
    """
    import keras
    from keras import ops

    def loss(q, k, v):
        out = ops.dot_product_attention(q, k, v, is_causal=True, flash_attention=flash)
        return ops.sum(ops.cast(out, "float32"))  # (B, T, H, D) -> ()

    def total(gradients):
        return sum(ops.sum(ops.cast(g, "float32")) for g in gradients)

    backend = keras.config.backend()
    if backend == "jax":
        import jax

        compiled = jax.jit(lambda q, k, v: total(jax.grad(loss, argnums=(0, 1, 2))(q, k, v)))
        return lambda: compiled(query, key, value)
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=True)
        def compiled(q, k, v):
            with tf.GradientTape() as tape:
                tape.watch([q, k, v])
                value_of_loss = loss(q, k, v)
            return total(tape.gradient(value_of_loss, [q, k, v]))

        return lambda: compiled(query, key, value)
    leaves = [tensor.detach().requires_grad_() for tensor in (query, key, value)]

    def eager():
        for leaf in leaves:
            leaf.grad = None
        loss(*leaves).backward()
        return total(leaf.grad for leaf in leaves)

    return eager


def measure_attention(
    length,
    dtype,
    flash,
    batch=ATTENTION_BATCH,
    heads=ATTENTION_HEADS,
    head_dim=ATTENTION_HEAD_DIM,
    repeat=7,
):
    """One row: forward and backward of causal attention at ``length``, and the kernel it ran."""
    import keras

    from benchmarks import gpu_paths

    found = {}

    def make():
        rng = np.random.default_rng(0)
        q, k, v = (
            _on_device(rng.normal(size=(batch, length, heads, head_dim)).astype("float32"), dtype)
            for _ in range(3)
        )
        step = _attention_step(q, k, v, flash)
        if keras.config.backend() == "jax":
            import jax

            with gpu_paths.spying(jax.nn, "dot_product_attention") as calls:
                step()  # jax.jit traces here: the spy sees which implementation returned
        else:
            step()
            calls = None
        found["path"] = gpu_paths.attention_path(flash, calls)
        return step

    with warnings.catch_warnings(record=True) as caught:  # torch gives flash's reasons as warnings
        warnings.simplefilter("always")
        seconds, error = _timed(Benchmark("attention", f"{length} {dtype} {flash}", make), repeat)
    reasons = sorted(
        {str(w.message).splitlines()[0] for w in caught if "flash" in str(w.message).lower()}
    )
    if error is not None and reasons:
        error += f" ({'; '.join(reasons)})"
    return {
        "part": "attention",
        "length": length,
        "dtype": dtype,
        "flash": flash,
        "median_s": seconds,
        "error": error,
        "path": found.get("path", ""),
    }


def attention_rows(lengths=ATTENTION_LENGTHS, repeat=7, **sizes):
    """Every length in bfloat16, flash and not; float16 too where bfloat16's flash fails."""
    for length in lengths:
        flash = measure_attention(length, "bfloat16", True, repeat=repeat, **sizes)
        yield flash
        yield measure_attention(length, "bfloat16", False, repeat=repeat, **sizes)
        if flash["error"] is not None:
            half_flash = measure_attention(length, "float16", True, repeat=repeat, **sizes)
            yield half_flash
            if half_flash["error"] is None:
                yield measure_attention(length, "float16", False, repeat=repeat, **sizes)


def build_gpt(layers, heads, width, context, vocabulary):
    """The companion's GPT (pre-norm, learned positions) under ``mixed_bfloat16``."""
    from companion import transformer

    return transformer.TransformerLanguageModel(
        vocabulary,
        context,
        hidden_dim=width,
        num_layers=layers,
        num_heads=heads,
        normalize_first=True,
        dtype="mixed_bfloat16",
    )


def matmul_parameters(model):
    """PaLM's N for a built GPT: every parameter but the token and position embedding tables."""
    return model.count_params() - model.decoder.embedding.count_params()


def measure_gpt(
    layers=GPT_LAYERS,
    heads=GPT_HEADS,
    width=GPT_WIDTH,
    context=GPT_CONTEXT,
    batch=GPT_BATCH,
    vocabulary=GPT_VOCABULARY,
    repeat=7,
):
    """One row: the GPT's training-step time, tokens per second and parameter counts."""
    import keras

    from companion import runtime

    found = {}

    def make():
        runtime.set_seed(0)
        model = build_gpt(layers, heads, width, context, vocabulary)
        model.compile(
            keras.optimizers.Adam(3e-4),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        rng = np.random.default_rng(0)
        ids = rng.integers(4, vocabulary, size=(batch, context + 1)).astype("int32")  # 0: padding
        inputs, targets = _on_device(ids[:, :-1]), _on_device(ids[:, 1:])

        def step():
            return model.train_on_batch(inputs, targets)

        step()  # builds the model, so that its weights can be counted
        found.update(
            parameters=matmul_parameters(model),
            total_parameters=model.count_params(),
            compute_dtype=model.dtype_policy.compute_dtype,
        )
        return step

    seconds, error = _timed(Benchmark("gpt", "mixed_bfloat16", make), repeat)
    return {
        "part": "gpt",
        "median_s": seconds,
        "error": error,
        "tokens_per_second": batch * context / seconds if seconds else None,
        "layers": layers,
        "context": context,
        "width": width,
        **found,
    }


def rows(parts, repeat):
    """Every row of the chosen parts, one after the other."""
    if "recurrent" in parts:
        for name in RNN_LAYERS:
            yield measure_recurrent(name, repeat=repeat)
    if "attention" in parts:
        yield from attention_rows(repeat=repeat)
    if "gpt" in parts:
        yield measure_gpt(repeat=repeat)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument("--repeat", type=int, default=7, help="timed samples per measurement")
    args = parser.parse_args(argv)

    from companion.runtime import select_backend

    backend = select_backend(None)  # quiet logs and the thread policy, before the backend loads
    environment = detect(backend)
    print(json.dumps({"environment": environment}), flush=True)
    if environment["skipped"]:
        return
    for row in rows(args.parts, args.repeat):
        print(json.dumps({"row": row}), flush=True)


if __name__ == "__main__":
    main()
