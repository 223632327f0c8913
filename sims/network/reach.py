"""Reach of a network: the longest total Alice-Bob distance at which every channel beats PLOB.

From an evaluated :class:`~qkdchip.sims.network.results.NetworkResult`, the key rate of every
channel is recomputed at other distances by :func:`~qkdchip.sims.network.curves.rate_curves`
(symmetric upstream arms L/2 + L/2; each channel's phase noise, extinction ratio and dark counts
unchanged) and compared with PLOB of the fibre alone at the same distance. The set of distances
where every channel is above PLOB is an interval [L_min, L_max] (below L_min PLOB is out of reach,
above L_max the key vanishes); the reach is L_max:

    reach = max { L : min_i R_i(L) / PLOB(L) > 1 }.

Search (deterministic; about 0.35 s per channel and distance for the key-rate optimisation, so
the number of distances is kept small): when every channel beats PLOB at the design's own
distance L0 (its evaluated ratios), the distance steps up from L0 on the lattice of
:data:`REACH_STEP_KM` (the multiples of 100 km above L0) until a distance fails; otherwise a grid
of :data:`REACH_GRID` distances over [0, :data:`REACH_MAX_KM`] finds the last distance above.
The bracket [last above, first below] is then cut into :data:`REACH_POINTS` + 1 parts
:data:`REACH_REFINE` times (100 km -> 25 -> 6.25 -> 1.6 km), and the crossing min ratio = 1 is
interpolated linearly inside the final bracket (the ratio falls steeply there: about 5 % per
0.2 km at the default design's reach, so the interpolation is good to ~0.1 km). 0 when a
channel is not locked or no distance has every channel above PLOB.
"""

from __future__ import annotations

import numpy as np

from .curves import rate_curves
from .results import NetworkResult

__all__ = [
    "REACH_GRID",
    "REACH_MAX_KM",
    "REACH_POINTS",
    "REACH_REFINE",
    "REACH_STEP_KM",
    "min_ratio_at",
    "reach_km",
]

#: search range of the reach [km]: the longest TF-QKD fibre links reported are ~1000 km
#: (Liu et al., PRL 130, 210801 (2023): 1002 km); a reach beyond is reported as this value
REACH_MAX_KM = 1000.0
#: grid when the design's own distance is not above PLOB: 0, 100, ..., 1000 km
REACH_GRID = 11
#: step of the upward search from the design's distance [km]
REACH_STEP_KM = 100.0
#: interior points per refinement and number of refinements
REACH_POINTS = 3
REACH_REFINE = 3


def min_ratio_at(result: NetworkResult, distances_km) -> np.ndarray:
    """min over channels of key rate / PLOB at each total distance (0 where a channel has no
    key or is not operating)."""
    d = np.asarray(distances_km, dtype=float)
    if not result.channels or not all(c.locked and c.parameters for c in result.channels):
        return np.zeros(d.size)
    cur = rate_curves(result, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(cur["plob"]), cur["rate"] / cur["plob"], 0.0)
    return np.nan_to_num(ratio.min(axis=0), nan=0.0)


def reach_km(result: NetworkResult) -> float:
    """The longest total distance [km] at which every channel beats PLOB (module docstring)."""
    chans = result.channels
    if not chans or not all(c.locked and c.parameters for c in chans):
        return 0.0
    d0 = float(result.distance_km)
    r0 = min(c.ratio_to_plob for c in chans)
    if 0.0 < d0 < REACH_MAX_KM and r0 > 1.0:
        lo, r_lo = d0, r0
        hi = min(REACH_MAX_KM, (np.floor(d0 / REACH_STEP_KM) + 1) * REACH_STEP_KM)
        while True:
            r_hi = float(min_ratio_at(result, [hi])[0])
            if r_hi <= 1.0:
                break
            if hi >= REACH_MAX_KM:
                return REACH_MAX_KM
            lo, r_lo, hi = hi, r_hi, min(REACH_MAX_KM, hi + REACH_STEP_KM)
    else:
        grid = np.linspace(0.0, REACH_MAX_KM, REACH_GRID)
        ratio = min_ratio_at(result, grid)
        above = np.flatnonzero(ratio > 1.0)
        if above.size == 0:
            return 0.0
        k = int(above[-1])
        if k == grid.size - 1:
            return REACH_MAX_KM
        lo, hi, r_lo, r_hi = grid[k], grid[k + 1], ratio[k], ratio[k + 1]
    for _ in range(REACH_REFINE):
        inner = np.linspace(lo, hi, REACH_POINTS + 2)[1:-1]
        r = min_ratio_at(result, inner)
        d = np.concatenate([[lo], inner, [hi]])
        rr = np.concatenate([[r_lo], r, [r_hi]])
        ok = np.flatnonzero(rr > 1.0)
        j = int(ok[-1])  # the first point (lo) is above PLOB
        lo, hi, r_lo, r_hi = d[j], d[j + 1], rr[j], rr[j + 1]
    # linear crossing of min ratio = 1 between lo (above) and hi (below)
    return float(lo + (hi - lo) * (r_lo - 1.0) / (r_lo - r_hi))
