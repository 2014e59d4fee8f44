"""Tests of companion.sequences.windows: windows equal Keras's, splits keep time order."""

import keras
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from support import property_settings

from companion.sequences import chronological_split, sliding_windows

# No example database: the runs leave no .hypothesis/ folder in the repository.
PROPERTY = property_settings(max_examples=25)


def _collect(dataset):
    """Concatenates the batches of a tf.data dataset into NumPy arrays."""
    inputs, targets = [], []
    for batch in dataset:
        if isinstance(batch, tuple):
            inputs.append(np.asarray(batch[0]))
            targets.append(np.asarray(batch[1]))
        else:
            inputs.append(np.asarray(batch))
    return np.concatenate(inputs), (np.concatenate(targets) if targets else None)


def keras_windows(series, window, horizon, stride):
    """The pairs of both kinds, from one keras.utils.timeseries_dataset_from_array call.

    ``data`` puts ``series[:T - h]`` (the inputs) and ``series[h:]`` (the
    many-to-many targets, shifted h steps) side by side on the feature axis;
    keras pairs the window starting at i with ``targets[i]``, so ``targets[i]``
    is the block of the h steps after that window (many-to-one). Arguments map
    as ``sequence_length=window``, ``sequence_stride=stride``.

    Returns:
        ``(inputs, many_to_one_targets, many_to_many_targets)``.
    """
    x = series if series.ndim == 2 else series[:, None]  # (T, F)
    length, features = x.shape
    both = np.concatenate([x[: length - horizon], x[horizon:]], axis=1)  # (T - h, 2F)
    blocks = np.stack(
        [x[i + window : i + window + horizon] for i in range(length - window - horizon + 1)]
    )  # (T - w - h + 1, h, F)
    windows, targets = _collect(
        keras.utils.timeseries_dataset_from_array(
            both,
            blocks,
            sequence_length=window,
            sequence_stride=stride,
            batch_size=8,
            shuffle=False,
        )
    )  # (N, w, 2F), (N, h, F)
    return windows[..., :features], targets, windows[..., features:]


@PROPERTY
@given(
    length=st.integers(2, 40),
    features=st.sampled_from([None, 1, 3]),
    window=st.integers(1, 12),
    horizon=st.integers(1, 4),
    stride=st.integers(1, 5),
    seed=st.integers(0, 1000),
)
def test_sliding_windows_match_keras(length, features, window, horizon, stride, seed):
    assume(window + horizon <= length)
    # keras refuses data no longer than sampling_rate (1) or sequence_stride; we accept both
    # (one window), which test_sliding_windows_index_formulas checks.
    assume(length - horizon > max(1, stride))
    shape = (length,) if features is None else (length, features)
    series = np.random.default_rng(seed).normal(size=shape).astype("float32")
    inputs, targets = sliding_windows(series, window, horizon, stride)
    inputs_m2m, targets_m2m = sliding_windows(series, window, horizon, stride, many_to_many=True)
    expected_inputs, expected_targets, expected_m2m = keras_windows(series, window, horizon, stride)
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(targets, expected_targets)
    np.testing.assert_array_equal(inputs_m2m, expected_inputs)
    np.testing.assert_array_equal(targets_m2m, expected_m2m)
    f = 1 if features is None else features
    count = (length - window - horizon) // stride + 1
    assert inputs.shape == (count, window, f)
    assert targets.shape == (count, horizon, f)
    assert targets_m2m.shape == (count, window, f)


@pytest.mark.parametrize(
    "window, horizon, stride", [(1, 1, 1), (5, 1, 1), (4, 3, 2), (7, 2, 3), (10, 10, 1), (4, 3, 50)]
)
def test_sliding_windows_index_formulas(window, horizon, stride):
    length = 20
    # Feature f of step t holds 100 t + f, so every value tells its own time index.
    series = 100.0 * np.arange(length)[:, None] + np.arange(2)[None, :]  # (T, 2)
    inputs, targets = sliding_windows(series, window, horizon, stride)
    _, shifted = sliding_windows(series, window, horizon, stride, many_to_many=True)
    for n in range(inputs.shape[0]):
        start = n * stride
        np.testing.assert_array_equal(inputs[n], series[start : start + window])
        np.testing.assert_array_equal(targets[n], series[start + window : start + window + horizon])
        np.testing.assert_array_equal(
            shifted[n], series[start + horizon : start + window + horizon]
        )
    # The last window's last target is the last step that fits.
    last = (inputs.shape[0] - 1) * stride + window + horizon - 1
    assert last <= length - 1 < last + stride
    assert inputs.flags["C_CONTIGUOUS"] and targets.flags["C_CONTIGUOUS"]


@pytest.mark.parametrize("many_to_many", [False, True])
@pytest.mark.parametrize("window", [3, 9])  # 9: a single window, the whole series but one step
def test_sliding_windows_returns_writable_copies_of_the_series(window, many_to_many):
    """Regression: 1-D series gave read-only targets sharing memory with the series."""
    series = np.arange(10, dtype="int32")
    inputs, targets = sliding_windows(series, window, many_to_many=many_to_many)
    assert inputs.dtype == np.int32 and targets.dtype == np.int32
    for result in (inputs, targets):
        assert result.flags.writeable and not np.shares_memory(result, series)
        result[...] = -1  # writing to the windows never changes the series
    np.testing.assert_array_equal(series, np.arange(10))


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(window=30), ValueError, r"window \+ horizon must be <= len\(series\).*window=30"),
        (dict(window=20, horizon=1), ValueError, r"len\(series\)=20"),
        (dict(window=0), ValueError, r"window must be an int >= 1.*window=0"),
        (dict(window=-3), ValueError, r"window must be an int >= 1.*window=-3"),
        (dict(window=3, horizon=0), ValueError, r"horizon must be an int >= 1.*horizon=0"),
        (dict(window=3, horizon=-1), ValueError, r"horizon.*horizon=-1"),
        (dict(window=3, stride=0), ValueError, r"stride must be an int >= 1.*stride=0"),
        (dict(window=3, stride=-2), ValueError, r"stride.*stride=-2"),
        (dict(window=2.0), TypeError, r"window must be an int.*window=2.0"),
        (dict(window=True), TypeError, r"window must be an int.*window=True"),
    ],
)
def test_sliding_windows_rejects_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        sliding_windows(np.arange(20.0), **kwargs)


def test_sliding_windows_rejects_bad_series():
    with_nan = np.arange(10.0)
    with_nan[4] = np.nan
    with pytest.raises(ValueError, match=r"series must be finite.*index 4"):
        sliding_windows(with_nan, 3)
    with pytest.raises(ValueError, match=r"series must be finite"):
        sliding_windows(np.array([[0.0, 1.0], [np.inf, 2.0], [3.0, 4.0]]), 1)
    with pytest.raises(ValueError, match=r"series must be 1-D.*3-D.*\(4, 5, 2\)"):
        sliding_windows(np.zeros((4, 5, 2)), 2)
    with pytest.raises(ValueError, match=r"series must be 1-D.*0-D"):
        sliding_windows(np.float32(3.0), 1)
    with pytest.raises(TypeError, match=r"series must hold numbers.*'a'"):
        sliding_windows(["a", "b", "c"], 1)
    with pytest.raises(ValueError, match=r"series must be a rectangular array"):
        sliding_windows([[1.0, 2.0], [3.0]], 1)


@pytest.mark.parametrize(
    "length, train, validation, gap",
    [(100, 0.7, 0.15, 0), (100, 0.7, 0.15, 5), (37, 0.5, 0.25, 2), (50, 0.8, 0.0, 3)],
)
def test_chronological_split_order_sizes_and_gaps(length, train, validation, gap):
    data = np.arange(length * 2).reshape(length, 2)  # (T, 2), row t starts with 2 t
    parts = chronological_split(data, train=train, validation=validation, gap=gap)
    tr, va, te = parts
    assert len(tr) == int(np.floor(train * length))
    assert len(va) == int(np.floor(validation * length))
    boundaries = 2 if validation > 0 else 1
    assert len(tr) + len(va) + len(te) + boundaries * gap == length
    times = [part[:, 0] // 2 for part in parts]  # the time index of every row
    for t in times:  # contiguous and in time order
        np.testing.assert_array_equal(t, np.arange(t[0], t[0] + len(t)) if len(t) else t)
    assert times[0][0] == 0 and times[2][-1] == length - 1  # test ends with the data
    nonempty = [t for t in times if len(t)]
    for before, after in zip(nonempty, nonempty[1:], strict=False):
        assert after[0] - before[-1] - 1 == gap  # exactly `gap` steps dropped, no overlap
    assert len(set(np.concatenate(times).tolist())) == length - boundaries * gap


def test_chronological_split_errors():
    data = np.arange(10)
    with pytest.raises(ValueError, match=r"train must be in \(0, 1\).*train=1.2"):
        chronological_split(data, train=1.2)
    with pytest.raises(ValueError, match=r"validation must be in \[0, 1\).*validation=-0.1"):
        chronological_split(data, validation=-0.1)
    with pytest.raises(ValueError, match=r"train \+ validation must be < 1.*train=0.8"):
        chronological_split(data, train=0.8, validation=0.2)
    with pytest.raises(ValueError, match=r"gap must be an int >= 0.*gap=-1"):
        chronological_split(data, gap=-1)
    with pytest.raises(ValueError, match=r"every part.*gap=4.*n_test=-6"):
        chronological_split(data, gap=4)
    with pytest.raises(ValueError, match=r"data must have a time axis.*0-D"):
        chronological_split(np.float64(1.0))
