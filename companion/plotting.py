"""Small matplotlib helpers shared by the chapters.

Every figure has labelled axes and a title; the helpers return the axes so a
chapter can add to them. They take NumPy arrays (call
``keras.ops.convert_to_numpy`` on tensors first).
"""

import matplotlib.axes
import matplotlib.dates
import matplotlib.pyplot as plt
import numpy as np

from companion.checks import check_float, check_int


def new_axes(ncols=1, nrows=1, width=6.0, height=3.5, **kwargs):
    """Creates a figure with ``nrows * ncols`` axes of the given panel size.

    Args:
        ncols, nrows: int >= 1. The grid. Default to `1`.
        width, height: float > 0. The size of one panel, in inches. Default to
            `6.0` and `3.5`.
        **kwargs: passed to ``matplotlib.pyplot.subplots`` (``sharey=True``, ...).

    Returns:
        ``(figure, axes)``; ``axes`` is a single ``Axes`` when there is one.
    """
    ncols, nrows = check_int("ncols", ncols, minimum=1), check_int("nrows", nrows, minimum=1)
    width = check_float("width", width, minimum=0.0, open_minimum=True)
    height = check_float("height", height, minimum=0.0, open_minimum=True)
    figure, axes = plt.subplots(
        nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained", **kwargs
    )
    return figure, axes


def label(axes, title, xlabel, ylabel, legend=False):
    """Sets the title and axis labels (and the legend when asked); returns ``axes``."""
    if not isinstance(axes, matplotlib.axes.Axes):
        raise TypeError(f"axes must be matplotlib Axes (got {type(axes).__name__})")
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if legend:
        axes.legend()
    return axes


def concise_dates(axes, max_ticks=6):
    """Puts a few short date labels (``2013``, ``Jul``, ...) on the x axis: none overlap.

    Args:
        axes: matplotlib axes whose x values are dates.
        max_ticks: int >= 2. At most this many labelled ticks. Defaults to `6`.

    Returns:
        ``axes``.
    """
    if not isinstance(axes, matplotlib.axes.Axes):
        raise TypeError(f"axes must be matplotlib Axes (got {type(axes).__name__})")
    locator = matplotlib.dates.AutoDateLocator(maxticks=check_int("max_ticks", max_ticks, 2))
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
    return axes


def plot_series(axes, x, series, labels, title, xlabel, ylabel):
    """Draws one line per column of ``series`` against ``x``.

    Args:
        axes: the matplotlib axes to draw on.
        x: array of shape ``(T,)``: times, dates or indices. Dates get
            short, non-overlapping labels (:func:`concise_dates`).
        series: array of shape ``(T,)`` or ``(T, F)``.
        labels: list of str, one per column.
        title, xlabel, ylabel: str.
    """
    series = np.asarray(series)
    series = series[:, None] if series.ndim == 1 else series
    if len(labels) != series.shape[1]:
        raise ValueError(
            f"labels must have one entry per column of series "
            f"(got {len(labels)} labels for {series.shape[1]} columns)"
        )
    for column, name in zip(series.T, labels, strict=True):
        axes.plot(x, column, label=name, linewidth=1.0)
    if np.issubdtype(np.asarray(x).dtype, np.datetime64):
        concise_dates(axes)
    return label(axes, title, xlabel, ylabel, legend=len(labels) > 1)


def plot_history(axes, history, metric="loss", title=None):
    """Draws the training and validation curves of a Keras ``History``.

    Args:
        axes: the matplotlib axes to draw on.
        history: a ``keras.callbacks.History`` or its ``.history`` dict.
        metric: str. The metric to draw. Defaults to ``"loss"``.
        title: str or None. Defaults to the metric's name.
    """
    curves = getattr(history, "history", history)
    if metric not in curves:
        raise ValueError(f"metric must be one of {sorted(curves)} (got metric={metric!r})")
    epochs = np.arange(1, len(curves[metric]) + 1)
    axes.plot(epochs, curves[metric], label=f"training {metric}")
    if f"val_{metric}" in curves:
        axes.plot(epochs, curves[f"val_{metric}"], label=f"validation {metric}")
    return label(axes, title or metric, "epoch", metric, legend=True)


def plot_matrix(axes, matrix, title, xlabel, ylabel, annotate=True, fmt="{:g}"):
    """Draws a matrix as an image, with each entry written in its cell.

    Args:
        axes: the matplotlib axes to draw on.
        matrix: 2-D array.
        title, xlabel, ylabel: str.
        annotate: bool. Write the values in the cells. Defaults to `True`.
        fmt: str. Format of the written values. Defaults to ``"{:g}"``.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must have rank 2 (got shape {matrix.shape})")
    axes.imshow(matrix, cmap="Blues")
    if annotate:
        threshold = matrix.min() + 0.6 * (matrix.max() - matrix.min())
        for (row, col), value in np.ndenumerate(matrix):
            color = "white" if value > threshold else "black"
            axes.text(col, row, fmt.format(value), ha="center", va="center", color=color)
    axes.set_xticks(range(matrix.shape[1]))
    axes.set_yticks(range(matrix.shape[0]))
    return label(axes, title, xlabel, ylabel)
