"""Electrode geometry shared by the InP active cells (um), one home for each dimension.

Every electro-optic / current-injection section is drawn the same way:

* the p-contact (PMETAL, ``PMETAL_WIDTH_UM`` wide) runs on top of the ridge over the section;
* a plated-gold cover (RFMETAL) encloses it by ``RF_ENCLOSURE_UM`` on every side;
* an n-contact strip (NMETAL, ``NMETAL_WIDTH_UM``) runs beside the ridge at ``NCONTACT_OFFSET_UM``
  (centre to ridge centre), with a 1 um RFMETAL cover;
* isolation implants (ISO, ``ISO_LENGTH_UM`` long, ``ISO_HALF_WIDTH_UM`` each side of the ridge)
  separate sections electrically;
* tabs: ``TRACE_WIDTH_UM`` RFMETAL traces end at electrical ports facing -y (south), so that a chip
  can route them straight to pads; a trace crossing the ridge next to an electrode keeps
  ``TRACE_CLEARANCE_UM`` (centre) from the electrode's cover.

The values satisfy ``qkdchip.pdk.inp.RULES`` (RFMETAL space 8 um, enclosures, separations) by
construction; the tests check every cell against the rules.
"""

from __future__ import annotations

import klayout.db as kdb

from qkdchip.components.inp._geometry import box
from qkdchip.pdk.inp.layers import XSECTIONS

PMETAL_WIDTH_UM = 4.0
RF_ENCLOSURE_UM = 3.0
NMETAL_WIDTH_UM = 8.0
N_RF_ENCLOSURE_UM = 1.0
NCONTACT_OFFSET_UM = 25.0
ISO_LENGTH_UM = 20.0
ISO_HALF_WIDTH_UM = 10.0
#: RFMETAL trace width: the metal cross-section's (``inp_metal``).
TRACE_WIDTH_UM = XSECTIONS["inp_metal"].width_um
#: RFMETAL min space (8) + half trace (5) + cover overhang (3), rounded up to 18 um.
TRACE_CLEARANCE_UM = 18.0
#: Passive length at each end of an EO section: isolation implant plus room for a crossing trace.
SECTION_END_UM = 30.0
#: Depth of the tab ports below the ridge of a single-ridge element.
TAB_DEPTH_UM = 40.0


def p_contact(x0: float, x1: float, y: float) -> tuple[kdb.Box, kdb.Box]:
    """(PMETAL box, RFMETAL cover box) of a p-contact from x0 to x1 on a ridge at ``y``."""
    hw = PMETAL_WIDTH_UM / 2
    e = RF_ENCLOSURE_UM
    return box(x0, y - hw, x1, y + hw), box(x0 - e, y - hw - e, x1 + e, y + hw + e)


def n_contact(x0: float, x1: float, y: float) -> tuple[kdb.Box, kdb.Box]:
    """(NMETAL box, RFMETAL cover box) of an n-contact strip from x0 to x1 centred at ``y``."""
    hw = NMETAL_WIDTH_UM / 2
    e = N_RF_ENCLOSURE_UM
    return box(x0, y - hw, x1, y + hw), box(x0 - e, y - hw - e, x1 + e, y + hw + e)


def cover_half_width() -> float:
    """Half width of the RFMETAL cover of a p-contact (um)."""
    return PMETAL_WIDTH_UM / 2 + RF_ENCLOSURE_UM


def n_cover_half_width() -> float:
    return NMETAL_WIDTH_UM / 2 + N_RF_ENCLOSURE_UM


def vtrace(x: float, y0: float, y1: float) -> kdb.Box:
    """Vertical RFMETAL trace centred at x from y0 to y1."""
    hw = TRACE_WIDTH_UM / 2
    return box(x - hw, y0, x + hw, y1)


def htrace(y: float, x0: float, x1: float) -> kdb.Box:
    """Horizontal RFMETAL trace centred at y from x0 to x1."""
    hw = TRACE_WIDTH_UM / 2
    return box(x0, y - hw, x1, y + hw)


def iso_box(x0: float, x1: float, y: float) -> kdb.Box:
    return box(x0, y - ISO_HALF_WIDTH_UM, x1, y + ISO_HALF_WIDTH_UM)
