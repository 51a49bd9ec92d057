"""`static_bidirectional_rnn` and `stack_bidirectional_rnn`, with TF 1.15's scopes and math.

Both run over a Python list of time steps, like `static_rnn`: the forward cell reads the
steps in order (scope `fw`), the backward cell reads them reversed (scope `bw`; with
`sequence_length`, each sequence is reversed within its own length), and the outputs of
both directions are concatenated step by step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from legacy_seq2seq._checks import assert_like_rnncell
from legacy_seq2seq.rnn import static_rnn

__all__ = ["static_bidirectional_rnn", "stack_bidirectional_rnn"]

_vs = tf.compat.v1


def _reversed_steps(steps: Sequence[Any], lengths: Any) -> list[Any]:
    """The steps in reverse order; with `lengths`, each sequence reversed within its length."""
    if lengths is None:
        return list(reversed(steps))
    lengths = tf.cast(lengths, tf.int64)
    flat_steps = [tf.nest.flatten(step) for step in steps]
    reversed_parts = []
    for part in zip(*flat_steps):
        stacked = tf.stack(part)  # [time, batch, depth]
        flipped = tf.reverse_sequence(stacked, lengths, seq_axis=0, batch_axis=1)
        unstacked = tf.unstack(flipped)
        for step, original in zip(unstacked, part):
            step.set_shape(original.shape)
        reversed_parts.append(unstacked)
    return [tf.nest.pack_sequence_as(steps[0], list(parts)) for parts in zip(*reversed_parts)]


def static_bidirectional_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Sequence[tf.Tensor],
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: tf.DType | None = None,
    sequence_length: Any = None,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any, Any]:
    """Runs a forward and a backward cell over `inputs`, in scope `scope` ("bidirectional_rnn").

    Args:
      cell_fw, cell_bw: the cells of the two directions (variables in `fw/`, `bw/`).
      inputs: a non-empty list of T tensors `[batch, input_size]`.
      initial_state_fw, initial_state_bw: starting states; zeros of `dtype` if None.
      dtype: dtype of the zero initial states; required if an initial state is None.
      sequence_length: optional int vector `[batch]`, the length of each sequence.
      scope: variable scope (string or VariableScope).

    Returns:
      `(outputs, output_state_fw, output_state_bw)`: the list of T outputs
      `[batch, cell_fw.output_size + cell_bw.output_size]` (forward part first) and
      the final states of the two directions.

    Raises:
      TypeError: a cell is not a cell, or `inputs` is not a list.
      ValueError: `inputs` is empty.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"inputs must be a list of tensors (one per time step), got {type(inputs)}")
    if not inputs:
        raise ValueError("inputs must not be empty")
    with _vs.variable_scope(scope or "bidirectional_rnn"):
        with _vs.variable_scope("fw") as fw_scope:
            outputs_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype,
                                              sequence_length, scope=fw_scope)
        with _vs.variable_scope("bw") as bw_scope:
            reversed_outputs_bw, state_bw = static_rnn(
                cell_bw, _reversed_steps(inputs, sequence_length), initial_state_bw, dtype,
                sequence_length, scope=bw_scope)
    outputs_bw = _reversed_steps(reversed_outputs_bw, sequence_length)
    outputs = [
        tf.nest.pack_sequence_as(fw, [tf.concat([a, b], 1) for a, b in
                                      zip(tf.nest.flatten(fw), tf.nest.flatten(bw))])
        for fw, bw in zip(outputs_fw, outputs_bw)]
    return outputs, state_fw, state_bw


def _check_layers(name: str, cells: Any, states: Any, depth: int | None) -> None:
    if not cells:
        raise ValueError(f"{name}: must specify at least one cell for a bidirectional RNN.")
    if not isinstance(cells, list):
        raise ValueError(f"{name} must be a list of RNNCells (one per layer).")
    if depth is not None and len(cells) != depth:
        raise ValueError("Forward and Backward cells must have the same depth.")
    if states is not None and (not isinstance(states, list) or len(states) != len(cells)):
        raise ValueError(f"initial states for {name} must be a list of states "
                         "(one per layer).")


def stack_bidirectional_rnn(
    cells_fw: list[Any],
    cells_bw: list[Any],
    inputs: Sequence[tf.Tensor],
    initial_states_fw: list[Any] | None = None,
    initial_states_bw: list[Any] | None = None,
    dtype: tf.DType | None = None,
    sequence_length: Any = None,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], tuple[Any, ...], tuple[Any, ...]]:
    """Stacked bidirectional layers: layer i reads layer i - 1's concatenated outputs.

    Layer i runs `static_bidirectional_rnn` in scope
    `<scope or "stack_bidirectional_rnn">/cell_<i>` (its variables in `cell_<i>/fw/`
    and `cell_<i>/bw/`).

    Args:
      cells_fw, cells_bw: lists of cells, one per layer, of the same length.
      inputs: a non-empty list of T tensors `[batch, input_size]`.
      initial_states_fw, initial_states_bw: optional lists of starting states, one per layer.
      dtype: dtype of the zero initial states.
      sequence_length: optional int vector `[batch]`, the length of each sequence.
      scope: variable scope (string or VariableScope).

    Returns:
      `(outputs, states_fw, states_bw)`: the last layer's list of T outputs
      `[batch, output_size_fw + output_size_bw]` and tuples of every layer's final
      forward and backward states.

    Raises:
      ValueError: no cells, cells not given as lists, lists of different lengths, or
        initial states that are not one per layer.
    """
    _check_layers("cells_fw", cells_fw, initial_states_fw, None)
    _check_layers("cells_bw", cells_bw, initial_states_bw, len(cells_fw))
    states_fw, states_bw = [], []
    layer_inputs = inputs
    with _vs.variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            with _vs.variable_scope(f"cell_{i}") as layer_scope:
                layer_inputs, state_fw, state_bw = static_bidirectional_rnn(
                    cell_fw, cell_bw, layer_inputs,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    dtype=dtype, sequence_length=sequence_length, scope=layer_scope)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return layer_inputs, tuple(states_fw), tuple(states_bw)
