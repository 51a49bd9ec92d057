"""Run TF 1.x scripts written against `tf.contrib.legacy_seq2seq` on TensorFlow 2.

TensorFlow 2 has no `tf.contrib`, and with Keras 3 even `tf.compat.v1.nn.rnn_cell.GRUCell`
raises AttributeError. Importing this module (one added line) installs this library
under those names:

    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    import legacy_seq2seq.contrib_compat  # noqa: F401  <- the added line

    cell = tf.contrib.rnn.GRUCell(256)
    outputs, _ = tf.contrib.legacy_seq2seq.embedding_attention_seq2seq(...)

Installed (on `tensorflow` and on `tensorflow.compat.v1`):

* `tf.contrib.legacy_seq2seq`: this package (the whole TF 1.15 API);
* `tf.contrib.rnn`: the cells and wrappers of `legacy_seq2seq.rnn_cell`,
  `LSTMStateTuple` and `static_rnn`;
* `tf.compat.v1.nn.rnn_cell`: the cells TF 1.15 had there (`GRUCell`, `LSTMCell`, ...).

Anything else under those names (e.g. `tf.contrib.layers`, `tf.contrib.rnn.NASCell`)
raises an AttributeError that says what the shim provides. The script must run in
`tf.compat.v1` graph mode (`tf.disable_v2_behavior()` or `with tf.Graph().as_default()`);
the variables get TF 1.15's names, so the script's `Saver` reads and writes
checkpoints compatible with its TF 1.x runs. `docs/migrating.md` walks through a port.
"""

from __future__ import annotations

import types

import tensorflow as tf

import legacy_seq2seq
from legacy_seq2seq import rnn_cell
from legacy_seq2seq.rnn import static_rnn

__all__ = ["install", "CONTRIB_RNN_NAMES", "NN_RNN_CELL_NAMES"]

# What TF 1.15's tf.nn.rnn_cell held.
NN_RNN_CELL_NAMES = (
    "RNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "LSTMStateTuple",
    "MultiRNNCell", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper",
)
# The part of TF 1.15's tf.contrib.rnn that this library implements.
CONTRIB_RNN_NAMES = NN_RNN_CELL_NAMES + (
    "EmbeddingWrapper", "InputProjectionWrapper", "OutputProjectionWrapper", "static_rnn",
)


class _ShimModule(types.ModuleType):
    """A namespace whose missing attributes raise an AttributeError naming what it has."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        provided = sorted(n for n in vars(self) if not n.startswith("_"))
        raise AttributeError(
            f"{self.__name__}.{name} is not provided by legacy_seq2seq.contrib_compat, "
            f"which gives TensorFlow 2 only: {', '.join(provided)}.")


def _namespace(name: str, members: dict[str, object]) -> _ShimModule:
    module = _ShimModule(name, f"{name}, provided by legacy_seq2seq.contrib_compat.")
    for key, value in members.items():
        setattr(module, key, value)
    return module


def _rnn_members(names: tuple[str, ...]) -> dict[str, object]:
    return {n: static_rnn if n == "static_rnn" else getattr(rnn_cell, n) for n in names}


CONTRIB = _namespace("tf.contrib", {
    "legacy_seq2seq": legacy_seq2seq,
    "rnn": _namespace("tf.contrib.rnn", _rnn_members(CONTRIB_RNN_NAMES)),
})
NN_RNN_CELL = _namespace("tf.nn.rnn_cell", _rnn_members(NN_RNN_CELL_NAMES))


def install() -> types.ModuleType:
    """Makes `tf.contrib` and `tf.compat.v1.nn.rnn_cell` resolve to this library.

    Safe to call more than once (importing this module calls it).

    Returns:
      The `tf.contrib` namespace that was installed.

    Raises:
      RuntimeError: this TensorFlow has a `tf.contrib` of its own (TF 1.x).
    """
    v1 = tf.compat.v1
    for module in (tf, v1):
        existing = getattr(module, "contrib", None)
        if existing is not None and existing is not CONTRIB:
            raise RuntimeError(
                f"TensorFlow {tf.__version__} has its own tf.contrib; "
                "legacy_seq2seq.contrib_compat is only for TensorFlow 2.")
        module.contrib = CONTRIB
    v1.nn.rnn_cell = NN_RNN_CELL
    return CONTRIB


install()
