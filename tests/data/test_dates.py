"""Tests of companion.data.dates: seeded, correct and unambiguous date pairs."""

import datetime

import pytest

from companion import data
from companion.data import dates


def test_is_seeded():
    a = data.load("dates", n=300, seed=5)
    b = data.load("dates", n=300, seed=5)
    c = data.load("dates", n=300, seed=6)
    assert a == b and a.sources != c.sources
    assert len(a) == 300 and set(a.languages) == {"en", "fr"}
    assert all(len(t) == 10 and datetime.date.fromisoformat(t) for t in a.targets)


def test_every_source_is_the_target_written_in_its_form():
    pairs = data.load("dates", n=2000, seed=1, start_year=1700, end_year=2300)
    for source, target, fmt, language in zip(
        pairs.sources, pairs.targets, pairs.formats, pairs.languages, strict=True
    ):
        date = datetime.date.fromisoformat(target)
        assert 1700 <= date.year <= 2300
        assert dates.format_date(date, fmt, language) == source
        assert source != target


def test_weekdays_are_right():
    # 3 March 1998 was a Tuesday; 1 January 2000 a Saturday; 14 July 1789 a Tuesday.
    day = datetime.date(1998, 3, 3)
    assert dates.format_date(day, "Weekday, Month D, YYYY", "en") == "Tuesday, March 3, 1998"
    assert dates.format_date(day, "jour J mois AAAA", "fr") == "mardi 3 mars 1998"
    assert dates.format_date(datetime.date(2000, 1, 1), "jour J mois AAAA", "fr") == (
        "samedi 1er janvier 2000"
    )
    assert dates.format_date(
        datetime.date(1789, 7, 14), "Weekday the Dth of Month, in words", "en"
    ) == ("Tuesday the fourteenth of July, seventeen eighty-nine")


def test_french_number_words():
    expected = {
        21: "vingt et un",
        71: "soixante et onze",
        77: "soixante-dix-sept",
        80: "quatre-vingts",
        81: "quatre-vingt-un",
        91: "quatre-vingt-onze",
        200: "deux cents",
        280: "deux cent quatre-vingts",
        2004: "deux mille quatre",
    }
    assert {n: dates.french_number(n) for n in expected} == expected
    assert dates.french_number(1999, year=True) == "mil neuf cent quatre-vingt-dix-neuf"
    assert dates.french_number(1900, year=True) == "mil neuf cents"
    assert dates.format_date(datetime.date(1998, 3, 3), "le J mois, en lettres", "fr") == (
        "le trois mars mil neuf cent quatre-vingt-dix-huit"
    )
    assert dates.format_date(datetime.date(2004, 8, 1), "le J mois, en lettres", "fr") == (
        "le premier août deux mille quatre"
    )


def test_english_number_words():
    assert dates.english_number(21) == "twenty-one"
    assert dates.english_ordinal(3) == "third" and dates.english_ordinal(22) == "twenty-second"
    assert dates.english_ordinal(20) == "twentieth" and dates.english_ordinal(12) == "twelfth"
    years = {1998: "nineteen ninety-eight", 1905: "nineteen oh five", 1900: "nineteen hundred"}
    years.update({2000: "two thousand", 2004: "two thousand and four"})
    assert {y: dates.english_year(y) for y in years} == years
    assert dates.format_date(datetime.date(1998, 3, 3), "the Dth of Month, in words", "en") == (
        "the third of March, nineteen ninety-eight"
    )


def test_no_source_has_two_targets():
    pairs = data.load("dates", n=50_000, seed=0)
    seen = {}
    for source, target in zip(pairs.sources, pairs.targets, strict=True):
        assert seen.setdefault(source, target) == target, source
    assert len(set(pairs.formats)) == len(dates.date_formats("en")) + len(dates.date_formats("fr"))
    lengths = [len(s) for s in pairs.sources]
    assert min(lengths) == 6 and max(lengths) >= 60


def test_two_digit_years_only_near_2000():
    pairs = data.load("dates", n=3000, seed=2, start_year=1900, end_year=2099)
    for target, fmt in zip(pairs.targets, pairs.formats, strict=True):
        if fmt in ("M/D/YY", "Mon D, YY", "JJ.MM.AA"):
            assert 1950 <= int(target[:4]) <= 2049
    with pytest.raises(ValueError, match=r"two-digit years.*\(got date=1900-01-01\)"):
        dates.format_date(datetime.date(1900, 1, 1), "M/D/YY", "en")


def test_bad_arguments_name_the_argument_and_value():
    with pytest.raises(ValueError, match=r"n must be an int >= 1 \(got n=0\)"):
        data.load("dates", n=0)
    with pytest.raises(
        ValueError, match=r"languages must be one of 'en', 'fr' \(got languages='de'\)"
    ):
        data.load("dates", languages=("en", "de"))
    with pytest.raises(ValueError, match=r"start_year must be <= end_year \(got start_year=2000"):
        data.load("dates", start_year=2000, end_year=1999)
    with pytest.raises(
        ValueError, match=r"language must be one of 'en', 'fr' \(got language='es'\)"
    ):
        dates.date_formats("es")
    with pytest.raises(ValueError, match=r"fmt must be one of .* \(got fmt='YYYY'\)"):
        dates.format_date(datetime.date(2000, 1, 1), "YYYY", "en")
    with pytest.raises(TypeError, match=r"date must be a datetime.date \(got date='2000-01-01'\)"):
        dates.format_date("2000-01-01", "M/D/YYYY", "en")
