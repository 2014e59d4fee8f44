"""Tests of companion.scaling.agreement: one step on one device against the same step distributed.

In this process JAX has one device, so the distribution here is a
``DataParallel`` over that one device: it checks the function's bookkeeping;
test_simulate.py checks the real thing on four simulated devices.
"""

import types

import keras
import numpy as np
import pytest

from companion import scaling
from companion.transformer import TransformerLanguageModel


def _gpt():
    return TransformerLanguageModel(12, 4, hidden_dim=8, num_heads=2, num_layers=1)


def test_a_batch_that_the_devices_cannot_share_is_refused():
    three_replicas = types.SimpleNamespace(num_model_replicas=3)
    ids = np.ones((4, 4), "int32")
    with pytest.raises(
        ValueError, match=r"multiple of the 3 data-parallel devices \(got a batch of 4"
    ):
        scaling.train_step_agreement(_gpt, ids, ids, [three_replicas])


@pytest.mark.skipif(keras.config.backend() != "jax", reason="keras.distribution is JAX only")
def test_one_device_distribution_reports_an_exact_match_and_a_real_step():
    rng = np.random.default_rng(0)
    inputs, targets = rng.integers(0, 12, (2, 2, 4))
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices()[:1])
    (report,) = scaling.train_step_agreement(_gpt, inputs, targets, [distribution])
    assert report["loss_distributed"] == pytest.approx(report["loss_single"], abs=1e-6)
    assert report["weight_difference"] <= scaling.TOLERANCE
    assert report["weight_change"] > 50 * scaling.TOLERANCE
    assert isinstance(report["model"], TransformerLanguageModel)
