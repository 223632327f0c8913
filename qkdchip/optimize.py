"""Design optimisation through the whole chain (``qkdchip optimize``).

The inverse of a sweep: find the layout / system parameters that maximise a network figure.
Built on :mod:`qkdchip.sweeps` (one trial = :func:`qkdchip.sweeps.evaluate_designs` on its design,
or on its K wafer draws; trials run through :func:`qkdchip.sweeps.map_tasks`, serially or on
Dask) and on Optuna (TPE, seeded; its journal file in the output folder for resume).

* Objectives (maximised): any sweep metric (:data:`qkdchip.sweeps.METRICS`), ``reach_km``
  (:func:`qkdchip.sims.network.reach.reach_km`) and the wafer metrics of :data:`WAFER_METRICS`
  (:mod:`qkdchip.sims.network.montecarlo` over ``wafers`` wafers). Two objectives: TPE's
  multi-objective mode, the result is the Pareto front.
* Constraints ``METRIC>=VALUE``: Optuna's constrained TPE (a constraint value
  ``VALUE - metric <= 0`` is feasible); the best trial is the best feasible one.
* Batches: ``batch`` trials are asked, evaluated (in parallel on Dask when a client is given)
  and told in trial order, so a run is reproducible for a seed and a batch size, whoever
  evaluates the trials.
* Robustness (``robust`` = K > 0): a trial is evaluated on K wafer draws (``network.seed`` + k,
  :func:`~qkdchip.sims.network.montecarlo.wafer_design`: the process variation and modulator
  yield model of the design) and each metric is the ``quantile`` of the K values (numpy's linear
  interpolation). A trial with a draw that does not operate fails (with that draw's reason).
* The default design (the base design: file and fixed values) is the first trial whenever its
  values lie inside the varied ranges (Optuna's enqueued trial), so the best is never worse than
  the default; otherwise it is evaluated on its own for ``default_value``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qkdchip.base.design import Design
from qkdchip.sweeps import METRICS, Metric, PointResult

__all__ = [
    "OBJECTIVES",
    "WAFER_METRICS",
    "Spec",
    "TrialOutcome",
    "best_trials",
    "evaluate_trial",
    "finite_differences",
    "make_design",
    "objective_label",
    "optimize",
    "trial_dataset",
]

#: wafer metrics (objective name -> key of montecarlo.summarise) and their description
WAFER_METRICS: dict[str, tuple[str, Metric]] = {
    "chip_yield": (
        "chip_yield",
        Metric("fraction of client dies with all 6 modulators", "", "chip yield"),
    ),
    "usable_chip_yield": (
        "usable_chip_yield",
        Metric("fraction of client dies with PM I and PM R working", "", "usable chip yield"),
    ),
    "modulator_yield": (
        "modulator_yield",
        Metric("fraction of working modulators", "", "modulator yield"),
    ),
    "p_all_beat_plob": (
        "p_network_all_channels_beat_plob",
        Metric(
            "probability that every channel of a wafer's network beats PLOB",
            "",
            "P(every channel above PLOB)",
        ),
    ),
}
#: every objective / constraint metric: the sweep metrics, reach_km and the wafer metrics
OBJECTIVES: dict[str, Metric] = {
    **METRICS,
    "reach_km": Metric("longest total distance at which every channel beats PLOB", "km", "reach"),
    **{k: m for k, (_, m) in WAFER_METRICS.items()},
}


def objective_label(name: str) -> str:
    """Axis label of an objective with its unit: ``reach (km)`` (as :func:`sweeps.metric_label`)."""
    m = OBJECTIVES[name]
    return f"{m.label} ({m.unit})" if m.unit else m.label


@dataclass(frozen=True)
class Spec:
    """What to optimise: ``bounds`` (name, low, high, integer), objectives (maximised),
    constraints (metric, minimum), the base design (``design_file`` path text or None and the
    fixed ``--set`` items)."""

    bounds: tuple[tuple[str, float, float, bool], ...]
    objectives: tuple[str, ...]
    constraints: tuple[tuple[str, float], ...] = ()
    trials: int = 20
    seed: int = 0
    batch: int = 1
    robust: int = 0
    quantile: float = 0.1
    wafers: int = 10
    design_file: str | None = None
    fixed: tuple[str, ...] = ()
    digest: str | None = field(default=None, compare=True)

    @property
    def names(self) -> list[str]:
        return [b[0] for b in self.bounds]

    @property
    def metrics(self) -> list[str]:
        """Objective and constraint metrics (the dataset's variables), in order."""
        return list(dict.fromkeys([*self.objectives, *(c[0] for c in self.constraints)]))

    def to_json(self) -> dict[str, Any]:
        return {
            "bounds": [list(b) for b in self.bounds],
            "objectives": list(self.objectives),
            "constraints": [list(c) for c in self.constraints],
            "trials": self.trials,
            "seed": self.seed,
            "batch": self.batch,
            "robust": self.robust,
            "quantile": self.quantile,
            "wafers": self.wafers,
            "design": self.digest,
            "fixed": list(self.fixed),
        }


def make_design(spec: Spec, point: Mapping[str, float]) -> Design:
    """The validated design of a point: the base design with the point's values (ValueError
    naming the parameter; an infeasible layout raises the feasibility check's ValueError)."""
    from qkdchip import design as design_mod
    from qkdchip.feasibility import check
    from qkdchip.sims.network.model import settings_of

    integer = {b[0]: b[3] for b in spec.bounds}
    extra = [f"{n}={round(v) if integer.get(n) else repr(float(v))}" for n, v in point.items()]
    design = design_mod.load(spec.design_file, [*spec.fixed, *extra])
    settings_of(design)
    check(design)
    return design


@dataclass(frozen=True)
class TrialOutcome:
    """One evaluated trial: its metrics (the robust quantile when K > 0; NaN when failed)."""

    metrics: dict[str, float]
    status: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def point(self) -> PointResult:
        return PointResult(self.metrics, self.status, self.reason)


def _reach(res: Any) -> dict[str, float]:
    from qkdchip.sims.network.reach import reach_km

    return {"reach_km": reach_km(res)}


def _wafer_metrics(design: Design, wafers: int) -> dict[str, float]:
    from qkdchip.sims.network.inputs import settings_of
    from qkdchip.sims.network.montecarlo import summarise, wafer_records

    _, net = settings_of(design)
    summary = summarise(wafer_records(design, list(range(wafers))), net)
    return {k: float(summary[key]) for k, (key, _) in WAFER_METRICS.items()}


def evaluate_trial(
    point: Mapping[str, float], spec: Spec, draws: Sequence[int] | None = None
) -> TrialOutcome:
    """One trial: the design of ``point`` through the whole chain (a task of
    :func:`qkdchip.sweeps.map_tasks`). ``draws``: wafer offsets to evaluate it on (default
    ``range(spec.robust)`` when robust, else the design's own wafer); with several draws each
    metric is the ``spec.quantile`` of the draws' values."""
    import numpy as np

    from qkdchip.sims.network.montecarlo import wafer_design
    from qkdchip.sweeps import evaluate_designs

    nan = {k: math.nan for k in OBJECTIVES}
    try:
        design = make_design(spec, point)
    except ValueError as exc:
        return TrialOutcome(nan, "failed", " ".join(str(exc).split()))
    if draws is None:
        draws = list(range(spec.robust)) if spec.robust else []
    designs = [wafer_design(design, k) for k in draws] if draws else [design]
    wanted = set(spec.metrics)
    extra = _reach if "reach_km" in wanted else None
    results = evaluate_designs(designs, extra=extra)
    bad = [(k, r) for k, r in zip(draws or [0], results, strict=True) if not r.ok]
    if bad:
        k, r = bad[0]
        where = f"wafer draw {k}: " if draws else ""
        return TrialOutcome(nan, "failed", where + r.reason)
    out: dict[str, float] = {}
    for m in OBJECTIVES:
        vals = np.array([r.metrics.get(m, math.nan) for r in results], dtype=float)
        if len(vals) == 1:
            out[m] = float(vals[0])
        elif np.all(np.isfinite(vals)):
            out[m] = float(np.quantile(vals, spec.quantile))
        else:
            out[m] = math.nan
    if wanted & set(WAFER_METRICS):
        try:
            out.update(_wafer_metrics(design, spec.wafers))
        except ValueError as exc:
            return TrialOutcome(nan, "failed", " ".join(str(exc).split()))
    for m in spec.metrics:
        if not math.isfinite(out[m]):
            return TrialOutcome(nan, "failed", f"{m} is not defined for this design")
    return TrialOutcome(out, "ok", "")


# --- the study ---------------------------------------------------------------------------------

STUDY = "qkdchip-optimize"


def _sampler(spec: Spec):
    import optuna

    def constraints(trial) -> Sequence[float]:
        return trial.user_attrs.get("constraints", [0.0] * len(spec.constraints))

    return optuna.samplers.TPESampler(
        seed=spec.seed,
        n_startup_trials=min(10, max(1, spec.trials // 3)),
        multivariate=True,
        constraints_func=constraints if spec.constraints else None,
    )


def _storage(journal: str | None):
    if journal is None:
        return None
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(journal))


def _distributions(spec: Spec) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    return {
        n: IntDistribution(math.ceil(lo), math.floor(hi)) if integer else FloatDistribution(lo, hi)
        for n, lo, hi, integer in spec.bounds
    }


def optimize(
    spec: Spec,
    default_point: Mapping[str, float],
    *,
    client: Any = None,
    journal: str | None = None,
    on_trial: Callable[[int, Mapping[str, float], TrialOutcome], None] | None = None,
):
    """Run (or resume, from ``journal``) the study until it holds ``spec.trials`` trials.

    ``default_point``: the base design's values of the varied parameters (enqueued as the first
    trial when inside the bounds). Returns ``(study, outcomes)``: the Optuna study and, per trial
    number, its :class:`TrialOutcome`."""
    import optuna
    from optuna.trial import TrialState

    from qkdchip.sweeps import map_tasks

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions = ["maximize"] * len(spec.objectives)
    study = optuna.create_study(
        study_name=STUDY,
        storage=_storage(journal),
        sampler=_sampler(spec),
        directions=directions,
        load_if_exists=True,
    )
    outcomes: dict[int, TrialOutcome] = {}
    for t in study.get_trials(deepcopy=False):
        if t.state in (TrialState.COMPLETE, TrialState.FAIL) and "metrics" in t.user_attrs:
            outcomes[t.number] = TrialOutcome(
                {k: float(v) for k, v in t.user_attrs["metrics"].items()},
                t.user_attrs.get("status", "ok"),
                t.user_attrs.get("reason", ""),
            )
    dists = _distributions(spec)
    inside = all(lo <= default_point[n] <= hi for n, lo, hi, _ in spec.bounds if n in default_point)
    if not study.trials and inside:
        study.enqueue_trial({n: default_point[n] for n in spec.names})
    # trials left RUNNING by an interrupted run are asked again
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(t.number, state=TrialState.FAIL)
        study.set_user_attr(f"interrupted_{t.number}", True)
    while (done := len([t for t in study.trials if t.state.is_finished()])) < spec.trials:
        n = min(spec.batch, spec.trials - done)
        trials = [study.ask(dists) for _ in range(n)]
        points = [dict(t.params) for t in trials]
        tasks = [(p, spec) for p in points]
        results = map_tasks(evaluate_trial, tasks, client=client)
        for t, p, r in zip(trials, points, results, strict=True):
            t.set_user_attr("metrics", {k: r.metrics[k] for k in spec.metrics})
            t.set_user_attr("status", r.status)
            t.set_user_attr("reason", r.reason)
            if r.ok:
                if spec.constraints:
                    t.set_user_attr(
                        "constraints", [lo - r.metrics[m] for m, lo in spec.constraints]
                    )
                study.tell(t, [r.metrics[m] for m in spec.objectives])
            else:
                study.tell(t, state=TrialState.FAIL)
            outcomes[t.number] = r
            if on_trial is not None:
                on_trial(t.number, p, r)
    return study, outcomes


def feasible(spec: Spec, outcome: TrialOutcome) -> bool:
    return outcome.ok and all(outcome.metrics[m] >= lo for m, lo in spec.constraints)


def best_trials(study, spec: Spec, outcomes: Mapping[int, TrialOutcome]) -> list[Any]:
    """The best feasible trial (one objective) or the feasible Pareto front (two), in trial
    order; ties on one objective go to the earliest trial."""
    ok = [t for t in study.trials if t.number in outcomes and feasible(spec, outcomes[t.number])]
    if not ok:
        return []
    vals = [[outcomes[t.number].metrics[m] for m in spec.objectives] for t in ok]
    if len(spec.objectives) == 1:
        best = max(range(len(ok)), key=lambda i: (vals[i][0], -ok[i].number))
        return [ok[best]]
    front = []
    for i, v in enumerate(vals):
        dominated = any(
            all(w[k] >= v[k] for k in range(len(v))) and any(w[k] > v[k] for k in range(len(v)))
            for w in vals
        )
        if not dominated:
            front.append(ok[i])
    return front


def trial_dataset(spec: Spec, study, outcomes: Mapping[int, TrialOutcome], attrs=None):
    """Every trial as an ``xarray.Dataset`` along ``point`` (= trial number): the parameters,
    every objective / constraint metric (units, descriptions), status, reason
    (:func:`qkdchip.sweeps.to_dataset` for the sweep metrics)."""
    import numpy as np

    from qkdchip.sweeps import to_dataset

    trials = [t for t in study.trials if t.number in outcomes]
    points = [{n: float(t.params[n]) for n in spec.names} for t in trials]
    results = [outcomes[t.number].point() for t in trials]
    sweep_metrics = [m for m in spec.metrics if m in METRICS]
    ds = to_dataset(spec.names, points, results, sweep_metrics, attrs=attrs)
    for m in spec.metrics:
        if m in METRICS:
            continue
        ds[m] = ("point", np.array([r.metrics.get(m, math.nan) for r in results], dtype=float))
        ds[m].attrs = {"units": OBJECTIVES[m].unit or "1", "long_name": OBJECTIVES[m].description}
    return ds[[*spec.metrics, "status", "reason"]]


def finite_differences(
    spec: Spec, point: Mapping[str, float], rel_step: float = 1e-3, client: Any = None
) -> dict[str, dict[str, float]]:
    """d(objective)/d(parameter) at ``point`` by central finite differences, step
    ``rel_step`` x (HIGH - LOW) of each varied parameter (integer parameters: step 1), clipped
    to the range (one-sided at a bound). Returns ``{objective: {parameter: derivative}}`` (NaN
    where a neighbour fails)."""
    from qkdchip.sweeps import map_tasks

    tasks, where = [], []
    for n, lo, hi, integer in spec.bounds:
        h = 1.0 if integer else rel_step * (hi - lo)
        a, b = max(lo, point[n] - h), min(hi, point[n] + h)
        for x in (a, b):
            tasks.append(({**point, n: x}, spec))
        where.append((n, a, b))
    res = map_tasks(evaluate_trial, tasks, client=client)
    out: dict[str, dict[str, float]] = {m: {} for m in spec.objectives}
    for k, (n, a, b) in enumerate(where):
        ra, rb = res[2 * k], res[2 * k + 1]
        for m in spec.objectives:
            ok = ra.ok and rb.ok and b > a
            out[m][n] = (rb.metrics[m] - ra.metrics[m]) / (b - a) if ok else math.nan
    return out


# --- figures ------------------------------------------------------------------------------------


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_convergence(numbers, values, label: str, path, default: float | None = None):
    """Each trial's objective (failed trials marked on the axis) and the best so far."""
    import numpy as np

    from qkdchip.base.outputs import save_figure

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    x = np.asarray(numbers, dtype=float)
    y = np.array([np.nan if v is None else v for v in values], dtype=float)
    ok = np.isfinite(y)
    ax.plot(x[ok], y[ok], "o", ms=4, color="0.5", label="trial")
    best = np.fmax.accumulate(np.where(ok, y, -np.inf)) if y.size else y
    best = np.where(np.isfinite(best), best, np.nan)
    ax.step(x, best, where="post", color="C0", lw=2, label="best so far")
    if (~ok).any():
        lo = np.nanmin(y) if ok.any() else 0.0
        span = (np.nanmax(y) - lo) if ok.any() else 1.0
        ax.plot(x[~ok], np.full((~ok).sum(), lo - 0.08 * (span or 1.0)), "x", color="C3",
                label="failed (no value)")  # fmt: skip
    if default is not None:
        ax.axhline(default, color="C2", ls="--", lw=1, label="default design")
    ax.set_xlabel("trial")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(label)
    ax.set_title(f"convergence: {label}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_pareto(v0, v1, on_front, labels: tuple[str, str], path):
    """Trials in the plane of the two objectives, the Pareto front highlighted."""
    import numpy as np

    from qkdchip.base.outputs import save_figure

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 5.0), dpi=120)
    a, b = np.asarray(v0, dtype=float), np.asarray(v1, dtype=float)
    f = np.asarray(on_front, dtype=bool)
    ax.plot(a[~f], b[~f], "o", ms=4, color="0.6", label="trial")
    order = np.argsort(a[f])
    ax.plot(a[f][order], b[f][order], "o-", color="C3", ms=6, label="Pareto front")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title("Pareto front (both maximised)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)
