"""Reading word vectors: nearest neighbours, analogies, a 2-D projection (NumPy)."""

import numbers

import numpy as np

from companion.checks import as_numeric_array, check_finite, check_int


def _matrix(name, vectors):
    """``vectors`` as a finite float64 (N, d) array."""
    array = as_numeric_array(name, vectors).astype(np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (N, d) (got shape {array.shape})")
    return check_finite(name, array)


def _unit_rows(vectors):
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def nearest_neighbours(embeddings, query, k=5, exclude=()):
    r"""The ``k`` rows most similar to a query by cosine similarity.

    .. math:: \cos(u, v) = \frac{u^\top v}{\lVert u \rVert \lVert v \rVert}

    Args:
        embeddings: array (V, d).
        query: an id (int) or a vector (d,).
        k: int >= 1. Defaults to `5`.
        exclude: ids left out (the query id is always left out). Defaults to `()`.

    Returns:
        ``(ids, similarities)``: int array (k,) and float array (k,), most similar first.
    """
    unit = _unit_rows(_matrix("embeddings", embeddings))  # (V, d)
    size, width = unit.shape
    k = check_int("k", k, minimum=1, maximum=size)
    exclude = {check_int("exclude", e, minimum=0, maximum=size - 1) for e in exclude}
    if isinstance(query, numbers.Integral):
        query = check_int("query", query, minimum=0, maximum=size - 1)
        exclude.add(query)
        query = unit[query]
    query = as_numeric_array("query", query)
    if query.shape != (width,):
        raise ValueError(
            f"query must have {width} values, the embedding size, or be an id "
            f"(got shape {query.shape})"
        )
    similarities = unit @ _unit_rows(query)  # (V,)
    similarities[list(exclude)] = -np.inf
    order = np.argsort(-similarities, kind="stable")[:k]
    return order, similarities[order]


def analogy(embeddings, a, b, c, k=None):
    r"""Ranks every word for the analogy "a is to b as c is to ?" (3CosAdd).

    Deck 004's :math:`E(\text{roi}) - E(\text{homme}) + E(\text{femme})
    \approx E(\text{reine})` is ``analogy(E, homme, roi, femme)``: the
    candidates are ranked by :math:`\cos(x, \hat b - \hat a + \hat c)` over
    unit vectors, the three query words left out (Mikolov et al., 2013).

    Args:
        embeddings: array (V, d).
        a, b, c: int ids.
        k: int or `None`. How many to return; `None` ranks all. Defaults to `None`.

    Returns:
        ``(ids, similarities)``, best first.
    """
    unit = _unit_rows(_matrix("embeddings", embeddings))
    last = unit.shape[0] - 1
    a, b, c = (check_int(name, v, 0, last) for name, v in (("a", a), ("b", b), ("c", c)))
    target = unit[b] - unit[a] + unit[c]
    return nearest_neighbours(unit, target, k=k or unit.shape[0] - 3, exclude=(a, b, c))


def pca_2d(vectors):
    """Projects rows onto their first two principal components (for a figure).

    Args:
        vectors: array (N, d), N >= 2.

    Returns:
        float array (N, 2), centred, signs fixed so each column's largest entry is positive.
    """
    x = _matrix("vectors", vectors)
    if x.shape[0] < 2:
        raise ValueError(f"vectors must be (N, d) with N >= 2 rows (got shape {x.shape})")
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    projected = x @ vt[:2].T  # (N, 2)
    signs = np.sign(projected[np.abs(projected).argmax(axis=0), [0, 1]])
    return projected * np.where(signs == 0, 1.0, signs)
