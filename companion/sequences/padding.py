"""Padding and truncating sequences of different lengths to one length, with a mask.

A batch is a rectangular tensor, so sequences are padded or cut to one length
and a mask tells the layers which steps are real. The tests check
:func:`pad_sequences` equal to ``keras.utils.pad_sequences``.
"""

import itertools
import numbers

import numpy as np

from companion.checks import as_numeric_array, check_choice, check_int, is_numeric

_MODES = ("pre", "post")


def _flatten_sequences(sequences):
    """Concatenates the steps of all sequences, checking ranks, shapes and dtypes.

    Returns:
        ``(flat, lengths, sample_shape)``: ``flat`` of shape (sum T_i,) or
        (sum T_i, F), ``lengths`` an int array (N,), ``sample_shape`` () or (F,).
    """
    # Fast path: plain lists of numbers (or of feature lists), converted in one call.
    if all(isinstance(s, (list, tuple)) for s in sequences):
        try:
            flat = np.asarray(list(itertools.chain.from_iterable(sequences)))
        except (ValueError, TypeError):
            flat = None  # ragged or mixed: the general path names the culprit
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)  # (N,)
        if flat is not None and flat.shape == (0,) and not lengths.any():
            flat = np.zeros((0,), dtype=np.int64)  # only empty sequences
        if (
            flat is not None
            and flat.ndim in (1, 2)
            and flat.shape[0] == lengths.sum()
            and is_numeric(flat.dtype)
        ):
            return flat, lengths, flat.shape[1:]

    arrays = []
    for index, sequence in enumerate(sequences):
        try:
            arrays.append(np.asarray(sequence))
        except ValueError as error:  # ragged nested lists
            raise ValueError(
                f"sequences[{index}] must be a rectangular array of numbers ({error})"
            ) from None
    for dtype_seen in {a.dtype for a in arrays}:
        first = next(i for i, a in enumerate(arrays) if a.dtype == dtype_seen)
        as_numeric_array(f"sequences[{first}]", arrays[first])  # raises if not numbers
    for index, array in enumerate(arrays):
        if array.ndim not in (1, 2):
            raise ValueError(
                f"sequences[{index}] must be 1-D (T_i,) ids or 2-D (T_i, F) features "
                f"(got shape {array.shape})"
            )
    # Empty sequences fit both layouts and add no values ([] has dtype float64).
    shaped = [a for a in arrays if a.shape[0]]
    ranks = {a.ndim for a in shaped}
    if len(ranks) > 1:
        raise ValueError("sequences must all be 1-D ids or all 2-D (T_i, F) (got both ranks)")
    sample_shape = ()
    if ranks == {2}:
        features = {a.shape[1] for a in shaped}
        if len(features) > 1:
            raise ValueError(
                f"sequences must all have the same number of features F (got {sorted(features)})"
            )
        sample_shape = (features.pop(),)
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)  # (N,)
    if shaped:
        flat = np.concatenate(shaped)  # (sum T_i[, F])
    else:
        flat = np.zeros((0,) + sample_shape, dtype=np.int64)
    return flat, lengths, sample_shape


def pad_sequences(sequences, maxlen=None, padding="post", truncating="post", value=0, dtype=None):
    r"""Pads and truncates sequences of different lengths to one length, with a mask.

    A batch is a rectangular tensor, so each sequence :math:`x^{(n)}` of
    length :math:`T_n` is cut or filled to ``maxlen`` :math:`L` steps:

    * if :math:`T_n > L`, ``truncating="post"`` keeps the first :math:`L`
      steps, ``"pre"`` the last :math:`L`;
    * if :math:`T_n < L`, ``padding="post"`` appends :math:`L - T_n` steps
      of ``value``, ``"pre"`` prepends them.

    The mask is `True` at the kept real steps, so
    :math:`\text{mask}_{n,t} = [\text{padded}_{n,t} \ne \text{value}]` for
    id sequences. That equality only holds if ``value`` never occurs in the
    data, so a collision is an error: for id sequences, any id equal to
    ``value``; for feature sequences (T_i, F), any step whose features all
    equal ``value`` (the steps ``keras.layers.Masking(value)`` would hide).

    ``padded`` equals ``keras.utils.pad_sequences`` with the same arguments
    (note its defaults are ``"pre"``; ours are ``"post"``, which keeps the
    real steps first, the layout recurrent layers with masks expect).

    Args:
        sequences: non-empty list of sequences; each is a list or 1-D array of
            ids (T_i,), or every one is a 2-D array of feature vectors (T_i, F)
            with the same F. Empty sequences are allowed (all padding), but not all
            of them when ``maxlen`` is `None`.
        maxlen: int >= 1 or `None`. Output length; `None` uses the longest
            sequence. Defaults to `None`.
        padding: ``"pre"`` or ``"post"``. Where padding goes. Defaults to `"post"`.
        truncating: ``"pre"`` or ``"post"``. Which end is cut. Defaults to `"post"`.
        value: number. The padding value (id). Defaults to `0`.
        dtype: NumPy dtype or `None`. `None` gives ``int32`` when every
            sequence holds integers, else ``float32``. Defaults to `None`.

    Returns:
        A tuple ``(padded, mask)``: ``padded`` of shape (N, maxlen) or
        (N, maxlen, F), ``mask`` a bool array of shape (N, maxlen).

    Raises:
        TypeError: if a sequence does not hold numbers or maxlen is not an int.
        ValueError: on an empty list, mixed ranks or feature sizes, ranks other
            than 1 or 2, NaN, an unknown mode, ``maxlen < 1``, or when
            ``value`` occurs in the data.

    Example:

    >>> padded, mask = pad_sequences([[5, 6, 7], [8]], maxlen=2, padding="pre")
    >>> padded
    array([[5, 6],
           [0, 8]], dtype=int32)
    >>> mask
    array([[ True,  True],
           [False,  True]])
    """
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"sequences must be a list of sequences (got {type(sequences).__name__})")
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence (got an empty list)")
    padding = check_choice("padding", padding, _MODES)
    truncating = check_choice("truncating", truncating, _MODES)
    if maxlen is not None:
        maxlen = check_int("maxlen", maxlen, minimum=1)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a number (got value={value!r})")

    flat, lengths, sample_shape = _flatten_sequences(sequences)  # (sum T_i[, F]), (N,)
    offsets = np.cumsum(lengths) - lengths  # (N,) start of each sequence in `flat`

    def locate(flat_index):
        index = int(np.searchsorted(offsets, flat_index, side="right") - 1)
        return index, int(flat_index - offsets[index])

    if np.issubdtype(flat.dtype, np.floating) and not np.isfinite(flat).all():
        index, step = locate(np.argwhere(~np.isfinite(flat))[0][0])
        raise ValueError(
            f"sequences[{index}] must be finite (got {flat[offsets[index] + step].tolist()!r} "
            f"at step {step})"
        )
    hits = flat == value if flat.ndim == 1 else np.all(flat == value, axis=-1)  # (sum T_i,)
    if hits.any():
        index, step = locate(np.argmax(hits))
        raise ValueError(
            f"value={value!r} is the padding id but occurs in the data (sequences[{index}]"
            f"[{step}] = {flat[offsets[index] + step].tolist()!r}); choose a padding value "
            "that no real token or step uses, e.g. reserve id 0 for padding in the vocabulary"
        )

    if dtype is None:
        integer = np.issubdtype(flat.dtype, np.integer) or flat.dtype == np.bool_
        dtype = np.int32 if integer and float(value).is_integer() else np.float32
    if maxlen is None:
        maxlen = int(lengths.max())
        if maxlen == 0:
            raise ValueError(
                f"sequences must hold at least one step when maxlen is None (got {len(lengths)} "
                "empty sequences, which would pad to length 0); pass maxlen"
            )
    values = flat
    if lengths.max(initial=0) > maxlen:
        # Position p of every value inside its sequence; truncation keeps p < L ("post")
        # or p >= T_i - L ("pre").
        position = np.arange(flat.shape[0]) - np.repeat(offsets, lengths)  # (sum T_i,)
        if truncating == "post":
            values = flat[position < maxlen]
        else:
            values = flat[position >= np.repeat(lengths, lengths) - maxlen]
    kept = np.minimum(lengths, maxlen)[:, None]  # (N, 1)
    steps = np.arange(maxlen)[None, :]  # (1, L)
    mask = steps < kept if padding == "post" else steps >= maxlen - kept  # (N, L)
    padded = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)  # (N, L[, F])
    padded[mask] = values  # row-major order of `mask` = sequence order, then time
    return padded, mask
