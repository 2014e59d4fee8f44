r"""Per-token perplexity from logits, as a function and as a stateful Keras metric.

With a model's scores :math:`z_t \in \mathbb{R}^V` for each position, the
target token :math:`y_t` and a weight :math:`m_t` (1 for a real token, 0 for
padding), the negative log-likelihood of a token and the perplexity are

.. math::

    \mathrm{NLL}_t = -\log \mathrm{softmax}(z_t)_{y_t}, \qquad
    \mathrm{PPL} = \exp\Big(\frac{\sum_t m_t\, \mathrm{NLL}_t}{\sum_t m_t}\Big)

the exponent of the mean cross-entropy of the real tokens: a model as unsure
as a uniform pick among :math:`k` tokens has perplexity :math:`k`.
:func:`companion.lm.perplexity` computes the same number in NumPy from
log-probabilities that are already picked; here the logits are the input, the
code is ``keras.ops`` only, and it runs inside a compiled training step.
"""

import keras
from keras import ops

from companion.checks import check_bool, check_ids, check_int, concrete_values


def _log_probs(y_pred, from_logits):
    """log p(v) for every token v: log-softmax of logits, or the log of probabilities."""
    if from_logits:
        return ops.log_softmax(y_pred, axis=-1)  # (..., V)
    # probabilities: renormalised and clipped as keras' cross-entropy does
    probs = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    epsilon = keras.config.epsilon()
    return ops.log(ops.clip(probs, epsilon, 1.0 - epsilon))  # (..., V)


def _weighted_nll(y_pred, targets, weights, from_logits, dtype):
    """(sum of m_t NLL_t, sum of m_t) as scalars of ``dtype``."""
    y_pred = ops.cast(y_pred, dtype)  # (..., V)
    targets = ops.cast(targets, "int32")  # (...)
    picked = ops.take_along_axis(_log_probs(y_pred, from_logits), targets[..., None], axis=-1)
    nll = -ops.squeeze(picked, axis=-1)  # (...)
    if weights is None:
        return ops.sum(nll), ops.cast(ops.size(nll), dtype)
    weights = ops.cast(weights, dtype)
    while len(weights.shape) < len(nll.shape):  # one weight per sequence: (B,) -> (B, 1)
        weights = ops.expand_dims(weights, -1)
    weights = ops.broadcast_to(weights, ops.shape(nll))  # (...)
    return ops.sum(weights * nll), ops.sum(weights)


def _check_shapes(logits, targets, mask):
    logits_shape, targets_shape = tuple(logits.shape), tuple(targets.shape)

    def fits(shape, expected):  # an unknown size (None, while tracing) fits any size
        return len(shape) == len(expected) and all(
            a is None or b is None or a == b for a, b in zip(shape, expected, strict=True)
        )

    if len(logits_shape) < 2 or not fits(targets_shape, logits_shape[:-1]):
        raise ValueError(
            f"targets must have the shape of logits without its last axis, logits.shape[:-1] = "
            f"{logits_shape[:-1]} (got targets shape {targets_shape}, logits shape "
            f"{logits_shape})"
        )
    if mask is not None and not fits(tuple(mask.shape), targets_shape):
        raise ValueError(
            f"mask must have the shape of targets, {targets_shape} (got mask shape "
            f"{tuple(mask.shape)})"
        )


def token_perplexity(logits, targets, mask=None):
    r"""Per-token perplexity :math:`\exp(\sum_t m_t\, \mathrm{NLL}_t / \sum_t m_t)`.

    .. math::

        \mathrm{NLL}_t = -\log \mathrm{softmax}(z_t)_{y_t}

    Args:
        logits: float tensor (..., V). Unnormalised scores, such as a language
            model's or a decoder's output.
        targets: int tensor (...). The token that should come at each position.
        mask: tensor (...) of 0/1 or bool, or float weights, or `None` (every
            token counts). Use ``targets != pad_id`` to leave out padding.
            Defaults to `None`.

    Returns:
        A scalar float32 tensor >= 1 (float64 for float64 logits).

    Raises:
        ValueError: shapes that do not fit, a target id outside ``[0, V)``, or
            a mask with no weight at all (0 / 0). These value checks run in
            eager calls; inside a compiled function an empty mask gives NaN.

    Example:

    >>> logits = np.zeros((1, 3, 4), "float32")  # uniform over 4 tokens
    >>> round(float(token_perplexity(logits, np.array([[1, 2, 0]]))), 4)
    4.0
    """
    logits = ops.convert_to_tensor(logits)
    targets = ops.convert_to_tensor(targets)
    mask = None if mask is None else ops.convert_to_tensor(mask)
    _check_shapes(logits, targets, mask)
    values = concrete_values(targets)
    if values is not None:
        check_ids("targets", values, size=logits.shape[-1])
    float64 = keras.backend.standardize_dtype(logits.dtype) == "float64"
    dtype = "float64" if float64 else "float32"  # half-precision logits: log-softmax in float32
    total, count = _weighted_nll(logits, targets, mask, True, dtype)
    counted = concrete_values(count)
    if counted is not None and not counted > 0:
        raise ValueError(
            f"mask must keep at least one token (got a mask summing to {float(counted)} over "
            f"{int(ops.size(targets))} targets); perplexity of no tokens is 0 / 0"
        )
    return ops.exp(total / count)


@keras.saving.register_keras_serializable(package="companion")
class Perplexity(keras.metrics.Metric):
    r"""Perplexity accumulated over batches: :math:`\exp(\sum m_t \mathrm{NLL}_t / \sum m_t)`.

    The sums of weighted negative log-likelihoods and of weights run over
    every batch since the last ``reset_state()``, so the result is the
    perplexity of all the tokens seen, not a mean of per-batch perplexities.
    Equal to ``keras_hub.metrics.Perplexity`` with the same arguments; the
    default here is ``from_logits=True`` (keras-hub's is `False`), since the
    library's models output logits.

    Args:
        from_logits: bool. Whether ``y_pred`` holds logits (else
            probabilities). Defaults to `True`.
        mask_token_id: int or `None`. Targets equal to this id (padding) are
            left out; multiplied with ``sample_weight`` when both are given.
            Defaults to `None`.
        name: str. Defaults to `"perplexity"`.
        **kwargs: passed to ``keras.metrics.Metric`` (``dtype``).

    Call arguments (``update_state``):
        y_true: int tensor (B, T) of target ids.
        y_pred: float tensor (B, T, V) of logits or probabilities.
        sample_weight: tensor (B, T) or (B,), or `None`.

    Returns (``result``):
        A scalar; 0 before any token has been counted (as keras-hub), since
        a perplexity is always >= 1.

    Example:

    >>> metric = Perplexity(mask_token_id=0)
    >>> logits = np.zeros((1, 3, 4), "float32")
    >>> metric.update_state(np.array([[1, 2, 0]]), logits)
    >>> round(float(metric.result()), 4)
    4.0

    References:
        - [Jurafsky and Martin, Speech and Language Processing, ch. 3](https://web.stanford.edu/~jurafsky/slp3/)
    """

    def __init__(self, from_logits=True, mask_token_id=None, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits = check_bool("from_logits", from_logits)
        if mask_token_id is not None:
            mask_token_id = check_int("mask_token_id", mask_token_id, minimum=0)
        self.mask_token_id = mask_token_id
        self.total_nll = self.add_weight(
            shape=(), initializer="zeros", dtype=self.dtype, name="total_nll"
        )
        self.token_count = self.add_weight(
            shape=(), initializer="zeros", dtype=self.dtype, name="token_count"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        _check_shapes(y_pred, y_true, None)
        if self.mask_token_id is not None:
            mask = ops.cast(ops.not_equal(y_true, self.mask_token_id), self.dtype)  # (B, T)
            if sample_weight is not None:
                weights = ops.cast(sample_weight, self.dtype)
                while len(weights.shape) < len(mask.shape):
                    weights = ops.expand_dims(weights, -1)
                mask = mask * weights
            sample_weight = mask
        total, count = _weighted_nll(y_pred, y_true, sample_weight, self.from_logits, self.dtype)
        self.total_nll.assign_add(total)
        self.token_count.assign_add(count)

    def result(self):
        mean_nll = ops.divide_no_nan(self.total_nll, self.token_count)
        return ops.where(self.token_count > 0, ops.exp(mean_nll), ops.zeros_like(mean_nll))

    def reset_state(self):
        self.total_nll.assign(0.0)
        self.token_count.assign(0.0)

    def get_config(self):
        config = super().get_config()
        config.update({"from_logits": self.from_logits, "mask_token_id": self.mask_token_id})
        return config
