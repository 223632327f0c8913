"""Key rates of prepared designs: the protocol part of the chain of model.py.

    prepared channel (prepare.py): locked pair, residual phase sigma and the non-phase X error
    e_d of its budget, the pair's extinction ratio
    -> upstream fibres + the server's receive filter + detectors (keyrate.Channel, Detector)
    -> key rate of the protocol, finite key, intensities optimised per channel
       (keyrate.key_rate; SNS with the finite-extinction vacuum of the pair's dies)
    -> simultaneous mode: the other channels' light through the server's receive filter as
       extra dark counts (from the first pass's mean photon numbers), and a second pass
    -> outcome.assemble: budgets, reasons, ChannelResult.

Every active channel of every design of one protocol is one row of a single vectorised,
optimised key-rate call (:class:`Rows`, :func:`solve`; the curves reuse them).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qkdchip.base.design import Design
from qkdchip.sims.keyrate import Channel, Detector, SNSParams, default_params, key_rate
from qkdchip.sims.physics.channels import DemuxFilter

from .outcome import ER_MAX_DB, assemble, pair_er_db, reason_before_key
from .prepare import Prepared, Progress, prepare
from .results import NetworkResult
from .settings import LinkSettings, NetworkSettings

__all__ = ["Rows", "evaluate", "simulate_network", "solve", "warm_of"]


@dataclass
class Rows:
    """Flattened key-rate problems (one per active channel of every prepared design)."""

    owner: list[tuple[int, int]] = field(default_factory=list)  # (design index, channel index)
    la: list[float] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    alpha: list[float] = field(default_factory=list)
    extra: list[float] = field(default_factory=list)
    e_d: list[float] = field(default_factory=list)
    sigma: list[float] = field(default_factory=list)
    eta_d: list[float] = field(default_factory=list)
    p_d: list[float] = field(default_factory=list)
    er: list[float] = field(default_factory=list)
    f_ec: list[float] = field(default_factory=list)
    pulses: list[float] = field(default_factory=list)

    def add(
        self,
        owner: tuple[int, int],
        link: LinkSettings,
        net: NetworkSettings,
        *,
        length_km: tuple[float, float],
        sigma: float,
        e_d: float,
        p_d: float,
        er: float,
    ) -> None:
        """One row: the upstream arms ``length_km`` (A, B), the residual phase ``sigma``, the
        non-phase X error ``e_d`` (the pair's budget, physics.qber: polarisation, intensity,
        jitter, crosstalk and ``link.misalignment`` together), the dark-count probability ``p_d``
        and the extinction ratio ``er``; the fibre loss, receive filter, detector efficiency,
        f_EC and pulses of ``link`` and ``net``."""
        self.owner.append(owner)
        self.la.append(length_km[0])
        self.lb.append(length_km[1])
        self.alpha.append(link.fibre_loss_db_per_km)
        self.extra.append(link.server_filter_loss_db)
        self.e_d.append(e_d)
        self.sigma.append(sigma)
        self.eta_d.append(link.detector_eta)
        self.p_d.append(p_d)
        self.er.append(er)
        self.f_ec.append(net.ec_f)
        self.pulses.append(net.pulses)


def solve(protocol: str, rows: Rows, finite: bool, warm: Sequence[dict[str, Any]] | None = None):
    """One vectorised, optimised key-rate call over every row.

    ``warm``: parameter sets of already solved rows (e.g. the channels of the evaluated
    network); given, every row is refined locally from the best of them (``search="local"``,
    the global search only where that finds no key), otherwise searched globally.

    Results are kept in the key-rate cache (:mod:`.keycache`: the same rows, warm starts and
    code give the stored result, to the bit)."""
    from .keycache import cached

    return cached(protocol, rows, finite, warm, lambda: _solve(protocol, rows, finite, warm))


def _solve(protocol: str, rows: Rows, finite: bool, warm: Sequence[dict[str, Any]] | None):
    a = {k: np.asarray(v, dtype=float) for k, v in dataclasses.asdict(rows).items() if k != "owner"}
    channel = Channel(
        length_a_km=a["la"],
        length_b_km=a["lb"],
        fibre_loss_db_per_km=a["alpha"],
        extra_loss_a_db=a["extra"],
        extra_loss_b_db=a["extra"],
        misalignment=a["e_d"],
        phase_rms_rad=a["sigma"],
    )
    detector = Detector(eta_det=a["eta_d"], dark_count_prob=a["p_d"])
    params = (
        SNSParams(extinction_ratio_db=a["er"])
        if protocol in ("sns", "sns-aopp")
        else default_params(protocol)
    )
    return key_rate(
        protocol,
        channel,
        detector,
        params,
        f_ec=a["f_ec"],
        pulses=a["pulses"] if finite else None,
        optimize=True,
        warm_start=list(warm) if warm else None,
        search="local" if warm else "global",
    )


def _mean_photons(protocol: str, p: dict[str, Any]) -> float:
    """Mean emitted photon number per pulse of one party (for the crosstalk estimate)."""
    if protocol in ("sns", "sns-aopp"):
        mu_v = p.get("mu_vacuum") or 0.0
        pz = p.get("p_z") if p.get("p_z") is not None else 1.0
        z = p["eps"] * p["mu_z"] + (1.0 - p["eps"]) * mu_v
        p0, p1 = p.get("p_0") or 0.0, p.get("p_1") or 0.0
        x = p0 * mu_v + p1 * p["mu_1"] + max(0.0, 1.0 - p0 - p1) * p["mu_2"]
        return pz * z + (1.0 - pz) * x
    if protocol in ("pm", "tf"):
        return 0.5 * p["mu"]
    return p["mu"]


def _crosstalk(prep: Prepared, idx: list[int], mean_mu: dict[int, float]) -> dict[int, float]:
    """Simultaneous mode: extra click probability per detector per pulse of each active
    channel from the other channels' light through the server's receive filter."""
    link = prep.link
    filt = DemuxFilter(
        insertion_loss_db=link.server_filter_loss_db,
        isolation_db=link.server_filter_isolation_db,
    )
    eta_a = 10.0 ** (-link.fibre_loss_db_per_km * link.upstream_a_km / 10.0)
    eta_b = 10.0 ** (-link.fibre_loss_db_per_km * link.upstream_b_km / 10.0)
    out = {}
    for i in idx:
        nu_i = prep.plan.channels[i].frequency_hz
        leak = 0.0
        for j in idx:
            if j == i:
                continue
            t = 10.0 ** (
                float(filt.transmission_db(prep.plan.channels[j].frequency_hz - nu_i)) / 10
            )
            leak += mean_mu[j] * (eta_a + eta_b) * t
        out[i] = link.detector_eta * leak / 2.0
    return out


def evaluate(
    prepared: Sequence[Prepared],
    progress: Progress = None,
    warm: Sequence[dict[str, Any]] | None = None,
) -> list[NetworkResult]:
    """Key rates of every prepared design: one optimised key-rate call per protocol over all
    their active channels (simultaneous mode: a second call with the crosstalk).

    ``warm``: parameter sets of a solved network whose designs differ little from these (e.g.
    :func:`warm_of` the reference, for model variants of it): the rows are refined locally
    from them (see :func:`solve`); None: the global search."""
    say = progress or (lambda _m: None)
    say("key rates (finite key, optimised)")
    t0 = time.perf_counter()
    active = [
        [i for i, ph in enumerate(p.phase) if ph is not None and reason_before_key(p, i) == ""]
        for p in prepared
    ]
    outputs: dict[tuple[int, int], dict[str, Any]] = {}
    extra_pd: dict[tuple[int, int], float] = {}
    for protocol in sorted({p.net.protocol for p in prepared}):
        members = [d for d, p in enumerate(prepared) if p.net.protocol == protocol]
        for finite in (True, False):
            group = [d for d in members if (prepared[d].net.finite_pulses is not None) == finite]
            if not group:
                continue
            res = _solve_group(prepared, active, group, protocol, finite, extra_pd, warm)
            outputs.update(res)
            simul = [d for d in group if prepared[d].net.mode == "simultaneous"]
            if simul:
                for d in simul:
                    prep = prepared[d]
                    mean = {
                        i: _mean_photons(protocol, outputs[(d, i)]["parameters"]) for i in active[d]
                    }
                    for i, pd in _crosstalk(prep, active[d], mean).items():
                        extra_pd[(d, i)] = pd
                outputs.update(
                    _solve_group(prepared, active, simul, protocol, finite, extra_pd, warm)
                )
    t_key = time.perf_counter() - t0
    return [assemble(d, p, outputs, t_key) for d, p in enumerate(prepared)]


def warm_of(result: NetworkResult) -> list[dict[str, Any]]:
    """The optimised parameter sets of ``result``'s keyed channels (warm starts for
    :func:`solve` / :func:`evaluate` of problems near them)."""
    return [dict(c.parameters) for c in result.channels if c.has_key and c.parameters]


def _solve_group(prepared, active, group, protocol, finite, extra_pd, warm=None):
    rows = Rows()
    for d in group:
        p = prepared[d]
        for i in active[d]:
            a, b = p.pairs[i]
            rows.add(
                (d, i),
                p.link,
                p.net,
                length_km=(p.link.upstream_a_km, p.link.upstream_b_km),
                sigma=math.sqrt(sum(p.phase[i].values())),
                e_d=p.xbudget[i].e_d,
                p_d=p.link.detector_dark_count_prob + extra_pd.get((d, i), 0.0),
                er=min(pair_er_db(a.chip, b.chip), ER_MAX_DB),
            )
    if not rows.owner:
        return {}
    res = solve(protocol, rows, finite, warm)
    recs = res.records()
    out = {}
    for r, owner in enumerate(rows.owner):
        rec = recs[r]
        out[owner] = {
            "rate_per_pulse": float(rec["rate_per_pulse"] or 0.0),
            "qber_x": rec["qber_x"],
            "qber_z": rec["qber_z"],
            "parameters": rec["parameters"],
            "er": rows.er[r],
            "p_d": rows.p_d[r],
        }
    return out


def simulate_network(design: Design | None = None, progress: Progress = None) -> NetworkResult:
    """The whole network of ``design`` (see the module docstring)."""
    return evaluate([prepare(design or Design(), progress)], progress)[0]
