"""Residual relative phase of a client pair -> X-basis (interference) error.

Contributions to the rms residual phase sigma between the two pulses that interfere at the
server (independent, so variances add):

* **Locked lasers over the arm mismatch.** Both clients are slaved to the same comb line, so the
  comb's phase noise cancels except over the delay imbalance d_tau of the two paths: a laser of
  Lorentzian linewidth dnu gives sigma^2 = 2 pi dnu d_tau (Wiener phase), with d_tau = n_g / c per
  length (4.897 us/km for SMF). With independent lasers: 2 pi (dnu_A + dnu_B) dt.
* **Injection-locking residual** of each slave (:mod:`.injection`): sigma_A^2 + sigma_B^2.
* **Fibre drift between phase estimates.** The server estimates the relative phase from the
  reference light every T (10 kHz -> T = 0.1 ms) and compensates; a linear drift r leaves a
  sawtooth of peak-to-peak rT whose rms about the estimate is rT/sqrt(12). The reference: raw
  r = 2.871 rad/ms (-> 0.0829 rad), 0.033 rad/ms after the dual-wavelength subtraction
  (-> 9.5e-4 rad).
* **Detection noise of the reference estimate**: N detected reference photons per estimate at
  fringe visibility V give a shot-noise-limited phase variance 1 / (N V^2) (Cramer-Rao bound
  of a two-output interferometer at quadrature).

A Gaussian residual phase gives the interference error (visibility exp(-sigma^2/2))::

    e_phase = (1 - exp(-sigma^2 / 2)) / 2   (~ sigma^2 / 4)

Phase post-selection in M slices (a uniform phase error within +-pi/M) adds::

    e_M = 1/2 - (M / 2 pi) sin(pi / M)

and the optical misalignment e_d (polarisation, mode, intensity mismatch) is the rest. For
independent symmetric errors the visibilities multiply, E_X = (1 - prod_i (1 - 2 e_i)) / 2,
which is e_d + e_phase + e_M to first order (``combine='sum'`` gives that first-order sum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from qkdchip.base.params import Range

from .constants import C_M_PER_S, FIBRE_GROUP_INDEX

__all__ = [
    "ESTIMATION_RATE_HZ",
    "RAW_DRIFT_RAD_PER_MS",
    "SUBTRACTED_DRIFT_RAD_PER_MS",
    "PhaseNoiseBudget",
    "delay_per_km_s",
    "detection_variance",
    "drift_sigma_rad",
    "laser_delay_variance",
    "phase_error",
    "slice_error",
    "x_qber",
]

#: Published drift rates of the reference network (rad/ms) and its estimation rate.
RAW_DRIFT_RAD_PER_MS = 2.871
SUBTRACTED_DRIFT_RAD_PER_MS = 0.033
ESTIMATION_RATE_HZ = 10e3


def delay_per_km_s(group_index: float = FIBRE_GROUP_INDEX) -> float:
    """Group delay per km of fibre, n_g / c x 1000 m (4.897 us/km for n_g = 1.468)."""
    Range(1.0, 2.0, "", "fibre group index").check("group_index", group_index)
    return group_index / C_M_PER_S * 1e3


def laser_delay_variance(
    linewidth_hz: float, imbalance_km: float, group_index: float = FIBRE_GROUP_INDEX
) -> float:
    """sigma^2 = 2 pi dnu d_tau for a path imbalance in km (same laser on both paths)."""
    Range(0.0, 1e10, "Hz", "laser linewidth").check("linewidth_hz", linewidth_hz)
    Range(0.0, 1e4, "km", "path imbalance").check("imbalance_km", imbalance_km)
    return 2.0 * math.pi * linewidth_hz * imbalance_km * delay_per_km_s(group_index)


def drift_sigma_rad(
    drift_rad_per_ms: float, estimation_rate_hz: float = ESTIMATION_RATE_HZ
) -> float:
    """rms residual of a linear drift r tracked every T = 1/rate: r T / sqrt(12) [rad]."""
    Range(0.0, 1e4, "rad/ms", "phase drift rate").check("drift_rad_per_ms", drift_rad_per_ms)
    Range(1.0, 1e9, "Hz", "phase-estimation rate").check("estimation_rate_hz", estimation_rate_hz)
    return drift_rad_per_ms * 1e3 / estimation_rate_hz / math.sqrt(12.0)


def detection_variance(reference_counts: float, visibility: float = 1.0) -> float:
    """Shot-noise phase variance of one reference estimate: 1 / (N V^2)."""
    Range(1.0, 1e15, "", "reference counts per estimate").check(
        "reference_counts", reference_counts
    )
    Range(1e-3, 1.0, "", "fringe visibility").check("visibility", visibility)
    return 1.0 / (reference_counts * visibility**2)


def phase_error(sigma2_rad2: float) -> float:
    """e = (1 - exp(-sigma^2/2)) / 2 for a Gaussian residual phase of variance sigma^2."""
    Range(0.0, 1e6, "rad^2", "phase variance").check("sigma2_rad2", sigma2_rad2)
    return 0.5 * (1.0 - math.exp(-0.5 * sigma2_rad2))


def slice_error(m_slices: int) -> float:
    """e_M = 1/2 - (M / 2 pi) sin(pi / M) (phase post-selection into M slices)."""
    Range(1, 1e6, "", "number of phase slices", integer=True).check("m_slices", m_slices)
    return 0.5 - m_slices / (2.0 * math.pi) * math.sin(math.pi / m_slices)


def x_qber(
    e_d: float,
    sigma2_rad2: float = 0.0,
    m_slices: int | None = None,
    combine: Literal["visibility", "sum"] = "visibility",
) -> float:
    """X-basis error from misalignment e_d, residual phase variance and phase slicing."""
    Range(0.0, 0.5, "", "optical misalignment error").check("e_d", e_d)
    errs = [e_d, phase_error(sigma2_rad2)]
    if m_slices is not None:
        errs.append(slice_error(m_slices))
    if combine == "sum":
        return min(0.5, sum(errs))
    if combine != "visibility":
        raise ValueError(f"combine={combine!r} is not allowed: use 'visibility' or 'sum'")
    v = 1.0
    for e in errs:
        v *= 1.0 - 2.0 * e
    return 0.5 * (1.0 - v)


@dataclass(frozen=True)
class PhaseNoiseBudget:
    """The phase-noise inputs of one client pair; :meth:`contributions` gives each variance.

    Defaults: the reference network after the dual-wavelength subtraction (0.033 rad/ms at
    10 kHz), locked lasers at the published 60 Hz over a 1 km path imbalance, injection residuals
    of two slaves at 2 MHz free-running and f_L = 0.82 GHz (1.2e-3 rad^2 each), 1e4 reference
    counts per estimate at V = 0.98, 16 phase slices, e_d = 2.5 %.
    """

    linewidth_hz: float = 60.0
    imbalance_km: float = 1.0
    injection_var_a_rad2: float = 1.2e-3
    injection_var_b_rad2: float = 1.2e-3
    drift_rad_per_ms: float = SUBTRACTED_DRIFT_RAD_PER_MS
    estimation_rate_hz: float = ESTIMATION_RATE_HZ
    reference_counts: float = 1e4
    visibility: float = 0.98
    e_d: float = 0.025
    m_slices: int | None = 16
    group_index: float = field(default=FIBRE_GROUP_INDEX)

    def __post_init__(self) -> None:
        Range(0.0, 10.0, "rad^2", "injection residual").check(
            "injection_var_a_rad2", self.injection_var_a_rad2
        )
        Range(0.0, 10.0, "rad^2", "injection residual").check(
            "injection_var_b_rad2", self.injection_var_b_rad2
        )
        self.contributions()  # validates the rest
        x_qber(self.e_d, 0.0, self.m_slices)

    def contributions(self) -> dict[str, float]:
        """Variance of each contribution [rad^2]."""
        return {
            "laser_delay": laser_delay_variance(
                self.linewidth_hz, self.imbalance_km, self.group_index
            ),
            "injection": self.injection_var_a_rad2 + self.injection_var_b_rad2,
            "drift": drift_sigma_rad(self.drift_rad_per_ms, self.estimation_rate_hz) ** 2,
            "detection": detection_variance(self.reference_counts, self.visibility),
        }

    @property
    def sigma2_rad2(self) -> float:
        return sum(self.contributions().values())

    @property
    def sigma_rad(self) -> float:
        return math.sqrt(self.sigma2_rad2)

    @property
    def e_phase(self) -> float:
        return phase_error(self.sigma2_rad2)

    def x_qber(self, combine: Literal["visibility", "sum"] = "visibility") -> float:
        return x_qber(self.e_d, self.sigma2_rad2, self.m_slices, combine)
