"""The :class:`Design` value type: validated overrides (dotted name -> value) on top of defaults.

A design parameter is named ``<prefix>.<name>``: the prefix says which home owns it (``server``
and ``client``: the chip cells; ``comb``, ``link``, ``network``: settings dataclasses of the
simulation layer) and the rest is the argument or field name, where chip arguments show their
first ``_`` as a dot (``server.ring.gap_um`` is ``server_chip(ring_gap_um=...)``). The mapping
back to an argument is therefore the name with every dot made an underscore again.

Which names exist, their defaults, units and ranges are known to the design registry
(:mod:`qkdchip.design`, read from the homes themselves); a :class:`Design` only carries what was
overridden, so the layers that consume it need nothing above them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def arg_of(name: str) -> tuple[str, str]:
    """``'server.ring.gap_um' -> ('server', 'ring_gap_um')``: (prefix, argument of its home)."""
    prefix, _, rest = name.partition(".")
    if not rest:
        raise ValueError(f"design parameter {name!r} must be <prefix>.<name>")
    return prefix, rest.replace(".", "_")


@dataclass(frozen=True)
class Design:
    """Validated overrides (dotted name -> value) on top of the defaults.

    Build one with :func:`qkdchip.design.load` or :func:`qkdchip.design.validate` (they check
    names, types and ranges); ``Design()`` is the default design."""

    overrides: Mapping[str, Any] = field(default_factory=dict)

    def kwargs(self, prefix: str) -> dict[str, Any]:
        """Keyword arguments for the home of ``prefix`` (only the overridden ones)."""
        out = {}
        for name, value in self.overrides.items():
            p, arg = arg_of(name)
            if p == prefix:
                out[arg] = value
        return out
