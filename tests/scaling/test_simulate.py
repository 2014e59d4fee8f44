"""Tests of companion.scaling.simulate: data and model parallel training on simulated devices.

One child process with four simulated CPU devices (JAX fixes its devices
when it starts) takes one training step on one device and under each
layout, from the same weights, and reports the losses, the weights and every
variable's sharding; the tests check them. Training for many steps is
checked by chapter 9, whose page trains on one and four devices. JAX only: the other backends
have no ``keras.distribution``.
"""

import re

import keras
import pytest

from companion import scaling

pytestmark = pytest.mark.skipif(
    keras.config.backend() != "jax", reason="keras.distribution is implemented for JAX only"
)
# (devices, model_parallel): data parallel on two devices, model parallel on a 2 x 2 mesh;
# the chapter's page trains on (4, 1) and (4, 2) and checks the same equalities
LAYOUTS = [(2, 1), (4, 2)]


@pytest.fixture(scope="module")
def simulated():
    """One child process, four CPU devices, the layouts of LAYOUTS."""
    return scaling.run_simulated(LAYOUTS)


def _expected_axes(path, ndim, model_parallel):
    """The axes TRANSFORMER_LAYOUT gives ``path`` (replicated when nothing matches)."""
    matches = [axes for key, axes in scaling.TRANSFORMER_LAYOUT.items() if re.fullmatch(key, path)]
    assert len(matches) <= 1, f"{path} matches several layout keys"
    if not matches or model_parallel == 1:
        return (None,) * ndim
    return matches[0]


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


def test_run_simulated_names_a_bad_layout():
    with pytest.raises(ValueError, match=r"devices must be an int >= 1"):
        scaling.run_simulated([(0, 1)])
