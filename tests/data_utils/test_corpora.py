"""data_utils.corpora: tab-separated parallel corpora and their deterministic train/dev split."""

from __future__ import annotations

import random

import pytest

import data_utils
from data_utils import corpora

ATTRIBUTION = b"CC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250 (Wittydev)"


def manythings_lines(count: int) -> list[bytes]:
    return [b"Sentence %d.\tPhrase %d \xc3\xa9.\t%s\n" % (i, i, ATTRIBUTION) for i in range(count)]


def read_split(files: corpora.CorpusFiles) -> list[list[bytes]]:
    return [open(path, "rb").read().splitlines() for path in files]


def test_reads_pairs_ignoring_extra_columns_crlf_and_bom(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_bytes(
        b"\xef\xbb\xbfGo.\tVa !\r\nHi.\tSalut !\t" + ATTRIBUTION + b"\nRun!\tCours\xe2\x80\xaf!"
    )
    assert list(corpora.read_tsv_pairs(str(path))) == [
        (b"Go.", b"Va !"),
        (b"Hi.", b"Salut !"),
        (b"Run!", b"Cours\xe2\x80\xaf!"),
    ]
    assert list(corpora.read_tsv_pairs(str(path), swap=True))[0] == (b"Va !", b"Go.")


@pytest.mark.parametrize("bad_line", [b"no tab here\n", b"\tmissing source\n", b"src\t  \n"])
def test_malformed_line_is_an_error_with_its_number(tmp_path, bad_line):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(b"a\tb\n" + bad_line + b"c\td\n")
    with pytest.raises(ValueError, match=r"pairs\.tsv, line 2: expected"):
        corpora.write_tsv_corpus(str(path), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_malformed_lines_can_be_skipped_and_are_reported(tmp_path, capsys):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(b"a\tb\nbroken\nc\td\n\nmore broken\n")
    assert list(corpora.read_tsv_pairs(str(path), errors="skip")) == [(b"a", b"b"), (b"c", b"d")]
    assert "skipped 3 malformed lines (lines 2, 4, 5)" in capsys.readouterr().out


def test_unknown_errors_mode_is_refused(tmp_path):
    (tmp_path / "p").write_bytes(b"a\tb\n")
    with pytest.raises(ValueError, match="errors must be"):
        list(corpora.read_tsv_pairs(str(tmp_path / "p"), errors="ignore"))


def test_split_keeps_order_and_pairs_aligned(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_bytes(b"".join(manythings_lines(2000)))
    files = corpora.write_tsv_corpus(str(path), str(tmp_path / "out"), dev_fraction=0.1)
    assert files == corpora.corpus_files(str(tmp_path / "out"), "en", "fr")
    train_en, train_fr, dev_en, dev_fr = read_split(files)
    assert len(train_en) == len(train_fr) and len(dev_en) == len(dev_fr)
    assert len(train_en) + len(dev_en) == 2000
    assert 140 < len(dev_en) < 260  # about 10 %
    for en, fr in zip(train_en + dev_en, train_fr + dev_fr):
        assert en.replace(b"Sentence", b"Phrase")[:-1] + b" \xc3\xa9." == fr
    numbers = [int(line.split()[1][:-1]) for line in train_en]
    assert numbers == sorted(numbers)


def test_split_is_deterministic_order_free_and_keeps_sources_together(tmp_path):
    lines = manythings_lines(1500) + [b"Sentence 7.\tAutre traduction.\n"]
    shuffled = list(lines)
    random.Random(3).shuffle(shuffled)
    (tmp_path / "a.tsv").write_bytes(b"".join(lines))
    (tmp_path / "b.tsv").write_bytes(b"".join(shuffled))
    dev_sets = []
    for name in ("a", "b"):
        files = corpora.write_tsv_corpus(str(tmp_path / f"{name}.tsv"), str(tmp_path / name))
        train_en, _, dev_en, _ = read_split(files)
        assert not set(train_en) & set(dev_en)
        dev_sets.append(sorted(dev_en))
    assert dev_sets[0] == dev_sets[1] and dev_sets[0]
    other_seed = corpora.write_tsv_corpus(str(tmp_path / "a.tsv"), str(tmp_path / "c"), seed=1)
    assert sorted(read_split(other_seed)[2]) != dev_sets[0]


def test_written_corpus_feeds_prepare_data(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_bytes(b"".join(manythings_lines(300)))
    files = corpora.write_tsv_corpus(
        str(path), str(tmp_path / "out"), from_suffix="fr", to_suffix="en", swap=True
    )
    assert files.from_train_path.endswith("train.fr")
    assert open(files.from_train_path, "rb").readline().startswith(b"Phrase")
    result = data_utils.prepare_data(str(tmp_path / "out"), *files, 100, 100)
    assert all((tmp_path / "out" / path).exists() for path in result)


def test_bad_dev_fraction_is_refused(tmp_path):
    (tmp_path / "p").write_bytes(b"a\tb\n")
    with pytest.raises(ValueError, match="dev_fraction"):
        corpora.write_tsv_corpus(str(tmp_path / "p"), str(tmp_path / "o"), dev_fraction=1.5)


def test_write_pairs_refuses_line_breaks_and_writes_nothing(tmp_path):
    files = corpora.corpus_files(str(tmp_path), "en", "fr")
    with pytest.raises(ValueError, match="line break"):
        corpora.write_pairs([(b"ok", b"ok", False), (b"bad\n", b"x", True)], files)
    assert list(tmp_path.iterdir()) == []
