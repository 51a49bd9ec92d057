"""legacy_seq2seq.rnn_cell: TF 1.15 variable layout, sizes and equations of each cell.

The golden cases cover GRUCell, BasicLSTMCell, MultiRNNCell, EmbeddingWrapper and
OutputProjectionWrapper; this file covers the other cells and options.  Layouts below were
read from the real TF 1.15 cells; the equations are checked against ``cell_formulas`` (NumPy),
which was itself checked against TF 1.15's cells.
"""

from __future__ import annotations

import cell_formulas as formulas
import numpy as np
import pytest
import tensorflow as tf
from numerics import assert_close

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell

BATCH, DEPTH = 2, 3
LSTM_4_4 = rnn_cell.LSTMStateTuple(4, 4)


def one_step(cell):
    """A function running ``cell`` one step on ones from its zero state."""
    return lambda: cell(tf.ones([BATCH, DEPTH]), cell.zero_state(BATCH, tf.float32))

# id -> (cell factory, output_size, state_size, {variable name: shape}) for inputs of depth 3.
LAYOUTS = {
    "basic_rnn": (
        lambda: rnn_cell.BasicRNNCell(4), 4, 4,
        {"basic_rnn_cell/kernel": [7, 4], "basic_rnn_cell/bias": [4]},
    ),
    "lstm": (
        lambda: rnn_cell.LSTMCell(4), 4, LSTM_4_4,
        {"lstm_cell/kernel": [7, 16], "lstm_cell/bias": [16]},
    ),
    "lstm_peepholes_projection": (
        lambda: rnn_cell.LSTMCell(4, use_peepholes=True, cell_clip=0.5, num_proj=3, proj_clip=0.3),
        3, rnn_cell.LSTMStateTuple(4, 3),
        {
            "lstm_cell/kernel": [6, 16], "lstm_cell/bias": [16], "lstm_cell/w_f_diag": [4],
            "lstm_cell/w_i_diag": [4], "lstm_cell/w_o_diag": [4],
            "lstm_cell/projection/kernel": [4, 3],
        },
    ),
    "lstm_projection_no_tuple": (
        lambda: rnn_cell.LSTMCell(4, num_proj=3, state_is_tuple=False), 3, 7,
        {
            "lstm_cell/kernel": [6, 16], "lstm_cell/bias": [16],
            "lstm_cell/projection/kernel": [4, 3],
        },
    ),
    "input_projection_gru": (
        lambda: rnn_cell.InputProjectionWrapper(rnn_cell.GRUCell(4), 5), 4, 4,
        {
            "input_projection_wrapper/kernel": [3, 5], "input_projection_wrapper/bias": [5],
            "input_projection_wrapper/gru_cell/gates/kernel": [9, 8],
            "input_projection_wrapper/gru_cell/gates/bias": [8],
            "input_projection_wrapper/gru_cell/candidate/kernel": [9, 4],
            "input_projection_wrapper/gru_cell/candidate/bias": [4],
        },
    ),
    "dropout_gru": (
        lambda: rnn_cell.DropoutWrapper(rnn_cell.GRUCell(4)), 4, 4,
        {
            "gru_cell/gates/kernel": [7, 8], "gru_cell/gates/bias": [8],
            "gru_cell/candidate/kernel": [7, 4], "gru_cell/candidate/bias": [4],
        },
    ),
    "multi_gru_no_tuple": (
        lambda: rnn_cell.MultiRNNCell(
            [rnn_cell.GRUCell(4), rnn_cell.GRUCell(2)], state_is_tuple=False
        ),
        2, 6,
        {
            "multi_rnn_cell/cell_0/gru_cell/gates/kernel": [7, 8],
            "multi_rnn_cell/cell_0/gru_cell/gates/bias": [8],
            "multi_rnn_cell/cell_0/gru_cell/candidate/kernel": [7, 4],
            "multi_rnn_cell/cell_0/gru_cell/candidate/bias": [4],
            "multi_rnn_cell/cell_1/gru_cell/gates/kernel": [6, 4],
            "multi_rnn_cell/cell_1/gru_cell/gates/bias": [4],
            "multi_rnn_cell/cell_1/gru_cell/candidate/kernel": [6, 2],
            "multi_rnn_cell/cell_1/gru_cell/candidate/bias": [2],
        },
    ),
}


@pytest.mark.parametrize(
    "make, output_size, state_size, layout", LAYOUTS.values(), ids=list(LAYOUTS)
)
def test_sizes_and_variable_layout_match_tf1(make, output_size, state_size, layout):
    cell = make()
    assert cell.output_size == output_size
    assert cell.state_size == state_size
    assert type(cell.state_size) is type(state_size)
    template = seq2seq.Template(one_step(cell))
    output, state = template()
    assert tuple(output.shape) == (BATCH, output_size)
    assert [int(s.shape[1]) for s in tf.nest.flatten(state)] == tf.nest.flatten(state_size)
    by_name = template.variables_by_name
    assert {name: v.shape.as_list() for name, v in by_name.items()} == layout


def _lstm_reference(**options):
    def step(weights, x, state):
        return formulas.lstm(formulas.scoped(weights, "lstm_cell"), x, state, **options)

    return step


def _lstm_no_tuple_reference(weights, x, state):
    output, (c, m) = formulas.lstm(
        formulas.scoped(weights, "lstm_cell"), x, (state[:, :4], state[:, 4:]), num_proj=3
    )
    return output, np.concatenate([c, m], axis=1)


def _input_projection_reference(weights, x, h):
    projected = formulas.input_projection(formulas.scoped(weights, "input_projection_wrapper"), x)
    return formulas.gru(formulas.scoped(weights, "input_projection_wrapper/gru_cell"), projected, h)


def _multi_gru_reference(weights, x, state):
    layer0 = formulas.scoped(weights, "multi_rnn_cell/cell_0/gru_cell")
    layer1 = formulas.scoped(weights, "multi_rnn_cell/cell_1/gru_cell")
    out0, h0 = formulas.gru(layer0, x, state[:, :4])
    out1, h1 = formulas.gru(layer1, out0, state[:, 4:])
    return out1, np.concatenate([h0, h1], axis=1)


PEEPHOLE_OPTIONS = dict(
    forget_bias=0.5, use_peepholes=True, cell_clip=0.5, num_proj=3, proj_clip=0.3
)

# id -> (cell factory, NumPy step(weights, x, state) -> (output, state))
EQUATIONS = {
    "basic_rnn": (
        lambda: rnn_cell.BasicRNNCell(4),
        lambda w, x, h: formulas.basic_rnn(formulas.scoped(w, "basic_rnn_cell"), x, h),
    ),
    "lstm": (lambda: rnn_cell.LSTMCell(4), _lstm_reference()),
    "lstm_peepholes_clips_projection": (
        lambda: rnn_cell.LSTMCell(4, **PEEPHOLE_OPTIONS), _lstm_reference(**PEEPHOLE_OPTIONS)
    ),
    "lstm_projection_no_tuple": (
        lambda: rnn_cell.LSTMCell(4, num_proj=3, state_is_tuple=False), _lstm_no_tuple_reference
    ),
    "input_projection_gru": (
        lambda: rnn_cell.InputProjectionWrapper(rnn_cell.GRUCell(4), 5),
        _input_projection_reference,
    ),
    "dropout_keep_everything_gru": (
        lambda: rnn_cell.DropoutWrapper(rnn_cell.GRUCell(4), 1.0, 1.0),
        lambda w, x, h: formulas.gru(formulas.scoped(w, "gru_cell"), x, h),
    ),
    "multi_gru_no_tuple": (
        lambda: rnn_cell.MultiRNNCell(
            [rnn_cell.GRUCell(4), rnn_cell.GRUCell(2)], state_is_tuple=False
        ),
        _multi_gru_reference,
    ),
}


@pytest.mark.parametrize("make, reference", EQUATIONS.values(), ids=list(EQUATIONS))
def test_two_steps_match_the_tf1_equations(make, reference):
    rng = np.random.RandomState(7)
    cell = make()
    # Inputs of magnitude up to 2 drive the LSTM clips into action.
    steps = [rng.uniform(-2, 2, [BATCH, DEPTH]).astype(np.float32) for _ in range(2)]
    initial = tf.nest.map_structure(
        lambda n: rng.uniform(-1, 1, [BATCH, n]).astype(np.float32), cell.state_size
    )

    def run():
        state = tf.nest.map_structure(tf.constant, initial)
        outputs = []
        for x in steps:
            output, state = cell(tf.constant(x), state)
            outputs.append(output)
        return outputs, state

    template = seq2seq.Template(run)
    template()
    weights = {}
    for name, variable in template.variables_by_name.items():
        weights[name] = rng.uniform(-1, 1, variable.shape).astype(np.float32)
        variable.assign(weights[name])
    outputs, state = template()

    expected_state = initial
    for x, output in zip(steps, outputs):
        expected_output, expected_state = reference(weights, x, expected_state)
        assert_close(output.numpy(), expected_output)
    for ours, expected in zip(tf.nest.flatten(state), tf.nest.flatten(expected_state)):
        assert_close(ours.numpy(), expected)


def test_dropout_wrapper_drops_outputs_at_the_keep_rate():
    cell = rnn_cell.DropoutWrapper(rnn_cell.BasicRNNCell(1000), output_keep_prob=0.5, seed=3)
    template = seq2seq.Template(one_step(cell))
    output, _ = template()
    kept = output.numpy() != 0
    assert 0.4 < kept.mean() < 0.6
    # Kept units are scaled by 1 / keep_prob (inverted dropout), as in TF 1.x.
    weights = {name: v.numpy() for name, v in template.variables_by_name.items()}
    full, _ = formulas.basic_rnn(
        formulas.scoped(weights, "basic_rnn_cell"), np.ones([BATCH, DEPTH]), np.zeros([BATCH, 1000])
    )
    assert_close(output.numpy()[kept], 2 * full[kept])
