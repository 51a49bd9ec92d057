"""Fuzzing the tokenizer, vocabularies and id conversion with hostile input.

Random bytes, control characters, mixed encodings (Latin-1, UTF-8, UTF-16 byte order marks,
broken and overlong UTF-8), special-symbol look-alikes, carriage returns and huge lines: nothing
may crash, the fast block-wise file paths must agree with the per-sentence functions, and a
file that cannot be used is rejected with a ValueError naming it.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import data_utils
from data_utils import _io
from data_utils.tokenizer import normalized_tokens
from data_utils.vocabulary import _START_VOCAB

FRAGMENTS = [
    b"\x00", b"\x01", b"\x07", b"\x08", b"\t", b"\x0b", b"\x0c", b"\r", b"\r\n", b"\x1b[31m",
    b"\x1c", b"\x1f", b"\x7f", b"\x85", b"\xa0", b"\xc2\xa0", b"\xe2\x80\xa8", b"\xef\xbb\xbf",
    b"\xff\xfe", b"\xfe\xff", b"h\x00i\x00", b"\xe9t\xe9", b"\xc3\xa9t\xc3\xa9", b"\xc3(",
    b"\xc0\xaf", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80", b"\xf4\x90\x80\x80", b"\xff",
    b"_PAD", b"_GO", b"_EOS", b"_UNK", b" ", b"  ", b".", b",", b"'", b'"', b"(", b")", b"?",
    b"0", b"7", b"1984", b"\xd9\xa3", b"word", b"Word", b"l'homme", b"-", b"_",
]  # fmt: skip
PIECES = st.sampled_from(FRAGMENTS) | st.binary(max_size=12)
LINES = st.lists(PIECES, max_size=30).map(b"".join)
# A line of up to 200,000 bytes: one fragment repeated.
HUGE_LINES = st.builds(lambda piece, n: piece * n, st.sampled_from(FRAGMENTS + [b"ab "]),
                       st.integers(1_000, 50_000))
# A corpus that is empty once carriage returns are dropped is test_empty_corpus' case.
CORPORA = (st.lists(LINES | HUGE_LINES, min_size=1, max_size=12).map(b"\n".join)
           | st.binary(max_size=400)).filter(lambda corpus: corpus.replace(b"\r", b""))
ASCII_WHITESPACE = set(b" \t\n\r\x0b\x0c")


def written(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


@settings(max_examples=300, deadline=None)
@given(sentence=LINES | HUGE_LINES | st.binary(max_size=300), normalize=st.booleans())
def test_tokens_of_any_bytes_are_clean(sentence, normalize):
    tokens = data_utils.sentence_to_token_ids(sentence, {}, normalize_digits=normalize)
    assert tokens == [data_utils.UNK_ID] * len(tokens)
    words = data_utils.basic_tokenizer(sentence)
    assert len(words) == len(tokens)
    assert all(word and not set(word) & ASCII_WHITESPACE for word in words)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec=None), max_size=80))
def test_any_str_even_with_lone_surrogates_tokenizes(text):
    tokens = data_utils.basic_tokenizer(text)
    # The tokens are the text's UTF-8 bytes in order, less the ASCII whitespace between them.
    assert b"".join(tokens) == b"".join(text.encode("utf-8", "surrogatepass").split())
    ids = {token: 4 + i for i, token in enumerate(dict.fromkeys(tokens))}
    assert data_utils.sentence_to_token_ids(text, ids, normalize_digits=False) == [
        ids[t] for t in tokens]


@settings(max_examples=60, deadline=None)
@given(corpus=CORPORA, size=st.integers(4, 40), normalize=st.booleans())
def test_vocabulary_and_token_ids_of_any_corpus(corpus, size, normalize):
    with tempfile.TemporaryDirectory() as directory:
        data = written(directory, "corpus.txt", corpus)
        vocab_path = os.path.join(directory, "vocab")
        ids_path = os.path.join(directory, "corpus.ids")
        data_utils.create_vocabulary(vocab_path, data, size, normalize_digits=normalize)
        vocab, rev_vocab = data_utils.initialize_vocabulary(vocab_path)
        assert rev_vocab[:4] == _START_VOCAB and len(rev_vocab) <= size
        lines = list(_io.iter_lines(data))
        seen = {word for line in lines for word in normalized_tokens(line, None, normalize)}
        assert set(rev_vocab[4:]) <= seen
        data_utils.data_to_token_ids(data, ids_path, vocab_path, normalize_digits=normalize)
        with open(ids_path, "rb") as f:
            id_lines = f.read().split(b"\n")
        assert id_lines[-1] == b"" and len(id_lines) - 1 == len(lines)
        # The block-wise file path and the per-sentence function agree on every line.
        for line, ids in zip(lines, id_lines):
            expected = data_utils.sentence_to_token_ids(line, vocab, normalize_digits=normalize)
            assert ids == b" ".join(b"%d" % i for i in expected)
            assert all(0 <= i < len(rev_vocab) for i in expected)


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=12).map(b"\n".join) | st.binary(max_size=300))
def test_any_vocabulary_file_loads_or_is_rejected_by_name(content):
    with tempfile.TemporaryDirectory() as directory:
        path = written(directory, "vocab", content)
        try:
            vocab, rev_vocab = data_utils.initialize_vocabulary(path)
        except ValueError as e:
            assert str(e).startswith(f"vocabulary file {path} lists ") and " twice, on lines " \
                in str(e)
            return
        assert all(rev_vocab[vocab[word]] == word for word in vocab)
        data = written(directory, "corpus", content)
        try:
            data_utils.data_to_token_ids(data, os.path.join(directory, "ids"), path)
        except ValueError as e:
            assert str(e).startswith(f"vocabulary file {path} must begin with the 4 special "
                                     "symbols")
            assert rev_vocab[:4] != _START_VOCAB
            assert not os.path.exists(os.path.join(directory, "ids"))
            return
        assert rev_vocab[:4] == _START_VOCAB


def test_two_megabyte_line_without_final_newline(tmp_path):
    line = b" ".join(b"w%d" % (i % 5000) for i in range(300_000))
    data = written(str(tmp_path), "corpus", b"short line\n" + line)
    vocab_path, ids_path = str(tmp_path / "vocab"), str(tmp_path / "ids")
    data_utils.create_vocabulary(vocab_path, data, 1000)
    data_utils.data_to_token_ids(data, ids_path, vocab_path)
    vocab, _ = data_utils.initialize_vocabulary(vocab_path)
    first, second = (tmp_path / "ids").read_bytes().split(b"\n")[:2]
    assert first == b" ".join(b"%d" % data_utils.sentence_to_token_ids(w, vocab)[0]
                              for w in (b"short", b"line"))
    assert len(second.split()) == 300_000


@pytest.mark.parametrize("corpus", [b"", b"\r", b"\r\r\r"])
def test_empty_corpus(tmp_path, corpus):
    data = written(str(tmp_path), "corpus", corpus)
    vocab_path, ids_path = str(tmp_path / "vocab"), str(tmp_path / "ids")
    data_utils.create_vocabulary(vocab_path, data, 10)
    assert data_utils.initialize_vocabulary(vocab_path)[1] == _START_VOCAB
    data_utils.data_to_token_ids(data, ids_path, vocab_path)
    assert (tmp_path / "ids").read_bytes() == b""
