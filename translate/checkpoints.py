"""Name-keyed (TF 1.x `Saver` format) checkpoints: crash-safe saving, checked restoring.

A checkpoint `<train_dir>/translate.ckpt-<step>` is the pair of files `.index` and
`.data-00000-of-00001` holding one tensor per variable under its TF 1.x name; the text file
`<train_dir>/checkpoint` names the latest one. TF 1.15's `tf.train.Saver`, TF 2's
`tf.train.load_checkpoint` and this module all read and write the same format.

Saving never leaves a half-written checkpoint named as the latest: the tensors go to a temporary
prefix, are flushed to disk, renamed into place (index last), and only then is the `checkpoint`
file replaced, itself through a temporary file.
"""

from __future__ import annotations

import glob
import os
import sys
import uuid
from collections.abc import Mapping, Sequence

import tensorflow as tf
from google.protobuf import text_format

STATE_FILENAME = "checkpoint"
_TMP_MARK = ".tmp-"
_DATA_SUFFIX = ".data-00000-of-00001"
_INDEX_SUFFIX = ".index"


class CheckpointMismatchError(ValueError):
    """A checkpoint's variables do not fit the model's (names, shapes or dtypes)."""


def latest_checkpoint(train_dir: str) -> str | None:
    """The checkpoint the `checkpoint` file of `train_dir` names, if it exists.

    Like the original (`tf.train.get_checkpoint_state` + `checkpoint_exists`); a relative path
    in the file is relative to `train_dir`. One addition: when the recorded path does not
    exist (the directory was moved since TF 1.x wrote absolute paths) but a checkpoint of the
    same file name is in `train_dir`, that one is used and a note goes to stderr.

    Args:
      train_dir: the training directory.

    Returns:
      The checkpoint prefix (e.g. "train/translate.ckpt-200"), or None when there is none.
    """
    state = tf.train.get_checkpoint_state(train_dir)
    if not state or not state.model_checkpoint_path:
        return None
    recorded = state.model_checkpoint_path
    if checkpoint_exists(recorded):
        return recorded
    moved = os.path.join(train_dir, os.path.basename(recorded))
    if checkpoint_exists(moved):
        print(f"Checkpoint {recorded} (named in {os.path.join(train_dir, STATE_FILENAME)}) "
              f"does not exist; using {moved} instead.", file=sys.stderr)
        return moved
    return None


def checkpoint_exists(prefix: str) -> bool:
    """Whether a complete checkpoint (index and data files) exists at `prefix`."""
    return tf.io.gfile.exists(prefix + _INDEX_SUFFIX) and bool(
        tf.io.gfile.glob(prefix + ".data-*"))


def save_checkpoint(
    variables: Mapping[str, tf.Variable],
    prefix: str,
    max_to_keep: int = 5,
) -> str:
    """Writes the checkpoint `prefix` and makes it the latest of its directory.

    Args:
      variables: TF 1.x name (without ":0") -> variable, saved under that name.
      prefix: e.g. "train/translate.ckpt-200"; its directory is created if missing.
      max_to_keep: the older checkpoints listed in the `checkpoint` file beyond this many are
        deleted (TF 1.x Saver's default is 5); 0 keeps all.

    Returns:
      `prefix`.
    """
    train_dir = os.path.dirname(prefix) or "."
    tf.io.gfile.makedirs(train_dir)
    _remove_stale_temporaries(train_dir)
    tmp_prefix = f"{prefix}{_TMP_MARK}{uuid.uuid4().hex}"
    names = sorted(variables)
    tf.raw_ops.SaveV2(
        prefix=tmp_prefix,
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[variables[name].read_value() for name in names],
    )
    # Data before index: a prefix counts as a checkpoint once its index exists.
    for suffix in (_DATA_SUFFIX, _INDEX_SUFFIX):
        _fsync(tmp_prefix + suffix)
        os.replace(tmp_prefix + suffix, prefix + suffix)
    _fsync_dir(train_dir)

    state = tf.train.get_checkpoint_state(train_dir)
    kept = [p for p in (state.all_model_checkpoint_paths if state else [])
            if os.path.basename(p) != os.path.basename(prefix)]
    kept.append(prefix)
    dropped = kept[:-max_to_keep] if max_to_keep else []
    kept = kept[len(dropped):]
    _write_state(train_dir, prefix, kept)
    for old in dropped:
        # Only files of ours: TF 1.x state files may name paths elsewhere.
        if os.path.dirname(os.path.abspath(old)) == os.path.abspath(train_dir):
            for path in glob.glob(glob.escape(old) + ".*"):
                os.remove(path)
    return prefix


def _write_state(train_dir: str, latest: str, all_paths: Sequence[str]) -> None:
    # Paths are written relative to train_dir (the directory can move); an absolute save_dir
    # keeps generate_checkpoint_state_proto from rewriting them.
    proto = tf.compat.v1.train.generate_checkpoint_state_proto(
        os.path.abspath(train_dir),
        os.path.basename(latest),
        all_model_checkpoint_paths=[os.path.basename(p) for p in all_paths],
    )
    path = os.path.join(train_dir, STATE_FILENAME)
    tmp_path = f"{path}{_TMP_MARK}{uuid.uuid4().hex}"
    with open(tmp_path, "w", encoding="utf-8") as f:
        f.write(text_format.MessageToString(proto))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_path, path)
    _fsync_dir(train_dir)


def _remove_stale_temporaries(train_dir: str) -> None:
    """Deletes what a save killed half-way left behind."""
    for path in glob.glob(os.path.join(glob.escape(train_dir), f"*{_TMP_MARK}*")):
        os.remove(path)


def _fsync(path: str) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: str) -> None:
    # Makes the renames durable; not every platform can open a directory.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def restore_checkpoint(
    variables: Mapping[str, tf.Variable],
    prefix: str,
    hint: str = "",
) -> None:
    """Assigns every variable from the checkpoint tensor of the same name.

    Nothing is assigned unless every variable is found with its shape and dtype, and the
    checkpoint holds nothing else.

    Args:
      variables: TF 1.x name (without ":0") -> variable.
      prefix: the checkpoint prefix.
      hint: appended to the error message (e.g. which flags shape the variables).

    Raises:
      CheckpointMismatchError: one error naming every missing or unexpected variable and
        every variable whose shape or dtype differs, with both shapes (dtypes).
      ValueError: `prefix` is not a readable checkpoint.
    """
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as e:
        raise ValueError(f"cannot read checkpoint {prefix}: {e}") from None
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    problems = []
    for name, var in variables.items():
        if name not in shapes:
            problems.append(f"variable '{name}' {var.shape.as_list()} is missing from the "
                            "checkpoint")
        elif list(shapes[name]) != var.shape.as_list():
            problems.append(f"variable '{name}' has shape {list(shapes[name])} in the "
                            f"checkpoint but {var.shape.as_list()} in the model")
        elif dtypes[name].base_dtype != var.dtype.base_dtype:
            problems.append(f"variable '{name}' has dtype {dtypes[name].name} in the "
                            f"checkpoint but {var.dtype.name} in the model")
    for name in sorted(set(shapes) - set(variables)):
        problems.append(f"the checkpoint has variable '{name}' {list(shapes[name])}, which "
                        "the model does not have")
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint {prefix} does not fit the model: "
            + "; ".join(problems) + (f". {hint}" if hint else ""))
    for name, var in variables.items():
        var.assign(reader.get_tensor(name))
