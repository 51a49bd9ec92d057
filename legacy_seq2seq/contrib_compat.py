"""Run TF 1.x scripts written against `tf.contrib.legacy_seq2seq` on TensorFlow 2.

TensorFlow 2 has no `tf.contrib`, and with Keras 3 even `tf.compat.v1.nn.rnn_cell.GRUCell`
raises AttributeError. Importing this module (one added line) installs this library
under those names:

    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    import legacy_seq2seq.contrib_compat  # noqa: F401  <- the added line

    cell = tf.contrib.rnn.GRUCell(256)
    outputs, _ = tf.contrib.legacy_seq2seq.embedding_attention_seq2seq(...)

Every import form old code used then works, as attributes and as modules:

* `tf.contrib.legacy_seq2seq`, `import tensorflow.contrib.legacy_seq2seq as seq2seq`,
  `from tensorflow.contrib import legacy_seq2seq`, and the deep path
  `tensorflow.contrib.legacy_seq2seq.python.ops.seq2seq`: this package;
* `tf.contrib.rnn` (`from tensorflow.contrib import rnn`, `from tensorflow.contrib.rnn
  import GRUCell`): the cells and wrappers of `legacy_seq2seq.rnn_cell`,
  `LSTMStateTuple`, `static_rnn`, `static_bidirectional_rnn`, `stack_bidirectional_rnn`
  and `LayerNormBasicLSTMCell`; also under the deep paths
  `tensorflow.contrib.rnn.python.ops.{core_rnn_cell, rnn_cell, rnn, core_rnn}` and
  TF 1.0's `tf.contrib.rnn.core_rnn_cell` / `core_rnn_cell_impl`;
* `tf.compat.v1.nn.rnn_cell` (and `tf.nn.rnn_cell` where TensorFlow has none): the cells
  TF 1.15 had there (`GRUCell`, `LSTMCell`, ...).

Anything else under those names (e.g. `tf.contrib.layers`, `tf.contrib.rnn.NASCell`)
raises an AttributeError, or for an import an ImportError, that says what the shim
provides. The script must run in `tf.compat.v1` graph mode (`tf.disable_v2_behavior()`
or `with tf.Graph().as_default():`), or call the cells eagerly; the variables get
TF 1.15's names, so the script's `Saver` reads and writes checkpoints compatible with
its TF 1.x runs. `docs/migrating.md` walks through a port.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

import tensorflow as tf

import legacy_seq2seq
from legacy_seq2seq import bidirectional, rnn_cell
from legacy_seq2seq.rnn import static_rnn

__all__ = ["install", "CONTRIB_RNN_NAMES", "NN_RNN_CELL_NAMES", "CORE_RNN_CELL_NAMES"]

# What TF 1.15's tf.nn.rnn_cell held.
NN_RNN_CELL_NAMES = (
    "RNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "LSTMStateTuple",
    "MultiRNNCell", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper",
)
# The cells of TF 1.0's tf.contrib.rnn.core_rnn_cell (TF 1.15 kept the three wrappers there).
CORE_RNN_CELL_NAMES = NN_RNN_CELL_NAMES + (
    "EmbeddingWrapper", "InputProjectionWrapper", "OutputProjectionWrapper",
)
# The part of TF 1.15's tf.contrib.rnn that this library implements.
CONTRIB_RNN_NAMES = CORE_RNN_CELL_NAMES + (
    "LayerNormBasicLSTMCell", "static_rnn", "static_bidirectional_rnn",
    "stack_bidirectional_rnn",
)
_FUNCTIONS = {
    "static_rnn": static_rnn,
    "static_bidirectional_rnn": bidirectional.static_bidirectional_rnn,
    "stack_bidirectional_rnn": bidirectional.stack_bidirectional_rnn,
}


def _provided(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None) or vars(module)
    return sorted(n for n in names if not n.startswith("_"))


def _missing_message(module_name: str, name: str, module: types.ModuleType) -> str:
    return (f"{module_name}.{name} is not provided by legacy_seq2seq.contrib_compat, which "
            f"gives TensorFlow 2 only: {', '.join(_provided(module))}. For the rest of "
            "tf.contrib use its TensorFlow 2 replacement (see the TensorFlow 2 migration "
            "guide).")


class _ShimModule(types.ModuleType):
    """A package-like namespace whose missing attributes raise an AttributeError naming
    what it has (and, through `_ShimFinder`, missing imports an ImportError)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(_missing_message(self.__name__, name, self))


# Module name -> module, for every name this shim registers in sys.modules.
_REGISTERED: dict[str, types.ModuleType] = {}


def _namespace(name: str, members: dict[str, object]) -> _ShimModule:
    module = _ShimModule(name, f"{name}, provided by legacy_seq2seq.contrib_compat.")
    module.__path__ = []  # a package: `from <it> import <missing>` goes through _ShimFinder
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    for key, value in members.items():
        setattr(module, key, value)
    _REGISTERED[name] = module
    return module


def _members(names: tuple[str, ...]) -> dict[str, object]:
    return {n: _FUNCTIONS[n] if n in _FUNCTIONS else getattr(rnn_cell, n) for n in names}


class _ShimFinder(importlib.abc.MetaPathFinder):
    """Turns an import of a missing name under a shim module into a helpful ImportError."""

    def find_spec(self, fullname: str, path, target=None):
        parent, _, name = fullname.rpartition(".")
        if fullname in _REGISTERED or parent not in _REGISTERED:
            return None
        raise ImportError(_missing_message(parent, name, _REGISTERED[parent]),
                          name=fullname)


def _build() -> tuple[_ShimModule, _ShimModule]:
    _REGISTERED["tensorflow.contrib.legacy_seq2seq"] = legacy_seq2seq
    _REGISTERED["tensorflow.contrib.legacy_seq2seq.python.ops.seq2seq"] = legacy_seq2seq
    seq2seq_python = _namespace("tensorflow.contrib.legacy_seq2seq.python", {
        "ops": _namespace("tensorflow.contrib.legacy_seq2seq.python.ops",
                          {"seq2seq": legacy_seq2seq})})
    core_cells = _members(CORE_RNN_CELL_NAMES)
    all_cells = _members(CORE_RNN_CELL_NAMES + ("LayerNormBasicLSTMCell",))
    core_rnn_cell = _namespace("tensorflow.contrib.rnn.python.ops.core_rnn_cell", core_cells)
    core_rnn_cell_impl = _namespace("tensorflow.contrib.rnn.python.ops.core_rnn_cell_impl",
                                    core_cells)
    ops = _namespace("tensorflow.contrib.rnn.python.ops", {
        "core_rnn_cell": core_rnn_cell,
        "core_rnn_cell_impl": core_rnn_cell_impl,
        "rnn_cell": _namespace("tensorflow.contrib.rnn.python.ops.rnn_cell", all_cells),
        "rnn": _namespace("tensorflow.contrib.rnn.python.ops.rnn", _members(
            ("static_bidirectional_rnn", "stack_bidirectional_rnn"))),
        "core_rnn": _namespace("tensorflow.contrib.rnn.python.ops.core_rnn", _members(
            ("static_rnn", "static_bidirectional_rnn"))),
    })
    contrib_rnn = _namespace("tensorflow.contrib.rnn", dict(
        _members(CONTRIB_RNN_NAMES), core_rnn_cell=core_rnn_cell,
        core_rnn_cell_impl=core_rnn_cell_impl,
        python=_namespace("tensorflow.contrib.rnn.python", {"ops": ops})))
    legacy_seq2seq.python = seq2seq_python
    contrib = _namespace("tensorflow.contrib",
                         {"legacy_seq2seq": legacy_seq2seq, "rnn": contrib_rnn})
    nn_rnn_cell = _namespace("tensorflow.nn.rnn_cell", _members(NN_RNN_CELL_NAMES))
    del _REGISTERED["tensorflow.nn.rnn_cell"]  # an attribute only, never imported by path
    return contrib, nn_rnn_cell


CONTRIB, NN_RNN_CELL = _build()
_FINDER = _ShimFinder()


def install() -> types.ModuleType:
    """Makes `tf.contrib` and `tf.compat.v1.nn.rnn_cell` resolve to this library.

    Registers the `tensorflow.contrib...` modules in `sys.modules` (so every `import`
    form works) and sets the attributes on `tensorflow` and `tensorflow.compat.v1`.
    Safe to call more than once (importing this module calls it).

    Returns:
      The `tf.contrib` namespace that was installed.

    Raises:
      RuntimeError: this TensorFlow has a `tf.contrib` of its own (TF 1.x).
    """
    # TF registers no `tensorflow.compat.v1` module: the first `import tensorflow.compat.v1`
    # would make a fresh one, without `contrib`, and put it in place of `tf.compat.v1`.
    # Registering the current ones makes that import return the shimmed module.
    sys.modules.setdefault("tensorflow.compat", tf.compat)
    sys.modules.setdefault("tensorflow.compat.v1", tf.compat.v1)
    v1_modules = {id(m): m for m in (tf.compat.v1, sys.modules["tensorflow.compat.v1"])}
    for module in (tf, *v1_modules.values()):
        existing = getattr(module, "contrib", None)
        if existing is not None and existing is not CONTRIB:
            raise RuntimeError(
                f"TensorFlow {tf.__version__} has its own tf.contrib; "
                "legacy_seq2seq.contrib_compat is only for TensorFlow 2.")
        module.contrib = CONTRIB
    sys.modules.update(_REGISTERED)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    for v1 in v1_modules.values():
        v1.nn.rnn_cell = NN_RNN_CELL
    if getattr(tf.nn, "rnn_cell", None) is None:
        tf.nn.rnn_cell = NN_RNN_CELL
    return CONTRIB


install()
