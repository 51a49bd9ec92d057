"""Record the TF 1.0-era script's reference under TensorFlow 1.0.1 (Python 3.6 + TF 1.0.1).

Runs `tests/legacy_seq2seq/tf1_scripts/tf10_era_seq2seq.py` (cells from
`tf.contrib.rnn.core_rnn_cell`, TF 1.0's variable names) and writes to
`tests/legacy_seq2seq/golden_cells/tf10_era/`: `initial.ckpt.*`, the weights it starts
from (set by name, saved before training), and `losses.json`, the loss of every step.
`tests/legacy_seq2seq/test_tf1_programs.py` runs the same script on TF 2 through the shim,
restores `initial.ckpt` through `legacy_seq2seq.checkpoint_names`, and compares.

Setup and usage (from the repository root):
    "$(pyenv root)/versions/3.6.15/bin/python" -m venv ~/tf10
    ~/tf10/bin/pip install 'pip<22'
    ~/tf10/bin/pip install tensorflow==1.0.1 'numpy<1.17' 'protobuf<3.20' six 'wheel<0.38' --no-deps
    ~/tf10/bin/python tools/oracle_tf1/make_tf10_script_reference.py
"""
import importlib
import json
import os
import sys

import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "tests", "legacy_seq2seq", "tf1_scripts")
OUT = os.path.join(ROOT, "tests", "legacy_seq2seq", "golden_cells", "tf10_era")


def main():
    assert tf.__version__.startswith("1.0"), "run this under TensorFlow 1.0.x"
    sys.path.insert(0, SCRIPTS)
    if not os.path.isdir(OUT):
        os.makedirs(OUT)
    script = importlib.import_module("tf10_era_seq2seq")
    losses = script.run(save_initial_to=os.path.join(OUT, "initial.ckpt"))
    os.remove(os.path.join(OUT, "checkpoint"))  # the prefix is given explicitly
    with open(os.path.join(OUT, "losses.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "losses": losses}, f, indent=1,
                  sort_keys=True)
    print(losses)


if __name__ == "__main__":
    main()
