"""Shared fixtures of the data tests.

The online formats are parsed from small fixture files in ``tests/fixtures``:

* ``jena_climate_sample.csv.zip``: 50 rows in the Jena csv format (quoted header, 10-minute
  ``dd.mm.yyyy HH:MM:SS`` stamps from 01.01.2009 00:10:00, 14 numbers), values made up.
* ``tiny_shakespeare_sample.txt``: the first eleven lines of the Tiny Shakespeare corpus.
* ``imdb_sample.npz``: the Keras ``imdb.npz`` layout (ragged object arrays of word ranks and
  0/1 labels) with 5 train and 3 test reviews of made-up ids.
* ``sample_multivariate.ts``: 3 series of 2 channels in the sktime ``.ts`` format, with a
  missing value ``?``.
"""

import dataclasses

import pytest

from companion.data import registry


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    monkeypatch.delenv("COMPANION_OFFLINE", raising=False)
    monkeypatch.delenv("COMPANION_DATA", raising=False)


@pytest.fixture
def set_sha256(monkeypatch):
    """Points a registry entry at another checksum (a fixture file's) for one test."""

    def point(name, sha256):
        info, loader = registry._REGISTRY[name]
        replaced = (dataclasses.replace(info, sha256=sha256), loader)
        monkeypatch.setitem(registry._REGISTRY, name, replaced)

    return point
