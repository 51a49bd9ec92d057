"""Checkpoints under faults: failed writes change nothing, damaged files are named, no silent
fallback to another checkpoint, and `--keep_checkpoints`."""

from __future__ import annotations

import errno
import os
import pathlib
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf
from translate_testlib import TINY_FLAGS, copy_golden, read_flags, run_cli

from translate import checkpoints
from translate.hparams import HParams
from translate.model_setup import create_model
from translate.seq2seq_model import Seq2SeqModel

DATA = "translate.ckpt-1.data-00000-of-00001"


def small_model(size: int = 8, num_layers: int = 1, **kwargs) -> Seq2SeqModel:
    return Seq2SeqModel(20, 20, [(3, 4)], size, num_layers, 5.0, 2, 0.5, 0.9, num_samples=8,
                        **kwargs)


def snapshot(directory) -> dict[str, bytes]:
    """Every file of `directory` with its bytes."""
    return {name: (directory / name).read_bytes() for name in sorted(os.listdir(directory))}


def values_of(model: Seq2SeqModel) -> dict[str, np.ndarray]:
    return {name: v.numpy().copy() for name, v in model.variables_by_name.items()}


@pytest.fixture
def saved(tmp_path):
    """A model with a checkpoint at step 1 in tmp_path, then changed (step 2, new values)."""
    model = small_model()
    model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=1)
    at_step_1 = values_of(model)
    for var in model.variables_by_name.values():
        var.assign(var + tf.ones_like(var))
    return model, at_step_1


# ------------------------------------------------------------------------- write failures

def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fail_state_rename(real_replace):
    def replace(src, dst):
        if os.path.basename(dst) == "checkpoint":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), dst)
        real_replace(src, dst)
    return replace


def fail_index_rename(real_replace):
    def replace(src, dst):
        if dst.endswith(".index"):
            raise OSError(errno.EIO, os.strerror(errno.EIO), dst)
        real_replace(src, dst)
    return replace


def fail_tensor_write(*args, **kwargs):
    raise tf.errors.ResourceExhaustedError(None, None, "ckpt.data-00000-of-00001.tempstate1; "
                                                       "No space left on device")


@pytest.mark.parametrize("fault,cause", [
    ("tensors", "No space left on device"),
    ("fsync", "No space left on device"),
    ("index_rename", "Input/output error"),
    ("state_rename", "Read-only file system"),
])
def test_failed_save_changes_nothing_and_says_why(tmp_path, monkeypatch, saved, fault, cause):
    model, at_step_1 = saved
    before = snapshot(tmp_path)
    if fault == "tensors":
        monkeypatch.setattr(tf.raw_ops, "SaveV2", fail_tensor_write)
    elif fault == "fsync":
        monkeypatch.setattr(os, "fsync", enospc)
    elif fault == "index_rename":
        monkeypatch.setattr(os, "replace", fail_index_rename(os.replace))
    else:
        monkeypatch.setattr(os, "replace", fail_state_rename(os.replace))
    prefix = str(tmp_path / "translate.ckpt-2")
    with pytest.raises(checkpoints.CheckpointWriteError) as error:
        checkpoints.save_checkpoint(model.variables_by_name, prefix)
    monkeypatch.undo()
    message = str(error.value)
    assert message.startswith(f"cannot write checkpoint {prefix}: ")
    assert cause in message
    assert message.endswith(f"still names {tmp_path / 'translate.ckpt-1'}.")
    assert isinstance(error.value, OSError)
    # Byte for byte what was there, and nothing more (no temporaries, no half checkpoint).
    assert snapshot(tmp_path) == before
    other = small_model()
    other.saver.restore(None, checkpoints.resolve_checkpoint(str(tmp_path)))
    for name, value in values_of(other).items():
        np.testing.assert_array_equal(value, at_step_1[name])
    # Once the disk has room again, saving works.
    checkpoints.save_checkpoint(model.variables_by_name, prefix)
    assert checkpoints.latest_checkpoint(str(tmp_path)) == prefix


@pytest.mark.parametrize("replaced,latest_after", [(2, 1), (1, 2)])
def test_failed_save_over_a_listed_checkpoint_unlists_it_first(tmp_path, monkeypatch, replaced,
                                                              latest_after):
    # Training resumed with --checkpoint_path from an older checkpoint saves the same steps
    # again; the state must never name a half-replaced checkpoint.
    model = small_model()
    for step in (1, 2):
        checkpoints.save_checkpoint(model.variables_by_name,
                                    str(tmp_path / f"translate.ckpt-{step}"))
    kept = snapshot(tmp_path)
    monkeypatch.setattr(os, "replace", fail_index_rename(os.replace))
    prefix = str(tmp_path / f"translate.ckpt-{replaced}")
    with pytest.raises(checkpoints.CheckpointWriteError,
                       match=rf"Input/output error.*\. The checkpoint being replaced is no longer "
                             rf"listed; .*/checkpoint now names .*/translate\.ckpt-"
                             rf"{latest_after}\.$"):
        checkpoints.save_checkpoint(model.variables_by_name, prefix)
    monkeypatch.undo()
    assert checkpoints.resolve_checkpoint(str(tmp_path)) == str(
        tmp_path / f"translate.ckpt-{latest_after}")
    assert not checkpoints.checkpoint_exists(prefix)
    survivor = f"translate.ckpt-{latest_after}"
    for name in (f"{survivor}.index", f"{survivor}.data-00000-of-00001"):
        assert (tmp_path / name).read_bytes() == kept[name]


def test_save_over_a_listed_checkpoint_makes_it_the_latest(tmp_path):
    model = small_model()
    for step in (1, 2, 3, 2):
        checkpoints.save_checkpoint(model.variables_by_name,
                                    str(tmp_path / f"translate.ckpt-{step}"))
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == str(tmp_path / "translate.ckpt-2")
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        "translate.ckpt-1", "translate.ckpt-3", "translate.ckpt-2"]


def test_save_into_a_path_under_a_file(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    prefix = str(tmp_path / "file" / "train" / "translate.ckpt-1")
    with pytest.raises(checkpoints.CheckpointWriteError,
                       match=r"cannot write checkpoint .*file/train/translate\.ckpt-1: .*"
                             r"not a directory.*was not written\.$"):
        checkpoints.save_checkpoint(small_model().variables_by_name, prefix)


def test_keep_checkpoints(tmp_path):
    model = small_model()
    for keep, directory in ((2, tmp_path / "two"), (0, tmp_path / "all")):
        for step in range(1, 8):
            checkpoints.save_checkpoint(model.variables_by_name,
                                        str(directory / f"translate.ckpt-{step}"), keep)
        steps = sorted(int(f.split("-")[1].split(".")[0]) for f in os.listdir(directory)
                       if f.endswith(".index"))
        assert steps == ([6, 7] if keep else list(range(1, 8)))
        state = tf.train.get_checkpoint_state(str(directory))
        assert [int(p.rsplit("-", 1)[1]) for p in state.all_model_checkpoint_paths] == steps
    with pytest.raises(ValueError, match="max_to_keep must be 0 .* got -1"):
        checkpoints.save_checkpoint(model.variables_by_name, str(tmp_path / "x-1"), -1)


def test_failed_deletion_of_an_old_checkpoint_is_a_warning(tmp_path, monkeypatch, capsys):
    model = small_model()
    checkpoints.save_checkpoint(model.variables_by_name, str(tmp_path / "translate.ckpt-1"), 1)
    monkeypatch.setattr(os, "remove", enospc)
    checkpoints.save_checkpoint(model.variables_by_name, str(tmp_path / "translate.ckpt-2"), 1)
    monkeypatch.undo()
    assert checkpoints.latest_checkpoint(str(tmp_path)) == str(tmp_path / "translate.ckpt-2")
    assert "Warning: could not delete old checkpoint file" in capsys.readouterr().err


def test_old_checkpoints_lose_their_index_first(tmp_path, monkeypatch):
    # A kill half-way through the deletion must not leave an index without its data.
    model = small_model()
    checkpoints.save_checkpoint(model.variables_by_name, str(tmp_path / "translate.ckpt-1"), 1)
    removed = []
    real_remove = os.remove
    monkeypatch.setattr(os, "remove", lambda path: (removed.append(path), real_remove(path)))
    checkpoints.save_checkpoint(model.variables_by_name, str(tmp_path / "translate.ckpt-2"), 1)
    assert [os.path.basename(p) for p in removed] == [
        "translate.ckpt-1.index", "translate.ckpt-1.data-00000-of-00001"]


# ------------------------------------------------------------------------ damaged files

def damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        path.write_bytes(data[:100] + bytes(b ^ 0xFF for b in data[100:140]) + data[140:])
    elif how == "garbage":
        path.write_bytes(os.urandom(len(data)))
    else:
        path.unlink()


@pytest.mark.parametrize("file,how,problem", [
    (DATA, "truncate", r"its data file .*ckpt-1\.data-00000-of-00001 is truncated or damaged "
                       r"\(reading variable '.+': Read less bytes than requested\)"),
    (DATA, "flip", r"its data file .*ckpt-1\.data-00000-of-00001 is truncated or damaged "
                   r"\(reading variable '.+': .*Checksum does not match"),
    (DATA, "delete", r"its data file .*ckpt-1\.data-00000-of-00001 does not exist"),
    ("translate.ckpt-1.index", "garbage", r"its index file .*ckpt-1\.index is damaged or not a "
                                          r"checkpoint index"),
    ("translate.ckpt-1.index", "truncate", r"its index file .*ckpt-1\.index is damaged"),
])
def test_damaged_checkpoint_is_named_and_nothing_is_restored(tmp_path, saved, file, how,
                                                             problem):
    model, _ = saved
    damage(tmp_path / file, how)
    before = values_of(model)
    with pytest.raises(checkpoints.CheckpointCorruptError,
                       match=f"^cannot read checkpoint {re.escape(str(tmp_path))}/translate"
                             rf"\.ckpt-1: {problem}") as error:
        model.saver.restore(None, str(tmp_path / "translate.ckpt-1"))
    assert "\n" not in str(error.value)
    for name, value in values_of(model).items():
        np.testing.assert_array_equal(value, before[name])


def test_checkpoint_of_lstm_cells_restored_into_gru_cells(tmp_path):
    prefix = small_model(use_lstm=True).saver.save(None, str(tmp_path / "t.ckpt"), global_step=1)
    with pytest.raises(checkpoints.CheckpointMismatchError,
                       match=r"does not fit the model \(LSTM cells in the checkpoint, GRU cells "
                             r"in the model\): "):
        small_model().saver.restore(None, prefix)


def test_checkpoint_of_another_depth_says_so_first(tmp_path):
    prefix = small_model(num_layers=2).saver.save(None, str(tmp_path / "t.ckpt"), global_step=1)
    with pytest.raises(checkpoints.CheckpointMismatchError,
                       match=r"does not fit the model \(2 layers in the checkpoint, 1 in the "
                             r"model\): "):
        small_model().saver.restore(None, prefix)


def test_object_based_tf2_checkpoint(tmp_path):
    prefix = tf.train.Checkpoint(layer=tf.Variable(tf.zeros([3]))).write(str(tmp_path / "obj"))
    with pytest.raises(checkpoints.CheckpointMismatchError) as error:
        small_model().saver.restore(None, prefix)
    message = str(error.value)
    assert "(it is an object-based TF 2 checkpoint" in message
    assert re.search(r"it holds none of the model's \d+ variables but \d+ others \(e\.g\. ",
                     message)
    assert "is missing" not in message  # no wall of names


def test_name_keyed_checkpoint_of_something_else(tmp_path):
    prefix = str(tmp_path / "other")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["dense/kernel"], shape_and_slices=[""],
                      tensors=[tf.zeros([2, 2])])
    with pytest.raises(checkpoints.CheckpointMismatchError,
                       match=r"\(it is not a checkpoint of this model\): it holds none of the "
                             r"model's \d+ variables but 1 others \(e\.g\. 'dense/kernel'\)"):
        small_model().saver.restore(None, prefix)


# --------------------------------------------------- which checkpoint: no silent fallback

@pytest.fixture
def three_checkpoints(tmp_path):
    model = small_model()
    for step in (1, 2, 3):
        model.global_step.assign(step)
        model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=step)
    return tmp_path


@pytest.mark.parametrize("content,problem", [
    (b"model_checkpoint_path: {{{", r"checkpoint state file .*/checkpoint is damaged \("),
    (b"\xff\xfe\x00garbage", r"checkpoint state file .*/checkpoint is damaged \("),
    (b"", r"checkpoint state file .*/checkpoint names no checkpoint"),
    (b'model_checkpoint_path: "translate.ckpt-9"',
     r"/checkpoint names the checkpoint .*translate\.ckpt-9, which does not exist"),
])
def test_bad_state_file_is_an_error_not_a_fresh_start(three_checkpoints, content, problem):
    (three_checkpoints / "checkpoint").write_bytes(content)
    with pytest.raises(checkpoints.CheckpointCorruptError, match=problem) as error:
        checkpoints.resolve_checkpoint(str(three_checkpoints))
    assert str(error.value).endswith(
        f"Other checkpoints in {three_checkpoints}: translate.ckpt-3, translate.ckpt-2, "
        f"translate.ckpt-1; to use one, pass --checkpoint_path="
        f"{three_checkpoints / 'translate.ckpt-3'}.")


def test_checkpoint_path_chooses_an_older_one(three_checkpoints, capsys):
    hparams = HParams(size=8, num_layers=1, from_vocab_size=20, to_vocab_size=20,
                      batch_size=2, num_samples=8, buckets=((3, 4),))
    older = str(three_checkpoints / "translate.ckpt-2")
    model = create_model(hparams, str(three_checkpoints), False, checkpoint_path=older)
    assert int(model.global_step.numpy()) == 2
    assert capsys.readouterr().out == f"Reading model parameters from {older}\n"
    with pytest.raises(checkpoints.CheckpointCorruptError,
                       match=r"no checkpoint at --checkpoint_path=.*translate\.ckpt-7: it needs "
                             r"the files .*ckpt-7\.index and .*ckpt-7\.data-00000-of-00001\. "
                             r"Other checkpoints in .*: translate\.ckpt-3, "):
        create_model(hparams, str(three_checkpoints), False,
                     checkpoint_path=str(three_checkpoints / "translate.ckpt-7"))


def test_damaged_latest_names_the_older_ones(three_checkpoints):
    hparams = HParams(size=8, num_layers=1, from_vocab_size=20, to_vocab_size=20,
                      batch_size=2, num_samples=8, buckets=((3, 4),))
    damage(three_checkpoints / "translate.ckpt-3.data-00000-of-00001", "truncate")
    with pytest.raises(checkpoints.CheckpointCorruptError) as error:
        create_model(hparams, str(three_checkpoints), False)
    assert re.fullmatch(
        r"cannot read checkpoint .*translate\.ckpt-3: its data file .* is truncated or damaged "
        r"\(.*\)\. Other checkpoints in .*: translate\.ckpt-2, translate\.ckpt-1; to use one, "
        r"pass --checkpoint_path=.*translate\.ckpt-2\.", str(error.value))


# ------------------------------------------------------------------------- command line

@pytest.fixture
def tiny_copy(tiny_trained, tmp_path) -> dict[str, str]:
    """A writable copy of the tiny model's data and train directories (checkpoints 10, 20)."""
    data_dir, train_dir = str(tmp_path / "data"), str(tmp_path / "train")
    shutil.copytree(tiny_trained["data_dir"], data_dir)
    shutil.copytree(tiny_trained["train_dir"], train_dir)
    return {"data_dir": data_dir, "train_dir": train_dir, "root": str(tmp_path)}


def decode(copy: dict[str, str], *extra: str, stdin: bytes = b"twenty-one\n"):
    return run_cli(["--decode", f"--data_dir={copy['data_dir']}",
                    f"--train_dir={copy['train_dir']}", *TINY_FLAGS, *extra],
                   cwd=copy["root"], stdin=stdin)


@pytest.mark.slow
def test_decode_with_a_damaged_latest_checkpoint_needs_checkpoint_path(tiny_copy):
    train_dir = tiny_copy["train_dir"]
    damage(pathlib.Path(train_dir) / "translate.ckpt-20.index", "garbage")
    proc = decode(tiny_copy)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    error_lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert error_lines == [
        f"Error: cannot read checkpoint {train_dir}/translate.ckpt-20: its index file "
        f"{train_dir}/translate.ckpt-20.index is damaged or not a checkpoint index "
        f"(not an sstable (bad magic number)). Other checkpoints in {train_dir}: "
        f"translate.ckpt-10; to use one, pass --checkpoint_path={train_dir}/translate.ckpt-10."]
    assert b"> " not in proc.stdout
    fallback = decode(tiny_copy, f"--checkpoint_path={train_dir}/translate.ckpt-10")
    assert fallback.returncode == 0, fallback.stderr.decode()[-3000:]
    out = fallback.stdout.decode()
    assert out.startswith(f"Reading model parameters from {train_dir}/translate.ckpt-10\n> ")
    assert out.count("> ") == 2


@pytest.mark.slow
def test_decode_with_a_vocabulary_larger_than_the_model(tiny_copy):
    path = os.path.join(tiny_copy["data_dir"], "vocab100.from")
    with open(path, "ab") as f:
        f.write(b"".join(b"extra%d\n" % i for i in range(5)))
    proc = decode(tiny_copy)
    assert proc.returncode == 1
    assert f"Error: vocabulary file {path} has 105 entries but the model has 100 " \
           "(--from_vocab_size=100)" in proc.stderr.decode()


@pytest.mark.slow
def test_decode_a_checkpoint_of_lstm_cells_as_gru(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    flags = [f for f in read_flags(directory) if f != "--use_lstm"]
    proc = run_cli(["--decode", "--data_dir=data", "--train_dir=train", *flags,
                    "--nouse_lstm"], cwd=directory, stdin=b"hello\n")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "Error: --nouse_lstm contradicts the checkpoint in train (trained with "
        "--use_lstm): drop --use_lstm or pass --use_lstm")
