"""`static_rnn`: a cell unrolled over a Python list of time steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from legacy_seq2seq._checks import assert_like_rnncell, dim_value

__all__ = ["static_rnn"]

_vs = tf.compat.v1


def static_rnn(
    cell: Any,
    inputs: Sequence[tf.Tensor],
    initial_state: Any = None,
    dtype: tf.DType | None = None,
    sequence_length: Any = None,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any]:
    """Runs `cell` over the time steps `inputs`, in variable scope `scope` ("rnn").

    Args:
      cell: an RNN cell.
      inputs: a non-empty list of T tensors `[batch, input_size]` (or `[batch]` ids
        for an `EmbeddingWrapper`).
      initial_state: the starting state (structure of `cell.state_size`); zeros
        of `dtype` if None.
      dtype: dtype of the zero initial state; required if `initial_state` is None.
      sequence_length: optional int vector `[batch]`: past its length a sequence's
        output is zero and its state is carried through unchanged.
      scope: variable scope (string or VariableScope); default "rnn".

    Returns:
      `(outputs, state)`: the list of T outputs `[batch, cell.output_size]` and the
      final state.

    Raises:
      TypeError: `cell` is not a cell, or `inputs` is not a list.
      ValueError: `inputs` is empty, an input size is unknown, `sequence_length` is
        not a vector, or neither `initial_state` nor `dtype` is given.
    """
    assert_like_rnncell("cell", cell)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"inputs must be a list of tensors (one per time step), got {type(inputs)}")
    if not inputs:
        raise ValueError("inputs must not be empty")

    with _vs.variable_scope(scope or "rnn") as varscope:
        first = tf.nest.flatten(inputs[0])[0]
        if first.shape.rank != 1:
            for flat in tf.nest.flatten(inputs):
                for i in range(1, flat.shape.rank):
                    if dim_value(flat, i) is None:
                        raise ValueError(
                            f"Input size (dimension {i - 1} of inputs) must be accessible via "
                            "shape inference, but saw value None.")
        batch_size = dim_value(first, 0)
        if batch_size is None:
            batch_size = tf.shape(first)[0]

        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If no initial_state is provided, dtype must be specified")
            state = cell.zero_state(batch_size, dtype)

        if sequence_length is not None:
            sequence_length = tf.cast(tf.convert_to_tensor(sequence_length), tf.int32)
            if sequence_length.shape.rank not in (None, 1):
                raise ValueError("sequence_length must be a vector of length batch_size")
            state_dtype = tf.nest.flatten(state)[0].dtype
            zero_output = tf.nest.map_structure(
                lambda size: tf.zeros(tf.stack([batch_size, size]) if tf.is_tensor(batch_size)
                                      else [batch_size, size], state_dtype),
                cell.output_size)

        outputs = []
        for time, step_input in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            output, new_state = cell(step_input, state)
            if sequence_length is not None:
                # Finished sequences emit zeros and carry their state through.
                finished = (time >= sequence_length)[:, None]
                output = _select(finished, zero_output, output)
                new_state = _select(finished, state, new_state)
            state = new_state
            outputs.append(output)
        return outputs, state


def _select(condition: tf.Tensor, if_true: Any, if_false: Any) -> Any:
    return tf.nest.map_structure(lambda a, b: tf.where(condition, a, b), if_true, if_false)
