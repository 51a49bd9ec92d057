"""`--nonormalize_digits`: numbers keep their digits in vocabularies and token ids (opt-in)."""

from __future__ import annotations

import os

import pytest

import data_utils
from translate.hparams import HParams
from translate.train import loop


def _write(path: str, lines: list[str]) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("normalize_digits", [True, False])
def test_flag_reaches_vocabularies_and_token_ids(tmp_path, normalize_digits: bool):
    source = _write(str(tmp_path / "train.en"), ["May 8th , 1902", "June 1st , 1902"])
    target = _write(str(tmp_path / "train.fr"), ["le 8 mai 1902", "le 1er juin 1902"])
    config = loop.TrainConfig(
        data_dir=str(tmp_path / "data"), train_dir=str(tmp_path / "train"),
        from_train_data=source, to_train_data=target, normalize_digits=normalize_digits)
    os.makedirs(config.data_dir)
    hparams = HParams(from_vocab_size=20, to_vocab_size=20)
    from_train_ids = loop.prepare_token_ids(hparams, config)[0]
    vocab, _ = data_utils.initialize_vocabulary(
        os.path.join(config.data_dir, "vocab20.from"))
    year = b"0000" if normalize_digits else b"1902"
    assert year in vocab and (b"1902" in vocab) == (not normalize_digits)
    with open(from_train_ids) as f:
        first_line = [int(t) for t in f.readline().split()]
    assert vocab[year] in first_line
