"""Tests of companion.sequences.padding: equal to keras.utils.pad_sequences, with a mask."""

import keras
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from support import property_settings

from companion.sequences import pad_sequences

# No example database: the runs leave no .hypothesis/ folder in the repository.
PROPERTY = property_settings(max_examples=25)


MODES = ["pre", "post"]


@PROPERTY
@given(
    ids=st.lists(st.lists(st.integers(1, 50), max_size=9), min_size=1, max_size=6),
    maxlen=st.one_of(st.none(), st.integers(1, 12)),
    padding=st.sampled_from(MODES),
    truncating=st.sampled_from(MODES),
)
def test_pad_sequences_match_keras(ids, maxlen, padding, truncating):
    assume(maxlen is not None or any(ids))  # only empty sequences need a maxlen (tested below)
    padded, mask = pad_sequences(ids, maxlen=maxlen, padding=padding, truncating=truncating)
    expected = keras.utils.pad_sequences(
        ids, maxlen=maxlen, padding=padding, truncating=truncating, value=0
    )
    assert padded.dtype == np.int32
    np.testing.assert_array_equal(padded, expected)
    np.testing.assert_array_equal(mask, expected != 0)  # ids never use the padding id
    kept = np.minimum([len(s) for s in ids], padded.shape[1])
    np.testing.assert_array_equal(mask.sum(axis=1), kept)


@pytest.mark.parametrize("padding", MODES)
@pytest.mark.parametrize("truncating", MODES)
@pytest.mark.parametrize("maxlen", [None, 2, 8])
def test_pad_feature_sequences_match_keras(padding, truncating, maxlen):
    rng = np.random.default_rng(1)
    features = [rng.normal(size=(length, 3)).astype("float32") for length in (4, 1, 6, 0)]
    padded, mask = pad_sequences(
        features, maxlen=maxlen, padding=padding, truncating=truncating, value=0.0
    )
    expected = keras.utils.pad_sequences(
        features, maxlen=maxlen, padding=padding, truncating=truncating, value=0.0, dtype="float32"
    )
    assert padded.dtype == np.float32
    assert padded.shape == (4, maxlen or 6, 3) and mask.shape == (4, maxlen or 6)
    np.testing.assert_array_equal(padded, expected)
    np.testing.assert_array_equal(mask, np.any(expected != 0.0, axis=-1))
    # keras.layers.Masking computes the same mask from the padded batch.
    keras_mask = keras.layers.Masking(mask_value=0.0).compute_mask(padded)
    np.testing.assert_array_equal(mask, keras.ops.convert_to_numpy(keras_mask))


def test_pad_sequences_value_and_dtype():
    padded, mask = pad_sequences([[1, 2, 3], [4]], value=-1, padding="pre")
    np.testing.assert_array_equal(
        padded, keras.utils.pad_sequences([[1, 2, 3], [4]], value=-1, padding="pre")
    )
    np.testing.assert_array_equal(mask, padded != -1)
    padded, _ = pad_sequences([[0.5, 1.5], [2.5]], value=0.0)
    assert padded.dtype == np.float32
    padded, _ = pad_sequences([[1, 2], [3]], dtype="int64")
    assert padded.dtype == np.int64


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match=r"sequences must hold at least one.*empty list"):
        pad_sequences([])
    with pytest.raises(ValueError, match=r"value=0 is the padding id.*sequences\[1\]\[2\]"):
        pad_sequences([[1, 2], [3, 4, 0]])
    with pytest.raises(ValueError, match=r"value=0.0 is the padding id.*sequences\[0\]\[1\]"):
        pad_sequences([np.array([[1.0, 2.0], [0.0, 0.0]])], value=0.0)
    pad_sequences([np.array([[1.0, 0.0], [0.0, 2.0]])], value=0.0)  # one zero feature is fine
    with pytest.raises(ValueError, match=r"padding must be one of 'pre', 'post'.*padding='left'"):
        pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match=r"truncating must be one of 'pre', 'post'.*'end'"):
        pad_sequences([[1]], truncating="end")
    with pytest.raises(ValueError, match=r"maxlen must be an int >= 1.*maxlen=0"):
        pad_sequences([[1]], maxlen=0)
    with pytest.raises(ValueError, match=r"sequences\[1\] must be 1-D.*\(1, 2, 2\)"):
        pad_sequences([[1], np.ones((1, 2, 2))])
    with pytest.raises(ValueError, match=r"sequences\[0\] must be 1-D.*\(\)"):
        pad_sequences([3])
    with pytest.raises(ValueError, match=r"same number of features F.*\[2, 3\]"):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"must all be 1-D ids or all 2-D"):
        pad_sequences([[1, 2], np.ones((2, 3))])
    with pytest.raises(TypeError, match=r"sequences\[0\] must hold numbers.*'a'"):
        pad_sequences([["a", "b"]])
    with pytest.raises(ValueError, match=r"sequences\[0\] must be finite"):
        pad_sequences([[1.0, np.nan]])


def test_only_empty_sequences_need_a_maxlen():
    """Regression: pad_sequences([[]]) returned a (1, 0) batch without a word."""
    with pytest.raises(ValueError, match=r"at least one step when maxlen is None.*pass maxlen"):
        pad_sequences([[]])
    padded, mask = pad_sequences([[], []], maxlen=3)
    np.testing.assert_array_equal(padded, np.zeros((2, 3)))
    assert not mask.any()
