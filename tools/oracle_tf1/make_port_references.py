"""Record, under TF 1.15, the references of the TF 1.x-program tests (Python 3.7 + TF 1.15).

`tests/legacy_seq2seq/test_tf1_programs.py` runs the TF 1.x-style programs of
`tests/legacy_seq2seq/tf1_scripts/` on TensorFlow 2 through `legacy_seq2seq.contrib_compat`
and compares with what this script records from the same sources under TF 1.15:

* `tf1_scripts/losses_tf1_15.json`: the losses of each training script
  (`tutorial_buckets`, `chatbot_shared_cell`, `char_rnn`, `dropout_placeholder`), run with
  a fresh cell per bucket (`run(shared_cell=False)`): TF 1.15 cannot deep-copy the built
  cell that the shared-cell version passes to every bucket;
* `golden_cells/<case>.npz`: the tensors and gradients of each `cell_api_cases.CASES`
  graph, recorded with `legacy_seq2seq.testing.record` (loaded from its file: the
  package itself needs TF 2);
* `golden_cells/keras_api.json`: what TF 1.15's cells report for `weights`,
  `trainable_weights`, `variables`, `dtype`, `built` and the keys of `get_config()`.

Usage (from the repository root):
    ~/tf1/bin/python tools/oracle_tf1/make_port_references.py
"""
import importlib
import json
import os
import sys

import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "tests", "legacy_seq2seq", "tf1_scripts")
GOLDEN = os.path.join(ROOT, "tests", "legacy_seq2seq", "golden_cells")
TRAINING_SCRIPTS = ["tutorial_buckets", "chatbot_shared_cell", "char_rnn",
                    "dropout_placeholder"]


def main():
    assert tf.__version__.startswith("1."), "run this under TensorFlow 1.x"
    sys.path.insert(0, SCRIPTS)
    sys.path.insert(0, os.path.join(ROOT, "legacy_seq2seq"))
    testing = importlib.import_module("testing")
    cases = importlib.import_module("cell_api_cases")
    losses = {"tensorflow": tf.__version__}
    for name in TRAINING_SCRIPTS:
        losses[name] = importlib.import_module(name).run(shared_cell=False)
        print(name, losses[name])
    with open(os.path.join(SCRIPTS, "losses_tf1_15.json"), "w") as f:
        json.dump(losses, f, indent=1, sort_keys=True)
    if not os.path.isdir(GOLDEN):
        os.makedirs(GOLDEN)
    for case in cases.CASES:
        cases.run_case(case, testing, os.path.join(GOLDEN, case.__name__ + ".npz"))
        print("recorded", case.__name__)
    with open(os.path.join(GOLDEN, "keras_api.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "cells": cases.api_facts()}, f, indent=1,
                  sort_keys=True)


if __name__ == "__main__":
    main()
