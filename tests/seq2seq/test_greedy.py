"""Tests of companion.seq2seq.greedy: the compiled loop equals step-by-step argmax."""

import keras
import numpy as np
import pytest
from layer_checks import check_save_and_load
from support import to_numpy

from companion import seq2seq

SOURCE = np.array([[5, 6, 7, 0, 0], [8, 9, 5, 6, 4], [4, 0, 0, 0, 0]], "int32")


def python_greedy(model, source, max_length, end_id=3):
    """The loop written out in Python, one decoder step at a time."""
    outputs, states, mask = model.encoder(source)
    previous = np.full(len(source), 2)
    done = np.zeros(len(source), bool)
    tokens = np.zeros((len(source), max_length), int)
    for t in range(max_length):
        logits, states, _ = model.decoder.step(previous, states, outputs, mask)
        choice = np.where(done, 0, to_numpy(logits)[0].argmax(-1))
        tokens[:, t] = choice
        done |= choice == end_id
        previous = choice
    return tokens


@pytest.mark.parametrize("attention", [None, "general"])
def test_compiled_greedy_equals_the_python_loop(attention):
    keras.utils.set_random_seed(3)
    model = seq2seq.Seq2Seq(10, 6, embedding_dim=4, units=8, attention=attention)
    tokens, weights = seq2seq.greedy_translate(model, SOURCE, max_length=7)
    np.testing.assert_array_equal(tokens, python_greedy(model, SOURCE, 7))
    assert weights.shape == (3, 7, 5) and np.isfinite(weights).all()
    if attention:
        np.testing.assert_array_equal(weights[2, :, 1:], 0.0)  # padding of source 3


def test_tokens_after_the_end_id_are_padding():
    keras.utils.set_random_seed(0)
    model = seq2seq.Seq2Seq(10, 5, embedding_dim=4, units=8, attention=None)
    model((SOURCE, np.full((3, 2), 2)))  # builds the weights
    bias = model.decoder.output_projection.bias
    bias.assign(np.array([0, 0, 0, 50.0, 0], "float32"))  # the end id always wins
    tokens, _ = seq2seq.greedy_translate(model, SOURCE, max_length=4)
    np.testing.assert_array_equal(tokens, [[3, 0, 0, 0]] * 3)


def test_translator_saves_and_loads(tmp_path):
    keras.utils.set_random_seed(0)
    model = seq2seq.Seq2Seq(10, 6, embedding_dim=4, units=8, attention="bahdanau")
    translator = seq2seq.GreedyTranslator(model, max_length=5)
    translator(SOURCE)
    check_save_and_load(translator, SOURCE, tmp_path)
    with pytest.raises(TypeError, match="seq2seq must be a companion encoder-decoder model"):
        seq2seq.GreedyTranslator(keras.layers.Dense(3), max_length=5)
    with pytest.raises(ValueError, match=r"max_length must be an int >= 1 \(got max_length=0\)"):
        seq2seq.GreedyTranslator(model, max_length=0)
