"""Checkpoints with TF 1.0/1.1 variable names (`legacy_seq2seq.checkpoint_names`) decode too.

The golden TF 1.15 checkpoints are rewritten under the names TF 1.0 gave the same weights
(`tf1_0_name`: weights/biases, wrapped cells outside the wrapper's scope)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf
from features_testlib import golden_model, hparams_from_flags
from translate_testlib import copy_golden, read_flags, run_cli

from legacy_seq2seq.checkpoint_names import tf1_0_name
from translate.model_setup import create_model


def rename_to_tf1_0(prefix: str) -> dict[str, str]:
    """Rewrites the checkpoint `prefix` in place with TF 1.0 names; returns new -> old."""
    reader = tf.train.load_checkpoint(prefix)
    names = sorted(reader.get_variable_to_shape_map())
    values = [reader.get_tensor(name) for name in names]
    renamed = [tf1_0_name(name) for name in names]
    for path in tf.io.gfile.glob(prefix + ".*"):
        os.remove(path)
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=renamed, shape_and_slices=[""] * len(names),
                      tensors=values)
    return dict(zip(renamed, names))


@pytest.mark.slow
def test_decode_of_a_tf1_0_checkpoint_prints_the_originals_output(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    mapping = rename_to_tf1_0(os.path.join(directory, "train", "translate.ckpt-2000"))
    assert "embedding_attention_seq2seq/rnn/basic_lstm_cell/weights" in mapping
    with open(os.path.join(directory, "decode_input.txt"), "rb") as f:
        stdin = f.read()
    proc = run_cli(["--decode", "--data_dir=data", "--train_dir=train",
                    *read_flags(directory)], cwd=directory, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    with open(os.path.join(directory, "decode_stdout.txt"), "rb") as f:
        assert proc.stdout == f.read()
    assert ("Checkpoint train/translate.ckpt-2000 has TensorFlow 1.0-1.1 names"
            in proc.stderr.decode())


def test_a_tf1_0_checkpoint_restores_every_weight(tmp_path):
    directory = copy_golden("gru2_sampled", str(tmp_path))
    mapping = rename_to_tf1_0(os.path.join(directory, "train", "translate.ckpt-3000"))
    assert any(name != old for name, old in mapping.items())
    model = create_model(hparams_from_flags(read_flags(directory)),
                         os.path.join(directory, "train"), forward_only=True)
    original = golden_model("gru2_sampled").model.variables_by_name
    for name, variable in model.variables_by_name.items():
        np.testing.assert_array_equal(variable.numpy(), original[name].numpy(), err_msg=name)
