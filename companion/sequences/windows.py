"""Time series into training examples: sliding windows and the chronological split.

NumPy in, NumPy out: these steps run once, before training, on the host. The
tests check :func:`sliding_windows` equal to
``keras.utils.timeseries_dataset_from_array``.
"""

import math
import numbers

import numpy as np

from companion.checks import as_numeric_array, check_finite, check_int


def _check_series(series, name="series"):
    """Returns ``series`` as a finite (T, F) array and whether it was 1-D."""
    array = as_numeric_array(name, series)
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (T,) or 2-D (T, F) (got a {array.ndim}-D array of shape "
            f"{array.shape})"
        )
    check_finite(name, array)
    return (array[:, None] if array.ndim == 1 else array), array.ndim == 1


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
        A tuple ``(inputs, targets)`` of new, writable arrays that share no
        memory with ``series`` (writing to them never changes the series), with
        the dtype of ``series``: ``inputs`` of shape (N, window, F) and ``targets`` of
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
    window = check_int("window", window, minimum=1)
    horizon = check_int("horizon", horizon, minimum=1)
    stride = check_int("stride", stride, minimum=1)
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
    inputs = np.array(inputs.transpose(0, 2, 1), order="C")  # (N, w, F), a copy
    if many_to_many:
        targets = view(x[horizon:], window, axis=0)[: last_start + 1 : stride]  # (N, F, w)
    else:
        targets = view(x[window:], horizon, axis=0)[: last_start + 1 : stride]  # (N, F, h)
    targets = np.array(targets.transpose(0, 2, 1), order="C")  # (N, h or w, F), a copy
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
    gap = check_int("gap", gap, minimum=0)
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
