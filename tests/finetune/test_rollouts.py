"""Tests of companion.finetune.rollouts: the policy's samples, scored; DPO pairs, PPO batches.

The trainers of :mod:`companion.finetune.preference` are fitted on these rollouts here.
"""

import keras
import numpy as np
import pytest

from companion import decoding, finetune
from companion.finetune import preference
from companion.transformer import TransformerLanguageModel


def _gpt():
    return TransformerLanguageModel(12, 8, hidden_dim=8, num_heads=2, num_layers=1)


def _numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), np.float64)


def _policy(weights):
    """A tiny GPT with the given weights, built symbolically (nothing computed)."""
    gpt = _gpt()
    gpt(keras.KerasTensor((1, 2), "int32"))
    gpt.set_weights(weights)
    return gpt


@pytest.fixture(scope="module")
def sampled():
    """A tiny GPT's weights, its frozen copy and their rollouts, made once (sampling compiles a
    loop). Read-only: each test trains its own policy, built from the weights."""
    keras.utils.set_random_seed(1234)
    gpt = _gpt()
    reference = finetune.frozen_copy(gpt)
    sampler = decoding.Generator(gpt, "sample", max_length=8, seed=1)
    prompts = np.array([[4, 5, 6], [7, 8, 9]])

    def reward(continuations):  # distinct rewards: every prompt gives a pair
        return continuations.sum(axis=1) + 1e-3 * np.arange(len(continuations))

    rollouts, metrics = finetune.sample_rollouts(sampler, reference, prompts, reward, 3)
    return gpt.get_weights(), reference, rollouts, metrics


def test_rollouts_hold_the_samples_and_both_models_scores(sampled):
    weights, _, rollouts, metrics = sampled
    assert rollouts["ids"].shape == (6, 8) and rollouts["weights"].shape == (6, 7)
    np.testing.assert_array_equal(rollouts["ids"][:3, :3], [[4, 5, 6]] * 3)
    np.testing.assert_array_equal(rollouts["prompt_index"], [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(rollouts["weights"][:, :2], 0.0)  # the prompt is not scored
    np.testing.assert_array_equal(rollouts["weights"][:, 2:], 1.0)
    logits = _policy(weights)(rollouts["ids"][:, :-1])
    expected = preference.token_log_probs(logits, rollouts["ids"][:, 1:])
    np.testing.assert_allclose(rollouts["log_probs"], _numpy(expected), atol=1e-5)
    np.testing.assert_allclose(rollouts["reference_log_probs"], rollouts["log_probs"], atol=1e-5)
    assert abs(metrics["kl"]) < 1e-4  # the policy is still the reference
    assert metrics["reward"] == pytest.approx(rollouts["rewards"].mean())


def test_dpo_trainer_fit_moves_the_policy_towards_the_chosen(sampled):
    weights, reference, rollouts, _ = sampled
    pairs = finetune.preference_pairs(rollouts)
    assert len(pairs["chosen"]) == 2
    rewards = dict(zip(map(bytes, rollouts["ids"]), rollouts["rewards"], strict=True))
    for chosen, rejected in zip(pairs["chosen"], pairs["rejected"], strict=True):
        assert rewards[bytes(chosen)] > rewards[bytes(rejected)]
    reference_weights = [w.copy() for w in reference.get_weights()]
    gpt = _policy(weights)
    trainer = preference.DPOTrainer(gpt, beta=0.5)
    trainer.compile(keras.optimizers.Adam(1e-2))
    history = trainer.fit(pairs, batch_size=2, epochs=3, verbose=0)
    losses = history.history["loss"]  # one step per epoch, each scored before its update
    assert losses[0] == pytest.approx(np.log(2.0), abs=1e-5)  # the policy is the reference
    assert losses[2] < losses[1] < losses[0]  # the chosen continuations gain on the rejected
    assert any(not np.allclose(a, b) for a, b in zip(weights, gpt.get_weights(), strict=True))
    for before, after in zip(reference_weights, reference.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_ppo_trainer_fit_moves_the_policy_not_the_reference(sampled):
    weights, reference, rollouts, _ = sampled
    gpt = _policy(weights)
    trainer = preference.PPOTrainer(gpt, clip=0.2, value_coefficient=0.5)
    batch = finetune.ppo_batch(trainer, rollouts, kl_coefficient=0.1)
    np.testing.assert_allclose(batch["old_log_probs"], rollouts["log_probs"], atol=1e-5)
    reference_weights = [w.copy() for w in reference.get_weights()]
    trainer.compile(keras.optimizers.Adam(1e-2))
    history = trainer.fit(batch, batch_size=3, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(not np.allclose(a, b) for a, b in zip(weights, gpt.get_weights(), strict=True))
    assert np.abs(_numpy(trainer.value_head.kernel)).max() > 0  # the value head learned
    for before, after in zip(reference_weights, reference.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
