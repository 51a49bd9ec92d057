"""Helpers shared by the translate tests: paths, running the command line, golden copies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
TF1_CKPT = os.path.join(GOLDEN, "tf1_ckpt")
TF1_CONFIGS = ("gru2_sampled", "lstm1_full")

# A model small enough to train in seconds; full softmax (vocabulary below num_samples=512).
TINY_FLAGS = ["--size=16", "--num_layers=1", "--from_vocab_size=100", "--to_vocab_size=100",
              "--batch_size=8"]


def translate_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_cli(args: list[str], cwd: str, stdin: bytes | None = None, timeout: float = 300,
            script: bool = False) -> subprocess.CompletedProcess:
    """Runs `python -m translate ARGS` (or `python <repo>/translate/translate.py ARGS`)."""
    entry = [os.path.join(REPO, "translate", "translate.py")] if script else ["-m", "translate"]
    return subprocess.run([sys.executable, *entry, *args], cwd=cwd, input=stdin,
                          capture_output=True, timeout=timeout, env=translate_env())


def read_flags(config_dir: str) -> list[str]:
    """The model flags a golden configuration was trained and decoded with."""
    with open(os.path.join(config_dir, "flags.txt"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def copy_golden(config: str, destination: str) -> str:
    """A writable copy of a golden TF 1.15 configuration directory."""
    target = os.path.join(destination, config)
    shutil.copytree(os.path.join(TF1_CKPT, config), target)
    return target


def write_parallel(directory: str, pairs: list[tuple[str, str]], name: str) -> tuple[str, str]:
    """Writes <name>.en / <name>.fr with one pair per line; returns both paths."""
    os.makedirs(directory, exist_ok=True)
    paths = (os.path.join(directory, f"{name}.en"), os.path.join(directory, f"{name}.fr"))
    for path, side in zip(paths, (0, 1)):
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(pair[side] + "\n" for pair in pairs)
    return paths


def train_flags(corpus: dict[str, str], data_dir: str, train_dir: str) -> list[str]:
    """Command-line flags training the tiny model on `corpus` (flag name -> path)."""
    return [f"--{name}={path}" for name, path in corpus.items()] + [
        f"--data_dir={data_dir}", f"--train_dir={train_dir}", *TINY_FLAGS]
