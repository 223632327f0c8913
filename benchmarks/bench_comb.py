"""Benchmark of the LLE comb solver: steps per second and time to the steady dark pulse.

    python benchmarks/bench_comb.py            # steps/s at 256 and 1024 modes + default comb
    python benchmarks/bench_comb.py --map      # also the pump-power x detuning state map
    python benchmarks/bench_comb.py --existence-map  # time comb --map's vectorised map
    python benchmarks/bench_comb.py --batch 8  # also a vectorised batch of 8 runs

Figures are printed, never asserted (timings depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np

from qkdchip.sims.physics.comb import simulate_comb
from qkdchip.sims.physics.lle import LLEConfig, LLESolver
from qkdchip.sims.physics.ring import RingParams


def steps_per_second(n_modes: int, batch: int = 0, n_steps: int = 4000, repeat: int = 3) -> float:
    """Fixed-step propagation of the reference dark-pulse problem (noise on), best of repeats."""
    ring = RingParams()
    cfg = LLEConfig(d2=ring.d2, n_modes=n_modes, mode_shifts={0: -0.75}, noise=1e-6, seed=0)
    sol = LLESolver(cfg)
    shape = (batch,) if batch else ()
    a0 = sol.initial(shape)
    f = np.full(shape, 2.0) if batch else 2.0
    dt = 0.0125
    sol.propagate(a0, f, 5.0, 50 * dt, dt=dt)  # warm-up
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        sol.propagate(a0, f, 5.0, n_steps * dt, dt=dt)
        best = min(best, time.perf_counter() - t0)
    return n_steps * max(batch, 1) / best


def default_comb(seed: int = 0) -> None:
    t0 = time.perf_counter()
    comb = simulate_comb(seed=seed)
    wall = time.perf_counter() - t0
    r = comb.lle
    ring = comb.ring
    print(
        f"default comb (seed {seed}): {comb.state} x{comb.n_pulses}, converged={comb.converged}, "
        f"{comb.n_lines_within(30.0)} lines within 30 dB; wall {wall:.2f} s for "
        f"tau = {r.tau:.0f} (2/kappa units) in {r.n_steps} steps of {r.dt_last:.4f} "
        f"({r.n_steps / r.wall_s:,.0f} steps/s); simulated time {r.tau * 2 / ring.kappa * 1e6:.1f} us"
    )
    p = comb.power_dbm
    sel = comb.within_db(30.0)
    print(
        f"  P_th {ring.threshold_power_w * 1e3:.2f} mW, P_in {comb.pump_power_w * 1e3:.0f} mW "
        f"(f^2 {comb.f2:.2f}), zeta0 {comb.detuning_zeta} ({comb.detuning_hz / 1e6:.1f} MHz), "
        f"d2 {comb.d2:.4f}, FSR {comb.fsr_hz / 1e9:.3f} GHz, Q_L {ring.q_loaded:.3g}"
    )
    side = sel & (comb.k != 0)
    print(
        f"  pump line {comb.line(0).power_dbm:+.2f} dBm; comb lines {p[side].min():+.2f} .. "
        f"{p[side].max():+.2f} dBm; conversion {comb.conversion_efficiency:.1%}; "
        f"line linewidth {comb.line_linewidth_hz:.1f} Hz"
    )


def state_map(powers_mw: list[float], zetas: list[float], shift: float) -> None:
    ring = RingParams()
    print(f"state map (shift {shift} kappa): state/lines within 30 dB")
    print("  P_in   " + " ".join(f"{z:>7.2f}" for z in zetas))
    for p in powers_mw:
        row = []
        for z in zetas:
            c = simulate_comb(ring, p * 1e-3, z, mode_shift_kappa=shift, n_modes=64, max_settle=800)
            tag = {"dark_pulse": "D", "cw": "cw", "chaos": "ch", "turing": "T", "soliton": "S"}[
                c.state
            ]
            row.append(f"{tag}{c.n_lines_within(30.0) if c.state != 'cw' else '':>3}".rjust(7))
        print(f"  {p:4.0f}mW " + " ".join(row))


def existence_map_timing() -> None:
    """The vectorised existence map (``qkdchip comb --map``) against the same grid run one
    simulate_comb at a time (estimated from one run at 64 modes)."""
    from qkdchip.sims import devices
    from qkdchip.sims.physics.comb import existence_map

    ring = devices.ring_params()
    t0 = time.perf_counter()
    m = existence_map(ring, 0.05, 4.0, 0.75)
    batch = time.perf_counter() - t0
    n = m.n_lines.size
    t0 = time.perf_counter()
    simulate_comb(ring, 0.05, 4.0, mode_shift_kappa=0.75, n_modes=64, scan_rate=0.1)
    one = time.perf_counter() - t0
    r = m.margins()
    print(
        f"existence map: {n} runs in {batch:.1f} s (batch); one run {one:.2f} s -> serial ~"
        f"{one * n:.0f} s ({one * n / batch:.1f}x); dark pulse {r['pump_mw']} mW, "
        f"zeta_0 {r['zeta0']}; margins {r['margin_db']} dB, {r['margin_zeta0']}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--map", action="store_true", help="print the P_in x zeta_0 state map")
    ap.add_argument("--batch", type=int, default=0, help="also time a batch of this many runs")
    ap.add_argument(
        "--existence-map", action="store_true", help="time the vectorised existence map"
    )
    args = ap.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}"
    )
    for n in (256, 1024):
        print(f"LLE steps/s at {n:5d} modes: {steps_per_second(n):,.0f}")
    if args.batch:
        for n in (256, 1024):
            sps = steps_per_second(n, batch=args.batch, n_steps=1000)
            print(f"LLE run-steps/s at {n:5d} modes, batch {args.batch}: {sps:,.0f}")
    default_comb()
    if args.map:
        state_map([30, 40, 50, 60], [3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5], 0.75)
    if args.existence_map:
        existence_map_timing()


if __name__ == "__main__":
    main()
