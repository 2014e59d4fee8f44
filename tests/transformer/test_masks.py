"""Tests of companion.transformer.masks: padding, causal and combined masks, and their table."""

import keras
import numpy as np
import pytest
from support import to_numpy

from companion import transformer


def _mask(tensor):
    (array,) = to_numpy(tensor)
    assert array.dtype == bool
    return array


def test_padding_mask_is_true_at_real_tokens():
    ids = np.array([[5, 6, 0], [0, 0, 0], [7, 0, 8]])
    np.testing.assert_array_equal(_mask(transformer.padding_mask(ids)), ids != 0)
    np.testing.assert_array_equal(_mask(transformer.padding_mask(ids, padding_id=8)), ids != 8)


def test_padding_mask_refuses_a_single_sequence():
    with pytest.raises(ValueError, match=r"ids must have shape \(batch, time\).*got rank 1"):
        transformer.padding_mask(np.array([5, 6, 0]))


def test_causal_mask_is_lower_triangular():
    np.testing.assert_array_equal(_mask(transformer.causal_mask(4)), np.tril(np.ones((4, 4), bool)))


@pytest.mark.parametrize("tensor_index", [False, True])
def test_causal_mask_for_a_cache_sees_the_keys_up_to_its_absolute_position(tensor_index):
    # two queries at absolute positions 2 and 3, over a cache of 6 keys
    start = keras.ops.convert_to_tensor(2, "int32") if tensor_index else 2
    mask = _mask(transformer.causal_mask(2, key_length=6, start_index=start))
    expected = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0]], bool)
    np.testing.assert_array_equal(mask, expected)
    # m_ij = [j <= s + i] for every row of a longer query
    mask = _mask(transformer.causal_mask(3, key_length=7, start_index=4))
    rows, keys = np.meshgrid(np.arange(3), np.arange(7), indexing="ij")
    np.testing.assert_array_equal(mask, keys <= 4 + rows)


def test_causal_mask_refuses_bad_lengths():
    with pytest.raises(ValueError, match=r"query_length must be an int >= 1 \(got query_length=0"):
        transformer.causal_mask(0)
    with pytest.raises(ValueError, match=r"key_length must be an int >= 1 \(got key_length=0"):
        transformer.causal_mask(2, key_length=0)
    with pytest.raises(ValueError, match=r"start_index must be an int >= 0 \(got start_index=-1"):
        transformer.causal_mask(2, start_index=-1)


PADDING = np.array([[True, True, True, False], [True, True, False, False]])


def test_bidirectional_attention_mask_hides_padded_keys_from_every_query():
    mask = _mask(transformer.attention_mask(PADDING))
    assert mask.shape == (2, 4, 4)
    np.testing.assert_array_equal(mask, np.broadcast_to(PADDING[:, None, :], (2, 4, 4)))


def test_causal_attention_mask_combines_padding_and_causality():
    mask = _mask(transformer.attention_mask(PADDING, causal=True))
    expected = PADDING[:, None, :] & np.tril(np.ones((4, 4), bool))[None]
    np.testing.assert_array_equal(mask, expected)
    # every query keeps at least its first key: no row is fully hidden
    assert mask.any(axis=-1).all()


def test_attention_mask_for_cross_attention_and_for_a_cache():
    # cross-attention: 3 decoder queries over 4 encoder keys, padding only
    mask = _mask(transformer.attention_mask(PADDING, query_length=3))
    np.testing.assert_array_equal(mask, np.broadcast_to(PADDING[:, None, :], (2, 3, 4)))
    # one cached step at position 1, keys = the whole cache of 4
    mask = _mask(transformer.attention_mask(PADDING, causal=True, query_length=1, start_index=1))
    np.testing.assert_array_equal(mask, (PADDING & (np.arange(4) <= 1))[:, None, :])


def test_attention_mask_without_padding_has_a_batch_of_one():
    mask = _mask(transformer.attention_mask(causal=True, query_length=3))
    np.testing.assert_array_equal(mask, np.tril(np.ones((3, 3), bool))[None])
    mask = _mask(transformer.attention_mask(query_length=2, key_length=5))
    np.testing.assert_array_equal(mask, np.ones((1, 2, 5), bool))
    mask = _mask(
        transformer.attention_mask(causal=True, query_length=1, key_length=5, start_index=3)
    )
    np.testing.assert_array_equal(mask, [[[1, 1, 1, 1, 0]]])


def test_attention_mask_refuses_a_missing_shape_and_a_bad_padding_mask():
    with pytest.raises(ValueError, match=r"needs key_padding_mask or query_length"):
        transformer.attention_mask()
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(batch, key time\)"):
        transformer.attention_mask(np.ones((2, 3, 4), bool))


def test_mask_table_prints_one_row_per_query():
    table = transformer.mask_table(transformer.causal_mask(3), ["I", "saw", "her"])
    assert table.splitlines() == [
        "       I saw her",
        "I      1   0   0",
        "saw    1   1   0",
        "her    1   1   1",
    ]
    table = transformer.mask_table(np.array([[True, False]]), ["le"], ["the", "cat"])
    assert table.splitlines() == ["     the cat", "le     1   0"]


def test_mask_table_refuses_a_mask_of_another_shape():
    with pytest.raises(
        ValueError, match=r"mask must have shape .* = \(2, 2\) \(got shape \(3, 3\)"
    ):
        transformer.mask_table(np.ones((3, 3), bool), ["a", "b"])
