"""A one-line progress bar for the steps between two checkpoints, drawn on a terminal only,
and the progress fields (tokens/s, dev BLEU, time left) that the log line and the bar share."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def progress_fields(tokens_per_second: float | None = None, dev_bleu: float | None = None,
                    seconds_left: float | None = None) -> str:
    """The opt-in progress fields, e.g. "tokens/s 5231 dev BLEU 23.41 left 12.3 min".

    Args:
      tokens_per_second: source and target tokens (no padding) per second of training steps.
      dev_bleu: the last validation's BLEU.
      seconds_left: what is left of the --max_train_minutes budget.

    Returns:
      The fields given (None ones left out), separated by single spaces; "" for none.
    """
    fields = []
    if tokens_per_second is not None:
        fields.append(f"tokens/s {tokens_per_second:.0f}")
    if dev_bleu is not None:
        fields.append(f"dev BLEU {dev_bleu:.2f}")
    if seconds_left is not None:
        fields.append(f"left {max(0.0, seconds_left) / 60:.1f} min")
    return " ".join(fields)


class ProgressBar:
    """Shows "[#####.....] 120/200 steps  0.15 s/step  loss 3.21  eta 12s" on one line.

    Drawn (with carriage returns) only when `stream` is a terminal, so logs redirected to a
    file or a pipe stay exactly the original's.

    Args:
      total: steps per checkpoint interval.
      stream: where to draw (default: sys.stderr, keeping stdout for the log lines).
      enabled: False never draws.
      width: characters of the bar itself.
    """

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True,
                 width: int = 30):
        self._total = max(1, total)
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled and self._stream.isatty()
        self._width = width
        self._start = time.time()
        self._drawn = False
        self._last_draw = 0.0

    @property
    def enabled(self) -> bool:
        """Whether it draws (enabled and on a terminal)."""
        return self._enabled

    def restart(self) -> None:
        """Begins a new interval (after a checkpoint)."""
        self._start = time.time()

    def update(self, done: int, loss: float, extra: str = "") -> None:
        """Redraws after `done` steps of the interval; `loss` is the mean loss so far.

        Redraws at most ten times a second, and always on the interval's last step.

        Args:
          done: steps done in the interval.
          loss: their mean loss.
          extra: more fields shown after the others (e.g. `progress_fields`).
        """
        if not self._enabled:
            return
        now = time.time()
        if now - self._last_draw < 0.1 and done < self._total:
            return
        self._last_draw = now
        elapsed = now - self._start
        per_step = elapsed / max(1, done)
        filled = self._width * min(done, self._total) // self._total
        bar = "#" * filled + "." * (self._width - filled)
        eta = per_step * max(0, self._total - done)
        self._stream.write(f"\r[{bar}] {done}/{self._total} steps  {per_step:.3f} s/step  "
                           f"loss {loss:.3f}  eta {eta:.0f}s "
                           # Extra fields vary in length: erase what a longer line left.
                           + (f" {extra}\033[K" if extra else ""))
        self._stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Erases the bar so that the next log line starts on a clean line."""
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._drawn = False
