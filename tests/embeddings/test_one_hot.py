"""Tests of companion.embeddings.one_hot: one-hot times W equals keras.layers.Embedding."""

import keras
import numpy as np
import pytest
from keras import ops
from layer_checks import check_layer, check_loads_across_backends
from support import gradients

from companion.embeddings import OneHotEmbedding


def test_one_hot_times_weights_equals_embedding_lookup_outputs_and_gradients():
    ids = np.array([[3, 0, 7, 7], [1, 2, 0, 0]], dtype="int32")
    ours = OneHotEmbedding(9, 4, mask_zero=True)
    reference = keras.layers.Embedding(9, 4, mask_zero=True)
    ours.build(ids.shape)
    reference.build(ids.shape)
    weights = np.random.default_rng(0).normal(size=(9, 4)).astype("float32")
    ours.set_weights([weights])
    reference.set_weights([weights])
    np.testing.assert_allclose(ops.convert_to_numpy(ours(ids)), weights[ids], atol=1e-6)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(ids)), ops.convert_to_numpy(reference(ids)), atol=1e-6
    )
    # the one-hot matrix product of numpy, written out
    one_hot = np.eye(9, dtype="float32")[ids]  # (B, T, V)
    np.testing.assert_allclose(one_hot @ weights, ops.convert_to_numpy(ours(ids)), atol=1e-6)
    scale = ops.convert_to_tensor(np.arange(1, 9, dtype="float32").reshape(2, 4, 1))
    _, g_ours = gradients(ours.trainable_weights, lambda: ops.sum(ours(ids) ** 2 * scale))
    _, g_ref = gradients(reference.trainable_weights, lambda: ops.sum(reference(ids) ** 2 * scale))
    np.testing.assert_allclose(g_ours[0], g_ref[0], atol=1e-5)
    assert np.all(g_ours[0][[4, 5, 6, 8]] == 0)  # unused ids get no gradient
    # masking of padding ids, as Embedding(mask_zero=True)
    mask = ops.convert_to_numpy(ours.compute_mask(ids))
    np.testing.assert_array_equal(mask, ops.convert_to_numpy(reference.compute_mask(ids)))
    np.testing.assert_array_equal(mask, ids != 0)


def test_one_hot_embedding_passes_the_shared_checks(tmp_path):
    ids = np.array([[1, 2, 0], [4, 4, 3]], dtype="int32")
    check_layer(lambda: OneHotEmbedding(6, 3, name="one_hot_embedding"), ids, tmp_path)


def test_one_hot_embedding_loads_across_backends(tmp_path):
    check_loads_across_backends(
        """
import numpy as np
import keras
from companion.embeddings import OneHotEmbedding

def build():
    inputs = keras.Input((4,), dtype="int32")
    model = keras.Model(inputs, OneHotEmbedding(7, 3)(inputs))
    return model, np.array([[1, 2, 6, 0]], dtype="int32")
""",
        tmp_path,
    )


def test_an_id_outside_the_vocabulary_is_an_error_never_a_zero_vector():
    """Regression: out-of-range ids gave zeros on JAX and TensorFlow, an obscure error on torch."""
    layer = OneHotEmbedding(5, 2)
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, 5\) \(got ids\[\(0, 1\)\]=7\)"):
        layer(np.array([[1, 7]]))
    with pytest.raises(ValueError, match=r"ids\[\(1, 0\)\]=-1"):
        layer(np.array([[1, 2], [-1, 0]]))
    # predict runs compiled on JAX and TensorFlow, where values cannot be checked: the
    # output is NaN there; torch runs it eagerly, and the check raises
    inputs = keras.Input((2,), dtype="int32")
    model = keras.Model(inputs, layer(inputs))
    try:
        outputs = model.predict(np.array([[1, 7]]), verbose=0)
    except ValueError as error:
        assert "ids must be ids in [0, 5)" in str(error)
    else:
        assert np.isfinite(outputs[0, 0]).all() and np.isnan(outputs[0, 1]).all()
