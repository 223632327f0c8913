"""System parameters of the network: the design's ``link.*`` and ``network.*`` parameters.

Two frozen dataclasses, registered in :data:`qkdchip.design.SOURCES`; each numeric field carries
its :class:`~qkdchip.base.params.Range` in ``metadata["range"]`` (read by the design registry) and is
checked on construction. Where a lower layer already owns a parameter, the default (and, where
it has one, the range) is *read from that home*, never typed again here:

==============================  =========================================================
field                           home of the default
==============================  =========================================================
``fibre_loss_db_per_km``        :class:`qkdchip.sims.keyrate.Channel` ``fibre_loss_db_per_km``
``downstream_default_km``       :class:`~qkdchip.sims.physics.channels.Distribution`
``downstream_long_*``           :data:`~qkdchip.sims.physics.channels.REFERENCE_DOWNSTREAM_KM`
``fibre_imbalance_km``          :class:`~qkdchip.sims.physics.phasenoise.PhaseNoiseBudget`
``phase_drift_rad_per_ms``,     :mod:`qkdchip.sims.physics.phasenoise` (published drift after
``phase_estimation_hz``,        the dual-wavelength subtraction; estimation rate; raw drift of
``phase_reference_drift_*``     the reference phase)
``misalignment``,               :mod:`qkdchip.sims.physics.qber` (X-error contributors; the
``polarisation_extinction_db``, misalignment is the extra term on top of them, 0)
``intensity_mismatch_db``,
``timing_jitter_ps``
``detector_eta``,               :class:`qkdchip.sims.keyrate.Detector`
``detector_dark_count_prob``
``server_filter_*``             :class:`~qkdchip.sims.physics.channels.DemuxFilter`
``channels``                    :func:`~qkdchip.sims.physics.channels.plan_channels`
``clock_rate_hz``,              :func:`qkdchip.sims.keyrate.key_rate` keyword defaults
``duty_cycle``, ``ec_f``
==============================  =========================================================

The rest are the network's own (the reference network's published figures, docs/assumptions.md
section 1, or a documented wafer/installation assumption): the 185 + 185 km upstream spools,
the number of clients, the wafer variation, the protocol, the pulse number and the operating
mode.

In the registry each field is ``link.<field>`` / ``network.<field>`` (e.g.
``link.upstream_a_km``, ``network.wafer_modulator_yield``).
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any

from qkdchip.base.params import Range
from qkdchip.sims.keyrate.api import PROTOCOLS, key_rate
from qkdchip.sims.keyrate.channel import MAX_LENGTH_KM, Channel, Detector
from qkdchip.sims.physics.channels import (
    DEMUX_RANGES,
    DISTRIBUTION_RANGES,
    REFERENCE_DOWNSTREAM_KM,
    DemuxFilter,
    Distribution,
    plan_channels,
)
from qkdchip.sims.physics.phasenoise import (
    ESTIMATION_RATE_HZ,
    RAW_DRIFT_RAD_PER_MS,
    SUBTRACTED_DRIFT_RAD_PER_MS,
    PhaseNoiseBudget,
)
from qkdchip.sims.physics.qber import (
    EXTRA_MISALIGNMENT,
    INTENSITY_MISMATCH_DB,
    POLARISATION_EXTINCTION_DB,
    TIMING_JITTER_PS,
    TRACKING_SCHEMES,
)

__all__ = [
    "FINITE_KEY_PROTOCOLS",
    "KEY_PROTOCOLS",
    "MODES",
    "YIELD_MODELS",
    "LinkSettings",
    "NetworkSettings",
]

#: Protocols that give a key (PLOB is a bound, not a protocol).
KEY_PROTOCOLS: tuple[str, ...] = tuple(p for p in PROTOCOLS if p != "plob")
#: Protocols with a finite-key analysis in the key-rate core.
FINITE_KEY_PROTOCOLS: tuple[str, ...] = ("sns", "sns-aopp")
#: Models of which modulators fail (sims.network.wafer.element_yields).
YIELD_MODELS: tuple[str, ...] = ("uniform", "area")
#: Operating modes of the network.
MODES: tuple[str, ...] = ("sequential", "simultaneous")

_KEY_RATE_DEFAULTS = {
    k: p.default
    for k, p in inspect.signature(key_rate).parameters.items()
    if p.default is not inspect.Parameter.empty
}


def _default_of(owner: type, name: str) -> Any:
    for f in dataclasses.fields(owner):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            return f.default_factory()  # type: ignore[misc]
    raise AttributeError(f"{owner.__name__} has no field {name!r}")


def _range_of(owner: type, name: str) -> Range | None:
    for f in dataclasses.fields(owner):
        if f.name == name:
            return f.metadata.get("range")
    return None


def _f(default: Any, rng: Range | None, doc: str = "") -> Any:
    """A field with its Range (and a doc string) in the metadata."""
    meta: dict[str, Any] = {"doc": doc or (rng.doc if rng else "")}
    if rng is not None:
        meta["range"] = rng if not doc else dataclasses.replace(rng, doc=doc)
    return field(default=default, metadata=meta)


def _check(obj: Any, prefix: str) -> None:
    for f in dataclasses.fields(obj):
        rng: Range | None = f.metadata.get("range")
        if rng is not None:
            rng.check(f"{prefix}.{f.name}", getattr(obj, f.name))


_LONG_PAIR, (_LONG_KM, _) = next(iter(REFERENCE_DOWNSTREAM_KM.items()))
_CHANNEL_RANGE = _range_of(Channel, "fibre_loss_db_per_km")
_DET_ETA = _range_of(Detector, "eta_det")
_DET_PD = _range_of(Detector, "dark_count_prob")
_PNB = PhaseNoiseBudget
_DEMUX = DemuxFilter


@dataclass(frozen=True)
class LinkSettings:
    """Fibres, detectors and interference of every client pair (the design's ``link.*``).

    Upstream: client A_i -> server and B_i -> server (the key-rate arms). Downstream: comb line
    -> client (injection locking); every pair at ``downstream_default_km`` except pair
    ``downstream_long_pair`` at ``downstream_long_km`` per client (the reference's pair 5).
    """

    upstream_a_km: float = _f(
        185.0, Range(0.0, MAX_LENGTH_KM, "km"), "upstream fibre client A_i -> server (reference)"
    )
    upstream_b_km: float = _f(
        185.0, Range(0.0, MAX_LENGTH_KM, "km"), "upstream fibre client B_i -> server (reference)"
    )
    downstream_default_km: float = _f(
        _default_of(Distribution, "default_km"),
        DISTRIBUTION_RANGES["default_km"],
        "downstream fibre comb -> client (every pair but the long one)",
    )
    downstream_long_pair: int = _f(
        _LONG_PAIR,
        Range(0, 200, "", integer=True),
        "pair with the long downstream link (0: none)",
    )
    downstream_long_km: float = _f(
        _LONG_KM, DISTRIBUTION_RANGES["default_km"], "downstream fibre per client of the long pair"
    )
    fibre_loss_db_per_km: float = _f(
        _default_of(Channel, "fibre_loss_db_per_km"),
        Range(0.0, 2.0, "dB/km", _CHANNEL_RANGE.doc if _CHANNEL_RANGE else ""),
        "fibre attenuation, upstream and downstream",
    )
    fibre_imbalance_km: float = _f(
        _default_of(_PNB, "imbalance_km"),
        Range(0.0, 1e4, "km"),
        "residual length mismatch of the two paths of a pair (added to the geometric one)",
    )
    misalignment: float = _f(
        EXTRA_MISALIGNMENT,
        Range(0.0, 0.5, ""),
        "extra optical misalignment e_d at the server's beam splitter, on top of the modelled "
        "X-error contributors (spatial mode, beam-splitter ratio: what they leave out); "
        "0 by default",
    )
    polarisation_extinction_db: float = _f(
        POLARISATION_EXTINCTION_DB,
        Range(0.0, 100.0, "dB"),
        "each arm's polarisation extinction after the server's polarisation stabiliser "
        "(orthogonal power fraction 10^(-PER/10))",
    )
    intensity_mismatch_db: float = _f(
        INTENSITY_MISMATCH_DB,
        Range(0.0, 60.0, "dB"),
        "intensity mismatch of the two arms at the beam splitter (calibration error, beyond "
        "the arm-loss asymmetry)",
    )
    timing_jitter_ps: float = _f(
        TIMING_JITTER_PS,
        Range(0.0, 1e6, "ps"),
        "rms relative arrival-time jitter of the two arms' pulses at the beam splitter",
    )
    phase_reference_drift_rad_per_ms: float = _f(
        RAW_DRIFT_RAD_PER_MS,
        Range(0.0, 1e4, "rad/ms"),
        "drift of the reference phase itself (before subtraction): its estimation error",
    )
    phase_tracking: str = _f(
        "interval",
        None,
        "phase-tracking scheme: interval (each interval corrected with its own estimate, "
        "r T / sqrt 12) or hold (estimate held until the next, r T / sqrt 3)",
    )
    phase_drift_rad_per_ms: float = _f(
        SUBTRACTED_DRIFT_RAD_PER_MS,
        Range(0.0, 1e4, "rad/ms"),
        "residual fibre phase drift (after the dual-wavelength subtraction)",
    )
    phase_estimation_hz: float = _f(
        ESTIMATION_RATE_HZ, Range(1.0, 1e9, "Hz"), "rate of the server's phase estimates"
    )
    detector_eta: float = _f(_default_of(Detector, "eta_det"), _DET_ETA, "SNSPD efficiency")
    detector_dark_count_prob: float = _f(
        _default_of(Detector, "dark_count_prob"),
        _DET_PD,
        "dark-count probability per detector per pulse",
    )
    server_filter_loss_db: float = _f(
        _default_of(_DEMUX, "insertion_loss_db"),
        DEMUX_RANGES["insertion_loss_db"],
        "insertion loss of the server's receive filter (per arm, in front of the detectors)",
    )
    server_filter_isolation_db: float = _f(
        _default_of(_DEMUX, "isolation_db"),
        DEMUX_RANGES["isolation_db"],
        "stop-band isolation of the server's receive filter (simultaneous-mode crosstalk)",
    )

    def __post_init__(self) -> None:
        _check(self, "link")
        if self.phase_tracking not in TRACKING_SCHEMES:
            raise ValueError(
                f"link.phase_tracking={self.phase_tracking!r} is unknown: allowed "
                f"{', '.join(TRACKING_SCHEMES)}"
            )
        if self.detector_eta <= 0.0:
            raise ValueError(
                f"link.detector_eta={self.detector_eta!r} is out of range: allowed (0, 1]"
            )

    @property
    def distance_km(self) -> float:
        """Total Alice-server-Bob fibre length (the PLOB distance)."""
        return self.upstream_a_km + self.upstream_b_km

    def with_distance(self, distance_km: float) -> LinkSettings:
        """The same link with both upstream arms at ``distance_km / 2``."""
        Range(0.0, 2 * MAX_LENGTH_KM, "km").check("distance_km", distance_km)
        d = float(distance_km) / 2.0
        return dataclasses.replace(self, upstream_a_km=d, upstream_b_km=d)

    def downstream_km(self, channel: int) -> tuple[float, float]:
        """Downstream fibre (to A_i, to B_i) of ``channel``."""
        if channel == self.downstream_long_pair:
            return (self.downstream_long_km, self.downstream_long_km)
        return (self.downstream_default_km, self.downstream_default_km)


@dataclass(frozen=True)
class NetworkSettings:
    """Clients, wafer variation, protocol and operation (the design's ``network.*``).

    Wafer defaults (documented assumptions, docs/assumptions.md section 10): MMI power split
    1 sigma 0.01 (width/etch variation of a generic InP MMI), SSC coupling 0.3 dB and deep-ridge
    loss 0.3 dB/cm (1 sigma), laser detuning after thermal tuning 12.5 MHz rms (1 mK TEC
    stability x 12.5 GHz/K of an InP DBR), 97.5 % of the modulators working (117/120 published).
    """

    clients: int = _f(20, Range(2, 400, "", integer=True), "client chips (2 per channel)")
    channels: int = _f(
        inspect.signature(plan_channels).parameters["n_channels"].default,
        Range(1, 200, "", integer=True),
        "WDM channels (one client pair each)",
    )
    seed: int = _f(0, Range(0, 2**32 - 1, "", integer=True), "seed of the simulated wafer")
    protocol: str = _f("sns-aopp", None, f"key-rate protocol: one of {', '.join(KEY_PROTOCOLS)}")
    pulses: float = _f(
        1e13, Range(0.0, 1e22, ""), "pulse pairs N per channel (finite key; 0: asymptotic)"
    )
    clock_rate_hz: float = _f(
        float(_KEY_RATE_DEFAULTS["clock_rate_hz"]), Range(1e3, 1e12, "Hz"), "pulse clock"
    )
    duty_cycle: float = _f(
        float(_KEY_RATE_DEFAULTS["duty_cycle"]),
        Range(1e-4, 1.0, ""),
        "fraction of the time spent sending quantum pulses",
    )
    ec_f: float = _f(
        float(_KEY_RATE_DEFAULTS["f_ec"]), Range(1.0, 3.0, ""), "error-correction inefficiency f"
    )
    mode: str = _f("sequential", None, "sequential (one channel at a time) or simultaneous")
    detector_pairs: int = _f(
        1, Range(1, 200, "", integer=True), "detector pairs at the server (shared in time)"
    )
    wafer_split_sigma: float = _f(
        0.01, Range(0.0, 0.2, ""), "1-sigma variation of each MMI power split"
    )
    wafer_coupling_sigma_db: float = _f(
        0.3, Range(0.0, 3.0, "dB"), "1-sigma variation of the SSC facet coupling loss"
    )
    wafer_loss_sigma_db_per_cm: float = _f(
        0.3, Range(0.0, 2.0, "dB/cm"), "1-sigma variation of the deep-ridge loss"
    )
    wafer_detuning_sigma_mhz: float = _f(
        12.5, Range(0.0, 1e5, "MHz"), "rms free-running laser detuning from its comb line"
    )
    wafer_modulator_yield: float = _f(
        0.975, Range(0.0, 1.0, ""), "probability that one modulator works"
    )
    wafer_screen: bool = _f(
        True, None, "set aside dies with a failed phase modulator at wafer test"
    )
    wafer_yield_model: str = _f(
        "uniform",
        None,
        "which modulators fail: uniform (each works with wafer_modulator_yield) or area "
        "(Poisson defects per drawn electrode area, mean yield = wafer_modulator_yield)",
    )

    def __post_init__(self) -> None:
        _check(self, "network")
        if self.protocol not in KEY_PROTOCOLS:
            raise ValueError(
                f"network.protocol={self.protocol!r} is unknown: allowed {', '.join(KEY_PROTOCOLS)}"
            )
        if self.wafer_yield_model not in YIELD_MODELS:
            raise ValueError(
                f"network.wafer_yield_model={self.wafer_yield_model!r} is unknown: allowed "
                f"{', '.join(YIELD_MODELS)}"
            )
        if self.mode not in MODES:
            raise ValueError(f"network.mode={self.mode!r} is unknown: allowed {', '.join(MODES)}")
        if self.clients != 2 * self.channels:
            raise ValueError(
                f"network.clients={self.clients} must be 2 x network.channels = "
                f"{2 * self.channels} (one client pair per channel)"
            )
        if 0.0 < self.pulses < 1e3:
            raise ValueError(
                f"network.pulses={self.pulses:g} is out of range: allowed 0 (asymptotic) or "
                "[1e3, 1e22]"
            )

    @property
    def finite_pulses(self) -> float | None:
        """N for :func:`key_rate`; None (asymptotic) if ``pulses`` is 0 or the protocol has no
        finite-key analysis in the key-rate core (only sns and sns-aopp have one)."""
        if self.pulses > 0 and self.protocol in FINITE_KEY_PROTOCOLS:
            return float(self.pulses)
        return None
