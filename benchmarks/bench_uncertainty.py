"""Benchmark of the network under uncertainty (prints figures; asserts nothing).

1. ``qkdchip network --uncertainty SAMPLES --json`` at 370 km as the user runs it (a fresh
   process: comb, wafer, nominal network, then the propagation): wall time, and the time of
   each stage of the propagation from the JSON; the bands, the sensitivity ranking and the
   consistency with the reference.
2. The approximation of the propagation -- every channel of a sample evaluated at the
   intensities optimised for the sample's median channel -- against optimising every
   (sample, channel) row on its own, on a subset of the samples: the largest and median
   relative shortfall of the rate.
3. The vectorised propagation against a Python loop of full network evaluations (one
   ``evaluate`` per sample, each with its own optimised key-rate call), on a subset, scaled.

Usage::

    .venv/bin/python benchmarks/bench_uncertainty.py                # 2000 samples, 370 km
    .venv/bin/python benchmarks/bench_uncertainty.py --samples 500 --check 20
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def bench_cli(samples: int) -> None:
    print(f"== qkdchip network --uncertainty {samples} --json (370 km, fresh process) ==")
    exe = Path(sys.executable).with_name("qkdchip")
    load0 = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [str(exe), "network", "--uncertainty", str(samples), "--json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    d = json.loads(out.stdout)
    u = d["uncertainty"]
    print(
        f"wall time {wall:.1f} s (target < 60 s on 2 cores); CPU time {cpu:.1f} s "
        f"(user + sys: the wall time on idle cores, the work being mostly single-threaded); "
        f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    for ch in d["channels"]:
        r, q = ch["ratio_to_plob_band"], ch["qber_x_band"]
        print(
            f"  channel {ch['channel']:2d}: nominal ratio {ch['ratio_to_plob']:.2f}; band "
            + (" / ".join(f"{x:.2f}" for x in r) if r else "-")
            + "; X QBER band "
            + (" / ".join(f"{100 * x:.2f} %" for x in q) if q else "-")
            + f"; key in {100 * ch['key_fraction']:.0f} % of samples"
        )
    if u["sensitivity"]:
        ranked = sorted(u["sensitivity"].items(), key=lambda kv: -kv[1])
        print("  sensitivity of the mean ratio (RBD-FAST S1):")
        for k, v in ranked:
            print(f"    {k:28s} {100 * v:5.1f} %")
        print(
            f"    {'(interactions: 1 - sum)':28s} {100 * (1 - sum(u['sensitivity'].values())):5.1f} %"
        )
    c = u["consistent_with_reference"]
    print(
        f"  consistent with the reference: {100 * c['fraction']:.1f} % "
        f"({c['samples']}/{u['samples']} samples)"
    )
    if c["parameter_ranges"]:
        print(f"    {'parameter':28s} {'range among them':>24s} {'median':>10s} {'(all)':>10s}")
    for k, rng in (c["parameter_ranges"] or {}).items():
        print(
            f"    {k:28s} {rng[0]:11.4g} .. {rng[1]:<11.4g} {c['parameter_medians'][k]:10.4g} "
            f"{c['parameter_medians_all_samples'][k]:10.4g}"
        )


def bench_approximation(samples: int, check: int) -> None:
    from qkdchip.base.design import Design
    from qkdchip.sims.network.keyrates import Rows, solve
    from qkdchip.sims.network.model import simulate_network
    from qkdchip.sims.network.uncertainty import (
        UncertainSettings,
        _add,
        _base_visibility,
        propagate,
    )

    print(f"\n== shared intensities vs every channel optimised ({check} samples x channels) ==")
    result = simulate_network(Design())
    unc = propagate(result, UncertainSettings(), samples)
    print(f"propagation of {samples} samples in this process (comb and wafer cached):")
    for k, v in unc.timings_s.items():
        print(f"  {k:55s} {v:7.2f} s")
    x = unc.samples
    link, net = result.link, result.net
    if check <= 0:
        return
    v_base = _base_visibility(result)
    pick = np.linspace(0, samples - 1, check).astype(int)
    rows = Rows()
    keys = []
    for s in pick:
        for j in range(len(result.channels)):
            if not np.isfinite(unc.phase_rms_rad[s, j]):
                continue
            _add(
                rows, link, net, x, int(s), sigma=float(unc.phase_rms_rad[s, j]),
                e_d=0.5 * (1.0 - v_base[j] * (1.0 - 2.0 * x["misalignment"][s])),
                er=float(unc.extinction_ratio_db[s, j]), extra_pd=0.0,
            )  # fmt: skip
            keys.append((s, j))
    t0 = time.perf_counter()
    own = np.asarray(solve(net.protocol, rows, net.finite_pulses is not None).rate_per_pulse)
    dt = time.perf_counter() - t0
    eta = 10 ** (-x["fibre_loss_db_per_km"] * link.distance_km / 10)
    bound = -np.log2(1 - eta)
    shared = np.array([unc.ratio[s, j] * bound[s] for s, j in keys])
    short = np.where(own > 0, 1 - shared / np.where(own > 0, own, 1), 0.0)
    print(
        f"rows {len(keys)}: relative shortfall of the shared intensities max "
        f"{100 * short.max():.3f} %, median {100 * np.median(short):.4f} %, "
        f"min {100 * short.min():.4f} % (negative: the shared point is better)"
    )
    print(f"(every row optimised on its own: {dt:.1f} s for {len(keys)} rows)")

    print("\n== vectorised propagation vs a loop of full network evaluations ==")
    from qkdchip.sims.network.keyrates import evaluate
    from qkdchip.sims.network.prepare import prepare

    prep = prepare(result.design)
    m = max(3, check // 4)
    t0 = time.perf_counter()
    for s in range(m):
        lk = dataclasses.replace(
            prep.link,
            fibre_loss_db_per_km=float(x["fibre_loss_db_per_km"][s]),
            detector_eta=float(x["detector_eta"][s]),
            misalignment=float(x["misalignment"][s]),
        )
        evaluate([dataclasses.replace(prep, link=lk)])
    per = (time.perf_counter() - t0) / m
    t0 = time.perf_counter()
    propagate(result, UncertainSettings(), samples)
    vec = time.perf_counter() - t0
    print(
        f"loop: {per:.2f} s per sample (x {samples} = {per * samples:.0f} s, scaled from {m}); "
        f"vectorised: {vec:.1f} s for {samples}; ratio {per * samples / vec:.1f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--check", type=int, default=20, help="samples of the approximation check")
    a = ap.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, "
        f"Python {platform.python_version()}; timings under load are upper bounds"
    )
    bench_cli(a.samples)
    bench_approximation(a.samples, a.check)


if __name__ == "__main__":
    main()
