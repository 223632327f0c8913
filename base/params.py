"""Parameter ranges as data: the one range check of the project (scalars, arrays, JAX).

A cell declares the range of each numeric parameter once, with :func:`checked`::

    @gf.cell
    @checked(gap_um=Range(0.5, 8.0, "um", "ring-bus gap"))
    def sin_ring_bus(gap_um: float = 2.3, ...): ...

Calling the cell with a value outside the range raises ``ValueError`` naming the parameter, its
value and the allowed range. The ranges are attached to the function (``fn.__ranges__``) so the
design registry (``qkdchip design``) and chip-level cells can *refer* to them rather than copy them.

:class:`Range` is also the check of every other layer: dataclass fields carry one in
``metadata["range"]`` (the key-rate core, the network settings), and the sax models check their
parameters with it (:func:`qkdchip.sims.models.common.check_param`). :meth:`Range.check` takes

* a Python or numpy scalar, or anything ``numpy.asarray`` turns into a numeric array (checked
  elementwise: the message names the first offending element);
* a JAX tracer: *not* checked (a traced value has no number yet; the concrete call is checked);

and raises ``ValueError`` with one message format::

    NAME=VALUE UNIT is out of range: allowed [lo, hi] UNIT

with ``(``/``)`` on an open end (and on an infinite one: NaN and +-inf are never allowed).
Non-numbers give ``NAME=VALUE must be a number in [lo, hi] UNIT``, non-integers in an integer
range ``NAME=VALUE must be an integer in [lo, hi] UNIT``, an empty array ``NAME is empty``.

:func:`parse_number` is the one conversion of user input (text or a number) to a checked ``int`` or
``float``: the range check comes before any conversion that could overflow.

This module imports nothing of the project and nothing heavy: numpy only when an array is checked,
JAX never (a tracer is recognised by its class name).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: What a numeric design parameter whose default is derived (a settings field with
#: ``metadata["auto"]``, default None) shows and accepts for "unset: derived where it is used".
AUTO = "auto"


def _is_tracer(value: Any) -> bool:
    """True for a JAX tracer (duck-typed: a class ``Tracer`` from a ``jax`` module in the MRO)."""
    return any(
        c.__name__ == "Tracer" and c.__module__.split(".", 1)[0] == "jax"
        for c in type(value).__mro__
    )


def fmt_number(value: Any) -> str:
    """A number as it is shown in messages: ints as ints, floats shortest (``1e+09`` past 1e6)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**20:  # e.g. 400 nines typed as a value: shown short
            from decimal import Decimal

            return f"{Decimal(value):.6e}"
        return str(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if not math.isfinite(f):
        return repr(f)
    s = repr(f)
    if "e" not in s and abs(f) >= 1e6:
        for digits in range(17):
            s = f"{f:.{digits}e}"
            if float(s) == f:
                break
    return s


@dataclass(frozen=True)
class Range:
    """Allowed interval of one parameter, with its unit and a description.

    Attributes:
        min, max: the ends (``-math.inf``/``math.inf`` for none; non-finite values never pass).
        unit: shown after the value and the interval (``""``: dimensionless).
        doc: one-line description (shown by ``qkdchip design`` and in CLI help).
        integer: the value must be integral (an ``int``, or a float with no fractional part).
        lo_open, hi_open: exclude that end (``(lo, hi]``, ``[lo, hi)``).
    """

    min: float
    max: float
    unit: str = ""
    doc: str = ""
    integer: bool = False
    lo_open: bool = False
    hi_open: bool = False

    # ---------------------------------------------------------------------------- display

    def interval(self) -> str:
        """The interval as text, e.g. ``[0.5, 8.0]``, ``(0.0, 1.0]``, ``[0.0, inf)``."""
        left = "(" if self.lo_open or self.min == -math.inf else "["
        right = ")" if self.hi_open or self.max == math.inf else "]"
        return f"{left}{fmt_number(self.min)}, {fmt_number(self.max)}{right}"

    def describe(self) -> str:
        """The interval with its unit, e.g. ``[0.5, 8.0] um`` (for help texts)."""
        return f"{self.interval()}{self._u}"

    @property
    def _u(self) -> str:
        return f" {self.unit}" if self.unit else ""

    # ---------------------------------------------------------------------------- checks

    def _in(self, x: float) -> bool:
        lo_ok = x > self.min if self.lo_open else x >= self.min
        hi_ok = x < self.max if self.hi_open else x <= self.max
        return lo_ok and hi_ok

    def _violation(self, name: str, value: Any) -> str | None:
        """The error message for ``value``, or None if it is allowed (or a JAX tracer)."""
        if isinstance(value, bool) or value is None or isinstance(value, str | bytes):
            return self._not_number(name, value)
        if isinstance(value, int):  # Python int: exact, no overflow to float for the check
            return None if self._in(value) else self._out(name, value)
        if isinstance(value, float):
            if not math.isfinite(value) or not self._in(value):
                return self._out(name, value)
            if self.integer and not value.is_integer():
                return self._not_integer(name, value)
            return None
        if _is_tracer(value):
            return None
        return self._array_violation(name, value)

    def _array_violation(self, name: str, value: Any) -> str | None:
        import numpy as np

        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):
            return self._not_number(name, value)
        if arr.dtype.kind not in "iuf":
            if arr.dtype.kind == "O":  # e.g. a list of numbers and None
                if any(x is None or isinstance(x, bool | str | bytes) for x in arr.flat):
                    return self._not_number(name, value)
                try:
                    arr = arr.astype(np.float64)
                except (TypeError, ValueError):
                    return self._not_number(name, value)
            else:  # bool, complex, strings, datetimes ...
                return self._not_number(name, value)
        if arr.size == 0:
            return (
                f"{name} is empty: give at least one value{' in ' + self.unit if self.unit else ''}"
            )
        integral = arr.dtype.kind in "iu"
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(arr) if not integral else np.ones(arr.shape, dtype=bool)
            ok &= (arr > self.min) if self.lo_open else (arr >= self.min)
            ok &= (arr < self.max) if self.hi_open else (arr <= self.max)
        if not np.all(ok):
            bad = arr[~ok].flat[0]
            return self._out(name, int(bad) if integral else float(bad))
        if self.integer and not integral:
            frac = arr != np.floor(arr)
            if np.any(frac):
                return self._not_integer(name, float(arr[frac].flat[0]))
        return None

    def _not_number(self, name: str, value: Any) -> str:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"{name}={shown} must be a number in {self.describe()}"

    def _out(self, name: str, value: Any) -> str:
        return f"{name}={fmt_number(value)}{self._u} is out of range: allowed {self.describe()}"

    def _not_integer(self, name: str, value: Any) -> str:
        return f"{name}={fmt_number(value)} must be an integer in {self.describe()}"

    def contains(self, value: Any) -> bool:
        """True if every element of ``value`` is allowed (a JAX tracer: True, it is not checked)."""
        return self._violation("value", value) is None

    def check(self, name: str, value: Any) -> Any:
        """Return ``value`` unchanged if allowed; else raise ValueError naming ``name``.

        ``value`` may be a scalar, anything array-like (every element is checked) or a JAX
        tracer (skipped while JAX traces: the concrete call is checked).
        """
        msg = self._violation(name, value)
        if msg is not None:
            raise ValueError(msg)
        return value


def parse_number(
    name: str, value: Any, rng: Range | None = None, *, integer: bool | None = None
) -> int | float:
    """``value`` (a number, or text as typed on a command line or read from YAML) as a checked
    Python ``int`` (``integer``; default: ``rng.integer``) or ``float``.

    The one conversion of user input to a number: text is read as an integer first (exact, any
    size) and else as a float; the range check comes *before* any conversion that could overflow
    or lose the value (``inf``, ``nan``, ``1e308`` or 400 nines for an integer; an integer too
    large for a float), so every bad value gives a ``ValueError`` naming ``name`` in the format
    of :meth:`Range.check` (``rng`` None: any finite number).
    """
    rng = rng if rng is not None else Range(-math.inf, math.inf)
    integer = rng.integer if integer is None else integer
    if integer and not rng.integer:
        rng = Range(rng.min, rng.max, rng.unit, rng.doc, True, rng.lo_open, rng.hi_open)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError(f"{name}: empty value (allowed a number in {rng.describe()})")
        if not text.isascii():  # int()/float() would read other scripts' digits ("１００")
            raise ValueError(rng._not_number(name, value))
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(rng._not_number(name, value)) from None
    elif not isinstance(value, bool) and type(value).__module__ == "numpy":
        try:  # numpy scalars: their Python value
            value = value.item()
        except (AttributeError, ValueError):
            pass
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(rng._not_number(name, value))
    rng.check(name, value)  # exact for int, finite and in range for float
    if integer:
        return int(value)  # checked: finite and integral
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range on an unbounded end
        raise ValueError(rng._out(name, value)) from None


def check_range(
    name: str,
    value: Any,
    lo: float,
    hi: float,
    unit: str = "",
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    integer: bool = False,
) -> Any:
    """One-off range check (for derived quantities that are not declared parameters).

    Returns ``value`` unchanged; see :meth:`Range.check`.
    """
    return Range(lo, hi, unit, integer=integer, lo_open=lo_open, hi_open=hi_open).check(name, value)


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
