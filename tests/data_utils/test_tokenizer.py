"""data_utils.tokenizer: the basic tokenizer and digit normalisation, property-tested."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import data_utils
from data_utils import tokenizer

# Bytes the tokenizer treats specially, plus non-ASCII and invalid UTF-8.
INTERESTING = [
    b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x85", b"\xa0", b"\xc2\xa0",
    b"\xe2\x80\xaf", b".", b",", b"!", b"?", b'"', b"'", b":", b";", b")", b"(", b"-", b"_",
    b"0", b"5", b"9", b"a", b"Z", b"\xc3\xa9", b"\xff", b"\x00", b"\xd9\xa3",
]  # fmt: skip
SENTENCES = st.binary(max_size=80) | st.lists(st.sampled_from(INTERESTING), max_size=40).map(
    b"".join
)
ASCII_WHITESPACE = set(b" \t\n\r\x0b\x0c")


def reference_tokenizer(sentence: bytes) -> list[bytes]:
    """The documented algorithm, step by step: strip, split on whitespace, split off punctuation."""
    words = []
    for fragment in sentence.strip().split():
        words.extend(re.split(b"([.,!?\"':;)(])", fragment))
    return [word for word in words if word]


@given(SENTENCES)
def test_basic_tokenizer_follows_the_documented_algorithm(sentence):
    assert data_utils.basic_tokenizer(sentence) == reference_tokenizer(sentence)


@given(SENTENCES)
def test_tokens_are_clean_and_retokenize_to_themselves(sentence):
    tokens = data_utils.basic_tokenizer(sentence)
    assert all(isinstance(token, bytes) and token for token in tokens)
    assert not any(set(token) & ASCII_WHITESPACE for token in tokens)
    assert data_utils.basic_tokenizer(b" ".join(tokens)) == tokens


@given(st.text(max_size=60))
def test_str_input_never_crashes_and_is_read_as_utf8(text):
    assert data_utils.basic_tokenizer(text) == reference_tokenizer(
        text.encode("utf-8", "surrogatepass")
    )


def test_original_regular_expressions_are_exported():
    assert data_utils._WORD_SPLIT.pattern == b"([.,!?\"':;)(])"
    assert data_utils._DIGIT_RE.pattern == rb"\d"


def test_no_break_spaces_stay_inside_tokens():
    # Only ASCII whitespace separates tokens, as in the original's bytes handling.
    assert data_utils.basic_tokenizer("Va\u202f! 3\u00a0€".encode()) == [
        "Va\u202f".encode(),
        b"!",
        "3\u00a0€".encode(),
    ]


@given(SENTENCES)
def test_zero_digits_is_the_original_substitution(word):
    assert tokenizer.zero_digits(word) == data_utils._DIGIT_RE.sub(b"0", word)


def test_only_ascii_digits_are_normalized():
    assert tokenizer.zero_digits("1984 ٣ １".encode()) == "0000 ٣ １".encode()


def test_custom_tokenizer_must_return_bytes():
    with pytest.raises(TypeError, match="tokens must be bytes"):
        tokenizer.normalized_tokens(b"a b", lambda sentence: sentence.decode().split())


def test_non_text_sentence_is_a_type_error():
    with pytest.raises(TypeError, match="bytes or str"):
        data_utils.basic_tokenizer(42)
