"""Tests of companion.text.tokenizers: reserved ids, round trips, batches, keras-hub agreement."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import GENESIS, property_settings

from companion import text
from companion.text import CharTokenizer, WordTokenizer

PROPERTY = property_settings()

CORPUS = GENESIS


def test_char_tokenizer_reserves_pad_oov_start_end_and_counts_unseen():
    tokenizer = CharTokenizer(CORPUS)
    assert tokenizer.vocabulary.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert (tokenizer.pad_id, tokenizer.oov_id, tokenizer.start_id, tokenizer.end_id) == (
        0,
        1,
        2,
        3,
    )
    ids = tokenizer.encode("God!", add_start=True, add_end=True)
    assert ids[0] == 2 and ids[-1] == 3
    assert ids[-2] == tokenizer.oov_id  # "!" never occurs in the corpus
    assert tokenizer.count_oov("God! Zz?") == 4  # "!", "Z", "z", "?"
    assert tokenizer.decode(ids) == "God<unk>"
    # most frequent character first after the reserved ids: the space
    assert tokenizer.vocabulary.tokens[4] == " "


@PROPERTY
@given(st.text(alphabet=sorted(set("".join(CORPUS))), max_size=80))
def test_char_tokenizer_round_trip_property(text):
    tokenizer = CharTokenizer(CORPUS)
    assert tokenizer.decode(tokenizer.encode(text, add_start=True, add_end=True)) == text


@PROPERTY
@given(
    st.lists(
        st.sampled_from(["god", "said", "light", "earth", "the", "and", ",", ".", ":", ";"]),
        max_size=20,
    ),
    st.sampled_from([" ", "  ", "\n", " \t "]),
)
def test_word_tokenizer_round_trip_property_up_to_normalisation(words, separator):
    tokenizer = WordTokenizer(CORPUS)
    text = separator.join(word.upper() if i % 2 else word for i, word in enumerate(words))
    decoded = tokenizer.decode(tokenizer.encode(text))
    assert decoded == " ".join(words)  # lower case, one space between tokens
    assert tokenizer.encode(decoded) == tokenizer.encode(text)


def test_word_tokenizer_normalisation_is_nfkc_then_lower_case():
    tokenizer = WordTokenizer(["the first day"])
    assert tokenizer.encode("The ﬁrst\u00a0DAY") == tokenizer.encode("the first day")
    assert tokenizer.count_oov("the first night") == 1
    assert text.normalize_text("Ｇｏｄ") == "god"  # full-width letters


def test_tokenizer_batches_pad_truncate_and_mask():
    tokenizer = WordTokenizer(CORPUS)
    ids, mask = tokenizer.encode_batch(
        ["let there be light", "god", ""], maxlen=3, add_start=True, add_end=True
    )
    assert ids.shape == (3, 3) and mask.dtype == bool
    assert ids[0].tolist() == [2] + tokenizer.encode("let there")  # longer than maxlen: cut
    assert ids[1].tolist() == [2, tokenizer.encode("god")[0], 3]
    assert ids[2].tolist() == [2, 3, 0] and mask[2].tolist() == [True, True, False]


def test_tokenizers_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="at least one non-empty text"):
        CharTokenizer([])
    with pytest.raises(ValueError, match="at least one non-empty text"):
        WordTokenizer(["", ""])
    with pytest.raises(ValueError, match="max_size must be > 4"):
        WordTokenizer(CORPUS, max_size=3)
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str"):
        CharTokenizer(["abc", 12])
    with pytest.raises(TypeError, match="texts must be a str or an iterable"):
        CharTokenizer(12)
    tokenizer = CharTokenizer(CORPUS)
    with pytest.raises(TypeError, match="text must be a str"):
        tokenizer.encode(["a", "b"])
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, "):
        tokenizer.decode([2, len(tokenizer)])
    with pytest.raises(ValueError, match="ids must be ids"):
        tokenizer.decode([-1])
    with pytest.raises(TypeError, match="ids must hold int ids"):
        tokenizer.decode([1.5])
    with pytest.raises(TypeError, match="not one str"):
        tokenizer.encode_batch("abc")


def test_word_tokenizer_max_size_keeps_the_most_frequent_words():
    tokenizer = WordTokenizer(CORPUS, max_size=7)
    assert len(tokenizer) == 7
    assert tokenizer.vocabulary.tokens[4:] == ["and", "the", "."]  # 6, 5 and 3 times


def test_char_tokenizer_agrees_with_keras_hub_unicode_codepoints():
    keras_hub = pytest.importorskip("keras_hub")
    text = "And God said, Let there be light: é ü 日本"
    tokenizer = CharTokenizer(text)
    codepoints = np.asarray(
        keras_hub.tokenizers.UnicodeCodepointTokenizer(lowercase=False)(text)
    ).tolist()
    assert [chr(c) for c in codepoints] == tokenizer.vocabulary.decode(tokenizer.encode(text))
