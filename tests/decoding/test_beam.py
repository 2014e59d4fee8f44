"""Tests of companion.decoding.beam: exhaustive search on a tiny vocabulary, keras-hub's
BeamSampler, finished beams, the length penalty and the cache reordered with the beams."""

import itertools

import numpy as np
import pytest
from decoding_fakes import context_next, markov_next, random_table, run
from keras import ops

from companion import decoding


def log_softmax(z):
    z = np.asarray(z, "float64")
    return z - z.max() - np.log(np.exp(z - z.max()).sum())


def exhaustive(table, prompt, steps, end_id=None, alpha=0.0):
    """Every continuation of ``prompt`` by ``steps`` tokens, scored and ranked in NumPy.

    A sequence that generated ``end_id`` continues with 0 only, at no cost; its
    score is :math:`\\log P / ((5 + |Y|) / 6)^\\alpha` over its own length.
    """
    vocabulary = table.shape[-1]
    found = []
    for continuation in itertools.product(range(vocabulary), repeat=steps):
        tokens, log_p, length, done, valid = list(prompt), 0.0, 0, False, True
        for token in continuation:
            if done:
                valid = valid and token == 0
            else:
                log_p += log_softmax(table[tokens[-2], tokens[-1]])[token]
                length += 1
                done = end_id is not None and token == end_id
            tokens.append(token)
        if valid:
            found.append((log_p / ((5 + length) / 6) ** alpha, tokens))
    found.sort(key=lambda pair: -pair[0])
    return np.array([tokens for _, tokens in found]), np.array([score for score, _ in found])


def test_width_v_is_exhaustive_over_two_steps(rng):
    table = rng.normal(size=(4, 4, 4)).astype("float32") * 2
    next = context_next(table)
    prompt = np.array([[1, 2, 0, 0]], "int32")
    tokens, scores = run(
        lambda prompt: decoding.beam_search(next, prompt, beam_width=4, return_all_beams=True),
        prompt,
    )
    best, best_scores = exhaustive(table, [1, 2], 2)
    np.testing.assert_array_equal(tokens[0], best[:4])
    np.testing.assert_allclose(scores[0], best_scores[:4], atol=1e-5)


@pytest.mark.parametrize("end_id, alpha, width", [(None, 0.0, 16), (3, 0.0, 40), (3, 1.5, 40)])
def test_a_wide_enough_beam_is_exhaustive_over_three_steps(rng, end_id, alpha, width):
    """Width V^2 keeps every 2-token prefix; with an end id, 40 beams hold every hypothesis."""
    table = rng.normal(size=(4, 4, 4)).astype("float32") * 2
    table[..., 3] += 1.0  # the end id is likely enough to finish some beams early
    next = context_next(table)
    options = {"end_id": end_id, "beam_width": width, "length_penalty": alpha}
    (tokens, scores), (alone, score) = run(
        lambda prompt: (
            decoding.beam_search(next, prompt, return_all_beams=True, **options),
            decoding.beam_search(next, prompt, **options),  # the best only: it may end early
        ),
        np.array([[1, 2, 0, 0, 0]], "int32"),
    )
    best, best_scores = exhaustive(table, [1, 2], 3, end_id, alpha)
    np.testing.assert_array_equal(tokens[0], best[:width])
    np.testing.assert_allclose(scores[0], best_scores[:width], atol=1e-5)
    np.testing.assert_array_equal(alone[0], best[0])
    assert abs(float(score[0]) - best_scores[0]) < 1e-5


def test_the_length_penalty_can_prefer_a_longer_output():
    table = np.full((4, 4, 4), -6.0, "float32")
    table[:, :, 3] = 0.0  # after 1 2: end now (p = 0.52, one token) ...
    table[1, 2, 1], table[2, 1, 3] = -0.105, 9.0  # ... or 1 (p = 0.47), then a sure end
    next = context_next(table)
    short, long = run(
        lambda prompt: [
            decoding.beam_search(next, prompt, end_id=3, beam_width=4, length_penalty=alpha)[0]
            for alpha in (0.0, 2.0)
        ],
        np.array([[1, 2, 0, 0]], "int32"),
    )
    assert short[0].tolist() == [1, 2, 3, 0]
    assert long[0].tolist() == [1, 2, 1, 3]
    lp = ops.convert_to_numpy(decoding.gnmt_length_penalty(np.array([0, 1, 2, 7]), 0.6))
    np.testing.assert_allclose(lp, ((5 + np.array([0, 1, 2, 7])) / 6) ** 0.6, rtol=1e-6)


def _absorbing_table(seed, vocabulary, end_id):
    """Markov logits where the end id and padding lead to padding with probability 1 (in float32):
    keras-hub's beams, which go on after the end, then score what ours do."""
    table = random_table(seed, vocabulary)
    table[:, end_id] += 1.0
    table[:, 0] = -30.0  # padding is never generated before the end
    table[[0, end_id]] = -30.0
    table[[0, end_id], 0] = 30.0
    return table


@pytest.mark.parametrize("end_id", [None, 3])
def test_beam_search_equals_keras_hub_beam_sampler(end_id):
    import keras_hub

    next = markov_next(_absorbing_table(4, 9, 3))
    prompt = np.zeros((3, 8), "int32")
    prompt[:, :2] = [[4, 5], [6, 7], [8, 2]]
    sampler = keras_hub.samplers.BeamSampler(num_beams=3, return_all_beams=True)
    stop = None if end_id is None else (end_id,)
    (tokens, scores), (theirs, their_scores) = run(
        lambda prompt, mask: (
            decoding.beam_search(
                next, prompt, end_id=end_id, beam_width=3, return_all_beams=end_id is None
            ),
            sampler(next, prompt, index=2, mask=mask, stop_token_ids=stop),
        ),
        prompt,
        prompt != 0,
    )
    if end_id is None:  # every beam, best first
        np.testing.assert_array_equal(tokens, theirs)
        np.testing.assert_allclose(scores, their_scores, atol=1e-4)
    else:  # the best beam; ours stops once no live beam can beat it
        np.testing.assert_array_equal(tokens, theirs[:, 0])
        np.testing.assert_allclose(scores, their_scores[:, 0], atol=1e-4)
        assert (tokens[:, 2:] == end_id).any()  # some row ended


def test_width_one_is_greedy_and_ragged_prompts_keep_their_tokens():
    next = markov_next(random_table(6, 8))
    prompt = np.zeros((3, 9), "int32")
    prompt[0, :1], prompt[1, :4], prompt[2, :2] = [4], [5, 6, 7, 1], [2, 2]
    greedy, one, wide, alone = run(
        lambda prompt, longest: (
            decoding.greedy(next, prompt, end_id=3),
            decoding.beam_search(next, prompt, end_id=3, beam_width=1)[0],
            decoding.beam_search(next, prompt, end_id=3, beam_width=4)[0],
            decoding.beam_search(next, longest, end_id=3, beam_width=4)[0],
        ),
        prompt,
        prompt[1:2],
    )
    np.testing.assert_array_equal(one, greedy)
    np.testing.assert_array_equal(wide[prompt != 0], prompt[prompt != 0])
    np.testing.assert_array_equal(alone[0], wide[1])  # a row alone is the row in the batch


def test_every_leaf_of_a_nested_cache_is_reordered_with_the_beams():
    """A ``next`` that keeps the prefix's sum in its cache decodes as one that reads the buffer."""
    rows = ops.convert_to_tensor(random_table(7, 6))

    def from_tokens(tokens, cache, index):
        before = ops.cast(ops.arange(tokens.shape[1]) < index, "int32")  # (L,)
        total = ops.sum(tokens * before[None, :], axis=1)  # (B,)
        return ops.take(rows, total % 6, axis=0), None, cache

    def from_cache(tokens, cache, index):
        total = cache["sum"] + ops.take(tokens, index - 1, axis=1)  # (B,)
        copies = cache["nested"][0] + ops.cast(total, "float32")[:, None, None]  # (B, 2, 3)
        return ops.take(rows, total % 6, axis=0), None, {"sum": total, "nested": (copies,)}

    prompt = np.zeros((2, 7), "int32")
    prompt[:, 0] = [4, 5]
    cache = {"sum": np.zeros((2,), "int32"), "nested": (np.zeros((2, 2, 3), "float32"),)}
    expected, tokens = run(
        lambda prompt, cache: (
            decoding.beam_search(from_tokens, prompt, beam_width=3, end_id=2)[0],
            decoding.beam_search(from_cache, prompt, cache, beam_width=3, end_id=2)[0],
        ),
        prompt,
        cache,
    )
    np.testing.assert_array_equal(tokens, expected)


def test_bad_arguments_get_clear_errors():
    next = markov_next(random_table(0, 5))
    prompt = np.array([[1, 0, 0]])
    with pytest.raises(ValueError, match=r"beam_width must be an int >= 1 \(got beam_width=0\)"):
        decoding.beam_search(next, prompt, beam_width=0)
    with pytest.raises(ValueError, match=r"length_penalty must be a finite number in \[0, inf\)"):
        decoding.beam_search(next, prompt, length_penalty=-0.5)
    with pytest.raises(TypeError, match=r"return_all_beams must be a bool \(got"):
        decoding.beam_search(next, prompt, return_all_beams=1)
    with pytest.raises(TypeError, match=r"alpha must be a number \(got alpha='0.6'"):
        decoding.gnmt_length_penalty([1, 2], "0.6")
