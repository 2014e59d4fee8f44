"""Tests of companion.finetune.preference: DPO and PPO against NumPy versions of the papers'
formulas, GAE against a hand-written loop, the reward, and one ``fit`` of each trainer."""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_config_round_trip, check_save_and_load
from support import gradients

from companion import finetune
from companion.finetune import preference
from companion.transformer import TransformerLanguageModel


@pytest.fixture(autouse=True)
def _seeded_keras(rng):
    keras.utils.set_random_seed(int(rng.integers(2**31)))


def _gpt():
    return TransformerLanguageModel(12, 8, hidden_dim=8, num_heads=2, num_layers=1)


def _numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor), np.float64)


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _log_sigmoid(z):
    return -np.logaddexp(0.0, -z)


def test_token_and_sequence_log_probs_match_numpy(rng):
    logits = rng.normal(size=(3, 5, 7)).astype("float32")
    targets = rng.integers(0, 7, size=(3, 5))
    weights = (rng.random((3, 5)) < 0.6).astype("float32")
    table = _log_softmax(logits.astype(np.float64))
    expected = np.array([[table[b, t, targets[b, t]] for t in range(5)] for b in range(3)])
    tokens = _numpy(preference.token_log_probs(logits, targets))
    np.testing.assert_allclose(tokens, expected, atol=1e-5)
    sequences = _numpy(preference.sequence_log_probs(logits, targets, weights))
    np.testing.assert_allclose(sequences, (expected * weights).sum(axis=1), atol=1e-5)


def test_dpo_loss_and_gradient_are_the_papers(rng):
    pc, pr, rc, rr = rng.normal(-20.0, 5.0, size=(4, 6)).astype("float32")
    for beta in (0.1, 1.0):
        margin = beta * ((pc - rc) - (pr - rr))
        expected = np.mean(-_log_sigmoid(margin.astype(np.float64)))
        loss = preference.dpo_loss(pc, pr, rc, rr, beta=beta)
        assert abs(float(loss) - expected) < 1e-5
    # d loss / d log pi(y_w) = -beta sigma(-margin) / B
    chosen = keras.Variable(pc)
    _, (grad,) = gradients([chosen], lambda: preference.dpo_loss(chosen, pr, rc, rr, beta=0.5))
    margin = 0.5 * ((pc - rc) - (pr - rr)).astype(np.float64)
    np.testing.assert_allclose(grad, -0.5 / (1 + np.exp(margin)) / 6, atol=1e-6)
    # stable at any margin: -log sigma(-1000) = 1000, -log sigma(1000) = 0
    far = preference.dpo_loss([-1000.0, 1000.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], beta=1.0)
    assert abs(float(far) - 500.0) < 1e-3


def test_ppo_clipped_loss_matches_numpy_inside_and_outside_the_clip(rng):
    ratios = np.array([[0.5, 0.9, 1.0, 1.1, 1.5], [0.5, 0.9, 1.0, 1.1, 1.5]], "float32")
    advantages = np.array([[1.0, -2.0, 0.5, 1.5, 2.0], [-1.0, 2.0, -0.5, -1.5, -2.0]], "float32")
    weights = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 1, 1]], "float32")
    old = rng.normal(-2.0, 0.5, size=(2, 5)).astype("float32")
    new = old + np.log(ratios)
    clipped = np.clip(ratios, 0.8, 1.2)
    surrogate = np.minimum(ratios * advantages, clipped * advantages)
    expected = -(surrogate * weights).sum() / weights.sum()
    loss = preference.ppo_clipped_loss(new, old, advantages, weights, clip=0.2)
    assert abs(float(loss) - expected) < 1e-5
    # the clip stops the gradient where the ratio left [0.8, 1.2] in the advantage's favour
    log_probs = keras.Variable(new)
    _, (grad,) = gradients(
        [log_probs], lambda: preference.ppo_clipped_loss(log_probs, old, advantages, weights)
    )
    outside = ((ratios > 1.2) & (advantages > 0)) | ((ratios < 0.8) & (advantages < 0))
    assert outside.sum() == 2
    np.testing.assert_allclose(grad[outside], 0.0)
    inside = ~outside & (weights > 0)
    np.testing.assert_allclose(
        grad[inside], (-ratios * advantages / weights.sum())[inside], atol=1e-6
    )


def test_kl_to_reference_sums_scored_tokens_and_averages_sequences(rng):
    log_probs, reference = rng.normal(-2.0, 1.0, size=(2, 3, 4))
    weights = np.array([[0, 1, 1, 1], [0, 0, 1, 1], [0, 1, 1, 0]], "float32")
    expected = np.mean([np.sum((log_probs[b] - reference[b]) * weights[b]) for b in range(3)])
    assert abs(float(preference.kl_to_reference(log_probs, reference, weights)) - expected) < 1e-5


def _gae_loop(rewards, values, weights, penalties, gamma, lam):
    """GAE row by row over the scored tokens only, as written in the paper."""
    advantages, returns = np.zeros_like(values), np.zeros_like(values)
    for b in range(len(values)):
        steps = np.flatnonzero(weights[b])
        token_rewards = [-penalties[b, t] for t in steps]
        token_rewards[-1] += rewards[b]
        for i, t in enumerate(steps):
            total = 0.0
            for j in range(i, len(steps)):
                following = values[b, steps[j + 1]] if j + 1 < len(steps) else 0.0
                delta = token_rewards[j] + gamma * following - values[b, steps[j]]
                total += (gamma * lam) ** (j - i) * delta
            advantages[b, t], returns[b, t] = total, total + values[b, t]
    return advantages, returns


def test_ppo_advantages_match_a_hand_written_loop_and_whiten(rng):
    values = rng.normal(size=(3, 6))
    penalties = rng.normal(0.0, 0.1, size=(3, 6))
    rewards = rng.normal(size=3)
    weights = np.array([[0, 0, 1, 1, 1, 1], [0, 1, 1, 1, 0, 0], [0, 0, 1, 0, 1, 1]], "float32")
    for gamma, lam in ((1.0, 0.95), (0.9, 0.5)):
        expected = _gae_loop(rewards, values, weights, penalties, gamma, lam)
        actual = preference.ppo_advantages(
            rewards, values, weights, penalties, gamma, lam, whiten=False
        )
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(a, e, atol=1e-5)
    advantages, _ = preference.ppo_advantages(rewards, values, weights, penalties)
    scored = advantages[weights > 0]
    assert abs(scored.mean()) < 1e-5 and abs(scored.std() - 1.0) < 1e-4
    np.testing.assert_array_equal(advantages[weights == 0], 0.0)


def test_modern_wording_reward_counts_archaic_forms():
    texts = [
        "And he saith unto them, Thou knowest it.",  # saith, unto, thou, knowest: 4 of 8
        "He says to them: you know it.",
        "The priest cometh with his teeth on the twentieth day",  # cometh: 1 of 10
        "",  # no word: nothing archaic
        "!!! 42",
    ]
    rewards = preference.modern_wording_reward(texts)
    np.testing.assert_allclose(rewards, [-4 / 8, 0.0, -1 / 10, 0.0, 0.0])
    assert rewards.dtype == np.float64 and preference.modern_wording_reward([]).shape == (0,)


def test_trainers_round_trip_config_and_file(tmp_path):
    restored = check_config_round_trip(preference.DPOTrainer(_gpt(), beta=0.3))
    assert restored.beta == 0.3
    trainer = preference.PPOTrainer(_gpt(), clip=0.1, value_coefficient=0.2)
    restored = check_config_round_trip(trainer)
    assert (restored.clip, restored.value_coefficient) == (0.1, 0.2)
    trainer.value_head.kernel.assign(np.ones((8, 1), "float32"))  # values that must survive
    ids = np.array([[4, 5, 6, 7], [8, 9, 10, 11]], "int32")
    check_save_and_load(trainer, {"ids": ids}, tmp_path)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: preference.token_log_probs(np.zeros((2, 3)), [[1]]), ValueError, "logits must"),
        (
            lambda: preference.token_log_probs(np.zeros((1, 3, 4)), [[1, 2]]),
            ValueError,
            r"targets must have the shape of logits \(1, 3\)",
        ),
        (
            lambda: preference.dpo_loss([0.0], [0.0], [0.0], [0.0], beta=0.0),
            ValueError,
            "beta must be a finite number in",
        ),
        (
            lambda: preference.dpo_loss([0.0], [0.0, 1.0], [0.0], [0.0]),
            ValueError,
            r"policy_rejected must have the shape of policy_chosen \(1,\)",
        ),
        (
            lambda: preference.ppo_clipped_loss(*np.zeros((4, 1, 2)), clip=1.5),
            ValueError,
            r"clip must be a finite number in \(0, 1\) \(got clip=1.5\)",
        ),
        (
            lambda: preference.ppo_advantages(
                [1.0], np.zeros((1, 3)), np.ones((1, 3)), np.zeros(3)
            ),
            ValueError,
            r"kl_penalties must have shape \(1, 3\)",
        ),
        (
            lambda: preference.ppo_advantages([1.0], np.zeros((1, 3)), np.zeros((1, 3)), [[0] * 3]),
            ValueError,
            "weights must score at least one token per row",
        ),
        (lambda: preference.modern_wording_reward("thou"), TypeError, "texts must be a list"),
        (lambda: preference.modern_wording_reward([3]), TypeError, r"texts\[0\] must be a str"),
        (lambda: preference.DPOTrainer(keras.layers.Dense(2)), TypeError, "policy must be a"),
        (lambda: preference.PPOTrainer(_gpt(), clip=0.0), ValueError, r"clip.*\(got clip=0.0\)"),
        (
            lambda: preference.PPOTrainer(_gpt())({"tokens": np.ones((1, 4), "int32")}),
            ValueError,
            r"inputs must be a dict with keys \['ids'\] \(got \['tokens'\]\)",
        ),
        (
            lambda: finetune.sample_rollouts(_gpt(), None, [[4, 5]], len),
            TypeError,
            "sampler must be a companion.decoding.Generator",
        ),
        (
            lambda: finetune.preference_pairs({"ids": np.ones((2, 4))}),
            ValueError,
            r"rollouts must be a dict with keys \['ids', 'weights'",
        ),
    ],
)
def test_bad_inputs_get_clear_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
