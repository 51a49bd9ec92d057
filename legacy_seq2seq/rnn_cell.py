"""RNN cells and wrappers with TensorFlow 1.15's variable layout, names and math.

Every cell is a `tf.Module`. Like a TF 1.15 cell (a legacy `tf.layers.Layer`), a
cell fixes its variable scope on its first call: `<caller's scope>/<base name>`,
e.g. `rnn/gru_cell`, or the `scope` argument if one is given. Its variables are
made there on the first call and reused by every later call, whatever scope the
later calls come from. So the same cell object can be shared between the
buckets of a model, and `copy.deepcopy(cell)` gives an independent, unbuilt cell
of the same configuration (TF 1.15 crashed here on built cells).

Shapes: `inputs` are `[batch, input_size]`; a state is a `[batch, n]` tensor or a
(nested) tuple of them matching `state_size`; outputs are `[batch, output_size]`.
"""

from __future__ import annotations

import collections
import copy
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import tensorflow as tf

from legacy_seq2seq._checks import assert_like_rnncell, dim_value
from legacy_seq2seq.linear import (
    LoopKernel,
    apply_linear,
    apply_linear_over_time,
    linear_variables,
)
from legacy_seq2seq.template import get_variable

__all__ = [
    "RNNCell",
    "BasicRNNCell",
    "GRUCell",
    "BasicLSTMCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "EmbeddingWrapper",
    "InputProjectionWrapper",
    "OutputProjectionWrapper",
    "DropoutWrapper",
    "ResidualWrapper",
    "DeviceWrapper",
    "FusedWeights",
    "FusedStack",
]

_vs = tf.compat.v1

StateSize = Any  # an int, a TensorShape, or a (nested) tuple of them


def _snake_case(class_name: str) -> str:
    """`GRUCell` -> `gru_cell`, `BasicLSTMCell` -> `basic_lstm_cell` (TF 1.x layer names)."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()
    return "private" + name if name.startswith("_") else name


def _input_depth(inputs: tf.Tensor, cell_name: str) -> int:
    depth = dim_value(inputs, -1)
    if depth is None:
        raise ValueError(
            f"{cell_name}: expected inputs.shape[-1] to be known, saw shape: {inputs.shape}"
        )
    return int(depth)


def _zeros_for(state_size: StateSize, batch_size: Any, dtype: tf.DType) -> Any:
    def zeros(size: Any) -> tf.Tensor:
        dims = tf.TensorShape(size).as_list()
        return tf.zeros(tf.stack([batch_size] + dims) if tf.is_tensor(batch_size)
                        else [batch_size] + dims, dtype=dtype)

    if isinstance(state_size, (tuple, list)):
        return tf.nest.map_structure(zeros, state_size)
    return zeros(state_size)


_LSTMStateTupleBase = collections.namedtuple("LSTMStateTuple", ("c", "h"))


class LSTMStateTuple(_LSTMStateTupleBase):
    """The `(c, h)` state of an LSTM cell: memory `c` and output `h`, each `[batch, n]`."""

    __slots__ = ()

    @property
    def dtype(self) -> tf.DType:
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


class FusedWeights(NamedTuple):
    """A cell's weights split by what they multiply, for running a whole sequence at once.

    `cell(x, h)` computes `[x, h] @ K + b`; the same map is `x @ K_x + b + h @ K_h`, and
    the `x @ K_x + b` part of every time step can be computed before the recurrence, in one
    large matmul (see `FusedStack`). Made outside loops, so the kernels' transposes (for
    the gradient, see `LoopKernel`) are made once.

    Attributes:
      input_kernel: `[input_size, m]`, the input rows of the cell's kernel(s), side by side.
      input_bias: `[m]`, the biases, in the same order.
      state_kernels: the state rows of the kernel(s), one `[n, .]` matrix per kernel.
    """

    input_kernel: LoopKernel
    input_bias: tf.Tensor
    state_kernels: tuple[LoopKernel, ...]


class RNNCell(tf.Module):
    """Base class of the cells: `output, new_state = cell(inputs, state)`.

    Subclasses define `state_size`, `output_size`, `call(inputs, state)` and, if
    they own weights, `_build(inputs)` which makes them with `get_variable` (or
    `linear_variables`) and stores them in `self._weights`.

    Args:
      trainable: whether the cell's variables are trainable.
      name: the cell's scope name (default: the class name in snake case).
      dtype: dtype of the weights (default: the dtype of the first inputs).
      _reuse: make the scope `name` exactly and reuse its variables (TF 1.x's `reuse`).
    """

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: tf.DType | str | None = None,
        _reuse: bool | None = None,
        _scope: Any = None,
    ):
        base_name = name or _snake_case(type(self).__name__)
        module_name = base_name if base_name.isidentifier() else _snake_case(type(self).__name__)
        super().__init__(name=module_name)
        self._base_name = base_name
        self._trainable = trainable
        self._dtype = tf.as_dtype(dtype) if dtype is not None else None
        self._reuse = _reuse
        self._scope = _scope
        self.built = False
        self._weights: dict[str, tf.Variable] = {}

    # -- configuration ------------------------------------------------------------
    @property
    def state_size(self) -> StateSize:
        """Size(s) of the state: an int or a (nested) tuple of ints."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self) -> int:
        """Size of the outputs: an int."""
        raise NotImplementedError("Abstract method")

    @property
    def dtype(self) -> tf.DType | None:
        return self._dtype

    @property
    def scope_name(self) -> str | None:
        """The variable scope the cell's variables live in, once it has been called."""
        return self._scope.name if self._scope is not None else None

    def zero_state(self, batch_size: int | tf.Tensor, dtype: tf.DType) -> Any:
        """Zeros shaped like the state: `[batch_size, n]` for each size in `state_size`."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return _zeros_for(self.state_size, batch_size, dtype)

    def get_initial_state(
        self, inputs: tf.Tensor | None = None, batch_size: Any = None, dtype: Any = None
    ) -> Any:
        """Keras-style alias of `zero_state`; batch size and dtype default to the inputs'."""
        if inputs is not None:
            batch_size = dim_value(inputs, 0)
            if batch_size is None:
                batch_size = tf.shape(inputs)[0]
            dtype = dtype or inputs.dtype
        return self.zero_state(batch_size, dtype)

    # -- calling ------------------------------------------------------------------
    def __call__(self, inputs: tf.Tensor, state: Any, scope: Any = None) -> tuple[Any, Any]:
        """Runs one step: returns `(output [batch, output_size], new_state)`."""
        if scope is not None:
            with _vs.variable_scope(scope) as given:
                return self._call_in_own_scope(inputs, state, given)
        # Entering the caller's scope by object restores the scope-name counters on
        # exit, so the default scope name is never made unique ("gru_cell", not
        # "gru_cell_1"), exactly as in TF 1.15.
        with _vs.variable_scope(_vs.get_variable_scope()):
            return self._call_in_own_scope(inputs, state, None)

    def _call_in_own_scope(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        if self._scope is None:
            if self._reuse:
                with _vs.variable_scope(scope if scope is not None else self._base_name) as fixed:
                    self._scope = fixed
            else:
                with _vs.variable_scope(scope, default_name=self._base_name) as fixed:
                    self._scope = fixed
        reuse = True if self.built else self._reuse
        with _vs.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False):
            if not self.built:
                self._build(inputs)
                self.built = True
            return self.call(inputs, state)

    def _build(self, inputs: tf.Tensor) -> None:
        """Makes the cell's weights on the first call (cells without weights: nothing)."""
        del inputs

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[Any, Any]:
        raise NotImplementedError("Abstract method")

    def _weight_dtype(self, inputs: tf.Tensor) -> tf.DType:
        return self._dtype or inputs.dtype.base_dtype

    def _make_variable(self, name: str, shape: Sequence[int], dtype: tf.DType,
                       initializer: Any = None) -> tf.Variable:
        variable = get_variable(name, shape, dtype=dtype, initializer=initializer,
                                trainable=self._trainable)
        self._weights[name] = variable
        return variable

    def _make_linear(self, prefix: str, input_size: int, output_size: int, dtype: tf.DType,
                     kernel_initializer: Any = None,
                     bias_initializer: Any = None) -> None:
        kernel, bias = linear_variables(
            input_size, output_size, dtype, prefix=prefix,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer)
        self._weights[prefix + "kernel"] = kernel
        self._weights[prefix + "bias"] = bias

    # -- copying ------------------------------------------------------------------
    _BUILD_STATE = ("_scope", "built", "_weights")

    def __deepcopy__(self, memo: dict[int, Any]) -> RNNCell:
        """An independent copy of the configuration, unbuilt (no scope, no variables)."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        tf.Module.__init__(clone, name=self.name)
        module_internals = set(vars(clone))
        for key, value in vars(self).items():
            if key in module_internals or key in self._BUILD_STATE:
                continue
            setattr(clone, key, copy.deepcopy(value, memo))
        clone._scope = None
        clone.built = False
        clone._weights = {}
        return clone


class BasicRNNCell(RNNCell):
    """`h' = activation(W [x, h] + b)`; variables `kernel [in + n, n]`, `bias [n]`.

    Args:
      num_units: int, the state and output size.
      activation: nonlinearity (default tanh).
      reuse, name, dtype: see `RNNCell`.
    """

    def __init__(self, num_units: int, activation: Callable | None = None,
                 reuse: bool | None = None, name: str | None = None,
                 dtype: Any = None, **kwargs: Any):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._activation = activation or tf.tanh

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def _build(self, inputs: tf.Tensor) -> None:
        depth = _input_depth(inputs, type(self).__name__)
        self._make_linear("", depth + self._num_units, self._num_units, self._weight_dtype(inputs))

    def call(self, inputs: tf.Tensor, state: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        w = self._weights
        output = self._activation(apply_linear([inputs, state], w["kernel"], w["bias"]))
        return output, output


class GRUCell(RNNCell):
    """Gated recurrent unit (Cho et al. 2014) with TF 1.15's layout.

    Variables: `gates/kernel [in + n, 2n]`, `gates/bias [2n]` (starts at 1.0),
    `candidate/kernel [in + n, n]`, `candidate/bias [n]` (starts at 0.0).
    `r, u = sigmoid(W_g [x, h] + b_g)`, `c = activation(W_c [x, r * h] + b_c)`,
    `h' = u * h + (1 - u) * c`.

    Args:
      num_units: int, the state and output size.
      activation: nonlinearity of the candidate (default tanh).
      reuse, name, dtype: see `RNNCell`.
      kernel_initializer, bias_initializer: initializers of new weights.
    """

    def __init__(self, num_units: int, activation: Callable | None = None,
                 reuse: bool | None = None, kernel_initializer: Any = None,
                 bias_initializer: Any = None, name: str | None = None,
                 dtype: Any = None, **kwargs: Any):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._activation = activation or tf.tanh
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def _build(self, inputs: tf.Tensor) -> None:
        depth = _input_depth(inputs, type(self).__name__) + self._num_units
        dtype = self._weight_dtype(inputs)
        gate_bias = self._bias_initializer
        if gate_bias is None:
            gate_bias = tf.compat.v1.constant_initializer(1.0)
        self._make_linear("gates/", depth, 2 * self._num_units, dtype,
                          self._kernel_initializer, gate_bias)
        self._make_linear("candidate/", depth, self._num_units, dtype,
                          self._kernel_initializer, self._bias_initializer)

    def call(self, inputs: tf.Tensor, state: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        w = self._weights
        new_h = self._update(
            apply_linear([inputs, state], w["gates/kernel"], w["gates/bias"]), state,
            lambda reset_state: apply_linear([inputs, reset_state], w["candidate/kernel"],
                                             w["candidate/bias"]))
        return new_h, new_h

    def fused_weights(self) -> FusedWeights:
        """The built cell's weights split for `fused_step` (inputs' part: gates, candidate).

        Returns:
          A `FusedWeights` with `state_kernels = (gates [n, 2n], candidate [n, n])`.
        """
        w = self._weights
        depth = dim_value(w["gates/kernel"], 0) - self._num_units
        # tf.split, not slicing: the gradient of a slice is a zero-padded full-size copy.
        gates_x, gates_h = tf.split(w["gates/kernel"], [depth, self._num_units], axis=0)
        candidate_x, candidate_h = tf.split(
            w["candidate/kernel"], [depth, self._num_units], axis=0)
        return FusedWeights(LoopKernel(tf.concat([gates_x, candidate_x], 1)),
                            tf.concat([w["gates/bias"], w["candidate/bias"]], 0),
                            (LoopKernel(gates_h), LoopKernel(candidate_h)))

    def fused_step(self, projected_inputs: tf.Tensor, state: tf.Tensor,
                   weights: FusedWeights) -> tuple[tf.Tensor, tf.Tensor]:
        """`call` from `inputs @ weights.input_kernel + weights.input_bias` `[batch, 3n]`."""
        gate_inputs, candidate_inputs = tf.split(
            projected_inputs, [2 * self._num_units, self._num_units], axis=1)
        gate_kernel, candidate_kernel = weights.state_kernels
        new_h = self._update(
            gate_inputs + gate_kernel(state), state,
            lambda reset_state: candidate_inputs + candidate_kernel(reset_state))
        return new_h, new_h

    def _update(self, gate_logits: tf.Tensor, state: tf.Tensor,
                candidate_logits: Callable[[tf.Tensor], tf.Tensor]) -> tf.Tensor:
        """The GRU update from the gates' logits and the candidate's logits of `r * state`."""
        r, u = tf.split(tf.sigmoid(gate_logits), 2, axis=1)
        candidate = self._activation(candidate_logits(r * state))
        return u * state + (1 - u) * candidate


class BasicLSTMCell(RNNCell):
    """LSTM without peepholes or projection; variables `kernel [in + n, 4n]`, `bias [4n]`.

    Gates are ordered i, j, f, o; `forget_bias` is added to f.

    Args:
      num_units: int, size of c and h.
      forget_bias: float added to the forget gate.
      state_is_tuple: state is `LSTMStateTuple(c, h)` if True, else `concat([c, h], 1)`.
      activation: nonlinearity (default tanh).
      reuse, name, dtype: see `RNNCell`.
    """

    def __init__(self, num_units: int, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Callable | None = None, reuse: bool | None = None,
                 name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or tf.tanh

    @property
    def state_size(self) -> StateSize:
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self) -> int:
        return self._num_units

    def _build(self, inputs: tf.Tensor) -> None:
        depth = _input_depth(inputs, type(self).__name__) + self._num_units
        self._make_linear("", depth, 4 * self._num_units, self._weight_dtype(inputs))

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        c, h = self._split_state(state)
        return self._update(
            apply_linear([inputs, h], self._weights["kernel"], self._weights["bias"]), c)

    def fused_weights(self) -> FusedWeights:
        """The built cell's weights split for `fused_step` (input part `[in, 4n]`).

        Returns:
          A `FusedWeights` with `state_kernels = (kernel rows of h [n, 4n],)`.
        """
        kernel = self._weights["kernel"]
        depth = dim_value(kernel, 0) - self._num_units
        inputs_part, state_part = tf.split(kernel, [depth, self._num_units], axis=0)
        return FusedWeights(LoopKernel(inputs_part), self._weights["bias"],
                            (LoopKernel(state_part),))

    def fused_step(self, projected_inputs: tf.Tensor, state: Any,
                   weights: FusedWeights) -> tuple[tf.Tensor, Any]:
        """`call` from `inputs @ weights.input_kernel + weights.input_bias` `[batch, 4n]`."""
        c, h = self._split_state(state)
        return self._update(projected_inputs + weights.state_kernels[0](h), c)

    def _split_state(self, state: Any) -> tuple[tf.Tensor, tf.Tensor]:
        if self._state_is_tuple:
            c, h = state
            return c, h
        c, h = tf.split(state, 2, axis=1)
        return c, h

    def _update(self, gates: tf.Tensor, c: tf.Tensor) -> tuple[tf.Tensor, Any]:
        """The LSTM update from the gates' logits `[batch, 4n]` (i, j, f, o) and the memory."""
        i, j, f, o = tf.split(gates, 4, axis=1)
        forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
        new_c = c * tf.sigmoid(f + forget_bias) + tf.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * tf.sigmoid(o)
        if self._state_is_tuple:
            return new_h, LSTMStateTuple(new_c, new_h)
        return new_h, tf.concat([new_c, new_h], 1)


class LSTMCell(RNNCell):
    """LSTM with optional peepholes, cell clipping and output projection.

    Variables: `kernel [in + h, 4n]`, `bias [4n]`; with peepholes `w_f_diag`,
    `w_i_diag`, `w_o_diag [n]`; with `num_proj` `projection/kernel [n, num_proj]`
    (h = num_proj if set, else n).

    Args:
      num_units: int, size of c.
      use_peepholes: add diagonal peephole connections.
      cell_clip: clip c to [-cell_clip, cell_clip] if set.
      initializer: initializer of the kernels and peepholes.
      num_proj: project the output to this size if set.
      proj_clip: clip the projected output to [-proj_clip, proj_clip] if set.
      num_unit_shards, num_proj_shards: unsupported (deprecated in TF 1.x); must be None.
      forget_bias: float added to the forget gate.
      state_is_tuple: state is `LSTMStateTuple(c, h)` if True, else `concat([c, h], 1)`.
      activation: nonlinearity (default tanh).
      reuse, name, dtype: see `RNNCell`.

    Raises:
      NotImplementedError: if shards are requested.
    """

    def __init__(self, num_units: int, use_peepholes: bool = False,
                 cell_clip: float | None = None, initializer: Any = None,
                 num_proj: int | None = None, proj_clip: float | None = None,
                 num_unit_shards: int | None = None, num_proj_shards: int | None = None,
                 forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Callable | None = None, reuse: bool | None = None,
                 name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise NotImplementedError(
                "LSTMCell: num_unit_shards/num_proj_shards (partitioned variables, deprecated "
                "in TF 1.x) are not supported; leave them None.")
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or tf.tanh

    @property
    def state_size(self) -> StateSize:
        h = self._num_proj or self._num_units
        return LSTMStateTuple(self._num_units, h) if self._state_is_tuple else self._num_units + h

    @property
    def output_size(self) -> int:
        return self._num_proj or self._num_units

    def _build(self, inputs: tf.Tensor) -> None:
        n = self._num_units
        depth = _input_depth(inputs, type(self).__name__) + (self._num_proj or n)
        dtype = self._weight_dtype(inputs)
        self._make_linear("", depth, 4 * n, dtype, kernel_initializer=self._initializer)
        if self._use_peepholes:
            for name in ("w_f_diag", "w_i_diag", "w_o_diag"):
                self._make_variable(name, [n], dtype, self._initializer)
        if self._num_proj is not None:
            self._make_variable("projection/kernel", [n, self._num_proj], dtype,
                                self._initializer)

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        w = self._weights
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = state[:, :self._num_units]
            m_prev = state[:, self._num_units:]
        gates = apply_linear([inputs, m_prev], w["kernel"], w["bias"])
        i, j, f, o = tf.split(gates, 4, axis=1)
        if self._use_peepholes:
            c = (tf.sigmoid(f + self._forget_bias + w["w_f_diag"] * c_prev) * c_prev
                 + tf.sigmoid(i + w["w_i_diag"] * c_prev) * self._activation(j))
        else:
            c = tf.sigmoid(f + self._forget_bias) * c_prev + tf.sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = tf.sigmoid(o + w["w_o_diag"] * c) * self._activation(c)
        else:
            m = tf.sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = tf.matmul(m, w["projection/kernel"])
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else tf.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Stacks cells: layer i runs in scope `cell_<i>` and feeds its output to layer i + 1.

    Args:
      cells: a list of cells (layer 0 first).
      state_is_tuple: the state is a tuple of the layers' states if True, else
        their concatenation along axis 1.

    Raises:
      ValueError: no cells, or tuple states with `state_is_tuple=False`.
      TypeError: `cells` is not a list or tuple.
    """

    def __init__(self, cells: Sequence[RNNCell], state_is_tuple: bool = True):
        super().__init__()
        if not isinstance(cells, (list, tuple)):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells!r}.")
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        for cell in cells:
            assert_like_rnncell("cells", cell)
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(
                isinstance(c.state_size, (tuple, list)) for c in self._cells):
            raise ValueError(
                "Some cells return tuples of states, but the flag state_is_tuple is not set. "
                f"State sizes are: {[c.state_size for c in self._cells]}")

    @property
    def state_size(self) -> StateSize:
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self) -> int:
        return self._cells[-1].output_size

    def zero_state(self, batch_size: int | tf.Tensor, dtype: tf.DType) -> Any:
        if self._state_is_tuple:
            with tf.name_scope(type(self).__name__ + "ZeroState"):
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
        return super().zero_state(batch_size, dtype)

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        if self._state_is_tuple and not isinstance(state, (tuple, list)):
            raise ValueError(
                f"Expected state to be a tuple of length {len(self._cells)}, but received: "
                f"{state!r}")
        output = inputs
        new_states = []
        offset = 0
        for i, cell in enumerate(self._cells):
            with _vs.variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    layer_state = state[i]
                else:
                    layer_state = state[:, offset:offset + cell.state_size]
                    offset += cell.state_size
                output, layer_new_state = cell(output, layer_state)
                new_states.append(layer_new_state)
        if self._state_is_tuple:
            return output, tuple(new_states)
        return output, tf.concat(new_states, 1)


class FusedStack:
    """A built GRU/LSTM cell, or stack of them, run from weights prepared outside loops.

    `FusedStack.of(cell)` accepts a `GRUCell` or `BasicLSTMCell` (not a subclass that
    changes `call`), or a `MultiRNNCell` with tuple states of such cells, once called.
    `step(inputs, state)` computes the same function as `cell(inputs, state)` (with the
    linear maps split into input and state parts, see `FusedWeights`), and
    `run(sequence, state)` runs a whole time-major sequence layer by layer, projecting
    each layer's inputs for all time steps in one matmul. Build it outside the loop
    that uses it.

    Args:
      cell: the cell.
      layers: its layers (`[cell]` for a single cell).
    """

    def __init__(self, cell: RNNCell, layers: Sequence[RNNCell]):
        self._multi = isinstance(cell, MultiRNNCell)
        self._layers = list(layers)
        self._weights = [layer.fused_weights() for layer in self._layers]

    @classmethod
    def of(cls, cell: RNNCell) -> FusedStack | None:
        """A `FusedStack` for `cell`, or None when `cell` is not such a (stack of) cell(s)."""
        if isinstance(cell, MultiRNNCell):
            layers = cell._cells if cell._state_is_tuple else []
        else:
            layers = [cell]

        def fusable(layer: RNNCell) -> bool:
            return layer.built and any(
                isinstance(layer, base) and type(layer).call is base.call
                and type(layer).fused_step is base.fused_step
                for base in (GRUCell, BasicLSTMCell))

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
        for layer, weights, layer_state in zip(self._layers, self._weights,
                                               self._layer_states(state)):
            projected = tf.nn.bias_add(weights.input_kernel(inputs), weights.input_bias)
            inputs, layer_state = layer.fused_step(projected, layer_state, weights)
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
        for i, (layer, weights, layer_state) in enumerate(
                zip(self._layers, self._weights, self._layer_states(state))):
            with tf.name_scope(f"layer_{i}"):
                sequence, layer_state = _run_fused_layer(layer, weights, sequence, layer_state)
            final_states.append(layer_state)
        return sequence, self._joined(final_states)


def _run_fused_layer(layer: Any, weights: FusedWeights, inputs: tf.Tensor,
                     state: Any) -> tuple[tf.Tensor, Any]:
    projected = apply_linear_over_time(
        tf.cast(inputs, weights.input_bias.dtype), weights.input_kernel, weights.input_bias)
    num_steps = tf.shape(inputs)[0]
    # A TensorArray keeps the gradient O(time); slicing `projected[t]` in the loop would
    # add a full-size gradient at every step.
    steps = tf.TensorArray(projected.dtype, size=num_steps,
                           element_shape=projected.shape[1:]).unstack(projected)
    outputs = tf.TensorArray(projected.dtype, size=num_steps,
                             element_shape=inputs.shape[1:2].concatenate([layer.output_size]))

    def body(t: tf.Tensor, state: Any, outputs: tf.TensorArray):
        output, state = layer.fused_step(steps.read(t), state, weights)
        return t + 1, state, outputs.write(t, output)

    _, state, outputs = tf.while_loop(
        lambda t, *_: t < num_steps, body, (tf.constant(0), state, outputs))
    return outputs.stack(), state


class _Wrapper(RNNCell):
    """A cell around another cell: same state, same output size unless overridden.

    Wrappers with weights (embedding, projections) have their own scope, e.g.
    `embedding_wrapper/`, around the wrapped cell's; `_TransparentWrapper`s add none.
    """

    def __init__(self, cell: RNNCell, reuse: bool | None = None):
        super().__init__(_reuse=reuse)
        assert_like_rnncell("cell", cell)
        self._cell = cell

    @property
    def wrapped_cell(self) -> RNNCell:
        return self._cell

    @property
    def state_size(self) -> StateSize:
        return self._cell.state_size

    @property
    def output_size(self) -> int:
        return self._cell.output_size

    def zero_state(self, batch_size: int | tf.Tensor, dtype: tf.DType) -> Any:
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)


class EmbeddingWrapper(_Wrapper):
    """Embeds integer inputs `[batch]` (or `[batch, 1]`) before the wrapped cell.

    Variable: `embedding [embedding_classes, embedding_size]`, of the state's dtype,
    initialized with `initializer`, else the scope's, else uniform(-sqrt 3, sqrt 3).

    Args:
      cell: the wrapped cell.
      embedding_classes: int > 0, number of symbols.
      embedding_size: int > 0, size of the embedding vectors.
      initializer: initializer of the embedding.
      reuse: see `RNNCell`.

    Raises:
      TypeError: `cell` is not a cell.
      ValueError: a size is not positive.
    """

    def __init__(self, cell: RNNCell, embedding_classes: int, embedding_size: int,
                 initializer: Any = None, reuse: bool | None = None):
        super().__init__(cell, reuse=reuse)
        if embedding_classes <= 0 or embedding_size <= 0:
            raise ValueError(
                "Both embedding_classes and embedding_size must be > 0: "
                f"{embedding_classes}, {embedding_size}.")
        self._embedding_classes = embedding_classes
        self._embedding_size = embedding_size
        self._initializer = initializer

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[Any, Any]:
        initializer = self._initializer or _vs.get_variable_scope().initializer
        if initializer is None:
            # Unit variance: uniform(-sqrt 3, sqrt 3).
            initializer = tf.compat.v1.random_uniform_initializer(-(3 ** 0.5), 3 ** 0.5)
        dtype = tf.nest.flatten(state)[0].dtype
        embedding = get_variable("embedding", [self._embedding_classes, self._embedding_size],
                                 dtype=dtype, initializer=initializer)
        self._weights["embedding"] = embedding
        embedded = tf.nn.embedding_lookup(embedding, tf.reshape(inputs, [-1]))
        return self._cell(embedded, state)

    def embed_sequence(self, inputs: tf.Tensor) -> tf.Tensor:
        """Embeds time-major ids `[time, batch]` (or `[time, batch, 1]`) with the built
        wrapper's embedding: `[time, batch, embedding_size]`."""
        ids = tf.reshape(inputs, tf.shape(inputs)[:2])
        return tf.nn.embedding_lookup(self._weights["embedding"], ids)


class InputProjectionWrapper(_Wrapper):
    """Projects the inputs linearly (`kernel`, `bias`) to `num_proj` before the cell.

    Args:
      cell: the wrapped cell.
      num_proj: int, the size the inputs are projected to.
      activation: optional nonlinearity applied to the projection.
      input_size: deprecated and unused.
      reuse: see `RNNCell`.
    """

    def __init__(self, cell: RNNCell, num_proj: int, activation: Callable | None = None,
                 input_size: Any = None, reuse: bool | None = None):
        super().__init__(cell, reuse=reuse)
        self._num_proj = num_proj
        self._activation = activation

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[Any, Any]:
        if "kernel" not in self._weights:
            self._make_linear("", _input_depth(inputs, type(self).__name__), self._num_proj,
                              inputs.dtype.base_dtype)
        projected = apply_linear([inputs], self._weights["kernel"], self._weights["bias"])
        if self._activation:
            projected = self._activation(projected)
        return self._cell(projected, state)


class OutputProjectionWrapper(_Wrapper):
    """Projects the cell's output linearly (`kernel`, `bias`) to `output_size`.

    Args:
      cell: the wrapped cell.
      output_size: int > 0, the size of the projected output.
      activation: optional nonlinearity applied to the projection.
      reuse: see `RNNCell`.

    Raises:
      ValueError: `output_size` < 1.
    """

    def __init__(self, cell: RNNCell, output_size: int, activation: Callable | None = None,
                 reuse: bool | None = None):
        super().__init__(cell, reuse=reuse)
        if output_size < 1:
            raise ValueError(f"Parameter output_size must be > 0: {output_size}.")
        self._output_size = output_size
        self._activation = activation

    @property
    def output_size(self) -> int:
        return self._output_size

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[Any, Any]:
        output, new_state = self._cell(inputs, state)
        if "kernel" not in self._weights:
            self._make_linear("", _input_depth(output, type(self).__name__), self._output_size,
                              output.dtype.base_dtype)
        projected = apply_linear([output], self._weights["kernel"], self._weights["bias"])
        if self._activation:
            projected = self._activation(projected)
        return projected, new_state


class _TransparentWrapper(_Wrapper):
    """A wrapper that adds no scope: the wrapped cell's variables keep their names."""

    def __call__(self, inputs: tf.Tensor, state: Any, scope: Any = None) -> tuple[Any, Any]:
        return self._wrap_call(inputs, state, scope)

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        raise NotImplementedError("Abstract method")


class DropoutWrapper(_TransparentWrapper):
    """Dropout on the inputs, outputs and state of a cell (no variables of its own).

    A keep probability of exactly 1.0 (a Python float) adds no op. The state dropout
    skips the `c` part of LSTM states unless `dropout_state_filter_visitor` says
    otherwise.

    Args:
      cell: the wrapped cell.
      input_keep_prob, output_keep_prob, state_keep_prob: float or scalar tensor in (0, 1].
      variational_recurrent: unsupported (must be False).
      input_size, dtype: only used by variational dropout in TF 1.x; ignored.
      seed: optional random seed.
      dropout_state_filter_visitor: function from a state leaf to bool (drop it?).

    Raises:
      ValueError: a constant keep probability outside (0, 1].
      NotImplementedError: `variational_recurrent=True`.
    """

    def __init__(self, cell: RNNCell, input_keep_prob: Any = 1.0, output_keep_prob: Any = 1.0,
                 state_keep_prob: Any = 1.0, variational_recurrent: bool = False,
                 input_size: Any = None, dtype: Any = None, seed: int | None = None,
                 dropout_state_filter_visitor: Callable | None = None):
        super().__init__(cell)
        if variational_recurrent:
            raise NotImplementedError(
                "DropoutWrapper: variational_recurrent=True is not supported.")
        for name, prob in (("input_keep_prob", input_keep_prob),
                           ("output_keep_prob", output_keep_prob),
                           ("state_keep_prob", state_keep_prob)):
            if isinstance(prob, (int, float)) and not 0.0 < float(prob) <= 1.0:
                raise ValueError(f"Parameter {name} must be between 0 and 1: {prob}")
        self._input_keep_prob = input_keep_prob
        self._output_keep_prob = output_keep_prob
        self._state_keep_prob = state_keep_prob
        self._seed = seed
        self._state_filter = dropout_state_filter_visitor

    def _dropout(self, values: Any, keep_prob: Any, salt: int, keep_leaf: Callable | None = None):
        if isinstance(keep_prob, float) and keep_prob == 1.0:
            return values
        seed = None if self._seed is None else self._seed + salt

        def drop(path_index: int, leaf: tf.Tensor) -> tf.Tensor:
            leaf_seed = None if seed is None else seed + 7919 * path_index
            return tf.nn.dropout(leaf, rate=1 - keep_prob, seed=leaf_seed)

        leaves = tf.nest.flatten(values)
        masks = keep_leaf(values) if keep_leaf else [True] * len(leaves)
        dropped = [drop(i, leaf) if m else leaf for i, (leaf, m) in enumerate(zip(leaves, masks))]
        return tf.nest.pack_sequence_as(values, dropped)

    def _state_leaf_mask(self, state: Any) -> list[bool]:
        if self._state_filter is not None:
            return [bool(self._state_filter(leaf)) for leaf in tf.nest.flatten(state)]

        def mask(substate: Any) -> Any:
            if isinstance(substate, LSTMStateTuple):
                return LSTMStateTuple(False, True)
            if isinstance(substate, (tuple, list)):
                return type(substate)(mask(s) for s in substate)
            return True

        return tf.nest.flatten(mask(state))

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        inputs = self._dropout(inputs, self._input_keep_prob, 0)
        output, new_state = self._cell(inputs, state, scope=scope)
        new_state = self._dropout(new_state, self._state_keep_prob, 1, self._state_leaf_mask)
        output = self._dropout(output, self._output_keep_prob, 2)
        return output, new_state


class ResidualWrapper(_TransparentWrapper):
    """Adds the inputs to the cell's outputs: `output = residual_fn(inputs, cell_output)`.

    Args:
      cell: the wrapped cell (its output size must equal the input size).
      residual_fn: combines inputs and outputs (default: their sum).
    """

    def __init__(self, cell: RNNCell, residual_fn: Callable | None = None):
        super().__init__(cell)
        self._residual_fn = residual_fn or (lambda inputs, outputs: inputs + outputs)

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        output, new_state = self._cell(inputs, state, scope=scope)
        return self._residual_fn(inputs, output), new_state


class DeviceWrapper(_TransparentWrapper):
    """Runs the wrapped cell on `device` (e.g. "/cpu:0")."""

    def __init__(self, cell: RNNCell, device: str):
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size: int | tf.Tensor, dtype: tf.DType) -> Any:
        with tf.device(self._device):
            return super().zero_state(batch_size, dtype)

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        with tf.device(self._device):
            return self._cell(inputs, state, scope=scope)
