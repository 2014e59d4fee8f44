r"""Preference tuning of a pre-trained causal language model: DPO and PPO (deck ``003_…``).

A policy :math:`\pi_\theta` starts as a copy of a frozen reference :math:`\pi_{\mathrm{ref}}`
and learns what a reward prefers, while its KL divergence to the reference stays small.

* **DPO** (Rafailov et al., 2023): pairs of continuations of one prompt, chosen
  :math:`y_w` and rejected :math:`y_l`; a logistic loss on the difference of their
  log-probability ratios, no reward model in the step;
* **PPO** (Schulman et al., 2017) as in InstructGPT (Ouyang et al., 2022): the reward of a
  sampled continuation minus a per-token KL penalty gives GAE advantages; the policy takes
  clipped steps and a value head learns the returns.

Layout: a buffer ``ids`` ``(B, L)`` holds a prompt and its continuation; the model reads
``ids[:, :-1]`` and every per-token array is ``(B, T = L - 1)``, position :math:`t` for the
prediction of ``ids[:, t + 1]``. ``weights`` are 1 on the continuation's tokens (scored) and
0 on the prompt and padding. The loop a chapter runs, each round::

    rollouts, metrics = sample_rollouts(sampler, reference, prompts, reward)  # y ~ pi
    dpo.fit(preference_pairs(rollouts))  # or: ppo.fit(ppo_batch(ppo, rollouts))

(the rollouts: :mod:`~companion.finetune.rollouts`).

References:
    Rafailov et al., *Direct Preference Optimization: Your Language Model is Secretly a
    Reward Model*, 2023. Schulman et al., *Proximal Policy Optimization Algorithms*, 2017.
    Schulman et al., *High-Dimensional Continuous Control Using Generalized Advantage
    Estimation*, 2016. Ouyang et al., *Training language models to follow instructions with
    human feedback*, 2022.
"""

import re

import keras
import numpy as np
from keras import ops

from companion.checks import check_bool, check_float, check_rank, check_text

#: The archaic forms :func:`modern_wording_reward` counts: pronouns, verb forms (the
#: second person ``-st``/``-est`` of common verbs), old adverbs.
ARCHAIC_WORDS = frozenset(
    "thee thou thy thine thyself ye hath hast doth dost art shalt wilt wast didst canst saith "
    "spake unto wherefore whither hither thither thence whence verily behold lo yea begat "
    "mayest knowest shouldest wouldest goest doest sayest seest gavest comest camest makest "
    "sawest mightest".split()
)
#: Words ending in ``-eth`` that are not third-person verbs: nouns, names, ordinals.
NOT_ARCHAIC_ETH = frozenset(
    "teeth nazareth elizabeth japheth shibboleth twentieth thirtieth fortieth fiftieth "
    "sixtieth seventieth eightieth ninetieth".split()
)
_DPO_KEYS = "chosen rejected chosen_weights rejected_weights reference_chosen reference_rejected"
_PPO_KEYS = "ids weights old_log_probs advantages returns"


def _tensors(layout, **values):
    """Float tensors of one rank and shape, else an error naming the argument."""
    tensors = [ops.cast(ops.convert_to_tensor(v), "float32") for v in values.values()]
    names = list(values)
    for name, tensor in zip(names, tensors, strict=True):
        check_rank(name, tensor.shape, layout.rstrip(",)").count(",") + 1, layout)
        known = zip(tensor.shape, tensors[0].shape, strict=True)
        if any(a is not None and b is not None and a != b for a, b in known):
            raise ValueError(
                f"{name} must have the shape of {names[0]} {tuple(tensors[0].shape)} "
                f"(got shape {tuple(tensor.shape)})"
            )
    return tensors


def _weighted_mean(values, weights):
    return ops.sum(values * weights) / ops.maximum(ops.sum(weights), 1e-8)


def token_log_probs(logits, targets):
    r"""Log-probability of each target token, :math:`\log \pi(y_t) = z_{t, y_t} - \log
    \sum_v e^{z_{t, v}}`.

    Args:
        logits: float ``(B, T, V)``; ``logits[:, t]`` scores ``targets[:, t]``.
        targets: int ``(B, T)``.

    Returns:
        float32 tensor ``(B, T)``.

    Example:

    >>> lp = token_log_probs(np.log([[[0.5, 0.25, 0.25]]]), np.array([[1]]))
    >>> round(float(keras.ops.convert_to_numpy(lp)[0, 0]), 4)  # log 0.25
    -1.3863
    """
    (logits,) = _tensors("(batch, time, vocabulary)", logits=logits)
    targets = ops.cast(ops.convert_to_tensor(targets), "int32")
    _tensors("(batch, time)", logits=logits[..., 0], targets=targets)
    log_softmax = ops.log_softmax(logits, axis=-1)  # (B, T, V)
    return ops.take_along_axis(log_softmax, targets[..., None], axis=-1)[..., 0]  # (B, T)


def sequence_log_probs(logits, targets, weights):
    r"""Log-probability of each continuation, :math:`\log \pi(y \mid x) = \sum_t m_t \log
    \pi(y_t)`.

    Args:
        logits, targets: as in :func:`token_log_probs`.
        weights: float ``(B, T)``, :math:`m_t`: 1 on the continuation, 0 elsewhere.

    Returns:
        float32 tensor ``(B,)``.
    """
    tokens = token_log_probs(logits, targets)  # (B, T)
    tokens, weights = _tensors("(batch, time)", targets=tokens, weights=weights)
    return ops.sum(tokens * weights, axis=-1)  # (B,)


def dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta=0.1):
    r"""The DPO loss of Rafailov et al. (2023), from sequence log-probabilities.

    .. math::

        \mathcal{L}_{\mathrm{DPO}} = -\,\mathbb{E}\Big[\log \sigma\Big(
        \beta \log \frac{\pi_\theta(y_w \mid x)}{\pi_{\mathrm{ref}}(y_w \mid x)}
        - \beta \log \frac{\pi_\theta(y_l \mid x)}{\pi_{\mathrm{ref}}(y_l \mid x)}\Big)\Big]

    :math:`\beta \log \pi_\theta / \pi_{\mathrm{ref}}` is the implicit reward;
    :math:`-\log \sigma` is computed without overflow for any margin.

    Args:
        policy_chosen, policy_rejected: float ``(B,)``, :math:`\log \pi_\theta(y_w \mid x)`
            and :math:`\log \pi_\theta(y_l \mid x)`.
        reference_chosen, reference_rejected: float ``(B,)``, the same under the reference.
        beta: float > 0. Strength of the pull towards the reference. Defaults to `0.1`.

    Returns:
        float32 scalar tensor.

    Example:

    >>> loss = dpo_loss(np.array([-1.0]), np.array([-1.0]), np.array([-1.0]), np.array([-1.0]))
    >>> round(float(loss), 4)  # log 2: no preference yet
    0.6931
    """
    beta = check_float("beta", beta, minimum=0.0, open_minimum=True)
    pc, pr, rc, rr = _tensors(
        "(batch,)",
        policy_chosen=policy_chosen,
        policy_rejected=policy_rejected,
        reference_chosen=reference_chosen,
        reference_rejected=reference_rejected,
    )
    margin = beta * ((pc - rc) - (pr - rr))  # (B,)
    return ops.mean(-ops.log_sigmoid(margin))


def ppo_clipped_loss(log_probs, old_log_probs, advantages, weights, clip=0.2):
    r"""PPO's clipped surrogate (Schulman et al., 2017), averaged over the scored tokens.

    .. math::

        \mathcal{L}^{\mathrm{CLIP}} = -\,\frac{\sum_t m_t \min\big(\rho_t \hat A_t,\
        \operatorname{clip}(\rho_t, 1 - \epsilon, 1 + \epsilon)\,\hat A_t\big)}{\sum_t m_t},
        \qquad \rho_t = \frac{\pi_\theta(y_t)}{\pi_{\mathrm{old}}(y_t)}

    Args:
        log_probs: float ``(B, T)``, under the policy being trained.
        old_log_probs: float ``(B, T)``, under the policy that sampled.
        advantages: float ``(B, T)``, :math:`\hat A_t`.
        weights: float ``(B, T)``, :math:`m_t`.
        clip: float in (0, 1), :math:`\epsilon`. Defaults to `0.2`.

    Returns:
        float32 scalar tensor.
    """
    clip = check_float("clip", clip, minimum=0.0, maximum=1.0, open_minimum=True, open_maximum=True)
    log_probs, old, advantages, weights = _tensors(
        "(batch, time)",
        log_probs=log_probs,
        old_log_probs=old_log_probs,
        advantages=advantages,
        weights=weights,
    )
    ratio = ops.exp(log_probs - old)  # (B, T)
    clipped = ops.clip(ratio, 1.0 - clip, 1.0 + clip)  # (B, T)
    return -_weighted_mean(ops.minimum(ratio * advantages, clipped * advantages), weights)


def kl_to_reference(log_probs, reference_log_probs, weights):
    r"""Mean KL divergence to the reference per sampled continuation, in nats.

    .. math::

        \mathrm{KL}(\pi \,\|\, \pi_{\mathrm{ref}}) \approx \frac{1}{B} \sum_b \sum_t m_{bt}
        \big(\log \pi(y_{bt}) - \log \pi_{\mathrm{ref}}(y_{bt})\big), \qquad y_b \sim \pi

    The plain Monte-Carlo ("k1") estimator: unbiased when the continuations were drawn from
    :math:`\pi` itself (temperature 1, no top-k or top-p); one term may be negative.

    Args:
        log_probs, reference_log_probs, weights: float ``(B, T)``.

    Returns:
        float32 scalar tensor.
    """
    log_probs, reference, weights = _tensors(
        "(batch, time)",
        log_probs=log_probs,
        reference_log_probs=reference_log_probs,
        weights=weights,
    )
    return ops.mean(ops.sum((log_probs - reference) * weights, axis=-1))


def ppo_advantages(rewards, values, weights, kl_penalties, gamma=1.0, lam=0.95, whiten=True):
    r"""InstructGPT's per-token rewards, then GAE advantages and returns (NumPy).

    A KL penalty at every token and the sequence's reward :math:`R` at its last scored token
    :math:`T_b`; unscored tokens are skipped (and 0 in the outputs):

    .. math::

        r_t = -k_t + [t = T_b]\,R, \quad \delta_t = r_t + \gamma V_{t+1} - V_t, \quad
        \hat A_t = \sum_{l \ge 0} (\gamma\lambda)^l \delta_{t+l}, \quad G_t = \hat A_t + V_t

    with :math:`k_t = \beta(\log \pi_{\mathrm{old}} - \log \pi_{\mathrm{ref}})` and
    :math:`V_{T_b + 1} = 0`. ``whiten`` scales the scored advantages to mean 0, deviation 1.

    Args:
        rewards: float ``(N,)``, :math:`R`.
        values: float ``(N, T)``, the value head's :math:`V_t`.
        weights: float ``(N, T)``, 1 on scored tokens; every row needs one.
        kl_penalties: float ``(N, T)``, :math:`k_t`.
        gamma: float in [0, 1]. Discount. Defaults to `1.0`.
        lam: float in [0, 1]. GAE's :math:`\lambda`. Defaults to `0.95`.
        whiten: bool. Defaults to `True`.

    Returns:
        ``(advantages, returns)``: float32 ``(N, T)`` each.
    """
    values = np.asarray(values, np.float64)
    arrays = {"weights": weights, "kl_penalties": kl_penalties, "rewards": rewards}
    arrays = {name: np.asarray(value, np.float64) for name, value in arrays.items()}
    for name, array in (("values", values), *arrays.items()):
        shape = values.shape[:1] if name == "rewards" else values.shape
        if values.ndim != 2 or array.shape != shape:
            expected = "(N, T)" if name == "values" else f"{shape}, as values {values.shape}"
            raise ValueError(f"{name} must have shape {expected} (got shape {array.shape})")
    gamma = check_float("gamma", gamma, minimum=0.0, maximum=1.0)
    lam = check_float("lam", lam, minimum=0.0, maximum=1.0)
    scored = arrays["weights"] > 0  # (N, T)
    if not scored.any(axis=1).all():
        row = int(np.argmin(scored.any(axis=1)))
        raise ValueError(f"weights must score at least one token per row (got none in row {row})")
    count, length = values.shape
    token_rewards = -arrays["kl_penalties"] * scored  # (N, T)
    last = length - 1 - np.argmax(scored[:, ::-1], axis=1)  # (N,), T_b
    token_rewards[np.arange(count), last] += arrays["rewards"]
    advantages = np.zeros_like(values)  # (N, T)
    running, next_value = np.zeros(count), np.zeros(count)  # A_{t+1}, V_{t+1}
    for t in reversed(range(length)):
        delta = token_rewards[:, t] + gamma * next_value - values[:, t]  # (N,)
        advantage = delta + gamma * lam * running
        advantages[:, t] = np.where(scored[:, t], advantage, 0.0)
        running = np.where(scored[:, t], advantage, running)
        next_value = np.where(scored[:, t], values[:, t], next_value)
    returns = np.where(scored, advantages + values, 0.0)
    if check_bool("whiten", whiten):
        mean, std = advantages[scored].mean(), advantages[scored].std()
        advantages = np.where(scored, (advantages - mean) / (std + 1e-8), 0.0)
    return advantages.astype(np.float32), returns.astype(np.float32)


def _is_archaic(word):
    return word in ARCHAIC_WORDS or (
        len(word) >= 5 and word.endswith("eth") and word not in NOT_ARCHAIC_ETH
    )


def modern_wording_reward(texts):
    r"""A reward for plain modern wording: minus the share of archaic words in each text.

    .. math:: R(y) = -\frac{\#\{\text{archaic words in } y\}}{\#\{\text{words in } y\}}

    Words are runs of letters, lower-cased. Archaic: :data:`ARCHAIC_WORDS` (*thou*, *hath*,
    *unto*, *knowest*, ...) and the third-person ``-eth`` verbs of five letters or more
    (*cometh*), but for :data:`NOT_ARCHAIC_ETH` (*teeth*, *twentieth*). ``-est`` is no rule:
    it also ends superlatives (*greatest*) and nouns (*priest*). A text without a word has
    nothing archaic: 0. So has a text of non-words: only the KL term keeps a policy writing
    English (reward hacking, in small).

    Args:
        texts: list of str.

    Returns:
        float64 array ``(N,)`` in [-1, 0].

    Example:

    >>> modern_wording_reward(["And he saith unto them", "He says to them", ""]).tolist()
    [-0.4, 0.0, 0.0]
    """
    if isinstance(texts, str) or not hasattr(texts, "__iter__"):
        raise TypeError(
            f"texts must be a list of str (got {type(texts).__name__}: {texts!r:.40}); "
            "wrap one text in a list"
        )
    scores = []
    for index, text in enumerate(texts):
        words = re.findall(r"[a-z]+", check_text(f"texts[{index}]", text).lower())
        scores.append(-sum(map(_is_archaic, words)) / max(len(words), 1))
    return np.array(scores, np.float64)


def _build(model):
    """Creates a fresh model's weights with one symbolic call (shapes only)."""
    if not model.weights:
        model(keras.KerasTensor((1, 2), "int32"))
    return model


def _check_keys(inputs, keys, name="inputs"):
    if not isinstance(inputs, dict) or not set(keys.split()) <= set(inputs):
        got = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
        raise ValueError(f"{name} must be a dict with keys {keys.split()} (got {got})")


class _PolicyTrainer(keras.Model):
    """The policy, built, and the config both trainers share (the policy is serialised)."""

    def __init__(self, policy, **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(policy, keras.Model) and hasattr(policy, "decoder")):
            raise TypeError(
                "policy must be a TransformerLanguageModel, a keras.Model whose decoder "
                f"returns (logits, hidden) (got {type(policy).__name__})"
            )
        self.policy = _build(policy)

    def get_config(self):
        return {**super().get_config(), "policy": keras.saving.serialize_keras_object(self.policy)}

    @classmethod
    def from_config(cls, config):
        policy = keras.saving.deserialize_keras_object(config["policy"])
        return cls(**{**config, "policy": policy})


@keras.saving.register_keras_serializable(package="companion")
class DPOTrainer(_PolicyTrainer):
    r"""Trains a policy on preference pairs with :func:`dpo_loss`, by ``compile`` and ``fit``.

    The reference's log-probabilities come with the inputs (:func:`preference_pairs`), so
    only the policy runs in a step: one pass over the chosen and rejected together.

    Args:
        policy: a :class:`~companion.transformer.TransformerLanguageModel`, trained in place.
        beta: float > 0. Defaults to `0.1`.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        inputs: dict of ``"chosen"``, ``"rejected"`` int ``(B, L)``, ``"chosen_weights"``,
            ``"rejected_weights"`` float ``(B, L - 1)``; for the loss also
            ``"reference_chosen"``, ``"reference_rejected"`` float ``(B,)``.

    Returns:
        dict of ``"chosen"`` and ``"rejected"``: the policy's sequence log-probs ``(B,)``.

    Example:

    >>> from companion.transformer import TransformerLanguageModel
    >>> gpt = TransformerLanguageModel(12, 8, hidden_dim=8, num_heads=2, num_layers=1)
    >>> dpo = DPOTrainer(gpt, beta=0.2)  # then dpo.compile(optimizer), dpo.fit(pairs)
    >>> dpo.get_config()["beta"]
    0.2
    """

    def __init__(self, policy, beta=0.1, **kwargs):
        super().__init__(policy, **kwargs)
        self.beta = check_float("beta", beta, minimum=0.0, open_minimum=True)
        self.built = True

    def call(self, inputs, training=None):
        _check_keys(inputs, "chosen rejected chosen_weights rejected_weights")
        chosen, rejected = (ops.cast(inputs[key], "int32") for key in ("chosen", "rejected"))
        ids = ops.concatenate([chosen, rejected], axis=0)  # (2B, L)
        weights = ops.concatenate([inputs["chosen_weights"], inputs["rejected_weights"]], 0)
        logits = self.policy(ids[:, :-1], training=training)  # (2B, T, V)
        scores = sequence_log_probs(logits, ids[:, 1:], weights)  # (2B,)
        half = ops.shape(chosen)[0]
        return {"chosen": scores[:half], "rejected": scores[half:]}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        _check_keys(x, _DPO_KEYS)
        references = (x["reference_chosen"], x["reference_rejected"])
        loss = dpo_loss(y_pred["chosen"], y_pred["rejected"], *references, beta=self.beta)
        return loss + sum(self.losses)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


@keras.saving.register_keras_serializable(package="companion")
class PPOTrainer(_PolicyTrainer):
    r"""Trains a policy and its value head with PPO, by ``compile`` and ``fit``.

    .. math:: \mathcal{L} = \mathcal{L}^{\mathrm{CLIP}} + c_V\,
        \frac{\sum_t m_t (V_t - G_t)^2}{\sum_t m_t}, \qquad V_t = w_V^\top h_t + b_V

    The value head is a ``Dense(1)`` on the policy's last hidden states :math:`h_t`, zero at
    first (the first advantages come from the rewards alone); its loss also trains the
    shared layers, scaled by :math:`c_V`.

    Args:
        policy: a :class:`~companion.transformer.TransformerLanguageModel`, trained in place.
        clip: float in (0, 1), :math:`\epsilon`. Defaults to `0.2`.
        value_coefficient: float >= 0, :math:`c_V`. Defaults to `0.1`.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        inputs: dict with ``"ids"`` int ``(B, L)``; for the loss also ``"weights"``,
            ``"old_log_probs"``, ``"advantages"``, ``"returns"`` float ``(B, L - 1)``
            (:func:`ppo_batch`).

    Returns:
        dict of ``"log_probs"`` and ``"values"``, float ``(B, L - 1)``.
    """

    def __init__(self, policy, clip=0.2, value_coefficient=0.1, **kwargs):
        super().__init__(policy, **kwargs)
        self.clip = check_float(
            "clip", clip, minimum=0.0, maximum=1.0, open_minimum=True, open_maximum=True
        )
        self.value_coefficient = check_float("value_coefficient", value_coefficient, minimum=0.0)
        self.value_head = keras.layers.Dense(
            1, kernel_initializer="zeros", dtype=self.dtype_policy, name="value_head"
        )
        self.value_head.build((None, None, self.policy.decoder.hidden_dim))
        self.built = True

    def call(self, inputs, training=None):
        _check_keys(inputs, "ids")
        ids = ops.cast(inputs["ids"], "int32")  # (B, L)
        logits, hidden = self.policy.decoder(ids[:, :-1], training=training)  # (B, T, V|d)
        values = ops.cast(self.value_head(hidden)[..., 0], "float32")  # (B, T)
        return {"log_probs": token_log_probs(logits, ids[:, 1:]), "values": values}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        _check_keys(x, _PPO_KEYS)
        weights = ops.cast(x["weights"], "float32")  # (B, T)
        policy_loss = ppo_clipped_loss(
            y_pred["log_probs"], x["old_log_probs"], x["advantages"], weights, self.clip
        )
        errors = ops.square(y_pred["values"] - ops.cast(x["returns"], "float32"))  # (B, T)
        value_loss = _weighted_mean(errors, weights)
        return policy_loss + self.value_coefficient * value_loss + sum(self.losses)

    def get_config(self):
        config = {"clip": self.clip, "value_coefficient": self.value_coefficient}
        return {**super().get_config(), **config}
