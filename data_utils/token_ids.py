"""Turning corpus files into token-id files with a vocabulary (one sentence: `tokenizer`)."""

from __future__ import annotations

import tensorflow as tf

from data_utils import _io

# sentence_to_token_ids lives with the tokenizer (no TensorFlow needed) and is named here too.
from data_utils.tokenizer import (  # noqa: F401
    _TOKEN_RE,
    Tokenizer,
    normalized_tokens,
    sentence_to_token_ids,
    zero_digits,
)
from data_utils.vocabulary import UNK_ID, check_special_symbols, initialize_vocabulary


def data_to_token_ids(
    data_path: str,
    target_path: str,
    vocabulary_path: str,
    tokenizer: Tokenizer | None = None,
    normalize_digits: bool = True,
) -> None:
    """Writes the token ids of every line of a corpus file, unless `target_path` exists.

    Each line of `target_path` holds the ids of the same line of `data_path`, in decimal,
    separated by single spaces (an empty line for a sentence without tokens); byte-identical to
    the tutorial's output. Streams both files; `target_path` appears only once complete.

    Args:
        data_path: the corpus, one sentence per line.
        target_path: the token-id file to write.
        vocabulary_path: the vocabulary file to use.
        tokenizer: function from a bytes line (with its b"\\n") to bytes tokens; None means
            `basic_tokenizer`.
        normalize_digits: whether ASCII digits are replaced by 0 before the lookup.

    Raises:
        FileNotFoundError: `data_path` does not exist.
        ValueError: the vocabulary file does not exist, lists a token twice, or does not begin
            with the four special symbols.
        TypeError: `tokenizer` returned a token that is not bytes.
    """
    if tf.io.gfile.exists(target_path):
        return
    _io.require_file(data_path, "data to tokenize")
    print(f"Tokenizing data in {data_path}")
    vocab, rev_vocab = initialize_vocabulary(vocabulary_path)
    check_special_symbols(rev_vocab, vocabulary_path)
    # Looking up the ids' text directly saves formatting an int per token.
    id_text = {word: b"%d" % index for word, index in vocab.items()}
    lines = 0
    with _io.atomic_output(target_path) as tokens_file:
        for block in _io.read_line_blocks(data_path):
            id_lines = _id_lines(block, id_text, tokenizer, normalize_digits)
            tokens_file.write(b"\n".join(id_lines) + b"\n")
            _io.report_progress(lines, lines + len(id_lines), "tokenizing")
            lines += len(id_lines)


def _id_lines(
    block: bytes, id_text: dict[bytes, bytes], tokenizer: Tokenizer | None, normalize_digits: bool
) -> list[bytes]:
    """The token-id lines (without b"\\n") of a block of whole lines.

    A function of its own so that each block's tokens are freed before the next block is read.
    """
    if tokenizer:
        sentences = [
            normalized_tokens(line, tokenizer, normalize_digits)
            for line in block.splitlines(keepends=True)
        ]
    else:
        # As in create_vocabulary: normalise the whole block, then tokenize each line.
        text = zero_digits(block) if normalize_digits else block
        sentences = [_TOKEN_RE.findall(line) for line in text.splitlines()]
    unknown = b"%d" % UNK_ID
    lookup = id_text.get
    return [b" ".join([lookup(word, unknown) for word in words]) for words in sentences]
