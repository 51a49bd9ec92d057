"""Bad input raises TF 1.15's exception type with a clear message naming the problem."""

from __future__ import annotations

import pytest
import tensorflow as tf

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell

BATCH = 2


def floats(count: int, depth: int = 2) -> list:
    return [tf.ones([BATCH, depth]) for _ in range(count)]


def ids(count: int) -> list:
    return [tf.zeros([BATCH], tf.int32) for _ in range(count)]


def in_template(fn):
    """Call ``fn`` through a Template, so variable creation is allowed if reached."""
    return seq2seq.Template(fn)()


def raises(exception, fn, *key_words: str) -> str:
    """Assert ``fn`` (run in a Template) raises ``exception`` whose message has every key word.

    Key words are matched case-insensitively; returns the message.
    """
    with pytest.raises(exception) as error:
        in_template(fn)
    message = str(error.value)
    for word in key_words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    return message


ATTENTION = tf.ones([BATCH, 3, 2])


@pytest.mark.parametrize(
    "call",
    [
        lambda: seq2seq.attention_decoder([], tf.zeros([BATCH, 2]), ATTENTION, rnn_cell.GRUCell(2)),
        lambda: seq2seq.embedding_attention_decoder(
            [], tf.zeros([BATCH, 2]), ATTENTION, rnn_cell.GRUCell(2), 5, 2
        ),
    ],
    ids=["attention_decoder", "embedding_attention_decoder"],
)
def test_no_decoder_inputs(call):
    raises(ValueError, call, "at least 1", "input")


@pytest.mark.parametrize("num_heads", [0, -1])
def test_num_heads_below_one(num_heads):
    raises(
        ValueError,
        lambda: seq2seq.attention_decoder(
            floats(2), tf.zeros([BATCH, 2]), ATTENTION, rnn_cell.GRUCell(2), num_heads=num_heads
        ),
        "heads",
    )


def test_attention_states_of_unknown_depth():
    # Only a graph has tensors of unknown static shape.
    with tf.Graph().as_default():
        states = tf.compat.v1.placeholder(tf.float32, [BATCH, 3, None])
        with pytest.raises(ValueError) as error:
            seq2seq.attention_decoder(floats(2), tf.zeros([BATCH, 2]), states, rnn_cell.GRUCell(2))
    assert "attention_states" in str(error.value)
    assert "known" in str(error.value)


@pytest.mark.parametrize("loss", [seq2seq.sequence_loss, seq2seq.sequence_loss_by_example])
@pytest.mark.parametrize("lengths", [(3, 2, 3), (3, 3, 4), (2, 3, 3)], ids=str)
def test_loss_lists_of_different_lengths(loss, lengths):
    logits = [tf.zeros([BATCH, 4])] * lengths[0]
    targets = ids(lengths[1])
    weights = [tf.ones([BATCH])] * lengths[2]
    message = raises(ValueError, lambda: loss(logits, targets, weights), "logits", "targets")
    assert "weights" in message
    for count in lengths:
        assert str(count) in message


def _buckets_call(encoder_length: int, target_length: int, weight_length: int):
    return lambda: seq2seq.model_with_buckets(
        ids(encoder_length),
        ids(4),
        ids(target_length),
        [tf.ones([BATCH])] * weight_length,
        [(2, 2), (4, 4)],
        lambda x, y: seq2seq.embedding_rnn_seq2seq(x, y, rnn_cell.GRUCell(2), 5, 5, 2),
    )


@pytest.mark.parametrize(
    "lengths, name",
    [((3, 4, 4), "encoder_inputs"), ((4, 3, 4), "targets"), ((4, 4, 3), "weights")],
    ids=["encoder_inputs", "targets", "weights"],
)
def test_bucket_larger_than_the_inputs(lengths, name):
    raises(ValueError, _buckets_call(*lengths), name, "(3)", "(4)", "bucket")


NOT_A_CELL = "GRUCell(2)"


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: seq2seq.basic_rnn_seq2seq(floats(2), floats(2), NOT_A_CELL), "cell"),
        (lambda: seq2seq.rnn_decoder(floats(2), tf.zeros([BATCH, 2]), NOT_A_CELL), "cell"),
        (
            lambda: seq2seq.embedding_attention_seq2seq(ids(2), ids(2), NOT_A_CELL, 5, 5, 2),
            "cell",
        ),
        (
            lambda: seq2seq.one2many_rnn_seq2seq(
                ids(2), {"a": ids(2)}, NOT_A_CELL, {"a": rnn_cell.GRUCell(2)}, 5, {"a": 5}, 2
            ),
            "enc_cell",
        ),
        (
            lambda: seq2seq.one2many_rnn_seq2seq(
                ids(2), {"a": ids(2)}, rnn_cell.GRUCell(2), {"a": NOT_A_CELL}, 5, {"a": 5}, 2
            ),
            "cell",
        ),
        (lambda: seq2seq.static_rnn(NOT_A_CELL, floats(2), dtype=tf.float32), "cell"),
    ],
    ids=[
        "basic_rnn_seq2seq",
        "rnn_decoder",
        "embedding_attention_seq2seq",
        "one2many_enc_cell",
        "one2many_dec_cell",
        "static_rnn",
    ],
)
def test_cell_that_is_not_a_cell(call, argument):
    raises(TypeError, call, argument, "not an RNN")


def test_one2many_decoder_names_must_match():
    message = raises(
        ValueError,
        lambda: seq2seq.one2many_rnn_seq2seq(
            ids(2), {"a": ids(2)}, rnn_cell.GRUCell(2), {"b": rnn_cell.GRUCell(2)}, 5, {"a": 5}, 2
        ),
        "dec_cells_dict",
    )
    assert "decoder_inputs_dict" in message


def _decoder_with_projection(weights_shape, biases_shape):
    return lambda: seq2seq.embedding_rnn_decoder(
        ids(2),
        tf.zeros([BATCH, 3]),
        rnn_cell.GRUCell(3),
        num_symbols=5,
        embedding_size=2,
        output_projection=(tf.ones(weights_shape), tf.ones(biases_shape)),
    )


def _seq2seq_with_projection(weights_shape, biases_shape):
    return lambda: seq2seq.embedding_attention_seq2seq(
        ids(2),
        ids(2),
        rnn_cell.GRUCell(3),
        5,
        5,
        2,
        output_projection=(tf.ones(weights_shape), tf.ones(biases_shape)),
    )


@pytest.mark.parametrize("make", [_decoder_with_projection, _seq2seq_with_projection],
                         ids=["embedding_rnn_decoder", "embedding_attention_seq2seq"])
@pytest.mark.parametrize("weights_shape, biases_shape", [([3, 4], [5]), ([3, 5], [4])],
                         ids=["weights", "biases"])
def test_output_projection_of_the_wrong_shape(make, weights_shape, biases_shape):
    raises(ValueError, make(weights_shape, biases_shape), "output_projection", "5")


def test_static_rnn_needs_inputs_and_a_dtype():
    cell = rnn_cell.GRUCell(2)
    raises(ValueError, lambda: seq2seq.static_rnn(cell, [], dtype=tf.float32), "inputs")
    raises(TypeError, lambda: seq2seq.static_rnn(cell, tf.ones([BATCH, 2])), "inputs")
    raises(ValueError, lambda: seq2seq.static_rnn(cell, floats(2)), "dtype", "initial_state")
