"""Tests of companion.scaling.devices and .agreement: data and model parallel training.

On JAX, one child process with four simulated CPU devices (JAX fixes its
devices when it starts) takes one training step on one device and under
each layout, from the same weights, and reports the losses, the weights and
every variable's sharding. On TensorFlow and torch, asking for devices is a
clear error that names JAX.
"""

import re

import keras
import numpy as np
import pytest

from companion import runtime, scaling
from companion.scaling.simulate import run_simulated

ON_JAX = keras.config.backend() == "jax"
LAYOUTS = [(2, 1), (2, 2), (4, 1), (4, 2)]  # (devices, model_parallel)


def test_simulated_device_flags_replaces_an_earlier_count_and_keeps_other_flags():
    flags = "--xla_cpu_multi_thread_eigen=false --xla_force_host_platform_device_count=2"
    assert scaling.simulated_device_flags(flags, 4) == (
        "--xla_cpu_multi_thread_eigen=false --xla_force_host_platform_device_count=4"
    )
    assert scaling.simulated_device_flags("", 8) == "--xla_force_host_platform_device_count=8"


@pytest.mark.parametrize(
    ("devices", "model_parallel", "message"),
    [
        (0, 1, "devices must be an int >= 1"),
        (4, 3, "model_parallel must divide devices=4"),
        (2, 0, "model_parallel must be an int >= 1"),
    ],
)
def test_check_parallelism_names_the_bad_argument(devices, model_parallel, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        scaling.check_parallelism(devices, model_parallel)


def test_model_parallel_sizes_must_split_heads_and_widths_evenly():
    scaling.check_model_parallel_sizes(2, num_heads=4, hidden_dim=32, intermediate_dim=64)
    with pytest.raises(ValueError, match=r"num_heads must be a multiple of model_parallel=4"):
        scaling.check_model_parallel_sizes(4, num_heads=6, hidden_dim=48, intermediate_dim=64)


@pytest.mark.skipif(ON_JAX, reason="JAX has keras.distribution")
def test_other_backends_are_told_that_distribution_needs_jax():
    backend = keras.config.backend()
    for call in (
        lambda: scaling.make_distribution(2),
        lambda: scaling.request_devices(2, backend),
    ):
        with pytest.raises(ValueError, match=r"need the JAX backend.*--backend jax") as error:
            call()
        assert f"backend={backend!r}" in str(error.value)


@pytest.mark.skipif(not ON_JAX, reason="keras.distribution is implemented for JAX only")
def test_a_started_jax_cannot_be_given_more_devices(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "")  # restored after the test, whatever happens
    keras.ops.ones(1)  # JAX creates its devices at its first computation
    with pytest.raises(ValueError, match=r"JAX has already started with 1"):
        scaling.request_devices(4, "jax")
    with pytest.raises(ValueError, match=r"devices=4 were requested but JAX sees 1"):
        scaling.make_distribution(4, 2)


@pytest.fixture(scope="module")
def simulated():
    """One child process, four CPU devices, the layouts of LAYOUTS (compiled cheaply)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=0")
        return run_simulated(LAYOUTS)


def _expected_axes(path, ndim, model_parallel):
    """The axes TRANSFORMER_LAYOUT gives ``path`` (replicated when nothing matches)."""
    matches = [axes for key, axes in scaling.TRANSFORMER_LAYOUT.items() if re.fullmatch(key, path)]
    assert len(matches) <= 1, f"{path} matches several layout keys"
    if not matches or model_parallel == 1:
        return (None,) * ndim
    return matches[0]


@pytest.mark.skipif(not ON_JAX, reason="keras.distribution is implemented for JAX only")
@pytest.mark.parametrize("index", range(len(LAYOUTS)), ids=[f"{d}x{m}" for d, m in LAYOUTS])
def test_a_distributed_step_equals_the_single_device_step(simulated, index):
    report = simulated["layouts"][index]
    devices, model_parallel = LAYOUTS[index]
    expected = "DataParallel" if model_parallel == 1 else "ModelParallel"
    assert report["distribution"] == expected
    assert len(report["mesh_devices"]) == devices and len(set(report["mesh_devices"])) == devices
    assert report["data_layout"][0] == "batch"  # every batch is split across the data devices
    assert report["loss_distributed"] == pytest.approx(report["loss_single"], abs=scaling.TOLERANCE)
    assert report["weight_difference"] <= scaling.TOLERANCE
    assert report["weight_change"] > 50 * scaling.TOLERANCE  # the step did move the weights


@pytest.mark.skipif(not ON_JAX, reason="keras.distribution is implemented for JAX only")
@pytest.mark.parametrize("index", range(len(LAYOUTS)), ids=[f"{d}x{m}" for d, m in LAYOUTS])
def test_variables_are_sharded_as_the_layout_says(simulated, index):
    report = simulated["layouts"][index]
    devices, model_parallel = LAYOUTS[index]
    sharded = 0
    for row in report["shardings"]:
        axes = _expected_axes(row["path"], len(row["shape"]), model_parallel)
        assert tuple(row["axes"]) == tuple(axes), row["path"]
        assert row["devices"] == devices, row["path"]  # every device holds a part or a copy
        split = [
            size // model_parallel if axis else size
            for size, axis in zip(row["shape"], axes, strict=True)
        ]
        assert list(row["shard_shape"]) == split, row["path"]
        sharded += any(axes)
    # per block: query, key, value kernels and biases, output kernel, two MLP kernels, one bias
    assert sharded == (0 if model_parallel == 1 else 10 * simulated["gpt"]["num_layers"])


def test_the_layout_covers_every_block_of_every_transformer_model():
    """Every attention and MLP kernel of the GPT, the MLM and the seq2seq matches one key."""
    from companion.transformer import (
        MaskedLanguageModel,
        TransformerLanguageModel,
        TransformerSeq2Seq,
    )

    shape = {"hidden_dim": 8, "num_heads": 2, "num_layers": 1, "intermediate_dim": 16}
    ids = np.ones((1, 4), "int32")
    gpt = TransformerLanguageModel(12, 4, **shape)
    gpt(ids)
    mlm = MaskedLanguageModel(12, 4, **shape)
    mlm(ids)
    seq2seq = TransformerSeq2Seq(12, 12, 4, 4, **shape)
    seq2seq((ids, ids))
    # an attention layer has 7 sharded variables (query, key, value kernels and biases,
    # output kernel), an MLP 3; the seq2seq has self- and cross-attention in its decoder
    for model, attentions, mlps in ((gpt, 1, 1), (mlm, 1, 1), (seq2seq, 3, 2)):
        matched = [
            v.path
            for v in model.variables
            if any(re.fullmatch(key, v.path) for key in scaling.TRANSFORMER_LAYOUT)
        ]
        assert len(matched) == 7 * attentions + 3 * mlps, matched


def test_chapter_flags_ask_for_jax_and_the_policy_is_set(capsys, monkeypatch):
    """``--devices`` fails clearly where it cannot work; ``--precision`` sets the policy."""
    monkeypatch.setenv("XLA_FLAGS", "")
    keras.ops.ones(1)
    message = (
        r"JAX has already started with 1" if ON_JAX else r"need the JAX backend.*--backend jax"
    )
    with pytest.raises(SystemExit):
        runtime.parse_args("Title.", argv=["--devices", "4", "--model-parallel", "2"])
    assert re.search(message, capsys.readouterr().err)
    with pytest.raises(SystemExit):
        runtime.parse_args("Title.", argv=["--devices", "4", "--model-parallel", "3"])
    assert "model_parallel must divide devices=4" in capsys.readouterr().err
    try:
        args = runtime.parse_args("Title.", argv=["--precision", "mixed_bfloat16"])
        assert args.precision == "mixed_bfloat16"
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
    finally:
        keras.config.set_dtype_policy("float32")
