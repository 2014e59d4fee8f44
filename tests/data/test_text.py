"""Tests of companion.data.text: the KJV, census names and Amazon reviews load as documented."""

import numpy as np
import pytest

from companion import data


def test_kjv():
    text = data.load("kjv")
    assert isinstance(text, str) and len(text) > 4_000_000
    assert text.startswith("In the beginning God created the heaven and the earth.")
    assert text.rstrip().endswith("Amen.")
    assert not any(ch in text for ch in "[]0123456789")  # verse numbers and marks removed
    assert "  " not in text


def test_census_names():
    first = data.load("census_names")
    assert first[:3] == ["james", "john", "robert"] and len(first) == len(set(first))
    assert all(name.isalpha() and name == name.lower() for name in first)
    male = data.load("census_names", which="male")
    female = data.load("census_names", which="female", case="title")
    assert len(male) == 1219 and len(female) == 4275 and female[0] == "Mary"
    assert len(first) == len(set(male) | {n.lower() for n in female})
    assert len(data.load("census_names", which="last", case="upper")) == 88799
    with pytest.raises(ValueError, match="which must be one of"):
        data.load("census_names", which="middle")


def test_amazon_reviews():
    (train_texts, train_labels), (test_texts, test_labels) = data.load("amazon_reviews")
    assert len(train_texts) == 4000 and len(test_texts) == 1000
    assert all(isinstance(t, str) and t for t in train_texts + test_texts)
    assert train_labels.dtype == np.int64 and set(train_labels) == {0, 1}
    assert train_labels.sum() == 2600 and test_labels.sum() == 658  # 1 = "great" (5 stars)


def test_interleaved_split_puts_every_block_in_one_part_eight_one_one():
    text = "".join(f"{i:02d}" for i in range(25))  # 25 blocks of 2 characters
    train, validation, test = data.interleaved_split(text, block=2)
    assert validation == "0818" and test == "0919"  # the ninth and tenth of every ten
    assert train == "".join(f"{i:02d}" for i in range(25) if i % 10 < 8)
    assert sorted(train + validation + test) == sorted(text)
