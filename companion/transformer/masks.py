r"""Which key may each query see: padding masks, causal masks, and their combination.

A mask is a boolean tensor, `True` where attention is allowed. Two patterns
cover the three Transformer types of the deck:

* **bidirectional** (the encoder, BERT): every real token sees every real
  token; only padding is hidden, :math:`m_{ij} = \text{real}_j`;
* **causal** (the decoder, GPT): token :math:`i` sees tokens
  :math:`j \le i` only, :math:`m_{ij} = [j \le i]`, so a language model
  cannot read the word it must predict.

A decoder that generates with a key/value cache feeds one query at a time:
the query at absolute position :math:`s + i` (``start_index`` :math:`s`) may
see the keys :math:`j \le s + i`.
"""

import numpy as np
from keras import ops

from companion.checks import check_int, check_rank, check_tokens


def padding_mask(ids, padding_id=0):
    """`True` at real tokens, `False` at padding: ``ids != padding_id``.

    Args:
        ids: int tensor ``(batch, time)``.
        padding_id: int. The padding id. Defaults to `0`.

    Returns:
        bool tensor ``(batch, time)``.

    Example:

    >>> keras.ops.convert_to_numpy(padding_mask(np.array([[5, 6, 0]]))).tolist()
    [[True, True, False]]
    """
    ids = ops.convert_to_tensor(ids)
    check_rank("ids", ids.shape, 2, "(batch, time)")
    check_int("padding_id", padding_id)
    return ops.not_equal(ids, padding_id)


def _check_length(name, value):
    """A Python int is checked; a traced length (a tensor) passes as it is."""
    return check_int(name, value, minimum=1) if isinstance(value, int) else value


def causal_mask(query_length, key_length=None, start_index=0):
    r"""The lower-triangular pattern :math:`m_{ij} = [j \le s + i]`.

    Args:
        query_length: int >= 1. Number of queries :math:`T_q`.
        key_length: int >= 1 or `None`. Number of keys :math:`T_k`; `None`
            gives ``query_length``. Defaults to `None`.
        start_index: int or int tensor. Absolute position :math:`s` of the
            first query (the cache index when generating). Defaults to `0`.

    Returns:
        bool tensor ``(query_length, key_length)``.

    Example:

    >>> keras.ops.convert_to_numpy(causal_mask(3)).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    query_length = _check_length("query_length", query_length)
    key_length = query_length if key_length is None else _check_length("key_length", key_length)
    if isinstance(start_index, int):
        check_int("start_index", start_index, minimum=0)
    queries = ops.arange(query_length)[:, None] + ops.cast(start_index, "int32")  # (Tq, 1)
    keys = ops.arange(key_length)[None, :]  # (1, Tk)
    return ops.greater_equal(queries, keys)  # (Tq, Tk)


def attention_mask(
    key_padding_mask=None, causal=False, query_length=None, key_length=None, start_index=0
):
    r"""One mask ``(batch, Tq, Tk)`` from a key padding mask and, optionally, causality.

    .. math::

        m_{ij} = \text{real}_j \wedge [j \le s + i] \quad \text{(causal)}, \qquad
        m_{ij} = \text{real}_j \quad \text{(bidirectional)}

    Args:
        key_padding_mask: bool tensor ``(batch, Tk)`` or `None` (no padding).
        causal: bool. Whether query :math:`i` is limited to keys
            :math:`j \le s + i`. Defaults to `False`.
        query_length: int or `None`. :math:`T_q`; `None` gives :math:`T_k`
            (self-attention).
        key_length: int or `None`. :math:`T_k` when there is no padding mask;
            `None` gives :math:`T_q`.
        start_index: int or int tensor. :math:`s`. Defaults to `0`.

    Returns:
        bool tensor ``(batch, Tq, Tk)`` (batch 1 without a padding mask).

    Example:

    >>> mask = attention_mask(np.array([[True, True, False]]), causal=True)
    >>> keras.ops.convert_to_numpy(mask)[0].astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 0]]
    """
    if key_padding_mask is None:
        if query_length is None:
            raise ValueError(
                "attention_mask needs key_padding_mask or query_length to know its shape "
                "(got both None)"
            )
        key_length = query_length if key_length is None else key_length
        key_length = _check_length("key_length", key_length)
        mask = ops.ones((1, 1, key_length), "bool")  # (1, 1, Tk)
    else:
        key_padding_mask = ops.cast(ops.convert_to_tensor(key_padding_mask), "bool")
        check_rank("key_padding_mask", key_padding_mask.shape, 2, "(batch, key time)")
        key_length = ops.shape(key_padding_mask)[1]
        mask = key_padding_mask[:, None, :]  # (B, 1, Tk)
    query_length = key_length if query_length is None else query_length
    if causal:
        mask = ops.logical_and(mask, causal_mask(query_length, key_length, start_index)[None])
    return ops.broadcast_to(mask, (ops.shape(mask)[0], query_length, key_length))


def mask_table(mask, query_tokens, key_tokens=None):
    """A printable matrix of a 2-D mask: one row per query, ``1`` where it may look.

    Args:
        mask: bool array ``(Tq, Tk)``.
        query_tokens: list of str, one per row.
        key_tokens: list of str or `None` (the query tokens). Defaults to `None`.

    Returns:
        str, the table.
    """
    mask = np.asarray(ops.convert_to_numpy(mask))
    query_tokens = check_tokens("query_tokens", query_tokens)
    key_tokens = query_tokens if key_tokens is None else check_tokens("key_tokens", key_tokens)
    if mask.shape != (len(query_tokens), len(key_tokens)):
        raise ValueError(
            f"mask must have shape (len(query_tokens), len(key_tokens)) = "
            f"({len(query_tokens)}, {len(key_tokens)}) (got shape {mask.shape})"
        )
    width = max(len(t) for t in (*query_tokens, *key_tokens)) + 1
    lines = [" " * width + "".join(f"{t:>{width}}" for t in key_tokens)]
    for token, row in zip(query_tokens, mask, strict=True):
        lines.append(f"{token:<{width}}" + "".join(f"{int(v):>{width}}" for v in row))
    return "\n".join(lines)
