"""Tests of companion.vision.augment: shifts move pixels, keep them, and follow the seed."""

import numpy as np
import pytest

from companion import vision


def test_shifts_move_a_pixel_within_the_range_and_keep_it(rng):
    images = np.zeros((200, 9, 9, 1), "float32")
    images[:, 4, 4, 0] = 1.0
    moved = vision.random_shifts(images, 2, seed=1)
    where = np.nonzero(moved[..., 0].reshape(200, -1) > 0)[1]  # flat index of each image's pixel
    rows, columns = where // 9, where % 9
    assert moved.sum() == 200.0  # nothing lost: the pixel stays inside the border
    assert set(rows) == set(range(2, 7)) and set(columns) == set(range(2, 7))


def test_the_same_seed_gives_the_same_shifts_and_zero_gives_the_input(rng):
    images = rng.normal(size=(5, 6, 6, 2))
    np.testing.assert_array_equal(
        vision.random_shifts(images, 1, seed=4), vision.random_shifts(images, 1, seed=4)
    )
    np.testing.assert_array_equal(vision.random_shifts(images, 0), images)


def test_augmented_epochs_stack_fresh_copies(rng):
    images = rng.normal(size=(4, 6, 6, 1))
    x, y = vision.augmented_epochs(images, np.arange(4), epochs=3, max_shift=1)
    assert x.shape == (12, 6, 6, 1) and y.tolist() == [0, 1, 2, 3] * 3
    assert not np.array_equal(x[:4], x[4:8])
    with pytest.raises(ValueError, match=r"shape \(N, height, width, channels\)"):
        vision.random_shifts(images[0], 1)
