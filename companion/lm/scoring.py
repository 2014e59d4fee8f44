"""Scoring text with a language model: token log-probabilities, sentences, perplexity.

Deck 004 judges a language model by the probability it gives held-out text,
:math:`\\sum_t \\log p(w_t \\mid w_{<t})`, and by the perplexity
:math:`\\exp(-\\frac{1}{N}\\sum_t \\log p(w_t \\mid w_{<t}))`.
"""

import numpy as np
from keras import ops

from companion.checks import as_numeric_array, check_finite, check_int
from companion.lm.rnn_lm import shifted_pairs
from companion.sequences import pad_sequences
from companion.text.tokenizers import PAD_ID


def perplexity(log_probs):
    r"""Perplexity :math:`\exp\big(-\frac{1}{N}\sum_t \log p(w_t \mid w_{<t})\big)`.

    Args:
        log_probs: array of natural-log probabilities, one per predicted token:
            finite values <= 0 (a probability is at most 1).

    Returns:
        float >= 1.

    Raises:
        ValueError: no values, or a value that is not a log-probability.

    Example:

    >>> round(perplexity(np.log([0.5, 0.25])), 4)  # as unsure as a pick among 2.83 words
    2.8284
    """
    log_probs = as_numeric_array("log_probs", log_probs).astype(np.float64).reshape(-1)
    if log_probs.size == 0:
        raise ValueError("log_probs must hold at least one value (got none)")
    check_finite("log_probs", log_probs)
    if (log_probs > 0).any():
        where = int(np.argmax(log_probs > 0))
        raise ValueError(
            f"log_probs must be natural-log probabilities <= 0 (got log_probs[{where}]="
            f"{log_probs[where]!r}); pass log p, not p or -log p"
        )
    return float(np.exp(-log_probs.mean()))


def token_log_probs(model, inputs, targets, batch_size=256):
    r"""Log-probability :math:`\log p(w_{t+1} \mid w_{\le t})` of each target under ``model``.

    Args:
        model: maps ids (B, T) to logits (B, T, V).
        inputs: int array (N, T).
        targets: int array (N, T); id 0 marks padding.
        batch_size: int. Defaults to `256`.

    Returns:
        float64 array (N, T), 0 at padded targets.
    """
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if inputs.shape != targets.shape or inputs.ndim != 2:
        raise ValueError(
            f"inputs and targets must be (N, T) of the same shape (got {inputs.shape} and "
            f"{targets.shape})"
        )
    result = np.zeros(targets.shape, dtype=np.float64)
    for start in range(0, inputs.shape[0], batch_size):
        logits = model.predict_on_batch(inputs[start : start + batch_size])  # (b, T, V)
        logits = np.asarray(logits, np.float32)  # a mixed-precision model's half logits too
        log_softmax = ops.convert_to_numpy(ops.log_softmax(logits, axis=-1))
        chunk = targets[start : start + batch_size]
        picked = np.take_along_axis(log_softmax, chunk[..., None].astype(np.int64), axis=-1)
        result[start : start + batch_size] = np.where(chunk > 0, picked[..., 0], 0.0)
    return result


def stream_log_probs(model, ids, window=256, warmup=128, batch_size=64):
    """Scores every token of a long stream once, in overlapping windows.

    A text longer than what fits in one batch is cut into windows of
    ``window`` inputs; each window scores the tokens after its first
    ``warmup`` inputs, so every token ``ids[1:]`` is scored exactly once and,
    after the first window, with at least ``warmup`` tokens of context.
    With ``window >= len(ids) - 1`` this is one pass over the whole text.

    Args:
        model: maps ids (B, T) to logits (B, T, V).
        ids: 1-D int array (T,), no padding id.
        window: int. Inputs per window. Defaults to `256`.
        warmup: int in [0, window). Context inputs not scored. Defaults to `128`.
        batch_size: int. Defaults to `64`.

    Returns:
        float64 array (T - 1,): log-probabilities of ``ids[1:]``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    window = check_int("window", window, minimum=1)
    warmup = check_int("warmup", warmup, minimum=0)
    if warmup >= window:
        raise ValueError(f"warmup must be < window (got warmup={warmup}, window={window})")
    if ids.ndim != 1 or ids.shape[0] < 2:
        raise ValueError(f"ids must be 1-D with at least 2 ids (got shape {ids.shape})")
    step = window - warmup
    total = ids.shape[0] - 1  # tokens to score: ids[1:]
    chunks, scored = [], []
    first = 0  # the first scored target position (index into ids[1:])
    while first < total:
        begin = max(0, first - warmup)  # input position of the window start
        end = min(total, begin + window)
        chunks.append((ids[begin:end], ids[begin + 1 : end + 1]))
        last = min(total, first + (step if begin > 0 else window))
        scored.append((first - begin, last - begin))
        first = last
    width = max(len(x) for x, _ in chunks)
    inputs = np.zeros((len(chunks), width), np.int32)
    targets = np.zeros((len(chunks), width), np.int32)
    for row, (x, y) in enumerate(chunks):
        inputs[row, : len(x)], targets[row, : len(y)] = x, y
    log_probs = token_log_probs(model, inputs, targets, batch_size=batch_size)
    return np.concatenate([log_probs[row, a:b] for row, (a, b) in enumerate(scored)])


def sequence_log_probs(model, sequences, batch_size=256):
    r"""Log-probability of whole sequences: :math:`\sum_t \log p(w_t \mid w_{<t})`.

    The first token of each sequence (its start token) is given, not scored.

    Args:
        model: maps ids (B, T) to logits (B, T, V).
        sequences: list of 1-D id sequences (any lengths; longer than the
            training windows is fine for a recurrent model).
        batch_size: int. Defaults to `256`.

    Returns:
        float64 array (N,).
    """
    padded, _ = pad_sequences([list(s) for s in sequences], value=PAD_ID)
    if padded.shape[1] < 2:
        raise ValueError("sequences must hold at least 2 ids each (a start token and one more)")
    inputs, targets = shifted_pairs(padded)
    return token_log_probs(model, inputs, targets, batch_size=batch_size).sum(axis=1)
