"""Tests of companion.transformer.positional: equal to keras-hub's layers and to the formula.

Tolerance: outputs atol 1e-5.
"""

import keras
import keras_hub
import numpy as np
import pytest
from layer_checks import check_config_round_trip, check_layer
from support import to_numpy

from companion import transformer

OUTPUT_ATOL = 1e-5


def _numpy_encoding(length, depth, start=0, max_wavelength=10_000.0):
    r""":math:`PE_{(pos, 2i)} = \sin(pos / 10000^{2i/d})`, :math:`\cos` at :math:`2i + 1`."""
    encoding = np.zeros((length, depth))
    position = np.arange(start, start + length)[:, None]
    for i in range(0, depth, 2):
        angle = position[:, 0] / max_wavelength ** (i / depth)
        encoding[:, i] = np.sin(angle)
        if i + 1 < depth:
            encoding[:, i + 1] = np.cos(angle)
    return encoding


@pytest.mark.parametrize("start_index", [0, 3])
def test_sinusoidal_encoding_equals_keras_hub_and_the_formula(rng, start_index):
    x = rng.standard_normal((2, 6, 8)).astype("float32")
    ours = transformer.SinusoidalPositionEncoding()(x, start_index=start_index)
    theirs = keras_hub.layers.SinePositionEncoding()(x, start_index=start_index)
    ours, theirs = to_numpy([ours, theirs])
    assert ours.shape == x.shape
    np.testing.assert_allclose(ours, theirs, atol=OUTPUT_ATOL)
    expected = _numpy_encoding(6, 8, start=start_index)
    np.testing.assert_allclose(ours, np.broadcast_to(expected, x.shape), atol=OUTPUT_ATOL)


def test_sinusoidal_encoding_with_an_odd_depth_another_wavelength_and_a_tensor_index(rng):
    x = rng.standard_normal((1, 4, 5)).astype("float32")
    start = keras.ops.convert_to_tensor(2, "int32")
    ours = transformer.SinusoidalPositionEncoding(max_wavelength=100)(x, start_index=start)
    expected = _numpy_encoding(4, 5, start=2, max_wavelength=100.0)
    np.testing.assert_allclose(to_numpy(ours)[0][0], expected, atol=OUTPUT_ATOL)
    # the encoding of a later window continues the earlier one
    whole = to_numpy(transformer.SinusoidalPositionEncoding()(np.zeros((1, 9, 4), "float32")))
    part = to_numpy(
        transformer.SinusoidalPositionEncoding()(np.zeros((1, 3, 4), "float32"), start_index=6)
    )
    np.testing.assert_allclose(whole[0][:, 6:], part[0], atol=OUTPUT_ATOL)


@pytest.mark.parametrize("start_index", [0, 2])
def test_position_embedding_equals_keras_hub_with_the_same_table(rng, start_index):
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    ours = transformer.PositionEmbedding(8)
    theirs = keras_hub.layers.PositionEmbedding(8)
    theirs.build(x.shape)
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    outputs, expected = to_numpy(
        [ours(x, start_index=start_index), theirs(x, start_index=start_index)]
    )
    np.testing.assert_allclose(outputs, expected, atol=OUTPUT_ATOL)
    (table,) = to_numpy(ours.position_embeddings)
    assert table.shape == (8, 8)
    np.testing.assert_array_equal(outputs[1], table[start_index : start_index + 5])


@pytest.mark.parametrize("positions", transformer.POSITION_KINDS)
def test_token_and_position_embedding_adds_the_position_to_the_token(rng, positions):
    ids = rng.integers(1, 20, size=(2, 5)).astype("int32")
    layer = transformer.TokenAndPositionEmbedding(20, 8, 8, positions=positions)
    embedded = to_numpy(layer(ids, start_index=1))[0]
    (tokens,) = to_numpy(layer.token_embedding.embeddings)
    scale = np.sqrt(8) if positions == "sinusoidal" else 1.0  # the paper's sqrt(d) E[w]
    offsets = embedded - scale * tokens[ids]
    if positions == "learned":
        (table,) = to_numpy(layer.position_embedding.position_embeddings)
        expected = table[1:6]
    else:
        expected = _numpy_encoding(5, 8, start=1)
    np.testing.assert_allclose(offsets, np.broadcast_to(expected, offsets.shape), atol=OUTPUT_ATOL)
    assert layer.compute_output_shape((2, 5)) == (2, 5, 8)


def test_too_long_inputs_are_refused():
    with pytest.raises(
        ValueError, match=r"at most sequence_length=4 steps \(got shape \(1, 5, 3\)"
    ):
        transformer.PositionEmbedding(4)(np.zeros((1, 5, 3), "float32"))
    layer = transformer.TokenAndPositionEmbedding(10, 3, 4)
    with pytest.raises(ValueError, match=r"at most sequence_length=4 steps"):
        layer(np.ones((1, 5), "int32"))
    # sinusoidal positions have no table, hence no limit
    layer = transformer.TokenAndPositionEmbedding(10, 4, 4, positions="sinusoidal")
    assert tuple(layer(np.ones((1, 9), "int32")).shape) == (1, 9, 4)


def test_positional_layers_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, time, features\)"):
        transformer.SinusoidalPositionEncoding()(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"sequence_length must be an int >= 1"):
        transformer.PositionEmbedding(0)
    with pytest.raises(ValueError, match=r"positions must be one of 'learned', 'sinusoidal'"):
        transformer.TokenAndPositionEmbedding(10, 4, 4, positions="rotary")


def test_sinusoidal_encoding_passes_the_shared_layer_checks(rng, tmp_path):
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    check_layer(  # no weights, hence no training step
        lambda: transformer.SinusoidalPositionEncoding(max_wavelength=500), x, tmp_path, train=False
    )


def test_position_embedding_passes_the_shared_layer_checks(rng, tmp_path):
    x = rng.standard_normal((2, 5, 8)).astype("float32")
    check_layer(lambda: transformer.PositionEmbedding(7, initializer="ones"), x, tmp_path)


def test_token_and_position_embedding_passes_the_shared_layer_checks(rng, tmp_path):
    ids = rng.integers(0, 20, size=(2, 5)).astype("int32")
    check_layer(lambda: transformer.TokenAndPositionEmbedding(20, 8, 8), ids, tmp_path)
    # the sinusoidal kind has the same layers but for the positions: its config suffices
    check_config_round_trip(transformer.TokenAndPositionEmbedding(20, 8, 8, positions="sinusoidal"))
