"""Self-injection locking (SIL) of the pump laser to the ring: locked detuning and mode shift.

Backscattering couples the pumped (clockwise) mode a to its counter-propagating twin b at the
rate gamma; in the normalisation of :mod:`.lle` (tau = kappa t/2) the coupling is ``beta =
2 gamma / kappa`` = the backscatter mode splitting / the loaded linewidth. The two modes are
solved *exactly in beta* (no expansion), with Kerr self- and cross-phase modulation, as in
Kondratiev et al., Opt. Express 25, 28167 (2017) (linear SIL with the split resonance),
Voloshin et al., Nat. Commun. 12, 235 (2021) (the Kerr-tilted SIL) and Lihachev et al., Nat.
Commun. 13, 1771 (2022) (platicons by SIL in normal dispersion)::

    0 = -(1 + i zeta) a + i (|a|^2 + 2 |b|^2) a + i beta b + f
    0 = -(1 + i zeta) b + i (|b|^2 + 2 |a|^2) b + i beta a

so that ``b = i beta a / (1 + i Delta_b)`` and ``a = f / g``, ``g = 1 + i Delta_a + beta^2 / (1 +
i Delta_b)``, ``Delta_a = zeta - rho_a - 2 rho_b``, ``Delta_b = zeta - rho_b - 2 rho_a`` (rho =
|.|^2). The pair (rho_a, rho_b) solves ``rho_a |g|^2 = f^2``, ``rho_b (1 + Delta_b^2) = beta^2
rho_a``; it is followed from the blue (Newton continuation on the zeta grid: the branch a laser
scanned from the blue sees). Cold (f -> 0): ``g (1 + i zeta) = (1 + i zeta)^2 + beta^2``, the
split resonances at ``zeta = +-beta``: the symmetric supermode (a + b) at ``+beta`` (red, below
omega_0) and the antisymmetric one (a - b) at ``-beta`` (blue).

The light reflected into the laser is ``r = 2 eta b / f = 2 i eta beta / (g (1 + i Delta_b))``
(field ratio at the bus input; cold: ``2 i eta beta / ((1 + i zeta)^2 + beta^2)``, which near the
symmetric supermode of a strongly split resonance, beta >> 1, is ``eta / (1 + i (zeta - beta))``,
and ``-eta / (1 + i (zeta + beta))`` near the antisymmetric one). The laser (Lang-Kobayashi
steady state, the laser of :mod:`.injection`: k_c = (1 - R)/(tau_in sqrt R), Henry factor
alpha_H) emits at zeta given its free-running detuning xi (both ``2 (omega_0 - omega)/kappa``)::

    xi = zeta - K_fb Im[r(zeta) e^{i psi}],   K_fb = 2 k_c sqrt(1 + alpha_H^2) T_c / kappa

with T_c the laser <-> bus power coupling (the pump facet's |S21|^2) and the locking phase
``psi = phi_path + atan(alpha_H)``, phi_path the round trip laser facet -> ring coupler -> laser
facet (air gap, facet taper, input guide, half the bus: from the drawn chip). The phase picks the
supermode: near the symmetric one ``xi = zeta + K_fb eta [delta cos psi - sin psi] / (1 +
delta^2)`` (delta = zeta - beta), stabilising (d xi/d zeta > 1) for cos psi > 0, the
antisymmetric one for cos psi < 0. The laser, tuned from the blue (xi increasing), follows the
first solution: ``zeta_locked`` = the smallest zeta with xi(zeta) >= xi. Locked means the
feedback at least halves its frequency excursions there (K = d xi / d zeta >= 2); the locking
range is the extent in xi of its branch, up to the fold of xi(zeta) (d xi / d zeta <= 0, or the
drop of the Kerr branch) on each side or, on a side without one, to where K falls below 2.
Strong backscatter (beta >> 1, cold, psi = 0): locking range ``Delta xi -> K_fb eta`` (+ O(1)),
Kondratiev et al. 2017's strong-backscatter limit ``Delta omega = eta k_c sqrt(1 + alpha_H^2)
T_c`` (test). Weak backscatter (beta -> 0, psi = 3 pi/2): ``K(0) = 1 + A / (1 + beta^2)^2``,
``A = 4 eta beta K_fb`` (test).

What the LLE gets (exact in beta for the CW pump mode): the backward wave, a single CW mode,
cross-phase modulates every forward mode by ``2 rho_b``; only the pumped mode feels ``i beta
b``, which in the forward LLE is a detuning change ``- beta^2 Delta_b / (1 + Delta_b^2)`` and an
extra loss ``beta^2 / (1 + Delta_b^2)`` of mode 0. Hence ``zeta_0(LLE) = zeta_locked - 2 rho_b``
and a red mode shift ``beta^2 Delta_b / (2 (1 + Delta_b^2))`` kappa (positive on the symmetric,
red supermode; negative on the antisymmetric one) and the extra loss ``pump_mode_extra_loss`` =
``beta^2 / (1 + Delta_b^2)`` (the normalised amplitude rate, units of kappa/2; equally the extra
energy decay in units of kappa), which the LLE carries as ``mode_losses={0: l}``
(:mod:`.lle`). With both, the LLE's pumped mode at the lock point is the exact forward/backward
state (test: the split-step solver started there stays there).

Approximations: the CW intracavity powers stand for the comb's mean power (Delta_b is frozen at
the lock point: the backward wave is one CW mode); the laser's carrier dynamics (relaxation
oscillations) are not modelled (steady state).
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
    "two_mode_branch",
]

SIL_RANGES: dict[str, Range] = {
    "backscatter": Range(0.0, 20.0, "", "backscatter coupling beta = mode splitting / linewidth"),
    "laser_detuning_zeta": Range(
        -2000.0, 2000.0, "", "free-running laser detuning xi = 2(omega_0 - omega_LD)/kappa"
    ),
    "facet_coupling": Range(0.0, 1.0, "", "laser <-> bus power coupling T_c"),
    "path_phase_rad": Range(-1e3, 1e3, "rad", "round-trip phase laser -> ring -> laser"),
}

_GRID_STEP = 0.005  # zeta step of the tuning curve


def _grid(backscatter: float) -> NDArray[np.float64]:
    """zeta grid of the tuning curve: -20 - 2 beta .. 80 + 2 beta (both supermodes inside)."""
    lo, hi = -20.0 - 2.0 * backscatter, 80.0 + 2.0 * backscatter
    return np.linspace(lo, hi, round((hi - lo) / _GRID_STEP) + 1)


def two_mode_branch(
    f2: float, backscatter: float, zeta: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(rho_a, rho_b) of the forward / backward pumped modes (module doc, exact in beta) on the
    branch followed from the blue: Newton continuation along ``zeta`` (ascending), each point
    started from the previous one (a branch that ends drops to the surviving root)."""
    Range(0.0, 1e4, "", "normalised pump f^2").check("f2", f2)
    SIL_RANGES["backscatter"].check("backscatter", backscatter)
    z = np.asarray(zeta, dtype=np.float64)
    ra_out, rb_out = np.zeros(z.size), np.zeros(z.size)
    if f2 <= 0.0:
        return ra_out, rb_out
    b2 = backscatter * backscatter
    tol = 1e-11 * (1.0 + f2)

    def res(ra: float, rb: float, zz: float) -> tuple[float, float]:
        da, db = zz - ra - 2.0 * rb, zz - rb - 2.0 * ra
        g = 1.0 + 1j * da + b2 / (1.0 + 1j * db)
        return ra * (g.real * g.real + g.imag * g.imag) - f2, rb * (1.0 + db * db) - b2 * ra

    def newton(ra: float, rb: float, zz: float) -> tuple[float, float, bool]:
        for _ in range(60):
            r1, r2 = res(ra, rb, zz)
            if abs(r1) < tol and abs(r2) < tol:
                return ra, rb, True
            h1, h2 = 1e-7 * max(1.0, ra), 1e-7 * max(1.0, rb)
            a1, a2 = res(ra + h1, rb, zz)
            c1, c2 = res(ra, rb + h2, zz)
            j11, j21, j12, j22 = (a1 - r1) / h1, (a2 - r2) / h1, (c1 - r1) / h2, (c2 - r2) / h2
            det = j11 * j22 - j12 * j21
            if det == 0.0:
                break
            ra = max(ra + (-r1 * j22 + j12 * r2) / det, 0.0)
            rb = max(rb + (-j11 * r2 + j21 * r1) / det, 0.0)
        return ra, rb, False

    ra = rb = 0.0
    for k in range(z.size):
        zz = float(z[k])
        new = newton(ra, rb, zz)
        if not new[2]:  # near a fold: other starts, the converged root nearest the last one
            starts = ((0.0, 0.0), (f2, b2 * f2), (0.5 * ra, 0.5 * rb), (2.0 * ra, 2.0 * rb))
            roots = [r for r in (newton(*st, zz) for st in starts) if r[2]]
            if roots:
                new = min(roots, key=lambda r: abs(r[0] - ra) + abs(r[1] - rb))
        ra, rb = new[0], new[1]
        ra_out[k], rb_out[k] = ra, rb
    return ra_out, rb_out


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
    supermode: str = "none"  # "symmetric" (red, +beta) / "antisymmetric" (blue, -beta) / "none"
    backward_power_rho: float = 0.0  # rho_b at the lock point (XPM 2 rho_b on the forward modes)
    pump_mode_extra_loss: float = 0.0  # beta^2/(1 + Delta_b^2), units of kappa/2 (LLE mode 0)
    laser_zeta: float = 0.0  # zeta_locked: the laser's detuning from the cold resonance

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
            "supermode": self.supermode,
            "laser_zeta": self.laser_zeta,
            "backward_power_rho": self.backward_power_rho,
            "pump_mode_extra_loss": self.pump_mode_extra_loss,
        }


def tuning_curve(
    zeta: NDArray[np.float64],
    f2: float,
    eta: float,
    backscatter: float,
    k_fb: float,
    psi: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(xi(zeta), rho_a(zeta), Delta_b(zeta)) of the module doc on the grid ``zeta``."""
    xi, rho, _rb, delta, _r = _tuning(
        np.asarray(zeta, dtype=np.float64), f2, eta, backscatter, k_fb, psi
    )
    return xi, rho, delta


def _tuning(z, f2, eta, beta, k_fb, psi):
    ra, rb = two_mode_branch(f2, beta, z)
    da, db = z - ra - 2.0 * rb, z - rb - 2.0 * ra
    g = 1.0 + 1j * da + beta * beta / (1.0 + 1j * db)
    r = 2j * eta * beta / (g * (1.0 + 1j * db))
    xi = z - k_fb * np.imag(r * np.exp(1j * psi))
    return xi, ra, rb, db, r


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
    z = _grid(backscatter) if zeta_grid is None else np.asarray(zeta_grid, dtype=np.float64)
    xi, _ra, rb_all, delta, _r = _tuning(z, f2, eta, backscatter, k_fb, psi)
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
    rb = float(rb_all[i])
    shift = backscatter**2 * d / (2.0 * (1.0 + d * d))
    # b / a = i beta / (1 + i Delta_b): in phase (symmetric supermode) when Delta_b > 0
    mode = "none"
    if locked and d != 0.0:
        mode = "symmetric" if d > 0 else "antisymmetric"
    return SILResult(
        locked=locked,
        detuning_zeta=zeta_l - 2.0 * rb if locked else float(xi_t),
        mode_shift_kappa=float(shift) if locked else 0.0,
        laser_detuning_zeta=float(xi_t),
        backscatter=float(backscatter),
        feedback_phase_rad=psi,
        k_fb=float(k_fb),
        stabilization_k=k,
        locking_range_zeta=rng,
        kappa_rad_s=float(kappa_rad_s),
        supermode=mode,
        backward_power_rho=rb if locked else 0.0,
        pump_mode_extra_loss=float(backscatter**2 / (1.0 + d * d)) if locked else 0.0,
        laser_zeta=zeta_l,
    )
