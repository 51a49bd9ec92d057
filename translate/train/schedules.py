"""Learning-rate schedules (`--learning_rate_schedule`), computed on the host for each step.

  original   None: the training loop keeps the original's rule (multiply the rate by
             --learning_rate_decay_factor when an interval's loss is above the last three)
  constant   --learning_rate at every step
  rsqrt      linear warm-up over --warmup_steps, then learning_rate * sqrt(warmup / step)
  linear     linear warm-up, then a linear decay that reaches 0 at the end of the budget:
             --max_steps or --max_train_minutes, whichever is nearer; constant without one

A training loop assigns the rate to the model's learning-rate variable before each step, so
the compiled step, the checkpoints ("Variable") and the printed rate all hold the rate in use.
Decaying to zero exactly when a fixed budget ends is the schedule that makes the most of a
budget known in advance (Li et al. 2020, "Budgeted Training").
"""

from __future__ import annotations

import math

from translate.hparams import SCHEDULES, HParams


def learning_rate(hparams: HParams, step: int, budget_used: float | None = None) -> float | None:
    """The learning rate of training step `step` (0-based: the global step before it).

    Args:
      hparams: the schedule, the base rate (`learning_rate`) and `warmup_steps`.
      step: the global step before the update.
      budget_used: the fraction of the training budget (steps or wall-clock time) already
        used, 0 to 1, or None when training has no budget.

    Returns:
      The rate, or None for the "original" schedule (the loop's own decay rule applies).

    Raises:
      ValueError: an unknown schedule.
    """
    schedule = hparams.learning_rate_schedule
    if schedule not in SCHEDULES:
        raise ValueError(f"learning_rate_schedule must be one of {', '.join(SCHEDULES)}, got "
                         f"{schedule!r}")
    if schedule == "original":
        return None
    base = hparams.learning_rate
    warmup = hparams.warmup_steps
    if step < warmup:
        return base * (step + 1) / warmup
    if schedule == "rsqrt":
        return base * math.sqrt(max(warmup, 1) / max(step + 1, 1))
    if schedule == "linear" and budget_used is not None:
        return base * max(0.0, 1.0 - min(1.0, budget_used))
    return base
