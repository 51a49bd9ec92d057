"""Behaviour of the seq2seq functions (in the spirit of TF 1.x's seq2seq_test.py), in TF 2.

Models run eagerly through ``legacy_seq2seq.Template`` unless a test says otherwise.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import tensorflow as tf
from numerics import assert_close

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell

BATCH = 2


def float_steps(count: int, value: float, depth: int = 2) -> list:
    """``count`` time steps of constant ``[BATCH, depth]`` float32 inputs."""
    return [tf.constant(value, tf.float32, [BATCH, depth]) for _ in range(count)]


def id_steps(values) -> list:
    """One ``[BATCH]`` int32 step per value, every batch entry holding that value."""
    return [tf.constant(v, tf.int32, [BATCH]) for v in values]


def describe(state):
    """A nested description of a state: ``"BxN"`` per tensor, LSTMStateTuple and tuples named."""
    if isinstance(state, rnn_cell.LSTMStateTuple):
        return ("LSTMStateTuple", describe(state.c), describe(state.h))
    if isinstance(state, tuple):
        return tuple(describe(s) for s in state)
    return "x".join(str(d) for d in state.shape)


LSTM_2 = ("LSTMStateTuple", "2x2", "2x2")


def gru_projected():
    return rnn_cell.OutputProjectionWrapper(rnn_cell.GRUCell(2), 4)


def attention_states():
    """``[BATCH, 2, 2]`` attention states, as an encoder of 2 steps would give."""
    return tf.constant(np.linspace(-1, 1, BATCH * 4).reshape(BATCH, 2, 2), tf.float32)


def lstm_zero_state():
    return rnn_cell.LSTMStateTuple(tf.zeros([BATCH, 2]), tf.zeros([BATCH, 2]))


def projection(output_size: int, num_symbols: int) -> tuple:
    """An output projection ``(W [output_size, num_symbols], B [num_symbols])`` made by fn."""
    w = tf.compat.v1.get_variable("proj_w", [output_size, num_symbols])
    b = tf.compat.v1.get_variable("proj_b", [num_symbols])
    return w, b


# id -> (model fn returning (outputs, state), number of outputs, output shape, state description)
STRUCTURES = {
    "rnn_decoder": (
        lambda: seq2seq.rnn_decoder(float_steps(3, 0.4), tf.zeros([BATCH, 2]), gru_projected()),
        3, (2, 4), "2x2",
    ),
    "basic_rnn_seq2seq": (
        lambda: seq2seq.basic_rnn_seq2seq(
            float_steps(2, 0.5), float_steps(3, 0.4), gru_projected()
        ),
        3, (2, 4), "2x2",
    ),
    "tied_rnn_seq2seq": (
        lambda: seq2seq.tied_rnn_seq2seq(float_steps(2, 0.5), float_steps(3, 0.4), gru_projected()),
        3, (2, 4), "2x2",
    ),
    "embedding_rnn_decoder_lstm": (
        lambda: seq2seq.embedding_rnn_decoder(
            id_steps(range(3)), lstm_zero_state(), rnn_cell.BasicLSTMCell(2),
            num_symbols=4, embedding_size=2,
        ),
        3, (2, 2), LSTM_2,
    ),
    "embedding_rnn_seq2seq_lstm": (
        lambda: seq2seq.embedding_rnn_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2),
            num_encoder_symbols=2, num_decoder_symbols=5, embedding_size=2,
        ),
        3, (2, 5), LSTM_2,
    ),
    "embedding_rnn_seq2seq_lstm_no_tuple": (
        lambda: seq2seq.embedding_rnn_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2, state_is_tuple=False),
            num_encoder_symbols=2, num_decoder_symbols=5, embedding_size=2,
        ),
        3, (2, 5), "2x4",
    ),
    "embedding_rnn_seq2seq_projection": (
        lambda: seq2seq.embedding_rnn_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2),
            num_encoder_symbols=2, num_decoder_symbols=5, embedding_size=2,
            output_projection=projection(2, 5),
        ),
        3, (2, 2), LSTM_2,
    ),
    "embedding_tied_rnn_seq2seq": (
        lambda: seq2seq.embedding_tied_rnn_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2),
            num_symbols=5, embedding_size=2,
        ),
        3, (2, 5), LSTM_2,
    ),
    "embedding_tied_rnn_seq2seq_num_decoder_symbols": (
        lambda: seq2seq.embedding_tied_rnn_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2),
            num_symbols=5, num_decoder_symbols=3, embedding_size=2,
        ),
        3, (2, 3), LSTM_2,
    ),
    "embedding_tied_rnn_seq2seq_projection": (
        lambda: seq2seq.embedding_tied_rnn_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2),
            num_symbols=5, embedding_size=2, output_projection=projection(2, 5),
        ),
        3, (2, 2), LSTM_2,
    ),
    "attention_decoder_1_head": (
        lambda: seq2seq.attention_decoder(
            float_steps(3, 0.4), tf.zeros([BATCH, 2]), attention_states(), rnn_cell.GRUCell(2),
            output_size=4,
        ),
        3, (2, 4), "2x2",
    ),
    "attention_decoder_2_heads": (
        lambda: seq2seq.attention_decoder(
            float_steps(3, 0.4), tf.zeros([BATCH, 2]), attention_states(), rnn_cell.GRUCell(2),
            output_size=4, num_heads=2,
        ),
        3, (2, 4), "2x2",
    ),
    "attention_decoder_multi_lstm_state_tuple": (
        lambda: seq2seq.attention_decoder(
            float_steps(3, 0.4), (lstm_zero_state(), lstm_zero_state()), attention_states(),
            rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(2) for _ in range(2)]),
            output_size=4,
        ),
        3, (2, 4), (LSTM_2, LSTM_2),
    ),
    "embedding_attention_decoder": (
        lambda: seq2seq.embedding_attention_decoder(
            id_steps(range(3)), tf.zeros([BATCH, 2]), attention_states(), rnn_cell.GRUCell(2),
            num_symbols=4, embedding_size=2, output_size=3,
        ),
        3, (2, 3), "2x2",
    ),
    "embedding_attention_seq2seq_lstm": (
        lambda: seq2seq.embedding_attention_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2),
            num_encoder_symbols=2, num_decoder_symbols=5, embedding_size=2,
        ),
        3, (2, 5), LSTM_2,
    ),
    "embedding_attention_seq2seq_lstm_no_tuple": (
        lambda: seq2seq.embedding_attention_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2, state_is_tuple=False),
            num_encoder_symbols=2, num_decoder_symbols=5, embedding_size=2,
        ),
        3, (2, 5), "2x4",
    ),
    "embedding_attention_seq2seq_projection": (
        lambda: seq2seq.embedding_attention_seq2seq(
            id_steps([1, 1]), id_steps(range(3)), rnn_cell.BasicLSTMCell(2),
            num_encoder_symbols=2, num_decoder_symbols=5, embedding_size=2,
            output_projection=projection(2, 5),
        ),
        3, (2, 2), LSTM_2,
    ),
}


@pytest.mark.parametrize("model, length, shape, state", STRUCTURES.values(), ids=list(STRUCTURES))
def test_outputs_and_state_structure(model, length, shape, state):
    outputs, final_state = seq2seq.Template(model)()
    assert isinstance(outputs, list)
    assert [tuple(o.shape) for o in outputs] == [shape] * length
    assert describe(final_state) == state
    assert all(np.all(np.isfinite(o.numpy())) for o in outputs)


def one2many(decoder_inputs_dict, feed_previous=False):
    """one2many_rnn_seq2seq with decoders "0" (5 symbols) and "1" (6 symbols), LSTM cells."""
    return seq2seq.one2many_rnn_seq2seq(
        id_steps([1, 1]),
        decoder_inputs_dict,
        rnn_cell.BasicLSTMCell(2),
        {name: rnn_cell.BasicLSTMCell(2) for name in ("0", "1")},
        2,
        {"0": 5, "1": 6},
        embedding_size=2,
        feed_previous=feed_previous,
    )


def test_one2many_outputs_and_state_structure():
    outputs, states = seq2seq.Template(one2many)({"0": id_steps(range(3)), "1": id_steps(range(4))})
    assert sorted(outputs) == sorted(states) == ["0", "1"]
    assert [tuple(o.shape) for o in outputs["0"]] == [(2, 5)] * 3
    assert [tuple(o.shape) for o in outputs["1"]] == [(2, 6)] * 4
    assert describe(states["0"]) == describe(states["1"]) == LSTM_2


@pytest.mark.parametrize("dtype", [tf.float64, tf.float16], ids=lambda d: d.name)
@pytest.mark.parametrize(
    "model",
    [
        lambda dtype: seq2seq.embedding_attention_seq2seq(
            id_steps([1, 2]), id_steps([0, 1]), rnn_cell.GRUCell(3), 5, 6, 2, dtype=dtype
        ),
        lambda dtype: seq2seq.embedding_rnn_seq2seq(
            id_steps([1, 2]), id_steps([0, 1]), rnn_cell.BasicLSTMCell(3), 5, 6, 2, dtype=dtype
        ),
    ],
    ids=["embedding_attention_seq2seq", "embedding_rnn_seq2seq_lstm"],
)
def test_dtype_reaches_variables_outputs_and_state(model, dtype):
    # As in TF 1.15: every variable, output and state leaf takes the requested dtype.
    template = seq2seq.Template(model)
    outputs, state = template(dtype)
    assert {v.dtype for v in template.variables} == {dtype}
    assert {o.dtype for o in outputs} == {dtype}
    assert {s.dtype for s in tf.nest.flatten(state)} == {dtype}
    assert all(np.all(np.isfinite(o.numpy())) for o in outputs)


# ----- feed_previous ------------------------------------------------------------------------
ENCODER = id_steps([1, 2])
DECODER = id_steps([0, 1, 2])
# Same first ("GO") input, different later inputs.
OTHER_DECODER = id_steps([0, 3, 3])


def _decoder_initial_state():
    return tf.constant(np.linspace(-0.5, 0.5, BATCH * 3).reshape(BATCH, 3), tf.float32)


# id -> fn(decoder_inputs, feed_previous) -> list of output tensors; 3 decoder steps, 5 symbols.
FEED_PREVIOUS_MODELS = {
    "embedding_rnn_seq2seq": lambda dec, fp: seq2seq.embedding_rnn_seq2seq(
        ENCODER, dec, rnn_cell.BasicLSTMCell(3), 3, 5, embedding_size=2, feed_previous=fp
    )[0],
    "embedding_rnn_seq2seq_no_tuple": lambda dec, fp: seq2seq.embedding_rnn_seq2seq(
        ENCODER, dec, rnn_cell.BasicLSTMCell(3, state_is_tuple=False), 3, 5,
        embedding_size=2, feed_previous=fp,
    )[0],
    "embedding_tied_rnn_seq2seq": lambda dec, fp: seq2seq.embedding_tied_rnn_seq2seq(
        ENCODER, dec, rnn_cell.BasicLSTMCell(3), 5, embedding_size=2, feed_previous=fp
    )[0],
    "embedding_attention_seq2seq": lambda dec, fp: seq2seq.embedding_attention_seq2seq(
        ENCODER, dec, rnn_cell.GRUCell(3), 3, 5, embedding_size=2, feed_previous=fp
    )[0],
    "embedding_attention_seq2seq_multi_lstm": lambda dec, fp: seq2seq.embedding_attention_seq2seq(
        ENCODER, dec, rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(3) for _ in range(2)]), 3, 5,
        embedding_size=2, feed_previous=fp,
    )[0],
    "embedding_rnn_decoder": lambda dec, fp: seq2seq.embedding_rnn_decoder(
        dec, _decoder_initial_state(), rnn_cell.OutputProjectionWrapper(rnn_cell.GRUCell(3), 5),
        5, 2, feed_previous=fp,
    )[0],
    "embedding_attention_decoder": lambda dec, fp: seq2seq.embedding_attention_decoder(
        dec, _decoder_initial_state(), attention_states(), rnn_cell.GRUCell(3), 5, 2,
        output_size=5, feed_previous=fp,
    )[0],
    "one2many_rnn_seq2seq": lambda dec, fp: one2many({"0": dec, "1": dec + dec[1:]}, fp)[0]["1"],
}


def numpy_outputs(outputs) -> np.ndarray:
    return np.stack([o.numpy() for o in outputs])


@pytest.fixture(autouse=True)
def _seeded():
    # Fixed variable values, so that greedy (argmax) paths are reproducible.
    tf.random.set_seed(1234)


@pytest.mark.parametrize("model", FEED_PREVIOUS_MODELS.values(), ids=list(FEED_PREVIOUS_MODELS))
def test_feed_previous_ignores_decoder_inputs_after_the_first(model):
    template = seq2seq.Template(model)
    fed = numpy_outputs(template(DECODER, True))
    np.testing.assert_array_equal(numpy_outputs(template(OTHER_DECODER, True)), fed)
    # Without feed_previous the later inputs matter, so the check above is not vacuous.
    teacher_forced = numpy_outputs(template(DECODER, False))
    assert np.abs(numpy_outputs(template(OTHER_DECODER, False)) - teacher_forced).max() > 1e-4


# TF 1.15's decoders take a Python bool only; the seq2seq functions also take a bool tensor.
TENSOR_FEED_PREVIOUS_MODELS = {
    name: model for name, model in FEED_PREVIOUS_MODELS.items() if "decoder" not in name
}


@pytest.mark.parametrize("mode", ["eager", "function"])
@pytest.mark.parametrize(
    "model", TENSOR_FEED_PREVIOUS_MODELS.values(), ids=list(TENSOR_FEED_PREVIOUS_MODELS)
)
def test_tensor_feed_previous_gives_the_bool_numbers(model, mode):
    template = seq2seq.Template(model)
    expected = {value: numpy_outputs(template(DECODER, value)) for value in (True, False)}
    names = sorted(template.variables_by_name)

    call = template if mode == "eager" else tf.function(lambda dec, fp: template(dec, fp))
    for value in (True, False):
        got = numpy_outputs(call(DECODER, tf.constant(value)))
        assert_close(got, expected[value])
    assert sorted(template.variables_by_name) == names


# ----- buckets ------------------------------------------------------------------------------
def bucket_model(buckets, cell_for_call, per_example_loss=False):
    """model_with_buckets over embedding_attention_seq2seq; ``cell_for_call()`` gives the cell."""

    def fn(encoder_inputs, decoder_inputs, targets, weights):
        return seq2seq.model_with_buckets(
            encoder_inputs,
            decoder_inputs,
            targets,
            weights,
            buckets,
            lambda x, y: seq2seq.embedding_attention_seq2seq(x, y, cell_for_call(), 6, 7, 3),
            per_example_loss=per_example_loss,
        )

    return fn


def bucket_inputs(length: int) -> tuple:
    ids = id_steps([(i % 5) + 1 for i in range(length)])
    weights = [tf.ones([BATCH]) for _ in range(length)]
    return ids, ids, ids, weights


def fresh_gru():
    return rnn_cell.GRUCell(4)


@pytest.mark.parametrize("per_example_loss", [False, True])
def test_buckets_share_variables(per_example_loss):
    one = seq2seq.Template(bucket_model([(4, 4)], fresh_gru))
    one(*bucket_inputs(4))
    three = seq2seq.Template(bucket_model([(2, 2), (3, 3), (4, 4)], fresh_gru, per_example_loss))
    outputs, losses = three(*bucket_inputs(4))
    assert len(three.variables) == len(one.variables)
    assert sorted(three.variables_by_name) == sorted(one.variables_by_name)
    assert [len(o) for o in outputs] == [2, 3, 4]
    assert [tuple(o.shape) for o in outputs[2]] == [(BATCH, 7)] * 4
    assert [tuple(loss.shape) for loss in losses] == [(BATCH,) if per_example_loss else ()] * 3


def test_buckets_share_variables_in_a_graph():
    counts = []
    for buckets in ([(4, 4)], [(2, 2), (3, 3), (4, 4)]):
        with tf.Graph().as_default():
            bucket_model(buckets, fresh_gru)(*bucket_inputs(4))
            counts.append(len(tf.compat.v1.trainable_variables()))
    assert counts[0] == counts[1] > 0


def test_one_cell_object_shared_by_all_buckets_and_calls():
    # TF 1.15 failed here: embedding_attention_seq2seq deep-copies the cell, which the
    # first bucket had built ("can't pickle _thread.RLock objects").
    shared_cell = rnn_cell.GRUCell(4)
    buckets = [(2, 2), (3, 3), (4, 4)]
    shared = seq2seq.Template(bucket_model(buckets, lambda: shared_cell))
    fresh = seq2seq.Template(bucket_model(buckets, fresh_gru))
    inputs = bucket_inputs(4)
    fresh_outputs, fresh_losses = fresh(*inputs)
    shared(*inputs)
    assert sorted(shared.variables_by_name) == sorted(fresh.variables_by_name)
    for name, variable in shared.variables_by_name.items():
        variable.assign(fresh.variables_by_name[name])
    for _ in range(2):  # a later call reuses the (now built) cell again
        outputs, losses = shared(*inputs)
        for ours, reference in zip(outputs, fresh_outputs):
            assert_close(numpy_outputs(ours), numpy_outputs(reference))
        assert_close(np.array(losses), np.array(fresh_losses))


CELLS = {
    "gru": lambda: rnn_cell.GRUCell(3),
    "basic_lstm": lambda: rnn_cell.BasicLSTMCell(3),
    "lstm_proj": lambda: rnn_cell.LSTMCell(3, num_proj=2),
    "multi_gru": lambda: rnn_cell.MultiRNNCell([rnn_cell.GRUCell(3) for _ in range(2)]),
    "output_projection": lambda: rnn_cell.OutputProjectionWrapper(rnn_cell.GRUCell(3), 5),
    "input_projection": lambda: rnn_cell.InputProjectionWrapper(rnn_cell.GRUCell(3), 4),
}


@pytest.mark.parametrize("make_cell", CELLS.values(), ids=list(CELLS))
def test_deepcopy_of_a_built_cell_is_an_independent_unbuilt_cell(make_cell):
    cell = make_cell()
    inputs = tf.ones([BATCH, 2])

    def step(c):
        return c(inputs, c.zero_state(BATCH, tf.float32))

    original = seq2seq.Template(lambda: step(cell))
    original()
    clone = copy.deepcopy(cell)
    assert type(clone) is type(cell) and clone is not cell
    assert clone.output_size == cell.output_size
    assert clone.state_size == cell.state_size
    assert not getattr(clone, "built", False)
    # The clone holds none of the original's variables: a new Template makes its own.
    copied = seq2seq.Template(lambda: step(clone))
    output, _ = copied()
    assert tuple(output.shape) == (BATCH, cell.output_size)
    shapes = sorted(tuple(v.shape) for v in original.variables)
    assert sorted(tuple(v.shape) for v in copied.variables) == shapes
    original_ids = {id(v) for v in original.variables}
    assert not any(id(v) in original_ids for v in copied.variables)


# ----- losses -------------------------------------------------------------------------------
UNIFORM_LOGITS = [tf.constant(i + 0.5, tf.float32, [BATCH, 5]) for i in range(3)]
TARGETS = id_steps(range(3))
ONES = [tf.ones([BATCH]) for _ in range(3)]
LN5 = math.log(5.0)


@pytest.mark.parametrize(
    "timesteps, batch, expected",
    [(True, True, LN5), (False, True, 3 * LN5), (False, False, 3 * BATCH * LN5),
     (True, False, BATCH * LN5)],
)
def test_sequence_loss_of_uniform_logits(timesteps, batch, expected):
    loss = seq2seq.sequence_loss(
        UNIFORM_LOGITS, TARGETS, ONES,
        average_across_timesteps=timesteps, average_across_batch=batch,
    )
    assert loss.shape == ()
    assert_close(loss.numpy(), np.float32(expected))


@pytest.mark.parametrize("timesteps, expected", [(True, LN5), (False, 3 * LN5)])
def test_sequence_loss_by_example_of_uniform_logits(timesteps, expected):
    loss = seq2seq.sequence_loss_by_example(
        UNIFORM_LOGITS, TARGETS, ONES, average_across_timesteps=timesteps
    )
    assert_close(loss.numpy(), np.full([BATCH], expected, np.float32))


def test_sequence_loss_by_example_weights_and_averaging():
    # Step t has target-logit margin t: crossentropy log(1 + 4 e^-t) per step.
    logits = [tf.constant([[float(t), 0, 0, 0, 0]] * BATCH) for t in range(3)]
    targets = id_steps([0, 0, 0])
    weights = [tf.constant([1.0, 0.0]), tf.constant([2.0, 0.0]), tf.constant([0.5, 0.0])]
    per_step = np.log1p(4 * np.exp(-np.arange(3.0)))
    total = float(np.dot([1.0, 2.0, 0.5], per_step))
    summed = seq2seq.sequence_loss_by_example(
        logits, targets, weights, average_across_timesteps=False
    )
    assert_close(summed.numpy(), np.array([total, 0.0], np.float32))
    averaged = seq2seq.sequence_loss_by_example(logits, targets, weights)
    # All-zero weights give 0 (TF 1.x adds 1e-12 to the divisor), not NaN.
    assert_close(averaged.numpy(), np.array([total / 3.5, 0.0], np.float32))


def test_custom_softmax_loss_function_gets_named_arguments():
    seen = []

    def loss_fn(labels, logits):
        seen.append((tuple(labels.shape), tuple(logits.shape)))
        return tf.fill([BATCH], 2.0)

    loss = seq2seq.sequence_loss(UNIFORM_LOGITS, TARGETS, ONES, softmax_loss_function=loss_fn)
    assert_close(loss.numpy(), np.float32(2.0))
    assert seen == [((BATCH,), (BATCH, 5))] * 3


@pytest.mark.slow
def test_sampled_softmax_buckets_model_learns_to_copy():
    # The translate tutorial's setup in miniature: output projection kept apart for the
    # sampled softmax, buckets sharing one set of variables, Adam with gradient clipping.
    classes, size, batch, length = 10, 8, 16, 4
    buckets = [(2, 2), (length, length)]
    rng = np.random.RandomState(111)

    def fn(encoder_inputs, decoder_inputs, targets, weights):
        w = tf.compat.v1.get_variable("proj_w", [size, classes])
        b = tf.compat.v1.get_variable("proj_b", [classes])

        def sampled_loss(labels, logits):
            return tf.nn.sampled_softmax_loss(
                weights=tf.transpose(w), biases=b, labels=tf.reshape(labels, [-1, 1]),
                inputs=logits, num_sampled=4, num_classes=classes,
            )

        def gru_seq2seq(x, y):
            return seq2seq.embedding_attention_seq2seq(
                x, y, rnn_cell.GRUCell(size), classes, classes, size, output_projection=(w, b)
            )

        return seq2seq.model_with_buckets(
            encoder_inputs, decoder_inputs, targets, weights, buckets, gru_seq2seq,
            softmax_loss_function=sampled_loss,
        )

    model = seq2seq.Template(fn)
    optimizer = tf.keras.optimizers.Adam(0.03, epsilon=1e-5)
    weights = [tf.ones([batch]) for _ in range(length)]
    history = []
    for _ in range(25):
        symbols = tf.unstack(tf.constant(rng.randint(1, classes, size=(length, batch)), tf.int32))
        decoder = [tf.zeros([batch], tf.int32)] + symbols[:-1]  # 0 is the GO symbol
        with tf.GradientTape() as tape:
            _, losses = model(symbols, decoder, symbols, weights)
            loss = tf.add_n(losses)
        variables = model.trainable_variables
        grads, _ = tf.clip_by_global_norm(tape.gradient(loss, variables), 30.0)
        optimizer.apply_gradients(zip(grads, variables))
        history.append(float(loss))
    assert np.mean(history[-5:]) < 0.8 * np.mean(history[:5]), history


# ----- static_rnn ---------------------------------------------------------------------------
def test_static_rnn_sequence_length_freezes_state_and_zeroes_outputs():
    inputs = [tf.constant(float(t + 1), tf.float32, [BATCH, 2]) for t in range(4)]
    lengths = tf.constant([2, 4])

    def fn(sequence_length):
        return seq2seq.static_rnn(
            rnn_cell.GRUCell(3), inputs, dtype=tf.float32, sequence_length=sequence_length
        )

    template = seq2seq.Template(fn)
    full_outputs, full_state = template(None)
    outputs, state = template(lengths)
    # Row 0 stops after 2 steps: zero outputs later, state frozen at step 2.
    assert_close(np.stack([o.numpy()[0] for o in outputs[2:]]), np.zeros([2, 3], np.float32))
    assert_close(state.numpy()[0], full_outputs[1].numpy()[0])
    # Row 1 runs the full length.
    assert_close(np.stack([o.numpy()[1] for o in outputs]), numpy_outputs(full_outputs)[:, 1])
    assert_close(state.numpy()[1], full_state.numpy()[1])
