"""`--replace_unk`: each `_UNK` of an output becomes the source word attended to most."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tensorflow as tf

from data_utils import UNK_ID
from translate import batching
from translate.infer import unk
from translate.infer.batch import BatchTranslator
from translate.infer.codec import SubwordCodec, WordCodec
from translate.infer.modes import DecodeOptions, run_decode
from translate.seq2seq_model import Seq2SeqModel

BUCKETS = [(3, 5), (6, 8)]
SOURCE = [b"_PAD", b"_GO", b"_EOS", b"_UNK", b"the", b"cat", b"in", b"0000"]
TARGET = [b"_PAD", b"_GO", b"_EOS", b"_UNK", b"le", b"chat"]
# Unknown words, digits (looked up as 0000, copied as written), several buckets.
SENTENCES = [b"Paris", b"the cat in Zurich", b"1999 the 42", b"in 2024 Tom met the cat",
             b"cat Berlin the", b"the cat in the Oslo 7"]


def _emitting_unk() -> Seq2SeqModel:
    """An untrained model whose every output is _UNK (its output bias favours it)."""
    tf.random.set_seed(7)
    model = Seq2SeqModel(len(SOURCE), len(TARGET), BUCKETS, 16, 1, 5.0, 1, 0.5, 0.99,
                         forward_only=True)
    bias = next(v for n, v in model.variables_by_name.items()
                if n.endswith("AttnOutputProjection/bias"))
    bias.assign(tf.one_hot(UNK_ID, len(TARGET)) * 100.0)
    return model


@pytest.fixture(scope="module")
def model() -> Seq2SeqModel:
    return _emitting_unk()


@pytest.fixture(scope="module")
def codec() -> WordCodec:
    return WordCodec({w: i for i, w in enumerate(SOURCE)}, TARGET)


def most_attended(model: Seq2SeqModel, codec: WordCodec, sentence: bytes,
                  output: list[int]) -> list[bytes]:
    """The source word of the largest attention weight at each output position, worked out
    from the encoder's layout itself (padding first, then the sentence reversed)."""
    ids = codec.encode(sentence)
    bucket_id, _ = batching.bucket_for_sentence(len(ids), model.buckets)
    length, decoder_length = model.buckets[bucket_id]
    encoder, decoder, _ = batching.make_batch([(ids, output)], length, decoder_length)
    _, weights = model.alignment(encoder, decoder)
    words = sentence.split()
    first_real = length - len(ids)
    chosen = []
    for t in range(len(output)):
        position = first_real + int(np.argmax(weights[t, 0, first_real:]))
        # Position p of the reversed, front-padded row holds token T - 1 - p.
        assert encoder[position][0] == ids[length - 1 - position]
        chosen.append(words[length - 1 - position])
    return chosen


def test_each_unk_copies_the_most_attended_source_word(model, codec):
    translator = BatchTranslator(model, codec, batch_size=4, replace_unk=True)
    plain = BatchTranslator(model, codec, batch_size=4).translate(SENTENCES)
    replaced = translator.translate(SENTENCES)
    positions_seen = set()
    for sentence, before, after in zip(SENTENCES, plain, replaced):
        output = list(before[0].ids)
        assert output and set(output) == {UNK_ID}
        assert before[0].text == " ".join(["_UNK"] * len(output))
        expected = most_attended(model, codec, sentence, output)
        assert after[0].text == b" ".join(expected).decode()
        assert after[0].ids == before[0].ids
        positions_seen.add(tuple(sentence.split().index(w) for w in expected))
    # The copies are not all the same source position (a wrong layout could not pass).
    assert len({p[0] for p in positions_seen}) > 1
    # Digits are copied as written, never as the 0000 the model read.
    digits = replaced[SENTENCES.index(b"1999 the 42")][0].text.split()
    assert set(digits) <= {"1999", "the", "42"}
    assert "0000" not in " ".join(h[0].text for h in replaced)


def test_copied_words_follow_the_weights():
    # Bucket of 4, sentence of 2 words: positions 0-1 padding, 2 = "b", 3 = "a".
    weights = np.array([[0.9, 0.0, 0.06, 0.04],   # padding most: the best real token, "b"
                        [0.1, 0.1, 0.1, 0.7],     # "a"
                        [0.0, 0.0, 0.0, 1.0]], np.float32)
    tokens = unk.copied_words([3, 3, 5], [b"_UNK", b"_UNK", b"chat"], [b"a", b"b"],
                              weights, 4)
    assert tokens == [b"b", b"a", b"chat"]
    # Nothing to copy from an empty line: _UNK stays.
    assert unk.copied_words([3], [b"_UNK"], [], weights, 4) == [b"_UNK"]


def test_beam_search_and_nbest_are_replaced_too(model, codec):
    translator = BatchTranslator(model, codec, beam_size=2, replace_unk=True)
    hypotheses = translator.translate([b"the cat in Zurich"], nbest=2)[0]
    assert len(hypotheses) == 2
    assert any(UNK_ID in h.ids for h in hypotheses)
    for hypothesis in hypotheses:
        words = hypothesis.text.split(" ")
        assert len(words) == len(hypothesis.ids)
        for token_id, token, word in zip(hypothesis.ids, hypothesis.tokens, words):
            if token_id == UNK_ID:
                assert word in {"the", "cat", "in", "Zurich"}
            else:
                assert word == token.decode()


def test_interactive_decode_with_replace_unk(model, codec):
    stdout = io.StringIO()
    run_decode(model, codec, DecodeOptions(replace_unk=True),
               stdin=io.BytesIO(b"Paris\n1999 the 42\n"), stdout=stdout)
    lines = stdout.getvalue().split("\n")
    assert lines[0] == "> " + " ".join(["Paris"] * len(lines[0][2:].split()))
    assert lines[0] != "> " and "_UNK" not in stdout.getvalue()


def test_subword_vocabularies_are_refused(model, tmp_path):
    sentencepiece = pytest.importorskip("sentencepiece")
    del sentencepiece
    from data_utils import subwords

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(f"le chat noir numéro {i}" for i in range(300)) + "\n",
                      encoding="utf-8")
    subwords.train_subword_model(str(corpus), str(tmp_path / "m.model"), 290)
    vocabulary = subwords.SubwordVocabulary(str(tmp_path / "m.model"))
    with pytest.raises(ValueError, match="--replace_unk works with word vocabularies only; "
                                         "this model's are subword"):
        BatchTranslator(model, SubwordCodec(vocabulary, vocabulary), replace_unk=True)
