"""Tests of companion.data.synthetic: seeded generators give what their docstrings say."""

import numpy as np
import pytest

from companion import data


def test_sine_is_seeded():
    a = data.load("sine", length=200, period=20.0, noise=0.0, seed=3)
    b = data.load("sine", length=200, period=20.0, noise=0.5, seed=3)
    c = data.load("sine", length=200, period=20.0, noise=0.5, seed=3)
    assert a.values.shape == (200,) and a.values.dtype == np.float32
    np.testing.assert_allclose(a.values, np.sin(2 * np.pi * np.arange(200) / 20), atol=1e-6)
    np.testing.assert_array_equal(b.values, c.values)
    assert not np.allclose(a.values, b.values)
    with pytest.raises(ValueError, match="period must be a finite number in \\(0, inf\\)"):
        data.load("sine", period=0)


def test_adding_problem_targets_are_the_marked_sums():
    inputs, targets = data.load("adding_problem", n=64, length=30, seed=1)
    assert inputs.shape == (64, 30, 2) and targets.shape == (64, 1)
    assert inputs.dtype == np.float32 and targets.dtype == np.float32
    values, markers = inputs[..., 0], inputs[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1)  # one marker in each half
    assert np.all((values >= 0) & (values <= 1))
    expected = np.array([values[i, markers[i] == 1].sum() for i in range(64)])
    np.testing.assert_allclose(targets[:, 0], expected, rtol=1e-6)
    again, _ = data.load("adding_problem", n=64, length=30, seed=1)
    np.testing.assert_array_equal(inputs, again)
    with pytest.raises(ValueError, match="length must be an int >= 2"):
        data.load("adding_problem", length=1)
    with pytest.raises(TypeError, match="n must be an int"):
        data.load("adding_problem", n=2.5)
