r"""Geometry of the 90-degree partial Euler bend that both processes route with (numpy only).

A partial Euler bend (Vogelbacher et al., Opt. Express 27, 31394 (2019); gdsfactory's
``bend_euler``) of total angle alpha = pi/2 is a clothoid, a circular arc and a mirrored clothoid.
With R0 the smallest curvature radius (on the arc) and p the Euler fraction of the turn:

* each clothoid turns by p alpha / 2 over s_p = p alpha R0, with curvature rising linearly,
  kappa(s) = s / (R0 s_p), so theta(s) = s^2 / (2 R0 s_p); its points are Fresnel integrals,
  x = a C(s/a), y = a S(s/a) with a^2 = pi R0 s_p;
* the arc turns by (1 - p) alpha at radius R0;
* the total length is L = (1 + p) alpha R0.

The bend is drawn as a drop-in replacement for a circular bend of radius R (gdsfactory's
``with_arc_floorplan``): it starts at the origin heading +x and ends at (R, R) heading +y, so R0
is *smaller* than R (R0 / R = 0.706 at p = 0.5). A process's minimum bend radius applies to R0,
so :func:`euler_fraction` picks the Euler fraction: gdsfactory's p = 0.5 where R0 stays >=
radius_min, else the largest p that keeps it there (p = 0 is the circular arc of radius R).

Used by the layout cells (``sin_bend_euler``, ``inp_bend_euler``), by their sax models (path
length from the radius, not from a rounded ``info``) and by the tests (curvature of the points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

#: Euler fraction of the routing bends where the minimum radius allows it (gdsfactory's default).
P_MAX = 0.5
#: Turn of the bend (rad): the router's 90-degree bend.
ALPHA = math.pi / 2


def _unit_end(p: float) -> float:
    """x (= y) of the end point of the bend with R0 = 1, i.e. R / R0 for Euler fraction p."""
    if p == 0.0:
        return 1.0
    sp = p * ALPHA
    a = math.sqrt(math.pi * sp)
    s_frac, c_frac = special.fresnel(sp / a)
    x1, y1 = a * c_frac, a * s_frac  # end of the first clothoid
    th1 = sp / 2  # = p alpha / 2
    cx = x1 - math.sin(th1)  # x of the centre of the arc
    x2 = cx + math.sin(ALPHA - th1)  # x of the end of the arc
    # the second clothoid is the first one mirrored about the bend's bisector (module doc):
    # end = arc end + x(s_p) u - y(s_p) v, with u = (0, 1) the end tangent and v = (-1, 0)
    return float(x2 + y1)


def min_radius_ratio(p: float) -> float:
    """R0 / R: smallest curvature radius of the bend over its floorplan radius, for fraction p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p={p} is out of range: allowed [0, 1]")
    return 1.0 / _unit_end(p)


def euler_fraction(radius_um: float, radius_min_um: float, p_max: float = P_MAX) -> float:
    """The Euler fraction of a bend of floorplan radius ``radius_um``: ``p_max`` if its smallest
    curvature radius stays >= ``radius_min_um``, else the largest p that keeps it there (rounded
    down to 1e-6, so the bound holds). ValueError naming ``radius_um`` below ``radius_min_um``."""
    if not math.isfinite(radius_um) or radius_um < radius_min_um:
        raise ValueError(
            f"radius_um={radius_um} um is below the minimum bend radius: "
            f"allowed >= {radius_min_um} um"
        )
    target = radius_min_um / radius_um
    if min_radius_ratio(p_max) >= target:
        return p_max
    root = optimize.brentq(lambda p: min_radius_ratio(p) - target, 0.0, p_max, xtol=1e-12)
    return math.floor(root * 1e6) / 1e6


@dataclass(frozen=True)
class EulerBend:
    """A 90-degree partial Euler bend from (0, 0) heading +x to (R, R) heading +y."""

    radius_um: float
    p: float

    @property
    def min_radius_um(self) -> float:
        """Smallest curvature radius R0 (on the arc; the clothoids are gentler)."""
        return self.radius_um * min_radius_ratio(self.p)

    @property
    def length_um(self) -> float:
        """Centre-line length (1 + p) alpha R0."""
        return (1.0 + self.p) * ALPHA * self.min_radius_um

    def centerline(self, max_step_um: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points (x, y) and tangent angle theta (rad) at arc-length steps <= ``max_step_um``,
        from (0, 0) to exactly (R, R)."""
        r0, length = self.min_radius_um, self.length_um
        n = max(2, math.ceil(length / max_step_um))
        s = np.linspace(0.0, length, n + 1)
        # zeros, not empty: with p = 0 (a circular arc) no segment below covers s = 0, whose
        # point is the start (0, 0) heading +x (np.empty left it as whatever was in memory)
        x, y, t = np.zeros_like(s), np.zeros_like(s), np.zeros_like(s)
        sp = self.p * ALPHA * r0
        if sp > 0:
            a = math.sqrt(math.pi * r0 * sp)

            def clothoid(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                sf, cf = special.fresnel(u / a)
                return a * cf, a * sf

            m = s <= sp
            x[m], y[m] = clothoid(s[m])
            t[m] = s[m] ** 2 / (2 * r0 * sp)
            x1, y1 = clothoid(np.array([sp]))
            x1, y1 = float(x1[0]), float(y1[0])
        else:
            m = np.zeros_like(s, dtype=bool)
            x1 = y1 = 0.0
        th1 = self.p * ALPHA / 2
        cx, cy = x1 - r0 * math.sin(th1), y1 + r0 * math.cos(th1)
        arc_end = length - sp
        m2 = (s > sp) & (s <= arc_end)
        t[m2] = th1 + (s[m2] - sp) / r0
        x[m2], y[m2] = cx + r0 * np.sin(t[m2]), cy - r0 * np.cos(t[m2])
        m3 = s > arc_end
        if np.any(m3):
            xb, yb = clothoid(length - s[m3])
            x[m3], y[m3] = self.radius_um - yb, self.radius_um - xb
            t[m3] = ALPHA - (length - s[m3]) ** 2 / (2 * r0 * sp)
        x[-1], y[-1], t[-1] = self.radius_um, self.radius_um, ALPHA
        return x, y, t


def euler_bend(radius_um: float, radius_min_um: float, p_max: float = P_MAX) -> EulerBend:
    """The routing bend of floorplan radius ``radius_um`` whose smallest curvature radius is
    >= ``radius_min_um`` (:func:`euler_fraction`)."""
    return EulerBend(float(radius_um), euler_fraction(radius_um, radius_min_um, p_max))


def band_outline(bend: EulerBend, width_um: float, max_step_um: float) -> np.ndarray:
    """Outline (N x 2, um) of a band of ``width_um`` centred on the bend's centre line: the outer
    (right) side forward, the inner side back. The end faces are exactly vertical (at x = 0) and
    horizontal (at y = R)."""
    x, y, t = bend.centerline(max_step_um)
    h = width_um / 2
    nx, ny = -np.sin(t), np.cos(t)  # left normal
    nx[0], ny[0], nx[-1], ny[-1] = 0.0, 1.0, -1.0, 0.0
    outer = np.column_stack([x - h * nx, y - h * ny])
    inner = np.column_stack([x + h * nx, y + h * ny])
    return np.vstack([outer, inner[::-1]])


def sagitta_step_um(min_radius_um: float, sagitta_um: float) -> float:
    """Longest chord on a curve of radius >= ``min_radius_um`` that deviates from it by at most
    ``sagitta_um`` (s^2 / (8 R) <= sagitta)."""
    return math.sqrt(8.0 * sagitta_um * min_radius_um)


def curvature_radii(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Radius of the circle through each three consecutive points (inf where collinear)."""
    ax, ay = x[:-2], y[:-2]
    bx, by = x[1:-1], y[1:-1]
    cx, cy = x[2:], y[2:]
    ab = np.hypot(bx - ax, by - ay)
    bc = np.hypot(cx - bx, cy - by)
    ca = np.hypot(ax - cx, ay - cy)
    cross = np.abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))
    with np.errstate(divide="ignore"):
        return np.where(cross > 0, ab * bc * ca / (2.0 * cross), np.inf)


__all__ = [
    "ALPHA",
    "P_MAX",
    "EulerBend",
    "band_outline",
    "curvature_radii",
    "euler_bend",
    "euler_fraction",
    "min_radius_ratio",
    "sagitta_step_um",
]
