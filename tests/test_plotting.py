"""Tests of companion.plotting: labelled figures, clear errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion import plotting  # noqa: E402


def teardown_function():
    plt.close("all")


def test_plot_series_labels_axes_and_lines():
    _, axes = plotting.new_axes()
    plotting.plot_series(axes, np.arange(5), np.ones((5, 2)), ["a", "b"], "T", "time", "value")
    assert axes.get_xlabel() == "time" and axes.get_ylabel() == "value"
    assert [line.get_label() for line in axes.get_lines()] == ["a", "b"]


def test_plot_series_rejects_wrong_number_of_labels():
    _, axes = plotting.new_axes()
    with pytest.raises(ValueError, match="got 1 labels for 2 columns"):
        plotting.plot_series(axes, np.arange(5), np.ones((5, 2)), ["a"], "T", "t", "v")


def test_plot_history_draws_training_and_validation():
    _, axes = plotting.new_axes()
    plotting.plot_history(axes, {"loss": [3, 2, 1], "val_loss": [4, 3, 2]})
    assert len(axes.get_lines()) == 2 and axes.get_xlabel() == "epoch"


def test_plot_history_names_the_missing_metric():
    _, axes = plotting.new_axes()
    with pytest.raises(ValueError, match=r"metric must be one of \['loss'\]"):
        plotting.plot_history(axes, {"loss": [1.0]}, metric="accuracy")


def test_plot_matrix_writes_every_value():
    _, axes = plotting.new_axes()
    plotting.plot_matrix(axes, np.arange(6).reshape(2, 3), "M", "column", "row")
    assert sorted(t.get_text() for t in axes.texts) == ["0", "1", "2", "3", "4", "5"]


def test_plot_matrix_rejects_wrong_rank():
    _, axes = plotting.new_axes()
    with pytest.raises(ValueError, match="rank 2"):
        plotting.plot_matrix(axes, np.ones(3), "M", "x", "y")


def test_dates_get_few_concise_labels():
    days = np.arange("2012-01-01", "2016-01-01", dtype="datetime64[D]")
    figure, axes = plotting.new_axes(width=4.0)
    plotting.plot_series(axes, days, np.arange(len(days)), ["x"], "T", "date", "v")
    figure.canvas.draw()
    ticks = [t for t in axes.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 2 and all(len(t.get_text()) <= 5 for t in ticks)  # "2013", "Jul"
    boxes = [t.get_window_extent() for t in ticks]
    assert all(a.x1 < b.x0 for a, b in zip(boxes[:-1], boxes[1:], strict=True)), "labels overlap"


def test_new_axes_checks_its_grid():
    with pytest.raises(ValueError, match="ncols must be an int >= 1"):
        plotting.new_axes(ncols=0)
    with pytest.raises(ValueError, match="height must be a finite number"):
        plotting.new_axes(height=-1.0)
