"""Si3N4 waveguide cells: straight, linear taper and the 90-degree Euler routing bend.

Model numbers in ``c.info``: ``length_um``, ``width_um`` and, for the straight and the bend, the
cross-section's mode figures at the design wavelength (``n_eff``, ``n_g``, ``beta2_ps2_per_km``,
``a_eff_um2``, ``kerr_core_fraction``, ``loss_db_per_m``), read from the ``xs_sin``
cross-section (femwell tables) for the cell's own width.

The cells take gdsfactory's keywords as well as their own (:mod:`qkdchip.components.routing`):
``cross_section`` (a name such as ``"xs_sin"``, a factory or a ``gf.CrossSection`` drawn on
``CORE``) sets the core width, ``length``/``width``/``radius``/``width1``/``width2`` are
``length_um``/``width_um``/``radius_um``/``width1_um``/``width2_um``. They are registered in the
PDK under the names gdsfactory's routers ask for (``"straight"``, ``"bend_euler"``, ``"taper"``).
"""

from __future__ import annotations

from typing import Any

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.euler import band_outline, euler_bend, sagitta_step_um
from qkdchip.components.routing import check_angle, gdsfactory_keywords, layer_tuple, rename
from qkdchip.components.sin._geometry import (
    SAGITTA_UM,
    add_polygon,
    add_port,
    snap,
    snap2,
    taper_points,
)
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.design_rules import RULES
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM, LAYERS, XSECTIONS

#: Core width range of waveguides whose modes the tables describe (um).
CORE_WIDTH = Range(*modes.width_range_um(), "um", "Si3N4 core width (range of the mode table)")
#: Any drawn core width (tapers, facets): from the process minimum width (um).
DRAWN_WIDTH = Range(RULES.layer("CORE").min_width_um, 6.0, "um", "drawn Si3N4 core width")

_XS = XSECTIONS["xs_sin"]
#: Optical cross-sections of the process (drawn on CORE).
OPTICAL_CROSS_SECTIONS = tuple(n for n, s in XSECTIONS.items() if s.layer == "CORE")


def xs_figures(width_um: float) -> dict[str, float]:
    """Mode figures of ``xs_sin`` at ``width_um`` for ``c.info`` (rounded for stable settings)."""
    from qkdchip.pdk.sin.tech import xs_sin

    xs = xs_sin(width=snap2(width_um))
    return {
        "n_eff": round(xs.n_eff, 6),
        "n_g": round(xs.n_g, 6),
        "beta2_ps2_per_km": round(xs.beta2_ps2_per_km, 2),
        "a_eff_um2": round(xs.a_eff_um2, 4),
        "kerr_core_fraction": round(xs.kerr_core_fraction, 5),
        "loss_db_per_m": xs.loss_db_per_m,
    }


def core_cross_section(cross_section: Any) -> gf.CrossSection:
    """The ``gf.CrossSection`` of a spec (a name of this process, a factory, a CrossSection, or
    anything the active PDK resolves); ValueError naming ``cross_section`` unless it is one core
    section on ``CORE``."""
    from qkdchip.pdk.sin.tech import CROSS_SECTIONS

    if isinstance(cross_section, str) and cross_section in CROSS_SECTIONS:
        if cross_section not in OPTICAL_CROSS_SECTIONS:
            raise ValueError(
                f"cross_section={cross_section!r} is not an optical cross-section: "
                f"allowed {OPTICAL_CROSS_SECTIONS}"
            )
        return CROSS_SECTIONS[cross_section]()
    xs = gf.get_cross_section(cross_section)
    layers = [layer_tuple(s.layer) for s in xs.sections]
    if layers != [LAYERS["CORE"]]:
        raise ValueError(
            f"cross_section={cross_section!r} draws on layers {layers}: allowed one section on "
            f"CORE {LAYERS['CORE']} (the cross-sections {OPTICAL_CROSS_SECTIONS})"
        )
    return xs


def _core_width(own: dict[str, Any], gfk: dict[str, Any], param: str) -> dict[str, Any]:
    """``cross_section``/``width`` (gdsfactory) -> the cell's core width parameter ``param``;
    an explicit width (either spelling) wins over the cross-section's, as in gdsfactory."""
    out = rename(own, gfk, {"width": (param, snap2)})
    if gfk.get("cross_section") is not None:
        xs = core_cross_section(gfk["cross_section"])
        out.setdefault(param, snap2(float(xs.width)))
    return out


def _straight_kwargs(own: dict[str, Any], gfk: dict[str, Any]) -> dict[str, Any]:
    return _core_width(rename(own, gfk, {"length": ("length_um", snap)}), gfk, "width_um")


@gdsfactory_keywords(_straight_kwargs, "length", "width", "cross_section")
@gf.cell
@checked(
    length_um=Range(RULES.layer("CORE").min_width_um, 20000.0, "um", "straight waveguide length"),
    width_um=CORE_WIDTH,
)
def sin_straight(length_um: float = 100.0, width_um: float = CORE_WIDTH_UM) -> gf.Component:
    """Straight ``xs_sin`` waveguide, ``length_um`` long (o1 west at the origin, o2 east)."""
    width_um = snap2(width_um)
    c = gf.Component()
    h = width_um / 2
    add_polygon(c, [(0, -h), (length_um, -h), (length_um, h), (0, h)], "CORE")
    add_port(c, "o1", 0, 0, 180, width_um, "CORE")
    add_port(c, "o2", length_um, 0, 0, width_um, "CORE")
    c.info["length_um"] = snap(length_um)
    c.info["width_um"] = width_um
    c.info.update(xs_figures(width_um))
    return c


def _taper_kwargs(own: dict[str, Any], gfk: dict[str, Any]) -> dict[str, Any]:
    out = rename(
        own,
        gfk,
        {
            "length": ("length_um", snap),
            "width1": ("width1_um", snap2),
            "width2": ("width2_um", snap2),
        },
    )
    return _core_width(out, {**gfk, "width": None}, "width1_um")


@gdsfactory_keywords(_taper_kwargs, "length", "width1", "width2", "cross_section")
@gf.cell
@checked(
    length_um=Range(10.0, 5000.0, "um", "taper length"),
    width1_um=DRAWN_WIDTH,
    width2_um=DRAWN_WIDTH,
)
def sin_taper(
    length_um: float = 100.0, width1_um: float = CORE_WIDTH_UM, width2_um: float = 1.0
) -> gf.Component:
    """Linear core taper from ``width1_um`` (o1, west) to ``width2_um`` (o2, east), with 1 um
    straight stubs at both ends (``TAPER_STUB_UM``). A ``cross_section`` sets ``width1_um``;
    registered as the process's width transition (``layer_transitions``: ``width1``/``width2``)."""
    width1_um, width2_um = snap2(width1_um), snap2(width2_um)
    c = gf.Component()
    add_polygon(c, taper_points(length_um, width1_um, width2_um), "CORE")
    add_port(c, "o1", 0, 0, 180, width1_um, "CORE")
    add_port(c, "o2", length_um, 0, 0, width2_um, "CORE")
    c.info["length_um"] = snap(length_um)
    c.info["width1_um"] = width1_um
    c.info["width2_um"] = width2_um
    return c


#: Floorplan radius of the Euler bend: from the process's minimum bend radius (then a circular
#: arc) up; its smallest curvature radius is kept >= ``xs_sin`` radius_min (:mod:`..euler`).
BEND_RADIUS = Range(
    _XS.radius_min_um, 5000.0, "um", "Euler bend floorplan radius (>= xs_sin radius_min)"
)


def _bend_kwargs(own: dict[str, Any], gfk: dict[str, Any]) -> dict[str, Any]:
    """As gdsfactory's ``bend_euler``: the radius defaults to the cross-section's."""
    check_angle(gfk.get("angle"), "sin_bend_euler")
    out = _core_width(rename(own, gfk, {"radius": ("radius_um", snap)}), gfk, "width_um")
    if gfk.get("cross_section") is not None and "radius_um" not in out:
        radius = core_cross_section(gfk["cross_section"]).radius
        if radius is not None:
            out["radius_um"] = snap(float(radius))
    return out


@gdsfactory_keywords(_bend_kwargs, "radius", "width", "cross_section", "angle")
@gf.cell
@checked(radius_um=BEND_RADIUS, width_um=CORE_WIDTH)
def sin_bend_euler(
    radius_um: float = _XS.radius_um, width_um: float = CORE_WIDTH_UM
) -> gf.Component:
    """90-degree partial Euler bend of the ``xs_sin`` core turning left: o1 at the origin facing
    west, o2 at (``radius_um``, ``radius_um``) facing north (a drop-in for a circular bend of
    that radius, as gdsfactory's ``bend_euler``). The Euler fraction ``info["p"]`` is 0.5 where
    the smallest curvature radius ``info["min_radius_um"]`` stays >= radius_min (300 um), else
    the largest that keeps it there. Arcs within half a grid step of the curve."""
    radius_um, width_um = snap(radius_um), snap2(width_um)
    bend = euler_bend(radius_um, _XS.radius_min_um)
    c = gf.Component()
    step = sagitta_step_um(bend.min_radius_um, SAGITTA_UM)
    add_polygon(c, band_outline(bend, width_um, step), "CORE")
    add_port(c, "o1", 0, 0, 180, width_um, "CORE")
    add_port(c, "o2", radius_um, radius_um, 90, width_um, "CORE")
    c.info.update(
        dict(
            radius_um=radius_um,
            width_um=width_um,
            p=bend.p,
            min_radius_um=round(bend.min_radius_um, 4),
            length_um=round(bend.length_um, 4),
            **xs_figures(width_um),
        )
    )
    return c
