"""``qkdchip run``: the steps of the job and their atomic writing (see the package docstring).

masks (build + DRC, or the cached masks: masks.py) -> client chip, server chip (figures.py)
-> comb -> network at the design distance -> rate vs distance (qkdchip.sims.network)
-> model-assumption variants (reference.py, one key-rate call)
-> the unpublished parameters (uncertain.*) under uncertainty: REPORT_SAMPLES samples, bands,
   sensitivity, consistency with the reference (qkdchip.sims.network.uncertainty)
-> results.json (+ checks against the reference), report.md (markdown.py) and report.html
(the same report as one self-contained page, figures embedded: html.py)

The key rates near the evaluated network (curves, model variants, uncertainty samples) are
refined locally from its optimised channels (``keyrates.solve`` with warm starts), and every
key-rate call goes through the on-disk key-rate cache (``sims.network.keycache``): a second run
of a design computes none of them again.

With two or more CPUs a second process (:mod:`qkdchip.sims.network.background`) runs the comb
and the masks (sent at the start) and the rate-vs-distance key rates (sent at the curves step)
while this one does both chips, the network, the model assumptions and the uncertainty step;
they are collected where needed (the comb before the network, the rest after the uncertainty
step). The process is forked at the start (on Linux, while JAX has started no backend; else
spawned): it shares the modules imported so far (gdsfactory) and imports the rest (JAX) beside
this process's own imports. The same functions on the same inputs, so the same numbers and
files as in one process (results.json byte-identical, tested).

Atomic: ``out_dir`` is checked before any work; every file is written into a stage folder beside
it and the whole set is published in one rename (``qkdchip.base.outputs.staged_folder``): a failure
or SIGINT/SIGTERM (under the CLI; checked between and after the steps) leaves ``out_dir`` as it
was and no stage behind. Entries of ``out_dir`` that a run does not write (:data:`OUTPUTS`) are
kept.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qkdchip.base import outputs
from qkdchip.design import Design

from . import figures
from .html import html_report
from .markdown import markdown
from .masks import build_key, cached_masks
from .reference import REFERENCE, reference_checks, sensitivity_variants

__all__ = ["OUTPUTS", "REPORT_SAMPLES", "STEPS", "RunResult", "run"]

#: samples of the uncertainty step (a modest number: ~2 s of optimised key rates; the
#: ``network --uncertainty`` command takes any number)
REPORT_SAMPLES = 256

log = logging.getLogger(__name__)

#: the entries a run writes into its folder (replaced as a whole; any other entry is kept)
OUTPUTS = frozenset(
    {"report.md", "report.html", "results.json", "timings.json", "masks", "figures"}
)

#: the steps of a run (key, description), in order
STEPS: tuple[tuple[str, str], ...] = (
    ("masks", "build + DRC the masks"),
    ("client", "client chip S-matrix"),
    ("server", "server chip S-matrix"),
    ("comb", "Kerr comb (LLE)"),
    ("network", "network at the design distance"),
    ("curves", "rate vs distance"),
    ("sensitivity", "model assumptions"),
    ("uncertainty", "unpublished parameters under uncertainty"),
    ("report", "report"),
)


@dataclass
class RunResult:
    """What :func:`run` wrote and computed."""

    out_dir: Path
    results: dict[str, Any]
    timings_s: dict[str, float]
    network: Any  # NetworkResult
    files: list[str] = field(default_factory=list)


def _jsonable(o: Any) -> Any:
    from qkdchip.sims.network.model import jsonable

    return jsonable(str(o) if isinstance(o, Path) else o)


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(_jsonable(obj), indent=2, allow_nan=False) + "\n")


def run(
    out_dir: str | Path = "qkdchip_run",
    design: Design | None = None,
    *,
    progress: Callable[[str, str], None] | None = None,
    reuse_masks: bool = True,
) -> RunResult:
    """Run the whole job on ``design`` (default: the reference design) into ``out_dir``."""
    from qkdchip.sims.network import background, model

    design = design or Design()
    model.settings_of(design)  # validate the system parameters before anything is written
    out_dir = Path(out_dir)
    outputs.check_folder(out_dir, str(out_dir), OUTPUTS.__contains__)
    say = progress or (lambda _k, _d: None)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    def step(key: str) -> float:
        outputs.checkpoint()  # SIGINT/SIGTERM: stop between steps
        log.info(
            "step %s: %s (%.1f s into the run)", key, dict(STEPS)[key], time.perf_counter() - t_all
        )
        say(key, dict(STEPS)[key])
        return time.perf_counter()

    # the second process (sims.network.background): the comb, the masks, the rate-vs-distance
    # key rates
    keyproc = background.start()
    try:
        return _run(out_dir, design, step, timings, t_all, reuse_masks, keyproc)
    finally:
        if keyproc is not None:
            keyproc.close()


def masks_step(dest: Path, out_dir: Path, design: Design, reuse: bool) -> tuple[dict, str]:
    """The masks of ``design`` into ``dest``: those of ``out_dir``'s previous run when their key
    matches (``reuse``), else built, checked (DRC) and previewed. Returns (manifest, what was
    done). A module-level function: ``run`` runs it in its second process."""
    from qkdchip.build import write_masks

    key = build_key(design)
    manifest = cached_masks(out_dir, key, dest) if reuse else None
    if manifest is not None:
        return manifest, "masks (reused)"
    dest.mkdir(exist_ok=True)
    files, _ = write_masks(dest, design, previews=True, drc=True)
    (dest / "build_key.txt").write_text(key + "\n")
    return {"files": files}, "masks (build + DRC + previews)"


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``(fn(*args), seconds)``: a step's value and its time, wherever it runs."""
    t0 = time.perf_counter()
    return fn(*args), time.perf_counter() - t0


def _run(out_dir, design, step, timings, t_all, reuse_masks, keyproc) -> RunResult:
    from qkdchip.commands.comb import plot_comb
    from qkdchip.commands.network import CURVE_KM, result_json
    from qkdchip.sims.network import model, plots
    from qkdchip.sims.network.curves import CurvesRequest
    from qkdchip.sims.network.keyrates import solve, warm_of

    with outputs.staged_folder(out_dir, str(out_dir), OUTPUTS.__contains__) as stage:
        figs = stage / "figures"
        figs.mkdir()
        # with a second process, the comb and the masks run there (sent now and collected in
        # this order: the comb before the network, the masks after the uncertainty step), and
        # later the rate-vs-distance key rates; the chips' S-matrices and the rest run here
        step("masks")
        if keyproc is not None:
            keyproc.call(timed, model.comb_of, design)  # needed first: before the masks
            keyproc.call(timed, masks_step, stage / "masks", out_dir, design, reuse_masks)
        else:
            (manifest, what), seconds = timed(
                masks_step, stage / "masks", out_dir, design, reuse_masks
            )
            timings[what] = seconds

        t0 = step("client")
        client_figs = figures.plot_client(design, figs / "client_sparams.png")
        timings["client chip S-matrix"] = time.perf_counter() - t0

        t0 = step("server")
        server_figs = figures.plot_server(design, figs / "server_sparams.png")
        timings["server chip S-matrix"] = time.perf_counter() - t0

        t0 = step("comb")
        if keyproc is not None:
            comb, seconds = keyproc.result()
            model.provide_comb(design, comb)
            timings["comb (LLE)"] = seconds
            timings["waited for the comb (second process)"] = time.perf_counter() - t0
        else:
            comb = model.comb_of(design)
            timings["comb (LLE)"] = time.perf_counter() - t0

        t0 = step("network")
        prep = model.prepare(design)
        outputs.checkpoint()
        network = model.evaluate([prep])[0]
        plot_comb(comb, network.plan, figs / "comb_spectrum.png")
        plots.plot_ratios(network, figs / "ratio_to_plob.png")
        timings["network: client wafer (S-matrix, batched)"] = prep.timings_s["wafer"]
        timings["network: locking, phase noise, key rates, plots"] = (
            time.perf_counter() - t0 - prep.timings_s["wafer"]
        )

        t0 = step("curves")
        # its key-rate call runs in the second process (if any), after its steps above, beside
        # the next two steps; collected after the uncertainty step
        req = CurvesRequest.of(network, CURVE_KM)
        if req.call is not None and keyproc is not None:
            keyproc.submit(*req.call)
            curves = None
            timings["rate vs distance: rows sent to the second process"] = time.perf_counter() - t0
        else:
            curves = req.finish(solve(*req.call) if req.call is not None else None)
            timings["rate vs distance (channels x distances, one call)"] = time.perf_counter() - t0

        t0 = step("sensitivity")
        variants = sensitivity_variants()
        preps = []
        for _, ov in variants:
            preps.append(model.prepare(Design({**design.overrides, **ov})))
            outputs.checkpoint()
        sens = []
        # refined from the reference channels' optima (keyrates.evaluate with warm starts)
        warm = warm_of(network)
        for (label, ov), r in zip(variants, model.evaluate(preps, warm=warm), strict=True):
            sm = r.summary()
            sens.append(
                {
                    "label": label,
                    "overrides": ov,
                    "channels": sm["channels"],
                    "channels_with_key": sm["channels_with_key"],
                    "ratio_min": sm["ratio_to_plob_min"],
                    "ratio_max": sm["ratio_to_plob_max"],
                    "qber_x_range": sm["qber_x_range"],
                }
            )
        timings[f"model assumptions ({len(variants)} variants, one key-rate call)"] = (
            time.perf_counter() - t0
        )

        t0 = step("uncertainty")
        from qkdchip.sims.network.uncertainty import propagate, uncertain_of

        unc = propagate(network, uncertain_of(design), REPORT_SAMPLES)
        plots.plot_uncertainty(unc, network, figs / "uncertainty.png")
        timings[f"uncertainty ({REPORT_SAMPLES} samples, one optimised key-rate call)"] = (
            time.perf_counter() - t0
        )
        for k, v in unc.timings_s.items():
            timings[f"uncertainty: {k}"] = v

        if keyproc is not None:  # the second process's steps, in the order they were sent
            t0 = time.perf_counter()
            (manifest, what), seconds = keyproc.result()
            timings[what] = seconds
            timings["waited for the masks (second process)"] = time.perf_counter() - t0
        if curves is None:
            t0 = time.perf_counter()
            curves = req.finish(keyproc.result())
            timings["rate vs distance: waited for the second process"] = time.perf_counter() - t0
        plots.plot_rate_curves(curves, network, figs / "rate_vs_distance.png")

        t0 = step("report")
        from qkdchip.sims.security.analysis import security_margins

        security = security_margins(design).to_dict()
        net_json = result_json(network, curves, unc)
        unc_json = net_json.pop("uncertainty")  # the channels keep their bands and shares
        summ = net_json["summary"]
        checks = reference_checks(network, summ)
        comb_dict = comb.to_dict()
        comb_dict.pop("lines", None)
        results = {
            "design": {
                "overrides": dict(design.overrides),
                "seed": network.net.seed,
            },
            "reference": REFERENCE,
            "checks": checks,
            "masks": manifest,
            "client_chip": client_figs,
            "server_chip": server_figs,
            "comb": {**comb_dict, "channels": network.plan.to_dict()["channels"]},
            "network": net_json,
            "model_assumptions": sens,
            "security": security,
            "uncertainty": unc_json,
        }
        results = _jsonable(results)
        report_md = markdown(results, network, sens)
        (stage / "report.md").write_text(report_md)
        _write_json(stage / "results.json", results)
        timings["report"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_all
        _write_json(stage / "timings.json", timings)
        # the same report as one self-contained page (figures embedded), beside report.md
        (stage / "report.html").write_text(html_report(report_md, stage), encoding="utf-8")
        files = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
        outputs.checkpoint()  # after the last step: nothing is published after a signal
    log.info("wrote %d files into %s", len(files), out_dir)
    for name, seconds in timings.items():
        log.debug("time of %s: %.2f s", name, seconds)
    return RunResult(out_dir, results, timings, network, files)
