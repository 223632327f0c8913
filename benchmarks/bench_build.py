"""Wall time of a full mask build (4 GDS + DRC + previews + manifest), cold and warm.

cold: a fresh Python process (imports, PDK set-up, every cell built, written, checked, rendered);
warm: the same build again in one process (cells cached by gdsfactory: writing, DRC, previews),
and a warm build of a *changed* design (new ring gap and PM length: the changed cells rebuilt).

    python benchmarks/bench_build.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cold(out: Path) -> float:
    code = "import sys; from qkdchip.build import build; build(sys.argv[1])"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(out)], check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        colds = [cold(tmp / f"cold{i}") for i in range(args.repeat)]
        from qkdchip import design
        from qkdchip.build import build

        t0 = time.perf_counter()
        first = build(tmp / "w0")
        t_first = time.perf_counter() - t0
        warms = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            r = build(tmp / f"w{i + 1}")
            warms.append(time.perf_counter() - t0)
        changed = design.load(None, ["server.ring.gap_um=2.5", "client.pm.length_um=1000"])
        t0 = time.perf_counter()
        build(tmp / "changed", changed)
        t_changed = time.perf_counter() - t0
    print(
        f"full build, cold process     : median {statistics.median(colds):6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in colds)})"
    )
    print(f"first build in this process  : {t_first:6.2f} s (imports done)")
    print(f"full build, warm (cached)    : median {statistics.median(warms):6.2f} s")
    print(f"changed design, warm process : {t_changed:6.2f} s")
    print("step times of the last warm build (s):")
    for k, v in r.timings_s.items():
        print(f"  {k:<24} {v:7.3f}")
    print(f"DRC violations: {first.drc_violations}")


if __name__ == "__main__":
    main()
