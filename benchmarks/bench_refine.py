"""Benchmark of the local key-rate search (``key_rate(..., search="local")``) against the global
one, on the key-rate problems of ``qkdchip run`` (prints figures; asserts nothing).

The reference design's network is evaluated (global search, as always), then each of the three
studies ``run`` builds on it is solved twice, on the same rows: globally (the start pool,
several starts, continuation in the number of pulses) and refined locally from the network's
own optimised channels (``keyrates.solve`` with warm starts; the global search only where the
local one finds no key):

* the 256-sample uncertainty study (``uncertainty.propagate``, one row per sample);
* the model-assumption variants (``reference.sensitivity_variants``, one row per channel);
* the rate-vs-distance curves (every channel x 0-600 km in 20 km steps).

For each: the time of both searches, the number of rows without key in each, and the relative
difference of the rates (local / global - 1) where the global search has key: smallest,
median, largest.

Usage::

    .venv/bin/python benchmarks/bench_refine.py
"""

from __future__ import annotations

import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _compare(name: str, t_glob: float, t_loc: float, glob: np.ndarray, loc: np.ndarray) -> None:
    glob, loc = np.asarray(glob, dtype=float).ravel(), np.asarray(loc, dtype=float).ravel()
    keyed = glob > 0.0
    rel = loc[keyed] / glob[keyed] - 1.0
    print(
        f"  {name:<34s} rows {glob.size:4d}  global {t_glob:6.2f} s  local {t_loc:6.2f} s "
        f"({t_glob / t_loc:4.1f}x)  no key: global {np.sum(~keyed)}, local {np.sum(loc <= 0)}"
    )
    if rel.size:
        print(
            f"  {'':<34s} local/global - 1: min {rel.min():+.2e}  median {np.median(rel):+.2e}"
            f"  max {rel.max():+.2e}"
        )


def main() -> None:
    from qkdchip.commands.network import CURVE_KM
    from qkdchip.design import Design
    from qkdchip.report.pipeline import REPORT_SAMPLES
    from qkdchip.report.reference import sensitivity_variants
    from qkdchip.sims.network import model
    from qkdchip.sims.network.curves import CurvesRequest
    from qkdchip.sims.network.keyrates import solve, warm_of
    from qkdchip.sims.network.uncertainty import propagate, uncertain_of

    print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    design = Design()
    network = model.evaluate([model.prepare(design)])[0]
    warm = warm_of(network)
    print(f"reference network: {len(warm)} keyed channels (the warm starts)")

    unc = uncertain_of(design)
    t0 = time.perf_counter()
    glob = propagate(network, unc, REPORT_SAMPLES, refine=False)
    t1 = time.perf_counter()
    loc = propagate(network, unc, REPORT_SAMPLES)
    t2 = time.perf_counter()
    _compare(
        f"uncertainty ({REPORT_SAMPLES} samples): ratio", t1 - t0, t2 - t1, glob.ratio, loc.ratio
    )

    preps = [model.prepare(Design({**design.overrides, **ov})) for _, ov in sensitivity_variants()]
    t0 = time.perf_counter()
    glob_r = model.evaluate(preps)
    t1 = time.perf_counter()
    loc_r = model.evaluate(preps, warm=warm)
    t2 = time.perf_counter()
    rates = [[c.rate_per_pulse for c in r.channels] for r in (*glob_r, *loc_r)]
    n = len(preps)
    _compare("model assumptions (variants)", t1 - t0, t2 - t1, rates[:n], rates[n:])

    req = CurvesRequest.of(network, CURVE_KM)
    assert req.call is not None
    protocol, rows, finite, warm_c = req.call
    t0 = time.perf_counter()
    glob_c = solve(protocol, rows, finite)
    t1 = time.perf_counter()
    loc_c = solve(protocol, rows, finite, warm_c)
    t2 = time.perf_counter()
    _compare(
        "rate vs distance (channels x km)",
        t1 - t0,
        t2 - t1,
        glob_c.rate_per_pulse,
        loc_c.rate_per_pulse,
    )


if __name__ == "__main__":
    main()
