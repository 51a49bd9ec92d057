"""Validation during training: dev BLEU, the best checkpoint, early stopping, averaging.

Opt-in (`--steps_per_validation N`): every N global steps the training model translates the
raw dev sentences (--from_dev_data) greedily, and sacreBLEU scores the detokenized output
against the raw references (--to_dev_data) as `--eval` does
(`translate.infer.evaluation.score_lines`). Then:

* the best parameters so far are kept apart in `<train_dir>/best/`: a checkpoint with its own
  `checkpoint` index file, `settings.json`, the subword models of a subword vocabulary, and
  `validation.json` (the score, its step and signature), so `--train_dir <train_dir>/best`
  decodes on its own and a resumed run keeps comparing with the best score so far;
* `--early_stopping K` stops training after K validations in a row without a better score
  (the count starts again on a resumed run);
* `--average_checkpoints N`: at the end, the last N checkpoints' trainable variables are
  averaged into `<train_dir>/averaged/` (the other variables, e.g. optimizer slots, learning
  rate and global step, are the latest checkpoint's); it is validated and, if it beats the
  best, becomes `best/`;
* `--restore_best`: at the end, the best parameters are saved as the final checkpoint of
  `<train_dir>` (keeping its final global step and learning rate), so that a plain
  `--decode --train_dir <train_dir>` uses them. Without it, `<train_dir>` keeps the last
  parameters, as the original, and the log names `best/`.

Writing `best/`: settings and subword models first, then the checkpoint (crash-safe, see
`translate.checkpoints.save_checkpoint`), then `validation.json`; a crash between the last two
leaves a better checkpoint than the record says, never a worse one.

  BestTracker          the best score and the patience count (pure logic)
  read_best_record, write_best_record   `best/validation.json`
  average_tensors      the mean of checkpoints' tensors
  Validator            translate and score the dev set with a model
  save_model_dir       a self-contained checkpoint directory (best/, averaged/)
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import tensorflow as tf

from data_utils import _io, subwords
from translate import checkpoints
from translate.hparams import HParams
from translate.infer import evaluation, metrics
from translate.infer.batch import BatchTranslator
from translate.infer.codec import Codec
from translate.models import TranslationModel
from translate.seq2seq_model import checkpoint_prefix
from translate.settings import save_settings

BEST_DIR = "best"
AVERAGED_DIR = "averaged"
RECORD_FILENAME = "validation.json"


@dataclasses.dataclass
class BestTracker:
    """The best dev score so far and how many validations since it improved.

    Attributes:
      patience: stop after this many validations in a row without improvement (0: never).
      best_score: the best score so far (None before the first validation).
      best_step: its global step.
      without_improvement: validations since the last improvement.
    """

    patience: int = 0
    best_score: float | None = None
    best_step: int | None = None
    without_improvement: int = 0

    def __post_init__(self) -> None:
        if self.patience < 0:
            raise ValueError(f"early stopping patience must be 0 (off) or more, got "
                             f"{self.patience}")

    def record(self, step: int, score: float) -> bool:
        """Takes a validation's score.

        Args:
          step: the global step validated.
          score: its dev score (higher is better).

        Returns:
          Whether it beats every earlier score (a tie does not: the earlier checkpoint stays).
        """
        if self.best_score is None or score > self.best_score:
            self.best_score, self.best_step = score, step
            self.without_improvement = 0
            return True
        self.without_improvement += 1
        return False

    @property
    def should_stop(self) -> bool:
        """Whether the patience is used up."""
        return bool(self.patience) and self.without_improvement >= self.patience


def read_best_record(directory: str) -> dict | None:
    """The record `write_best_record` left in `directory`, or None when there is none.

    Raises:
      ValueError: the file is not the JSON object written there (names the file and the fix).
    """
    path = os.path.join(directory, RECORD_FILENAME)
    if not tf.io.gfile.exists(path):
        return None
    try:
        with tf.io.gfile.GFile(path, "rb") as stream:
            record = json.loads(stream.read().decode("utf-8"))
        float(record["bleu"]), int(record["step"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is damaged ({e}); delete it (the next validation writes a "
                         "new one)") from None
    return record


def write_best_record(directory: str, bleu: float, step: int, signature: str) -> None:
    """Writes `directory/validation.json`: the dev BLEU of the checkpoint there, atomically."""
    text = json.dumps({"bleu": bleu, "step": step, "signature": signature}, indent=2)
    with _io.atomic_output(os.path.join(directory, RECORD_FILENAME)) as stream:
        stream.write(text.encode("utf-8") + b"\n")


def average_tensors(prefixes: Sequence[str], names: Collection[str]) -> dict[str, np.ndarray]:
    """The element-wise mean of the tensors `names` over the checkpoints `prefixes`.

    The mean is computed in float64 and cast back to each tensor's dtype.

    Args:
      prefixes: checkpoint prefixes (at least one).
      names: the tensors to average (each a floating-point tensor in every checkpoint).

    Returns:
      name -> averaged value.

    Raises:
      ValueError: no checkpoint given.
      translate.checkpoints.CheckpointCorruptError: a checkpoint cannot be read.
    """
    if not prefixes:
        raise ValueError("no checkpoint to average")
    sums: dict[str, np.ndarray] = {}
    dtypes: dict[str, np.dtype] = {}
    for prefix in prefixes:
        try:
            reader = tf.train.load_checkpoint(prefix)
        except (tf.errors.OpError, ValueError) as e:
            raise checkpoints.CheckpointCorruptError(
                f"cannot read checkpoint {prefix} to average it: {e}") from None
        for name, value in checkpoints.read_tensors(reader, prefix, sorted(names)).items():
            dtypes[name] = value.dtype
            sums[name] = sums.get(name, 0.0) + value.astype(np.float64)
    return {name: (total / len(prefixes)).astype(dtypes[name]) for name, total in sums.items()}


@dataclasses.dataclass(frozen=True)
class Score:
    """One validation's result: sacreBLEU BLEU and chrF, with BLEU's signature."""

    bleu: float
    chrf: float
    signature: str


class Validator:
    """Translates the dev set greedily with a model and scores it (`score_lines`).

    Args:
      model: the model being trained (decoding never drops out).
      codec: its vocabularies.
      sources: the raw dev source lines.
      references: the raw reference lines, one per source line.
      batch_size: sentences per decoding batch.

    Raises:
      ValueError: the dev files are empty or differ in length.
      ImportError: sacrebleu is not installed (said before training, not at the first
        validation).
    """

    def __init__(self, model: TranslationModel, codec: Codec, sources: Sequence[bytes],
                 references: Sequence[bytes], batch_size: int):
        metrics._sacrebleu()
        if len(sources) != len(references):
            raise ValueError(f"the dev files differ in length ({len(sources)} source lines, "
                             f"{len(references)} references); line i of one must translate "
                             "line i of the other")
        if not sources:
            raise ValueError("the dev files are empty: nothing to validate on")
        self._translator = BatchTranslator(model, codec, batch_size=batch_size)
        self._sources = list(sources)
        self._references = list(references)

    def score(self) -> Score:
        """Translates the dev set with the model's current parameters and scores it."""
        scores = evaluation.score_lines(self._translator, self._sources,
                                        self._references).scores
        return Score(float(scores.bleu), float(scores.chrf), scores.bleu_signature)


def save_model_dir(directory: str, variables: Mapping[str, tf.Variable], step: int,
                   hparams: HParams, normalize_digits: bool, models_from: str = "") -> str:
    """Writes a directory that decodes on its own: settings, subword models, one checkpoint.

    Args:
      directory: e.g. `<train_dir>/best`; created if missing.
      variables: the model's variables by checkpoint name.
      step: the global step, in the checkpoint's name.
      hparams: the model's configuration (`settings.json`).
      normalize_digits: how its word vocabularies read digits (`settings.json`).
      models_from: with a subword vocabulary, the directory holding its models (copied).

    Returns:
      The checkpoint prefix written (the only one the directory lists).

    Raises:
      translate.checkpoints.CheckpointWriteError: the checkpoint could not be written.
      ValueError: the directory holds a different subword model.
    """
    tf.io.gfile.makedirs(directory)
    save_settings(directory, hparams, normalize_digits)
    if hparams.vocabulary == "subword":
        subwords.copy_subword_models(models_from, directory, hparams.from_vocab_size,
                                     hparams.to_vocab_size)
    return checkpoints.save_checkpoint(variables, f"{checkpoint_prefix(directory)}-{step}",
                                       max_to_keep=1)
