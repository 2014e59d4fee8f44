"""Tests of companion.seq2seq.model: teacher forcing pairs, training, saving, log-probabilities."""

import keras
import numpy as np
import pytest
from layer_checks import check_loads_across_backends
from support import to_numpy

from companion import seq2seq


def reversal_task(rng, n=400, length=5):
    """Reverse a sequence of ids 4..9: a task the bottleneck and attention both learn."""
    body = rng.integers(4, 10, size=(n, length))
    source = body
    target = np.concatenate(
        [np.full((n, 1), 2), body[:, ::-1], np.full((n, 1), 3)], axis=1
    )  # <s> y </s>
    return source, target


def test_teacher_forcing_pairs_shift_by_one():
    inputs, labels = seq2seq.teacher_forcing_pairs(np.array([[2, 7, 8, 3, 0]]))
    np.testing.assert_array_equal(inputs, [[2, 7, 8, 3]])
    np.testing.assert_array_equal(labels, [[7, 8, 3, 0]])


def test_attention_model_learns_to_reverse_and_survives_saving(rng, tmp_path):
    keras.utils.set_random_seed(0)
    source, target = reversal_task(rng)
    inputs, labels = seq2seq.teacher_forcing_pairs(target)
    model = seq2seq.Seq2Seq(10, 10, embedding_dim=8, units=32, attention="dot")
    model.compile(
        keras.optimizers.Adam(0.02),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    )
    model.fit((source, inputs), labels, epochs=25, batch_size=50, verbose=0)
    tokens, _ = seq2seq.greedy_translate(model, source[:50], max_length=6)
    assert np.mean(np.all(tokens == target[:50, 1:], axis=1)) >= 0.9
    model.save(tmp_path / "s2s.keras")
    restored = keras.saving.load_model(tmp_path / "s2s.keras")
    np.testing.assert_allclose(
        to_numpy(restored((source[:4], inputs[:4])))[0],
        to_numpy(model((source[:4], inputs[:4])))[0],
        atol=1e-5,
    )


def test_sequence_log_probs_leave_padding_out():
    keras.utils.set_random_seed(0)
    model = seq2seq.Seq2Seq(10, 10, embedding_dim=4, units=8)
    source = np.array([[5, 6, 7, 0], [5, 6, 7, 0]])
    inputs = np.array([[2, 4, 5, 0, 0], [2, 4, 5, 6, 7]])
    labels = np.array([[4, 5, 3, 0, 0], [4, 5, 6, 7, 3]])
    totals, counts = model.sequence_log_probs(source, inputs, labels)
    alone, alone_count = model.sequence_log_probs(source[:1, :3], inputs[:1, :3], labels[:1, :3])
    np.testing.assert_allclose(totals[0], alone[0], atol=1e-5)
    np.testing.assert_array_equal(counts, [3, 5])
    assert alone_count[0] == 3 and np.all(totals < 0)


@pytest.mark.parametrize("attention", [None, "bahdanau"])
def test_seq2seq_loads_under_another_backend(tmp_path, attention):
    build = f"""
    from companion import seq2seq

    def build():
        model = seq2seq.Seq2Seq(10, 9, embedding_dim=4, units=6, attention={attention!r})
        both = keras.Input((7,), dtype="int32")  # source ids, then decoder inputs
        logits = model((both[:, :4], both[:, 4:]))
        rng = np.random.default_rng(0)
        ids = rng.integers(1, 9, size=(3, 7)).astype("int32")
        return keras.Model(both, logits), ids
    """
    check_loads_across_backends(build, tmp_path)


def test_seq2seq_config_and_bad_arguments():
    model = seq2seq.Seq2Seq(10, 9, embedding_dim=4, units=6, cell="lstm", attention=None)
    assert seq2seq.Seq2Seq.from_config(model.get_config()).get_config() == model.get_config()
    with pytest.raises(ValueError, match=r"inputs must be a tuple \(source_ids, decoder_inputs\)"):
        model(np.zeros((2, 3), "int32"))
    with pytest.raises(ValueError, match=r"attention must be one of.*'luong'"):
        seq2seq.Seq2Seq(10, 9, attention="luong")
    with pytest.raises(ValueError, match=r"units must be an int >= 1 \(got units=0\)"):
        seq2seq.Seq2Seq(10, 9, units=0)
