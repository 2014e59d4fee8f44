"""
Chapter 9: scaling out
======================

The models of chapters 5 and 8 outgrow one laptop as soon as they train at
``--full`` scale. This chapter shows how the same Keras model runs on
several devices without a line of its code changing: Keras 3's
``keras.distribution`` (built on JAX's sharding) copies the model on every
device and splits each batch (data parallelism), or also splits the big
matrices of each Transformer block across devices (model parallelism). On
this CPU the devices are simulated, which proves the arithmetic but cannot
make anything faster. It then trains the character GPT of chapter 5 in
mixed precision, explains how a run spans several machines, what a GPU
changes (cuDNN recurrent kernels, flash attention), and what the torch and
TensorFlow backends offer instead.
"""

# %%
# Setup
# -----
#
# Every chapter takes ``--devices N --model-parallel M`` and ``--precision``
# (:mod:`companion.runtime.chapter`): ``python chapters/05_transformer.py
# --backend jax --devices 4 --model-parallel 2`` trains chapter 5 on a mesh
# of four devices. This page runs its multi-device part in a separate
# process, because JAX fixes its number of devices when it starts and the
# book's process already runs on one.

from companion import runtime

args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads

import pathlib
import subprocess
import sys

import keras  # after the backend is chosen
import matplotlib.pyplot as plt
import numpy as np

from companion import data, lm, scaling, text, training, transformer

runtime.set_seed(args.seed)

BLOCK = 10_000  # KJV blocks: in every ten, the 9th validates, the 10th tests (ch. 3)
LAYOUTS = [
    (4, 1),
    (4, 2),
]  # (devices, model_parallel): data parallel, then a 2 x 2 mesh
SIMULATED_STEPS = args.pick(quick=10, default=400, full=2_000)  # per layout
SIMULATED_BATCH = 16  # windows per step, split over the data-parallel devices
CONTEXT = 64  # characters a GPT window holds (chapter 5)
GPT_HEADS = 4  # chapter 5's char-GPT
GPT_WIDTH = args.pick(quick=32, default=64)
GPT_LAYERS = args.pick(quick=1, default=2)
GPT_BATCH = 16
GPT_STEPS = args.pick(quick=20, default=450, full=2_000)  # chapter 5: 450 by default
GPT_LEARNING_RATE = 3e-3
LM_TRAIN = args.pick(quick=200_000, default=1_000_000, full=None)
LM_TEST = args.pick(quick=10_000, default=50_000, full=200_000)

# %%
# The text: chapter 5's split of the KJV into characters.

kjv = data.load("kjv")
kjv_train, _, kjv_test = data.interleaved_split(kjv, BLOCK)
chars = text.CharTokenizer(kjv_train)
train_ids = np.array(chars.encode(kjv_train[:LM_TRAIN]), "int32")
test_ids = np.array(chars.encode(kjv_test[:LM_TEST]), "int32")
print(
    f"{len(train_ids):,} training, {len(test_ids):,} test characters, {len(chars)} ids"
)

# %%
# Two ways to split the work
# --------------------------
#
# **Data parallel.** Every device holds the whole model; each takes
# :math:`1/N` of the batch, computes its gradients, and the devices average
# them (an *all-reduce*) so that every copy takes the same step:
#
# .. math:: g = \frac{1}{N} \sum_{k=1}^{N} \nabla_\theta L(\theta; B_k).
#
# The model must fit on one device. **Model parallel** splits the model
# itself. In a Transformer block (Shoeybi et al. 2019, "Megatron-LM") the
# query, key and value projections are split by columns, so each of
# :math:`M` devices computes :math:`h/M` whole heads with no communication;
# the output projection is split by rows, and the devices' partial products
# are summed. The MLP is split the same way: :math:`W_1` by columns (the
# nonlinearity acts on each device's columns alone), :math:`W_2` by rows.
# One block costs two all-reduces forward and two backward.
#
# Keras describes both with a *device mesh*, a grid of devices with named
# axes (here ``batch`` and ``model``), and a *layout map*: a regular
# expression on each variable's path, matched whole (``re.fullmatch``), and
# the mesh axis each of the variable's dimensions is split over. Our layout
# for chapter 5's blocks:

print(f"{'variable path (regular expression)':<48} | split over")
for pattern, axes in scaling.TRANSFORMER_LAYOUT.items():
    print(f"{pattern:<48} | {axes}")

# %%
# Four simulated devices
# ----------------------
#
# ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` makes JAX show four
# CPU devices. The child process below builds a small character GPT on them,
# under ``DataParallel`` (a 1-D mesh of 4) and under ``ModelParallel`` (a
# 2 x 2 mesh: two copies of the model, each split over two devices), and
# takes one training step on one device and then distributed, from the
# same weights and the same batch.

simulated = scaling.run_simulated(
    LAYOUTS,
    ids=train_ids,
    vocabulary_size=len(chars),
    steps=SIMULATED_STEPS,
    batch=SIMULATED_BATCH,
)
seen = simulated["layouts"][0]["backend_devices"]
print(f"devices JAX sees in the child process: {', '.join(seen)}")
print(f"GPT: {scaling.SIMULATED_GPT}")
for report in simulated["layouts"]:
    print(
        f"{report['distribution']:<14} mesh {report['mesh_shape']} over axes "
        f"{report['axis_names']}; each batch is split as {report['data_layout']}"
    )

# %%
# Where the first block's weights live under ``ModelParallel`` on the 2 x 2
# mesh: each of the four devices holds the listed shard (a copy of it sits
# on the other row of the mesh); everything not in the layout is replicated.

model_parallel = simulated["layouts"][1]
print(f"{'variable (block 0)':<38} | {'shape':>5} | {'split over':<15} | one device")
for row in model_parallel["shardings"]:
    if "block_0" in row["path"] and not row["path"].endswith(("gamma", "beta")):
        name = row["path"].split("block_0/")[1]
        shape = "x".join(str(n) for n in row["shape"])
        shard = "x".join(str(n) for n in row["shard_shape"])
        print(f"{name:<38} | {shape:>5} | {str(tuple(row['axes'])):<15} | {shard}")

# %%
# The proof: the distributed step gives the same loss and the same weights
# as the single-device step, up to the rounding of sums taken in another
# order. The step itself moved the weights by far more.

print(f"{'layout':<20} | loss, 1 device | distributed | weight gap | step")
for report in simulated["layouts"]:
    name = f"{report['distribution']} {report['mesh_shape']}"
    print(
        f"{name:<20} | {report['loss_single']:>14.6f} "
        f"| {report['loss_distributed']:>11.6f} "
        f"| {report['weight_difference']:>10.1e} | {report['weight_change']:.1e}"
    )
    runtime.check_bar(
        f"{name}: loss gap to one device",
        abs(report["loss_distributed"] - report["loss_single"]),
        "<=",
        scaling.TOLERANCE,
    )
    runtime.check_bar(
        f"{name}: weight gap to one device",
        report["weight_difference"],
        "<=",
        scaling.TOLERANCE,
    )

# %%
# Training on from that first step, the three runs follow one curve (the
# lines lie on top of each other): the rounding differences of each step do
# not grow into a different model. The clock tells the other half of the
# story: the four "devices" share this machine's two cores, and every step
# now also copies and sums across them (the seconds column shows what that
# costs here). On real devices, each with its own compute, data
# parallelism divides the time per example.

figure, axes = plt.subplots(figsize=(7, 3.5))
final_losses = {}
print(f"{'run':<30} | steps | seconds | mean loss, last 20 steps")
runs = simulated["training"].items()
for (name, (losses, seconds)), style in zip(runs, ("-", "--", ":"), strict=True):
    final_losses[name] = float(np.mean(losses[-20:]))
    print(f"{name:<30} | {len(losses):>5} | {seconds:>7.1f} | {final_losses[name]:.4f}")
    axes.plot(losses, style, label=name, linewidth=1.5)
axes.set_xlabel("training step")
axes.set_ylabel("cross-entropy (nats per character)")
axes.set_title("The same training on 1 and 4 (simulated) devices")
axes.legend()
figure.tight_layout()
runtime.show(figure, "simulated_training")

reference = final_losses["1 device"]
runtime.check_bar(
    "largest relative gap of the distributed runs' final loss to one device's",
    max(abs(loss - reference) / reference for loss in final_losses.values()),
    "<=",
    0.01,
)

# %%
# Mixed precision
# ---------------
#
# A 16-bit float halves the memory of every activation and, on a GPU or
# TPU, runs matrix products on the tensor cores, many times faster than
# float32. Keras's *mixed* policies keep every variable in float32 (an
# update of :math:`10^{-4}` of a weight near 1 vanishes in 16 bits) and
# compute in half precision. ``bfloat16`` keeps float32's range with 8 bits
# of mantissa; ``float16`` has 11 bits but overflows above 65,504, so
# ``fit`` scales the loss up before the backward pass and the gradients
# back down (``LossScaleOptimizer``). Our layers compute softmax and losses
# in float32.
#
# Chapter 5's character GPT, trained three times for the same steps from the
# same seed. The table gives the dtypes of its weights, of its arithmetic
# and of its output, the optimizer ``fit`` used, the seconds of training
# after the first (compiled) step, and the test perplexity:


def windows(ids, count, seed):
    """``count`` random windows of ``CONTEXT + 1`` ids: inputs and next-id targets."""
    starts = np.random.default_rng(seed).integers(0, len(ids) - CONTEXT - 1, count)
    chunks = np.stack([ids[s : s + CONTEXT + 1] for s in starts])  # (count, T + 1)
    return chunks[:, :-1], chunks[:, 1:]


def train_gpt(precision):
    """A new char-GPT under ``precision``, trained for ``GPT_STEPS``; its numbers."""
    policy = scaling.set_precision(precision)
    try:
        runtime.set_seed(args.seed)
        gpt = transformer.TransformerLanguageModel(
            len(chars),
            CONTEXT,
            hidden_dim=GPT_WIDTH,
            num_layers=GPT_LAYERS,
            num_heads=GPT_HEADS,
            normalize_first=True,
        )
        gpt.compile(
            keras.optimizers.Adam(GPT_LEARNING_RATE, clipnorm=1.0),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        x, y = windows(train_ids, GPT_STEPS * GPT_BATCH, args.seed)
        budget = training.TimeBudget()
        history = gpt.fit(x, y, batch_size=GPT_BATCH, callbacks=[budget], verbose=0)
        window_count = len(test_ids) // (CONTEXT // 2) + 1
        log_probs = lm.stream_log_probs(
            gpt, test_ids, window=CONTEXT, warmup=CONTEXT // 2, batch_size=window_count
        )
        logits = gpt(x[:2])
        return {
            "policy": policy.name,
            "variables": sorted({v.dtype for v in gpt.weights}),
            "compute": policy.compute_dtype,
            "logits": keras.backend.standardize_dtype(logits.dtype),
            "optimizer": type(gpt.optimizer).__name__,
            "seconds": budget.elapsed,
            "loss": history.history["loss"][-1],
            "perplexity": lm.perplexity(log_probs),
        }
    finally:
        scaling.set_precision("float32")


precision_runs = [train_gpt(p) for p in scaling.PRECISIONS]
bigram = lm.NGramLanguageModel(2, len(chars)).fit([train_ids])
bigram_ppl = lm.perplexity(bigram.log_probs([test_ids])[-(len(test_ids) - 1) :])
print(
    f"{'policy':<14} | weights | compute  | logits   | optimizer          | s    | ppl"
)
for run in precision_runs:
    print(
        f"{run['policy']:<14} | {','.join(run['variables']):<7} | {run['compute']:<8} "
        f"| {run['logits']:<8} | {run['optimizer']:<18} | {run['seconds']:>4.1f} "
        f"| {run['perplexity']:.3f}"
    )
print(f"Kneser-Ney bigram test perplexity: {bigram_ppl:.3f}")

# %%
# The bars: both half-precision runs keep float32 weights, and train as
# well as float32: a test perplexity within 5% of float32's and clearly
# below the bigram's (the bar of chapter 5).

float32_ppl = precision_runs[0]["perplexity"]
for run in precision_runs[1:]:
    runtime.check_bar(
        f"{run['policy']}: variables not in float32",
        len(set(run["variables"]) - {"float32"}),
        "<=",
        0,
    )
    runtime.check_bar(
        f"{run['policy']}: test perplexity / float32's",
        run["perplexity"] / float32_ppl,
        "<=",
        1.05,
        needs_training=True,
    )
    runtime.check_bar(
        f"{run['policy']}: test perplexity / bigram's",
        run["perplexity"] / bigram_ppl,
        "<=",
        0.8,
        needs_training=True,
    )

# %%
# On this CPU, half precision buys little time or costs some (the seconds
# above): a CPU has no tensor cores, and many half-precision operations
# are converted to float32 and back. On a GPU the same flag is where most
# of the speed comes from.
#
# Many machines
# -------------
#
# JAX runs one process per host; each sees its local devices and all see
# the global mesh. Every process runs the same script, started by the
# cluster's launcher (Slurm, Kubernetes, or by hand), and first calls
# ``keras.distribution.initialize`` (a thin wrapper of
# ``jax.distributed.initialize``) with the coordinator's address::
#
#     import keras
#
#     keras.distribution.initialize(
#         job_addresses="10.0.0.1:1234",  # process 0's address and a free port
#         num_processes=2,
#         process_id=int(os.environ["PROCESS_ID"]),  # 0, then 1 on the second host
#     )
#     mesh = keras.distribution.DeviceMesh(  # 2 hosts of 8 GPUs each
#         shape=(2, 8),
#         axis_names=("batch", "model"),
#         devices=keras.distribution.list_devices(),
#     )
#
# and then exactly what this chapter does on one host. Each process feeds
# its share of every batch (``distribution.distribute_dataset`` shards a
# ``tf.data`` pipeline by process). Under Slurm or on Cloud TPUs the
# arguments can be left out: JAX reads them from the environment.
#
# On a GPU
# --------
#
# * **Recurrent layers.** ``keras.layers.LSTM`` and ``GRU`` call NVIDIA's
#   fused cuDNN kernel when their arguments allow it (tanh and sigmoid
#   activations, not unrolled, biases; ``reset_after=True`` for the GRU):
#   both layers on TensorFlow and torch, only the LSTM on JAX (through
#   ``jax.experimental.rnn``), and on JAX and torch only without a mask.
#   Otherwise they scan the cell step by step. Our from-scratch cells
#   (chapter 2) always scan: they are for reading, Keras's are for speed.
# * **Attention.** ``keras.ops.dot_product_attention`` can run a *flash*
#   kernel that never writes the :math:`T \times T` score matrix to memory
#   (Dao et al. 2022): on JAX through cuDNN, on torch through
#   ``scaled_dot_product_attention``, on TensorFlow not at all;
#   ``keras.config.enable_flash_attention()`` turns it on globally, and it
#   needs half precision and a recent GPU.
#   Our :class:`~companion.transformer.MultiHeadAttention` spells the
#   softmax out, to be read against the course's equations.
# * **Benchmarks.** ``python -m benchmarks --device gpu`` measures the
#   recurrent layers (with the cuDNN path each backend takes), attention
#   with and without flash, and the GPT's training step in bfloat16 with its
#   model-FLOPs utilisation, and writes them to ``benchmarks/RESULTS.md``.
#   On this machine it says why it measured nothing:

benchmark = subprocess.run(
    [sys.executable, "-m", "benchmarks", "--device", "gpu"],
    capture_output=True,
    text=True,
    cwd=pathlib.Path(sys.argv[0]).resolve().parent.parent,  # the repository's root
)
print(benchmark.stdout.strip() or benchmark.stderr.strip()[-500:])
runtime.check_bar(
    "python -m benchmarks --device gpu: exit status", benchmark.returncode, "<=", 0
)

# %%
# TensorFlow and torch
# --------------------
#
# ``keras.distribution`` is implemented for JAX only; on the other
# backends ``--devices`` stops with an error that says so. Each has its own
# route, with the same Keras model:
#
# * **TensorFlow**: create and compile the model inside a
#   ``tf.distribute.MirroredStrategy().scope()`` (the GPUs of one host) or a
#   ``MultiWorkerMirroredStrategy`` (several hosts); ``fit`` then splits the
#   batches and averages the gradients. TPUs use ``TPUStrategy``.
# * **torch**: a Keras model on the torch backend is a ``torch.nn.Module``,
#   so it can be wrapped in ``torch.nn.parallel.DistributedDataParallel``
#   (or FSDP, which also shards the weights) and trained with a torch
#   training loop, one process per GPU, started by ``torchrun``.
#
# Keras's guides "Multi-GPU distributed training with TensorFlow / PyTorch /
# JAX" walk through each.

runtime.report()
