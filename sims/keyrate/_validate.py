"""Range checks for scalar-or-array parameters of the key-rate core.

Every public entry point validates its inputs here, so that bad input raises ``ValueError``
naming the parameter, the offending value and the allowed range (never NaN downstream).
"""

from __future__ import annotations

import math
from dataclasses import field, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.base.params import Range


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


def rfield(
    default: Any,
    lo: float,
    hi: float,
    unit: str = "",
    doc: str = "",
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> Any:
    """A dataclass field whose allowed range lives in ``metadata["range"]`` (one home).

    The design registry (:mod:`qkdchip.design`) reads the :class:`~qkdchip.base.params.Range`;
    :func:`validate_fields` enforces it elementwise (``lo_open``/``hi_open`` make an end strict).
    """
    return field(
        default=default,
        metadata={"range": Range(lo, hi, unit, doc), "lo_open": lo_open, "hi_open": hi_open},
    )


def validate_fields(obj: Any) -> None:
    """Check every ranged field of a frozen dataclass; store scalars as float, arrays as float64."""
    for f in fields(obj):
        rng = f.metadata.get("range")
        value = getattr(obj, f.name)
        if rng is None or value is None:
            continue
        arr = require(
            f.name,
            value,
            rng.min,
            rng.max,
            lo_open=f.metadata["lo_open"],
            hi_open=f.metadata["hi_open"],
            unit=rng.unit,
        )
        object.__setattr__(obj, f.name, scalar_or_array(arr))


def safe_div(num: ArrayLike, den: ArrayLike, default: float = 0.0) -> NDArray[np.float64]:
    """``num / den`` elementwise, ``default`` where ``den == 0`` (e.g. no detections at all)."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast_shapes(n.shape, d.shape), default, dtype=np.float64)
    np.divide(n, d, out=out, where=d != 0.0)
    return out
