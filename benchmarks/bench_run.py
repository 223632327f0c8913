"""Where the time of ``qkdchip run`` goes (default design), and the cost of network sweeps.

    python benchmarks/bench_run.py

Prints: the wall time of the imports and of a cold run (fresh process: every circuit compiled),
its per-step breakdown (``timings.json``), a warm rerun into the same folder (masks reused,
compiled circuits and cached comb/wafer in memory), and sweeps of a system parameter and a ring
parameter through the whole chain.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def main() -> None:
    t0 = time.perf_counter()
    from qkdchip.design import Design, validate
    from qkdchip.report import run
    from qkdchip.sims.network.model import evaluate, prepare

    t_import = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        t0 = time.perf_counter()
        cold = run(out, Design())
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = run(out, Design())
        t_warm = time.perf_counter() - t0
    print(f"imports: {t_import:.1f} s")
    print(f"cold run: {t_cold:.1f} s (job total {cold.timings_s['total']:.1f} s)")
    for k, v in cold.timings_s.items():
        if k != "total":
            print(f"  {k:<55s} {v:6.1f} s")
    print(f"warm rerun (same folder, same process): {t_warm:.1f} s")
    for k, v in warm.timings_s.items():
        if k != "total":
            print(f"  {k:<55s} {v:6.1f} s")

    for name, values in (
        ("link.fibre_loss_db_per_km", [0.16, 0.17, 0.18, 0.19, 0.2]),
        ("server.ring.gap_um", [2.3, 2.4, 2.6, 2.8, 3.0]),
    ):
        t0 = time.perf_counter()
        preps = [prepare(validate({name: v})) for v in values]
        t_prep = time.perf_counter() - t0
        res = evaluate(preps)
        t_all = time.perf_counter() - t0
        keys = [r.metrics()["key_channels"] for r in res]
        print(
            f"sweep {name} ({len(values)} points): devices {t_prep:.1f} s, total {t_all:.1f} s, "
            f"channels with key {keys}"
        )


if __name__ == "__main__":
    main()
