"""Building the vocabularies and token-id files that training reads."""

from __future__ import annotations

import os

import tensorflow as tf

from data_utils import _io
from data_utils.token_ids import data_to_token_ids
from data_utils.tokenizer import Tokenizer
from data_utils.vocabulary import create_vocabulary


def check_parallel_files(from_path: str, to_path: str) -> int:
    """Checks that two sides of a parallel corpus exist and have the same number of lines.

    Args:
        from_path: the source-language file.
        to_path: the target-language file.

    Returns:
        int: their number of lines.

    Raises:
        FileNotFoundError: a file does not exist.
        ValueError: their line counts differ.
    """
    _io.require_file(from_path, "source-language")
    _io.require_file(to_path, "target-language")
    from_lines = _io.count_lines(from_path)
    to_lines = _io.count_lines(to_path)
    if from_lines != to_lines:
        raise ValueError(
            f"parallel files differ in length: {from_path} has {from_lines} lines but "
            f"{to_path} has {to_lines}; line i of one must translate line i of the other"
        )
    return from_lines


def prepare_data(
    data_dir: str,
    from_train_path: str,
    to_train_path: str,
    from_dev_path: str,
    to_dev_path: str,
    from_vocabulary_size: int,
    to_vocabulary_size: int,
    tokenizer: Tokenizer | None = None,
    *,
    normalize_digits: bool = True,
) -> tuple[str, str, str, str, str, str]:
    """Creates the vocabularies and token-id files for training, as the tutorial does.

    Writes `data_dir/vocab<to_vocabulary_size>.to` and `data_dir/vocab<from_vocabulary_size>.from`
    from the training files, then `<file>.ids<size>` next to each of the four input files; a
    file that exists already is kept. Files are byte-identical to the tutorial's. The inputs are
    checked first (existence, equal line counts per pair), so a bad corpus writes nothing.

    Args:
        data_dir: directory for the vocabulary files; created if missing.
        from_train_path: source-language training sentences, one per line.
        to_train_path: target-language training sentences, line i translating line i above.
        from_dev_path: source-language development sentences.
        to_dev_path: target-language development sentences.
        from_vocabulary_size: most entries in the source vocabulary (special symbols included).
        to_vocabulary_size: most entries in the target vocabulary.
        tokenizer: function from a bytes line to bytes tokens; None means `basic_tokenizer`.
        normalize_digits: keyword-only; whether ASCII digits become 0 (the original always
            normalises).

    Returns:
        tuple of 6 str: paths of (1) the source training ids, (2) the target training ids,
        (3) the source dev ids, (4) the target dev ids, (5) the source vocabulary, (6) the
        target vocabulary.

    Raises:
        FileNotFoundError: an input file does not exist.
        ValueError: the two sides of the training or dev data differ in line count, a
            vocabulary size is below 4, or an existing vocabulary file is malformed.
        TypeError: `tokenizer` returned a token that is not bytes.
    """
    check_parallel_files(from_train_path, to_train_path)
    check_parallel_files(from_dev_path, to_dev_path)
    tf.io.gfile.makedirs(data_dir)

    to_vocab_path = os.path.join(data_dir, f"vocab{to_vocabulary_size:d}.to")
    from_vocab_path = os.path.join(data_dir, f"vocab{from_vocabulary_size:d}.from")
    create_vocabulary(to_vocab_path, to_train_path, to_vocabulary_size, tokenizer, normalize_digits)
    create_vocabulary(
        from_vocab_path, from_train_path, from_vocabulary_size, tokenizer, normalize_digits
    )

    to_train_ids_path = f"{to_train_path}.ids{to_vocabulary_size:d}"
    from_train_ids_path = f"{from_train_path}.ids{from_vocabulary_size:d}"
    to_dev_ids_path = f"{to_dev_path}.ids{to_vocabulary_size:d}"
    from_dev_ids_path = f"{from_dev_path}.ids{from_vocabulary_size:d}"
    # The original's order: target before source, training before dev.
    for data_path, ids_path, vocab_path in (
        (to_train_path, to_train_ids_path, to_vocab_path),
        (from_train_path, from_train_ids_path, from_vocab_path),
        (to_dev_path, to_dev_ids_path, to_vocab_path),
        (from_dev_path, from_dev_ids_path, from_vocab_path),
    ):
        data_to_token_ids(data_path, ids_path, vocab_path, tokenizer, normalize_digits)

    return (
        from_train_ids_path,
        to_train_ids_path,
        from_dev_ids_path,
        to_dev_ids_path,
        from_vocab_path,
        to_vocab_path,
    )
