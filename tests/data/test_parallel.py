"""Tests of companion.data.parallel: each pitfall of the Bible packages, counts and the split."""

import importlib.util

import numpy as np
import pytest

from companion import data
from companion.data import parallel

QUOTES = '"' * 3


def _source(text, offsets):
    """A small file in the layout of ``plain_text_readers_bible.py``."""
    starts = ", ".join(f"{i}: {a}" for i, (a, _) in offsets.items())
    ends = ", ".join(f"{i}: {b}" for i, (_, b) in offsets.items())
    head = f"bible = Bible(\n    V,\n    {QUOTES}{text}{QUOTES},\n"
    return head + f"    {{{starts}}},\n    {{{ends}}},\n)"


def test_offsets_index_the_escaped_source_so_slice_first_then_unescape():
    # As in BBE: the literal holds "\\43:1\\" (escaped backslashes) and the offsets count
    # every character of the source, so unescaping first would shift every later verse.
    text = r"In sorrow.\\43:1\\Now the land was in need."
    source = _source(text, {1042038: (0, 10), 1042039: (10, len(text))})
    verses = parallel.parse_bible_source(source)
    assert verses == {1042038: "In sorrow.", 1042039: "\\43:1\\Now the land was in need."}
    unescaped_first = text.replace("\\\\", "\\")[10 : len(text)]
    assert unescaped_first != verses[1042039].replace("\\", "\\\\")  # the wrong order loses text


def test_markers_re_key_verses_and_are_removed():
    verses = {
        1042038: " And he said, ... in sorrow.",
        1042039: "\\43:1\\Now the land was in bitter need of food.",
        1043001: "\\43:2\\And when the grain was used up.",
        9020042: " Go in peace, for ever.\\",  # BBE leaves a stray "\" before a split verse
        9020043: "\\20:42\\Then David went away.",
    }
    aligned, dropped = parallel._realign(verses, "bbe")
    assert aligned == {
        1042038: "And he said, ... in sorrow.",
        1043001: "Now the land was in bitter need of food.",
        1043002: "And when the grain was used up.",
        9020042: "Go in peace, for ever. Then David went away.",  # joined, as the KJV has it
    }
    assert dropped == {}


def test_psalm_headings_are_dropped_and_counted():
    verses = {
        19051001: " To the chief music-maker. A Psalm. Of David.\\",
        19051002: "\\51:1\\When Nathan the prophet came to him.",
        19051003: "\\51:1\\Have pity on me, O God.",
        19051004: "\\51:2\\Let all my wrongdoing be washed away.",
    }
    aligned, dropped = parallel._realign(verses, "bbe")
    assert aligned == {19051001: "Have pity on me, O God.", 19051002: verses[19051004][6:]}
    assert dropped == {"psalm heading": [19051001, 19051002]}


def test_placeholders_are_dropped_per_reason():
    verses = {40017020: "Faith.", 40017021: "[]", 40017022: " ", 9013001: "***", 1: "...", 2: "+"}
    aligned, dropped = parallel._realign(verses, "asv")
    assert aligned == {40017020: "Faith."}
    assert dropped == {
        "placeholder []": [40017021],
        "empty": [40017022],
        "placeholder ***": [9013001],
        "placeholder ...": [1],
        "placeholder +": [2],
    }


def test_bbe_renumbering_of_isaiah_and_john_is_undone():
    kjv, bbe = parallel.read_bible("kjv"), parallel.read_bible("bbe")
    assert not any(i // 1000 == 23067 for i in bbe)  # BBE's Isaiah 67 is the common 66
    assert "wolf and the lamb" in kjv[23065025] and "wolf and the lamb" in bbe[23065025]
    assert "worm" in kjv[23066024] and "worm" in bbe[23066024]
    assert "As when fire" in bbe[23064002]  # marked "\64:2\" in BBE's chapter 65
    assert "Come and see" in kjv[43001039] and "Come and see" in bbe[43001039]
    assert "angels" in kjv[43001051] and "angels" in bbe[43001051] and 43001052 not in bbe
    assert set(bbe) <= set(kjv)  # after realignment no BBE verse lacks a KJV partner


def test_cleaning_removes_markers_brackets_and_headings():
    assert parallel.clean_verse("\\6:1\\ And  [was] *I*\n") == "And was I"
    web = "full of days.                 BOOK I       Psalm 1"
    assert parallel.clean_verse(web) == "full of days."
    assert parallel.clean_verse("{A Psalm of David.} Jehovah, how") == "Jehovah, how"
    assert parallel.clean_verse("God`s Spirit") == "God's Spirit"
    for version in ("kjv", "bbe", "asv"):
        text = " ".join(parallel.read_bible(version).values())
        assert not set("[]{}*\\`0123456789") & set(text), version
        assert "  " not in text


def test_read_bible_is_cached_and_read_only():
    kjv = parallel.read_bible("kjv")
    assert kjv[1001001] == "In the beginning God created the heaven and the earth."
    assert parallel.read_bible("bbe")[1001001] == "At the first God made the heaven and the earth."
    assert parallel.read_bible("kjv") is kjv
    with pytest.raises(TypeError):
        kjv[1001001] = "changed"


def test_counts_and_splits():
    # DATA.md measured 31,085 pairs, 4,830 at <= 16 words and 13,844 at <= 24 before the BBE
    # numbering was undone; realigned, all 31,102 KJV verses have a BBE partner except the
    # 34 BBE placeholders, and cleaning brackets changes a few word counts.
    every = data.load("bible_pairs", split="all")
    assert len(every) == 31_068 == 31_102 - 34
    assert every.dropped["placeholder []"] == 16 and every.dropped["psalm heading"] == 66
    assert len(data.load("bible_pairs", split="all", max_words=16)) == 4_826
    assert len(data.load("bible_pairs", split="all", max_words=24)) == 13_836
    splits = {s: data.load("bible_pairs", split=s) for s in ("train", "validation", "test")}
    assert [len(splits[s]) for s in splits] == [27_598, 1_636, 1_834]
    books = {s: set(parallel.book_of(p.verse_ids).tolist()) for s, p in splits.items()}
    names = {s: {parallel.BOOKS[b - 1] for b in books[s]} for s in books}
    assert names["test"] == set(parallel.TEST_BOOKS)
    assert names["validation"] == set(parallel.VALIDATION_BOOKS)
    assert len(names["train"]) == 58 and not names["train"] & (names["test"] | names["validation"])
    ids = np.concatenate([p.verse_ids for p in splits.values()])
    assert np.array_equal(np.sort(ids), every.verse_ids)
    assert every.verse_ids.dtype == np.int64 and np.all(np.diff(every.verse_ids) > 0)


def test_pairs_are_aligned_and_short_pairs_are_short():
    pairs = data.load("bible_pairs", split="test", max_words=16)
    assert pairs.source_version == "kjv" and pairs.target_version == "bbe"
    assert all(
        len(s.split()) <= 16 and len(t.split()) <= 16
        for s, t in zip(pairs.sources, pairs.targets, strict=True)
    )
    first = data.load("bible_pairs", split="test")
    assert parallel.verse_name(int(first.verse_ids[0])) == "Judges 1:1"
    assert first.sources[0].startswith("Now after the death of Joshua")
    assert first.targets[0].startswith("Now after the death of Joshua")
    asv = data.load("bible_pairs", source="asv", target="kjv", split="validation")
    assert asv.dropped["empty"] == 5 and len(asv) == 1_642 - 5


def test_bad_arguments_name_the_argument_and_value():
    with pytest.raises(ValueError, match=r"version must be one of .* \(got version='niv'\)"):
        parallel.read_bible("niv")
    with pytest.raises(ValueError, match=r"split must be one of .* \(got split='dev'\)"):
        data.load("bible_pairs", split="dev")
    with pytest.raises(ValueError, match=r"max_words must be an int >= 1 \(got max_words=0\)"):
        data.load("bible_pairs", max_words=0)
    with pytest.raises(ValueError, match=r"target must be one of .* \(got target='BBE'\)"):
        data.load("bible_pairs", target="BBE")
    with pytest.raises(ValueError, match=r"book in \[1, 66\] \(got 67001001\)"):
        parallel.book_of([67001001])
    with pytest.raises(ValueError, match="verse_id must be an int >= 1000000"):
        parallel.verse_name(1)
    with pytest.raises(ValueError, match="two .verse_id: offset. tables"):
        parallel.parse_bible_source(f"Bible(V, {QUOTES}x{QUOTES})")


@pytest.mark.skipif(importlib.util.find_spec("pythonbible_ylt") is not None, reason="installed")
def test_missing_package_says_what_to_install():
    with pytest.raises(ModuleNotFoundError, match="pip install pythonbible-ylt"):
        parallel.read_bible("ylt")
