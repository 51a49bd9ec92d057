"""Name-keyed (TF 1.x `Saver` format) checkpoints: crash-safe saving, checked restoring.

A checkpoint `<train_dir>/translate.ckpt-<step>` is the pair of files `.index` and
`.data-00000-of-00001` holding one tensor per variable under its TF 1.x name; the text file
`<train_dir>/checkpoint` names the latest one. TF 1.15's `tf.train.Saver`, TF 2's
`tf.train.load_checkpoint` and this module all read and write the same format.

Saving never leaves a half-written checkpoint named as the latest: the tensors go to a temporary
prefix, are flushed to disk, renamed into place (index last), and only then is the `checkpoint`
file replaced, itself through a temporary file. A save that fails (full disk, read-only
directory) raises `CheckpointWriteError` and leaves the files of the previous checkpoints and
the `checkpoint` file as they were. Older checkpoints beyond `max_to_keep` are deleted after
the new one is recorded (a crash during that clean-up can leave an old checkpoint's files
behind, no longer listed and never read).

Reading never fails silently: a `checkpoint` file that cannot be parsed or names a checkpoint
that is not there (`resolve_checkpoint`), and a checkpoint whose index or data file is missing,
truncated or garbled (`restore_checkpoint`) raise `CheckpointCorruptError` naming the file and
what is wrong, instead of training from scratch over the old files.
"""

from __future__ import annotations

import glob
import os
import re
import sys
import uuid
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import tensorflow as tf
from google.protobuf import text_format
from tensorflow.python.training import checkpoint_state_pb2

from legacy_seq2seq import checkpoint_names
from legacy_seq2seq.template import VariableMismatch, compare_tf1_checkpoint

STATE_FILENAME = "checkpoint"
_TMP_MARK = ".tmp-"
_DATA_SUFFIX = ".data-00000-of-00001"
_INDEX_SUFFIX = ".index"
# "<stem>-<step>": the names `Saver.save(..., global_step=...)` gives.
_STEP_RE = re.compile(r"(.+)-(\d+)")
# Cell scopes in variable names, to say which kind of model wrote a checkpoint.
_CELL_KINDS = (("/gru_cell/", "GRU"), ("lstm_cell/", "LSTM"), ("/basic_rnn_cell/", "basic RNN"))
_LAYER_RE = re.compile(r"/multi_rnn_cell/cell_(\d+)/")
# TF 2's object-based checkpoints (tf.train.Checkpoint, Keras) hold this key.
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


class CheckpointMismatchError(ValueError):
    """A checkpoint's variables do not fit the model's (names, shapes or dtypes)."""


class CheckpointCorruptError(ValueError):
    """A checkpoint or `checkpoint` state file is missing, truncated or garbled."""


class CheckpointWriteError(OSError):
    """Writing a checkpoint failed; the previous checkpoint is still the latest."""


def latest_checkpoint(train_dir: str) -> str | None:
    """The checkpoint the `checkpoint` file of `train_dir` names, if it exists.

    Like the original (`tf.train.get_checkpoint_state` + `checkpoint_exists`); a relative path
    in the file is relative to `train_dir`. One addition: when the recorded path does not
    exist (the directory was moved since TF 1.x wrote absolute paths) but a checkpoint of the
    same file name is in `train_dir`, that one is used and a note goes to stderr. A damaged
    `checkpoint` file counts as none here; `resolve_checkpoint` reports it.

    Args:
      train_dir: the training directory.

    Returns:
      The checkpoint prefix (e.g. "train/translate.ckpt-200"), or None when there is none.
    """
    try:
        state = tf.train.get_checkpoint_state(train_dir)
    except ValueError:  # A state file without a model_checkpoint_path.
        return None
    if not state or not state.model_checkpoint_path:
        return None
    return _locate(state.model_checkpoint_path, train_dir)


def _locate(recorded: str, train_dir: str) -> str | None:
    """`recorded` if it exists, else the checkpoint of the same file name in `train_dir`."""
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


def resolve_checkpoint(train_dir: str, checkpoint_path: str | None = None) -> str | None:
    """The checkpoint to restore: `checkpoint_path` if given, else the latest of `train_dir`.

    Unlike `latest_checkpoint`, a `checkpoint` file that cannot be read or that names a
    checkpoint which does not exist is an error, not "no checkpoint": starting from fresh
    parameters would later overwrite and rotate away the checkpoints the user has.

    Args:
      train_dir: the training directory.
      checkpoint_path: a checkpoint prefix chosen by the user (e.g. an older checkpoint).

    Returns:
      The checkpoint prefix, or None when `train_dir` has no `checkpoint` file.

    Raises:
      CheckpointCorruptError: `checkpoint_path` is not a complete checkpoint, or the
        `checkpoint` file is damaged or names a missing checkpoint; the message lists the
        other checkpoints of `train_dir`.
    """
    if checkpoint_path:
        if not checkpoint_exists(checkpoint_path):
            raise CheckpointCorruptError(
                f"no checkpoint at --checkpoint_path={checkpoint_path}: it needs the files "
                f"{checkpoint_path}{_INDEX_SUFFIX} and {checkpoint_path}{_DATA_SUFFIX}."
                + other_checkpoints_advice(os.path.dirname(checkpoint_path) or ".",
                                           checkpoint_path))
        return checkpoint_path
    recorded = _recorded_latest(train_dir)
    if recorded is None:
        return None
    found = _locate(recorded, train_dir)
    if found is None:
        raise CheckpointCorruptError(
            f"{os.path.join(train_dir, STATE_FILENAME)} names the checkpoint {recorded}, "
            f"which does not exist (no {recorded}{_INDEX_SUFFIX} with its data file)."
            + other_checkpoints_advice(train_dir, recorded))
    return found


def _recorded_latest(train_dir: str) -> str | None:
    """The latest checkpoint the `checkpoint` file names (made absolute as TF does), if any."""
    path = os.path.join(train_dir, STATE_FILENAME)
    if not tf.io.gfile.exists(path):
        return None
    try:
        with tf.io.gfile.GFile(path, "rb") as f:
            text = f.read().decode("utf-8")
        state = text_format.Parse(text, checkpoint_state_pb2.CheckpointState())
    except (tf.errors.OpError, UnicodeDecodeError, text_format.ParseError) as e:
        raise CheckpointCorruptError(
            f"checkpoint state file {path} is damaged ({_reason(e)}); it should hold a line "
            'like model_checkpoint_path: "translate.ckpt-200".'
            + other_checkpoints_advice(train_dir, None)) from None
    if not state.model_checkpoint_path:
        raise CheckpointCorruptError(
            f"checkpoint state file {path} names no checkpoint (no model_checkpoint_path "
            "line)." + other_checkpoints_advice(train_dir, None))
    recorded = state.model_checkpoint_path
    return recorded if os.path.isabs(recorded) else os.path.join(train_dir, recorded)


def other_checkpoints_advice(train_dir: str, exclude: str | None) -> str:
    """A sentence naming the complete checkpoints of `train_dir` other than `exclude`, newest
    first, and how to use one (`--checkpoint_path`); says so when there is none."""
    exclude_name = os.path.basename(exclude) if exclude else None
    others = [p for p in _checkpoints_in(train_dir) if os.path.basename(p) != exclude_name]
    if not others:
        return f" There is no other checkpoint in {train_dir}."
    names = ", ".join(os.path.basename(p) for p in others[:5])
    return (f" Other checkpoints in {train_dir}: {names}; to use one, pass "
            f"--checkpoint_path={others[0]}.")


def _checkpoints_in(train_dir: str) -> list[str]:
    """The complete checkpoints in `train_dir`, highest step first."""
    prefixes = [path[: -len(_INDEX_SUFFIX)]
                for path in glob.glob(os.path.join(glob.escape(train_dir), "*" + _INDEX_SUFFIX))
                if _TMP_MARK not in path]
    return sorted((p for p in prefixes if checkpoint_exists(p)), key=_step_of, reverse=True)


def _step_of(prefix: str) -> int:
    match = _STEP_RE.fullmatch(os.path.basename(prefix))
    return int(match.group(2)) if match else -1


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

    Raises:
      ValueError: `max_to_keep` is negative.
      CheckpointWriteError: a file could not be written (names the checkpoint and the cause);
        the previous checkpoints and the `checkpoint` file are unchanged.
    """
    if max_to_keep < 0:
        raise ValueError(f"max_to_keep must be 0 (keep all) or more, got {max_to_keep}")
    train_dir = os.path.dirname(prefix) or "."
    tmp_prefix = f"{prefix}{_TMP_MARK}{uuid.uuid4().hex}"
    recorded = _recorded_paths(train_dir)
    kept = [p for p in recorded if os.path.basename(p) != os.path.basename(prefix)]
    listed = len(kept) < len(recorded)
    replacing = listed
    try:
        tf.io.gfile.makedirs(train_dir)
        _remove_stale_temporaries(train_dir, prefix)
        if listed:
            # Saving over a listed checkpoint (training resumed from an older one): unlist it
            # first, so that no crash leaves the state naming a half-replaced pair of files.
            _unlist(train_dir, kept)
            listed = False
        _write_tensors(variables, tmp_prefix)
        # Data before index: a prefix counts as a checkpoint once its index exists.
        for suffix in (_DATA_SUFFIX, _INDEX_SUFFIX):
            _fsync(tmp_prefix + suffix)
            os.replace(tmp_prefix + suffix, prefix + suffix)
        _fsync_dir(train_dir)
        kept.append(prefix)
        dropped = kept[:-max_to_keep] if max_to_keep else []
        kept = kept[len(dropped):]
        _write_state(train_dir, prefix, kept)
    except (OSError, tf.errors.OpError) as e:
        _discard(tmp_prefix, None if listed else prefix)
        state_path = os.path.join(train_dir, STATE_FILENAME)
        latest = latest_checkpoint(train_dir)
        if replacing and not listed:
            outcome = ("The checkpoint being replaced is no longer listed; "
                       + (f"{state_path} now names {latest}." if latest
                          else f"{train_dir} records no checkpoint now."))
        else:
            outcome = f"Nothing was changed: {state_path} " + (
                f"still names {latest}." if latest else "was not written.")
        raise CheckpointWriteError(f"cannot write checkpoint {prefix}: {_reason(e)}. "
                                   f"{outcome}") from e
    for old in dropped:
        _delete_checkpoint(old, train_dir)
    return prefix


def _unlist(train_dir: str, kept: Sequence[str]) -> None:
    """Makes the `checkpoint` file list only `kept` (the last as the latest), or removes it."""
    if kept:
        _write_state(train_dir, kept[-1], kept)
    else:
        os.remove(os.path.join(train_dir, STATE_FILENAME))
        _fsync_dir(train_dir)


def _recorded_paths(train_dir: str) -> list[str]:
    """The checkpoints the `checkpoint` file lists, oldest first ([] when unreadable)."""
    try:
        state = tf.train.get_checkpoint_state(train_dir)
    except ValueError:
        return []
    return list(state.all_model_checkpoint_paths) if state else []


def _write_tensors(variables: Mapping[str, tf.Variable], prefix: str) -> None:
    names = sorted(variables)
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[variables[name].read_value() for name in names],
    )


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
    try:
        with open(tmp_path, "w", encoding="utf-8") as f:
            f.write(text_format.MessageToString(proto))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
    _fsync_dir(train_dir)


def _discard(tmp_prefix: str, unrecorded_prefix: str | None) -> None:
    """Removes what a failed save wrote: its temporaries and, when the checkpoint was not
    recorded before, the files already renamed under its final name. Best effort."""
    paths = _files_of(tmp_prefix, "")
    if unrecorded_prefix:
        paths += _files_of(unrecorded_prefix, ".data-") + _files_of(unrecorded_prefix,
                                                                    _INDEX_SUFFIX)
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass


def _delete_checkpoint(prefix: str, train_dir: str) -> None:
    # Only files of ours: TF 1.x state files may name paths elsewhere.
    if os.path.dirname(os.path.abspath(prefix)) != os.path.abspath(train_dir):
        return
    # Index first: a crash half-way then leaves data files no index claims, never an index
    # without its data.
    paths = sorted(_files_of(prefix, "."), key=lambda p: not p.endswith(_INDEX_SUFFIX))
    for path in paths:
        try:
            os.remove(path)
        except OSError as e:
            # The new checkpoint is safely recorded; an old file left over is no reason to stop.
            print(f"Warning: could not delete old checkpoint file {path}: {e}", file=sys.stderr)


def _files_of(prefix: str, start: str) -> list[str]:
    """The files named basename(prefix) + `start` + anything, in prefix's directory.

    Not `glob`: it caches every pattern it compiles, one per checkpoint here, for as long as
    the process runs (days of training).
    """
    directory = os.path.dirname(prefix) or "."
    head = os.path.basename(prefix) + start
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return [os.path.join(directory, name) for name in names if name.startswith(head)]


def _remove_stale_temporaries(train_dir: str, prefix: str) -> None:
    """Deletes what a save of a `prefix`-named checkpoint, killed half-way, left behind.

    Only names this module makes ("checkpoint.tmp-<hex>", "<stem>-<step>.tmp-<hex>.index"
    and so on): train_dir may be shared (both directories default to /tmp).
    """
    match = _STEP_RE.fullmatch(os.path.basename(prefix))
    stem = match.group(1) if match else os.path.basename(prefix)
    ours = re.compile(rf"(?:{STATE_FILENAME}|{re.escape(stem)}(?:-\d+)?)"
                      rf"{re.escape(_TMP_MARK)}[0-9a-f]{{32}}(?:\..*)?")
    for name in os.listdir(train_dir):
        if ours.fullmatch(name):
            os.remove(os.path.join(train_dir, name))


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


def _reason(error: BaseException) -> str:
    """The first line of an error's message, without TensorFlow's op decorations."""
    message = error.message if isinstance(error, tf.errors.OpError) else str(error)
    message = re.sub(r"\{\{[^}]*\}\}\s*", "", message)
    message = re.sub(r"\s*\[Op:\w+\]", "", message)
    lines = message.strip().splitlines()
    return lines[0] if lines else type(error).__name__


def restore_checkpoint(
    variables: Mapping[str, tf.Variable],
    prefix: str,
    hint: str = "",
) -> None:
    """Assigns every variable from the checkpoint tensor of the same name.

    A checkpoint written by TF 1.0/1.1 (`legacy_seq2seq.checkpoint_names`: `weights`/`biases`,
    wrapped cells outside the wrapper's scope) is read too, through those names, with a note
    on stderr saying so.

    Nothing is assigned unless every variable is found with its shape and dtype, the
    checkpoint holds nothing else, and every tensor reads back intact (checksums verified).

    Args:
      variables: TF 1.x name (without ":0") -> variable.
      prefix: the checkpoint prefix.
      hint: appended to a mismatch error's message (e.g. which flags shape the variables).

    Raises:
      CheckpointMismatchError: one error naming every missing or unexpected variable and
        every variable whose shape or dtype differs, with both shapes (dtypes), led by what
        differs overall (another cell type or depth, or not a checkpoint of this model).
      CheckpointCorruptError: the index or data file is missing, truncated or garbled
        (names the file).
    """
    reader = open_reader(prefix)
    shapes = reader.get_variable_to_shape_map()
    # The library's matching: TF 1.0/1.1 wrote other names for the same weights.
    era, stored_names, mismatches, unexpected = compare_tf1_checkpoint(
        variables, shapes, reader.get_variable_to_dtype_map())
    if era == checkpoint_names.ERA_TF1_0:
        print(f"Checkpoint {prefix} has {checkpoint_names.ERA_DESCRIPTIONS[era]}; reading "
              "them into the TF 1.2+ names.", file=sys.stderr)
    # From here on, variables go by the names the checkpoint holds them under.
    variables = {stored_names[name]: var for name, var in variables.items()}
    problems = _mismatches(variables, shapes, stored_names, mismatches, unexpected)
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint {prefix} does not fit the model{_overall_difference(variables, shapes)}"
            f": " + "; ".join(problems) + (f". {hint}" if hint else ""))
    values = read_tensors(reader, prefix, list(variables))
    for name, var in variables.items():
        var.assign(values[name])


def open_reader(prefix: str) -> tf.train.CheckpointReader:
    """A reader of the checkpoint `prefix` (its names, shapes, dtypes and tensors).

    Args:
      prefix: the checkpoint prefix.

    Returns:
      `tf.train.load_checkpoint(prefix)`.

    Raises:
      CheckpointCorruptError: the index or data file is missing, or the index is damaged
        (names the file).
    """
    index = prefix + _INDEX_SUFFIX
    if not tf.io.gfile.exists(index):
        raise CheckpointCorruptError(f"cannot read checkpoint {prefix}: its index file {index} "
                                     "does not exist")
    if not tf.io.gfile.glob(prefix + ".data-*"):
        raise CheckpointCorruptError(f"cannot read checkpoint {prefix}: its data file "
                                     f"{prefix}{_DATA_SUFFIX} does not exist")
    try:
        return tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as e:
        raise CheckpointCorruptError(
            f"cannot read checkpoint {prefix}: its index file {index} is damaged or not a "
            f"checkpoint index ({_reason(e)})") from None


def read_tensors(
    reader: tf.train.CheckpointReader, prefix: str, names: Sequence[str]
) -> dict[str, np.ndarray]:
    """Reads tensors of a checkpoint, each checked against its stored checksum.

    Args:
      reader: `tf.train.load_checkpoint(prefix)`.
      prefix: the checkpoint prefix, for messages.
      names: the tensors to read.

    Returns:
      name -> value.

    Raises:
      CheckpointCorruptError: the data file is truncated or garbled (names the file and the
        first tensor that cannot be read).
    """
    values = {}
    for name in names:
        try:
            values[name] = reader.get_tensor(name)
        except (tf.errors.OpError, IndexError, ValueError) as e:
            data_files = sorted(tf.io.gfile.glob(prefix + ".data-*"))
            problem = ("is truncated or damaged" if data_files else "does not exist")
            raise CheckpointCorruptError(
                f"cannot read checkpoint {prefix}: its data file "
                f"{', '.join(data_files) or prefix + _DATA_SUFFIX} {problem} (reading variable "
                f"'{name}': {_reason(e)})") from None
    return values


def _mismatches(variables: Mapping[str, tf.Variable], shapes: Mapping[str, list],
                stored_names: Mapping[str, str], mismatches: Sequence[VariableMismatch],
                unexpected: Sequence[str]) -> list[str]:
    """One sentence per problem `compare_tf1_checkpoint` found, naming checkpoint names."""
    if not set(variables) & set(shapes):
        # Listing every name would bury the point.
        return [f"it holds none of the model's {len(variables)} variables but "
                f"{len(shapes)} others (e.g. {', '.join(repr(n) for n in sorted(shapes)[:3])})"]
    problems = []
    for mismatch in mismatches:
        name = stored_names[mismatch.name]
        if mismatch.kind == "missing":
            problems.append(f"variable '{name}' {mismatch.model} is missing from the "
                            "checkpoint")
        else:
            problems.append(f"variable '{name}' has {mismatch.kind} {mismatch.checkpoint} in "
                            f"the checkpoint but {mismatch.model} in the model")
    for name in unexpected:
        problems.append(f"the checkpoint has variable '{name}' {list(shapes[name])}, which "
                        "the model does not have")
    return problems


def _overall_difference(model_names: Mapping[str, object], checkpoint_names: Mapping) -> str:
    """" (...)" saying what kind of model wrote the checkpoint when it is not this kind."""
    if not set(model_names) & set(checkpoint_names):
        if _OBJECT_GRAPH_KEY in checkpoint_names:
            return (" (it is an object-based TF 2 checkpoint, e.g. of tf.train.Checkpoint or "
                    "Keras, not a name-keyed translate checkpoint)")
        return " (it is not a checkpoint of this model)"
    differences = []
    ours, theirs = cell_kinds(model_names), cell_kinds(checkpoint_names)
    if ours and theirs and ours != theirs:
        differences.append(f"{'/'.join(theirs)} cells in the checkpoint, {'/'.join(ours)} "
                           "cells in the model")
    our_layers, their_layers = num_layers(model_names), num_layers(checkpoint_names)
    if our_layers != their_layers:
        differences.append(f"{their_layers} layers in the checkpoint, {our_layers} in the model")
    return f" ({'; '.join(differences)})" if differences else ""


def cell_kinds(names: Collection[str]) -> list[str]:
    """The kinds of RNN cell ("GRU", "LSTM", "basic RNN") whose scopes occur in `names`.

    Args:
      names: variable names (or a mapping keyed by them).

    Returns:
      The kinds found, in a fixed order; empty when none is.
    """
    return [kind for scope, kind in _CELL_KINDS if any(scope in name for name in names)]


def num_layers(names: Collection[str]) -> int:
    """The RNN depth that `names` tell: the highest `multi_rnn_cell/cell_<i>` plus one, else 1.

    Args:
      names: variable names (or a mapping keyed by them).

    Returns:
      The number of layers.
    """
    layers = [int(m.group(1)) for name in names for m in [_LAYER_RE.search(name)] if m]
    return max(layers) + 1 if layers else 1
