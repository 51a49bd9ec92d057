"""Check that a ported TF 1.x program computes what it computed under TF 1.x.

Two halves, one file (Python 3.6+, NumPy, TensorFlow 1.x or 2; no other import, so the
TF 1.x half runs in the old environment from a copy of this file or with
`sys.path.insert(0, "<repo>/legacy_seq2seq")` and `import testing`):

* under TF 1.x, `record(session, tensors, feed_dict, "reference.npz")` runs the named
  tensors of the original graph (outputs, losses, and `gradients_by_name(loss)`) on the
  given feeds and saves them, with the feeds, to an `.npz`;
* under TF 2, `assert_matches("reference.npz", values)` checks the ported program's
  values of the same names (`run(session, tensors, recorded_feed_dict(...))` in a
  `tf.compat.v1` graph, or plain arrays from eager code) within the dtype's tolerance,
  and otherwise raises an AssertionError naming the first tensor that differs, where,
  by how much, and which others differ too.

`docs/migrating.md` shows it on a ported program.
"""

# This file must also run under Python 3.6 and TF 1.x (the recording side): `typing`'s
# generics, not `dict[...]`, and no `from __future__ import annotations`.
# ruff: noqa: UP006, UP035

import collections
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

__all__ = ["TOLERANCES", "FEED_PREFIX", "gradients_by_name", "run", "record", "load",
           "recorded_feed_dict", "compare", "assert_matches"]

# dtype name -> (rtol, atol): |ours - recorded| <= atol + rtol * |recorded|. The float32
# bound is the one this project's own golden tests use against TF 1.15.
TOLERANCES = {
    "float16": (2e-2, 2e-2),
    "bfloat16": (2e-2, 2e-2),
    "float32": (2e-5, 2e-5),
    "float64": (1e-9, 1e-9),
}
FEED_PREFIX = "feed:"  # recorded feeds are stored as "feed:<placeholder name>"


def gradients_by_name(loss: Any, variables: Optional[List[Any]] = None) -> Dict[str, Any]:
    """The gradient of `loss` with respect to each variable, keyed "grad:<variable name>".

    Args:
      loss: a scalar tensor of a `tf.compat.v1` graph.
      variables: the variables (default: the graph's trainable variables).

    Returns:
      An ordered dict from "grad:<op name>" to the gradient tensor (variables the loss
      does not depend on are left out).
    """
    import tensorflow as tf  # the TF 1.x or TF 2 of the caller, imported when used
    v1 = getattr(tf, "compat", tf)
    v1 = getattr(v1, "v1", tf)
    if variables is None:
        variables = v1.trainable_variables()
    gradients = v1.gradients(loss, variables)
    return collections.OrderedDict(
        ("grad:" + variable.op.name, gradient)
        for variable, gradient in zip(variables, gradients) if gradient is not None)


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "values") and hasattr(value, "indices"):  # IndexedSlices
        raise TypeError("Sparse gradients cannot be recorded: wrap them in "
                        "tf.convert_to_tensor first.")
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def run(session: Any, tensors: Mapping[str, Any],
        feed_dict: Optional[Mapping[Any, Any]] = None) -> Dict[str, np.ndarray]:
    """`session.run` of a dict of named tensors: an ordered dict of arrays, same names."""
    names = list(tensors)
    values = session.run([tensors[name] for name in names], feed_dict=feed_dict)
    return collections.OrderedDict((name, _as_array(v)) for name, v in zip(names, values))


def record(session: Any, tensors: Mapping[str, Any], feed_dict: Optional[Mapping[Any, Any]],
           path: str) -> Dict[str, np.ndarray]:
    """Runs the named tensors on `feed_dict` and saves them and the feeds to `path` (.npz).

    Args:
      session: the TF 1.x session holding the trained (or restored) variables.
      tensors: name -> tensor, e.g. `{"loss": loss, **gradients_by_name(loss)}`; names
        must not start with "feed:".
      feed_dict: placeholder (a graph tensor) -> value; saved as "feed:<tensor name>".
      path: the `.npz` file to write.

    Returns:
      The recorded values, by name.

    Raises:
      ValueError: a name starts with "feed:".
    """
    clashing = [name for name in tensors if name.startswith(FEED_PREFIX)]
    if clashing:
        raise ValueError(f"Tensor names must not start with {FEED_PREFIX!r}: {clashing}")
    values = run(session, tensors, feed_dict)
    arrays = collections.OrderedDict(values)
    for placeholder, value in (feed_dict or {}).items():
        arrays[FEED_PREFIX + placeholder.name] = np.asarray(value)
    np.savez(path, **arrays)
    return values


def load(path: str) -> Dict[str, np.ndarray]:
    """A recording as an ordered dict (feeds included), in the order it was recorded."""
    with np.load(path) as data:
        return collections.OrderedDict((name, data[name]) for name in data.files)


def recorded_feed_dict(recording: Any, graph: Any = None) -> Dict[Any, np.ndarray]:
    """The recorded feeds for the ported graph: its tensors of the same names -> values.

    Args:
      recording: a path or `load()`'s dict.
      graph: the ported program's graph (default: the default graph).

    Returns:
      A feed dict for `run(session, tensors, feed_dict)`.

    Raises:
      KeyError: the ported graph has no tensor of a recorded feed's name; build it with
        the same placeholder names (or pass your own feed dict).
    """
    if isinstance(recording, str):
        recording = load(recording)
    if graph is None:
        import tensorflow as tf
        graph = getattr(getattr(tf, "compat", tf), "v1", tf).get_default_graph()
    feeds = {}
    for name, value in recording.items():
        if name.startswith(FEED_PREFIX):
            tensor_name = name[len(FEED_PREFIX):]
            try:
                feeds[graph.get_tensor_by_name(tensor_name)] = value
            except (KeyError, ValueError):
                raise KeyError(f"The ported graph has no tensor {tensor_name!r}, which the "
                               "TF 1.x run fed; give the placeholder the same name.") from None
    return feeds


def _tolerance(dtype: np.dtype, tolerances: Mapping[str, Tuple[float, float]]
               ) -> Optional[Tuple[float, float]]:
    if dtype.kind not in "fc":
        return None
    return tolerances.get(dtype.name, tolerances.get("float32"))


def _difference(name: str, expected: np.ndarray, actual: np.ndarray,
                tolerances: Mapping[str, Tuple[float, float]]) -> Optional[str]:
    """Why `actual` does not match `expected`, or None when it does."""
    if expected.shape != actual.shape:
        return f"{name!r}: shape {actual.shape}, recorded {expected.shape}"
    tolerance = _tolerance(expected.dtype, tolerances)
    if tolerance is None:
        bad = expected != actual
        if not np.any(bad):
            return None
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        return (f"{name!r} ({expected.dtype.name}): {int(np.sum(bad))} of {bad.size} values "
                f"differ, first at index {index}: ours {actual[index].item()!r}, recorded "
                f"{expected[index].item()!r}")
    rtol, atol = tolerance
    expected64 = expected.astype(np.float64)
    actual64 = actual.astype(np.float64)
    error = np.abs(actual64 - expected64)
    bad = ~(error <= atol + rtol * np.abs(expected64))  # NaN anywhere counts as different
    bad &= ~(np.isnan(expected64) & np.isnan(actual64))
    if not np.any(bad):
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    worst = float(np.nanmax(np.where(bad, error, 0.0))) if np.any(~np.isnan(error)) else np.nan
    return (f"{name!r} ({expected.dtype.name}): {int(np.sum(bad))} of {bad.size} values "
            f"outside |ours - recorded| <= {atol:g} + {rtol:g} * |recorded|; first at index "
            f"{index}: ours {actual64[index].item()!r}, recorded {expected64[index].item()!r}; "
            f"largest difference {worst:g}")


def compare(recording: Any, values: Mapping[str, Any],
            tolerances: Optional[Mapping[str, Tuple[float, float]]] = None) -> List[str]:
    """Every difference between a recording and the ported program's values, in the
    recording's order (an empty list when everything matches).

    Args:
      recording: a path or `load()`'s dict.
      values: name -> array (or eager tensor) of the ported program; extra names are
        ignored, recorded names missing here are reported.
      tolerances: dtype name -> (rtol, atol), overriding `TOLERANCES`.

    Returns:
      One line per tensor that is missing or differs.
    """
    if isinstance(recording, str):
        recording = load(recording)
    limits = dict(TOLERANCES)
    limits.update(tolerances or {})
    problems = []
    for name, expected in recording.items():
        if name.startswith(FEED_PREFIX):
            continue
        if name not in values:
            problems.append(f"{name!r}: recorded under TF 1.x but not computed by the port")
            continue
        problem = _difference(name, np.asarray(expected), _as_array(values[name]), limits)
        if problem:
            problems.append(problem)
    return problems


def assert_matches(recording: Any, values: Mapping[str, Any],
                   tolerances: Optional[Mapping[str, Tuple[float, float]]] = None) -> None:
    """Asserts the ported program's values equal the TF 1.x recording (see `compare`).

    Raises:
      AssertionError: the first line names the first recorded tensor that differs;
        the others follow.
    """
    problems = compare(recording, values, tolerances)
    if problems:
        raise AssertionError(
            "The port differs from the TF 1.x recording; first: " + problems[0]
            + "".join("\n  also: " + p for p in problems[1:]))
