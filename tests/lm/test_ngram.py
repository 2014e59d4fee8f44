"""Tests of companion.lm.ngram: add-k against a reference, distributions sum to one, Kneser-Ney."""

import math

import numpy as np
import pytest

from companion import lm
from companion.lm import NGramLanguageModel
from companion.text import CharTokenizer


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
        scores[smoothing] = lm.perplexity(model.log_probs([held_out]))
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
        lm.perplexity([])
