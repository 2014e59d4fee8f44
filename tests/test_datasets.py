"""Tests of companion.datasets: every offline loader, the registry, downloads and errors.

The online formats are parsed from small fixture files in tests/fixtures:

* ``jena_climate_sample.csv.zip``: 50 rows in the Jena csv format (quoted header, 10-minute
  ``dd.mm.yyyy HH:MM:SS`` stamps from 01.01.2009 00:10:00, 14 numbers), values made up.
* ``tiny_shakespeare_sample.txt``: the first eleven lines of the Tiny Shakespeare corpus.
* ``imdb_sample.npz``: the Keras ``imdb.npz`` layout (ragged object arrays of word ranks and
  0/1 labels) with 5 train and 3 test reviews of made-up ids.
* ``sample_multivariate.ts``: 3 series of 2 channels in the sktime ``.ts`` format, with a
  missing value ``?``.

The tests never touch the network (tests/conftest.py blocks sockets).
"""

import dataclasses
import hashlib
import io
import os
import shutil
import sys

import numpy as np
import pytest

from companion import datasets

OFFLINE_REAL = [
    "sunspots",
    "co2",
    "seattle_weather",
    "stocks",
    "eu_stock_markets",
    "japanese_vowels",
    "kjv",
    "census_names",
    "amazon_reviews",
]
SYNTHETIC = ["sine", "adding_problem"]
ONLINE = ["imdb", "jena_climate", "tiny_shakespeare"]


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    monkeypatch.delenv("COMPANION_OFFLINE", raising=False)
    monkeypatch.delenv("COMPANION_DATA", raising=False)


def with_sha256(monkeypatch, name, sha256):
    """Points a registry entry at another checksum (the fixture's) for this test."""
    info, loader = datasets._REGISTRY[name]
    monkeypatch.setitem(
        datasets._REGISTRY, name, (dataclasses.replace(info, sha256=sha256), loader)
    )


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


def test_list_datasets_names_and_filters():
    assert datasets.list_datasets() == sorted(OFFLINE_REAL + SYNTHETIC + ONLINE)
    assert datasets.list_datasets(offline=True) == sorted(OFFLINE_REAL + SYNTHETIC)
    assert datasets.list_datasets(offline=False) == ONLINE


@pytest.mark.parametrize("name", sorted(OFFLINE_REAL + SYNTHETIC + ONLINE))
def test_metadata_is_complete(name):
    info = datasets.describe(name)
    assert info.name == name
    for field in ("title", "kind", "source", "licence", "size", "citation", "doc"):
        assert isinstance(getattr(info, field), str) and len(getattr(info, field)) > 3, field
    assert "Returns" in info.doc
    if name in ONLINE:
        assert not info.offline
        assert info.url.startswith("https://") and info.filename
        assert info.alternative in datasets.list_datasets(offline=True)
        assert info.sha256 is None or len(info.sha256) == 64
    else:
        assert info.offline and info.url is None and info.sha256 is None
    if name in SYNTHETIC:
        assert "synthetic" in info.title and info.package is None
    if name in OFFLINE_REAL:
        assert info.package in info.source.split(":")[0]


def test_stock_entries_say_they_are_real_closes():
    for name in ("stocks", "eu_stock_markets"):
        assert "real closes" in datasets.describe(name).title
    assert "no dates" in datasets.describe("eu_stock_markets").title


def test_published_checksums():
    assert datasets.describe("tiny_shakespeare").sha256.startswith("86c4e6aa")
    assert datasets.describe("imdb").sha256.startswith("69664113")
    assert datasets.describe("jena_climate").sha256 is None  # none published: trust on first use


def test_datasets_table_rst_lists_every_entry():
    table = datasets.datasets_table_rst()
    assert table.startswith(".. list-table::")
    rows = [line for line in table.splitlines() if line.startswith("   * - ")]
    assert len(rows) == len(datasets.list_datasets()) + 1  # + header row
    for name in datasets.list_datasets():
        assert f"   * - ``{name}``" in table
    assert table.count("     - ") == 6 * len(rows)  # seven cells per row


# ---------------------------------------------------------------------------------------------
# Offline series
# ---------------------------------------------------------------------------------------------


def test_sunspots():
    series = datasets.load("sunspots")
    assert isinstance(series, datasets.TimeSeries)
    assert series.values.shape == (309,) and series.values.dtype == np.float32
    assert series.times[0] == 1700 and series.times[-1] == 2008
    assert np.all(np.diff(series.times) == 1)
    assert series.values[0] == 5.0 and series.values.min() >= 0 and series.values.max() > 150


def test_co2_interpolates_missing_weeks():
    series = datasets.load("co2")
    raw = datasets.load("co2", interpolate=False)
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
    series = datasets.load("seattle_weather")
    assert series.values.shape == (1461, 4) and series.values.dtype == np.float32
    assert series.columns == ["precipitation", "temp_max", "temp_min", "wind"]
    assert str(series.times[0]) == "2012-01-01" and str(series.times[-1]) == "2015-12-31"
    assert np.all(series.column("temp_max") >= series.column("temp_min"))
    assert set(series.extras["weather"]) == {"drizzle", "rain", "sun", "snow", "fog"}
    with pytest.raises(ValueError, match="column must be one of"):
        series.column("humidity")


def test_stocks_wide_and_single_symbol():
    wide = datasets.load("stocks")
    assert wide.values.shape == (123, 5) and wide.columns == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert str(wide.times[0]) == "2000-01" and str(wide.times[-1]) == "2010-03"
    assert np.isnan(wide.values).sum() == 123 * 5 - 560  # GOOG starts in 2004-08
    goog = datasets.load("stocks", symbol="GOOG")
    assert goog.values.shape == (68,) and str(goog.times[0]) == "2004-08"
    np.testing.assert_array_equal(goog.values, wide.column("GOOG")[-68:])
    assert datasets.load("stocks", symbol="MSFT").values[0] == np.float32(39.81)
    with pytest.raises(ValueError, match="symbol must be None or one of"):
        datasets.load("stocks", symbol="TSLA")


def test_eu_stock_markets():
    series = datasets.load("eu_stock_markets")
    assert series.values.shape == (1860, 4) and series.values.dtype == np.float32
    assert series.times is None and series.columns == ["DAX", "SMI", "CAC", "FTSE"]
    np.testing.assert_allclose(series.values[0], [1628.75, 1678.1, 1772.8, 2443.6], rtol=1e-6)
    assert np.all(series.values > 0)


# ---------------------------------------------------------------------------------------------
# Synthetic generators
# ---------------------------------------------------------------------------------------------


def test_sine_is_seeded():
    a = datasets.load("sine", length=200, period=20.0, noise=0.0, seed=3)
    b = datasets.load("sine", length=200, period=20.0, noise=0.5, seed=3)
    c = datasets.load("sine", length=200, period=20.0, noise=0.5, seed=3)
    assert a.values.shape == (200,) and a.values.dtype == np.float32
    np.testing.assert_allclose(a.values, np.sin(2 * np.pi * np.arange(200) / 20), atol=1e-6)
    np.testing.assert_array_equal(b.values, c.values)
    assert not np.allclose(a.values, b.values)
    with pytest.raises(ValueError, match="period must be > 0"):
        datasets.load("sine", period=0)


def test_adding_problem_targets_are_the_marked_sums():
    inputs, targets = datasets.load("adding_problem", n=64, length=30, seed=1)
    assert inputs.shape == (64, 30, 2) and targets.shape == (64, 1)
    assert inputs.dtype == np.float32 and targets.dtype == np.float32
    values, markers = inputs[..., 0], inputs[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1)  # one marker in each half
    assert np.all((values >= 0) & (values <= 1))
    expected = np.array([values[i, markers[i] == 1].sum() for i in range(64)])
    np.testing.assert_allclose(targets[:, 0], expected, rtol=1e-6)
    again, _ = datasets.load("adding_problem", n=64, length=30, seed=1)
    np.testing.assert_array_equal(inputs, again)
    with pytest.raises(ValueError, match="length must be >= 2"):
        datasets.load("adding_problem", length=1)
    with pytest.raises(TypeError, match="n must be an int"):
        datasets.load("adding_problem", n=2.5)


# ---------------------------------------------------------------------------------------------
# Classification and text
# ---------------------------------------------------------------------------------------------


def test_read_ts_fixture(fixtures_dir):
    series, labels, header = datasets.read_ts(os.path.join(fixtures_dir, "sample_multivariate.ts"))
    assert labels == ["a", "b", "a"] and header["dimensions"] == "2"
    assert [s.shape for s in series] == [(3, 2), (2, 2), (4, 2)]
    np.testing.assert_array_equal(series[0], [[1, 10], [2, 20], [3, 30]])
    assert series[1][0, 0] == 4.5 and np.isnan(series[1][1, 0]) and series[1][1, 1] == 2.25


def test_read_ts_rejects_ragged_channels(tmp_path):
    path = tmp_path / "bad.ts"
    path.write_text("@dimensions 2\n@data\n1,2,3:4,5:a\n")
    with pytest.raises(ValueError, match="channels of unequal length"):
        datasets.read_ts(path)


def test_japanese_vowels():
    (x_train, y_train), (x_test, y_test) = datasets.load("japanese_vowels")
    assert len(x_train) == len(y_train) == 270 and len(x_test) == len(y_test) == 370
    assert all(x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 12 for x in x_train + x_test)
    lengths = [len(x) for x in x_train + x_test]
    assert min(lengths) == 7 and max(lengths) == 29
    assert y_train.dtype == np.int64 and set(y_train) == set(y_test) == set(range(9))
    assert np.all(np.bincount(y_train) == 30)  # 30 utterances per speaker in training


def test_kjv():
    text = datasets.load("kjv")
    assert isinstance(text, str) and len(text) > 4_000_000
    assert text.startswith("In the beginning God created the heaven and the earth.")
    assert text.rstrip().endswith("Amen.")
    assert not any(ch in text for ch in "[]0123456789")  # verse numbers and marks removed
    assert "  " not in text


def test_census_names():
    first = datasets.load("census_names")
    assert first[:3] == ["james", "john", "robert"] and len(first) == len(set(first))
    assert all(name.isalpha() and name == name.lower() for name in first)
    male = datasets.load("census_names", which="male")
    female = datasets.load("census_names", which="female", case="title")
    assert len(male) == 1219 and len(female) == 4275 and female[0] == "Mary"
    assert len(first) == len(set(male) | {n.lower() for n in female})
    assert len(datasets.load("census_names", which="last", case="upper")) == 88799
    with pytest.raises(ValueError, match="which must be one of"):
        datasets.load("census_names", which="middle")


def test_amazon_reviews():
    (train_texts, train_labels), (test_texts, test_labels) = datasets.load("amazon_reviews")
    assert len(train_texts) == 4000 and len(test_texts) == 1000
    assert all(isinstance(t, str) and t for t in train_texts + test_texts)
    assert train_labels.dtype == np.int64 and set(train_labels) == {0, 1}
    assert train_labels.sum() == 2600 and test_labels.sum() == 658  # 1 = "great" (5 stars)


# ---------------------------------------------------------------------------------------------
# Online formats, parsed from fixtures
# ---------------------------------------------------------------------------------------------


def test_parse_jena_climate_fixture(fixtures_dir):
    series = datasets.parse_jena_climate(os.path.join(fixtures_dir, "jena_climate_sample.csv.zip"))
    assert series.values.shape == (50, 14) and series.values.dtype == np.float32
    assert series.columns[:2] == ["p (mbar)", "T (degC)"] and series.columns[-1] == "wd (deg)"
    assert str(series.times[0]) == "2009-01-01T00:10:00"
    assert np.all(np.diff(series.times) == np.timedelta64(10, "m"))
    np.testing.assert_allclose(series.column("T (degC)")[:2], [-8.0, -7.98], rtol=1e-6)


def test_parse_text_fixture(fixtures_dir):
    text = datasets.parse_text(os.path.join(fixtures_dir, "tiny_shakespeare_sample.txt"))
    assert text.startswith("First Citizen:\nBefore we proceed") and text.count("\n") == 11


def test_parse_imdb_matches_keras_load_data(fixtures_dir, monkeypatch):  # offline-ok
    """Same ids, labels and order as keras.datasets.imdb.load_data on the same file."""
    import keras

    path = os.path.join(fixtures_dir, "imdb_sample.npz")
    keras_imdb = sys.modules[keras.datasets.imdb.load_data.__module__]
    monkeypatch.setattr(keras_imdb, "get_file", lambda *args, **kwargs: path)
    for options in [
        {},
        {"num_words": 8, "skip_top": 2},
        {"maxlen": 5, "seed": 7},
        {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 6},
    ]:
        ours = datasets.parse_imdb_npz(path, **options)
        reference = keras.datasets.imdb.load_data(**options)  # offline-ok: get_file patched
        for (x, y), (x_ref, y_ref) in zip(ours, reference, strict=True):
            assert [list(s) for s in x] == [list(s) for s in x_ref], options
            np.testing.assert_array_equal(y, y_ref)


# ---------------------------------------------------------------------------------------------
# Cache, checksums and offline errors
# ---------------------------------------------------------------------------------------------


def test_cached_file_with_good_checksum_loads_without_network(fixtures_dir, tmp_path, monkeypatch):
    source = os.path.join(fixtures_dir, "tiny_shakespeare_sample.txt")
    shutil.copy(source, tmp_path / "tiny_shakespeare.txt")
    with_sha256(monkeypatch, "tiny_shakespeare", sha256_of(source))
    text = datasets.load("tiny_shakespeare", cache_dir=tmp_path)
    assert text == datasets.parse_text(source)
    monkeypatch.setenv("COMPANION_DATA", str(tmp_path))  # the environment variable works too
    assert datasets.load("tiny_shakespeare", offline=True) == text


def test_imdb_loads_from_cache(fixtures_dir, tmp_path, monkeypatch):
    source = os.path.join(fixtures_dir, "imdb_sample.npz")
    shutil.copy(source, tmp_path / "imdb.npz")
    with_sha256(monkeypatch, "imdb", sha256_of(source))
    (x_train, y_train), (x_test, y_test) = datasets.load("imdb", cache_dir=tmp_path, num_words=10)
    assert len(x_train) == 5 and len(x_test) == 3 and set(y_train) <= {0, 1}
    assert all(seq[0] == 1 and max(seq) < 10 for seq in x_train)


def test_trust_on_first_use_records_and_checks(fixtures_dir, tmp_path):
    source = os.path.join(fixtures_dir, "jena_climate_sample.csv.zip")
    cached = tmp_path / "jena_climate_2009_2016.csv.zip"
    shutil.copy(source, cached)
    series = datasets.load("jena_climate", cache_dir=tmp_path, offline=True)
    assert series.values.shape == (50, 14)
    record = tmp_path / "jena_climate_2009_2016.csv.zip.sha256"
    assert record.read_text().split()[0] == sha256_of(source)
    cached.write_bytes(b"changed")  # no longer the file first seen: not used
    with pytest.raises(datasets.DatasetUnavailableError, match="seattle_weather"):
        datasets.load("jena_climate", cache_dir=tmp_path, offline=True)


def test_download_is_verified_then_cached(fixtures_dir, tmp_path, monkeypatch, capsys):
    source = os.path.join(fixtures_dir, "tiny_shakespeare_sample.txt")
    with open(source, "rb") as handle:
        payload = handle.read()
    urls = []

    def fake_urlopen(url, timeout):  # offline-ok: a fake
        urls.append(url)
        return io.BytesIO(payload)

    monkeypatch.setattr(datasets.urllib.request, "urlopen", fake_urlopen)  # offline-ok
    with_sha256(monkeypatch, "tiny_shakespeare", sha256_of(source))
    assert datasets.load("tiny_shakespeare", cache_dir=tmp_path).startswith("First Citizen")
    assert urls == [datasets.describe("tiny_shakespeare").url]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny_shakespeare.txt"]
    datasets.load("tiny_shakespeare", cache_dir=tmp_path)  # second load: from the cache
    assert len(urls) == 1

    with_sha256(monkeypatch, "tiny_shakespeare", "0" * 64)  # a corrupted download
    other = tmp_path / "other"
    with pytest.raises(ValueError, match="expected 0000"):
        datasets.load("tiny_shakespeare", cache_dir=other)
    assert list(other.iterdir()) == []  # nothing half-written is kept

    with_sha256(monkeypatch, "tiny_shakespeare", None)  # no published checksum: trust first use
    first = tmp_path / "first"
    datasets.load("tiny_shakespeare", cache_dir=first)
    assert sha256_of(source) in capsys.readouterr().out
    assert (first / "tiny_shakespeare.txt.sha256").read_text().split()[0] == sha256_of(source)


@pytest.mark.parametrize(
    "name, alternative",
    [("jena_climate", "seattle_weather"), ("tiny_shakespeare", "kjv"), ("imdb", "amazon_reviews")],
)
def test_offline_error_names_the_alternative(name, alternative, tmp_path, monkeypatch):
    # network blocked by tests/conftest.py: the clear error, not a raw socket error
    with pytest.raises(datasets.DatasetUnavailableError, match="network unreachable") as err:
        datasets.load(name, cache_dir=tmp_path / "empty")
    assert f"load('{alternative}')" in str(err.value)
    assert datasets.describe(name).url in str(err.value)
    # offline requested: no connection is attempted at all
    with pytest.raises(datasets.DatasetUnavailableError, match="offline mode"):
        datasets.load(name, cache_dir=tmp_path, offline=True)
    monkeypatch.setenv("COMPANION_OFFLINE", "1")
    with pytest.raises(datasets.DatasetUnavailableError, match=f"load\\('{alternative}'\\)"):
        datasets.load(name, cache_dir=tmp_path)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="known datasets") as err:
        datasets.load("sunspot")
    assert "'sunspots'" in str(err.value) and "'kjv'" in str(err.value)
    with pytest.raises(ValueError, match="got name='nope'"):
        datasets.describe("nope")


def test_unknown_option_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['window'\]"):
        datasets.load("sunspots", window=3)
    with pytest.raises(TypeError, match="'interpolate'"):  # the message lists valid options
        datasets.load("co2", interpolat=True)
    with pytest.raises(TypeError, match="offline must be a bool"):
        datasets.load("imdb", offline="yes")
    with pytest.raises(TypeError, match="offline must be a bool"):
        datasets.list_datasets(offline=1)


def test_missing_package_says_what_to_install(monkeypatch):
    real_find_spec = datasets.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "statsmodels" else real_find_spec(name, *args)

    monkeypatch.setattr(datasets.importlib.util, "find_spec", find_spec)
    with pytest.raises(ModuleNotFoundError, match="pip install statsmodels") as err:
        datasets.load("sunspots")
    assert "companion[data]" in str(err.value)


def test_fetch_rejects_offline_entries():
    with pytest.raises(ValueError, match="must be an online dataset"):
        datasets.fetch("sunspots")
