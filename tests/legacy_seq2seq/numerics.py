"""The one place that says how close our numbers must be to TF 1.15's."""

from __future__ import annotations

import numpy as np

# dtype name -> (atol, rtol); an element passes when |ours - ref| <= atol + rtol * |ref|.
TOLERANCES = {
    "float16": (2e-2, 2e-2),
    "float32": (2e-5, 2e-5),
    "float64": (1e-9, 1e-9),
}


def mismatch(ours: np.ndarray, reference: np.ndarray, dtype: str) -> str | None:
    """Describe how ``ours`` fails to match ``reference`` within the dtype's tolerance.

    Args:
        ours: our values.
        reference: TF 1.15's values.
        dtype: the case's float dtype name (selects the tolerance).

    Returns:
        None when every element is within tolerance, else a one-line description (shape
        difference, or the worst element's index, values and allowed error).
    """
    ours = np.asarray(ours)
    reference = np.asarray(reference)
    if ours.shape != reference.shape:
        return f"shape {ours.shape}, reference shape {reference.shape}"
    atol, rtol = TOLERANCES[dtype]
    ours64 = ours.astype(np.float64)
    ref64 = reference.astype(np.float64)
    excess = np.abs(ours64 - ref64) - (atol + rtol * np.abs(ref64))
    if ours.size == 0 or (np.all(excess <= 0) and np.all(np.isfinite(ours64))):
        return None
    worst = np.unravel_index(np.argmax(np.where(np.isfinite(excess), excess, np.inf)), ours.shape)
    index = tuple(int(i) for i in worst)
    value, ref = float(ours64[worst]), float(ref64[worst])
    allowed = atol + rtol * abs(ref)
    return (
        f"at {index} ours {value!r}, reference {ref!r} "
        f"(|diff| {abs(value - ref):.3g}, allowed {allowed:.3g})"
    )


def assert_close(ours: np.ndarray, reference: np.ndarray, dtype: str = "float32") -> None:
    """Assert ``ours`` matches ``reference`` within the dtype's tolerance."""
    problem = mismatch(ours, reference, dtype)
    assert problem is None, problem
