"""Benchmarks of companion.recurrent against Keras's recurrent layers.

One training step (forward, backward and a plain SGD update, through
``model.train_on_batch``: compiled on JAX and TensorFlow, eager on PyTorch)
of a single recurrent layer with batch 32, T = 100 steps, 128 input features
and 128 units, loss MSE on the last output. For the LSTM and the GRU, three
variants with the same computation:

* ``keras`` (baseline): ``keras.layers.LSTM`` / ``keras.layers.GRU``
  (``reset_after=True``, Keras's default);
* ``cell loop``: our cell inside ``keras.layers.RNN`` (input product at every
  step);
* ``fast path``: ``recurrent.LSTM`` / ``recurrent.GRU`` (the backend's fused
  kernel where one matches, else all input products in one matrix product and
  the recurrence in the loop);
* ``readable loop``: the same layer with ``use_fused_kernel=False``.

Goals: the fast path within 1.2x of the Keras layer on every backend, and
its spread across backends within 3x.
"""

import numpy as np

from benchmarks.core import Benchmark, Goal

BATCH, STEPS, FEATURES, UNITS = 32, 100, 128, 128
GROUP = f"{{}} train step, B={BATCH}, T={STEPS}, D={FEATURES}, U={UNITS}"


def _train_step(make_layer):
    """Returns a zero-argument function running one training step of the layer."""
    import keras

    from companion import runtime

    runtime.set_seed(0)
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), make_layer()])
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    targets = rng.normal(size=(BATCH, UNITS)).astype("float32")
    return lambda: model.train_on_batch(inputs, targets)


def make_keras_lstm():
    import keras

    return _train_step(lambda: keras.layers.LSTM(UNITS))


def make_cell_loop_lstm():
    import keras

    from companion import recurrent

    return _train_step(lambda: keras.layers.RNN(recurrent.LSTMCell(UNITS)))


def make_fast_lstm():
    from companion import recurrent

    return _train_step(lambda: recurrent.LSTM(UNITS))


def make_readable_lstm():
    from companion import recurrent

    return _train_step(lambda: recurrent.LSTM(UNITS, use_fused_kernel=False))


def make_keras_gru():
    import keras

    return _train_step(lambda: keras.layers.GRU(UNITS, reset_after=True))


def make_cell_loop_gru():
    import keras

    from companion import recurrent

    return _train_step(lambda: keras.layers.RNN(recurrent.GRUCell(UNITS, reset_after=True)))


def make_fast_gru():
    from companion import recurrent

    return _train_step(lambda: recurrent.GRU(UNITS, reset_after=True))


def make_readable_gru():
    from companion import recurrent

    return _train_step(lambda: recurrent.GRU(UNITS, reset_after=True, use_fused_kernel=False))


FAST = Goal("ratio", 1.2)
SPREAD = Goal("spread", 3.0)

BENCHMARKS = [
    Benchmark(GROUP.format("LSTM"), "keras.layers.LSTM", make_keras_lstm, baseline=True),
    Benchmark(
        GROUP.format("LSTM"), "cell loop (LSTMCell in keras.layers.RNN)", make_cell_loop_lstm
    ),
    Benchmark(
        GROUP.format("LSTM"), "fast path (recurrent.LSTM)", make_fast_lstm, goals=(FAST, SPREAD)
    ),
    Benchmark(
        GROUP.format("LSTM"),
        "readable loop (use_fused_kernel=False)",
        make_readable_lstm,
        goals=(SPREAD,),
    ),
    Benchmark(GROUP.format("GRU"), "keras.layers.GRU", make_keras_gru, baseline=True),
    Benchmark(GROUP.format("GRU"), "cell loop (GRUCell in keras.layers.RNN)", make_cell_loop_gru),
    Benchmark(
        GROUP.format("GRU"), "fast path (recurrent.GRU)", make_fast_gru, goals=(FAST, SPREAD)
    ),
    Benchmark(
        GROUP.format("GRU"),
        "readable loop (use_fused_kernel=False)",
        make_readable_gru,
        goals=(SPREAD,),
    ),
]
