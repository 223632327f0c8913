"""``qkdchip wafer``: wafer-yield Monte Carlo of the client dies and the network they give.

``--wafers N`` simulated wafers (``network.seed + w``), each with the design's process variation
and modulator yield model (``network.wafer_*``; ``--yield-model`` picks it, default ``area``:
Poisson defects per drawn electrode area, calibrated on the published 117/120), and the network
of each wafer at the design's distance. Prints per-element and per-chip yields with 95 %
intervals, the distribution of working modulators among 20 dies (and where 117/120 falls) and
the probability that a random draw of dies gives every channel above PLOB
(:mod:`qkdchip.sims.network.montecarlo`). ``--workers``/``--scheduler`` as for ``qkdchip sweep``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json

MAX_WAFERS = 100_000
#: wafers per task (fixed: the numbers do not depend on who evaluates the tasks)
WAFERS_PER_TASK = 10


def register(app: typer.Typer) -> None:
    @app.command("wafer")
    @interruptible
    def wafer_cmd(
        wafers: int = typer.Option(100, "--wafers", help="number of simulated wafers"),
        seed: int | None = typer.Option(None, "--seed", help="seed of wafer 0 (network.seed)"),
        yield_model: str = typer.Option(
            "area", "--yield-model", help="which modulators fail: area (defects) or uniform"
        ),
        sets: list[str] = typer.Option([], "--set", help="NAME=VALUE design override"),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        workers: int | None = typer.Option(
            None, "--workers", help="run the wafers on a local Dask cluster of N processes"
        ),
        scheduler: str | None = typer.Option(
            None, "--scheduler", help="address of a running Dask scheduler (tcp://host:8786)"
        ),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
        plot: Path | None = typer.Option(None, "--plot", help="write the distributions as PNG"),
    ) -> None:
        """Wafer-yield Monte Carlo: modulator and chip yields, 117/120, P(all channels > PLOB).

        Example: qkdchip wafer --wafers 100 --seed 0 --json
        """
        import sys
        import time

        from qkdchip.base import outputs
        from qkdchip.commands.network import load_design

        try:
            if plot is not None:
                outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
            if not 1 <= wafers <= MAX_WAFERS:
                raise ValueError(f"--wafers={wafers} is out of range: allowed [1, {MAX_WAFERS}]")
            if workers is not None and scheduler is not None:
                raise ValueError("--workers and --scheduler: give one of them, not both")
            if workers is not None and not 1 <= workers <= 256:
                raise ValueError(f"--workers={workers} is out of range: allowed [1, 256]")
            design = load_design(
                design_file, [*sets, f"network.wafer_yield_model={yield_model}"], seed=seed
            )
        except ValueError as exc:
            fail(str(exc))
        from qkdchip import sweeps
        from qkdchip.sims.network.inputs import settings_of
        from qkdchip.sims.network.montecarlo import summarise, wafer_records

        _, net = settings_of(design)
        chunks = [
            list(range(s, min(s + WAFERS_PER_TASK, wafers)))
            for s in range(0, wafers, WAFERS_PER_TASK)
        ]
        t0 = time.perf_counter()
        done = [0]

        def on_done(_k: int, recs) -> None:
            done[0] += len(recs)
            print(
                f"wafer: {done[0]}/{wafers} wafers {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
                flush=True,
            )

        try:
            with sweeps.cluster(workers, scheduler) as client:
                # without a cluster: this process and a second one share the tasks
                parts = sweeps.map_tasks(
                    wafer_records, [(design, c) for c in chunks], client=client,
                    on_done=on_done, second_process=True,
                )  # fmt: skip
        except ValueError as exc:
            fail(str(exc))
        records = [r for part in parts for r in part]
        out = summarise(records, net)
        out["seed"] = net.seed
        out["elapsed_s"] = time.perf_counter() - t0
        if plot is not None:
            from qkdchip.sims.network.plots import plot_wafer_yield

            plot_wafer_yield(records, out, plot)
            out["plot"] = str(plot)
        if json_out:
            print_json(out)
            return
        _print(out)


def _print(out) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(100, Console().width))

    def pct(x, ci) -> str:
        return f"{100 * x:.2f} % [{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]"

    table = Table(title=f"yield over {out['dies']} dies ({out['wafers']} wafers), 95 % intervals")
    table.add_column("element")
    table.add_column("yield [95 % CI]", justify="right")
    for e, v in out["element_yield"].items():
        table.add_row(e, pct(v["yield"], v["ci95"]))
    table.add_row("all modulators", pct(out["modulator_yield"], out["modulator_yield_ci95"]))
    table.add_row("chip: all 6 work", pct(out["chip_yield"], out["chip_yield_ci95"]))
    table.add_row(
        "chip: usable (PM I, PM R)", pct(out["usable_chip_yield"], out["usable_chip_yield_ci95"])
    )
    console.print(table)
    w = out["working_modulators_of_120"]
    if w is not None:
        console.print(
            f"working modulators of 120 (20 dies): median {w['p50']:g}, 5-95 % "
            f"{w['p5']:g}-{w['p95']:g}, mean {w['mean']:.2f}; the published "
            f"{w['published']}/120 is at the {w['published_percentile']:.0f}th percentile"
        )
    p = out["p_network_all_channels_beat_plob"]
    ci = out["p_network_all_channels_beat_plob_ci95"]
    console.print(
        f"P(all {out['channels']} channels above PLOB at {out['distance_km']:g} km) = "
        f"{p:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
    )
    console.print(f"{out['wafers']} wafers in {out['elapsed_s']:.1f} s")
    if "plot" in out:
        console.print(f"plot: {out['plot']}")
