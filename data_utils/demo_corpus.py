"""A small English-to-French translation task generated in code: numbers and dates.

No download is needed and the output depends only on the arguments. The task is real
translation with reordering and irregular forms, yet small enough for a seq2seq model trained a
few minutes on a CPU: a few hundred words per language and at most 9 tokens per sentence (the
`basic_tokenizer` keeps hyphenated words whole). Examples:

    ninety-seven                           -> quatre-vingt-dix-sept
    two hundred thousand                   -> deux cent mille
    the first of May                       -> le premier mai
    March the twenty-first                 -> le vingt et un mars
    the third of May two thousand and one  -> le trois mai deux mille un
    Friday the thirteenth of August nineteen ninety-nine
                        -> le vendredi treize août mille neuf cent quatre-vingt-dix-neuf
    May 1st, 2021                          -> le 1er mai 2021
    the 3rd of May 2021                    -> le 3 mai 2021

The English day name of a dated example is the true one for that date.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from data_utils import corpora
from data_utils.number_words import (
    english_cardinal,
    english_ordinal,
    english_ordinal_suffix,
    english_year,
    french_cardinal,
)

_MONTHS = (
    ("January", "janvier"),
    ("February", "février"),
    ("March", "mars"),
    ("April", "avril"),
    ("May", "mai"),
    ("June", "juin"),
    ("July", "juillet"),
    ("August", "août"),
    ("September", "septembre"),
    ("October", "octobre"),
    ("November", "novembre"),
    ("December", "décembre"),
)
_WEEKDAYS = (
    ("Monday", "lundi"),
    ("Tuesday", "mardi"),
    ("Wednesday", "mercredi"),
    ("Thursday", "jeudi"),
    ("Friday", "vendredi"),
    ("Saturday", "samedi"),
    ("Sunday", "dimanche"),
)
_FIRST_YEAR = 1900
_LAST_YEAR = 2099
# 2000 is a leap year, so every day of the year, 29 February included, exists in it.
_LEAP_YEAR = 2000

Pair = tuple[str, str]


def _random_date(rng: random.Random) -> datetime.date:
    first = datetime.date(_FIRST_YEAR, 1, 1).toordinal()
    last = datetime.date(_LAST_YEAR, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(first, last))


def _french_day(day: int, digits: bool) -> str:
    """The day of the month as French writes it in a date: "premier"/"1er" for the first."""
    if day == 1:
        return "1er" if digits else "premier"
    return str(day) if digits else french_cardinal(day)


def number_pair(rng: random.Random) -> Pair:
    """A number from 0 to 999999 spelled out; its digit count is uniform, then its value."""
    digit_count = rng.randint(1, 6)
    number = rng.randint(0 if digit_count == 1 else 10 ** (digit_count - 1), 10**digit_count - 1)
    return english_cardinal(number), french_cardinal(number)


def day_month_pair(rng: random.Random) -> Pair:
    """A day and month in words, in either English order: "the 3rd of May" or "May the 3rd"."""
    date = _random_date(rng).replace(year=_LEAP_YEAR)
    month_en, month_fr = _MONTHS[date.month - 1]
    day_en = english_ordinal(date.day)
    english = f"the {day_en} of {month_en}" if rng.random() < 0.5 else f"{month_en} the {day_en}"
    return english, f"le {_french_day(date.day, digits=False)} {month_fr}"


def full_date_pair(rng: random.Random) -> Pair:
    """A whole date in words, sometimes with its day of the week."""
    date = _random_date(rng)
    month_en, month_fr = _MONTHS[date.month - 1]
    english = f"the {english_ordinal(date.day)} of {month_en} {english_year(date.year)}"
    french = f"{_french_day(date.day, digits=False)} {month_fr} {french_cardinal(date.year)}"
    if rng.random() < 0.5:
        weekday_en, weekday_fr = _WEEKDAYS[date.weekday()]
        return f"{weekday_en} {english}", f"le {weekday_fr} {french}"
    return english, f"le {french}"


def numeric_date_pair(rng: random.Random) -> Pair:
    """A date written with digits: "May 3rd, 2021" or "the 3rd of May 2021"."""
    date = _random_date(rng)
    month_en, month_fr = _MONTHS[date.month - 1]
    day_en = english_ordinal_suffix(date.day)
    if rng.random() < 0.5:
        english = f"{month_en} {day_en}, {date.year}"
    else:
        english = f"the {day_en} of {month_en} {date.year}"
    return english, f"le {_french_day(date.day, digits=True)} {month_fr} {date.year}"


# Each kind of example with its share of the corpus.
DEFAULT_KINDS: tuple[tuple[Callable[[random.Random], Pair], float], ...] = (
    (number_pair, 0.5),
    (day_month_pair, 0.05),
    (full_date_pair, 0.35),
    (numeric_date_pair, 0.1),
)

# Everything in words. A word-level model without a copy mechanism cannot learn to copy the
# hundreds of distinct year tokens of `numeric_date_pair` from a small corpus, and the
# tutorial's tokenizer turns every digit into 0 anyway ("le 0 mai 0000"): `make demo` uses these.
WORDS_ONLY_KINDS: tuple[tuple[Callable[[random.Random], Pair], float], ...] = (
    (number_pair, 0.55),
    (day_month_pair, 0.05),
    (full_date_pair, 0.4),
)


def demo_pairs(
    num_pairs: int,
    seed: int = 0,
    kinds: tuple[tuple[Callable[[random.Random], Pair], float], ...] = DEFAULT_KINDS,
) -> list[Pair]:
    """Generates distinct (English, French) pairs, the same ones for the same arguments.

    No two pairs share an English sentence, and every English sentence has exactly one French
    translation, so any split of the list gives disjoint sets.

    Args:
        num_pairs: how many pairs.
        seed: the random seed.
        kinds: (generator, weight) pairs; a generator takes a `random.Random` and returns one
            (English, French) pair.

    Returns:
        list of (str, str): the pairs, in generation order.

    Raises:
        ValueError: `num_pairs` is negative, or `kinds` cannot produce that many distinct pairs
            (it keeps drawing duplicates).
    """
    if num_pairs < 0:
        raise ValueError(f"num_pairs must be >= 0, not {num_pairs}")
    rng = random.Random(seed)
    generators = [generator for generator, _ in kinds]
    weights = [weight for _, weight in kinds]
    pairs: dict[str, str] = {}
    misses = 0
    while len(pairs) < num_pairs:
        english, french = rng.choices(generators, weights)[0](rng)
        if english in pairs:
            misses += 1
            # Far more duplicates than pairs means the space is nearly exhausted.
            if misses > 100 * num_pairs + 1000:
                raise ValueError(f"could only generate {len(pairs)} distinct pairs")
            continue
        pairs[english] = french
    return list(pairs.items())


def write_demo_corpus(
    directory: str,
    num_train: int = 50_000,
    num_dev: int = 1_000,
    seed: int = 0,
    kinds: tuple[tuple[Callable[[random.Random], Pair], float], ...] = DEFAULT_KINDS,
) -> corpora.CorpusFiles:
    """Writes the demo corpus as train.en, train.fr, dev.en and dev.fr (UTF-8) in `directory`.

    The dev pairs are disjoint from the training pairs (no English sentence in both).

    Args:
        directory: where to write; any `tf.io.gfile` path; created if missing.
        num_train: number of training pairs.
        num_dev: number of dev pairs.
        seed: the random seed; the same arguments always give the same files.
        kinds: (generator, weight) pairs, see `demo_pairs`.

    Returns:
        corpora.CorpusFiles: the four paths, in `prepare_data`'s argument order.

    Raises:
        ValueError: a count is negative.
    """
    if num_train < 0 or num_dev < 0:
        raise ValueError(f"num_train and num_dev must be >= 0, not {num_train} and {num_dev}")
    pairs = demo_pairs(num_train + num_dev, seed, kinds)
    files = corpora.corpus_files(directory, "en", "fr")
    corpora.write_pairs(
        (
            (english.encode(), french.encode(), index >= num_train)
            for index, (english, french) in enumerate(pairs)
        ),
        files,
    )
    return files
