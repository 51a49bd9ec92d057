"""The command line: the original's modes and output, and the bad-input cases.

The decode tests replay what the original translate.py printed under TF 1.15 for its own
checkpoints (golden/tf1_ckpt/*/decode_stdout.txt) and require the same bytes.
"""

from __future__ import annotations

import os
import re

import pytest
from translate_testlib import TF1_CKPT, TF1_CONFIGS, TINY_FLAGS, copy_golden, read_flags, run_cli


@pytest.mark.slow
@pytest.mark.parametrize("config,script,extra", [
    ("gru2_sampled", False, []), ("lstm1_full", True, []),
    ("gru2_sampled", False, ["--xla_decode=off"]), ("lstm1_full", False, ["--xla_decode=on"])])
def test_decode_prints_exactly_what_the_original_printed(tmp_path, config, script, extra):
    directory = copy_golden(config, str(tmp_path))
    with open(os.path.join(directory, "decode_input.txt"), "rb") as f:
        stdin = f.read()
    proc = run_cli(["--decode", "--data_dir=data", "--train_dir=train",
                    *read_flags(directory), *extra], cwd=directory, stdin=stdin, script=script)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    with open(os.path.join(directory, "decode_stdout.txt"), "rb") as f:
        expected = f.read()
    assert proc.stdout == expected
    # The inputs include the bad cases of the issue; each got an answer.
    lines = stdin.split(b"\n")
    assert b"" in lines and b"   " in lines
    assert any(b"Xyzzy plugh" in line for line in lines)
    assert expected.count(b"> ") == len(lines) + 1
    assert not expected.endswith(b"\n")  # the last prompt waits for more input
    # The sentence longer than every bucket is answered and warned about on stderr only.
    stderr = proc.stderr.decode()
    assert re.search(r"Sentence truncated: This is a very long sentence", stderr)
    assert stderr.count("Sentence truncated") == 1


@pytest.mark.parametrize("config", TF1_CONFIGS)
def test_golden_stdout_comes_from_the_original(config):
    # Guards the golden files themselves: the original's first line, and its prompt format.
    with open(os.path.join(TF1_CKPT, config, "decode_stdout.txt"), "rb") as f:
        first, _, rest = f.read().partition(b"\n")
    assert re.fullmatch(rb"Reading model parameters from train/translate\.ckpt-\d+", first)
    assert rest.startswith(b"> ")


@pytest.mark.slow
def test_self_test():
    proc = run_cli(["--self_test"], cwd=os.getcwd())
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert proc.stdout.decode() == "Self-test for neural translation model.\n"


@pytest.mark.slow
def test_unknown_flag_is_rejected(tmp_path):
    proc = run_cli(["--decode", "--szie=32"], cwd=str(tmp_path))
    assert proc.returncode != 0
    assert "Unknown command line flag 'szie'" in proc.stderr.decode()
    assert proc.stdout == b""


@pytest.mark.slow
def test_positional_arguments_are_rejected(tmp_path):
    proc = run_cli(["--self_test", "decode"], cwd=str(tmp_path))
    assert proc.returncode == 1
    assert "unexpected arguments ['decode']" in proc.stderr.decode()


@pytest.mark.slow
def test_checkpoint_of_another_size_is_one_clear_error(tmp_path):
    directory = copy_golden("gru2_sampled", str(tmp_path))
    flags = [f for f in read_flags(directory) if not f.startswith("--size=")] + ["--size=32"]
    proc = run_cli(["--decode", "--data_dir=data", "--train_dir=train", *flags],
                   cwd=directory, stdin=b"hello\n")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    # The TF 1.15 checkpoint has no settings file: its shapes tell the size it was trained with.
    assert stderr.strip().splitlines()[-1] == (
        "Error: --size=32 contradicts the checkpoint in train (trained with --size=64): drop "
        "--size or pass --size=64")
    assert b"> " not in proc.stdout


@pytest.mark.slow
def test_checkpoint_of_another_depth_is_one_clear_error(tmp_path):
    directory = copy_golden("gru2_sampled", str(tmp_path))
    flags = [f for f in read_flags(directory) if not f.startswith("--num_layers=")]
    proc = run_cli(["--decode", "--data_dir=data", "--train_dir=train", *flags,
                    "--num_layers=3"], cwd=directory, stdin=b"")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert stderr.strip().splitlines()[-1] == (
        "Error: --num_layers=3 contradicts the checkpoint in train (trained with "
        "--num_layers=2): drop --num_layers or pass --num_layers=2")


@pytest.mark.slow
def test_missing_vocabulary_files(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    proc = run_cli(["--decode", "--data_dir=nowhere", "--train_dir=train",
                    *read_flags(directory)], cwd=directory, stdin=b"hello\n")
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    assert "Error: vocabulary file nowhere/vocab500.from not found" in stderr


@pytest.mark.slow
def test_decode_without_checkpoint_warns(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    proc = run_cli(["--decode", "--data_dir=data", f"--train_dir={tmp_path / 'empty'}",
                    *read_flags(directory)], cwd=directory, stdin=b"I am here.\n")
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode()
    assert out.startswith("Created model with fresh parameters.\n> ")
    assert out.endswith("\n> ") and out.count("> ") == 2
    assert "no checkpoint in --train_dir" in proc.stderr.decode()


@pytest.mark.slow
def test_tiny_training_log_and_checkpoints(tiny_trained):
    out = tiny_trained["stdout"]
    assert "Creating 1 layers of 16 units.\nCreated model with fresh parameters.\n" \
           "Reading development and training data (limit: 0).\n" in out
    logs = re.findall(r"^global step (\d+) learning rate (\d+\.\d{4}) step-time \d+\.\d\d "
                      r"perplexity (\d+\.\d\d)$", out, flags=re.M)
    assert [int(step) for step, _, _ in logs] == [10, 20]
    assert all(rate == "0.5000" for _, rate, _ in logs)
    # One eval line per bucket; the demo corpus only fills buckets 0 and 1.
    assert re.findall(r"^  eval: bucket (\d) perplexity \d+\.\d\d$", out, flags=re.M) == [
        "0", "1", "0", "1"]
    assert re.findall(r"^  eval: empty bucket (\d)$", out, flags=re.M) == ["2", "3"] * 2
    files = sorted(os.listdir(tiny_trained["train_dir"]))
    assert files == ["checkpoint", "settings.json", "translate.ckpt-10.data-00000-of-00001",
                     "translate.ckpt-10.index", "translate.ckpt-20.data-00000-of-00001",
                     "translate.ckpt-20.index"]


@pytest.mark.slow
def test_tiny_decode_from_a_pipe(tiny_trained):
    stdin = b"twenty-one\n\nthe first of May\nqwerty asdf\n" + b"one " * 45 + b"\nten"
    proc = run_cli(["--decode", f"--data_dir={tiny_trained['data_dir']}",
                    f"--train_dir={tiny_trained['train_dir']}", *TINY_FLAGS],
                   cwd=tiny_trained["root"], stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode()
    first, _, rest = out.partition("\n")
    assert first == f"Reading model parameters from {tiny_trained['train_dir']}/translate.ckpt-20"
    # Six lines: one "> " per line read plus the final one, one answer line per input line.
    assert rest.count("> ") == 7 and rest.endswith("> ")
    assert len(rest.split("\n")) == 7
    assert "Sentence truncated" in proc.stderr.decode()


@pytest.mark.slow
def test_helpshort_lists_the_flags(tmp_path):
    proc = run_cli(["--helpshort"], cwd=str(tmp_path))
    out = proc.stdout.decode()
    for flag in ("--steps_per_checkpoint", "--from_vocab_size", "--[no]decode", "--max_steps"):
        assert flag in out
