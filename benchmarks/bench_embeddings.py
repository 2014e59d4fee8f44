"""Benchmarks of companion.embeddings: tokenisers against keras-hub, language-model training.

* BPE encoding: 20,000 held-out KJV characters with a 1,000-id vocabulary
  trained from scratch, by our encoder and by keras-hub's
  ``BytePairTokenizer`` loaded with the same vocabulary and merges (the
  Rust ``tokenizers`` path). Both keep their word caches warm between calls.
* Character encoding: the same text, our ``CharTokenizer`` against
  keras-hub's ``UnicodeCodepointTokenizer``.
* BPE training: 300 merges learnt from 50,000 KJV characters (no keras-hub
  counterpart; timed alone).
* Language-model training: one ``train_on_batch`` of the chapter's character
  model (GRU of 256 units, batch 32 x 32 characters = 1,024 tokens) with our
  GRU against ``keras.layers.GRU``; tokens per second = 1,024 / time per call.
"""

import numpy as np

from benchmarks.core import Benchmark

TEXT_CHARS = 20_000
BPE_VOCABULARY = 1_000
TRAIN_CHARS = 50_000
TRAIN_MERGES = 300
LM_BATCH, LM_LENGTH, LM_UNITS = 32, 32, 256

BPE_GROUP = f"BPE encoding, {TEXT_CHARS:,} KJV characters, {BPE_VOCABULARY} ids"
CHAR_GROUP = f"character encoding, {TEXT_CHARS:,} KJV characters"
TRAIN_GROUP = f"BPE training, {TRAIN_CHARS:,} characters, {TRAIN_MERGES} merges"
LM_GROUP = (
    f"char LM train step, GRU {LM_UNITS}, batch {LM_BATCH} x {LM_LENGTH} "
    f"= {LM_BATCH * LM_LENGTH:,} tokens"
)


def _kjv():
    from companion import data

    return data.load("kjv")


def _bpe():
    from companion.text import BytePairTokenizer

    text = _kjv()
    return BytePairTokenizer.train(text[:200_000], BPE_VOCABULARY), text[3_000_000:3_020_000]


def make_bpe_scratch():
    tokenizer, text = _bpe()
    return lambda: tokenizer.encode(text)


def make_bpe_keras_hub():
    import keras_hub

    ours, text = _bpe()
    tokenizer = keras_hub.tokenizers.BytePairTokenizer(
        vocabulary=ours.vocabulary, merges=ours.merges
    )
    return lambda: np.asarray(tokenizer.tokenize(text))


def make_char_scratch():
    from companion.text import CharTokenizer

    text = _kjv()
    tokenizer = CharTokenizer(text[:1_000_000])
    sample = text[3_000_000 : 3_000_000 + TEXT_CHARS]
    return lambda: tokenizer.encode(sample)


def make_char_keras_hub():
    import keras_hub

    sample = _kjv()[3_000_000 : 3_000_000 + TEXT_CHARS]
    tokenizer = keras_hub.tokenizers.UnicodeCodepointTokenizer(lowercase=False)
    return lambda: np.asarray(tokenizer(sample))


def make_bpe_training():
    from companion.text import BytePairTokenizer

    text = _kjv()[:TRAIN_CHARS]
    return lambda: BytePairTokenizer.train(text, 259 + TRAIN_MERGES)


def _lm_step(recurrent_layer):
    import keras

    vocabulary = 70
    rng = np.random.default_rng(0)
    x = rng.integers(1, vocabulary, size=(LM_BATCH, LM_LENGTH)).astype("int32")
    y = rng.integers(1, vocabulary, size=(LM_BATCH, LM_LENGTH)).astype("int32")
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(vocabulary, 32, mask_zero=True)(inputs)
    h = recurrent_layer(LM_UNITS, return_sequences=True)(h)
    model = keras.Model(inputs, keras.layers.Dense(vocabulary)(h))
    model.compile(
        keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    return lambda: model.train_on_batch(x, y)


def make_lm_scratch():
    from companion import recurrent

    return _lm_step(recurrent.GRU)


def make_lm_keras():
    import keras

    return _lm_step(keras.layers.GRU)


BENCHMARKS = [
    Benchmark(BPE_GROUP, "from scratch", make_bpe_scratch),
    Benchmark(BPE_GROUP, "keras-hub", make_bpe_keras_hub, baseline=True),
    Benchmark(CHAR_GROUP, "from scratch", make_char_scratch),
    Benchmark(CHAR_GROUP, "keras-hub", make_char_keras_hub, baseline=True),
    Benchmark(TRAIN_GROUP, "from scratch", make_bpe_training, baseline=True),
    Benchmark(LM_GROUP, "companion GRU", make_lm_scratch),
    Benchmark(LM_GROUP, "keras GRU", make_lm_keras, baseline=True),
]
