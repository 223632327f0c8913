"""Bond/probe pads, metal wires and planar (river) routing of electrodes to pads at a die edge.

* ``inp_pad_dc``: 100 um square wire-bond pad for DC sections (laser, VOA).
* ``inp_pad_rf``: 80 um square probe/bond pad for the GHz modulators (smaller: less capacitance).
* ``inp_wire``: a Manhattan RFMETAL trace through given points, with ports at both ends, so the
  chip netlist shows electrode -> wire -> pad connections.
* :func:`route_to_edge_pads`: places one pad per electrode along a die edge (south, north,
  east or west) and routes every electrode with a planar (crossing-free) three-segment route.

Routing (planar "river" routing with order preserved): tabs t_1 < ... < t_n (x) are assigned pads
p_1 < ... < p_n at pitch >= ``pitch_um``, each as close to its tab as possible (least-squares
placement = isotonic regression of t_i - i pitch, solved exactly by pool-adjacent-violators, then
clamped to the usable edge). Route i runs from its tab towards the edge, jogs horizontally at a
level y_i, and reaches its pad. Two routes can only meet if both jog the same way and are
adjacent in order; giving consecutive right-going routes levels that rise with i (left-going:
fall with i) makes every pair disjoint, with spacing = level pitch - trace width >= min space.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.inp import electrodes as el
from qkdchip.components.inp._geometry import add_boxes, add_port, box, snap, snap2
from qkdchip.pdk.inp.design_rules import RULES

#: PADOPEN inset inside the pad metal (>= the 5 um enclosure rule).
PAD_OPENING_INSET_UM = 6.0
#: Pitch of the jog levels of the routes (trace + >= 10 um, above the RFMETAL min space), um.
ROUTE_LEVEL_PITCH_UM = el.TRACE_WIDTH_UM + max(RULES.layer("RFMETAL").min_space_um, 10.0)
#: Clearance between tabs, the jog levels and the pads, um.
ROUTE_CLEARANCE_UM = 15.0


def _pad(size_um: float, kind: str) -> gf.Component:
    size_um = snap2(size_um)
    c = gf.Component()
    h = size_um / 2
    add_boxes(c, "RFMETAL", [box(-h, -h, h, h)])
    o = h - PAD_OPENING_INSET_UM
    add_boxes(c, "PADOPEN", [box(-o, -o, o, o)])
    add_port(c, "e1", 0, h, 90, "inp_metal", width_um=el.TRACE_WIDTH_UM)
    c.info["size_um"] = size_um
    c.info["opening_um"] = snap(2 * o)
    c.info["kind"] = kind
    return c


@gf.cell
@checked(size_um=Range(60.0, 200.0, "um", "DC pad edge length"))
def inp_pad_dc(size_um: float = 100.0) -> gf.Component:
    """Square DC wire-bond pad centred at the origin; e1 at the top edge (facing +y)."""
    return _pad(size_um, "dc")


@gf.cell
@checked(size_um=Range(60.0, 150.0, "um", "RF pad edge length"))
def inp_pad_rf(size_um: float = 80.0) -> gf.Component:
    """Square RF probe/bond pad centred at the origin; e1 at the top edge (facing +y)."""
    return _pad(size_um, "rf")


_ORIENT = {(1, 0): 0.0, (0, 1): 90.0, (-1, 0): 180.0, (0, -1): 270.0}


@gf.cell
@checked(width_um=Range(5.0, 50.0, "um", "trace width"))
def inp_wire(
    points: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.0, -100.0)),
    width_um: float = el.TRACE_WIDTH_UM,
) -> gf.Component:
    """Manhattan RFMETAL trace through ``points`` (um, absolute). e1 at the first point facing
    away from the trace, e2 at the last. Interior corners are filled square."""
    pts = [(snap(x), snap(y)) for x, y in points]
    width_um = snap2(width_um)
    if len(pts) < 2:
        raise ValueError(f"points={points!r} needs at least two points")
    hw = width_um / 2
    boxes = []
    dirs = []
    for i, ((x0, y0), (x1, y1)) in enumerate(itertools.pairwise(pts)):
        if (x0 != x1) == (y0 != y1):
            raise ValueError(f"points={points!r}: segment {i} is not horizontal or vertical")
        d = ((x1 > x0) - (x1 < x0), (y1 > y0) - (y1 < y0))
        dirs.append(d)
        e0 = hw if i > 0 else 0.0
        e1 = hw if i < len(pts) - 2 else 0.0
        if d[0]:
            lo, hi = (x0 - e0, x1 + e1) if d[0] > 0 else (x1 - e1, x0 + e0)
            boxes.append(box(lo, y0 - hw, hi, y0 + hw))
        else:
            lo, hi = (y0 - e0, y1 + e1) if d[1] > 0 else (y1 - e1, y0 + e0)
            boxes.append(box(x0 - hw, lo, x0 + hw, hi))
    c = gf.Component()
    add_boxes(c, "RFMETAL", boxes)
    first, last = dirs[0], dirs[-1]
    add_port(c, "e1", *pts[0], _ORIENT[(-first[0], -first[1])], "inp_metal", width_um=width_um)
    add_port(c, "e2", *pts[-1], _ORIENT[last], "inp_metal", width_um=width_um)
    c.info["length_um"] = snap(
        sum(abs(b[0] - a[0]) + abs(b[1] - a[1]) for a, b in itertools.pairwise(pts))
    )
    c.info["width_um"] = width_um
    return c


@dataclass(frozen=True)
class Tab:
    """An electrode end to be routed: where it is and what it drives."""

    label: str  # e.g. "im1.e2"
    x: float
    y: float
    kind: str  # "dc" or "rf"


def isotonic_placement(desired: Sequence[float], pitch: float, lo: float, hi: float) -> list[float]:
    """Positions p_0 < ... < p_{n-1}, p_{i+1} - p_i >= pitch, lo <= p <= hi, minimising
    sum (p_i - desired_i)^2 for sorted ``desired``. ValueError if they cannot fit."""
    n = len(desired)
    if n == 0:
        return []
    if (n - 1) * pitch > hi - lo + 1e-9:
        raise ValueError(
            f"{n} pads at pitch {pitch} um need {(n - 1) * pitch} um, the edge offers {hi - lo:.0f} um"
        )
    q = [d - i * pitch for i, d in enumerate(desired)]
    # pool adjacent violators: blocks of (mean, weight)
    blocks: list[list[float]] = []
    for v in q:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2 = blocks.pop()
            m1, w1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2])
    z: list[float] = []
    for m, w in blocks:
        z.extend([m] * int(w))
    zmax = hi - (n - 1) * pitch
    return [min(max(zi, lo), zmax) + i * pitch for i, zi in enumerate(z)]


#: edge -> (along axis is x?, sign of the direction from the tabs towards the edge, pad rotation)
_EDGES = {
    "south": (True, -1.0, 0),
    "north": (True, 1.0, 180),
    "east": (False, 1.0, 90),
    "west": (False, -1.0, 270),
}


def route_to_edge_pads(
    c: gf.Component,
    tabs: Sequence[Tab],
    *,
    edge: str,
    edge_um: float,
    along_min_um: float,
    along_max_um: float,
    pitch_um: float,
    clearance_um: float = ROUTE_CLEARANCE_UM,
) -> list[dict[str, object]]:
    """Place a pad for every tab along one die edge and route them without crossings.

    ``edge`` is "south", "north", "east" or "west": the pads sit on that side of the tabs and the
    routes run towards it. ``edge_um`` is the coordinate (y for south/north, x for east/west) of
    the pads' outer edge (keep-out already applied); the pads are centred within
    [``along_min_um``, ``along_max_um``] along the edge. Adds pad and wire instances to ``c``
    (named ``pad_<label>``, ``wire_<label>``) and returns one record per electrode.
    """
    if edge not in _EDGES:
        raise ValueError(f"edge={edge!r} must be one of {sorted(_EDGES)}")
    along_x, s, rotation = _EDGES[edge]

    def ac(x: float, y: float) -> tuple[float, float]:  # (along, across) of a point
        return (x, y) if along_x else (y, x)

    def xy(a: float, cc: float) -> tuple[float, float]:
        return (a, cc) if along_x else (cc, a)

    tabs = sorted(tabs, key=lambda t: ac(t.x, t.y)[0])
    ta = [ac(t.x, t.y) for t in tabs]
    pads = {"dc": inp_pad_dc(), "rf": inp_pad_rf()}
    half = max(p.info["size_um"] for p in pads.values()) / 2
    ps = isotonic_placement([a for a, _ in ta], pitch_um, along_min_um + half, along_max_um - half)
    ps = [snap(p) for p in ps]

    # Jog levels: runs of consecutive same-direction routes, ordered as in the module docstring.
    w = el.TRACE_WIDTH_UM
    level_pitch = ROUTE_LEVEL_PITCH_UM
    shift = [
        0 if abs(p - a) < 1e-3 else (1 if p > a else -1) for p, (a, _) in zip(ps, ta, strict=True)
    ]
    level = [0] * len(tabs)
    i = 0
    while i < len(tabs):
        j = i
        while j + 1 < len(tabs) and shift[j + 1] == shift[i] != 0:
            j += 1
        for k in range(i, j + 1):
            level[k] = (k - i) if shift[i] > 0 else (j - k)
        i = j + 1
    # across-coordinate of the pad edge facing the chip, per pad kind
    pad_inner = {kind: edge_um - s * p.info["size_um"] for kind, p in pads.items()}
    inner_most = max(pad_inner.values()) if s < 0 else min(pad_inner.values())
    c0 = inner_most - s * (clearance_um + w / 2)
    tab_limit = (max if s > 0 else min)(cc for _, cc in ta)
    c_last = c0 - s * max(level) * level_pitch
    if (tab_limit - c_last) * (-s) < clearance_um + w / 2:
        raise ValueError(
            f"{len(tabs)} electrodes need {max(level) + 1} routing levels: not enough room "
            f"between the tabs ({tab_limit}) and the {edge} pads ({inner_most})"
        )

    records = []
    for t, (a, cc), p, lvl in zip(tabs, ta, ps, level, strict=True):
        pad_c = pads[t.kind]
        size = pad_c.info["size_um"]
        ref = c.add_ref(pad_c, name=f"pad_{t.label.replace('.', '_')}")
        if rotation:
            ref.drotate(rotation)
        centre = xy(p, edge_um - s * size / 2)
        ref.dmove(centre)
        c_pad = pad_inner[t.kind]
        if abs(p - a) < 1e-3:
            pts = (xy(a, cc), xy(a, c_pad))
        else:
            c_l = c0 - s * lvl * level_pitch
            pts = (xy(a, cc), xy(a, c_l), xy(p, c_l), xy(p, c_pad))
        pts = tuple((round(x, 3), round(y, 3)) for x, y in pts)  # tidy cell names
        c.add_ref(inp_wire(points=pts), name=f"wire_{t.label.replace('.', '_')}")
        records.append(
            {
                "electrode": t.label,
                "pad": ref.name,
                "kind": t.kind,
                "edge": edge,
                "pad_center_um": [snap(centre[0]), snap(centre[1])],
            }
        )
    return records
