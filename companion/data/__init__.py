"""Datasets: one registry of real and synthetic data, offline first.

* :mod:`~companion.data.registry`: :func:`load`, :func:`describe`,
  :func:`list_datasets` and the dataset types;
* :mod:`~companion.data.series`: real series (sunspots, CO2, weather, stock
  prices) and the Japanese vowels;
* :mod:`~companion.data.text`: the King James Bible, census names, reviews,
  and :func:`interleaved_split` (train, validation and test blocks of a text);
* :mod:`~companion.data.synthetic`: seeded generators (sine, adding problem);
* :mod:`~companion.data.images`: labelled images (MNIST 5,000 digits, 8x8 digits, CIFAR-10)
  for the Vision Transformer;
* :mod:`~companion.data.parallel`: verse-aligned Bible translations (KJV, BBE, ...) for
  translation and style transfer, split by book;
* :mod:`~companion.data.dates`: a seeded date-normalisation task (English and French
  dates to ISO), the laboratory for sequence to sequence with attention;
* :mod:`~companion.data.online`: sets that need the network once, and their
  parsers;
* :mod:`~companion.data.downloads`: cache folder, checksums, offline errors;
* :mod:`~companion.data.packages`: reading files that PyPI packages ship.

This package imports NumPy only, never Keras, so it is safe to use before the
backend is chosen.
"""

# The family modules register their entries when imported.
from companion.data import dates, images, online, parallel, series, synthetic, text  # noqa: F401
from companion.data.dates import DatePairs, date_formats, format_date
from companion.data.downloads import default_cache_dir, fetch
from companion.data.images import ImageSet, load_digits_8x8, load_mnist_5k, parse_cifar10
from companion.data.online import parse_imdb_npz, parse_jena_climate, parse_text
from companion.data.parallel import (
    BOOKS,
    TEST_BOOKS,
    VALIDATION_BOOKS,
    ParallelText,
    book_of,
    parse_bible_source,
    read_bible,
    verse_name,
)
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
from companion.data.text import interleaved_split

__all__ = [
    "BOOKS",
    "DatasetInfo",
    "DatasetUnavailableError",
    "DatePairs",
    "ImageSet",
    "ParallelText",
    "TEST_BOOKS",
    "TimeSeries",
    "VALIDATION_BOOKS",
    "book_of",
    "datasets_table_rst",
    "date_formats",
    "default_cache_dir",
    "describe",
    "fetch",
    "format_date",
    "interleaved_split",
    "list_datasets",
    "load",
    "load_digits_8x8",
    "load_mnist_5k",
    "parse_imdb_npz",
    "parse_jena_climate",
    "parse_bible_source",
    "parse_cifar10",
    "parse_text",
    "read_bible",
    "read_ts",
    "verse_name",
]
