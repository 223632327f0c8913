"""Pads and metal routing of the Si3N4 chip (PAD_METAL, PAD_OPEN).

Electrical ports: e1 at a pad's top edge (facing north); e1 (west) and e2 (east) on a straight
trace. Pad ports have the width of the default metal trace (``xs_sin_metal``) so that a trace
connects to a pad port to port (and the netlist shows it).
"""

from __future__ import annotations

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.sin._geometry import add_box, add_port, snap, snap2
from qkdchip.pdk.sin.design_rules import RULES
from qkdchip.pdk.sin.layers import XSECTIONS

_OPEN = RULES.layer("PAD_OPEN")
_METAL = RULES.layer("PAD_METAL")
#: smallest pad: the smallest opening plus its enclosure on both sides (um)
_PAD_MIN_UM = _OPEN.min_width_um + 2 * dict(_OPEN.enclosed_by)["PAD_METAL"]

PAD_SIZE = Range(_PAD_MIN_UM, 200.0, "um", "square bond/probe pad side")
TRACE_WIDTH = Range(_METAL.min_width_um, 100.0, "um", "metal trace width")


@gf.cell
@checked(
    size_um=PAD_SIZE,
    opening_inset_um=Range(
        dict(_OPEN.enclosed_by)["PAD_METAL"], 30.0, "um", "pad metal margin around the opening"
    ),
)
def sin_pad(size_um: float = 100.0, opening_inset_um: float = 10.0) -> gf.Component:
    """Square pad of PAD_METAL centred on the origin with a PAD_OPEN window ``opening_inset_um``
    inside its edge."""
    opening = size_um - 2 * opening_inset_um
    if opening < _OPEN.min_width_um:
        raise ValueError(
            f"opening_inset_um={opening_inset_um} um leaves a {opening:.1f} um opening: allowed "
            f">= {_OPEN.min_width_um} um (size_um={size_um})"
        )
    c = gf.Component()
    h = size_um / 2
    add_box(c, "PAD_METAL", -h, -h, h, h)
    ho = opening / 2
    add_box(c, "PAD_OPEN", -ho, -ho, ho, ho)
    add_port(c, "e1", 0, h, 90, XSECTIONS["xs_sin_metal"].width_um, "PAD_METAL", "electrical")
    c.info.update(dict(size_um=size_um, opening_um=snap(opening)))
    return c


@gf.cell
@checked(
    length_um=Range(_METAL.min_width_um, 20000.0, "um", "trace length"),
    width_um=TRACE_WIDTH,
)
def sin_metal_straight(
    length_um: float = 100.0, width_um: float = XSECTIONS["xs_sin_metal"].width_um
) -> gf.Component:
    """Straight PAD_METAL trace (e1 west at the origin, e2 east)."""
    width_um = snap2(width_um)
    c = gf.Component()
    add_box(c, "PAD_METAL", 0, -width_um / 2, length_um, width_um / 2)
    add_port(c, "e1", 0, 0, 180, width_um, "PAD_METAL", "electrical")
    add_port(c, "e2", length_um, 0, 0, width_um, "PAD_METAL", "electrical")
    c.info.update(dict(length_um=snap(length_um), width_um=width_um))
    return c
