"""Old TF 1.x programs often start with `tf.compat.v1.disable_v2_behavior()`.

That switches TensorFlow to TF 1.x control flow (`tf.cond` contexts instead of
functions), reference variables and graph collections. Every golden case must still
reproduce TF 1.15's numbers there; it runs in a subprocess because the switch is
process-wide and would change every other test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SCRIPT = textwrap.dedent("""
    import sys
    sys.path[:0] = [{here!r}, {root!r}]
    import tensorflow as tf
    tf.compat.v1.disable_v2_behavior()
    import legacy_seq2seq
    from case_builder import load_cases, run_graph
    from numerics import mismatch

    cases = load_cases({golden!r})
    for case in cases:
        results, _ = run_graph(case, legacy_seq2seq, legacy_seq2seq.rnn_cell, tf)
        for key in case.result_keys:
            ours = results.get(key)
            if ours is None:
                assert key in case.grad_none, (case.name, key, "no gradient")
                continue
            problem = mismatch(ours, case.io[key], case.dtype)
            assert problem is None, (case.name, key, problem)
    print("checked", len(cases))
""")


@pytest.mark.slow
def test_every_golden_case_under_disable_v2_behavior():
    script = SCRIPT.format(here=HERE, root=ROOT, golden=os.path.join(HERE, "golden"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "checked 32" in proc.stdout
