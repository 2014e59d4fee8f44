"""Dates in many English and French forms, to normalise to ISO ``YYYY-MM-DD`` (synthetic).

The controlled laboratory of the sequence-to-sequence chapter: sources range from ``3/3/98``
(6 characters) to ``Wednesday the twenty-seventh of September, nineteen seventy-seven``,
the target is always ``1977-09-27``. Attention has to find the day, the month and the year
wherever the form puts them, and read numbers spelled out in words.

Every source has one target. Numeric English forms are US month-first with ``/``, numeric
French forms are day-first with ``.``, so the separator tells which is which; forms with a
two-digit year exist only for 1950-2049 (``98`` is 1998, ``04`` is 2004). Numbers in words
follow the usual rules: English "twenty-one", "nineteen oh five", "two thousand and four";
French traditional spelling, "vingt et un", "soixante et onze", "quatre-vingts",
"quatre-vingt-un", "mil neuf cent" in years before 2000, "deux mille quatre" after.
"""

import dataclasses
import datetime

import numpy as np

from companion.checks import check_choice, check_int
from companion.data.registry import register

LANGUAGES = ("en", "fr")
_MONTHS = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre".split(),
}
_SHORT_MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
}
_WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
}
_EN_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split()
)
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth"}
_EN_ORDINAL.update({"eight": "eighth", "nine": "ninth", "twelve": "twelfth"})
_FR_UNITS = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize".split()
)
_FR_TENS = "_ _ vingt trente quarante cinquante soixante".split()
_TWO_DIGIT_YEARS = (1950, 2049)  # "98" -> 1998, "04" -> 2004


def english_number(n):
    """Returns 0 <= n < 10000 in English words: 21 -> "twenty-one", 2004 -> "two thousand and four".

    Example:
        >>> english_number(1999)
        'one thousand nine hundred and ninety-nine'
    """
    n = check_int("n", n, minimum=0, maximum=9999)
    if n < 20:
        return _EN_UNITS[n]
    if n < 100:
        return _EN_TENS[n // 10] + ("" if n % 10 == 0 else "-" + _EN_UNITS[n % 10])
    big, rest, word = (
        (n // 1000, n % 1000, "thousand") if n >= 1000 else (n // 100, n % 100, "hundred")
    )
    if rest == 0:
        return f"{_EN_UNITS[big]} {word}"
    joiner = " and " if rest < 100 else " "
    return f"{_EN_UNITS[big]} {word}{joiner}{english_number(rest)}"


def english_ordinal(n):
    """Returns 1 <= n <= 31 as an English ordinal word: 3 -> "third", 22 -> "twenty-second"."""
    n = check_int("n", n, minimum=1, maximum=31)
    *head, last = english_number(n).split("-")
    last = _EN_ORDINAL.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return "-".join([*head, last])


def english_year(year):
    """Returns a year as spoken: "nineteen oh five", "two thousand and four".

    Example:
        >>> english_year(1900), english_year(2021)
        ('nineteen hundred', 'two thousand and twenty-one')
    """
    year = check_int("year", year, minimum=1000, maximum=9999)
    if year // 100 % 10 == 0:  # 2004, 1005: "two thousand and four"
        return english_number(year)
    century, rest = english_number(year // 100), year % 100
    if rest == 0:
        return f"{century} hundred"
    return f"{century} {'oh ' if rest < 10 else ''}{english_number(rest)}"


def french_number(n, year=False):
    """Returns 0 <= n < 10000 in French words, traditional spelling.

    Args:
        n: int. The number.
        year: bool. Write "mil" rather than "mille" for 1001-1999, as in dates. Defaults to
            `False`.

    Example:
        >>> french_number(71), french_number(80), french_number(1998, year=True)
        ('soixante et onze', 'quatre-vingts', 'mil neuf cent quatre-vingt-dix-huit')
    """
    n = check_int("n", n, minimum=0, maximum=9999)
    if n <= 16:
        return _FR_UNITS[n]
    if n < 20:
        return "dix-" + _FR_UNITS[n - 10]
    if n < 100:
        tens, units = (n // 10, n % 10) if n < 70 else ((6, n - 60) if n < 80 else (8, n - 80))
        head = "quatre-vingt" if tens == 8 else _FR_TENS[tens]
        if units == 0:
            return "quatre-vingts" if tens == 8 else head
        if units in (1, 11) and tens != 8:
            return f"{head} et {french_number(units)}"
        return f"{head}-{french_number(units)}"
    if n < 1000:
        hundreds, rest = n // 100, n % 100
        head = "cent" if hundreds == 1 else f"{_FR_UNITS[hundreds]} cent"
        if rest == 0:
            return head + ("s" if hundreds > 1 else "")
        return f"{head} {french_number(rest)}"
    thousands, rest = n // 1000, n % 1000
    head = (
        ("mil" if year and rest else "mille")
        if thousands == 1
        else f"{french_number(thousands)} mille"
    )
    return head if rest == 0 else f"{head} {french_number(rest)}"


def _ordinal_suffix(day):
    if day % 10 == 1 and day != 11:
        return f"{day}st"
    if day % 10 == 2 and day != 12:
        return f"{day}nd"
    if day % 10 == 3 and day != 13:
        return f"{day}rd"
    return f"{day}th"


# Format name -> function of (date, month names, short names, weekday names).
_FORMATS = {
    "en": {
        "M/D/YY": lambda d, m, s, w: f"{d.month}/{d.day}/{d.year % 100:02d}",
        "MM/DD/YYYY": lambda d, m, s, w: f"{d.month:02d}/{d.day:02d}/{d.year}",
        "M/D/YYYY": lambda d, m, s, w: f"{d.month}/{d.day}/{d.year}",
        "D Mon YYYY": lambda d, m, s, w: f"{d.day} {s[d.month - 1]} {d.year}",
        "Mon D, YY": lambda d, m, s, w: f"{s[d.month - 1]} {d.day}, '{d.year % 100:02d}",
        "D Month YYYY": lambda d, m, s, w: f"{d.day} {m[d.month - 1]} {d.year}",
        "Month D, YYYY": lambda d, m, s, w: f"{m[d.month - 1]} {d.day}, {d.year}",
        "Weekday, Month D, YYYY": lambda d, m, s, w: (
            f"{w[d.weekday()]}, {m[d.month - 1]} {d.day}, {d.year}"
        ),
        "Dth of Month YYYY": lambda d, m, s, w: (
            f"{_ordinal_suffix(d.day)} of {m[d.month - 1]} {d.year}"
        ),
        "the Dth of Month, in words": lambda d, m, s, w: (
            f"the {english_ordinal(d.day)} of {m[d.month - 1]}, {english_year(d.year)}"
        ),
        "Weekday the Dth of Month, in words": lambda d, m, s, w: (
            f"{w[d.weekday()]} the {english_ordinal(d.day)} of {m[d.month - 1]}, "
            f"{english_year(d.year)}"
        ),
    },
    "fr": {
        "JJ.MM.AA": lambda d, m, s, w: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
        "J.M.AAAA": lambda d, m, s, w: f"{d.day}.{d.month}.{d.year}",
        "JJ.MM.AAAA": lambda d, m, s, w: f"{d.day:02d}.{d.month:02d}.{d.year}",
        "J mois. AAAA": lambda d, m, s, w: f"{_fr_day(d.day)} {s[d.month - 1]} {d.year}",
        "J mois AAAA": lambda d, m, s, w: f"{_fr_day(d.day)} {m[d.month - 1]} {d.year}",
        "le J mois AAAA": lambda d, m, s, w: f"le {_fr_day(d.day)} {m[d.month - 1]} {d.year}",
        "jour J mois AAAA": lambda d, m, s, w: (
            f"{w[d.weekday()]} {_fr_day(d.day)} {m[d.month - 1]} {d.year}"
        ),
        "le J mois, en lettres": lambda d, m, s, w: (
            f"le {_fr_day_words(d.day)} {m[d.month - 1]} {french_number(d.year, year=True)}"
        ),
        "le jour J mois, en lettres": lambda d, m, s, w: (
            f"le {w[d.weekday()]} {_fr_day_words(d.day)} {m[d.month - 1]} "
            f"{french_number(d.year, year=True)}"
        ),
    },
}


def _two_digit_year(fmt):
    return "YY" in fmt.replace("YYYY", "") or "AA" in fmt.replace("AAAA", "")


def _fr_day(day):
    return "1er" if day == 1 else str(day)


def _fr_day_words(day):
    return "premier" if day == 1 else french_number(day)


def date_formats(language):
    """Returns the names of the surface forms of one language, shortest first.

    Example:
        >>> date_formats("fr")[:2]
        ['JJ.MM.AA', 'J.M.AAAA']
    """
    return list(_FORMATS[check_choice("language", language, LANGUAGES)])


def format_date(date, fmt, language):
    """Writes a date in one of the forms of :func:`date_formats`.

    Args:
        date: ``datetime.date``.
        fmt: str. A name from ``date_formats(language)``.
        language: str. ``"en"`` or ``"fr"``.

    Returns:
        str.

    Example:
        >>> format_date(datetime.date(1998, 3, 3), "Weekday, Month D, YYYY", "en")
        'Tuesday, March 3, 1998'
        >>> format_date(datetime.date(1998, 3, 3), "le J mois, en lettres", "fr")
        'le trois mars mil neuf cent quatre-vingt-dix-huit'
    """
    check_choice("language", language, LANGUAGES)
    check_choice("fmt", fmt, tuple(_FORMATS[language]))
    if not isinstance(date, datetime.date):
        raise TypeError(f"date must be a datetime.date (got date={date!r})")
    if _two_digit_year(fmt):
        low, high = _TWO_DIGIT_YEARS
        if not low <= date.year <= high:
            raise ValueError(
                f"fmt={fmt!r} writes two-digit years, for years in [{low}, {high}] only "
                f"(got date={date.isoformat()})"
            )
    writer = _FORMATS[language][fmt]
    return writer(date, _MONTHS[language], _SHORT_MONTHS[language], _WEEKDAYS[language])


@dataclasses.dataclass
class DatePairs:
    """Dates written in many forms, with their ISO form.

    Attributes:
        sources: list of str. The dates as written (``"3/3/98"``, ``"le 3 mars 1998"``).
        targets: list of str. ``"YYYY-MM-DD"``.
        formats: list of str. The form of each source (a name from :func:`date_formats`).
        languages: list of str. ``"en"`` or ``"fr"``.
    """

    sources: list
    targets: list
    formats: list
    languages: list

    def __len__(self):
        return len(self.sources)


@register(
    name="dates",
    title="Dates in English and French to ISO form (synthetic)",
    kind="sequence to sequence",
    source="synthetic: generated by companion.data with a seeded NumPy generator",
    licence="MIT (generated by this project)",
    size="n pairs (default 10,000); sources of 6 to about 70 characters, targets of 10",
    citation="Synthetic; no external source. The task follows the date-normalisation "
    "exercise of A. Ng's Sequence Models course (deeplearning.ai).",
    offline=True,
)
def _load_dates(*, n=10000, seed=0, languages=("en", "fr"), start_year=1900, end_year=2099):
    """Dates drawn uniformly between two years, each in a random form of a random language.

    Args:
        n: int. Number of pairs. Defaults to 10000.
        seed: int. Seed of the NumPy generator. Defaults to 0.
        languages: tuple of str. Languages to draw from, ``"en"`` and/or ``"fr"``. Defaults
            to both.
        start_year: int. First year (>= 1000). Defaults to 1900.
        end_year: int. Last year (<= 9999, >= ``start_year``). Defaults to 2099.

    Returns:
        DatePairs. Each source has exactly one target; forms with two-digit years are drawn
        only for dates in 1950-2049.
    """
    n = check_int("n", n, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if isinstance(languages, str) or not languages:
        raise ValueError(f"languages must be a non-empty tuple of 'en', 'fr' (got {languages!r})")
    languages = tuple(check_choice("languages", lang, LANGUAGES) for lang in languages)
    start_year = check_int("start_year", start_year, minimum=1000, maximum=9999)
    end_year = check_int("end_year", end_year, minimum=1000, maximum=9999)
    if start_year > end_year:
        raise ValueError(
            f"start_year must be <= end_year (got start_year={start_year}, end_year={end_year})"
        )
    rng = np.random.default_rng(seed)
    first = datetime.date(start_year, 1, 1).toordinal()
    last = datetime.date(end_year, 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n)
    chosen = rng.integers(0, len(languages), size=n)
    picks = rng.random(n)
    sources, targets, formats, langs = [], [], [], []
    low, high = _TWO_DIGIT_YEARS
    for day, lang_index, pick in zip(days.tolist(), chosen.tolist(), picks.tolist(), strict=True):
        date, language = datetime.date.fromordinal(day), languages[lang_index]
        names = [
            f for f in _FORMATS[language] if low <= date.year <= high or not _two_digit_year(f)
        ]
        fmt = names[int(pick * len(names))]
        sources.append(format_date(date, fmt, language))
        targets.append(date.isoformat())
        formats.append(fmt)
        langs.append(language)
    return DatePairs(sources, targets, formats, langs)
