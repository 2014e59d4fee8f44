"""Tests of companion.data.online: parsers on fixture files, checksums, loading from the cache."""

import os
import shutil
import sys

import numpy as np
from support import sha256_of

from companion import data


def test_published_checksums():
    assert data.describe("tiny_shakespeare").sha256.startswith("86c4e6aa")
    assert data.describe("imdb").sha256.startswith("69664113")
    assert data.describe("jena_climate").sha256 is None  # none published: trust on first use


def test_parse_jena_climate_fixture(fixtures_dir):
    series = data.parse_jena_climate(os.path.join(fixtures_dir, "jena_climate_sample.csv.zip"))
    assert series.values.shape == (50, 14) and series.values.dtype == np.float32
    assert series.columns[:2] == ["p (mbar)", "T (degC)"] and series.columns[-1] == "wd (deg)"
    assert str(series.times[0]) == "2009-01-01T00:10:00"
    assert np.all(np.diff(series.times) == np.timedelta64(10, "m"))
    np.testing.assert_allclose(series.column("T (degC)")[:2], [-8.0, -7.98], rtol=1e-6)


def test_parse_text_fixture(fixtures_dir):
    text = data.parse_text(os.path.join(fixtures_dir, "tiny_shakespeare_sample.txt"))
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
        ours = data.parse_imdb_npz(path, **options)
        reference = keras.datasets.imdb.load_data(**options)  # offline-ok: get_file patched
        for (x, y), (x_ref, y_ref) in zip(ours, reference, strict=True):
            assert [list(s) for s in x] == [list(s) for s in x_ref], options
            np.testing.assert_array_equal(y, y_ref)


def test_imdb_loads_from_cache(fixtures_dir, tmp_path, monkeypatch, set_sha256):
    source = os.path.join(fixtures_dir, "imdb_sample.npz")
    shutil.copy(source, tmp_path / "imdb.npz")
    set_sha256("imdb", sha256_of(source))
    (x_train, y_train), (x_test, y_test) = data.load("imdb", cache_dir=tmp_path, num_words=10)
    assert len(x_train) == 5 and len(x_test) == 3 and set(y_train) <= {0, 1}
    assert all(seq[0] == 1 and max(seq) < 10 for seq in x_train)
