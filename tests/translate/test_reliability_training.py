"""Training under faults: kill -9 at random moments, NaN losses, a full disk, bad token ids."""

from __future__ import annotations

import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from reliability_train_driver import HPARAMS, KEEP_CHECKPOINTS, STEPS_PER_CHECKPOINT
from translate_testlib import TINY_FLAGS, translate_env

from translate import checkpoints
from translate.seq2seq_model import Seq2SeqModel
from translate.train import loop, nan_policy
from translate.train.nan_policy import GuardedTrainer, NonFiniteLossError

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reliability_train_driver.py")
NUMBERS = [("one", "un"), ("two", "deux"), ("three", "trois"), ("four", "quatre"),
           ("five", "cinq"), ("six", "six"), ("seven", "sept"), ("eight", "huit"),
           ("nine", "neuf"), ("ten", "dix"), ("red", "rouge"), ("blue", "bleu")]
NUM_KILLS = 20
_LOG_RE = re.compile(r"^global step (\d+) learning rate (\d+\.\d{4}) ", flags=re.M)


@pytest.fixture(scope="module")
def short_corpus(tmp_path_factory) -> str:
    """Pairs of one or two words, all in the driver's single bucket (3, 4)."""
    directory = tmp_path_factory.mktemp("short_corpus")
    rng = random.Random(3)
    pairs = [[rng.choice(NUMBERS) for _ in range(rng.randint(1, 2))] for _ in range(300)]
    for name, side in (("train.en", 0), ("train.fr", 1)):
        (directory / name).write_text("".join(" ".join(p[side] for p in pair) + "\n"
                                              for pair in pairs))
    return str(directory)


def config_for(corpus: str, root, **overrides) -> loop.TrainConfig:
    return loop.TrainConfig(
        data_dir=str(root / "data"), train_dir=str(root / "train"),
        from_train_data=os.path.join(corpus, "train.en"),
        to_train_data=os.path.join(corpus, "train.fr"), progress_bar=False, **overrides)


# ---------------------------------------------------------------------------- kill -9

def committed_state(train_dir: str) -> tuple[str | None, int, float]:
    """Checks what a kill may never break; returns (latest checkpoint, its step, its rate).

    The `checkpoint` file parses and names an existing checkpoint whose every tensor reads
    back intact, with the step of its name; it lists at most KEEP_CHECKPOINTS checkpoints, all
    complete; and every index file in the directory belongs to a complete, readable checkpoint.
    """
    latest = checkpoints.resolve_checkpoint(train_dir)
    if latest is None:
        assert not os.path.exists(os.path.join(train_dir, "checkpoint"))
        return None, 0, HPARAMS.learning_rate
    listed = tf.train.get_checkpoint_state(train_dir).all_model_checkpoint_paths
    assert os.path.basename(listed[-1]) == os.path.basename(latest)
    assert len(listed) <= KEEP_CHECKPOINTS
    assert all(checkpoints.checkpoint_exists(p) for p in listed)
    for name in os.listdir(train_dir):
        if name.endswith(".index") and ".tmp-" not in name:
            prefix = os.path.join(train_dir, name[: -len(".index")])
            reader = tf.train.load_checkpoint(prefix)
            checkpoints.read_tensors(reader, prefix, list(reader.get_variable_to_shape_map()))
    reader = tf.train.load_checkpoint(latest)
    step = int(reader.get_tensor("Variable_1"))
    assert latest.endswith(f"translate.ckpt-{step}")
    return latest, step, float(reader.get_tensor("Variable"))


def leftovers(train_dir: str) -> set[str]:
    """Files a save cut short leaves: temporaries, and files of checkpoints not listed."""
    if not os.path.isdir(train_dir):
        return set()
    state = tf.train.get_checkpoint_state(train_dir)
    listed = {os.path.basename(p) for p in state.all_model_checkpoint_paths} if state else set()
    return {name for name in os.listdir(train_dir)
            if ".tmp-" in name or (name != "checkpoint" and name.split(".data-")[0]
                                   .removesuffix(".index") not in listed)}


def spawn(corpus: str, root, log_name: str, max_steps: int = 0) -> subprocess.Popen:
    """Starts the driver's training run, its output unbuffered into <log_name>.out/.err."""
    env = translate_env()
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.path.dirname(DRIVER) + os.pathsep + env["PYTHONPATH"]
    args = [sys.executable, DRIVER, corpus, str(root / "data"), str(root / "train")]
    with open(root / f"{log_name}.out", "wb") as out, \
            open(root / f"{log_name}.err", "wb") as err:
        return subprocess.Popen(args + ([str(max_steps)] if max_steps else []), cwd=str(root),
                                stdout=out, stderr=err, env=env)


def wait_for_log(proc: subprocess.Popen, log, pattern: str, limit: float) -> bool:
    """Waits until the run's output matches `pattern` (True) or `limit` seconds pass."""
    deadline = time.time() + limit
    while time.time() < deadline and proc.poll() is None:
        if re.search(pattern, log.read_text(), flags=re.M):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_twenty_kill_9_at_random_moments_lose_nothing(short_corpus, tmp_path):
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    train_dir = str(tmp_path / "train")
    latest, step, rate = None, 0, HPARAMS.learning_rate
    kills_while_training = interrupted_saves = resumed_checks = 0
    for kill in range(NUM_KILLS):
        where = f"kill {kill + 1} (seed {seed})"
        left_before = leftovers(train_dir)
        log = tmp_path / f"run{kill}.out"
        proc = spawn(short_corpus, tmp_path, f"run{kill}")
        try:
            if kill == 0:
                # Once a log line shows a decayed rate, checkpoints hold one: every restart
                # after this kill must restore a rate other than the initial one.
                assert wait_for_log(proc, log, r"^global step \d+ learning rate (?!0\.5000)",
                                    120), f"{where}: the learning rate never decayed"
                kills_while_training += 1
                time.sleep(rng.uniform(0.0, 0.5))
            elif kill % 2:  # Mid-training, when checkpoints are being written all the time.
                kills_while_training += wait_for_log(proc, log, "^global step", 60)
                time.sleep(rng.uniform(0.0, 1.5))
            else:  # Anywhere from start-up (imports, restore) to the first steps.
                time.sleep(rng.uniform(0.3, 3.0))
            assert proc.poll() is None, f"{where}: the run ended by itself: " + (
                tmp_path / f"run{kill}.err").read_text()[-2000:]
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        out = log.read_text()
        # This run started from the previous latest checkpoint, with its step and rate.
        if "Reading model parameters from" in out:
            assert f"Reading model parameters from {latest}\n" in out, where
        elif latest is None:
            assert "Reading model parameters" not in out
        logged = _LOG_RE.search(out)
        if logged:
            where += f": output\n{out[-2000:]}"
            if latest is not None:
                assert f"Reading model parameters from {latest}\n" in out, where
            assert int(logged.group(1)) == step + STEPS_PER_CHECKPOINT, where
            assert logged.group(2) == f"{rate:.4f}", where
            resumed_checks += 1
        interrupted_saves += bool(leftovers(train_dir) - left_before)
        new_latest, new_step, new_rate = committed_state(train_dir)
        assert new_step >= step, where
        latest, step, rate = new_latest, new_step, new_rate
    assert kills_while_training == NUM_KILLS // 2 + 1
    assert resumed_checks >= NUM_KILLS // 2
    assert rate < HPARAMS.learning_rate
    # After all that, a run finishes normally from where the last one stopped.
    final = spawn(short_corpus, tmp_path, "final", max_steps=step + 2 * STEPS_PER_CHECKPOINT)
    assert final.wait(timeout=300) == 0, (tmp_path / "final.err").read_text()[-3000:]
    out = (tmp_path / "final.out").read_text()
    assert f"Reading model parameters from {latest}\n" in out
    assert [int(s) for s, _ in _LOG_RE.findall(out)] == [step + STEPS_PER_CHECKPOINT,
                                                         step + 2 * STEPS_PER_CHECKPOINT]
    assert committed_state(train_dir)[1] == step + 2 * STEPS_PER_CHECKPOINT
    assert not any(".tmp-" in name for name in os.listdir(train_dir))
    print(f"\nkill -9: {NUM_KILLS} kills survived ({kills_while_training} mid-training, "
          f"{interrupted_saves} cut a save short), reached global step {step}, learning rate "
          f"{rate:.4f}, seed {seed}")


# ------------------------------------------------------------------------ NaN and Inf

def poison_at(monkeypatch, global_step: int, poison) -> None:
    """Makes training call `poison(model, batch)` on the first batch drawn at `global_step`."""
    real_create = loop.create_model

    def create(*args, **kwargs):
        model = real_create(*args, **kwargs)
        real_get_batch = model.get_batch
        pending = [True]

        def get_batch(data, bucket_id):
            batch = real_get_batch(data, bucket_id)
            if pending[0] and int(model.global_step.numpy()) == global_step:
                pending[0] = False
                return poison(model, batch)
            return batch

        model.get_batch = get_batch
        return model

    monkeypatch.setattr(loop, "create_model", create)


def nan_embedding(model: Seq2SeqModel, batch):
    name = next(n for n in model.variables_by_name if n.endswith("embedding"))
    var = model.variables_by_name[name]
    var.assign(tf.fill(var.shape, float("nan")))
    return batch


def nan_weights(model: Seq2SeqModel, batch):
    encoder, decoder, weights = batch
    return encoder, decoder, [np.full_like(w, np.nan) for w in weights]


@pytest.mark.slow
def test_nan_loss_stops_naming_step_and_bucket(short_corpus, tmp_path, monkeypatch):
    poison_at(monkeypatch, 7, nan_embedding)
    config = config_for(short_corpus, tmp_path, steps_per_checkpoint=5, max_steps=20)
    with pytest.raises(NonFiniteLossError) as error:
        loop.train(HPARAMS, config)
    latest = os.path.join(config.train_dir, "translate.ckpt-5")
    assert str(error.value) == (
        f"non-finite training loss nan (gradient norm nan) at global step 8, bucket 0; "
        f"training stopped. The latest checkpoint, {latest}, holds the last good parameters. "
        "--nan_policy=skip-batch skips such batches instead.")
    assert checkpoints.resolve_checkpoint(config.train_dir) == latest
    assert sorted(os.listdir(config.train_dir)) == [
        "checkpoint", "settings.json", "translate.ckpt-5.data-00000-of-00001",
        "translate.ckpt-5.index"]
    reader = tf.train.load_checkpoint(latest)
    assert all(np.isfinite(reader.get_tensor(n)).all()
               for n in reader.get_variable_to_shape_map())


@pytest.mark.slow
def test_skip_batch_drops_a_bad_batch_and_goes_on(short_corpus, tmp_path, monkeypatch,
                                                  capsys):
    poison_at(monkeypatch, 7, nan_weights)
    config = config_for(short_corpus, tmp_path, steps_per_checkpoint=5, max_steps=10,
                        nan_policy="skip-batch")
    model = loop.train(HPARAMS, config)
    assert int(model.global_step.numpy()) == 10
    assert checkpoints.resolve_checkpoint(config.train_dir).endswith("translate.ckpt-10")
    assert all(np.isfinite(v.numpy()).all() for v in model.variables_by_name.values())
    err = capsys.readouterr().err
    assert err.count("Skipped a batch") == 1
    assert "Skipped a batch: non-finite training loss nan (gradient norm nan) at global step " \
           "8, bucket 0 (--nan_policy=skip-batch)." in err


def test_guarded_step_applies_nothing_for_a_bad_batch():
    model = Seq2SeqModel(20, 20, [(3, 4)], 8, 1, 5.0, 2, 0.5, 0.9, num_samples=8)
    guard = GuardedTrainer(model, "skip-batch", "/nonexistent")
    data = [[([4, 5], [6, 7])]]
    before = {n: v.numpy().copy() for n, v in model.variables_by_name.items()}
    assert guard.step(*nan_weights(model, model.get_batch(data, 0)), 0) is None
    for name, var in model.variables_by_name.items():
        np.testing.assert_array_equal(var.numpy(), before[name])
    assert guard.skipped == 1
    loss = guard.step(*model.get_batch(data, 0), 0)
    assert np.isfinite(loss) and int(model.global_step.numpy()) == 1
    assert not np.array_equal(model.variables_by_name["proj_w"].numpy(), before["proj_w"])


@pytest.mark.slow
def test_skip_batch_gives_up_after_too_many_in_a_row(short_corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(nan_policy, "MAX_CONSECUTIVE_SKIPS", 5)
    poison_at(monkeypatch, 3, nan_embedding)
    config = config_for(short_corpus, tmp_path, steps_per_checkpoint=2, max_steps=20,
                        nan_policy="skip-batch")
    with pytest.raises(NonFiniteLossError,
                       match=r"^5 batches in a row had a non-finite loss or gradient norm, the "
                             r"last non-finite training loss nan \(gradient norm nan\) at "
                             r"global step 4, bucket 0; training stopped\. The latest "
                             r"checkpoint, .*translate\.ckpt-2, holds the last good"):
        loop.train(HPARAMS, config)


@pytest.mark.slow
def test_non_finite_parameters_are_never_saved(short_corpus, tmp_path, monkeypatch):
    def infinite_rate(model, batch):
        # The step's loss and gradients stay finite; its update makes the weights NaN.
        model.learning_rate.assign(float("inf"))
        return batch

    poison_at(monkeypatch, 4, infinite_rate)
    config = config_for(short_corpus, tmp_path, steps_per_checkpoint=1, max_steps=20)
    with pytest.raises(NonFiniteLossError,
                       match=r"^variable 'Variable' holds NaN or infinite values at global "
                             r"step 5; not saved, training stopped\. The latest checkpoint, "
                             r".*translate\.ckpt-4, holds the last good parameters\."):
        loop.train(HPARAMS, config)
    assert checkpoints.resolve_checkpoint(config.train_dir).endswith("translate.ckpt-4")


def test_check_parameters_names_the_variable():
    model = Seq2SeqModel(20, 20, [(3, 4)], 8, 1, 5.0, 2, 0.5, 0.9, num_samples=8)
    guard = GuardedTrainer(model, "stop", "/nonexistent")
    guard.check_parameters()
    model.variables_by_name["proj_b"].assign(tf.fill([20], float("inf")))
    with pytest.raises(NonFiniteLossError,
                       match=r"^variable 'proj_b' holds NaN or infinite values at global step "
                             r"0; not saved, training stopped\. No checkpoint was written\.$"):
        guard.check_parameters()


def test_unknown_nan_policy():
    model = Seq2SeqModel(20, 20, [(3, 4)], 8, 1, 5.0, 2, 0.5, 0.9, num_samples=8)
    with pytest.raises(ValueError, match="nan_policy must be one of stop, skip-batch, got 'x'"):
        GuardedTrainer(model, "x", "/nonexistent")


def cli_train(corpus: str, root, *extra: str, data_dir: str | None = None,
              preexec_fn=None) -> subprocess.CompletedProcess:
    """`python -m translate` training the tiny model on `corpus` (bucket 0 only: quick)."""
    return subprocess.run(
        [sys.executable, "-m", "translate", f"--from_train_data={corpus}/train.en",
         f"--to_train_data={corpus}/train.fr", f"--data_dir={data_dir or root / 'data'}",
         f"--train_dir={root / 'train'}", *TINY_FLAGS, *extra],
        cwd=str(root), capture_output=True, timeout=300, env=translate_env(),
        preexec_fn=preexec_fn)


@pytest.mark.slow
def test_huge_learning_rate_stops_the_command_line(short_corpus, tmp_path):
    proc = cli_train(short_corpus, tmp_path, "--steps_per_checkpoint=1", "--max_steps=10",
                     "--learning_rate=1e30")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    assert re.search(
        r"^Error: non-finite training loss (nan|inf) \(gradient norm (nan|inf)\) at global step "
        r"2, bucket 0; training stopped\. The latest checkpoint, .*/train/translate\.ckpt-1, "
        r"holds the last good parameters\.", stderr, flags=re.M)
    assert re.findall(r"^global step (\d+) ", proc.stdout.decode(), flags=re.M) == ["1"]


# ------------------------------------------------------------------ disk full, bad data

def limit_file_size(limit: int):
    def set_limit() -> None:
        # Writes past the limit fail with EFBIG, as on a full disk, instead of killing.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_limit


@pytest.mark.slow
def test_keep_checkpoints_and_a_full_disk(short_corpus, tmp_path):
    proc = cli_train(short_corpus, tmp_path, "--max_steps=4", "--steps_per_checkpoint=1",
                     "--keep_checkpoints=2")
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    train_dir = tmp_path / "train"
    before = {name: (train_dir / name).read_bytes() for name in os.listdir(train_dir)}
    assert sorted(before) == ["checkpoint", "settings.json",
                              "translate.ckpt-3.data-00000-of-00001", "translate.ckpt-3.index",
                              "translate.ckpt-4.data-00000-of-00001", "translate.ckpt-4.index"]
    # Room for the small files, not for a checkpoint's tensors: the disk is full.
    limit = len(before["translate.ckpt-4.data-00000-of-00001"]) // 2
    assert len(before["translate.ckpt-4.index"]) < limit
    proc = cli_train(short_corpus, tmp_path, "--max_steps=6", "--steps_per_checkpoint=1",
                     "--keep_checkpoints=2", preexec_fn=limit_file_size(limit))
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    assert re.search(rf"^Error: cannot write checkpoint {train_dir}/translate\.ckpt-5: .*"
                     rf"File too large\. Nothing was changed: {train_dir}/checkpoint still "
                     rf"names {train_dir}/translate\.ckpt-4\.$", stderr, flags=re.M)
    assert {name: (train_dir / name).read_bytes() for name in os.listdir(train_dir)} == before


@pytest.mark.slow
def test_data_dir_under_a_file_is_a_clear_error(short_corpus, tmp_path):
    (tmp_path / "file").write_text("")
    proc = cli_train(short_corpus, tmp_path, "--max_steps=1",
                     data_dir=str(tmp_path / "file" / "data"))
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    assert f"Error: cannot prepare the vocabularies and token ids (--data_dir=" \
           f"{tmp_path}/file/data): {tmp_path}/file is not a directory" in stderr


def prepared_corpus(short_corpus: str, tmp_path) -> tuple[loop.TrainConfig, Path]:
    """A copy of the corpus with its token-id files written, for damaging; its config."""
    corpus = tmp_path / "corpus"
    shutil.copytree(short_corpus, corpus)
    config = config_for(str(corpus), tmp_path, max_steps=1)
    loop.prepare_token_ids(HPARAMS, config)
    return config, corpus


def test_token_ids_outside_the_vocabulary(short_corpus, tmp_path):
    config, corpus = prepared_corpus(short_corpus, tmp_path)
    ids = corpus / "train.en.ids40"
    lines = ids.read_text().splitlines()
    lines[41] = "5 40"
    ids.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"^token-id file {re.escape(str(ids))} holds the id "
                                         r"40, outside the model's vocabulary of 40 "
                                         r"\(--from_vocab_size=40, ids 0 to 39\)"):
        loop.train(HPARAMS, config)


def test_token_ids_that_are_not_text(short_corpus, tmp_path):
    config, corpus = prepared_corpus(short_corpus, tmp_path)
    ids = corpus / "train.fr.ids40"
    lines = ids.read_bytes().split(b"\n")
    lines[9] = b"5 \xff 6"
    ids.write_bytes(b"\n".join(lines))
    with pytest.raises(ValueError, match=rf"^{re.escape(str(ids))}, line 10: expected token ids "
                                         r"\(integers separated by spaces\), got bytes that are "
                                         r"not text: b'5 \\xff 6\\n' \(invalid start byte at "
                                         r"byte 2\)$"):
        loop.train(HPARAMS, config)


@pytest.mark.slow
def test_resume_training_from_an_older_checkpoint(short_corpus, tmp_path, capsys):
    loop.train(HPARAMS, config_for(short_corpus, tmp_path, steps_per_checkpoint=2,
                                       max_steps=6, keep_checkpoints=3))
    train_dir = str(tmp_path / "train")
    older = os.path.join(train_dir, "translate.ckpt-2")
    capsys.readouterr()
    model = loop.train(HPARAMS, config_for(short_corpus, tmp_path, steps_per_checkpoint=2,
                                               max_steps=4, checkpoint_path=older,
                                               keep_checkpoints=3))
    out = capsys.readouterr().out
    assert f"Reading model parameters from {older}\n" in out
    assert re.findall(r"^global step (\d+) ", out, flags=re.M) == ["4"]
    assert int(model.global_step.numpy()) == 4
    # The new step 4 replaced the old one and is the latest; step 6 of the first run stays.
    state = tf.train.get_checkpoint_state(train_dir)
    assert state.model_checkpoint_path == os.path.join(train_dir, "translate.ckpt-4")
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        "translate.ckpt-2", "translate.ckpt-6", "translate.ckpt-4"]
