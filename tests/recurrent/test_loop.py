"""Tests of companion.recurrent.loop: the loop over time, masks, unrolling, retracing."""

import keras
import numpy as np
import pytest
from keras import ops
from support import ragged_mask, to_numpy

from companion import recurrent

ATOL = 1e-6


def accumulate(x_t, states):
    """A recurrence easy to follow: h_t = h_{t-1} + x_t, with a second state counting steps."""
    (h_prev, count) = states
    h = h_prev + x_t
    return h, [h, count + 1.0]


def _inputs(rng, batch=3, steps=6, width=2):
    return rng.normal(size=(batch, steps, width)).astype("float32")


@pytest.mark.parametrize("unroll", [False, True], ids=["scan", "unrolled"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "backward"])
def test_run_recurrence_sums_in_reading_order_and_keeps_masked_states(reverse, unroll, rng):
    projected, mask = _inputs(rng), ragged_mask()
    states = [np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")]
    outputs, h, count = to_numpy(
        recurrent.run_recurrence(
            accumulate, projected, states, mask=mask, reverse=reverse, unroll=unroll
        )
    )
    kept = np.where(mask[..., None], projected, 0.0)
    order = kept[:, ::-1] if reverse else kept
    np.testing.assert_allclose(outputs, np.cumsum(order, axis=1), atol=ATOL)  # reading order
    np.testing.assert_allclose(h, kept.sum(axis=1), atol=ATOL)
    np.testing.assert_allclose(count[:, 0], mask.sum(axis=1))  # masked steps keep the state


def test_masked_steps_can_output_zeros(rng):
    projected, mask = _inputs(rng), ragged_mask()
    states = [np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")]
    outputs, _ = recurrent.run_recurrence(
        accumulate, projected, states, mask=mask, zero_output_for_mask=True
    )
    np.testing.assert_array_equal(to_numpy(outputs)[0][~mask], 0.0)


def test_unroll_needs_a_known_number_of_steps():
    symbolic = keras.KerasTensor((3, None, 2))
    states = [ops.zeros((3, 2)), ops.zeros((3, 2))]
    with pytest.raises(ValueError, match="unroll=True needs a known number of time steps"):
        recurrent.run_recurrence(accumulate, symbolic, states, unroll=True)


def test_masked_model_trains_on_batches_of_every_length(rng):
    """Regression: on TensorFlow, a masked scan failed once a new length retraced the step."""
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
    x = recurrent.GRU(8, return_sequences=True)(x)
    model = keras.Model(inputs, keras.layers.Dense(10)(x))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    for steps in (5, 7, 9):
        ids = rng.integers(1, 10, size=(4, steps))
        ids[:, -2:] = 0  # padding at the end: the mask is not all true
        loss = model.train_on_batch(ids, ids)
        assert np.isfinite(loss)
    assert model.predict(ids, verbose=0).shape == (4, 9, 10)
