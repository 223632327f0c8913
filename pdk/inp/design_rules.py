"""Design rules of the generic InP process, as data (read by ``qkdchip.pdk.drc``).

Values are generic (HHI/SMART-like open-access platforms; i-line contact lithography with ~1 um
resolution for the waveguide etch and a thick plated-gold interconnect), chosen so that every
building block of ``qkdchip.components.inp`` obeys them with margin. Units: um.

========== ========= ========= ====================================================================
layer      min width min space enclosure / separation
========== ========= ========= ====================================================================
WG_DEEP    1.0       1.0       (narrow deep trenches etch slowly: >= 1 um)
WG_SHALLOW 1.0       2.0
ACTIVE     6.0       20.0      >= 10 from DBR (no grating on gain material)
DBR        4.0       10.0
ISO        10.0      10.0      (implant >= 10 um long for > 1 MOhm section isolation)
PMETAL     2.0       5.0       inside RFMETAL by >= 1; >= 5 from NMETAL
NMETAL     4.0       5.0       inside RFMETAL by >= 1; >= 3 from any waveguide ridge
RFMETAL    5.0       8.0
PADOPEN    40.0      20.0      inside RFMETAL by >= 5
ARC        10.0      -
DICING     50.0      -         must not overlap DIE (area of DICING AND DIE = 0)
========== ========= ========= ====================================================================

DICING (the dicing lanes of a multi-die mask) is a mask-level layer: it lies between the dies, so
it is exempt from the die-outline and keep-out checks, but a lane narrower than 50 um or any
DICING over a die is a violation ("dicing overlaps die"). DIE and TEXT are not checked.
The die IDs of a mask are drawn on RFMETAL (``marking_layer``), so they obey its rules.

Die: every shape at least 50 um (cleave / dicing margin) inside the die outline, except the
shallow waveguide of a facet spot-size converter and the AR-coating region, which must reach the
cleaved edge. Grid 1 nm. Minimum bend radius per cross-section from ``layers.XSECTIONS``.
"""

from __future__ import annotations

from qkdchip.pdk.inp.layers import LAYERS, XSECTIONS
from qkdchip.pdk.rules import process_rules

#: Distance every shape keeps from the die edge except the facet layers (um).
DIE_KEEPOUT_UM = 50.0
#: Manufacturing grid (um).
GRID_UM = 0.001
#: Narrowest dicing lane (um): saw kerf (~30 um) plus chipping margin on both sides.
DICING_LANE_MIN_UM = 50.0

RULES = process_rules(
    "inp",
    LAYERS,
    XSECTIONS,
    {
        "WG_DEEP": dict(min_width_um=1.0, min_space_um=1.0, doc="deep ridge"),
        "WG_SHALLOW": dict(min_width_um=1.0, min_space_um=2.0, doc="shallow ridge"),
        "ACTIVE": dict(
            min_width_um=6.0,
            min_space_um=20.0,
            min_separation=(("DBR", 10.0),),
            doc="MQW active region; butt-joint regrowth needs >= 20 um between islands",
        ),
        "DBR": dict(min_width_um=4.0, min_space_um=10.0, doc="grating region"),
        "ISO": dict(min_width_um=10.0, min_space_um=10.0, doc="isolation implant"),
        "PMETAL": dict(
            min_width_um=2.0,
            min_space_um=5.0,
            enclosed_by=(("RFMETAL", 1.0),),
            min_separation=(("NMETAL", 5.0),),
            doc="p-contact",
        ),
        "NMETAL": dict(
            min_width_um=4.0,
            min_space_um=5.0,
            enclosed_by=(("RFMETAL", 1.0),),
            min_separation=(("WG_DEEP", 3.0), ("WG_SHALLOW", 3.0)),
            doc="n-contact beside the ridge",
        ),
        "RFMETAL": dict(min_width_um=5.0, min_space_um=8.0, doc="plated gold"),
        "PADOPEN": dict(
            min_width_um=40.0,
            min_space_um=20.0,
            enclosed_by=(("RFMETAL", 5.0),),
            doc="pad opening",
        ),
        "ARC": dict(min_width_um=10.0, doc="AR facet coating"),
    },
    grid_um=GRID_UM,
    die_keepout_um=DIE_KEEPOUT_UM,
    dicing_lane_min_um=DICING_LANE_MIN_UM,
    keepout_exempt=("WG_SHALLOW", "ARC"),
    marking_layer="RFMETAL",
)
