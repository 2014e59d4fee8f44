"""Tests of companion.data.series: the real series and the Japanese vowels load as documented."""

import os

import numpy as np
import pytest

from companion import data


def test_stock_entries_say_they_are_real_closes():
    for name in ("stocks", "eu_stock_markets"):
        assert "real closes" in data.describe(name).title
    assert "no dates" in data.describe("eu_stock_markets").title


def test_sunspots():
    series = data.load("sunspots")
    assert isinstance(series, data.TimeSeries)
    assert series.values.shape == (309,) and series.values.dtype == np.float32
    assert series.times[0] == 1700 and series.times[-1] == 2008
    assert np.all(np.diff(series.times) == 1)
    assert series.values[0] == 5.0 and series.values.min() >= 0 and series.values.max() > 150


def test_co2_interpolates_missing_weeks():
    series = data.load("co2")
    raw = data.load("co2", interpolate=False)
    missing = series.extras["missing"]
    assert series.values.shape == (2284,) and missing.sum() == 59
    assert np.isnan(raw.values).sum() == 59 and not np.isnan(series.values).any()
    assert np.all(np.diff(series.times) == np.timedelta64(7, "D"))
    assert str(series.times[0]) == "1958-03-29" and series.values[0] == np.float32(316.1)
    np.testing.assert_array_equal(series.values[~missing], raw.values[~missing])
    # an interpolated week lies between its observed neighbours
    i = int(np.flatnonzero(missing & ~np.roll(missing, 1) & ~np.roll(missing, -1))[0])
    low, high = sorted([series.values[i - 1], series.values[i + 1]])
    assert low <= series.values[i] <= high
    assert 310 < series.values.min() and series.values.max() < 380


def test_seattle_weather():
    series = data.load("seattle_weather")
    assert series.values.shape == (1461, 4) and series.values.dtype == np.float32
    assert series.columns == ["precipitation", "temp_max", "temp_min", "wind"]
    assert str(series.times[0]) == "2012-01-01" and str(series.times[-1]) == "2015-12-31"
    assert np.all(series.column("temp_max") >= series.column("temp_min"))
    assert set(series.extras["weather"]) == {"drizzle", "rain", "sun", "snow", "fog"}
    with pytest.raises(ValueError, match="column must be one of"):
        series.column("humidity")


def test_stocks_wide_and_single_symbol():
    wide = data.load("stocks")
    assert wide.values.shape == (123, 5) and wide.columns == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert str(wide.times[0]) == "2000-01" and str(wide.times[-1]) == "2010-03"
    assert np.isnan(wide.values).sum() == 123 * 5 - 560  # GOOG starts in 2004-08
    goog = data.load("stocks", symbol="GOOG")
    assert goog.values.shape == (68,) and str(goog.times[0]) == "2004-08"
    np.testing.assert_array_equal(goog.values, wide.column("GOOG")[-68:])
    assert data.load("stocks", symbol="MSFT").values[0] == np.float32(39.81)
    with pytest.raises(ValueError, match="symbol must be None or one of"):
        data.load("stocks", symbol="TSLA")


def test_eu_stock_markets():
    series = data.load("eu_stock_markets")
    assert series.values.shape == (1860, 4) and series.values.dtype == np.float32
    assert series.times is None and series.columns == ["DAX", "SMI", "CAC", "FTSE"]
    np.testing.assert_allclose(series.values[0], [1628.75, 1678.1, 1772.8, 2443.6], rtol=1e-6)
    assert np.all(series.values > 0)


def test_read_ts_fixture(fixtures_dir):
    series, labels, header = data.read_ts(os.path.join(fixtures_dir, "sample_multivariate.ts"))
    assert labels == ["a", "b", "a"] and header["dimensions"] == "2"
    assert [s.shape for s in series] == [(3, 2), (2, 2), (4, 2)]
    np.testing.assert_array_equal(series[0], [[1, 10], [2, 20], [3, 30]])
    assert series[1][0, 0] == 4.5 and np.isnan(series[1][1, 0]) and series[1][1, 1] == 2.25


def test_read_ts_rejects_ragged_channels(tmp_path):
    path = tmp_path / "bad.ts"
    path.write_text("@dimensions 2\n@data\n1,2,3:4,5:a\n")
    with pytest.raises(ValueError, match="channels of unequal length"):
        data.read_ts(path)


def test_japanese_vowels():
    (x_train, y_train), (x_test, y_test) = data.load("japanese_vowels")
    assert len(x_train) == len(y_train) == 270 and len(x_test) == len(y_test) == 370
    assert all(x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 12 for x in x_train + x_test)
    lengths = [len(x) for x in x_train + x_test]
    assert min(lengths) == 7 and max(lengths) == 29
    assert y_train.dtype == np.int64 and set(y_train) == set(y_test) == set(range(9))
    assert np.all(np.bincount(y_train) == 30)  # 30 utterances per speaker in training
