"""Preparing sequential data for a network: windows, splits, scaling, padding.

* :mod:`~companion.sequences.windows`: :func:`sliding_windows` and
  :func:`chronological_split` for forecasting;
* :mod:`~companion.sequences.scaling`: :class:`StandardScaler`, fitted on the
  training part only;
* :mod:`~companion.sequences.padding`: :func:`pad_sequences`, with the mask.

NumPy in, NumPy out: these steps run once, on the host, before training.
Each is checked equal to the Keras utility that does the same job.
"""

from companion.sequences.padding import pad_sequences
from companion.sequences.scaling import StandardScaler
from companion.sequences.windows import chronological_split, sliding_windows

__all__ = ["StandardScaler", "chronological_split", "pad_sequences", "sliding_windows"]
