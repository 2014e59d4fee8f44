"""Tests of companion.text.bpe: merges, GPT-2 conventions, the same ids as keras-hub."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import GENESIS, property_settings

from companion import text
from companion.text import BytePairTokenizer

PROPERTY = property_settings()

CORPUS = GENESIS


def test_bpe_merges_worked_example():
    # The Hugging Face course's corpus: counts of "ug" = 10 + 5 + 5 = 20 (hug, pug, hugs),
    # then "un" = 12 + 4 = 16 (pun, bun), then "h ug" = 10 + 5 = 15 (hug, hugs).
    counts = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
    assert text.learn_bpe_merges(counts, 3) == [("u", "g"), ("u", "n"), ("h", "ug")]
    # ties ("b un" = 4 vs "hug s" = 5 ...) go on until every word is one symbol
    everything = text.learn_bpe_merges(counts, 100)
    assert len(everything) == 7  # hug, pug, pun, bun, hugs need 2+1+1+1+1+... merges
    assert everything[3] == ("p", "un")  # 12, the next largest count


def test_bpe_matches_a_brute_force_recount():
    """The incremental trainer equals re-counting every pair at every step."""
    rng = np.random.default_rng(0)
    words = {"".join(rng.choice(list("abcd"), size=rng.integers(2, 7))): 0 for _ in range(40)}
    counts = {word: int(rng.integers(1, 9)) for word in words}
    merges = text.learn_bpe_merges(counts, 25)
    split = {word: list(word) for word in counts}
    for pair in merges:
        tally = {}
        for word, symbols in split.items():
            for a, b in zip(symbols, symbols[1:], strict=False):
                tally[(a, b)] = tally.get((a, b), 0) + counts[word]
        best = min(tally, key=lambda p: (-tally[p], p))
        assert pair == best
        for word, symbols in split.items():
            new, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
                    new.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    new.append(symbols[i])
                    i += 1
            split[word] = new


def test_pretokenize_and_byte_map_follow_gpt2():
    mapping = text.bytes_to_unicode()
    assert len(set(mapping.values())) == 256 and mapping[ord(" ")] == "Ġ"
    assert mapping[ord("\n")] == "Ċ" and mapping[ord("A")] == "A"
    sample = "And God said, Let there be light: 1611 don't\n\n  x"
    pieces = text.pretokenize(sample)
    assert "".join(pieces) == sample
    assert pieces[:3] == ["And", " God", " said"] and "161" in pieces and "'t" in pieces


@PROPERTY
@given(st.text(max_size=60))
def test_bpe_round_trip_property_on_any_text(sample):
    tokenizer = BytePairTokenizer.train(CORPUS, vocabulary_size=320)
    assert tokenizer.decode(tokenizer.encode(sample)) == sample


def test_bpe_vocabulary_layout_and_errors():
    tokenizer = BytePairTokenizer.train(CORPUS * 5, vocabulary_size=300)
    assert tokenizer.vocabulary_size == 300
    assert [tokenizer.vocabulary[t] for t in ("<pad>", "<s>", "</s>")] == [0, 1, 2]
    assert len(tokenizer.merges) == 300 - 259
    assert "Ġthe" in tokenizer.vocabulary  # the commonest word with its space
    assert len(tokenizer.encode(CORPUS[0])) < len(CORPUS[0].encode("utf-8"))  # compresses
    with pytest.raises(ValueError, match="vocabulary_size must be >= 259"):
        BytePairTokenizer.train(CORPUS, vocabulary_size=100)
    with pytest.raises(ValueError, match="at least one non-empty text"):
        BytePairTokenizer.train([""], vocabulary_size=300)
    with pytest.raises(ValueError, match="ids must be ids"):
        tokenizer.decode([tokenizer.vocabulary_size + 5])
    with pytest.raises(TypeError, match="text must be a str"):
        tokenizer.encode(b"bytes")


def test_bpe_gives_the_same_ids_as_keras_hub_with_our_vocabulary_and_merges():
    keras_hub = pytest.importorskip("keras_hub")
    from companion import data

    kjv = data.load("kjv")
    ours = BytePairTokenizer.train(kjv[:60_000], vocabulary_size=700)
    theirs = keras_hub.tokenizers.BytePairTokenizer(vocabulary=ours.vocabulary, merges=ours.merges)
    unseen = kjv[3_000_000:3_020_000]  # held-out text: other words, other merges apply
    expected = np.asarray(theirs.tokenize(unseen)).tolist()
    assert ours.encode(unseen) == expected
    assert theirs.detokenize(np.asarray([expected]))[0] == unseen
    sample = "Café naïve — 日本語 123456 don't  spaces\n\nnew _under_ x"
    assert ours.encode(sample) == np.asarray(theirs.tokenize(sample)).tolist()


def test_a_lone_surrogate_is_a_clear_error():
    """Regression: BPE met a lone surrogate (what broken decoding leaves) with a codec error."""
    tokenizer = BytePairTokenizer.train(CORPUS, vocabulary_size=280)
    with pytest.raises(ValueError, match=r"text must be valid Unicode text.*'\\ud800' at index 2"):
        tokenizer.encode("ab\ud800c")
    with pytest.raises(ValueError, match=r"texts\[1\] must be valid Unicode"):
        BytePairTokenizer.train(["fine", "bad \udfff"], vocabulary_size=280)
