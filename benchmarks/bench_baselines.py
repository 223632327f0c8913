"""Benchmark of the decoy BB84 / MDI-QKD baselines (prints figures; asserts nothing).

Optimised curves at 121 distances (0-600 km): time of the batched optimiser
(``key_rate(..., optimize=True)``, all distances in lock-step) against a loop of
``scipy.optimize.minimize`` (Nelder-Mead, one distance at a time, over the same two intensities
``mu``, ``nu`` in the same boxes, from the default parameters), with the speed-up ratio and the
ratio of the rates found; then the finite-key optimisation (5 variables) of the batched
optimiser alone, and the whole ``keyrate --compare`` computation.

Usage::

    .venv/bin/python benchmarks/bench_baselines.py
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
from scipy.optimize import minimize

from qkdchip.sims.keyrate import (
    BB84Params,
    Channel,
    Detector,
    MDIParams,
    bb84_rate,
    key_rate,
    mdi_rate,
)
from qkdchip.sims.keyrate.baselines import BOUNDS

DET = Detector(0.6, 1e-8)
D = np.linspace(0.0, 600.0, 121)
CH = Channel.symmetric(D, misalignment=0.015)


def _loop(protocol: str) -> tuple[float, np.ndarray]:
    eta_a = CH.eta_a * DET.eta_det
    cls, fn = (BB84Params, bb84_rate) if protocol == "bb84-decoy" else (MDIParams, mdi_rate)
    start = cls()
    out = np.zeros(D.size)
    t0 = time.perf_counter()
    for i in range(D.size):

        def f(x: np.ndarray, i: int = i) -> float:
            nu = float(np.clip(np.exp(x[0]), *BOUNDS["nu"]))
            mu = nu + float(np.clip(np.exp(x[1]), *BOUNDS["dmu"]))
            p = cls(mu=mu, nu=nu)
            if protocol == "bb84-decoy":
                r = fn(CH.eta[i] * DET.eta_det, 0.015, 1e-8, p)
            else:
                r = fn(eta_a[i], eta_a[i], 0.015, 1e-8, p)
            return -float(r["rate"])

        x0 = np.log([start.nu, start.mu - start.nu])
        res = minimize(f, x0, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-14})
        out[i] = -res.fun
    return time.perf_counter() - t0, out


def main() -> None:
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared: upper bounds)"
    )
    for protocol in ("bb84-decoy", "mdi"):
        t0 = time.perf_counter()
        res = key_rate(protocol, CH, DET, optimize=True)
        dt_batch = time.perf_counter() - t0
        dt_loop, loop_rate = _loop(protocol)
        both = (res.rate_per_pulse > 0) & (loop_rate > 0)
        ratio = res.rate_per_pulse[both] / loop_rate[both]
        print(
            f"{protocol:11s} asymptotic, 121 distances: batched {dt_batch:6.2f} s, "
            f"scipy loop {dt_loop:6.2f} s, speed-up {dt_loop / dt_batch:5.1f}x; "
            f"rate batched/loop median {np.median(ratio):.4f}, min {np.min(ratio):.4f}; "
            f"reach {D[res.rate_per_pulse > 0].max():.0f} km (loop {D[loop_rate > 0].max():.0f})"
        )
        t0 = time.perf_counter()
        fin = key_rate(protocol, CH, DET, optimize=True, pulses=1e13)
        print(
            f"{protocol:11s} finite key N=1e13, 121 distances: batched {time.perf_counter() - t0:6.2f}"
            f" s, reach {D[fin.rate_per_pulse > 0].max():.0f} km"
        )


if __name__ == "__main__":
    main()
