"""Tests of companion.embeddings: tokenisers, BPE against keras-hub, embeddings, n-grams, LMs.

keras-hub may be imported here (not in ``companion/``). Gradients are compared
through the backend's own autodiff in a small test-only helper.
"""

import math
import string

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import ops
from layer_checks import check_layer, check_loads_across_backends

from companion import embeddings
from companion.embeddings import (
    BytePairTokenizer,
    CharTokenizer,
    NGramLanguageModel,
    OneHotEmbedding,
    SkipGram,
    WordTokenizer,
)

# No example database: the runs leave no .hypothesis/ folder in the repository.
PROPERTY = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
CORPUS = [
    "In the beginning God created the heaven and the earth.",
    "And the earth was without form, and void; and darkness was upon the face of the deep.",
    "And God said, Let there be light: and there was light.",
]


def gradients(weights, loss_fn):
    """The gradient of ``loss_fn()`` with respect to ``weights`` (test-only dispatch)."""
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, [w.value for w in weights])
    elif backend == "torch":
        import torch

        grads = torch.autograd.grad(loss_fn(), [w.value for w in weights])
    else:
        import jax

        def pure(values):
            with keras.StatelessScope(state_mapping=list(zip(weights, values, strict=True))):
                return loss_fn()

        grads = jax.grad(pure)([w.value for w in weights])
    return [np.asarray(ops.convert_to_numpy(g)) for g in grads]


# ---------------------------------------------------------------------------
# Character and word tokenisers.
# ---------------------------------------------------------------------------


def test_char_tokenizer_reserves_pad_oov_start_end_and_counts_unseen():
    tokenizer = CharTokenizer(CORPUS)
    assert tokenizer.vocabulary.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert (tokenizer.pad_id, tokenizer.oov_id, tokenizer.start_id, tokenizer.end_id) == (
        0,
        1,
        2,
        3,
    )
    ids = tokenizer.encode("God!", add_start=True, add_end=True)
    assert ids[0] == 2 and ids[-1] == 3
    assert ids[-2] == tokenizer.oov_id  # "!" never occurs in the corpus
    assert tokenizer.count_oov("God! Zz?") == 4  # "!", "Z", "z", "?"
    assert tokenizer.decode(ids) == "God<unk>"
    # most frequent character first after the reserved ids: the space
    assert tokenizer.vocabulary.tokens[4] == " "


@PROPERTY
@given(st.text(alphabet=sorted(set("".join(CORPUS))), max_size=80))
def test_char_tokenizer_round_trip_property(text):
    tokenizer = CharTokenizer(CORPUS)
    assert tokenizer.decode(tokenizer.encode(text, add_start=True, add_end=True)) == text


@PROPERTY
@given(
    st.lists(
        st.sampled_from(["god", "said", "light", "earth", "the", "and", ",", ".", ":", ";"]),
        max_size=20,
    ),
    st.sampled_from([" ", "  ", "\n", " \t "]),
)
def test_word_tokenizer_round_trip_property_up_to_normalisation(words, separator):
    tokenizer = WordTokenizer(CORPUS)
    text = separator.join(word.upper() if i % 2 else word for i, word in enumerate(words))
    decoded = tokenizer.decode(tokenizer.encode(text))
    assert decoded == " ".join(words)  # lower case, one space between tokens
    assert tokenizer.encode(decoded) == tokenizer.encode(text)


def test_word_tokenizer_normalisation_is_nfkc_then_lower_case():
    tokenizer = WordTokenizer(["the first day"])
    assert tokenizer.encode("The ﬁrst\u00a0DAY") == tokenizer.encode("the first day")
    assert tokenizer.count_oov("the first night") == 1
    assert embeddings.normalize_text("Ｇｏｄ") == "god"  # full-width letters


def test_tokenizer_batches_pad_truncate_and_mask():
    tokenizer = WordTokenizer(CORPUS)
    ids, mask = tokenizer.encode_batch(
        ["let there be light", "god", ""], maxlen=3, add_start=True, add_end=True
    )
    assert ids.shape == (3, 3) and mask.dtype == bool
    assert ids[0].tolist() == [2] + tokenizer.encode("let there")  # longer than maxlen: cut
    assert ids[1].tolist() == [2, tokenizer.encode("god")[0], 3]
    assert ids[2].tolist() == [2, 3, 0] and mask[2].tolist() == [True, True, False]


def test_tokenizers_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="empty corpus"):
        CharTokenizer([])
    with pytest.raises(ValueError, match="empty corpus"):
        WordTokenizer(["", ""])
    with pytest.raises(ValueError, match="max_size must be > 4"):
        WordTokenizer(CORPUS, max_size=3)
    with pytest.raises(TypeError, match="texts must hold only str"):
        CharTokenizer(["abc", 12])
    with pytest.raises(TypeError, match="texts must be a str or an iterable"):
        CharTokenizer(12)
    tokenizer = CharTokenizer(CORPUS)
    with pytest.raises(TypeError, match="text must be a str"):
        tokenizer.encode(["a", "b"])
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, "):
        tokenizer.decode([2, len(tokenizer)])
    with pytest.raises(ValueError, match="ids must be ids"):
        tokenizer.decode([-1])
    with pytest.raises(TypeError, match="ids must hold int ids"):
        tokenizer.decode([1.5])
    with pytest.raises(TypeError, match="not one str"):
        tokenizer.encode_batch("abc")


def test_word_tokenizer_max_size_keeps_the_most_frequent_words():
    tokenizer = WordTokenizer(CORPUS, max_size=7)
    assert len(tokenizer) == 7
    assert tokenizer.vocabulary.tokens[4:] == ["and", "the", "."]  # 6, 5 and 3 times


# ---------------------------------------------------------------------------
# Byte-pair encoding, checked on a worked example and against keras-hub.
# ---------------------------------------------------------------------------


def test_bpe_merges_worked_example():
    # The Hugging Face course's corpus: counts of "ug" = 10 + 5 + 5 = 20 (hug, pug, hugs),
    # then "un" = 12 + 4 = 16 (pun, bun), then "h ug" = 10 + 5 = 15 (hug, hugs).
    counts = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
    assert embeddings.learn_bpe_merges(counts, 3) == [("u", "g"), ("u", "n"), ("h", "ug")]
    # ties ("b un" = 4 vs "hug s" = 5 ...) go on until every word is one symbol
    everything = embeddings.learn_bpe_merges(counts, 100)
    assert len(everything) == 7  # hug, pug, pun, bun, hugs need 2+1+1+1+1+... merges
    assert everything[3] == ("p", "un")  # 12, the next largest count


def test_bpe_matches_a_brute_force_recount():
    """The incremental trainer equals re-counting every pair at every step."""
    rng = np.random.default_rng(0)
    words = {"".join(rng.choice(list("abcd"), size=rng.integers(2, 7))): 0 for _ in range(40)}
    counts = {word: int(rng.integers(1, 9)) for word in words}
    merges = embeddings.learn_bpe_merges(counts, 25)
    split = {word: list(word) for word in counts}
    for pair in merges:
        tally = {}
        for word, symbols in split.items():
            for a, b in zip(symbols, symbols[1:], strict=False):
                tally[(a, b)] = tally.get((a, b), 0) + counts[word]
        best = min(tally, key=lambda p: (-tally[p], p))
        assert pair == best
        for word, symbols in split.items():
            new, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
                    new.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    new.append(symbols[i])
                    i += 1
            split[word] = new


def test_pretokenize_and_byte_map_follow_gpt2():
    mapping = embeddings.bytes_to_unicode()
    assert len(set(mapping.values())) == 256 and mapping[ord(" ")] == "Ġ"
    assert mapping[ord("\n")] == "Ċ" and mapping[ord("A")] == "A"
    text = "And God said, Let there be light: 1611 don't\n\n  x"
    pieces = embeddings.pretokenize(text)
    assert "".join(pieces) == text
    assert pieces[:3] == ["And", " God", " said"] and "161" in pieces and "'t" in pieces


@PROPERTY
@given(st.text(max_size=60))
def test_bpe_round_trip_property_on_any_text(text):
    tokenizer = BytePairTokenizer.train(CORPUS, vocabulary_size=320)
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_bpe_vocabulary_layout_and_errors():
    tokenizer = BytePairTokenizer.train(CORPUS * 5, vocabulary_size=300)
    assert tokenizer.vocabulary_size == 300
    assert [tokenizer.vocabulary[t] for t in ("<pad>", "<s>", "</s>")] == [0, 1, 2]
    assert len(tokenizer.merges) == 300 - 259
    assert "Ġthe" in tokenizer.vocabulary  # the commonest word with its space
    assert len(tokenizer.encode(CORPUS[0])) < len(CORPUS[0].encode("utf-8"))  # compresses
    with pytest.raises(ValueError, match="vocabulary_size must be >= 259"):
        BytePairTokenizer.train(CORPUS, vocabulary_size=100)
    with pytest.raises(ValueError, match="empty corpus"):
        BytePairTokenizer.train([""], vocabulary_size=300)
    with pytest.raises(ValueError, match="ids must be ids"):
        tokenizer.decode([tokenizer.vocabulary_size + 5])
    with pytest.raises(TypeError, match="text must be a str"):
        tokenizer.encode(b"bytes")


def test_bpe_gives_the_same_ids_as_keras_hub_with_our_vocabulary_and_merges():
    keras_hub = pytest.importorskip("keras_hub")
    from companion import datasets

    text = datasets.load("kjv")
    ours = BytePairTokenizer.train(text[:60_000], vocabulary_size=700)
    theirs = keras_hub.tokenizers.BytePairTokenizer(vocabulary=ours.vocabulary, merges=ours.merges)
    unseen = text[3_000_000:3_020_000]  # held-out text: other words, other merges apply
    expected = np.asarray(theirs.tokenize(unseen)).tolist()
    assert ours.encode(unseen) == expected
    assert theirs.detokenize(np.asarray([expected]))[0] == unseen
    sample = "Café naïve — 日本語 123456 don't  spaces\n\nnew _under_ x"
    assert ours.encode(sample) == np.asarray(theirs.tokenize(sample)).tolist()


def test_char_tokenizer_agrees_with_keras_hub_unicode_codepoints():
    keras_hub = pytest.importorskip("keras_hub")
    text = "And God said, Let there be light: é ü 日本"
    tokenizer = CharTokenizer(text)
    codepoints = np.asarray(
        keras_hub.tokenizers.UnicodeCodepointTokenizer(lowercase=False)(text)
    ).tolist()
    assert [chr(c) for c in codepoints] == tokenizer.vocabulary.decode(tokenizer.encode(text))


# ---------------------------------------------------------------------------
# One-hot versus learned embeddings, bag of words.
# ---------------------------------------------------------------------------


def test_one_hot_times_weights_equals_embedding_lookup_outputs_and_gradients():
    ids = np.array([[3, 0, 7, 7], [1, 2, 0, 0]], dtype="int32")
    ours = OneHotEmbedding(9, 4, mask_zero=True)
    reference = keras.layers.Embedding(9, 4, mask_zero=True)
    ours.build(ids.shape)
    reference.build(ids.shape)
    weights = np.random.default_rng(0).normal(size=(9, 4)).astype("float32")
    ours.set_weights([weights])
    reference.set_weights([weights])
    np.testing.assert_allclose(ops.convert_to_numpy(ours(ids)), weights[ids], atol=1e-6)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(ids)), ops.convert_to_numpy(reference(ids)), atol=1e-6
    )
    # the one-hot matrix product of numpy, written out
    one_hot = np.eye(9, dtype="float32")[ids]  # (B, T, V)
    np.testing.assert_allclose(one_hot @ weights, ops.convert_to_numpy(ours(ids)), atol=1e-6)
    scale = ops.convert_to_tensor(np.arange(1, 9, dtype="float32").reshape(2, 4, 1))
    g_ours = gradients(ours.trainable_weights, lambda: ops.sum(ours(ids) ** 2 * scale))
    g_ref = gradients(reference.trainable_weights, lambda: ops.sum(reference(ids) ** 2 * scale))
    np.testing.assert_allclose(g_ours[0], g_ref[0], atol=1e-5)
    assert np.all(g_ours[0][[4, 5, 6, 8]] == 0)  # unused ids get no gradient
    # masking of padding ids, as Embedding(mask_zero=True)
    mask = ops.convert_to_numpy(ours.compute_mask(ids))
    np.testing.assert_array_equal(mask, ops.convert_to_numpy(reference.compute_mask(ids)))
    np.testing.assert_array_equal(mask, ids != 0)


def test_masked_padding_does_not_change_a_recurrent_summary():
    """With mask_zero the padded sentence gives the same last state as the unpadded one."""
    from companion import recurrent

    layer = OneHotEmbedding(9, 4, mask_zero=True)
    rnn = recurrent.GRU(5)
    unpadded = np.array([[3, 4, 5]], dtype="int32")
    padded = np.array([[3, 4, 5, 0, 0]], dtype="int32")
    expected = ops.convert_to_numpy(rnn(layer(unpadded)))
    embedded = ops.convert_to_numpy(layer(padded))  # a plain array: no mask attached
    masked = ops.convert_to_numpy(rnn(embedded, mask=layer.compute_mask(padded)))
    unmasked = ops.convert_to_numpy(rnn(embedded))
    np.testing.assert_allclose(masked, expected, atol=1e-6)
    assert not np.allclose(unmasked, expected, atol=1e-4)  # padding read as words


def test_one_hot_embedding_passes_the_shared_checks(tmp_path):
    ids = np.array([[1, 2, 0], [4, 4, 3]], dtype="int32")
    check_layer(lambda: OneHotEmbedding(6, 3, name="one_hot_embedding"), ids, tmp_path)


def test_one_hot_embedding_loads_across_backends(tmp_path):
    check_loads_across_backends(
        """
import numpy as np
import keras
from companion.embeddings import OneHotEmbedding

def build():
    inputs = keras.Input((4,), dtype="int32")
    model = keras.Model(inputs, OneHotEmbedding(7, 3)(inputs))
    return model, np.array([[1, 2, 6, 0]], dtype="int32")
""",
        tmp_path,
    )


def test_bag_of_words_equals_keras_category_encoding():
    ids = np.array([[4, 2, 4, 0], [1, 0, 0, 0]], dtype="int32")
    counts = embeddings.bag_of_words(ids, 6)
    reference = keras.layers.CategoryEncoding(num_tokens=6, output_mode="count")(ids)
    reference = np.array(ops.convert_to_numpy(reference))
    reference[:, 0] = 0  # padding is not a word
    np.testing.assert_array_equal(counts, reference)
    assert embeddings.bag_of_words(ids, 6, mode="binary").max() == 1
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, 6\)"):
        embeddings.bag_of_words(np.array([[7]]), 6)
    # order is lost: a reversed sentence has the same bag
    np.testing.assert_array_equal(
        embeddings.bag_of_words(ids[:, ::-1], 6), embeddings.bag_of_words(ids, 6)
    )


# ---------------------------------------------------------------------------
# word2vec.
# ---------------------------------------------------------------------------


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
    logits = ops.convert_to_numpy(layer(inputs))
    u = ops.convert_to_numpy(layer.centre_embeddings)
    v = ops.convert_to_numpy(layer.context_embeddings)
    expected = np.einsum("bd,bkd->bk", u[inputs[:, 0]], v[inputs[:, 1:]])
    np.testing.assert_allclose(logits, expected, atol=1e-6)
    check_layer(lambda: SkipGram(10, 4, seed=1), inputs, tmp_path)
    with pytest.raises(ValueError, match="2 \\+ negatives"):
        SkipGram(10, 4)(np.zeros((2,), "int32"))


def test_nearest_neighbours_and_analogy_on_planted_vectors():
    # king - man + woman = queen exactly, plus distractors
    vectors = np.array(
        [
            [0.0, 0.0, 0.0],  # pad
            [1.0, 1.0, 0.0],  # 1 king   = royal + male
            [0.0, 1.0, 0.0],  # 2 man    = male
            [0.0, 0.0, 1.0],  # 3 woman  = female
            [1.0, 0.0, 1.0],  # 4 queen  = royal + female
            [1.0, 1.0, 1.0],  # 5 distractor
            [-1.0, 0.2, 0.0],  # 6
        ]
    )
    ids, similarities = embeddings.analogy(vectors, a=2, b=1, c=3)
    assert ids[0] == 4 and {1, 2, 3}.isdisjoint(ids.tolist())
    assert similarities[0] >= similarities[1]
    ids, _ = embeddings.nearest_neighbours(vectors, 1, k=2)
    assert 1 not in ids.tolist() and ids[0] == 5
    projected = embeddings.pca_2d(vectors[1:])
    assert projected.shape == (6, 2) and np.allclose(projected.mean(axis=0), 0, atol=1e-9)


# ---------------------------------------------------------------------------
# n-gram language models.
# ---------------------------------------------------------------------------


def _reference_add_k(sequences, order, vocabulary_size, k, start=2):
    """Add-k probabilities with Python dictionaries (independent of the vectorised code)."""
    counts, contexts = {}, {}
    for sequence in sequences:
        padded = [start] * (order - 1) + list(sequence)
        for t in range(order, len(padded) + 0):
            gram = tuple(padded[t - order + 1 : t + 1]) if order > 1 else (padded[t],)
            counts[gram] = counts.get(gram, 0) + 1
            contexts[gram[:-1]] = contexts.get(gram[:-1], 0) + 1

    def prob(context, token):
        gram = tuple(context[-(order - 1) :]) + (token,) if order > 1 else (token,)
        return (counts.get(gram, 0) + k) / (contexts.get(gram[:-1], 0) + k * vocabulary_size)

    return prob


def test_ngram_add_k_equals_a_dictionary_reference():
    rng = np.random.default_rng(0)
    train = [np.concatenate([[2], rng.integers(4, 9, size=30), [3]]) for _ in range(5)]
    test = [np.concatenate([[2], rng.integers(4, 10, size=12), [3]]) for _ in range(3)]
    for order in (1, 2, 3):
        model = NGramLanguageModel(order, 10, smoothing="add_k", k=0.5).fit(train)
        reference = _reference_add_k(train, order, 10, 0.5)
        expected = []
        for sequence in test:
            padded = [2] * (order - 1) + list(sequence)
            for t in range(order, len(padded)):
                expected.append(math.log(reference(padded[t - order + 1 : t], padded[t])))
        np.testing.assert_allclose(model.log_probs(test), expected, rtol=1e-12)


@pytest.mark.parametrize("smoothing", ["kneser_ney", "add_k"])
@pytest.mark.parametrize("order", [1, 2, 4])
def test_ngram_distributions_sum_to_one(smoothing, order):
    rng = np.random.default_rng(1)
    train = [np.concatenate([[2], rng.integers(4, 12, size=50), [3]]) for _ in range(4)]
    model = NGramLanguageModel(order, 12, smoothing=smoothing, k=0.1).fit(train)
    for context in ([2], [2, 5, 6], [2, 11, 11, 11, 11], [2, 1, 0]):  # seen and unseen contexts
        total = np.exp(model.next_log_probs(np.array(context))).sum()
        assert abs(total - 1.0) < 1e-9


def test_kneser_ney_beats_add_one_and_uses_the_markov_context():
    text = " ".join(["and god said let there be light"] * 30 + ["and there was light"] * 10)
    tokenizer = CharTokenizer(text)
    ids = np.array(tokenizer.encode(text, add_start=True))
    held_out = np.array(tokenizer.encode("and god said let there be light", add_start=True))
    scores = {}
    for smoothing in ("kneser_ney", "add_k"):
        model = NGramLanguageModel(4, len(tokenizer), smoothing=smoothing, k=1.0).fit([ids])
        scores[smoothing] = embeddings.perplexity(model.log_probs([held_out]))
    assert scores["kneser_ney"] < scores["add_k"] < len(tokenizer)
    model = NGramLanguageModel(3, len(tokenizer)).fit([ids])
    # a context longer than the order: only the last n-1 = 2 tokens matter
    long = np.array(tokenizer.encode("xx and god said let there be lig"))
    short = long[-2:]
    np.testing.assert_allclose(model.next_log_probs(long), model.next_log_probs(short))


def test_ngram_bad_inputs():
    with pytest.raises(ValueError, match="order must be an int >= 1"):
        NGramLanguageModel(0, 10)
    with pytest.raises(ValueError, match="smoothing must be"):
        NGramLanguageModel(2, 10, smoothing="laplace")
    with pytest.raises(ValueError, match=r"vocabulary_size \*\* order"):
        NGramLanguageModel(8, 300_000)
    with pytest.raises(ValueError, match="must be fitted first"):
        NGramLanguageModel(2, 10).log_probs([[2, 4]])
    with pytest.raises(ValueError, match="at least one token to predict"):
        NGramLanguageModel(2, 10).fit([[2]])
    with pytest.raises(ValueError, match=r"ids in \[0, 10\)"):
        NGramLanguageModel(2, 10).fit([[2, 12]])
    with pytest.raises(ValueError, match="at least one value"):
        embeddings.perplexity([])


# ---------------------------------------------------------------------------
# Recurrent language models: shifted targets, scoring, generation.
# ---------------------------------------------------------------------------


def test_stream_windows_shift_targets_by_one():
    inputs, targets = embeddings.stream_windows(np.arange(11), 5)
    np.testing.assert_array_equal(inputs, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
    np.testing.assert_array_equal(targets, [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
    inputs, targets = embeddings.shifted_pairs(np.array([[2, 5, 6, 3, 0]]))
    np.testing.assert_array_equal(inputs, [[2, 5, 6, 3]])
    np.testing.assert_array_equal(targets, [[5, 6, 3, 0]])


def _tiny_language_model(vocabulary_size=9):
    keras.utils.set_random_seed(0)
    return embeddings.build_language_model(vocabulary_size, embedding_dim=4, units=6)


def test_sequence_log_probs_is_the_chain_rule_sum_and_ignores_padding():
    model = _tiny_language_model()
    sentences = [[2, 4, 5, 6, 3], [2, 7, 3]]
    scores = embeddings.sequence_log_probs(model, sentences)
    for sentence, score in zip(sentences, scores, strict=True):
        logits = ops.convert_to_numpy(model(np.array([sentence[:-1]])))[0]  # (T, V)
        log_softmax = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        expected = sum(log_softmax[t, sentence[t + 1]] for t in range(len(sentence) - 1))
        assert abs(score - expected) < 1e-4


def test_stream_log_probs_scores_every_token_once_even_past_the_window():
    model = _tiny_language_model()
    ids = np.random.default_rng(0).integers(2, 9, size=50)
    full = embeddings.stream_log_probs(model, ids, window=64, warmup=0)
    assert full.shape == (49,)
    inputs, targets = ids[None, :-1], ids[None, 1:]
    np.testing.assert_allclose(full, embeddings.token_log_probs(model, inputs, targets)[0], 1e-5)
    # a text longer than the window: still one score per token, and the tokens scored with
    # at least `warmup` tokens of context agree with the one-pass scores only approximately
    windowed = embeddings.stream_log_probs(model, ids, window=12, warmup=6)
    assert windowed.shape == (49,)
    np.testing.assert_allclose(windowed[:12], full[:12], atol=1e-5)  # first window: same
    with pytest.raises(ValueError, match="warmup must be < window"):
        embeddings.stream_log_probs(model, ids, window=4, warmup=4)


def test_generate_greedy_with_a_deterministic_fake_model():
    # the fake "model" always predicts (last token + 1), and the end id after token 6
    def next_log_probs(tokens, t):
        last = tokens[:, t - 1]
        choice = np.where(last >= 6, 3, last + 1)
        return np.log(np.eye(9)[choice] + 1e-9)

    out = embeddings.generate_greedy(next_log_probs, np.array([[2, 4], [2, 5]]), steps=5)
    np.testing.assert_array_equal(out, [[2, 4, 5, 6, 3, 0, 0], [2, 5, 6, 3, 0, 0, 0]])


def test_ngram_greedy_generation_repeats_the_training_sentence():
    text = "let there be light"
    tokenizer = CharTokenizer(text)
    ids = tokenizer.encode(text, add_start=True, add_end=True)
    # three copies: with every n-gram seen once, Kneser-Ney's discount n1 / (n1 + 2 n2) is 1
    model = NGramLanguageModel(5, len(tokenizer)).fit([ids] * 3)

    def next_log_probs(tokens, t):
        return np.stack([model.next_log_probs(row[:t]) for row in tokens])

    out = embeddings.generate_greedy(next_log_probs, np.array([ids[:3]]), steps=30)
    assert tokenizer.decode(out[0]) == text


def test_language_model_learns_a_repeating_text_and_handles_padding(tmp_path):
    keras.utils.set_random_seed(0)
    tokenizer = CharTokenizer("abcd")
    ids = np.array(tokenizer.encode("abcd" * 60))
    inputs, targets = embeddings.stream_windows(ids, 12)
    model = embeddings.build_language_model(len(tokenizer), embedding_dim=4, units=16)
    model.compile(
        keras.optimizers.Adam(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(inputs, targets, epochs=30, batch_size=20, verbose=0)
    log_probs = embeddings.stream_log_probs(model, ids[:40], window=40, warmup=0)
    assert embeddings.perplexity(log_probs[4:]) < 1.2  # the sequence is deterministic
    # padded positions add nothing: a padded sentence scores as the unpadded one
    padded = embeddings.sequence_log_probs(model, [[2, 4, 5, 6], [2, 4, 5, 6, 7, 4, 5]])
    alone = embeddings.sequence_log_probs(model, [[2, 4, 5, 6]])
    assert abs(padded[0] - alone[0]) < 1e-5
    model.save(tmp_path / "lm.keras")
    restored = keras.saving.load_model(tmp_path / "lm.keras")
    np.testing.assert_allclose(
        ops.convert_to_numpy(restored(inputs[:2])),
        ops.convert_to_numpy(model(inputs[:2])),
        atol=1e-5,
    )


def test_causal_model_needs_no_mask_for_padding_at_the_end():
    """Outputs at real steps are equal with and without a mask when padding comes last."""
    keras.utils.set_random_seed(0)
    plain = embeddings.build_language_model(9, embedding_dim=4, units=6, cell="lstm")
    masked = embeddings.build_language_model(
        9, embedding_dim=4, units=6, cell="lstm", mask_zero=True
    )
    masked.set_weights(plain.get_weights())
    ids = np.array([[2, 4, 5, 0, 0], [2, 4, 5, 6, 7]], "int32")
    a, b = ops.convert_to_numpy(plain(ids)), ops.convert_to_numpy(masked(ids))
    real = ids > 0
    np.testing.assert_allclose(a[real], b[real], atol=1e-5)


def test_build_language_model_and_classifier_bad_arguments():
    with pytest.raises(ValueError, match="cell must be one of"):
        embeddings.build_language_model(10, cell="transformer")
    with pytest.raises(ValueError, match="kind must be"):
        embeddings.build_text_classifier("cnn", 10)


@pytest.mark.parametrize(
    "kind, options",
    [
        ("mean_embedding", {}),
        ("lstm", {}),
        ("lstm", {"bidirectional": True}),
        ("lstm", {"mask": False}),
    ],
)
def test_text_classifiers_masking(kind, options):
    """Masked models give the same logit with or without extra padding; unmasked do not."""
    keras.utils.set_random_seed(0)
    model = embeddings.build_text_classifier(kind, 20, embedding_dim=4, units=5, **options)
    short = np.array([[5, 6, 7]], "int32")
    long = np.array([[5, 6, 7, 0, 0, 0, 0]], "int32")
    a = ops.convert_to_numpy(model(short))
    b = ops.convert_to_numpy(model(long))
    assert a.shape == (1, 1)
    if options.get("mask", True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    else:
        assert not np.allclose(a, b, atol=1e-5)


def test_bag_of_words_classifier_shape():
    model = embeddings.build_text_classifier("bag_of_words", 12)
    bags = embeddings.bag_of_words(np.array([[4, 5, 0]]), 12)
    assert tuple(model(bags).shape) == (1, 1)
    assert model.count_params() == 13


def test_string_module_constant_is_the_reserved_tokens():
    assert embeddings.SPECIAL_TOKENS == ("<pad>", "<unk>", "<s>", "</s>")
    assert set(string.ascii_lowercase) <= set(
        CharTokenizer(string.ascii_lowercase).vocabulary.tokens
    )
