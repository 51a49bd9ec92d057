"""data_utils.demo_corpus: the built-in English-to-French numbers and dates task."""

from __future__ import annotations

import datetime
import random

import pytest

import data_utils
from data_utils import demo_corpus
from data_utils.tokenizer import zero_digits

# The translate demo's buckets: (source length, target length) the model accepts.
LARGEST_SMALL_BUCKET = (10, 15)


class FixedRandom(random.Random):
    """Draws a chosen date and a chosen branch, to check exact sentences."""

    def __init__(self, date: datetime.date, branch: float) -> None:
        super().__init__(0)
        self._ordinal = date.toordinal()
        self._branch = branch

    def randint(self, a: int, b: int) -> int:
        assert a <= self._ordinal <= b
        return self._ordinal

    def random(self) -> float:
        return self._branch


@pytest.mark.parametrize(
    ("kind", "date", "branch", "pair"),
    [
        (demo_corpus.day_month_pair, (2021, 5, 1), 0.1, ("the first of May", "le premier mai")),
        (
            demo_corpus.day_month_pair,
            (1950, 3, 21),
            0.9,
            ("March the twenty-first", "le vingt et un mars"),
        ),
        (
            demo_corpus.full_date_pair,
            (1999, 8, 13),
            0.1,
            (
                "Friday the thirteenth of August nineteen ninety-nine",
                "le vendredi treize août mille neuf cent quatre-vingt-dix-neuf",
            ),
        ),
        (
            demo_corpus.full_date_pair,
            (2001, 5, 3),
            0.9,
            ("the third of May two thousand and one", "le trois mai deux mille un"),
        ),
        (
            demo_corpus.numeric_date_pair,
            (2021, 5, 3),
            0.9,
            ("the 3rd of May 2021", "le 3 mai 2021"),
        ),
        (demo_corpus.numeric_date_pair, (2021, 5, 1), 0.1, ("May 1st, 2021", "le 1er mai 2021")),
        (
            demo_corpus.numeric_date_pair,
            (1980, 12, 22),
            0.1,
            ("December 22nd, 1980", "le 22 décembre 1980"),
        ),
    ],
)
def test_exact_sentences(kind, date, branch, pair):
    assert kind(FixedRandom(datetime.date(*date), branch)) == pair


@pytest.fixture(scope="module")
def pairs():
    return demo_corpus.demo_pairs(51_000)


def test_pairs_are_distinct_and_deterministic(pairs):
    assert len({english for english, _ in pairs}) == len(pairs) == 51_000
    assert demo_corpus.demo_pairs(2000) == pairs[:2000]
    assert demo_corpus.demo_pairs(2000, seed=1) != pairs[:2000]


def test_every_kind_is_present(pairs):
    french = [fr for _, fr in pairs]
    assert sum(fr.startswith("le ") for fr in french) > 15_000  # dates
    assert sum(not fr.startswith("le ") for fr in french) > 15_000  # numbers
    assert any(fr.startswith("le 1er ") for fr in french)
    assert any(" premier " in fr for fr in french)


def test_fits_small_model_buckets_and_vocabulary(pairs):
    # translate.py puts a pair in a bucket when len(source) < source size and
    # len(target) + 1 (for EOS) < target size.
    for side, longest in zip((0, 1), (LARGEST_SMALL_BUCKET[0] - 1, LARGEST_SMALL_BUCKET[1] - 2)):
        tokens = [[zero_digits(t) for t in data_utils.basic_tokenizer(p[side])] for p in pairs]
        assert max(map(len, tokens)) <= longest
        vocabulary = {token for sentence in tokens for token in sentence}
        assert 80 <= len(vocabulary) <= 400


@pytest.mark.parametrize(
    ("date", "english_day", "french_day"),
    [
        ((1969, 7, 20), "Sunday", "dimanche"),
        ((2000, 1, 1), "Saturday", "samedi"),
        ((1945, 5, 8), "Tuesday", "mardi"),
        ((2099, 12, 31), "Thursday", "jeudi"),
    ],
)
def test_day_names_are_the_true_ones(date, english_day, french_day):
    english, french = demo_corpus.full_date_pair(FixedRandom(datetime.date(*date), 0.1))
    assert english.startswith(f"{english_day} the ")
    assert french.startswith(f"le {french_day} ")


def test_write_demo_corpus_gives_disjoint_files_for_prepare_data(tmp_path):
    files = demo_corpus.write_demo_corpus(str(tmp_path / "demo"), num_train=3000, num_dev=300)
    assert [p.rsplit("/", 1)[1] for p in files] == ["train.en", "train.fr", "dev.en", "dev.fr"]
    lines = [open(path, encoding="utf-8").read().splitlines() for path in files]
    assert [len(side) for side in lines] == [3000, 3000, 300, 300]
    assert not set(lines[0]) & set(lines[2])
    assert (
        "août" in open(files[1], encoding="utf-8").read() + open(files[3], encoding="utf-8").read()
    )
    again = demo_corpus.write_demo_corpus(str(tmp_path / "again"), num_train=3000, num_dev=300)
    assert [open(p, "rb").read() for p in again] == [open(p, "rb").read() for p in files]
    result = data_utils.prepare_data(str(tmp_path / "demo"), *files, 400, 400)
    assert open(result[1], "rb").read().count(b"\n") == 3000


def test_impossible_requests_are_refused():
    with pytest.raises(ValueError, match="num_pairs"):
        demo_corpus.demo_pairs(-1)
    only_small = ((lambda rng: (str(rng.randint(0, 9)), "x"), 1.0),)
    with pytest.raises(ValueError, match="could only generate 10 distinct pairs"):
        demo_corpus.demo_pairs(11, kinds=only_small)
