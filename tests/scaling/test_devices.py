"""Tests of companion.scaling.devices: the device flags, the mesh, and their errors.

The distributions themselves are tested in test_simulate.py (JAX, simulated
devices). On TensorFlow and torch, asking for devices is a clear error that
names JAX.
"""

import re

import keras
import pytest

from companion import runtime, scaling

ON_JAX = keras.config.backend() == "jax"


def test_simulated_device_flags_puts_the_count_first_and_keeps_other_flags():
    flags = "--xla_cpu_multi_thread_eigen=false --xla_force_host_platform_device_count=2"
    assert scaling.simulated_device_flags(flags, 4) == (
        "--xla_force_host_platform_device_count=4 --xla_cpu_multi_thread_eigen=false"
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
