"""Deterministic fake models for the decoding tests: logits from a fixed table.

``markov_next(table)`` reads the previous token from the buffer and returns
its row of the table, the next-token logits of a first-order Markov chain:
every strategy can be checked against NumPy or keras-hub on it.

:func:`run` calls a decoding function and returns NumPy arrays; on JAX it
compiles the call as one program first (``jax.jit``), which is 2-3 times
faster than JAX's eager mode, where every new shape of every operation
before and after the loop is compiled on its own.
"""

import keras
import numpy as np
from keras import ops


def run(function, *tensors):
    """``function(*tensors)`` as NumPy arrays; one compiled program on JAX."""
    if keras.config.backend() == "jax":
        import jax

        function = jax.jit(function)
    return keras.tree.map_structure(
        lambda x: np.asarray(ops.convert_to_numpy(x)), function(*tensors)
    )


def random_table(seed, vocabulary, scale=2.0):
    """Float32 logits ``(V, V)``: row ``w`` scores the token after ``w``."""
    return (scale * np.random.default_rng(seed).normal(size=(vocabulary, vocabulary))).astype(
        "float32"
    )


def markov_next(table):
    """``next(tokens, cache, index)``: the row of ``table`` of the token before ``index``."""
    table = ops.convert_to_tensor(table)

    def next(tokens, cache, index):
        previous = ops.take(tokens, index - 1, axis=1)  # (B,)
        return ops.take(table, previous, axis=0), None, cache  # (B, V)

    return next


def numpy_greedy(table, prompt, mask, end_id=None):
    """Greedy decoding written out row by row, position by position."""
    tokens = np.array(prompt)
    start = int(np.argmin(np.concatenate([mask, np.zeros((len(mask), 1), bool)], 1), 1).min())
    for row in range(len(tokens)):
        done = False
        for t in range(start, tokens.shape[1]):
            if mask[row, t]:
                continue
            choice = 0 if done else int(np.argmax(table[tokens[row, t - 1]]))
            tokens[row, t] = choice
            done = done or (end_id is not None and choice == end_id)
    return tokens


def context_next(table):
    """``next`` for logits that depend on the two previous tokens: ``table[w_{t-2}, w_{t-1}]``."""
    vocabulary = table.shape[0]
    rows = ops.convert_to_tensor(np.reshape(table, (vocabulary * vocabulary, vocabulary)))

    def next(tokens, cache, index):
        before = ops.take(tokens, index - 2, axis=1)  # (B,)
        previous = ops.take(tokens, index - 1, axis=1)  # (B,)
        return ops.take(rows, before * vocabulary + previous, axis=0), None, cache  # (B, V)

    return next
