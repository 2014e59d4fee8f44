"""Tests of companion.decoding.greedy: greedy decoding with deterministic fake models."""

import numpy as np

from companion import decoding
from companion.lm import NGramLanguageModel
from companion.text import CharTokenizer


def test_generate_greedy_with_a_deterministic_fake_model():
    # the fake "model" always predicts (last token + 1), and the end id after token 6
    def next_log_probs(tokens, t):
        last = tokens[:, t - 1]
        choice = np.where(last >= 6, 3, last + 1)
        return np.log(np.eye(9)[choice] + 1e-9)

    out = decoding.generate_greedy(next_log_probs, np.array([[2, 4], [2, 5]]), steps=5)
    np.testing.assert_array_equal(out, [[2, 4, 5, 6, 3, 0, 0], [2, 5, 6, 3, 0, 0, 0]])


def test_ngram_greedy_generation_repeats_the_training_sentence():
    text = "let there be light"
    tokenizer = CharTokenizer(text)
    ids = tokenizer.encode(text, add_start=True, add_end=True)
    # three copies: with every n-gram seen once, Kneser-Ney's discount n1 / (n1 + 2 n2) is 1
    model = NGramLanguageModel(5, len(tokenizer)).fit([ids] * 3)

    def next_log_probs(tokens, t):
        return np.stack([model.next_log_probs(row[:t]) for row in tokens])

    out = decoding.generate_greedy(next_log_probs, np.array([ids[:3]]), steps=30)
    assert tokenizer.decode(out[0]) == text
