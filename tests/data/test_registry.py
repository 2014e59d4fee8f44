"""Tests of companion.data.registry: names, metadata, options, the book's table."""

import pytest

from companion import data

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
    "bible_pairs",
    "mnist_5k",
    "digits",
]


SYNTHETIC = ["sine", "adding_problem", "dates"]


ONLINE = ["cifar10", "imdb", "jena_climate", "tiny_shakespeare"]


def test_list_datasets_names_and_filters():
    assert data.list_datasets() == sorted(OFFLINE_REAL + SYNTHETIC + ONLINE)
    assert data.list_datasets(offline=True) == sorted(OFFLINE_REAL + SYNTHETIC)
    assert data.list_datasets(offline=False) == ONLINE


@pytest.mark.parametrize("name", sorted(OFFLINE_REAL + SYNTHETIC + ONLINE))
def test_metadata_is_complete(name):
    info = data.describe(name)
    assert info.name == name
    for field in ("title", "kind", "source", "licence", "size", "citation", "doc"):
        assert isinstance(getattr(info, field), str) and len(getattr(info, field)) > 3, field
    assert "Returns" in info.doc
    if name in ONLINE:
        assert not info.offline
        assert info.url.startswith("https://") and info.filename
        assert info.alternative in data.list_datasets(offline=True)
        assert info.sha256 is None or len(info.sha256) == 64
    else:
        assert info.offline and info.url is None and info.sha256 is None
    if name in SYNTHETIC:
        assert "synthetic" in info.title and info.package is None
    if name in OFFLINE_REAL:
        assert info.package in info.source.split(":")[0]


def test_datasets_table_rst_lists_every_entry():
    table = data.datasets_table_rst()
    assert table.startswith(".. list-table::")
    rows = [line for line in table.splitlines() if line.startswith("   * - ")]
    assert len(rows) == len(data.list_datasets()) + 1  # + header row
    for name in data.list_datasets():
        assert f"   * - ``{name}``" in table
    assert table.count("     - ") == 3 * len(rows)  # four cells per row: it fits the page
    for name in data.list_datasets():  # the rest of each entry follows the table
        assert data.describe(name).licence in table


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="known datasets") as err:
        data.load("sunspot")
    assert "'sunspots'" in str(err.value) and "'kjv'" in str(err.value)
    with pytest.raises(ValueError, match="got name='nope'"):
        data.describe("nope")


def test_unknown_option_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['window'\]"):
        data.load("sunspots", window=3)
    with pytest.raises(TypeError, match="'interpolate'"):  # the message lists valid options
        data.load("co2", interpolat=True)
    with pytest.raises(TypeError, match="offline must be a bool"):
        data.load("imdb", offline="yes")
    with pytest.raises(TypeError, match="offline must be a bool"):
        data.list_datasets(offline=1)
