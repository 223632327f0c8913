"""``qkdchip optimize``: the layout / system parameters that maximise a network figure.

``--vary NAME=LOW:HIGH`` (repeatable) spans the search box, ``--objective METRIC`` (once:
best design; twice: Pareto front) is maximised, optionally under ``--constraint METRIC>=VALUE``.
Optuna's TPE sampler, seeded (``--seed``); ``--batch`` trials at a time, evaluated serially or on
Dask (``--workers``/``--scheduler``); ``--robust K`` scores each trial on K wafer draws by the
``--quantile``. ``--out DIR`` holds the study (``optuna.journal``: a rerun resumes it), every trial
(``trials.nc``, ``trials.csv``), ``best.yml`` (a design file for ``build``/``network``/``run``),
``convergence.png`` and ``pareto.png`` (two objectives). See :mod:`qkdchip.optimize`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json

MAX_TRIALS = 10_000
MAX_WORKERS = 256
MAX_ROBUST = 1000
MAX_WAFERS = 1000
#: files of ``--out DIR``
SPEC, JOURNAL, NC, CSV, BEST = (
    "optimize.json",
    "optuna.journal",
    "trials.nc",
    "trials.csv",
    "best.yml",
)
CONVERGENCE, PARETO = "convergence.png", "pareto.png"
_FILES = (SPEC, JOURNAL, NC, CSV, BEST, CONVERGENCE, PARETO)


def parse_vary(items: list[str], taken: set[str]) -> list[tuple[str, float, float, bool]]:
    """``--vary NAME=LOW:HIGH`` -> (name, low, high, integer); numeric design parameters only,
    each at most once, LOW < HIGH inside the parameter's range."""
    from qkdchip import design as design_mod
    from qkdchip.commands.sweep import numeric_params, parse_samples

    bounds = parse_samples([i for i in items], taken)
    bounds = [(n, lo, hi) for n, lo, hi in bounds]
    known = numeric_params([b[0] for b in bounds])
    out = []
    for n, lo, hi in bounds:
        for v in (lo, hi):
            design_mod.validate({n: round(v) if known[n] else v})  # the registry's range
        if known[n] and math.floor(hi) < math.ceil(lo):
            raise ValueError(f"--vary {n}={lo:g}:{hi:g}: holds no integer (allowed LOW < HIGH)")
        out.append((n, lo, hi, known[n]))
    return [(n, lo, hi, i) for n, lo, hi, i in out]


def parse_constraint(item: str) -> tuple[str, float]:
    from qkdchip.optimize import OBJECTIVES

    if ">=" not in item:
        raise ValueError(f"--constraint {item!r} must be METRIC>=VALUE")
    name, raw = (x.strip() for x in item.split(">=", 1))
    if name not in OBJECTIVES:
        raise ValueError(f"--constraint {name!r} is unknown (allowed {', '.join(OBJECTIVES)})")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"--constraint {item!r}: VALUE must be a number") from None
    if not math.isfinite(value):
        raise ValueError(f"--constraint {item!r}: VALUE must be finite")
    return name, value


def _digest(path: Path | None) -> str | None:
    if path is None:
        return None
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def best_yaml(design) -> str:
    """A design file (dotted names, sorted) holding every override of ``design``."""
    import yaml

    values = {k: (v if not isinstance(v, tuple) else list(v)) for k, v in design.overrides.items()}
    head = "# qkdchip optimize: the best design (qkdchip build/network/run --design best.yml)\n"
    return head + yaml.safe_dump(values, sort_keys=True, default_flow_style=False)


def register(app: typer.Typer) -> None:
    from qkdchip.optimize import OBJECTIVES

    objective_help = ", ".join(OBJECTIVES)

    @app.command("optimize")
    @interruptible
    def optimize_cmd(
        vary: list[str] = typer.Option(
            [], "--vary", help="NAME=LOW:HIGH: a design parameter to optimise (repeatable)"
        ),
        objective: list[str] = typer.Option(
            ["min_ratio"], "--objective", help=f"maximised; twice: Pareto front; {objective_help}"
        ),
        constraint: list[str] = typer.Option([], "--constraint", help="METRIC>=VALUE (repeatable)"),
        sets: list[str] = typer.Option([], "--set", help="NAME=VALUE fixed override"),
        design_file: Path | None = typer.Option(None, "--design", help="base design YAML file"),
        trials: int = typer.Option(20, "--trials", help="number of trials (in total, resumed)"),
        seed: int = typer.Option(0, "--seed", help="seed of the sampler"),
        batch: int | None = typer.Option(
            None, "--batch", help="trials asked and evaluated together (default: --workers or 1)"
        ),
        robust: int = typer.Option(0, "--robust", help="K wafer draws per trial (0: nominal)"),
        quantile: float = typer.Option(0.1, "--quantile", help="robust objective: quantile"),
        wafers: int = typer.Option(10, "--wafers", help="wafers of the wafer metrics"),
        gradients: bool = typer.Option(
            False, "--gradients", help="derivatives at the best design (autodiff / finite diff.)"
        ),
        workers: int | None = typer.Option(
            None, "--workers", help="run the trials on a local Dask cluster of N processes"
        ),
        scheduler: str | None = typer.Option(
            None, "--scheduler", help="address of a running Dask scheduler (tcp://host:8786)"
        ),
        out: Path | None = typer.Option(
            None, "--out", help="folder for best.yml, trials.nc/.csv, plots, the study (resume)"
        ),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """Optimise layout / system parameters for a network figure of merit (Optuna TPE).

        Example: qkdchip optimize --vary server.ring.gap_um=2.2:3.2 --objective reach_km
        --trials 40 --out opt
        """
        import json
        import sys
        import time

        from qkdchip import design as design_mod
        from qkdchip.base import outputs
        from qkdchip.optimize import Spec

        try:
            if out is not None:
                out_real = outputs.check_folder(out, f"--out {out}")
                if out_real.exists() and any(
                    p.name not in _FILES and not p.name.startswith(".") for p in out_real.iterdir()
                ):
                    raise ValueError(
                        f"--out {out}: holds other files than {', '.join(_FILES)} "
                        "(allowed a new folder or a previous optimisation's)"
                    )
            objectives = list(dict.fromkeys(objective))
            for m in objectives:
                if m not in OBJECTIVES:
                    raise ValueError(
                        f"--objective {m!r} is unknown (allowed {', '.join(OBJECTIVES)})"
                    )
            if not 1 <= len(objectives) <= 2:
                raise ValueError(
                    f"--objective: {len(objectives)} given (allowed one, or two for a Pareto front)"
                )
            if not vary:
                raise ValueError("--vary: missing (give at least one NAME=LOW:HIGH)")
            if workers is not None and scheduler is not None:
                raise ValueError("--workers and --scheduler: give one of them, not both")
            if workers is not None and not 1 <= workers <= MAX_WORKERS:
                raise ValueError(f"--workers={workers} is out of range: allowed [1, {MAX_WORKERS}]")
            if not 1 <= trials <= MAX_TRIALS:
                raise ValueError(f"--trials={trials} is out of range: allowed [1, {MAX_TRIALS}]")
            if not 0 <= seed < 2**32:
                raise ValueError(f"--seed={seed} is out of range: allowed [0, 2^32-1]")
            batch_n = batch if batch is not None else (workers or 1)
            if not 1 <= batch_n <= MAX_TRIALS:
                raise ValueError(f"--batch={batch_n} is out of range: allowed [1, {MAX_TRIALS}]")
            if not 0 <= robust <= MAX_ROBUST:
                raise ValueError(f"--robust={robust} is out of range: allowed [0, {MAX_ROBUST}]")
            if not (math.isfinite(quantile) and 0.0 <= quantile <= 1.0):
                raise ValueError(f"--quantile={quantile} is out of range: allowed [0, 1]")
            if not 1 <= wafers <= MAX_WAFERS:
                raise ValueError(f"--wafers={wafers} is out of range: allowed [1, {MAX_WAFERS}]")
            constraints = [parse_constraint(c) for c in constraint]
            fixed_names = {design_mod.set_texts([s]).popitem()[0] for s in sets}
            bounds = parse_vary(vary, fixed_names)
            from qkdchip.commands.network import load_design

            base = load_design(design_file, sets)  # the base design: validated, feasible
            if design_file is not None:
                from qkdchip.commands._common import input_file

                input_file(design_file, "design file")
        except ValueError as exc:
            fail(str(exc))
        spec = Spec(
            bounds=tuple(bounds),
            objectives=tuple(objectives),
            constraints=tuple(constraints),
            trials=trials,
            seed=seed,
            batch=batch_n,
            robust=robust,
            quantile=quantile,
            wafers=wafers,
            design_file=None if design_file is None else str(design_file),
            fixed=tuple(sets),
            digest=_digest(design_file),
        )
        spec_text = json.dumps(spec.to_json(), indent=2, sort_keys=True) + "\n"
        journal = None
        if out is not None:
            spec_file = out / SPEC
            if spec_file.is_file():
                try:
                    old = json.loads(spec_file.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    old = None
                new = json.loads(spec_text)
                old_cmp = {k: v for k, v in (old or {}).items() if k != "trials"}
                new_cmp = {k: v for k, v in new.items() if k != "trials"}
                if old is not None and old_cmp != new_cmp:
                    what = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                    fail(
                        f"--out {out}: holds another optimisation ({', '.join(what)} differ) "
                        "(allowed a new folder or the same optimisation, to resume it)"
                    )
            outputs.write_file(spec_file, lambda p: p.write_text(spec_text, encoding="utf-8"))
            journal = str(out / JOURNAL)
        default_point = {n: float(design_mod.value_of(base, n)) for n in spec.names}

        from qkdchip import optimize as opt
        from qkdchip import sweeps

        t0 = time.perf_counter()

        def on_trial(number: int, point, r) -> None:
            vals = (
                ", ".join(f"{m}={r.metrics[m]:.6g}" for m in spec.objectives)
                if r.ok
                else (f"failed: {r.reason}")
            )
            print(
                f"optimize: trial {number} {vals} ({time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

        try:
            with sweeps.cluster(workers, scheduler) as client:
                study, outcomes = opt.optimize(
                    spec, default_point, client=client, journal=journal, on_trial=on_trial
                )
                elapsed = time.perf_counter() - t0
                first = next((t for t in study.trials if t.number == 0), None)
                if (
                    first is not None
                    and all(float(first.params[n]) == default_point[n] for n in spec.names)
                    and 0 in outcomes
                ):
                    default = outcomes[0]
                else:
                    default = opt.evaluate_trial(default_point, spec)
                best = opt.best_trials(study, spec, outcomes)
                grads = None
                if gradients and best:
                    bp = {n: float(best[0].params[n]) for n in spec.names}
                    grads = _gradients(spec, bp, client)
        except ValueError as exc:
            fail(str(exc))

        finished = [t for t in study.trials if t.number in outcomes]
        rows = []
        for t in finished:
            r = outcomes[t.number]
            rows.append(
                {
                    "number": t.number,
                    "parameters": {n: float(t.params[n]) for n in spec.names},
                    "values": {m: _finite(r.metrics[m]) for m in spec.metrics},
                    "status": r.status,
                    "reason": r.reason,
                }
            )
        o0 = spec.objectives[0]
        best_params = {n: float(best[0].params[n]) for n in spec.names} if best else None
        result: dict[str, Any] = {
            "objectives": list(spec.objectives),
            "objective": o0,
            "constraints": [{"metric": m, "min": v} for m, v in spec.constraints],
            "best_value": _finite(outcomes[best[0].number].metrics[o0]) if best else None,
            "best_values": (
                {m: _finite(outcomes[best[0].number].metrics[m]) for m in spec.objectives}
                if best
                else None
            ),
            "best_parameters": best_params,
            "best_trial": best[0].number if best else None,
            "default_value": _finite(default.metrics[o0]) if default.ok else None,
            "default_values": {m: _finite(default.metrics[m]) for m in spec.objectives}
            if default.ok
            else None,
            "default_parameters": default_point,
            "trials": rows,
            "failed_trials": sum(r["status"] != "ok" for r in rows),
            "seed": seed,
            "batch": batch_n,
            "robust": robust,
            "quantile": quantile if robust else None,
            "elapsed_s": elapsed,
        }
        if len(spec.objectives) == 2:
            result["pareto_front"] = [
                {
                    "number": t.number,
                    "parameters": {n: float(t.params[n]) for n in spec.names},
                    "values": {m: _finite(outcomes[t.number].metrics[m]) for m in spec.objectives},
                }
                for t in best
            ]
        if grads is not None:
            result["gradients"] = grads
        if out is not None:
            _write_outputs(out, spec, study, outcomes, best, rows, result)
            result["out"] = str(out)
        if json_out:
            print_json(result)
            return
        _print(result, spec)


def _gradients(spec, point, client) -> dict[str, Any]:
    """Finite differences of each objective w.r.t. every varied parameter at ``point``, and
    the autodiff derivatives of the differentiable model figures of the best design."""
    from qkdchip import optimize as opt

    fd = opt.finite_differences(spec, point, client=client)
    out: dict[str, Any] = {
        "finite_difference": {
            "method": "central finite differences, step 1e-3 x (HIGH - LOW) (integers: 1)",
            "derivatives": {m: {n: _finite(v) for n, v in d.items()} for m, d in fd.items()},
        }
    }
    from qkdchip.sims.gradients import chain_gradients

    design = opt.make_design(spec, point)
    out["autodiff"] = chain_gradients(design)
    return out


def _write_outputs(out: Path, spec, study, outcomes, best, rows, result) -> None:
    from qkdchip import optimize as opt
    from qkdchip import sweeps
    from qkdchip.base import outputs

    attrs = {
        "title": "qkdchip optimize",
        "objectives": ", ".join(spec.objectives),
        "fixed": "; ".join(spec.fixed),
        "sampler": f"optuna TPE, seed {spec.seed}, batch {spec.batch}",
        "robust": f"{spec.robust} wafer draws, quantile {spec.quantile}" if spec.robust else "no",
    }
    ds = opt.trial_dataset(spec, study, outcomes, attrs)
    data = sweeps.dataset_bytes(ds)
    outputs.write_file(out / NC, lambda p: p.write_bytes(data))
    finished = [t for t in study.trials if t.number in outcomes]
    points = [{n: float(t.params[n]) for n in spec.names} for t in finished]
    text = sweeps.to_csv(
        spec.names, points, [outcomes[t.number].point() for t in finished], spec.metrics
    )
    outputs.write_file(out / CSV, lambda p: p.write_text(text, encoding="utf-8"))
    if best:
        design = opt.make_design(spec, result["best_parameters"])
        yml = best_yaml(design)
        outputs.write_file(out / BEST, lambda p: p.write_text(yml, encoding="utf-8"))
        result["best_design"] = str(out / BEST)
    from qkdchip.optimize import plot_convergence, plot_pareto

    o0 = spec.objectives[0]
    plot_convergence(
        [r["number"] for r in rows],
        [r["values"][o0] if r["status"] == "ok" else None for r in rows],
        opt.objective_label(o0),
        out / CONVERGENCE,
        default=result["default_value"],
    )
    result["convergence_plot"] = str(out / CONVERGENCE)
    if len(spec.objectives) == 2:
        o1 = spec.objectives[1]
        ok = [r for r in rows if r["status"] == "ok"]
        front = {p["number"] for p in result["pareto_front"]}
        plot_pareto(
            [r["values"][o0] for r in ok],
            [r["values"][o1] for r in ok],
            [r["number"] in front for r in ok],
            (opt.objective_label(o0), opt.objective_label(o1)),
            out / PARETO,
        )
        result["pareto_plot"] = str(out / PARETO)


def _print(result: dict[str, Any], spec) -> None:
    from rich.console import Console

    console = Console(width=max(100, Console().width))
    o0 = result["objective"]
    n = len(result["trials"])
    console.print(
        f"{n} trials ({result['failed_trials']} failed) in {result['elapsed_s']:.1f} s, "
        f"maximising {', '.join(result['objectives'])}"
    )
    console.print(f"default {o0} = {_fmt(result['default_value'])}")
    if result["best_parameters"] is None:
        console.print("no feasible trial")
    else:
        where = ", ".join(f"{k}={v:.6g}" for k, v in result["best_parameters"].items())
        console.print(f"best {o0} = {_fmt(result['best_value'])} (trial {result['best_trial']}) "
                      f"at {where}")  # fmt: skip
    if "pareto_front" in result:
        console.print(f"Pareto front: {len(result['pareto_front'])} trials")
    for key in ("best_design", "convergence_plot", "pareto_plot"):
        if key in result:
            console.print(f"{key.replace('_', ' ')}: {result[key]}")
    if "gradients" in result:
        console.print_json(data=result["gradients"])


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"
