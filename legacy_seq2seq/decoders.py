"""Decoders: plain, embedding, attention and embedding-attention RNN decoders.

All take Python lists of time steps (`[batch, input_size]` floats or `[batch]` int
ids) and return `(outputs, state)`: a list of `[batch, output_size]` tensors and
the final state, with TF 1.15's default scopes ("rnn_decoder", "attention_decoder",
"embedding_rnn_decoder", "embedding_attention_decoder").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from legacy_seq2seq import rnn_cell
from legacy_seq2seq._checks import (
    apply_output_projection,
    assert_like_rnncell,
    assert_nonempty,
    check_attention_arguments,
    check_output_projection,
    dim_value,
    embed,
)
from legacy_seq2seq.attention import LegacyAttention
from legacy_seq2seq.linear import Linear, LoopKernel, apply_linear_over_time, linear_variables
from legacy_seq2seq.template import get_variable

__all__ = [
    "AttentionDecoderStep",
    "TeacherForcedSteps",
    "rnn_decoder",
    "attention_decoder",
    "embedding_rnn_decoder",
    "embedding_attention_decoder",
    "attention_decoder_with_weights",
    "_extract_argmax_and_embed",
]

_vs = tf.compat.v1

LoopFunction = Callable[[tf.Tensor, int], tf.Tensor]


def _extract_argmax_and_embed(
    embedding: tf.Tensor,
    output_projection: tuple[tf.Tensor, tf.Tensor] | None = None,
    update_embedding: bool = True,
) -> LoopFunction:
    """A loop function feeding back the embedding of the previous step's argmax.

    Args:
      embedding: `[num_symbols, embedding_size]`.
      output_projection: None or `(W [output_size, num_symbols], B [num_symbols])`
        applied to the previous output before the argmax.
      update_embedding: if False, no gradient flows into `embedding` through the
        fed-back symbols.

    Returns:
      `loop_function(prev [batch, output_size], i) -> [batch, embedding_size]`.
    """

    def loop_function(prev: tf.Tensor, _: int) -> tf.Tensor:
        dtype = prev.dtype
        if output_projection is not None:
            prev = apply_output_projection(prev, output_projection)
        symbols = tf.argmax(prev, 1)
        embedded = embed(embedding, symbols, dtype)
        return embedded if update_embedding else tf.stop_gradient(embedded)

    return loop_function


def rnn_decoder(
    decoder_inputs: Sequence[tf.Tensor],
    initial_state: Any,
    cell: Any,
    loop_function: LoopFunction | None = None,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any]:
    """RNN decoder: runs `cell` from `initial_state` over the decoder inputs.

    Args:
      decoder_inputs: list of T tensors `[batch, input_size]`.
      initial_state: the cell's starting state (structure of `cell.state_size`).
      cell: an RNN cell.
      loop_function: if given, step i > 0 takes `loop_function(prev_output, i)`
        (in scope "loop_function") instead of `decoder_inputs[i]`; only the first
        decoder input is used.
      scope: variable scope, default "rnn_decoder".

    Returns:
      `(outputs, state)`: T tensors `[batch, cell.output_size]` and the final state.

    Raises:
      ValueError: no decoder inputs. TypeError: `cell` is not a cell.
    """
    assert_nonempty("decoder_inputs", decoder_inputs, "rnn decoder")
    assert_like_rnncell("cell", cell)
    with _vs.variable_scope(scope or "rnn_decoder"):
        state = initial_state
        outputs = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with _vs.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                _vs.get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


class AttentionDecoderStep:
    """One step of `attention_decoder`, reusable in loops (greedy, beam search).

    Construct it inside the decoder's variable scope (e.g. "attention_decoder"):
    it gets or creates the attention variables there and precomputes the keys.
    A step is: `x = Linear([input] + reads)` (kernel/bias of the decoder scope),
    `cell_output, state = cell(x, state)`, `reads = attention(state)`, and
    `output = Linear([cell_output] + reads)` in scope "AttnOutputProjection".

    Args:
      cell: an RNN cell.
      attention_states: `[batch, attn_length, attn_size]`.
      output_size: size of the outputs.
      num_heads: number of attention heads.
      dtype: dtype of the variables and reads.
      attention_score: the attention score, one of `ATTENTION_SCORES` (default
        "additive", the original).
      attention_mask: optional bool `[batch, attn_length]`: False states get no
        attention (None, the original, attends to all).
    """

    def __init__(self, cell: Any, attention_states: tf.Tensor, output_size: int,
                 num_heads: int, dtype: tf.DType, attention_score: str = "additive",
                 attention_mask: tf.Tensor | None = None):
        self.cell = cell
        self.output_size = output_size
        self.dtype = dtype
        self.attention = LegacyAttention(attention_states, num_heads, dtype,
                                         score=attention_score, attention_mask=attention_mask)
        self.scope = _vs.get_variable_scope()

    def __call__(
        self, inp: tf.Tensor, state: Any, reads: list[tf.Tensor], reuse_attention: bool = False
    ) -> tuple[tf.Tensor, Any, list[tf.Tensor], list[tf.Tensor]]:
        """Runs one decoder step.

        Args:
          inp: `[batch, input_size]`, input_size static.
          state: the cell's state.
          reads: the previous step's attention reads, per head `[batch, attn_size]`.
          reuse_attention: read the attention in reuse mode (its variables exist).

        Returns:
          `(output [batch, output_size], state, reads, weights)`; weights per head
          `[batch, attn_length]`.
        """
        input_size = dim_value(inp, 1) if inp.shape.rank == 2 else None
        if input_size is None:
            raise ValueError(f"Could not infer input size from input: {inp} (shape {inp.shape})")
        step_inputs = [tf.cast(e, self.dtype) for e in [inp] + list(reads)]
        x = Linear(step_inputs, input_size, True)(step_inputs)
        cell_output, state = self.cell(x, state)
        if reuse_attention:
            with _vs.variable_scope(_vs.get_variable_scope(), reuse=True):
                reads, weights = self.attention(state)
        else:
            reads, weights = self.attention(state)
        with _vs.variable_scope("AttnOutputProjection"):
            projection_inputs = [tf.cast(cell_output, self.dtype)] + reads
            output = Linear(projection_inputs, self.output_size, True)(projection_inputs)
        return output, state, reads, weights

    def teacher_forced(self, inputs: tf.Tensor, state: Any) -> TeacherForcedSteps:
        """Prepares running this step over given inputs (no feedback) in a loop.

        Call it in the step's variable scope, after a first `__call__` made the
        variables, and outside the loop.

        Args:
          inputs: `[time, batch, input_size]`, the (embedded) decoder inputs.
          state: a state of the cell (for its structure and size).

        Returns:
          A `TeacherForcedSteps`.
        """
        return TeacherForcedSteps(self, inputs, state)


class TeacherForcedSteps:
    """The steps of an `AttentionDecoderStep` whose inputs are known in advance.

    The decoder's input map `[input, reads] @ K + b` is split: the input part of every
    time step is computed before the recurrence (`projected`, one matmul), and since
    the outputs are not fed back, the output map of every step after it
    (`project_outputs`, one matmul). `recur` is the rest of a step. Together they
    compute the same function as calling the step at each time step. Kernels used
    inside the loop are `LoopKernel`s, and a cell that `FusedStack` accepts runs
    through it.

    Args:
      step: the decoder step, already called once.
      inputs: `[time, batch, input_size]`, the (embedded) decoder inputs.
      state: a state of the cell (for its structure and size).
    """

    def __init__(self, step: AttentionDecoderStep, inputs: tf.Tensor, state: Any):
        self._step = step
        self.dtype = step.dtype
        input_size = dim_value(inputs, 2)
        attention = step.attention
        read_size = attention.num_heads * attention.attn_size
        with _vs.variable_scope(step.scope, reuse=True):
            kernel, bias = linear_variables(input_size + read_size, input_size, self.dtype)
            query_size = sum(dim_value(part, 1) for part in tf.nest.flatten(state))
            self.attention = attention.for_loop(query_size, tf.nest.flatten(state)[0].dtype)
            with _vs.variable_scope("AttnOutputProjection"):
                output_kernel, self._output_bias = linear_variables(
                    step.cell.output_size + read_size, step.output_size, self.dtype)
        inputs_kernel, reads_kernel = tf.split(kernel, [input_size, read_size], axis=0)
        self.projected = apply_linear_over_time(
            tf.cast(inputs, self.dtype), LoopKernel(inputs_kernel), bias)
        self._reads_kernel = LoopKernel(reads_kernel)
        self._output_kernel = LoopKernel(output_kernel)
        self._fused_cell = rnn_cell.FusedStack.of(step.cell)

    def recur(self, projected_input: tf.Tensor, state: Any, reads: list[tf.Tensor]
              ) -> tuple[tf.Tensor, Any, list[tf.Tensor], list[tf.Tensor]]:
        """The recurrent part of a step.

        Args:
          projected_input: this step's row of `projected`, `[batch, input_size]`.
          state: the cell's state.
          reads: the previous step's attention reads, per head `[batch, attn_size]`.

        Returns:
          `(cell_output, state, reads, weights)`; the step's output is
          `project_outputs` of `cell_output` and `reads`.
        """
        read_inputs = reads[0] if len(reads) == 1 else tf.concat(reads, 1)
        x = projected_input + self._reads_kernel(read_inputs)
        if self._fused_cell is not None:
            cell_output, state = self._fused_cell.step(x, state)
        else:
            cell_output, state = self._step.cell(x, state)
        reads, weights = self.attention(state)
        return cell_output, state, reads, weights

    def project_outputs(self, cell_outputs: tf.Tensor, reads: list[tf.Tensor]) -> tf.Tensor:
        """The output map of every time step: `[time, batch, output_size]`.

        Args:
          cell_outputs: `[time, batch, cell.output_size]` from `recur`.
          reads: per head, `[time, batch, attn_size]` from `recur`.
        """
        parts = [tf.cast(cell_outputs, self.dtype)] + list(reads)
        return apply_linear_over_time(tf.concat(parts, 2), self._output_kernel,
                                      self._output_bias)


def attention_decoder_with_weights(
    decoder_inputs: Sequence[tf.Tensor],
    initial_state: Any,
    attention_states: tf.Tensor,
    cell: Any,
    output_size: int | None = None,
    num_heads: int = 1,
    loop_function: LoopFunction | None = None,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    attention_score: str = "additive",
) -> tuple[list[tf.Tensor], Any, list[list[tf.Tensor]]]:
    """`attention_decoder` that also returns the attention weights of every step.

    Same arguments and variables as `attention_decoder`.

    Returns:
      `(outputs, state, attention_weights)`: as `attention_decoder`, plus for each
      decoder step a list (one per head) of `[batch, attn_length]` weights that sum
      to 1 over the attention length (the weights used for that step's output).
    """
    assert_nonempty("decoder_inputs", decoder_inputs, "attention decoder")
    assert_like_rnncell("cell", cell)
    check_attention_arguments(num_heads, attention_states)
    if output_size is None:
        output_size = cell.output_size

    with _vs.variable_scope(scope or "attention_decoder", dtype=dtype) as varscope:
        step = AttentionDecoderStep(cell, attention_states, output_size, num_heads,
                                    varscope.dtype, attention_score=attention_score)
        first = decoder_inputs[0]
        batch_size = dim_value(first, 0)
        if batch_size is None:
            batch_size = tf.shape(first)[0]
        state = initial_state
        outputs, all_weights = [], []
        prev = None
        reads = step.attention.zero_reads(batch_size)
        if initial_state_attention:
            reads, _ = step.attention(initial_state)
        for i, inp in enumerate(decoder_inputs):
            if i > 0:
                _vs.get_variable_scope().reuse_variables()
            if loop_function is not None and prev is not None:
                with _vs.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            output, state, reads, weights = step(
                inp, state, reads, reuse_attention=(i == 0 and initial_state_attention))
            if loop_function is not None:
                prev = output
            outputs.append(output)
            all_weights.append(weights)
    return outputs, state, all_weights


def attention_decoder(
    decoder_inputs: Sequence[tf.Tensor],
    initial_state: Any,
    attention_states: tf.Tensor,
    cell: Any,
    output_size: int | None = None,
    num_heads: int = 1,
    loop_function: LoopFunction | None = None,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    attention_score: str = "additive",
) -> tuple[list[tf.Tensor], Any]:
    """RNN decoder with additive attention over `attention_states` (Bahdanau style).

    At step i the input is `Linear([input_i] + previous reads)` (scope
    "attention_decoder"), the cell runs on it, the attention reads the new state,
    and the output is `Linear([cell_output] + reads)` (scope "AttnOutputProjection").

    Args:
      decoder_inputs: list of T tensors `[batch, input_size]`.
      initial_state: `[batch, cell.state_size]` (or the cell's state structure).
      attention_states: `[batch, attn_length, attn_size]`; attn_size must be static.
      cell: an RNN cell.
      output_size: size of the outputs (default `cell.output_size`).
      num_heads: number of attention heads reading the states (>= 1).
      loop_function: as in `rnn_decoder`.
      dtype: dtype of the variables (default: the scope's, float32).
      scope: variable scope, default "attention_decoder".
      initial_state_attention: if True, the first step's previous reads come from
        attending with `initial_state` (e.g. to resume decoding); else zeros.
      attention_score: opt-in other scores (see `legacy_seq2seq.attention`):
        "additive" (default, the original), "luong_dot", "luong_general" or
        "luong_concat"; the Luong scores have their own variables.

    Returns:
      `(outputs, state)`: T tensors `[batch, output_size]` and the final state.

    Raises:
      ValueError: no decoder inputs, `num_heads` < 1, unknown `attn_size`,
        unknown input size or unknown `attention_score`.
      TypeError: `cell` is not a cell.
    """
    outputs, state, _ = attention_decoder_with_weights(
        decoder_inputs, initial_state, attention_states, cell, output_size=output_size,
        num_heads=num_heads, loop_function=loop_function, dtype=dtype, scope=scope,
        initial_state_attention=initial_state_attention, attention_score=attention_score)
    return outputs, state


def _embedding_and_loop(
    num_symbols: int,
    embedding_size: int,
    output_projection: tuple[tf.Tensor, tf.Tensor] | None,
    feed_previous: bool,
    update_embedding_for_previous: bool,
) -> tuple[tf.Variable, LoopFunction | None]:
    if not isinstance(feed_previous, (bool, np.bool_)):
        raise TypeError(
            "feed_previous of the embedding decoders must be a Python bool, got "
            f"{type(feed_previous).__name__}. To switch with a tensor, use the *_seq2seq "
            "functions, which build both decoders under tf.cond.")
    embedding = get_variable("embedding", [num_symbols, embedding_size])
    loop_function = (
        _extract_argmax_and_embed(embedding, output_projection, update_embedding_for_previous)
        if feed_previous else None)
    return embedding, loop_function


def embedding_rnn_decoder(
    decoder_inputs: Sequence[tf.Tensor],
    initial_state: Any,
    cell: Any,
    num_symbols: int,
    embedding_size: int,
    output_projection: tuple[Any, Any] | None = None,
    feed_previous: bool = False,
    update_embedding_for_previous: bool = True,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any]:
    """RNN decoder over embedded symbols (variable `embedding [num_symbols, embedding_size]`).

    Args:
      decoder_inputs: list of T int tensors `[batch]` (symbol ids).
      initial_state: the cell's starting state.
      cell: an RNN cell.
      num_symbols: number of symbols (rows of the embedding).
      embedding_size: size of the embedding vectors.
      output_projection: None or `(W [output_size, num_symbols], B [num_symbols])`;
        used only to pick fed-back symbols (outputs are not projected).
      feed_previous: Python bool; if True, step i > 0 embeds the argmax of the
        previous output instead of `decoder_inputs[i]` (greedy decoding).
      update_embedding_for_previous: if False, fed-back embeddings get no gradient.
      scope: variable scope, default "embedding_rnn_decoder".

    Returns:
      `(outputs, state)`: T tensors `[batch, cell.output_size]` and the final state.

    Raises:
      ValueError: `output_projection` has the wrong shape, or no decoder inputs.
    """
    assert_nonempty("decoder_inputs", decoder_inputs, "embedding rnn decoder")
    with _vs.variable_scope(scope or "embedding_rnn_decoder") as varscope:
        output_projection = check_output_projection(
            output_projection, num_symbols, varscope.dtype, _output_size_or_none(cell))
        embedding, loop_function = _embedding_and_loop(
            num_symbols, embedding_size, output_projection, feed_previous,
            update_embedding_for_previous)
        embedded = [tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs]
        return rnn_decoder(embedded, initial_state, cell, loop_function=loop_function)


def embedding_attention_decoder(
    decoder_inputs: Sequence[tf.Tensor],
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
    attention_score: str = "additive",
) -> tuple[list[tf.Tensor], Any]:
    """Attention decoder over embedded symbols (variable `embedding`).

    Args:
      decoder_inputs: list of T int tensors `[batch]` (symbol ids).
      initial_state: the cell's starting state.
      attention_states: `[batch, attn_length, attn_size]`.
      cell: an RNN cell.
      num_symbols: number of symbols (rows of the embedding).
      embedding_size: size of the embedding vectors.
      num_heads: number of attention heads.
      output_size: size of the outputs (default `cell.output_size`).
      output_projection: None or `(W [output_size, num_symbols], B [num_symbols])`,
        used to pick fed-back symbols.
      feed_previous: Python bool; True feeds back the previous output's argmax.
      update_embedding_for_previous: if False, fed-back embeddings get no gradient.
      dtype: dtype of the variables (default float32).
      scope: variable scope, default "embedding_attention_decoder".
      initial_state_attention: see `attention_decoder`.
      attention_score: see `attention_decoder` (default "additive", the original).

    Returns:
      `(outputs, state)`: T tensors `[batch, output_size]` and the final state.

    Raises:
      ValueError: `output_projection` has the wrong shape, or as `attention_decoder`.
    """
    outputs, state, _ = embedding_attention_decoder_with_weights(
        decoder_inputs, initial_state, attention_states, cell, num_symbols, embedding_size,
        num_heads=num_heads, output_size=output_size, output_projection=output_projection,
        feed_previous=feed_previous,
        update_embedding_for_previous=update_embedding_for_previous, dtype=dtype,
        scope=scope, initial_state_attention=initial_state_attention,
        attention_score=attention_score)
    return outputs, state


def embedding_attention_decoder_with_weights(
    decoder_inputs: Sequence[tf.Tensor],
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
    attention_score: str = "additive",
) -> tuple[list[tf.Tensor], Any, list[list[tf.Tensor]]]:
    """`embedding_attention_decoder` that also returns the attention weights.

    Returns:
      `(outputs, state, attention_weights)`, see `attention_decoder_with_weights`.
    """
    assert_nonempty("decoder_inputs", decoder_inputs, "embedding attention decoder")
    if output_size is None:
        output_size = cell.output_size
    output_projection = check_output_projection(
        output_projection, num_symbols, dtype, output_size)
    with _vs.variable_scope(scope or "embedding_attention_decoder", dtype=dtype):
        embedding, loop_function = _embedding_and_loop(
            num_symbols, embedding_size, output_projection, feed_previous,
            update_embedding_for_previous)
        embedded = [tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs]
        return attention_decoder_with_weights(
            embedded, initial_state, attention_states, cell, output_size=output_size,
            num_heads=num_heads, loop_function=loop_function,
            initial_state_attention=initial_state_attention, attention_score=attention_score)


def _output_size_or_none(cell: Any) -> int | None:
    size = getattr(cell, "output_size", None)
    return size if isinstance(size, int) else None
