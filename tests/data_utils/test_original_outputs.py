"""Byte comparison with what the original data_utils.py (TF 1.15) wrote on the same input.

The reference files in golden/ come from tools/oracle_tf1/data_utils_reference.py, which ran
the original module; golden/manifest.json lists every case.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import os
import pathlib
import shutil

import pytest

import data_utils

GOLDEN = pathlib.Path(__file__).parent / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())
CORPUS = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "tatoeba_en_fr"
CORPUS_FILES = ("train.en", "train.fr", "dev.en", "dev.fr")

# The same tokenizers, under the same names, as the reference generator.
TOKENIZERS = {
    None: None,
    "split": lambda sentence: sentence.split(),
    "lower_split": lambda sentence: sentence.lower().split(),
}


def unhex(text: str) -> bytes:
    return binascii.unhexlify(text)


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_files(directory: pathlib.Path, inputs) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.name not in inputs}


@pytest.mark.parametrize("case", MANIFEST["files"], ids=lambda case: case["name"])
def test_create_vocabulary_matches_original(case, tmp_path):
    vocabulary = tmp_path / "vocab"
    data_utils.create_vocabulary(
        str(vocabulary),
        str(GOLDEN / case["data"]),
        case["max_vocabulary_size"],
        TOKENIZERS[case["tokenizer"]],
        case["normalize_digits"],
    )
    assert vocabulary.read_bytes() == (GOLDEN / case["vocabulary"]).read_bytes()


@pytest.mark.parametrize("case", MANIFEST["files"], ids=lambda case: case["name"])
def test_initialize_vocabulary_matches_original(case):
    vocab, rev_vocab = data_utils.initialize_vocabulary(str(GOLDEN / case["vocabulary"]))
    expected = case["initialize_vocabulary"]
    assert rev_vocab == [unhex(word) for word in expected["rev_vocab"]]
    assert vocab == {unhex(word): index for word, index in expected["vocab"]}


@pytest.mark.parametrize("case", MANIFEST["files"], ids=lambda case: case["name"])
def test_data_to_token_ids_matches_original(case, tmp_path):
    ids = tmp_path / "ids"
    data_utils.data_to_token_ids(
        str(GOLDEN / case["data"]),
        str(ids),
        str(GOLDEN / case["vocabulary"]),
        TOKENIZERS[case["tokenizer"]],
        case["normalize_digits"],
    )
    assert ids.read_bytes() == (GOLDEN / case["ids"]).read_bytes()


@pytest.mark.parametrize("case", MANIFEST["prepare_data"], ids=lambda case: case["name"])
def test_prepare_data_matches_original(case, tmp_path):
    for base, relative in case["inputs"].items():
        shutil.copy(GOLDEN / relative, tmp_path / base)
    result = data_utils.prepare_data(
        str(tmp_path),
        str(tmp_path / "from_train"),
        str(tmp_path / "to_train"),
        str(tmp_path / "from_dev"),
        str(tmp_path / "to_dev"),
        *case["sizes"],
    )
    assert [os.path.relpath(path, tmp_path) for path in result] == case["returned"]
    expected = {
        base: (GOLDEN / relative).read_bytes() for base, relative in case["outputs"].items()
    }
    assert new_files(tmp_path, case["inputs"]) == expected


@pytest.mark.parametrize(
    "case", MANIFEST["sentences"]["cases"], ids=lambda case: case["sentence"][:40] or "empty"
)
def test_sentence_functions_match_original(case):
    vocab, _ = data_utils.initialize_vocabulary(str(GOLDEN / MANIFEST["sentences"]["vocabulary"]))
    sentence = unhex(case["sentence"])
    assert data_utils.basic_tokenizer(sentence) == [unhex(token) for token in case["tokens"]]
    assert data_utils.sentence_to_token_ids(sentence, vocab) == case["ids_digits"]
    assert data_utils.sentence_to_token_ids(sentence, vocab, None, False) == case["ids_raw"]
    assert (
        data_utils.sentence_to_token_ids(sentence, vocab, TOKENIZERS["split"], False)
        == case["ids_split_raw"]
    )


@pytest.fixture(scope="module")
def full_corpus() -> pathlib.Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the real corpus is not at {CORPUS} (../shared/corpus beside the repository)")
    digests = MANIFEST["full_corpus"]["inputs"]
    assert {name: sha256(CORPUS / name) for name in CORPUS_FILES} == digests, (
        f"{CORPUS} is not the corpus the reference digests were computed on"
    )
    return CORPUS


@pytest.mark.parametrize(
    "run", MANIFEST["full_corpus"]["prepare_data"], ids=lambda run: "x".join(map(str, run["sizes"]))
)
def test_prepare_data_on_full_corpus_matches_original(run, full_corpus, tmp_path):
    for name in CORPUS_FILES:
        shutil.copy(full_corpus / name, tmp_path / name)
    data_utils.prepare_data(
        str(tmp_path), *(str(tmp_path / n) for n in CORPUS_FILES), *run["sizes"]
    )
    produced = {p.name: sha256(p) for p in tmp_path.iterdir() if p.name not in CORPUS_FILES}
    assert produced == run["outputs"]


def test_raw_digits_on_full_corpus_match_original(full_corpus, tmp_path):
    expected = MANIFEST["full_corpus"]["raw_digits"]
    vocabulary = tmp_path / "vocab"
    data_utils.create_vocabulary(
        str(vocabulary),
        str(full_corpus / expected["vocabulary"]["data"]),
        expected["vocabulary"]["max_vocabulary_size"],
        None,
        False,
    )
    assert sha256(vocabulary) == expected["vocabulary"]["sha256"]
    for name, digest in expected["ids"].items():
        ids = tmp_path / f"{name}.ids"
        data_utils.data_to_token_ids(
            str(full_corpus / name), str(ids), str(vocabulary), None, False
        )
        assert sha256(ids) == digest
