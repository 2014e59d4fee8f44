"""Tests of companion.decoding.loop: the shared interface, ragged prompts, stop tokens and
compilation."""

import keras
import numpy as np
import pytest
from decoding_fakes import markov_next, numpy_greedy, random_table, run
from keras import ops

from companion import decoding
from companion.decoding.loop import prepare, prompt_start

# Three prompts of lengths 1, 3 and 2 in one buffer of length 7.
RAGGED = np.array([[4, 0, 0, 0, 0, 0, 0], [5, 6, 2, 0, 0, 0, 0], [1, 3, 0, 0, 0, 0, 0]], "int32")


def test_generation_starts_at_the_end_of_the_shortest_prompt():
    mask = RAGGED != 0
    assert int(ops.convert_to_numpy(prompt_start(mask))) == 1
    assert int(ops.convert_to_numpy(prompt_start(np.ones((2, 4), bool)))) == 4  # nothing left
    hole = np.array([[True, False, True, False]])  # a mask with a hole: the first free position
    assert int(ops.convert_to_numpy(prompt_start(hole))) == 1
    prompt, mask, index, cache = prepare(RAGGED)
    assert cache == () and int(ops.convert_to_numpy(index)) == 1
    np.testing.assert_array_equal(ops.convert_to_numpy(mask), RAGGED != 0)


def test_prompts_of_different_lengths_keep_their_tokens_and_match_numpy():
    table = random_table(1, 7)
    next = markov_next(table)
    tokens, alone = run(
        lambda batch, one: (decoding.greedy(next, batch), decoding.greedy(next, one)),
        RAGGED,
        RAGGED[1:2],  # the longest prompt alone
    )
    mask = RAGGED != 0
    np.testing.assert_array_equal(tokens[mask], RAGGED[mask])  # every given token kept
    np.testing.assert_array_equal(tokens, numpy_greedy(table, RAGGED, mask))
    np.testing.assert_array_equal(alone[0], tokens[1])


def test_an_explicit_mask_and_index_override_the_defaults():
    table = random_table(2, 7)
    next = markov_next(table)
    prompt = np.array([[4, 0, 5, 0, 0]], "int32")
    mask = np.array([[True, False, True, False, False]])  # position 2 is given, 1 is not
    tokens = ops.convert_to_numpy(decoding.greedy(next, prompt, prompt_mask=mask))
    np.testing.assert_array_equal(tokens, numpy_greedy(table, prompt, mask))
    assert tokens[0, 2] == 5
    later = decoding.greedy(next, np.array([[4, 1, 0, 0]]), index=3)
    assert ops.convert_to_numpy(later)[0, :3].tolist() == [4, 1, 0]  # position 2 left as it was


def test_stop_tokens_pad_with_zero_and_the_loop_ends_when_every_row_is_done():
    table = np.full((6, 6), -5.0, "float32")
    table[np.arange(6), (np.arange(6) + 1) % 6] = 5.0  # w -> w + 1: 1 2 3 4 ...
    calls = []

    def counting_next(tokens, cache, index):
        calls.append(1)  # Python side effect: counts steps on torch, traces elsewhere
        return markov_next(table)(tokens, cache, index)

    prompt = np.zeros((2, 8), "int32")
    prompt[0, 0], prompt[1, :2] = 1, [4, 5]  # row 1 reaches 3 only after wrapping around
    tokens = ops.convert_to_numpy(decoding.greedy(counting_next, prompt, end_id=3))
    np.testing.assert_array_equal(tokens, [[1, 2, 3, 0, 0, 0, 0, 0], [4, 5, 0, 1, 2, 3, 0, 0]])
    if keras.config.backend() == "torch":  # the loop really ended after position 5
        assert len(calls) == 5
    # an end id given by the prompt does not stop its row
    given = np.array([[3, 4, 0, 0]], "int32")
    np.testing.assert_array_equal(
        ops.convert_to_numpy(decoding.greedy(markov_next(table), given, end_id=3)), [[3, 4, 5, 0]]
    )


def test_the_loops_compile_under_tf_function():
    """JAX compiles every strategy in the other tests (``run``); here TensorFlow's graph."""
    if keras.config.backend() != "tensorflow":
        pytest.skip("tf.function is TensorFlow's; JAX compiles in run(), torch runs eagerly")
    import tensorflow as tf

    table = random_table(3, 7)
    next = markov_next(table)

    @tf.function(input_signature=[tf.TensorSpec((None, 6), tf.int32)])
    def decode(prompt):  # the batch size unknown when traced
        return (
            decoding.top_p(next, prompt, p=1e-6, seed=4, end_id=3),  # the nucleus of one
            decoding.beam_search(next, prompt, beam_width=1, end_id=3)[0],
        )

    prompt = np.array([[4, 0, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0]], "int32")
    expected = numpy_greedy(table, prompt, prompt != 0, end_id=3)
    for tokens in decode(prompt):
        np.testing.assert_array_equal(ops.convert_to_numpy(tokens), expected)


def test_bad_arguments_get_clear_errors():
    next = markov_next(random_table(0, 5))
    with pytest.raises(TypeError, match=r"next must be a callable next\(tokens, cache, index\)"):
        decoding.greedy("model", RAGGED)
    with pytest.raises(ValueError, match=r"prompt must have shape \(batch, length\).*rank 1"):
        decoding.greedy(next, np.array([1, 2, 0]))
    with pytest.raises(TypeError, match=r"prompt must hold int ids \(got dtype float"):
        decoding.greedy(next, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"prompt_mask must have the prompt's shape \(3, 7\)"):
        decoding.greedy(next, RAGGED, prompt_mask=np.ones((3, 6), bool))
    with pytest.raises(ValueError, match=r"index must be an int in \[1, 7\] \(got index=0\)"):
        decoding.greedy(next, RAGGED, index=0)
    with pytest.raises(ValueError, match=r"index must be in \[1, 7\].*every row needs a first"):
        decoding.greedy(next, np.array([[0, 0, 0, 0, 0, 0, 0]] + RAGGED[1:].tolist()))
    with pytest.raises(ValueError, match=r"end_id must be an int >= 0 \(got end_id=-1\)"):
        decoding.greedy(next, RAGGED, end_id=-1)
