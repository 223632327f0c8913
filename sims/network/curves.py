"""Key rate vs distance of a evaluated network (``qkdchip network --plot``, rate_vs_distance).

NetworkResult: each locked channel's phase noise and X-error budget, extinction ratio, dark
counts (incl.
crosstalk) and settings, unchanged
-> symmetric upstream arms L/2 + L/2 over the distances, the same receive filter and
   detectors -> key rate (one vectorised, optimised keyrates.solve over channels x
   distances, each row refined locally from the network's optimised channels and searched
   globally where that finds no key)
-> PLOB of the fibre alone at each distance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qkdchip.sims.keyrate import plob

from .keyrates import Rows, solve, warm_of
from .outcome import ER_MAX_DB, ER_MIN_DB
from .results import NetworkResult

__all__ = ["CurvesRequest", "rate_curves"]


def _ready(c, protocol: str) -> bool:
    """The channel's devices work: both clients locked, no fatal die, and (SNS) a vacuum the
    extinction ratio allows -- whether or not it has key at the design's distance."""
    if not c.locked or c.a.chip.fatal or c.b.chip.fatal:
        return False
    return protocol not in ("sns", "sns-aopp") or c.extinction_ratio_db >= ER_MIN_DB


def rate_curves(result: NetworkResult, distances_km: Sequence[float]) -> dict[str, Any]:
    """Key rate vs total distance (symmetric upstream arms) of every channel that has its
    devices working (locked, usable dies), with everything else of that channel unchanged
    (phase noise, extinction ratio, dark counts incl. crosstalk), and PLOB. One vectorised
    key-rate call over channels x distances.

    Returns ``{"distance_km": (n_d,), "plob": (n_d,), "channels": [int], "rate": (n_ch, n_d)}``.
    """
    req = CurvesRequest.of(result, distances_km)
    return req.finish(solve(*req.call) if req.call is not None else None)


@dataclass
class CurvesRequest:
    """:func:`rate_curves` in two halves, so that its key-rate call can run elsewhere (another
    process: ``qkdchip run``): ``call`` is the argument tuple of :func:`keyrates.solve` (None:
    no channel or no distance, nothing to solve) and :meth:`finish` turns its result into the
    curves."""

    out: dict[str, Any]
    channels: list[int]
    call: tuple[str, Rows, bool, list[dict[str, Any]]] | None

    @classmethod
    def of(cls, result: NetworkResult, distances_km: Sequence[float]) -> CurvesRequest:
        d = np.asarray(distances_km, dtype=float)
        link, net = result.link, result.net
        chans = [c for c in result.channels if _ready(c, net.protocol)]
        eta = 10.0 ** (-link.fibre_loss_db_per_km * d / 10.0)
        bound = np.where(eta < 1.0, plob(np.minimum(eta, 1.0 - 1e-16)), np.inf)
        out: dict[str, Any] = {
            "distance_km": d,
            "plob": bound,
            "channels": [],
            "rate": np.zeros((0, d.size)),
        }
        if not chans or d.size == 0:
            return cls(out, [], None)
        rows = Rows()
        for c in chans:
            for x in d:
                rows.add(
                    (0, c.channel),
                    link,
                    net,
                    length_km=(x / 2.0, x / 2.0),
                    sigma=c.phase_rms_rad,
                    e_d=c.x_budget.e_d if c.x_budget is not None else link.misalignment,
                    p_d=c.dark_count_prob,
                    er=min(c.extinction_ratio_db, ER_MAX_DB),
                )
        # every row is refined from the network's own optima (keyrates.solve with warm starts;
        # the global search where that finds no key)
        call = (net.protocol, rows, net.finite_pulses is not None, warm_of(result))
        return cls(out, [c.channel for c in chans], call)

    def finish(self, res: Any) -> dict[str, Any]:
        """The curves from the result of :attr:`call` (None when there was nothing to solve)."""
        out = dict(self.out)
        if self.call is None:
            return out
        out["channels"] = list(self.channels)
        out["rate"] = np.asarray(res.rate_per_pulse, dtype=float).reshape(
            len(self.channels), out["distance_km"].size
        )
        return out
