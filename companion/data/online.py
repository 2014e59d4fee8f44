"""Datasets that need the network once: Jena climate, Tiny Shakespeare, IMDB.

Each has one parsing function per file format, tested on small fixture files,
and a registry entry whose loader calls :func:`~companion.data.downloads.fetch`.
"""

import csv
import io
import pathlib
import pickle
import zipfile

import numpy as np

from companion.data.downloads import fetch
from companion.data.registry import TimeSeries, register


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


@register(
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


@register(
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


@register(
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
