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
        expected = legacy_seq2seq.static_rnn if name == "static_rnn" else getattr(rnn_cell, name)
        assert getattr(tf.contrib.rnn, name) is expected
    for name in contrib_compat.NN_RNN_CELL_NAMES:
        assert getattr(tf.compat.v1.nn.rnn_cell, name) is getattr(rnn_cell, name)
    assert contrib_compat.install() is tf.contrib  # a second install changes nothing


def test_what_the_shim_lacks_is_named():
    with pytest.raises(AttributeError, match=r"tf\.contrib\.layers .*legacy_seq2seq, rnn"):
        _ = tf.contrib.layers
    with pytest.raises(AttributeError, match=r"tf\.contrib\.rnn\.NASCell .*GRUCell"):
        _ = tf.contrib.rnn.NASCell
    assert not hasattr(tf.compat.v1.nn.rnn_cell, "EmbeddingWrapper")  # not in tf.nn.rnn_cell


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


@pytest.mark.parametrize("port", [upgraded_by_tf_upgrade_v2, ported_by_hand],
                         ids=["tf_upgrade_v2", "compat_v1_import"])
def test_a_ported_tf1_script_runs_with_the_one_added_line(port, tmp_path):
    ported = port(tmp_path)
    assert "tf.contrib.legacy_seq2seq.embedding_attention_seq2seq" in ported
    failed = run(ported, tmp_path)
    assert failed.returncode != 0
    assert "contrib" in failed.stderr or "not available with Keras 3" in failed.stderr
    check_trained_and_saved(run(with_added_line(ported), tmp_path))


def test_the_tf2_native_rewrite_runs(tmp_path):
    with open(os.path.join(SCRIPTS, "toy_translate_tf2.py")) as f:
        check_trained_and_saved(run(f.read(), tmp_path), with_slots=False)
