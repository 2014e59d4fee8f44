"""Benchmarks of companion.sequences against the Keras utilities.

* windowing: a 20,000-step series cut into (window 64, horizon 1, stride 1)
  pairs, from scratch (``sliding_window_view`` then one copy) against
  ``keras.utils.timeseries_dataset_from_array`` with its batches collected
  into NumPy arrays, so both variants end with the same two arrays;
* padding: 10,000 id sequences of random length 1..200 padded to the longest,
  from scratch against ``keras.utils.pad_sequences``.

Both sides are NumPy (or tf.data, whatever the backend): no spread across
backends is reported. Goals: no slower than Keras's utilities (padding may
take 1.2x: ours also checks the ids and returns the mask).
"""

import numpy as np

from benchmarks.core import Benchmark, Goal

SERIES_LENGTH = 20_000  # Keras takes seconds per call at this size already
WINDOW = 64
HORIZON = 1
NUM_SEQUENCES = 10_000
MAX_LENGTH = 200

WINDOW_GROUP = f"windowing, T={SERIES_LENGTH}, window={WINDOW}, horizon={HORIZON}"
PADDING_GROUP = f"padding, N={NUM_SEQUENCES} id sequences of length 1..{MAX_LENGTH}"


def _series():
    return np.random.default_rng(0).normal(size=SERIES_LENGTH).astype("float32")  # (T,)


def _id_sequences():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, MAX_LENGTH + 1, size=NUM_SEQUENCES)
    return [rng.integers(1, 20_000, size=length).tolist() for length in lengths]


def make_windows_scratch():
    from companion.sequences import sliding_windows

    series = _series()
    return lambda: sliding_windows(series, WINDOW, horizon=HORIZON, stride=1)


def make_windows_keras():
    import keras

    series = _series()[:, None]  # (T, 1), as ours

    def run():
        dataset = keras.utils.timeseries_dataset_from_array(
            series[:-HORIZON],
            series[WINDOW:],
            sequence_length=WINDOW,
            sequence_stride=1,
            batch_size=4096,
            shuffle=False,
        )
        inputs, targets = [], []
        for x, y in dataset:
            inputs.append(np.asarray(x))  # (B, w, 1)
            targets.append(np.asarray(y))  # (B, 1)
        return np.concatenate(inputs), np.concatenate(targets)

    return run


def make_padding_scratch():
    from companion.sequences import pad_sequences

    sequences = _id_sequences()
    return lambda: pad_sequences(sequences)


def make_padding_keras():
    import keras

    sequences = _id_sequences()
    return lambda: keras.utils.pad_sequences(sequences, padding="post", truncating="post")


BENCHMARKS = [
    Benchmark(
        WINDOW_GROUP,
        "from scratch",
        make_windows_scratch,
        goals=(Goal("ratio", 1.0),),
        backend_bound=False,
    ),
    Benchmark(WINDOW_GROUP, "keras", make_windows_keras, baseline=True, backend_bound=False),
    Benchmark(
        PADDING_GROUP,
        "from scratch",
        make_padding_scratch,
        goals=(Goal("ratio", 1.2),),
        backend_bound=False,
    ),
    Benchmark(PADDING_GROUP, "keras", make_padding_keras, baseline=True, backend_bound=False),
]
