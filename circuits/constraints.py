"""Cross-parameter constraints of a chip: named, evaluated by the chip cell itself.

Every chip parameter has a range (``@checked``), but a set of parameters each inside its range
can still fail to fit the die: the client's optical chain may not fold into two rows, the server's
ring, heater and pads may not fit under the die height, a label may not fit its room. Those
*joint* constraints are declared beside the chip they describe, as :class:`Constraint` objects
(a name such as ``server.height_budget``, the chip arguments involved, a one-line doc) whose
``check`` function takes the chip's *footprint* (the numbers the cell computes from its sub-cells
before drawing: lengths, positions, rooms) and returns ``None`` or a message naming the
parameters and the allowed bound.

The chip cell computes its footprint once, evaluates every constraint on it and raises
:class:`InfeasibleDesign` (a ``ValueError``) listing *every* violated constraint before it draws
anything; the drawing then uses the same footprint numbers. A constraint that only the drawing
can decide (the client's pad routing) has ``check=None`` and is raised by the cell while it
draws. So there is one copy of each length: the cell's. ``qkdchip.feasibility`` turns a design
into chip calls and the violations into the design's dotted names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One violated constraint: its name, a message (naming the parameters and the allowed
    bound) and the chip arguments involved."""

    constraint: str
    message: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.constraint}: {self.message}"


@dataclass(frozen=True)
class Constraint:
    """A named cross-parameter constraint of a chip.

    Attributes:
        name: dotted, starting with the chip's design prefix (``server.width_budget``).
        params: the chip arguments it involves (the first is the one its message leads with).
        doc: what must hold, in one line.
        check: footprint -> message if violated, else None; ``None`` if the cell decides it
            itself (a sub-cell that refuses the combination, or the drawing: see
            :meth:`violation` and :func:`subcell`).
    """

    name: str
    params: tuple[str, ...]
    doc: str
    check: Callable[[Any], str | None] | None = None

    def violation(self, message: str) -> Violation:
        return Violation(self.name, message, self.params)


class InfeasibleDesign(ValueError):
    """The chip's parameters are each in range but violate one or more joint constraints.

    ``violations`` lists every violated constraint (each names its parameters and bound); the
    message joins them, led by the cell's name."""

    def __init__(self, cell: str, violations: Sequence[Violation]):
        self.cell = cell
        self.violations: tuple[Violation, ...] = tuple(violations)
        super().__init__(f"{cell}: " + "; ".join(str(v) for v in self.violations))


def evaluate(constraints: Iterable[Constraint], footprint: Any) -> list[Violation]:
    """The violations of the constraints that have a ``check``, in declaration order."""
    out = []
    for con in constraints:
        if con.check is None:
            continue
        message = con.check(footprint)
        if message is not None:
            out.append(con.violation(message))
    return out


def rename(message: str, names: Mapping[str, str]) -> str:
    """``message`` with every whole-word occurrence of a key of ``names`` replaced by its value
    (longest keys first: ``opening_um`` inside ``heater_opening_um`` is not touched)."""
    if not names:
        return message
    keys = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w])")
    return pattern.sub(lambda m: names[m.group(1)], message)


def subcell(
    constraint: Constraint,
    violations: list[Violation],
    fn: Callable[..., Any],
    names: Mapping[str, str],
    **kwargs: Any,
) -> Any:
    """``fn(**kwargs)``, or None with a violation of ``constraint`` appended to ``violations`` if
    the sub-cell refuses the combination (its ValueError, the sub-cell's argument names replaced
    by the chip's: ``names`` maps sub-cell argument -> chip argument)."""
    try:
        return fn(**kwargs)
    except InfeasibleDesign:
        raise
    except ValueError as exc:
        violations.append(constraint.violation(rename(str(exc), names)))
        return None


def table(constraints: Iterable[Constraint]) -> list[dict[str, Any]]:
    """The constraints as data (name, params, doc)."""
    return [{"name": c.name, "params": list(c.params), "doc": c.doc} for c in constraints]
