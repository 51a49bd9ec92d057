"""The benchmark scripts live in benchmarks/, outside the installed packages: import them from
there, as they import each other when run."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "benchmarks"))
