"""Tests of companion.decoding.adapters (and the compiled Generator): cached decoding gives
exactly the tokens of decoding without the cache, for chapter 5's GPT and encoder-decoder, and
chapter 4's recurrent model decodes as its own greedy loop does.

The Transformers' comparisons run one side through :func:`decoding.generate`'s compiled
``predict``, so the Generator is checked on the way; the rest runs through ``run`` (one
compiled program on JAX)."""

import keras
import numpy as np
import pytest
from decoding_fakes import run

from companion import decoding, seq2seq, transformer

SOURCE = np.array([[5, 6, 7, 0, 0], [8, 9, 5, 6, 4], [4, 0, 0, 0, 0]], "int32")


@pytest.fixture(scope="module")
def gpt():
    keras.utils.set_random_seed(1)
    return transformer.TransformerLanguageModel(
        13, 10, hidden_dim=16, num_heads=2, num_layers=2, intermediate_dim=16
    )


@pytest.fixture(scope="module")
def transformer_seq2seq():
    keras.utils.set_random_seed(2)
    return transformer.TransformerSeq2Seq(
        10, 9, 6, hidden_dim=16, num_heads=2, num_layers=1, intermediate_dim=16
    )


def test_the_gpt_decodes_the_same_tokens_with_and_without_its_cache(gpt):
    prompt = np.zeros((3, 11), "int32")  # one longer than the context: the last token is not fed
    prompt[0, :1], prompt[1, :4], prompt[2, :2] = [4], [5, 6, 7, 8], [9, 2]
    # compiled, in batches of 2: the third row is padded to a whole batch
    cached = decoding.generate(gpt, prompt[:, :4], max_length=11, batch_size=2)
    uncached = decoding.generate(gpt, prompt[:, :4], max_length=11, batch_size=2, cached=False)
    np.testing.assert_array_equal(cached, uncached)
    np.testing.assert_array_equal(cached[prompt != 0], prompt[prompt != 0])
    assert len(np.unique(cached[:, 4:])) > 1  # not a constant output
    next, cache = decoding.language_model_step(gpt, prompt, cached=False)
    assert cache == ()  # nothing carried: every step runs the whole buffer again


def test_the_transformer_seq2seq_beams_the_same_tokens_with_and_without_its_cache(
    transformer_seq2seq,
):
    """Beam search reorders the key/value cache and the encoder outputs held in the cache."""
    options = {"beam_width": 3, "end_id": 3, "length_penalty": 0.6, "return_all_beams": True}
    cached, scores = decoding.generate(transformer_seq2seq, SOURCE, "beam", 6, **options)

    def uncached_and_the_cache(source):
        next, cache, prompt = decoding.seq2seq_step(
            transformer_seq2seq, source, max_length=6, cached=False
        )
        beams = decoding.beam_search(next, prompt, cache, **options)
        return beams, decoding.seq2seq_step(transformer_seq2seq, source, max_length=6)[1:]

    (uncached, uncached_scores), (cache, prompt) = run(uncached_and_the_cache, SOURCE)
    np.testing.assert_array_equal(cached, uncached[..., 1:])  # generate leaves out the start id
    np.testing.assert_allclose(scores, uncached_scores, atol=1e-4)
    assert cached.shape == (3, 3, 6)  # every beam: the scores compare every step's logits
    assert sorted(cache) == ["encoder_outputs", "source_mask", "states"]
    assert [state.shape[0] for state in keras.tree.flatten(cache)] == [3, 3, 3]  # batch first
    assert [len(state.shape) for state in cache["states"]] == [6]  # no scalar position left
    np.testing.assert_array_equal(prompt, [[2, 0, 0, 0, 0, 0, 0]] * 3)


def test_the_recurrent_seq2seq_decodes_as_chapter_4s_greedy_translator():
    keras.utils.set_random_seed(3)
    model = seq2seq.Seq2Seq(10, 6, embedding_dim=4, units=8, attention="bahdanau")
    model.build(((None, None), (None, None)))  # weights now, not inside the compiled call
    translator = seq2seq.GreedyTranslator(model, max_length=6)  # greedy_translate's loop

    def both(source):
        next, cache, prompt = decoding.seq2seq_step(model, source, max_length=6)
        return decoding.greedy(next, prompt, cache, end_id=3), translator(source)[0]

    ours, chapter_4 = run(both, SOURCE)
    np.testing.assert_array_equal(ours[:, 1:], chapter_4)  # chapter 4 leaves out the start id
    assert len(np.unique(chapter_4)) > 1  # not a constant output


def test_bad_models_and_lengths_get_clear_errors(gpt, transformer_seq2seq):
    dense = keras.layers.Dense(3)
    with pytest.raises(TypeError, match=r"model must be a language model with next.*got Dense"):
        decoding.language_model_step(dense, np.ones((1, 3), "int32"))
    with pytest.raises(ValueError, match=r"prompt must have length <= sequence_length \+ 1 = 11"):
        decoding.language_model_step(gpt, np.ones((1, 12), "int32"))
    with pytest.raises(ValueError, match=r"prompt must have length >= 2.*\(got shape \(1, 1\)\)"):
        decoding.language_model_step(gpt, np.ones((1, 1), "int32"))
    with pytest.raises(TypeError, match=r"prompt must hold int ids \(got dtype float32\)"):
        decoding.language_model_step(gpt, np.ones((1, 3), "float32"))
    with pytest.raises(TypeError, match=r"model must be a companion encoder-decoder.*got Dense"):
        decoding.seq2seq_step(dense, SOURCE, 4)
    with pytest.raises(ValueError, match=r"max_length must be <= the model's max_decode_steps=6"):
        decoding.seq2seq_step(transformer_seq2seq, SOURCE, 7)
    with pytest.raises(ValueError, match=r"source_ids must have shape \(batch, length\)"):
        decoding.seq2seq_step(transformer_seq2seq, SOURCE[0], 4)
