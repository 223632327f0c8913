"""Chip facets: the output inverse-taper edge coupler and the butt-coupling facet of the pump laser.

Both end the core on the wall of a deep trench (DEEP_TRENCH, etched through the oxide stack into
the silicon) that reaches the die edge: in the cell the facet is at x = 0 and the trench spans
x in [-trench_length_um, 0]; placed on a die, the trench's outer edge lies on the die edge, so
the facet sits ``trench_length_um`` (>= the die keep-out) inside it and the fibre or laser chip
approaches it over the etched trench. Port o1 is at the facet (facing out, west), o2 at the
inner end (east, the ``xs_sin`` width).
"""

from __future__ import annotations

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.sin._geometry import (
    add_box,
    add_polygon,
    add_port,
    snap,
    snap2,
    taper_points,
)
from qkdchip.components.sin.waveguides import CORE_WIDTH, DRAWN_WIDTH
from qkdchip.pdk.sin.design_rules import DIE_KEEPOUT_UM, RULES
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM

TRENCH_LENGTH = Range(DIE_KEEPOUT_UM, 300.0, "um", "facet trench depth into the die (>= keep-out)")
#: wide enough for any facet width (<= the widest drawn core) plus a minimum-width trench wall on
#: each side
TRENCH_WIDTH = Range(50.0, 500.0, "um", "facet trench width across the waveguide")
if TRENCH_WIDTH.min < DRAWN_WIDTH.max + 2 * RULES.layer("DEEP_TRENCH").min_width_um:
    raise RuntimeError("TRENCH_WIDTH.min must exceed the widest facet plus two trench min widths")


def _facet(
    c: gf.Component,
    taper_length_um: float,
    facet_width_um: float,
    width_um: float,
    trench_length_um: float,
    trench_width_um: float,
) -> None:
    """Linear taper from the facet (x = 0) to the bus width, trench in front, ports o1/o2."""
    facet_width_um, width_um = snap2(facet_width_um), snap2(width_um)
    add_polygon(c, taper_points(taper_length_um, facet_width_um, width_um), "CORE")
    add_box(c, "DEEP_TRENCH", -trench_length_um, -trench_width_um / 2, 0, trench_width_um / 2)
    add_port(c, "o1", 0, 0, 180, facet_width_um, "CORE")
    add_port(c, "o2", taper_length_um, 0, 0, width_um, "CORE")
    c.info.update(
        dict(
            taper_length_um=snap(taper_length_um),
            width_um=width_um,
            trench_length_um=snap(trench_length_um),
            trench_width_um=snap(trench_width_um),
        )
    )


@gf.cell
@checked(
    taper_length_um=Range(10.0, 2000.0, "um", "inverse-taper length"),
    tip_width_um=Range(DRAWN_WIDTH.min, 2.0, "um", "core width at the facet (taper tip)"),
    width_um=CORE_WIDTH,
    trench_length_um=TRENCH_LENGTH,
    trench_width_um=TRENCH_WIDTH,
)
def sin_edge_coupler(
    taper_length_um: float = 500.0,
    tip_width_um: float = 0.8,
    width_um: float = CORE_WIDTH_UM,
    trench_length_um: float = 60.0,
    trench_width_um: float = 100.0,
) -> gf.Component:
    """Inverse-taper edge coupler: the core narrows to ``tip_width_um`` at the facet, pushing the
    100 nm core's mode out into the cladding to match a lensed / high-NA fibre.

    Ports: o1 at the facet (west), o2 at the waveguide end (east, ``width_um``).
    """
    c = gf.Component()
    _facet(c, taper_length_um, tip_width_um, width_um, trench_length_um, trench_width_um)
    c.info["tip_width_um"] = snap2(tip_width_um)
    return c


@gf.cell
@checked(
    air_gap_um=Range(0.0, 10.0, "um", "air gap between the pump laser facet and the Si3N4 facet"),
    facet_width_um=Range(DRAWN_WIDTH.min, DRAWN_WIDTH.max, "um", "core width at the facet"),
    taper_length_um=Range(10.0, 1000.0, "um", "taper from the facet width to the bus width"),
    width_um=CORE_WIDTH,
    trench_length_um=TRENCH_LENGTH,
    trench_width_um=TRENCH_WIDTH,
)
def sin_pump_facet(
    air_gap_um: float = 1.0,
    facet_width_um: float = CORE_WIDTH_UM,
    taper_length_um: float = 50.0,
    width_um: float = CORE_WIDTH_UM,
    trench_length_um: float = 60.0,
    trench_width_um: float = 150.0,
) -> gf.Component:
    """Butt-coupling facet for the hybrid InP DFB pump laser.

    The laser chip is placed facing the facet (port o1) across an air gap of ``air_gap_um``: an
    assembly parameter, not a drawn shape (the gap lies outside the die), kept in ``c.info``
    because it sets the phase of the feedback from the ring that self-injection-locks the laser
    (round trip 2 k0 air_gap). ``facet_width_um`` sets the facet mode size (mode matching to the
    laser); the core tapers to ``width_um`` over ``taper_length_um``.
    """
    c = gf.Component()
    _facet(c, taper_length_um, facet_width_um, width_um, trench_length_um, trench_width_um)
    c.info["facet_width_um"] = snap2(facet_width_um)
    c.info["air_gap_um"] = air_gap_um
    return c
