"""The cells' TF 1.15 API beyond `cell(inputs, state)`: copying, eager ownership, Keras-layer
attributes, variational dropout, and `legacy_seq2seq.testing`.

Numbers against TF 1.15 for these features are in `test_tf1_programs.py`; this file checks
the behaviour around them.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import tensorflow as tf

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell, testing

v1 = tf.compat.v1


def gru_names(prefix: str) -> list[str]:
    return [f"{prefix}gru_cell/{part}:0" for part in
            ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias")]


# -- deep copy ---------------------------------------------------------------------------

def test_deepcopy_of_a_built_graph_cell_with_tensor_arguments_shares_them():
    with tf.Graph().as_default():
        keep = v1.placeholder(tf.float32, [], name="keep")
        cell = rnn_cell.MultiRNNCell([
            rnn_cell.DropoutWrapper(rnn_cell.GRUCell(3), output_keep_prob=keep),
            rnn_cell.DropoutWrapper(rnn_cell.BasicLSTMCell(3), state_keep_prob=0.5,
                                    variational_recurrent=True, dtype=tf.float32)])
        cell(tf.ones([2, 4]), cell.zero_state(2, tf.float32))
        assert cell.built and len(cell.weights) == 6
        clone = copy.deepcopy(cell)
        assert not clone.built and clone.weights == [] and clone.scope_name is None
        dropout, variational = clone._cells
        assert dropout._output_keep_prob is keep  # the feed still switches dropout
        assert all(a is b for a, b in zip(variational._noise["state"],
                                          cell._cells[1]._noise["state"]))  # the same masks
        assert dropout.wrapped_cell is not cell._cells[0].wrapped_cell
        with v1.variable_scope("copy"):
            output, _ = clone(tf.ones([2, 4]), clone.zero_state(2, tf.float32))
        assert [v.name for v in clone.weights][:4] == gru_names("copy/multi_rnn_cell/cell_0/")
        assert len(v1.trainable_variables()) == 12  # the copy has variables of its own


def test_one_cell_shared_by_four_buckets_builds_in_graph_mode():
    with tf.Graph().as_default():
        cell = rnn_cell.MultiRNNCell([rnn_cell.GRUCell(4) for _ in range(2)])
        encoder = [v1.placeholder(tf.int32, [None]) for _ in range(5)]
        decoder = [v1.placeholder(tf.int32, [None]) for _ in range(6)]
        weights = [v1.placeholder(tf.float32, [None]) for _ in range(5)]
        _, losses = seq2seq.model_with_buckets(
            encoder, decoder, decoder[1:], weights, [(2, 3), (3, 4), (4, 5), (5, 5)],
            lambda x, y: seq2seq.embedding_attention_seq2seq(x, y, cell, 7, 7, 4))
        assert len(losses) == 4
        names = {v.op.name for v in v1.trainable_variables()}
        assert ("embedding_attention_seq2seq/rnn/embedding_wrapper/multi_rnn_cell/cell_1/"
                "gru_cell/gates/kernel") in names
        assert not any("gru_cell_1" in name for name in names)


@pytest.mark.parametrize("in_function", [False, True], ids=["eager", "tf.function"])
def test_deepcopy_of_an_eagerly_built_cell_is_unbuilt_and_independent(in_function):
    cell = rnn_cell.DropoutWrapper(rnn_cell.GRUCell(3), output_keep_prob=tf.constant(0.5))
    step = (tf.function(lambda x, h: cell(x, h)) if in_function else cell)
    step(tf.ones([2, 4]), tf.zeros([2, 3]))
    clone = copy.deepcopy(cell)
    assert not clone.built and clone.weights == []
    clone(tf.ones([2, 4]), tf.zeros([2, 3]))
    assert len(clone.weights) == 4
    assert all(a is not b for a, b in zip(clone.weights, cell.weights))


# -- eager ownership -----------------------------------------------------------------------

def test_a_cell_called_eagerly_owns_and_reuses_its_variables():
    cell = rnn_cell.GRUCell(3, kernel_initializer=tf.constant_initializer(0.5))
    x, h = tf.ones([1, 2]), tf.fill([1, 3], 0.1)
    with tf.GradientTape() as tape:
        first, _ = cell(x, h)
        loss = tf.reduce_sum(first)
    second, _ = cell(x, h)
    assert [v.name for v in cell.trainable_variables] == gru_names("")
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    gradients = tape.gradient(loss, cell.trainable_variables)
    assert all(g is not None for g in gradients)
    cell.trainable_variables[0].assign_add(tf.ones([5, 6]))
    assert not np.allclose(cell(x, h)[0].numpy(), first.numpy())  # the same variables


def test_a_cell_first_called_in_a_tf_function_makes_its_variables_once():
    cell = rnn_cell.BasicLSTMCell(2)
    step = tf.function(lambda x: cell(x, cell.zero_state(tf.shape(x)[0], tf.float32))[0])
    step(tf.ones([1, 3]))
    step(tf.ones([1, 3]) * 2)
    step(tf.ones([2, 3]))  # a retrace
    assert [v.name for v in cell.variables] == ["basic_lstm_cell/kernel:0",
                                                "basic_lstm_cell/bias:0"]


def test_a_function_making_variables_eagerly_outside_a_template_still_raises():
    with pytest.raises(RuntimeError, match="outside a legacy_seq2seq.Template"):
        seq2seq.embedding_rnn_seq2seq([tf.zeros([2], tf.int32)], [tf.zeros([2], tf.int32)],
                                      rnn_cell.GRUCell(3), 5, 5, 3)


def test_a_cell_inside_a_template_leaves_its_variables_to_the_template():
    cell = rnn_cell.GRUCell(3)
    template = seq2seq.Template(lambda: cell(tf.ones([1, 2]), tf.zeros([1, 3])))
    template()
    assert cell._owner is None
    assert list(template.variables_by_name) == [n[:-2] for n in gru_names("")]
    assert [v.name for v in cell.weights] == gru_names("")


# -- Keras-layer API -------------------------------------------------------------------------

def test_build_makes_the_variables_a_later_call_uses():
    with tf.Graph().as_default():
        cell = rnn_cell.LSTMCell(4, num_proj=2, dtype=tf.float64)
        assert not cell.built and cell.dtype == tf.float64
        cell.build(tf.TensorShape([None, 3]))
        assert cell.built
        assert [(v.op.name, v.shape.as_list()) for v in cell.weights] == [
            ("lstm_cell/kernel", [5, 16]), ("lstm_cell/bias", [16]),
            ("lstm_cell/projection/kernel", [4, 2])]
        assert cell._bias.dtype.base_dtype == tf.float64
        cell(tf.ones([1, 3], tf.float64), cell.zero_state(1, tf.float64))
        assert len(v1.global_variables()) == 3


def test_dtype_is_set_by_the_first_call():
    with tf.Graph().as_default():
        cell = rnn_cell.GRUCell(2)
        assert cell.dtype is None
        cell(tf.ones([1, 2], tf.float16), tf.zeros([1, 2], tf.float16))
        assert cell.dtype == "float16" and cell.get_config()["dtype"] == "float16"


def test_trainable_false_and_a_not_trainable_getter_give_non_trainable_weights():
    with tf.Graph().as_default():
        cell = rnn_cell.BasicRNNCell(2, trainable=False)
        cell(tf.ones([1, 2]), tf.zeros([1, 2]))
        assert cell.trainable_weights == []
        assert [v.op.name for v in cell.non_trainable_weights] == [
            "basic_rnn_cell/kernel", "basic_rnn_cell/bias"]


ROUND_TRIPS = {
    "gru": lambda: rnn_cell.GRUCell(4, activation=tf.nn.relu, name="g"),
    "lstm": lambda: rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=2, forget_bias=0.5),
    "layer_norm": lambda: rnn_cell.LayerNormBasicLSTMCell(3, layer_norm=False),
    "multi": lambda: rnn_cell.MultiRNNCell([rnn_cell.GRUCell(2), rnn_cell.BasicLSTMCell(3)]),
    "dropout": lambda: rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), 0.5, seed=3,
                                               dropout_state_filter_visitor=lambda s: False),
    "residual": lambda: rnn_cell.ResidualWrapper(rnn_cell.GRUCell(2), lambda i, o: i - o),
    "device": lambda: rnn_cell.DeviceWrapper(rnn_cell.BasicRNNCell(2), "/cpu:0"),
    "embedding": lambda: rnn_cell.EmbeddingWrapper(rnn_cell.GRUCell(2), 7, 3),
    "output_projection": lambda: rnn_cell.OutputProjectionWrapper(rnn_cell.GRUCell(2), 5),
}


@pytest.mark.parametrize("make", ROUND_TRIPS.values(), ids=list(ROUND_TRIPS))
def test_get_config_from_config_round_trip(make):
    cell = make()
    config = cell.get_config()
    rebuilt = type(cell).from_config(config)
    assert type(rebuilt) is type(cell)
    assert rebuilt.get_config() == config
    assert rebuilt.state_size == cell.state_size and rebuilt.output_size == cell.output_size


def test_from_config_names_an_unknown_cell_class():
    config = rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2)).get_config()
    config["cell"] = {"class_name": "NASCell", "config": {}}
    with pytest.raises(ValueError, match="unknown cell class 'NASCell'.*GRUCell"):
        rnn_cell.DropoutWrapper.from_config(config)


# -- DropoutWrapper ----------------------------------------------------------------------------

def test_variational_dropout_needs_dtype_and_input_size():
    with pytest.raises(ValueError, match="needs dtype="):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), 0.5, variational_recurrent=True)
    with pytest.raises(ValueError, match="needs input_size="):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), 0.5, variational_recurrent=True,
                                dtype=tf.float32)
    with pytest.raises(TypeError, match="must be callable"):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), dropout_state_filter_visitor=3)


def test_variational_masks_are_shared_by_time_steps_and_batch_entries():
    cell = rnn_cell.DropoutWrapper(rnn_cell.BasicRNNCell(50), output_keep_prob=0.5,
                                   variational_recurrent=True, dtype=tf.float32, seed=1)
    x = tf.ones([4, 3])
    state = cell.zero_state(4, tf.float32)
    masks = []
    for _ in range(3):
        output, state = cell(x, state)
        masks.append(output.numpy() != 0)
    assert 0.2 < masks[0].mean() < 0.8
    for mask in masks:
        np.testing.assert_array_equal(mask, np.broadcast_to(masks[0][:1], mask.shape))


def test_a_keep_probability_that_is_a_constant_one_adds_no_dropout():
    wrapper = rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), input_keep_prob=tf.ones([]))
    assert wrapper._input_keep_prob == 1.0 and isinstance(wrapper._input_keep_prob, float)
    with pytest.raises(ValueError, match="input_keep_prob must be between 0 and 1"):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), input_keep_prob=tf.constant(1.5))


# -- legacy_seq2seq.testing ----------------------------------------------------------------------

def test_recording_round_trip_and_the_report_names_the_first_difference(tmp_path):
    path = str(tmp_path / "reference.npz")
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.float32, [2], name="x")
        weight = v1.get_variable("w", initializer=tf.constant([1.0, 2.0]))
        loss = tf.reduce_sum(x * weight)
        tensors = {"loss": loss, "ids": tf.constant([3, 4]), **testing.gradients_by_name(loss)}
        assert list(tensors) == ["loss", "ids", "grad:w"]
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            recorded = testing.record(session, tensors, {x: np.array([0.5, 1.5])}, path)
            again = testing.run(session, tensors, testing.recorded_feed_dict(path, graph))
    assert float(recorded["loss"]) == 3.5
    assert list(testing.load(path)) == ["loss", "ids", "grad:w", "feed:x:0"]
    testing.assert_matches(path, again)

    nearly = dict(again, loss=again["loss"] * (1 + 1e-5))
    testing.assert_matches(path, nearly)  # within float32's tolerance
    wrong = dict(again, loss=again["loss"] + 1e-3, ids=np.array([3, 5]))
    with pytest.raises(AssertionError, match=r"first: 'loss' \(float32\).*\n  also: 'ids' "
                                             r"\(int32\): 1 of 2 values differ"):
        testing.assert_matches(path, wrong)
    missing = {k: v for k, v in again.items() if k != "grad:w"}
    assert testing.compare(path, missing) == [
        "'grad:w': recorded under TF 1.x but not computed by the port"]
