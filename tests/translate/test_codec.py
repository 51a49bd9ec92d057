"""The codec: source lines to ids and output ids to text, for word and subword vocabularies."""

from __future__ import annotations

import dataclasses
import os

import pytest

from data_utils import sentence_to_token_ids
from translate.hparams import HParams
from translate.infer import interactive
from translate.infer.batch import BatchTranslator
from translate.infer.codec import (
    SubwordCodec,
    WordCodec,
    codec_from_metadata,
    codec_metadata,
    load_codec,
    output_text,
)
from translate.seq2seq_model import Seq2SeqModel

sentencepiece = pytest.importorskip("sentencepiece")

from data_utils import subwords  # noqa: E402

SOURCE = {b"_PAD": 0, b"_GO": 1, b"_EOS": 2, b"_UNK": 3, b"le": 4, b"chat": 5, b"00": 6,
          b",": 7}
TARGET = [b"_PAD", b"_GO", b"_EOS", b"_UNK", b"the", b"cat", b"\xe9t\xe9"]

EN = ["the black cat eats a grey mouse", "a dog sleeps under the old table",
      "my sister reads three books every week", "we walked to the station at noon",
      "the children play in the garden after school", "it is raining again today"]
FR = ["le chat noir mange une souris grise", "un chien dort sous la vieille table",
      "ma sœur lit trois livres chaque semaine", "nous avons marché jusqu'à la gare à midi",
      "les enfants jouent dans le jardin après l'école", "il pleut encore aujourd'hui"]


def test_word_codec_is_the_originals_lookup_and_output():
    codec = WordCodec(SOURCE, TARGET)
    line = b"le chat, 12 chiens\n"
    assert codec.encode(line) == sentence_to_token_ids(line, SOURCE) == [4, 5, 7, 6, 3]
    # As written in the line (digits kept), one per id.
    assert codec.source_tokens(line) == [b"le", b"chat", b",", b"12", b"chiens"]
    # Cut at EOS; an id past the vocabulary prints _UNK; bytes that are not UTF-8 as U+FFFD.
    assert codec.decode([4, 5, 9, 6, 2, 4]) == "the cat _UNK \ufffdt\ufffd"
    assert codec.decode([4, 5, 9, 6, 2, 4]) == output_text(TARGET, [4, 5, 9, 6, 2, 4])
    assert codec.target_tokens([4, 9, 2, 5]) == [b"the", b"_UNK"]
    assert (codec.source_size, codec.target_size) == (8, 7)
    keep = WordCodec(SOURCE, TARGET, normalize_digits=False)
    assert keep.encode(b"12 00") == [3, 6]


@pytest.fixture(scope="module")
def subword_dirs(tmp_path_factory) -> dict[str, str]:
    """Two SentencePiece models of 300 entries trained on a small corpus, in a data dir."""
    root = tmp_path_factory.mktemp("codec")
    lines = {"en": [], "fr": []}
    for i in range(300):
        lines["en"].append(f"{EN[i % len(EN)]} {i}")
        lines["fr"].append(f"{FR[i % len(FR)]} {i}")
    data_dir = root / "data"
    data_dir.mkdir()
    for side, lang in (("from", "en"), ("to", "fr")):
        corpus = root / f"train.{lang}"
        corpus.write_text("\n".join(lines[lang]) + "\n", encoding="utf-8")
        subwords.train_subword_model(str(corpus), subwords.subword_model_path(
            str(data_dir), 300, side), 300)
    return {"root": str(root), "data_dir": str(data_dir)}


def test_subword_round_trip_is_lossless_on_the_corpus(subword_dirs):
    source = subwords.SubwordVocabulary(os.path.join(subword_dirs["data_dir"],
                                                     "spm300.from.model"))
    target = subwords.SubwordVocabulary(os.path.join(subword_dirs["data_dir"],
                                                     "spm300.to.model"))
    # The target model both ways, so that decode(encode(x)) is a round trip.
    round_trip = SubwordCodec(target, target)
    for line in FR + ["Qu'est-ce que c'est\u202f? 42 °C", "  deux  espaces  "]:
        ids = round_trip.encode(line.encode("utf-8") + b"\n")
        assert ids and max(ids) < 300
        assert round_trip.decode(ids) == line
        # Cut at the first EOS, as the model's outputs are.
        assert round_trip.decode(ids + [2] + ids) == line
        assert len(round_trip.source_tokens(line.encode("utf-8"))) == len(ids)
        assert len(round_trip.target_tokens(ids)) == len(ids)
    codec = SubwordCodec(source, target)
    assert (codec.source_size, codec.target_size, codec.kind) == (300, 300, "subword")
    # Invalid UTF-8 still gets ids (as U+FFFD), as any line gets an answer.
    assert codec.encode(b"the \xff cat")


def test_load_codec_reads_train_dir_before_data_dir(subword_dirs, tmp_path):
    hparams = HParams(from_vocab_size=300, to_vocab_size=300, vocabulary="subword")
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    codec = load_codec(hparams, subword_dirs["data_dir"], str(train_dir))
    assert isinstance(codec, SubwordCodec)
    assert codec.source.path == os.path.join(subword_dirs["data_dir"], "spm300.from.model")
    copy = train_dir / "spm300.from.model"
    copy.write_bytes(open(codec.source.path, "rb").read())
    codec = load_codec(hparams, subword_dirs["data_dir"], str(train_dir))
    assert codec.source.path == str(copy)
    assert codec.target.path == os.path.join(subword_dirs["data_dir"], "spm300.to.model")


def test_load_codec_errors_name_the_paths_and_the_flag(subword_dirs, tmp_path):
    hparams = HParams(from_vocab_size=300, to_vocab_size=400, vocabulary="subword")
    with pytest.raises(FileNotFoundError) as error:
        load_codec(hparams, subword_dirs["data_dir"], str(tmp_path))
    message = str(error.value)
    assert os.path.join(str(tmp_path), "spm400.to.model") in message
    assert os.path.join(subword_dirs["data_dir"], "spm400.to.model") in message
    assert "--to_vocab_size" in message
    # A model larger than the embedding: the vocabulary does not belong to the model.
    os.symlink(os.path.join(subword_dirs["data_dir"], "spm300.to.model"),
               tmp_path / "spm200.to.model")
    small = dataclasses.replace(hparams, to_vocab_size=200)
    with pytest.raises(ValueError, match=r"has 300 entries but the model has 200 "
                                         r"\(--to_vocab_size=200\)"):
        load_codec(small, subword_dirs["data_dir"], str(tmp_path))


def test_load_codec_word_vocabularies(tmp_path):
    (tmp_path / "vocab8.from").write_bytes(b"\n".join(SOURCE) + b"\n")
    (tmp_path / "vocab7.to").write_bytes(b"\n".join(TARGET) + b"\n")
    hparams = HParams(from_vocab_size=8, to_vocab_size=7)
    codec = load_codec(hparams, str(tmp_path), str(tmp_path / "train"), normalize_digits=False)
    assert isinstance(codec, WordCodec) and not codec.normalize_digits
    assert codec.source_vocab == SOURCE and codec.rev_target_vocab == TARGET
    # A file named for 6 entries that holds 8 does not fit a model of 6.
    (tmp_path / "vocab6.from").write_bytes(b"\n".join(SOURCE) + b"\n")
    with pytest.raises(ValueError, match=r"vocab6\.from has 8 entries but the model has 6"):
        load_codec(dataclasses.replace(hparams, from_vocab_size=6), str(tmp_path), "")


def test_word_metadata_round_trip(tmp_path):
    codec = WordCodec(SOURCE, TARGET, normalize_digits=False)
    metadata = codec_metadata(codec, str(tmp_path))
    assert os.listdir(tmp_path) == []
    restored = codec_from_metadata(metadata, str(tmp_path))
    assert isinstance(restored, WordCodec)
    assert restored.source_vocab == SOURCE and restored.rev_target_vocab == TARGET
    assert restored.normalize_digits is False
    # Exports written before the codec existed have no "vocabulary" entry: word.
    del metadata["vocabulary"]
    assert codec_from_metadata(metadata, str(tmp_path)).rev_target_vocab == TARGET


def test_subword_metadata_copies_the_models(subword_dirs, tmp_path):
    hparams = HParams(from_vocab_size=300, to_vocab_size=300, vocabulary="subword")
    codec = load_codec(hparams, subword_dirs["data_dir"], subword_dirs["root"])
    metadata = codec_metadata(codec, str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["source.model", "target.model"]
    restored = codec_from_metadata(metadata, str(tmp_path))
    line = FR[4].encode("utf-8")
    assert restored.encode(line) == codec.encode(line)
    assert restored.decode(codec.encode(line)) == codec.target.decode(codec.encode(line))
    with pytest.raises(ValueError, match="unknown vocabulary kind 'bpe'"):
        codec_from_metadata({**metadata, "vocabulary": "bpe"}, str(tmp_path))


@pytest.mark.parametrize("beam_size", [None, 2])
def test_blank_lines_translate_to_blank_lines_with_subwords(subword_dirs, beam_size):
    source = subwords.SubwordVocabulary(os.path.join(subword_dirs["data_dir"],
                                                     "spm300.from.model"))
    target = subwords.SubwordVocabulary(os.path.join(subword_dirs["data_dir"],
                                                     "spm300.to.model"))
    codec = SubwordCodec(source, target)
    model = Seq2SeqModel(300, 300, [(5, 10), (10, 15)], 16, 1, 5.0, 4, 0.5, 0.99,
                         forward_only=True)
    sentences = [b"the cat\n", b"\n", b"   \t \n", b"", b"a dog sleeps"]
    translator = BatchTranslator(model, codec, beam_size=beam_size)
    results = translator.translate(sentences, nbest=beam_size or 1)
    assert [len(r) for r in results] == [beam_size or 1] * len(sentences)
    for index in (1, 2, 3):
        assert [(h.ids, h.text) for h in results[index]] == [((), "")] * (beam_size or 1)
    # An untrained model emits something for a real sentence (EOS is one class of 300).
    assert any(h.ids for index in (0, 4) for h in results[index])
    assert interactive.translate_line(model, b"  \n", codec) == ""
    # Word vocabularies keep the original's answer to a blank line: the model runs on it.
    word_codec = WordCodec(SOURCE, TARGET)
    assert not word_codec.translates_to_nothing(b"\n", [])
    word_model = Seq2SeqModel(len(SOURCE), len(TARGET), [(5, 10)], 16, 1, 5.0, 4, 0.5, 0.99,
                              forward_only=True)
    blank, = BatchTranslator(word_model, word_codec).translate([b"\n"])
    assert blank[0].text == interactive.translate_line(word_model, b"\n", word_codec)
