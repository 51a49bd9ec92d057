"""Attention weights (returned on request) and the opt-in Luong scores and pooling.

The default (additive) read is checked against TF 1.15 by the golden tests; here its
weights and every other score are checked against NumPy formulas on the same variables.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from numerics import assert_close

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell

BATCH, ATTN_LENGTH, UNITS, INPUT_SIZE, STEPS = 3, 5, 6, 4, 4
DECODER = "attention_decoder"


def inputs(seed: int = 0) -> tuple:
    rng = np.random.RandomState(seed)
    decoder_inputs = [tf.constant(rng.randn(BATCH, INPUT_SIZE), tf.float32)
                      for _ in range(STEPS)]
    state = tf.constant(rng.randn(BATCH, UNITS), tf.float32)
    states = tf.constant(rng.randn(BATCH, ATTN_LENGTH, UNITS), tf.float32)
    return decoder_inputs, state, states


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def expected_weights(score: str, variables: dict, scope: str, query: np.ndarray,
                     states: np.ndarray, head: int = 0) -> np.ndarray:
    """The textbook formula of each score, `[batch, attn_length]`."""
    def var(name: str) -> np.ndarray:
        return variables[f"{scope}/{name}"].numpy()

    if score == "additive":
        keys = states @ var(f"AttnW_{head}")[0, 0]
        y = query @ var(f"Attention_{head}/kernel") + var(f"Attention_{head}/bias")
        logits = np.tanh(keys + y[:, None, :]) @ var(f"AttnV_{head}")
    elif score == "luong_dot":
        logits = np.einsum("bld,bd->bl", states, query)
    elif score == "luong_general":
        logits = np.einsum("bld,bd->bl", states, query @ var(f"LuongGeneral_{head}/kernel"))
    else:
        both = (states @ var(f"LuongConcat_{head}/keys_kernel")
                + (query @ var(f"LuongConcat_{head}/query_kernel"))[:, None, :])
        logits = np.tanh(both) @ var(f"LuongConcat_{head}/v")
    return softmax(logits)


def test_weights_rows_sum_to_1_and_default_outputs_are_unchanged():
    decoder_inputs, state, states = inputs()

    def fn(with_weights: bool):
        decode = (seq2seq.attention_decoder_with_weights if with_weights
                  else seq2seq.attention_decoder)
        return decode(decoder_inputs, state, states, rnn_cell.GRUCell(UNITS), output_size=7,
                      num_heads=2, initial_state_attention=True)

    template = seq2seq.Template(fn)
    outputs, final = template(False)
    names = sorted(template.variables_by_name)
    outputs_w, final_w, weights = template(True)
    assert sorted(template.variables_by_name) == names
    for a, b in zip(outputs + [final], outputs_w + [final_w]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(weights) == STEPS and all(len(step) == 2 for step in weights)
    for step in weights:
        for head in step:
            assert head.shape == (BATCH, ATTN_LENGTH)
            assert np.all(head.numpy() >= 0)
            np.testing.assert_allclose(head.numpy().sum(-1), 1.0, rtol=1e-6)
    # The last step's weights are the additive formula applied to the final state.
    for head in range(2):
        assert_close(weights[-1][head].numpy(), expected_weights(
            "additive", template.variables_by_name, DECODER, final.numpy(), states.numpy(),
            head))


def test_embedding_decoder_with_weights_gives_the_same_outputs():
    _, state, states = inputs(1)
    ids = [tf.constant([1, 2, 3]), tf.constant([4, 0, 2])]

    def fn(with_weights: bool):
        decode = (seq2seq.embedding_attention_decoder_with_weights if with_weights
                  else seq2seq.embedding_attention_decoder)
        return decode(ids, state, states, rnn_cell.GRUCell(UNITS), 6, 3, feed_previous=True)

    template = seq2seq.Template(fn)
    outputs, _ = template(False)
    outputs_w, _, weights = template(True)
    for a, b in zip(outputs, outputs_w):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for step in weights:
        np.testing.assert_allclose(step[0].numpy().sum(-1), 1.0, rtol=1e-6)


NEW_VARIABLES = {
    "additive": {"AttnW_0", "AttnV_0", "Attention_0/kernel", "Attention_0/bias"},
    "luong_dot": set(),
    "luong_general": {"LuongGeneral_0/kernel"},
    "luong_concat": {"LuongConcat_0/keys_kernel", "LuongConcat_0/query_kernel",
                     "LuongConcat_0/v"},
}


@pytest.mark.parametrize("score", seq2seq.ATTENTION_SCORES)
def test_decoder_scores_follow_their_formula_and_variables(score: str):
    decoder_inputs, state, states = inputs(2)

    def fn(states):
        return seq2seq.attention_decoder_with_weights(
            decoder_inputs, state, states, rnn_cell.GRUCell(UNITS), attention_score=score)

    template = seq2seq.Template(fn)
    _, final, weights = tf.function(template)(states)
    relative = {n[len(DECODER) + 1:] for n in template.variables_by_name}
    decoder_own = {"kernel", "bias", "AttnOutputProjection/kernel", "AttnOutputProjection/bias"}
    attention_names = {n for n in relative - decoder_own if not n.startswith("gru_cell/")}
    assert attention_names == NEW_VARIABLES[score]
    assert_close(weights[-1][0].numpy(), expected_weights(
        score, template.variables_by_name, DECODER, final.numpy(), states.numpy()))
    with tf.GradientTape() as tape:
        outputs, _, _ = template(states)
        loss = tf.add_n([tf.reduce_sum(o ** 2) for o in outputs])
    grads = tape.gradient(loss, template.trainable_variables)
    assert all(g is not None and np.any(g.numpy() != 0) for g in grads)


def test_luong_dot_needs_query_size_equal_to_attention_size():
    cell = rnn_cell.GRUCell(UNITS + 1)
    with tf.Graph().as_default():
        decoder_inputs, _, states = inputs(3)
        with pytest.raises(ValueError, match=r"attention size 6, but it has size 7"):
            seq2seq.attention_decoder(
                decoder_inputs, tf.zeros([BATCH, UNITS + 1]), states, cell,
                attention_score="luong_dot")


def test_unknown_score_is_named():
    with tf.Graph().as_default():
        decoder_inputs, state, states = inputs(3)
        with pytest.raises(ValueError, match="'bahdanau'.*luong_general"):
            seq2seq.attention_decoder(decoder_inputs, state, states, rnn_cell.GRUCell(UNITS),
                                      attention_score="bahdanau")


@pytest.mark.parametrize("score", seq2seq.ATTENTION_SCORES)
def test_attention_pool_with_lengths(score: str):
    _, query, states = inputs(4)
    lengths = tf.constant([5, 2, 1])

    def fn(states, query, lengths):
        return seq2seq.attention_pool(states, query, score=score, lengths=lengths)

    template = seq2seq.Template(fn)
    pooled, weights = template(states, query, lengths)
    assert pooled.shape == (BATCH, UNITS) and weights.shape == (BATCH, ATTN_LENGTH)
    w = weights.numpy()
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-6)
    assert np.all(w[1, 2:] == 0) and np.all(w[2, 1:] == 0) and w[2, 0] == 1
    assert_close(pooled.numpy(), np.einsum("bl,bld->bd", w, states.numpy()))
    full = expected_weights(score, template.variables_by_name, "attention_pool",
                            query.numpy(), states.numpy())
    assert_close(w[0], full[0])  # the unmasked row is the plain formula
    masked = full[1, :2] / full[1, :2].sum()
    assert_close(w[1, :2], masked)


def test_attention_pool_takes_a_nested_query_in_graph_mode():
    with tf.Graph().as_default():
        states = tf.compat.v1.placeholder(tf.float32, [None, None, UNITS])
        query = rnn_cell.LSTMStateTuple(tf.zeros([2, 3]), tf.ones([2, 4]))
        pooled, weights = seq2seq.attention_pool(states, query, score="luong_general")
        names = sorted(v.op.name for v in tf.compat.v1.global_variables())
        assert names == ["attention_pool/LuongGeneral_0/kernel"]
        assert tf.compat.v1.global_variables()[0].shape == (7, UNITS)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            w = session.run(weights, {states: np.ones([2, 4, UNITS])})
    np.testing.assert_allclose(w, 0.25, rtol=1e-6)


def test_each_score_is_one_registered_class_in_the_original_order():
    from legacy_seq2seq.attention import _SCORES, _Score

    assert seq2seq.ATTENTION_SCORES == ("additive", "luong_dot", "luong_general", "luong_concat")
    assert tuple(_SCORES) == seq2seq.ATTENTION_SCORES
    for name, score in _SCORES.items():
        assert isinstance(score, _Score) and score.name == name
    assert len({type(score) for score in _SCORES.values()}) == len(_SCORES)


@pytest.mark.parametrize("score", seq2seq.ATTENTION_SCORES)
def test_attention_pool_mask_is_the_same_as_lengths(score: str):
    _, query, states = inputs(4)
    lengths = tf.constant([5, 2, 1])
    mask = tf.sequence_mask(lengths, 5)
    template = seq2seq.Template(
        lambda states, query, **kw: seq2seq.attention_pool(states, query, score=score, **kw))
    by_lengths = template(states, query, lengths=lengths)
    by_mask = template(states, query, mask=mask)
    for ours, theirs in zip(by_mask, by_lengths):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="not both"):
        template(states, query, lengths=lengths, mask=mask)
