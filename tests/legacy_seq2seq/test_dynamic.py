"""The loop-based builders reproduce TF 1.15's numbers and variables.

`loop_embedding_attention_seq2seq` and `sampled_softmax_loss_per_step` are checked
directly against the golden cases made with the real TF 1.15 (outputs, final
states, losses and every gradient), eagerly through a Template and in a
`tf.function`, and in a `tf.compat.v1` graph.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf
from case_builder import load_cases
from numerics import mismatch

import legacy_seq2seq as seq2seq

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
CASES = {case.name: case for case in load_cases(GOLDEN)}

SEQ2SEQ_CASES = sorted(
    name for name, case in CASES.items()
    if case.function == "embedding_attention_seq2seq"
    and isinstance(case.config["kwargs"].get("feed_previous", False), bool))
BUCKET_CASES = sorted(
    name for name, case in CASES.items()
    if case.function == "model_with_buckets"
    and case.config["seq2seq"]["function"] == "embedding_attention_seq2seq")


def _make_cell(spec: dict) -> seq2seq.rnn_cell.RNNCell:
    def one() -> seq2seq.rnn_cell.RNNCell:
        if spec["type"] == "GRUCell":
            return seq2seq.rnn_cell.GRUCell(spec["num_units"])
        return seq2seq.rnn_cell.BasicLSTMCell(spec["num_units"],
                                              forget_bias=spec.get("forget_bias", 1.0))
    if spec["multi"]:
        return seq2seq.rnn_cell.MultiRNNCell([one() for _ in range(spec["num_layers"])])
    return one()


def _projection(kwargs: dict, cell_spec: dict, dtype: tf.DType):
    if not kwargs.get("output_projection"):
        return None, None
    vocab = kwargs["num_decoder_symbols"]
    size = kwargs.get("output_size") or cell_spec["num_units"]
    proj_w = tf.compat.v1.get_variable("proj_w", [vocab, size], dtype=dtype)
    proj_b = tf.compat.v1.get_variable("proj_b", [vocab], dtype=dtype)
    return proj_w, proj_b


def _seq2seq_model(case):
    kwargs = dict(case.config["kwargs"])
    spec = case.config["cell"]
    dtype = tf.as_dtype(case.dtype)

    def model(encoder_inputs, decoder_inputs):
        proj_w, proj_b = _projection(kwargs, spec, dtype)
        call = {k: v for k, v in kwargs.items() if k not in ("output_projection", "dtype")}
        if proj_w is not None:
            call["output_projection"] = (tf.transpose(proj_w), proj_b)
        if "dtype" in kwargs:
            call["dtype"] = tf.as_dtype(kwargs["dtype"])
        return seq2seq.loop_embedding_attention_seq2seq(
            encoder_inputs, decoder_inputs, _make_cell(spec), **call)

    return model


def _check(case, results: dict, skip_none: set) -> None:
    problems = []
    for key, ours in results.items():
        if ours is None:
            if key not in skip_none:
                problems.append(f"{key}: gradient is None")
            continue
        problem = mismatch(np.asarray(ours), case.io[key], case.dtype)
        if problem:
            problems.append(f"{key}: {problem}")
    assert not problems, "\n".join(problems)


def _run_seq2seq(case, use_function: bool) -> dict:
    template = seq2seq.Template(_seq2seq_model(case))
    enc = tf.constant(case.io["encoder_inputs"])
    dec = tf.constant(case.io["decoder_inputs"])
    template(enc, dec)
    template.load_tf1_checkpoint(case.checkpoint)
    probe = tf.constant(case.io["grad_probe"])

    def evaluate(enc, dec):
        with tf.GradientTape() as tape:
            outputs, state = template(enc, dec)
            objective = tf.reduce_sum(tf.cast(outputs, probe.dtype) * probe)
        grads = tape.gradient(objective, template.trainable_variables)
        return outputs, tf.nest.flatten(state), objective, grads

    if use_function:
        evaluate = tf.function(evaluate)
    outputs, state, objective, grads = evaluate(enc, dec)
    results = {"outputs": outputs, "objective": objective}
    results.update({f"state/{i}": leaf for i, leaf in enumerate(state)})
    for var, grad in zip(template.trainable_variables, grads):
        results["grad/" + var.name[:-2]] = None if grad is None else tf.convert_to_tensor(grad)
    return results


@pytest.mark.parametrize("use_function", [False, True], ids=["eager", "function"])
@pytest.mark.parametrize("name", SEQ2SEQ_CASES)
def test_loop_seq2seq_matches_tf1(name: str, use_function: bool):
    case = CASES[name]
    results = _run_seq2seq(case, use_function)
    expected_names = {v["name"] for v in case.config["variables"]}
    assert {k[len("grad/"):] for k in results if k.startswith("grad/")} == expected_names
    _check(case, results, case.grad_none)


def test_loop_seq2seq_in_a_tf1_graph_restores_with_saver():
    case = CASES["embedding_attention_seq2seq_gru2_proj"]
    with tf.Graph().as_default():
        enc = tf.compat.v1.placeholder(tf.int32, [None, None])
        dec = tf.compat.v1.placeholder(tf.int32, [None, None])
        outputs, _ = _seq2seq_model(case)(enc, dec)
        names = {v.op.name for v in tf.compat.v1.global_variables()}
        with tf.compat.v1.Session() as sess:
            tf.compat.v1.train.Saver().restore(sess, case.checkpoint)
            value = sess.run(outputs, {enc: case.io["encoder_inputs"],
                                       dec: case.io["decoder_inputs"]})
    assert names == {v["name"] for v in case.config["variables"]}
    assert mismatch(value, case.io["outputs"], case.dtype) is None


def test_one_trace_serves_every_length():
    case = CASES["embedding_attention_seq2seq_gru2_proj"]
    template = seq2seq.Template(_seq2seq_model(case))
    template(tf.zeros([2, 3], tf.int32), tf.ones([2, 3], tf.int32))  # creates the variables
    traces = []

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)] * 2)
    def run(enc, dec):
        traces.append(1)
        return template(enc, dec)[0]

    for enc_len, dec_len in [(2, 3), (5, 4), (7, 9)]:
        out = run(tf.zeros([enc_len, 3], tf.int32), tf.ones([dec_len, 3], tf.int32))
        assert out.shape[0] == dec_len
    assert len(traces) == 1


@pytest.mark.parametrize("name", BUCKET_CASES)
def test_stacked_losses_match_model_with_buckets(name: str):
    """Each bucket's loss and the gradients, with per-step losses computed in one go."""
    case = CASES[name]
    config = case.config
    kwargs = config["kwargs"]
    inner = config["seq2seq"]
    per_example = kwargs.get("per_example_loss", False)
    sampled = kwargs.get("softmax_loss_function")
    inner_case = type("InnerCase", (), {"config": {"kwargs": inner["kwargs"],
                                                   "cell": inner["cell"]},
                                        "dtype": case.dtype})
    targets = tf.constant(case.io["targets"])
    weights = tf.constant(case.io["weights"])

    def model(enc, dec):
        losses = []
        for j, (enc_len, dec_len) in enumerate(kwargs["buckets"]):
            with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(),
                                             reuse=True if j else None):
                outputs, _ = _seq2seq_model(inner_case)(enc[:enc_len], dec[:dec_len])
                if sampled:
                    proj_w = tf.compat.v1.get_variable("proj_w")
                    proj_b = tf.compat.v1.get_variable("proj_b")
                    steps = dec_len
                    values = (tf.tile(case.io["sampled/candidates"][None], [steps, 1]),
                              tf.tile(case.io["sampled/true_expected_count"][None], [steps, 1, 1]),
                              tf.tile(case.io["sampled/sampled_expected_count"][None], [steps, 1]))
                    crossent = seq2seq.sampled_softmax_loss_per_step(
                        proj_w, proj_b, targets[:dec_len], outputs, sampled["num_sampled"],
                        sampled["num_classes"], sampled_values=values)
                else:
                    crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
                        labels=targets[:dec_len], logits=outputs)
                losses.append(seq2seq.stacked_sequence_loss(
                    crossent, weights[:dec_len], per_example=per_example))
        return losses

    template = seq2seq.Template(model)
    enc = tf.constant(case.io["encoder_inputs"])
    dec = tf.constant(case.io["decoder_inputs"])
    template(enc, dec)
    template.load_tf1_checkpoint(case.checkpoint)
    with tf.GradientTape() as tape:
        losses = template(enc, dec)
        objective = tf.add_n([tf.reduce_sum(loss) for loss in losses])
    grads = tape.gradient(objective, template.trainable_variables)
    results = {f"bucket{j}/loss": loss for j, loss in enumerate(losses)}
    results["objective"] = objective
    for var, grad in zip(template.trainable_variables, grads):
        results["grad/" + var.name[:-2]] = None if grad is None else tf.convert_to_tensor(grad)
    _check(case, results, case.grad_none)


def test_sampled_loss_per_step_equals_tf_sampled_softmax_loss():
    rng = np.random.default_rng(3)
    steps, batch, dim, classes, num_sampled = 4, 6, 5, 30, 7
    w = tf.constant(rng.normal(size=(classes, dim)), tf.float32)
    b = tf.constant(rng.normal(size=(classes,)), tf.float32)
    labels = tf.constant(rng.integers(0, classes, (steps, batch)), tf.int32)
    inputs = tf.constant(rng.normal(size=(steps, batch, dim)), tf.float32)
    draws = [tf.random.log_uniform_candidate_sampler(
        tf.cast(labels[t][:, None], tf.int64), 1, num_sampled, True, classes, seed=t + 1)
        for t in range(steps)]
    values = tuple(tf.stack([d[k] for d in draws]) for k in range(3))
    ours = seq2seq.sampled_softmax_loss_per_step(w, b, labels, inputs, num_sampled, classes,
                                                 sampled_values=values)
    theirs = tf.stack([tf.nn.sampled_softmax_loss(
        w, b, tf.cast(labels[t][:, None], tf.int64), inputs[t], num_sampled, classes,
        sampled_values=draws[t]) for t in range(steps)])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)
    # Without given values every step draws its own candidates: losses stay finite.
    drawn = seq2seq.sampled_softmax_loss_per_step(w, b, labels, inputs, num_sampled, classes)
    assert drawn.shape == (steps, batch) and np.all(np.isfinite(drawn.numpy()))


def test_loop_attention_decoder_is_attention_decoder_in_a_tf1_graph():
    """Same variables (restored by a plain Saver) and outputs as TF 1.15's unrolled decoder."""
    case = CASES["attention_decoder_lstm_2heads_isa"]
    with tf.Graph().as_default():
        cell = seq2seq.rnn_cell.BasicLSTMCell(case.config["cell"]["num_units"])
        state = seq2seq.rnn_cell.LSTMStateTuple(
            tf.constant(case.io["initial_state/0"]), tf.constant(case.io["initial_state/1"]))
        outputs, final = seq2seq.loop_attention_decoder(
            tf.constant(case.io["decoder_inputs"]), state,
            tf.constant(case.io["attention_states"]), cell, **case.config["kwargs"])
        names = {v.op.name for v in tf.compat.v1.global_variables()}
        with tf.compat.v1.Session() as sess:
            tf.compat.v1.train.Saver().restore(sess, case.checkpoint)
            values, final_values = sess.run([outputs, final])
    assert names == {v["name"] for v in case.config["variables"]}
    assert mismatch(values, case.io["outputs"], case.dtype) is None
    for i, value in enumerate(final_values):
        assert mismatch(value, case.io[f"state/{i}"], case.dtype) is None
