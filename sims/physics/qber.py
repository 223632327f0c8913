"""X-basis (interference) error of a client pair from named physical contributors, and its budget.

The two twin fields meet on the server's beam splitter; every imperfection lowers the fringe
visibility ``V_i`` of the interference and so adds an error ``e_i = (1 - V_i) / 2``. Independent
imperfections multiply their visibilities, so the optical X error is::

    E_opt = (1 - prod_i V_i) / 2,         -ln prod_i V_i = sum_i (-ln V_i)

and the share of contributor i in ``E_opt`` is ``ln V_i / ln prod V`` (an exact additive split,
summing to 1). Contributors (docs/physics.md section 8, defaults and sources in
docs/assumptions.md section 7):

* **Polarisation.** Each arm leaves the server's polarisation stabiliser with a fraction
  ``p = 10^(-PER/10)`` of its power in the orthogonal state; the aligned components interfere::

      V_pol = sqrt((1 - p_A) (1 - p_B))                           (20 dB each: e = 0.50 %)

* **Intensity mismatch** of the two arms at the beam splitter (ratio ``r``, in dB ``10 log10 r``),
  beyond the channel asymmetry that the key-rate core already carries::

      V_int = 2 sqrt(r) / (1 + r)                                  (0.2 dB: e = 0.013 %)

* **Timing jitter vs pulse width.** Gaussian pulses of intensity FWHM ``w`` (rms
  ``tau = w / (2 sqrt(2 ln 2))``) overlap as ``exp(-dt^2 / (8 tau^2))`` at relative delay ``dt``;
  averaged over a Gaussian relative jitter of rms ``sigma_t``::

      V_jit = (1 + sigma_t^2 / (4 tau^2))^(-1/2)                   (10 ps on 200 ps: e = 0.087 %)

* **Demultiplexer crosstalk.** The other comb lines that pass a channel's demux port (the
  port's stop band, :class:`~.channels.DemuxFilter`) reach the slave laser; the locked slave
  follows its injection with the bandwidth ``f_L`` of the lock, so a line at offset ``d`` is
  passed with ``H = f_L^2 / (f_L^2 + d^2)`` (first-order response of the locked phase, the same
  relaxation rate as the injection residual of :mod:`.injection`), then through the server's
  receive filter. Counted as light that does not interfere with the wanted field (an upper
  bound), a power fraction ``x`` of the wanted one gives ``V_xt = 1 / (1 + x)``.
* **Residual phase** (Gaussian, variance ``sigma^2`` = sum of the phase terms)::

      V_phase = exp(-sigma^2 / 2)

  with the phase terms of :mod:`.phasenoise` (locked linewidth over the path imbalance, injection
  residuals, detection of the reference) and the *tracking* terms of this module: a phase that
  drifts linearly at ``r`` and is estimated every ``T = 1 / rate`` leaves ::

      interval: sigma = r T / sqrt(12)   (each interval corrected with its own estimate, the
                                          mean over the interval; the error is the sawtooth
                                          about it)
      hold:     sigma = r T / sqrt(3)    (a point estimate at the start of the interval held
                                          until the next; the error ramps 0 -> r T)

  charged twice: for the reference phase itself (raw drift 2.871 rad/ms at 10 kHz: 0.0829 rad,
  0.166 rad if held) and for the residual after the dual-wavelength subtraction (0.033 rad/ms).
* **Extra misalignment** ``e_d`` (``link.misalignment``): what is not modelled above (spatial
  mode mismatch, beam-splitter ratio), ``V = 1 - 2 e_d``; 0 by default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qkdchip.base.params import Range

from .constants import FIBRE_GROUP_INDEX
from .phasenoise import PhaseNoiseBudget, detection_variance, laser_delay_variance

__all__ = [
    "EXTRA_MISALIGNMENT",
    "INTENSITY_MISMATCH_DB",
    "PHASE_TERMS",
    "POLARISATION_EXTINCTION_DB",
    "TIMING_JITTER_PS",
    "TRACKING_SCHEMES",
    "VISIBILITY_TERMS",
    "XBudget",
    "crosstalk_fraction",
    "error_of_visibility",
    "intensity_visibility",
    "jitter_visibility",
    "pair_budget",
    "polarisation_visibility",
    "tracking_sigma_rad",
]

#: Polarisation extinction of each arm after the server's polarisation stabiliser [dB]: the
#: "isolation in orthogonal polarization 20 dB" of a commercial reset-free polarisation tracker
#: (General Photonics / Luna POS-002 PolaStay datasheet). Datasheet, not fitted.
POLARISATION_EXTINCTION_DB: float = 20.0
#: Intensity mismatch of the two arms at the beam splitter [dB]: a +-5 % intensity-calibration
#: error (10 log10 1.05 = 0.21 dB), the absolute-accuracy class of fibre power meters (a few %).
#: Assumed.
INTENSITY_MISMATCH_DB: float = 10.0 * math.log10(1.05)
#: rms relative arrival-time jitter of the two arms' pulses [ps]: clock distribution and
#: modulator-driver jitter at the 10 ps level (picosecond-precision White Rabbit timing, Lipinski
#: et al., ISPCS 2011; pattern-generator jitter of a few ps). Assumed.
TIMING_JITTER_PS: float = 10.0
#: Extra misalignment e_d on top of the modelled contributors (``link.misalignment``): 0.
EXTRA_MISALIGNMENT: float = 0.0

#: Phase-tracking schemes of the server (see the module docstring) -> rms / (r T).
TRACKING_SCHEMES: dict[str, float] = {
    "interval": 1.0 / math.sqrt(12.0),
    "hold": 1.0 / math.sqrt(3.0),
}

#: Contributors that enter as a visibility factor (not a phase), in budget order.
VISIBILITY_TERMS: tuple[str, ...] = (
    "polarisation",
    "intensity",
    "timing_jitter",
    "demux_crosstalk",
    "misalignment",
)
#: Phase contributors (variances in rad^2), in budget order.
PHASE_TERMS: tuple[str, ...] = (
    "laser_delay",
    "injection",
    "drift_residual",
    "reference_estimation",
    "detection",
)

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def error_of_visibility(v: float) -> float:
    """e = (1 - V) / 2."""
    Range(0.0, 1.0, "", "fringe visibility").check("visibility", v)
    return 0.5 * (1.0 - v)


def polarisation_visibility(per_a_db: float, per_b_db: float | None = None) -> float:
    """V = sqrt((1 - p_A)(1 - p_B)), p = 10^(-PER/10): the orthogonal power left in each arm."""
    per_b_db = per_a_db if per_b_db is None else per_b_db
    for name, x in (("per_a_db", per_a_db), ("per_b_db", per_b_db)):
        Range(0.0, 100.0, "dB", "polarisation extinction").check(name, x)
    pa, pb = 10.0 ** (-per_a_db / 10.0), 10.0 ** (-per_b_db / 10.0)
    return math.sqrt((1.0 - pa) * (1.0 - pb))


def intensity_visibility(mismatch_db: float) -> float:
    """V = 2 sqrt(r) / (1 + r), r = 10^(mismatch/10) (intensity ratio of the two arms)."""
    Range(0.0, 60.0, "dB", "intensity mismatch").check("mismatch_db", mismatch_db)
    r = 10.0 ** (mismatch_db / 10.0)
    return 2.0 * math.sqrt(r) / (1.0 + r)


def jitter_visibility(jitter_rms_s: float, pulse_fwhm_s: float) -> float:
    """V = (1 + sigma_t^2 / (4 tau^2))^(-1/2), tau = FWHM / (2 sqrt(2 ln 2)) (Gaussian pulses)."""
    Range(0.0, 1e-6, "s", "relative timing jitter").check("jitter_rms_s", jitter_rms_s)
    Range(1e-15, 1e-3, "s", "pulse width (FWHM)").check("pulse_fwhm_s", pulse_fwhm_s)
    tau = pulse_fwhm_s / _FWHM_PER_SIGMA
    return 1.0 / math.sqrt(1.0 + jitter_rms_s**2 / (4.0 * tau**2))


def tracking_sigma_rad(
    drift_rad_per_ms: float, estimation_rate_hz: float, scheme: str = "interval"
) -> float:
    """rms phase error of a linear drift r estimated every T = 1/rate: r T / sqrt(12)
    ('interval') or r T / sqrt(3) ('hold') [rad]."""
    Range(0.0, 1e4, "rad/ms", "phase drift rate").check("drift_rad_per_ms", drift_rad_per_ms)
    Range(1.0, 1e9, "Hz", "phase-estimation rate").check("estimation_rate_hz", estimation_rate_hz)
    if scheme not in TRACKING_SCHEMES:
        raise ValueError(f"scheme={scheme!r} is unknown: allowed {', '.join(TRACKING_SCHEMES)}")
    return drift_rad_per_ms * 1e3 / estimation_rate_hz * TRACKING_SCHEMES[scheme]


def crosstalk_fraction(
    offsets_hz: Any,
    power_ratio: Any,
    locking_bandwidth_hz: float,
    receive_db: Any = 0.0,
) -> float:
    """Power fraction x of the other lines at the beam splitter, relative to the wanted one.

    ``offsets_hz``: each other line's offset from the wanted line; ``power_ratio``: its power
    over the wanted line's after the channel's demux port (linear); ``receive_db``: the server's
    receive filter at that offset relative to its centre (dB, <= 0). The locked slave passes a
    line at offset d with f_L^2 / (f_L^2 + d^2)."""
    Range(0.0, 1e13, "Hz", "locking bandwidth").check("locking_bandwidth_hz", locking_bandwidth_hz)
    d = np.asarray(offsets_hz, dtype=float)
    r = np.asarray(power_ratio, dtype=float)
    if np.any(r < 0.0) or not np.all(np.isfinite(r)):
        raise ValueError("power_ratio must be finite and >= 0 (allowed [0, inf))")
    f2 = locking_bandwidth_hz**2
    h = f2 / (f2 + d**2) if f2 > 0 else np.zeros_like(d)
    t = 10.0 ** (np.asarray(receive_db, dtype=float) / 10.0)
    return float(np.sum(r * h * t))


@dataclass(frozen=True)
class XBudget:
    """The X-error contributors of one client pair: visibilities and phase variances.

    ``visibility``: contributor -> V_i (the non-phase factors); ``phase_var_rad2``: contributor ->
    variance. ``e_d`` and ``sigma2_rad2`` are what the key-rate core takes (its visibility is
    ``(1 - 2 e_d) exp(-sigma^2 / 2)``, the same product)."""

    visibility: Mapping[str, float] = field(default_factory=dict)
    phase_var_rad2: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for k, v in self.visibility.items():
            Range(0.0, 1.0, "", "fringe visibility").check(f"visibility[{k}]", v)
        for k, v in self.phase_var_rad2.items():
            Range(0.0, 1e6, "rad^2", "phase variance").check(f"phase_var_rad2[{k}]", v)

    @property
    def optical_visibility(self) -> float:
        """prod of the non-phase visibilities."""
        return math.prod(self.visibility.values())

    @property
    def e_d(self) -> float:
        """(1 - prod V_i) / 2 of the non-phase contributors (the key-rate core's e_d)."""
        return 0.5 * (1.0 - self.optical_visibility)

    @property
    def sigma2_rad2(self) -> float:
        return float(sum(self.phase_var_rad2.values()))

    @property
    def visibility_total(self) -> float:
        return self.optical_visibility * math.exp(-0.5 * self.sigma2_rad2)

    @property
    def e_x(self) -> float:
        """Optical X error E_opt = (1 - V_total) / 2 (no protocol terms)."""
        return 0.5 * (1.0 - self.visibility_total)

    def errors(self) -> dict[str, float]:
        """Each contributor's error alone, e_i = (1 - V_i) / 2."""
        out = {k: 0.5 * (1.0 - v) for k, v in self.visibility.items()}
        out.update({k: 0.5 * (1.0 - math.exp(-0.5 * s2)) for k, s2 in self.phase_var_rad2.items()})
        return out

    def shares(self, qber_x: float | None = None) -> dict[str, float]:
        """contributor -> share (sums to 1).

        Without ``qber_x``: the split of E_opt, ln V_i / ln V_total. With the X QBER of the
        key-rate core (which adds the protocol's own errors: dark counts, the phase window of the
        X events), the optical contributors keep E_opt / qber_x of it in that split and
        ``protocol`` takes the rest."""
        logs = {k: 0.0 - math.log(v) if v > 0 else math.inf for k, v in self.visibility.items()}
        logs.update({k: 0.5 * s2 for k, s2 in self.phase_var_rad2.items()})
        total = sum(logs.values())
        if total == 0.0 or not math.isfinite(total):
            opt = {k: (1.0 if math.isinf(v) else 0.0) for k, v in logs.items()}
            n = sum(opt.values())
            opt = {k: v / n for k, v in opt.items()} if n else opt
        else:
            opt = {k: v / total for k, v in logs.items()}
        if qber_x is None or not math.isfinite(qber_x):
            return opt
        Range(0.0, 1.0, "", "X QBER").check("qber_x", qber_x)
        if qber_x <= 0.0:
            return {**opt, "protocol": 0.0}
        frac = min(1.0, self.e_x / qber_x)
        out = {k: frac * v for k, v in opt.items()}
        out["protocol"] = 1.0 - frac
        return out


def pair_budget(
    *,
    linewidth_hz: float,
    imbalance_km: float,
    injection_var_rad2: float,
    drift_rad_per_ms: float,
    reference_drift_rad_per_ms: float,
    estimation_rate_hz: float,
    pulse_fwhm_s: float,
    scheme: str = "interval",
    polarisation_extinction_db: float = POLARISATION_EXTINCTION_DB,
    intensity_mismatch_db: float = INTENSITY_MISMATCH_DB,
    jitter_rms_s: float = TIMING_JITTER_PS * 1e-12,
    crosstalk: float = 0.0,
    misalignment: float = EXTRA_MISALIGNMENT,
    reference_counts: float = PhaseNoiseBudget.reference_counts,
    group_index: float = FIBRE_GROUP_INDEX,
) -> XBudget:
    """The X-error budget of one locked client pair (see the module docstring).

    ``crosstalk``: the non-interfering power fraction x of :func:`crosstalk_fraction` (the
    mean of the two arms); the reference's detection noise is taken at the optical visibility
    of the other contributors, 1 / (N V^2)."""
    Range(0.0, 1e6, "", "crosstalk power fraction").check("crosstalk", crosstalk)
    Range(0.0, 0.5, "", "extra misalignment").check("misalignment", misalignment)
    vis = {
        "polarisation": polarisation_visibility(polarisation_extinction_db),
        "intensity": intensity_visibility(intensity_mismatch_db),
        "timing_jitter": jitter_visibility(jitter_rms_s, pulse_fwhm_s),
        "demux_crosstalk": 1.0 / (1.0 + crosstalk),
        "misalignment": 1.0 - 2.0 * misalignment,
    }
    v_opt = max(math.prod(vis.values()), 1e-3)
    phase = {
        "laser_delay": laser_delay_variance(linewidth_hz, imbalance_km, group_index),
        "injection": injection_var_rad2,
        "drift_residual": tracking_sigma_rad(drift_rad_per_ms, estimation_rate_hz, scheme) ** 2,
        "reference_estimation": tracking_sigma_rad(
            reference_drift_rad_per_ms, estimation_rate_hz, scheme
        )
        ** 2,
        "detection": detection_variance(reference_counts, v_opt),
    }
    return XBudget(vis, phase)
