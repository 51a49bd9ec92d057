"""MirroredStrategy on the CPU split into 2 logical devices: the same step as one device, the
checkpoints restore on any number of replicas, the command line trains and decodes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from translate_testlib import REPO, TINY_FLAGS, run_cli, train_flags, translate_env

from translate.train import distribute

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distribute_check_mirrored.py")
TWO_CPUS = ["--distribution_strategy=mirrored", "--devices=/cpu:0,/cpu:1"]


@pytest.fixture(scope="module")
def mirrored_results(tmp_path_factory) -> dict:
    """distribute_check_mirrored.py's findings (its own process: devices are split first)."""
    directory = str(tmp_path_factory.mktemp("mirrored_check"))
    proc = subprocess.run([sys.executable, CHECK, directory], cwd=REPO, capture_output=True,
                          timeout=300, env=translate_env())
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return json.loads(proc.stdout.decode().strip().split("\n")[-1])


@pytest.mark.slow
def test_mirrored_step_equals_the_single_device_step(mirrored_results):
    full = mirrored_results["gru2_full_softmax"]
    # Global batch 6 split 3 + 3 against the batch of 6 on one device, two steps (two buckets).
    assert full["loss"] < 1e-5
    assert full["norm"] < 1e-5
    assert full["variables"] < 1e-5
    assert full["replicas"] == 0.0
    # Every step was clipped (on the global gradient), and counted once, not once per replica.
    assert full["clipped_steps"] == 2
    assert full["global_step"] == [2, 2] and full["single_global_step"] == 2
    assert full["learning_rate"] == [0.5, 0.5]


@pytest.mark.slow
def test_replicas_stay_in_sync_with_sampled_softmax(mirrored_results):
    sampled = mirrored_results["gru1_sampled_softmax"]
    assert sampled["loss_finite"]
    assert sampled["replicas"] == 0.0


@pytest.mark.slow
def test_checkpoint_of_two_replicas_restores_on_two_and_on_one(mirrored_results):
    restored = mirrored_results["checkpoint"]
    assert restored["names_match"]
    assert restored["two_replicas"] == 0.0
    assert restored["one_device"] == 0.0
    assert restored["global_step"] == 2


@pytest.mark.slow
def test_skip_batch_skips_on_every_replica_and_trains_as_one_device(mirrored_results):
    skip = mirrored_results["skip_batch"]
    assert skip["skipped_applied"] == [False, False]
    assert not skip["skipped_loss_finite"]
    assert skip["unchanged"]
    # The skipped batch was not counted: four good steps.
    assert skip["global_step"] == [4, 4]
    assert skip["loss"] < 1e-5
    assert skip["variables"] < 1e-5
    # One trace for the first bucket's shapes, one with relaxed shapes for the rest.
    assert skip["traces"] == 2


@pytest.mark.slow
def test_float16_overflow_skips_on_every_replica(mirrored_results):
    result = mirrored_results["float16_overflow"]
    assert result["overflow"] == [True, False]
    assert result["unchanged"]
    assert result["scales_after_overflow"] == [2.0 ** 39, 2.0 ** 39]
    assert result["trained"] == [False, True, True]
    assert result["global_step"] == [1, 1]
    assert result["replicas"] == 0.0


@pytest.mark.slow
def test_command_line_trains_on_two_cpus_then_decodes_and_resumes_on_one(tiny_corpus, tmp_path):
    data_dir, train_dir = str(tmp_path / "data"), str(tmp_path / "train")
    flags = train_flags(tiny_corpus, data_dir, train_dir) + ["--steps_per_checkpoint=3"]
    proc = run_cli(flags + ["--max_steps=6", *TWO_CPUS], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode()
    assert "Training on 2 replicas (mirrored)." in out
    assert re.findall(r"^global step (\d+) ", out, flags=re.M) == ["3", "6"]

    decode = run_cli(["--decode", f"--data_dir={data_dir}", f"--train_dir={train_dir}",
                      *TINY_FLAGS], cwd=str(tmp_path), stdin=b"twenty one\n")
    assert decode.returncode == 0, decode.stderr.decode()[-3000:]
    assert f"Reading model parameters from {train_dir}/translate.ckpt-6" in decode.stdout.decode()

    resumed = run_cli(flags + ["--max_steps=9"], cwd=str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    out = resumed.stdout.decode()
    assert f"Reading model parameters from {train_dir}/translate.ckpt-6" in out
    assert re.findall(r"^global step (\d+) ", out, flags=re.M) == ["9"]


@pytest.mark.slow
def test_batch_must_split_evenly_across_replicas(tiny_corpus, tmp_path):
    flags = train_flags(tiny_corpus, str(tmp_path / "data"), str(tmp_path / "train"))
    proc = run_cli(flags + ["--batch_size=7", "--max_steps=1", *TWO_CPUS], cwd=str(tmp_path))
    assert proc.returncode == 1
    assert ("--batch_size=7 must be divisible by the number of replicas (2)"
            in proc.stderr.decode())


@pytest.mark.parametrize("name, num_gpus, devices, environ, message", [
    ("ring", -1, (), {}, "--distribution_strategy=ring is not one of default, mirrored"),
    ("default", 2, (), {}, "--num_gpus and --devices need"),
    ("mirrored", 1, ("/gpu:0",), {}, "either --num_gpus or --devices"),
    ("multi_worker", -1, ("/cpu:0",), {}, "--devices applies to"),
    ("multi_worker", -1, (), {}, "needs the TF_CONFIG environment variable"),
    ("multi_worker", -1, (), {"TF_CONFIG": "{cluster"}, "TF_CONFIG is not valid JSON"),
    ("multi_worker", -1, (), {"TF_CONFIG": '{"cluster": {}}'}, "needs a 'cluster' and a 'task'"),
    ("multi_worker", -1, (), {"TF_CONFIG": json.dumps(
        {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}})},
     "is not in its cluster"),
])
def test_bad_strategy_flags_are_named(name, num_gpus, devices, environ, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        distribute.make_strategy(name, num_gpus, devices, environ=environ)


def test_tf_config_task_is_read():
    environ = {"TF_CONFIG": json.dumps({"cluster": {"chief": ["a:1"], "worker": ["b:2", "c:3"]},
                                        "task": {"type": "worker", "index": 1}})}
    assert distribute.tf_config_task(environ) == ("worker", 1)
