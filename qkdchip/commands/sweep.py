"""``qkdchip sweep``: layout or system parameters -> the network's figures of merit.

``--set NAME=START:STOP:N`` sweeps NAME over N points (linspace); several sweeps form a grid
(every combination). ``--set NAME=VALUE`` fixes a parameter. Every point runs the whole chain
(layout -> comb -> clients -> locking -> phase noise -> key rate); what a point does not change
is reused (the comb per server/comb parameters, the client wafer per client/wafer parameters,
compiled circuits per design) and the key rates of all points are one vectorised call.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json
from qkdchip.sweeps import METHODS, PointResult
from qkdchip.sweeps import METRICS as _METRICS

#: metric -> description with its unit (the table is :data:`qkdchip.sweeps.METRICS`)
METRICS: dict[str, str] = {
    k: f"{m.description} ({m.unit})" if m.unit else m.description for k, m in _METRICS.items()
}
MAX_POINTS = 2000


def parse_sweeps(
    sets: list[str], require: bool = True
) -> tuple[list[tuple[str, list[float]]], list[str]]:
    """Split ``--set`` items into sweeps ``(name, values)`` and fixed ``NAME=VALUE`` items
    (``require``: at least one sweep)."""
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
    if require and not sweeps:
        raise ValueError("give at least one sweep: --set NAME=START:STOP:N")
    return sweeps, fixed


def parse_samples(items: list[str], taken: set[str]) -> list[tuple[str, float, float]]:
    """``--sample NAME=LOW:HIGH`` items -> (name, low, high); a name at most once (also not in
    ``taken``, the ``--set`` names)."""
    out: list[tuple[str, float, float]] = []
    seen = set(taken)
    for item in items:
        if "=" not in item:
            raise ValueError(f"--sample {item!r} must be NAME=LOW:HIGH")
        name, raw = (x.strip() for x in item.split("=", 1))
        if name in seen:
            raise ValueError(f"--sample {name}: given twice (allowed once per name)")
        seen.add(name)
        parts = raw.split(":")
        if len(parts) != 2:
            raise ValueError(f"--sample {item!r}: a sampled range is NAME=LOW:HIGH")
        try:
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"--sample {item!r}: LOW and HIGH must be numbers") from None
        if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
            raise ValueError(f"--sample {item!r}: LOW < HIGH, both finite (allowed LOW < HIGH)")
        out.append((name, low, high))
    return out


def _value_text(name: str, value: float, integer: bool) -> str:
    if integer:
        if abs(value - round(value)) > 1e-9:
            raise ValueError(
                f"{name}={value!r} must be an integer (choose START:STOP:N on integers)"
            )
        return str(round(value))
    return repr(float(value))


def numeric_params(names: list[str]) -> dict[str, bool]:
    """name -> whether it is an integer parameter; ValueError for an unknown or non-numeric one."""
    from qkdchip import design as design_mod

    known = {}
    for name in names:
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
    return known


def designs_for(
    design_file: Path | None, points: list[dict[str, float]], fixed: list[str]
) -> tuple[list[Any], list[dict[str, float]]]:
    """One validated design per point (ValueError naming the first bad parameter; a point whose
    chips violate a joint constraint gets the ``InfeasibleError`` in place of its design: it is
    a failed point); integer parameters of sampled points are rounded (the points are returned
    as evaluated)."""
    from qkdchip.commands.network import load_design
    from qkdchip.feasibility import InfeasibleError

    if len(points) > MAX_POINTS:
        raise ValueError(f"the sweep has {len(points)} points: at most {MAX_POINTS}")
    load_design(design_file, fixed)  # the fixed part alone: a bad or infeasible one stops here
    known = numeric_params(list(points[0])) if points else {}
    designs: list[Any] = []
    out = []
    for point in points:
        point = {n: float(round(v)) if known[n] else v for n, v in point.items()}
        extra = [f"{n}={_value_text(n, v, known[n])}" for n, v in point.items()]
        try:
            designs.append(load_design(design_file, [*fixed, *extra]))
        except InfeasibleError as exc:  # in range but the chips do not fit: a failed point
            designs.append(exc)
        out.append(point)
    return designs, out


def designs_of(design_file: Path | None, sweeps, fixed) -> tuple[list[Any], list[dict[str, float]]]:
    """One validated design per grid point (ValueError naming the first bad parameter)."""
    from qkdchip.sweeps import grid_points

    total = math.prod(len(v) for _, v in sweeps)
    if total > MAX_POINTS:
        raise ValueError(f"the sweep has {total} points: at most {MAX_POINTS}")
    for name, values in sweeps:
        integer = numeric_params([name])[name]
        for v in values:
            _value_text(name, v, integer)
    return designs_for(design_file, grid_points(sweeps), fixed)


#: files of ``--out DIR``
SPEC, NC, CSV = "sweep.json", "sweep.nc", "sweep.csv"
MAX_WORKERS = 256


def _spec_text(spec: dict[str, Any]) -> str:
    import json

    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def _resume(out: Path, spec: dict[str, Any], names, points, metrics) -> dict[int, Any]:
    """Points already done in ``out`` (same sweep): their results by index."""
    import json

    from qkdchip.sweeps import read_csv

    spec_file, csv_file = out / SPEC, out / CSV
    if not spec_file.is_file():
        return {}
    try:
        old = json.loads(spec_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if old != spec:
        what = sorted(k for k in set(old) | set(spec) if old.get(k) != spec.get(k))
        raise ValueError(
            f"--out {out}: holds another sweep ({', '.join(what)} differ) "
            "(allowed a new folder or the same sweep, to resume it)"
        )
    if not csv_file.is_file():
        return {}
    return read_csv(csv_file.read_text(encoding="utf-8"), names, points, metrics)


def register(app: typer.Typer) -> None:
    metric_help = "; ".join(f"{k}: {v}" for k, v in METRICS.items())

    @app.command("sweep")
    @interruptible
    def sweep_cmd(
        sets: list[str] = typer.Option(
            [], "--set", help="NAME=START:STOP:N (swept, a grid) or NAME=VALUE (fixed), repeatable"
        ),
        samples_of: list[str] = typer.Option(
            [], "--sample", help="NAME=LOW:HIGH: sample NAME in [LOW, HIGH] (repeatable)"
        ),
        samples: int = typer.Option(0, "--samples", help="number of sampled points K"),
        method: str = typer.Option("lhs", "--method", help=f"sampling: {', '.join(METHODS)}"),
        seed: int = typer.Option(0, "--seed", help="seed of the sampling"),
        metric: list[str] = typer.Option(
            ["min_ratio"], "--metric", help=f"repeatable; one of {metric_help}"
        ),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        out: Path | None = typer.Option(
            None, "--out", help="folder for sweep.nc (xarray) and sweep.csv; resumes a sweep"
        ),
        workers: int | None = typer.Option(
            None, "--workers", help="run the points on a local Dask cluster of N processes"
        ),
        scheduler: str | None = typer.Option(
            None, "--scheduler", help="address of a running Dask scheduler (tcp://host:8786)"
        ),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
        plot: Path | None = typer.Option(None, "--plot", help="write the sweep as PNG"),
    ) -> None:
        """Sweep layout or system parameters through the whole chain and report metrics.

        Example: qkdchip sweep --set server.ring.gap_um=2.2:3.2:6 --metric min_ratio
        --metric beating_plob --out gap_sweep
        """
        import time

        from qkdchip import sweeps
        from qkdchip.base import outputs

        stack = contextlib.ExitStack()  # the Dask cluster (if any), from the designs' checks on
        try:
            metrics = list(dict.fromkeys(metric))
            for m in metrics:
                if m not in METRICS:
                    fail(f"--metric {m!r} is unknown: allowed {', '.join(METRICS)}")
            try:
                if plot is not None:  # the output paths first: nothing is computed for a bad one
                    outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
                if out is not None:
                    out_real = outputs.check_folder(out, f"--out {out}")
                    if out_real.exists() and any(
                        p.name not in (SPEC, NC, CSV) and not p.name.startswith(".")
                        for p in out_real.iterdir()
                    ):
                        raise ValueError(
                            f"--out {out}: holds other files than {SPEC}, {NC}, {CSV} "
                            "(allowed a new folder or a previous sweep's)"
                        )
                if workers is not None and scheduler is not None:
                    raise ValueError("--workers and --scheduler: give one of them, not both")
                if workers is not None and not 1 <= workers <= MAX_WORKERS:
                    raise ValueError(
                        f"--workers={workers} is out of range: allowed [1, {MAX_WORKERS}]"
                    )
                sampled = bool(samples_of)
                grids, fixed = parse_sweeps(sets, require=not sampled)
                if sampled:
                    if grids:
                        raise ValueError(
                            "--sample and a swept --set NAME=START:STOP:N: give one kind "
                            "(allowed --set NAME=VALUE fixed values with --sample)"
                        )
                    fixed_names = {x.split("=", 1)[0].strip() for x in fixed}
                    bounds = parse_samples(samples_of, fixed_names)
                    numeric_params([b[0] for b in bounds])
                    if method not in METHODS:
                        raise ValueError(
                            f"--method {method!r} is unknown (allowed {', '.join(METHODS)})"
                        )
                    if not 1 <= samples <= MAX_POINTS:
                        raise ValueError(
                            f"--samples={samples} is out of range: allowed [1, {MAX_POINTS}]"
                        )
                    if not 0 <= seed < 2**32:
                        raise ValueError(f"--seed={seed} is out of range: allowed [0, 2^32-1]")
                    from qkdchip.sweeps import sample_points

                    names = [b[0] for b in bounds]
                    sampled_points = sample_points(bounds, samples, method, seed)
                    grid = None
                else:
                    names = [n for n, _ in grids]
                    grid = [v for _, v in grids]
                if plot is not None and len(names) > 2:
                    raise ValueError(f"--plot needs one or two swept parameters, got {len(names)}")
                # the Dask workers start (and import the chain) while the points' designs are
                # checked here: their start-up overlaps that serial part
                client = stack.enter_context(sweeps.cluster(workers, scheduler))
                sweeps.warm_workers(client)
                if sampled:
                    designs, points = designs_for(design_file, sampled_points, fixed)
                else:
                    designs, points = designs_of(design_file, grids, fixed)
            except ValueError as exc:
                stack.close()
                fail(str(exc))

            spec: dict[str, Any] = {
                "parameters": names,
                "fixed": fixed,
                "metrics": metrics,
                "design": None if design_file is None else _file_digest(design_file),
                "grid": None if grid is None else [list(g) for g in grid],
                "sample": None
                if grid is not None
                else {"bounds": samples_of, "samples": samples, "method": method, "seed": seed},
            }
            done: dict[int, Any] = {}
            if out is not None:
                try:
                    done = _resume(out, spec, names, points, metrics)
                except ValueError as exc:
                    fail(str(exc))
            results: list[Any] = [done.get(i) for i in range(len(points))]
            feasible = [i for i, d in enumerate(designs) if not isinstance(d, Exception)]
            for i, d in enumerate(designs):
                if isinstance(d, Exception):
                    results[i] = PointResult(
                        {k: math.nan for k in METRICS}, "failed", " ".join(str(d).split())
                    )

            def save() -> None:
                if out is None:
                    return
                from qkdchip.sweeps import to_csv

                outputs.write_file(out / SPEC, lambda p: p.write_text(_spec_text(spec)))
                text = to_csv(names, points, results, metrics)
                outputs.write_file(out / CSV, lambda p: p.write_text(text, encoding="utf-8"))

            t0 = time.perf_counter()
            progress = _Progress(len(points), sum(r is not None for r in results), len(done))

            def on_task(idx: list[int], res: list[Any]) -> None:
                for i, r in zip(idx, res, strict=True):
                    results[i] = r
                save()
                progress.advance(len(idx), sum(not r.ok for r in res))

            try:
                with stack:  # the cluster: closed after the last task
                    with progress:
                        save()
                        sweeps.run(
                            [designs[i] for i in feasible],
                            client=client,
                            done={j: done[i] for j, i in enumerate(feasible) if i in done},
                            on_task=lambda idx, res: on_task([feasible[j] for j in idx], res),
                        )
            except ValueError as exc:
                fail(str(exc))
            elapsed = time.perf_counter() - t0
            attrs = {
                "title": "qkdchip sweep",
                "fixed": "; ".join(fixed),
                "sampling": "grid" if grid is not None else f"{method}, seed {seed}",
            }
            if out is not None:
                ds = sweeps.to_dataset(names, points, results, metrics, grid=grid, attrs=attrs)
                data = sweeps.dataset_bytes(ds)
                outputs.write_file(out / NC, lambda p: p.write_bytes(data))
                save()
            rows = []
            for point, res in zip(points, results, strict=True):
                rows.append(
                    {
                        "values": point,
                        "metric": _finite(res.metrics[metrics[0]]),
                        "metrics": {k: _finite(v) for k, v in res.metrics.items()},
                        "status": res.status,
                        "reason": res.reason,
                    }
                )
            if plot is not None:
                import numpy as np

                from qkdchip.sims.network.plots import plot_sweep

                vals = np.array([np.nan if r["metric"] is None else r["metric"] for r in rows])
                failed = np.array([r["status"] != "ok" for r in rows])
                axes = (
                    [np.asarray(g) for g in grid]
                    if grid is not None
                    else [np.array([p[n] for p in points]) for n in names]
                )
                plot_sweep(
                    names,
                    axes,
                    vals,
                    metrics[0],
                    plot,
                    labels=[sweeps.param_label(n) for n in names],
                    metric_label=sweeps.metric_label(metrics[0]),
                    failed=failed,
                    scattered=grid is None,
                )
            finite = [r for r in rows if r["metric"] is not None]
            best = max(finite, key=lambda r: r["metric"]) if finite else None
            if json_out:
                result: dict[str, Any] = {
                    "metric": metrics[0],
                    "metrics": metrics,
                    "parameters": names,
                    "fixed": fixed,
                    "points": rows,
                    "best": best,
                    "failed": sum(r["status"] != "ok" for r in rows),
                    "elapsed_s": elapsed,
                }
                if plot is not None:
                    result["plot"] = str(plot)
                if out is not None:
                    result["out"] = str(out)
                print_json(result)
                return
            from rich.console import Console
            from rich.table import Table

            console = Console(width=max(100, Console().width))
            table = Table(title=f"{metrics[0]}: {METRICS[metrics[0]]}")
            for n in names:
                table.add_column(sweeps.param_label(n), justify="right")
            extra = [m for m in ("key_channels", "min_ratio", "max_qber_x") if m not in metrics]
            for col in [*metrics, *extra]:
                table.add_column(sweeps.metric_label(col), justify="right")
            table.add_column("status")
            for r in rows:
                m = r["metrics"]
                table.add_row(
                    *(f"{r['values'][n]:.6g}" for n in names),
                    *(_fmt(m.get(c)) for c in [*metrics, *extra]),
                    r["status"] if r["status"] == "ok" else f"failed: {r['reason']}",
                )
            console.print(table)
            if best is not None:
                where = ", ".join(f"{n}={best['values'][n]:.6g}" for n in names)
                console.print(f"best {metrics[0]} = {_fmt(best['metric'])} at {where}")
            n_failed = sum(r["status"] != "ok" for r in rows)
            console.print(f"{len(rows)} points ({n_failed} failed) in {elapsed:.1f} s")
            if out is not None:
                console.print(f"dataset: {out / NC}, {out / CSV}")
            if plot is not None:
                console.print(f"plot: {plot}")
        finally:
            stack.close()  # the cluster, on any way out


def _file_digest(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return str(path)


class _Progress:
    """A progress bar on a terminal (stderr), plain progress lines otherwise."""

    def __init__(self, total: int, done: int, resumed: int) -> None:
        import sys
        import time

        self.total, self.done, self.failed, self.resumed = total, done, 0, resumed
        self.t0 = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.bar = None

    def __enter__(self) -> _Progress:
        import sys

        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("sweep"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} points"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task("sweep", total=self.total, completed=self.done)
        else:
            if self.resumed:
                print(
                    f"sweep: {self.resumed}/{self.total} points already done (resumed)",
                    file=sys.stderr,
                )
            if self.done > self.resumed:
                print(
                    f"sweep: {self.done - self.resumed} points infeasible (failed, not evaluated)",
                    file=sys.stderr,
                )
        return self

    def advance(self, n: int, failed: int) -> None:
        import sys
        import time

        self.done += n
        self.failed += failed
        if self.bar is not None:
            self.bar.advance(self.task, n)
        else:
            dt = time.perf_counter() - self.t0
            print(
                f"sweep: {self.done}/{self.total} points ({self.failed} failed) {dt:.1f} s",
                file=sys.stderr,
                flush=True,
            )

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"
