r"""The interface every strategy shares, and the compiled loop of one token per step.

A model is seen through one callable, keras-hub's ``next``::

    logits, hidden_states, cache = next(tokens, cache, index)

* ``tokens``: int32 ``(batch, L)``, the whole buffer: the prompt, the tokens
  chosen so far, and whatever sits at the positions still to be generated
  (a model must not read them: causal models do not);
* ``index``: scalar int32 tensor, the position being generated, so the
  logits are those of :math:`p(w_{index} \mid w_{<index})`;
* ``cache``: any nested structure (list, tuple, dict) of tensors whose first
  axis is the batch, or ``()``. A key/value cache, recurrent states, and for
  an encoder-decoder the encoder's outputs and the source mask all live
  here: beam search reorders every leaf along its first axis;
* returns ``logits`` ``(batch, V)``, ``hidden_states`` ``(batch, d)`` or
  `None` (unused here), and the cache with the same structure, shapes and
  dtypes (a compiled loop carries it).

**Prompts of different lengths.** ``prompt`` is the padded buffer and
``prompt_mask`` is `True` where the prompt gives the token (by default
wherever the id is not 0, the padding id). Generation starts at the end of
the shortest prompt; at a position a longer prompt gives, the given token is
kept, so every row sees its own prompt (keras-hub does the same).

**Stop tokens.** With ``end_id``, a row that generated it is done: its later
positions are 0 (padding), and the loop ends once every row is done or the
buffer is full. An ``end_id`` given by the prompt does not count.

**Compilation.** The loop is ``keras.ops.while_loop`` over buffers of one
shape, so it compiles under ``jax.jit`` and ``tf.function`` (and runs as a
Python loop on torch). Values can be checked only eagerly: under tracing,
a bad ``index`` or mask is not caught here.
"""

import keras
from keras import ops

from companion.checks import check_int, check_rank, concrete_values


def check_next(next):
    """Returns ``next`` if it is callable; the error says what a ``next`` is."""
    if not callable(next):
        raise TypeError(
            "next must be a callable next(tokens, cache, index) -> (logits, hidden_states, "
            f"cache) (got {type(next).__name__})"
        )
    return next


def check_end_id(end_id):
    """`None` (no stop token) or an int >= 0."""
    return None if end_id is None else check_int("end_id", end_id, minimum=0)


def _int_tensor(name, value):
    dtype = keras.backend.standardize_dtype(value.dtype)
    if "int" not in dtype:
        raise TypeError(f"{name} must hold int ids (got dtype {dtype})")
    return ops.cast(value, "int32")


def prompt_start(prompt_mask):
    r"""Where generation starts: the end of the shortest prompt.

    .. math:: s = \min_b \min \{t : m_{bt} = \text{False}\} \quad (L \text{ if none})

    Args:
        prompt_mask: bool tensor ``(batch, L)``.

    Returns:
        int32 scalar tensor.
    """
    length = prompt_mask.shape[1]
    positions = ops.arange(length, dtype="int32")  # (L,)
    free = ops.where(prompt_mask, length, positions[None, :])  # (B, L), L where given
    return ops.cast(ops.min(free), "int32")  # the first free position of any row, or L


def prepare(prompt, prompt_mask=None, index=None, cache=None):
    """Checks and converts the arguments every strategy takes.

    Args:
        prompt: int array or tensor ``(batch, L)``, the buffer.
        prompt_mask: bool ``(batch, L)`` or `None` (`True` where ``prompt != 0``).
        index: int, int tensor or `None` (the shortest prompt's end).
        cache: nested tensors or `None` (``()``).

    Returns:
        ``(prompt, prompt_mask, index, cache)``: int32, bool, an int32 scalar
        tensor and a structure the loop can carry.
    """
    if not ops.is_tensor(prompt):
        prompt = ops.convert_to_tensor(prompt)
    prompt = _int_tensor("prompt", prompt)
    check_rank("prompt", prompt.shape, 2, "(batch, length), int ids")
    length = prompt.shape[1]
    if length is None:  # a compiled loop needs the buffer's length
        raise ValueError(f"prompt must have a known length (got shape {tuple(prompt.shape)})")
    if prompt_mask is None:
        prompt_mask = ops.not_equal(prompt, 0)  # (B, L)
    else:
        prompt_mask = ops.cast(ops.convert_to_tensor(prompt_mask), "bool")
        if tuple(prompt_mask.shape) != tuple(prompt.shape):
            raise ValueError(
                f"prompt_mask must have the prompt's shape {tuple(prompt.shape)} "
                f"(got shape {tuple(prompt_mask.shape)})"
            )
    if index is None:
        index = prompt_start(prompt_mask)
    elif isinstance(index, int):
        check_int("index", index, minimum=1, maximum=length)
    value = concrete_values(ops.convert_to_tensor(index))
    if value is not None and not 1 <= int(value) <= length:
        rows = concrete_values(ops.any(prompt_mask[:, :1], axis=1))
        hint = "" if rows is None or rows.all() else "; every row needs a first given token"
        raise ValueError(
            f"index must be in [1, {length}], the position generated first, after at least "
            f"one given token (got index={int(value)}{hint})"
        )
    index = ops.cast(index, "int32")
    return prompt, prompt_mask, index, (() if cache is None else cache)


def token_loop(next, prompt, prompt_mask, index, cache, end_id, choose):
    r"""The loop of greedy decoding and sampling: one token per row at each position.

    .. math::

        w_t = \begin{cases} \text{prompt}_t & m_t \\ 0 & \text{row done} \\
        \operatorname{choose}(\text{logits}_t, t) & \text{otherwise} \end{cases}

    Args:
        next: the model's ``next(tokens, cache, index)``.
        prompt, prompt_mask, index, cache: from :func:`prepare`.
        end_id: int or `None`.
        choose: callable ``(logits (B, V), index) -> int32 (B,)``.

    Returns:
        int32 tensor ``(batch, L)``.
    """
    length = prompt.shape[1]
    done = ops.zeros_like(prompt[:, 0], "bool")  # (B,)

    def cond(tokens, cache, index, done):
        return ops.logical_and(ops.less(index, length), ops.logical_not(ops.all(done)))

    def body(tokens, cache, index, done):
        logits, _, cache = next(tokens, cache, index)  # (B, V)
        choice = ops.cast(choose(logits, index), "int32")  # (B,)
        given = ops.take(prompt_mask, index, axis=1)  # (B,)
        choice = ops.where(done, 0, choice)  # padding after the end
        choice = ops.where(given, ops.take(tokens, index, axis=1), choice)  # the prompt's own
        tokens = ops.slice_update(tokens, [0, index], choice[:, None])  # (B, L)
        if end_id is not None:
            ended = ops.logical_and(ops.logical_not(given), ops.equal(choice, end_id))
            done = ops.logical_or(done, ended)
        return tokens, cache, index + 1, done

    tokens, *_ = ops.while_loop(cond, body, (prompt, cache, index, done))
    return tokens
