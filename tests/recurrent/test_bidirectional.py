"""Tests of companion.recurrent.bidirectional: equal to Keras's, and the max merge."""

import keras
import numpy as np
import pytest
from support import gradients, loss_of_outputs, ragged_mask, random_sequences, to_numpy

from companion import recurrent

ATOL = 1e-5
BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional_equals_keras(merge_mode, rng):
    inputs, mask = random_sequences(rng), ragged_mask()
    flags = dict(return_sequences=True, return_state=True)
    reference = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, **flags), merge_mode)
    mine = recurrent.Bidirectional(recurrent.LSTM(UNITS, **flags), merge_mode)
    reference.build((None, STEPS, FEATURES))
    mine.build((None, STEPS, FEATURES))
    weights = [
        w + 0.3 * rng.normal(size=w.shape).astype("float32") for w in reference.get_weights()
    ]
    reference.set_weights(weights)
    mine.set_weights(weights)
    expected, expected_grads = gradients(
        reference.trainable_weights, loss_of_outputs(reference, inputs, mask)
    )
    actual, actual_grads = gradients(mine.trainable_weights, loss_of_outputs(mine, inputs, mask))
    assert len(actual) == len(expected) == (6 if merge_mode is None else 5)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)
    for a, e in zip(actual_grads, expected_grads, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_max_takes_the_larger_direction(return_sequences, rng):
    inputs, mask = random_sequences(rng), ragged_mask()
    layer = recurrent.Bidirectional(
        recurrent.GRU(UNITS, return_sequences=return_sequences), merge_mode=None
    )
    both = to_numpy(layer(inputs, mask=mask))
    maximum = recurrent.Bidirectional(
        recurrent.GRU(UNITS, return_sequences=return_sequences), merge_mode="max"
    )
    maximum(inputs)
    maximum.set_weights(layer.get_weights())
    merged = to_numpy(maximum(inputs, mask=mask))[0]
    np.testing.assert_allclose(merged, np.maximum(both[0], both[1]), atol=ATOL)
    assert merged.shape[-1] == UNITS
    # the backward direction read the sequence from the end: its first output saw everything
    assert not np.allclose(both[0], both[1])


def test_wrapping_a_built_layer_keeps_only_the_two_directions_weights(rng):
    """Regression: the wrapped layer's own (unused) weights were trainable weights too."""
    inputs = random_sequences(rng)
    built = recurrent.LSTM(UNITS)
    built(inputs)
    layer = recurrent.Bidirectional(built)
    layer(inputs)
    assert len(layer.trainable_weights) == 6  # kernel, recurrent kernel, bias, both ways
    assert {w.path.split("/")[-3] for w in layer.weights} == {
        f"forward_{built.name}",
        f"backward_{built.name}",
    }


def test_no_unbuilt_layer_is_tracked_so_training_never_rebuilds_the_model(rng):
    """Regression: an unbuilt template layer made every train_on_batch rebuild the model.

    Keras re-runs a symbolic build of the model while any tracked layer is unbuilt
    (``_flatten_layers`` is Keras's own walk over the tracked layers).
    """
    inputs = keras.Input((STEPS, FEATURES))
    layer = recurrent.Bidirectional(recurrent.GRU(UNITS))
    keras.Model(inputs, layer(inputs))
    unbuilt = [inner.name for inner in layer._flatten_layers() if not inner.built]
    assert unbuilt == []
