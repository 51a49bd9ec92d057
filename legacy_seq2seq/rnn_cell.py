"""RNN cells and wrappers with TensorFlow 1.15's variable layout, names and math.

Every cell is a `tf.Module`. Like a TF 1.15 cell (a legacy `tf.layers.Layer`), a
cell fixes its variable scope on its first call: `<caller's scope>/<base name>`,
e.g. `rnn/gru_cell` (`rnn/gru_cell_1` for a second cell object there), or the
`scope` argument if one is given. Its variables are made there on the first call
and reused by every later call, whatever scope the later calls come from. So the
same cell object can be shared between the buckets of a model, and
`copy.deepcopy(cell)` gives an independent, unbuilt cell of the same configuration
that shares tensor arguments such as keep-probability placeholders (TF 1.15
crashed here on built cells). Called eagerly outside a `Template`, a cell owns its
variables (see `RNNCell`).

Shapes: `inputs` are `[batch, input_size]`; a state is a `[batch, n]` tensor or a
(nested) tuple of them matching `state_size`; outputs are `[batch, output_size]`.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import hashlib
import inspect
import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import tensorflow as tf

from legacy_seq2seq._checks import assert_like_rnncell, dim_value, embed
from legacy_seq2seq.linear import (
    LoopKernel,
    apply_linear,
    linear_variables,
)
from legacy_seq2seq.template import Template, _active_templates, get_variable

__all__ = [
    "RNNCell",
    "BasicRNNCell",
    "GRUCell",
    "BasicLSTMCell",
    "LSTMCell",
    "LayerNormBasicLSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "EmbeddingWrapper",
    "InputProjectionWrapper",
    "OutputProjectionWrapper",
    "DropoutWrapper",
    "ResidualWrapper",
    "DeviceWrapper",
    "FusedWeights",
]

_vs = tf.compat.v1

# TF 1.15 exposed the linear map's variable names under these (private) names, and code
# that checks variable names reads them.
_WEIGHTS_VARIABLE_NAME = "kernel"
_BIAS_VARIABLE_NAME = "bias"

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
    large matmul (see `rnn.FusedStack`). Made outside loops, so the kernels' transposes (for
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

    Like TF 1.15's cells (Keras layers), a cell has `built`, `build(inputs_shape)`,
    `dtype` (set by the first call unless given), `weights`/`variables` and their
    trainable and non-trainable parts (every variable made during the first call, in
    creation order: `[kernel, bias]`), and `get_config()`/`from_config()`. Called
    eagerly (or in a `tf.function`) outside a `Template`, a cell owns its variables:
    it makes them on the first call and reuses them on every later call, as
    `tf.compat.v1.nn.rnn_cell` cells did in TF 2.0-2.15.

    Args:
      trainable: whether the cell's variables are trainable.
      name: the cell's scope name (default: the class name in snake case).
      dtype: dtype of the weights (default: the dtype of the first inputs).
      _reuse: make the scope `name` exactly and reuse its variables (TF 1.x's `reuse`).
    """

    # (config key, attribute) pairs that `get_config` reports, besides name/trainable/dtype.
    _CONFIG: tuple[tuple[str, str], ...] = ()

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
        self._reset_build_state()

    def _reset_build_state(self) -> None:
        self.built = False
        self._weights = {}
        # Every variable the first call made or found, in order: TF 1.15's `weights`.
        self._tracked: list[tf.Variable] = []
        self._recording = False
        self._call_dtype: tf.DType | None = None
        # A Template owning the variables of a cell called eagerly outside any Template.
        self._owner: Template | None = None

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
        """The dtype given to the constructor, else that of the first call's inputs."""
        return self._dtype or self._call_dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def scope_name(self) -> str | None:
        """The variable scope the cell's variables live in, once it has been called."""
        return self._scope.name if self._scope is not None else None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as TF 1.15's `Layer.get_config()` gave them.

        Returns:
          A dict with `name`, `trainable`, `dtype` (a string or None) and the cell's own
          arguments; wrapped cells appear as `{"class_name": ..., "config": ...}` and
          TensorFlow activations by name ("tanh").
        """
        config = {"name": self._base_name, "trainable": self._trainable,
                  "dtype": self.dtype.name if self.dtype is not None else None}
        for key, attribute in self._CONFIG:
            config[key] = _serialize_config_value(getattr(self, attribute))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNNCell:
        """A new, unbuilt cell from `get_config()`'s dict (wrapped cells as dicts or cells).

        Raises:
          ValueError: a wrapped cell's class is not one of this library's cells.
        """
        arguments = {key: _deserialize_config_value(key, value) for key, value in config.items()}
        parameters = inspect.signature(cls.__init__).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            arguments = {k: v for k, v in arguments.items() if k in parameters}
        return cls(**arguments)

    # -- variables, as TF 1.15's Keras-layer cells reported them -----------------
    def _variables_in_order(self) -> list[tf.Variable]:
        return list(self._tracked)

    @property
    def trainable_weights(self) -> list[tf.Variable]:
        if not self._trainable:
            return []
        return [v for v in self._variables_in_order() if v.trainable]

    @property
    def non_trainable_weights(self) -> list[tf.Variable]:
        if not self._trainable:
            return self._variables_in_order()
        return [v for v in self._variables_in_order() if not v.trainable]

    @property
    def weights(self) -> list[tf.Variable]:
        """Trainable variables first, then the others, each in creation order."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def variables(self) -> list[tf.Variable]:
        return self.weights

    @property
    def trainable_variables(self) -> list[tf.Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[tf.Variable]:
        return self.non_trainable_weights

    # TF 1.15's one-kernel cells kept their weights in these attributes, and code reads them.
    @property
    def _kernel(self) -> tf.Variable:
        return self._built_weight("kernel")

    @property
    def _bias(self) -> tf.Variable:
        return self._built_weight("bias")

    def _built_weight(self, name: str) -> tf.Variable:
        if name not in self._weights:
            raise AttributeError(
                f"{type(self).__name__} has no {name!r} variable (yet): it is made on the "
                "first call or by build(inputs_shape).")
        return self._weights[name]

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
        return self._with_variable_owner(lambda: self._scoped_call(inputs, state, scope))

    def build(self, inputs_shape: Any) -> None:
        """Makes the cell's variables for inputs of shape `[batch, input_size]` now.

        The variables get the names the first call would give them; a later call
        uses them. Wrappers build on their first call.
        """
        if self.built:
            return
        spec = tf.TensorSpec(tf.TensorShape(inputs_shape), self._dtype or tf.float32)

        def build_now() -> None:
            self._fix_scope(None)
            with self._own_scope():
                self._build(spec)
                self.built = True

        self._with_variable_owner(build_now)

    def _with_variable_owner(self, fn: Callable[[], Any]) -> Any:
        if not tf.compat.v1.executing_eagerly_outside_functions() or _active_templates():
            return fn()
        if self._owner is None:
            self._owner = Template(lambda thunk: thunk(), name="cell_variables")
            # Variables already made for this cell under another owner stay its own.
            for variable in self._variables_in_order():
                self._owner._owned[variable.name.split(":")[0]] = variable
        return self._owner(fn)

    def _scoped_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        if scope is not None:
            with _vs.variable_scope(scope) as given:
                return self._call_in_own_scope(inputs, state, given)
        # The default scope name is made unique among the scopes opened in the caller's
        # scope ("gru_cell", then "gru_cell_1" for another cell there), as in TF 1.15.
        return self._call_in_own_scope(inputs, state, None)

    def _fix_scope(self, scope: Any) -> None:
        if self._scope is not None:
            return
        if self._reuse:
            with _vs.variable_scope(scope if scope is not None else self._base_name) as fixed:
                self._scope = fixed
        else:
            with _vs.variable_scope(scope, default_name=self._base_name) as fixed:
                self._scope = fixed

    @contextlib.contextmanager
    def _own_scope(self):
        """The cell's scope; during the first call, every variable got is recorded."""
        first = not self.built
        reuse = True if self.built else self._reuse
        with _vs.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False,
                                custom_getter=self._record_variable if first else None):
            self._recording = first
            try:
                yield
            finally:
                self._recording = False

    def _record_variable(self, getter: Callable[..., tf.Variable], name: str, *args: Any,
                         **kwargs: Any) -> tf.Variable:
        variable = getter(name, *args, **kwargs)
        if self._recording and all(variable is not v for v in self._tracked):
            self._tracked.append(variable)
        return variable

    def _call_in_own_scope(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        self._fix_scope(scope)
        if self._call_dtype is None:
            self._call_dtype = tf.nest.flatten(inputs)[0].dtype.base_dtype
        with self._own_scope():
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
    def __deepcopy__(self, memo: dict[int, Any]) -> RNNCell:
        """An independent copy of the configuration, unbuilt (no scope, no variables).

        Tensors and variables among the arguments (a keep-probability placeholder, a
        dropout mask) are shared, not copied, as TF 1.15's copy shared them: a graph
        tensor cannot be copied, and the copy must read the same feed.
        """
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        tf.Module.__init__(clone, name=self.name)
        module_internals = set(vars(clone))
        clone._scope = None
        clone._reset_build_state()
        build_state = set(vars(clone)) - module_internals
        for key, value in vars(self).items():
            if key in module_internals or key in build_state:
                continue
            _share_tensors(value, memo)
            setattr(clone, key, copy.deepcopy(value, memo))
        return clone


def _share_tensors(value: Any, memo: dict[int, Any]) -> None:
    """Marks the tensors and variables inside `value` as their own copies in `memo`."""
    try:
        leaves = tf.nest.flatten(value)
    except (TypeError, ValueError):
        return
    for leaf in leaves:
        if tf.is_tensor(leaf) or isinstance(leaf, (tf.Variable, tf.Operation)):
            memo[id(leaf)] = leaf


def _serialize_config_value(value: Any) -> Any:
    if isinstance(value, RNNCell):
        return {"class_name": type(value).__name__, "config": value.get_config()}
    if isinstance(value, list) and value and all(isinstance(v, RNNCell) for v in value):
        return [_serialize_config_value(v) for v in value]
    name = getattr(value, "__name__", None)
    if callable(value) and name and any(getattr(m, name, None) is value
                                         for m in (tf.math, tf.nn)):
        return name
    return value


def _cell_classes() -> dict[str, type]:
    found, pending = {}, [RNNCell]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def _deserialize_config_value(key: str, value: Any) -> Any:
    if key in ("cell", "cells") and isinstance(value, list):
        return [_deserialize_config_value("cell", v) for v in value]
    if key == "cell" and isinstance(value, dict):
        classes = _cell_classes()
        cls = classes.get(value.get("class_name"))
        if cls is None:
            raise ValueError(
                f"from_config: unknown cell class {value.get('class_name')!r}; this library "
                f"provides {', '.join(sorted(n for n in classes if not n.startswith('_')))}. "
                "Pass the wrapped cell itself as config['cell'] instead.")
        return cls.from_config(value["config"])
    if key in ("activation", "residual_fn") and isinstance(value, str):
        for module in (tf.math, tf.nn):
            if callable(getattr(module, value, None)):
                return getattr(module, value)
        raise ValueError(f"from_config: unknown activation {value!r} (a tf.math/tf.nn name).")
    return value


class BasicRNNCell(RNNCell):
    """`h' = activation(W [x, h] + b)`; variables `kernel [in + n, n]`, `bias [n]`.

    Args:
      num_units: int, the state and output size.
      activation: nonlinearity (default tanh).
      reuse, name, dtype: see `RNNCell`.
    """

    _CONFIG = (("num_units", "_num_units"), ("activation", "_activation"), ("reuse", "_reuse"))

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

    _CONFIG = (("num_units", "_num_units"), ("kernel_initializer", "_kernel_initializer"),
               ("bias_initializer", "_bias_initializer"), ("activation", "_activation"),
               ("reuse", "_reuse"))

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

    _CONFIG = (("num_units", "_num_units"), ("forget_bias", "_forget_bias"),
               ("state_is_tuple", "_state_is_tuple"), ("activation", "_activation"),
               ("reuse", "_reuse"))

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

    _CONFIG = (("num_units", "_num_units"), ("use_peepholes", "_use_peepholes"),
               ("cell_clip", "_cell_clip"), ("initializer", "_initializer"),
               ("num_proj", "_num_proj"), ("proj_clip", "_proj_clip"),
               ("num_unit_shards", "_num_unit_shards"), ("num_proj_shards", "_num_proj_shards"),
               ("forget_bias", "_forget_bias"), ("state_is_tuple", "_state_is_tuple"),
               ("activation", "_activation"), ("reuse", "_reuse"))
    _num_unit_shards = _num_proj_shards = None

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


class LayerNormBasicLSTMCell(RNNCell):
    """`tf.contrib.rnn.LayerNormBasicLSTMCell`: an LSTM with layer normalization and
    recurrent dropout (Ba et al. 2016; Semeniuta et al. 2016), with TF 1.15's layout.

    Variables (in scope `layer_norm_basic_lstm_cell`): `kernel [in + n, 4n]`, `bias [4n]`
    only without layer normalization, and `<part>/gamma [n]`, `<part>/beta [n]` for the
    parts `input`, `transform`, `forget`, `output` (the gates i, j, f, o, each normalized
    before its nonlinearity) and `state` (the new memory c).

    Args:
      num_units: int, size of c and h.
      forget_bias: float added to the forget gate.
      input_size: deprecated and unused.
      activation: nonlinearity (default tanh).
      layer_norm: normalize the gates and the memory.
      norm_gain, norm_shift: initial values of the gammas and betas.
      dropout_keep_prob: float or scalar tensor; keep probability of the dropout on the
        candidate `activation(j)` (1.0: none).
      dropout_prob_seed: optional seed of that dropout.
      reuse: see `RNNCell`.
    """

    _CONFIG = (("num_units", "_num_units"), ("forget_bias", "_forget_bias"),
               ("activation", "_activation"), ("layer_norm", "_layer_norm"),
               ("norm_gain", "_norm_gain"), ("norm_shift", "_norm_shift"),
               ("dropout_keep_prob", "_keep_prob"), ("dropout_prob_seed", "_seed"),
               ("reuse", "_reuse"))
    _NORMALIZED = ("input", "transform", "forget", "output", "state")

    def __init__(self, num_units: int, forget_bias: float = 1.0, input_size: Any = None,
                 activation: Callable | None = None, layer_norm: bool = True,
                 norm_gain: float = 1.0, norm_shift: float = 0.0,
                 dropout_keep_prob: Any = 1.0, dropout_prob_seed: int | None = None,
                 reuse: bool | None = None, **kwargs: Any):
        super().__init__(_reuse=reuse, **kwargs)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._activation = activation or tf.tanh
        self._layer_norm = layer_norm
        self._norm_gain = norm_gain
        self._norm_shift = norm_shift
        self._keep_prob = dropout_keep_prob
        self._seed = dropout_prob_seed

    @property
    def state_size(self) -> LSTMStateTuple:
        return LSTMStateTuple(self._num_units, self._num_units)

    @property
    def output_size(self) -> int:
        return self._num_units

    def _build(self, inputs: tf.Tensor) -> None:
        n = self._num_units
        depth = _input_depth(inputs, type(self).__name__) + n
        dtype = self._weight_dtype(inputs)
        self._make_variable("kernel", [depth, 4 * n], dtype)
        if not self._layer_norm:
            self._make_variable("bias", [4 * n], dtype)
            return
        for part in self._NORMALIZED:
            self._make_variable(f"{part}/gamma", [n], dtype,
                                tf.compat.v1.constant_initializer(self._norm_gain))
            self._make_variable(f"{part}/beta", [n], dtype,
                                tf.compat.v1.constant_initializer(self._norm_shift))

    def _normalized(self, values: tf.Tensor, part: str) -> tf.Tensor:
        if not self._layer_norm:
            return values
        mean, variance = tf.nn.moments(values, [1], keepdims=True)
        # float16 cannot represent 1e-12; TF 1.15's layer_norm used 1e-3 there.
        epsilon = 1e-3 if values.dtype == tf.float16 else 1e-12
        return tf.nn.batch_normalization(values, mean, variance, self._weights[f"{part}/beta"],
                                         self._weights[f"{part}/gamma"], epsilon)

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, LSTMStateTuple]:
        c, h = state
        gates = apply_linear([inputs, h], self._weights["kernel"], self._weights.get("bias"))
        i, j, f, o = (self._normalized(gate, part) for gate, part in
                      zip(tf.split(gates, 4, axis=1), self._NORMALIZED))
        candidate = self._activation(j)
        if _should_drop(self._keep_prob):
            candidate = tf.nn.dropout(candidate, rate=1 - self._keep_prob, seed=self._seed)
        new_c = self._normalized(
            c * tf.sigmoid(f + self._forget_bias) + tf.sigmoid(i) * candidate, "state")
        new_h = self._activation(new_c) * tf.sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)


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

    _CONFIG = (("cells", "_cells"), ("state_is_tuple", "_state_is_tuple"))

    def __init__(self, cells: Sequence[RNNCell], state_is_tuple: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
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

    _CONFIG = (("cell", "_cell"), ("embedding_classes", "_embedding_classes"),
               ("embedding_size", "_embedding_size"), ("initializer", "_initializer"),
               ("reuse", "_reuse"))

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
        return self._cell(embed(embedding, tf.reshape(inputs, [-1]), dtype), state)

    def embed_sequence(self, inputs: tf.Tensor, dtype: tf.DType | None = None) -> tf.Tensor:
        """Embeds time-major ids `[time, batch]` (or `[time, batch, 1]`) with the built
        wrapper's embedding: `[time, batch, embedding_size]` in `dtype` (the state's, as
        `call` embeds; None: the embedding's)."""
        ids = tf.reshape(inputs, tf.shape(inputs)[:2])
        return embed(self._weights["embedding"], ids, dtype)


class InputProjectionWrapper(_Wrapper):
    """Projects the inputs linearly (`kernel`, `bias`) to `num_proj` before the cell.

    Args:
      cell: the wrapped cell.
      num_proj: int, the size the inputs are projected to.
      activation: optional nonlinearity applied to the projection.
      input_size: deprecated and unused.
      reuse: see `RNNCell`.
    """

    _CONFIG = (("cell", "_cell"), ("num_proj", "_num_proj"), ("activation", "_activation"),
               ("reuse", "_reuse"))

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

    _CONFIG = (("cell", "_cell"), ("output_size", "_output_size"),
               ("activation", "_activation"), ("reuse", "_reuse"))

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

    def _scoped_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        if self._call_dtype is None:
            self._call_dtype = tf.nest.flatten(inputs)[0].dtype.base_dtype
        result = self._wrap_call(inputs, state, scope)
        self.built = True
        return result

    def build(self, inputs_shape: Any) -> None:
        self._cell.build(inputs_shape)

    def _variables_in_order(self) -> list[tf.Variable]:
        if isinstance(self._cell, RNNCell):
            return self._cell._variables_in_order()
        return list(getattr(self._cell, "weights", []))

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        raise NotImplementedError("Abstract method")


class DropoutWrapper(_TransparentWrapper):
    """Dropout on the inputs, outputs and state of a cell (no variables of its own).

    A keep probability that is a constant 1.0 adds no op. The state dropout skips
    the `c` part of LSTM states unless `dropout_state_filter_visitor` says otherwise.
    With a `seed`, each dropped tensor gets the op seed TF 1.15 gave it, so a seeded
    graph draws TF 1.15's masks.

    With `variational_recurrent=True` (Gal and Ghahramani 2016) the masks are drawn
    once, when the wrapper is made: `[1, size]` per input, state and output tensor,
    shared by every batch entry and every time step (TF 1.15's semantics).

    Args:
      cell: the wrapped cell.
      input_keep_prob, output_keep_prob, state_keep_prob: float or scalar tensor in (0, 1]
        (a placeholder or a variable is read at every step).
      variational_recurrent: the same masks at every step (see above).
      input_size: the depth(s) of the inputs (int, `TensorShape` or nested tuple);
        needed by `variational_recurrent` when `input_keep_prob` is not 1.
      dtype: the dtype of the inputs, state and outputs; needed by `variational_recurrent`.
      seed: optional random seed.
      dropout_state_filter_visitor: called on the state and each of its parts, it
        returns True (drop out this part), False (leave it alone) or a structure of
        such booleans for its parts; default: every part but LSTM memories `c`.

    Raises:
      ValueError: a constant keep probability outside (0, 1], or `variational_recurrent`
        without `dtype` (or without `input_size` when the inputs are dropped out).
      TypeError: `dropout_state_filter_visitor` is not callable.
    """

    _CONFIG = (("cell", "_cell"), ("input_keep_prob", "_input_keep_prob"),
               ("output_keep_prob", "_output_keep_prob"),
               ("state_keep_prob", "_state_keep_prob"),
               ("variational_recurrent", "_variational_recurrent"),
               ("input_size", "_input_size"), ("seed", "_seed"))

    def __init__(self, cell: RNNCell, input_keep_prob: Any = 1.0, output_keep_prob: Any = 1.0,
                 state_keep_prob: Any = 1.0, variational_recurrent: bool = False,
                 input_size: Any = None, dtype: Any = None, seed: int | None = None,
                 dropout_state_filter_visitor: Callable | None = None):
        super().__init__(cell)
        if dropout_state_filter_visitor is not None and not callable(
                dropout_state_filter_visitor):
            raise TypeError("DropoutWrapper: dropout_state_filter_visitor must be callable.")
        self._dropout_state_filter = dropout_state_filter_visitor or _keep_lstm_memory
        for name, prob in (("input_keep_prob", input_keep_prob),
                           ("output_keep_prob", output_keep_prob),
                           ("state_keep_prob", state_keep_prob)):
            constant = _constant_value(prob)
            if constant is not None:
                if not 0.0 < constant <= 1.0:
                    raise ValueError(f"Parameter {name} must be between 0 and 1: {prob}")
                prob = constant
            setattr(self, f"_{name}", prob)
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._noise = {"input": None, "state": None, "output": None}
        if variational_recurrent:
            self._draw_masks(cell, input_size, dtype)

    def _draw_masks(self, cell: RNNCell, input_size: Any, dtype: Any) -> None:
        if dtype is None:
            raise ValueError(
                "DropoutWrapper: variational_recurrent=True needs dtype=, the dtype of the "
                "inputs and state (e.g. dtype=tf.float32).")

        def noise(kind: str, sizes: Any) -> Any:
            leaves = [tf.random.uniform([1] + tf.TensorShape(size).as_list(),
                                        seed=self._op_seed(kind, i), dtype=dtype)
                      for i, size in enumerate(_flatten_sizes(sizes))]
            return _pack_sizes(sizes, iter(leaves))

        if _should_drop(self._input_keep_prob):
            if input_size is None:
                raise ValueError(
                    "DropoutWrapper: variational_recurrent=True with input_keep_prob < 1 "
                    "needs input_size=, the depth of the inputs (e.g. input_size=128).")
            self._noise["input"] = noise("input", input_size)
        self._noise["state"] = noise("state", cell.state_size)
        self._noise["output"] = noise("output", cell.output_size)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self._dropout_state_filter is not _keep_lstm_memory:
            config["dropout_state_filter_visitor"] = self._dropout_state_filter
        return config

    def _op_seed(self, kind: str, index: int) -> int | None:
        """TF 1.15's op seed for the `index`-th tensor of `kind` (input, state, output)."""
        if self._seed is None:
            return None
        digest = hashlib.md5(f"{self._seed}{kind}_{index}".encode()).hexdigest()
        return int(digest[:8], 16) & 0x7FFFFFFF

    def _dropout(self, values: Any, kind: str, keep_prob: Any, mask: Any = None) -> Any:
        """Drops out the parts of `values` that `mask` (a shallow structure of bools) marks."""
        if mask is None:
            mask = values
        noise = self._noise[kind]
        counter = itertools.count()

        def drop(part_mask: Any, part: Any, part_noise: Any) -> Any:
            index = next(counter)
            if isinstance(part_mask, bool) and not part_mask:
                return part
            if part_noise is None:
                return tf.nn.dropout(part, rate=1 - keep_prob, seed=self._op_seed(kind, index))
            # floor(keep + U[0, 1)) is 1 with probability keep: TF 1.15's variational mask.
            return part / keep_prob * tf.floor(keep_prob + part_noise)

        return _map_up_to(mask, drop, values, noise)

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        if _should_drop(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._input_keep_prob)
        output, new_state = self._cell(inputs, state, scope=scope)
        if _should_drop(self._state_keep_prob):
            mask = _shallow_mask(self._dropout_state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._state_keep_prob, mask)
        if _should_drop(self._output_keep_prob):
            output = self._dropout(output, "output", self._output_keep_prob)
        return output, new_state


def _constant_value(prob: Any) -> float | None:
    """A keep probability's value if it is a constant (a number or constant tensor)."""
    if isinstance(prob, (int, float)):
        return float(prob)
    if tf.is_tensor(prob) and not isinstance(prob, tf.Variable):
        value = tf.get_static_value(prob)
        if value is not None and getattr(value, "ndim", 0) == 0:
            return float(value)
    return None


def _should_drop(keep_prob: Any) -> bool:
    return not isinstance(keep_prob, float) or keep_prob < 1.0


def _keep_lstm_memory(substate: Any) -> Any:
    """The default state filter: drop out every part but the `c` of an LSTM state."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    if isinstance(substate, tf.TensorArray):
        return False
    return True


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _rebuild(like: Any, items: list[Any]) -> Any:
    if hasattr(type(like), "_fields"):
        return type(like)(*items)
    return type(like)(items)


def _shallow_mask(visitor: Callable, structure: Any) -> Any:
    """The state filter applied top down: a structure of bools, shallower where False/True
    covers a whole part."""
    verdict = visitor(structure)
    if isinstance(verdict, bool):
        if not verdict or not _is_sequence(structure):
            return verdict
        return _rebuild(structure, [_shallow_mask(visitor, part) for part in structure])
    return _rebuild(structure, [
        _shallow_mask(visitor, part) if part_verdict is True and _is_sequence(part)
        else part_verdict for part, part_verdict in zip(structure, verdict)])


def _map_up_to(shallow: Any, fn: Callable, values: Any, noise: Any) -> Any:
    """`fn(shallow leaf, value part, noise part)` over `shallow`'s leaves, in order."""
    if _is_sequence(shallow):
        noise_parts = noise if noise is not None else [None] * len(shallow)
        return _rebuild(values, [_map_up_to(s, fn, v, n)
                                 for s, v, n in zip(shallow, values, noise_parts)])
    return fn(shallow, values, noise)


def _flatten_sizes(sizes: Any) -> list[Any]:
    if _is_sequence(sizes):
        return [leaf for part in sizes for leaf in _flatten_sizes(part)]
    return [sizes]


def _pack_sizes(sizes: Any, leaves: Any) -> Any:
    if _is_sequence(sizes):
        return _rebuild(sizes, [_pack_sizes(part, leaves) for part in sizes])
    return next(leaves)


class ResidualWrapper(_TransparentWrapper):
    """Adds the inputs to the cell's outputs: `output = residual_fn(inputs, cell_output)`.

    Args:
      cell: the wrapped cell (its output size must equal the input size).
      residual_fn: combines inputs and outputs (default: their sum).
    """

    _CONFIG = (("cell", "_cell"),)

    def __init__(self, cell: RNNCell, residual_fn: Callable | None = None):
        super().__init__(cell)
        self._residual_fn = residual_fn or _add_inputs

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self._residual_fn is not _add_inputs:
            config["residual_fn"] = self._residual_fn
        return config

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        output, new_state = self._cell(inputs, state, scope=scope)
        return self._residual_fn(inputs, output), new_state


def _add_inputs(inputs: Any, outputs: Any) -> Any:
    return tf.nest.map_structure(lambda i, o: i + o, inputs, outputs)


class DeviceWrapper(_TransparentWrapper):
    """Runs the wrapped cell on `device` (e.g. "/cpu:0")."""

    _CONFIG = (("cell", "_cell"), ("device", "_device"))

    def __init__(self, cell: RNNCell, device: str):
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size: int | tf.Tensor, dtype: tf.DType) -> Any:
        with tf.device(self._device):
            return super().zero_state(batch_size, dtype)

    def _wrap_call(self, inputs: tf.Tensor, state: Any, scope: Any) -> tuple[Any, Any]:
        with tf.device(self._device):
            return self._cell(inputs, state, scope=scope)


def __getattr__(name: str) -> Any:
    # `FusedStack` (the loop driver) moved to `legacy_seq2seq.rnn`; old imports keep working.
    if name == "FusedStack":
        from legacy_seq2seq.rnn import FusedStack
        return FusedStack
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
