"""Soak benchmark: trains the translate demo model for a long time and watches memory and speed.

Runs `python -m translate` (the demo's model size, on the built-in numbers-and-dates corpus) as
a child process for --minutes, samples its resident memory (VmRSS) every --sample_seconds and
its CPU and wall time at every checkpoint log line; then interrupts it and reports whether,
after the warm-up, memory stays flat and the CPU time per step does not drift (the wall time
per step is reported too, with the machine's load average, which moves it). Checkpoints,
their rotation (--keep_checkpoints) and the dev evaluation all run as in a real training run.

Usage (from the repository root):
    .venv/bin/python benchmarks/soak_translate.py [--minutes 30] [--work_dir DIR]
        [--steps_per_checkpoint 100] [--json result.json]

Exit status: 0 when both memory and CPU time per step are within the tolerances, 1 otherwise, 2 when
the training process failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from data_utils import demo_corpus  # noqa: E402
from data_utils.vocabulary import _START_VOCAB, count_tokens  # noqa: E402
from translate.demo import DEMO_HPARAMS  # noqa: E402

_LOG_RE = re.compile(r"^global step (\d+) learning rate \S+ step-time (\S+) perplexity (\S+)$")


def write_corpus(work_dir: str) -> tuple[list[str], int, int]:
    """The demo corpus; returns its four files and vocabulary sizes keeping every token."""
    files = list(demo_corpus.write_demo_corpus(os.path.join(work_dir, "corpus"),
                                               num_train=50_000, num_dev=1_000, seed=0))
    sizes = [len(count_tokens(path, normalize_digits=False)) + len(_START_VOCAB)
             for path in files[:2]]
    return files, sizes[0], sizes[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of process `pid` in MiB (None once it has exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of process `pid` so far (None once it has exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat(5), counted after the ")" from field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """The machine's one-minute load average: other work slows the wall-clock step time."""
    with open("/proc/loadavg", encoding="ascii") as f:
        return float(f.read().split()[0])


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value units per hour."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    var_x = sum((x - mean_x) ** 2 for x in xs)
    if var_x == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / var_x * 3600


def quarter_medians(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Median value of the first and of the last quarter of the points."""
    quarter = max(1, len(points) // 4)
    return (statistics.median(p[1] for p in points[:quarter]),
            statistics.median(p[1] for p in points[-quarter:]))


def run(args: argparse.Namespace) -> dict:
    """Trains for args.minutes, sampling; returns the figures."""
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="soak_translate_")
    files, from_vocab, to_vocab = write_corpus(work_dir)
    hp = DEMO_HPARAMS
    command = [
        sys.executable, "-u", "-m", "translate",
        f"--from_train_data={files[0]}", f"--to_train_data={files[1]}",
        f"--from_dev_data={files[2]}", f"--to_dev_data={files[3]}",
        f"--data_dir={os.path.join(work_dir, 'data')}",
        f"--train_dir={os.path.join(work_dir, 'train')}",
        f"--size={hp.size}", f"--num_layers={hp.num_layers}", f"--batch_size={hp.batch_size}",
        f"--from_vocab_size={from_vocab}", f"--to_vocab_size={to_vocab}",
        f"--steps_per_checkpoint={args.steps_per_checkpoint}", "--nonormalize_digits",
        "--noprogress_bar",
    ]
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    print(f"Soak: {args.minutes} min of `{' '.join(command[1:4])} ...` in {work_dir}",
          flush=True)
    start = time.time()
    proc = subprocess.Popen(command, cwd=work_dir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # (seconds, global step, logged step time, CPU seconds of the child so far)
    intervals: list[tuple[float, int, float, float]] = []
    stderr_tail: list[str] = []
    deadline = start + args.minutes * 60

    def read_stdout() -> None:
        for line in proc.stdout:
            match = _LOG_RE.match(line.strip())
            cpu = cpu_seconds(proc.pid)
            if match and cpu is not None and time.time() < deadline:
                intervals.append((time.time() - start, int(match.group(1)),
                                  float(match.group(2)), cpu))

    def read_stderr() -> None:
        for line in proc.stderr:
            stderr_tail[:] = (stderr_tail + [line])[-20:]

    readers = [threading.Thread(target=read_stdout, daemon=True),
               threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    samples: list[tuple[float, float]] = []  # (seconds, RSS MiB)
    loads: list[tuple[float, float]] = []  # (seconds, load average)
    while time.time() < deadline and proc.poll() is None:
        rss = rss_mb(proc.pid)
        if rss is not None:
            samples.append((time.time() - start, rss))
            loads.append((time.time() - start, load_average()))
            if len(samples) % max(1, int(60 / args.sample_seconds)) == 0:
                step = intervals[-1][1] if intervals else 0
                print(f"  {samples[-1][0] / 60:5.1f} min  RSS {rss:7.1f} MiB  global step "
                      f"{step}", flush=True)
        time.sleep(args.sample_seconds)
    failed = proc.poll() is not None
    if not failed:
        # SIGINT ends training as Ctrl-C does, unless this runs where SIGINT is ignored.
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for reader in readers:
        reader.join(timeout=10)
    if failed:
        return {"failed": True, "returncode": proc.returncode,
                "stderr_tail": "".join(stderr_tail)}
    return summarize(args, samples, loads, intervals)


def summarize(args: argparse.Namespace, samples: list[tuple[float, float]],
              loads: list[tuple[float, float]],
              intervals: list[tuple[float, int, float, float]]) -> dict:
    """Figures after the warm-up: RSS and step time at the start and end, slopes, verdicts.

    The verdict on drift uses the child's CPU seconds per step, which other work on the
    machine hardly changes; the wall time per step (checkpoint and evaluation included) is
    reported beside it, with the load average, since other work does change that.
    """
    warmup = args.warmup_minutes * 60
    rss = [s for s in samples if s[0] >= warmup]
    pairs = [(a, b) for a, b in zip(intervals, intervals[1:]) if a[0] >= warmup and b[1] > a[1]]
    wall = [(b[0], (b[0] - a[0]) / (b[1] - a[1])) for a, b in pairs]
    cpu = [(b[0], (b[3] - a[3]) / (b[1] - a[1])) for a, b in pairs]
    if len(rss) < 4 or len(cpu) < 4:
        return {"failed": True, "reason": "too few samples after the warm-up; run longer"}
    rss_first, rss_last = quarter_medians(rss)
    cpu_first, cpu_last = quarter_medians(cpu)
    wall_first, wall_last = quarter_medians(wall)
    load_first, load_last = quarter_medians([s for s in loads if s[0] >= warmup])
    rss_growth = (rss_last - rss_first) / rss_first
    drift = (cpu_last - cpu_first) / cpu_first
    return {
        "failed": False,
        "minutes": args.minutes,
        "warmup_minutes": args.warmup_minutes,
        "global_steps": intervals[-1][1] if intervals else 0,
        "checkpoint_intervals": len(intervals),
        "rss_mib_peak": max(s[1] for s in samples),
        "rss_mib_after_warmup_first_quarter": rss_first,
        "rss_mib_last_quarter": rss_last,
        "rss_growth": rss_growth,
        "rss_slope_mib_per_hour": slope_per_hour(rss),
        "cpu_seconds_per_step_first_quarter": cpu_first,
        "cpu_seconds_per_step_last_quarter": cpu_last,
        "step_time_drift": drift,
        "cpu_seconds_per_step_slope_per_hour": slope_per_hour(cpu),
        "wall_seconds_per_step_first_quarter": wall_first,
        "wall_seconds_per_step_last_quarter": wall_last,
        "load_average_first_quarter": load_first,
        "load_average_last_quarter": load_last,
        "memory_flat": abs(rss_growth) <= args.rss_tolerance,
        "step_time_stable": abs(drift) <= args.drift_tolerance,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--warmup_minutes", type=float, default=None,
                        help="excluded from the figures (default: a tenth, at least 1)")
    parser.add_argument("--sample_seconds", type=float, default=5.0)
    parser.add_argument("--steps_per_checkpoint", type=int, default=100)
    parser.add_argument("--rss_tolerance", type=float, default=0.05,
                        help="largest relative RSS change after the warm-up called flat")
    parser.add_argument("--drift_tolerance", type=float, default=0.15,
                        help="largest relative step-time change called no drift")
    parser.add_argument("--work_dir", default=None)
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.warmup_minutes is None:
        args.warmup_minutes = max(1.0, args.minutes / 10)
    result = run(args)
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    if result["failed"]:
        return 2
    print(f"Memory after warm-up: {result['rss_mib_after_warmup_first_quarter']:.1f} -> "
          f"{result['rss_mib_last_quarter']:.1f} MiB ({result['rss_growth']:+.1%}): "
          f"{'flat' if result['memory_flat'] else 'GROWING'}.")
    print(f"CPU time per step (checkpoints and eval included): "
          f"{result['cpu_seconds_per_step_first_quarter']:.4f} -> "
          f"{result['cpu_seconds_per_step_last_quarter']:.4f} s "
          f"({result['step_time_drift']:+.1%}): "
          f"{'no drift' if result['step_time_stable'] else 'DRIFTING'}.")
    print(f"Wall time per step: {result['wall_seconds_per_step_first_quarter']:.4f} -> "
          f"{result['wall_seconds_per_step_last_quarter']:.4f} s, with the machine's load "
          f"average {result['load_average_first_quarter']:.1f} -> "
          f"{result['load_average_last_quarter']:.1f}.")
    return 0 if result["memory_flat"] and result["step_time_stable"] else 1


if __name__ == "__main__":
    sys.exit(main())
