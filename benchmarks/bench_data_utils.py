"""Lines per second of create_vocabulary and data_to_token_ids, ours next to the original's.

Generates a deterministic corpus (1,000,000 lines by default: Zipf-distributed words,
punctuation, digits, some non-ASCII), then times each function on it, in this process for the
`data_utils` package and in a TF 1.15 subprocess for the original tutorial module when one is
available. Both are timed the same way: wall time of the call alone, best of --repeat runs,
progress printing silenced. The outputs of both are also compared byte for byte.

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_data_utils.py \
        [--lines 1000000] [--repeat 3] \
        [--original /tmp/orig/data_utils.py] [--tf1-python ~/tf1/bin/python]

--original defaults to $DATA_UTILS_ORIGINAL, --tf1-python to $TF1_PYTHON or ~/tf1/bin/python.
Without both, the original's row says "not available".
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import importlib.util
import io
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCABULARY_SIZE = 40000
FUNCTIONS = ("create_vocabulary", "data_to_token_ids")


def write_corpus(path: str, lines: int, seed: int = 0) -> None:
    """Writes `lines` sentences of 1 to 25 Zipf-distributed words with punctuation and digits."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "re", "su", "té", "vo", "an", "ch", "ou", "pr", "ing"]
    words = list(
        dict.fromkeys("".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(80000))
    )
    cum_weights = list(itertools.accumulate(1.0 / rank for rank in range(1, len(words) + 1)))
    extras = [",", ".", "!", "?", "'", "(", ")", "1984", "3,5", "42nd"]
    with open(path, "w", encoding="utf-8") as stream:
        for _ in range(lines // 1000):
            block = []
            for _ in range(1000):
                sentence = rng.choices(words, cum_weights=cum_weights, k=rng.randint(1, 25))
                if rng.random() < 0.5:
                    sentence.insert(rng.randrange(len(sentence)), rng.choice(extras))
                block.append(" ".join(sentence).capitalize() + rng.choice(" .?!") + "\n")
            stream.write("".join(block))


def time_module(module, corpus: str, workdir: str, repeat: int) -> dict[str, float]:
    """Best wall time in seconds of each function of `module` over `repeat` runs.

    Runs under Python 3.7 + TF 1.15 too (for the original module), so it uses nothing newer.
    """
    vocab = os.path.join(workdir, module.__name__ + ".vocab")
    ids = os.path.join(workdir, module.__name__ + ".ids")
    best = dict.fromkeys(FUNCTIONS, float("inf"))
    for _ in range(repeat):
        for path in (vocab, ids):
            if os.path.exists(path):
                os.remove(path)
        with contextlib.redirect_stdout(io.StringIO()):
            start = time.perf_counter()
            module.create_vocabulary(vocab, corpus, VOCABULARY_SIZE)
            middle = time.perf_counter()
            module.data_to_token_ids(corpus, ids, vocab)
            end = time.perf_counter()
        best["create_vocabulary"] = min(best["create_vocabulary"], middle - start)
        best["data_to_token_ids"] = min(best["data_to_token_ids"], end - middle)
    return best


def load_original(path: str):
    """Imports the original data_utils.py from `path` as module `original`."""
    spec = importlib.util.spec_from_file_location("original", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_original(
    original: str | None, tf1_python: str, corpus: str, workdir: str, repeat: int
) -> tuple[dict[str, float] | None, str]:
    """The original's timings from a TF 1.15 subprocess, or None and the reason there are none."""
    if not original or not os.path.isfile(original):
        return None, "no original data_utils.py given (--original or $DATA_UTILS_ORIGINAL)"
    if not os.path.isfile(tf1_python):
        return None, f"no TF 1.15 Python at {tf1_python} (--tf1-python or $TF1_PYTHON)"
    command = [tf1_python, os.path.abspath(__file__), "--time-original-in", workdir]
    command += ["--original", original, "--corpus", corpus, "--repeat", str(repeat)]
    run = subprocess.run(command, capture_output=True)
    if run.returncode:
        return None, f"the original failed: {run.stderr.decode().strip().splitlines()[-1:]}"
    return json.loads(run.stdout.decode().strip().splitlines()[-1]), ""


def print_table(
    lines: int, ours: dict[str, float], theirs: dict[str, float] | None, reason: str
) -> None:
    """Prints lines/s per function for both implementations, and the speed-up."""
    print(f"{'':22}{'create_vocabulary':>22}{'data_to_token_ids':>22}")
    for label, timings in (("ours (TF 2)", ours), ("original (TF 1.15)", theirs)):
        if timings is None:
            print(f"{label:22}  not available: {reason}")
            continue
        cells = "".join(f"{lines / timings[name]:>16,.0f} lines/s" for name in FUNCTIONS)
        print(f"{label:22}{cells}")
    if theirs is not None:
        speedups = " and ".join(f"{theirs[name] / ours[name]:.1f}x" for name in FUNCTIONS)
        print(f"\nspeed-up: {speedups}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--original", default=os.environ.get("DATA_UTILS_ORIGINAL"))
    parser.add_argument(
        "--tf1-python",
        default=os.environ.get("TF1_PYTHON", os.path.expanduser("~/tf1/bin/python")),
    )
    # Internal: the TF 1.15 subprocess times the original on --corpus, writing in this folder.
    parser.add_argument("--time-original-in", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_original_in:
        timings = time_module(
            load_original(args.original), args.corpus, args.time_original_in, args.repeat
        )
        print(json.dumps(timings))
        return

    sys.path.insert(0, ROOT)
    import data_utils

    with tempfile.TemporaryDirectory(prefix="bench_data_utils_") as workdir:
        corpus = os.path.join(workdir, "corpus.txt")
        write_corpus(corpus, args.lines)
        size = os.path.getsize(corpus)
        print(f"corpus: {args.lines:,} lines, {size / 1e6:.1f} MB; vocabulary {VOCABULARY_SIZE}")
        print(f"best of {args.repeat} runs, wall time of the call alone\n")
        ours = time_module(data_utils, corpus, workdir, args.repeat)
        theirs, reason = time_original(args.original, args.tf1_python, corpus, workdir, args.repeat)
        print_table(args.lines, ours, theirs, reason)
        if theirs is not None:
            same = all(
                filecmp.cmp(
                    os.path.join(workdir, f"data_utils.{ext}"),
                    os.path.join(workdir, f"original.{ext}"),
                    shallow=False,
                )
                for ext in ("vocab", "ids")
            )
            print(f"outputs byte-identical: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
