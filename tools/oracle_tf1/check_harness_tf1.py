"""Validate the golden-test harness against the real TF 1.15 (run with Python 3.7 + TF 1.15).

The harness (``tests/legacy_seq2seq/case_builder.py``) rebuilds every golden case from its
``case.json``.  Run here with the original ``tf.contrib.legacy_seq2seq`` and the case
checkpoint restored by a plain ``Saver``, it must reproduce every stored number (outputs,
states, losses, objective, every ``grad/`` and ``grad_input/`` key) and create exactly the
variables ``case.json`` lists.  A mismatch means the builder misreads the case format, so the
TF 2 golden tests could not be trusted.

Usage (from the repository root):
    ~/tf1/bin/python tools/oracle_tf1/check_harness_tf1.py [--cases DIR] [--atol 0] [NAME ...]

Exits with status 1 and lists the mismatches when any case fails.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "tests", "legacy_seq2seq")
sys.path.insert(0, TESTS)

import case_builder  # noqa: E402  (needs the path above)


def case_mismatches(case: case_builder.Case, tf, atol: float) -> list[str]:
    """Run one case under TF 1.15 and list every difference from the stored reference.

    Args:
        case: the golden case.
        tf: the TF 1.15 module.
        atol: allowed absolute difference (0 demands bit-exact reproduction).

    Returns:
        human-readable mismatch lines (empty when the case reproduces).
    """
    results, variables = case_builder.run_graph(
        case, tf.contrib.legacy_seq2seq, tf.contrib.rnn, tf
    )
    problems = []
    expected_variables = case_builder.variable_specs(case)
    if variables != expected_variables:
        missing = sorted(expected_variables - variables)
        unexpected = sorted(variables - expected_variables)
        problems.append(f"variables differ: missing {missing}, unexpected {unexpected}")
    for key in case.result_keys:
        reference = case.io[key]
        ours = results.get(key, "absent")
        if ours is None:
            if key not in case.grad_none:
                problems.append(f"{key}: gradient is None but the reference has one")
            continue
        if isinstance(ours, str):
            problems.append(f"{key}: not produced by the harness")
            continue
        if ours.shape != reference.shape or ours.dtype != reference.dtype:
            problems.append(
                f"{key}: {ours.dtype}{ours.shape} vs reference {reference.dtype}{reference.shape}"
            )
            continue
        error = float(np.max(np.abs(ours.astype(np.float64) - reference), initial=0.0))
        if error > atol:
            problems.append(f"{key}: max |diff| {error:.3g}")
    extra = sorted(k for k, v in results.items() if v is not None and k not in case.io)
    if extra:
        problems.append(f"results without reference: {extra}")
    return problems


def main() -> int:
    """Check every (or every named) case; print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=os.path.join(TESTS, "golden"))
    parser.add_argument("--atol", type=float, default=0.0)
    parser.add_argument("names", nargs="*", help="case names (default: all)")
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    cases = case_builder.load_cases(args.cases)
    if args.names:
        cases = [c for c in cases if c.name in args.names]
    failed = 0
    for case in cases:
        problems = case_mismatches(case, tf, args.atol)
        verdict = "FAIL" if problems else f"ok ({len(case.result_keys)} keys)"
        print(f"{case.name:<50} {verdict}")
        for line in problems:
            print("    " + line)
        failed += bool(problems)
    print(f"{len(cases) - failed}/{len(cases)} cases reproduce")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
