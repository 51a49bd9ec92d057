"""A one-line progress bar for the steps between two checkpoints, drawn on a terminal only."""

from __future__ import annotations

import sys
import time
from typing import TextIO


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

    def restart(self) -> None:
        """Begins a new interval (after a checkpoint)."""
        self._start = time.time()

    def update(self, done: int, loss: float) -> None:
        """Redraws after `done` steps of the interval; `loss` is the mean loss so far.

        Redraws at most ten times a second, and always on the interval's last step.
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
                           f"loss {loss:.3f}  eta {eta:.0f}s ")
        self._stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Erases the bar so that the next log line starts on a clean line."""
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._drawn = False
