"""Scale benchmarks of issue 12: measured vs target, with ratios.

    python benchmarks/bench_scale.py [--only run,gap,sample,client,wafer] [--samples 200]

* ``run``: ``qkdchip run`` in a fresh process with empty caches (JAX's compilation cache and
  the key-rate cache; target < 15 s), then a second process with the caches it left (target
  < 8 s), the same with the key-rate cache off, and another design (other dark counts: every
  key rate new) with both caches; each into a new folder;
* ``gap``: a 6-point ring-gap sweep (2.2-3.2 um) in a warm process (target < 8 s);
* ``sample``: a ``--samples``-point, 3-parameter Latin-hypercube sweep (server.ring.gap_um,
  link.upstream_a_km, link.misalignment) serially and with ``--workers 2`` (target >= 1.7x);
* ``client``: the client chip at 10,000 wavelengths per call (target < 10 ms) and a 1,000-set
  batch (target < 5 s), from ``bench_sparams.py``: the simplified netlist (the default), then
  the netlist as it is (``simplify=False``), their ratios and the element counts of both;
* ``wafer``: ``qkdchip wafer --wafers 100`` (2,000 dies) in a fresh process (target < 30 s).

Every command runs as the user would run it (a subprocess of the installed ``qkdchip``), so
the figures include start-up and imports. On a shared machine they are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QKDCHIP = str(Path(sys.executable).with_name("qkdchip"))


#: CPU seconds (user + system) of the last _cli command and its child processes (workers, the
#: second process of ``run``): on a shared machine the wall time is an upper bound, the CPU
#: time tells how much work was done
LAST_CPU_S = [0.0]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cli(args: list[str], env: dict[str, str]) -> float:
    c0 = _children_cpu()
    t0 = time.perf_counter()
    res = subprocess.run([QKDCHIP, *args], env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    LAST_CPU_S[0] = _children_cpu() - c0
    if res.returncode != 0:
        raise RuntimeError(f"qkdchip {' '.join(args)} failed:\n{res.stderr[-2000:]}")
    return dt


def _row(
    name: str, measured: float, target: str, unit: str = "s", cpu: float | None = None
) -> None:
    extra = "" if cpu is None else f"  (CPU {cpu:.1f} s)"
    print(f"  {name:<52s} {measured:10.3f} {unit:<4s} target {target}{extra}")


def bench_run(tmp: Path, env: dict[str, str]) -> None:
    env = {**env, "QKDCHIP_KEYRATE_CACHE_DIR": str(tmp / "keyrates")}
    first = _cli(["run", "--out", str(tmp / "run1")], env)
    cpu1 = LAST_CPU_S[0]
    second = _cli(["run", "--out", str(tmp / "run2")], env)
    cpu2 = LAST_CPU_S[0]
    # compile cache warm, key-rate cache off: every key rate computed again
    third = _cli(["run", "--out", str(tmp / "run3")], {**env, "QKDCHIP_KEYRATE_CACHE_DIR": "off"})
    cpu3 = LAST_CPU_S[0]
    # another design: other dark counts, so every key-rate row (and cache key) is new
    changed = ["--set", "link.detector_dark_count_prob=2e-8"]
    fourth = _cli(["run", "--out", str(tmp / "run4"), *changed], env)
    _row("qkdchip run, fresh process, empty caches", first, "< 15 s", cpu=cpu1)
    _row("qkdchip run, second process, same design", second, "< 8 s", cpu=cpu2)
    _row("  the same, key-rate cache off (compile cache only)", third, "", cpu=cpu3)
    _row("  another design (dark counts 2e-8): key rates new", fourth, "", cpu=LAST_CPU_S[0])
    print(f"  ratio first / second: {first / second:.2f}x")


def bench_gap() -> None:
    from qkdchip import sweeps
    from qkdchip.design import validate

    sweeps.run([validate({"network.pulses": 0})])  # warm: circuits compiled, default comb
    gaps = [2.2, 2.4, 2.6, 2.8, 3.0, 3.2]
    t0 = time.perf_counter()
    res = sweeps.run([validate({"server.ring.gap_um": g}) for g in gaps])
    dt = time.perf_counter() - t0
    _row("6-point ring-gap sweep, warm process", dt, "< 8 s")
    print("  status:", [r.status for r in res])


def bench_sample(tmp: Path, env: dict[str, str], samples: int) -> None:
    args = [
        "sweep",
        "--sample",
        "server.ring.gap_um=2.3:2.9",
        "--sample",
        "link.upstream_a_km=150:200",
        "--sample",
        "link.misalignment=0.01:0.05",
        "--samples",
        str(samples),
        "--json",
    ]
    serial = _cli([*args, "--out", str(tmp / "s1")], env)
    cpu_serial = LAST_CPU_S[0]
    workers = _cli([*args, "--out", str(tmp / "s2"), "--workers", "2"], env)
    same = (tmp / "s1" / "sweep.nc").read_bytes() == (tmp / "s2" / "sweep.nc").read_bytes()
    _row(f"{samples}-point 3-parameter LHS sweep, serial", serial, "", cpu=cpu_serial)
    _row(f"{samples}-point 3-parameter LHS sweep, --workers 2", workers, "", cpu=LAST_CPU_S[0])
    print(
        f"  speed-up serial / workers: {serial / workers:.2f}x (target >= 1.7x); same bytes: {same}"
    )


def bench_client() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_sparams import bench_client as run_client

    from qkdchip.sims import client

    res = run_client(10_000, 1_000, 5)
    for k, v in res.items():
        print(f"  client: {k:<44s} {v:10.3f}")
    ref = run_client(10_000, 1_000, 5, simplify=False)
    for k, v in ref.items():
        print(f"  client, unsimplified: {k:<30s} {v:10.3f}")
    for k in res:
        print(f"  client: ratio unsimplified / simplified, {k:<24s} {ref[k] / res[k]:8.2f}x")
    counts = client.client_circuit().circuit.counts
    for when in ("before", "after"):
        c = counts[when]
        print(
            f"  client: elements {when} simplification: {c['instances']} instances, {c['nets']} nets"
        )


def bench_wafer(env: dict[str, str]) -> None:
    dt = _cli(["wafer", "--wafers", "100", "--json"], env)
    _row("qkdchip wafer --wafers 100 (2,000 dies), fresh process", dt, "< 30 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="run,gap,sample,client,wafer")
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args()
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cache = tmp / "jax-cache"
        # the key-rate cache off everywhere but in the ``run`` rows (a sweep must not reuse
        # the rates of the run before it)
        os.environ["QKDCHIP_KEYRATE_CACHE_DIR"] = "off"
        env = {**os.environ, "QKDCHIP_JAX_CACHE_DIR": str(cache)}
        print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
        if "run" in only:
            bench_run(tmp, env)
        if "gap" in only:
            bench_gap()
        if "sample" in only:
            bench_sample(tmp, env, args.samples)
        if "client" in only:
            bench_client()
        if "wafer" in only:
            bench_wafer(env)
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
