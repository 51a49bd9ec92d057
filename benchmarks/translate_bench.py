"""Training and decoding speed of our model, TF 1.15's original and a PyTorch port, side by side.

    python benchmarks/translate_bench.py --config S       # ~5 minutes on 2 cores (make bench)
    python benchmarks/translate_bench.py --config L --steps 8 --rounds 1 --sides ours,torch

Each measurement runs in a fresh process (so that the time to the first step and the peak
memory are that side's alone), and the sides alternate: ours, TF 1.15, PyTorch, ours, ...
`--rounds` times; the table shows each side's median over the rounds and the ratios of ours
to the others. The sides follow one protocol (`benchmarks/translate_bench_lib.py`): the same random
pairs and batches, buckets visited in turn, a timed step is `get_batch` + the training step,
target tokens per second count the non-padding targets; decoding is greedy, one random
sentence at a time (as `translate --decode`) and in batches.

* ours: `benchmarks/translate_bench_ours.py` (this Python);
* TF 1.15: `tools/oracle_tf1/translate_bench_tf1.py` under `--tf1_python` (the tutorial's
  graphs built with `tf.contrib.legacy_seq2seq`), when that interpreter exists;
* PyTorch: the peer `--torch_bench` under `--torch_python`, when both exist.

The model FLOPs of a training step are counted analytically (`translate_bench_lib.forward_flops`)
and divided by the machine's single-precision GEMM rate, measured in the same run (TF's
matmul on 2048 x 2048 matrices): "GEMM-bound" is the time a step would take at that rate,
"of GEMM" the fraction of that rate a side reaches.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence

import translate_bench_lib as lib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIDES = ("ours", "ours_bf16", "ours_fp16", "tf1", "torch")
DEFAULT_SIDES = ("ours", "tf1", "torch")
# Our model under several compute dtypes can run in one alternation; each gets a ratio column
# against every other framework, and the mixed ones against ours.
OUR_SIDES = {"ours": None, "ours_bf16": "bfloat16", "ours_fp16": "float16"}
SIDE_NAMES = {"ours": "ours (TF 2)", "ours_bf16": "ours, bfloat16", "ours_fp16": "ours, float16",
              "tf1": "TF 1.15 original", "torch": "PyTorch eager"}
# The framework each side imports: the peak RSS of importing it alone is reported apart.
FRAMEWORKS = {"ours": "tensorflow", "ours_bf16": "tensorflow", "ours_fp16": "tensorflow",
              "tf1": "tensorflow", "torch": "torch"}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--config", choices=sorted(lib.CONFIGS), default="S")
    parser.add_argument("--steps", type=int, default=40, help="timed training steps per run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of every side, alternated")
    parser.add_argument("--sides", default=",".join(DEFAULT_SIDES),
                        help="comma-separated subset of " + ",".join(SIDES) + " (ours_bf16, "
                             "ours_fp16: ours with --mixed_precision bfloat16, float16)")
    parser.add_argument("--decode_n", type=int, default=50,
                        help="sentences decoded one at a time")
    parser.add_argument("--decode_batch_n", type=int, default=512,
                        help="sentences decoded in batches of 64 (ours and TF 1.15)")
    parser.add_argument("--mixed_precision", choices=["float32", "bfloat16", "float16"],
                        default="float32",
                        help="the side 'ours': its training compute dtype")
    parser.add_argument("--xla_decode", choices=["auto", "on", "off"], default="auto",
                        help="our sides' greedy decoding: XLA or not (auto: by model size)")
    parser.add_argument("--tf1_python", default=os.path.expanduser("~/tf1/bin/python"))
    parser.add_argument("--torch_python", default=os.path.expanduser("~/torchenv/bin/python"))
    parser.add_argument("--torch_bench",
                        default=os.path.join(os.path.dirname(ROOT), "shared", "peers",
                                             "torch_bench.py"))
    parser.add_argument("--threads", type=int, default=2, help="the PyTorch side's threads")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--max_busy", type=float, default=0.3,
                        help="before each run, wait until other processes keep fewer cores "
                             "than this busy ...")
    parser.add_argument("--max_wait", type=float, default=300,
                        help="... but no longer than this many seconds")
    parser.add_argument("--json", help="also write every run's results to this file")
    return parser.parse_args(argv)


def side_command(side: str, args: argparse.Namespace) -> list[str] | None:
    """The command line of one run of `side`, or None when its interpreter is missing."""
    config = lib.CONFIGS[args.config]
    common = ["--steps", str(args.steps), "--decode_n", str(args.decode_n)]
    if side in OUR_SIDES:
        dtype = OUR_SIDES[side] or args.mixed_precision
        return [sys.executable, os.path.join(HERE, "translate_bench_ours.py"), "--config",
                args.config,
                "--decode_batch_n", str(args.decode_batch_n),
                "--mixed_precision", dtype, "--xla_decode", args.xla_decode, *common]
    if side == "tf1":
        if not os.path.exists(args.tf1_python):
            return None
        return [args.tf1_python, os.path.join(ROOT, "tools", "oracle_tf1",
                                              "translate_bench_tf1.py"),
                "--config", args.config, "--decode_batch_n", str(args.decode_batch_n), *common]
    if not (os.path.exists(args.torch_python) and os.path.exists(args.torch_bench)):
        return None
    return [args.torch_python, args.torch_bench, "--size", str(config.size),
            "--num_layers", str(config.num_layers), "--vocab", str(config.vocab),
            "--batch", str(config.batch), "--warmup", "1", "--threads", str(args.threads),
            *common]


def _cpu_seconds_busy() -> float:
    """CPU-seconds all cores have spent busy since boot (/proc/stat; 0 where it is missing)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_busy: float, max_wait: float) -> float:
    """Waits until other processes keep fewer than `max_busy` cores busy (sampled over 2 s),
    or `max_wait` seconds pass; returns the last sample (cores busy)."""
    deadline = time.monotonic() + max_wait
    while True:
        before, start = _cpu_seconds_busy(), time.monotonic()
        time.sleep(2.0)
        busy = (_cpu_seconds_busy() - before) / (time.monotonic() - start)
        if busy < max_busy or time.monotonic() > deadline:
            return busy


def run_side(command: list[str], timeout: float) -> dict:
    """Runs one measurement; its RESULT json, with the process's peak RSS from the kernel.

    Also records `others_busy_cores`: the cores that other processes kept busy on average
    during the run (all CPU time from /proc/stat minus the run's own), a measure of noise.

    Raises:
      RuntimeError: the run failed, ran over `timeout` seconds or printed no RESULT line
        (with its output's tail).
    """
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start, busy_before = time.perf_counter(), _cpu_seconds_busy()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, text=True)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            # wait4, not Popen.wait: it also returns the child's own peak RSS.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    results = [line[len("RESULT "):] for line in output.splitlines()
               if line.startswith("RESULT ")]
    if process.returncode != 0 or not results:
        raise RuntimeError(f"{shlex.join(command)} failed (status {process.returncode}, "
                           f"timeout {timeout:.0f} s):\n" + output[-3000:])
    result = json.loads(results[-1])
    result["wall_s"] = time.perf_counter() - start
    own = usage.ru_utime + usage.ru_stime
    result["others_busy_cores"] = max(
        0.0, (_cpu_seconds_busy() - busy_before - own) / result["wall_s"])
    result["peak_rss_bytes"] = max(result.get("peak_rss_bytes", 0), usage.ru_maxrss * 1024)
    return _normalized(result)


def import_rss_bytes(python: str, module: str) -> int:
    """The peak RSS of a fresh `python` process that only imports `module`.

    Read from the child's own VmHWM, which counts only what it did after exec (the kernel's
    rusage may also keep the forked parent's size).
    """
    script = (f"import {module}\n"
              "print([line.split()[1] for line in open('/proc/self/status')\n"
              "       if line.startswith('VmHWM:')][0])")
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{python} -c 'import {module}' failed:\n{done.stderr[-2000:]}")
    return int(done.stdout.split()[-1]) * 1024


def _normalized(result: dict) -> dict:
    """Fills the fields the PyTorch peer names differently."""
    if "ready_s" not in result and "time_to_first_step_s" in result:
        # The peer times its first step, then the rest of its warm-up pass over the buckets.
        result["ready_s"] = (result["time_to_first_step_s"] - result["first_step_s"]
                             + result["warmup_s"])
        result["ready_after_import_s"] = result["ready_s"] - result["import_s"]
    return result


def median_of(runs: list[dict], key: str, bucket: str | None = None) -> float | None:
    values = [(run[key][bucket] if bucket else run[key]) for run in runs
              if run.get(key) is not None and (bucket is None or bucket in run[key])]
    return statistics.median(values) if values else None


def report(args: argparse.Namespace, runs: dict[str, list[dict]], commands: dict[str, str]
           ) -> str:
    """The markdown report: machine, commands, figures per side, ratios of ours to the others."""
    config = lib.CONFIGS[args.config]
    sides = [side for side in SIDES if runs.get(side)]
    gemm = median_of(runs.get("ours", []) or runs[sides[0]], "gemm_flops_per_s")
    pairs = [(ours, other) for ours in sides if ours in OUR_SIDES
             for other in sides if other not in OUR_SIDES]
    if "ours" in sides:
        pairs += [(mixed, "ours") for mixed in sides if mixed in OUR_SIDES and mixed != "ours"]
    # Our sides run on the GPU when TensorFlow sees one (the GEMM rate is then the GPU's).
    gpus = sorted({run["device"] for side in sides for run in runs[side]
                   if run.get("device", "CPU") != "CPU"})
    machine = lib.machine_description() + "".join(f"; GPU: {name}" for name in gpus)
    for side in sides:
        if side in OUR_SIDES and OUR_SIDES[side]:
            rate = median_of(runs[side], "gemm_compute_flops_per_s")
            if rate:
                machine += f"; GEMM rate in {OUR_SIDES[side]}: {rate / 1e9:.0f} GFLOP/s"
    lines = [f"Machine: {machine}; GEMM rate (TF 2, float32, 2048^3, "
             f"measured in this run): {gemm / 1e9:.0f} GFLOP/s." if gemm else "",
             f"Config {args.config}: size {config.size}, {config.num_layers} GRU layers, "
             f"vocabulary {config.vocab}, batch {config.batch}, sampled softmax "
             f"{config.num_samples if config.sampled else 'off'}; {args.steps} timed steps "
             f"per run, {args.rounds} run(s) per side, alternated; medians over runs.", ""]
    lines += ["Commands:", ""] + [f"    {commands[side]}" for side in sides] + [""]
    header = ["", *(SIDE_NAMES[side] for side in sides),
              *(f"{SIDE_NAMES[ours].split(' (')[0]} / {SIDE_NAMES[other].split(' (')[0]}"
                for ours, other in pairs)]
    rows = []

    def row(label: str, key: str, fmt: str, bucket: str | None = None, scale: float = 1,
            higher_is_better: bool | None = True) -> None:
        values = {side: median_of(runs[side], key, bucket) for side in sides}
        if all(value is None for value in values.values()):
            return  # e.g. GPU memory on a machine without one
        cells = [label] + [format(values[s] * scale, fmt) if values[s] is not None else "-"
                           for s in sides]
        for ours, other in pairs:
            if higher_is_better is not None and values[ours] and values[other]:
                ratio = (values[ours] / values[other] if higher_is_better
                         else values[other] / values[ours])
                cells.append(f"{ratio:.2f}x")
            else:
                cells.append("-")
        rows.append(cells)

    row("target tokens/s (training)", "target_tokens_per_s", ",.0f")
    for bucket in lib.BUCKETS:
        key = str(tuple(bucket))
        flops = lib.train_step_flops(config, bucket)
        row(f"s/step bucket {bucket} ({flops / 1e9:.1f} GFLOP"
            + (f", GEMM-bound {flops / gemm:.3f} s)" if gemm else ")"),
            "median_step_s_per_bucket", ".3f", bucket=key, higher_is_better=False)
    row("time to all buckets trained once, after import (s)", "ready_after_import_s", ".1f",
        higher_is_better=False)
    row("same, from process start (s)", "ready_s", ".1f", higher_is_better=False)
    row("peak RSS (GB)", "peak_rss_bytes", ".2f", scale=1e-9, higher_is_better=False)
    row("of which importing the framework alone (GB)", "import_rss_bytes", ".2f", scale=1e-9,
        higher_is_better=False)
    row("peak RSS above that import (GB)", "peak_rss_above_import_bytes", ".2f", scale=1e-9,
        higher_is_better=False)
    row("peak RSS by the end of training, before decoding (GB)", "peak_rss_training_bytes",
        ".2f", scale=1e-9, higher_is_better=False)
    row("peak GPU memory (GB)", "gpu_peak_bytes", ".2f", scale=1e-9, higher_is_better=False)
    row("same, by the end of training (GB)", "gpu_peak_training_bytes", ".2f", scale=1e-9,
        higher_is_better=False)
    row("greedy decode, 1 sentence at a time (sentences/s)", "decode_sentences_per_s", ".1f")
    row("greedy decode, batches of 64 (sentences/s)", "decode_batched_sentences_per_s", ",.0f")
    row("noise: cores other processes kept busy during the runs", "others_busy_cores", ".2f",
        higher_is_better=None)
    lines += _markdown_table(header, rows)
    if gemm:
        lines += ["", "Fraction of the GEMM rate reached in training (model FLOPs / time / "
                  "GEMM rate), per bucket:", ""]
        util_rows = []
        for bucket in lib.BUCKETS:
            flops = lib.train_step_flops(config, bucket)
            cells = [str(bucket)]
            for side in sides:
                seconds = median_of(runs[side], "median_step_s_per_bucket", str(tuple(bucket)))
                cells.append(f"{flops / seconds / gemm:.0%}" if seconds else "-")
            util_rows.append(cells)
        lines += _markdown_table(["bucket", *(SIDE_NAMES[s] for s in sides)], util_rows)
    if "ours" in sides and any("tf1" == s for s in sides):
        ours_batched = median_of(runs["ours"], "decode_batched_sentences_per_s")
        tf1_single = median_of(runs["tf1"], "decode_sentences_per_s")
        if ours_batched and tf1_single:
            lines += ["", f"Ours batched vs TF 1.15 one sentence at a time: "
                      f"{ours_batched / tf1_single:.1f}x."]
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(cells) + " |" for cells in rows])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = [side.strip() for side in args.sides.split(",") if side.strip()]
    unknown = set(wanted) - set(SIDES)
    if unknown:
        print(f"Error: unknown side(s) {sorted(unknown)}; choose from {', '.join(SIDES)}",
              file=sys.stderr)
        return 1
    commands: dict[str, list[str]] = {}
    for side in wanted:
        command = side_command(side, args)
        if command is None:
            print(f"Skipping {SIDE_NAMES[side]}: its interpreter or script is missing "
                  f"(see --tf1_python, --torch_python, --torch_bench).", file=sys.stderr)
            continue
        commands[side] = command
    runs: dict[str, list[dict]] = {side: [] for side in commands}
    imports = {side: import_rss_bytes(command[0], FRAMEWORKS[side])
               for side, command in commands.items()}
    for round_index in range(args.rounds):
        for side, command in commands.items():
            busy = wait_for_quiet(args.max_busy, args.max_wait)
            print(f"[round {round_index + 1}/{args.rounds}] {SIDE_NAMES[side]} (other "
                  f"processes busy: {busy:.1f} cores) ...", file=sys.stderr, flush=True)
            result = run_side(command, args.timeout)
            result["import_rss_bytes"] = imports[side]
            result["peak_rss_above_import_bytes"] = result["peak_rss_bytes"] - imports[side]
            runs[side].append(result)
            print(f"    {result.get('target_tokens_per_s', 0):,.0f} target tokens/s, "
                  f"{result.get('decode_sentences_per_s') or 0:.1f} sentences/s decoded, "
                  f"{result['wall_s']:.0f} s, others busy {result['others_busy_cores']:.2f} "
                  "cores", file=sys.stderr, flush=True)
    if args.json:
        with open(args.json + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"args": vars(args), "runs": runs}, f, indent=1, sort_keys=True)
        os.replace(args.json + ".tmp", args.json)
    shown = {side: shlex.join([os.path.relpath(part, ROOT) if os.path.isabs(part) and
                               part.startswith(ROOT) else part for part in command])
             for side, command in commands.items()}
    print(report(args, runs, shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
