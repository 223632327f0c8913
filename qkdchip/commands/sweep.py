"""``qkdchip sweep``: layout or system parameters -> the network's figures of merit.

``--set NAME=START:STOP:N`` sweeps NAME over N points (linspace); several sweeps form a grid
(every combination). ``--set NAME=VALUE`` fixes a parameter. Every point runs the whole chain
(layout -> comb -> clients -> locking -> phase noise -> key rate); what a point does not change
is reused (the comb per server/comb parameters, the client wafer per client/wafer parameters,
compiled circuits per design) and the key rates of all points are one vectorised call.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import typer

from qkdchip.base.outputs import checkpoint, interruptible
from qkdchip.commands._common import fail, print_json

#: metric -> description (keys of :meth:`NetworkResult.metrics`)
METRICS: dict[str, str] = {
    "min_ratio": "smallest key rate / PLOB over the channels",
    "mean_ratio": "mean key rate / PLOB over the channels",
    "max_ratio": "largest key rate / PLOB",
    "min_rate": "smallest key rate (bit per pulse)",
    "mean_rate": "mean key rate (bit per pulse)",
    "total_bps": "sum of the channels' bit/s while they run",
    "network_bps": "time-averaged key of the whole network (bit/s)",
    "locked_channels": "channels with both clients injection-locked",
    "key_channels": "channels with a positive key rate",
    "beating_plob": "channels above PLOB",
    "capability_km": "networking capability (pairs with key x distance)",
    "mean_qber_x": "mean X-basis QBER of the channels with key",
    "max_qber_x": "largest X-basis QBER of the channels with key",
}
MAX_POINTS = 2000


def parse_sweeps(sets: list[str]) -> tuple[list[tuple[str, list[float]]], list[str]]:
    """Split ``--set`` items into sweeps ``(name, values)`` and fixed ``NAME=VALUE`` items."""
    import numpy as np

    sweeps: list[tuple[str, list[float]]] = []
    fixed: list[str] = []
    seen: set[str] = set()
    for item in sets:
        if "=" not in item:
            raise ValueError(f"--set {item!r} must be NAME=VALUE or NAME=START:STOP:N")
        name, raw = (x.strip() for x in item.split("=", 1))
        if name in seen:
            raise ValueError(f"--set {name}: given twice (allowed once per name, swept or fixed)")
        seen.add(name)
        parts = raw.split(":")
        if len(parts) == 1:
            fixed.append(item)
            continue
        if len(parts) != 3:
            raise ValueError(f"--set {item!r}: a sweep is NAME=START:STOP:N")
        try:
            start, stop = float(parts[0]), float(parts[1])
            n = int(parts[2])
        except ValueError:
            raise ValueError(
                f"--set {item!r}: START and STOP must be numbers and N an integer"
            ) from None
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise ValueError(f"--set {item!r}: START and STOP must be finite")
        if not 1 <= n <= MAX_POINTS:
            raise ValueError(f"--set {item!r}: N={n} is out of range: allowed [1, {MAX_POINTS}]")
        sweeps.append((name, [float(x) for x in np.linspace(start, stop, n)]))
    if not sweeps:
        raise ValueError("give at least one sweep: --set NAME=START:STOP:N")
    return sweeps, fixed


def _value_text(name: str, value: float, integer: bool) -> str:
    if integer:
        if abs(value - round(value)) > 1e-9:
            raise ValueError(
                f"{name}={value!r} must be an integer (choose START:STOP:N on integers)"
            )
        return str(round(value))
    return repr(float(value))


def designs_of(design_file: Path | None, sweeps, fixed) -> tuple[list[Any], list[dict[str, float]]]:
    """One validated design per grid point (ValueError naming the first bad parameter)."""
    from qkdchip import design as design_mod
    from qkdchip.commands.network import load_design

    total = math.prod(len(v) for _, v in sweeps)
    if total > MAX_POINTS:
        raise ValueError(f"the sweep has {total} points: at most {MAX_POINTS}")
    known = {}
    for name, _ in sweeps:
        prefix = name.split(".", 1)[0]
        if prefix not in design_mod.SOURCES:
            design_mod.validate({name: 0.0})  # raises the registry's message
        params = {p.name: p for p in design_mod.parameters([prefix])}
        if name not in params:
            design_mod.validate({name: 0.0})
        p = params[name]
        if isinstance(p.value, bool) or not isinstance(p.value, int | float):
            raise ValueError(f"{name} is not numeric: it cannot be swept")
        known[name] = isinstance(p.value, int)
    designs, points = [], []
    for combo in itertools.product(*(v for _, v in sweeps)):
        point = {name: v for (name, _), v in zip(sweeps, combo, strict=True)}
        extra = [f"{n}={_value_text(n, v, known[n])}" for n, v in point.items()]
        designs.append(load_design(design_file, [*fixed, *extra]))
        points.append(point)
    return designs, points


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    @interruptible
    def sweep_cmd(
        sets: list[str] = typer.Option(
            [], "--set", help="NAME=START:STOP:N (swept) or NAME=VALUE (fixed), repeatable"
        ),
        metric: str = typer.Option("min_ratio", "--metric", help=f"one of {', '.join(METRICS)}"),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
        plot: Path | None = typer.Option(None, "--plot", help="write the sweep as PNG"),
    ) -> None:
        """Sweep layout or system parameters through the whole chain and report a metric."""
        import time

        if metric not in METRICS:
            fail(f"--metric {metric!r} is unknown: allowed {', '.join(METRICS)}")
        if plot is not None:  # the output path first: nothing is computed for a bad one
            from qkdchip.base import outputs

            try:
                outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
            except ValueError as exc:
                fail(str(exc))
        try:
            sweeps, fixed = parse_sweeps(sets)
            if plot is not None and len(sweeps) > 2:
                raise ValueError(f"--plot needs one or two swept parameters, got {len(sweeps)}")
            designs, points = designs_of(design_file, sweeps, fixed)
        except ValueError as exc:
            fail(str(exc))
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from qkdchip.sims.network.model import evaluate, prepare

        t0 = time.perf_counter()
        err = Console(stderr=True)
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=json_out and not err.is_terminal,
            ) as bar:
                task = bar.add_task("devices", total=len(designs) + 1)
                prepared = []
                for d in designs:
                    prepared.append(prepare(d))
                    bar.advance(task)
                    checkpoint()  # SIGINT/SIGTERM: stop between the points
                bar.update(task, description="key rates")
                results = evaluate(prepared)
                bar.advance(task)
                checkpoint()
        except ValueError as exc:
            fail(str(exc))
        elapsed = time.perf_counter() - t0
        rows = []
        for point, res in zip(points, results, strict=True):
            m = res.metrics()
            rows.append(
                {
                    "values": point,
                    "metric": _finite(m[metric]),
                    "metrics": {k: _finite(v) for k, v in m.items()},
                }
            )
        names = [n for n, _ in sweeps]
        if plot is not None:
            import numpy as np

            from qkdchip.sims.network.plots import plot_sweep

            vals = np.array([m["metric"] if m["metric"] is not None else np.nan for m in rows])
            plot_sweep(names, [np.asarray(v) for _, v in sweeps], vals, metric, plot)
        finite = [r for r in rows if r["metric"] is not None]
        best = max(finite, key=lambda r: r["metric"]) if finite else None
        if json_out:
            out: dict[str, Any] = {
                "metric": metric,
                "parameters": names,
                "fixed": fixed,
                "points": rows,
                "best": best,
                "elapsed_s": elapsed,
            }
            if plot is not None:
                out["plot"] = str(plot)
            print_json(out)
            return
        from rich.table import Table

        console = Console(width=max(100, Console().width))
        table = Table(title=f"{metric}: {METRICS[metric]}")
        for n in names:
            table.add_column(n, justify="right")
        for col in (metric, "key ch", "min ratio", "X QBER max"):
            table.add_column(col, justify="right")
        for r in rows:
            m = r["metrics"]
            table.add_row(
                *(f"{r['values'][n]:.6g}" for n in names),
                _fmt(r["metric"]),
                _fmt(m["key_channels"]),
                _fmt(m["min_ratio"]),
                _fmt(m["max_qber_x"]),
            )
        console.print(table)
        if best is not None:
            where = ", ".join(f"{n}={best['values'][n]:.6g}" for n in names)
            console.print(f"best {metric} = {_fmt(best['metric'])} at {where}")
        console.print(f"{len(rows)} points in {elapsed:.1f} s")
        if plot is not None:
            console.print(f"plot: {plot}")


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"
