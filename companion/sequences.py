"""Preparing sequences for a network: windows, splits, scaling, padding, vocabularies.

Everything here is NumPy in, NumPy out: these are the steps that run once,
before training, on the host. Each function is written from scratch and the
tests check it equal to the Keras utility that does the same job where one
exists (``keras.utils.timeseries_dataset_from_array``,
``keras.utils.pad_sequences``, ``keras.ops.one_hot``).

The course's two requirements for feeding sequences to a network are that a
network understands numbers, not words (so tokens become integer ids through a
vocabulary, then one-hot vectors or learned embeddings), and that a batch has
a fixed size (so sequences are padded or truncated to one length, with a mask
that tells the layers which steps are real).
"""

import collections
import itertools
import math
import numbers
import re

import numpy as np

__all__ = [
    "StandardScaler",
    "Vocabulary",
    "char_tokens",
    "chronological_split",
    "one_hot",
    "pad_sequences",
    "sliding_windows",
    "word_tokens",
]

_MODES = ("pre", "post")


# ---------------------------------------------------------------------------
# Argument checks shared by the functions below.
# ---------------------------------------------------------------------------


def _check_positive_int(name, value):
    """Raises unless ``value`` is an integer >= 1 (``bool`` is refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an int (got {name}={value!r} of type {type(value).__name__})"
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive int >= 1 (got {name}={value})")
    return int(value)


def _check_non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an int (got {name}={value!r} of type {type(value).__name__})"
        )
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0 (got {name}={value})")
    return int(value)


def _check_mode(name, value):
    if value not in _MODES:
        raise ValueError(f'{name} must be "pre" or "post" (got {name}={value!r})')
    return value


def _is_numeric(dtype):
    return np.issubdtype(dtype, np.number) or dtype == np.bool_


def _as_numeric_array(name, values):
    """Converts to a NumPy array of numbers (bool and int and float), else TypeError."""
    try:
        array = np.asarray(values)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers ({error})") from None
    if not _is_numeric(array.dtype):
        raise TypeError(
            f"{name} must hold numbers (got an array of dtype {array.dtype}, "
            f"for example {array.flat[0]!r})"
            if array.size
            else f"{name} must hold numbers (got an empty array of dtype {array.dtype})"
        )
    return array


def _check_finite(name, array):
    """Raises if a float array holds NaN or infinity, naming the first bad index."""
    if np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.complexfloating):
        bad = ~np.isfinite(array)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name} must be finite (got {int(bad.sum())} NaN or infinite values, "
                f"the first at index {first[0] if len(first) == 1 else first}: "
                f"{array[first]!r}); fill or interpolate missing values first"
            )


def _check_series(series, name="series"):
    """Returns ``series`` as a finite (T, F) array and whether it was 1-D."""
    array = _as_numeric_array(name, series)
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (T,) or 2-D (T, F) (got a {array.ndim}-D array of shape "
            f"{array.shape})"
        )
    _check_finite(name, array)
    return (array[:, None] if array.ndim == 1 else array), array.ndim == 1


# ---------------------------------------------------------------------------
# Time series: windows, splits, scaling.
# ---------------------------------------------------------------------------


def sliding_windows(series, window, horizon=1, stride=1, many_to_many=False):
    r"""Cuts a series into (input window, target) pairs for forecasting.

    The window number :math:`n = 0, 1, \dots, N - 1` starts at time
    :math:`i_n = n \cdot s` (stride :math:`s`). With window length :math:`w`
    and horizon :math:`h`:

    .. math::

        \text{inputs}_n = x_{i_n : i_n + w}

        \text{many-to-one targets}_n = x_{i_n + w : i_n + w + h}
        \quad \text{(the } h \text{ steps after the window)}

        \text{many-to-many targets}_n = x_{i_n + h : i_n + w + h}
        \quad \text{(the window shifted } h \text{ steps ahead)}

    Both kinds need the last target step :math:`i_n + w + h - 1 \le T - 1`, so

    .. math::

        N = \left\lfloor \frac{T - w - h}{s} \right\rfloor + 1 .

    The same pairs come from ``keras.utils.timeseries_dataset_from_array(
    data=series[:T - h], targets=series[w + k:], sequence_length=w,
    sequence_stride=s)`` for each target step :math:`k < h` (the tests check it).

    Args:
        series: array-like of shape (T,) or (T, F), numbers with no NaN or
            infinity. A 1-D series is treated as one feature (F = 1).
        window: int >= 1. Input length :math:`w`, at most ``T - horizon``.
        horizon: int >= 1. How many steps ahead the targets go. Defaults to `1`.
        stride: int >= 1. Steps between the starts of consecutive windows.
            Defaults to `1`.
        many_to_many: bool. If `True`, the target of each window is the window
            shifted ``horizon`` steps ahead (one target per input step, as in
            sequence-to-sequence training with teacher forcing); if `False`,
            the ``horizon`` steps after the window. Defaults to `False`.

    Returns:
        A tuple ``(inputs, targets)`` of new contiguous arrays with the dtype
        of ``series``: ``inputs`` of shape (N, window, F) and ``targets`` of
        shape (N, horizon, F) (many-to-one) or (N, window, F) (many-to-many).

    Raises:
        TypeError: if ``series`` does not hold numbers or an argument is not an int.
        ValueError: if ``series`` is not 1-D or 2-D or holds NaN or infinity,
            if ``window``, ``horizon`` or ``stride`` is < 1, or if
            ``window + horizon > T`` (no complete pair).

    Example:

    >>> import numpy as np
    >>> inputs, targets = sliding_windows(np.arange(6.0), window=3, horizon=1)
    >>> inputs[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> targets[:, :, 0]
    array([[3.],
           [4.],
           [5.]])
    """
    x, _ = _check_series(series)  # (T, F)
    window = _check_positive_int("window", window)
    horizon = _check_positive_int("horizon", horizon)
    stride = _check_positive_int("stride", stride)
    length = x.shape[0]
    if window + horizon > length:
        raise ValueError(
            f"window + horizon must be <= len(series) (got window={window}, "
            f"horizon={horizon}, len(series)={length})"
        )
    count = (length - window - horizon) // stride + 1  # N
    last_start = (count - 1) * stride
    view = np.lib.stride_tricks.sliding_window_view  # views, no copy until the end

    # (T - w + 1, F, w) -> every stride-th start -> (N, w, F), copied once.
    inputs = view(x, window, axis=0)[: last_start + 1 : stride]
    inputs = np.ascontiguousarray(inputs.transpose(0, 2, 1))  # (N, w, F)
    if many_to_many:
        targets = view(x[horizon:], window, axis=0)[: last_start + 1 : stride]  # (N, F, w)
    else:
        targets = view(x[window:], horizon, axis=0)[: last_start + 1 : stride]  # (N, F, h)
    targets = np.ascontiguousarray(targets.transpose(0, 2, 1))  # (N, h or w, F)
    return inputs, targets


def chronological_split(data, train=0.7, validation=0.15, gap=0):
    r"""Splits along time into train, validation and test parts, in that order.

    A forecaster must be evaluated on the future of what it was trained on, so
    the parts are contiguous and never shuffled. With :math:`T` samples,

    .. math::

        n_\text{train} = \lfloor \text{train} \cdot T \rfloor, \quad
        n_\text{val} = \lfloor \text{validation} \cdot T \rfloor, \quad
        n_\text{test} = T - n_\text{train} - n_\text{val} - k \cdot \text{gap},

    where :math:`k` is the number of boundaries (2, or 1 when
    ``validation == 0``). ``gap`` samples are dropped at each boundary: with
    ``gap = window + horizon - 1`` no window cut from one part shares a time
    step with a window cut from the next.

    Args:
        data: array-like with time along axis 0, shape (T, ...).
        train: float in (0, 1). Fraction of ``T`` for training. Defaults to `0.7`.
        validation: float in [0, 1). Fraction of ``T`` for validation; `0`
            gives an empty validation part. Defaults to `0.15`.
        gap: int >= 0. Samples dropped between consecutive parts. Defaults to `0`.

    Returns:
        A tuple ``(train, validation, test)`` of views of ``data`` (as a NumPy
        array) along axis 0, shapes (n_train, ...), (n_val, ...), (n_test, ...).

    Raises:
        TypeError: if ``gap`` is not an int or a fraction is not a number.
        ValueError: if ``data`` is 0-D, a fraction is out of range,
            ``train + validation >= 1``, or a part would be empty.

    Example:

    >>> import numpy as np
    >>> tr, va, te = chronological_split(np.arange(10), train=0.6, validation=0.2, gap=0)
    >>> tr, va, te
    (array([0, 1, 2, 3, 4, 5]), array([6, 7]), array([8, 9]))
    """
    array = np.asarray(data)
    if array.ndim < 1:
        raise ValueError(f"data must have a time axis, at least 1-D (got a 0-D value {array!r})")
    for name, value in (("train", train), ("validation", validation)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a float fraction (got {name}={value!r})")
    if not 0.0 < train < 1.0:
        raise ValueError(f"train must be in (0, 1) (got train={train})")
    if not 0.0 <= validation < 1.0:
        raise ValueError(f"validation must be in [0, 1) (got validation={validation})")
    if train + validation >= 1.0:
        raise ValueError(
            "train + validation must be < 1 to leave a test part "
            f"(got train={train}, validation={validation})"
        )
    gap = _check_non_negative_int("gap", gap)
    total = array.shape[0]
    n_train = math.floor(train * total)
    n_val = math.floor(validation * total)
    boundaries = 2 if validation > 0 else 1
    n_test = total - n_train - n_val - boundaries * gap
    if n_train < 1 or (validation > 0 and n_val < 1) or n_test < 1:
        raise ValueError(
            "every part must hold at least one sample (got len(data)="
            f"{total}, train={train}, validation={validation}, gap={gap} -> "
            f"n_train={n_train}, n_val={n_val}, n_test={n_test})"
        )
    # With no validation part the empty slice sits at the boundary and one gap is dropped.
    val_start = n_train + gap if validation > 0 else n_train
    test_start = val_start + n_val + gap
    return array[:n_train], array[val_start : val_start + n_val], array[test_start:]


class StandardScaler:
    r"""Per-feature standardisation fitted on the training part only.

    .. math::

        \mu_f = \frac{1}{T} \sum_t x_{t,f}, \qquad
        \sigma_f = \sqrt{\frac{1}{T} \sum_t (x_{t,f} - \mu_f)^2}, \qquad
        z_{t,f} = \frac{x_{t,f} - \mu_f}{\sigma_f}

    (population standard deviation, as in scikit-learn). Fit it on the
    training part and transform validation and test with the *training*
    statistics, so no information flows from the future into the inputs.

    A constant feature has :math:`\sigma_f = 0`; its divisor is set to `1`
    instead (so it is only centred, to zeros, not divided by zero) and
    ``std_`` stores that `1`, as scikit-learn's ``scale_`` does.

    Attributes:
        mean_: array of shape (F,) (or () for a 1-D series), the means.
        std_: array of the same shape, the divisors (standard deviations,
            with `1` for constant features).

    Example:

    >>> import numpy as np
    >>> scaler = StandardScaler().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> scaler.mean_, scaler.std_
    (array([2., 5.]), array([1., 1.]))
    >>> scaler.transform(np.array([[5.0, 6.0]]))
    array([[3., 1.]], dtype=float32)
    """

    def __init__(self):
        self.mean_ = None
        self.std_ = None

    def fit(self, train):
        """Computes the per-feature mean and standard deviation over axis 0.

        Args:
            train: array-like of shape (T,) or (T, F), finite numbers, T >= 1.

        Returns:
            The scaler itself.
        """
        x = _as_numeric_array("train", train)
        if x.ndim not in (1, 2):
            raise ValueError(
                f"train must be 1-D (T,) or 2-D (T, F) (got a {x.ndim}-D array of shape {x.shape})"
            )
        if x.shape[0] == 0:
            raise ValueError("train must hold at least one time step (got len(train)=0)")
        _check_finite("train", x)
        x = x.astype(np.float64)  # accumulate in double precision
        self.mean_ = x.mean(axis=0)  # (F,) or ()
        std = x.std(axis=0)  # (F,) or ()
        self.std_ = np.where(std > 0.0, std, 1.0)  # constant feature: divide by 1
        return self

    def _check_fitted_and_shape(self, name, x):
        if self.mean_ is None:
            raise ValueError("StandardScaler must be fitted first: call fit(train)")
        x = _as_numeric_array(name, x)
        features = self.mean_.shape
        if features and (x.ndim == 0 or x.shape[-1] != features[0]):
            raise ValueError(
                f"{name} must have {features[0]} features on its last axis, as the fitted "
                f"data (got shape {x.shape})"
            )
        return x

    def transform(self, x):
        """Returns ``(x - mean_) / std_`` as float32 (any leading shape, (..., F))."""
        x = self._check_fitted_and_shape("x", x)
        return ((x - self.mean_) / self.std_).astype(np.float32)

    def inverse_transform(self, x):
        """Returns ``x * std_ + mean_`` as float32 (undoes :meth:`transform`)."""
        x = self._check_fitted_and_shape("x", x)
        return (x * self.std_ + self.mean_).astype(np.float32)

    def fit_transform(self, x):
        """Fits on ``x`` and returns it transformed."""
        return self.fit(x).transform(x)


# ---------------------------------------------------------------------------
# Padding and truncation.
# ---------------------------------------------------------------------------


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
            and _is_numeric(flat.dtype)
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
        _as_numeric_array(f"sequences[{first}]", arrays[first])  # raises if not numbers
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
            with the same F. Empty sequences are allowed (all padding).
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
    padding = _check_mode("padding", padding)
    truncating = _check_mode("truncating", truncating)
    if maxlen is not None:
        maxlen = _check_positive_int("maxlen", maxlen)
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


# ---------------------------------------------------------------------------
# Tokens, vocabularies and one-hot vectors.
# ---------------------------------------------------------------------------

_WORD_PATTERN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def char_tokens(text):
    """Splits a text into characters (every character, spaces and newlines included).

    Args:
        text: str.

    Returns:
        list[str], one token per character.

    Example:

    >>> char_tokens("to be")
    ['t', 'o', ' ', 'b', 'e']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (got {type(text).__name__}: {text!r:.60})")
    return list(text)


def word_tokens(text, lowercase=True):
    r"""Splits a text into words and punctuation marks.

    A word is a run of letters, digits and underscores, with inner apostrophes
    kept (``"don't"``); every other non-space character is a token of its
    own. The pattern is ``\w+(?:'\w+)*|[^\w\s]``.

    Args:
        text: str.
        lowercase: bool. Lower-case the text first. Defaults to `True`.

    Returns:
        list[str].

    Example:

    >>> word_tokens("I love neural networks. Don't you?")
    ['i', 'love', 'neural', 'networks', '.', "don't", 'you', '?']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (got {type(text).__name__}: {text!r:.60})")
    return _WORD_PATTERN.findall(text.lower() if lowercase else text)


def _check_tokens(name, tokens):
    """Returns ``tokens`` as a list of str, or raises TypeError."""
    if isinstance(tokens, (str, bytes)):
        raise TypeError(
            f"{name} must be an iterable of str tokens, not one {type(tokens).__name__} "
            f"(got {tokens!r:.60}); split it with char_tokens(text) or word_tokens(text)"
        )
    try:
        tokens = list(tokens)
    except TypeError:
        raise TypeError(
            f"{name} must be an iterable of str tokens (got {type(tokens).__name__})"
        ) from None
    for index, token in enumerate(tokens):
        if not isinstance(token, str):
            raise TypeError(
                f"{name} must hold only str tokens (got {name}[{index}]={token!r} of "
                f"type {type(token).__name__})"
            )
    return tokens


class Vocabulary:
    r"""A token <-> id mapping with reserved padding and out-of-vocabulary ids.

    Ids are assigned as follows: the ``reserved`` tokens first (id 0 is
    padding, id 1 the out-of-vocabulary token, then any extra reserved tokens
    such as ``"<s>"`` and ``"</s>"``), then the corpus tokens by decreasing
    count, ties broken alphabetically (so the same corpus always gives the
    same ids). Tokens seen fewer than ``min_count`` times are left out, and the
    list stops at ``max_size`` entries in all; a left-out token encodes to
    ``oov_id``.

    Args:
        tokens: iterable of str. The training corpus, already split into
            tokens (see :func:`char_tokens` and :func:`word_tokens`). It must
            not contain the padding token.
        max_size: int or `None`. Largest vocabulary size, reserved tokens
            included (as ``max_tokens`` of ``keras.layers.StringLookup``).
            Defaults to `None` (no limit).
        min_count: int >= 1. Smallest count for a corpus token to get an id.
            Defaults to `1`.
        reserved: sequence of at least two distinct str: the padding token,
            the out-of-vocabulary token, then extra reserved tokens. Defaults
            to `("<pad>", "<unk>")`.

    Attributes:
        pad_id: int, `0`.
        oov_id: int, `1`.
        tokens: list[str], the token of every id in id order.
        counts: collections.Counter of the corpus tokens.

    Example:

    >>> vocab = Vocabulary(word_tokens("the cat saw the dog"), reserved=("<pad>", "<unk>", "<s>"))
    >>> vocab.tokens
    ['<pad>', '<unk>', '<s>', 'the', 'cat', 'dog', 'saw']
    >>> vocab.encode(["<s>", "the", "bird"])
    [2, 3, 1]
    >>> vocab.decode([2, 3, 1])
    ['<s>', 'the', '<unk>']
    """

    pad_id = 0
    oov_id = 1

    def __init__(self, tokens, max_size=None, min_count=1, reserved=("<pad>", "<unk>")):
        tokens = _check_tokens("tokens", tokens)
        reserved = _check_tokens("reserved", reserved)
        if len(reserved) < 2:
            raise ValueError(
                "reserved must hold at least the padding and the out-of-vocabulary tokens "
                f"(got reserved={reserved!r})"
            )
        if len(set(reserved)) != len(reserved):
            raise ValueError(f"reserved tokens must be distinct (got reserved={reserved!r})")
        if max_size is not None:
            max_size = _check_positive_int("max_size", max_size)
            if max_size < len(reserved):
                raise ValueError(
                    f"max_size must be >= len(reserved) = {len(reserved)} (got max_size={max_size})"
                )
        min_count = _check_positive_int("min_count", min_count)
        self.counts = collections.Counter(tokens)
        if reserved[0] in self.counts:
            raise ValueError(
                f"tokens must not contain the padding token {reserved[0]!r}: its id "
                f"{self.pad_id} would collide with a real token (found "
                f"{self.counts[reserved[0]]} times)"
            )
        corpus = [
            (token, count)
            for token, count in self.counts.items()
            if count >= min_count and token not in reserved
        ]
        corpus.sort(key=lambda item: (-item[1], item[0]))  # most frequent, then A-Z
        if max_size is not None:
            corpus = corpus[: max_size - len(reserved)]
        self.reserved = tuple(reserved)
        self.tokens = list(reserved) + [token for token, _ in corpus]
        self._ids = {token: index for index, token in enumerate(self.tokens)}

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self._ids

    def __repr__(self):
        return f"Vocabulary(size={len(self)}, reserved={self.reserved!r})"

    @property
    def pad_token(self):
        """str, the padding token (id 0)."""
        return self.tokens[self.pad_id]

    @property
    def oov_token(self):
        """str, the out-of-vocabulary token (id 1)."""
        return self.tokens[self.oov_id]

    def token_to_id(self, token):
        """Returns the id of one token, ``oov_id`` if it is not in the vocabulary."""
        if not isinstance(token, str):
            raise TypeError(f"token must be a str (got {token!r} of type {type(token).__name__})")
        return self._ids.get(token, self.oov_id)

    def id_to_token(self, id):  # noqa: A002  (the keras-hub name)
        """Returns the token of one id in ``[0, len(self))``."""
        if isinstance(id, (bool, np.bool_)) or not isinstance(id, numbers.Integral):
            raise TypeError(f"id must be an int (got {id!r} of type {type(id).__name__})")
        if not 0 <= id < len(self):
            raise ValueError(f"id must be in [0, {len(self)}) (got id={id})")
        return self.tokens[id]

    def encode(self, tokens):
        """Maps tokens to ids; tokens not in the vocabulary become ``oov_id``.

        Args:
            tokens: iterable of str.

        Returns:
            list[int], one id per token.
        """
        tokens = _check_tokens("tokens", tokens)
        return [self._ids.get(token, self.oov_id) for token in tokens]

    def count_oov(self, tokens):
        """Counts the tokens that :meth:`encode` would map to ``oov_id``.

        The out-of-vocabulary token itself, if present in ``tokens``, is
        counted too (it encodes to the same id).

        Args:
            tokens: iterable of str.

        Returns:
            int.
        """
        return sum(1 for index in self.encode(tokens) if index == self.oov_id)

    def decode(self, ids, skip_padding=False):
        """Maps ids back to tokens.

        Args:
            ids: iterable of ints (a list or a 1-D integer array) in ``[0, len(self))``.
            skip_padding: bool. Drop ``pad_id`` entries (padded batches).
                Defaults to `False`.

        Returns:
            list[str].
        """
        array = np.asarray(ids)
        if array.ndim != 1:
            raise ValueError(f"ids must be 1-D (got shape {array.shape})")
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"ids must be ints (got dtype {array.dtype})")
        array = array.astype(np.int64)
        bad = (array < 0) | (array >= len(self))
        if bad.any():
            where = int(np.argmax(bad))
            raise ValueError(
                f"ids must be in [0, {len(self)}) for this vocabulary (got ids[{where}]="
                f"{int(array[where])})"
            )
        return [self.tokens[i] for i in array.tolist() if not (skip_padding and i == self.pad_id)]


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
    depth = _check_positive_int("depth", depth)
    array = np.asarray(ids)
    if array.dtype == np.bool_ or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"ids must be integers (got an array of dtype {array.dtype})")
    array = array.astype(np.int64)
    bad = (array < 0) | (array >= depth)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"ids must be in [0, depth={depth}) (got {int(array[where])} at index "
            f"{where if len(where) != 1 else where[0]})"
        )
    return (array[..., None] == np.arange(depth)).astype(np.float32)  # (..., depth)
