"""Datasets: one registry of real and synthetic data, offline first.

* :mod:`~companion.data.registry`: :func:`load`, :func:`describe`,
  :func:`list_datasets` and the dataset types;
* :mod:`~companion.data.series`: real series (sunspots, CO2, weather, stock
  prices) and the Japanese vowels;
* :mod:`~companion.data.text`: the King James Bible, census names, reviews;
* :mod:`~companion.data.synthetic`: seeded generators (sine, adding problem);
* :mod:`~companion.data.online`: sets that need the network once, and their
  parsers;
* :mod:`~companion.data.downloads`: cache folder, checksums, offline errors;
* :mod:`~companion.data.packages`: reading files that PyPI packages ship.

This package imports NumPy only, never Keras, so it is safe to use before the
backend is chosen.
"""

# The family modules register their entries when imported.
from companion.data import online, series, synthetic, text  # noqa: F401
from companion.data.downloads import default_cache_dir, fetch
from companion.data.online import parse_imdb_npz, parse_jena_climate, parse_text
from companion.data.registry import (
    DatasetInfo,
    DatasetUnavailableError,
    TimeSeries,
    datasets_table_rst,
    describe,
    list_datasets,
    load,
)
from companion.data.series import read_ts

__all__ = [
    "DatasetInfo",
    "DatasetUnavailableError",
    "TimeSeries",
    "datasets_table_rst",
    "default_cache_dir",
    "describe",
    "fetch",
    "list_datasets",
    "load",
    "parse_imdb_npz",
    "parse_jena_climate",
    "parse_text",
    "read_ts",
]
