"""Wafer-yield Monte Carlo: many simulated wafers of client dies, and the network each one gives.

Wafer ``w`` of a run with seed ``S`` is the design's wafer with ``network.seed = S + w`` (mod
2^32; wafer 0 of seed S is the wafer ``qkdchip run --seed S`` mounts). On every wafer:

* the first ``network.clients`` dies as drawn (:func:`~.wafer.draw_die`, before any screening:
  an unbiased sample of dies) give the per-element and per-chip yields and the number of
  working modulators among them (20 dies x 6 = 120 for the reference network);
* the network built from that wafer (the same chain as ``qkdchip network``: dies screened as
  ``network.wafer_screen`` says, locking, key rates at the design's distance, 370 km by
  default) gives the number of channels above PLOB.

Process variation (MMI split, SSC coupling, deep-ridge loss, laser detuning) and the yield model
are the network's ``network.wafer_*`` settings (one home: :mod:`.settings`, :mod:`.wafer`).
:func:`wafer_records` evaluates a list of wafers (one task: the key rates of all its wafers are
one vectorised call); :func:`summarise` turns the records into yields with 95 % intervals
(Clopper-Pearson, ``scipy.stats.binomtest``) and the distribution of working modulators.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from qkdchip.base.design import Design

from .settings import NetworkSettings
from .wafer import ELEMENTS, draw_die, electrode_areas_um2, element_yields

__all__ = ["PUBLISHED_WORKING", "summarise", "wafer_design", "wafer_records"]

#: the reference network's working modulators: 117 of 120 (20 dies x 6)
PUBLISHED_WORKING = (117, 120)
#: percentiles reported of the working-modulator distribution
PERCENTILES = (2.5, 5, 25, 50, 75, 95, 97.5)


def wafer_design(design: Design, wafer: int) -> Design:
    """``design`` with the seed of wafer ``wafer`` (``network.seed`` + wafer, mod 2^32)."""
    seed = int(design.overrides.get("network.seed", 0))
    return Design(dict(design.overrides, **{"network.seed": (seed + int(wafer)) % 2**32}))


def wafer_records(design: Design, wafers: Sequence[int]) -> list[dict[str, Any]]:
    """One record per wafer (see the module docstring): dies, working elements, the network's
    channels above PLOB. Raises ValueError for a design that cannot be evaluated."""
    from .inputs import settings_of
    from .keyrates import evaluate
    from .prepare import prepare

    designs = [wafer_design(design, w) for w in wafers]
    _, net0 = settings_of(designs[0])
    areas = (
        electrode_areas_um2(**design.kwargs("client")) if net0.wafer_yield_model == "area" else None
    )
    records = []
    for w, d in zip(wafers, designs, strict=True):
        _, net = settings_of(d)
        yields = element_yields(net, areas)
        dies = [draw_die(net, i, yields) for i in range(net.clients)]
        ok = np.array([[e not in die.failed for e in ELEMENTS] for die in dies])
        records.append(
            {
                "wafer": int(w),
                "seed": int(net.seed),
                "dies": len(dies),
                "element_ok": [int(x) for x in ok.sum(axis=0)],
                "chips_all_ok": int(ok.all(axis=1).sum()),
                "chips_usable": int(sum(not die.fatal for die in dies)),
                "working": int(ok.sum()),
                "modulators": int(ok.size),
            }
        )
    results = evaluate([prepare(d) for d in designs])
    for rec, res in zip(records, results, strict=True):
        rec["channels"] = len(res.channels)
        rec["beating_plob"] = int(sum(c.ratio_to_plob > 1.0 for c in res.channels))
        rec["distance_km"] = float(res.distance_km)
    return records


def _ci(k: int, n: int) -> list[float]:
    from scipy.stats import binomtest

    if n == 0:
        return [0.0, 1.0]
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="exact")
    return [float(ci.low), float(ci.high)]


def summarise(records: Sequence[dict[str, Any]], net: NetworkSettings) -> dict[str, Any]:
    """Yields with 95 % intervals, the working-modulator distribution (and where the published
    117/120 falls in it) and the probability that every channel beats PLOB."""
    recs = sorted(records, key=lambda r: r["wafer"])
    n_w = len(recs)
    dies = sum(r["dies"] for r in recs)
    el_ok = np.sum([r["element_ok"] for r in recs], axis=0)
    working = np.array([r["working"] for r in recs])
    per_wafer = recs[0]["modulators"] if recs else 0
    mod_ok, mod_n = int(working.sum()), int(sum(r["modulators"] for r in recs))
    all_ok = sum(r["chips_all_ok"] for r in recs)
    usable = sum(r["chips_usable"] for r in recs)
    full = sum(r["beating_plob"] == r["channels"] for r in recs)
    k_pub, n_pub = PUBLISHED_WORKING
    out: dict[str, Any] = {
        "wafers": n_w,
        "dies": dies,
        "yield_model": net.wafer_yield_model,
        "modulator_yield": mod_ok / mod_n if mod_n else None,
        "modulator_yield_ci95": _ci(mod_ok, mod_n),
        "element_yield": {
            e: {"yield": float(el_ok[j]) / dies, "ci95": _ci(int(el_ok[j]), dies)}
            for j, e in enumerate(ELEMENTS)
        },
        "chip_yield": all_ok / dies if dies else None,
        "chip_yield_ci95": _ci(all_ok, dies),
        "usable_chip_yield": usable / dies if dies else None,
        "usable_chip_yield_ci95": _ci(usable, dies),
        "working_modulators_of_120": None,
        "p_network_all_channels_beat_plob": full / n_w if n_w else None,
        "p_network_all_channels_beat_plob_ci95": _ci(full, n_w),
        "distance_km": recs[0]["distance_km"] if recs else None,
        "channels": recs[0]["channels"] if recs else None,
    }
    if per_wafer == n_pub and n_w:
        pct = {f"p{p:g}": float(np.percentile(working, p)) for p in PERCENTILES}
        below = float(np.mean(working < k_pub))
        at = float(np.mean(working == k_pub))
        out["working_modulators_of_120"] = {
            **pct,
            "mean": float(working.mean()),
            "min": int(working.min()),
            "max": int(working.max()),
            "published": k_pub,
            # mid-rank percentile of the published count in the simulated distribution
            "published_percentile": 100.0 * (below + 0.5 * at),
            "p_at_most_published": float(np.mean(working <= k_pub)),
        }
    out["histogram_working"] = {
        int(k): int(v) for k, v in zip(*np.unique(working, return_counts=True), strict=True)
    }
    out["settings"] = {
        f.name: getattr(net, f.name)
        for f in dataclasses.fields(net)
        if f.name.startswith("wafer_") or f.name in ("clients", "channels")
    }
    return out
