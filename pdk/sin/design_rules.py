"""Design rules of the Si3N4 process, as data (read by ``qkdchip.pdk.drc``).

Values for a thin-core (100 nm) LPCVD Si3N4 process patterned by DUV stepper lithography, with a
resistive heater metal and a gold routing/pad metal on a thick top cladding. Units: um.

=========== ========= ========= =================================================================
layer       min width min space enclosure / separation
=========== ========= ========= =================================================================
CORE        0.5       1.0       (1.0 um space: smallest ring-bus gap the coupler tables cover)
DEEP_TRENCH 20.0      50.0
HEATER      3.0       5.0
PAD_METAL   5.0       10.0      >= 10 um from CORE (no gold above the waveguide)
PAD_OPEN    50.0      20.0      inside PAD_METAL by >= 5
DICING      50.0      -         must not overlap DIE (area of DICING AND DIE = 0)
=========== ========= ========= =================================================================

Die: every shape at least 50 um (dicing margin) inside the die outline, except the deep trench,
which reaches the die edge at the facets (the waveguides end on the trench wall, more than the
keep-out inside the edge). DICING (the lanes of a multi-die mask) is a mask-level layer: exempt
from the die-outline and keep-out checks, but a lane narrower than 50 um or any DICING over a die
is a violation ("dicing overlaps die"). The die IDs of a mask are drawn on PAD_METAL
(``marking_layer``), so they obey its rules, the 10 um from CORE included. Grid 1 nm. Minimum
bend radius per cross-section from ``layers.XSECTIONS`` (300 um for the 100 nm core).
"""

from __future__ import annotations

from qkdchip.pdk.rules import DesignRules, LayerRule
from qkdchip.pdk.sin.layers import LAYERS, XSECTIONS

#: Distance every shape keeps from the die edge except the facet trench (um).
DIE_KEEPOUT_UM = 50.0
#: Manufacturing grid (um).
GRID_UM = 0.001
#: Narrowest dicing lane (um): saw kerf (~30 um) plus chipping margin on both sides.
DICING_LANE_MIN_UM = 50.0


def _rule(name: str, **kw: object) -> LayerRule:
    return LayerRule(name=name, layer=LAYERS[name], **kw)  # type: ignore[arg-type]


RULES = DesignRules(
    process="sin",
    grid_um=GRID_UM,
    layers=(
        _rule("CORE", min_width_um=0.5, min_space_um=1.0, doc="Si3N4 core"),
        _rule("DEEP_TRENCH", min_width_um=20.0, min_space_um=50.0, doc="facet trench"),
        _rule("HEATER", min_width_um=3.0, min_space_um=5.0, doc="heater metal"),
        _rule(
            "PAD_METAL",
            min_width_um=5.0,
            min_space_um=10.0,
            min_separation=(("CORE", 10.0),),
            doc="routing / pad metal; kept off the waveguides",
        ),
        _rule(
            "PAD_OPEN",
            min_width_um=50.0,
            min_space_um=20.0,
            enclosed_by=(("PAD_METAL", 5.0),),
            doc="pad opening",
        ),
        _rule(
            "DICING",
            min_width_um=DICING_LANE_MIN_UM,
            not_overlapping=("DIE",),
            doc="dicing lanes between dies (mask level: never over a die)",
        ),
        _rule("DIE", doc="die outline"),
        _rule("TEXT", doc="labels"),
    ),
    die_layer="DIE",
    die_keepout_um=DIE_KEEPOUT_UM,
    keepout_exempt=("DEEP_TRENCH",),
    min_bend_radius_um={
        name: spec.radius_min_um for name, spec in XSECTIONS.items() if spec.radius_min_um
    },
    ignore=("DIE", "TEXT"),
    mask_layers=("DICING",),
    marking_layer="PAD_METAL",
)
