"""Checkpoints of TF 1.0/1.1 (other variable names) load into our TF 1.15-named models.

``golden_eras/`` holds models built and saved by the real TF 1.0.1 (see
``tools/oracle_tf1/make_tf10_checkpoints.py``) and ``variable_names.json``, the variable
names every builder gets under TF 1.0.1, 1.1.0, 1.2.1, 1.3.0 and 1.15.0.
"""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest
import tensorflow as tf
from numerics import assert_close
from test_template import write_tf1_checkpoint

import legacy_seq2seq as seq2seq
from legacy_seq2seq import checkpoint_names, rnn_cell
from legacy_seq2seq.checkpoint_names import ERA_TF1_0, ERA_TF1_2

HERE = os.path.dirname(os.path.abspath(__file__))
ERAS = os.path.join(HERE, "golden_eras")
CASE_NAMES = sorted(
    d for d in os.listdir(ERAS) if os.path.isfile(os.path.join(ERAS, d, "case.json")))
with open(os.path.join(ERAS, "variable_names.json")) as names_file:
    NAMES_BY_VERSION = json.load(names_file)


def load_case(name: str) -> tuple[dict, dict, str]:
    directory = os.path.join(ERAS, name)
    with open(os.path.join(directory, "case.json")) as f:
        config = json.load(f)
    io = dict(np.load(os.path.join(directory, "io.npz")))
    return config, io, os.path.join(directory, config["checkpoint"])


def make_cell(config: dict) -> rnn_cell.RNNCell:
    def one() -> rnn_cell.RNNCell:
        return getattr(rnn_cell, config["cell"])(config["num_units"], **config["cell_kwargs"])

    if config["num_layers"] == 1:
        return one()
    return rnn_cell.MultiRNNCell([one() for _ in range(config["num_layers"])])


def model_fn(config: dict):
    """The case's model as the generator built it: logits of every step and the state."""

    def fn(encoder_inputs, decoder_inputs, feed_previous):
        projection = None
        if config["output_projection"]:
            output_size = config["cell_kwargs"].get("num_proj", config["num_units"])
            proj_w = tf.compat.v1.get_variable(
                "proj_w", [config["decoder_symbols"], output_size])
            proj_b = tf.compat.v1.get_variable("proj_b", [config["decoder_symbols"]])
            projection = (tf.transpose(proj_w), proj_b)
        outputs, state = seq2seq.embedding_attention_seq2seq(
            encoder_inputs, decoder_inputs, make_cell(config), config["encoder_symbols"],
            config["decoder_symbols"], config["embedding_size"],
            num_heads=config["num_heads"], output_projection=projection,
            feed_previous=feed_previous)
        if projection is not None:
            outputs = [tf.matmul(o, projection[0]) + projection[1] for o in outputs]
        return tf.stack(outputs), tf.nest.flatten(state)

    return fn


def as_inputs(ids: np.ndarray) -> list[tf.Tensor]:
    return [tf.constant(step) for step in ids]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_tf10_checkpoint_reproduces_tf10_outputs(name: str, caplog):
    config, io, prefix = load_case(name)
    assert config["tensorflow_version"] == "1.0.1"
    assert checkpoint_names.detect_checkpoint_era(config["variables"]) == ERA_TF1_0
    template = seq2seq.Template(model_fn(config))
    encoder, decoder = as_inputs(io["encoder_inputs"]), as_inputs(io["decoder_inputs"])
    template(encoder, decoder, False)
    with caplog.at_level(logging.INFO, logger="legacy_seq2seq"):
        loaded = template.load_tf1_checkpoint(prefix)
    assert template.checkpoint_era == ERA_TF1_0
    assert "TensorFlow 1.0-1.1 names" in caplog.text
    assert sorted(loaded) == sorted(template.variables_by_name)
    assert len(loaded) == len(config["variables"])

    outputs, state = template(encoder, decoder, False)
    assert_close(outputs.numpy(), io["outputs"])
    for i, part in enumerate(state):
        assert_close(part.numpy(), io[f"state_{i}"])
    greedy, _ = tf.function(template)(encoder, decoder, True)
    assert_close(greedy.numpy(), io["outputs_feed_previous"])


def test_graph_mode_saver_restores_a_tf10_checkpoint_with_the_mapped_var_list():
    config, io, prefix = load_case("lstm_2layers")
    with tf.Graph().as_default():
        outputs, _ = model_fn(config)(
            as_inputs(io["encoder_inputs"]), as_inputs(io["decoder_inputs"]), False)
        var_list = checkpoint_names.var_list_for_checkpoint(
            tf.compat.v1.global_variables(), prefix)
        assert sorted(var_list) == config["variables"]
        with tf.compat.v1.Session() as session:
            tf.compat.v1.train.Saver(var_list).restore(session, prefix)
            assert_close(session.run(outputs), io["outputs"])


def test_mismatch_error_names_the_era_and_the_old_names(tmp_path):
    config, io, prefix = load_case("gru_1layer")
    reader = tf.train.load_checkpoint(prefix)
    kept = {n: reader.get_tensor(n) for n in config["variables"]
            if not n.endswith("candidate/biases")}
    partial = write_tf1_checkpoint(str(tmp_path / "partial"), kept)
    template = seq2seq.Template(model_fn(config))
    template(as_inputs(io["encoder_inputs"]), as_inputs(io["decoder_inputs"]), False)
    with pytest.raises(seq2seq.TF1CheckpointMismatchError) as error:
        template.load_tf1_checkpoint(partial)
    message = str(error.value)
    assert "TensorFlow 1.0-1.1 names" in message
    assert ("embedding_attention_seq2seq/rnn/embedding_wrapper/gru_cell/candidate/bias "
            "(as embedding_attention_seq2seq/rnn/gru_cell/candidate/biases)") in message


def test_a_checkpoint_with_our_names_is_read_as_tf12_names(tmp_path):
    config, io, prefix = load_case("gru_1layer")
    template = seq2seq.Template(model_fn(config))
    template(as_inputs(io["encoder_inputs"]), as_inputs(io["decoder_inputs"]), False)
    template.load_tf1_checkpoint(prefix)
    arrays = {n: v.numpy() for n, v in template.variables_by_name.items()}
    template.load_tf1_checkpoint(write_tf1_checkpoint(str(tmp_path / "current"), arrays))
    assert template.checkpoint_era == ERA_TF1_2


@pytest.mark.parametrize("old_version", ["1.0.1", "1.1.0"])
def test_mapping_turns_every_tf115_name_into_the_old_name(old_version: str):
    checked = 0
    for builder, new in NAMES_BY_VERSION["1.15.0"].items():
        old = NAMES_BY_VERSION[old_version][builder]
        if "error" in old:  # the old version could not build it (TF 1.x bugs)
            continue
        assert {checkpoint_names.tf1_0_name(n): s for n, s in new.items()} == old, builder
        assert checkpoint_names.detect_checkpoint_era(old) == ERA_TF1_0, builder
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("version", ["1.2.1", "1.3.0"])
def test_tf12_and_tf13_names_are_the_tf115_names(version: str):
    assert NAMES_BY_VERSION[version] == NAMES_BY_VERSION["1.15.0"]
    for names in NAMES_BY_VERSION[version].values():
        assert checkpoint_names.detect_checkpoint_era(names) == ERA_TF1_2


def test_a_model_variable_called_weights_does_not_mislead_the_era():
    model = ["m/rnn/embedding_wrapper/gru_cell/gates/kernel", "m/weights"]
    era, names = checkpoint_names.match_checkpoint_names(model, model)
    assert era == ERA_TF1_2 and names == {n: n for n in model}
    old = [checkpoint_names.tf1_0_name(n) for n in model]
    assert old == ["m/rnn/gru_cell/gates/weights", "m/weights"]
    era, names = checkpoint_names.match_checkpoint_names(model, old)
    assert era == ERA_TF1_0 and sorted(names.values()) == sorted(old)
