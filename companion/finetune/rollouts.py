r"""Rollouts for preference tuning: a frozen reference, the policy's own samples, their scores.

Each round of DPO or PPO (:mod:`~companion.finetune.preference`) starts here: the policy
continues prompts (:func:`sample_rollouts`), a reward scores the continuations, the policy
and the frozen reference (:func:`frozen_copy`) score their tokens; then
:func:`preference_pairs` makes DPO's pairs, or :func:`ppo_batch` PPO's advantages.
"""

import keras
import numpy as np

from companion.checks import check_float, check_ids, check_int
from companion.finetune.preference import (
    PPOTrainer,
    _build,
    _check_keys,
    kl_to_reference,
    ppo_advantages,
)


def frozen_copy(model):
    r"""A frozen copy of ``model`` with its weights: the reference :math:`\pi_{\mathrm{ref}}`.

    Args:
        model: a companion ``keras.Model`` (one that ``from_config`` rebuilds).

    Returns:
        a new ``keras.Model`` with ``trainable = False``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model (got {type(model).__name__})")
    copy = _build(type(model).from_config(model.get_config()))
    copy.set_weights(_build(model).get_weights())
    copy.trainable = False
    return copy


def _numpy_log_probs(model, ids):
    """``token_log_probs`` of a whole batch of buffers, in NumPy: one compiled ``predict``."""
    logits = np.asarray(model.predict(ids[:, :-1], batch_size=len(ids), verbose=0), np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (N, T, V)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return np.take_along_axis(log_softmax, ids[:, 1:, None].astype(np.int64), -1)[..., 0]


def sample_rollouts(sampler, reference, prompts, reward, samples_per_prompt=4):
    r"""Continues each prompt :math:`K` times, :math:`y \sim \pi_\theta(\cdot \mid x)`, then
    scores the continuations with the reward, the policy and the reference.

    Args:
        sampler: a :class:`~companion.decoding.Generator` of the policy with
            ``strategy="sample"`` (temperature 1 for an unbiased KL) and ``max_length`` =
            prompt + continuation length. Made once, it compiles once for all rounds.
        reference: the frozen reference model (:func:`frozen_copy`).
        prompts: int ``(N, P)``, ids > 0 (0 is padding), ``P < max_length``.
        reward: callable, continuation ids ``(N K, max_length - P)`` -> ``(N K,)`` floats,
            e.g. ``lambda ids: modern_wording_reward([chars.decode(r) for r in ids])``.
        samples_per_prompt: int >= 1, :math:`K`. Defaults to `4`.

    Returns:
        ``(rollouts, metrics)``. ``rollouts``: dict of NumPy arrays ``"ids"`` ``(N K, L)``;
        ``"weights"``, ``"log_probs"``, ``"reference_log_probs"`` ``(N K, L - 1)``;
        ``"rewards"``, ``"prompt_index"`` ``(N K,)``. ``metrics``: ``{"reward": mean reward,
        "kl": kl_to_reference}``, what a chapter plots round by round.
    """
    # duck-typed: finetune sits below decoding in the library's layers and does not import it
    if not (getattr(sampler, "random", False) and getattr(sampler, "max_length", None)):
        raise TypeError(
            "sampler must be a companion.decoding.Generator with a sampling strategy and a "
            f"max_length (got {type(sampler).__name__})"
        )
    prompts = check_ids("prompts", prompts, sampler.network.decoder.vocabulary_size, ndim=2)
    count, width = prompts.shape
    if not width < sampler.max_length or (prompts == 0).any():
        raise ValueError(
            f"prompts must be (N, P) ids > 0 with P < sampler.max_length={sampler.max_length} "
            f"(got shape {prompts.shape}, {int((prompts == 0).sum())} padding ids)"
        )
    if not callable(reward):
        raise TypeError(f"reward must be a callable ids -> floats (got {type(reward).__name__})")
    repeats = check_int("samples_per_prompt", samples_per_prompt, minimum=1)
    buffers = np.repeat(prompts, repeats, axis=0).astype(np.int32)  # (N K, P)
    ids = np.asarray(sampler.predict(buffers, batch_size=len(buffers), verbose=0))  # (N K, L)
    ends = ids[:, width:] == (-1 if sampler.end_id is None else sampler.end_id)  # (N K, C)
    weights = np.zeros((len(ids), ids.shape[1] - 1), np.float32)  # (N K, T)
    weights[:, width - 1 :] = np.cumsum(ends, axis=1) - ends == 0  # up to the end token
    rewards = np.asarray(reward(ids[:, width:]), np.float64)
    if rewards.shape != (len(ids),):
        raise ValueError(f"reward must return shape ({len(ids)},) (got shape {rewards.shape})")
    rollouts = {
        "ids": ids,
        "weights": weights,
        "log_probs": _numpy_log_probs(sampler.network, ids),
        "reference_log_probs": _numpy_log_probs(_build(reference), ids),
        "rewards": rewards,
        "prompt_index": np.repeat(np.arange(count), repeats),
    }
    kl = kl_to_reference(rollouts["log_probs"], rollouts["reference_log_probs"], weights)
    return rollouts, {"reward": float(rewards.mean()), "kl": float(kl)}


def preference_pairs(rollouts):
    """DPO's pairs: for each prompt, its best sample is chosen and its worst rejected.

    A prompt whose samples all have the same reward gives no pair.

    Args:
        rollouts: dict from :func:`sample_rollouts`.

    Returns:
        dict of NumPy arrays, the inputs of :class:`DPOTrainer`, one row per pair.
    """
    _check_keys(rollouts, "ids weights reference_log_probs rewards prompt_index", "rollouts")
    rewards, groups = rollouts["rewards"], rollouts["prompt_index"]
    pairs = []
    for group in np.unique(groups):
        rows = np.flatnonzero(groups == group)
        best, worst = rows[np.argmax(rewards[rows])], rows[np.argmin(rewards[rows])]
        if rewards[best] > rewards[worst]:
            pairs.append((best, worst))
    if not pairs:
        raise ValueError(
            "rollouts must hold a prompt whose samples differ in reward (got "
            f"{len(np.unique(groups))} prompts, each with equal rewards)"
        )
    chosen, rejected = np.array(pairs).T  # (P,) each
    ids, weights = rollouts["ids"], rollouts["weights"]
    reference = (rollouts["reference_log_probs"] * weights).sum(axis=1).astype(np.float32)
    return {
        "chosen": ids[chosen],
        "rejected": ids[rejected],
        "chosen_weights": weights[chosen],
        "rejected_weights": weights[rejected],
        "reference_chosen": reference[chosen],
        "reference_rejected": reference[rejected],
    }


def ppo_batch(trainer, rollouts, kl_coefficient=0.1, gamma=1.0, lam=0.95):
    r"""PPO's inputs: old log-probs and values from ``trainer``, then :func:`ppo_advantages`.

    Args:
        trainer: the :class:`PPOTrainer` whose policy sampled the rollouts.
        rollouts: dict from :func:`sample_rollouts`.
        kl_coefficient: float >= 0, :math:`\beta` of the per-token penalty. Defaults to `0.1`.
        gamma, lam: as in :func:`ppo_advantages`.

    Returns:
        dict of NumPy arrays, the inputs of :class:`PPOTrainer`.
    """
    if not isinstance(trainer, PPOTrainer):
        raise TypeError(f"trainer must be a PPOTrainer (got {type(trainer).__name__})")
    _check_keys(rollouts, "ids weights reference_log_probs rewards", "rollouts")
    beta = check_float("kl_coefficient", kl_coefficient, minimum=0.0)
    ids, weights = rollouts["ids"], rollouts["weights"]
    outputs = trainer.predict({"ids": ids}, batch_size=len(ids), verbose=0)
    old = np.asarray(outputs["log_probs"], np.float32)  # (N, T)
    penalties = beta * (old - rollouts["reference_log_probs"])  # (N, T), k_t
    advantages, returns = ppo_advantages(
        rollouts["rewards"], outputs["values"], weights, penalties, gamma, lam
    )
    return {
        "ids": ids,
        "weights": weights,
        "old_log_probs": old,
        "advantages": advantages,
        "returns": returns,
    }
