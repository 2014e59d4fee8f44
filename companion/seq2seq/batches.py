"""Batches of sentences of similar length, trimmed to the batch's own padding.

Padding every sentence of a corpus to its longest one makes a recurrent
encoder read mostly padding: dates range from 6 to 72 characters, verses from
2 to 80 words. :class:`LengthBuckets` sorts the pairs by source length (with
a little seeded noise so batches change between runs of different seeds),
cuts them into batches, and trims each batch's padding to its longest
sentence rounded up to a multiple of ``width_step``. The rounding keeps the
number of distinct shapes small: each new shape costs a compilation on JAX
and TensorFlow. The batches are shuffled at every epoch.

Trimming is exact for post-padded ids: the columns removed are padding in
every row of the batch.

The first two batches of every epoch are the narrowest and the widest:
on TensorFlow, Keras reads the shapes of a ``PyDataset``'s first two batches
to declare which axes vary, so both extremes must be among them.
"""

import keras
import numpy as np

from companion.checks import check_int


def _padded_ids(name, ids, rows=None):
    ids = np.asarray(ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"{name} must be a 2-D int array (N, T) (got shape {ids.shape}, dtype {ids.dtype})"
        )
    if rows is not None and len(ids) != rows:
        raise ValueError(
            f"{name} must have one row per source sentence, {rows} (got {len(ids)} rows)"
        )
    return ids


class LengthBuckets(keras.utils.PyDataset):
    """Teacher-forcing batches ``((source, decoder_inputs), labels)`` grouped by length.

    Args:
        source_ids: int array ``(N, S)``, padded with 0 at the end.
        decoder_inputs: int array ``(N, T)``, padded with 0 at the end.
        labels: int array ``(N, T)``, padded with 0 at the end.
        batch_size: int >= 1. Pairs per batch.
        width_step: int >= 1. Each trimmed width is a multiple of this (or the
            full width). Defaults to 16.
        seed: int. Seed of the noise in the sort and of the shuffles. Defaults to 0.
        **kwargs: passed to ``keras.utils.PyDataset`` (``workers``, ...).

    Example:

    >>> source = np.array([[5, 0, 0, 0], [5, 6, 7, 8], [5, 6, 0, 0], [5, 0, 0, 0]])
    >>> targets = np.ones((4, 3), "int32")
    >>> batches = LengthBuckets(source, targets, targets, batch_size=2, width_step=1)
    >>> sorted(batch[0][0].shape[1] for batch in batches)
    [1, 4]
    """

    def __init__(
        self, source_ids, decoder_inputs, labels, batch_size, width_step=16, seed=0, **kwargs
    ):
        super().__init__(**kwargs)
        self.source_ids = _padded_ids("source_ids", source_ids)
        rows = len(self.source_ids)
        self.decoder_inputs = _padded_ids("decoder_inputs", decoder_inputs, rows)
        self.labels = _padded_ids("labels", labels, rows)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        self.width_step = check_int("width_step", width_step, minimum=1)
        self.rng = np.random.default_rng(check_int("seed", seed, minimum=0))
        lengths = (self.source_ids != 0).sum(axis=1) + self.rng.uniform(0, 1, rows)  # (N,)
        order = np.argsort(lengths, kind="stable")  # shortest first, ties broken by noise
        self.batches = [order[i : i + batch_size] for i in range(0, rows, batch_size)]
        self.rng.shuffle(self.batches)
        self._extremes_first()

    def _widths(self, rows):
        source_width = self.width(self.source_ids, rows)
        target_width = max(self.width(self.labels, rows), self.width(self.decoder_inputs, rows))
        return source_width, target_width

    def _extremes_first(self):
        """Moves the narrowest and the widest batch to the front (see the module's note)."""
        widths = [self._widths(rows) for rows in self.batches]
        narrowest = min(range(len(widths)), key=widths.__getitem__)
        widest = max(range(len(widths)), key=widths.__getitem__)
        front = [self.batches[narrowest]]
        if widest != narrowest:
            front.append(self.batches[widest])
        rest = [b for i, b in enumerate(self.batches) if i not in (narrowest, widest)]
        self.batches = front + rest

    def __len__(self):
        return len(self.batches)

    def on_epoch_end(self):
        self.rng.shuffle(self.batches)
        self._extremes_first()  # a later fit() on this dataset reads them again

    def width(self, ids, rows):
        """The batch's longest sentence, rounded up to a multiple of ``width_step``."""
        longest = max(int((ids[rows] != 0).sum(axis=1).max()), 1)
        rounded = -(-longest // self.width_step) * self.width_step
        return min(rounded, ids.shape[1])

    def __getitem__(self, index):
        rows = self.batches[index]
        source_width, target_width = self._widths(rows)
        source = self.source_ids[rows, :source_width]  # (B, S')
        decoder_inputs = self.decoder_inputs[rows, :target_width]  # (B, T')
        return (source, decoder_inputs), self.labels[rows, :target_width]
