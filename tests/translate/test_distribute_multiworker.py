"""A real 2-worker MultiWorkerMirroredStrategy run on 127.0.0.1: both workers end with identical
variables, only the chief writes checkpoints, and its checkpoint restores for --decode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
from translate_testlib import TINY_FLAGS, run_cli, translate_env

from translate import checkpoints
from translate.train import distribute

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distribute_worker.py")
TIMEOUT_S = 240
MAX_STEPS = 4


def start_workers(tiny_corpus: dict[str, str], root: str) -> list[subprocess.Popen]:
    cluster = distribute.local_cluster(2)
    workers = []
    for index in range(2):
        env = translate_env()
        env["TF_CONFIG"] = json.dumps({"cluster": cluster,
                                       "task": {"type": "worker", "index": index}})
        directory = os.path.join(root, f"worker{index}")
        os.makedirs(directory)
        log = open(os.path.join(directory, "log.txt"), "wb")
        workers.append(subprocess.Popen(
            [sys.executable, WORKER, os.path.join(directory, "variables.npz"),
             os.path.join(directory, "data"), os.path.join(directory, "train"), str(MAX_STEPS),
             tiny_corpus["from_train_data"], tiny_corpus["to_train_data"]],
            cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
        log.close()
    return workers


def wait_all(workers: list[subprocess.Popen], root: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    for index, worker in enumerate(workers):
        try:
            code = worker.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            code = None
        if code != 0:
            with open(os.path.join(root, f"worker{index}", "log.txt"), "rb") as f:
                log = f.read().decode(errors="replace")[-4000:]
            raise AssertionError(f"worker {index} ended with {code}:\n{log}")


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def load_variables(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as values:
        return {key.replace("|", "/"): values[key] for key in values.files}


@pytest.mark.slow
def test_two_workers_train_in_sync_and_the_chief_checkpoint_decodes(tiny_corpus, tmp_path):
    root = str(tmp_path)
    workers = start_workers(tiny_corpus, root)
    try:
        wait_all(workers, root)
    finally:
        stop(workers)
    chief, other = (load_variables(os.path.join(root, f"worker{i}", "variables.npz"))
                    for i in range(2))
    assert sorted(chief) == sorted(other)
    different = [name for name in chief if not np.array_equal(chief[name], other[name])]
    assert not different, f"the workers' variables differ: {different}"
    assert int(chief["Variable_1"]) == MAX_STEPS

    with open(os.path.join(root, "worker0", "log.txt"), encoding="utf-8",
              errors="replace") as f:
        log = f.read()
    assert "Training on 2 replicas (multi_worker)." in log
    # Written once, by the chief (worker 0), at steps 2 and 4; the other worker writes none.
    chief_dir = os.path.join(root, "worker0", "train")
    latest = checkpoints.latest_checkpoint(chief_dir)
    assert latest == os.path.join(chief_dir, f"translate.ckpt-{MAX_STEPS}")
    assert not os.path.exists(os.path.join(root, "worker1", "train", "checkpoint"))
    reader = tf.train.load_checkpoint(latest)
    assert sorted(reader.get_variable_to_shape_map()) == sorted(chief)
    for name, value in chief.items():
        np.testing.assert_array_equal(reader.get_tensor(name), value, err_msg=name)

    # The single-device decoder restores the chief's checkpoint by name.
    decode = run_cli(["--decode", "--data_dir=data", "--train_dir=train", *TINY_FLAGS],
                     cwd=os.path.join(root, "worker0"), stdin=b"one two three\n")
    assert decode.returncode == 0, decode.stderr.decode()[-3000:]
    out = decode.stdout.decode()
    assert f"Reading model parameters from train/translate.ckpt-{MAX_STEPS}" in out
    lines = [line for line in out.split("\n") if line.startswith("> ")]
    assert len(lines) == 2, out  # one translation, then the next prompt
