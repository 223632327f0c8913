"""Design-space sweeps: evaluate many design points for several metrics, serial or on Dask.

The reusable part of ``qkdchip sweep`` (and of a later optimiser):

* :data:`METRICS`: every figure of merit a point reports, with its description and unit (the one
  table of metric labels: sweep help, dataset attributes, plot axes);
* :func:`plan_tasks`: the points grouped into tasks. Points that share their *layout-level*
  parameters (``server.*``, ``comb.*``, ``client.*`` and the wafer fields of ``network.*``) share
  one comb and one wafer of client dies, so they go into the same task (the cell is built and
  its circuit compiled once per task), and their key rates are one vectorised call
  (:func:`qkdchip.sims.network.model.evaluate`). A task holds at most :data:`TASK_POINTS` points;
  small groups (points of different layouts) are packed into one task, whose key rates are then
  one call too.
  The tasks depend only on the list of points, never on who runs them, so a serial run, a local
  cluster and a remote scheduler compute the same numbers (same bytes in the dataset);
* :func:`evaluate_designs`: one task (a list of validated :class:`~qkdchip.base.design.Design`)
  -> one :class:`PointResult` per design: ``status`` "ok" or "failed" with its ``reason``; a failed
  point has NaN metrics, never 0; its two halves :func:`prepare_points` (comb, locking, dies)
  and :func:`finish_points` (the key rates) are separate Dask tasks on a client;
* :func:`run`: every task, serially or on a ``dask.distributed.Client``, skipping tasks already
  done (resume), with a callback per finished task;
* :func:`sample_points` (scipy.stats.qmc: Latin hypercube, scrambled Sobol, plain random) and
  :func:`grid_points`;
* :func:`to_dataset`, :func:`to_csv`, :func:`read_csv`: the xarray Dataset (``sweep.nc``: netCDF3
  written by scipy, no timestamps: byte-reproducible) and its CSV twin.

A point *fails* when its design cannot be evaluated (a ``ValueError``: an infeasible layout, a
wafer that cannot supply the clients, ...) or when its network does not operate at all (no
channel has both clients injection-locked, e.g. a ring far from critical coupling that forms no
comb); the reason says which. A network that locks but has no key at some distance is a result
(a key rate of 0), not a failure.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qkdchip.base.design import Design
from qkdchip.base.labels import LABELS
from qkdchip.sims.jaxcache import ONE_THREAD_XLA_FLAGS, one_thread_xla_flags

__all__ = [
    "LAYOUT_PREFIXES",
    "METHODS",
    "METRICS",
    "TASK_POINTS",
    "Metric",
    "PointResult",
    "close_client",
    "dask_client",
    "dataset_bytes",
    "evaluate_designs",
    "finish_points",
    "grid_points",
    "map_tasks",
    "metric_label",
    "param_label",
    "plan_tasks",
    "prepare_points",
    "read_csv",
    "run",
    "sample_points",
    "to_csv",
    "to_dataset",
    "warm_workers",
    "worker_pre_spawn_environ",
    "worker_xla_flags",
]


@dataclass(frozen=True)
class Metric:
    """A figure of merit of one design point (a key of ``NetworkResult.metrics()``)."""

    description: str
    unit: str  # "" for a pure number or a count
    label: str  # short axis label, without the unit


#: metric -> short axis label (without the unit); description and unit come from the one label
#: table, :data:`qkdchip.base.labels.LABELS`
_SHORT = {
    "min_ratio": "min key rate / PLOB",
    "mean_ratio": "mean key rate / PLOB",
    "max_ratio": "max key rate / PLOB",
    "min_rate": "min key rate",
    "mean_rate": "mean key rate",
    "total_bps": "total key rate",
    "network_bps": "network key rate",
    "locked_channels": "locked channels",
    "key_channels": "channels with key",
    "beating_plob": "channels above PLOB",
    "capability_km": "networking capability",
    "mean_qber_x": "mean X-basis QBER",
    "max_qber_x": "max X-basis QBER",
}
#: metric -> description, unit and axis label (keys of :meth:`NetworkResult.metrics`)
METRICS: dict[str, Metric] = {
    name: Metric(LABELS[name].text, LABELS[name].unit, short) for name, short in _SHORT.items()
}

#: sampling methods of :func:`sample_points`
METHODS: tuple[str, ...] = ("lhs", "sobol", "random")
#: parameter prefixes whose change rebuilds a cell (comb or client wafer)
LAYOUT_PREFIXES: tuple[str, ...] = ("server.", "comb.", "client.")
#: network fields that define the dies of the wafer (a change re-evaluates the client dies)
_WAFER_NETWORK = ("network.clients", "network.channels", "network.seed", "network.wafer_")
#: at most this many points per task (fixed: the tasks do not depend on the number of workers)
TASK_POINTS = 8


def metric_label(name: str) -> str:
    """Axis label of a metric with its unit: ``min key rate (bit/pulse)``."""
    m = METRICS[name]
    return f"{m.label} ({m.unit})" if m.unit else m.label


def param_label(name: str) -> str:
    """Axis label of a design parameter with its unit from the design registry."""
    from qkdchip import design as design_mod

    unit = design_mod.param(name).unit
    return f"{name} ({unit})" if unit else name


@dataclass(frozen=True)
class PointResult:
    """One evaluated point: every metric (NaN when failed), ``status`` and ``reason``."""

    metrics: dict[str, float]
    status: str  # "ok" or "failed"
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _failed(reason: str) -> PointResult:
    return PointResult({k: math.nan for k in METRICS}, "failed", " ".join(reason.split()))


def _layout_key(design: Design) -> tuple:
    return tuple(
        sorted(
            (k, repr(v))
            for k, v in design.overrides.items()
            if k.startswith(LAYOUT_PREFIXES) or k.startswith(_WAFER_NETWORK)
        )
    )


def plan_tasks(designs: Sequence[Design], size: int = TASK_POINTS) -> list[list[int]]:
    """Indices of ``designs`` grouped into tasks: points with the same layout-level parameters
    together (in order of first appearance), at most ``size`` per task; a group's part that
    fits into the task before it joins that task, so that points of different layouts (a
    sampled ring gap: one layout per point) share one task and one key-rate call instead of one
    task each (a batch of 8 points: 0.98 s a point instead of 1.39 s; each problem's optimum
    does not depend on its batch, sims.keyrate.optimize)."""
    groups: dict[tuple, list[int]] = {}
    for i, d in enumerate(designs):
        groups.setdefault(_layout_key(d), []).append(i)
    tasks: list[list[int]] = []
    for idx in groups.values():
        for part in (idx[s : s + size] for s in range(0, len(idx), size)):
            if tasks and len(tasks[-1]) + len(part) <= size:
                tasks[-1] = tasks[-1] + part
            else:
                tasks.append(part)
    return tasks


def _why_not_operating(res: Any) -> str:
    """The reason a network with no locked channel does not operate."""
    from qkdchip.sims.network.results import COMB_WINDOW_DB

    comb = res.comb
    lines = comb.n_lines_within(COMB_WINDOW_DB)
    if lines <= 1:
        return f"comb is {comb.state}: {lines} line{'' if lines == 1 else 's'} within {COMB_WINDOW_DB:g} dB"
    reasons = Counter(c.reason for c in res.channels if c.reason)
    if reasons:
        reason, n = reasons.most_common(1)[0]
        return f"no channel locked ({n} of {len(res.channels)}: {reason})"
    return "no channel locked"


def _result_of(res: Any, extra: Callable[[Any], Mapping[str, float]] | None = None) -> PointResult:
    if not any(c.locked for c in res.channels):
        return _failed(_why_not_operating(res))
    m = res.metrics()
    out = {k: float(m[k]) for k in METRICS}
    if extra is not None:
        out.update({k: float(v) for k, v in extra(res).items()})
    return PointResult(out, "ok", "")


def evaluate_designs(
    designs: Sequence[Design], extra: Callable[[Any], Mapping[str, float]] | None = None
) -> list[PointResult]:
    """One task: every design through the whole chain, the key rates in one vectorised call.

    A design that raises ``ValueError`` (or an infeasible layout) fails with its message; the
    others are unaffected. ``extra(network_result)``: further metrics of an operating point
    (e.g. the optimiser's ``reach_km``), merged into its metrics; a ``ValueError`` it raises
    fails that point."""
    return finish_points(prepare_points(designs), extra)


def prepare_points(designs: Sequence[Design]) -> list[Any]:
    """The first half of :func:`evaluate_designs`: each design's prepared network
    (:func:`qkdchip.sims.network.model.prepare`: comb, locking, client dies) or, when it raises
    ``ValueError``, its failed :class:`PointResult`."""
    from qkdchip.sims.network.model import prepare

    out: list[Any] = []
    for d in designs:
        try:
            out.append(prepare(d))
        except ValueError as exc:
            out.append(_failed(str(exc)))
    return out


def finish_points(
    items: Sequence[Any], extra: Callable[[Any], Mapping[str, float]] | None = None
) -> list[PointResult]:
    """The second half of :func:`evaluate_designs`: the prepared points' key rates in one
    vectorised call (one by one when one of them spoils the batch) and their metrics; the
    failed ones of :func:`prepare_points` are passed through."""
    from qkdchip.sims.network.model import evaluate

    out: list[PointResult | None] = [r if isinstance(r, PointResult) else None for r in items]
    where = [i for i, r in enumerate(out) if r is None]
    prepared = [items[i] for i in where]
    if prepared:
        try:
            results = evaluate(prepared)
        except ValueError:  # one bad design spoils the batch: evaluate one by one
            results = []
            for p in prepared:
                try:
                    results.append(evaluate([p])[0])
                except ValueError as exc:
                    results.append(exc)
        for i, r in zip(where, results, strict=True):
            if isinstance(r, Exception):
                out[i] = _failed(str(r))
                continue
            try:
                out[i] = _result_of(r, extra)
            except ValueError as exc:
                out[i] = _failed(str(exc))
    return [r for r in out if r is not None]


def run(
    designs: Sequence[Design],
    *,
    client: Any = None,
    done: Mapping[int, PointResult] | None = None,
    on_task: Callable[[list[int], list[PointResult]], None] | None = None,
) -> list[PointResult]:
    """Every design evaluated (:func:`evaluate_designs` per task of :func:`plan_tasks`).

    ``client``: a ``dask.distributed.Client`` (tasks run on its workers) or None (serial, in
    this process). ``done``: results already known by index (a task all of whose points are
    done is skipped). ``on_task(indices, results)`` is called as each task finishes (in the
    order tasks finish)."""
    done = dict(done or {})
    todo = [t for t in plan_tasks(designs) if not all(i in done for i in t)]
    results: dict[int, PointResult] = dict(done)

    def finish(task: list[int], res: list[PointResult]) -> None:
        results.update(zip(task, res, strict=True))
        if on_task is not None:
            on_task(task, res)

    if client is None:
        map_tasks(
            evaluate_designs, [([designs[i] for i in t],) for t in todo],
            on_done=lambda k, res: finish(todo[k], res),
        )  # fmt: skip
    else:
        _run_on(client, designs, todo, finish)
    return [results[i] for i in range(len(designs))]


def _layout_parts(designs: Sequence[Design], task: Sequence[int]) -> list[list[int]]:
    """Positions in ``task`` of its points grouped by layout (in order of first appearance)."""
    parts: dict[tuple, list[int]] = {}
    for pos, i in enumerate(task):
        parts.setdefault(_layout_key(designs[i]), []).append(pos)
    return list(parts.values())


def _reassemble(parts: Sequence[Sequence[int]], *prepared: Sequence[Any]) -> list[PointResult]:
    """:func:`finish_points` on a task's points in task order, from its layout parts' results."""
    items: list[Any] = [None] * sum(len(p) for p in parts)
    for part, got in zip(parts, prepared, strict=True):
        for pos, item in zip(part, got, strict=True):
            items[pos] = item
    return finish_points(items)


def _run_on(
    client: Any,
    designs: Sequence[Design],
    todo: Sequence[Sequence[int]],
    finish: Callable[[list[int], list[PointResult]], None],
) -> None:
    """The tasks ``todo`` on a Dask ``client``, each cut in two stages so that no worker idles
    at the end of a sweep behind one long task: one small task per layout among the task's
    points (:func:`prepare_points`: the comb, locking and dies of that layout, the most of a
    point's time) and one for the task's key rates (:func:`finish_points` on them, in task
    order: the same vectorised call, the same numbers as :func:`evaluate_designs`). A task's
    key rates go before the next task's layouts (Dask priorities), so the tasks finish, and
    are saved, in order while the workers stay busy: a 200-point sampled sweep on 2 workers
    left one of them idle for the last 9.5 of 132 s with whole tasks (25 tasks of 8 points)."""
    from distributed import as_completed

    futures = {}
    for k, task in enumerate(todo):
        parts = _layout_parts(designs, task)
        prep = [
            client.submit(
                prepare_points, [designs[task[pos]] for pos in part], pure=False, priority=-k
            )
            for part in parts
        ]
        fut = client.submit(_reassemble, parts, *prep, pure=False, priority=-k)
        futures[fut] = (k, prep)  # the prepared points are held until their task is done
    for fut in as_completed(list(futures)):
        k, _ = futures.pop(fut)
        finish(list(todo[k]), fut.result())


def map_tasks(
    fn: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    *,
    client: Any = None,
    on_done: Callable[[int, Any], None] | None = None,
    second_process: bool = False,
) -> list[Any]:
    """``[fn(*a) for a in args]``, serially (``client`` None, in this process, stopping cleanly
    between tasks on SIGINT/SIGTERM) or as tasks on a ``dask.distributed.Client``;
    ``on_done(k, result)`` as task ``k`` finishes (in the order they finish).

    ``second_process`` (without ``client``): this process and a second local one share the
    tasks (:func:`qkdchip.sims.network.background.map_pair`; serial where there is one CPU)."""
    if client is None:
        from qkdchip.sims.network.background import map_pair, map_serial

        return (map_pair if second_process else map_serial)(fn, args, on_done)
    from distributed import as_completed

    out: list[Any] = [None] * len(args)
    futures = {client.submit(fn, *a, pure=False): k for k, a in enumerate(args)}
    for fut in as_completed(list(futures)):
        k = futures[fut]
        out[k] = fut.result()
        if on_done is not None:
            on_done(k, out[k])
    return out


def dask_client(workers: int | None = None, scheduler: str | None = None):
    """A ``dask.distributed.Client``: on the running scheduler at ``scheduler``
    (``tcp://host:8786``) or on a new ``LocalCluster`` of ``workers`` single-threaded worker
    processes (closed with the client: :func:`close_client`). ValueError naming ``--scheduler``
    when it cannot be reached."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValueError(
                f"--scheduler {scheduler}: cannot connect ({exc}) "
                "(allowed the address of a running dask scheduler, e.g. tcp://host:8786)"
            ) from None
    import dask

    from qkdchip.sims.jaxcache import STRING_HASH_SEED

    with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_pre_spawn_environ()}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # the string-hash seed of a serial run (qkdchip.entry.stable_string_hashes), so that
            # the workers reuse its entries in JAX's persistent compilation cache
            env={"PYTHONHASHSEED": STRING_HASH_SEED, "XLA_FLAGS": worker_xla_flags()},
        )
    client = Client(cluster)
    client._qkdchip_cluster = cluster  # closed by close_client
    return client


#: XLA flags of a local worker (:data:`qkdchip.sims.jaxcache.ONE_THREAD_XLA_FLAGS`): one thread
#: per worker process, as Dask already sets OMP/MKL/OPENBLAS_NUM_THREADS=1 for its workers
WORKER_XLA_FLAGS = ONE_THREAD_XLA_FLAGS


def worker_xla_flags() -> str:
    """The ``XLA_FLAGS`` of a local worker: :data:`WORKER_XLA_FLAGS` after the caller's own."""
    return one_thread_xla_flags()


def worker_pre_spawn_environ() -> dict[str, Any]:
    """Dask's environment of a new local worker process, without ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets ``MALLOC_TRIM_THRESHOLD_=65536`` for its workers (so that long-lived workers give
    memory back to the OS). glibc then also stops adapting its mmap threshold, and every
    temporary array of the LLE and key-rate loops is mapped, faulted in and unmapped again:
    a task of 8 sampled points took 12.3 s in a worker (3.7 s of it system time, 2.25 million
    page faults) against 8.3 s in this process (5,500 faults); without the variable, 8.0 s
    in the worker. A command's workers live as long as the command. The thread limits Dask
    sets (``OMP_NUM_THREADS=1`` ...) are kept."""
    import dask
    import distributed  # noqa: F401  (loads the distributed.* configuration)

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return env


def close_client(client: Any) -> None:
    """Close a client of :func:`dask_client` (and the LocalCluster it started)."""
    cluster = getattr(client, "_qkdchip_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def warm_workers(client: Any) -> None:
    """Have every worker of ``client`` (None: nothing) import the evaluation chain now, without
    waiting: a worker's first task otherwise starts with seconds of imports (JAX, sax,
    gdsfactory), while the caller is still checking the points' designs."""
    if client is None:
        return
    from distributed import fire_and_forget

    for address in client.scheduler_info()["workers"]:  # one small task pinned to each worker
        fire_and_forget(
            client.submit(_warm, pure=False, workers=[address], allow_other_workers=False)
        )


def _warm() -> None:
    import qkdchip.sims.client
    import qkdchip.sims.network.model
    import qkdchip.sims.server  # noqa: F401


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """``with cluster(workers, scheduler) as client``: a :func:`dask_client` when either is
    given (closed on leaving, with the LocalCluster it started), else None (serial)."""
    client = dask_client(workers, scheduler) if workers is not None or scheduler else None
    try:
        yield client
    finally:
        if client is not None:
            close_client(client)


# --- points -----------------------------------------------------------------------------------


def grid_points(sweeps: Sequence[tuple[str, Sequence[float]]]) -> list[dict[str, float]]:
    """Every combination of the swept values (the last parameter varies fastest)."""
    import itertools

    names = [n for n, _ in sweeps]
    return [
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*(v for _, v in sweeps))
    ]


def sample_points(
    bounds: Sequence[tuple[str, float, float]], samples: int, method: str = "lhs", seed: int = 0
) -> list[dict[str, float]]:
    """``samples`` points in the box ``bounds`` ((name, low, high), ...) drawn by ``method``
    (scipy.stats.qmc: ``lhs`` Latin hypercube, ``sobol`` scrambled Sobol, ``random`` uniform),
    reproducible for a ``seed``."""
    import warnings

    import numpy as np
    from scipy.stats import qmc

    if method not in METHODS:
        raise ValueError(f"--method {method!r} is unknown (allowed {', '.join(METHODS)})")
    d = len(bounds)
    rng = np.random.default_rng(seed)
    if method == "lhs":
        unit = qmc.LatinHypercube(d=d, seed=rng).random(samples)
    elif method == "sobol":
        with warnings.catch_warnings():  # a sample size other than 2^m is allowed, if less even
            warnings.simplefilter("ignore", UserWarning)
            unit = qmc.Sobol(d=d, scramble=True, seed=rng).random(samples)
    else:
        unit = rng.random((samples, d))
    lo = np.array([b[1] for b in bounds], dtype=float)
    hi = np.array([b[2] for b in bounds], dtype=float)
    x = lo + unit * (hi - lo)
    names = [b[0] for b in bounds]
    return [{n: float(v) for n, v in zip(names, row, strict=True)} for row in x]


# --- dataset and CSV ----------------------------------------------------------------------------


def to_dataset(
    names: Sequence[str],
    points: Sequence[Mapping[str, float]],
    results: Sequence[PointResult | None],
    metrics: Sequence[str],
    *,
    grid: Sequence[Sequence[float]] | None = None,
    attrs: Mapping[str, Any] | None = None,
):
    """The sweep as an ``xarray.Dataset``: one variable per metric (units and description in its
    attributes), ``status`` and ``reason``; coordinates = the swept parameters (a grid) or, for
    sampled points, a ``point`` dimension with each parameter as a coordinate along it. A point
    not evaluated yet has status ``pending``."""
    import numpy as np
    import xarray as xr

    from qkdchip import design as design_mod

    n = len(points)
    status = [r.status if r is not None else "pending" for r in results]
    reason = [r.reason if r is not None else "" for r in results]
    values = {
        m: np.array([r.metrics[m] if r is not None else np.nan for r in results], dtype=float)
        for m in metrics
    }
    if grid is not None:
        dims = list(names)
        shape = tuple(len(g) for g in grid)
        coords = {nm: (nm, np.asarray(g, dtype=float)) for nm, g in zip(names, grid, strict=True)}
    else:
        dims = ["point"]
        shape = (n,)
        coords = {"point": ("point", np.arange(n, dtype=np.int32))}
        for nm in names:
            coords[nm] = ("point", np.array([p[nm] for p in points], dtype=float))
    data = {m: (dims, v.reshape(shape)) for m, v in values.items()}
    data["status"] = (dims, np.array(status, dtype=str).reshape(shape))
    data["reason"] = (dims, np.array(reason, dtype=str).reshape(shape))
    ds = xr.Dataset(data, coords=coords, attrs=dict(attrs or {}))
    for m in metrics:
        ds[m].attrs = {"units": METRICS[m].unit or "1", "long_name": METRICS[m].description}
    ds["status"].attrs = {"long_name": "ok, failed or pending"}
    ds["reason"].attrs = {"long_name": "why the point failed (empty when ok)"}
    for nm in names:
        p = design_mod.param(nm)
        ds[nm].attrs = {"units": p.unit or "1", "long_name": p.doc or nm}
    return ds


def dataset_bytes(ds) -> bytes:
    """``ds`` as netCDF3 bytes (scipy engine: no library version, no timestamp)."""
    return bytes(ds.to_netcdf(engine="scipy", format="NETCDF3_64BIT"))


def to_csv(
    names: Sequence[str],
    points: Sequence[Mapping[str, float]],
    results: Sequence[PointResult | None],
    metrics: Sequence[str],
) -> str:
    """The evaluated points as CSV text: parameters, metrics (``repr``, round-trips exactly;
    ``nan`` when failed), status, reason."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", *names, *metrics, "status", "reason"])
    for i, (p, r) in enumerate(zip(points, results, strict=True)):
        if r is None:
            continue
        w.writerow(
            [i, *(repr(float(p[n])) for n in names)]
            + [repr(float(r.metrics[m])) for m in metrics]
            + [r.status, r.reason]
        )
    return buf.getvalue()


def read_csv(
    text: str,
    names: Sequence[str],
    points: Sequence[Mapping[str, float]],
    metrics: Iterable[str],
) -> dict[int, PointResult]:
    """Results of a previous run's CSV that match ``points`` exactly (same index and values and
    every metric present); rows that do not match are ignored (they are computed again)."""
    metrics = list(metrics)
    done: dict[int, PointResult] = {}
    rows = csv.DictReader(io.StringIO(text))
    for row in rows:
        try:
            i = int(row["index"])
            if not 0 <= i < len(points):
                continue
            if any(float(row[n]) != float(points[i][n]) for n in names):
                continue
            vals = {m: float(row[m]) for m in metrics}
            status, reason = row["status"], row["reason"]
        except (KeyError, TypeError, ValueError):
            continue
        if status not in ("ok", "failed"):
            continue
        full = {k: math.nan for k in METRICS}
        full.update(vals)
        done[i] = PointResult(full, status, reason)
    return done
