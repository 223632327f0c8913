"""Si3N4 waveguide cells: straight and linear taper of the 100 nm core.

Model numbers in ``c.info``: ``length_um``, ``width_um`` and, for the straight, the cross-section's
mode figures at the design wavelength (``n_eff``, ``n_g``, ``beta2_ps2_per_km``, ``a_eff_um2``,
``kerr_core_fraction``, ``loss_db_per_m``), read from the
``xs_sin`` cross-section (femwell tables) for the cell's own width.
"""

from __future__ import annotations

import gdsfactory as gf

from qkdchip.components.sin._geometry import add_polygon, add_port, snap, snap_width, taper_points
from qkdchip.params import Range, checked
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.design_rules import RULES

#: Core width range of waveguides whose modes the tables describe (um).
CORE_WIDTH = Range(*modes.width_range_um(), "um", "Si3N4 core width (range of the mode table)")
#: Any drawn core width (tapers, facets): from the process minimum width (um).
DRAWN_WIDTH = Range(RULES.layer("CORE").min_width_um, 6.0, "um", "drawn Si3N4 core width")


def xs_figures(width_um: float) -> dict[str, float]:
    """Mode figures of ``xs_sin`` at ``width_um`` for ``c.info`` (rounded for stable settings)."""
    from qkdchip.pdk.sin.tech import xs_sin

    xs = xs_sin(width=snap_width(width_um))
    return {
        "n_eff": round(xs.n_eff, 6),
        "n_g": round(xs.n_g, 6),
        "beta2_ps2_per_km": round(xs.beta2_ps2_per_km, 2),
        "a_eff_um2": round(xs.a_eff_um2, 4),
        "kerr_core_fraction": round(xs.kerr_core_fraction, 5),
        "loss_db_per_m": xs.loss_db_per_m,
    }


@gf.cell
@checked(
    length_um=Range(RULES.layer("CORE").min_width_um, 20000.0, "um", "straight waveguide length"),
    width_um=CORE_WIDTH,
)
def sin_straight(length_um: float = 100.0, width_um: float = 2.8) -> gf.Component:
    """Straight ``xs_sin`` waveguide, ``length_um`` long (o1 west at the origin, o2 east)."""
    width_um = snap_width(width_um)
    c = gf.Component()
    h = width_um / 2
    add_polygon(c, [(0, -h), (length_um, -h), (length_um, h), (0, h)], "CORE")
    add_port(c, "o1", 0, 0, 180, width_um, "CORE")
    add_port(c, "o2", length_um, 0, 0, width_um, "CORE")
    c.info["length_um"] = snap(length_um)
    c.info["width_um"] = width_um
    c.info.update(xs_figures(width_um))
    return c


@gf.cell
@checked(
    length_um=Range(10.0, 5000.0, "um", "taper length"),
    width1_um=DRAWN_WIDTH,
    width2_um=DRAWN_WIDTH,
)
def sin_taper(
    length_um: float = 100.0, width1_um: float = 2.8, width2_um: float = 1.0
) -> gf.Component:
    """Linear core taper from ``width1_um`` (o1, west) to ``width2_um`` (o2, east), with 1 um
    straight stubs at both ends (``TAPER_STUB_UM``)."""
    width1_um, width2_um = snap_width(width1_um), snap_width(width2_um)
    c = gf.Component()
    add_polygon(c, taper_points(length_um, width1_um, width2_um), "CORE")
    add_port(c, "o1", 0, 0, 180, width1_um, "CORE")
    add_port(c, "o2", length_um, 0, 0, width2_um, "CORE")
    c.info["length_um"] = snap(length_um)
    c.info["width1_um"] = width1_um
    c.info["width2_um"] = width2_um
    return c
