"""The network under uncertainty: the parameters the reference network does not publish.

The design's ``uncertain.*`` parameters (:class:`UncertainSettings`, registered in
:data:`qkdchip.design.SOURCES`) give each unpublished parameter a range ``[low, high]`` and a
distribution (``uniform`` or ``loguniform``), each with its source (docs/assumptions.md,
section 12). :func:`propagate` draws a Latin-hypercube sample of them and carries it through the
network of an evaluated design, vectorised:

    sample s (n x 7, scipy.stats.qmc.LatinHypercube, seeded by network.seed)
    -> device chain vs fibre attenuation: the design prepared (downstream delivery, injection
       locking, phase noise; comb and wafer S-matrices cached) at ``ATTENUATION_NODES`` nodes
       across the attenuation range, each channel's residual phase variance interpolated
       linearly (its lock state from the nearest node)
    -> the pair's vacuum level: the die's leak 10^(-ER_die/10) plus the modulator-chain floor
       10^(-ER_floor/10) (drive swing, bias drift), i.e. the extinction ratios add as leaks
    -> key rates: ONE optimised key-rate call (keyrates.solve) with one row per sample, at the
       median phase noise and extinction ratio of the sample's channels (each row refined
       locally from the network's own optimised channels, searched globally only where that
       finds no key: within 3.5e-4 of the global search on the reference network, at a fifth
       of its time; benchmarks/bench_refine.py), then ONE evaluation of
       every (sample, channel) row at its sample's optimised intensities and probabilities
       (optimize=False); the rate of a channel is then within second order of its own optimum
       (the channels differ only slightly in phase noise and extinction ratio; measured in
       benchmarks/bench_uncertainty.py)
    -> PLOB of the fibre alone at the sample's attenuation, ratio, X-basis QBER
    -> per channel: [5, 50, 95] % percentiles of the ratio and of the X QBER; first-order
       variance shares of the ratio (RBD-FAST, SALib); the fraction of samples in which every
       channel lands in the published ranges, and the parameter ranges of those samples.

Not redone per sample (taken from the nominal run): the transmitter link budget (the external
attenuator absorbs the small change of the optimised intensities) and, in simultaneous mode,
the crosstalk counts.

Sensitivity method: RBD-FAST (random balance designs FAST, Tarantola et al. 2006; bias
correction of Tissot & Prieur 2012; SALib's implementation after Plischke 2010, which reorders
any random sample). It estimates every first-order index S_i (the share of the variance of the
ratio explained by parameter i alone) from the same n samples that give the bands, so it fits a
budget of a few thousand model runs; Sobol indices by Saltelli's scheme would need n (2 d + 2)
runs (d = 7: 16 x the cost) for the same base sample. 1 - sum S_i is the share of interactions.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qkdchip.base.design import Design
from qkdchip.base.params import Range
from qkdchip.sims.keyrate import Channel, Detector, SNSParams, default_params, key_rate, plob

from .keyrates import Rows, solve, warm_of
from .outcome import ER_MAX_DB, ER_MIN_DB, pair_er_db, reason_before_key
from .prepare import prepare
from .results import NetworkResult

__all__ = [
    "ATTENUATION_NODES",
    "DISTRIBUTIONS",
    "PERCENTILES",
    "REFERENCE_QBER_X",
    "REFERENCE_RATIO",
    "UNCERTAIN",
    "UncertainSettings",
    "Uncertainty",
    "propagate",
    "sample",
    "uncertain_of",
]

#: the reference network's published per-channel ranges at 370 km (docs/assumptions.md, 1)
REFERENCE_RATIO: tuple[float, float] = (1.515, 3.514)
REFERENCE_QBER_X: tuple[float, float] = (0.029, 0.042)
#: distributions of an uncertain parameter
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform")
#: percentiles of the bands [%]
PERCENTILES: tuple[float, float, float] = (5.0, 50.0, 95.0)
#: nodes across the attenuation range at which the device chain (locking, phase) is prepared
ATTENUATION_NODES = 9
#: harmonics of the RBD-FAST spectrum (SALib's default) and the fewest samples it is run on
RBD_HARMONICS = 10
MIN_SENSITIVITY_SAMPLES = 16
#: bootstrap resamples of the 95 % confidence of the network-level indices
RBD_RESAMPLES = 100
#: most samples of one propagation (memory: ~10 x 20 arrays of samples x channels)
MAX_SAMPLES = 100_000

#: uncertain parameter -> (the setting it stands for, its Range, one-line source)
UNCERTAIN: dict[str, tuple[str, Range, str]] = {
    "fibre_loss_db_per_km": (
        "link.fibre_loss_db_per_km",
        Range(0.0, 2.0, "dB/km"),
        "fibre attenuation at 1550 nm: ultra-low-loss G.654.E (~0.16 dB/km) to standard "
        "G.652.D spools (~0.20 dB/km)",
    ),
    "detector_eta": (
        "link.detector_eta",
        Range(0.0, 1.0, "", lo_open=True),
        "SNSPD system efficiency (60 % in long-distance TF-QKD, Liu et al. PRL 130, 210801 "
        "(2023); ~80 % commercial systems)",
    ),
    "detector_dark_count_prob": (
        "link.detector_dark_count_prob",
        Range(0.0, 1.0, ""),
        "dark counts per detector per pulse: 1-20 Hz in a ~1 ns window at 1 GHz (SNSPD)",
    ),
    "server_extra_loss_db": (
        "link.server_filter_loss_db (added)",
        Range(0.0, 30.0, "dB"),
        "extra loss per arm at the server beyond its receive filter (circulator, polarisation "
        "control, beam-splitter excess, connectors)",
    ),
    "pulses": (
        "network.pulses",
        Range(1e3, 1e22, ""),
        "pulse pairs N of the finite-key analysis (1e12-1e13 in SNS experiments)",
    ),
    "misalignment": (
        "link.misalignment",
        Range(0.0, 0.5, ""),
        "extra misalignment on top of the modelled X-error budget (physics.qber): what the "
        "budget leaves out (field-fibre polarisation drift, spatial-mode mismatch, the slave's "
        "technical noise); from none to the 3 % total e_d common in TF-QKD simulations",
    ),
    "modulator_extinction_db": (
        "client dies' extinction ratio (floor, added as a leak)",
        Range(ER_MIN_DB, ER_MAX_DB, "dB"),
        "extinction floor of the modulator chain in operation (drive swing, bias drift): "
        "the SNS vacuum needs 30-40 dB in total",
    ),
}

_DEFAULTS: dict[str, tuple[float, float, str]] = {
    "fibre_loss_db_per_km": (0.16, 0.20, "uniform"),
    "detector_eta": (0.6, 0.8, "uniform"),
    "detector_dark_count_prob": (1e-9, 2e-8, "loguniform"),
    "server_extra_loss_db": (0.0, 3.0, "uniform"),
    "pulses": (1e12, 1e13, "loguniform"),
    "misalignment": (0.0, 0.03, "uniform"),
    "modulator_extinction_db": (25.0, 45.0, "uniform"),
}


def _ufield(name: str, end: str) -> Any:
    target, rng, src = UNCERTAIN[name]
    low, high, dist = _DEFAULTS[name]
    if end == "dist":
        return field(
            default=dist,
            metadata={"doc": f"distribution of {name}: {' or '.join(DISTRIBUTIONS)}"},
        )
    doc = f"{end} end of {name} ({target}): {src}"
    return field(
        default=low if end == "low" else high,
        metadata={"doc": doc, "range": dataclasses.replace(rng, doc=doc)},
    )


@dataclass(frozen=True)
class UncertainSettings:
    """Ranges of the parameters the reference network does not publish (``uncertain.*``).

    Each parameter ``P`` has ``P_low``, ``P_high`` (the ends, in P's unit) and ``P_dist``
    (``uniform`` or ``loguniform``); ``low == high`` fixes it. Sources: :data:`UNCERTAIN` and
    docs/assumptions.md, section 12.
    """

    fibre_loss_db_per_km_low: float = _ufield("fibre_loss_db_per_km", "low")
    fibre_loss_db_per_km_high: float = _ufield("fibre_loss_db_per_km", "high")
    fibre_loss_db_per_km_dist: str = _ufield("fibre_loss_db_per_km", "dist")
    detector_eta_low: float = _ufield("detector_eta", "low")
    detector_eta_high: float = _ufield("detector_eta", "high")
    detector_eta_dist: str = _ufield("detector_eta", "dist")
    detector_dark_count_prob_low: float = _ufield("detector_dark_count_prob", "low")
    detector_dark_count_prob_high: float = _ufield("detector_dark_count_prob", "high")
    detector_dark_count_prob_dist: str = _ufield("detector_dark_count_prob", "dist")
    server_extra_loss_db_low: float = _ufield("server_extra_loss_db", "low")
    server_extra_loss_db_high: float = _ufield("server_extra_loss_db", "high")
    server_extra_loss_db_dist: str = _ufield("server_extra_loss_db", "dist")
    pulses_low: float = _ufield("pulses", "low")
    pulses_high: float = _ufield("pulses", "high")
    pulses_dist: str = _ufield("pulses", "dist")
    misalignment_low: float = _ufield("misalignment", "low")
    misalignment_high: float = _ufield("misalignment", "high")
    misalignment_dist: str = _ufield("misalignment", "dist")
    modulator_extinction_db_low: float = _ufield("modulator_extinction_db", "low")
    modulator_extinction_db_high: float = _ufield("modulator_extinction_db", "high")
    modulator_extinction_db_dist: str = _ufield("modulator_extinction_db", "dist")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            rng: Range | None = f.metadata.get("range")
            if rng is not None:
                rng.check(f"uncertain.{f.name}", getattr(self, f.name))
        for name in UNCERTAIN:
            low, high, dist = self.spec(name)
            if dist not in DISTRIBUTIONS:
                raise ValueError(
                    f"uncertain.{name}_dist={dist!r} is unknown: allowed {', '.join(DISTRIBUTIONS)}"
                )
            if low > high:
                raise ValueError(
                    f"uncertain.{name}_low={low:g} is above uncertain.{name}_high={high:g} "
                    "(allowed low <= high)"
                )
            if dist == "loguniform" and low <= 0.0:
                raise ValueError(
                    f"uncertain.{name}_low={low:g} must be > 0 for a loguniform distribution "
                    "(allowed (0, high])"
                )

    def spec(self, name: str) -> tuple[float, float, str]:
        """(low, high, distribution) of uncertain parameter ``name``."""
        return (
            float(getattr(self, f"{name}_low")),
            float(getattr(self, f"{name}_high")),
            str(getattr(self, f"{name}_dist")),
        )

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {
            name: dict(zip(("low", "high", "distribution"), self.spec(name), strict=True))
            | {"stands_for": UNCERTAIN[name][0], "source": UNCERTAIN[name][2]}
            for name in UNCERTAIN
        }


def uncertain_of(design: Design) -> UncertainSettings:
    """The design's ``uncertain.*`` settings (validated: ValueError naming the parameter)."""
    return UncertainSettings(**design.kwargs("uncertain"))


def sample(unc: UncertainSettings, n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` Latin-hypercube samples of every uncertain parameter (reproducible by ``seed``)."""
    from scipy.stats import qmc

    Range(1, MAX_SAMPLES, "", integer=True).check("samples", n)
    u = qmc.LatinHypercube(d=len(UNCERTAIN), seed=np.random.default_rng(seed)).random(n)
    out = {}
    for j, name in enumerate(UNCERTAIN):
        low, high, dist = unc.spec(name)
        if dist == "loguniform":
            out[name] = np.exp(math.log(low) + u[:, j] * (math.log(high) - math.log(low)))
        else:
            out[name] = low + u[:, j] * (high - low)
    return out


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """Propagated uncertainty of one network (see :func:`propagate`)."""

    settings: UncertainSettings
    samples: dict[str, np.ndarray]  # name -> (n,)
    channels: tuple[int, ...]
    ratio: np.ndarray  # (n, n_channels), 0 where no key
    qber_x: np.ndarray  # (n, n_channels), NaN where no key
    phase_rms_rad: np.ndarray  # (n, n_channels) residual phase, NaN: no key before key rates
    extinction_ratio_db: np.ndarray  # (n, n_channels) of the pair with the modulator floor
    seed: int
    distance_km: float
    timings_s: dict[str, float]

    @property
    def n(self) -> int:
        return int(self.ratio.shape[0])

    def consistent(self) -> np.ndarray:
        """(n,) bool: every channel in the published ratio and X-QBER ranges."""
        r, q = self.ratio, self.qber_x
        with np.errstate(invalid="ignore"):
            ok = (
                (r >= REFERENCE_RATIO[0])
                & (r <= REFERENCE_RATIO[1])
                & (q >= REFERENCE_QBER_X[0])
                & (q <= REFERENCE_QBER_X[1])
            )
        return np.all(ok, axis=1) if ok.shape[1] else np.zeros(self.n, dtype=bool)

    def sensitivity(self, y: np.ndarray) -> dict[str, float] | None:
        """First-order shares S_i of the variance of ``y`` (n,) per parameter (RBD-FAST with
        SALib's functions, M harmonics, Tissot-Prieur bias correction); None if ``y`` does not
        vary or there are fewer than :data:`MIN_SENSITIVITY_SAMPLES` samples. A fixed
        parameter (low == high) gets 0."""
        res = self._rbd(y, resamples=0)
        return None if res is None else res[0]

    def _rbd(
        self, y: np.ndarray, resamples: int
    ) -> tuple[dict[str, float], dict[str, float]] | None:
        from SALib.analyze import rbd_fast

        y = np.asarray(y, dtype=float)
        if self.n < MIN_SENSITIVITY_SAMPLES or not np.all(np.isfinite(y)):
            return None
        if np.ptp(y) <= 1e-12 * max(1.0, float(np.max(np.abs(y)))):
            return None
        m = min(RBD_HARMONICS, self.n // 8)  # the bootstrap halves need n / 2 > 2 M
        s1 = dict.fromkeys(UNCERTAIN, 0.0)
        conf = dict.fromkeys(UNCERTAIN, 0.0)
        rng = np.random.default_rng(self.seed)
        for k in UNCERTAIN:
            x = self.samples[k]
            if np.ptp(x) <= 0.0:
                continue
            raw = rbd_fast.compute_first_order(rbd_fast.permute_outputs(x, y), m)
            s1[k] = float(min(max(rbd_fast.unskew_S1(raw, m, self.n), 0.0), 1.0))
            if resamples:
                conf[k] = float(rbd_fast.bootstrap(x, y, m, resamples, 0.95, rng))
        return s1, conf

    def band(self, y: np.ndarray) -> list[float] | None:
        y = y[np.isfinite(y)]
        return [float(v) for v in np.percentile(y, PERCENTILES)] if y.size else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: method, parameters, network sensitivity and consistency (no
        timings: same design and seed, same bytes)."""
        ok = self.consistent()
        keyed = self.ratio > 0.0
        mean_ratio = np.mean(self.ratio, axis=1) if self.ratio.shape[1] else np.zeros(self.n)
        rbd = self._rbd(mean_ratio, resamples=RBD_RESAMPLES)
        ranges = (
            {k: [float(np.min(v[ok])), float(np.max(v[ok]))] for k, v in self.samples.items()}
            if ok.any()
            else None
        )
        medians = (
            {k: float(np.median(v[ok])) for k, v in self.samples.items()} if ok.any() else None
        )
        return {
            "samples": self.n,
            "seed": self.seed,
            "distance_km": self.distance_km,
            "sampling": "Latin hypercube (scipy.stats.qmc), seeded by network.seed",
            "method": "RBD-FAST first-order indices (SALib), from the same samples",
            "percentiles": list(PERCENTILES),
            "parameters": self.settings.to_dict(),
            "sensitivity": rbd[0] if rbd else None,
            "sensitivity_conf95": rbd[1] if rbd else None,
            "sensitivity_of": "mean rate/PLOB over the channels",
            "fraction_all_channels_with_key": float(np.mean(np.all(keyed, axis=1)))
            if keyed.shape[1]
            else 0.0,
            "consistent_with_reference": {
                "fraction": float(np.mean(ok)),
                "samples": int(np.sum(ok)),
                "ratio_to_plob_range": list(REFERENCE_RATIO),
                "qber_x_range": list(REFERENCE_QBER_X),
                "parameter_ranges": ranges,
                "parameter_medians": medians,
                "parameter_medians_all_samples": {
                    k: float(np.median(v)) for k, v in self.samples.items()
                },
            },
        }

    def channel_dict(self, j: int) -> dict[str, Any]:
        """The per-channel keys added to channel ``self.channels[j]``'s JSON."""
        r = self.ratio[:, j]
        return {
            "ratio_to_plob_band": self.band(r),
            "qber_x_band": self.band(self.qber_x[:, j]),
            "key_fraction": float(np.mean(r > 0.0)),
            "sensitivity": self.sensitivity(r),
        }


def _er_floor(er_die_db: np.ndarray, floor_db: np.ndarray) -> np.ndarray:
    """Extinction ratio [dB] of a die's leak plus the modulator-chain floor (leaks add)."""
    leak = 10.0 ** (-np.asarray(er_die_db) / 10.0) + 10.0 ** (-np.asarray(floor_db) / 10.0)
    return -10.0 * np.log10(leak)


def _device_nodes(result: NetworkResult, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(phase variance (nodes, ch) [rad^2], NaN where the channel has no key before key rates;
    ER of the pair (ch,)) with the design prepared at attenuations ``alphas``."""
    design = result.design
    var = np.full((alphas.size, len(result.channels)), np.nan)
    er = np.zeros(len(result.channels))
    for k, a in enumerate(alphas):
        ov = {**design.overrides, "link.fibre_loss_db_per_km": float(a)}
        prep = prepare(Design(dict(sorted(ov.items()))))
        for i, ph in enumerate(prep.phase):
            a_cl, b_cl = prep.pairs[i]
            er[i] = pair_er_db(a_cl.chip, b_cl.chip)
            if ph is not None and reason_before_key(prep, i) == "":
                var[k, i] = sum(ph.values())
    return var, er


def _base_visibility(result: NetworkResult) -> np.ndarray:
    """(ch,) each pair's non-phase fringe visibility from its X-error budget (physics.qber)
    without the extra misalignment term, which the samples replace (NaN: no budget)."""
    v = np.full(len(result.channels), np.nan)
    for i, c in enumerate(result.channels):
        if c.x_budget is not None:
            v[i] = math.prod(val for k, val in c.x_budget.visibility.items() if k != "misalignment")
    return v


def _interp_var(nodes: np.ndarray, var: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(n, ch) phase variance at ``alpha``: linear between the nodes where the channel is
    ready at every node, else the nearest node's value (NaN: no key)."""
    out = np.empty((alpha.size, var.shape[1]))
    near = np.abs(alpha[:, None] - nodes[None, :]).argmin(axis=1)
    for i in range(var.shape[1]):
        col = var[:, i]
        if nodes.size > 1 and np.all(np.isfinite(col)):
            out[:, i] = np.interp(alpha, nodes, col)
        else:
            out[:, i] = col[near]
    return out


def propagate(
    result: NetworkResult,
    unc: UncertainSettings,
    samples: int,
    seed: int | None = None,
    *,
    refine: bool = True,
) -> Uncertainty:
    """Propagate ``samples`` draws of ``unc`` through the network of ``result`` (its design,
    distance, protocol; see the module docstring). ``seed`` defaults to ``network.seed``.

    ``refine``: each sample's key-rate problem is refined locally from the optimised channels of
    ``result`` (the global search only where that finds no key: keyrates.solve with warm
    starts); False searches every sample globally (the reference; about 5x the time)."""
    t0 = time.perf_counter()
    seed = result.net.seed if seed is None else int(seed)
    x = sample(unc, samples, seed)
    n = samples
    link, net = result.link, result.net
    timings: dict[str, float] = {}

    a_lo, a_hi, _ = unc.spec("fibre_loss_db_per_km")
    nodes = np.unique(np.linspace(a_lo, a_hi, ATTENUATION_NODES if a_hi > a_lo else 1))
    var_nodes, er_die = _device_nodes(result, nodes)
    var = _interp_var(nodes, var_nodes, x["fibre_loss_db_per_km"])  # (n, ch)
    er = _er_floor(er_die[None, :], x["modulator_extinction_db"][:, None])  # (n, ch)
    if net.protocol in ("sns", "sns-aopp"):
        var = np.where(er >= ER_MIN_DB, var, np.nan)
    er = np.minimum(er, ER_MAX_DB)
    # the non-phase X error of each (sample, channel): the pair's budget with the sampled extra
    # misalignment in place of link.misalignment's, e_d = (1 - V_base (1 - 2 m)) / 2
    e_d = 0.5 * (1.0 - _base_visibility(result)[None, :] * (1.0 - 2.0 * x["misalignment"][:, None]))
    var = np.where(np.isfinite(e_d), var, np.nan)
    crosstalk = np.array(
        [max(c.dark_count_prob - link.detector_dark_count_prob, 0.0) for c in result.channels]
    )
    timings["device chain (attenuation nodes)"] = time.perf_counter() - t0

    finite = net.finite_pulses is not None
    ready = np.isfinite(var)
    n_ch = var.shape[1]
    ratio = np.zeros((n, n_ch))
    qber = np.full((n, n_ch), np.nan)
    eta_fibre = 10.0 ** (-x["fibre_loss_db_per_km"] * link.distance_km / 10.0)
    bound = np.where(eta_fibre < 1.0, plob(np.minimum(eta_fibre, 1.0 - 1e-16)), np.inf)
    rep = np.flatnonzero(ready.any(axis=1))  # samples with at least one channel to key
    if rep.size and n_ch:
        t1 = time.perf_counter()
        sig_med = np.array([np.sqrt(np.median(var[s][ready[s]])) for s in rep])
        er_med = np.array([np.median(er[s][ready[s]]) for s in rep])
        xt_med = np.array([np.median(crosstalk[ready[s]]) for s in rep])
        ed_med = np.array([np.median(e_d[s][ready[s]]) for s in rep])
        rows = Rows()
        for r, s in enumerate(rep):
            _add(
                rows,
                link,
                net,
                x,
                s,
                sigma=sig_med[r],
                e_d=ed_med[r],
                er=er_med[r],
                extra_pd=xt_med[r],
            )
        best = solve(net.protocol, rows, finite, warm_of(result) if refine else None)
        timings["key rates: optimised, one row per sample"] = time.perf_counter() - t1

        t1 = time.perf_counter()
        ss, cc = np.nonzero(ready)
        where = np.searchsorted(rep, ss)  # row of each (sample, channel) in the optimised call
        full = _evaluate_at(net, link, x, best, where, ss, cc, var, e_d, er, crosstalk, finite)
        ratio[ss, cc] = np.asarray(full.rate_per_pulse) / bound[ss]
        keyed = np.asarray(full.rate_per_pulse) > 0.0
        qber[ss[keyed], cc[keyed]] = np.asarray(full.qber_x)[keyed]
        timings["key rates: every channel at its sample's parameters"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    return Uncertainty(
        settings=unc,
        samples=x,
        channels=tuple(c.channel for c in result.channels),
        ratio=ratio,
        qber_x=qber,
        phase_rms_rad=np.sqrt(var),
        extinction_ratio_db=er,
        seed=seed,
        distance_km=link.distance_km,
        timings_s=timings,
    )


def _add(
    rows: Rows, link, net, x, s: int, *, sigma: float, e_d: float, er: float, extra_pd: float
) -> None:
    lk = dataclasses.replace(
        link,
        fibre_loss_db_per_km=float(x["fibre_loss_db_per_km"][s]),
        server_filter_loss_db=link.server_filter_loss_db + float(x["server_extra_loss_db"][s]),
        misalignment=float(x["misalignment"][s]),
        detector_eta=float(x["detector_eta"][s]),
    )
    nw = dataclasses.replace(net, pulses=float(x["pulses"][s]))
    rows.add(
        (s, 0),
        lk,
        nw,
        length_km=(link.upstream_a_km, link.upstream_b_km),
        sigma=sigma,
        e_d=float(e_d),
        p_d=float(x["detector_dark_count_prob"][s]) + extra_pd,
        er=er,
    )


def _evaluate_at(net, link, x, best, where, ss, cc, var, e_d, er, crosstalk, finite):
    """Every (sample ``ss``, channel ``cc``) row at the optimised parameters of row ``where``
    of ``best``: one vectorised key-rate evaluation (no optimisation)."""
    p = best.parameters
    channel = Channel(
        length_a_km=link.upstream_a_km,
        length_b_km=link.upstream_b_km,
        fibre_loss_db_per_km=x["fibre_loss_db_per_km"][ss],
        extra_loss_a_db=link.server_filter_loss_db + x["server_extra_loss_db"][ss],
        extra_loss_b_db=link.server_filter_loss_db + x["server_extra_loss_db"][ss],
        misalignment=e_d[ss, cc],
        phase_rms_rad=np.sqrt(var[ss, cc]),
    )
    detector = Detector(
        eta_det=x["detector_eta"][ss],
        dark_count_prob=x["detector_dark_count_prob"][ss] + crosstalk[cc],
    )
    if net.protocol in ("sns", "sns-aopp"):
        base: Any = SNSParams(extinction_ratio_db=er[ss, cc])
        fixed = ("mu_vacuum", "extinction_ratio_db")
    else:
        base = default_params(net.protocol)
        fixed = ()
    names = {f.name for f in dataclasses.fields(base)} - set(fixed)
    chosen = {
        k: np.asarray(v, dtype=float).reshape(-1)[where]
        for k, v in p.items()
        if k in names and v is not None and not isinstance(v, str | int)
    }
    params = dataclasses.replace(base, **chosen)
    return key_rate(
        net.protocol,
        channel,
        detector,
        params,
        f_ec=net.ec_f,
        pulses=x["pulses"][ss] if finite else None,
        optimize=False,
    )
