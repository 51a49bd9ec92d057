"""Environment settings for the command line, applied before TensorFlow is imported."""

from __future__ import annotations

import os
from collections.abc import Sequence

_DECODE_FLAGS = ("--decode", "--decode=true", "--decode=True", "--decode=1")


def configure(argv: Sequence[str]) -> None:
    """Sets TensorFlow environment defaults for a `translate` run (the user's values win).

    Quiets TensorFlow's C++ INFO lines. For --decode, also turns oneDNN off: TF 1.15 (which
    trained the checkpoints people hold) computed with Eigen kernels, and so do we then, which
    halves the (already ~1e-5) difference of our logits from the original's and with it the
    odds that a near-tie makes a greedy choice differ. Training keeps oneDNN, which is faster.

    Args:
      argv: the command line (program name first).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if any(arg in _DECODE_FLAGS for arg in argv[1:]):
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
