"""The TF-QKD network: from the design (layout + system parameters) to the key of every channel.

Chain for channel i (client pair A_i, B_i), every number from the layer that owns it::

    server chip (layout) -> ring -> LLE comb (qkdchip.sims.devices)
        -> channel plan: line k_i, demux port (physics.channels.plan_channels)
        -> downstream fibre + 1:2 split (physics.channels.deliver), injection facet of the die
           (its S-matrix, wafer.py) -> injected power at each slave laser
        -> injection locking of A_i and B_i (physics.injection: Adler range, bandwidth,
           residual phase; the die's free-running detuning; unlocked -> no key, with the reason)
        -> residual phase of the pair (physics.phasenoise: locked linewidth over the path
           imbalance, injection residuals, fibre drift after the dual-wavelength subtraction,
           reference shot noise) -> rms sigma
        -> upstream fibres + the server's receive filter + detectors (keyrate.Channel/Detector)
        -> key rate of the protocol, finite key (keyrate.key_rate, optimised per channel) with
           the finite-extinction vacuum of the pair's dies (SNS)
        -> transmitter link budget of each die at the optimised intensities (physics.budget;
           the external attenuator chosen in the middle of the die's window)
        -> PLOB at the same fibre distance, ratio.

Conventions:

* Channels are the plan's fixed line lattice (every m-th line around the reference line); the
  line assignment does not depend on the comb's power window, so a comb that is weaker (or not
  formed, e.g. a ring far from critical coupling) leaves its channels on weak lines, where
  locking then fails -- the consequence is computed, not asserted.
* PLOB is evaluated for the fibre alone, eta = 10^(-alpha (L_A + L_B)/10) (as the reference
  compares), i.e. the server's filter loss and the detector efficiency count against the
  protocol, not the bound.
* ``sequential`` mode: one channel at a time (the reference); ``rate_bps`` of a channel is its
  rate while it runs, the network average is the mean over channels. ``simultaneous``: all
  channels at once on two shared upstream fibres (A side, B side); the other channels leak
  through the server's receive filter (its stop band at the actual line offsets) and add
  incoherent counts, treated as dark counts (p_d += eta_d sum_j eta_arm,j mu_mean,j T(dnu_ij) / 2
  per detector, mu_mean from the optimised intensities of a first pass); ``detector_pairs``
  pairs are time-shared among the active channels (each gets min(1, pairs / n) of the time).
* Networking capability = (client pairs with key) x (their Alice-Bob fibre distance).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from qkdchip.base.design import Design
from qkdchip.sims.keyrate import Channel, Detector, SNSParams, default_params, key_rate, plob
from qkdchip.sims.physics.budget import Transmitter, link_budget
from qkdchip.sims.physics.channels import (
    ChannelPlan,
    DemuxFilter,
    Distribution,
    deliver,
    plan_channels,
)
from qkdchip.sims.physics.comb import CombResult
from qkdchip.sims.physics.injection import LockingResult, injection_lock
from qkdchip.sims.physics.phasenoise import PhaseNoiseBudget

from .settings import LinkSettings, NetworkSettings
from .wafer import ClientChip, Die, chip_figures, draw_wafer

__all__ = [
    "ChannelResult",
    "ClientLink",
    "NetworkResult",
    "Prepared",
    "evaluate",
    "jsonable",
    "prepare",
    "rate_curves",
    "settings_of",
    "simulate_network",
]

#: the SNS vacuum model accepts ER in [10, 100] dB (keyrate.SNSParams); beyond 100 dB the
#: vacuum (mu / 1e10) is irrelevant
_ER_MIN_DB, _ER_MAX_DB = 10.0, 100.0
#: power window (dB below the strongest line) within which a line counts as part of the comb
#: for the report (physics.channels.plan_channels's default window)
_COMB_WINDOW_DB = 30.0
#: plan_channels's widest window: the channel lattice independent of line powers
_LATTICE_WINDOW_DB = 200.0

Progress = Callable[[str], None] | None


def jsonable(o: Any) -> Any:
    """``o`` with numpy scalars/arrays as Python values and non-finite floats as None (JSON)."""
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return jsonable(o.tolist())
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def settings_of(design: Design) -> tuple[LinkSettings, NetworkSettings]:
    """The design's link and network settings (validated: ValueError naming the parameter)."""
    return LinkSettings(**design.kwargs("link")), NetworkSettings(**design.kwargs("network"))


# --- cached device layers -------------------------------------------------------------------------


def _items(design: Design, prefixes: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in design.overrides.items() if k.startswith(prefixes)))


@lru_cache(maxsize=32)
def _comb(items: tuple[tuple[str, Any], ...]) -> CombResult:
    from qkdchip.sims import devices

    return devices.comb(Design(dict(items)))


def comb_of(design: Design) -> CombResult:
    """The comb of ``design`` (cached per server/comb parameters)."""
    return _comb(_items(design, ("server.", "comb.")))


#: the network fields that define the dies (the wafer cache key)
_WAFER_FIELDS = (
    "clients",
    "channels",
    "seed",
    *tuple(f.name for f in dataclasses.fields(NetworkSettings) if f.name.startswith("wafer_")),
)


@lru_cache(maxsize=32)
def _wafer(
    client_items: tuple[tuple[str, Any], ...], wafer_items: tuple[tuple[str, Any], ...]
) -> tuple[tuple[ClientChip, ...], tuple[Die, ...]]:
    net = NetworkSettings(**dict(wafer_items))
    mounted, rejected = draw_wafer(net)
    names = [f"{side}{i + 1}" for i in range(net.channels) for side in "AB"]
    chips = chip_figures(mounted, names, **dict(client_items))
    return tuple(chips), tuple(rejected)


def wafer_of(
    design: Design, net: NetworkSettings
) -> tuple[tuple[ClientChip, ...], tuple[Die, ...]]:
    """(mounted client chips with their figures, set-aside dies), cached per client design and
    wafer fields of ``net``. Client 2i is A_(i+1), client 2i+1 is B_(i+1)."""
    wafer_items = tuple((k, getattr(net, k)) for k in _WAFER_FIELDS)
    return _wafer(tuple(sorted(design.kwargs("client").items())), wafer_items)


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientLink:
    """One client of a pair: its chip, its comb-line feed, and the locking outcome."""

    chip: ClientChip
    downstream_km: float
    injected_power_dbm: float  # at the slave laser (after the die's injection facet)
    lock: LockingResult

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.chip.to_dict(),
            "downstream_km": self.downstream_km,
            "injected_power_dbm": self.injected_power_dbm,
            "rho_db": self.lock.rho_db if self.lock.rho > 0 else None,
            "locked": self.lock.locked,
            "locking_range_mhz": [x / 1e6 for x in self.lock.range_hz],
            "locking_bandwidth_mhz": self.lock.locking_bandwidth_hz / 1e6,
            "residual_phase_var_rad2": self.lock.residual_phase_var_rad2,
            "lock_reason": self.lock.reason,
        }


@dataclass(frozen=True)
class ChannelResult:
    """One WDM channel (client pair) of the network."""

    channel: int
    k: int
    frequency_hz: float
    line_power_dbm: float
    in_comb: bool  # line within the comb's power window
    a: ClientLink
    b: ClientLink
    upstream_km: tuple[float, float]
    phase_var_rad2: dict[str, float]
    extinction_ratio_db: float  # of the pair (the worse die), as used by the SNS vacuum
    dark_count_prob: float  # incl. simultaneous-mode crosstalk
    rate_per_pulse: float
    rate_bps: float
    plob_per_pulse: float
    qber_x: float | None
    qber_z: float | None
    parameters: dict[str, Any]
    external_attenuation_db: tuple[float | None, float | None]
    reason: str  # empty when the channel has key

    @property
    def wavelength_nm(self) -> float:
        return 299792458.0 / self.frequency_hz * 1e9

    @property
    def locked(self) -> bool:
        return self.a.lock.locked and self.b.lock.locked

    @property
    def has_key(self) -> bool:
        return self.rate_per_pulse > 0.0

    @property
    def distance_km(self) -> float:
        return self.upstream_km[0] + self.upstream_km[1]

    @property
    def ratio_to_plob(self) -> float:
        return self.rate_per_pulse / self.plob_per_pulse if self.plob_per_pulse > 0 else 0.0

    @property
    def phase_rms_rad(self) -> float:
        return math.sqrt(sum(self.phase_var_rad2.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "clients": [self.a.chip.name, self.b.chip.name],
            "k": self.k,
            "wavelength_nm": self.wavelength_nm,
            "frequency_thz": self.frequency_hz / 1e12,
            "line_power_dbm": self.line_power_dbm,
            "in_comb": self.in_comb,
            "locked": self.locked,
            "qber_x": self.qber_x,
            "qber_z": self.qber_z,
            "rate_per_pulse": self.rate_per_pulse,
            "rate_bps": self.rate_bps,
            "plob_per_pulse": self.plob_per_pulse,
            "ratio_to_plob": self.ratio_to_plob,
            "has_key": self.has_key,
            "reason": self.reason,
            "distance_km": self.distance_km,
            "upstream_km": list(self.upstream_km),
            "phase_rms_rad": self.phase_rms_rad,
            "phase_var_rad2": dict(self.phase_var_rad2),
            "extinction_ratio_db": self.extinction_ratio_db,
            "dark_count_prob": self.dark_count_prob,
            "external_attenuation_db": list(self.external_attenuation_db),
            "parameters": self.parameters,
            "client_links": [self.a.to_dict(), self.b.to_dict()],
        }


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """The network of one design."""

    design: Design
    link: LinkSettings
    net: NetworkSettings
    comb: CombResult
    plan: ChannelPlan
    channels: tuple[ChannelResult, ...]
    rejected: tuple[Die, ...]
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def distance_km(self) -> float:
        return self.link.distance_km

    @property
    def with_key(self) -> list[ChannelResult]:
        return [c for c in self.channels if c.has_key]

    @property
    def networking_capability_km(self) -> float:
        return float(sum(c.distance_km for c in self.with_key))

    @property
    def network_bps(self) -> float:
        """Time-averaged key of the whole network [bit/s]: the mean over channels in sequential
        mode (each runs 1/n of the time), the sum in simultaneous mode."""
        total = sum(c.rate_bps for c in self.channels)
        return total / len(self.channels) if self.net.mode == "sequential" else total

    def metrics(self) -> dict[str, float]:
        """Scalar figures of merit (the ``qkdchip sweep`` metrics)."""
        ratios = [c.ratio_to_plob for c in self.channels]
        qx = [c.qber_x for c in self.with_key if c.qber_x is not None]
        return {
            "min_ratio": float(min(ratios)),
            "mean_ratio": float(np.mean(ratios)),
            "max_ratio": float(max(ratios)),
            "min_rate": float(min(c.rate_per_pulse for c in self.channels)),
            "mean_rate": float(np.mean([c.rate_per_pulse for c in self.channels])),
            "total_bps": float(sum(c.rate_bps for c in self.channels)),
            "network_bps": self.network_bps,
            "locked_channels": float(sum(c.locked for c in self.channels)),
            "key_channels": float(len(self.with_key)),
            "beating_plob": float(sum(c.ratio_to_plob > 1.0 for c in self.channels)),
            "capability_km": self.networking_capability_km,
            "mean_qber_x": float(np.mean(qx)) if qx else float("nan"),
            "max_qber_x": float(max(qx)) if qx else float("nan"),
        }

    def summary(self) -> dict[str, Any]:
        m = self.metrics()
        mounted = [c.a.chip for c in self.channels] + [c.b.chip for c in self.channels]
        working = sum(ch.die.working_modulators for ch in mounted)
        return {
            "distance_km": self.distance_km,
            "protocol": self.net.protocol,
            "mode": self.net.mode,
            "pulses": self.net.finite_pulses,
            "channels": len(self.channels),
            "locked_channels": int(m["locked_channels"]),
            "channels_with_key": int(m["key_channels"]),
            "channels_beating_plob": int(m["beating_plob"]),
            "ratio_to_plob_min": m["min_ratio"],
            "ratio_to_plob_max": m["max_ratio"],
            "qber_x_range": [min(c.qber_x for c in self.with_key), m["max_qber_x"]]
            if self.with_key and not math.isnan(m["max_qber_x"])
            else None,
            "network_bps": self.network_bps,
            "networking_capability_km": self.networking_capability_km,
            "modulators_working": f"{working}/{6 * len(mounted)}",
            "dies_set_aside": [d.index for d in self.rejected],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance_km": self.distance_km,
            "networking_capability_km": self.networking_capability_km,
            "summary": self.summary(),
            "channels": [c.to_dict() for c in self.channels],
            "comb": {
                "state": self.comb.state,
                "fsr_ghz": self.comb.fsr_hz / 1e9,
                "lines_within_30db": self.comb.n_lines_within(_COMB_WINDOW_DB),
                "line_linewidth_hz": self.comb.line_linewidth_hz,
                "lambda0_nm": self.plan.lambda0_nm,
            },
            "settings": {
                "link": dataclasses.asdict(self.link),
                "network": dataclasses.asdict(self.net),
            },
            "design_overrides": dict(self.design.overrides),
        }


# --- preparation (everything before the key rate) -------------------------------------------------


@dataclass(frozen=True, eq=False)
class Prepared:
    """One design up to the key rate: device-level results per channel."""

    design: Design
    link: LinkSettings
    net: NetworkSettings
    comb: CombResult
    plan: ChannelPlan
    pairs: tuple[tuple[ClientLink, ClientLink], ...]
    phase: tuple[dict[str, float] | None, ...]  # None where a client is unlocked
    rejected: tuple[Die, ...]
    timings_s: dict[str, float]


def _lock(chip: ClientChip, feed_dbm: float, km: float, comb: CombResult) -> ClientLink:
    p_dbm = feed_dbm - chip.injection_loss_db
    p_w = 1e-3 * 10.0 ** (p_dbm / 10.0)
    lock = injection_lock(
        chip.laser,
        min(p_w, 10.0),
        detuning_hz=chip.die.detuning_hz,
        master_linewidth_hz=comb.line_linewidth_hz,
    )
    return ClientLink(chip, km, p_dbm, lock)


def prepare(design: Design, progress: Progress = None) -> Prepared:
    """Comb, channel plan, wafer, distribution, locking and phase noise of ``design``."""
    say = progress or (lambda _m: None)
    link, net = settings_of(design)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say("comb (LLE)")
    comb = comb_of(design)
    timings["comb"] = time.perf_counter() - t0
    plan = plan_channels(comb, n_channels=net.channels, within_db=_LATTICE_WINDOW_DB)
    t0 = time.perf_counter()
    say("client wafer (S-matrix)")
    chips, rejected = wafer_of(design, net)
    timings["wafer"] = time.perf_counter() - t0

    per_pair = {
        ch.channel: link.downstream_km(ch.channel)
        for ch in plan.channels
        if link.downstream_km(ch.channel)
        != (link.downstream_default_km, link.downstream_default_km)
    }
    dist = Distribution(
        fibre_loss_db_per_km=link.fibre_loss_db_per_km,
        coupling_loss_db=0.0,  # the die's own injection path (its S-matrix) is applied instead
        default_km=link.downstream_default_km,
        per_pair_km=per_pair,
    )
    feeds = {f.client: f for f in deliver(plan, dist)}
    pairs = []
    phases: list[dict[str, float] | None] = []
    for i, ch in enumerate(plan.channels):
        a_chip, b_chip = chips[2 * i], chips[2 * i + 1]
        fa, fb = feeds[f"A{ch.channel}"], feeds[f"B{ch.channel}"]
        a = _lock(a_chip, fa.injected_power_dbm, fa.fibre_km, comb)
        b = _lock(b_chip, fb.injected_power_dbm, fb.fibre_km, comb)
        pairs.append((a, b))
        if not (a.lock.locked and b.lock.locked):
            phases.append(None)
            continue
        imbalance = (
            abs((fa.fibre_km + link.upstream_a_km) - (fb.fibre_km + link.upstream_b_km))
            + link.fibre_imbalance_km
        )
        budget = PhaseNoiseBudget(
            linewidth_hz=comb.line_linewidth_hz,
            imbalance_km=imbalance,
            injection_var_a_rad2=a.lock.residual_phase_var_rad2,
            injection_var_b_rad2=b.lock.residual_phase_var_rad2,
            drift_rad_per_ms=link.phase_drift_rad_per_ms,
            estimation_rate_hz=link.phase_estimation_hz,
            e_d=link.misalignment,
            m_slices=None,
        )
        phases.append(budget.contributions())
    return Prepared(design, link, net, comb, plan, tuple(pairs), tuple(phases), rejected, timings)


# --- key rates ------------------------------------------------------------------------------------


def _pair_er_db(a: ClientChip, b: ClientChip) -> float:
    return min(a.extinction_ratio_total_db, b.extinction_ratio_total_db)


@dataclass
class _Rows:
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


def _solve(protocol: str, rows: _Rows, finite: bool):
    """One vectorised, optimised key-rate call over every row."""
    a = {k: np.asarray(v, dtype=float) for k, v in dataclasses.asdict(rows).items() if k != "owner"}
    channel = Channel(
        length_a_km=a["la"],
        length_b_km=a["lb"],
        fiber_loss_db_km=a["alpha"],
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


def _levels(protocol: str, p: dict[str, Any]) -> dict[str, float]:
    """Intensity levels each transmitter must produce (for its link budget)."""
    if protocol in ("sns", "sns-aopp"):
        return {k: p[k] for k in ("mu_z", "mu_1", "mu_2")}
    if protocol in ("pm", "tf"):
        return {"mu": 0.5 * p["mu"]}
    return {"mu": p["mu"]}


def _budget(chip: ClientChip, levels: dict[str, float], clock_hz: float):
    """(ok, external attenuation dB, reason) of a die's transmitter at these levels; the
    external attenuator is set in the middle of the window in which the VOA reaches them."""
    ers = tuple(min(max(x, 0.0), 80.0) for x in chip.im_extinction_ratio_db)
    tx = Transmitter(
        laser_power_dbm=chip.laser_power_dbm,
        on_chip_loss_db=min(chip.insertion_loss_db, 60.0),
        im_extinction_db=ers,
        voa_range_db=min(max(chip.voa_range_db, 0.0), 100.0),
        rep_rate_hz=clock_hz,
    )
    first = link_budget(tx, levels)
    lo, hi = first.external_window_db
    if hi < 0.0:
        return False, None, f"{chip.name}: " + "; ".join(first.notes)
    ext = min(0.5 * (lo + hi), 150.0)
    res = link_budget(dataclasses.replace(tx, external_attenuation_db=ext), levels)
    if not res.reachable:
        return False, ext, f"{chip.name}: " + "; ".join(res.notes)
    return True, ext, ""


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


def evaluate(prepared: Sequence[Prepared], progress: Progress = None) -> list[NetworkResult]:
    """Key rates of every prepared design: one optimised key-rate call per protocol over all
    their active channels (simultaneous mode: a second call with the crosstalk)."""
    say = progress or (lambda _m: None)
    say("key rates (finite key, optimised)")
    t0 = time.perf_counter()
    active = [
        [i for i, ph in enumerate(p.phase) if ph is not None and _reason_pre(p, i) == ""]
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
            res = _solve_group(prepared, active, group, protocol, finite, extra_pd)
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
                outputs.update(_solve_group(prepared, active, simul, protocol, finite, extra_pd))
    t_key = time.perf_counter() - t0
    return [_assemble(d, p, outputs, t_key) for d, p in enumerate(prepared)]


def _reason_pre(prep: Prepared, i: int) -> str:
    """Why channel i cannot have key before any key-rate calculation ('' if it can)."""
    a, b = prep.pairs[i]
    for cl in (a, b):
        if cl.chip.fatal:
            return f"client {cl.chip.name}: " + "; ".join(cl.chip.fatal)
    if prep.net.protocol in ("sns", "sns-aopp"):
        er = _pair_er_db(a.chip, b.chip)
        if er < _ER_MIN_DB:
            return f"extinction ratio {er:.1f} dB < {_ER_MIN_DB:g} dB: the SNS vacuum is too bright"
    return ""


def _solve_group(prepared, active, group, protocol, finite, extra_pd):
    rows = _Rows()
    for d in group:
        p = prepared[d]
        for i in active[d]:
            a, b = p.pairs[i]
            rows.owner.append((d, i))
            rows.la.append(p.link.upstream_a_km)
            rows.lb.append(p.link.upstream_b_km)
            rows.alpha.append(p.link.fibre_loss_db_per_km)
            rows.extra.append(p.link.server_filter_loss_db)
            rows.e_d.append(p.link.misalignment)
            rows.sigma.append(math.sqrt(sum(p.phase[i].values())))
            rows.eta_d.append(p.link.detector_eta)
            rows.p_d.append(p.link.detector_dark_count_prob + extra_pd.get((d, i), 0.0))
            rows.er.append(min(_pair_er_db(a.chip, b.chip), _ER_MAX_DB))
            rows.f_ec.append(p.net.ec_f)
            rows.pulses.append(p.net.pulses)
    if not rows.owner:
        return {}
    res = _solve(protocol, rows, finite)
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


def _assemble(d, prep, outputs, t_key) -> NetworkResult:
    link, net = prep.link, prep.net
    eta_fibre = 10.0 ** (-link.fibre_loss_db_per_km * link.distance_km / 10.0)
    bound = float(plob(eta_fibre)) if eta_fibre < 1.0 else float("inf")
    usable = prep.comb.usable(within_db=_COMB_WINDOW_DB)
    n_active_key = 0
    chans = []
    pending = []
    for i, ch in enumerate(prep.plan.channels):
        a, b = prep.pairs[i]
        out = outputs.get((d, i))
        reason = _reason_pre(prep, i)
        ext: tuple[float | None, float | None] = (None, None)
        rate = 0.0
        if reason:
            pass
        elif not (a.lock.locked and b.lock.locked):
            bad = [cl for cl in (a, b) if not cl.lock.locked]
            idx = prep.comb.index_of(ch.k)
            where = f"comb line k={ch.k:+d} at {ch.line_power_dbm:.1f} dBm" + (
                "" if usable[idx] else f" (outside the comb, state {prep.comb.state})"
            )
            reason = (
                "; ".join(f"{cl.chip.name} not locked: {cl.lock.reason}" for cl in bad)
                + f" [{where}]"
            )
        elif out is None:
            reason = "no key-rate evaluation"
        else:
            rate = out["rate_per_pulse"]
            if rate <= 0.0:
                reason = f"no key at {link.distance_km:g} km with these devices (rate 0)"
            else:
                levels = _levels(net.protocol, out["parameters"])
                ok_a, ext_a, why_a = _budget(a.chip, levels, net.clock_rate_hz)
                ok_b, ext_b, why_b = _budget(b.chip, levels, net.clock_rate_hz)
                ext = (ext_a, ext_b)
                if not (ok_a and ok_b):
                    rate = 0.0
                    reason = "transmitter cannot produce the intensities: " + "; ".join(
                        w for w in (why_a, why_b) if w
                    )
        if rate > 0.0:
            n_active_key += 1
        pending.append((i, ch, a, b, out, reason, ext, rate))
    share = 1.0
    if net.mode == "simultaneous" and n_active_key > 0:
        share = min(1.0, net.detector_pairs / n_active_key)
    for i, ch, a, b, out, reason, ext, rate in pending:
        idx = prep.comb.index_of(ch.k)
        chans.append(
            ChannelResult(
                channel=ch.channel,
                k=ch.k,
                frequency_hz=ch.frequency_hz,
                line_power_dbm=ch.line_power_dbm,
                in_comb=bool(usable[idx]),
                a=a,
                b=b,
                upstream_km=(link.upstream_a_km, link.upstream_b_km),
                phase_var_rad2=dict(prep.phase[i] or {}),
                extinction_ratio_db=out["er"] if out else _pair_er_db(a.chip, b.chip),
                dark_count_prob=out["p_d"] if out else link.detector_dark_count_prob,
                rate_per_pulse=rate,
                rate_bps=rate * net.clock_rate_hz * net.duty_cycle * share,
                plob_per_pulse=bound,
                qber_x=out["qber_x"] if out else None,
                qber_z=out["qber_z"] if out else None,
                parameters=out["parameters"] if out else {},
                external_attenuation_db=ext,
                reason=reason,
            )
        )
    timings = dict(prep.timings_s)
    timings["key_rates"] = t_key
    return NetworkResult(
        prep.design, link, net, prep.comb, prep.plan, tuple(chans), prep.rejected, timings
    )


def simulate_network(design: Design | None = None, progress: Progress = None) -> NetworkResult:
    """The whole network of ``design`` (see the module docstring)."""
    return evaluate([prepare(design or Design(), progress)], progress)[0]


# --- rate vs distance -----------------------------------------------------------------------------


def rate_curves(result: NetworkResult, distances_km: Sequence[float]) -> dict[str, Any]:
    """Key rate vs total distance (symmetric upstream arms) of every channel that has its
    devices working (locked, usable dies), with everything else of that channel unchanged
    (phase noise, extinction ratio, dark counts incl. crosstalk), and PLOB. One vectorised
    key-rate call over channels x distances.

    Returns ``{"distance_km": (n_d,), "plob": (n_d,), "channels": [int], "rate": (n_ch, n_d)}``.
    """
    d = np.asarray(distances_km, dtype=float)
    link, net = result.link, result.net
    chans = [c for c in result.channels if c.locked and c.parameters]
    eta = 10.0 ** (-link.fibre_loss_db_per_km * d / 10.0)
    bound = np.where(eta < 1.0, plob(np.minimum(eta, 1.0 - 1e-16)), np.inf)
    out: dict[str, Any] = {
        "distance_km": d,
        "plob": bound,
        "channels": [],
        "rate": np.zeros((0, d.size)),
    }
    if not chans or d.size == 0:
        return out
    rows = _Rows()
    for c in chans:
        for x in d:
            rows.owner.append((0, c.channel))
            rows.la.append(x / 2.0)
            rows.lb.append(x / 2.0)
            rows.alpha.append(link.fibre_loss_db_per_km)
            rows.extra.append(link.server_filter_loss_db)
            rows.e_d.append(link.misalignment)
            rows.sigma.append(c.phase_rms_rad)
            rows.eta_d.append(link.detector_eta)
            rows.p_d.append(c.dark_count_prob)
            rows.er.append(min(c.extinction_ratio_db, _ER_MAX_DB))
            rows.f_ec.append(net.ec_f)
            rows.pulses.append(net.pulses)
    res = _solve(net.protocol, rows, net.finite_pulses is not None)
    out["channels"] = [c.channel for c in chans]
    out["rate"] = np.asarray(res.rate_per_pulse, dtype=float).reshape(len(chans), d.size)
    return out
