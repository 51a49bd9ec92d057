"""data_utils.number_words: spellings checked against known correct forms."""

from __future__ import annotations

import pytest

from data_utils import number_words

# Reference spellings (French: traditional orthography, as in Grevisse / the Académie).
FRENCH = {
    0: "zéro",
    1: "un",
    16: "seize",
    17: "dix-sept",
    21: "vingt et un",
    22: "vingt-deux",
    31: "trente et un",
    61: "soixante et un",
    70: "soixante-dix",
    71: "soixante et onze",
    72: "soixante-douze",
    77: "soixante-dix-sept",
    80: "quatre-vingts",
    81: "quatre-vingt-un",
    88: "quatre-vingt-huit",
    90: "quatre-vingt-dix",
    91: "quatre-vingt-onze",
    97: "quatre-vingt-dix-sept",
    100: "cent",
    101: "cent un",
    180: "cent quatre-vingts",
    200: "deux cents",
    201: "deux cent un",
    280: "deux cent quatre-vingts",
    1000: "mille",
    1001: "mille un",
    1900: "mille neuf cents",
    1980: "mille neuf cent quatre-vingts",
    1999: "mille neuf cent quatre-vingt-dix-neuf",
    2000: "deux mille",
    2021: "deux mille vingt et un",
    21000: "vingt et un mille",
    80000: "quatre-vingt mille",
    200000: "deux cent mille",
    280000: "deux cent quatre-vingt mille",
    300200: "trois cent mille deux cents",
    999999: "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf",
}

ENGLISH = {
    0: "zero",
    13: "thirteen",
    40: "forty",
    97: "ninety-seven",
    100: "one hundred",
    101: "one hundred and one",
    1000: "one thousand",
    1006: "one thousand and six",
    1200: "one thousand two hundred",
    21000: "twenty-one thousand",
    305017: "three hundred and five thousand and seventeen",
}


@pytest.mark.parametrize(("number", "words"), FRENCH.items())
def test_french_cardinal(number, words):
    assert number_words.french_cardinal(number) == words


@pytest.mark.parametrize(("number", "words"), ENGLISH.items())
def test_english_cardinal(number, words):
    assert number_words.english_cardinal(number) == words


def test_english_ordinals():
    assert [number_words.english_ordinal(n) for n in (1, 2, 3, 5, 8, 9, 12, 20, 21, 30, 31)] == [
        "first", "second", "third", "fifth", "eighth", "ninth", "twelfth", "twentieth",
        "twenty-first", "thirtieth", "thirty-first",
    ]  # fmt: skip
    assert [number_words.english_ordinal_suffix(n) for n in (1, 2, 3, 4, 11, 12, 13, 22, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "22nd", "31st",
    ]  # fmt: skip


def test_english_years():
    years = (1900, 1905, 1984, 2000, 2007, 2021)
    assert [number_words.english_year(y) for y in years] == [
        "nineteen hundred",
        "nineteen oh five",
        "nineteen eighty-four",
        "two thousand",
        "two thousand and seven",
        "two thousand and twenty-one",
    ]


def test_every_number_has_distinct_spellings():
    english = {number_words.english_cardinal(n) for n in range(0, 1_000_000, 7)}
    french = {number_words.french_cardinal(n) for n in range(0, 1_000_000, 7)}
    assert len(english) == len(french) == len(range(0, 1_000_000, 7))


@pytest.mark.parametrize("number", [-1, 1_000_000])
def test_out_of_range_is_refused(number):
    with pytest.raises(ValueError, match="outside the supported range"):
        number_words.french_cardinal(number)
