"""Tests of companion.decoding.generator: the seed moves on from batch to batch, the
configuration round trip, and clear errors (the equality tests run through test_adapters)."""

import json

import keras
import numpy as np
import pytest

from companion import decoding, seq2seq


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(4)
    return seq2seq.Seq2Seq(10, 12, embedding_dim=4, units=8, attention=None)


def test_sampling_draws_new_numbers_for_every_batch(model):
    source = np.array([[5, 6, 7, 0]] * 4, "int32")  # four copies, in two batches of two
    tokens = decoding.generate(
        model, source, "top_p", max_length=8, batch_size=2, seed=3, p=0.95, temperature=2.0
    )
    assert tokens.shape == (4, 8)
    assert (tokens[:2] != tokens[2:]).any()  # the second batch drew other numbers


def test_a_generator_saves_and_loads_with_its_model(model, tmp_path):
    generator = decoding.Generator(model, "top_k", 5, seed=2, options={"k": 3})
    generator.save(tmp_path / "generator.keras")
    restored = keras.saving.load_model(tmp_path / "generator.keras")
    assert isinstance(restored, decoding.Generator) and restored.get_config()["options"] == {"k": 3}
    for ours, theirs in zip(model.weights, restored.network.weights, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(theirs), keras.ops.convert_to_numpy(ours)
        )


def test_the_configuration_survives_json_and_bad_options_are_named(model):
    generator = decoding.Generator(model, "beam", 5, end_id=3, options={"beam_width": 2})
    config = json.loads(json.dumps(generator.get_config()))
    restored = decoding.Generator.from_config(config)
    assert (restored.strategy, restored.max_length, restored.options) == (
        "beam",
        5,
        {"beam_width": 2},
    )
    with pytest.raises(ValueError, match=r"options must be among .*'k'.* \(got \['beam_width'\]\)"):
        decoding.Generator(model, "top_k", 5, options={"beam_width": 2})
    with pytest.raises(ValueError, match=r"strategy must be one of .* \(got strategy='nucleus'\)"):
        decoding.Generator(model, "nucleus", 5)
    with pytest.raises(ValueError, match=r"max_length must be given for an encoder-decoder"):
        decoding.Generator(model)
    with pytest.raises(TypeError, match=r"model must be a language model .*\(got Dense\)"):
        decoding.Generator(keras.layers.Dense(2))
    with pytest.raises(
        ValueError, match=r"inputs must be \(N, L\) int ids with N >= 1 \(got shape \(3,\)"
    ):
        decoding.generate(model, np.arange(3), max_length=4)
