"""TF 1.x programs run on TensorFlow 2 through the shim and give TF 1.15's numbers.

The programs in `tf1_scripts/` are TF 1.x code (`import tensorflow as tf`, `tf.contrib`,
placeholders, sessions); each is ported here as `docs/migrating.md` says (the TF 1 API
from `tensorflow.compat.v1`, plus the shim's one line) and run in a `tf.compat.v1` graph.
Their references were recorded from the same sources under TF 1.15 by
`tools/oracle_tf1/make_port_references.py`:

* the training scripts' losses (a bucketed chatbot and the tutorial's model with one
  cell shared by every bucket, a char-rnn written with `from tensorflow.contrib import
  rnn`, a wrapper fed a keep-probability placeholder; and a TF 1.0-era script recorded
  under TF 1.0.1 by `make_tf10_script_reference.py`): equal within 1e-4;
* the cell-API graphs (`LayerNormBasicLSTMCell`, `static_bidirectional_rnn`,
  `stack_bidirectional_rnn`, seeded standard and variational `DropoutWrapper`s): every
  tensor and gradient, checked with `legacy_seq2seq.testing` (the float32 tolerance of
  the golden tests);
* what the cells report as Keras layers (`weights` and its parts, `dtype`, `built`,
  the keys of `get_config()`).
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
import tensorflow as tf

from legacy_seq2seq import checkpoint_names, testing

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "tf1_scripts"
GOLDEN = HERE / "golden_cells"
THE_ADDED_LINES = ("import tensorflow.compat.v1 as tf\n"
                   "import legacy_seq2seq.contrib_compat  # noqa: F401\n")


def ported(name: str) -> types.ModuleType:
    """`tf1_scripts/<name>.py` with its `import tensorflow as tf` ported, as a module."""
    source = (SCRIPTS / f"{name}.py").read_text()
    assert "import tensorflow as tf\n" in source
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    module = types.ModuleType(f"ported_{name}")
    module.__file__ = str(SCRIPTS / f"{name}.py")
    exec(compile(source.replace("import tensorflow as tf\n", THE_ADDED_LINES, 1),
                 module.__file__, "exec"), module.__dict__)
    return module


REFERENCE_LOSSES = json.loads((SCRIPTS / "losses_tf1_15.json").read_text())


@pytest.mark.parametrize("name", ["tutorial_buckets", "chatbot_shared_cell", "char_rnn",
                                  "dropout_placeholder"])
def test_training_script_gives_tf1_losses(name):
    losses = ported(name).run()  # the shared-cell version where the script has one
    expected = REFERENCE_LOSSES[name]
    assert sorted(losses) == sorted(expected)
    for key, value in expected.items():
        assert abs(losses[key] - value) <= 1e-4, (key, losses[key], value)


def test_tf1_0_era_script_gives_tf1_0_losses_from_its_checkpoint():
    """TF 1.0's names differ: the port restores the TF 1.0.1 run's initial weights."""
    era = GOLDEN / "tf10_era"
    prefix = str(era / "initial.ckpt")

    def restore_tf1_0_weights(session):
        v1 = tf.compat.v1
        var_list = checkpoint_names.var_list_for_checkpoint(v1.trainable_variables(), prefix)
        assert any(name.endswith("gates/weights") for name in var_list)  # TF 1.0 names
        v1.train.Saver(var_list).restore(session, prefix)

    losses = ported("tf10_era_seq2seq").run(initialize=restore_tf1_0_weights)
    expected = json.loads((era / "losses.json").read_text())["losses"]
    assert sorted(losses) == sorted(expected)
    for key, value in expected.items():
        assert abs(losses[key] - value) <= 1e-4, (key, losses[key], value)


CASES = ported("cell_api_cases")


@pytest.mark.parametrize("case", CASES.CASES, ids=lambda case: case.__name__)
def test_cell_api_case_matches_tf1(case):
    values = CASES.run_case(case, testing)
    testing.assert_matches(str(GOLDEN / f"{case.__name__}.npz"), values)


def test_cells_report_what_tf1_layers_reported():
    expected = json.loads((GOLDEN / "keras_api.json").read_text())["cells"]
    facts = CASES.api_facts()
    assert sorted(facts) == sorted(expected)
    for name, tf1_facts in expected.items():
        ours = facts[name]
        # TF 1.15 left the arguments of multi-cells, wrappers and contrib cells out of
        # get_config() (so from_config could not rebuild them); ours has them all.
        assert set(tf1_facts.pop("config_keys")) <= set(ours.pop("config_keys")), name
        assert ours == tf1_facts, name
