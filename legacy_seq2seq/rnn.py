"""Running a cell over time: unrolled in Python, or in a `tf.while_loop`.

* `static_rnn`: the original; a cell unrolled over a Python list of time steps.
* `loop_rnn`: the same over a time-major tensor, the steps in a `tf.while_loop`
  (same variables and numbers; one small graph for every length).
* `FusedStack` (internal): the loop driver that runs a built GRU/LSTM stack layer
  by layer, each layer's input map applied to all time steps in one matmul.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from legacy_seq2seq import rnn_cell
from legacy_seq2seq._checks import assert_like_rnncell, dim_value
from legacy_seq2seq.linear import apply_linear_over_time

__all__ = ["static_rnn", "loop_rnn"]

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


def loop_rnn(
    cell: Any,
    inputs: tf.Tensor,
    initial_state: Any = None,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
) -> tuple[tf.Tensor, Any]:
    """`static_rnn` over a time-major tensor, with the time steps in a `tf.while_loop`.

    Args:
      cell: an RNN cell.
      inputs: `[time, batch, input_size]` (or `[time, batch]` ids for an
        `EmbeddingWrapper`); time >= 1, may be unknown statically.
      initial_state: the starting state; zeros of `dtype` if None.
      dtype: dtype of the zero initial state; required if `initial_state` is None.
      scope: variable scope, default "rnn" (as `static_rnn`).

    Returns:
      `(outputs [time, batch, cell.output_size], final_state)`.

    Raises:
      TypeError: `cell` is not a cell.
      ValueError: `inputs` is not time-major, or neither `initial_state` nor `dtype`.
    """
    assert_like_rnncell("cell", cell)
    inputs = _time_major(inputs, "inputs", 2)
    with _vs.variable_scope(scope or "rnn") as varscope:
        if initial_state is None:
            if not dtype:
                raise ValueError("If no initial_state is provided, dtype must be specified")
            initial_state = cell.zero_state(_batch_size(inputs), dtype)
        first_output, first_state = cell(inputs[0], initial_state)
        varscope.reuse_variables()
        layered = _run_layer_by_layer(cell, inputs, initial_state)
        if layered is not None:
            # Step 0 above only made the variables; its unused ops are pruned.
            return layered
        num_steps = tf.shape(inputs)[0]
        outputs = tf.TensorArray(first_output.dtype, size=num_steps,
                                 element_shape=first_output.shape).write(0, first_output)
        # Reading steps from a TensorArray keeps the gradient O(time), where slicing
        # `inputs[t]` would add a full-size gradient at every step.
        steps = _unstacked(inputs)

        def body(t: tf.Tensor, state: Any, outputs: tf.TensorArray):
            output, state = cell(steps.read(t), state)
            return t + 1, state, outputs.write(t, output)

        _, state, outputs = tf.while_loop(
            lambda t, *_: t < num_steps, body, (tf.constant(1), first_state, outputs))
        return outputs.stack(), state


def _batch_size(tensor: tf.Tensor) -> int | tf.Tensor:
    """The batch size of a time-major tensor: static if known, else a scalar tensor."""
    size = dim_value(tensor, 1)
    return size if size is not None else tf.shape(tensor)[1]


def _time_major(values: Any, what: str, min_rank: int) -> tf.Tensor:
    """`values` (a tensor or a list of time steps) as a time-major tensor, checked."""
    if isinstance(values, (list, tuple)):
        values = tf.stack(values)
    values = tf.convert_to_tensor(values)
    if values.shape.rank is None or values.shape.rank < min_rank:
        raise ValueError(
            f"{what} must be a time-major tensor of rank >= {min_rank} ([time, batch, ...]), "
            f"got shape {values.shape}")
    return values


def _unstacked(values: tf.Tensor) -> tf.TensorArray:
    """A TensorArray of the time steps of `values` `[time, ...]`."""
    return tf.TensorArray(values.dtype, size=tf.shape(values)[0],
                          element_shape=values.shape[1:]).unstack(values)


def _run_layer_by_layer(cell: Any, inputs: tf.Tensor, initial_state: Any) -> Any:
    """Runs a built, possibly embedding-wrapped cell that `FusedStack` accepts, layer by layer.

    Returns:
      `(outputs [time, batch, output_size], final_state)`, as running `cell` step by
      step would, or None when `cell` is not such a cell.
    """
    inner = cell.wrapped_cell if isinstance(cell, rnn_cell.EmbeddingWrapper) else cell
    stack = FusedStack.of(inner)
    if stack is None:
        return None
    if inner is not cell:
        return stack.run(cell.embed_sequence(inputs, tf.nest.flatten(initial_state)[0].dtype),
                         initial_state)
    if inputs.shape.rank != 3 or not inputs.dtype.is_floating:
        return None
    return stack.run(inputs, initial_state)


class FusedStack:
    """Internal: a built GRU/LSTM cell, or stack of them, run from weights prepared outside loops.

    The loop driver of `loop_rnn` and of the loop-based attention decoders; not part
    of the public API (`rnn_cell.FusedStack` remains as an alias for old imports).

    `FusedStack.of(cell)` accepts a `GRUCell` or `BasicLSTMCell` (not a subclass that
    changes `call`), or a `MultiRNNCell` with tuple states of such cells, once called; each
    may be in a `DropoutWrapper` that drops only inputs and outputs, at constant
    probabilities, unseeded and not variational (the translate model's `--dropout`).
    `step(inputs, state)` computes the same function as `cell(inputs, state)` (with the
    linear maps split into input and state parts, see `rnn_cell.FusedWeights`), and
    `run(sequence, state)` runs a whole time-major sequence layer by layer, projecting
    each layer's inputs for all time steps in one matmul. Build it outside the loop
    that uses it.

    Args:
      cell: the cell.
      layers: its layers (`[cell]` for a single cell).
    """

    def __init__(self, cell: rnn_cell.RNNCell, layers: Sequence[rnn_cell.RNNCell]):
        self._multi = isinstance(cell, rnn_cell.MultiRNNCell)
        unwrapped = [_simple_dropout(layer) for layer in layers]
        self._layers = [layer for layer, _ in unwrapped]
        # Per layer, (input keep probability, output keep probability).
        self._keep = [keep for _, keep in unwrapped]
        self._weights = [layer.fused_weights() for layer in self._layers]

    @classmethod
    def of(cls, cell: rnn_cell.RNNCell) -> FusedStack | None:
        """A `FusedStack` for `cell`, or None when `cell` is not such a (stack of) cell(s)."""
        if isinstance(cell, rnn_cell.MultiRNNCell):
            layers = cell._cells if cell._state_is_tuple else []
        else:
            layers = [cell]

        def fusable(layer: rnn_cell.RNNCell) -> bool:
            layer, _ = _simple_dropout(layer)
            return layer.built and any(
                isinstance(layer, base) and type(layer).call is base.call
                and type(layer).fused_step is base.fused_step
                for base in (rnn_cell.GRUCell, rnn_cell.BasicLSTMCell))

        if layers and all(fusable(layer) for layer in layers):
            return cls(cell, layers)
        return None

    def _layer_states(self, state: Any) -> list[Any]:
        return list(state) if self._multi else [state]

    def _joined(self, states: list[Any]) -> Any:
        return tuple(states) if self._multi else states[0]

    def step(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        """One time step: `(output [batch, output_size], new_state)`, as `cell(inputs, state)`."""
        new_states = []
        for layer, weights, (keep_in, keep_out), layer_state in zip(
                self._layers, self._weights, self._keep, self._layer_states(state)):
            inputs = _dropout(inputs, keep_in)
            projected = tf.nn.bias_add(weights.input_kernel(inputs), weights.input_bias)
            inputs, layer_state = layer.fused_step(projected, layer_state, weights)
            inputs = _dropout(inputs, keep_out)
            new_states.append(layer_state)
        return inputs, self._joined(new_states)

    def run(self, sequence: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        """Runs a whole sequence, layer by layer.

        Args:
          sequence: `[time, batch, input_size]`.
          state: the initial state.

        Returns:
          `(outputs [time, batch, output_size], final_state)`.
        """
        final_states = []
        for i, (layer, weights, (keep_in, keep_out), layer_state) in enumerate(
                zip(self._layers, self._weights, self._keep, self._layer_states(state))):
            with tf.name_scope(f"layer_{i}"):
                # Unseeded non-variational dropout draws every element independently, so
                # dropping the whole sequence at once draws what step-by-step dropout draws.
                sequence, layer_state = _run_fused_layer(
                    layer, weights, _dropout(sequence, keep_in), layer_state)
                sequence = _dropout(sequence, keep_out)
            final_states.append(layer_state)
        return sequence, self._joined(final_states)


def _simple_dropout(layer: rnn_cell.RNNCell) -> tuple[rnn_cell.RNNCell, tuple[float, float]]:
    """(the cell inside, (input keep, output keep)) of a `DropoutWrapper` that `FusedStack`
    can run; `(layer, (1.0, 1.0))` for anything else."""
    if not isinstance(layer, rnn_cell.DropoutWrapper):
        return layer, (1.0, 1.0)
    keep = (layer._input_keep_prob, layer._output_keep_prob)
    simple = (not layer._variational_recurrent and layer._seed is None
              and layer._state_keep_prob == 1.0
              and all(isinstance(k, float) for k in (*keep, layer._state_keep_prob)))
    return (layer._cell, keep) if simple else (layer, (1.0, 1.0))


def _dropout(values: tf.Tensor, keep_prob: float) -> tf.Tensor:
    return values if keep_prob == 1.0 else tf.nn.dropout(values, rate=1.0 - keep_prob)


def _run_fused_layer(layer: Any, weights: rnn_cell.FusedWeights, inputs: tf.Tensor,
                     state: Any) -> tuple[tf.Tensor, Any]:
    projected = apply_linear_over_time(
        tf.cast(inputs, weights.input_bias.dtype), weights.input_kernel, weights.input_bias)
    num_steps = tf.shape(inputs)[0]
    # A TensorArray keeps the gradient O(time); slicing `projected[t]` in the loop would
    # add a full-size gradient at every step.
    steps = _unstacked(projected)
    outputs = tf.TensorArray(projected.dtype, size=num_steps,
                             element_shape=inputs.shape[1:2].concatenate([layer.output_size]))

    def body(t: tf.Tensor, state: Any, outputs: tf.TensorArray):
        output, state = layer.fused_step(steps.read(t), state, weights)
        return t + 1, state, outputs.write(t, output)

    _, state, outputs = tf.while_loop(
        lambda t, *_: t < num_steps, body, (tf.constant(0), state, outputs))
    return outputs.stack(), state
