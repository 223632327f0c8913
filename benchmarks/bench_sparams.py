"""S-parameter speed of the chip circuits (sax, from the chips' own netlists).

For each chip: netlist extraction + ``sax.circuit`` (compile), jit compile + first call, and the
per-call time at 10,000 wavelengths; then the same sweep on a batch of 1,000 parameter sets
(``jax.vmap`` over model-level parameters: drive voltages of the client chip, ring-coupler /
heater settings of the server chip).

    python benchmarks/bench_sparams.py [--points 10000] [--batch 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def timed(fn, *args, repeat: int = 1):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        _block(out)
        times.append(time.perf_counter() - t0)
    return out, times


def _block(out):
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
    return out


def bench_client(points: int, batch: int, repeat: int, simplify: bool = True) -> dict[str, float]:
    """``simplify``: the netlist simplified before compiling (the default) or as it is."""
    from qkdchip.sims import client

    t0 = time.perf_counter()
    cc = client.client_circuit(simplify=simplify)
    t_circuit = time.perf_counter() - t0
    f = cc.fn()
    wl = np.linspace(1.545, 1.555, points)
    drive = {"im1_v": 0.0, "pm_v": 1.0, "voa_v": 1.0}
    _, t_first = timed(f, wl, drive)
    _, t_calls = timed(f, wl, drive, repeat=repeat)
    fb = cc.batch_fn(25)
    rng = np.random.default_rng(0)
    batch_drive = {
        "im1_v": rng.uniform(-6, 6, batch),
        "pm_v": rng.uniform(-10, 10, batch),
        "voa_v": rng.uniform(0, 4, batch),
    }
    small = {k: v[:25] for k, v in batch_drive.items()}
    _, t_bcompile = timed(fb, wl, small)
    out, t_batch = timed(fb, wl, batch_drive)
    assert np.all(np.isfinite(out))
    del cc
    return {
        "netlist+sax.circuit (s)": t_circuit,
        "jit compile+first call (s)": t_first[0],
        "per call (ms)": 1e3 * statistics.median(t_calls),
        "batch compile (s)": t_bcompile[0],
        f"batch of {batch} (s)": t_batch[0],
        "per parameter set in batch (ms)": 1e3 * t_batch[0] / batch,
    }


def bench_server(points: int, batch: int, repeat: int, simplify: bool = True) -> dict[str, float]:
    """``simplify``: the netlist simplified before compiling (the default) or as it is."""
    from qkdchip.sims import server

    t0 = time.perf_counter()
    sc = server.server_circuit(simplify=simplify)
    t_circuit = time.perf_counter() - t0
    f = sc.fn()
    wl = np.linspace(1.5497, 1.5499, points)
    _, t_first = timed(f, wl, {})
    _, t_calls = timed(f, wl, {}, repeat=repeat)
    fb = sc.batch_fn(25)
    keys = server.BATCH_KEYS
    rng = np.random.default_rng(0)
    batch_params = {k: rng.uniform(*server.BATCH_RANGES[k], batch) for k in keys}
    small = {k: v[:25] for k, v in batch_params.items()}
    _, t_bcompile = timed(fb, wl, small)
    out, t_batch = timed(fb, wl, batch_params)
    assert np.all(np.isfinite(out))
    return {
        "netlist+sax.circuit (s)": t_circuit,
        "jit compile+first call (s)": t_first[0],
        "per call (ms)": 1e3 * statistics.median(t_calls),
        "batch compile (s)": t_bcompile[0],
        f"batch of {batch} (s)": t_batch[0],
        "per parameter set in batch (ms)": 1e3 * t_batch[0] / batch,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--no-simplify", action="store_true", help="compile the netlists as they are (reference)"
    )
    args = ap.parse_args()
    for name, bench in (("server chip", bench_server), ("client chip", bench_client)):
        res = bench(args.points, args.batch, args.repeat, simplify=not args.no_simplify)
        print(f"{name} at {args.points} wavelengths:")
        for k, v in res.items():
            print(f"  {k:<34} {v:10.3f}")


if __name__ == "__main__":
    main()
