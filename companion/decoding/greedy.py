r"""Greedy decoding: always the most probable next token, :math:`w_t = \arg\max_w p(w \mid w_{<t})`.

* :func:`greedy`: the compiled loop on the shared ``next`` interface
  (:mod:`~companion.decoding.loop`), for any model and batch of prompts;
* :func:`generate_greedy`: the same rule in NumPy for a host-side scorer
  (chapter 3's n-gram and recurrent language models).
"""

import numpy as np
from keras import ops

from companion.checks import check_int
from companion.decoding.loop import check_end_id, check_next, prepare, token_loop
from companion.text.tokenizers import END_ID


def greedy(next, prompt, cache=None, index=None, prompt_mask=None, end_id=None):
    r"""Greedy decoding in one compiled loop: :math:`w_t = \arg\max_w p(w \mid w_{<t})`.

    Deterministic, and the most probable *token* at each step, which is not
    the most probable *sequence* (:func:`~companion.decoding.beam_search`
    looks further); a model often falls into a loop that repeats itself.

    Args:
        next: callable ``next(tokens, cache, index) -> (logits, hidden_states,
            cache)``, the interface of :mod:`~companion.decoding.loop`.
        prompt: int ``(batch, L)``. The buffer: prompts, then anything (0)
            up to the output length ``L``.
        cache: nested tensors, batch first, or `None`. Defaults to `None`.
        index: int, int tensor or `None`. First position generated; `None`
            gives the end of the shortest prompt. Defaults to `None`.
        prompt_mask: bool ``(batch, L)`` or `None`: `True` where the prompt
            gives the token; `None` means ``prompt != 0``. Defaults to `None`.
        end_id: int or `None`. Stop token: a row is padded with 0 after it.
            Defaults to `None`.

    Returns:
        int32 tensor ``(batch, L)``: the prompt and the generated tokens.

    Example:

    >>> table = np.roll(np.eye(5, dtype="float32"), 1, axis=1)  # logits: w -> w + 1
    >>> def next(tokens, cache, index):
    ...     previous = keras.ops.take(tokens, index - 1, axis=1)  # (B,)
    ...     return keras.ops.take(table, previous, axis=0), None, cache
    >>> keras.ops.convert_to_numpy(greedy(next, np.array([[1, 0, 0, 0]]), end_id=3)).tolist()
    [[1, 2, 3, 0]]
    """
    next = check_next(next)
    end_id = check_end_id(end_id)
    prompt, prompt_mask, index, cache = prepare(prompt, prompt_mask, index, cache)

    def choose(logits, index):
        return ops.argmax(logits, axis=-1)  # (B,)

    return token_loop(next, prompt, prompt_mask, index, cache, end_id, choose)


def generate_greedy(next_log_probs, prompt, steps, end_id=END_ID):
    r"""Greedy decoding in NumPy: append :math:`\arg\max_w p(w \mid \text{prefix})` ``steps`` times.

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
