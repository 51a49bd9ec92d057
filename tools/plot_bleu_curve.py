"""Draws dev BLEU against training minutes from `python -m translate` training logs.

    python tools/plot_bleu_curve.py modern/train.log:modern original/train.log:original \\
        --budget 30 --output docs/real_data_curve.png

Reads the log lines that training with `--max_train_minutes` and `--steps_per_validation`
prints (stdout):

    global step 500 learning rate ... left 24.4 min
      dev BLEU 2.27 chrF 15.87 (...)

Each validation is placed at the minutes of training used by its step (the budget minus the
minutes left). Prints the points as a table too. Needs matplotlib (the `plot` extra).
"""

from __future__ import annotations

import argparse
import re

_STEP = re.compile(r"^global step (\d+) .* left (-?[\d.]+) min")
_BLEU = re.compile(r"^\s+dev BLEU ([\d.]+) chrF ([\d.]+)")


def read_curve(path: str, budget: float) -> list[tuple[float, int, float, float]]:
    """(minutes, step, BLEU, chrF) of every validation in the log at `path`.

    Raises:
      ValueError: the log holds no validation that follows a step line with minutes left.
    """
    points = []
    minutes, step = None, None
    with open(path, encoding="utf-8") as log:
        for line in log:
            found = _STEP.match(line)
            if found:
                step, minutes = int(found[1]), budget - float(found[2])
                continue
            found = _BLEU.match(line)
            if found and minutes is not None:
                points.append((round(minutes, 2), step, float(found[1]), float(found[2])))
    if not points:
        raise ValueError(f"{path} has no 'dev BLEU' line after a 'global step ... left M min' "
                         "line: train with --max_train_minutes and --steps_per_validation")
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("logs", nargs="+", help="LOG:LABEL pairs")
    parser.add_argument("--budget", type=float, required=True,
                        help="the --max_train_minutes of the runs")
    parser.add_argument("--output", required=True, help="the PNG to write")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6.4, 4.0))
    for item in args.logs:
        path, _, label = item.partition(":")
        curve = read_curve(path, args.budget)
        print(f"{label or path}:")
        for minutes, step, bleu, chrf in curve:
            print(f"  {minutes:6.2f} min  step {step:6d}  BLEU {bleu:6.2f}  chrF {chrf:6.2f}")
        axes.plot([p[0] for p in curve], [p[2] for p in curve], marker="o", label=label or path)
    axes.set_xlabel("training minutes (2 CPU cores)")
    axes.set_ylabel("dev BLEU (sacreBLEU 13a, detokenized)")
    axes.set_xlim(0, args.budget * 1.05)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(args.output, dpi=100)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
