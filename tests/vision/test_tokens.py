"""Tests of companion.vision.tokens: the class token, grid positions and their interpolation."""

import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer

from companion import vision


def test_class_token_is_prepended_to_every_sequence(rng, tmp_path):
    tokens = rng.normal(size=(3, 4, 6)).astype("float32")
    layer = vision.ClassToken()
    out = ops.convert_to_numpy(layer(tokens))
    token = ops.convert_to_numpy(layer.token)[0, 0]
    assert out.shape == (3, 5, 6)
    np.testing.assert_array_equal(out[:, 1:], tokens)
    np.testing.assert_array_equal(out[:, 0], np.tile(token, (3, 1)))
    check_layer(vision.ClassToken, tokens, tmp_path)


def test_grid_positions_add_one_vector_per_token(rng, tmp_path):
    tokens = rng.normal(size=(2, 10, 4)).astype("float32")
    layer = vision.GridPositionEmbedding(grid_size=3)
    out = ops.convert_to_numpy(layer(tokens))
    np.testing.assert_allclose(
        out - tokens, np.tile(ops.convert_to_numpy(layer.positions), (2, 1, 1)), atol=1e-6
    )
    check_layer(lambda: vision.GridPositionEmbedding(grid_size=3), tokens, tmp_path)
    with pytest.raises(ValueError, match=r"10 in all \(got shape \(2, 9, 4\)\)"):
        layer(tokens[:, 1:])


def test_interpolation_keeps_the_class_token_and_a_constant_grid(rng):
    class_vector = rng.normal(size=(1, 4))
    grid = np.tile(rng.normal(size=(1, 4)), (9, 1))  # every patch the same vector
    table = np.concatenate([class_vector, grid]).astype("float32")
    bigger = ops.convert_to_numpy(vision.interpolate_positions(table, 3, 6))
    assert bigger.shape == (37, 4)
    np.testing.assert_allclose(bigger[0], class_vector[0], atol=1e-6)
    np.testing.assert_allclose(bigger[1:], np.tile(grid[0], (36, 1)), atol=1e-5)
    same = ops.convert_to_numpy(vision.interpolate_positions(table, 3, 3))
    np.testing.assert_allclose(same, table, atol=1e-6)
    with pytest.raises(ValueError, match=r"must be a \(10, D\) table for grid_size=3"):
        vision.interpolate_positions(table[:5], 3, 6)


def test_interpolation_follows_a_linear_ramp(rng):
    rows = np.repeat(np.arange(4.0), 4)  # the row index of each patch of a 4 x 4 grid
    table = rows[:, None].astype("float32")  # (16, 1), no class token
    bigger = ops.convert_to_numpy(vision.interpolate_positions(table, 4, 8, class_token=False))
    column = bigger.reshape(8, 8)[:, 0]
    assert np.all(np.diff(column) >= 0) and column[0] == 0.0 and column[-1] == 3.0


def test_position_similarity_is_one_on_the_diagonal(rng):
    table = rng.normal(size=(17, 8))
    similarity = vision.position_similarity(table)
    assert similarity.shape == (4, 4, 4, 4)
    np.testing.assert_allclose([similarity[r, c, r, c] for r in range(4) for c in range(4)], 1.0)
    with pytest.raises(ValueError, match=r"square grid of patches \(got 15 patch rows\)"):
        vision.position_similarity(table[:16])
