"""The fast paths compute the same function as the original arithmetic.

`LoopKernel` (a matmul whose gradient uses a transpose made once), `FusedStack` (cells run
from split weights, layer by layer), the teacher-forced decoder (input and output maps
hoisted out of the loop) and the tensor inputs of the encoder and the greedy search are
checked against the unrolled builders, whose numbers the golden tests tie to TF 1.15:
outputs, states, attention weights and every gradient, in float64 (tight) and float32.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell
from legacy_seq2seq.linear import LoopKernel
from legacy_seq2seq.rnn import FusedStack

ENCODER_SYMBOLS, DECODER_SYMBOLS, EMBEDDING = 9, 11, 6
ENCODER_LENGTH, DECODER_LENGTH, BATCH = 4, 5, 3
TOLERANCE = {tf.float64: 1e-10, tf.float32: 2e-5}

CELLS = {
    "gru": lambda: rnn_cell.GRUCell(7),
    "gru2": lambda: rnn_cell.MultiRNNCell([rnn_cell.GRUCell(7) for _ in range(2)]),
    "lstm2": lambda: rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(5) for _ in range(2)]),
    "lstm_concat_state": lambda: rnn_cell.BasicLSTMCell(5, state_is_tuple=False),
    # No fused path: the generic loop must still match.
    "lstm_peepholes": lambda: rnn_cell.LSTMCell(5, use_peepholes=True),
}


def _ids(rng: np.random.Generator, length: int, symbols: int) -> np.ndarray:
    return rng.integers(0, symbols, (length, BATCH)).astype(np.int32)


def _assert_close(ours, theirs, dtype: tf.DType, what: str) -> None:
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=TOLERANCE[dtype],
                               atol=TOLERANCE[dtype], err_msg=what)


def _run_both(fn_loop, fn_unrolled, enc: np.ndarray, dec: np.ndarray, dtype: tf.DType):
    """Runs both builders over the same variables; returns (values, gradients) of each."""

    def objective(values):
        return tf.add_n([tf.reduce_sum(tf.cast(v, tf.float64) * (i + 1))
                         for i, v in enumerate(tf.nest.flatten(values))])

    results = []
    template = seq2seq.Template(fn_loop)
    template(enc, dec)
    unrolled = template.bind(fn_unrolled)
    for function in (template, unrolled):
        with tf.GradientTape() as tape:
            values = function(enc, dec)
            loss = objective(values)
        grads = tape.gradient(loss, template.trainable_variables)
        # None (e.g. an output projection that only feed_previous reads) stays None.
        results.append((values, [g if g is None else tf.convert_to_tensor(g) for g in grads]))
    del dtype
    return results


@pytest.mark.parametrize("dtype", [tf.float64, tf.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("cell_name", sorted(CELLS))
def test_loop_rnn_layer_by_layer_equals_static_rnn(cell_name: str, dtype: tf.DType):
    rng = np.random.default_rng(1)
    enc = _ids(rng, ENCODER_LENGTH, ENCODER_SYMBOLS)

    def wrapped():
        return rnn_cell.EmbeddingWrapper(CELLS[cell_name](), ENCODER_SYMBOLS, EMBEDDING)

    def loop(enc, _):
        with tf.compat.v1.variable_scope("m", dtype=dtype):
            return seq2seq.loop_rnn(wrapped(), enc, dtype=dtype)

    def unrolled(enc, _):
        with tf.compat.v1.variable_scope("m", dtype=dtype):
            outputs, state = seq2seq.static_rnn(wrapped(), tf.unstack(enc), dtype=dtype)
            return tf.stack(outputs), state

    (ours, our_grads), (theirs, their_grads) = _run_both(loop, unrolled, enc, enc, dtype)
    for i, (a, b) in enumerate(zip(tf.nest.flatten(ours), tf.nest.flatten(theirs))):
        _assert_close(a, b, dtype, f"value {i}")
    for i, (a, b) in enumerate(zip(our_grads, their_grads)):
        assert (a is None) == (b is None), f"gradient {i}"
        if a is not None:
            _assert_close(a, b, dtype, f"gradient {i}")


DECODERS = {
    "gru2_projection": dict(cell="gru2", projection=True),
    "lstm2_full_2heads": dict(cell="lstm2", projection=False, num_heads=2),
    "gru_initial_state_attention": dict(cell="gru", projection=True,
                                        initial_state_attention=True),
    "gru_luong_general": dict(cell="gru", projection=True, attention_score="luong_general"),
    "gru_luong_concat": dict(cell="gru", projection=True, attention_score="luong_concat"),
    "lstm_peepholes_full": dict(cell="lstm_peepholes", projection=False),
}


@pytest.mark.parametrize("dtype", [tf.float64, tf.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(DECODERS))
def test_teacher_forced_loop_equals_unrolled_seq2seq(name: str, dtype: tf.DType):
    config = DECODERS[name]
    rng = np.random.default_rng(2)
    enc = _ids(rng, ENCODER_LENGTH, ENCODER_SYMBOLS)
    dec = _ids(rng, DECODER_LENGTH, DECODER_SYMBOLS)

    def options():
        projection = None
        if config["projection"]:
            size = CELLS[config["cell"]]().output_size
            proj_w = tf.compat.v1.get_variable("proj_w", [DECODER_SYMBOLS, size], dtype=dtype)
            proj_b = tf.compat.v1.get_variable("proj_b", [DECODER_SYMBOLS], dtype=dtype)
            projection = (tf.transpose(proj_w), proj_b)
        return dict(num_heads=config.get("num_heads", 1), output_projection=projection,
                    initial_state_attention=config.get("initial_state_attention", False),
                    attention_score=config.get("attention_score", "additive"), dtype=dtype)

    def loop(enc, dec):
        return seq2seq.loop_embedding_attention_seq2seq(
            enc, dec, CELLS[config["cell"]](), ENCODER_SYMBOLS, DECODER_SYMBOLS, EMBEDDING,
            **options())

    def unrolled(enc, dec):
        outputs, state = seq2seq.embedding_attention_seq2seq(
            tf.unstack(enc), tf.unstack(dec), CELLS[config["cell"]](), ENCODER_SYMBOLS,
            DECODER_SYMBOLS, EMBEDDING, **options())
        return tf.stack(outputs), state

    (ours, our_grads), (theirs, their_grads) = _run_both(loop, unrolled, enc, dec, dtype)
    for i, (a, b) in enumerate(zip(tf.nest.flatten(ours), tf.nest.flatten(theirs))):
        _assert_close(a, b, dtype, f"value {i}")
    assert len(our_grads) == len(their_grads)
    for i, (a, b) in enumerate(zip(our_grads, their_grads)):
        assert (a is None) == (b is None), f"gradient {i}"
        if a is not None:
            _assert_close(a, b, dtype, f"gradient {i}")


def test_teacher_forced_attention_weights_equal_the_unrolled_ones():
    rng = np.random.default_rng(3)
    enc = _ids(rng, ENCODER_LENGTH, ENCODER_SYMBOLS)
    dec = _ids(rng, DECODER_LENGTH, DECODER_SYMBOLS)

    def loop(enc, dec):
        encoder = tf.random.stateless_normal([BATCH, ENCODER_LENGTH, 7], [1, 2],
                                              dtype=tf.float64)
        with tf.compat.v1.variable_scope("d", dtype=tf.float64):
            _, _, weights = seq2seq.loop_embedding_attention_decoder(
                dec, tf.zeros([BATCH, 7], tf.float64), encoder, CELLS["gru"](),
                DECODER_SYMBOLS, EMBEDDING, num_heads=2, return_attention_weights=True)
        return weights

    def unrolled(enc, dec):
        encoder = tf.random.stateless_normal([BATCH, ENCODER_LENGTH, 7], [1, 2],
                                              dtype=tf.float64)
        with tf.compat.v1.variable_scope("d", dtype=tf.float64):
            _, _, weights = seq2seq.embedding_attention_decoder_with_weights(
                tf.unstack(dec), tf.zeros([BATCH, 7], tf.float64), encoder, CELLS["gru"](),
                DECODER_SYMBOLS, EMBEDDING, num_heads=2)
        return tf.stack([tf.stack(step) for step in weights])

    (ours, _), (theirs, _) = _run_both(loop, unrolled, enc, dec, tf.float64)
    assert ours.shape == (DECODER_LENGTH, 2, BATCH, ENCODER_LENGTH)
    _assert_close(ours, theirs, tf.float64, "attention weights")


def test_loop_kernel_matmul_and_gradients_in_a_while_loop():
    rng = np.random.default_rng(4)
    kernel = tf.Variable(rng.normal(size=(6, 4)))
    steps = tf.constant(rng.normal(size=(5, 3, 6)))

    @tf.function
    def run(use_loop_kernel: bool):
        with tf.GradientTape() as tape:
            matmul = LoopKernel(kernel) if use_loop_kernel else (lambda x: tf.matmul(x, kernel))
            total = tf.while_loop(
                lambda t, acc: t < 5,
                lambda t, acc: (t + 1, acc + tf.reduce_sum(tf.sin(matmul(steps[t] * acc)))),
                (tf.constant(0), tf.constant(1.0, tf.float64)))[1]
        return total, tape.gradient(total, kernel)

    (value, grad), (expected_value, expected_grad) = run(True), run(False)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10)


def test_fused_stack_accepts_only_cells_it_reproduces():
    class CustomGRU(rnn_cell.GRUCell):
        def call(self, inputs, state):
            return super().call(inputs, state * 2)

    def built(cell):
        template = seq2seq.Template(lambda x: cell(x, cell.zero_state(BATCH, tf.float32)))
        template(tf.zeros([BATCH, 4]))
        return cell

    assert FusedStack.of(built(CELLS["gru2"]())) is not None
    assert FusedStack.of(built(CELLS["lstm_concat_state"]())) is not None
    assert FusedStack.of(rnn_cell.GRUCell(3)) is None  # not built yet
    for cell in (CustomGRU(3), CELLS["lstm_peepholes"](),
                 rnn_cell.OutputProjectionWrapper(rnn_cell.GRUCell(3), 5),
                 rnn_cell.MultiRNNCell([rnn_cell.GRUCell(3)], state_is_tuple=False)):
        assert FusedStack.of(built(cell)) is None, type(cell).__name__


def test_fused_stack_keeps_its_old_import_path():
    assert rnn_cell.FusedStack is FusedStack
    assert "FusedStack" not in rnn_cell.__all__


def test_tensor_encoder_and_max_length_serve_every_length_with_one_trace():
    rng = np.random.default_rng(5)

    def search(encoder_inputs, max_length):
        return seq2seq.embedding_attention_greedy_decode(
            encoder_inputs, CELLS["gru2"](), ENCODER_SYMBOLS, DECODER_SYMBOLS, EMBEDDING,
            max_length=max_length)

    template = seq2seq.Template(search)
    traces = []

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([], tf.int32)])
    def from_tensor(enc, max_length):
        traces.append(1)
        return template(enc, max_length)

    template(tf.zeros([2, BATCH], tf.int32), 3)
    for length, max_length in [(2, 3), (6, 7), (4, 2)]:
        enc = _ids(rng, length, ENCODER_SYMBOLS)
        ours = from_tensor(enc, max_length)
        theirs = template([tf.constant(row) for row in enc], max_length)
        np.testing.assert_array_equal(ours.tokens, theirs.tokens)
        np.testing.assert_array_equal(ours.lengths, theirs.lengths)
        np.testing.assert_allclose(ours.log_probs, theirs.log_probs, rtol=1e-5)
        assert ours.tokens.shape == (BATCH, max_length)
    assert len(traces) == 1
