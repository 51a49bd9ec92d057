"""Checkpoint files: TF 1.x names, crash-safe saving, clear errors on mismatched models."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from translate_testlib import TF1_CKPT

from translate import checkpoints
from translate.seq2seq_model import Seq2SeqModel


def small_model(size: int = 8, num_layers: int = 1, vocab: int = 20, **kwargs) -> Seq2SeqModel:
    return Seq2SeqModel(vocab, vocab, [(3, 4)], size, num_layers, 5.0, 2, 0.5, 0.9,
                        num_samples=8, **kwargs)


def test_saved_checkpoint_is_name_keyed_like_tf1(tmp_path):
    model = small_model()
    model.learning_rate.assign(0.25)
    model.global_step.assign(7)
    prefix = model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=model.global_step)
    assert prefix == str(tmp_path / "translate.ckpt-7")
    reader = tf.train.load_checkpoint(prefix)
    assert set(reader.get_variable_to_shape_map()) == set(model.variables_by_name)
    assert reader.get_tensor("Variable") == np.float32(0.25)
    assert reader.get_tensor("Variable_1") == 7
    assert reader.get_variable_to_dtype_map()["Variable_1"] == tf.int32
    np.testing.assert_array_equal(reader.get_tensor("proj_w"),
                                  model.variables_by_name["proj_w"].numpy())
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == prefix
    assert sorted(os.listdir(tmp_path)) == [
        "checkpoint", "translate.ckpt-7.data-00000-of-00001", "translate.ckpt-7.index"]


def test_restore_round_trip(tmp_path):
    model = small_model()
    model.global_step.assign(3)
    prefix = model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=3)
    other = small_model()
    other.saver.restore(None, prefix)
    for name, var in model.variables_by_name.items():
        np.testing.assert_array_equal(other.variables_by_name[name].numpy(), var.numpy())


def test_keeps_the_last_five_and_state_lists_them(tmp_path):
    model = small_model()
    for step in range(1, 8):
        model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=step)
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        f"translate.ckpt-{s}" for s in range(3, 8)]
    indexes = sorted(f for f in os.listdir(tmp_path) if f.endswith(".index"))
    assert indexes == [f"translate.ckpt-{s}.index" for s in range(3, 8)]
    # Paths are stored relative to the directory, so the directory can move.
    with open(tmp_path / "checkpoint") as f:
        assert 'model_checkpoint_path: "translate.ckpt-7"' in f.read()


def test_crash_during_save_leaves_the_previous_checkpoint_latest(tmp_path, monkeypatch):
    model = small_model()
    model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=1)
    real_replace = os.replace

    def dying_replace(src, dst):
        if dst.endswith(".index"):
            raise OSError("simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(OSError, match="simulated crash"):
        model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=2)
    monkeypatch.setattr(os, "replace", real_replace)
    # The half-written checkpoint 2 (data renamed, index not) is not the latest, does not
    # count as a checkpoint, and what it wrote is gone.
    assert checkpoints.latest_checkpoint(str(tmp_path)) == str(tmp_path / "translate.ckpt-1")
    assert not checkpoints.checkpoint_exists(str(tmp_path / "translate.ckpt-2"))
    assert sorted(os.listdir(tmp_path)) == [
        "checkpoint", "translate.ckpt-1.data-00000-of-00001", "translate.ckpt-1.index"]
    # A save killed half-way cannot clean up after itself; the next save does.
    (tmp_path / f"translate.ckpt-2.tmp-{'0a' * 16}.index").write_bytes(b"partial")
    (tmp_path / f"translate.ckpt-2.tmp-{'0a' * 16}.data-00000-of-00001.tempstate123"
     ).write_bytes(b"partial")
    (tmp_path / f"checkpoint.tmp-{'4c' * 16}").write_bytes(b"partial")
    # Temporary files of others (the directory may be shared, e.g. /tmp) stay.
    (tmp_path / "vocab100.to.tmp-123-4567abcd").write_bytes(b"someone else's")
    model.saver.save(None, str(tmp_path / "translate.ckpt"), global_step=3)
    assert [f for f in os.listdir(tmp_path) if ".tmp-" in f] == ["vocab100.to.tmp-123-4567abcd"]
    assert checkpoints.latest_checkpoint(str(tmp_path)) == str(tmp_path / "translate.ckpt-3")


def test_no_checkpoint(tmp_path):
    assert checkpoints.latest_checkpoint(str(tmp_path)) is None
    assert checkpoints.latest_checkpoint(str(tmp_path / "missing")) is None


def test_moved_tf1_directory_with_absolute_paths(tmp_path, capsys):
    train = tmp_path / "train"
    shutil.copytree(os.path.join(TF1_CKPT, "lstm1_full", "train"), train)
    # TF 1.x writes absolute paths; after a move they point nowhere.
    (train / "checkpoint").write_text(
        'model_checkpoint_path: "/elsewhere/train/translate.ckpt-2000"\n'
        'all_model_checkpoint_paths: "/elsewhere/train/translate.ckpt-2000"\n')
    assert checkpoints.latest_checkpoint(str(train)) == str(train / "translate.ckpt-2000")
    assert "does not exist; using" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs,expected", [
    (dict(size=16), r"variable 'proj_w' has shape \[20, 8\] in the checkpoint but \[20, 16\] "
                    r"in the model"),
    (dict(vocab=30), r"variable 'proj_b' has shape \[20\] in the checkpoint but \[30\]"),
    (dict(num_layers=2), r"variable 'embedding_attention_seq2seq/rnn/embedding_wrapper/"
                         r"multi_rnn_cell/cell_0/gru_cell/gates/kernel' \[16, 16\] is missing"),
    (dict(use_lstm=True), r"basic_lstm_cell/kernel' \[16, 32\] is missing"),
    (dict(dtype=tf.float16), r"variable 'Variable' has dtype float32 in the checkpoint but "
                             r"float16 in the model"),
])
def test_mismatched_model_is_one_clear_error(tmp_path, kwargs, expected):
    prefix = small_model().saver.save(None, str(tmp_path / "translate.ckpt"), global_step=1)
    other = small_model(**kwargs)
    before = {name: v.numpy().copy() for name, v in other.variables_by_name.items()}
    with pytest.raises(checkpoints.CheckpointMismatchError, match=expected) as error:
        other.saver.restore(None, prefix)
    assert "pass the --size, --num_layers, --from_vocab_size, --to_vocab_size" in str(
        error.value)
    # Nothing was half-restored.
    for name, var in other.variables_by_name.items():
        np.testing.assert_array_equal(var.numpy(), before[name])


def test_unexpected_variables_are_named(tmp_path):
    prefix = small_model(num_layers=2).saver.save(None, str(tmp_path / "t.ckpt"), global_step=1)
    with pytest.raises(checkpoints.CheckpointMismatchError,
                       match=r"the checkpoint has variable '.*multi_rnn_cell/cell_1/"):
        small_model(num_layers=1).saver.restore(None, prefix)


def test_unreadable_checkpoint(tmp_path):
    (tmp_path / "broken.index").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        small_model().saver.restore(None, str(tmp_path / "broken"))
