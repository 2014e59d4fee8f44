"""Tests of companion.decoding.greedy: greedy decoding with deterministic fake models, against
NumPy and keras-hub's GreedySampler."""

import numpy as np
import pytest
from decoding_fakes import markov_next, numpy_greedy, random_table, run

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


def _padded_after_end(tokens, mask, end_id):
    """keras-hub's tokens with every generated position after a generated end set to 0."""
    tokens = tokens.copy()
    for row in range(len(tokens)):
        ends = np.flatnonzero((tokens[row] == end_id) & ~mask[row])
        if len(ends):
            tokens[row, ends[0] + 1 :] = 0
    return tokens


@pytest.mark.parametrize("end_id", [None, 1])
def test_greedy_equals_keras_hub_greedy_sampler(end_id):
    import keras_hub

    table = random_table(5, 9)
    next = markov_next(table)
    prompt = np.zeros((4, 10), "int32")
    prompt[0, :1], prompt[1, :3], prompt[2, :2], prompt[3, :4] = [4], [5, 6, 7], [8, 1], [2] * 4
    mask = prompt != 0
    sampler = keras_hub.samplers.GreedySampler()
    stop = None if end_id is None else (end_id,)
    ours, theirs = run(
        lambda prompt, mask: (
            decoding.greedy(next, prompt, end_id=end_id),
            sampler(next, prompt, index=1, mask=mask, stop_token_ids=stop),
        ),
        prompt,
        mask,
    )
    if end_id is not None:  # keras-hub leaves the tokens after the end to its caller
        theirs = _padded_after_end(theirs, mask, end_id)
        assert (ours[:, 4:] == end_id).any()  # the stop token was generated
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, numpy_greedy(table, prompt, mask, end_id))
