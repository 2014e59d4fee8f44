"""Benchmarks of companion.seq2seq: attention layers against Keras's, and the verse model.

Attention: one training step (``train_on_batch``, plain SGD, MSE on the
context) of a model that is one attention layer, batch 64, 20 queries and
40 values of 128 features, with a padding mask on the values. The Keras
baselines get the projections they lack as ``Dense`` layers, so both sides
compute the same function:

* additive: ``keras.layers.AdditiveAttention`` + two ``Dense`` projections
  against :class:`~companion.seq2seq.BahdanauAttention`;
* dot: ``keras.layers.Attention`` against ``LuongAttention("dot")``;
* general: ``keras.layers.Attention`` with a ``Dense`` key projection against
  ``LuongAttention("general")``.

Goal: ours within 1.2x of Keras on every backend.

The verse model: one training step of chapter 4's King James to Basic
English model (characters, vocabularies of 80, embeddings of 64, GRU of 96,
general attention), batch 128, 64 source and 64 target characters; training
tokens per second are 128 x 64 / step time. Goal: spread across backends
within 3x.
"""

import numpy as np

from benchmarks.core import Benchmark, Goal

FAST = Goal("ratio", 1.2)
SPREAD = Goal("spread", 3.0)
BATCH, QUERIES, VALUES, FEATURES = 64, 20, 40, 128
GROUP = f"{{}} attention train step, B={BATCH}, Tq={QUERIES}, Tv={VALUES}, D={FEATURES}"


def _attention_step(attend):
    """A training step of ``context = attend(query, values, mask)``."""
    import keras

    from companion import runtime

    runtime.set_seed(0)
    query = keras.Input((QUERIES, FEATURES))
    values = keras.Input((VALUES, FEATURES))
    mask = keras.Input((VALUES,), dtype="bool")
    model = keras.Model([query, values, mask], attend(query, values, mask))
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    rng = np.random.default_rng(0)
    inputs = [
        rng.normal(size=(BATCH, QUERIES, FEATURES)).astype("float32"),
        rng.normal(size=(BATCH, VALUES, FEATURES)).astype("float32"),
        np.arange(VALUES)[None, :] < rng.integers(5, VALUES + 1, size=(BATCH, 1)),
    ]
    targets = rng.normal(size=(BATCH, QUERIES, FEATURES)).astype("float32")
    return lambda: model.train_on_batch(inputs, targets)


def make_keras_additive():
    import keras

    def attend(query, values, mask):
        projected_query = keras.layers.Dense(FEATURES, use_bias=False)(query)
        keys = keras.layers.Dense(FEATURES, use_bias=False)(values)
        attention = keras.layers.AdditiveAttention()
        return attention([projected_query, values, keys], mask=[None, mask])

    return _attention_step(attend)


def make_bahdanau():
    from companion import seq2seq

    layer = seq2seq.BahdanauAttention(FEATURES)
    return _attention_step(lambda q, v, m: layer(q, v, value_mask=m))


def make_keras_dot():
    import keras

    return _attention_step(lambda q, v, m: keras.layers.Attention()([q, v], mask=[None, m]))


def make_luong_dot():
    from companion import seq2seq

    layer = seq2seq.LuongAttention("dot")
    return _attention_step(lambda q, v, m: layer(q, v, value_mask=m))


def make_keras_general():
    import keras

    def attend(query, values, mask):
        keys = keras.layers.Dense(FEATURES, use_bias=False)(values)
        return keras.layers.Attention()([query, values, keys], mask=[None, mask])

    return _attention_step(attend)


def make_luong_general():
    from companion import seq2seq

    layer = seq2seq.LuongAttention("general")
    return _attention_step(lambda q, v, m: layer(q, v, value_mask=m))


def make_verse_model():
    import keras

    from companion import runtime, seq2seq

    runtime.set_seed(0)
    model = seq2seq.Seq2Seq(80, 80, embedding_dim=64, units=96, attention="general")
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    )
    rng = np.random.default_rng(0)
    source = rng.integers(4, 80, size=(128, 64)).astype("int32")
    target = rng.integers(4, 80, size=(128, 65)).astype("int32")
    return lambda: model.train_on_batch((source, target[:, :-1]), target[:, 1:])


BENCHMARKS = [
    Benchmark(
        GROUP.format("additive"), "Keras AdditiveAttention", make_keras_additive, baseline=True
    ),
    Benchmark(GROUP.format("additive"), "seq2seq.BahdanauAttention", make_bahdanau, goals=(FAST,)),
    Benchmark(GROUP.format("dot"), "Keras Attention", make_keras_dot, baseline=True),
    Benchmark(GROUP.format("dot"), "seq2seq.LuongAttention", make_luong_dot, goals=(FAST,)),
    Benchmark(GROUP.format("general"), "Keras Attention", make_keras_general, baseline=True),
    Benchmark(GROUP.format("general"), "seq2seq.LuongAttention", make_luong_general, goals=(FAST,)),
    Benchmark(
        "chapter 4: verse model, GRU 96, 128 x 64 -> 64 characters",
        "train step",
        make_verse_model,
        goals=(SPREAD,),
    ),
]
