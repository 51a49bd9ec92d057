"""Fixtures of the translate tests: a tiny corpus and a tiny model trained on it."""

from __future__ import annotations

import os

import pytest
from translate_testlib import run_cli, train_flags


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> dict[str, str]:
    """A small demo corpus (numbers and dates, at most 9 source tokens: buckets 0 and 1)."""
    from data_utils import demo_corpus

    directory = str(tmp_path_factory.mktemp("tiny_corpus"))
    files = demo_corpus.write_demo_corpus(directory, num_train=600, num_dev=60, seed=5)
    return dict(zip(("from_train_data", "to_train_data", "from_dev_data", "to_dev_data"), files))


@pytest.fixture(scope="session")
def tiny_trained(tiny_corpus, tmp_path_factory) -> dict:
    """Trains the tiny model for 20 steps (checkpoints at 10 and 20) through the command line."""
    root = str(tmp_path_factory.mktemp("tiny_trained"))
    data_dir, train_dir = os.path.join(root, "data"), os.path.join(root, "train")
    proc = run_cli(train_flags(tiny_corpus, data_dir, train_dir)
                   + ["--steps_per_checkpoint=10", "--max_steps=20"], cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return {"root": root, "data_dir": data_dir, "train_dir": train_dir,
            "stdout": proc.stdout.decode(), "stderr": proc.stderr.decode()}


@pytest.fixture(scope="session")
def trained_demo(tmp_path_factory) -> dict:
    """A small demo model trained to translate (features_testlib.train_demo_model, ~30 s)."""
    from features_testlib import train_demo_model

    return train_demo_model(str(tmp_path_factory.mktemp("trained_demo")))
