"""Range checks of the key-rate core: thin uses of :class:`qkdchip.base.params.Range`.

Every public entry point validates its inputs with a :class:`~qkdchip.base.params.Range` (the one
range check of the project: scalars and arrays, closed or open ends, NaN/inf never allowed), so
that bad input raises ``ValueError`` naming the parameter, the offending value and the allowed
range (never NaN downstream). This module only adds the float64 conversion the core computes with
and the dataclass glue (:func:`rfield`, :func:`validate_fields`).
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.base.params import Range


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
    """``Range(lo, hi, unit, lo_open=..., hi_open=...).check(name, value)`` as a float64 array.

    The error message names the parameter, the first offending value and the interval, e.g.
    ``eta_det=1.5 is out of range: allowed (0.0, 1.0]``.
    """
    return checked_array(Range(lo, hi, unit, lo_open=lo_open, hi_open=hi_open), name, value)


def checked_array(rng: Range, name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``rng.check(name, value)``, returned as a float64 array."""
    return np.asarray(rng.check(name, value), dtype=np.float64)


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
    integer: bool = False,
) -> Any:
    """A dataclass field whose allowed :class:`Range` lives in ``metadata["range"]`` (one home).

    The design registry (:mod:`qkdchip.design`) and the CLI read the Range;
    :func:`validate_fields` enforces it elementwise.
    """
    rng = Range(lo, hi, unit, doc, integer=integer, lo_open=lo_open, hi_open=hi_open)
    return field(default=default, metadata={"range": rng})


def validate_fields(obj: Any) -> None:
    """Check every ranged field of a frozen dataclass; store scalars as float, arrays as float64.

    Fields with an integer range are checked and kept as given.
    """
    for f in fields(obj):
        rng: Range | None = f.metadata.get("range")
        value = getattr(obj, f.name)
        if rng is None or value is None:
            continue
        if rng.integer:
            rng.check(f.name, value)
        else:
            object.__setattr__(obj, f.name, scalar_or_array(checked_array(rng, f.name, value)))


def safe_div(num: ArrayLike, den: ArrayLike, default: float = 0.0) -> NDArray[np.float64]:
    """``num / den`` elementwise, ``default`` where ``den == 0`` (e.g. no detections at all)."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast_shapes(n.shape, d.shape), default, dtype=np.float64)
    np.divide(n, d, out=out, where=d != 0.0)
    return out
