"""The linear map `concat(args) @ kernel + bias`, used by every cell and decoder.

TF 1.15 names the weights `kernel` and `bias` in the current variable scope (cells
prefix them, e.g. `gates/kernel`). Keeping one implementation keeps the variable
layout and the arithmetic identical everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from legacy_seq2seq._checks import dim_value
from legacy_seq2seq.template import get_variable

__all__ = ["Linear", "linear", "linear_variables", "apply_linear",
           "apply_linear_over_time", "LoopKernel"]


def _as_list(args: tf.Tensor | Sequence[tf.Tensor]) -> list[tf.Tensor]:
    if args is None or (isinstance(args, (list, tuple)) and not args):
        raise ValueError("`args` must be specified")
    return list(args) if isinstance(args, (list, tuple)) else [args]


def _total_arg_size(args: list[tf.Tensor]) -> int:
    total = 0
    for arg in args:
        shape = arg.shape
        if shape.rank != 2:
            raise ValueError(
                f"linear is expecting 2-D arguments, got shapes {[a.shape for a in args]}"
            )
        size = dim_value(arg, 1)
        if size is None:
            raise ValueError(f"linear expects shape[1] to be known for shape {shape}")
        total += size
    return total


def linear_variables(
    input_size: int,
    output_size: int,
    dtype: tf.DType,
    build_bias: bool = True,
    prefix: str = "",
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
) -> tuple[tf.Variable, tf.Variable | None]:
    """Gets or creates `<prefix>kernel [input_size, output_size]` and `<prefix>bias`.

    The bias starts at zero unless `bias_initializer` says otherwise; the kernel
    uses `kernel_initializer`, else the scope's initializer (glorot uniform).
    """
    kernel = get_variable(
        prefix + "kernel", [input_size, output_size], dtype=dtype, initializer=kernel_initializer
    )
    bias = None
    if build_bias:
        if bias_initializer is None:
            bias_initializer = tf.compat.v1.constant_initializer(0.0)
        bias = get_variable(
            prefix + "bias", [output_size], dtype=dtype, initializer=bias_initializer)
    return kernel, bias


def apply_linear(
    args: Sequence[tf.Tensor], kernel: tf.Tensor, bias: tf.Tensor | None = None
) -> tf.Tensor:
    """Computes `concat(args, 1) @ kernel (+ bias)`: `[batch, output_size]`."""
    x = args[0] if len(args) == 1 else tf.concat(list(args), 1)
    out = tf.matmul(x, kernel)
    if bias is not None:
        out = tf.nn.bias_add(out, bias)
    return out


class LoopKernel:
    """A kernel multiplied at every step of a loop, with a fast gradient.

    The gradient of `x @ kernel` with respect to `x` is `dy @ kernel^T`. TensorFlow
    computes it with a transposed operand, which on CPU is several times slower than
    a plain matmul for the few rows (the batch) of one time step. Built outside the
    loop, a `LoopKernel` makes the transpose once; inside, `loop_kernel(x)` equals
    `tf.matmul(x, kernel)` and its gradient multiplies by the stored transpose. When
    no gradient is taken, the unused transpose is pruned from the graph.

    Under TF 1.x control flow (`tf.compat.v1.disable_control_flow_v2`) it is a plain
    matmul.

    Args:
      kernel: `[input_size, output_size]`.
    """

    def __init__(self, kernel: tf.Tensor):
        self.kernel = tf.convert_to_tensor(kernel)
        self._fast_gradient = tf.compat.v1.control_flow_v2_enabled()
        self.transposed = tf.transpose(self.kernel) if self._fast_gradient else None

    @property
    def shape(self) -> tf.TensorShape:
        return self.kernel.shape

    def __call__(self, inputs: tf.Tensor) -> tf.Tensor:
        """`inputs @ kernel`: `[batch, input_size]` -> `[batch, output_size]`."""
        if not self._fast_gradient:
            return tf.matmul(inputs, self.kernel)
        return _matmul_with_transpose(inputs, self.kernel, self.transposed)


def _matmul_with_transpose(inputs: tf.Tensor, kernel: tf.Tensor,
                           transposed: tf.Tensor) -> tf.Tensor:
    @tf.custom_gradient
    def matmul(inputs: tf.Tensor, kernel: tf.Tensor):
        def gradient(upstream: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return (tf.matmul(upstream, transposed),
                    tf.matmul(inputs, upstream, transpose_a=True))

        return tf.matmul(inputs, kernel), gradient

    return matmul(inputs, kernel)


def apply_linear_over_time(
    inputs: tf.Tensor, kernel: tf.Tensor | LoopKernel, bias: tf.Tensor | None = None
) -> tf.Tensor:
    """`inputs @ kernel (+ bias)` for every time step at once, as one matmul.

    Args:
      inputs: `[time, batch, input_size]`, input_size static.
      kernel: `[input_size, output_size]`, a tensor or a `LoopKernel`.
      bias: optional `[output_size]`.

    Returns:
      `[time, batch, output_size]`.
    """
    output_size = dim_value(kernel, 1)
    flat = tf.reshape(inputs, [-1, dim_value(inputs, 2)])
    flat = kernel(flat) if isinstance(kernel, LoopKernel) else tf.matmul(flat, kernel)
    if bias is not None:
        flat = tf.nn.bias_add(flat, bias)
    outputs = tf.reshape(flat, tf.concat([tf.shape(inputs)[:2], [output_size]], 0))
    outputs.set_shape(inputs.shape[:2].concatenate([output_size]))
    return outputs


class Linear:
    """A linear map whose variables are made in the current scope at construction.

    Args:
      args: a 2-D tensor or a list of 2-D tensors `[batch, n_i]` (their sizes and
        dtype fix the kernel's shape `[sum n_i, output_size]`).
      output_size: int, the second dimension of the kernel.
      build_bias: whether to add a bias `[output_size]` (zeros by default).
      bias_initializer: initializer for the bias.
      kernel_initializer: initializer for the kernel.

    Raises:
      ValueError: if an argument is not 2-D or its second dimension is unknown.
    """

    def __init__(
        self,
        args: tf.Tensor | Sequence[tf.Tensor],
        output_size: int,
        build_bias: bool,
        bias_initializer: Any = None,
        kernel_initializer: Any = None,
    ):
        arg_list = _as_list(args)
        self._kernel, self._bias = linear_variables(
            _total_arg_size(arg_list),
            output_size,
            arg_list[0].dtype,
            build_bias=build_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
        )

    @property
    def kernel(self) -> tf.Variable:
        return self._kernel

    @property
    def bias(self) -> tf.Variable | None:
        return self._bias

    def __call__(self, args: tf.Tensor | Sequence[tf.Tensor]) -> tf.Tensor:
        """Applies the map: `[batch, output_size]`."""
        return apply_linear(_as_list(args), self._kernel, self._bias)


def linear(
    args: tf.Tensor | Sequence[tf.Tensor],
    output_size: int,
    bias: bool,
    bias_initializer: Any = None,
    kernel_initializer: Any = None,
) -> tf.Tensor:
    """One-shot `Linear(args, ...)(args)`: `[batch, output_size]`."""
    return Linear(args, output_size, bias, bias_initializer, kernel_initializer)(args)
