"""Discrete phase randomisation by a DAC-driven phase modulator.

The client randomises the global phase of each pulse with its encoding phase modulator (PM I).
A DAC of ``b`` bits drives it through an amplifier of full-scale swing ``V_swing`` (peak to
peak): code ``c`` in ``0 .. 2^b - 1`` gives ``V = c V_swing / (2^b - 1)`` and the phase

    theta = pi V / V_pi                                (EO phase section, docs/physics.md s. 6)

with ``V_pi`` read from the chip's S-matrix. The M target phases are ``2 pi k / M``, k = 0 ..
M-1; each is realised by the nearest code (clipped at full scale), so the set produced differs
from the uniform one by the DAC's quantisation and, if ``V_swing < 2 V_pi (M - 1) / M``, by
clipping (the set then does not reach round the circle). Deviation from uniform:

    c_d = (1/M) sum_k exp(i d theta_k),   d = 1 .. M-1      (all 0 for the uniform set)

Pseudo-Fock decomposition (Cao, Zhang, Lo, Ma, "Discrete-phase-randomized coherent state source
and its application in quantum key distribution", NJP 17, 053014 (2015), Eqs. 2-4). The
mixture of the M coherent states ``|sqrt(mu) e^{2 pi i k / M}>`` is

    rho = sum_{j=0}^{M-1} P_j(mu) |lambda_j><lambda_j|,
    P_j(mu) = sum_{l>=0} e^{-mu} mu^{lM+j} / (lM+j)!,
    |lambda_j> = (e^{-mu/2} / sqrt(P_j)) sum_l mu^{(lM+j)/2} / sqrt((lM+j)!) |lM+j>,

so the "single-photon" state is ``|lambda_1>``, which carries ``|M+1>, |2M+1>, ...`` and
depends on ``mu``. The fidelities the key rate needs (``.sns_flaws``) are

    F_1(mu)        = |<1|lambda_1^mu>|            = sqrt(mu e^{-mu} / P_1(mu))
    F_M(mu_a, mu_b) = |<lambda_1^a|lambda_1^b>| = sum_{n = 1 mod M} sqrt(p_n(a) p_n(b))
                                                  / sqrt(P_1(a) P_1(b))

(``p_n`` the Poisson weights). For M -> infinity ``lambda_1 = |1>`` and both are 1.

Phase errors (a set that is not the uniform one): a lower bound on the root fidelity between
the state actually sent, ``(1/M) sum_k |sqrt(mu) e^{i theta_k}><..|``, and the ideal M-phase
state, from the strong concavity of the fidelity (Nielsen & Chuang, Thm. 9.7):

    F_err >= (1/M) sum_k exp(-mu (1 - cos(theta_k - 2 pi k / M)))    (``fidelity_to_uniform``)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from qkdchip.base.params import Range

__all__ = [
    "DAC_BITS_RANGE",
    "PHASES_RANGE",
    "PhaseSet",
    "dac_phase_set",
    "fidelity_lambda1",
    "fidelity_single_photon",
    "fidelity_to_uniform",
    "pseudo_fock_weights",
]

#: number of discrete phases M
PHASES_RANGE = Range(2, 4096, "", "number of discrete random phases M", integer=True)
#: DAC resolution
DAC_BITS_RANGE = Range(1, 16, "bit", "resolution of the phase-randomisation DAC", integer=True)
_MU = Range(0.0, 5.0, "", "mean photon number", lo_open=True)
_SWING = Range(0.0, 200.0, "V", "full-scale drive swing (peak to peak)", lo_open=True)
_VPI = Range(0.0, 1e3, "V", "half-wave voltage of the phase modulator", lo_open=True)


def _n_max(mu: float) -> int:
    """Photon numbers kept: the Poisson tail beyond is below 1e-30 for mu <= 5."""
    return int(mu + 12.0 * math.sqrt(mu) + 40.0)


def _poisson(mu: float) -> NDArray[np.float64]:
    return stats.poisson.pmf(np.arange(_n_max(mu) + 1), mu)


def pseudo_fock_weights(mu: float, m: int) -> NDArray[np.float64]:
    """``P_j(mu)``, j = 0 .. M-1 (sum 1): weight of ``|lambda_j>`` in the M-phase mixture."""
    _MU.check("mu", mu)
    PHASES_RANGE.check("phases", m)
    p = _poisson(mu)
    out = np.zeros(m)
    np.add.at(out, np.arange(p.size) % m, p)
    return out


def fidelity_single_photon(mu: float, m: int | None) -> float:
    """``F_1 = |<1|lambda_1^mu>|`` (1 for continuous randomisation, ``m=None``)."""
    if m is None:
        return 1.0
    p1 = pseudo_fock_weights(mu, m)[1]
    return float(math.sqrt(mu * math.exp(-mu) / p1))


def fidelity_lambda1(mu_a: float, mu_b: float, m: int | None) -> float:
    """``F_M = |<lambda_1^a|lambda_1^b>|`` (1 for ``m=None``)."""
    if m is None:
        return 1.0
    _MU.check("mu_a", mu_a)
    _MU.check("mu_b", mu_b)
    PHASES_RANGE.check("phases", m)
    n = max(_n_max(mu_a), _n_max(mu_b))
    k = np.arange(n + 1)
    pa, pb = stats.poisson.pmf(k, mu_a), stats.poisson.pmf(k, mu_b)
    sel = k % m == 1
    f = np.sum(np.sqrt(pa[sel] * pb[sel])) / math.sqrt(pa[sel].sum() * pb[sel].sum())
    return float(min(f, 1.0))


@dataclass(frozen=True)
class PhaseSet:
    """The phases a DAC-driven PM produces for M targets ``2 pi k / M``.

    Attributes:
        m: number of phases M.
        target_rad: the uniform targets.
        phases_rad: the phases produced (``pi V / V_pi``, unwrapped).
        codes: the DAC code of each.
        clipped: some target lay beyond the full-scale swing.
        max_error_rad: largest |produced - target| (wrapped to (-pi, pi]).
        max_fourier: ``max_{1 <= d < M} |c_d|`` (0 for the uniform set).
        coverage_rad: ``pi V_swing / V_pi``, the phase the full swing reaches.
        lsb_rad: phase step of one DAC code.
    """

    m: int
    target_rad: NDArray[np.float64]
    phases_rad: NDArray[np.float64]
    codes: NDArray[np.int64]
    clipped: bool
    max_error_rad: float
    max_fourier: float
    coverage_rad: float
    lsb_rad: float

    def fourier(self, d: int) -> complex:
        """``c_d = (1/M) sum_k exp(i d theta_k)``."""
        return complex(np.mean(np.exp(1j * d * self.phases_rad)))


def dac_phase_set(m: int, dac_bits: int, swing_v: float, vpi_v: float) -> PhaseSet:
    """The M phases produced by a ``dac_bits`` DAC of full scale ``swing_v`` on a PM of
    half-wave voltage ``vpi_v`` (see the module doc)."""
    PHASES_RANGE.check("phases", m)
    DAC_BITS_RANGE.check("dac_bits", dac_bits)
    _SWING.check("swing_v", swing_v)
    _VPI.check("vpi_v", vpi_v)
    full = 2**dac_bits - 1
    lsb_v = swing_v / full
    target = 2.0 * np.pi * np.arange(m) / m
    v_target = target * vpi_v / np.pi
    raw = np.rint(v_target / lsb_v)
    codes = np.clip(raw, 0, full).astype(np.int64)
    phases = np.pi * codes * lsb_v / vpi_v
    err = np.angle(np.exp(1j * (phases - target)))
    c = np.exp(1j * np.outer(np.arange(1, m), phases)).mean(axis=1) if m > 1 else np.zeros(0)
    return PhaseSet(
        m=m,
        target_rad=target,
        phases_rad=phases,
        codes=codes,
        clipped=bool(np.any(raw > full)),
        max_error_rad=float(np.max(np.abs(err))),
        max_fourier=float(np.max(np.abs(c))) if c.size else 0.0,
        coverage_rad=float(np.pi * swing_v / vpi_v),
        lsb_rad=float(np.pi * lsb_v / vpi_v),
    )


def fidelity_to_uniform(mu: float, phase_set: PhaseSet) -> float:
    """Lower bound on the root fidelity ``F_err`` between the state sent with the produced
    phases and the ideal M-phase state: by the strong concavity of the root fidelity,
    ``F >= (1/M) sum_k |<sqrt(mu) e^{i theta_k}|sqrt(mu) e^{i 2 pi k/M}>|
         = (1/M) sum_k exp(-mu (1 - cos(theta_k - 2 pi k / M)))`` (1 for the uniform set)."""
    _MU.check("mu", mu)
    d = phase_set.phases_rad - phase_set.target_rad
    return float(np.mean(np.exp(-mu * (1.0 - np.cos(d)))))
