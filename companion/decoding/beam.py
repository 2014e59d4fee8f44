r"""Beam search: keep the :math:`W` best partial sequences at every step, not just one.

At each position every beam proposes every next token; of the
:math:`W \cdot V` candidates of a row the :math:`W` best survive, ranked by

.. math::

    s(Y) = \frac{\log P(Y \mid X)}{lp(Y)}, \qquad
    lp(Y) = \left(\frac{5 + |Y|}{6}\right)^{\alpha}

(GNMT's length penalty, :func:`gnmt_length_penalty`; :math:`\alpha = 0`
ranks by :math:`\log P` alone, as keras-hub's ``BeamSampler`` does).
:math:`|Y|` counts the generated tokens, the end token included; the prompt
is neither scored nor counted.

**End of sequence.** A beam that generated ``end_id`` is finished: it keeps
its score, proposes only itself (padded with 0), and competes with the
live beams through its own length's penalty. Since :math:`\log P` only
falls as a beam grows, a row is settled once its best finished beam beats
every live beam's best possible future,
:math:`\log P_{\text{live}} / lp(L)`; the loop ends when every row is
settled (or, with ``return_all_beams``, when every beam is finished) or the
buffer is full. Unlike keras-hub's sampler, a finished beam is never
extended: keras-hub keeps adding the log-probabilities of the tokens after
the end.

**Caches.** The cache is repeated :math:`W` times along its first axis and
reordered with the beams at every step: every leaf, whatever the nesting,
must have the batch first, so an encoder-decoder can keep its encoder
outputs and source mask in the cache (which keras-hub's sampler, which
leaves them outside, cannot reorder).

References:
    Wu et al., *Google's Neural Machine Translation System*, 2016 (the
    length penalty).
"""

from keras import ops, tree

from companion.checks import check_bool, check_float, check_int
from companion.decoding.loop import check_end_id, check_next, prepare

#: The initial score of the copies of each row's one real beam: never chosen over a real one.
_UNUSED = -1e9


def gnmt_length_penalty(lengths, alpha):
    r"""GNMT's length penalty :math:`lp(Y) = ((5 + |Y|) / 6)^{\alpha}`, dividing :math:`\log P`.

    Args:
        lengths: int or float tensor of any shape: :math:`|Y|`.
        alpha: float >= 0. :math:`\alpha`; 0 gives 1 (no penalty).

    Returns:
        float32 tensor of ``lengths``' shape.

    Example:

    >>> keras.ops.convert_to_numpy(gnmt_length_penalty(np.array([1, 7]), 1.0)).tolist()
    [1.0, 2.0]
    """
    alpha = check_float("alpha", alpha, minimum=0.0)
    lengths = ops.cast(ops.convert_to_tensor(lengths), "float32")
    return ops.power((5.0 + lengths) / 6.0, alpha)


def _rank(scores, lengths, alpha):
    """``scores / lp(lengths)``, skipping the division when :math:`\\alpha = 0`."""
    return scores if alpha == 0.0 else scores / gnmt_length_penalty(lengths, alpha)


def beam_search(
    next,
    prompt,
    cache=None,
    index=None,
    prompt_mask=None,
    end_id=None,
    beam_width=4,
    length_penalty=0.0,
    return_all_beams=False,
):
    r"""Beam search in one compiled loop, with GNMT's length penalty and finished beams.

    Args:
        next, prompt, cache, index, prompt_mask, end_id: as in
            :func:`~companion.decoding.greedy`; every leaf of ``cache`` has the
            batch on its first axis.
        beam_width: int >= 1. :math:`W`, beams kept per row; 1 is greedy
            decoding. Keep it <= the vocabulary size. Defaults to `4`.
        length_penalty: float >= 0. :math:`\alpha`; 0 (no penalty) favours
            short outputs, about 0.6 to 1 is usual. Defaults to `0.0`.
        return_all_beams: bool. Return every beam, best first. Defaults to
            `False`.

    Returns:
        ``(tokens, scores)``: the best beam per row, int32 ``(batch, L)``,
        and its score :math:`s(Y)` ``(batch,)``; with ``return_all_beams``,
        ``(batch, W, L)`` and ``(batch, W)``, best first.

    Example:

    >>> logits = np.log(np.array([[0.1, 0.1, 0.5, 0.3]], "float32"))
    >>> def next(tokens, cache, index):  # the same distribution at every step
    ...     return keras.ops.convert_to_tensor(logits), None, cache
    >>> tokens, scores = beam_search(next, np.array([[1, 0, 0]]), beam_width=2)
    >>> keras.ops.convert_to_numpy(tokens).tolist()
    [[1, 2, 2]]
    """
    next = check_next(next)
    end_id = check_end_id(end_id)
    width = check_int("beam_width", beam_width, minimum=1)
    alpha = check_float("length_penalty", length_penalty, minimum=0.0)
    return_all_beams = check_bool("return_all_beams", return_all_beams)
    prompt, prompt_mask, index, cache = prepare(prompt, prompt_mask, index, cache)
    length = prompt.shape[1]

    def beams(x):
        return ops.repeat(x, width, axis=0)  # (B W, ...), row b's beams at b W .. b W + W - 1

    tokens, mask = beams(prompt), beams(prompt_mask)  # (B W, L)
    cache = tree.map_structure(beams, cache)
    rows = ops.arange(ops.shape(tokens)[0], dtype="int32")  # (B W,)
    first_of_row = rows - rows % width  # (B W,), b W
    scores = ops.cast(ops.where(rows % width == 0, 0.0, _UNUSED), "float32")  # (B W,) log P
    lengths = ops.zeros_like(rows)  # (B W,) |Y|
    done = ops.zeros_like(rows, "bool")  # (B W,)

    def cond(tokens, cache, index, scores, lengths, done):
        going = ops.less(index, length)
        if end_id is None:
            return going
        if return_all_beams:
            return ops.logical_and(going, ops.logical_not(ops.all(done)))
        finished = ops.where(done, _rank(scores, lengths, alpha), -float("inf"))  # (B W,)
        live = ops.where(done, -float("inf"), _rank(scores, length, alpha))  # best future
        finished = ops.max(ops.reshape(finished, (-1, width)), axis=1)  # (B,)
        live = ops.max(ops.reshape(live, (-1, width)), axis=1)  # (B,)
        unsettled = ops.any(ops.less(finished, live))
        return ops.logical_and(going, unsettled)

    def body(tokens, cache, index, scores, lengths, done):
        logits, _, cache = next(tokens, cache, index)  # (B W, V)
        log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)  # (B W, V)
        vocabulary = log_probs.shape[-1]
        given = ops.take(mask, index, axis=1)  # (B W,)
        given_token = ops.take(tokens, index, axis=1)  # (B W,)
        fixed = ops.logical_or(given, done)  # one continuation only, at no cost
        only = ops.where(given, given_token, 0)  # (B W,): the prompt's token, or padding
        allowed = ops.equal(ops.arange(vocabulary, dtype="int32")[None, :], only[:, None])
        step = ops.where(fixed[:, None], ops.where(allowed, 0.0, -float("inf")), log_probs)
        candidates = scores[:, None] + step  # (B W, V), log P of each extension
        grown = lengths + ops.cast(ops.logical_not(fixed), "int32")  # (B W,)
        ranks = _rank(candidates, grown[:, None], alpha)  # (B W, V), s(Y)
        ranks = ops.reshape(ranks, (-1, width * vocabulary))  # (B, W V)
        _, best = ops.top_k(ranks, width)  # (B, W), the W best candidates of each row
        best = ops.cast(best, "int32")
        candidates = ops.reshape(candidates, (-1, width * vocabulary))  # (B, W V)
        scores = ops.reshape(ops.take_along_axis(candidates, best, axis=1), (-1,))  # (B W,)
        source = first_of_row + ops.reshape(best // vocabulary, (-1,))  # (B W,), beam extended
        choice = ops.reshape(best % vocabulary, (-1,))  # (B W,), its new token

        def reorder(x):
            return ops.take(x, source, axis=0)

        tokens, cache = reorder(tokens), tree.map_structure(reorder, cache)
        lengths, done = reorder(grown), reorder(done)
        choice = ops.where(given, given_token, choice)  # (B W,), a row's beams share its prompt
        tokens = ops.slice_update(tokens, [0, index], choice[:, None])  # (B W, L)
        if end_id is not None:
            ended = ops.logical_and(ops.logical_not(given), ops.equal(choice, end_id))
            done = ops.logical_or(done, ended)
        return tokens, cache, index + 1, scores, lengths, done

    carry = (tokens, cache, index, scores, lengths, done)
    tokens, _, _, scores, lengths, _ = ops.while_loop(cond, body, carry)
    ranks = ops.reshape(_rank(scores, lengths, alpha), (-1, width))  # (B, W)
    tokens = ops.reshape(tokens, (-1, width, length))  # (B, W, L)
    if return_all_beams:
        order = ops.argsort(-ranks, axis=-1)  # (B, W), best first
        tokens = ops.take_along_axis(tokens, order[:, :, None], axis=1)  # (B, W, L)
        return tokens, ops.take_along_axis(ranks, order, axis=1)
    best = ops.argmax(ranks, axis=-1)[:, None]  # (B, 1)
    tokens = ops.take_along_axis(tokens, best[:, :, None], axis=1)[:, 0]  # (B, L)
    return tokens, ops.take_along_axis(ranks, best, axis=1)[:, 0]
