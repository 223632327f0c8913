"""Passive InP waveguide cells: straight, circular bend, Euler routing bend, S-bend, deep-to-shallow
transition.

Model numbers in ``c.info``: ``length_um`` (optical path length along the centre line),
``cross_section``, and for bends ``radius_um``; the propagation loss and group index live in
``qkdchip.pdk.inp.PROCESS`` (per cross-section), so the model computes
``loss_dB = length_um * 1e-4 * PROCESS.<deep|shallow>_loss_dB_per_cm``.

The straight, the bends and the transition also take gdsfactory's keywords
(:mod:`qkdchip.components.routing`): ``cross_section`` may be a ``gf.CrossSection`` (as the
routers pass it) drawn on ``WG_DEEP``/``WG_SHALLOW`` with that cross-section's width, ``length``/
``radius``/``angle`` are ``length_um``/``radius_um``/``angle_deg``, and ``width``/``width1``/
``width2`` must be the widths the cells draw. They are registered in the PDK under the names
gdsfactory's routers ask for (``"straight"``, ``"bend_euler"``, ``"bend_circular"``; the
deep-to-shallow ``layer_transitions``).
"""

from __future__ import annotations

import math
from typing import Any

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.euler import band_outline, euler_bend, sagitta_step_um
from qkdchip.components.inp._geometry import (
    GEOMETRY,
    TRANSITION_LENGTH_UM,
    Band,
    add_polygon,
    add_port,
    add_transition,
    arc_polygon,
    snap,
    xs_spec,
)
from qkdchip.components.routing import check_angle, gdsfactory_keywords, layer_tuple, rename
from qkdchip.pdk.inp.layers import LAYERS, XSECTIONS, WaveguideSpec

WAVEGUIDE_CROSS_SECTIONS = ("inp_deep", "inp_shallow")
#: tolerance of a width given to a cell that draws a fixed width (um)
_WIDTH_TOL_UM = 1e-6


def _optical_xs(cross_section: str) -> WaveguideSpec:
    spec = xs_spec(cross_section)
    if cross_section not in WAVEGUIDE_CROSS_SECTIONS:
        raise ValueError(
            f"cross_section={cross_section!r} is not a waveguide: allowed {WAVEGUIDE_CROSS_SECTIONS}"
        )
    return spec


def cross_section_name(cross_section: Any) -> str:
    """The name (``inp_deep`` / ``inp_shallow`` ...) of an InP cross-section spec: a name, a
    factory, a ``gf.CrossSection`` or anything the active PDK resolves. A CrossSection is
    matched by its layer and width; ValueError naming ``cross_section`` if it matches none."""
    if isinstance(cross_section, str) and cross_section in XSECTIONS:
        return cross_section
    xs = gf.get_cross_section(cross_section)
    layers = [layer_tuple(s.layer) for s in xs.sections]
    for name in WAVEGUIDE_CROSS_SECTIONS:
        spec = XSECTIONS[name]
        if layers == [LAYERS[spec.layer]] and abs(xs.width - spec.width_um) <= _WIDTH_TOL_UM:
            return name
    drawn = {n: (XSECTIONS[n].layer, XSECTIONS[n].width_um) for n in WAVEGUIDE_CROSS_SECTIONS}
    raise ValueError(
        f"cross_section={cross_section!r} (layers {layers}, width {xs.width} um) is not drawn by "
        f"the InP cells: allowed {drawn}"
    )


def _check_width(name: str, width: Any, cross_section: str) -> None:
    if width is not None and abs(float(width) - XSECTIONS[cross_section].width_um) > _WIDTH_TOL_UM:
        raise ValueError(
            f"{name}={width} um is not drawn on {cross_section}: allowed "
            f"{XSECTIONS[cross_section].width_um} um (the cross-section's width)"
        )


def _guide_kwargs(
    own: dict[str, Any], gfk: dict[str, Any], names: dict[str, tuple[str, Any]]
) -> dict[str, Any]:
    """gdsfactory keywords -> a waveguide cell's own; ``cross_section`` resolved to its name.
    A bend given a ``gf.CrossSection`` (not a name) takes its radius unless one is given, as
    gdsfactory's bends do."""
    out = rename(own, gfk, names)
    xs = out.get("cross_section")
    if xs is not None:
        out["cross_section"] = cross_section_name(xs)
        radius = getattr(xs, "radius", None)
        if "radius" in names and out.get("radius_um") is None and radius is not None:
            out["radius_um"] = snap(float(radius))
    _check_width("width", gfk.get("width"), out.get("cross_section", "inp_deep"))
    return out


def bend_radius(radius_um: float | None, cross_section: str, name: str = "radius_um") -> float:
    """The bend radius to use: the cross-section's routing radius if None; ValueError naming the
    parameter ``name`` if below the cross-section's radius_min."""
    spec = _optical_xs(cross_section)
    radius = spec.radius_um if radius_um is None else radius_um
    if radius < spec.radius_min_um:
        raise ValueError(
            f"{name}={radius} um is below the minimum bend radius of {cross_section}: "
            f"allowed >= {spec.radius_min_um} um"
        )
    return radius


def _straight_kwargs(own: dict[str, Any], gfk: dict[str, Any]) -> dict[str, Any]:
    return _guide_kwargs(own, gfk, {"length": ("length_um", snap)})


@gdsfactory_keywords(_straight_kwargs, "length", "width")
@gf.cell
@checked(length_um=Range(1.0, 20000.0, "um", "straight waveguide length"))
def inp_straight(length_um: float = 100.0, cross_section: str = "inp_deep") -> gf.Component:
    """Straight waveguide of ``length_um`` (ports o1 west, o2 east)."""
    spec = _optical_xs(cross_section)
    length_um = snap(length_um)
    c = gf.Component()
    w = spec.width_um
    add_polygon(c, [(0, -w / 2), (length_um, -w / 2), (length_um, w / 2), (0, w / 2)], spec.layer)
    add_port(c, "o1", 0, 0, 180, cross_section)
    add_port(c, "o2", length_um, 0, 0, cross_section)
    c.info["length_um"] = snap(length_um)
    c.info["cross_section"] = cross_section
    return c


#: Bend radius range shared by every InP bend: from the smallest radius_min of the waveguide
#: cross-sections (each cross-section's own radius_min applies on top).
BEND_RADIUS = Range(
    min(XSECTIONS[n].radius_min_um for n in WAVEGUIDE_CROSS_SECTIONS),
    1000.0,
    "um",
    "waveguide bend radius (>= the cross-section radius_min)",
)


def _circular_kwargs(own: dict[str, Any], gfk: dict[str, Any]) -> dict[str, Any]:
    return _guide_kwargs(
        own, gfk, {"radius": ("radius_um", snap), "angle": ("angle_deg", lambda a: a)}
    )


@gdsfactory_keywords(_circular_kwargs, "radius", "angle", "width")
@gf.cell
@checked(
    radius_um=BEND_RADIUS,
    angle_deg=Range(2.0, 180.0, "deg", "bend angle (counter-clockwise)"),
)
def inp_bend_circular(
    radius_um: float | None = None, angle_deg: float = 90.0, cross_section: str = "inp_deep"
) -> gf.Component:
    """Circular bend turning left (CCW) by ``angle_deg`` at ``radius_um`` (default: the
    cross-section's routing radius). o1 at the origin facing west, o2 at the end of the arc."""
    spec = _optical_xs(cross_section)
    radius = bend_radius(radius_um, cross_section)
    c = gf.Component()
    add_polygon(c, arc_polygon(radius, angle_deg, spec.width_um), spec.layer)
    a = math.radians(angle_deg)
    add_port(c, "o1", 0, 0, 180, cross_section)
    add_port(c, "o2", radius * math.sin(a), radius * (1 - math.cos(a)), angle_deg, cross_section)
    c.info["radius_um"] = radius
    c.info["angle_deg"] = angle_deg
    c.info["length_um"] = snap(radius * a)
    c.info["cross_section"] = cross_section
    return c


def _euler_kwargs(own: dict[str, Any], gfk: dict[str, Any]) -> dict[str, Any]:
    check_angle(gfk.get("angle"), "inp_bend_euler")
    return _guide_kwargs(own, gfk, {"radius": ("radius_um", snap)})


@gdsfactory_keywords(_euler_kwargs, "radius", "angle", "width")
@gf.cell
@checked(radius_um=BEND_RADIUS)
def inp_bend_euler(radius_um: float | None = None, cross_section: str = "inp_deep") -> gf.Component:
    """90-degree partial Euler bend turning left, the router's ``"bend_euler"``: o1 at the origin
    facing west, o2 at (R, R) facing north, R = ``radius_um`` (default: the cross-section's
    routing radius), a drop-in for a circular bend of that radius. The Euler fraction
    ``info["p"]`` is 0.5 where the smallest curvature radius ``info["min_radius_um"]`` stays >= the
    cross-section's radius_min, else the largest that keeps it there (``inp_shallow`` at 600 um:
    p ~ 0.25). Outline within half a grid step of the curve."""
    spec = _optical_xs(cross_section)
    radius = snap(bend_radius(radius_um, cross_section))
    bend = euler_bend(radius, spec.radius_min_um)
    c = gf.Component()
    step = sagitta_step_um(bend.min_radius_um, GEOMETRY.sagitta_um)
    add_polygon(c, [tuple(p) for p in band_outline(bend, spec.width_um, step)], spec.layer)
    add_port(c, "o1", 0, 0, 180, cross_section)
    add_port(c, "o2", radius, radius, 90, cross_section)
    c.info["radius_um"] = radius
    c.info["p"] = bend.p
    c.info["min_radius_um"] = round(bend.min_radius_um, 4)
    c.info["length_um"] = snap(bend.length_um)
    c.info["cross_section"] = cross_section
    return c


def s_bend_geometry(dy_um: float, radius_um: float) -> tuple[float, float]:
    """(angle of each arc in rad, x extent in um) of a two-arc S-bend of lateral offset dy."""
    theta = math.acos(1.0 - abs(dy_um) / (2.0 * radius_um))
    return theta, 2.0 * radius_um * math.sin(theta)


@gf.cell
@checked(
    dy_um=Range(-400.0, 400.0, "um", "lateral offset of the S-bend (+: towards +y)"),
    radius_um=BEND_RADIUS,
)
def inp_bend_s(
    dy_um: float = 20.0, radius_um: float | None = None, cross_section: str = "inp_deep"
) -> gf.Component:
    """S-bend made of two opposite circular arcs of ``radius_um`` (constant radius: the tightest
    bend equals the stated radius, unlike a Bezier S-bend). Offset ``dy_um`` needs
    ``|dy| <= 2 R``; the x extent is 2 R sin(theta), theta = acos(1 - |dy| / 2R)."""
    spec = _optical_xs(cross_section)
    radius = bend_radius(radius_um, cross_section)
    if not 1.0 <= abs(dy_um) <= 2 * radius:
        raise ValueError(
            f"dy_um={dy_um} is out of range: allowed 1 um <= |dy_um| <= 2 x radius = {2 * radius} um"
        )
    dy_um = snap(dy_um)
    theta, dx = s_bend_geometry(dy_um, radius)
    deg = math.degrees(theta) * (1 if dy_um > 0 else -1)
    c = gf.Component()
    band = Band((0.0, 0.0), 0.0, spec.width_um).arc(radius, deg).arc(radius, -deg)
    add_polygon(c, band.polygon(), spec.layer)
    add_port(c, "o1", 0, 0, 180, cross_section)
    add_port(c, "o2", dx, dy_um, 0, cross_section)
    c.info["radius_um"] = radius
    c.info["dy_um"] = dy_um
    c.info["length_um"] = snap(2 * radius * theta)
    c.info["cross_section"] = cross_section
    return c


def _transition_kwargs(own: dict[str, Any], gfk: dict[str, Any]) -> dict[str, Any]:
    _check_width("width1", gfk.get("width1"), "inp_deep")
    _check_width("width2", gfk.get("width2"), "inp_shallow")
    return rename(own, gfk, {"length": ("length_um", snap)})


@gdsfactory_keywords(_transition_kwargs, "length", "width1", "width2")
@gf.cell
@checked(length_um=Range(20.0, 300.0, "um", "deep-to-shallow transition length"))
def inp_taper_deep_shallow(length_um: float = TRANSITION_LENGTH_UM) -> gf.Component:
    """Deep-to-shallow waveguide transition: o1 deep (west), o2 shallow (east).

    The deep ridge flares out while the shallow ridge takes over from mid-length (adiabatic
    mode transfer; loss ``PROCESS.transition_loss_dB``)."""
    length_um = snap(length_um)
    c = gf.Component()
    add_transition(c, (0.0, 0.0), 0.0, length_um)
    add_port(c, "o1", 0, 0, 180, "inp_deep")
    add_port(c, "o2", length_um, 0, 0, "inp_shallow")
    c.info["length_um"] = snap(length_um)
    return c
