"""Fuzzing the decode loop's input: empty lines, 100,000-character lines, binary, NULs, CRs.

Every line read gets an answer line and the next prompt, whatever its bytes; nothing crashes.
"""

from __future__ import annotations

import io
import re

import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from translate_testlib import TINY_FLAGS, run_cli

from data_utils.vocabulary import _START_VOCAB
from translate.infer import interactive
from translate.infer.codec import WordCodec
from translate.seq2seq_model import Seq2SeqModel

SOURCE_WORDS = [b"one", b"two", b"three", b"the", b"of", b"may", b"first", b"0", b"00", b"."]
TARGET_WORDS = [w.encode("utf-8") for w in ("un", "deux", "trois", "le", "de", "mai", "premier",
                                            "0", "été", "«")]
BUCKETS = [(3, 4), (6, 8)]
PIECES = st.sampled_from(SOURCE_WORDS + [b" ", b"\t", b"\r", b"\x00", b"\xff", b"\xc3\xa9",
                                         b"\xe9", b"\x1b", b"\x0c", b"9"]) | st.binary(max_size=8)
SENTENCES = (st.lists(PIECES, max_size=25).map(b" ".join) | st.binary(max_size=200)
             | st.builds(lambda piece, n: piece * n, st.sampled_from([b"one ", b"x", b"\x00"]),
                         st.integers(1_000, 100_000)))


@pytest.fixture(scope="module")
def decoder():
    """An untrained forward-only model and vocabularies covering all its ids."""
    source_vocab = {word: i for i, word in enumerate(_START_VOCAB + SOURCE_WORDS)}
    rev_target_vocab = _START_VOCAB + TARGET_WORDS
    model = Seq2SeqModel(len(source_vocab), len(rev_target_vocab), BUCKETS, 8, 1, 5.0, 1, 0.5,
                         0.99, forward_only=True)
    return model, source_vocab, rev_target_vocab


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(sentence=SENTENCES, normalize=st.booleans())
def test_any_line_gets_a_translation(decoder, sentence, normalize):
    model, source_vocab, rev_target_vocab = decoder
    translation = interactive.translate_line(
        model, sentence, WordCodec(source_vocab, rev_target_vocab, normalize))
    words = translation.split(" ") if translation else []
    assert len(words) <= BUCKETS[-1][1]
    assert all(word.encode("utf-8") in rev_target_vocab for word in words)


@settings(max_examples=60, deadline=None)
@given(st.lists(SENTENCES.filter(lambda s: len(s) < 5000), max_size=6).map(b"\n".join))
def test_interactive_loop_answers_every_line(decoder, stdin):
    model, source_vocab, rev_target_vocab = decoder
    out = io.StringIO()
    codec = WordCodec(source_vocab, rev_target_vocab)
    count = interactive.interactive_decode(model, codec, stdin=io.BytesIO(stdin), stdout=out)
    lines = io.BytesIO(stdin).readlines()
    assert count == len(lines)
    expected = "> " + "".join(
        interactive.translate_line(model, line, codec) + "\n> "
        for line in lines)
    assert out.getvalue() == expected


@pytest.mark.slow
def test_hostile_input_through_the_command_line(tiny_trained):
    lines = [b"", b"   ", b"\x00\x00\x00", b"\xff\xfe\xfd binary \x80\x81", b"\x1b[31mred\x1b[0m",
             b"twenty-one\r", b"the first of May " * 6000, b"x " * 50_000,
             "l'été dernier, 1er mai 2021 — ok?".encode("latin-1", "replace"),
             "l'été dernier".encode("utf-16"), b"ten"]
    stdin = b"\n".join(lines)
    proc = run_cli(["--decode", f"--data_dir={tiny_trained['data_dir']}",
                    f"--train_dir={tiny_trained['train_dir']}", *TINY_FLAGS],
                   cwd=tiny_trained["root"], stdin=stdin)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    out = proc.stdout.decode()
    first, _, rest = out.partition("\n")
    assert first.startswith("Reading model parameters from ")
    # One answer line per input line, each followed by a prompt; the last prompt waits.
    assert rest.count("\n") == len(lines) and rest.endswith("> ")
    assert len(re.findall(r"^> ", rest, flags=re.M)) == len(lines) + 1
    assert stderr.count("Sentence truncated") == 2


def always_emitting(token_id: int, vocab_size: int) -> Seq2SeqModel:
    """An untrained model whose greedy output is `token_id` at every position."""
    model = Seq2SeqModel(vocab_size, vocab_size, BUCKETS, 8, 1, 5.0, 1, 0.5, 0.99,
                         forward_only=True)
    bias = next(v for n, v in model.variables_by_name.items()
                if n.endswith("AttnOutputProjection/bias"))
    bias.assign(tf.one_hot(token_id, vocab_size) * 100.0)
    return model


def test_output_id_beyond_a_small_target_vocabulary():
    model = always_emitting(12, 14)
    rev_target_vocab = _START_VOCAB + TARGET_WORDS[:4]
    # Bucket 0: four output positions.
    codec = WordCodec({}, rev_target_vocab)
    assert interactive.translate_line(model, b"one two", codec) == " ".join(
        ["_UNK"] * 4)


def test_target_token_that_is_not_utf8():
    model = always_emitting(5, 6)
    rev_target_vocab = _START_VOCAB + [b"ok", b"\xe9t\xe9"]
    codec = WordCodec({}, rev_target_vocab)
    assert interactive.translate_line(model, b"one", codec) == " ".join(
        ["\ufffdt\ufffd"] * 4)
