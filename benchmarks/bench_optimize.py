"""Design optimisation benchmarks (issue 17): measured figures and ratios.

    python benchmarks/bench_optimize.py [--only reach,dask,robust] [--trials 20] [--out DIR]
        [--robust-k 4] [--fresh 12]

* ``reach``: from the default design, ``qkdchip optimize`` of three layout parameters (ring gap,
  pump coupling air gap, PM and VOA lengths) and one system parameter (pump power) for
  ``reach_km``; prints default vs best, then ``network --design best.yml --reach`` (relative
  difference to the reported best) and ``build --design best.yml`` (DRC violations);
* ``dask``: the same optimisation (``min_ratio``, a cheaper objective) with ``--batch 2``
  serially and with ``--workers 2`` (same trials: the speed-up is the ratio of the wall times),
  and the Dask run's best re-evaluated from its best.yml by ``network``;
* ``robust``: a nominal and a ``--robust K --quantile 0.1`` optimisation of the ring gap and
  the modulator lengths for ``min_ratio``; both optima evaluated (in this process, one
  vectorised call each) on fresh wafer draws (``network.seed`` offsets 1000+, never used by the
  optimisation): mean, 10th percentile and minimum.

Every command runs as a user would run it (a subprocess of the installed ``qkdchip``), so the
figures include start-up and imports. On a shared machine they are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QKDCHIP = str(Path(sys.executable).with_name("qkdchip"))

REACH_VARY = [
    "server.ring.gap_um=2.2:2.8",
    "server.pump.air_gap_um=0.5:2.0",
    "client.pm.length_um=600:1200",
    "client.voa.length_um=200:600",
    "comb.pump_power_w=0.03:0.1",
]
#: the defect-density yield model: a longer modulator is a less likely working one
ROBUST_SET = ["--set", "network.wafer_yield_model=area"]
ROBUST_VARY = [
    "server.ring.gap_um=2.2:2.8",
    "client.im.length_um=400:1500",
    "client.voa.length_um=200:600",
]


def _cli(args: list[str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    res = subprocess.run([QKDCHIP, *args], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"qkdchip {' '.join(args)} failed:\n{res.stderr[-2000:]}")
    try:
        return dt, json.loads(res.stdout)
    except ValueError:
        return dt, {}


def _vary(items: list[str]) -> list[str]:
    return [a for v in items for a in ("--vary", v)]


def bench_reach(tmp: Path, trials: int) -> None:
    out = tmp / "reach"
    dt, r = _cli(
        ["optimize", *_vary(REACH_VARY), "--objective", "reach_km", "--trials", str(trials),
         "--seed", "0", "--out", str(out), "--json"]
    )  # fmt: skip
    print(f"reach_km: {trials} trials in {dt:.1f} s ({r['failed_trials']} failed)")
    print(f"  default reach_km {r['default_value']:.4f} km, best {r['best_value']:.4f} km "
          f"(+{r['best_value'] - r['default_value']:.4f} km, x{r['best_value'] / r['default_value']:.4f}) "
          f"at {r['best_parameters']}")  # fmt: skip
    _, net = _cli(["network", "--design", str(out / "best.yml"), "--reach", "--json"])
    rel = abs(net["reach_km"] - r["best_value"]) / r["best_value"]
    print(f"  network --design best.yml --reach: {net['reach_km']:.6f} km, relative {rel:.2e}")
    res = subprocess.run(
        [QKDCHIP, "build", "--design", str(out / "best.yml"), "--out", str(tmp / "gds"),
         "--no-previews", "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    man = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    drc = [f.get("drc_violations") for f in man.get("files", []) if "drc_violations" in f]
    print(f"  build --design best.yml: exit {res.returncode}, DRC violations per file {drc}")


def bench_dask(tmp: Path, trials: int) -> None:
    common = [*_vary(REACH_VARY), "--objective", "min_ratio", "--trials", str(trials),
              "--seed", "3", "--batch", "2", "--json"]  # fmt: skip
    t_serial, a = _cli(["optimize", *common, "--out", str(tmp / "serial")])
    t_dask, b = _cli(["optimize", *common, "--workers", "2", "--out", str(tmp / "dask")])
    same = [x["values"] for x in a["trials"]] == [x["values"] for x in b["trials"]]
    print(f"min_ratio, {trials} trials, batch 2: serial {t_serial:.1f} s, --workers 2 "
          f"{t_dask:.1f} s, speed-up {t_serial / t_dask:.2f}x; identical trials: {same}")  # fmt: skip
    _, net = _cli(["network", "--design", str(tmp / "dask" / "best.yml"), "--json"])
    got = net["summary"]["ratio_to_plob_min"]
    print(f"  Dask best {b['best_value']!r}, network --design best.yml {got!r}, "
          f"relative {abs(got - b['best_value']) / b['best_value']:.2e}")  # fmt: skip


def bench_robust(tmp: Path, trials: int, k: int = 4, fresh: int = 12) -> None:
    common = [*_vary(ROBUST_VARY), *ROBUST_SET, "--objective", "min_ratio", "--trials", str(trials),
              "--seed", "5", "--json"]  # fmt: skip
    t_nom, nom = _cli(["optimize", *common])
    t_rob, rob = _cli(["optimize", *common, "--robust", str(k), "--quantile", "0.1"])
    print(f"robust: nominal {t_nom:.1f} s, --robust {k} {t_rob:.1f} s")
    import numpy as np

    from qkdchip import optimize as opt
    from qkdchip.sims.network.montecarlo import wafer_design
    from qkdchip.sweeps import evaluate_designs

    spec = opt.Spec(bounds=(), objectives=("min_ratio",), fixed=tuple(ROBUST_SET[1::2]))
    for name, r in (("nominal", nom), ("robust", rob)):
        design = opt.make_design(spec, r["best_parameters"])
        fresh_designs = [wafer_design(design, w) for w in range(1000, 1000 + fresh)]
        res = evaluate_designs(fresh_designs)
        v = np.array([x.metrics["min_ratio"] if x.ok else 0.0 for x in res])
        print(f"  {name} optimum {r['best_parameters']} (its objective {r['best_value']:.4f}): "
              f"on {fresh} fresh wafers (seeds 1000-{999 + fresh}) min_ratio mean {v.mean():.4f}, "
              f"10th pct {np.quantile(v, 0.1):.4f}, min {v.min():.4f}, failed "
              f"{sum(not x.ok for x in res)}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="reach,dask,robust")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--robust-k", type=int, default=4, help="wafer draws per robust trial")
    ap.add_argument("--fresh", type=int, default=12, help="fresh wafers of the comparison")
    a = ap.parse_args()
    tmp = a.out or Path(tempfile.mkdtemp(prefix="bench_optimize_"))
    only = a.only.split(",")
    if "reach" in only:
        bench_reach(tmp, a.trials)
    if "dask" in only:
        bench_dask(tmp, max(4, a.trials // 2))
    if "robust" in only:
        bench_robust(tmp, a.trials, a.robust_k, a.fresh)


if __name__ == "__main__":
    main()
