"""Golden tests on the extra TF 1.15 cases: configurations the owners' 32 cases leave out.

The cases of ``golden_extra/`` (see its README.md: float64/float16 models, LSTMCell options,
BasicRNNCell, non-tuple MultiRNNCell states, cell wrappers, custom scopes, several attention
heads, argmax loop functions, three buckets, sampled softmax losses) were produced by
``tools/oracle_tf1/make_extra_cases.py`` with the real TF 1.15 through the same
``case_builder`` the port is tested with.  Each is evaluated in a ``tf.compat.v1`` graph
(graph), TF 2 eager through ``legacy_seq2seq.Template`` (eager) and inside ``tf.function``
(function), and must match every stored number within ``numerics`` tolerances and create
exactly the TF 1.15 variables.
"""

from __future__ import annotations

import functools
import os

import pytest
import tensorflow as tf
from case_builder import load_cases, result_problems, run_graph, run_template, variable_specs
from numerics import mismatch

import legacy_seq2seq

GOLDEN_EXTRA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_extra")
CASES = {case.name: case for case in load_cases(GOLDEN_EXTRA)}
MODES = ("graph", "eager", "function")
PARAMS = [pytest.param(name, mode, id=f"{name}-{mode}") for name in CASES for mode in MODES]
# The generator's case list (tools/oracle_tf1/make_extra_cases.py, CASES) has this many entries.
EXPECTED_CASE_COUNT = 40


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
    assert len(CASES) == EXPECTED_CASE_COUNT


def test_argmax_margins_are_wide():
    # A greedy path is only comparable when no fed-back logit vector is near a tie.
    narrow = {
        name: case.config["argmax_min_margin"]
        for name, case in CASES.items()
        if case.config["argmax_min_margin"] is not None
        and case.config["argmax_min_margin"] < 2e-3
    }
    assert not narrow


@pytest.mark.slow
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
