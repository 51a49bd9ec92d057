"""The tutorial's tokenizer, digit normalisation and word-to-id lookup, on bytes like the original.

Text is handled as bytes throughout: whitespace means ASCII whitespace only (so a no-break space
stays inside a token), digits mean ASCII 0-9 only, and bytes that are not valid UTF-8 are kept
as they are. Nothing here needs TensorFlow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Union

from data_utils.symbols import UNK_ID

# The original's regular expressions, kept under their names for code that imports them.
_WORD_SPLIT = re.compile(b"([.,!?\"':;)(])")
_DIGIT_RE = re.compile(rb"\d")

# One match per token: one of the punctuation bytes above, or a run of bytes that are neither
# such punctuation nor ASCII whitespace (for bytes patterns `\s` is exactly the set that
# `bytes.split()` splits on). Matching the tokens directly gives the same list as the original's
# strip/split/re.split/filter sequence, in one C-level pass.
_TOKEN_RE = re.compile(b"[.,!?\"':;)(]|[^\\s.,!?\"':;)(]+")
_DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0000000000")

Text = Union[bytes, str]
Tokenizer = Callable[[bytes], Sequence[bytes]]


def as_bytes(sentence: Text) -> bytes:
    """Returns `sentence` as bytes: bytes unchanged, str encoded as UTF-8.

    Lone surrogates in a str are encoded too (`surrogatepass`) so that no str makes it fail.

    Args:
        sentence: the text.

    Returns:
        bytes: the encoded text.

    Raises:
        TypeError: `sentence` is neither bytes nor str.
    """
    if isinstance(sentence, bytes):
        return sentence
    if isinstance(sentence, str):
        return sentence.encode("utf-8", "surrogatepass")
    raise TypeError(f"expected a sentence as bytes or str, got {type(sentence).__name__}")


def basic_tokenizer(sentence: Text) -> list[bytes]:
    """Splits a sentence into tokens, as the tutorial's `basic_tokenizer` does.

    Tokens are separated by ASCII whitespace, and each of the characters . , ! ? " ' : ; ) (
    is a token of its own.

    Args:
        sentence: one sentence, bytes (as in the original) or str (encoded as UTF-8 first).

    Returns:
        list of bytes: the tokens, in order, none empty.

    Raises:
        TypeError: `sentence` is neither bytes nor str.
    """
    return _TOKEN_RE.findall(as_bytes(sentence))


def zero_digits(word: bytes) -> bytes:
    """Replaces every ASCII digit of `word` by b"0", as the original's `_DIGIT_RE.sub` does.

    Args:
        word: a token, or a whole block of text (digits are never token boundaries, so
            normalising before or after tokenizing gives the same tokens).

    Returns:
        bytes: `word` with each of 0-9 replaced by 0.
    """
    return word.translate(_DIGITS_TO_ZERO)


def _custom_tokens(sentence: Text, tokenizer: Tokenizer) -> list[bytes]:
    """Calls a user's tokenizer and checks that it returned bytes tokens.

    The tokenizer gets `sentence` unchanged, as in the original; vocabularies hold bytes only.
    """
    tokens = list(tokenizer(sentence))
    for token in tokens:
        if not isinstance(token, bytes):
            raise TypeError(
                f"tokenizer {tokenizer!r} returned the token {token!r} of type "
                f"{type(token).__name__}; tokens must be bytes"
            )
    return tokens


def normalized_tokens(
    sentence: Text, tokenizer: Tokenizer | None = None, normalize_digits: bool = True
) -> list[bytes]:
    """Tokenizes a sentence and, if asked, replaces the digits of every token by 0.

    Args:
        sentence: one sentence; bytes, or str for the basic tokenizer (encoded as UTF-8). A
            custom tokenizer gets `sentence` unchanged, as in the original.
        tokenizer: function from a sentence to bytes tokens; None means `basic_tokenizer`.
        normalize_digits: whether ASCII digits are replaced by 0.

    Returns:
        list of bytes: the tokens as they are looked up in (or counted for) a vocabulary.

    Raises:
        TypeError: `sentence` is neither bytes nor str, or `tokenizer` returned a token that
            is not bytes.
    """
    if not tokenizer:
        # Digits are never token boundaries: normalising first gives the same tokens.
        text = as_bytes(sentence)
        return basic_tokenizer(zero_digits(text) if normalize_digits else text)
    tokens = _custom_tokens(sentence, tokenizer)
    return [zero_digits(token) for token in tokens] if normalize_digits else tokens


def sentence_to_token_ids(
    sentence: Text,
    vocabulary: dict[bytes, int],
    tokenizer: Tokenizer | None = None,
    normalize_digits: bool = True,
) -> list[int]:
    """Converts a sentence to the ids of its tokens; tokens not in `vocabulary` get `UNK_ID`.

    For example b"I have a dog" with vocabulary {b"I": 1, b"have": 2, b"a": 4, b"dog": 7}
    gives [1, 2, 4, 7].

    Args:
        sentence: the sentence as bytes (as in the original); a str is encoded as UTF-8 for
            the basic tokenizer.
        vocabulary: token (bytes) -> id (int), as returned by `initialize_vocabulary`.
        tokenizer: function from a sentence to bytes tokens; None means `basic_tokenizer`.
        normalize_digits: whether ASCII digits are replaced by 0 before the lookup.

    Returns:
        list of int: one id per token.

    Raises:
        TypeError: `sentence` is neither bytes nor str, or `tokenizer` returned a token that
            is not bytes.
    """
    return [
        vocabulary.get(word, UNK_ID)
        for word in normalized_tokens(sentence, tokenizer, normalize_digits)
    ]
