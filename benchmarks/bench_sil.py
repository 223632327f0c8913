"""Scan of the self-injection-locked (SIL) operating point of the default ring (prints figures;
asserts nothing): can SIL drive the dark pulse, and with which backscatter?

For each backscatter ``beta`` (mode splitting / loaded linewidth), feedback phase ``psi`` (0 ..
2 pi in pi/8 steps: every phase the drawn air gap can give, its period being lambda/2 = 0.775 um
of gap) and free-running laser detuning ``xi`` (-400 .. 100, step 50; -300 = 3.5 GHz blue of the
cold resonance), :func:`qkdchip.sims.physics.sil.self_injection_lock` gives the lock point with
the default ring's kappa, eta, pump (the design's, 50 mW; ``--pump-w``), facet coupling and laser; where it is locked with
``zeta_0`` and the shift inside the LLE's ranges, the LLE (64 modes, the pumped mode's extra
loss included) gives the state. Per ``beta``: the number of locked points on the symmetric (red)
supermode, the dark pulses among them, and the existence map (``comb --map``'s grid at that
shift and extra loss) of each distinct dark-pulse point: the one with the largest pump margin
down (then the most lines) is printed with its margins in dB (None: beyond the map's +-3 dB).

Usage::

    .venv/bin/python benchmarks/bench_sil.py [--pump-w W] [beta ...]   # default: 50 mW; 0.5 1 1.5 2 3
"""

from __future__ import annotations

import math
import sys
import time

from qkdchip.sims import devices, server
from qkdchip.sims.physics.comb import COMB_RANGES, existence_map, simulate_comb
from qkdchip.sims.physics.injection import SlaveLaser
from qkdchip.sims.physics.sil import self_injection_lock

PSI = tuple(j * math.pi / 8 for j in range(16))
XI = tuple(float(x) for x in range(-400, 101, 50))
PUMP_W = devices.CombSettings().pump_power_w  # the design's comb.pump_power_w; --pump-w: another


def main(betas: list[float]) -> None:
    ring = devices.ring_params()
    comp = server._build({})
    tc = server.facet_power_coupling(component=comp)
    f2 = ring.f2(PUMP_W)
    atan_ah = math.atan(SlaveLaser().alpha_h)
    print(
        f"ring: kappa/2pi {ring.kappa / 2 / math.pi / 1e6:.2f} MHz, eta {ring.eta:.3f}, f^2 {f2:.2f}"
    )
    print(f"grid: psi {len(PSI)} x xi {len(XI)}; facet coupling T_c {tc:.3f}")
    print(
        "beta  locked  symmetric  dark_pulse  best (psi, xi, zeta_0, shift, loss, lines)  margin dB"
    )
    for beta in betas:
        t0 = time.perf_counter()
        locked = sym = 0
        dark: list[tuple[int, float, float, object]] = []
        for psi in PSI:
            for xi in XI:
                p = self_injection_lock(ring.kappa, ring.eta, f2, beta, xi, tc, psi - atan_ah)
                if not p.locked:
                    continue
                locked += 1
                sym += p.supermode == "symmetric"
                if not (
                    COMB_RANGES["detuning_zeta"].contains(p.detuning_zeta)
                    and COMB_RANGES["mode_shift_kappa"].contains(p.mode_shift_kappa)
                    and COMB_RANGES["pump_mode_extra_loss"].contains(p.pump_mode_extra_loss)
                ):
                    continue
                c = simulate_comb(
                    ring,
                    pump_power_w=PUMP_W,
                    detuning_zeta=p.detuning_zeta,
                    mode_shift_kappa=p.mode_shift_kappa,
                    pump_mode_extra_loss=p.pump_mode_extra_loss,
                    n_modes=64,
                )
                if c.state == "dark_pulse":
                    dark.append((c.n_lines_within(30.0), psi, xi, p))
        best, margin = "-", "-"
        scored = []
        seen = set()
        for n, psi, xi, p in dark:  # the map of every distinct dark-pulse lock point
            key = (round(p.detuning_zeta, 3), round(p.mode_shift_kappa, 3))
            if key in seen:
                continue
            seen.add(key)
            m = existence_map(
                ring,
                PUMP_W,
                p.detuning_zeta,
                p.mode_shift_kappa,
                pump_mode_extra_loss=p.pump_mode_extra_loss,
            ).margins()
            if m["state_at_point"] != "dark_pulse" or m["margin_db"] is None:
                continue
            down = m["margin_db"]["down"]
            down = 3.0 if down is None else down  # None: beyond the map's -3 dB edge
            scored.append((down, n, psi, xi, p, m["margin_db"]))
        if scored:
            down, n, psi, xi, p, mdb = max(scored, key=lambda x: (x[0], x[1]))
            best = (
                f"({psi:.2f}, {xi:.0f}, {p.detuning_zeta:.2f}, {p.mode_shift_kappa:.2f}, "
                f"{p.pump_mode_extra_loss:.2f}, {n})"
            )
            margin = f"{mdb} ({len(seen)} maps)"
        print(
            f"{beta:4.1f}  {locked:6d}  {sym:9d}  {len(dark):10d}  {best}  {margin}"
            f"  ({time.perf_counter() - t0:.0f} s)"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--pump-w"]:
        PUMP_W = float(args[1])
        args = args[2:]
    main([float(x) for x in args] or [0.5, 1.0, 1.5, 2.0, 3.0])
