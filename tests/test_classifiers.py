"""Tests of companion.classifiers: the sentiment models and what masking changes."""

import keras
import numpy as np
import pytest
from keras import ops

from companion import classifiers, recurrent, text
from companion.embeddings import OneHotEmbedding


def test_masked_padding_does_not_change_a_recurrent_summary():
    """With mask_zero the padded sentence gives the same last state as the unpadded one."""

    layer = OneHotEmbedding(9, 4, mask_zero=True)
    rnn = recurrent.GRU(5)
    unpadded = np.array([[3, 4, 5]], dtype="int32")
    padded = np.array([[3, 4, 5, 0, 0]], dtype="int32")
    expected = ops.convert_to_numpy(rnn(layer(unpadded)))
    embedded = ops.convert_to_numpy(layer(padded))  # a plain array: no mask attached
    masked = ops.convert_to_numpy(rnn(embedded, mask=layer.compute_mask(padded)))
    unmasked = ops.convert_to_numpy(rnn(embedded))
    np.testing.assert_allclose(masked, expected, atol=1e-6)
    assert not np.allclose(unmasked, expected, atol=1e-4)  # padding read as words


@pytest.mark.parametrize(
    "kind, options",
    [
        ("mean_embedding", {}),
        ("lstm", {}),
        ("lstm", {"bidirectional": True}),
        ("lstm", {"mask": False}),
    ],
)
def test_text_classifiers_masking(kind, options):
    """Masked models give the same logit with or without extra padding; unmasked do not."""
    keras.utils.set_random_seed(0)
    model = classifiers.build_text_classifier(kind, 20, embedding_dim=4, units=5, **options)
    short = np.array([[5, 6, 7]], "int32")
    long = np.array([[5, 6, 7, 0, 0, 0, 0]], "int32")
    a = ops.convert_to_numpy(model(short))
    b = ops.convert_to_numpy(model(long))
    assert a.shape == (1, 1)
    if options.get("mask", True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    else:
        assert not np.allclose(a, b, atol=1e-5)


def test_bag_of_words_classifier_shape():
    model = classifiers.build_text_classifier("bag_of_words", 12)
    bags = text.bag_of_words(np.array([[4, 5, 0]]), 12)
    assert tuple(model(bags).shape) == (1, 1)
    assert model.count_params() == 13
