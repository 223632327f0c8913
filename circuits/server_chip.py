r"""The server chip: a Si3N4 microcomb die (Kerr microring pumped by a butt-coupled InP DFB laser).

Layout (die lower-left corner at the origin, x to the right)::

      +------------------------------------------------------------------+
      |                         [pad]   [pad]          (pads 100 um from |
      |                           |       |             the top edge)    |
      |                        heater contacts                           |
      |                   .-----'         '-----.                        |
      |                 /     ring + heater      \                       |
      |                |    (R ~ 1 mm, FSR 30.03  |                      |
      |                 \        GHz)            /                       |
      |  pump facet      '----------------------'           edge coupler |
      |]=== taper ===== straight ======= bus ======= straight === taper ==[|
      |  label (TEXT)                    [die-ID box: a mask's die ID]   |
      +------------------------------------------------------------------+

Light path (optical netlist): pump laser -> ``pump`` (sin_pump_facet, o1 at the left facet) ->
``wg_in`` (sin_straight) -> ``ring`` (sin_ring_bus, all-pass) -> ``wg_out`` (sin_straight) ->
``coupler`` (sin_edge_coupler, o1 at the right facet) -> fibre. The heater (``heater``) is wired by
``trace_1``/``trace_2`` (sin_metal_straight) to ``pad_1``/``pad_2`` (sin_pad). Every instance is
placed by connecting ports, so ``get_netlist()`` holds the connectivity (electrical too); chip
ports: o1 (pump input facet), o2 (comb output facet); :func:`optical_netlist` keeps the optical
part for ``sax.circuit``.

Default die: 3200 um x 2800 um. The width holds the facet trenches (2 x 60 um), the pump facet
taper (50 um), the ring bus (2 R + 2 x 50 um extension ~2.1 mm), the 500 um inverse taper and two
~200 um straights; the height holds the bus 300 um above the bottom edge, the 2 mm ring, the heater
leads and contacts, ~200 um traces and the 100 um pads 100 um below the top edge. Every shape
keeps the 50 um die keep-out except the facet trenches, which reach the die edge (the facets sit
60 um inside it).

Joint constraints (:data:`CONSTRAINTS`, each parameter being inside its own range): the width
holds the facets, tapers and ring bus (``server.width_budget``), the facet trenches stay inside the
die (``server.trench_in_die``), the heater's opening fits the ring (``server.heater_opening``) and
its contacts leave room for two pads (``server.pad_spacing``), the height holds bus, ring, heater,
traces and pads (``server.height_budget``), the label fits below the bus
(``server.label_size``) and so does a mask's die ID (``server.die_id_box``). The cell computes
its footprint (:func:`server_footprint`: sub-cells, the placed optics, rooms) first, evaluates
every constraint on it and raises :class:`~qkdchip.circuits.constraints.InfeasibleDesign` naming
each violated one, before it draws the rest with the same numbers.

The parameters are the design's single source of truth (the registry shows ``ring_gap_um`` as
``server.ring.gap_um``); their ranges *refer* to the cells' ranges. The default radius gives the
published FSR of 30.03 GHz for the group index of the ``xs_sin`` core (femwell table):
R = c / (2 pi n_g FSR) - L_c / pi.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import gdsfactory as gf

from qkdchip.base.params import Range, checked, defaults_of, ranges_of
from qkdchip.circuits import die_text
from qkdchip.circuits.constraints import Constraint, InfeasibleDesign, Violation, evaluate, subcell
from qkdchip.circuits.netlists import optical_netlist  # noqa: F401  (re-export)
from qkdchip.components.sin import (
    sin_edge_coupler,
    sin_metal_straight,
    sin_pad,
    sin_pump_facet,
    sin_ring_bus,
    sin_ring_heater,
    sin_straight,
)
from qkdchip.components.sin._geometry import add_box, add_text, snap, snap2, text_region, to_dbu
from qkdchip.pdk.sin.design_rules import DIE_KEEPOUT_UM, GRID_UM, RULES
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM, LAYERS

#: distance of the pads' outer edge from the top die edge (twice the keep-out: bonding room), um
PAD_EDGE_MARGIN_UM = 2 * DIE_KEEPOUT_UM
#: shortest straight / trace the chip accepts between two connected cells (um)
MIN_CONNECT_UM = 10.0
#: height of the die label text (um)
LABEL_SIZE_UM = 40.0
#: gap between the die label (TEXT, west half below the bus) and the box reserved for the die ID
#: a multi-die mask adds on PAD_METAL (east half below the bus, ``c.info["die_id_box_um"]``), um
DIE_ID_GAP_UM = 100.0

_RING = ranges_of(sin_ring_bus)
_HEATER = ranges_of(sin_ring_heater)
_PUMP = ranges_of(sin_pump_facet)
_COUPLER = ranges_of(sin_edge_coupler)
_PAD = ranges_of(sin_pad)


#: the label's lower-left corner (x = y) and the die ID's distance from the east die edge, um
LABEL_XY_UM = 2 * DIE_KEEPOUT_UM
_OPEN_MIN_UM = RULES.layer("PAD_OPEN").min_width_um
_PAD_INSET_UM = defaults_of(sin_pad)["opening_inset_um"]
#: sub-cell argument -> chip argument (their messages are shown with the chip's names)
_HEATER_NAMES = {
    "radius_um": "ring_radius_um",
    "coupling_length_um": "ring_coupling_length_um",
    "width_um": "heater_width_um",
    "opening_um": "heater_opening_um",
    "lead_length_um": "heater_lead_length_um",
    "contact_size_um": "heater_contact_size_um",
}


def _short(text: str, n: int = 40) -> str:
    r = repr(text)
    return r if len(r) <= n else r[: n - 4] + "...'"


# --- joint constraints -------------------------------------------------------------------------
# Each reads the footprint (``ServerFootprint``) the cell computes before drawing; a message names
# the parameters involved and the allowed bound (chip argument names; the design registry shows
# them dotted: die_width_um is server.die.width_um).


def _width_budget(fp: ServerFootprint) -> str | None:
    if fp.free_um is None or fp.free_um >= 2 * MIN_CONNECT_UM:
        return None
    p = fp.p
    need = p["die_width_um"] - fp.free_um + 2 * MIN_CONNECT_UM
    return (
        f"die_width_um={p['die_width_um']:g} um is too small for the two facet trenches "
        f"(facet_trench_length_um), the pump and coupler tapers (pump_taper_length_um, "
        f"coupler_taper_length_um) and the ring's bus (ring_radius_um, ring_coupling_length_um, "
        f"ring_bus_extension_um) with {MIN_CONNECT_UM:g} um straights: allowed >= {need:.1f} um"
    )


def _trench_in_die(fp: ServerFootprint) -> str | None:
    p = fp.p
    low = p["facet_trench_width_um"] / 2 + MIN_CONNECT_UM
    if p["die_bus_y_um"] >= low:
        return None
    return (
        f"die_bus_y_um={p['die_bus_y_um']:g} um puts the facet trenches "
        f"(facet_trench_width_um={p['facet_trench_width_um']:g} um) across the bottom die edge: "
        f"allowed >= {low:g} um (half the trench width + {MIN_CONNECT_UM:g} um)"
    )


def _pad_spacing(fp: ServerFootprint) -> str | None:
    if fp.contact_pitch_um is None:
        return None
    p = fp.p
    space = RULES.layer("PAD_METAL").min_space_um
    need = p["pad_size_um"] + space
    if fp.contact_pitch_um >= need:
        return None
    return (
        f"heater_opening_um={p['heater_opening_um']:g} um puts the heater contacts "
        f"{fp.contact_pitch_um:.1f} um apart: the pads (pad_size_um={p['pad_size_um']:g} um) need "
        f">= {need:g} um: allowed heater_opening_um >= "
        f"{p['heater_opening_um'] + need - fp.contact_pitch_um:.1f} um or pad_size_um <= "
        f"{fp.contact_pitch_um - space:.1f} um"
    )


def _height_budget(fp: ServerFootprint) -> str | None:
    if fp.trace_um is None or min(fp.trace_um) >= MIN_CONNECT_UM:
        return None
    p = fp.p
    need = p["die_height_um"] - min(fp.trace_um) + MIN_CONNECT_UM
    return (
        f"die_height_um={p['die_height_um']:g} um is too small for the bus at die_bus_y_um="
        f"{p['die_bus_y_um']:g} um, the ring above it (ring_radius_um, ring_width_um, ring_gap_um),"
        f" the heater leads and contacts (heater_lead_length_um, heater_contact_size_um), "
        f"{MIN_CONNECT_UM:g} um traces and the pads (pad_size_um) {PAD_EDGE_MARGIN_UM:g} um below "
        f"the top edge: allowed >= {need:.1f} um"
    )


def _label_size(fp: ServerFootprint) -> str | None:
    p = fp.p
    label = p["die_label"]
    if not isinstance(label, str) or not label.strip():
        return f"die_label={label!r} must be a non-empty string"
    (w, h), (rw, rh) = fp.label_size_um, fp.label_room_um
    if w <= rw and fp.label_top_um <= fp.label_xy_um + rh:
        return None
    return (
        f"die_label={_short(label)} ({len(label)} characters) is too large: its text spans "
        f"{w:.0f} x {h:.0f} um, allowed {rw:.0f} x {rh:.0f} um below the bus, west of the die-ID "
        f"box (set by die_width_um and die_bus_y_um)"
    )


def _die_id_box(fp: ServerFootprint) -> str | None:
    p = fp.p
    x0, y0, x1, y1 = fp.id_box_um
    need_w, need_h = fp.id_need_um
    out = []
    if y1 - y0 < need_h:
        out.append(
            f"die_bus_y_um={p['die_bus_y_um']:g} um leaves {y1 - y0:.1f} um below the bus (its "
            f"shapes reach {fp.bus_dip_um:.1f} um below its centre line: ring_width_um, "
            f"coupler_tip_width_um, pump_facet_width_um, heater_width_um) for a die ID "
            f"{need_h:.0f} um high: allowed die_bus_y_um >= "
            f"{p['die_bus_y_um'] + need_h - (y1 - y0):.1f} um"
        )
    if x1 - x0 < need_w:
        east = p["die_width_um"] - x1
        out.append(
            f"die_width_um={p['die_width_um']:g} um leaves {x1 - x0:.1f} um east of the label "
            f"(the die's east half less {east:.0f} um at the edge, set by "
            f"facet_trench_length_um) for a die ID {need_w:.0f} um wide: allowed die_width_um >= "
            f"{2 * (need_w + DIE_ID_GAP_UM / 2 + east):.1f} um"
        )
    return "; ".join(out) or None


HEATER_OPENING = Constraint(
    "server.heater_opening",
    ("heater_opening_um", "ring_radius_um", "ring_coupling_length_um"),
    "the heater's opening fits the top of the ring (the heater cell's rule)",
)
#: The joint constraints of the server chip, in the order they are reported.
CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        "server.width_budget",
        (
            "die_width_um",
            "ring_radius_um",
            "ring_coupling_length_um",
            "ring_bus_extension_um",
            "pump_taper_length_um",
            "coupler_taper_length_um",
            "facet_trench_length_um",
        ),
        f"facet trenches + tapers + ring bus + two straights of >= {MIN_CONNECT_UM:g} um fit the "
        "die width",
        _width_budget,
    ),
    Constraint(
        "server.trench_in_die",
        ("die_bus_y_um", "facet_trench_width_um"),
        "the facet trenches around the bus stay inside the die",
        _trench_in_die,
    ),
    HEATER_OPENING,
    Constraint(
        "server.pad_spacing",
        ("heater_opening_um", "heater_width_um", "pad_size_um"),
        "the two pads above the heater contacts keep the PAD_METAL min space",
        _pad_spacing,
    ),
    Constraint(
        "server.height_budget",
        (
            "die_height_um",
            "die_bus_y_um",
            "ring_radius_um",
            "ring_width_um",
            "ring_gap_um",
            "heater_lead_length_um",
            "heater_contact_size_um",
            "pad_size_um",
        ),
        f"bus + ring + heater contacts + traces of >= {MIN_CONNECT_UM:g} um + pads fit the die "
        "height",
        _height_budget,
    ),
    Constraint(
        "server.label_size",
        ("die_label", "die_width_um", "die_bus_y_um"),
        "the die label fits below the bus, west of the die-ID box",
        _label_size,
    ),
    Constraint(
        "server.die_id_box",
        (
            "die_bus_y_um",
            "die_width_um",
            "facet_trench_length_um",
            "ring_width_um",
            "coupler_tip_width_um",
            "pump_facet_width_um",
            "heater_width_um",
        ),
        f"the box a mask writes the die ID in holds {die_text.DIE_ID_MIN_CHARS} characters",
        _die_id_box,
    ),
)


@dataclass(frozen=True)
class ServerFootprint:
    """What the server cell computes before it draws its traces, pads and text (um): every joint
    constraint reads it, and the cell draws with the same numbers and the same placed optics.
    ``None`` where a sub-cell refused its arguments (that violation is in ``violations``)."""

    p: dict[str, Any]  # the chip's arguments
    refs: dict[str, Any]  # the placed optics and heater (instances of the component)
    ring: Any
    heater: Any
    pad: Any
    free_um: float  # bus straight left between the facet tapers and the ring's bus
    contact_pitch_um: float | None  # heater contact centres apart (x)
    trace_um: tuple[float, float] | None  # heater contact -> pad trace lengths
    label_xy_um: float
    label_size_um: tuple[float, float]
    label_top_um: float
    label_room_um: tuple[float, float]
    id_box_um: tuple[float, float, float, float]
    id_need_um: tuple[float, float]
    bus_dip_um: float  # lowest fabricated shape under the die-ID box, below the bus centre line
    violations: list[Violation] = field(default_factory=list)


def _pad_cell(size_um: float) -> gf.Component:
    """The bond pad: ``sin_pad``'s default opening inset, narrowed down to the PAD_OPEN enclosure
    for a pad too small to hold the minimum opening with it (the whole ``pad_size_um`` range)."""
    inset = math.floor(round((size_um - _OPEN_MIN_UM) / 2 / GRID_UM, 6)) * GRID_UM
    if inset >= _PAD_INSET_UM:
        return sin_pad(size_um=size_um)
    return sin_pad(size_um=size_um, opening_inset_um=inset)


def server_footprint(**params: Any) -> ServerFootprint:
    """The footprint of ``server_chip(**params)`` and its violated constraints, without drawing
    the chip (``params``: the chip's arguments, defaults for the missing ones). Cheap: it builds
    the sub-cells (cached) and places the optics in a scratch component, deleted again (so
    ``refs`` is empty)."""
    scratch = gf.Component()
    try:
        fp = _footprint(scratch, {**defaults_of(server_chip), **params})
    finally:
        scratch.delete()
    return dataclasses.replace(fp, refs={})


def _footprint(c: gf.Component, p: dict[str, Any]) -> ServerFootprint:
    """Build the sub-cells, place the optics and the heater in ``c``, measure what the joint
    constraints need and evaluate them (the cell's first half; see :class:`ServerFootprint`)."""
    bad: list[Violation] = []
    w = p["ring_width_um"]
    trench = {
        "trench_length_um": p["facet_trench_length_um"],
        "trench_width_um": p["facet_trench_width_um"],
    }
    pump_c = sin_pump_facet(
        air_gap_um=p["pump_air_gap_um"],
        facet_width_um=p["pump_facet_width_um"],
        taper_length_um=p["pump_taper_length_um"],
        width_um=w,
        **trench,
    )
    coupler_c = sin_edge_coupler(
        taper_length_um=p["coupler_taper_length_um"],
        tip_width_um=p["coupler_tip_width_um"],
        width_um=w,
        **trench,
    )
    ring_c = sin_ring_bus(
        radius_um=p["ring_radius_um"],
        width_um=w,
        gap_um=p["ring_gap_um"],
        coupling_length_um=p["ring_coupling_length_um"],
        bus_extension_um=p["ring_bus_extension_um"],
    )
    heater_c = subcell(
        HEATER_OPENING,
        bad,
        sin_ring_heater,
        _HEATER_NAMES,
        radius_um=p["ring_radius_um"],
        coupling_length_um=p["ring_coupling_length_um"],
        width_um=p["heater_width_um"],
        opening_um=p["heater_opening_um"],
        lead_length_um=p["heater_lead_length_um"],
        contact_size_um=p["heater_contact_size_um"],
    )
    pad_c = _pad_cell(p["pad_size_um"])

    # --- horizontal budget: the two bus straights take what the die width leaves, counted on
    # the grid as the cells are placed (so that the output trench ends on the die edge as drawn)
    free = (
        to_dbu(p["die_width_um"])
        - 2 * to_dbu(p["facet_trench_length_um"])
        - to_dbu(pump_c.ports["o2"].dx)
        - to_dbu(coupler_c.ports["o2"].dx)
        - (to_dbu(ring_c.ports["o2"].dx) - to_dbu(ring_c.ports["o1"].dx))
    ) * GRID_UM
    free = snap(free)
    fits = free >= 2 * MIN_CONNECT_UM
    # a chain too long for the die is placed as if the die were just wide enough: the
    # constraints in y (heights, pads) are still decided; width_budget reports the width
    placed = free if fits else 2 * MIN_CONNECT_UM

    # --- the optics along the bus, then the heater on the ring centre
    refs: dict[str, Any] = {}
    pump = refs["pump"] = c.add_ref(pump_c, name="pump")
    pump.dmove((p["facet_trench_length_um"], snap(p["die_bus_y_um"])))
    len_in = snap(placed / 2)
    wg_in = refs["wg_in"] = c.add_ref(sin_straight(length_um=len_in, width_um=w), name="wg_in")
    wg_in.connect("o1", pump.ports["o2"])
    ring = refs["ring"] = c.add_ref(ring_c, name="ring")
    ring.connect("o1", wg_in.ports["o2"])
    wg_out = refs["wg_out"] = c.add_ref(
        sin_straight(length_um=snap(placed - len_in), width_um=w), name="wg_out"
    )
    wg_out.connect("o1", ring.ports["o2"])
    coupler = refs["coupler"] = c.add_ref(coupler_c, name="coupler")
    coupler.connect("o2", wg_out.ports["o2"])
    pitch = trace = None
    if heater_c is not None:
        ring_origin = (ring.ports["o1"].dx + ring.ports["o2"].dx) / 2, ring.ports["o1"].dy
        heater = refs["heater"] = c.add_ref(heater_c, name="heater")
        heater.dmove((snap(ring_origin[0]), snap(ring_origin[1] + _ring_center_y(ring_c))))
        pitch = heater.ports["e2"].dx - heater.ports["e1"].dx
        pad_bottom = p["die_height_um"] - PAD_EDGE_MARGIN_UM - p["pad_size_um"]
        # pad rotated: e1 at its bottom
        trace = tuple(snap(pad_bottom - heater.ports[e].dy) for e in ("e1", "e2"))

    # --- label (TEXT, west half below the bus) and the die-ID box (east half below the bus,
    # clear of the output facet's trench; up to the bus less the die text's clearance, the
    # PAD_METAL-CORE separation, or lower where a shape reaches below the bus: a facet taper
    # wider than the bus, a heater strip wider than the ring-bus gap)
    label = p["die_label"] if isinstance(p["die_label"], str) else ""
    xy = LABEL_XY_UM
    x_id = snap(p["die_width_um"] / 2 + DIE_ID_GAP_UM / 2)
    label_box = text_region(label, xy, xy, LABEL_SIZE_UM).bbox()
    room = (x_id - DIE_ID_GAP_UM - xy, p["die_bus_y_um"] - MIN_CONNECT_UM - xy)
    clearance = die_text.clearance_um("sin")
    east = max(xy, math.ceil(p["facet_trench_length_um"] + clearance))
    id_top = snap(p["die_bus_y_um"] - w / 2 - clearance)
    id_box = (x_id, xy, p["die_width_um"] - east, id_top)
    if fits:
        id_box = (*id_box[:3], min(id_top, die_text.free_top(c, "sin", id_box)))
    need = die_text.text_size_um("X" * die_text.DIE_ID_MIN_CHARS, die_text.pixel_um("sin"))

    fp = ServerFootprint(
        p=p,
        refs=refs,
        ring=ring_c,
        heater=heater_c,
        pad=pad_c,
        free_um=free,
        contact_pitch_um=pitch,
        trace_um=trace,
        label_xy_um=xy,
        label_size_um=(label_box.width() * GRID_UM, label_box.height() * GRID_UM),
        label_top_um=label_box.top * GRID_UM if not label_box.empty() else xy,
        label_room_um=room,
        id_box_um=id_box,
        id_need_um=need,
        bus_dip_um=p["die_bus_y_um"] - clearance - id_box[3],
    )
    bad.extend(evaluate(CONSTRAINTS, fp))
    order = {con.name: i for i, con in enumerate(CONSTRAINTS)}
    fp.violations.extend(sorted(bad, key=lambda v: order[v.constraint]))
    return fp


@gf.cell(basename="sin_server_chip")
@checked(
    ring_radius_um=_RING["radius_um"],
    ring_width_um=_RING["width_um"],
    ring_gap_um=_RING["gap_um"],
    ring_coupling_length_um=_RING["coupling_length_um"],
    ring_bus_extension_um=_RING["bus_extension_um"],
    heater_width_um=_HEATER["width_um"],
    heater_opening_um=_HEATER["opening_um"],
    heater_lead_length_um=_HEATER["lead_length_um"],
    heater_contact_size_um=_HEATER["contact_size_um"],
    pad_size_um=_PAD["size_um"],
    pump_air_gap_um=_PUMP["air_gap_um"],
    pump_facet_width_um=_PUMP["facet_width_um"],
    pump_taper_length_um=_PUMP["taper_length_um"],
    coupler_taper_length_um=_COUPLER["taper_length_um"],
    coupler_tip_width_um=_COUPLER["tip_width_um"],
    facet_trench_length_um=_COUPLER["trench_length_um"],
    facet_trench_width_um=_COUPLER["trench_width_um"],
    die_width_um=Range(1000.0, 10000.0, "um", "die width (x)"),
    die_height_um=Range(1000.0, 10000.0, "um", "die height (y)"),
    die_bus_y_um=Range(
        100.0, 5000.0, "um", "height of the bus waveguide above the bottom die edge"
    ),
)
def server_chip(
    ring_radius_um: float = 997.6,
    ring_width_um: float = CORE_WIDTH_UM,
    ring_gap_um: float = 2.4,
    ring_coupling_length_um: float = 0.0,
    ring_bus_extension_um: float = 50.0,
    heater_width_um: float = 10.0,
    heater_opening_um: float = 200.0,
    heater_lead_length_um: float = 40.0,
    heater_contact_size_um: float = 30.0,
    pad_size_um: float = 100.0,
    pump_air_gap_um: float = 1.0,
    pump_facet_width_um: float = CORE_WIDTH_UM,
    pump_taper_length_um: float = 50.0,
    coupler_taper_length_um: float = 500.0,
    coupler_tip_width_um: float = 0.8,
    facet_trench_length_um: float = 60.0,
    facet_trench_width_um: float = 150.0,
    die_width_um: float = 3200.0,
    die_height_um: float = 2800.0,
    die_bus_y_um: float = 300.0,
    die_label: str = "QKDCHIP SERVER",
) -> gf.Component:
    """Microcomb die: pump facet, bus, microring with heater and pads, output edge coupler.

    ``c.info`` holds the derived ring figures (``ring_length_um``, ``ring_n_g``,
    ``ring_fsr_ghz``, ...), read from the instances' ``info`` (not typed here).
    """
    params = dict(locals())
    c = gf.Component()
    fp = _footprint(c, params)  # sub-cells, the placed optics, rooms; the joint constraints
    if fp.violations:
        raise InfeasibleDesign("server_chip", fp.violations)
    pump, coupler, heater = fp.refs["pump"], fp.refs["coupler"], fp.refs["heater"]
    ring_c, heater_c = fp.ring, fp.heater

    # --- traces from the heater contacts up to the pads below the top edge
    for i, port in enumerate(("e1", "e2"), start=1):
        trace = c.add_ref(sin_metal_straight(length_um=fp.trace_um[i - 1]), name=f"trace_{i}")
        trace.connect("e1", heater.ports[port])
        pad = c.add_ref(fp.pad, name=f"pad_{i}")
        pad.connect("e1", trace.ports["e2"])

    c.add_port("o1", port=pump.ports["o1"])
    c.add_port("o2", port=coupler.ports["o1"])
    # the heater's two bond pads: electrical ports at their centres, facing the top die edge
    for i in (1, 2):
        pad = c.insts[f"pad_{i}"]
        c.add_port(
            f"heater_e{i}",
            center=(pad.dbbox().center().x, pad.dbbox().center().y),
            width=snap2(pad_size_um),
            orientation=90.0,
            layer=LAYERS["PAD_METAL"],
            port_type="electrical",
        )

    # --- die outline, label, the die-ID box of a mask (both below the bus)
    add_box(c, "DIE", 0, 0, die_width_um, die_height_um)
    add_text(c, die_label, fp.label_xy_um, fp.label_xy_um, LABEL_SIZE_UM, "TEXT")
    id_box = fp.id_box_um
    die_text.check_free(c, "sin", id_box, "die-ID")

    r = ring_c.info
    c.info.update(
        dict(
            die_size_um=[die_width_um, die_height_um],
            ring_length_um=r["length_um"],
            ring_n_eff=r["n_eff"],
            ring_n_g=r["n_g"],
            ring_beta2_ps2_per_km=r["beta2_ps2_per_km"],
            ring_a_eff_um2=r["a_eff_um2"],
            ring_kerr_core_fraction=r["kerr_core_fraction"],
            ring_loss_db_per_m=r["loss_db_per_m"],
            ring_fsr_ghz=r["fsr_ghz"],
            ring_kappa_per_um=r["kappa_per_um"],
            ring_power_coupling=r["power_coupling"],
            heater_resistance_ohm=heater_c.info["resistance_ohm"],
            pump_air_gap_um=pump.cell.info["air_gap_um"],
            die_label=die_label,
            die_id_box_um=list(id_box),
        )
    )
    return c


def _ring_center_y(ring_c: gf.Component) -> float:
    """Ring centre above the bus centre line, from the ring cell's own settings."""
    from qkdchip.components.sin.ring import ring_center_y_um

    i = ring_c.info
    return ring_center_y_um(i["radius_um"], i["width_um"], i["gap_um"])
