"""Polygon helpers shared by the InP cells (um in, 1 nm grid out).

Every cell draws its polygons through these helpers so that all vertices land on the 1 nm grid
(``snap``), rectangles of one layer are merged before insertion (no overlapping slivers), and arcs
are drawn as circumscribed polygons within half a grid step of the circle, with tangent end
edges (no acute corner, no DRC noise on bends).
"""

from __future__ import annotations

import itertools
import math

import gdsfactory as gf

from qkdchip.components._geometry import Point, ProcessGeometry
from qkdchip.pdk.inp.design_rules import GRID_UM
from qkdchip.pdk.inp.layers import LAYERS, METAL_LAYERS, XSECTIONS, WaveguideSpec

#: The shared drawing helpers (:class:`~qkdchip.components._geometry.ProcessGeometry`) bound to
#: the InP grid and layers.
GEOMETRY = ProcessGeometry(GRID_UM, LAYERS, "qkdchip.pdk.inp.tech")
snap, snap2, to_dbu, box = GEOMETRY.snap, GEOMETRY.snap2, GEOMETRY.to_dbu, GEOMETRY.box
layer_index, add_polygon = GEOMETRY.layer_index, GEOMETRY.add_polygon
add_boxes, add_region = GEOMETRY.add_boxes, GEOMETRY.add_region


def xs_spec(cross_section: str) -> WaveguideSpec:
    """Geometry of a named InP cross-section (ValueError naming the argument if unknown)."""
    if cross_section not in XSECTIONS:
        raise ValueError(f"cross_section={cross_section!r} is unknown: allowed {sorted(XSECTIONS)}")
    return XSECTIONS[cross_section]


#: Length of the first and last edge of a drawn arc (along the end tangents), um: longer than the
#: largest min width/space of a waveguide layer, so the end face and the next, slightly turned
#: edge are never closer than a width check looks.
ARC_END_STUB_UM = 1.5


def _tangent_angles(r_in: float, r_out: float, phi0: float, span: float) -> list[float]:
    """Angles (rad) of the tangent points of the circumscribed polygons of an arc.

    The end steps are wide enough for a tangent stub of ``ARC_END_STUB_UM`` on the inner circle;
    interior steps keep the deviation r (1/cos(d/2) - 1) of the outer circle below half a grid
    step. The stubs deviate by ~ stub^2 / (2 r) (11 nm at r = 100 um)."""
    sgn = 1.0 if span > 0 else -1.0
    total = abs(span)
    d_end = 2.0 * math.atan(ARC_END_STUB_UM / max(r_in, 1e-9))
    d_max = 2.0 * math.acos(1.0 / (1.0 + GEOMETRY.sagitta_um / r_out))
    if total <= 2 * d_end:
        return [phi0, phi0 + span]
    middle = total - 2 * d_end
    n = max(1, math.ceil(middle / d_max))
    steps = [d_end] + [middle / n] * n + [d_end]
    out = [phi0]
    for st in steps:
        out.append(out[-1] + sgn * st)
    out[-1] = phi0 + span
    return out


_AXIS = {0: (1.0, 0.0), 90: (0.0, 1.0), 180: (-1.0, 0.0), 270: (0.0, -1.0)}


def cos_sin(angle_deg: float) -> tuple[float, float]:
    """(cos, sin) of an angle in degrees, exact for multiples of 90 degrees."""
    if angle_deg % 90 == 0:
        return _AXIS[int(angle_deg % 360)]
    a = math.radians(angle_deg)
    return math.cos(a), math.sin(a)


def along(origin: Point, angle_deg: float, s: float, t: float = 0.0) -> Point:
    """Point at distance ``s`` along direction ``angle_deg`` from ``origin``, offset ``t`` left."""
    c, sn = cos_sin(angle_deg)
    return (origin[0] + s * c - t * sn, origin[1] + s * sn + t * c)


class Band:
    """A waveguide drawn as ONE polygon along a centre line of straights, tapers and arcs.

    Drawing a whole path as a single polygon leaves no seams between pieces (no 1 nm steps from
    independent rounding). Arcs keep every corner of the outline at >= 90 degrees, so that no
    acute corner can trip a width/space check: the outer edge of an arc is the *circumscribed*
    polygon (its first and last edges lie on the tangents at the arc ends, hence are exactly
    perpendicular to the end faces), the inner edge the inscribed one; both within half a grid
    step of the true circle.
    """

    def __init__(self, origin: Point, angle_deg: float, width_um: float) -> None:
        self.p = origin
        self.a = angle_deg
        self.w = width_um
        self.left: list[Point] = [along(origin, angle_deg, 0.0, width_um / 2)]
        self.right: list[Point] = [along(origin, angle_deg, 0.0, -width_um / 2)]

    def straight(self, length_um: float, width_um: float | None = None) -> Band:
        """Straight (or linear taper to ``width_um``) of ``length_um``."""
        w1 = self.w if width_um is None else width_um
        end = along(self.p, self.a, length_um)
        self.left.append(along(end, self.a, 0.0, w1 / 2))
        self.right.append(along(end, self.a, 0.0, -w1 / 2))
        self.p, self.w = end, w1
        return self

    def arc(self, radius_um: float, angle_deg: float) -> Band:
        """Circular arc turning by ``angle_deg`` (+: left / counter-clockwise)."""
        sign = 1.0 if angle_deg > 0 else -1.0
        cx, cy = along(self.p, self.a, 0.0, sign * radius_um)
        phi0 = math.radians(self.a - sign * 90.0)
        span = math.radians(angle_deg)
        tangents = _tangent_angles(radius_um - self.w / 2, radius_um + self.w / 2, phi0, span)

        def side(r: float) -> list[Point]:
            pts = []
            for t0, t1 in itertools.pairwise(tangents):
                rc = r / math.cos((t1 - t0) / 2)
                pts.append((cx + rc * math.cos((t0 + t1) / 2), cy + rc * math.sin((t0 + t1) / 2)))
            pts.append((cx + r * math.cos(phi0 + span), cy + r * math.sin(phi0 + span)))
            return pts

        self.left.extend(side(radius_um - sign * self.w / 2))
        self.right.extend(side(radius_um + sign * self.w / 2))
        self.p = (cx + radius_um * math.cos(phi0 + span), cy + radius_um * math.sin(phi0 + span))
        self.a += angle_deg
        return self

    def polygon(self) -> list[Point]:
        """The outline, snapped to the grid, with its four end corners kept at >= 90 degrees.

        Snapping an end face that is not axis-aligned can turn its 90 degree corners into
        89.99 degree ones; the vertex next to such a corner (>= ``ARC_END_STUB_UM`` away) is then
        moved by a grid step or two so that the corner stays >= 90 degrees."""
        left = [(snap(x), snap(y)) for x, y in self.left]
        right = [(snap(x), snap(y)) for x, y in self.right]
        if len(left) >= 3:
            _square_corner(left, 0, 1, right[0])
            _square_corner(left, -1, -2, right[-1])
        if len(right) >= 3:
            _square_corner(right, 0, 1, left[0])
            _square_corner(right, -1, -2, left[-1])
        return left + right[::-1]


def _square_corner(side: list[Point], ci: int, si: int, face: Point) -> None:
    """Nudge ``side[si]`` (grid steps) so that the corner at ``side[ci]`` between the side edge and
    the end face towards ``face`` is not acute."""
    cx, cy = to_dbu(side[ci][0]), to_dbu(side[ci][1])
    fx, fy = to_dbu(face[0]) - cx, to_dbu(face[1]) - cy

    def dot(p: Point) -> int:  # in grid steps: exact
        return (to_dbu(p[0]) - cx) * fx + (to_dbu(p[1]) - cy) * fy

    sx, sy = side[si]
    if dot((sx, sy)) <= 0:
        return
    g = GRID_UM
    candidates = sorted(
        ((i, j) for i in range(-3, 4) for j in range(-3, 4)), key=lambda ij: ij[0] ** 2 + ij[1] ** 2
    )
    for i, j in candidates:
        p = (snap(sx + i * g), snap(sy + j * g))
        if dot(p) <= 0:
            side[si] = p
            return
    raise RuntimeError(f"cannot square the corner at {side[ci]}")  # pragma: no cover


def arc_polygon(radius_um: float, angle_deg: float, width_um: float) -> list[Point]:
    """Polygon of an arc starting at the origin heading +x, turning by ``angle_deg``."""
    return Band((0.0, 0.0), 0.0, width_um).arc(radius_um, angle_deg).polygon()


def taper_polygon(
    origin: Point, angle_deg: float, length_um: float, w0_um: float, w1_um: float
) -> list[Point]:
    """Linear taper from width w0 at ``origin`` to w1 at ``length_um`` along ``angle_deg``."""
    return Band(origin, angle_deg, w0_um).straight(length_um, w1_um).polygon()


#: Deep-to-shallow transition: the deep ridge flares to this width while the shallow ridge, drawn
#: from mid-taper on, takes over the mode (the shallow etch then defines the guide).
TRANSITION_DEEP_END_WIDTH_UM = 4.0
#: Straight end of the flared deep ridge (square corners: no acute angle at the flare's end), um.
TRANSITION_FLAT_UM = 2.0
#: Default length of a deep-to-shallow transition (um).
TRANSITION_LENGTH_UM = 50.0


def add_transition(
    c: gf.Component,
    origin: Point,
    angle_deg: float,
    length_um: float = TRANSITION_LENGTH_UM,
    shallow_extra_um: float = 0.0,
) -> Point:
    """Draw a deep-to-shallow transition starting (deep side) at ``origin`` along ``angle_deg``
    (a multiple of 90 degrees).

    The deep ridge (``inp_deep`` width) flares linearly to ``TRANSITION_DEEP_END_WIDTH_UM`` and
    ends square; the shallow ridge (``inp_shallow`` width) starts at mid-length and runs to the
    end of the transition plus ``shallow_extra_um``. Returns the end point (shallow side).
    """
    if angle_deg % 90:
        raise ValueError(f"angle_deg={angle_deg}: transitions are drawn axis-aligned only")
    deep = XSECTIONS["inp_deep"]
    shallow = XSECTIONS["inp_shallow"]
    flare = length_um - TRANSITION_FLAT_UM
    band = Band(origin, angle_deg, deep.width_um).straight(flare, TRANSITION_DEEP_END_WIDTH_UM)
    add_polygon(c, band.straight(TRANSITION_FLAT_UM).polygon(), deep.layer)
    start = along(origin, angle_deg, length_um / 2)
    add_polygon(
        c,
        taper_polygon(
            start, angle_deg, length_um / 2 + shallow_extra_um, shallow.width_um, shallow.width_um
        ),
        shallow.layer,
    )
    return along(origin, angle_deg, length_um)


def add_port(
    c: gf.Component,
    name: str,
    x: float,
    y: float,
    orientation: float,
    cross_section: str,
    width_um: float | None = None,
) -> None:
    """Add an optical ('o*') or electrical ('e*', on a metal layer) port on a cross-section's
    layer, of the cross-section's width unless ``width_um`` is given; snapped."""
    spec = xs_spec(cross_section)
    GEOMETRY.add_port(
        c,
        name,
        x,
        y,
        orientation,
        width_um if width_um is not None else spec.width_um,
        spec.layer,
        "electrical" if spec.layer in METAL_LAYERS else "optical",
    )
