"""Tests of companion.vision.rollout against the formula written out in NumPy."""

import numpy as np
import pytest

from companion import vision


def _random_attention(rng, batch=2, heads=3, tokens=5):
    scores = rng.normal(size=(batch, heads, tokens, tokens))
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def test_rollout_equals_the_product_of_the_mixed_blocks(rng):
    blocks = [_random_attention(rng) for _ in range(3)]
    expected = []
    for b in range(2):
        flow = np.eye(5)
        for block in blocks:
            mixed = 0.5 * block[b].mean(axis=0) + 0.5 * np.eye(5)
            mixed /= mixed.sum(axis=1, keepdims=True)
            flow = mixed @ flow
        row = flow[0, 1:]
        expected.append((row / row.sum()).reshape(2, 2))
    np.testing.assert_allclose(vision.attention_rollout(blocks), np.stack(expected), atol=1e-12)


def test_a_class_token_that_only_sees_itself_gives_an_empty_map():
    itself = np.broadcast_to(np.eye(5), (1, 2, 5, 5))
    maps = vision.attention_rollout([itself, itself])
    np.testing.assert_array_equal(maps, np.zeros((1, 2, 2)))


def test_class_token_attention_is_row_zero_per_head(rng):
    block = _random_attention(rng, batch=1, heads=2, tokens=10)
    maps = vision.class_token_attention(block)
    assert maps.shape == (1, 2, 3, 3)
    np.testing.assert_allclose(maps[0, 1], block[0, 1, 0, 1:].reshape(3, 3))
    with pytest.raises(
        ValueError,
        match=r"weights must have the class token then a square grid .*\(got 5 patches\)",
    ):
        vision.class_token_attention(_random_attention(rng, tokens=6))


def test_mass_inside_box_spreads_each_patch_over_its_pixels():
    images = np.zeros((3, 4, 4))
    images[:, 0:2, 0:2] = 1.0  # the object fills the top-left patch of a 2 x 2 grid
    images[2] = 0.0
    images[2, 1, 1] = 1.0  # a one-pixel object: a quarter of its patch
    maps = np.array(
        [[[1.0, 0.0], [0.0, 0.0]], [[0.25, 0.25], [0.25, 0.25]], [[1.0, 0.0], [0.0, 0.0]]]
    )
    inside, box_share = vision.mass_inside_box(maps, images)
    np.testing.assert_allclose(inside, [1.0, 0.25, 0.25])
    np.testing.assert_allclose(box_share, [0.25, 0.25, 1 / 16])
    with pytest.raises(ValueError, match=r"multiples of the maps' side 3"):
        vision.mass_inside_box(np.ones((3, 3, 3)), images)


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match=r"one per block \(got shapes \[\(2, 5, 5\)\]\)"):
        vision.attention_rollout([np.ones((2, 5, 5))])
    with pytest.raises(ValueError, match=r"residual must be in \[0, 1\] \(got residual=2\)"):
        vision.attention_rollout([np.ones((1, 1, 5, 5))], residual=2)
