"""Joint feasibility of a design: the chips' named constraints, checked before any work.

Every design parameter has a range (``qkdchip design``), but parameters each inside their range
can still fail to fit a die together. Those joint constraints live beside the chip they describe
(``CONSTRAINTS`` of :mod:`qkdchip.circuits.server_chip` and :mod:`qkdchip.circuits.client_chip`,
see :mod:`qkdchip.circuits.constraints`), and the chip cell is their single judge: it computes
its footprint, evaluates every constraint and raises
:class:`~qkdchip.circuits.constraints.InfeasibleDesign` naming each violated one before it draws.
Checking a design therefore *is* building its chip cells (a few tens of ms each; gdsfactory
caches a built cell, so the command that runs next reuses it): what the check accepts builds,
what it refuses names the constraints.

:func:`violations` returns every violated constraint of a design, with the design's dotted
parameter names in the messages (``server.die.width_um``, not ``die_width_um``); :func:`check`
raises :class:`InfeasibleError` (a ``ValueError``: the CLI prints one line and exits 2).
``qkdchip design --check`` reports them all; ``build``, ``simulate``, ``comb``, ``network``,
``run`` and ``sweep`` call :func:`check` right after loading the design.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qkdchip.base.design import Design

#: design prefix -> (process, module, chip cell) of the chips whose constraints a design must meet
CHIPS: dict[str, tuple[str, str, str]] = {
    "server": ("sin", "qkdchip.circuits.server_chip", "server_chip"),
    "client": ("inp", "qkdchip.circuits.client_chip", "client_chip"),
}


@dataclass(frozen=True)
class Violation:
    """A violated constraint of a design: its name (``server.height_budget``), a message with the
    design's parameter names and the allowed bound, and those parameters (dotted)."""

    name: str
    message: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "message": self.message, "params": list(self.params)}


class InfeasibleError(ValueError):
    """A design violates joint constraints; ``violations`` lists every one. The message is one
    line: the first violation, then how many more (by name)."""

    def __init__(self, violations: Iterable[Violation]):
        self.violations = tuple(violations)
        first, rest = self.violations[0], self.violations[1:]
        more = ""
        if rest:
            names = ", ".join(v.name for v in rest)
            more = f" (and {len(rest)} more: {names}; see `qkdchip design --check`)"
        super().__init__(f"{first}{more}")


def _chip(prefix: str) -> tuple[str, Any, Any]:
    process, module, attr = CHIPS[prefix]
    mod = importlib.import_module(module)
    return process, getattr(mod, attr), mod


def _names(prefix: str, chip: Any) -> dict[str, str]:
    """chip argument -> dotted design name (``die_width_um`` -> ``server.die.width_um``)."""
    import inspect

    from qkdchip.design import dotted

    return {arg: dotted(prefix, arg) for arg in inspect.signature(chip).parameters}


def constraints(prefixes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every joint constraint (name, the dotted parameters it involves, what must hold)."""
    from qkdchip.circuits.constraints import rename, table

    out = []
    for prefix in prefixes or CHIPS:
        _, chip, mod = _chip(prefix)
        names = _names(prefix, chip)
        for row in table(mod.CONSTRAINTS):
            row["params"] = [names.get(a, a) for a in row["params"]]
            row["doc"] = rename(row["doc"], names)
            out.append(row)
    return out


def violations(
    design: Design | None = None, prefixes: Iterable[str] | None = None
) -> list[Violation]:
    """Every violated joint constraint of ``design`` (all chips, or those of ``prefixes``), in the
    order the chips declare them; ``[]`` if it is feasible."""
    from qkdchip.circuits.constraints import InfeasibleDesign, rename
    from qkdchip.pdk import use_pdk

    design = design or Design()
    out: list[Violation] = []
    for prefix in prefixes or CHIPS:
        process, chip, _ = _chip(prefix)
        names = _names(prefix, chip)
        try:
            with use_pdk(process):
                chip(**design.kwargs(prefix))
        except InfeasibleDesign as exc:
            out.extend(
                Violation(
                    v.constraint,
                    rename(v.message, names),
                    tuple(names.get(a, a) for a in v.params),
                )
                for v in exc.violations
            )
        except ValueError as exc:  # a sub-cell's own refusal no constraint names (yet)
            out.append(Violation(f"{prefix}.chip", rename(str(exc), names), ()))
    return out


def check(design: Design | None = None, prefixes: Iterable[str] | None = None) -> None:
    """Raise :class:`InfeasibleError` (a ``ValueError``) if ``design`` violates any joint
    constraint of its chips (all, or those of ``prefixes``)."""
    found = violations(design, prefixes)
    if found:
        raise InfeasibleError(found)
