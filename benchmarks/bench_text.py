"""Benchmarks of companion.text: tokenisers against keras-hub.

* BPE encoding: 20,000 held-out KJV characters with a 1,000-id vocabulary
  trained from scratch, by our encoder and by keras-hub's
  ``BytePairTokenizer`` loaded with the same vocabulary and merges (the
  Rust ``tokenizers`` path). Both keep their word caches warm between calls.
* Character encoding: the same text, our ``CharTokenizer`` against
  keras-hub's ``UnicodeCodepointTokenizer``.
* BPE training: 300 merges learnt from 50,000 KJV characters (no keras-hub
  counterpart; timed alone).

Our tokenisers are pure Python; keras-hub's run TensorFlow Text (or Rust)
whatever the Keras backend, so none of these rows depends on the backend and
no spread across backends is reported. Goals: our encoders within 3x of
keras-hub's compiled ones (readable Python is allowed to be slower, not much).
"""

import numpy as np

from benchmarks.core import Benchmark, Goal

TEXT_CHARS = 20_000
BPE_VOCABULARY = 1_000
TRAIN_CHARS = 50_000
TRAIN_MERGES = 300

BPE_GROUP = f"BPE encoding, {TEXT_CHARS:,} KJV characters, {BPE_VOCABULARY} ids"
CHAR_GROUP = f"character encoding, {TEXT_CHARS:,} KJV characters"
TRAIN_GROUP = f"BPE training, {TRAIN_CHARS:,} characters, {TRAIN_MERGES} merges"


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


WITHIN_3X = Goal("ratio", 3.0)

BENCHMARKS = [
    Benchmark(BPE_GROUP, "from scratch", make_bpe_scratch, goals=(WITHIN_3X,), backend_bound=False),
    Benchmark(BPE_GROUP, "keras-hub", make_bpe_keras_hub, baseline=True, backend_bound=False),
    Benchmark(
        CHAR_GROUP, "from scratch", make_char_scratch, goals=(WITHIN_3X,), backend_bound=False
    ),
    Benchmark(CHAR_GROUP, "keras-hub", make_char_keras_hub, baseline=True, backend_bound=False),
    Benchmark(TRAIN_GROUP, "from scratch", make_bpe_training, baseline=True, backend_bound=False),
]
