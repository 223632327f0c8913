"""Injection locking of a client (slave) laser to a comb line: Adler-type model.

Phase equation of an injected semiconductor laser with linewidth-enhancement (Henry) factor
``alpha_H`` (Lang, IEEE JQE 18, 976 (1982); Mogensen, Olesen & Jacobsen, IEEE JQE 21, 784
(1985); Petitbon et al., IEEE JQE 24, 148 (1988))::

    d phi / dt = -d_omega - k_c sqrt(rho) sqrt(1 + alpha_H^2) sin(phi + atan alpha_H)

    tau_in = 2 n_g L_cav / c          (cavity round trip)
    k_c    = (1 - R) / (tau_in sqrt R)  (injection coupling rate through the mirror of power
                                         reflectivity R)
    rho    = P_inj / P_slave

with ``d_omega = omega_master - omega_slave,free``. A stationary phase exists for

    -k_c sqrt(rho) sqrt(1 + alpha_H^2) <= d_omega <= +k_c sqrt(rho)

(the static locking range, asymmetric towards the red for alpha_H > 0). The phase equation
alone has a stationary, Adler-stable solution (cos(phi_s + atan alpha_H) > 0) for
|d_omega| <= k_c sqrt(rho) sqrt(1 + alpha_H^2); the field-amplitude equation adds that the
injection must *lower* the gain (carrier density below the free-running value, which requires
cos(phi_s) >= 0), and that cuts the blue side at +k_c sqrt(rho). Near the blue edge the locked
state can also be dynamically unstable at strong injection (relaxation oscillations), which this
first-order model does not resolve. Inside the range the slave phase follows the master's with the locking bandwidth

    f_L = k_c sqrt(rho) sqrt(1 + alpha_H^2) cos(phi_s + atan alpha_H) / (2 pi),
    sin(phi_s + atan alpha_H) = -d_omega / (k_c sqrt(rho) sqrt(1 + alpha_H^2))

(the relaxation rate of phase errors; maximal at zero detuning, zero at the red edge). The
slave's own phase diffusion (Lorentzian linewidth dnu_free, diffusion 2 pi dnu_free) is then an
Ornstein-Uhlenbeck process with stationary variance

    sigma^2 = 2 pi dnu_free / (2 (2 pi f_L)) = dnu_free / (2 f_L).

The locked slave copies the master's Lorentzian linewidth (a comb line, ~40 Hz) and keeps a
bounded residual phase of variance sigma^2 (coherent power fraction exp(-sigma^2)); the reference
measured MHz -> ~60 Hz. Out of range, the result says ``locked=False`` (no key on that channel).

Reference check (docs/physics.md, section 5): a 1 mm DBR with n_g = 3.7, R = 0.3 and alpha_H = 3
at rho = -30 dB gives tau_in = 24.7 ps, k_c = 5.18e10 1/s and a range of [-0.824, +0.261] GHz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qkdchip.base.params import Range

from .constants import C_M_PER_S

__all__ = ["LockingResult", "SlaveLaser", "injection_lock", "locking_range_hz"]


@dataclass(frozen=True)
class SlaveLaser:
    """The client's free-running (slave) laser. Defaults: a 1 mm InP DBR laser."""

    cavity_length_m: float = 1e-3
    group_index: float = 3.7
    mirror_reflectivity: float = 0.3
    alpha_h: float = 3.0
    power_w: float = 10e-3
    free_running_linewidth_hz: float = 2e6

    def __post_init__(self) -> None:
        Range(1e-5, 0.1, "m", "laser cavity length").check("cavity_length_m", self.cavity_length_m)
        Range(1.0, 6.0, "", "group index").check("group_index", self.group_index)
        Range(1e-3, 0.999, "", "mirror power reflectivity").check(
            "mirror_reflectivity", self.mirror_reflectivity
        )
        Range(0.0, 15.0, "", "linewidth-enhancement factor").check("alpha_h", self.alpha_h)
        Range(1e-6, 1.0, "W", "slave output power").check("power_w", self.power_w)
        Range(1e-3, 1e10, "Hz", "free-running linewidth").check(
            "free_running_linewidth_hz", self.free_running_linewidth_hz
        )

    @property
    def round_trip_s(self) -> float:
        """tau_in = 2 n_g L_cav / c."""
        return 2.0 * self.group_index * self.cavity_length_m / C_M_PER_S

    @property
    def coupling_rate(self) -> float:
        """k_c = (1 - R) / (tau_in sqrt R) [1/s]."""
        r = self.mirror_reflectivity
        return (1.0 - r) / (self.round_trip_s * math.sqrt(r))


def _rho(slave: SlaveLaser, injected_power_w: float) -> float:
    Range(0.0, 10.0, "W", "injected power").check("injected_power_w", injected_power_w)
    return injected_power_w / slave.power_w


def locking_range_hz(slave: SlaveLaser, injected_power_w: float) -> tuple[float, float]:
    """(low, high) of d_omega/2 pi: [-k_c sqrt(rho) sqrt(1+a^2), +k_c sqrt(rho)] / 2 pi [Hz]."""
    k = slave.coupling_rate * math.sqrt(_rho(slave, injected_power_w))
    return (-k * math.sqrt(1.0 + slave.alpha_h**2) / (2 * math.pi), k / (2 * math.pi))


@dataclass(frozen=True)
class LockingResult:
    """Outcome for one client: locked or not, and the residual phase noise when locked."""

    locked: bool
    detuning_hz: float  # nu_master - nu_slave,free
    rho: float
    range_hz: tuple[float, float]
    locking_bandwidth_hz: float  # 0 when unlocked
    phase_offset_rad: float | None  # stationary phi_s when locked
    residual_phase_var_rad2: float | None  # sigma^2 = dnu_free / (2 f_L) when locked
    linewidth_hz: float  # locked: the master's; unlocked: the free-running one
    reason: str

    @property
    def rho_db(self) -> float:
        return 10.0 * math.log10(self.rho) if self.rho > 0 else -math.inf

    @property
    def coherent_fraction(self) -> float:
        """Power fraction in the master-coherent carrier, exp(-sigma^2) (0 when unlocked)."""
        return (
            math.exp(-self.residual_phase_var_rad2)
            if self.residual_phase_var_rad2 is not None
            else 0.0
        )


def injection_lock(
    slave: SlaveLaser,
    injected_power_w: float,
    detuning_hz: float = 0.0,
    master_linewidth_hz: float = 40.0,
) -> LockingResult:
    """Lock ``slave`` to a master line of ``injected_power_w`` at ``detuning_hz`` (master - slave).

    Never raises for an unlockable operating point (only for invalid input): the result then has
    ``locked=False`` and the reason.
    """
    Range(-1e12, 1e12, "Hz", "master - slave detuning").check("detuning_hz", detuning_hz)
    Range(0.0, 1e9, "Hz", "master linewidth").check("master_linewidth_hz", master_linewidth_hz)
    rho = _rho(slave, injected_power_w)
    lo, hi = locking_range_hz(slave, injected_power_w)
    if rho == 0.0 or not lo <= detuning_hz <= hi:
        why = (
            "no injected power"
            if rho == 0.0
            else (
                f"detuning {detuning_hz / 1e9:+.4g} GHz outside the locking range "
                f"[{lo / 1e9:+.4g}, {hi / 1e9:+.4g}] GHz at rho = {10 * math.log10(rho):.1f} dB"
            )
        )
        return LockingResult(
            False,
            detuning_hz,
            rho,
            (lo, hi),
            0.0,
            None,
            None,
            slave.free_running_linewidth_hz,
            why,
        )
    atan_a = math.atan(slave.alpha_h)
    s = max(-1.0, min(1.0, -detuning_hz / (-lo)))  # sin(phi_s + atan a); -lo = k sqrt(1+a^2)/2pi
    phi_s = math.asin(s) - atan_a
    f_l = (-lo) * math.cos(phi_s + atan_a)
    if f_l <= 0.0:
        return LockingResult(
            False,
            detuning_hz,
            rho,
            (lo, hi),
            0.0,
            None,
            None,
            slave.free_running_linewidth_hz,
            "at the red edge of the locking range: f_L = 0",
        )
    sigma2 = slave.free_running_linewidth_hz / (2.0 * f_l)
    return LockingResult(
        True, detuning_hz, rho, (lo, hi), f_l, phi_s, sigma2, master_linewidth_hz, "locked"
    )
