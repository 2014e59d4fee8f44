"""Tests of companion.decoding.sampling: the filters against NumPy, draws against the filtered
distribution (chi-square), and the limits that are greedy decoding."""

import numpy as np
import pytest
from decoding_fakes import markov_next, random_table, run
from keras import ops
from scipy import stats

from companion import decoding


def numpy_filtered(logits, temperature=1.0, top_k=None, top_p=None):
    """The course's recipe, row by row: softmax(z / T), keep the k best, keep the nucleus."""
    out = []
    for z in np.asarray(logits, "float64"):
        p = np.exp(z / temperature - np.max(z / temperature))
        p /= p.sum()
        if top_k is not None:
            keep = np.argsort(-z)[:top_k]
            p = np.where(np.isin(np.arange(len(z)), keep), p, 0.0)
            p /= p.sum()
        if top_p is not None:
            order = np.argsort(-p)
            mass_before = np.cumsum(p[order]) - p[order]
            keep = order[mass_before < top_p]
            p = np.where(np.isin(np.arange(len(z)), keep), p, 0.0)
            p /= p.sum()
        out.append(p)
    return np.array(out)


@pytest.mark.parametrize(
    "temperature, top_k, top_p",
    [(1.0, None, None), (0.5, None, None), (2.0, 3, None), (1.0, None, 0.6), (0.7, 5, 0.8)],
)
def test_filtered_probabilities_equal_numpy(rng, temperature, top_k, top_p):
    logits = rng.normal(size=(6, 9)).astype("float32") * 2
    ours = ops.convert_to_numpy(
        decoding.filtered_probabilities(logits, temperature, top_k=top_k, top_p=top_p)
    )
    np.testing.assert_allclose(ours, numpy_filtered(logits, temperature, top_k, top_p), atol=1e-6)
    np.testing.assert_allclose(ours.sum(-1), 1.0, atol=1e-6)
    kept = (ours > 0).sum(-1)
    if top_k is not None:
        assert (kept <= top_k).all()
    if top_p is not None:  # the nucleus reaches p, and would not without its last token
        mass = numpy_filtered(logits, temperature, top_k)
        nucleus = np.where(ours > 0, mass, 0.0)
        assert (nucleus.sum(-1) >= top_p - 1e-6).all()
        assert (nucleus.sum(-1) - np.where(ours > 0, mass, 2.0).min(-1) < top_p).all()


def test_filtered_probabilities_of_a_known_distribution():
    logits = np.log(np.array([0.4, 0.3, 0.2, 0.1], "float32"))
    top2 = ops.convert_to_numpy(decoding.filtered_probabilities(logits, top_k=2))
    np.testing.assert_allclose(top2, [0.4 / 0.7, 0.3 / 0.7, 0, 0], atol=1e-6)
    nucleus = ops.convert_to_numpy(decoding.filtered_probabilities(logits, top_p=0.7))
    np.testing.assert_allclose(nucleus, [4 / 7, 3 / 7, 0, 0], atol=1e-6)  # 0.4 + 0.3 reaches 0.7
    nucleus = ops.convert_to_numpy(decoding.filtered_probabilities(logits, top_p=0.75))
    np.testing.assert_allclose(nucleus, [4 / 9, 3 / 9, 2 / 9, 0], atol=1e-6)  # 0.7 does not
    cold = ops.convert_to_numpy(decoding.filtered_probabilities(logits, temperature=1e-4))
    np.testing.assert_allclose(cold, [1, 0, 0, 0], atol=1e-6)


DRAWS = 2000
TABLE = random_table(7, 8, scale=1.0)
STRATEGIES = {
    "sample": (decoding.sample, {"temperature": 1.3}, {"temperature": 1.3}),
    "top_k": (decoding.top_k, {"k": 4, "temperature": 0.8}, {"top_k": 4, "temperature": 0.8}),
    "top_p": (decoding.top_p, {"p": 0.7}, {"top_p": 0.7}),
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_draws_follow_the_filtered_distribution(name):
    """2,000 rows, one step each: the counts pass a chi-square test at the 0.1% level."""
    strategy, options, filters = STRATEGIES[name]
    prompt = np.zeros((DRAWS, 2), "int32")
    prompt[:, 0] = 5
    next = markov_next(TABLE)
    tokens = run(lambda prompt: strategy(next, prompt, seed=11, **options), prompt)
    counts = np.bincount(tokens[:, 1], minlength=8)
    expected = ops.convert_to_numpy(decoding.filtered_probabilities(TABLE[5:6], **filters))[0]
    expected = expected.astype("float64") / expected.sum(dtype="float64")
    assert counts[expected == 0].sum() == 0  # a filtered token is never drawn
    kept = expected > 0
    assert (expected[kept] * DRAWS >= 5).all()  # the test's condition on every cell
    statistic, p_value = stats.chisquare(counts[kept], expected[kept] * DRAWS)
    assert p_value > 1e-3, (counts, expected * DRAWS, statistic)


def test_the_same_seed_gives_the_same_tokens_and_another_seed_others():
    next = markov_next(random_table(8, 12, scale=0.5))
    prompt = np.array([[3, 0, 0, 0, 0, 0, 0, 0]] * 4, "int32")
    first, again, other = run(
        lambda prompt: [decoding.sample(next, prompt, seed=seed) for seed in (1, 1, 2)], prompt
    )
    np.testing.assert_array_equal(first, again)
    assert (first != other).any()
    # a keras.random.SeedGenerator moves on at every call: test_generator's batches check it


def test_the_limits_of_sampling_are_greedy_decoding():
    table = random_table(9, 9)
    next = markov_next(table)
    prompt = np.zeros((5, 12), "int32")
    prompt[:, 0] = np.arange(4, 9)
    prompt[1, 1:3] = [2, 2]
    greedy, cold, one, tiny = run(
        lambda prompt: (
            decoding.greedy(next, prompt, end_id=5),
            decoding.sample(next, prompt, end_id=5, temperature=1e-4, seed=0),
            decoding.top_k(next, prompt, end_id=5, k=1, temperature=5.0, seed=0),
            decoding.top_p(next, prompt, end_id=5, p=1e-6, seed=0),  # the nucleus of one
        ),
        prompt,
    )
    assert (greedy[:, 1:] == 5).any() and (greedy == 0).any()  # rows ended, padded
    for tokens in (cold, one, tiny):
        np.testing.assert_array_equal(tokens, greedy)


def test_bad_arguments_get_clear_errors():
    next = markov_next(random_table(0, 5))
    prompt = np.array([[1, 0, 0]])
    with pytest.raises(ValueError, match=r"temperature must be a finite number in \(0, inf\)"):
        decoding.sample(next, prompt, temperature=0.0)
    with pytest.raises(ValueError, match=r"k must be an int >= 1 \(got k=0\)"):
        decoding.top_k(next, prompt, k=0)
    with pytest.raises(ValueError, match=r"p must be a finite number in \(0, 1\] \(got p=1.5\)"):
        decoding.top_p(next, prompt, p=1.5)
    with pytest.raises(ValueError, match=r"seed must be an int >= 0 \(got seed=-1\)"):
        decoding.sample(next, prompt, seed=-1)
    with pytest.raises(ValueError, match=r"top_k must be an int >= 1 \(got top_k=0\)"):
        decoding.filtered_probabilities(np.zeros((1, 3)), top_k=0)
    with pytest.raises(ValueError, match=r"logits must have shape \(..., V\).*\(got shape \(\)\)"):
        decoding.filtered_probabilities(1.0)
