"""Tests of companion.sequences.scaling: statistics from the training part only."""

import numpy as np
import pytest

from companion.sequences import StandardScaler, chronological_split, sliding_windows


def test_standard_scaler_uses_training_statistics():
    rng = np.random.default_rng(0)
    series = rng.normal(loc=[5.0, -2.0, 0.0], scale=[2.0, 0.5, 1.0], size=(200, 3))
    series[150:] += 10.0  # the test part has drifted
    train, _, test = chronological_split(series, train=0.6, validation=0.2)
    scaler = StandardScaler().fit(train)
    np.testing.assert_allclose(scaler.mean_, train.mean(axis=0))
    np.testing.assert_allclose(scaler.std_, train.std(axis=0))
    scaled = scaler.transform(test)
    np.testing.assert_allclose(scaled, (test - train.mean(0)) / train.std(0), rtol=1e-5)
    assert scaled.mean() > 3.0  # the drift shows: the test part was not re-centred
    np.testing.assert_allclose(scaler.transform(train).mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(scaler.transform(train).std(0), 1.0, rtol=1e-4)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), test, rtol=1e-5, atol=1e-5)
    # Windows (N, w, F) broadcast over the leading axes.
    windows, _ = sliding_windows(test, 4)
    np.testing.assert_allclose(
        scaler.transform(windows), sliding_windows(scaled, 4)[0], rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(StandardScaler().fit_transform(train), scaler.transform(train))


def test_standard_scaler_constant_feature_and_1d():
    data = np.stack([np.arange(6.0), np.full(6, 3.0)], axis=1)  # feature 1 is constant
    scaler = StandardScaler().fit(data)
    assert scaler.std_[1] == 1.0  # the divisor of a constant feature is 1
    scaled = scaler.transform(data)
    assert np.isfinite(scaled).all()
    np.testing.assert_array_equal(scaled[:, 1], 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), data, atol=1e-6)
    one_d = StandardScaler().fit(np.arange(5.0))
    assert one_d.mean_.shape == () and one_d.mean_ == 2.0
    np.testing.assert_allclose(one_d.transform(np.array([2.0, 4.0])), [0.0, 2.0 / np.sqrt(2.0)])


def test_standard_scaler_errors():
    with pytest.raises(ValueError, match=r"must be fitted first"):
        StandardScaler().transform(np.zeros((3, 2)))
    scaler = StandardScaler().fit(np.random.default_rng(0).normal(size=(10, 2)))
    with pytest.raises(ValueError, match=r"x must have 2 features.*\(4, 3\)"):
        scaler.transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"train must be finite"):
        StandardScaler().fit(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"train must be 1-D.*3-D"):
        StandardScaler().fit(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"len\(train\)=0"):
        StandardScaler().fit(np.zeros((0, 2)))
