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

* `loop_attention_decoder`, `loop_embedding_attention_decoder`,
  `loop_embedding_attention_seq2seq`: here.
* `loop_rnn`: lives beside `static_rnn` in `rnn.py` (re-exported here).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from legacy_seq2seq._checks import assert_like_rnncell, check_output_projection, embed
from legacy_seq2seq.decoders import AttentionDecoderStep, _embedding_and_loop
from legacy_seq2seq.rnn import _batch_size, _time_major, _unstacked, loop_rnn
from legacy_seq2seq.seq2seq import _attention_model

__all__ = [
    "loop_rnn",
    "loop_attention_decoder",
    "loop_embedding_attention_decoder",
    "loop_embedding_attention_seq2seq",
]

_vs = tf.compat.v1


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
        return loop_attention_decoder(
            embed(embedding, decoder_inputs, dtype), initial_state,
            attention_states, cell, output_size=output_size, num_heads=num_heads,
            loop_function=loop_function, initial_state_attention=initial_state_attention,
            return_attention_weights=return_attention_weights,
            attention_score=attention_score)


def loop_attention_decoder(
    decoder_inputs: tf.Tensor,
    initial_state: Any,
    attention_states: tf.Tensor,
    cell: Any,
    output_size: int | None = None,
    num_heads: int = 1,
    loop_function: Any = None,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    return_attention_weights: bool = False,
    attention_score: str = "additive",
    attention_mask: tf.Tensor | None = None,
) -> tuple[tf.Tensor, Any] | tuple[tf.Tensor, Any, tf.Tensor]:
    """`attention_decoder` over a time-major tensor, in a `tf.while_loop`.

    Same variables (scope "attention_decoder") and numbers as `attention_decoder`.

    Args:
      decoder_inputs: `[time, batch, input_size]` (time >= 1, input_size static).
      initial_state, attention_states, cell, output_size, num_heads, dtype, scope,
      initial_state_attention, attention_score: as in `attention_decoder`.
      loop_function: None, or `loop_function(prev_output, t) -> next input` (called
        for t >= 1 instead of reading `decoder_inputs[t]`), as in `attention_decoder`.
      return_attention_weights: also return the weights of every step.
      attention_mask: optional bool `[batch, attn_length]`: False (padded) states get
        no attention. None (the original) attends to every state.

    Returns:
      `(outputs [time, batch, output_size], final_state)`, plus attention weights
      `[time, num_heads, batch, attn_length]` if `return_attention_weights`.

    Raises:
      ValueError: `decoder_inputs` is not time-major, or bad attention arguments.
      TypeError: `cell` is not an RNN cell.
    """
    embedded = _time_major(decoder_inputs, "decoder_inputs", 3)
    assert_like_rnncell("cell", cell)
    if output_size is None:
        output_size = cell.output_size
    with _vs.variable_scope(scope or "attention_decoder", dtype=dtype) as varscope:
        step = AttentionDecoderStep(cell, attention_states, output_size, num_heads,
                                    varscope.dtype, attention_score=attention_score,
                                    attention_mask=attention_mask)
        initial_reads = step.attention.zero_reads(_batch_size(embedded))
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
        num_steps = tf.shape(embedded)[0]
        outputs = tf.TensorArray(output.dtype, size=num_steps,
                                 element_shape=output.shape).write(0, output)
        stacked = tf.stack(weights)
        all_weights = tf.TensorArray(stacked.dtype, size=num_steps,
                                     element_shape=stacked.shape).write(0, stacked)

        def body(t, prev, state, reads, outputs, all_weights):
            with _vs.variable_scope("loop_function", reuse=True):
                inp = loop_function(prev, t)
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
    bidirectional_encoder: bool = False,
) -> tuple[tf.Tensor, Any]:
    """`embedding_attention_seq2seq` over time-major id tensors, with `tf.while_loop`s.

    Same arguments, scopes and variables as `embedding_attention_seq2seq`, except:

    Args:
      encoder_inputs: `[encoder_time, batch]` int ids.
      decoder_inputs: `[decoder_time, batch]` int ids.
      feed_previous: a Python bool (use two calls under `tf.cond` to switch with a tensor).
      bidirectional_encoder: beyond TF 1.x, a bidirectional encoder (see
        `embedding_attention_encoder`).

    Returns:
      `(outputs [decoder_time, batch, num_decoder_symbols or cell.output_size],
      final_state)`.
    """
    assert_like_rnncell("cell", cell)
    encoder_inputs = _time_major(encoder_inputs, "encoder_inputs", 2)
    with _attention_model(encoder_inputs, cell, num_encoder_symbols, num_decoder_symbols,
                          embedding_size, output_projection, dtype, scope,
                          bidirectional_encoder) as model:
        return loop_embedding_attention_decoder(
            decoder_inputs, model.encoder_state, model.attention_states, model.cell,
            num_decoder_symbols, embedding_size, num_heads=num_heads,
            output_size=model.output_size,
            output_projection=output_projection, feed_previous=feed_previous,
            initial_state_attention=initial_state_attention, attention_score=attention_score)
