"""What a trained model remembers of its settings, and how the command line's flags meet them.

Training writes `<train_dir>/settings.json` beside its checkpoints: every `HParams` field and
`normalize_digits`, so that decoding, `--eval`, export and resumed training need no size flags.
A checkpoint without that file (TF 1.x's, or ours from before it existed) still tells most of
its settings through its variables' names and shapes.

  save_settings / load_settings   <dir>/settings.json, written atomically, read back checked
  infer_settings                  the settings a checkpoint's variables tell
  checkpoint_settings             the settings of the checkpoint a run restores, from either
  resolve_settings                flags given explicitly, else the checkpoint's settings, else
                                  the flags' values; a flag that contradicts a setting which
                                  shapes the variables is one short error

The file, for a model trained with the original's flags (fields in `HParams` order):

  {"format_version": 1, "hparams": {"learning_rate": 0.5, ..., "vocabulary": "word"},
   "normalize_digits": true}

Readers ignore keys they do not know (a newer release may add some) and take `HParams`'
default for a field the file lacks (an older release did not have it).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Collection, Mapping
from typing import Any

import tensorflow as tf

from data_utils import subwords
from data_utils._io import atomic_output
from translate import checkpoints, models
from translate.hparams import HParams

SETTINGS_FILENAME = "settings.json"
FORMAT_VERSION = 1
FIELDS = tuple(field.name for field in dataclasses.fields(HParams))
# The settings a checkpoint's variables depend on (names, shapes, dtypes, optimizer slots):
# a model built with another value cannot restore it. num_samples counts only as sampled
# (proj_w/proj_b exist) or full softmax.
SHAPING_FIELDS = ("model", "size", "num_layers", "from_vocab_size", "to_vocab_size", "use_lstm",
                  "use_fp16", "bidirectional_encoder", "vocabulary", "optimizer", "num_samples",
                  "output_projection", "share_decoder_embeddings")
# The variable each attention score of `legacy_seq2seq.attention` creates first; "luong_dot"
# creates none.
_ATTENTION_MARKERS = (("/AttnW_0", "additive"), ("/LuongGeneral_0/", "luong_general"),
                      ("/LuongConcat_0/", "luong_concat"))
_DECODER_SCOPE = "/embedding_attention_decoder/"
# `translate.train.optimizers` saves its slots as <variable>/<slot>.
_OPTIMIZER_SLOTS = {"Adagrad": "adagrad", "Adam": "adam", "Adam_1": "adam"}


@dataclasses.dataclass(frozen=True)
class CheckpointSettings:
    """The settings of a checkpoint, as far as they are known.

    Attributes:
      values: `HParams` field -> value; from settings.json every field, from the variables
        only those they tell.
      normalize_digits: the training's `normalize_digits`, or None when unknown.
      directory: the checkpoint's directory (for messages).
      inferred: the values come from the variables, not from settings.json.
    """

    values: dict[str, Any]
    normalize_digits: bool | None
    directory: str
    inferred: bool


def settings_path(directory: str) -> str:
    """`<directory>/settings.json`."""
    return os.path.join(directory, SETTINGS_FILENAME)


def save_settings(train_dir: str, hparams: HParams, normalize_digits: bool) -> str:
    """Writes `<train_dir>/settings.json`; a reader never sees a half-written file.

    Args:
      train_dir: the directory of the checkpoints (created if missing).
      hparams: the model's configuration.
      normalize_digits: whether training mapped digits to 0.

    Returns:
      The path written.

    Raises:
      OSError: the file cannot be written (any earlier settings.json is left as it was).
    """
    tf.io.gfile.makedirs(train_dir)
    document = {"format_version": FORMAT_VERSION, "hparams": dataclasses.asdict(hparams),
                "normalize_digits": bool(normalize_digits)}
    path = settings_path(train_dir)
    try:
        with atomic_output(path) as f:
            f.write((json.dumps(document, indent=2) + "\n").encode("utf-8"))
    except tf.errors.OpError as e:
        raise OSError(f"cannot write {path}: {e.message}") from e
    return path


def load_settings(train_dir: str) -> tuple[HParams, bool] | None:
    """Reads `<train_dir>/settings.json`.

    Args:
      train_dir: the directory of the checkpoints.

    Returns:
      (hparams, normalize_digits), or None when there is no settings.json.

    Raises:
      ValueError: the file is not valid settings (names the file, what is wrong and the fix).
    """
    path = settings_path(train_dir)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path, "rb") as f:
        raw = f.read()
    try:
        document = json.loads(raw.decode("utf-8"))
        return _parse(document)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError) as e:
        raise ValueError(
            f"settings file {path} is damaged ({e}); restore it, or delete it to give the "
            "model's flags yourself") from None


def _parse(document: Any) -> tuple[HParams, bool]:
    """`load_settings`' checks: raises ValueError/TypeError saying what is wrong."""
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"format_version must be a positive integer, got {version!r}")
    stored = document.get("hparams")
    if not isinstance(stored, dict):
        raise ValueError("'hparams' must be a JSON object")
    normalize_digits = document.get("normalize_digits")
    if not isinstance(normalize_digits, bool):
        raise ValueError(f"normalize_digits must be true or false, got {normalize_digits!r}")
    defaults = HParams()
    values = {name: _checked(name, value, getattr(defaults, name))
              for name, value in stored.items() if name in FIELDS}
    hparams = HParams(**values)
    hparams.validate()
    return hparams, normalize_digits


def _checked(name: str, value: Any, default: Any) -> Any:
    """`value` in the type of the field's default; raises TypeError naming the field."""
    if default is None:  # beam_size: None (greedy) or a number
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:  # buckets: [[encoder length, decoder length], ...]
        ok = isinstance(value, list) and all(
            isinstance(pair, list) and len(pair) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in pair)
            for pair in value)
        value = tuple(tuple(pair) for pair in value) if ok else value
    if not ok:
        raise TypeError(f"{name} must be like {default!r}, got {value!r}")
    return value


def infer_settings(checkpoint_prefix: str) -> dict[str, Any]:
    """The settings that a checkpoint's variables tell, for checkpoints without settings.json.

    Read from the names, shapes and dtypes (TF 1.0-1.15 names alike): size and to_vocab_size
    from the decoder's embedding, from_vocab_size from the encoder's, num_layers from the
    `multi_rnn_cell/cell_<i>` scopes, use_lstm from the cells' scopes, use_fp16 from the
    dtype, the model from its attention variables, bidirectional_encoder from the encoder's
    `bidirectional_rnn` scope, the optimizer from its slot variables, sampled softmax from
    `proj_w`, vocabulary "subword" when the checkpoint's directory holds the SentencePiece
    models of those sizes. A checkpoint does not record how many classes sampled softmax
    drew: num_samples is then HParams' default, below to_vocab_size.

    Args:
      checkpoint_prefix: e.g. "train/translate.ckpt-200".

    Returns:
      `HParams` field -> value, for the fields the variables tell; empty when the checkpoint
      is not one of a translate model.

    Raises:
      translate.checkpoints.CheckpointCorruptError: the checkpoint cannot be read.
    """
    reader = checkpoints.open_reader(checkpoint_prefix)
    shapes = reader.get_variable_to_shape_map()
    decoder_embedding = [n for n in shapes if n.endswith(_DECODER_SCOPE + "embedding")]
    encoder_embedding = [n for n in shapes if n.endswith("/embedding") and _DECODER_SCOPE not in n]
    if len(decoder_embedding) != 1 or len(encoder_embedding) != 1:
        return {}
    to_vocab_size, size = shapes[decoder_embedding[0]]
    dtype = reader.get_variable_to_dtype_map()[decoder_embedding[0]]
    model_names = [n for n in shapes if n.rsplit("/", 1)[-1] not in _OPTIMIZER_SLOTS]
    settings: dict[str, Any] = {
        "size": size,
        "num_layers": checkpoints.num_layers(model_names),
        "from_vocab_size": shapes[encoder_embedding[0]][0],
        "to_vocab_size": to_vocab_size,
        "use_fp16": dtype == tf.float16,
        "bidirectional_encoder": any("/bidirectional_rnn/" in n for n in model_names),
        "optimizer": next((_OPTIMIZER_SLOTS[n.rsplit("/", 1)[-1]] for n in shapes
                           if n.rsplit("/", 1)[-1] in _OPTIMIZER_SLOTS), "sgd"),
        "num_samples": (min(HParams.num_samples, to_vocab_size - 1)
                        if "proj_b" in shapes else 0),
        # proj_w/proj_b are read as sampled softmax, which has them whatever this says; a full
        # softmax over them (--output_projection) is known from settings.json only.
        "output_projection": False,
        # A projection without proj_w projects by the decoder's embedding.
        "share_decoder_embeddings": "proj_b" in shapes and "proj_w" not in shapes,
    }
    kinds = checkpoints.cell_kinds(model_names)
    if kinds in (["GRU"], ["LSTM"]):
        settings["use_lstm"] = kinds == ["LSTM"]
    model = _model_of(model_names)
    if model:
        settings["model"] = model
    directory = os.path.dirname(checkpoint_prefix) or "."
    spm_files = [subwords.subword_model_path(directory, settings[f"{side}_vocab_size"], side)
                 for side in ("from", "to")]
    settings["vocabulary"] = ("subword" if all(tf.io.gfile.exists(p) for p in spm_files)
                              else "word")
    return settings


def _model_of(names: Collection[str]) -> str | None:
    """The registered model whose attention score made the decoder's attention variables."""
    decoder_names = [n for n in names if _DECODER_SCOPE in n]
    score = next((score for marker, score in _ATTENTION_MARKERS
                  if any(marker in n for n in decoder_names)), "luong_dot")
    return next((name for name, cls in models.MODELS.items()
                 if getattr(cls, "attention_score", None) == score), None)


def checkpoint_settings(train_dir: str,
                        checkpoint_path: str | None = None) -> CheckpointSettings | None:
    """The settings of the checkpoint a run would restore (`checkpoints.resolve_checkpoint`).

    settings.json of the checkpoint's directory when it has one, else what the variables
    tell (`infer_settings`).

    Args:
      train_dir: the training directory.
      checkpoint_path: a checkpoint chosen instead of the latest of `train_dir`.

    Returns:
      The settings, or None when there is no checkpoint (a fresh training run) or it cannot
      be read (restoring it then reports why).

    Raises:
      ValueError: the settings.json beside the checkpoint is damaged.
    """
    try:
        prefix = checkpoints.resolve_checkpoint(train_dir, checkpoint_path)
    except checkpoints.CheckpointCorruptError:
        return None
    if not prefix:
        return None
    directory = os.path.dirname(prefix) or "."
    loaded = load_settings(directory)
    if loaded:
        hparams, normalize_digits = loaded
        return CheckpointSettings(dataclasses.asdict(hparams), normalize_digits, directory,
                                  inferred=False)
    try:
        inferred = infer_settings(prefix)
    except checkpoints.CheckpointCorruptError:
        return None
    return CheckpointSettings(inferred, None, directory, inferred=True) if inferred else None


def resolve_settings(
    flag_values: Mapping[str, Any],
    explicit: Collection[str],
    train_dir: str,
    checkpoint_path: str | None = None,
) -> tuple[HParams, bool]:
    """The settings a run uses: the flags given explicitly, else the checkpoint's, else the
    flags' values (defaults, or a recipe's).

    Every mode resolves the same way, so decoding, `--eval`, export and resumed training of
    a trained model need no size flags. With no checkpoint (a fresh run) the flags are used
    as they are. A flag given explicitly for a setting that shapes the variables
    (`SHAPING_FIELDS`) must agree with the checkpoint; the others (learning_rate,
    batch_size, dropout, normalize_digits, ...) simply apply, e.g. to resume training with
    another learning rate.

    Args:
      flag_values: flag name -> value, for `HParams` fields (those missing take `HParams`'
        defaults) and "normalize_digits".
      explicit: the names of the flags the user gave on the command line.
      train_dir: the training directory.
      checkpoint_path: a checkpoint chosen instead of the latest of `train_dir`.

    Returns:
      (hparams, normalize_digits).

    Raises:
      ValueError: a flag given explicitly contradicts the checkpoint (one line naming the
        flag, both values and the fix), or the checkpoint's settings.json is damaged.
    """
    values = {name: flag_values[name] for name in FIELDS if name in flag_values}
    normalize_digits = bool(flag_values.get("normalize_digits", True))
    found = checkpoint_settings(train_dir, checkpoint_path)
    if found is None:
        return HParams(**values), normalize_digits
    stored = dict(found.values)
    given = HParams(**values)
    for name in SHAPING_FIELDS:
        if name in explicit and name in stored:
            _check_agreement(name, getattr(given, name), stored, found.directory)
    if found.inferred and "num_samples" in stored and _sampled(
            values.get("num_samples", HParams.num_samples), stored["to_vocab_size"]) == _sampled(
            stored["num_samples"], stored["to_vocab_size"]):
        # The variables tell sampled or full softmax, not how many classes were drawn.
        del stored["num_samples"]
    values.update({name: value for name, value in stored.items() if name not in explicit})
    if found.normalize_digits is not None and "normalize_digits" not in explicit:
        normalize_digits = found.normalize_digits
    return HParams(**values), normalize_digits


def _sampled(num_samples: int, to_vocab_size: int) -> bool:
    # `Seq2SeqModel`'s rule for sampled softmax.
    return 0 < num_samples < to_vocab_size


def _check_agreement(name: str, given: Any, stored: Mapping[str, Any], directory: str) -> None:
    """Raises the one-line error when the flag `name`'s `given` value contradicts `stored`."""
    saved = stored[name]
    if name == "num_samples":
        to_vocab_size = stored.get("to_vocab_size", HParams.to_vocab_size)
        if _sampled(given, to_vocab_size) == _sampled(saved, to_vocab_size):
            return
        trained = (f"sampled softmax, 0 < --num_samples < --to_vocab_size={to_vocab_size}"
                   if _sampled(saved, to_vocab_size) else "the full softmax, --num_samples=0")
    elif given == saved:
        return
    else:
        trained = _as_flag(name, saved)
    raise ValueError(f"{_as_flag(name, given)} contradicts the checkpoint in {directory} "
                     f"(trained with {trained}): drop --{name} or pass {_as_flag(name, saved)}")


def _as_flag(name: str, value: Any) -> str:
    """How the command line spells `value` for the flag `name`."""
    if isinstance(value, bool):
        return f"--{name}" if value else f"--no{name}"
    return f"--{name}={value}"
