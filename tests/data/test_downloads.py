"""Tests of companion.data.downloads: cache, checksums, verified downloads, offline errors."""

import io
import os
import shutil

import pytest
from support import sha256_of

from companion import data
from companion.data import downloads


def test_cached_file_with_good_checksum_loads_without_network(
    fixtures_dir, tmp_path, monkeypatch, set_sha256
):
    source = os.path.join(fixtures_dir, "tiny_shakespeare_sample.txt")
    shutil.copy(source, tmp_path / "tiny_shakespeare.txt")
    set_sha256("tiny_shakespeare", sha256_of(source))
    text = data.load("tiny_shakespeare", cache_dir=tmp_path)
    assert text == data.parse_text(source)
    monkeypatch.setenv("COMPANION_DATA", str(tmp_path))  # the environment variable works too
    assert data.load("tiny_shakespeare", offline=True) == text


def test_trust_on_first_use_records_and_checks(fixtures_dir, tmp_path):
    source = os.path.join(fixtures_dir, "jena_climate_sample.csv.zip")
    cached = tmp_path / "jena_climate_2009_2016.csv.zip"
    shutil.copy(source, cached)
    series = data.load("jena_climate", cache_dir=tmp_path, offline=True)
    assert series.values.shape == (50, 14)
    record = tmp_path / "jena_climate_2009_2016.csv.zip.sha256"
    assert record.read_text().split()[0] == sha256_of(source)
    cached.write_bytes(b"changed")  # no longer the file first seen: not used
    with pytest.raises(data.DatasetUnavailableError, match="seattle_weather"):
        data.load("jena_climate", cache_dir=tmp_path, offline=True)


def test_download_is_verified_then_cached(fixtures_dir, tmp_path, monkeypatch, capsys, set_sha256):
    source = os.path.join(fixtures_dir, "tiny_shakespeare_sample.txt")
    with open(source, "rb") as handle:
        payload = handle.read()
    urls = []

    def fake_urlopen(url, timeout):  # offline-ok: a fake
        urls.append(url)
        return io.BytesIO(payload)

    monkeypatch.setattr(downloads.urllib.request, "urlopen", fake_urlopen)  # offline-ok
    set_sha256("tiny_shakespeare", sha256_of(source))
    assert data.load("tiny_shakespeare", cache_dir=tmp_path).startswith("First Citizen")
    assert urls == [data.describe("tiny_shakespeare").url]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny_shakespeare.txt"]
    data.load("tiny_shakespeare", cache_dir=tmp_path)  # second load: from the cache
    assert len(urls) == 1

    set_sha256("tiny_shakespeare", "0" * 64)  # a corrupted download
    other = tmp_path / "other"
    with pytest.raises(ValueError, match="expected 0000"):
        data.load("tiny_shakespeare", cache_dir=other)
    assert list(other.iterdir()) == []  # nothing half-written is kept

    set_sha256("tiny_shakespeare", None)  # no published checksum: trust first use
    first = tmp_path / "first"
    data.load("tiny_shakespeare", cache_dir=first)
    assert sha256_of(source) in capsys.readouterr().out
    assert (first / "tiny_shakespeare.txt.sha256").read_text().split()[0] == sha256_of(source)


@pytest.mark.parametrize(
    "name, alternative",
    [("jena_climate", "seattle_weather"), ("tiny_shakespeare", "kjv"), ("imdb", "amazon_reviews")],
)
def test_offline_error_names_the_alternative(name, alternative, tmp_path, monkeypatch):
    # network blocked by tests/conftest.py: the clear error, not a raw socket error
    with pytest.raises(data.DatasetUnavailableError, match="network unreachable") as err:
        data.load(name, cache_dir=tmp_path / "empty")
    assert f"load('{alternative}')" in str(err.value)
    assert data.describe(name).url in str(err.value)
    # offline requested: no connection is attempted at all
    with pytest.raises(data.DatasetUnavailableError, match="offline mode"):
        data.load(name, cache_dir=tmp_path, offline=True)
    monkeypatch.setenv("COMPANION_OFFLINE", "1")
    with pytest.raises(data.DatasetUnavailableError, match=f"load\\('{alternative}'\\)"):
        data.load(name, cache_dir=tmp_path)


def test_fetch_rejects_offline_entries():
    with pytest.raises(ValueError, match="must be an online dataset"):
        data.fetch("sunspots")
