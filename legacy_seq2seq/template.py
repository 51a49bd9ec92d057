"""Variable ownership: TF 1.x variable scopes in a TF 2 program.

The library creates every variable with `tf.compat.v1.get_variable` inside
`tf.compat.v1.variable_scope`s laid out exactly as TensorFlow 1.15 laid them out,
so the variables get the TF 1.15 names. What owns them depends on how it runs:

* In a `tf.compat.v1` graph, the graph's variable store owns them, as in TF 1.x.
* In TF 2 eager code and in `tf.function`, there is no such store; a `Template`
  owns them. It is a `tf.Module` that wraps a function, creates its variables on
  the first call and hands the same objects back on every later call or retrace.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import tensorflow as tf

from legacy_seq2seq import checkpoint_names

__all__ = ["Template", "get_variable", "TF1CheckpointMismatchError", "compare_tf1_checkpoint"]

_vs = tf.compat.v1

_local = threading.local()


def _active_templates() -> list[Template]:
    stack = getattr(_local, "templates", None)
    if stack is None:
        stack = _local.templates = []
    return stack


def get_variable(
    name: str,
    shape: Iterable[int] | None = None,
    dtype: tf.DType | None = None,
    initializer: Any = None,
    trainable: bool | None = None,
) -> tf.Variable:
    """Gets or creates a variable in the current `tf.compat.v1` variable scope.

    This is the one entry point through which the library makes variables. It is
    `tf.compat.v1.get_variable` plus a guard: outside a `tf.compat.v1` graph, TF 2
    would make a fresh, unshared variable on every call, so we refuse unless a
    `Template` is there to own the variables.

    Args:
      name: the name relative to the current variable scope, e.g. "gates/kernel".
      shape: the variable's shape.
      dtype: the variable's dtype (default: the scope's dtype, float32).
      initializer: initializer for a new variable (default: the scope's, else
        glorot uniform as in TF 1.x).
      trainable: whether the variable is trained (default True).

    Returns:
      The `tf.Variable` named `<scope>/<name>`.

    Raises:
      RuntimeError: when called eagerly (or inside a `tf.function`) outside a
        `Template`.
    """
    if tf.compat.v1.executing_eagerly_outside_functions() and not _active_templates():
        raise RuntimeError(
            f"legacy_seq2seq tried to create the variable '{name}' outside a "
            "legacy_seq2seq.Template. In TF 2 eager code (and in tf.function) wrap the "
            "function that builds the model: `model = legacy_seq2seq.Template(fn)` and call "
            "`model(...)`; the Template creates the variables once and reuses them. In a "
            "tf.compat.v1 graph (`with tf.Graph().as_default():`) no Template is needed."
        )
    return _vs.get_variable(
        name, shape=shape, dtype=dtype, initializer=initializer, trainable=trainable
    )


class TF1CheckpointMismatchError(ValueError):
    """A TF 1.x checkpoint does not fit the variables of a `Template`."""


class Template(tf.Module):
    """Owns the TF 1.x-style variables of a function in TF 2 eager code and `tf.function`.

    `Template(fn)(*args, **kwargs)` calls `fn(*args, **kwargs)` inside the current
    variable scope. Every variable requested with `tf.compat.v1.get_variable` during
    the call (by this library or by `fn`'s own code) is created on first request
    with its TF 1.x name (`v.name == "<scope>/<name>:0"`; no prefix is added) and
    returned again on every later request: later calls, other buckets and
    `tf.function` retraces share the variables.

    Example:
        def fn(encoder_inputs, decoder_inputs):
            cell = legacy_seq2seq.rnn_cell.GRUCell(128)
            return legacy_seq2seq.embedding_attention_seq2seq(
                encoder_inputs, decoder_inputs, cell, 1000, 1000, 64)
        model = legacy_seq2seq.Template(fn)
        outputs, state = model(enc, dec)           # eager: creates the variables
        model.load_tf1_checkpoint("train/translate.ckpt-1000")
        step = tf.function(model)                  # graph: reuses them

    Args:
      fn: the function to wrap; any function built from this library.
      name: the module's name (used by `tf.Module`, never in variable names).
    """

    def __init__(self, fn: Callable[..., Any], name: str = "template"):
        super().__init__(name=name)
        self._fn = fn
        # Keys are TF 1.x names without ":0"; tf.Module tracks the values, so
        # `variables`, `trainable_variables` and `tf.train.Checkpoint` see them.
        self._owned: dict[str, tf.Variable] = {}
        # Set by load_tf1_checkpoint: the naming era of the last checkpoint loaded.
        self.checkpoint_era: str | None = None

    @property
    def variables_by_name(self) -> dict[str, tf.Variable]:
        """A dict from TF 1.x variable name (without ":0") to variable, in creation order."""
        return dict(self._owned)

    def bind(self, fn: Callable[..., Any], name: str | None = None) -> Template:
        """A Template that runs `fn` with this Template's variables.

        For a second function over the same model, e.g. beam search or an exported
        serving function next to the training function: `fn` finds the variables
        this Template already owns by name, and any it creates are shared too.

        Args:
          fn: the function to wrap.
          name: the new module's name (default: this one's).

        Returns:
          A `Template` sharing the variable dictionary of this one.
        """
        bound = Template(fn, name=name or self.name)
        bound._owned = self._owned
        return bound

    @property
    def built(self) -> bool:
        """True once a call has created at least one variable."""
        return bool(self._owned)

    # TF 1.x-style model code builds graphs with Python loops over time steps;
    # AutoGraph would only slow its tracing down (and cannot improve it).
    @tf.autograph.experimental.do_not_convert
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        stack = _active_templates()
        stack.append(self)
        try:
            # Re-entering the current scope by object adds no name and restores the
            # scope-name counters on exit, so every call produces the same names.
            with _vs.variable_scope(
                _vs.get_variable_scope(),
                custom_getter=self._getter,
                auxiliary_name_scope=False,
            ):
                return self._fn(*args, **kwargs)
        finally:
            stack.pop()

    def _getter(self, getter: Callable[..., tf.Variable], name: str, *args: Any, **kwargs: Any):
        existing = self._owned.get(name)
        if existing is None:
            # init_scope lifts creation out of tf.function / tf.cond graphs, so the
            # variable is created (and initialized) once, whatever traces later.
            with tf.init_scope():
                variable = getter(name, *args, **kwargs)
            self._owned[name] = variable
            return variable
        shape = kwargs.get("shape")
        if shape is not None and not tf.TensorShape(shape).is_compatible_with(existing.shape):
            raise ValueError(
                f"Variable '{name}' exists with shape {existing.shape.as_list()} but is now "
                f"requested with shape {tf.TensorShape(shape).as_list()}: the model was called "
                "with a different configuration than when its variables were created."
            )
        dtype = kwargs.get("dtype")
        if dtype is not None and tf.as_dtype(dtype).base_dtype != existing.dtype.base_dtype:
            raise ValueError(
                f"Variable '{name}' exists with dtype {existing.dtype.name} but is now "
                f"requested with dtype {tf.as_dtype(dtype).name}."
            )
        return existing

    def load_tf1_checkpoint(
        self,
        path: str,
        *,
        allow_missing: bool = False,
        allow_unexpected: bool = False,
    ) -> list[str]:
        """Assigns every variable from a TF 1.x (name-keyed) checkpoint.

        Checkpoints of TF 1.0/1.1, whose RNN variables have other names (see
        `legacy_seq2seq.checkpoint_names`), are read too: the era is detected from
        the names, logged (logger "legacy_seq2seq", INFO) and kept in
        `self.checkpoint_era` (`checkpoint_names.ERA_TF1_0` or `ERA_TF1_2`).

        Args:
          path: a checkpoint prefix (e.g. "train/translate.ckpt-200") or a directory
            holding a `checkpoint` state file (its latest checkpoint is used).
          allow_missing: do not fail on variables of ours the checkpoint lacks
            (they keep their values).
          allow_unexpected: do not fail on checkpoint entries we have no variable for
            (e.g. optimizer slots, the global step).

        Returns:
          The sorted names (ours, TF 1.15 style) of the variables that were assigned.

        Raises:
          ValueError: the Template has not been called yet, or no checkpoint is found.
          TF1CheckpointMismatchError (a ValueError): one error listing every missing
            name, unexpected name, and shape or dtype mismatch.
        """
        if not self._owned:
            raise ValueError(
                "The Template has no variables yet: call it once (e.g. on a dummy batch) "
                "so that it creates its variables, then load the checkpoint."
            )
        prefix = _resolve_checkpoint(path)
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
        era, stored, mismatches, unexpected = compare_tf1_checkpoint(self._owned, shapes, dtypes)
        self.checkpoint_era = era
        logging.getLogger("legacy_seq2seq").info(
            "Checkpoint %s has %s.", prefix, checkpoint_names.ERA_DESCRIPTIONS[era])

        def shown(name: str) -> str:
            return name if stored[name] == name else f"{name} (as {stored[name]})"

        missing = sorted(m.name for m in mismatches if m.kind == "missing")
        wrong = [f"  {shown(m.name)}: checkpoint {m.kind} {m.checkpoint}, model {m.kind} "
                 f"{m.model}" for m in sorted(mismatches) if m.kind != "missing"]
        problems = []
        if missing and not allow_missing:
            problems.append(
                "missing from the checkpoint:\n" + "\n".join(f"  {shown(n)}" for n in missing))
        if unexpected and not allow_unexpected:
            problems.append(
                "in the checkpoint but not in the model:\n"
                + "\n".join(f"  {n}" for n in unexpected)
            )
        if wrong:
            problems.append("shape or dtype mismatches:\n" + "\n".join(wrong))
        if problems:
            raise TF1CheckpointMismatchError(
                f"Checkpoint {prefix} ({checkpoint_names.ERA_DESCRIPTIONS[era]}) does not "
                "match the model's variables; " + "; ".join(problems)
            )
        loaded = []
        for name, var in self._owned.items():
            if stored[name] in shapes:
                var.assign(reader.get_tensor(stored[name]))
                loaded.append(name)
        return sorted(loaded)


class VariableMismatch(NamedTuple):
    """A variable a checkpoint lacks, or holds with another shape or dtype.

    Attributes:
      name: the variable's name (this library's, TF 1.15 style).
      kind: "missing", "shape" or "dtype".
      checkpoint: the checkpoint's shape (a list) or dtype name; None when missing.
      model: the variable's shape (a list) or dtype name.
    """

    name: str
    kind: str
    checkpoint: Any
    model: Any


def compare_tf1_checkpoint(
    variables: Mapping[str, tf.Variable],
    shapes: Mapping[str, list],
    dtypes: Mapping[str, tf.DType],
) -> tuple[str, dict[str, str], list[VariableMismatch], list[str]]:
    """Matches variables with the entries of a TF 1.x checkpoint, of either naming era.

    Args:
      variables: name (TF 1.15 style) -> variable.
      shapes, dtypes: the checkpoint's `get_variable_to_shape_map()` and
        `get_variable_to_dtype_map()`.

    Returns:
      `(era, stored, mismatches, unexpected)`: the naming era
      (`checkpoint_names.match_checkpoint_names`), for every name the checkpoint entry
      to read it from, the variables missing or of another shape or dtype (in the order
      of `variables`), and the sorted checkpoint entries no variable reads.
    """
    era, stored = checkpoint_names.match_checkpoint_names(variables, shapes)
    mismatches = []
    for name, var in variables.items():
        key = stored[name]
        if key not in shapes:
            mismatches.append(VariableMismatch(name, "missing", None, var.shape.as_list()))
        elif list(shapes[key]) != var.shape.as_list():
            mismatches.append(
                VariableMismatch(name, "shape", list(shapes[key]), var.shape.as_list()))
        elif dtypes[key].base_dtype != var.dtype.base_dtype:
            mismatches.append(
                VariableMismatch(name, "dtype", dtypes[key].name, var.dtype.name))
    unexpected = sorted(set(shapes) - set(stored.values()))
    return era, stored, mismatches, unexpected


def _resolve_checkpoint(path: str) -> str:
    if tf.io.gfile.isdir(path):
        prefix = tf.train.latest_checkpoint(path)
        if prefix is None:
            raise ValueError(f"No checkpoint found in directory {path} (no 'checkpoint' file).")
        return prefix
    if not tf.io.gfile.exists(path + ".index"):
        raise ValueError(f"No checkpoint at {path} ({path}.index does not exist).")
    return path
