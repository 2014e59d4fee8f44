"""Tests of companion.embeddings.word2vec: skip-gram examples and the SkipGram layer."""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer

from companion import embeddings
from companion.embeddings import SkipGram


def test_skipgram_examples_pairs_windows_and_negatives():
    ids = np.arange(4, 24)  # 20 distinct words
    counts = np.ones(24)
    counts[:2] = 0
    inputs, labels = embeddings.skipgram_examples(
        ids, counts, window=2, negatives=3, subsample=None, seed=0
    )
    assert inputs.shape[1] == 5 and labels.shape == (inputs.shape[0], 4)
    assert np.all(labels[:, 0] == 1) and np.all(labels[:, 1:] == 0)
    distance = np.abs(inputs[:, 0] - inputs[:, 1])
    assert distance.min() == 1 and distance.max() <= 2  # within the window
    assert inputs.shape[0] <= 2 * (19 + 18) and inputs.shape[0] >= 2 * 19  # dynamic window
    assert np.all(inputs[:, 2:] >= 2)  # padding and OOV are never drawn as negatives


def test_skipgram_subsampling_drops_frequent_words():
    rng = np.random.default_rng(0)
    ids = np.where(rng.random(20_000) < 0.5, 4, rng.integers(5, 200, size=20_000))
    counts = np.bincount(ids, minlength=200).astype(float)
    inputs, _ = embeddings.skipgram_examples(ids, counts, window=1, subsample=1e-3, seed=0)
    share = np.mean(inputs[:, 0] == 4)
    assert share < 0.2  # from one word in two to few: "the" is subsampled away


def test_skipgram_learns_that_co_occurring_words_are_close():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    # two topics: words 4..9 occur together, words 10..15 occur together
    topics = [np.arange(4, 10), np.arange(10, 16)]
    ids = np.concatenate([rng.choice(topics[i % 2], size=8) for i in range(600)])
    counts = np.bincount(ids, minlength=16).astype(float)
    inputs, labels = embeddings.skipgram_examples(
        ids, counts, window=2, negatives=4, subsample=None, seed=0
    )
    model = keras.Sequential([keras.Input((6,), dtype="int32"), SkipGram(16, 8, seed=0)])
    model.compile(keras.optimizers.Adam(0.02), keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(inputs, labels, batch_size=256, epochs=3, verbose=0)
    vectors = model.layers[0].embeddings
    neighbours, _ = embeddings.nearest_neighbours(vectors, 4, k=3)
    assert set(neighbours.tolist()) <= set(range(5, 10))


def test_skipgram_layer_matches_the_dot_product_and_passes_the_shared_checks(tmp_path):
    layer = SkipGram(10, 4, seed=1)
    inputs = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype="int32")
    layer(inputs)
    rng = np.random.default_rng(0)
    u, v = (rng.normal(size=(10, 4)).astype("float32") for _ in range(2))
    layer.set_weights([u, v])
    logits = ops.convert_to_numpy(layer(inputs))
    expected = np.einsum("bd,bkd->bk", u[inputs[:, 0]], v[inputs[:, 1:]])
    np.testing.assert_allclose(logits, expected, atol=1e-6)
    check_layer(lambda: SkipGram(10, 4, seed=1), inputs, tmp_path)
    with pytest.raises(ValueError, match="2 \\+ negatives"):
        SkipGram(10, 4)(np.zeros((2,), "int32"))


def test_skipgram_tables_start_different_and_the_seed_repeats_them():
    """Regression: with a seed, the centre and context tables started identical."""
    inputs = np.array([[1, 2, 3]], dtype="int32")
    first, second = SkipGram(10, 4, seed=3), SkipGram(10, 4, seed=3)
    first(inputs)
    second(inputs)
    centre, context = (ops.convert_to_numpy(w) for w in first.weights)
    assert not np.allclose(centre, context)
    np.testing.assert_array_equal(context, 0.0)  # word2vec's start: V = 0
    np.testing.assert_array_equal(centre, ops.convert_to_numpy(second.centre_embeddings))
    assert np.abs(centre).max() <= 0.5 / 4


def test_skipgram_scores_without_einsum(monkeypatch):
    """Regression: an einsum "bd,bkd->bk" ran as thousands of tiny matmuls on torch (1.65x
    slower on torch and TensorFlow); the scores are a multiply and a sum."""

    def refuse(*args, **kwargs):
        raise AssertionError("SkipGram must not call ops.einsum")

    monkeypatch.setattr(ops, "einsum", refuse)
    layer = SkipGram(10, 4, seed=1)
    assert tuple(layer(np.array([[1, 2, 3, 4]], dtype="int32")).shape) == (1, 3)
