"""Small TF 1.x graphs of the cell API, recorded under TF 1.15 and checked under TF 2.

`tools/oracle_tf1/make_port_references.py` runs every case under TF 1.15 (cells from
`tf.contrib.rnn`) and records its tensors with `legacy_seq2seq.testing`;
`tests/legacy_seq2seq/test_tf1_programs.py` runs the same source through the shim and
compares. Every case is `build() -> (cells, {name: tensor})` in a fresh graph with
graph seed 1234; weights are set by name (`script_support.assign_by_name`), so seeded
dropout draws and every number are comparable.
"""
import numpy as np
import tensorflow as tf
from script_support import assign_by_name

BATCH, DEPTH, STEPS = 2, 4, 3
GRAPH_SEED = 1234


def _inputs():
    rng = np.random.RandomState(5)
    return [tf.constant(rng.uniform(-1, 1, [BATCH, DEPTH]).astype(np.float32))
            for _ in range(STEPS)]


def _unrolled(cell, scope=None):
    outputs, state = tf.contrib.rnn.static_rnn(cell, _inputs(), dtype=tf.float32, scope=scope)
    tensors = {"outputs": tf.stack(outputs)}
    for i, part in enumerate(tf.nest.flatten(state)):
        tensors["state%d" % i] = part
    return tensors


def layer_norm_lstm():
    cell = tf.contrib.rnn.LayerNormBasicLSTMCell(5, forget_bias=0.5, norm_gain=1.1,
                                                 norm_shift=0.1)
    return [cell], _unrolled(cell)


def layer_norm_lstm_without_norm():
    cell = tf.contrib.rnn.LayerNormBasicLSTMCell(3, layer_norm=False)
    return [cell], _unrolled(cell)


def static_bidirectional():
    cell_fw = tf.contrib.rnn.GRUCell(3)
    cell_bw = tf.contrib.rnn.BasicLSTMCell(2)
    outputs, state_fw, state_bw = tf.contrib.rnn.static_bidirectional_rnn(
        cell_fw, cell_bw, _inputs(), dtype=tf.float32, sequence_length=tf.constant([3, 1]))
    return [cell_fw, cell_bw], {"outputs": tf.stack(outputs), "state_fw": state_fw,
                                "state_bw_c": state_bw.c, "state_bw_h": state_bw.h}


def stack_bidirectional():
    cells_fw = [tf.contrib.rnn.GRUCell(3), tf.contrib.rnn.GRUCell(2)]
    cells_bw = [tf.contrib.rnn.GRUCell(2), tf.contrib.rnn.GRUCell(3)]
    outputs, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_rnn(
        cells_fw, cells_bw, _inputs(), dtype=tf.float32, sequence_length=tf.constant([2, 3]))
    tensors = {"outputs": tf.stack(outputs)}
    for i, (fw, bw) in enumerate(zip(states_fw, states_bw)):
        tensors["state_fw%d" % i] = fw
        tensors["state_bw%d" % i] = bw
    return cells_fw + cells_bw, tensors


def variational_dropout():
    cell = tf.contrib.rnn.DropoutWrapper(
        tf.contrib.rnn.LSTMCell(3), input_keep_prob=0.7, output_keep_prob=0.6,
        state_keep_prob=0.5, variational_recurrent=True, input_size=DEPTH, dtype=tf.float32,
        seed=5)
    return [cell], _unrolled(cell)


def variational_dropout_stack():
    cell = tf.contrib.rnn.MultiRNNCell([
        tf.contrib.rnn.DropoutWrapper(
            tf.contrib.rnn.GRUCell(3), input_keep_prob=0.8, state_keep_prob=0.5,
            variational_recurrent=True, input_size=DEPTH, dtype=tf.float32, seed=9),
        tf.contrib.rnn.DropoutWrapper(
            tf.contrib.rnn.BasicLSTMCell(3), output_keep_prob=0.7, state_keep_prob=0.6,
            variational_recurrent=True, dtype=tf.float32, seed=11)])
    return [cell], _unrolled(cell)


def seeded_dropout():
    cell = tf.contrib.rnn.DropoutWrapper(tf.contrib.rnn.BasicLSTMCell(3), input_keep_prob=0.6,
                                         output_keep_prob=0.7, state_keep_prob=0.8, seed=3)
    return [cell], _unrolled(cell)


CASES = [layer_norm_lstm, layer_norm_lstm_without_norm, static_bidirectional,
         stack_bidirectional, variational_dropout, variational_dropout_stack, seeded_dropout]


def run_case(case, testing, path=None):
    """Builds `case` in a fresh graph, sets the weights, and returns (or with `path`,
    records) its tensors and the gradients of their sum of squares."""
    with tf.Graph().as_default():
        tf.set_random_seed(GRAPH_SEED)
        cells, tensors = case()
        loss = tf.add_n([tf.reduce_sum(tf.square(t)) for t in tensors.values()])
        tensors["loss"] = loss
        tensors.update(testing.gradients_by_name(loss))
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            assign_by_name(session, tf)
            if path is None:
                return testing.run(session, tensors)
            return testing.record(session, tensors, None, path)


def _api_facts(make, inputs, state_size_input=None):
    cell = make()
    facts = {"dtype_before": str(cell.dtype), "built_before": bool(cell.built)}
    state = cell.zero_state(BATCH, tf.float32)
    cell(inputs, state)
    facts.update({
        "dtype_after": getattr(cell.dtype, "name", str(cell.dtype)),
        "built_after": bool(cell.built),
        "weights": [v.op.name for v in cell.weights],
        "trainable_weights": [v.op.name for v in cell.trainable_weights],
        "non_trainable_weights": [v.op.name for v in cell.non_trainable_weights],
        "variables": [v.op.name for v in cell.variables],
        "config_keys": sorted(k for k in cell.get_config() if k != "name"),
    })
    return facts


API_CELLS = {
    "gru": lambda: tf.contrib.rnn.GRUCell(3),
    "lstm_peepholes_projection": lambda: tf.contrib.rnn.LSTMCell(
        3, use_peepholes=True, num_proj=2),
    "basic_rnn": lambda: tf.contrib.rnn.BasicRNNCell(3),
    "multi_gru_lstm": lambda: tf.contrib.rnn.MultiRNNCell(
        [tf.contrib.rnn.GRUCell(3), tf.contrib.rnn.BasicLSTMCell(2)]),
    "output_projection_gru": lambda: tf.contrib.rnn.OutputProjectionWrapper(
        tf.contrib.rnn.GRUCell(3), 5),
    "input_projection_gru": lambda: tf.contrib.rnn.InputProjectionWrapper(
        tf.contrib.rnn.GRUCell(3), 2),
    "layer_norm_lstm": lambda: tf.contrib.rnn.LayerNormBasicLSTMCell(3),
}


def api_facts():
    """What `weights`, `dtype`, `built`, `get_config` report for each of `API_CELLS`."""
    facts = {}
    for name, make in sorted(API_CELLS.items()):
        with tf.Graph().as_default():
            with tf.variable_scope("root"):
                facts[name] = _api_facts(make, tf.ones([BATCH, DEPTH]))
    return facts
