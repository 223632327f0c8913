"""Parameter ranges as data, checked where a value enters the design.

A cell declares the range of each numeric parameter once, with :func:`checked`::

    @gf.cell
    @checked(gap_um=Range(0.5, 8.0, "um", "ring-bus gap"))
    def sin_ring_bus(gap_um: float = 2.3, ...): ...

Calling the cell with a value outside the range raises ``ValueError`` naming the parameter, its
value and the allowed range. The ranges are attached to the function (``fn.__ranges__``) so the
design registry (``qkdchip design``) and chip-level cells can *refer* to them rather than copy them.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Range:
    """Allowed closed interval [min, max] of one parameter, with its unit and a description."""

    min: float
    max: float
    unit: str = ""
    doc: str = ""
    integer: bool = False

    def check(self, name: str, value: Any) -> None:
        """Raise ValueError naming ``name`` if ``value`` is not a finite number in range."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                f"{name}={value!r} must be a number in [{self.min}, {self.max}] {self.unit}".rstrip()
            )
        if self.integer and int(value) != value:
            raise ValueError(f"{name}={value!r} must be an integer in [{self.min}, {self.max}]")
        if not math.isfinite(value) or not (self.min <= value <= self.max):
            unit = f" {self.unit}" if self.unit else ""
            raise ValueError(
                f"{name}={value!r}{unit} is out of range: allowed [{self.min}, {self.max}]{unit}"
            )


def check_range(name: str, value: Any, lo: float, hi: float, unit: str = "") -> None:
    """One-off range check (for derived quantities that are not cell parameters)."""
    Range(lo, hi, unit).check(name, value)


def checked(**ranges: Range) -> Callable[[F], F]:
    """Decorate a function so that the named keyword arguments are range-checked at call time.

    The decorated function keeps its signature and gains ``__ranges__`` (name -> Range).
    Place it *below* ``@gf.cell`` so that invalid input never reaches the cell cache.
    """

    def deco(fn: F) -> F:
        sig = inspect.signature(fn)
        unknown = set(ranges) - set(sig.parameters)
        if unknown:
            raise TypeError(f"{fn.__name__}: ranges for unknown parameters {sorted(unknown)}")
        for pname, rng in ranges.items():
            default = sig.parameters[pname].default
            if default is not inspect.Parameter.empty and default is not None:
                rng.check(f"{fn.__name__}.{pname} (default)", default)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            for pname, rng in ranges.items():
                value = bound.arguments[pname]
                if value is not None:
                    rng.check(pname, value)
            return fn(*args, **kwargs)

        wrapper.__ranges__ = dict(ranges)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco


def ranges_of(fn: Callable[..., Any]) -> dict[str, Range]:
    """The ranges declared with :func:`checked` on ``fn`` (through gdsfactory's cell wrapper)."""
    while fn is not None:
        r = getattr(fn, "__ranges__", None)
        if r is not None:
            return dict(r)
        fn = getattr(fn, "__wrapped__", None)  # type: ignore[assignment]
    return {}


def defaults_of(fn: Callable[..., Any]) -> dict[str, Any]:
    """Default values of ``fn``'s parameters (the single home of every design default)."""
    return {
        k: p.default
        for k, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
