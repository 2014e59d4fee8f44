"""Tests of companion.lm.rnn_lm: shifted pairs and the recurrent language model."""

import keras
import numpy as np
import pytest
from keras import ops

from companion import classifiers, lm
from companion.text import CharTokenizer


def test_stream_windows_shift_targets_by_one():
    inputs, targets = lm.stream_windows(np.arange(11), 5)
    np.testing.assert_array_equal(inputs, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
    np.testing.assert_array_equal(targets, [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
    inputs, targets = lm.shifted_pairs(np.array([[2, 5, 6, 3, 0]]))
    np.testing.assert_array_equal(inputs, [[2, 5, 6, 3]])
    np.testing.assert_array_equal(targets, [[5, 6, 3, 0]])


def test_language_model_learns_a_repeating_text_and_handles_padding(tmp_path):
    keras.utils.set_random_seed(0)
    tokenizer = CharTokenizer("abcd")
    ids = np.array(tokenizer.encode("abcd" * 60))
    inputs, targets = lm.stream_windows(ids, 12)
    model = lm.build_language_model(len(tokenizer), embedding_dim=4, units=16)
    model.compile(
        keras.optimizers.Adam(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(inputs, targets, epochs=30, batch_size=20, verbose=0)
    log_probs = lm.stream_log_probs(model, ids[:40], window=40, warmup=0)
    assert lm.perplexity(log_probs[4:]) < 1.2  # the sequence is deterministic
    # padded positions add nothing: a padded sentence scores as the unpadded one
    padded = lm.sequence_log_probs(model, [[2, 4, 5, 6], [2, 4, 5, 6, 7, 4, 5]])
    alone = lm.sequence_log_probs(model, [[2, 4, 5, 6]])
    assert abs(padded[0] - alone[0]) < 1e-5
    model.save(tmp_path / "lm.keras")
    restored = keras.saving.load_model(tmp_path / "lm.keras")
    np.testing.assert_allclose(
        ops.convert_to_numpy(restored(inputs[:2])),
        ops.convert_to_numpy(model(inputs[:2])),
        atol=1e-5,
    )


def test_causal_model_needs_no_mask_for_padding_at_the_end():
    """Outputs at real steps are equal with and without a mask when padding comes last."""
    keras.utils.set_random_seed(0)
    plain = lm.build_language_model(9, embedding_dim=4, units=6, cell="lstm")
    masked = lm.build_language_model(9, embedding_dim=4, units=6, cell="lstm", mask_zero=True)
    masked.set_weights(plain.get_weights())
    ids = np.array([[2, 4, 5, 0, 0], [2, 4, 5, 6, 7]], "int32")
    a, b = ops.convert_to_numpy(plain(ids)), ops.convert_to_numpy(masked(ids))
    real = ids > 0
    np.testing.assert_allclose(a[real], b[real], atol=1e-5)


def test_build_language_model_and_classifier_bad_arguments():
    with pytest.raises(ValueError, match="cell must be one of"):
        lm.build_language_model(10, cell="transformer")
    with pytest.raises(ValueError, match="kind must be"):
        classifiers.build_text_classifier("cnn", 10)
