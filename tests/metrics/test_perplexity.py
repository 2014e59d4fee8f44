"""Tests of companion.metrics.perplexity: NumPy reference, keras-hub's Perplexity, config."""

import keras
import keras_hub
import numpy as np
import pytest
from keras import ops

from companion import lm, metrics

VOCABULARY = 7


def _batch(rng, batch=3, steps=5):
    """Fixed logits (B, T, V) and targets (B, T) with some padding (id 0) at the ends."""
    logits = rng.normal(scale=2.0, size=(batch, steps, VOCABULARY)).astype("float32")
    targets = rng.integers(1, VOCABULARY, size=(batch, steps))
    targets[1, 3:] = 0
    targets[-1, 1:] = 0
    return logits, targets


def _numpy_perplexity(logits, targets, weights=None):
    """exp(sum m NLL / sum m) in float64 NumPy, the course's equation."""
    logits = logits.astype(np.float64)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(log_softmax, targets[..., None], axis=-1)[..., 0]
    weights = np.ones_like(nll) if weights is None else np.broadcast_to(weights, nll.shape)
    return float(np.exp((weights * nll).sum() / weights.sum()))


def test_token_perplexity_equals_numpy_and_lm_perplexity(rng):
    logits, targets = _batch(rng)
    mask = targets != 0
    expected = _numpy_perplexity(logits, targets, mask)
    assert float(metrics.token_perplexity(logits, targets, mask)) == pytest.approx(expected, 1e-5)
    assert float(metrics.token_perplexity(logits, targets)) == pytest.approx(
        _numpy_perplexity(logits, targets), 1e-5
    )
    # companion.lm.perplexity: the same number from the picked log-probabilities
    log_probs = ops.convert_to_numpy(ops.log_softmax(logits, axis=-1))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0][mask]
    assert float(metrics.token_perplexity(logits, targets, mask)) == pytest.approx(
        lm.perplexity(picked), 1e-5
    )
    # float weights are sample weights
    weights = rng.uniform(size=targets.shape).astype("float32")
    assert float(metrics.token_perplexity(logits, targets, weights)) == pytest.approx(
        _numpy_perplexity(logits, targets, weights), 1e-5
    )
    # uniform logits over V tokens: perplexity V
    assert float(metrics.token_perplexity(np.zeros_like(logits), targets)) == pytest.approx(7, 1e-6)


def _update_twice(metric, batches, sample_weight=(None, None)):
    for (logits, targets), weight in zip(batches, sample_weight, strict=True):
        metric.update_state(targets, logits, sample_weight=weight)
    return float(ops.convert_to_numpy(metric.result()))


@pytest.mark.parametrize("mask_token_id", [None, 0])
def test_perplexity_metric_equals_keras_hub_and_numpy_over_batches(rng, mask_token_id):
    batches = [_batch(rng), _batch(rng, batch=2, steps=5)]
    ours = _update_twice(metrics.Perplexity(mask_token_id=mask_token_id), batches)
    theirs = keras_hub.metrics.Perplexity(from_logits=True, mask_token_id=mask_token_id)
    assert ours == pytest.approx(_update_twice(theirs, batches), 1e-6)
    # the result is the perplexity of all tokens seen, not a mean of the batches' perplexities
    logits = np.concatenate([b[0] for b in batches])
    targets = np.concatenate([b[1] for b in batches])
    mask = None if mask_token_id is None else targets != mask_token_id
    assert ours == pytest.approx(_numpy_perplexity(logits, targets, mask), 1e-5)


def test_perplexity_metric_with_sample_weights_and_probabilities(rng):
    batches = [_batch(rng), _batch(rng)]
    weights = [rng.uniform(size=(3, 5)).astype("float32") for _ in batches]
    ours = _update_twice(metrics.Perplexity(mask_token_id=0), batches, sample_weight=weights)
    theirs = keras_hub.metrics.Perplexity(from_logits=True, mask_token_id=0)
    assert ours == pytest.approx(_update_twice(theirs, batches, sample_weight=weights), 1e-6)
    # one weight per sequence (B,), which keras-hub's mask cannot broadcast: the NumPy reference
    metric = metrics.Perplexity(mask_token_id=0)
    logits, targets = batches[0]
    per_sequence = np.array([1.0, 0.0, 2.0], "float32")
    metric.update_state(targets, logits, sample_weight=per_sequence)
    expected = _numpy_perplexity(logits, targets, (targets != 0) * per_sequence[:, None])
    assert float(ops.convert_to_numpy(metric.result())) == pytest.approx(expected, 1e-5)
    # probabilities in, as keras-hub's from_logits=False (clipped, as keras' cross-entropy)
    probabilities = [(ops.convert_to_numpy(ops.softmax(b[0])), b[1]) for b in batches]
    ours = _update_twice(metrics.Perplexity(from_logits=False, mask_token_id=0), probabilities)
    theirs = keras_hub.metrics.Perplexity(from_logits=False, mask_token_id=0)
    assert ours == pytest.approx(_update_twice(theirs, probabilities), 1e-5)


def test_perplexity_metric_reset_and_empty_state_as_keras_hub(rng):
    metric = metrics.Perplexity(mask_token_id=0)
    assert float(ops.convert_to_numpy(metric.result())) == 0.0  # no token yet, as keras-hub
    logits, targets = _batch(rng)
    metric.update_state(np.zeros_like(targets), logits)  # every target is padding
    assert float(ops.convert_to_numpy(metric.result())) == 0.0
    metric.update_state(targets, logits)
    metric.reset_state()
    assert float(ops.convert_to_numpy(metric.result())) == 0.0


def test_perplexity_metric_in_a_compiled_evaluate(rng):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((5,), dtype="int32"), keras.layers.Embedding(VOCABULARY, VOCABULARY)]
    )
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[metrics.Perplexity(mask_token_id=0)],
    )
    _, targets = _batch(rng, batch=6)
    inputs = rng.integers(0, VOCABULARY, size=targets.shape)
    result = model.evaluate(inputs, targets, batch_size=4, verbose=0, return_dict=True)
    logits = ops.convert_to_numpy(model(inputs))
    assert result["perplexity"] == pytest.approx(
        _numpy_perplexity(logits, targets, targets != 0), 1e-5
    )


def test_perplexity_config_round_trip():
    metric = metrics.Perplexity(from_logits=False, mask_token_id=3, name="ppl", dtype="float32")
    config = metric.get_config()
    assert {k: config[k] for k in ("from_logits", "mask_token_id", "name")} == {
        "from_logits": False,
        "mask_token_id": 3,
        "name": "ppl",
    }
    restored = metrics.Perplexity.from_config(config)
    assert restored.get_config() == config
    serialized = keras.saving.serialize_keras_object(metric)
    assert serialized["registered_name"] == "companion>Perplexity"
    again = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(again, metrics.Perplexity) and again.get_config() == config


def test_bad_inputs_get_errors_naming_the_argument(rng):
    logits, targets = _batch(rng)
    with pytest.raises(ValueError, match=r"mask must keep at least one token \(got a mask "):
        metrics.token_perplexity(logits, targets, np.zeros(targets.shape))
    with pytest.raises(ValueError, match=r"targets must have the shape of logits.*\(3, 5\).*\(3,"):
        metrics.token_perplexity(logits, targets[:, :4])
    with pytest.raises(ValueError, match=r"mask must have the shape of targets"):
        metrics.token_perplexity(logits, targets, np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"targets must be ids in \[0, 7\) \(got targets\[.*\]=7"):
        metrics.token_perplexity(logits, np.full(targets.shape, VOCABULARY))
    with pytest.raises(ValueError, match=r"mask_token_id must be an int >= 0 \(got .*=-1\)"):
        metrics.Perplexity(mask_token_id=-1)
    with pytest.raises(TypeError, match="from_logits must be a bool"):
        metrics.Perplexity(from_logits="yes")
    with pytest.raises(ValueError, match="targets must have the shape of logits"):
        metrics.Perplexity().update_state(targets[:, :4], logits)


def test_token_perplexity_traces_symbolically():
    # placeholders: no values to check, shapes with unknown batch size fit
    logits = keras.Input((5, VOCABULARY))
    targets = keras.Input((5,), dtype="int32")
    result = metrics.token_perplexity(logits, targets, keras.Input((5,)))
    assert isinstance(result, keras.KerasTensor) and tuple(result.shape) == ()
