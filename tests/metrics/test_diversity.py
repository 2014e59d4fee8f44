"""Tests of companion.metrics.diversity: distinct-n against counts made by hand."""

import pytest

from companion import metrics


def test_distinct_n_counts_distinct_ngrams_over_all_texts():
    # characters: "aaaa" has the bigram aa 3 times, "ab" adds ab: 2 distinct of 4
    assert metrics.distinct_n(["aaaa", "ab"], 2) == pytest.approx(2 / 4)
    assert metrics.distinct_n(["abcd"], 1) == 1.0  # no character twice
    # words: "the cat the cat" -> the cat, cat the, the cat: 2 distinct of 3
    assert metrics.distinct_n(["the cat the cat"], 2, unit="word") == pytest.approx(2 / 3)


def test_distinct_n_is_zero_without_ngrams_and_rejects_bad_arguments():
    assert metrics.distinct_n(["ab", "c"], 3) == 0.0  # no text has 3 characters
    with pytest.raises(ValueError, match=r"n must be an int >= 1 \(got n=0\)"):
        metrics.distinct_n(["abc"], 0)
    with pytest.raises(ValueError, match="unit must be one of"):
        metrics.distinct_n(["abc"], 1, unit="byte")
