"""Subword vocabularies: lossless round trips, the tutorial's special ids, files, errors."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sentencepiece = pytest.importorskip("sentencepiece")

from data_utils import subwords  # noqa: E402
from data_utils.vocabulary import EOS_ID, GO_ID, PAD_ID, UNK_ID  # noqa: E402

_SHARED_CORPUS = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "tatoeba_en_fr"
)

# Sentences with what breaks naive tokenizers: doubled, leading and trailing spaces, tabs,
# French non-breaking spaces, apostrophes, accents, and characters outside the training text.
_AWKWARD = [
    "Qu'est-ce que c'est\u202f?",
    "  deux espaces devant, et derrière  ",
    "tab\there",
    "Il fait 30\u00a0°C à Zürich.",
    "日本語とemoji 🙂 never seen in training",
    "",
    "a",
]


def _corpus_lines(count: int) -> list[str]:
    words = ["le", "chat", "noir", "mange", "une", "souris", "grise", "très", "vite", "lentement"]
    return [" ".join(words[(i * j + j) % len(words)] for j in range(3 + i % 5)) + "."
            for i in range(count)]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> str:
    directory = tmp_path_factory.mktemp("subwords")
    corpus = directory / "train.fr"
    corpus.write_text("\n".join(_corpus_lines(400) + _AWKWARD[:4]) + "\n", encoding="utf-8")
    path = str(directory / "spm300.model")
    subwords.train_subword_model(str(corpus), path, 300)
    return path


def test_special_ids_are_the_tutorials(model_path):
    vocabulary = subwords.SubwordVocabulary(model_path)
    assert vocabulary.size == 300
    assert [vocabulary.piece(i) for i in (PAD_ID, GO_ID, EOS_ID, UNK_ID)] == [
        "_PAD", "_GO", "_EOS", "_UNK"]
    ids = vocabulary.encode("le chat noir mange une souris grise")
    assert ids and min(ids) > UNK_ID and max(ids) < 300


@pytest.mark.parametrize("sentence", _AWKWARD)
def test_round_trip_is_lossless_on_awkward_text(model_path, sentence):
    vocabulary = subwords.SubwordVocabulary(model_path)
    assert vocabulary.decode(vocabulary.encode(sentence)) == sentence
    assert vocabulary.decode(vocabulary.encode(sentence.encode("utf-8"))) == sentence


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")))
def test_round_trip_is_lossless_on_any_text(model_path, sentence):
    vocabulary = subwords.SubwordVocabulary(model_path)
    assert vocabulary.decode(vocabulary.encode(sentence)) == sentence


def test_decode_drops_padding_go_and_eos(model_path):
    vocabulary = subwords.SubwordVocabulary(model_path)
    ids = vocabulary.encode("le chat")
    assert vocabulary.decode([GO_ID, *ids, EOS_ID, PAD_ID, PAD_ID]) == "le chat"


def test_pieces_spell_the_sentence(model_path):
    vocabulary = subwords.SubwordVocabulary(model_path)
    pieces = vocabulary.pieces("le chat noir")
    assert "".join(pieces).replace("\u2581", " ").strip() == "le chat noir"


@pytest.mark.skipif(not os.path.isdir(_SHARED_CORPUS), reason="needs ../shared/corpus")
def test_round_trip_is_lossless_on_the_tatoeba_dev_set(tmp_path):
    train = tmp_path / "train.fr"
    with open(os.path.join(_SHARED_CORPUS, "train.fr"), encoding="utf-8") as source:
        train.write_text("".join(next(source) for _ in range(8000)), encoding="utf-8")
    model = str(tmp_path / "m.model")
    subwords.train_subword_model(str(train), model, 1000)
    vocabulary = subwords.SubwordVocabulary(model)
    for side in ("dev.en", "dev.fr"):
        with open(os.path.join(_SHARED_CORPUS, side), encoding="utf-8") as lines:
            text = lines.read().splitlines()
        assert [vocabulary.decode(vocabulary.encode(line)) for line in text] == text


def test_token_id_file_has_the_tutorials_format(model_path, tmp_path):
    data = tmp_path / "dev.fr"
    data.write_text("le chat\n\nune souris grise\n", encoding="utf-8")
    target = str(tmp_path / "dev.fr.spm300")
    subwords.subword_data_to_token_ids(str(data), target, model_path)
    vocabulary = subwords.SubwordVocabulary(model_path)
    with open(target, "rb") as written:
        lines = written.read().split(b"\n")
    assert lines[-1] == b""
    assert lines[:-1] == [
        b" ".join(b"%d" % i for i in vocabulary.encode(sentence))
        for sentence in ("le chat", "", "une souris grise")
    ]
    # An existing file is kept, as data_to_token_ids keeps it.
    with open(target, "wb") as overwritten:
        overwritten.write(b"kept\n")
    subwords.subword_data_to_token_ids(str(data), target, model_path)
    with open(target, "rb") as written:
        assert written.read() == b"kept\n"


def test_invalid_utf8_names_the_file_and_line_and_writes_nothing(model_path, tmp_path):
    data = tmp_path / "bad.fr"
    data.write_bytes(b"bon\nmauvais \xff\xfe octets\n")
    target = tmp_path / "bad.fr.spm300"
    with pytest.raises(ValueError, match=r"bad\.fr, line 2: not valid UTF-8"):
        subwords.subword_data_to_token_ids(str(data), str(target), model_path)
    assert sorted(os.listdir(tmp_path)) == ["bad.fr"]


@pytest.mark.parametrize("size, message", [
    (100, "more than 260 entries"),
    # SentencePiece's own limit, with its advice: the largest size this corpus allows.
    (5000, r"cannot learn subwords from .*train.fr: Vocabulary size too high \(5000\)"),
])
def test_a_bad_vocabulary_size_is_a_clear_error_and_writes_nothing(tmp_path, size, message):
    data = tmp_path / "train.fr"
    data.write_text("le chat\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        subwords.train_subword_model(str(data), str(tmp_path / "m.model"), size)
    assert not (tmp_path / "m.model").exists()


def test_a_model_trained_elsewhere_is_refused(tmp_path):
    data = tmp_path / "train.fr"
    data.write_text("\n".join(_corpus_lines(200)) + "\n", encoding="utf-8")
    model = io.BytesIO()
    # SentencePiece's own defaults put <unk> at id 0: ids would not mean what the model expects.
    sentencepiece.SentencePieceTrainer.train(
        input=str(data), model_writer=model, vocab_size=26, minloglevel=2)
    path = tmp_path / "other.model"
    path.write_bytes(model.getvalue())
    with pytest.raises(ValueError, match="not the tutorial's"):
        subwords.SubwordVocabulary(str(path))
    (tmp_path / "junk.model").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="is not a SentencePiece model"):
        subwords.SubwordVocabulary(str(tmp_path / "junk.model"))


def test_prepare_subword_data_writes_models_and_ids(tmp_path):
    lines = _corpus_lines(300)
    for name in ("train.en", "train.fr"):
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("dev.en", "dev.fr"):
        (tmp_path / name).write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    data_dir = tmp_path / "data"
    paths = subwords.prepare_subword_data(
        str(data_dir), *(str(tmp_path / n) for n in ("train.en", "train.fr", "dev.en", "dev.fr")),
        280, 284)
    # The id files go to data_dir: the corpus directory may be read-only.
    assert paths == (
        f"{data_dir}/train.en.spm280", f"{data_dir}/train.fr.spm284",
        f"{data_dir}/dev.en.spm280", f"{data_dir}/dev.fr.spm284",
        f"{data_dir}/spm280.from.model", f"{data_dir}/spm284.to.model",
    )
    assert subwords.SubwordVocabulary(paths[4]).size == 280
    assert subwords.SubwordVocabulary(paths[5]).size == 284
    with open(paths[3], "rb") as dev_ids:
        assert len(dev_ids.read().splitlines()) == 5
    assert sorted(os.listdir(tmp_path)) == ["data", "dev.en", "dev.fr", "train.en", "train.fr"]


def test_prepare_subword_data_keeps_same_named_files_apart(tmp_path):
    lines = _corpus_lines(300)
    for side in ("en", "fr"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (tmp_path / side / "dev.txt").write_text(f"{side}\n", encoding="utf-8")
    inputs = [str(tmp_path / side / f"{name}.txt") for name in ("train", "dev")
              for side in ("en", "fr")]
    paths = subwords.prepare_subword_data(str(tmp_path / "data"), *inputs, 280, 280)
    assert [os.path.basename(p) for p in paths[:4]] == [
        "train.from.train.txt.spm280", "train.to.train.txt.spm280",
        "dev.from.dev.txt.spm280", "dev.to.dev.txt.spm280"]
    vocabulary = subwords.SubwordVocabulary(paths[5])
    with open(paths[3], "rb") as ids:
        assert vocabulary.decode([int(i) for i in ids.read().split()]) == "fr"


def test_copy_subword_models_keeps_equal_files_and_refuses_others(model_path, tmp_path):
    source = tmp_path / "data"
    source.mkdir()
    with open(model_path, "rb") as model:
        data = model.read()
    (source / "spm300.from.model").write_bytes(data)
    (source / "spm300.to.model").write_bytes(data)
    target = tmp_path / "train"
    copies = subwords.copy_subword_models(str(source), str(target), 300, 300)
    assert copies == (str(target / "spm300.from.model"), str(target / "spm300.to.model"))
    assert all(open(path, "rb").read() == data for path in copies)
    assert subwords.copy_subword_models(str(source), str(target), 300, 300) == copies
    (target / "spm300.to.model").write_bytes(data + b"other")
    with pytest.raises(ValueError, match=r"spm300\.to\.model differs from .*data"):
        subwords.copy_subword_models(str(source), str(target), 300, 300)
    with pytest.raises(FileNotFoundError, match="spm400.from.model"):
        subwords.copy_subword_models(str(source), str(target), 400, 300)


def test_prepare_subword_data_checks_line_counts_first(tmp_path):
    (tmp_path / "train.en").write_text("a\nb\n", encoding="utf-8")
    (tmp_path / "train.fr").write_text("a\n", encoding="utf-8")
    for name in ("dev.en", "dev.fr"):
        (tmp_path / name).write_text("a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="differ in length"):
        subwords.prepare_subword_data(
            str(tmp_path / "data"),
            *(str(tmp_path / n) for n in ("train.en", "train.fr", "dev.en", "dev.fr")), 300, 300)
    assert not (tmp_path / "data").exists()
