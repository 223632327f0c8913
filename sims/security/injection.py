"""Light injected into the client laser through its output facet: how the emitted intensities
change (the attack model of laser-seeding / injection-locking attacks on QKD transmitters:
Huang et al., "Laser-seeding attack in quantum key distribution", PR Applied 12, 064043
(2019); Pang et al., "Hacking quantum key distribution via injection locking", PR Applied 13,
034008 (2020)).

Light entering the output facet crosses the chip backwards (facet -> VOA -> PMs -> IMs ->
laser: the client S-matrix in reverse, ``|S[laser, o2]|^2``) and reaches the laser's front
mirror with power ``P_c``. The laser is locked to its comb line (``sims.physics.injection``);
an attacker at the same frequency adds a second injection term through the front mirror,
with the coupling rate of that mirror,

    k_f = (1 - R_f) / (tau_in sqrt(R_f)),   tau_in = 2 n_g L / c      (SlaveLaser.coupling_rate)

In the locked steady state the injection lowers the carrier density (Lang, IEEE JQE 18, 976
(1982); Murakami, Kawashima & Ohtsubo, IEEE JQE 39, 1196 (2003), Eqs. 10-12):
``G_N dN = -2 k_f sqrt(P_c / P) cos(phi)``, and well above threshold (the carrier term
``dN / tau_s`` neglected against the pump) the photon number follows the gain clamp,
``P / P_0 = 1 / (1 - 2 k_f tau_p sqrt(P_c / P) cos(phi))``. The attacker picks the phase
``phi = 0`` (reachable inside the locking range at the detuning ``-alpha_H k_f sqrt(P_c/P)``),
so with ``a = 2 k_f tau_p sqrt(P_c / P_0)`` and ``u = sqrt(P / P_0)``, ``u^2 - a u - 1 = 0``:

    u = (a + sqrt(a^2 + 4)) / 2

The front mirror also reflects the attacker's own field out through the modulators; in phase
with the laser's (the attacker's best case) the emitted power becomes

    P_out / P_0 = (u + sqrt(R_f P_c / P_0))^2 = 1 + delta

Both terms pass the intensity modulators like the laser light, so every decoy state (and the
imperfect vacuum) is scaled by the same ``1 + delta``. Photon lifetime, from the laser cell:

    1 / tau_p = (c / n_g) (alpha_i + ln(1 / (R_f R_r)) / (2 L))

with ``alpha_i`` the passive loss of the laser's shallow waveguide (the process's
``shallow_loss_dB_per_cm``): the active section's own loss is higher, so this ``tau_p`` and the
``delta`` it gives are upper bounds (conservative).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scipy import optimize

from qkdchip.base.params import Range
from qkdchip.sims.physics.constants import C_M_PER_S
from qkdchip.sims.physics.injection import SlaveLaser

__all__ = ["InjectedLaser", "injected_power_for"]

_P = Range(0.0, 10.0, "W", "power reaching the laser's front mirror")


class InjectedLaser:
    """The client laser seen from its output side (cell ``info`` of ``inp_dbr_laser``)."""

    def __init__(self, laser_info: Mapping[str, Any], internal_loss_db_per_cm: float):
        Range(0.0, 100.0, "dB/cm", "laser internal loss").check(
            "internal_loss_db_per_cm", internal_loss_db_per_cm
        )
        self.r_front = float(laser_info["front_reflectivity"])
        self.r_rear = float(laser_info["rear_reflectivity"])
        self.slave = SlaveLaser(
            cavity_length_m=float(laser_info["cavity_length_um"]) * 1e-6,
            group_index=float(laser_info["group_index"]),
            mirror_reflectivity=self.r_front,
            alpha_h=float(laser_info["henry_factor"]),
            power_w=float(laser_info["output_power_mW"]) * 1e-3,
            free_running_linewidth_hz=float(laser_info["linewidth_MHz"]) * 1e6,
        )
        alpha_i = internal_loss_db_per_cm * math.log(10.0) / 10.0 * 100.0  # 1/m
        length = self.slave.cavity_length_m
        alpha_m = math.log(1.0 / (self.r_front * self.r_rear)) / (2.0 * length)
        self.photon_lifetime_s = self.slave.group_index / (C_M_PER_S * (alpha_i + alpha_m))

    @property
    def gain(self) -> float:
        """``2 k_f tau_p``: ``a = gain sqrt(P_c / P_0)``."""
        return 2.0 * self.slave.coupling_rate * self.photon_lifetime_s

    def intensity_factor(self, power_w: float) -> float:
        """``1 + delta``: emitted power with ``power_w`` at the front mirror over without."""
        _P.check("power_w", power_w)
        p = power_w / self.slave.power_w
        a = self.gain * math.sqrt(p)
        u = 0.5 * (a + math.sqrt(a * a + 4.0))
        return (u + math.sqrt(self.r_front * p)) ** 2


def injected_power_for(laser: InjectedLaser, delta: float) -> float:
    """Power at the front mirror [W] that shifts the intensities by ``1 + delta``
    (``delta`` > 0; the factor is monotone in the power)."""
    Range(0.0, 10.0, "", "relative intensity change", lo_open=True).check("delta", delta)
    f = lambda lp: laser.intensity_factor(10.0**lp) - (1.0 + delta)  # noqa: E731
    return 10.0 ** optimize.brentq(f, -30.0, 1.0, xtol=1e-12)
