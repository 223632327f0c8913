"""Range checks for scalar-or-array parameters of the key-rate core.

Every public entry point validates its inputs here, so that bad input raises ``ValueError``
naming the parameter, the offending value and the allowed range (never NaN downstream).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_float_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``value`` as a float64 array; ValueError naming ``name`` if it is not numeric/finite."""
    if isinstance(value, bool):
        raise ValueError(f"{name}={value!r} must be a number")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a number or an array of numbers") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty: give at least one value")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].flat[0]
        raise ValueError(f"{name}={bad!r} must be finite")
    return arr


def require(
    name: str,
    value: ArrayLike,
    lo: float,
    hi: float,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    unit: str = "",
) -> NDArray[np.float64]:
    """Check ``lo <= value <= hi`` elementwise (``<`` on an open end); return the float array.

    The error message names the parameter, the first offending value and the interval, e.g.
    ``eta_det=1.5 is out of range: allowed (0, 1]``.
    """
    arr = as_float_array(name, value)
    ok = (arr > lo) if lo_open else (arr >= lo)
    ok &= (arr < hi) if hi_open else (arr <= hi)
    if not np.all(ok):
        bad = float(arr[~ok].flat[0])
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        u = f" {unit}" if unit else ""
        hi_s = "inf" if math.isinf(hi) else f"{hi:g}"
        raise ValueError(
            f"{name}={bad:g}{u} is out of range: allowed {left}{lo:g}, {hi_s}{right}{u}"
        )
    return arr


def scalar_or_array(arr: NDArray[np.float64]) -> float | NDArray[np.float64]:
    """A 0-d array as a Python float, anything else unchanged (for dataclass fields)."""
    return float(arr) if arr.ndim == 0 else arr
