"""Self-injection locking (SIL) of the pump laser to the ring: locked detuning and mode shift.

Backscattering couples the pumped (clockwise) mode a to its counter-propagating twin b at the
rate gamma; in the normalisation of :mod:`.lle` (tau = kappa t/2) the coupling is ``beta =
2 gamma / kappa`` = the backscatter mode splitting / the loaded linewidth. Steady state of the two
modes with Kerr self- and cross-phase modulation, to first order in beta (Kondratiev et al., Opt.
Express 25, 28167 (2017) for the linear model; Voloshin et al., Nat. Commun. 12, 235 (2021) for
the Kerr-tilted one; Lihachev et al., Nat. Commun. 13, 1771 (2022) for the dark pulse it
enables in normal dispersion)::

    psi_a = f / (1 + i (zeta - rho)),   rho = |psi_a|^2 on the CW branch followed from the blue
    psi_b = i beta psi_a / (1 + i (zeta - 2 rho))      (b sees twice the Kerr shift: XPM)

The light reflected into the laser is ``r = 2 eta psi_b / f`` (field ratio at the bus input;
``r = 2 i eta beta / (1 + i zeta)^2`` in the cold, weak-backscatter limit). The laser (Lang-
Kobayashi steady state, the same laser model as :mod:`.injection`: k_c = (1 - R)/(tau_in sqrt R),
Henry factor alpha_H) then emits at zeta given its free-running detuning xi (both normalised,
``2 (omega_0 - omega) / kappa``) by the tuning curve::

    xi = zeta - K_fb Im[r(zeta) e^{i psi}],   K_fb = 2 k_c sqrt(1 + alpha_H^2) T_c / kappa

with T_c the power coupling laser <-> bus (the pump facet's |S21|^2) and the locking phase
``psi = phi_path + atan(alpha_H)``, phi_path the round-trip phase laser facet -> ring coupler ->
laser facet (air gap, facet taper, input guide, half the bus: from the drawn chip). The laser,
tuned from the blue side (xi increasing), follows the first solution: ``zeta_locked`` = the
smallest zeta with xi(zeta) >= xi. Locked means the feedback at least halves the laser's
frequency excursions there (stabilisation coefficient K = d xi / d zeta >= 2); the locking
range is the extent in xi of its branch: up to the fold of xi(zeta) (d xi / d zeta <= 0, or
the drop of the Kerr branch) on each side, or, on a side without one, to where K falls below 2. In this sign
convention the optimal locking phase (the steepest, symmetric branch) is psi = 3 pi / 2.

The backward mode acts back on the pumped mode: ``i beta psi_b = i beta^2 psi_a / (1 + i Delta)``
with Delta = zeta - 2 rho, a shift of the pumped mode's detuning by ``- beta^2 Delta / (1 +
Delta^2)``: in the forward-only LLE a red shift of ``beta^2 Delta / (2 (1 + Delta^2))`` kappa
(largest, beta^2/4, at Delta = 1; its loss part beta^2/(1 + Delta^2) is not carried into the LLE).

Closed form (test): cold ring (rho = 0), beta -> 0, psi = 3 pi/2: xi = zeta + 4 eta beta K_fb
zeta / (1 + zeta^2)^2 (from r above), whose locked branch spans, for K_fb eta beta >> 1, the laser
range Delta xi = 2 x (3 sqrt 3 / 16) x 4 eta beta K_fb = (3 sqrt 3 / 2) eta beta K_fb
(extrema at zeta = -+1/sqrt 3): the locking range ``Delta omega = Delta xi kappa / 2``.

Approximations: first order in beta for the backward field (beta of a few is a strong
perturbation; the numbers are then indicative), the CW intracavity power rho stands for the
comb's mean power, and the laser's Kerr-free carrier dynamics (no relaxation oscillations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qkdchip.base.params import Range

from .injection import SlaveLaser

__all__ = [
    "SIL_RANGES",
    "SILResult",
    "cw_branch_from_blue",
    "self_injection_lock",
    "tuning_curve",
]

SIL_RANGES: dict[str, Range] = {
    "backscatter": Range(0.0, 20.0, "", "backscatter coupling beta = mode splitting / linewidth"),
    "laser_detuning_zeta": Range(
        -2000.0, 2000.0, "", "free-running laser detuning xi = 2(omega_0 - omega_LD)/kappa"
    ),
    "facet_coupling": Range(0.0, 1.0, "", "laser <-> bus power coupling T_c"),
    "path_phase_rad": Range(-1e3, 1e3, "rad", "round-trip phase laser -> ring -> laser"),
}

_GRID = np.linspace(-20.0, 80.0, 20001)  # zeta grid of the tuning curve (step 0.005)


def cw_branch_from_blue(f2: float, zeta: NDArray[np.float64]) -> NDArray[np.float64]:
    """Intracavity CW power rho(zeta) on the branch a laser scanned from the blue follows: the
    largest real root of f^2 = rho (1 + (zeta - rho)^2) (the upper branch while it exists, the
    single lower root past its fold). Vectorised: eigenvalues of the cubic's companion matrices."""
    Range(0.0, 1e4, "", "normalised pump f^2").check("f2", f2)
    z = np.asarray(zeta, dtype=np.float64)
    comp = np.zeros((z.size, 3, 3))
    comp[:, 0, 0] = 2.0 * z
    comp[:, 0, 1] = -(1.0 + z * z)
    comp[:, 0, 2] = f2
    comp[:, 1, 0] = 1.0
    comp[:, 2, 1] = 1.0
    roots = np.linalg.eigvals(comp)
    real = np.where(np.abs(roots.imag) < 1e-6 * np.maximum(1.0, np.abs(roots)), roots.real, -1.0)
    return real.max(axis=1).reshape(z.shape)


@dataclass(frozen=True)
class SILResult:
    """The self-injection-locked operating point."""

    locked: bool
    detuning_zeta: float  # zeta_0 at which the laser emits (LLE detuning)
    mode_shift_kappa: float  # red shift of the pumped mode for the LLE (units of kappa)
    laser_detuning_zeta: float  # xi: free-running laser detuning
    backscatter: float
    feedback_phase_rad: float  # psi = phi_path + atan(alpha_H), mod 2 pi
    k_fb: float
    stabilization_k: float  # d xi / d zeta at the lock point
    locking_range_zeta: float  # extent in xi of the locked branch containing the lock point
    kappa_rad_s: float

    @property
    def locking_range_hz(self) -> float:
        """Locking range in laser frequency: Delta xi kappa / (4 pi) [Hz]."""
        return self.locking_range_zeta * self.kappa_rad_s / (4.0 * math.pi)

    def to_dict(self) -> dict[str, Any]:
        return {
            "locked": self.locked,
            "detuning_zeta0": self.detuning_zeta,
            "mode_shift_kappa": self.mode_shift_kappa,
            "locking_range_ghz": self.locking_range_hz / 1e9,
            "feedback_phase_rad": self.feedback_phase_rad,
            "laser_detuning_zeta": self.laser_detuning_zeta,
            "backscatter": self.backscatter,
            "stabilization_k": self.stabilization_k,
            "feedback_k_fb": self.k_fb,
        }


def tuning_curve(
    zeta: NDArray[np.float64],
    f2: float,
    eta: float,
    backscatter: float,
    k_fb: float,
    psi: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(xi(zeta), rho(zeta), Delta(zeta)) of the module doc on the grid ``zeta``."""
    rho = cw_branch_from_blue(f2, zeta) if f2 > 0 else np.zeros_like(zeta)
    delta = zeta - 2.0 * rho
    r = 2.0 * eta * 1j * backscatter / ((1.0 + 1j * (zeta - rho)) * (1.0 + 1j * delta))
    xi = zeta - k_fb * np.imag(r * np.exp(1j * psi))
    return xi, rho, delta


def self_injection_lock(
    kappa_rad_s: float,
    eta: float,
    f2: float,
    backscatter: float,
    laser_detuning_zeta: float,
    facet_coupling: float,
    path_phase_rad: float,
    laser: SlaveLaser | None = None,
    zeta_grid: NDArray[np.float64] | None = None,
) -> SILResult:
    """Lock point of the pump laser (module doc): xi = ``laser_detuning_zeta`` reached from the
    blue side; returns the emitted detuning zeta and the pumped-mode shift for the LLE."""
    for name, value in (
        ("backscatter", backscatter),
        ("laser_detuning_zeta", laser_detuning_zeta),
        ("facet_coupling", facet_coupling),
        ("path_phase_rad", path_phase_rad),
    ):
        SIL_RANGES[name].check(name, value)
    Range(1.0, 1e13, "rad/s", "loaded linewidth kappa").check("kappa_rad_s", kappa_rad_s)
    Range(0.0, 1.0, "", "coupling efficiency eta").check("eta", eta)
    laser = laser or SlaveLaser()
    k_fb = 2.0 * laser.coupling_rate * math.sqrt(1.0 + laser.alpha_h**2) * facet_coupling
    k_fb /= kappa_rad_s
    psi = float(np.mod(path_phase_rad + math.atan(laser.alpha_h), 2.0 * math.pi))
    z = _GRID if zeta_grid is None else np.asarray(zeta_grid, dtype=np.float64)
    xi, _rho, delta = tuning_curve(z, f2, eta, backscatter, k_fb, psi)
    xi_t = laser_detuning_zeta
    hit = np.nonzero(xi >= xi_t)[0]
    if hit.size == 0 or hit[0] == 0:
        i = int(np.argmin(np.abs(xi - xi_t)))
    else:
        i = int(hit[0])
        # linear refinement between grid points i-1, i
        w = (xi_t - xi[i - 1]) / (xi[i] - xi[i - 1]) if xi[i] != xi[i - 1] else 1.0
        i = i if w > 0.5 else i - 1
    zeta_l = float(z[i])
    slope = np.gradient(xi, z)
    k = float(slope[i])
    # the locked branch: from the lock point to the fold (d xi / d zeta <= 0, or the Kerr
    # branch's drop) on each side; on a side without one, to where the pull fades (K < 2)
    locked = bool(k >= 2.0 and backscatter > 0 and k_fb > 0)

    def edge(step: int) -> int:
        j = i
        while 0 <= j + step < z.size and slope[j + step] > 0.0:
            j += step
        if 0 <= j + step < z.size:
            return j
        j = i
        while 0 <= j + step < z.size and slope[j + step] >= 2.0:
            j += step
        return j

    rng = float(xi[edge(1)] - xi[edge(-1)]) if locked else 0.0
    d = float(delta[i])
    shift = backscatter**2 * d / (2.0 * (1.0 + d * d))
    return SILResult(
        locked=locked,
        detuning_zeta=zeta_l if locked else float(xi_t),
        mode_shift_kappa=float(shift) if locked else 0.0,
        laser_detuning_zeta=float(xi_t),
        backscatter=float(backscatter),
        feedback_phase_rad=psi,
        k_fb=float(k_fb),
        stabilization_k=k,
        locking_range_zeta=rng,
        kappa_rad_s=float(kappa_rad_s),
    )
