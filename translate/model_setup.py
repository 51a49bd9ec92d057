"""Building the model and restoring its checkpoint (the original's `create_model`), loading
the vocabularies, and checking that vocabularies and token ids fit the model before they
reach it.

  create_model              the model of `HParams` (`--model`), restored from --train_dir
  vocabulary_paths          data_dir/vocab<N>.from and vocab<M>.to, as `prepare_data` writes
  load_vocabularies         the source vocabulary and the reversed target vocabulary
  check_vocabulary_size     a vocabulary file fits the model's embedding
  read_token_ids            `batching.read_data`, checked against the model's vocabularies
"""

from __future__ import annotations

import os

import tensorflow as tf

import data_utils
from translate import batching, checkpoints
from translate.batching import Pair
from translate.hparams import HParams
from translate.models import TranslationModel, build_model


def create_model(hparams: HParams, train_dir: str, forward_only: bool,
                 checkpoint_path: str | None = None) -> TranslationModel:
    """Builds the model (`hparams.model`) and loads the latest checkpoint of `train_dir` when
    there is one.

    Prints the original's "Reading model parameters from <path>" or "Created model with fresh
    parameters." to stdout. Never falls back to another checkpoint by itself: when the latest
    one cannot be read the error lists the others, to be chosen with `checkpoint_path`.

    Args:
      hparams: the model's configuration.
      train_dir: the directory holding `checkpoint` and `translate.ckpt-N` files.
      forward_only: build for decoding (see `Seq2SeqModel`).
      checkpoint_path: restore this checkpoint prefix instead of the latest of `train_dir`.

    Returns:
      The model.

    Raises:
      translate.checkpoints.CheckpointMismatchError: the checkpoint was trained with another
        configuration; names the variables and both shapes.
      translate.checkpoints.CheckpointCorruptError: the checkpoint, or the `checkpoint` file
        naming it, is missing, truncated or garbled; names the file and the other checkpoints.
      ValueError: `hparams.model` names no registered model.
    """
    model = build_model(hparams, forward_only)
    prefix = checkpoints.resolve_checkpoint(train_dir, checkpoint_path)
    if prefix:
        print(f"Reading model parameters from {prefix}")
        try:
            model.saver.restore(None, prefix)
        except checkpoints.CheckpointCorruptError as e:
            raise checkpoints.CheckpointCorruptError(
                f"{e}.{checkpoints.other_checkpoints_advice(train_dir, prefix)}") from None
    else:
        print("Created model with fresh parameters.")
    return model


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


def check_vocabulary_size(num_entries: int, path: str, model_size: int, flag: str) -> None:
    """Checks that a vocabulary file has no more entries than the model has embedding rows.

    Fewer entries are fine (the corpus had fewer distinct tokens than the flag allows); more
    would give token ids the model cannot look up.

    Args:
      num_entries: the vocabulary's entries (lines).
      path: its file, for the message.
      model_size: the model's vocabulary size (rows of its embedding).
      flag: the flag setting `model_size`, e.g. "--from_vocab_size".

    Raises:
      ValueError: the vocabulary is larger than the model's.
    """
    if num_entries > model_size:
        raise ValueError(
            f"vocabulary file {path} has {num_entries} entries but the model has "
            f"{model_size} ({flag}={model_size}): the vocabulary does not belong to this "
            "model; use the --data_dir and vocabulary sizes it was trained with")


def read_token_ids(source_path: str, target_path: str, model: TranslationModel,
                   max_size: int | None = None) -> list[list[Pair]]:
    """`batching.read_data` for `model`, checked: text, and ids the model can embed.

    Token-id files written by `data_utils` always pass; files made elsewhere, or with an
    edited vocabulary, may not, and the model would fail mid-training with an opaque error.

    Args:
      source_path: file of source token ids, one sentence per line.
      target_path: the aligned file of target token ids.
      model: the model to train (its buckets and vocabulary sizes).
      max_size: read at most this many lines; 0 or None reads everything.

    Returns:
      Per bucket, its (source ids, target ids) pairs.

    Raises:
      ValueError: a file is not ASCII text (names the file and line), a line holds something
        other than integers, or an id is negative or not below its vocabulary size (names the
        file, the id and the limit).
      FileNotFoundError: a file does not exist.
    """
    try:
        data_set = batching.read_data(source_path, target_path, model.buckets, max_size)
    except UnicodeDecodeError:
        raise ValueError(_undecodable_line(source_path, target_path)) from None
    for side, size, path, flag in (
            (0, model.source_vocab_size, source_path, "--from_vocab_size"),
            (1, model.target_vocab_size, target_path, "--to_vocab_size")):
        # Per pair, so that no list of every token is built (WMT has about 10^9).
        low = min((min(pair[side], default=0) for bucket in data_set for pair in bucket),
                  default=0)
        high = max((max(pair[side], default=0) for bucket in data_set for pair in bucket),
                   default=0)
        if low < 0 or high >= size:
            raise ValueError(
                f"token-id file {path} holds the id {low if low < 0 else high}, outside the "
                f"model's vocabulary of {size} ({flag}={size}, ids 0 to {size - 1}); rebuild "
                "it with the vocabulary of that size, or pass the size it was made with")
    return data_set


def _undecodable_line(*paths: str) -> str:
    """Names the first line of `paths` that is not UTF-8 (read only once reading failed)."""
    for path in paths:
        with tf.io.gfile.GFile(path, "rb") as f:
            for number, line in enumerate(f, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as e:
                    return (f"{path}, line {number}: expected token ids (integers separated by "
                            f"spaces), got bytes that are not text: {line[:80]!r} "
                            f"({e.reason} at byte {e.start})")
    return f"{paths[0]} or {paths[1]} is not UTF-8 text"
