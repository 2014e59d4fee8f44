"""Ids into vectors on the host: one-hot vectors and bags of words (NumPy).

:func:`one_hot` equals ``keras.ops.one_hot``; :func:`bag_of_words` equals
``keras.layers.CategoryEncoding`` in ``"count"`` and ``"multi_hot"`` mode
(the tests check both). The one-hot *layer* that multiplies by a weight
matrix is :class:`companion.embeddings.OneHotEmbedding`.
"""

import numpy as np

from companion.checks import check_ids, check_int


def one_hot(ids, depth):
    r"""One-hot encodes integer ids: vector :math:`e_k \in \{0, 1\}^\text{depth}` for id :math:`k`.

    .. math::

        \text{one\_hot}(k)_j = [j = k], \qquad j = 0, \dots, \text{depth} - 1

    The vectors are as long as the vocabulary and carry no notion of meaning
    (every pair of distinct tokens is equally far apart); a learned embedding
    is the dense alternative. Equal to ``keras.ops.one_hot(ids, depth)``.

    Args:
        ids: array-like of ints, any shape (...), each in ``[0, depth)``.
        depth: int >= 1. Number of classes (the vocabulary size).

    Returns:
        float32 array of shape (..., depth).

    Example:

    >>> one_hot([2, 0], depth=3)
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    depth = check_int("depth", depth, minimum=1)
    array = check_ids("ids", ids, depth)  # (...), every id in [0, depth)
    return (array[..., None] == np.arange(depth)).astype(np.float32)  # (..., depth)


def bag_of_words(ids, vocabulary_size, mode="count"):
    """Bag-of-words vectors of padded id sequences (deck 004): counts, order forgotten.

    Args:
        ids: int array (N, T), padded with id 0 (never counted).
        vocabulary_size: int. Length :math:`V` of each vector.
        mode: ``"count"`` (how often each id occurs) or ``"binary"`` (whether
            it occurs). Defaults to `"count"`.

    Returns:
        float32 array (N, V); column 0 (padding) is zero.

    Example:

    >>> bag_of_words(np.array([[4, 2, 4, 0]]), 5)
    array([[0., 0., 1., 0., 2.]], dtype=float32)
    """
    if mode not in ("count", "binary"):
        raise ValueError(f'mode must be "count" or "binary" (got mode={mode!r})')
    vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=1)
    array = np.asarray(ids)
    if array.ndim != 2:
        raise ValueError(f"ids must be 2-D (N, T) (got shape {array.shape})")
    flat = check_ids("ids", array.reshape(-1), vocabulary_size, ndim=1)
    rows = np.repeat(np.arange(array.shape[0]), array.shape[1])
    counts = np.zeros((array.shape[0], vocabulary_size), dtype=np.float32)
    np.add.at(counts, (rows, flat), 1.0)
    counts[:, 0] = 0.0  # padding
    return np.minimum(counts, 1.0) if mode == "binary" else counts
