"""Greedy decoding of one sentence at a time, and the original's interactive `--decode` loop.

The loop's standard output is the original's, byte for byte, whether stdin is a terminal or
a pipe: the "Reading model parameters from ..." line, then "> " (no newline, flushed), and
after each input line its translation and the next "> "; at end of input the last "> " stays
without a newline. Diagnostics go to standard error only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import BinaryIO, TextIO

import tensorflow as tf
from absl import logging

import data_utils
from translate import batching
from translate.seq2seq_model import Seq2SeqModel


def greedy_decode(model: Seq2SeqModel, token_ids: list[int]) -> tuple[list[int], bool]:
    """Translates one sentence of source token ids with a forward-only model.

    The sentence goes to the first bucket long enough for it (the last bucket, keeping its
    last tokens, when none is); each output position takes the argmax of its logits, and the
    result is cut before the first EOS_ID. (`Seq2SeqModel.greedy_search`: the decoder stops
    once EOS is emitted, where the original ran the bucket's whole length.)

    Args:
      model: built with forward_only=True.
      token_ids: the source sentence's token ids (may be empty).

    Returns:
      (output_ids, truncated): the target token ids, and whether the sentence was longer than
      every bucket.
    """
    bucket_id, truncated = batching.bucket_for_sentence(len(token_ids), model.buckets)
    batch_size, model.batch_size = model.batch_size, 1
    try:
        encoder_inputs, _, _ = model.get_batch({bucket_id: [(token_ids, [])]}, bucket_id)
    finally:
        model.batch_size = batch_size
    return model.greedy_search(encoder_inputs, bucket_id)[0], truncated


def vocabulary_paths(data_dir: str, from_vocab_size: int, to_vocab_size: int) -> tuple[str, str]:
    """The vocabulary files `prepare_data` writes: data_dir/vocab<N>.from and vocab<M>.to."""
    return (os.path.join(data_dir, f"vocab{from_vocab_size}.from"),
            os.path.join(data_dir, f"vocab{to_vocab_size}.to"))


def load_vocabularies(
    data_dir: str, from_vocab_size: int, to_vocab_size: int
) -> tuple[dict[bytes, int], list[bytes]]:
    """Loads the source vocabulary and the reversed target vocabulary.

    Args:
      data_dir: where training wrote them.
      from_vocab_size: --from_vocab_size (part of the file name).
      to_vocab_size: --to_vocab_size.

    Returns:
      (source vocab: token -> id, target rev_vocab: id -> token).

    Raises:
      FileNotFoundError: a vocabulary file is missing (names it and what to check).
    """
    from_path, to_path = vocabulary_paths(data_dir, from_vocab_size, to_vocab_size)
    for path in (from_path, to_path):
        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(
                f"vocabulary file {path} not found: --data_dir must be the directory training "
                "used, and --from_vocab_size/--to_vocab_size the sizes it was trained with")
    source_vocab, _ = data_utils.initialize_vocabulary(from_path)
    _, rev_target_vocab = data_utils.initialize_vocabulary(to_path)
    return source_vocab, rev_target_vocab


def translate_line(
    model: Seq2SeqModel,
    sentence: bytes,
    source_vocab: dict[bytes, int],
    rev_target_vocab: list[bytes],
    normalize_digits: bool = True,
) -> str:
    """Translates one line of text (bytes) into the target sentence (tokens joined by spaces).

    Args:
      model: built with forward_only=True.
      sentence: the source sentence, UTF-8.
      source_vocab: source token -> id.
      rev_target_vocab: target id -> token.
      normalize_digits: map digits to 0 before the lookup (as the model was trained).

    Returns:
      The translation; "" when the model outputs EOS first.
    """
    token_ids = data_utils.sentence_to_token_ids(sentence, source_vocab,
                                                 normalize_digits=normalize_digits)
    outputs, truncated = greedy_decode(model, token_ids)
    if truncated:
        logging.warning("Sentence truncated: %s", sentence.decode("utf-8", "replace"))
    return " ".join(target_word(rev_target_vocab, output) for output in outputs)


def target_word(rev_target_vocab: list[bytes], token_id: int) -> str:
    """The target word of an output id, as the original prints it.

    An id past the end of a vocabulary file shorter than --to_vocab_size prints as _UNK,
    and a token that is not UTF-8 is shown with replacement characters (the original
    crashed on both).
    """
    if token_id >= len(rev_target_vocab):
        return tf.compat.as_str(data_utils._UNK)
    return rev_target_vocab[token_id].decode("utf-8", "replace")


def interactive_decode(
    model: Seq2SeqModel,
    source_vocab: dict[bytes, int],
    rev_target_vocab: list[bytes],
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    normalize_digits: bool = True,
    translate: Callable[[bytes], str] | None = None,
) -> int:
    """The original's loop: prompt "> ", read a line, print its translation, until EOF.

    Args:
      model: built with forward_only=True.
      source_vocab: source token -> id.
      rev_target_vocab: target id -> token.
      stdin: binary stream to read lines from (default: sys.stdin's buffer); read as bytes so
        that any input, valid UTF-8 or not, gets an answer.
      stdout: text stream to write to (default: sys.stdout).
      normalize_digits: map digits to 0 before the lookup (as the model was trained).
      translate: what to print for a line read (without the newline); default: the
        original's greedy translation (`translate_line`). The opt-in decoders of
        `translate.decode_modes` plug in here.

    Returns:
      The number of lines translated.
    """
    if translate is None:
        def translate(sentence: bytes) -> str:
            return translate_line(model, sentence, source_vocab, rev_target_vocab,
                                  normalize_digits)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stdout.write("> ")
    stdout.flush()
    count = 0
    sentence = stdin.readline()
    while sentence:
        stdout.write(translate(sentence) + "\n")
        stdout.write("> ")
        stdout.flush()
        count += 1
        sentence = stdin.readline()
    return count
