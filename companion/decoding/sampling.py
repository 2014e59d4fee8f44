r"""Sampling: draw the next token from the model's distribution, reshaped first.

Every strategy here draws from one distribution, :func:`filtered_probabilities`:

* **temperature** :math:`T`: :math:`p_i = e^{z_i/T} / \sum_j e^{z_j/T}`;
  :math:`T < 1` sharpens (:math:`T \to 0` is greedy), :math:`T > 1` flattens;
* **top-k**: keep the :math:`k` most probable tokens and renormalise;
* **top-p** (nucleus): keep the smallest set of most probable tokens whose
  mass reaches :math:`p`, and renormalise.

:func:`sample` applies any of them (in that order, as Hugging Face's
``generate`` does); :func:`top_k` and :func:`top_p` name the usual settings.

**Randomness.** All the uniform numbers a call needs, one per row and
position, are drawn *before* the loop with ``keras.random.uniform(seed=seed)``;
step :math:`t` turns row :math:`b`'s number :math:`u_{tb}` into a token by
the inverse of the cumulative distribution,
:math:`w = \min\{i : F_i > u\,F_V\}`, :math:`F_i = \sum_{j \le i} p_j`.
No random state changes inside the loop, so it compiles the same way as
greedy decoding, and the same seed gives the same tokens (on one backend:
each backend has its own generator). ``seed`` is an int (fixed numbers),
a ``keras.random.SeedGenerator`` (new numbers at each call; under your own
``jax.jit``, prefer an int or :class:`~companion.decoding.Generator`, whose
``predict`` carries the generator's state), or `None` (Keras's global
generator, eager only on JAX).

References:
    Fan, Lewis and Dauphin, *Hierarchical Neural Story Generation*, 2018
    (top-k). Holtzman et al., *The Curious Case of Neural Text
    Degeneration*, 2020 (top-p).
"""

import keras
from keras import ops

from companion.checks import check_float, check_int
from companion.decoding.loop import check_end_id, check_next, prepare, token_loop


def _check_temperature(temperature):
    return check_float("temperature", temperature, minimum=0.0, open_minimum=True)


def _check_k(name, k):
    return None if k is None else check_int(name, k, minimum=1)


def _check_p(name, p):
    return None if p is None else check_float(name, p, minimum=0.0, maximum=1.0, open_minimum=True)


def _check_seed(seed):
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        return seed
    return check_int("seed", seed, minimum=0)


def _renormalise(probabilities):
    return probabilities / ops.sum(probabilities, axis=-1, keepdims=True)


def filtered_probabilities(logits, temperature=1.0, top_k=None, top_p=None):
    r"""The distribution a sampling strategy draws from: temperature, then top-k, then top-p.

    .. math::

        p_i \propto e^{z_i / T}
        \;\cdot\; [\,z_i \ge z_{(k)}\,]
        \;\cdot\; \Big[\sum_{j:\, p_j > p_i} p_j < p\Big]

    where :math:`z_{(k)}` is the :math:`k`-th largest logit and the last
    factor keeps the smallest set of most probable tokens whose mass
    reaches :math:`p` (the token that crosses :math:`p` is kept). Tokens
    tied with the last one kept are kept too. Each filter renormalises.

    Args:
        logits: float ``(..., V)``.
        temperature: float > 0. Defaults to `1.0`.
        top_k: int >= 1 or `None` (no cut). Defaults to `None`.
        top_p: float in (0, 1] or `None` (no cut). Defaults to `None`.

    Returns:
        float32 tensor ``(..., V)``: probabilities, 0 outside the kept set,
        summing to 1.

    Example:

    >>> p = filtered_probabilities(np.log([[0.5, 0.3, 0.15, 0.05]]), top_p=0.75)
    >>> np.round(keras.ops.convert_to_numpy(p), 3).tolist()
    [[0.625, 0.375, 0.0, 0.0]]
    """
    temperature = _check_temperature(temperature)
    top_k = _check_k("top_k", top_k)
    top_p = _check_p("top_p", top_p)
    logits = ops.cast(ops.convert_to_tensor(logits), "float32")
    if len(logits.shape) < 1 or logits.shape[-1] is None:
        raise ValueError(
            f"logits must have shape (..., V) with a known V (got shape {tuple(logits.shape)})"
        )
    vocabulary = logits.shape[-1]
    logits = logits / temperature  # z / T
    probabilities = ops.softmax(logits, axis=-1)  # (..., V)
    if top_k is not None and top_k < vocabulary:
        kth = ops.top_k(logits, top_k)[0][..., -1:]  # (..., 1), the k-th largest logit
        probabilities = _renormalise(ops.where(logits >= kth, probabilities, 0.0))
    if top_p is not None and top_p < 1.0:
        ordered = ops.top_k(probabilities, vocabulary)[0]  # (..., V), descending
        before = ops.cumsum(ordered, axis=-1) - ordered  # mass of the more probable tokens
        kept = ops.sum(ops.cast(before < top_p, "int32"), axis=-1, keepdims=True)  # (..., 1)
        smallest = ops.take_along_axis(ordered, ops.maximum(kept, 1) - 1, axis=-1)  # (..., 1)
        probabilities = _renormalise(ops.where(probabilities >= smallest, probabilities, 0.0))
    return probabilities


def _inverse_cdf(probabilities, uniform):
    r"""The token :math:`\min\{i : F_i > u F_V\}` for each row: a draw from ``probabilities``.

    A token of probability 0 is never drawn; if rounding leaves no
    :math:`F_i` above :math:`u F_V`, the last token of positive probability
    is taken.
    """
    cumulative = ops.cumsum(probabilities, axis=-1)  # (B, V), F
    target = uniform[:, None] * cumulative[:, -1:]  # (B, 1), u F_V
    above = ops.greater(cumulative, target)  # (B, V)
    vocabulary = probabilities.shape[-1]
    positions = ops.arange(vocabulary, dtype="int32")  # (V,)
    first = ops.min(ops.where(above, positions, vocabulary), axis=-1)  # (B,), V if none
    last = ops.max(ops.where(probabilities > 0, positions, -1), axis=-1)  # (B,)
    return ops.where(first < vocabulary, first, last)


def sample(
    next,
    prompt,
    cache=None,
    index=None,
    prompt_mask=None,
    end_id=None,
    temperature=1.0,
    top_k=None,
    top_p=None,
    seed=None,
):
    r"""Sampling in one compiled loop: :math:`w_t \sim \tilde p(\cdot \mid w_{<t})`.

    :math:`\tilde p` is :func:`filtered_probabilities` of the model's logits.
    With no filter and :math:`T = 1` this is ancestral sampling, an unbiased
    draw of whole sequences from the model.

    Args:
        next, prompt, cache, index, prompt_mask, end_id: as in
            :func:`~companion.decoding.greedy`.
        temperature: float > 0. Defaults to `1.0`.
        top_k: int >= 1 or `None`. Defaults to `None`.
        top_p: float in (0, 1] or `None`. Defaults to `None`.
        seed: int >= 0, ``keras.random.SeedGenerator`` or `None` (see the
            module's note on randomness). Defaults to `None`.

    Returns:
        int32 tensor ``(batch, L)``.

    Example:

    >>> logits = np.log(np.array([[1e-9, 1e-9, 0.5, 0.5]], "float32"))  # tokens 2 or 3
    >>> def next(tokens, cache, index):
    ...     return keras.ops.convert_to_tensor(logits), None, cache
    >>> tokens = keras.ops.convert_to_numpy(sample(next, np.array([[1, 0, 0]]), seed=0))
    >>> set(tokens[0, 1:]) <= {2, 3}
    True
    """
    next = check_next(next)
    end_id = check_end_id(end_id)
    temperature = _check_temperature(temperature)
    top_k = _check_k("top_k", top_k)
    top_p = _check_p("top_p", top_p)
    seed = _check_seed(seed)
    prompt, prompt_mask, index, cache = prepare(prompt, prompt_mask, index, cache)
    length, batch = prompt.shape[1], ops.shape(prompt)[0]
    uniforms = keras.random.uniform((length, batch), seed=seed)  # (L, B), u in [0, 1)

    def choose(logits, index):
        probabilities = filtered_probabilities(logits, temperature, top_k, top_p)  # (B, V)
        return _inverse_cdf(probabilities, ops.take(uniforms, index, axis=0))  # (B,)

    return token_loop(next, prompt, prompt_mask, index, cache, end_id, choose)


def top_k(
    next,
    prompt,
    cache=None,
    index=None,
    prompt_mask=None,
    end_id=None,
    k=10,
    temperature=1.0,
    seed=None,
):
    r"""Top-k sampling: draw from the :math:`k` most probable tokens, renormalised.

    .. math:: \tilde p_i \propto p_i\,[\,z_i \ge z_{(k)}\,]

    :math:`k = 1` is greedy decoding. The cut is the same at every step,
    however flat or peaked the distribution is; top-p adapts it.

    Args:
        next, prompt, cache, index, prompt_mask, end_id: as in
            :func:`~companion.decoding.greedy`.
        k: int >= 1. Defaults to `10`.
        temperature: float > 0, applied before the cut. Defaults to `1.0`.
        seed: as in :func:`sample`. Defaults to `None`.

    Returns:
        int32 tensor ``(batch, L)``.

    References:
        Fan, Lewis and Dauphin, *Hierarchical Neural Story Generation*, 2018.
    """
    k = check_int("k", k, minimum=1)
    return sample(next, prompt, cache, index, prompt_mask, end_id, temperature, k, None, seed)


def top_p(
    next,
    prompt,
    cache=None,
    index=None,
    prompt_mask=None,
    end_id=None,
    p=0.9,
    temperature=1.0,
    seed=None,
):
    r"""Top-p (nucleus) sampling: draw from the smallest set of tokens whose mass reaches :math:`p`.

    .. math:: \tilde p_i \propto p_i\,\Big[\sum_{j:\, p_j > p_i} p_j < p\Big]

    A peaked distribution keeps few tokens, a flat one many.

    Args:
        next, prompt, cache, index, prompt_mask, end_id: as in
            :func:`~companion.decoding.greedy`.
        p: float in (0, 1]. Defaults to `0.9`.
        temperature: float > 0, applied before the cut. Defaults to `1.0`.
        seed: as in :func:`sample`. Defaults to `None`.

    Returns:
        int32 tensor ``(batch, L)``.

    References:
        Holtzman et al., *The Curious Case of Neural Text Degeneration*, 2020.
    """
    p = check_float("p", p, minimum=0.0, maximum=1.0, open_minimum=True)
    return sample(next, prompt, cache, index, prompt_mask, end_id, temperature, None, p, seed)
