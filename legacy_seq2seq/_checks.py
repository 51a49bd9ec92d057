"""Argument checks shared by the library, with messages that name the problem."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import tensorflow as tf


class TransposedProjection(NamedTuple):
    """An output projection `(W, B)` given by W's transpose, as the tutorial stores it.

    The translate tutorial keeps `proj_w` as `[num_symbols, output_size]` and passed
    `(tf.transpose(proj_w), proj_b)`; decoding then copied the transposed matrix at every
    call, the largest tensor of a large model. Passed as `output_projection`, this pair is
    multiplied as `(rows @ outputs^T)^T` (`apply_output_projection`): the same products,
    and only the small operand is transposed.

    Attributes:
      rows: `[num_symbols, output_size]`, W's transpose.
      bias: `[num_symbols]`, B.
    """

    rows: Any
    bias: Any


def assert_like_rnncell(arg_name: str, cell: Any) -> None:
    """Raises TypeError unless `cell` behaves like an RNN cell.

    A cell needs `output_size`, `state_size`, `zero_state` (or `get_initial_state`)
    and must be callable as `cell(inputs, state)`.
    """
    problems = []
    if not hasattr(cell, "output_size"):
        problems.append("it has no 'output_size' property")
    if not hasattr(cell, "state_size"):
        problems.append("it has no 'state_size' property")
    if not (hasattr(cell, "zero_state") or hasattr(cell, "get_initial_state")):
        problems.append("it has no 'zero_state' or 'get_initial_state' method")
    if not callable(cell):
        problems.append("it is not callable")
    if problems:
        raise TypeError(
            f"The argument '{arg_name}' ({cell!r}) is not an RNN cell: " + ", ".join(problems) + "."
        )


def assert_nonempty(arg_name: str, values: Sequence[Any], what: str) -> None:
    """Raises ValueError if the Python list `values` is empty."""
    if values is None or len(values) == 0:
        raise ValueError(f"Must provide at least 1 input to {what}: '{arg_name}' is empty.")


def check_output_projection(
    output_projection: tuple[Any, Any] | None,
    num_symbols: int,
    dtype: tf.DType | None,
    input_size: int | None = None,
) -> tuple[tf.Tensor, tf.Tensor] | None:
    """Converts an `(W, B)` output projection to tensors and checks their shapes.

    Args:
      output_projection: None, a pair `(W, B)`, W of shape `[output_size, num_symbols]`
        and B of shape `[num_symbols]`, or a `TransposedProjection`.
      num_symbols: the number of output symbols.
      dtype: dtype to convert to (None: keep the given dtype).
      input_size: the output size of the cell feeding the projection, if known.

    Returns:
      None, or the pair (or `TransposedProjection`) as tensors of `dtype`.

    Raises:
      ValueError: if W or B has the wrong shape.
    """
    if output_projection is None:
        return None
    if isinstance(output_projection, TransposedProjection):
        rows = tf.convert_to_tensor(output_projection.rows, dtype=dtype)
        bias = tf.convert_to_tensor(output_projection.bias, dtype=dtype)
        if not rows.shape.is_compatible_with([num_symbols, input_size]):
            raise ValueError(
                f"TransposedProjection.rows must have shape [num_symbols, output_size] = "
                f"[{num_symbols}, {input_size if input_size is not None else '?'}], "
                f"got {rows.shape.as_list()}.")
        if not bias.shape.is_compatible_with([num_symbols]):
            raise ValueError(f"TransposedProjection.bias must have shape [num_symbols] = "
                             f"[{num_symbols}], got {bias.shape.as_list()}.")
        return TransposedProjection(rows, bias)
    if len(output_projection) != 2:
        raise ValueError(
            "output_projection must be a pair (W, B), got "
            f"{len(output_projection)} elements."
        )
    weights = tf.convert_to_tensor(output_projection[0], dtype=dtype)
    biases = tf.convert_to_tensor(output_projection[1], dtype=dtype)
    expected_w = tf.TensorShape([input_size, num_symbols])
    if not weights.shape.is_compatible_with(expected_w):
        raise ValueError(
            f"output_projection[0] (W) must have shape [output_size, num_symbols] = "
            f"[{input_size if input_size is not None else '?'}, {num_symbols}], "
            f"got {weights.shape.as_list()}."
        )
    if not biases.shape.is_compatible_with([num_symbols]):
        raise ValueError(
            f"output_projection[1] (B) must have shape [num_symbols] = [{num_symbols}], "
            f"got {biases.shape.as_list()}."
        )
    return weights, biases


def apply_output_projection(outputs: tf.Tensor, output_projection: Any) -> tf.Tensor:
    """`outputs @ W + B` `[batch, num_symbols]` for a checked `output_projection`."""
    if isinstance(output_projection, TransposedProjection):
        # rows @ outputs^T transposes only the small operand: a transposed large operand is
        # many times slower on CPU for the few rows decoding multiplies.
        logits = tf.transpose(tf.matmul(output_projection.rows, outputs, transpose_b=True))
        return tf.nn.bias_add(logits, output_projection.bias)
    return tf.compat.v1.nn.xw_plus_b(outputs, output_projection[0], output_projection[1])


def embed(embedding: Any, ids: tf.Tensor, dtype: tf.DType | None = None) -> tf.Tensor:
    """The rows of `embedding` for `ids`, in `dtype` (None: the embedding's own).

    Only the gathered rows are cast: a mixed-precision model may hand over its float32
    embedding variable, which is then gathered from, never read and cast whole.
    """
    rows = tf.nn.embedding_lookup(embedding, ids)
    return rows if dtype is None else tf.cast(rows, dtype)


def dim_value(tensor: tf.Tensor, axis: int) -> int | None:
    """The static size of `tensor`'s dimension `axis`, or None if unknown.

    Works with TF 2 shapes (ints) and with `disable_v2_behavior()` shapes
    (`Dimension` objects, where an unknown size is `Dimension(None)`, not None).
    """
    if tensor.shape.rank is None:
        return None
    return tf.compat.dimension_value(tensor.shape[axis])


def check_attention_arguments(num_heads: int, attention_states: tf.Tensor) -> None:
    """Raises ValueError unless `num_heads` >= 1 and `attention_states` is `[B, L, known D]`."""
    if num_heads < 1:
        raise ValueError(
            f"num_heads must be at least 1 (got {num_heads}); with no heads, use a "
            "non-attention decoder.")
    if attention_states.shape.rank != 3 or dim_value(attention_states, 2) is None:
        raise ValueError(f"Shape[2] of attention_states must be known: {attention_states.shape}")


def static_dim(tensor: tf.Tensor, axis: int, what: str) -> int:
    """Returns a statically known dimension of `tensor` or raises ValueError."""
    value = dim_value(tensor, axis)
    if value is None:
        raise ValueError(
            f"Dimension {axis} of {what} must be known statically, got shape {tensor.shape}."
        )
    return int(value)
