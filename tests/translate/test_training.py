"""Training: continuing an original TF 1.15 checkpoint, surviving kill -9, stopping, decay."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf
from translate_testlib import (
    copy_golden,
    read_flags,
    run_cli,
    train_flags,
    translate_env,
    write_parallel,
)

from translate import checkpoints
from translate.train.loop import should_decay
from translate.train.progress import ProgressBar, progress_fields


@pytest.mark.slow
def test_continue_training_a_tf1_checkpoint(tmp_path):
    directory = copy_golden("gru2_sampled", str(tmp_path))
    # A parallel corpus from the golden decodes, short pairs only (buckets 0 and 1).
    with open(os.path.join(directory, "decode_input.txt"), encoding="utf-8") as f:
        sources = f.read().split("\n")
    with open(os.path.join(directory, "decode_stdout.txt"), encoding="utf-8") as f:
        targets = [line[2:] for line in f.read().split("\n")[1:]]
    pairs = [(s, t) for s, t in zip(sources, targets)
             if 0 < len(s.split()) <= 5 and 0 < len(t.split()) <= 8]
    assert len(pairs) >= 10
    source, target = write_parallel(os.path.join(directory, "corpus"), pairs, "train")
    proc = run_cli(["--data_dir=data", "--train_dir=train", f"--from_train_data={source}",
                    f"--to_train_data={target}", "--steps_per_checkpoint=2", "--max_steps=3004",
                    "--batch_size=4", *read_flags(directory)], cwd=directory)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode()
    # The original's vocabularies are reused, not rebuilt.
    assert "Creating vocabulary" not in out
    assert "Reading model parameters from train/translate.ckpt-3000\n" in out
    assert re.findall(r"^global step (\d+) ", out, flags=re.M) == ["3002", "3004"]
    # Written under the original's names, so TF 1.15 can restore it too.
    latest = checkpoints.latest_checkpoint(os.path.join(directory, "train"))
    assert latest == os.path.join(directory, "train", "translate.ckpt-3004")
    theirs = tf.train.load_checkpoint(
        os.path.join(directory, "train", "translate.ckpt-3000")).get_variable_to_shape_map()
    ours = tf.train.load_checkpoint(latest).get_variable_to_shape_map()
    assert ours == theirs
    assert tf.train.load_checkpoint(latest).get_tensor("Variable_1") == 3004


@pytest.mark.slow
def test_resume_after_kill_9(tiny_corpus, tmp_path):
    data_dir, train_dir = str(tmp_path / "data"), str(tmp_path / "train")
    flags = train_flags(tiny_corpus, data_dir, train_dir) + ["--steps_per_checkpoint=5"]
    # No --max_steps: trains until killed, like the original.
    proc = subprocess.Popen([sys.executable, "-m", "translate", *flags], cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=translate_env())
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            latest = checkpoints.latest_checkpoint(train_dir)
            if latest and int(latest.rsplit("-", 1)[1]) >= 15:
                break
            assert proc.poll() is None, "training ended by itself"
            time.sleep(0.05)
        else:
            pytest.fail("no checkpoint at step 15 within 4 minutes")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    latest = checkpoints.latest_checkpoint(train_dir)
    assert checkpoints.checkpoint_exists(latest)
    step = int(latest.rsplit("-", 1)[1])
    assert tf.train.load_checkpoint(latest).get_tensor("Variable_1") == step
    resumed = run_cli(flags + [f"--max_steps={step + 10}"], cwd=str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    out = resumed.stdout.decode()
    assert f"Reading model parameters from {latest}\n" in out
    assert re.findall(r"^global step (\d+) ", out, flags=re.M) == [str(step + 5),
                                                                  str(step + 10)]
    assert not any(".tmp-" in f for f in os.listdir(train_dir))


@pytest.mark.slow
def test_default_flags_keep_the_original_log_format(tiny_trained):
    out = tiny_trained["stdout"]
    lines = [line for line in out.split("\n") if line.startswith("global step")]
    assert len(lines) == 2
    for line in lines:
        assert re.fullmatch(r"global step \d+ learning rate \d+\.\d{4} step-time \d+\.\d{2} "
                            r"perplexity \d+\.\d{2}", line), line
    for opt_in in ("tokens/s", "dev BLEU", "left", "Preparing the data", "best"):
        assert opt_in not in out
    assert not os.path.exists(os.path.join(tiny_trained["train_dir"], "best"))


@pytest.mark.slow
def test_max_steps_already_reached(tiny_trained, tiny_corpus, tmp_path):
    flags = train_flags(tiny_corpus, tiny_trained["data_dir"], tiny_trained["train_dir"])
    proc = run_cli(flags + ["--max_steps=20"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert "Global step 20 has reached --max_steps=20; nothing to train." in proc.stdout.decode()
    assert "global step" not in proc.stdout.decode()


@pytest.mark.slow
def test_max_steps_mid_interval_saves_a_last_checkpoint(tiny_trained, tiny_corpus, tmp_path):
    train_dir = str(tmp_path / "train")
    flags = train_flags(tiny_corpus, tiny_trained["data_dir"], train_dir)
    proc = run_cli(flags + ["--max_steps=3", "--steps_per_checkpoint=200"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert re.findall(r"^global step (\d+) ", proc.stdout.decode(), flags=re.M) == ["3"]
    assert checkpoints.latest_checkpoint(train_dir) == os.path.join(train_dir,
                                                                    "translate.ckpt-3")


@pytest.mark.slow
def test_missing_training_file_is_a_clear_error(tmp_path):
    proc = run_cli([f"--from_train_data={tmp_path / 'no.en'}",
                    f"--to_train_data={tmp_path / 'no.fr'}", f"--data_dir={tmp_path}",
                    f"--train_dir={tmp_path}", "--max_steps=1"], cwd=str(tmp_path))
    assert proc.returncode == 1
    stderr = proc.stderr.decode()
    assert "Traceback" not in stderr
    assert f"Error: source-language file {tmp_path / 'no.en'} not found" in stderr


def test_decay_rule_of_the_original():
    assert not should_decay(5.0, [1.0, 2.0])  # fewer than three intervals seen
    assert should_decay(5.0, [9.0, 1.0, 2.0, 3.0])  # above each of the last three
    assert not should_decay(3.0, [1.0, 2.0, 3.0])  # equal is not above
    assert not should_decay(2.5, [9.0, 9.0, 1.0, 2.0, 3.0])


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only():
    terminal = FakeTerminal()
    bar = ProgressBar(10, stream=terminal)
    bar.update(10, 2.5)
    bar.clear()
    drawn = terminal.getvalue()
    assert "[" + "#" * 30 + "] 10/10 steps" in drawn and "loss 2.500" in drawn
    assert drawn.endswith("\r\033[K")
    pipe = io.StringIO()
    ProgressBar(10, stream=pipe).update(10, 2.5)
    assert pipe.getvalue() == ""
    disabled = FakeTerminal()
    ProgressBar(10, stream=disabled, enabled=False).update(10, 2.5)
    assert disabled.getvalue() == ""


def test_progress_fields_and_the_bar_showing_them():
    assert progress_fields() == ""
    assert progress_fields(5231.4, 23.456, 738.0) == "tokens/s 5231 dev BLEU 23.46 left 12.3 min"
    assert progress_fields(seconds_left=-3.0) == "left 0.0 min"
    terminal = FakeTerminal()
    bar = ProgressBar(10, stream=terminal)
    assert bar.enabled and not ProgressBar(10, stream=io.StringIO()).enabled
    bar.update(10, 2.5, progress_fields(dev_bleu=12.0))
    assert terminal.getvalue().endswith("eta 0s  dev BLEU 12.00\033[K")
