"""A trained SentencePiece model used as a translation vocabulary, without TensorFlow.

The export runtime (`translate/infer/runtime.py`) translates with numpy and LiteRT or ONNX
Runtime alone, so the vocabulary it reads must not import TensorFlow: this module needs only
SentencePiece. Training subword models and writing token ids is `data_utils.subwords`, which
re-exports these names.

  SubwordVocabulary     text -> ids, ids -> text, pieces, size
  subword_model_path    where `prepare_subword_data` keeps a side's model
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from data_utils.symbols import _EOS, _GO, _PAD, _UNK, UNK_ID


def _require_sentencepiece():
    try:
        import sentencepiece
    except ImportError as error:
        raise ImportError(
            "subword vocabularies need SentencePiece: pip install 'legacy-seq2seq[subword]' "
            "(or pip install sentencepiece)"
        ) from error
    return sentencepiece


def _read_model(path: str) -> bytes:
    """The bytes of a model file; remote paths (with a scheme) go through `tf.io.gfile`."""
    if "://" in path:
        import tensorflow as tf

        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"subword model file {path} not found")
        with tf.io.gfile.GFile(path, "rb") as stream:
            return stream.read()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"subword model file {path} not found")
    with open(path, "rb") as stream:
        return stream.read()


def subword_model_path(data_dir: str, vocabulary_size: int, side: str) -> str:
    """Where `prepare_subword_data` keeps a side's model: `data_dir/spm<size>.<side>.model`."""
    return os.path.join(data_dir, f"spm{vocabulary_size:d}.{side}.model")


class SubwordVocabulary:
    """A trained SentencePiece model used as a translation vocabulary.

    Args:
        model_path: a `.model` file written by `train_subword_model`: a local path, or any
            `tf.io.gfile` path (`gs://...`; TensorFlow is imported only for those).

    Raises:
        ImportError: SentencePiece is not installed.
        FileNotFoundError: `model_path` does not exist.
        ValueError: the file is not a SentencePiece model, or its special ids differ from the
            tutorial's (a model trained elsewhere).
    """

    def __init__(self, model_path: str):
        proto = _read_model(model_path)
        sentencepiece = _require_sentencepiece()
        self.path = model_path
        self._processor = sentencepiece.SentencePieceProcessor()
        try:
            self._processor.LoadFromSerializedProto(proto)
        except RuntimeError:
            raise ValueError(f"{model_path} is not a SentencePiece model") from None
        specials = [self._processor.IdToPiece(index) for index in range(4)]
        expected = [symbol.decode() for symbol in (_PAD, _GO, _EOS, _UNK)]
        if specials != expected:
            raise ValueError(
                f"{model_path}: ids 0-3 are {specials}, not the tutorial's {expected}; train "
                "the model with data_utils.subwords.train_subword_model"
            )

    @property
    def size(self) -> int:
        """Entries in the vocabulary (the model's `--from_vocab_size` / `--to_vocab_size`)."""
        return self._processor.GetPieceSize()

    def encode(self, sentence: bytes | str) -> list[int]:
        """The ids of a sentence's pieces (no `_GO` or `_EOS` added).

        Args:
            sentence: UTF-8 bytes or str; a trailing line end is ignored.

        Returns:
            list of int, each in [4, size).

        Raises:
            ValueError: `sentence` is bytes that are not UTF-8.
        """
        if isinstance(sentence, bytes):
            try:
                sentence = sentence.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"sentence is not valid UTF-8: {error.reason}") from None
        return self._processor.EncodeAsIds(sentence.rstrip("\r\n"))

    def decode(self, ids: Sequence[int]) -> str:
        """The text of a sequence of ids; special ids (padding, `_GO`, `_EOS`) are dropped."""
        return self._processor.DecodeIds([int(i) for i in ids if i >= UNK_ID])

    def pieces(self, sentence: bytes | str) -> list[str]:
        """The pieces `encode` gives ids for, as text (for display and attention plots)."""
        return [self._processor.IdToPiece(i) for i in self.encode(sentence)]

    def piece(self, token_id: int) -> str:
        """The text of one id's piece."""
        return self._processor.IdToPiece(int(token_id))
