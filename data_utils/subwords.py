"""Subword vocabularies with SentencePiece (opt-in; needs the `subword` extra).

The original splits text into words and maps every word outside the vocabulary to `_UNK`; on
real text most output lines then contain `_UNK`. A subword vocabulary splits rare words into
pieces instead, so every sentence is representable and the output is plain, detokenized text.

The models trained here keep the tutorial's four special ids (`_PAD` 0, `_GO` 1, `_EOS` 2,
`_UNK` 3), so token-id files, buckets and the translation model work unchanged; with byte
fallback on, a character never seen in training becomes its UTF-8 bytes, so
`decode(encode(text)) == text` for any valid UTF-8 line.

- `train_subword_model`: learns a SentencePiece model from a corpus file.
- `SubwordVocabulary`: a loaded model: text -> ids, ids -> text, pieces, size.
- `subword_data_to_token_ids`: the subword twin of `data_to_token_ids` (same file format).
- `prepare_subword_data`: the subword twin of `prepare_data` (same six paths returned); the
  id files go to `data_dir`, as the corpus' own directory may be read-only.
- `copy_subword_models`: puts a trained pair of models beside a checkpoint (or fetches them
  back from one), refusing to replace a different model.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence

import tensorflow as tf

from data_utils import _io
from data_utils.prepare import check_parallel_files
from data_utils.subword_vocabulary import (
    SubwordVocabulary,
    _require_sentencepiece,
    subword_model_path,
)
from data_utils.vocabulary import _EOS, _GO, _PAD, _UNK, EOS_ID, GO_ID, PAD_ID, UNK_ID

MODEL_TYPES = ("unigram", "bpe")
# Four special symbols plus the 256 byte pieces of byte fallback.
_RESERVED = 4 + 256


def _decoded_lines(path: str) -> Iterator[str]:
    """The lines of `path` as str without their line end; invalid UTF-8 is a clear error."""
    for number, line in enumerate(_io.iter_lines(path), start=1):
        try:
            yield line.rstrip(b"\r\n").decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{path}, line {number}: not valid UTF-8 ({error.reason} at byte "
                f"{error.start}); subword vocabularies need UTF-8 text: re-encode the file, "
                "e.g. with iconv -t UTF-8"
            ) from None


def train_subword_model(
    data_path: str,
    model_path: str,
    vocabulary_size: int,
    model_type: str = "unigram",
    character_coverage: float = 1.0,
) -> None:
    """Learns a SentencePiece model from a corpus file, unless `model_path` exists.

    The model keeps the tutorial's special ids, splits only on what it saw in training (no
    text normalisation, so decoding gives back the exact input) and falls back to UTF-8 bytes
    for unseen characters. Training is deterministic for a given file.

    Args:
        data_path: the corpus, one UTF-8 sentence per line (any `tf.io.gfile` path).
        model_path: where to write the model (a `.model` file); it appears only once complete.
        vocabulary_size: entries in the vocabulary, special symbols and the 256 byte pieces
            included; at least 261.
        model_type: "unigram" (SentencePiece's default) or "bpe".
        character_coverage: share of the corpus' characters that get pieces of their own;
            the rest are spelled in bytes.

    Raises:
        ImportError: SentencePiece is not installed.
        FileNotFoundError: `data_path` does not exist.
        ValueError: a bad size or model type, a line that is not UTF-8, or a corpus too small
            for the vocabulary size (the message says the largest size it allows).
    """
    if tf.io.gfile.exists(model_path):
        return
    if model_type not in MODEL_TYPES:
        raise ValueError(f"model_type must be one of {MODEL_TYPES}, got {model_type!r}")
    if vocabulary_size <= _RESERVED:
        raise ValueError(
            f"a subword vocabulary needs more than {_RESERVED} entries (4 special symbols and "
            f"256 byte pieces), got {vocabulary_size}"
        )
    _io.require_file(data_path, "data to learn subwords from")
    sentencepiece = _require_sentencepiece()
    print(f"Learning {vocabulary_size} subwords from {data_path}")
    model = io.BytesIO()
    try:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=_decoded_lines(data_path),
            model_writer=model,
            vocab_size=vocabulary_size,
            model_type=model_type,
            character_coverage=character_coverage,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            byte_fallback=True,
            pad_id=PAD_ID,
            bos_id=GO_ID,
            eos_id=EOS_ID,
            unk_id=UNK_ID,
            pad_piece=_PAD.decode(),
            bos_piece=_GO.decode(),
            eos_piece=_EOS.decode(),
            unk_piece=_UNK.decode(),
            # Long lines are sentences too; SentencePiece would drop them silently.
            max_sentence_length=1 << 20,
            minloglevel=2,
        )
    except RuntimeError as error:
        # SentencePiece prefixes its advice with the failed C++ check; the advice is enough.
        advice = str(error).rsplit("] ", 1)[-1]
        raise ValueError(f"cannot learn subwords from {data_path}: {advice}") from None
    with _io.atomic_output(model_path) as stream:
        stream.write(model.getvalue())


def subword_data_to_token_ids(data_path: str, target_path: str, model_path: str) -> None:
    """Writes the subword ids of every line of a corpus file, unless `target_path` exists.

    The format is `data_to_token_ids`'s: one line per input line, decimal ids separated by
    single spaces. `target_path` appears only once complete.

    Args:
        data_path: the corpus, one UTF-8 sentence per line.
        target_path: the token-id file to write.
        model_path: the subword model to use.

    Raises:
        FileNotFoundError: `data_path` or `model_path` does not exist.
        ValueError: a line is not UTF-8 (the message names the file and line).
    """
    if tf.io.gfile.exists(target_path):
        return
    _io.require_file(data_path, "data to tokenize")
    vocabulary = SubwordVocabulary(model_path)
    print(f"Tokenizing data in {data_path} into subwords")
    with _io.atomic_output(target_path) as tokens_file:
        for line in _decoded_lines(data_path):
            ids = vocabulary.encode(line)
            tokens_file.write(b" ".join(b"%d" % i for i in ids) + b"\n")


def copy_subword_models(
    source_dir: str, target_dir: str, from_vocabulary_size: int, to_vocabulary_size: int
) -> tuple[str, str]:
    """Copies `spm<size>.from.model` and `spm<size>.to.model` of `source_dir` into `target_dir`.

    A model trained with a checkpoint must travel with it: its ids mean nothing with another
    model. A file already in `target_dir` with the same bytes is kept; one with other bytes
    is an error rather than silently replaced.

    Args:
        source_dir: the directory holding both models.
        target_dir: where to copy them; created if missing.
        from_vocabulary_size: size of the source model (part of its name).
        to_vocabulary_size: size of the target model.

    Returns:
        tuple of 2 str: the paths of the source and target model in `target_dir`.

    Raises:
        FileNotFoundError: a model is missing from `source_dir`.
        ValueError: `target_dir` holds a different model of the same name.
    """
    copies = []
    for side, size in (("from", from_vocabulary_size), ("to", to_vocabulary_size)):
        source = subword_model_path(source_dir, size, side)
        target = subword_model_path(target_dir, size, side)
        copies.append(target)
        _io.require_file(source, "subword model")
        with tf.io.gfile.GFile(source, "rb") as stream:
            model = stream.read()
        if tf.io.gfile.exists(target):
            with tf.io.gfile.GFile(target, "rb") as stream:
                if stream.read() == model:
                    continue
            raise ValueError(
                f"subword model {target} differs from {source}: the two directories belong "
                "to different trainings; use the --data_dir and --train_dir of one training "
                "(or a new, empty one)"
            )
        tf.io.gfile.makedirs(target_dir)
        with _io.atomic_output(target) as stream:
            stream.write(model)
    return copies[0], copies[1]


def _ids_names(paths: Sequence[str], sizes: Sequence[int]) -> list[str]:
    """`<file name>.spm<size>` for each input; role-prefixed when two files would collide."""
    names = [f"{os.path.basename(path)}.spm{size:d}" for path, size in zip(paths, sizes)]
    owners: dict[str, str] = {}
    for path, name in zip(paths, names):
        # The same file read twice (dev data defaulting to the training data) may share one.
        if owners.setdefault(name, os.path.abspath(path)) != os.path.abspath(path):
            roles = ("train.from", "train.to", "dev.from", "dev.to")
            return [f"{role}.{name}" for role, name in zip(roles, names)]
    return names


def prepare_subword_data(
    data_dir: str,
    from_train_path: str,
    to_train_path: str,
    from_dev_path: str,
    to_dev_path: str,
    from_vocabulary_size: int,
    to_vocabulary_size: int,
    model_type: str = "unigram",
) -> tuple[str, str, str, str, str, str]:
    """`prepare_data` with subword vocabularies: learns both models, writes the id files.

    Writes `data_dir/spm<size>.from.model` and `spm<size>.to.model` from the training files,
    then `data_dir/<file name>.spm<size>` for each of the four input files (into `data_dir`,
    not beside the corpus, whose directory may be read-only); when two different input files
    share a name (e.g. `en/train.txt`, `fr/train.txt`) all four names get their role in front
    (`train.from.train.txt.spm8000`). A file that exists already is kept (delete it to rebuild
    it). The inputs are checked first, so a bad corpus writes nothing.

    Args:
        data_dir: directory for the subword models and the token-id files; created if missing.
        from_train_path, to_train_path, from_dev_path, to_dev_path: as for `prepare_data`.
        from_vocabulary_size: entries in the source subword vocabulary (more than 260).
        to_vocabulary_size: entries in the target subword vocabulary (more than 260).
        model_type: "unigram" or "bpe".

    Returns:
        tuple of 6 str: (1) source training ids, (2) target training ids, (3) source dev
        ids, (4) target dev ids, (5) source subword model, (6) target subword model.

    Raises:
        FileNotFoundError, ValueError: as `prepare_data` and `train_subword_model`.
    """
    check_parallel_files(from_train_path, to_train_path)
    check_parallel_files(from_dev_path, to_dev_path)
    tf.io.gfile.makedirs(data_dir)
    from_model = subword_model_path(data_dir, from_vocabulary_size, "from")
    to_model = subword_model_path(data_dir, to_vocabulary_size, "to")
    train_subword_model(to_train_path, to_model, to_vocabulary_size, model_type)
    train_subword_model(from_train_path, from_model, from_vocabulary_size, model_type)
    inputs = (from_train_path, to_train_path, from_dev_path, to_dev_path)
    sizes = (from_vocabulary_size, to_vocabulary_size) * 2
    models = (from_model, to_model) * 2
    paths = []
    for data_path, name, model in zip(inputs, _ids_names(inputs, sizes), models):
        ids_path = os.path.join(data_dir, name)
        subword_data_to_token_ids(data_path, ids_path, model)
        paths.append(ids_path)
    return (*paths, from_model, to_model)
