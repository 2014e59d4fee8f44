"""One training step of each model the chapters train, on every backend.

What a reader waits for when a chapter trains: one ``train_on_batch`` of the
chapter's own model at the chapter's own batch size (compiled on JAX and
TensorFlow, eager on torch). The goal for each is a spread across backends of
at most 3x (the slowest backend at most three times the fastest).

* chapter 2: the speaker GRU (Japanese vowels: batch 32 x 29 frames x 12
  channels, masked) and the adding-problem LSTM (batch 32 x 100 steps);
* chapter 3: the character language model (GRU of 256, batch 32 x 32
  characters), word2vec's skip-gram (batch 2,048 x 7 ids, 64 dimensions) and
  the masked sentiment LSTM (batch 64 x 120 words).
"""

import numpy as np

from benchmarks.core import Benchmark, Goal

SPREAD = Goal("spread", 3.0)


def _step(build, inputs, targets, loss):
    """Returns a zero-argument function running one training step of ``build()``."""
    import keras

    from companion import runtime

    runtime.set_seed(0)
    model = build()
    model.compile(keras.optimizers.Adam(1e-3), loss)
    return lambda: model.train_on_batch(inputs, targets)


def make_speaker_gru():
    import keras

    from companion import recurrent

    rng = np.random.default_rng(0)
    frames = rng.normal(size=(32, 29, 12)).astype("float32")
    mask = np.arange(29)[None, :] < rng.integers(7, 30, size=(32, 1))  # ragged lengths

    def build():
        x, m = keras.Input((29, 12)), keras.Input((29,), dtype="bool")
        h = recurrent.GRU(32)(x, mask=m)
        return keras.Model([x, m], keras.layers.Dense(9)(h))

    speakers = rng.integers(0, 9, size=32)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return _step(build, [frames, mask], speakers, loss)


def make_adding_lstm():
    import keras

    from companion import data, recurrent

    inputs, targets = data.load("adding_problem", n=32, length=100)

    def build():
        return keras.Sequential([keras.Input((100, 2)), recurrent.LSTM(32), keras.layers.Dense(1)])

    return _step(build, inputs, targets, "mse")


def make_char_lm():
    import keras

    from companion import lm

    rng = np.random.default_rng(0)
    ids = rng.integers(1, 70, size=(32, 33)).astype("int32")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return _step(lambda: lm.build_language_model(70, units=256), ids[:, :-1], ids[:, 1:], loss)


def make_skipgram():
    import keras

    from companion import embeddings

    rng = np.random.default_rng(0)
    ids = rng.integers(2, 10_000, size=(2048, 7)).astype("int32")
    labels = np.zeros((2048, 6), "float32")
    labels[:, 0] = 1.0

    def build():
        return keras.Sequential(
            [keras.Input((7,), dtype="int32"), embeddings.SkipGram(10_000, 64, seed=0)]
        )

    return _step(build, ids, labels, keras.losses.BinaryCrossentropy(from_logits=True))


def make_sentiment_lstm():
    import keras

    from companion import classifiers

    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 121, size=(64, 1))
    ids = np.where(np.arange(120)[None, :] < lengths, rng.integers(2, 10_000, (64, 120)), 0)
    labels = rng.integers(0, 2, size=(64, 1)).astype("float32")
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    return _step(
        lambda: classifiers.build_text_classifier("lstm", 10_000), ids.astype("int32"), labels, loss
    )


BENCHMARKS = [
    Benchmark(
        "chapter 2: speaker GRU, masked, 32 x 29 x 12",
        "train step",
        make_speaker_gru,
        goals=(SPREAD,),
    ),
    Benchmark(
        "chapter 2: adding-problem LSTM, 32 x 100 x 2",
        "train step",
        make_adding_lstm,
        goals=(SPREAD,),
    ),
    Benchmark(
        "chapter 3: character LM, GRU 256, 32 x 32", "train step", make_char_lm, goals=(SPREAD,)
    ),
    Benchmark(
        "chapter 3: word2vec skip-gram, 2048 x 7, d = 64",
        "train step",
        make_skipgram,
        goals=(SPREAD,),
    ),
    Benchmark(
        "chapter 3: sentiment LSTM, masked, 64 x 120",
        "train step",
        make_sentiment_lstm,
        goals=(SPREAD,),
    ),
]
