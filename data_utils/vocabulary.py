"""Vocabulary files: the special symbols, building a vocabulary from a corpus, loading one.

A vocabulary file holds one token per line, as bytes; the token on line i (from 0) has id i. The
first four lines are the special symbols `_PAD`, `_GO`, `_EOS`, `_UNK` (ids 0 to 3), then the
corpus' tokens by decreasing count.
"""

from __future__ import annotations

import collections

import tensorflow as tf

from data_utils import _io

# The special symbols are part of this module's interface, as in the original.
from data_utils.symbols import (  # noqa: F401
    _EOS,
    _GO,
    _PAD,
    _START_VOCAB,
    _UNK,
    EOS_ID,
    GO_ID,
    PAD_ID,
    UNK_ID,
)
from data_utils.tokenizer import _TOKEN_RE, Tokenizer, normalized_tokens, zero_digits


def count_tokens(
    data_path: str, tokenizer: Tokenizer | None = None, normalize_digits: bool = True
) -> collections.Counter:
    """Counts the tokens of a corpus file, streaming it (memory grows with the vocabulary only).

    Args:
        data_path: file with one sentence per line.
        tokenizer: function from a bytes line (with its b"\\n") to bytes tokens; None means
            `basic_tokenizer`.
        normalize_digits: whether ASCII digits in tokens are replaced by 0 before counting.

    Returns:
        collections.Counter: token (bytes) -> count, its keys in order of first appearance.

    Raises:
        FileNotFoundError: `data_path` does not exist.
        TypeError: `tokenizer` returned a token that is not bytes.
    """
    counts: collections.Counter = collections.Counter()
    lines = 0
    for block in _io.read_line_blocks(data_path):
        if tokenizer:
            for line in block.splitlines(keepends=True):
                counts.update(normalized_tokens(line, tokenizer, normalize_digits))
        else:
            # A newline is whitespace and a digit is never a token boundary, so the whole
            # block can be normalised and tokenized at once: same tokens, far fewer calls.
            counts.update(_TOKEN_RE.findall(zero_digits(block) if normalize_digits else block))
        new_lines = lines + block.count(b"\n")
        _io.report_progress(lines, new_lines, "processing")
        lines = new_lines
    return counts


def create_vocabulary(
    vocabulary_path: str,
    data_path: str,
    max_vocabulary_size: int,
    tokenizer: Tokenizer | None = None,
    normalize_digits: bool = True,
) -> None:
    """Writes the vocabulary of a corpus file, unless `vocabulary_path` already exists.

    The file lists the four special symbols, then the corpus' tokens by decreasing count, tokens
    with equal counts in the order they first appear in the corpus, cut to
    `max_vocabulary_size` lines; one token per line, as bytes. The result is byte-identical to
    the tutorial's. The corpus is streamed; the file appears only once complete.

    Args:
        vocabulary_path: the vocabulary file to write.
        data_path: the corpus, one sentence per line.
        max_vocabulary_size: the most lines the vocabulary may have, special symbols included.
        tokenizer: function from a bytes line to bytes tokens; None means `basic_tokenizer`.
        normalize_digits: whether ASCII digits are replaced by 0 (so "1984" counts as "0000").

    Raises:
        ValueError: `max_vocabulary_size` leaves no room for the four special symbols.
        FileNotFoundError: `data_path` does not exist.
        TypeError: `tokenizer` returned a token that is not bytes.
    """
    if tf.io.gfile.exists(vocabulary_path):
        return
    if max_vocabulary_size < len(_START_VOCAB):
        raise ValueError(
            f"max_vocabulary_size is {max_vocabulary_size} but a vocabulary needs at least "
            f"{len(_START_VOCAB)} entries for the special symbols"
        )
    _io.require_file(data_path, "vocabulary source")
    print(f"Creating vocabulary {vocabulary_path} from data {data_path}")
    counts = count_tokens(data_path, tokenizer, normalize_digits)
    # A dict keeps insertion order (guaranteed since Python 3.7) and sorted() is stable, also
    # with reverse=True, so equal counts keep first-appearance order: the original's order.
    by_count = sorted(counts, key=counts.__getitem__, reverse=True)
    vocab_list = (_START_VOCAB + by_count)[:max_vocabulary_size]
    with _io.atomic_output(vocabulary_path) as vocab_file:
        vocab_file.write(b"".join(word + b"\n" for word in vocab_list))


def initialize_vocabulary(vocabulary_path: str) -> tuple[dict[bytes, int], list[bytes]]:
    """Loads a vocabulary file.

    Each line, stripped of surrounding ASCII whitespace, is one token; line i (from 0) has id i.
    A special symbol listed again later (a corpus may contain the text "_UNK") maps to its last
    line, as in the original; any other token listed twice is an error.

    Args:
        vocabulary_path: the vocabulary file.

    Returns:
        (vocab, rev_vocab): vocab maps each token (bytes) to its id (int); rev_vocab is the list
        of tokens (bytes) in file order, so rev_vocab[i] is the token with id i.

    Raises:
        ValueError: the file does not exist (the original's exception type), or lists a token
            other than a special symbol twice.
    """
    if not tf.io.gfile.exists(vocabulary_path):
        raise ValueError(f"Vocabulary file {vocabulary_path} not found.")
    rev_vocab = [line.strip() for line in _io.iter_lines(vocabulary_path)]
    vocab: dict[bytes, int] = {}
    for index, word in enumerate(rev_vocab):
        if word in vocab and word not in _START_VOCAB:
            raise ValueError(
                f"vocabulary file {vocabulary_path} lists {word!r} twice, on lines "
                f"{vocab[word] + 1} and {index + 1}; each token may appear only once"
            )
        vocab[word] = index
    return vocab, rev_vocab


def check_special_symbols(rev_vocab: list[bytes], vocabulary_path: str) -> None:
    """Checks that a vocabulary begins with the special symbols at their fixed ids.

    Token-id files use `UNK_ID` (3) for unknown tokens, and the model uses `PAD_ID`, `GO_ID` and
    `EOS_ID`, so ids 0 to 3 must be those symbols.

    Args:
        rev_vocab: the tokens of the vocabulary, in id order.
        vocabulary_path: the file they come from, for the message.

    Raises:
        ValueError: the vocabulary does not begin with _PAD, _GO, _EOS, _UNK.
    """
    if rev_vocab[: len(_START_VOCAB)] != _START_VOCAB:
        raise ValueError(
            f"vocabulary file {vocabulary_path} must begin with the {len(_START_VOCAB)} special "
            f"symbols {b' '.join(_START_VOCAB).decode()} (ids 0 to {len(_START_VOCAB) - 1}); "
            f"it has {len(rev_vocab)} entries and begins with {rev_vocab[: len(_START_VOCAB)]}"
        )
