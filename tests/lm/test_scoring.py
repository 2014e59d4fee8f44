"""Tests of companion.lm.scoring: chain-rule sums, stream scoring, perplexity."""

import keras
import numpy as np
import pytest
from keras import ops

from companion import lm


def _tiny_language_model(vocabulary_size=9):
    keras.utils.set_random_seed(0)
    return lm.build_language_model(vocabulary_size, embedding_dim=4, units=6)


def test_sequence_log_probs_is_the_chain_rule_sum_and_ignores_padding():
    model = _tiny_language_model()
    sentences = [[2, 4, 5, 6, 3], [2, 7, 3]]
    scores = lm.sequence_log_probs(model, sentences)
    for sentence, score in zip(sentences, scores, strict=True):
        logits = ops.convert_to_numpy(model(np.array([sentence[:-1]])))[0]  # (T, V)
        log_softmax = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        expected = sum(log_softmax[t, sentence[t + 1]] for t in range(len(sentence) - 1))
        assert abs(score - expected) < 1e-4


def test_stream_log_probs_scores_every_token_once_even_past_the_window():
    model = _tiny_language_model()
    ids = np.random.default_rng(0).integers(2, 9, size=50)
    full = lm.stream_log_probs(model, ids, window=64, warmup=0)
    assert full.shape == (49,)
    inputs, targets = ids[None, :-1], ids[None, 1:]
    np.testing.assert_allclose(full, lm.token_log_probs(model, inputs, targets)[0], 1e-5)
    # a text longer than the window: still one score per token, and the tokens scored with
    # at least `warmup` tokens of context agree with the one-pass scores only approximately
    windowed = lm.stream_log_probs(model, ids, window=12, warmup=6)
    assert windowed.shape == (49,)
    np.testing.assert_allclose(windowed[:12], full[:12], atol=1e-5)  # first window: same
    with pytest.raises(ValueError, match="warmup must be < window"):
        lm.stream_log_probs(model, ids, window=4, warmup=4)


def test_perplexity_of_known_probabilities_and_bad_log_probabilities():
    assert lm.perplexity(np.log(np.full(7, 0.25))) == pytest.approx(4.0)
    assert lm.perplexity([0.0]) == 1.0  # certain: one choice
    # regression: a positive "log-probability" (a probability passed as is) was accepted
    with pytest.raises(ValueError, match=r"log_probs must be natural-log probabilities <= 0.*0.5"):
        lm.perplexity([0.5])
    with pytest.raises(ValueError, match="log_probs must be finite"):
        lm.perplexity([-1.0, np.nan])
    with pytest.raises(ValueError, match="at least one value"):
        lm.perplexity([])
    with pytest.raises(TypeError, match="log_probs must hold numbers"):
        lm.perplexity(["-1"])
