"""Numbers, ordinals and years spelled out in English and in French.

English follows British usage ("three hundred and five", "two thousand and six"). French
follows the traditional spelling taught in schools (before the optional 1990 reform): hyphens
only between tens and units below one hundred, "et" in 21, 31, 41, 51, 61 and 71 ("vingt et un",
"soixante et onze") but not in 81 and 91 ("quatre-vingt-un"), "quatre-vingts" and "deux cents"
with an s only when nothing follows (so "quatre-vingt-deux", "deux cent un", and also
"deux cent mille", because "mille" is itself a numeral), and "mille" invariable.
"""

from __future__ import annotations

MAX_NUMBER = 999_999

_ENGLISH_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_ENGLISH_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ENGLISH_ORDINAL_UNITS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()

_FRENCH_UNITS = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize"
).split()
_FRENCH_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _check_range(number: int, low: int, high: int) -> None:
    if not low <= number <= high:
        raise ValueError(f"{number} is outside the supported range {low} to {high}")


def english_cardinal(number: int) -> str:
    """Spells out 0 <= number <= 999999 in English, e.g. 2006 -> "two thousand and six".

    Args:
        number: the number.

    Returns:
        str: the words, hyphenated from twenty-one to ninety-nine.

    Raises:
        ValueError: `number` is out of range.
    """
    _check_range(number, 0, MAX_NUMBER)
    if number < 20:
        return _ENGLISH_UNITS[number]
    if number < 100:
        tens, unit = divmod(number, 10)
        return _ENGLISH_TENS[tens] + (f"-{_ENGLISH_UNITS[unit]}" if unit else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        head = f"{_ENGLISH_UNITS[hundreds]} hundred"
        return f"{head} and {english_cardinal(rest)}" if rest else head
    thousands, rest = divmod(number, 1000)
    head = f"{english_cardinal(thousands)} thousand"
    if not rest:
        return head
    # British English says "and" before a last part below one hundred only.
    return f"{head} {'and ' if rest < 100 else ''}{english_cardinal(rest)}"


def english_ordinal(number: int) -> str:
    """Spells out an ordinal 1 <= number <= 99 in English, e.g. 21 -> "twenty-first".

    Args:
        number: the number.

    Returns:
        str: the ordinal.

    Raises:
        ValueError: `number` is out of range.
    """
    _check_range(number, 1, 99)
    if number < 20:
        return _ENGLISH_ORDINAL_UNITS[number]
    tens, unit = divmod(number, 10)
    if not unit:
        return _ENGLISH_TENS[tens][:-1] + "ieth"
    return f"{_ENGLISH_TENS[tens]}-{_ENGLISH_ORDINAL_UNITS[unit]}"


def english_ordinal_suffix(number: int) -> str:
    """Writes an ordinal with digits in English, e.g. 1 -> "1st", 12 -> "12th", 23 -> "23rd".

    Args:
        number: a positive number.

    Returns:
        str: the number followed by st, nd, rd or th.
    """
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    if number % 100 in (11, 12, 13):
        return f"{number}th"
    return f"{number}{suffixes.get(number % 10, 'th')}"


def english_year(year: int) -> str:
    """Reads a year 1900 <= year <= 2099 the way it is said in English.

    1900 -> "nineteen hundred", 1905 -> "nineteen oh five", 1984 -> "nineteen eighty-four",
    2000 -> "two thousand", 2021 -> "two thousand and twenty-one".

    Args:
        year: the year.

    Returns:
        str: the words.

    Raises:
        ValueError: `year` is out of range.
    """
    _check_range(year, 1900, 2099)
    if year >= 2000:
        return english_cardinal(year)
    rest = year - 1900
    if not rest:
        return "nineteen hundred"
    return f"nineteen {'oh ' if rest < 10 else ''}{english_cardinal(rest)}"


def _french_below_100(number: int, last: bool) -> str:
    """0 to 99 in French; `last` says that no other numeral follows (for "quatre-vingts")."""
    if number <= 16:
        return _FRENCH_UNITS[number]
    if number < 20:
        return f"dix-{_FRENCH_UNITS[number - 10]}"
    tens, unit = divmod(number, 10)
    if tens in (7, 9):
        # 70-79 and 90-99 count on from 60 and 80: soixante-douze, quatre-vingt-dix-sept.
        if number == 71:
            return "soixante et onze"
        base = "soixante" if tens == 7 else "quatre-vingt"
        return f"{base}-{_french_below_100(10 + unit, last)}"
    if tens == 8:
        return f"quatre-vingt-{_FRENCH_UNITS[unit]}" if unit else "quatre-vingt" + "s" * last
    if unit == 1:
        return f"{_FRENCH_TENS[tens]} et un"
    return _FRENCH_TENS[tens] + (f"-{_FRENCH_UNITS[unit]}" if unit else "")


def _french_below_1000(number: int, last: bool) -> str:
    """0 to 999 in French; `last` is false when "mille" follows (no plural s then)."""
    hundreds, rest = divmod(number, 100)
    if not hundreds:
        return _french_below_100(rest, last)
    head = "cent" if hundreds == 1 else f"{_FRENCH_UNITS[hundreds]} cent"
    if rest:
        return f"{head} {_french_below_100(rest, last)}"
    return head + "s" * (last and hundreds > 1)


def french_cardinal(number: int) -> str:
    """Spells out 0 <= number <= 999999 in French, e.g. 97 -> "quatre-vingt-dix-sept".

    Args:
        number: the number.

    Returns:
        str: the words, in the traditional spelling (see the module docstring).

    Raises:
        ValueError: `number` is out of range.
    """
    _check_range(number, 0, MAX_NUMBER)
    thousands, rest = divmod(number, 1000)
    if not thousands:
        return _french_below_1000(rest, last=True)
    head = "mille" if thousands == 1 else f"{_french_below_1000(thousands, last=False)} mille"
    return f"{head} {_french_below_1000(rest, last=True)}" if rest else head
