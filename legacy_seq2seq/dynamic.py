"""Loop-based versions of the unrolled builders: same variables, same numbers, small graphs.

The TF 1.x functions unroll time in Python over lists of tensors, so a graph grows
with the sequence length and each bucket is a new, large graph (minutes to build
for the translate model). The functions here take time-major tensors and run the
time steps in a `tf.while_loop`: one small graph whatever the length, traced in
a fraction of the time, and one `tf.function` trace can serve every bucket.

They open the same variable scopes and call the same cells, attention and linear
maps as their unrolled counterparts, so they create (or reuse) exactly the same
variables and compute the same function; golden tests compare the two.

The first time step runs before the loop: it creates the variables outside the
loop body, which TF 1.x graphs require.
"""

from __future__ import annotations

import copy
from typing import Any

import tensorflow as tf

from legacy_seq2seq import rnn_cell
from legacy_seq2seq._checks import assert_like_rnncell, check_output_projection, dim_value
from legacy_seq2seq.decoders import AttentionDecoderStep, _embedding_and_loop

__all__ = [
    "loop_rnn",
    "loop_embedding_attention_decoder",
    "loop_embedding_attention_seq2seq",
]

_vs = tf.compat.v1


def _batch_size(tensor: tf.Tensor) -> int | tf.Tensor:
    size = dim_value(tensor, 1)
    return size if size is not None else tf.shape(tensor)[1]


def _time_major(values: Any, what: str, min_rank: int) -> tf.Tensor:
    if isinstance(values, (list, tuple)):
        values = tf.stack(values)
    values = tf.convert_to_tensor(values)
    if values.shape.rank is None or values.shape.rank < min_rank:
        raise ValueError(
            f"{what} must be a time-major tensor of rank >= {min_rank} ([time, batch, ...]), "
            f"got shape {values.shape}")
    return values


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


def _unstacked(values: tf.Tensor) -> tf.TensorArray:
    """A TensorArray of the time steps of `values` `[time, ...]`."""
    return tf.TensorArray(values.dtype, size=tf.shape(values)[0],
                          element_shape=values.shape[1:]).unstack(values)


def _run_layer_by_layer(cell: Any, inputs: tf.Tensor, initial_state: Any) -> Any:
    """Runs a built, possibly embedding-wrapped `rnn_cell.FusedStack` cell layer by layer.

    Returns:
      `(outputs [time, batch, output_size], final_state)`, as running `cell` step by
      step would, or None when `cell` is not such a cell.
    """
    inner = cell.wrapped_cell if isinstance(cell, rnn_cell.EmbeddingWrapper) else cell
    stack = rnn_cell.FusedStack.of(inner)
    if stack is None:
        return None
    if inner is not cell:
        return stack.run(cell.embed_sequence(inputs), initial_state)
    if inputs.shape.rank != 3 or not inputs.dtype.is_floating:
        return None
    return stack.run(inputs, initial_state)


def loop_embedding_attention_decoder(
    decoder_inputs: tf.Tensor,
    initial_state: Any,
    attention_states: tf.Tensor,
    cell: Any,
    num_symbols: int,
    embedding_size: int,
    num_heads: int = 1,
    output_size: int | None = None,
    output_projection: tuple[Any, Any] | None = None,
    feed_previous: bool = False,
    update_embedding_for_previous: bool = True,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    return_attention_weights: bool = False,
    attention_score: str = "additive",
) -> tuple[tf.Tensor, Any] | tuple[tf.Tensor, Any, tf.Tensor]:
    """`embedding_attention_decoder` over a time-major tensor of ids, in a `tf.while_loop`.

    Args:
      decoder_inputs: `[time, batch]` int ids (time >= 1).
      initial_state, attention_states, cell, num_symbols, embedding_size, num_heads,
      output_size, output_projection, update_embedding_for_previous, dtype, scope,
      initial_state_attention, attention_score: as in `embedding_attention_decoder`.
      feed_previous: Python bool; True feeds back the previous output's argmax.
      return_attention_weights: also return the weights of every step.

    Returns:
      `(outputs [time, batch, output_size], final_state)`, plus attention weights
      `[time, num_heads, batch, attn_length]` if `return_attention_weights`.
    """
    decoder_inputs = _time_major(decoder_inputs, "decoder_inputs", 2)
    assert_like_rnncell("cell", cell)
    if output_size is None:
        output_size = cell.output_size
    output_projection = check_output_projection(
        output_projection, num_symbols, dtype, output_size)
    with _vs.variable_scope(scope or "embedding_attention_decoder", dtype=dtype):
        embedding, loop_function = _embedding_and_loop(
            num_symbols, embedding_size, output_projection, feed_previous,
            update_embedding_for_previous)
        embedded = tf.nn.embedding_lookup(embedding, decoder_inputs)
        with _vs.variable_scope("attention_decoder") as varscope:
            step = AttentionDecoderStep(cell, attention_states, output_size, num_heads,
                                        varscope.dtype, attention_score=attention_score)
            initial_reads = step.attention.zero_reads(_batch_size(decoder_inputs))
            if initial_state_attention:
                initial_reads, _ = step.attention(initial_state)
            output, state, reads, weights = step(
                embedded[0], initial_state, initial_reads,
                reuse_attention=initial_state_attention)
            varscope.reuse_variables()
            if loop_function is None:
                # Step 0 above only made the variables; its unused ops are pruned.
                outputs, state, all_weights = _teacher_forced_steps(
                    step, embedded, initial_state, initial_reads)
                if return_attention_weights:
                    return outputs, state, all_weights
                return outputs, state
            num_steps = tf.shape(decoder_inputs)[0]
            outputs = tf.TensorArray(output.dtype, size=num_steps,
                                     element_shape=output.shape).write(0, output)
            stacked = tf.stack(weights)
            all_weights = tf.TensorArray(stacked.dtype, size=num_steps,
                                         element_shape=stacked.shape).write(0, stacked)

            def body(t, prev, state, reads, outputs, all_weights):
                if loop_function is not None:
                    with _vs.variable_scope("loop_function", reuse=True):
                        inp = loop_function(prev, t)
                else:
                    inp = embedded[t]
                output, state, reads, weights = step(inp, state, reads)
                return (t + 1, output, state, reads, outputs.write(t, output),
                        all_weights.write(t, tf.stack(weights)))

            _, _, state, _, outputs, all_weights = tf.while_loop(
                lambda t, *_: t < num_steps, body,
                (tf.constant(1), output, state, reads, outputs, all_weights))
    if return_attention_weights:
        return outputs.stack(), state, all_weights.stack()
    return outputs.stack(), state


def _teacher_forced_steps(
    step: AttentionDecoderStep, embedded: tf.Tensor, state: Any, reads: list[tf.Tensor]
) -> tuple[tf.Tensor, Any, tf.Tensor]:
    """Every step of an attention decoder whose inputs are given (no feedback).

    The input map of all steps is applied before the `tf.while_loop` and the output
    map after it, each as one matmul; the loop runs only the recurrence.

    Returns:
      `(outputs [time, batch, output_size], final_state,
      attention weights [time, num_heads, batch, attn_length])`.
    """
    steps = step.teacher_forced(embedded, state)
    inputs = _unstacked(steps.projected)
    num_steps = tf.shape(embedded)[0]
    batch = embedded.shape[1:2]

    def collector(*dims: int | None) -> tf.TensorArray:
        return tf.TensorArray(step.dtype, size=num_steps, element_shape=dims)

    attention = step.attention
    cell_outputs = collector(*batch, step.cell.output_size)
    read_steps = [collector(*batch, attention.attn_size) for _ in reads]
    weight_steps = collector(attention.num_heads, *batch, attention.attn_length)

    def body(t, state, reads, cell_outputs, read_steps, weight_steps):
        cell_output, state, reads, weights = steps.recur(inputs.read(t), state, reads)
        return (t + 1, state, reads, cell_outputs.write(t, cell_output),
                [ta.write(t, read) for ta, read in zip(read_steps, reads)],
                weight_steps.write(t, tf.stack(weights)))

    _, state, _, cell_outputs, read_steps, weight_steps = tf.while_loop(
        lambda t, *_: t < num_steps, body,
        (tf.constant(0), state, reads, cell_outputs, read_steps, weight_steps))
    outputs = steps.project_outputs(cell_outputs.stack(), [ta.stack() for ta in read_steps])
    return outputs, state, weight_steps.stack()


def loop_embedding_attention_seq2seq(
    encoder_inputs: tf.Tensor,
    decoder_inputs: tf.Tensor,
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    num_heads: int = 1,
    output_projection: tuple[Any, Any] | None = None,
    feed_previous: bool = False,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    attention_score: str = "additive",
) -> tuple[tf.Tensor, Any]:
    """`embedding_attention_seq2seq` over time-major id tensors, with `tf.while_loop`s.

    Same arguments, scopes and variables as `embedding_attention_seq2seq`, except:

    Args:
      encoder_inputs: `[encoder_time, batch]` int ids.
      decoder_inputs: `[decoder_time, batch]` int ids.
      feed_previous: a Python bool (use two calls under `tf.cond` to switch with a tensor).

    Returns:
      `(outputs [decoder_time, batch, num_decoder_symbols or cell.output_size],
      final_state)`.
    """
    assert_like_rnncell("cell", cell)
    encoder_inputs = _time_major(encoder_inputs, "encoder_inputs", 2)
    with _vs.variable_scope(scope or "embedding_attention_seq2seq", dtype=dtype) as varscope:
        encoder_cell = rnn_cell.EmbeddingWrapper(
            copy.deepcopy(cell), embedding_classes=num_encoder_symbols,
            embedding_size=embedding_size)
        encoder_outputs, encoder_state = loop_rnn(encoder_cell, encoder_inputs,
                                                  dtype=varscope.dtype)
        attention_states = tf.transpose(encoder_outputs, [1, 0, 2])
        output_size = None
        if output_projection is None:
            cell = rnn_cell.OutputProjectionWrapper(cell, num_decoder_symbols)
            output_size = num_decoder_symbols
        return loop_embedding_attention_decoder(
            decoder_inputs, encoder_state, attention_states, cell, num_decoder_symbols,
            embedding_size, num_heads=num_heads, output_size=output_size,
            output_projection=output_projection, feed_previous=feed_previous,
            initial_state_attention=initial_state_attention, attention_score=attention_score)
