"""Tests of companion.text.encoding: one-hot and bag-of-words vectors equal Keras's."""

import keras
import numpy as np
import pytest
from keras import ops

from companion import text
from companion.text import one_hot


@pytest.mark.parametrize("shape", [(7,), (3, 5)])
def test_one_hot_matches_keras(shape):
    ids = np.random.default_rng(0).integers(0, 6, size=shape)
    encoded = one_hot(ids, depth=6)
    assert encoded.dtype == np.float32 and encoded.shape == shape + (6,)
    np.testing.assert_array_equal(encoded, keras.ops.convert_to_numpy(keras.ops.one_hot(ids, 6)))
    np.testing.assert_array_equal(encoded, keras.utils.to_categorical(ids, num_classes=6))
    np.testing.assert_array_equal(np.argmax(encoded, axis=-1), ids)
    np.testing.assert_array_equal(encoded.sum(axis=-1), 1.0)


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, 3\) \(got ids\[1\]=3\)"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"got ids\[\(1, 0\)\]=-1"):
        one_hot([[0], [-1]], 3)
    with pytest.raises(TypeError, match=r"ids must hold int ids.*float64"):
        one_hot([0.0, 1.0], 3)
    with pytest.raises(ValueError, match=r"depth must be an int >= 1.*depth=0"):
        one_hot([0], 0)


def test_bag_of_words_equals_keras_category_encoding():
    ids = np.array([[4, 2, 4, 0], [1, 0, 0, 0]], dtype="int32")
    counts = text.bag_of_words(ids, 6)
    reference = keras.layers.CategoryEncoding(num_tokens=6, output_mode="count")(ids)
    reference = np.array(ops.convert_to_numpy(reference))
    reference[:, 0] = 0  # padding is not a word
    np.testing.assert_array_equal(counts, reference)
    assert text.bag_of_words(ids, 6, mode="binary").max() == 1
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, 6\)"):
        text.bag_of_words(np.array([[7]]), 6)
    # order is lost: a reversed sentence has the same bag
    np.testing.assert_array_equal(text.bag_of_words(ids[:, ::-1], 6), text.bag_of_words(ids, 6))
