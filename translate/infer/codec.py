"""Text in, token ids; token ids out, text: the vocabulary of a model, word or subword.

Every way of translating (`--decode`, `--eval`, validation during training, the exports and
their runtime) turns a source line into ids and output ids into text through a `Codec`:

* `WordCodec`, the original's: `data_utils.sentence_to_token_ids` (the tutorial's
  `basic_tokenizer`, digits to 0 unless --nonormalize_digits, unknown words to `_UNK`), and
  the output words joined by single spaces, exactly as the original's `--decode` prints them;
* `SubwordCodec`: SentencePiece pieces (`data_utils.subword_vocabulary.SubwordVocabulary`) in, and
  detokenized text out (SentencePiece's decode), so the output is plain text.

This module imports neither TensorFlow nor Keras at import time (the export runtime uses it on
machines with only numpy and the model's runtime); `load_codec`, which reads a training run's
files, and loading a subword model import what they need when called.

  Codec, WordCodec, SubwordCodec   encode / decode / tokens for display
  load_codec                       the codec of a model trained in --data_dir/--train_dir
  subword_model_paths              where a subword model may be found (train_dir, data_dir)
  codec_metadata, codec_from_metadata   a codec in an export's `translate.json`
  target_token, output_text        output ids -> the original's output words and line
"""

from __future__ import annotations

import abc
import os
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from data_utils.symbols import _UNK, EOS_ID
from data_utils.tokenizer import basic_tokenizer, sentence_to_token_ids

if TYPE_CHECKING:
    from data_utils.subword_vocabulary import SubwordVocabulary
    from translate.hparams import HParams

WORD, SUBWORD = "word", "subword"


def target_token(rev_target_vocab: Sequence[bytes], token_id: int) -> bytes:
    """The target token of an output id; an id past the end of a vocabulary file shorter than
    --to_vocab_size is `_UNK` (the original crashed on it)."""
    if token_id >= len(rev_target_vocab):
        return _UNK
    return rev_target_vocab[token_id]


def join_tokens(tokens: Sequence[bytes]) -> str:
    """Target tokens as the original prints them: joined by single spaces, bytes that are not
    UTF-8 shown as U+FFFD (the original crashed on them)."""
    return " ".join(token.decode("utf-8", "replace") for token in tokens)


def cut_at_eos(ids: Sequence[int]) -> list[int]:
    """The ids before the first EOS_ID, as plain ints."""
    kept = []
    for token_id in ids:
        if int(token_id) == EOS_ID:
            break
        kept.append(int(token_id))
    return kept


def output_text(rev_target_vocab: Sequence[bytes], output_ids: Sequence[int]) -> str:
    """The original's output line: the target words up to the first EOS, joined by spaces."""
    return join_tokens([target_token(rev_target_vocab, i) for i in cut_at_eos(output_ids)])


class Codec(abc.ABC):
    """A model's vocabularies: a source line to ids, output ids to text.

    Attributes:
      kind: "word" or "subword" (`HParams.vocabulary`).
    """

    kind: str

    @abc.abstractmethod
    def encode(self, sentence: bytes) -> list[int]:
        """The source token ids of a line (bytes; a trailing newline is ignored)."""

    @abc.abstractmethod
    def decode(self, ids: Sequence[int]) -> str:
        """The output text of target ids (cut at the first EOS)."""

    @abc.abstractmethod
    def source_tokens(self, sentence: bytes) -> list[bytes]:
        """The source tokens of a line as written in it, one per id of `encode`."""

    @abc.abstractmethod
    def target_tokens(self, ids: Sequence[int]) -> list[bytes]:
        """The target tokens of ids (cut at the first EOS), one per id, for display."""

    def translates_to_nothing(self, sentence: bytes, ids: Sequence[int]) -> bool:
        """Whether a source line (and its ids, `encode(sentence)`) translates to "" without
        running the model.

        False with word vocabularies: the original decoded every line, a blank one too, and
        printed what the model made of it (the golden outputs keep that).
        """
        del sentence, ids
        return False

    @property
    @abc.abstractmethod
    def source_size(self) -> int:
        """Entries of the source vocabulary (ids are below it)."""

    @property
    @abc.abstractmethod
    def target_size(self) -> int:
        """Entries of the target vocabulary."""


class WordCodec(Codec):
    """The original's word vocabularies.

    Args:
      source_vocab: source token -> id (`data_utils.initialize_vocabulary`).
      rev_target_vocab: target id -> token.
      normalize_digits: map ASCII digits to 0 before the lookup (as the model was trained).
    """

    kind = WORD

    def __init__(self, source_vocab: dict[bytes, int], rev_target_vocab: Sequence[bytes],
                 normalize_digits: bool = True):
        self.source_vocab = source_vocab
        self.rev_target_vocab = list(rev_target_vocab)
        self.normalize_digits = normalize_digits

    def encode(self, sentence: bytes) -> list[int]:
        return sentence_to_token_ids(sentence, self.source_vocab,
                                     normalize_digits=self.normalize_digits)

    def decode(self, ids: Sequence[int]) -> str:
        return output_text(self.rev_target_vocab, ids)

    def source_tokens(self, sentence: bytes) -> list[bytes]:
        # Digits are never token boundaries, so the raw tokens line up with the looked-up ones.
        return basic_tokenizer(sentence)

    def target_tokens(self, ids: Sequence[int]) -> list[bytes]:
        return [target_token(self.rev_target_vocab, i) for i in cut_at_eos(ids)]

    @property
    def source_size(self) -> int:
        return max(self.source_vocab.values(), default=-1) + 1

    @property
    def target_size(self) -> int:
        return len(self.rev_target_vocab)


class SubwordCodec(Codec):
    """SentencePiece vocabularies (`data_utils.subwords`); the output is detokenized text.

    Args:
      source: the source side's subword vocabulary.
      target: the target side's.
    """

    kind = SUBWORD

    def __init__(self, source: SubwordVocabulary, target: SubwordVocabulary):
        self.source = source
        self.target = target

    @staticmethod
    def _text(sentence: bytes) -> str:
        # Any line gets an answer, as with word vocabularies: invalid UTF-8 becomes U+FFFD.
        return sentence.decode("utf-8", "replace")

    def encode(self, sentence: bytes) -> list[int]:
        return self.source.encode(self._text(sentence))

    def decode(self, ids: Sequence[int]) -> str:
        return self.target.decode(cut_at_eos(ids))

    def source_tokens(self, sentence: bytes) -> list[bytes]:
        return [piece.encode("utf-8") for piece in self.source.pieces(self._text(sentence))]

    def translates_to_nothing(self, sentence: bytes, ids: Sequence[int]) -> bool:
        # The model would invent a sentence for a blank line (tabs become byte pieces), so it
        # translates to a blank line, which keeps the output aligned with the input.
        return not ids or not sentence.strip()

    def target_tokens(self, ids: Sequence[int]) -> list[bytes]:
        return [self.target.piece(i).encode("utf-8") for i in cut_at_eos(ids)]

    @property
    def source_size(self) -> int:
        return self.source.size

    @property
    def target_size(self) -> int:
        return self.target.size


def _subword_vocabulary(path: str) -> SubwordVocabulary:
    from data_utils.subword_vocabulary import SubwordVocabulary

    return SubwordVocabulary(path)


def subword_model_paths(data_dir: str, train_dir: str, vocabulary_size: int,
                        side: str) -> list[str]:
    """Where a side's subword model is looked for, in order: the training directory (training
    copies it there), then the data directory.

    Args:
      data_dir: --data_dir.
      train_dir: --train_dir.
      vocabulary_size: the side's vocabulary size (part of the file name).
      side: "from" or "to".

    Returns:
      The two candidate paths, `spm<size>.<side>.model` in each directory.
    """
    from data_utils.subword_vocabulary import subword_model_path

    return [subword_model_path(directory, vocabulary_size, side)
            for directory in (train_dir, data_dir)]


def _find_subword_model(data_dir: str, train_dir: str, vocabulary_size: int, side: str) -> str:
    import tensorflow as tf

    candidates = subword_model_paths(data_dir, train_dir, vocabulary_size, side)
    for path in candidates:
        if tf.io.gfile.exists(path):
            return path
    flag = "--from_vocab_size" if side == "from" else "--to_vocab_size"
    raise FileNotFoundError(
        f"subword model not found: neither {candidates[0]} nor {candidates[1]} exists; pass the "
        f"--train_dir and --data_dir the model was trained with (and its {flag})")


def load_codec(hparams: HParams, data_dir: str, train_dir: str,
               normalize_digits: bool = True) -> Codec:
    """The codec of a model trained with `hparams` in `data_dir` / `train_dir`.

    Word vocabularies are `data_dir/vocab<N>.from` and `vocab<M>.to`; subword models
    `spm<N>.from.model` and `spm<M>.to.model` in `train_dir`, else in `data_dir`.

    Args:
      hparams: the model's configuration (its `vocabulary` and vocabulary sizes).
      data_dir: --data_dir.
      train_dir: --train_dir.
      normalize_digits: with word vocabularies, map digits to 0 (as the model was trained);
        subword vocabularies keep the text as it is.

    Returns:
      The codec.

    Raises:
      FileNotFoundError: a vocabulary file or subword model is missing (names the paths).
      ValueError: a vocabulary has more entries than the model's embedding.
      ImportError: a subword model without SentencePiece installed.
    """
    # model_setup needs TensorFlow: imported here so that the module itself does not.
    from translate import model_setup

    if hparams.vocabulary == SUBWORD:
        codec: Codec = SubwordCodec(*(
            _subword_vocabulary(_find_subword_model(data_dir, train_dir, size, side))
            for size, side in ((hparams.from_vocab_size, "from"),
                               (hparams.to_vocab_size, "to"))))
        paths = (codec.source.path, codec.target.path)
    else:
        codec = WordCodec(*model_setup.load_vocabularies(
            data_dir, hparams.from_vocab_size, hparams.to_vocab_size), normalize_digits)
        paths = model_setup.vocabulary_paths(data_dir, hparams.from_vocab_size,
                                             hparams.to_vocab_size)
    model_setup.check_vocabulary_size(codec.source_size, paths[0], hparams.from_vocab_size,
                                      "--from_vocab_size")
    model_setup.check_vocabulary_size(codec.target_size, paths[1], hparams.to_vocab_size,
                                      "--to_vocab_size")
    return codec


def _as_bytes(token: str) -> bytes:
    # Tokens are bytes; JSON holds them as str, non-UTF-8 bytes as surrogates.
    return token.encode("utf-8", "surrogateescape")


def codec_metadata(codec: Codec, directory: str) -> dict[str, Any]:
    """The codec as entries of an export's `translate.json`, its files copied to `directory`.

    Word vocabularies are stored in the entries themselves; subword models are copied beside
    the export as `source.model` and `target.model`.

    Args:
      codec: the model's codec.
      directory: the export directory (exists).

    Returns:
      The entries: "vocabulary" and what `codec_from_metadata` needs.
    """
    if isinstance(codec, SubwordCodec):
        for vocabulary, name in ((codec.source, "source.model"),
                                 (codec.target, "target.model")):
            _copy(vocabulary.path, os.path.join(directory, name))
        return {"vocabulary": SUBWORD, "source_model": "source.model",
                "target_model": "target.model"}
    if not isinstance(codec, WordCodec):
        raise TypeError(f"cannot export a {type(codec).__name__}")
    # By id; an id no token maps to (a special symbol listed again later in the vocabulary
    # file) gets "", which the tokenizer never produces.
    rev_source = [b""] * codec.source_size
    for token, index in codec.source_vocab.items():
        rev_source[index] = token
    return {
        "vocabulary": WORD,
        "normalize_digits": codec.normalize_digits,
        # Tokens are bytes: the non-UTF-8 ones go through JSON as surrogates, losslessly.
        "source_vocabulary": [t.decode("utf-8", "surrogateescape") for t in rev_source],
        "target_vocabulary": [t.decode("utf-8", "surrogateescape")
                              for t in codec.rev_target_vocab],
    }


def _copy(source: str, destination: str) -> None:
    try:
        shutil.copyfile(source, destination)
    except OSError:
        # Not a local path (gs:// and the like): TensorFlow's file systems read it.
        import tensorflow as tf

        tf.io.gfile.copy(source, destination)


def codec_from_metadata(metadata: dict[str, Any], directory: str) -> Codec:
    """The codec `codec_metadata` stored (exports without "vocabulary" are word exports).

    Args:
      metadata: the parsed `translate.json`.
      directory: the directory holding it (and the subword models).

    Returns:
      The codec.

    Raises:
      KeyError, TypeError, ValueError: malformed entries.
      FileNotFoundError: a subword model named by the entries is missing.
      ImportError: a subword export without SentencePiece installed.
    """
    kind = metadata.get("vocabulary", WORD)
    if kind == SUBWORD:
        return SubwordCodec(
            _subword_vocabulary(os.path.join(directory, metadata["source_model"])),
            _subword_vocabulary(os.path.join(directory, metadata["target_model"])))
    if kind != WORD:
        raise ValueError(f"unknown vocabulary kind {kind!r}")
    rev_source = [_as_bytes(t) for t in metadata["source_vocabulary"]]
    # Later lines win, as in data_utils.initialize_vocabulary.
    source_vocab = {token: i for i, token in enumerate(rev_source)}
    return WordCodec(source_vocab, [_as_bytes(t) for t in metadata["target_vocabulary"]],
                     bool(metadata["normalize_digits"]))

