"""Greedy decoding: always the most probable next token."""

import numpy as np

from companion.checks import check_int
from companion.text.tokenizers import END_ID


def generate_greedy(next_log_probs, prompt, steps, end_id=END_ID):
    r"""Greedy decoding: append :math:`\arg\max_w p(w \mid \text{prefix})` ``steps`` times.

    Args:
        next_log_probs: callable ``(tokens, t) -> (B, V)`` log-probabilities
            of the token at position ``t``; ``tokens`` is the int buffer
            (B, T0 + steps), filled before ``t`` and 0 (padding) from ``t`` on,
            so a model can read it with one fixed shape.
        prompt: int array (B, T0) of prompts of equal length.
        steps: int >= 1. Tokens to add.
        end_id: int or `None`. A sequence stops growing after this id (it is
            padded with 0 afterwards). Defaults to `3`.

    Returns:
        int array (B, T0 + steps).
    """
    prompt = np.atleast_2d(np.asarray(prompt, dtype=np.int32))
    steps = check_int("steps", steps, minimum=1)
    tokens = np.zeros((prompt.shape[0], prompt.shape[1] + steps), np.int32)
    tokens[:, : prompt.shape[1]] = prompt
    done = np.zeros(prompt.shape[0], bool)
    for t in range(prompt.shape[1], tokens.shape[1]):
        choice = np.argmax(next_log_probs(tokens, t), axis=-1)  # (B,)
        tokens[:, t] = np.where(done, 0, choice)
        if end_id is not None:
            done |= choice == end_id
        if done.all():
            break
    return tokens
