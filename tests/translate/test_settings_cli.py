"""The command line reads a trained model's settings: no size flags to decode or resume, and
one short error for a flag that contradicts the checkpoint."""

from __future__ import annotations

import os
import shutil

import pytest
from translate_testlib import TINY_FLAGS, copy_golden, read_flags, run_cli, train_flags

from translate import settings
from translate.hparams import HParams

STDIN = b"twenty-one\nthe first of May\nqwerty asdf\n"


@pytest.fixture(scope="module")
def trained(tiny_corpus, tmp_path_factory) -> dict:
    """A tiny LSTM model trained for 2 steps through the command line, with its settings."""
    root = str(tmp_path_factory.mktemp("settings_cli"))
    data_dir, train_dir = os.path.join(root, "data"), os.path.join(root, "train")
    proc = run_cli(train_flags(tiny_corpus, data_dir, train_dir)
                   + ["--use_lstm", "--steps_per_checkpoint=2", "--max_steps=2"], cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return {"root": root, "data_dir": data_dir, "train_dir": train_dir}


def decode(trained: dict, flags: list[str]) -> bytes:
    proc = run_cli(["--decode", f"--data_dir={trained['data_dir']}",
                    f"--train_dir={trained['train_dir']}", *flags],
                   cwd=trained["root"], stdin=STDIN)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_saved_settings_decode_with_no_flags(trained):
    # Training wrote them.
    assert settings.load_settings(trained["train_dir"]) == (
        HParams(size=16, num_layers=1, from_vocab_size=100, to_vocab_size=100, batch_size=8,
                use_lstm=True), True)
    with_flags = decode(trained, [*TINY_FLAGS, "--use_lstm"])
    assert with_flags.startswith(
        f"Reading model parameters from {trained['train_dir']}/translate.ckpt-2\n> ".encode())
    assert with_flags.count(b"> ") == 4
    assert decode(trained, []) == with_flags


@pytest.mark.slow
def test_a_contradicting_flag_is_one_short_error(trained):
    proc = run_cli(["--decode", f"--data_dir={trained['data_dir']}",
                    f"--train_dir={trained['train_dir']}", "--size=32"],
                   cwd=trained["root"], stdin=STDIN)
    assert proc.returncode == 1
    assert proc.stdout == b""
    errors = [line for line in proc.stderr.decode().splitlines() if "Error" in line]
    assert errors == [f"Error: --size=32 contradicts the checkpoint in {trained['train_dir']} "
                      "(trained with --size=16): drop --size or pass --size=16"]


@pytest.mark.slow
def test_training_resumes_with_no_size_flags(trained, tiny_corpus, tmp_path):
    train_dir = str(tmp_path / "train")
    shutil.copytree(trained["train_dir"], train_dir)
    corpus = [f"--{name}={path}" for name, path in tiny_corpus.items()]
    proc = run_cli([*corpus, f"--data_dir={trained['data_dir']}", f"--train_dir={train_dir}",
                    "--batch_size=4", "--steps_per_checkpoint=2", "--max_steps=4"],
                   cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode()
    assert "Creating 1 layers of 16 units.\n" in out
    assert f"Reading model parameters from {train_dir}/translate.ckpt-2\n" in out
    assert "global step 4 " in out


@pytest.mark.slow
def test_a_tf1_checkpoint_decodes_with_no_flags(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    assert read_flags(directory)  # The original needed these; the checkpoint tells them.
    with open(os.path.join(directory, "decode_input.txt"), "rb") as f:
        stdin = f.read()
    proc = run_cli(["--decode", "--data_dir=data", "--train_dir=train"], cwd=directory,
                   stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    with open(os.path.join(directory, "decode_stdout.txt"), "rb") as f:
        assert proc.stdout == f.read()
