"""Tests of companion.text.vocabulary: token splits and ids equal to keras.layers.StringLookup."""

import keras
import numpy as np
import pytest

from companion.sequences import pad_sequences
from companion.text import Vocabulary, char_tokens, word_tokens


def test_tokenizers():
    assert char_tokens("ab c\n") == ["a", "b", " ", "c", "\n"]
    assert word_tokens("The cat's hat, isn't it?") == [
        "the", "cat's", "hat", ",", "isn't", "it", "?",
    ]  # fmt: skip
    assert word_tokens("The Cat", lowercase=False) == ["The", "Cat"]
    with pytest.raises(TypeError, match=r"text must be a str.*list"):
        word_tokens(["a"])
    with pytest.raises(TypeError, match=r"text must be a str.*int"):
        char_tokens(3)


def test_vocabulary_order_and_reserved_ids():
    tokens = word_tokens("b a c a b d a e e")  # a:3, b:2, e:2, c:1, d:1
    vocab = Vocabulary(tokens, reserved=("<pad>", "<unk>", "<s>", "</s>"))
    assert vocab.pad_id == 0 and vocab.oov_id == 1
    assert vocab.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    counts = vocab.counts
    corpus = vocab.tokens[4:]
    # Most frequent first, ties alphabetically: the order is a sort by (-count, token).
    assert corpus == sorted(set(tokens), key=lambda t: (-counts[t], t))
    assert len(vocab) == 4 + len(set(tokens))
    # The order does not depend on the order of the corpus.
    shuffled = list(np.random.default_rng(0).permutation(tokens))
    assert Vocabulary(shuffled, reserved=vocab.reserved).tokens == vocab.tokens
    for index, token in enumerate(vocab.tokens):
        assert vocab.token_to_id(token) == index and vocab.id_to_token(index) == token


def test_vocabulary_max_size_and_min_count():
    tokens = list("aaaabbbccd")  # a:4, b:3, c:2, d:1
    assert Vocabulary(tokens, max_size=4).tokens == ["<pad>", "<unk>", "a", "b"]
    assert Vocabulary(tokens, min_count=2).tokens == ["<pad>", "<unk>", "a", "b", "c"]
    assert Vocabulary(tokens, max_size=2).tokens == ["<pad>", "<unk>"]
    small = Vocabulary(tokens, max_size=4)
    assert small.encode(list("abcdz")) == [2, 3, 1, 1, 1]
    assert small.count_oov(list("abcdz")) == 3
    assert small.count_oov([]) == 0


def test_vocabulary_round_trip_and_oov():
    text = "I use recurrent neural networks everyday. I love neural networks!"
    vocab = Vocabulary(word_tokens(text), reserved=("<pad>", "<unk>", "<s>", "</s>"))
    sentence = ["<s>"] + word_tokens("I love recurrent networks") + ["</s>"]
    ids = vocab.encode(sentence)
    assert vocab.decode(ids) == sentence
    assert ids[0] == vocab.token_to_id("<s>") == 2 and ids[-1] == 3
    unseen = word_tokens("I love transformers and attention")
    encoded = vocab.encode(unseen)
    assert encoded[2:] == [vocab.oov_id] * 3
    assert vocab.decode(encoded)[2:] == ["<unk>"] * 3
    assert vocab.count_oov(unseen) == 3
    assert vocab.token_to_id("transformers") == vocab.oov_id
    assert "love" in vocab and "transformers" not in vocab
    # A padded batch decodes back once the padding is dropped.
    batch, _ = pad_sequences([vocab.encode(sentence), vocab.encode(["i"])])
    assert vocab.decode(batch[1], skip_padding=True) == ["i"]
    assert vocab.decode(np.array([], dtype=int)) == []


def test_character_vocabulary_round_trip():
    text = "to be or not to be"
    vocab = Vocabulary(char_tokens(text))
    assert "".join(vocab.decode(vocab.encode(char_tokens(text)))) == text
    assert vocab.tokens[2] == " "  # the most frequent character: 5 spaces
    assert vocab.count_oov(char_tokens("tax")) == 2


def test_vocabulary_encode_matches_keras_string_lookup():
    tokens = word_tokens("the cat sat on the mat and the dog sat too")
    vocab = Vocabulary(tokens, max_size=6)
    lookup = keras.layers.StringLookup(
        vocabulary=vocab.tokens[2:], mask_token="<pad>", num_oov_indices=1, oov_token="<unk>"
    )
    query = word_tokens("the dog ate the cat on a mat")
    expected = keras.ops.convert_to_numpy(lookup(np.array(query)))
    assert vocab.encode(query) == expected.tolist()
    assert lookup.get_vocabulary() == vocab.tokens


def test_vocabulary_errors():
    with pytest.raises(TypeError, match=r"tokens must hold only str tokens.*tokens\[1\]=3"):
        Vocabulary(["a", 3, "b"])
    with pytest.raises(TypeError, match=r"tokens must be an iterable of str tokens, not one str"):
        Vocabulary("hello")
    with pytest.raises(TypeError, match=r"tokens must be an iterable.*int"):
        Vocabulary(5)
    with pytest.raises(ValueError, match=r"padding token '<pad>'.*collide"):
        Vocabulary(["a", "<pad>"])
    with pytest.raises(ValueError, match=r"reserved must hold at least.*\['<pad>'\]"):
        Vocabulary(["a"], reserved=("<pad>",))
    with pytest.raises(ValueError, match=r"reserved tokens must be distinct"):
        Vocabulary(["a"], reserved=("<pad>", "<pad>"))
    with pytest.raises(ValueError, match=r"max_size must be >= len\(reserved\).*max_size=1"):
        Vocabulary(["a"], max_size=1)
    with pytest.raises(ValueError, match=r"min_count must be an int >= 1.*min_count=0"):
        Vocabulary(["a"], min_count=0)
    vocab = Vocabulary(["a", "b"])
    with pytest.raises(TypeError, match=r"tokens must hold only str.*None"):
        vocab.encode(["a", None])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\).*ids\[1\]=4"):
        vocab.decode([2, 4])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\).*ids\[0\]=-1"):
        vocab.decode([-1])
    with pytest.raises(TypeError, match=r"ids must be ints.*float"):
        vocab.decode([1.0])
    with pytest.raises(ValueError, match=r"id must be in \[0, 4\).*id=7"):
        vocab.id_to_token(7)
    with pytest.raises(TypeError, match=r"token must be a str.*5"):
        vocab.token_to_id(5)
