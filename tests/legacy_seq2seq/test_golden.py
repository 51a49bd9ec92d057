"""Golden tests: our legacy_seq2seq reproduces every number TF 1.15 stored for each case.

Each case of ``golden/`` (see its README.md) is rebuilt by ``case_builder`` and evaluated in
three ways: a ``tf.compat.v1`` graph restored with a plain ``Saver`` (graph), TF 2 eager through
``legacy_seq2seq.Template`` and ``load_tf1_checkpoint`` (eager), and the same inside a
``tf.function`` (function).  ``tools/oracle_tf1/check_harness_tf1.py`` shows that the same
builder reproduces every stored number bit-for-bit with the real TF 1.15.
"""

from __future__ import annotations

import functools
import os

import pytest
import tensorflow as tf
from case_builder import load_cases, result_problems, run_graph, run_template, variable_specs
from numerics import mismatch

import legacy_seq2seq

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
CASES = {case.name: case for case in load_cases(GOLDEN)}
MODES = ("graph", "eager", "function")
PARAMS = [pytest.param(name, mode, id=f"{name}-{mode}") for name in CASES for mode in MODES]


@functools.cache
def evaluated(name: str, mode: str) -> tuple:
    """(results, variables) of one case in one mode; both tests of a pair share one run."""
    case = CASES[name]
    if mode == "graph":
        return run_graph(case, legacy_seq2seq, legacy_seq2seq.rnn_cell, tf)
    return run_template(
        case, legacy_seq2seq, legacy_seq2seq.rnn_cell, tf, use_function=mode == "function"
    )


def test_all_cases_are_present():
    assert len(CASES) == 32


@pytest.mark.parametrize("name, mode", PARAMS)
def test_numbers_match_tf1(name: str, mode: str):
    case = CASES[name]
    results, _ = evaluated(name, mode)
    problems = result_problems(case, results, mismatch)
    assert not problems, f"{len(problems)} of {len(case.result_keys)} keys differ:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("name, mode", PARAMS)
def test_variables_match_tf1_names_shapes_dtypes(name: str, mode: str):
    case = CASES[name]
    _, variables = evaluated(name, mode)
    expected = variable_specs(case)
    assert variables == expected, (
        f"missing {sorted(expected - variables)}, unexpected {sorted(variables - expected)}"
    )
