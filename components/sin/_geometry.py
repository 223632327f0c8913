"""Polygon helpers shared by the Si3N4 cells (um in, 1 nm grid out).

Every cell draws through these helpers: vertices land on the 1 nm grid, arcs are discretised
with a sagitta below half a grid step (so a 1 mm ring is a few thousand points, not the ~3e5 that
gdsfactory's 20 nm default spacing would give), and long closed bands are split into pieces of at
most a quarter turn (no polygon holes, well under the 8190-vertex GDS limit).

Racetrack centre line (centre at the origin, straights of length ``lc`` along x at y = +-r), by
arc length ``s`` counter-clockwise from the top centre (0, r)::

    top-left straight  s in [0, lc/2]            (-s, r)
    left arc           s in [lc/2, lc/2 + pi r]
    bottom straight    s in [.., .. + lc]        (the coupler side)
    right arc          s in [.., .. + pi r]
    top-right straight s in [.., L],  L = 2 pi r + 2 lc
"""

from __future__ import annotations

import itertools
import math

import gdsfactory as gf
import klayout.db as kdb
import numpy as np

from qkdchip.components._geometry import Point, ProcessGeometry
from qkdchip.pdk.sin.design_rules import GRID_UM
from qkdchip.pdk.sin.layers import LAYERS

#: The shared drawing helpers (:class:`~qkdchip.components._geometry.ProcessGeometry`) bound to
#: the Si3N4 grid and layers.
GEOMETRY = ProcessGeometry(GRID_UM, LAYERS, "qkdchip.pdk.sin.tech")
SAGITTA_UM = GEOMETRY.sagitta_um
snap, snap2, to_dbu = GEOMETRY.snap, GEOMETRY.snap2, GEOMETRY.to_dbu
layer_index, box_dbu, _polygon = GEOMETRY.layer_index, GEOMETRY.box, GEOMETRY.polygon
add_polygon, add_box, add_port = GEOMETRY.add_polygon, GEOMETRY.add_box, GEOMETRY.add_port
text_region, add_text = GEOMETRY.text_region, GEOMETRY.add_text


#: straight stub at each end of a taper (um): square end corners, so a taper is DRC-clean on its
#: own (a bare trapezoid has a corner just under 90 degrees at its wide end: a width violation).
TAPER_STUB_UM = 1.0


def taper_points(length: float, width1: float, width2: float) -> list[Point]:
    """Outline of a linear taper along x from 0 (width1) to ``length`` (width2), with stubs."""
    s = min(TAPER_STUB_UM, length / 4)
    h1, h2 = width1 / 2, width2 / 2
    return [
        (0, -h1), (s, -h1), (length - s, -h2), (length, -h2),
        (length, h2), (length - s, h2), (s, h1), (0, h1),
    ]  # fmt: skip


def arc_step_rad(radius_um: float) -> float:
    """Angular step whose chord deviates from the arc by at most :data:`SAGITTA_UM`."""
    return math.sqrt(8.0 * SAGITTA_UM / radius_um)


def racetrack_length(radius_um: float, straight_um: float) -> float:
    """Centre-line length L = 2 pi r + 2 lc of a racetrack (a circle for lc = 0)."""
    return 2.0 * math.pi * radius_um + 2.0 * straight_um


def _segments(r: float, lc: float) -> list[tuple[float, float, str]]:
    """(s_start, s_end, kind) of the five centre-line segments."""
    a1 = lc / 2
    a2 = a1 + math.pi * r
    a3 = a2 + lc
    a4 = a3 + math.pi * r
    return [
        (0.0, a1, "line"),
        (a1, a2, "arc"),
        (a2, a3, "line"),
        (a3, a4, "arc"),
        (a4, a4 + lc / 2, "line"),
    ]


def racetrack_point(
    r: float, lc: float, s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre-line point (x, y) and tangent angle (rad) at arc length ``s`` (array, in [0, L])."""
    s = np.asarray(s, dtype=float)
    a1 = lc / 2
    a2 = a1 + math.pi * r
    a3 = a2 + lc
    a4 = a3 + math.pi * r
    x = np.empty_like(s)
    y = np.empty_like(s)
    t = np.empty_like(s)
    m = s <= a1
    x[m], y[m], t[m] = -s[m], r, math.pi
    m = (s > a1) & (s <= a2)
    phi = (s[m] - a1) / r
    x[m], y[m], t[m] = -a1 - r * np.sin(phi), r * np.cos(phi), math.pi + phi
    m = (s > a2) & (s <= a3)
    x[m], y[m], t[m] = -a1 + (s[m] - a2), -r, 2 * math.pi
    m = (s > a3) & (s <= a4)
    phi = (s[m] - a3) / r
    x[m], y[m], t[m] = a1 + r * np.sin(phi), -r * np.cos(phi), 2 * math.pi + phi
    m = s > a4
    x[m], y[m], t[m] = a1 - (s[m] - a4), r, 3 * math.pi
    return x, y, t


def _samples(r: float, lc: float, s0: float, s1: float) -> np.ndarray:
    """Arc-length samples in [s0, s1]: segment ends, and arcs at the sagitta-limited step."""
    ds = arc_step_rad(r) * r
    pts = [np.array([s0, s1])]
    for a, b, kind in _segments(r, lc):
        lo, hi = max(a, s0), min(b, s1)
        if hi <= lo:
            continue
        if kind == "arc":
            n = max(1, math.ceil((hi - lo) / ds))
            pts.append(np.linspace(lo, hi, n + 1))
        else:
            pts.append(np.array([lo, hi]))
    s = np.unique(np.concatenate(pts))
    return s


def band_polygon(r: float, lc: float, width: float, s0: float, s1: float) -> np.ndarray:
    """Polygon (N x 2, um) of a band of ``width`` centred on the racetrack from s0 to s1."""
    s = _samples(r, lc, s0, s1)
    x, y, t = racetrack_point(r, lc, s)
    nx, ny = -np.sin(t), np.cos(t)  # left normal (towards the centre)
    h = width / 2
    inner = np.column_stack([x + h * nx, y + h * ny])
    outer = np.column_stack([x - h * nx, y - h * ny])
    return np.vstack([outer, inner[::-1]])


def add_band(
    c: gf.Component,
    layer: str,
    r: float,
    lc: float,
    width: float,
    s0: float,
    s1: float,
    offset: tuple[float, float] = (0.0, 0.0),
    cut: tuple[float, float, float, float] | None = None,
) -> None:
    """Add a racetrack band from s0 to s1, split into pieces of at most a quarter turn.

    ``cut`` (x0, y0, x1, y1, um, before the offset) removes a rectangle from the band.
    """
    quarter = racetrack_length(r, lc) / 4
    n = max(1, math.ceil((s1 - s0) / quarter - 1e-9))
    edges = np.linspace(s0, s1, n + 1)
    layer_idx = layer_index(layer)
    cut_region = kdb.Region(box_dbu(*cut)) if cut is not None else None
    for a, b in itertools.pairwise(edges):
        poly = _polygon(band_polygon(r, lc, width, a, b))
        if cut_region is None:
            pieces = [poly]
        else:
            pieces = list((kdb.Region(poly) - cut_region).each())
        for piece in pieces:
            c.shapes(layer_idx).insert(piece.moved(to_dbu(offset[0]), to_dbu(offset[1])))
