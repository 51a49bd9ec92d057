"""`import legacy_seq2seq.contrib_compat`: TF 1.x scripts using `tf.contrib` run on TF 2.

The script `tf1_scripts/toy_translate_tf1.py` is a TF 1.x program (it runs unmodified
under TF 1.15). It is ported the two ways `docs/migrating.md` describes for keeping the
TF 1 code, each time with the one added line, and run in a subprocess: it must train,
save a checkpoint with TF 1.15's variable names, restore it in a fresh graph and decode.
`tf1_scripts/toy_translate_tf2.py`, the guide's TF 2 native rewrite, must do the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf

import legacy_seq2seq
import legacy_seq2seq.contrib_compat as contrib_compat
from legacy_seq2seq import rnn_cell

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "tests", "legacy_seq2seq", "tf1_scripts")
SCRIPT = os.path.join(SCRIPTS, "toy_translate_tf1.py")
ADDED_LINE = "import legacy_seq2seq.contrib_compat  # noqa: F401"
STEPS = 150


def test_contrib_names_resolve_to_this_library():
    assert tf.contrib is contrib_compat.CONTRIB
    assert tf.compat.v1.contrib is tf.contrib
    assert tf.contrib.legacy_seq2seq is legacy_seq2seq
    assert tf.contrib.legacy_seq2seq.embedding_attention_seq2seq is (
        legacy_seq2seq.embedding_attention_seq2seq)
    for name in contrib_compat.CONTRIB_RNN_NAMES:
        expected = getattr(rnn_cell, name, None) or getattr(legacy_seq2seq, name)
        assert getattr(tf.contrib.rnn, name) is expected
    for name in contrib_compat.NN_RNN_CELL_NAMES:
        assert getattr(tf.compat.v1.nn.rnn_cell, name) is getattr(rnn_cell, name)
    assert contrib_compat.install() is tf.contrib  # a second install changes nothing


def test_what_the_shim_lacks_is_named():
    with pytest.raises(AttributeError, match=r"contrib\.layers .*legacy_seq2seq, rnn"):
        _ = tf.contrib.layers
    with pytest.raises(AttributeError, match=r"contrib\.rnn\.NASCell .*GRUCell"):
        _ = tf.contrib.rnn.NASCell
    assert not hasattr(tf.compat.v1.nn.rnn_cell, "EmbeddingWrapper")  # not in tf.nn.rnn_cell


def test_the_shim_survives_a_later_import_of_tensorflow_compat_v1():
    import tensorflow.compat.v1 as v1  # the usual first line of a ported script

    assert v1.contrib is contrib_compat.CONTRIB
    assert v1.nn.rnn_cell.GRUCell is rnn_cell.GRUCell
    assert tf.compat.v1 is v1


# Every form in which TF 1.x code imported the parts of tf.contrib this library provides,
# with the object it must give.
IMPORT_FORMS = {
    "from tensorflow.contrib import rnn, legacy_seq2seq": lambda ns: (
        ns["rnn"].GRUCell is rnn_cell.GRUCell and ns["legacy_seq2seq"] is legacy_seq2seq),
    "from tensorflow.contrib.rnn import GRUCell, static_bidirectional_rnn": lambda ns: (
        ns["GRUCell"] is rnn_cell.GRUCell
        and ns["static_bidirectional_rnn"] is legacy_seq2seq.static_bidirectional_rnn),
    "import tensorflow.contrib.legacy_seq2seq as seq2seq": lambda ns: (
        ns["seq2seq"] is legacy_seq2seq),
    "import tensorflow.contrib.rnn as rnn": lambda ns: ns["rnn"] is tf.contrib.rnn,
    "from tensorflow.contrib.legacy_seq2seq.python.ops import seq2seq": lambda ns: (
        ns["seq2seq"].embedding_attention_seq2seq
        is legacy_seq2seq.embedding_attention_seq2seq),
    "from tensorflow.contrib.legacy_seq2seq.python.ops.seq2seq import model_with_buckets":
        lambda ns: ns["model_with_buckets"] is legacy_seq2seq.model_with_buckets,
    "from tensorflow.contrib.rnn.python.ops import core_rnn_cell": lambda ns: (
        ns["core_rnn_cell"].EmbeddingWrapper is rnn_cell.EmbeddingWrapper),
    "from tensorflow.contrib.rnn.python.ops.core_rnn_cell import OutputProjectionWrapper":
        lambda ns: ns["OutputProjectionWrapper"] is rnn_cell.OutputProjectionWrapper,
    "from tensorflow.contrib.rnn.python.ops.rnn_cell import LayerNormBasicLSTMCell":
        lambda ns: ns["LayerNormBasicLSTMCell"] is rnn_cell.LayerNormBasicLSTMCell,
    "from tensorflow.contrib.rnn.python.ops.rnn import stack_bidirectional_rnn": lambda ns: (
        ns["stack_bidirectional_rnn"] is legacy_seq2seq.stack_bidirectional_rnn),
    "from tensorflow.contrib.rnn.python.ops.core_rnn_cell_impl import GRUCell": lambda ns: (
        ns["GRUCell"] is rnn_cell.GRUCell),  # TF 1.0
    "cell = tf.contrib.rnn.core_rnn_cell.BasicLSTMCell": lambda ns: (
        ns["cell"] is rnn_cell.BasicLSTMCell),  # TF 1.0
    "cell = tf.contrib.rnn.core_rnn_cell_impl.LSTMCell": lambda ns: (
        ns["cell"] is rnn_cell.LSTMCell),  # TF 1.0
    "cell = tf.nn.rnn_cell.GRUCell": lambda ns: ns["cell"] is rnn_cell.GRUCell,
    "cell = tf.compat.v1.nn.rnn_cell.MultiRNNCell": lambda ns: (
        ns["cell"] is rnn_cell.MultiRNNCell),
}


@pytest.mark.parametrize("statement", list(IMPORT_FORMS))
def test_every_import_form_gives_this_library(statement):
    namespace = {"tf": tf}
    exec(statement, namespace)
    assert IMPORT_FORMS[statement](namespace)


@pytest.mark.parametrize("statement, missing", [
    ("from tensorflow.contrib.rnn import NASCell", "tensorflow.contrib.rnn.NASCell"),
    ("import tensorflow.contrib.layers", "tensorflow.contrib.layers"),
    ("from tensorflow.contrib import slim", "tensorflow.contrib.slim"),
    ("from tensorflow.contrib.rnn.python.ops.rnn_cell import NASCell",
     "tensorflow.contrib.rnn.python.ops.rnn_cell.NASCell"),
])
def test_an_import_of_what_the_shim_lacks_says_what_it_has(statement, missing):
    with pytest.raises(ImportError, match=rf"{missing} is not provided by "
                                          r"legacy_seq2seq.contrib_compat.*only: \w"):
        exec(statement, {})


def run(source: str, directory) -> subprocess.CompletedProcess:
    path = directory / "script.py"
    path.write_text(source)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    return subprocess.run([sys.executable, str(path), str(directory), str(STEPS)],
                          capture_output=True, text=True, env=env, timeout=300)


def with_added_line(source: str) -> str:
    """The source with ADDED_LINE right after its `import tensorflow...` line."""
    lines = source.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("import tensorflow"))
    return "\n".join(lines[:at + 1] + [ADDED_LINE] + lines[at + 1:]) + "\n"


def upgraded_by_tf_upgrade_v2(directory) -> str:
    """TensorFlow's own converter: tf.* -> tf.compat.v1.*; it leaves tf.contrib alone."""
    converted = directory / "upgraded.py"
    subprocess.run(
        [sys.executable, "-m", "tensorflow.tools.compatibility.tf_upgrade_v2_main",
         "--infile", SCRIPT, "--outfile", str(converted),
         "--reportfile", str(directory / "report.txt")],
        check=True, capture_output=True, timeout=300)
    return converted.read_text()


def ported_by_hand(_) -> str:
    """The migration guide's manual step: the TF 1 API, in graph mode."""
    with open(SCRIPT) as f:
        source = f.read()
    assert "import tensorflow as tf\n" in source
    return source.replace(
        "import tensorflow as tf\n",
        "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n", 1)


def check_trained_and_saved(result: subprocess.CompletedProcess, with_slots: bool = True) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["last_loss"] < report["first_loss"] / 4, report
    assert report["accuracy"] >= 0.9, report
    names = dict(tf.train.list_variables(report["checkpoint"]))
    encoder_kernel = ("toy/embedding_attention_seq2seq/rnn/embedding_wrapper/multi_rnn_cell/"
                      "cell_0/gru_cell/gates/kernel")
    assert names[encoder_kernel] == [16 + 32, 64]
    assert (f"{encoder_kernel}/Adam" in names) == with_slots


@pytest.mark.slow
@pytest.mark.parametrize("port", [upgraded_by_tf_upgrade_v2, ported_by_hand],
                         ids=["tf_upgrade_v2", "compat_v1_import"])
def test_a_ported_tf1_script_runs_with_the_one_added_line(port, tmp_path):
    ported = port(tmp_path)
    assert "tf.contrib.legacy_seq2seq.embedding_attention_seq2seq" in ported
    failed = run(ported, tmp_path)
    assert failed.returncode != 0
    assert "contrib" in failed.stderr or "not available with Keras 3" in failed.stderr
    check_trained_and_saved(run(with_added_line(ported), tmp_path))


@pytest.mark.slow
def test_the_tf2_native_rewrite_runs(tmp_path):
    with open(os.path.join(SCRIPTS, "toy_translate_tf2.py")) as f:
        check_trained_and_saved(run(f.read(), tmp_path), with_slots=False)
