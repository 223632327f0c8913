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

from qkdchip.pdk.rules import process_rules
from qkdchip.pdk.sin.layers import LAYERS, XSECTIONS

#: Distance every shape keeps from the die edge except the facet trench (um).
DIE_KEEPOUT_UM = 50.0
#: Manufacturing grid (um).
GRID_UM = 0.001
#: Narrowest dicing lane (um): saw kerf (~30 um) plus chipping margin on both sides.
DICING_LANE_MIN_UM = 50.0

RULES = process_rules(
    "sin",
    LAYERS,
    XSECTIONS,
    {
        "CORE": dict(min_width_um=0.5, min_space_um=1.0, doc="Si3N4 core"),
        "DEEP_TRENCH": dict(min_width_um=20.0, min_space_um=50.0, doc="facet trench"),
        "HEATER": dict(min_width_um=3.0, min_space_um=5.0, doc="heater metal"),
        "PAD_METAL": dict(
            min_width_um=5.0,
            min_space_um=10.0,
            min_separation=(("CORE", 10.0),),
            doc="routing / pad metal; kept off the waveguides",
        ),
        "PAD_OPEN": dict(
            min_width_um=50.0,
            min_space_um=20.0,
            enclosed_by=(("PAD_METAL", 5.0),),
            doc="pad opening",
        ),
    },
    grid_um=GRID_UM,
    die_keepout_um=DIE_KEEPOUT_UM,
    dicing_lane_min_um=DICING_LANE_MIN_UM,
    keepout_exempt=("DEEP_TRENCH",),
    marking_layer="PAD_METAL",
)
