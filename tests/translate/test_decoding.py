"""The interactive loop's exact output format and the decoding of odd input lines."""

from __future__ import annotations

import io
import os
import re

import numpy as np
import pytest

from translate import model_setup, runtime_env
from translate.infer import interactive
from translate.infer.codec import WordCodec
from translate.seq2seq_model import Seq2SeqModel

BUCKETS = [(2, 4), (4, 6)]
SOURCE_WORDS = [b"_PAD", b"_GO", b"_EOS", b"_UNK", b"one", b"two", b"three"]
TARGET_WORDS = [b"_PAD", b"_GO", b"_EOS", b"_UNK", b"un", b"deux", b"trois", b"\xc3\xa9t\xc3\xa9"]


@pytest.fixture(scope="module")
def model():
    return Seq2SeqModel(len(SOURCE_WORDS), len(TARGET_WORDS), BUCKETS, 8, 1, 5.0, 4, 0.5, 0.9,
                        forward_only=True)


@pytest.fixture(scope="module")
def vocab():
    return WordCodec({w: i for i, w in enumerate(SOURCE_WORDS)}, TARGET_WORDS)


@pytest.mark.slow
def test_prompts_answers_and_final_prompt(model, vocab):
    stdin = io.BytesIO(b"one two\n\nthree one two three one\nlast line without newline")
    stdout = io.StringIO()
    assert interactive.interactive_decode(model, vocab, stdin=stdin, stdout=stdout) == 4
    out = stdout.getvalue()
    # "> " + (answer + "\n> ") per line read.
    assert out.startswith("> ")
    *answers, rest = out[2:].split("\n> ")
    assert rest == "" and len(answers) == 4
    words = {w.decode() for w in TARGET_WORDS}
    for answer in answers:
        assert "\n" not in answer
        assert all(token in words and token != "_EOS" for token in answer.split())


def test_empty_input_prints_only_the_prompt(model, vocab):
    stdout = io.StringIO()
    assert interactive.interactive_decode(model, vocab, stdin=io.BytesIO(b""), stdout=stdout) == 0
    assert stdout.getvalue() == "> "


def test_invalid_utf8_and_unknown_words_still_get_an_answer(model, vocab):
    stdout = io.StringIO()
    interactive.interactive_decode(model, vocab, stdin=io.BytesIO(b"\xff\xfe one \x80\n"),
                                stdout=stdout)
    assert re.fullmatch(r"> [^\n]*\n> ", stdout.getvalue())


def test_greedy_decode_cuts_at_eos_and_reports_truncation(model):
    outputs, truncated = interactive.greedy_decode(model, [4, 5])
    assert not truncated and 2 not in outputs and len(outputs) <= BUCKETS[0][1]
    _, truncated = interactive.greedy_decode(model, [4] * 5)
    assert truncated
    # A too-long sentence is read as its last encoder-length tokens.
    long_outputs, _ = interactive.greedy_decode(model, [6, 6, 4, 5, 6, 4])
    assert long_outputs == interactive.greedy_decode(model, [4, 5, 6, 4])[0]
    assert model.batch_size == 4  # restored after decoding one sentence


def test_greedy_decode_is_the_argmax_of_the_forward_step(model):
    encoder, decoder, weights = model.get_batch({0: [([4, 5], [])]}, 0)
    _, _, logits = model.step(None, encoder, decoder, weights, 0, True)
    expected = [int(np.argmax(step[0])) for step in logits]
    if 2 in expected:
        expected = expected[:expected.index(2)]
    assert interactive.greedy_decode(model, [4, 5])[0] == expected


def test_truncation_warning(model, vocab, caplog):
    line = interactive.translate_line(model, b"one two three one two\n", vocab)
    assert isinstance(line, str)
    assert "Sentence truncated: one two three one two" in caplog.text


def test_missing_vocabulary_names_the_file(tmp_path):
    (tmp_path / "vocab7.from").write_bytes(b"\n".join(SOURCE_WORDS) + b"\n")
    with pytest.raises(FileNotFoundError, match=r"vocabulary file .*vocab8\.to not found: "
                                                r"--data_dir must be"):
        model_setup.load_vocabularies(str(tmp_path), 7, 8)


def test_decode_runs_turn_onednn_off_unless_set(monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    runtime_env.configure(["translate", "--size=8"])
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ
    runtime_env.configure(["translate", "--decode"])
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    runtime_env.configure(["translate", "--decode"])
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
