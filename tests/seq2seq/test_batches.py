"""Tests of companion.seq2seq.batches: every pair once per epoch, only padding trimmed."""

import numpy as np
import pytest

from companion import seq2seq


def _padded(rng, n, width):
    lengths = rng.integers(1, width + 1, size=n)
    ids = np.zeros((n, width), "int32")
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1, 9, size=length)
    return ids


def test_each_epoch_covers_every_pair_once_and_trims_only_padding(rng):
    source, targets = _padded(rng, 50, 30), _padded(rng, 50, 12)
    batches = seq2seq.LengthBuckets(source, targets, targets + 1, batch_size=8, width_step=8)
    for _ in range(2):
        seen = []
        for index in range(len(batches)):
            (batch_source, batch_inputs), batch_labels = batches[index]
            rows = batches.batches[index]
            seen.extend(rows.tolist())
            assert batch_source.shape[1] % 8 == 0 or batch_source.shape[1] == 30
            np.testing.assert_array_equal(batch_source, source[rows, : batch_source.shape[1]])
            assert not source[rows, batch_source.shape[1] :].any()  # only padding was cut
            assert not targets[rows, batch_inputs.shape[1] :].any()
            assert batch_labels.shape == batch_inputs.shape
        assert sorted(seen) == list(range(50))
        batches.on_epoch_end()


def test_batches_group_similar_lengths(rng):
    source = _padded(rng, 64, 40)
    batches = seq2seq.LengthBuckets(source, source, source, batch_size=16, width_step=1)
    widths = sorted(batches[i][0][0].shape[1] for i in range(len(batches)))
    assert widths[0] < widths[-1] and len(set(widths)) == len(widths)


def test_the_first_two_batches_are_the_narrowest_and_the_widest(rng):
    source, targets = _padded(rng, 80, 40), _padded(rng, 80, 20)
    batches = seq2seq.LengthBuckets(source, targets, targets, batch_size=8, width_step=4)
    widths = [batches[i][0][0].shape[1] for i in range(len(batches))]
    assert widths[0] == min(widths) and widths[1] == max(widths)


def test_bad_arguments_are_named():
    ids = np.ones((3, 4), "int32")
    with pytest.raises(ValueError, match=r"source_ids must be a 2-D int array.*shape \(3,\)"):
        seq2seq.LengthBuckets(np.ones(3, "int32"), ids, ids, batch_size=2)
    with pytest.raises(ValueError, match=r"batch_size must be an int >= 1 \(got batch_size=0\)"):
        seq2seq.LengthBuckets(ids, ids, ids, batch_size=0)
