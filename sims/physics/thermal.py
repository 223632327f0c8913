"""Thermo-optic tuning of the server ring by its drawn heater: heater power -> resonance shift.

Model (SI inside; the heater's drawn length/width and resistance come from the heater cell):

* **Index change of the mode** per kelvin (first-order perturbation theory, fixed mode number:
  ``d omega / omega = - sum_i Gamma_i dn_i / n_i`` with ``Gamma_i`` the share of the electric
  energy ``int eps |E|^2`` in material i; Joannopoulos et al., *Photonic Crystals*, 2nd ed., eq.
  (2.32)); at fixed wavelength this is ``dn_eff/dT = n_g sum_i Gamma_i (dn_i/dT) / n_i``. The core
  share of ``int |E_t|^2`` is the mode solver's :func:`qkdchip.pdk.sin.modes.core_fraction`
  (0.121 for the 2.8 um core), weighted by n^2 to an energy share:
  ``Gamma_core = n_c^2 f / (n_c^2 f + n_s^2 (1 - f))`` (0.208).
* **dn/dT** at 1550 nm and room temperature: Si3N4 2.45e-5 /K, SiO2 0.95e-5 /K (Arbabi &
  Goddard, Opt. Lett. 38, 3878 (2013), measured on LPCVD Si3N4 / SiO2 rings).
* **Thermal resistance** of a strip heater of width w and heated length L_h on the top cladding
  (thickness t_up above the core) over a lower cladding (t_low) on the silicon substrate (the heat
  sink, 148 W/(m K), taken isothermal): 2-D conduction in SiO2 (k = 1.38 W/(m K), fused silica at
  300 K, Incropera & DeWitt, *Fundamentals of Heat and Mass Transfer*, Table A.3) with the
  45-degree heat-spreading approximation (the conducting width grows as w + 2 z with depth z):
  ``Delta T(core) = P ln((w + 2 t_tot) / (w + 2 t_up)) / (2 k L_h)``, t_tot = t_up + t_low, i.e.
  ``R_th = ln(...)/(2 k L_h)`` [K/W] for the temperature at the core.
* **Resonance shift**: only the heated length L_h of the loop L is warmed (coverage c = L_h/L):
  ``d lambda = lambda (dn_eff/dT) / n_g x c x R_th x P`` (red shift), the loop phase grows by
  ``2 pi / lambda x dn_eff/dT x Delta T x L_h``; Delta T x L_h does not depend on L_h, so the
  S-matrix model needs only the heater width.

The cladding thicknesses are assumptions (the process states only "several um"): 3 um above the
core (the heater must sit well above the ~1 um evanescent tail) and 8 um of thermal oxide below.
Their ratio sets R_th through a logarithm: 2 um / 15 um below give 0.83x / 1.22x the default.
The sheet resistance of the metal is the process's (``HEATER_SHEET_RESISTANCE_OHM_PER_SQ``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qkdchip.base.params import Range
from qkdchip.pdk.sin import modes as _modes
from qkdchip.pdk.sin.process import n_si3n4, n_sio2

from .constants import C_M_PER_S, LAMBDA0_M

__all__ = [
    "CLADDING_LOWER_UM",
    "CLADDING_UPPER_UM",
    "DN_DT_SI3N4_PER_K",
    "DN_DT_SIO2_PER_K",
    "K_SIO2_W_PER_M_K",
    "Heater",
    "core_energy_share",
    "dn_eff_dt_per_k",
    "dt_length_m_k_per_w",
]

#: Thermo-optic coefficients at 1550 nm, 300 K (Arbabi & Goddard, Opt. Lett. 38, 3878 (2013)).
DN_DT_SI3N4_PER_K = 2.45e-5
DN_DT_SIO2_PER_K = 0.95e-5
#: Thermal conductivity of SiO2 (fused silica, 300 K; Incropera & DeWitt, Table A.3), W/(m K).
K_SIO2_W_PER_M_K = 1.38
#: Cladding thicknesses (um): assumed (the process states only "several um"); see module doc.
CLADDING_UPPER_UM = 3.0
CLADDING_LOWER_UM = 8.0

_WIDTH = Range(0.5, 100.0, "um", "heater strip width")
_THICK = Range(0.1, 50.0, "um", "cladding thickness")


def core_energy_share(width_um: float, wl_um: float = LAMBDA0_M * 1e6) -> float:
    """Gamma_core: share of int eps |E|^2 in the Si3N4 core of the TE0 mode (module doc)."""
    f = float(_modes.core_fraction(width_um))
    nc2, ns2 = float(n_si3n4(wl_um)) ** 2, float(n_sio2(wl_um)) ** 2
    return nc2 * f / (nc2 * f + ns2 * (1.0 - f))


def dn_eff_dt_per_k(width_um: float, wl_um: float = LAMBDA0_M * 1e6) -> float:
    """dn_eff/dT [1/K] of the TE0 mode of a ``width_um`` core at fixed wavelength (module doc)."""
    g = core_energy_share(width_um, wl_um)
    n_g = float(_modes.group_index(width_um, wl_um))
    nc, ns = float(n_si3n4(wl_um)), float(n_sio2(wl_um))
    return n_g * (g * DN_DT_SI3N4_PER_K / nc + (1.0 - g) * DN_DT_SIO2_PER_K / ns)


def dt_length_m_k_per_w(
    heater_width_um: float,
    upper_um: float = CLADDING_UPPER_UM,
    lower_um: float = CLADDING_LOWER_UM,
    k_w_per_m_k: float = K_SIO2_W_PER_M_K,
) -> float:
    """Delta T x L_h per watt [m K / W] at the core under a strip heater (45-degree spreading):
    ln((w + 2 t_tot)/(w + 2 t_up)) / (2 k). Divide by the heated length for R_th [K/W]."""
    _WIDTH.check("heater_width_um", heater_width_um)
    _THICK.check("upper_um", upper_um)
    _THICK.check("lower_um", lower_um)
    Range(0.01, 1000.0, "W/(m K)", "thermal conductivity").check("k_w_per_m_k", k_w_per_m_k)
    w, tu, tt = heater_width_um, upper_um, upper_um + lower_um
    return math.log((w + 2.0 * tt) / (w + 2.0 * tu)) / (2.0 * k_w_per_m_k)


@dataclass(frozen=True)
class Heater:
    """The drawn ring heater (figures from the heater cell's info) and its thermo-optic tuning of
    a ring of ``ring_length_um`` and core ``core_width_um`` at ``wl_um``."""

    length_um: float  # heated centre-line length
    width_um: float
    resistance_ohm: float
    ring_length_um: float
    core_width_um: float
    wl_um: float = LAMBDA0_M * 1e6

    def __post_init__(self) -> None:
        Range(1.0, 1e6, "um", "heated length").check("length_um", self.length_um)
        _WIDTH.check("width_um", self.width_um)
        Range(1e-3, 1e9, "ohm", "heater resistance").check("resistance_ohm", self.resistance_ohm)
        if not 0.0 < self.length_um <= self.ring_length_um * (1 + 1e-9):
            raise ValueError(
                f"length_um={self.length_um} is out of range: allowed (0, ring_length_um="
                f"{self.ring_length_um}]"
            )

    @property
    def coverage(self) -> float:
        """Heated share of the loop, L_h / L."""
        return self.length_um / self.ring_length_um

    @property
    def thermal_resistance_k_per_w(self) -> float:
        """R_th = ln((w + 2 t_tot)/(w + 2 t_up)) / (2 k L_h) [K/W], temperature at the core."""
        return dt_length_m_k_per_w(self.width_um) / (self.length_um * 1e-6)

    @property
    def dn_eff_dt_per_k(self) -> float:
        return dn_eff_dt_per_k(self.core_width_um, self.wl_um)

    @property
    def dlambda_dt_m_per_k(self) -> float:
        """d lambda / dT of the resonance for a uniformly heated ring, lambda (dn_eff/dT)/n_g."""
        n_g = float(_modes.group_index(self.core_width_um, self.wl_um))
        return self.wl_um * 1e-6 * self.dn_eff_dt_per_k / n_g

    @property
    def tuning_m_per_w(self) -> float:
        """Resonance (red) shift per heater watt: dlambda/dT x coverage x R_th [m/W]."""
        return self.dlambda_dt_m_per_k * self.coverage * self.thermal_resistance_k_per_w

    @property
    def tuning_hz_per_w(self) -> float:
        """Resonance frequency shift per watt (negative: heating lowers the frequency) [Hz/W]."""
        lam = self.wl_um * 1e-6
        return -C_M_PER_S / lam**2 * self.tuning_m_per_w

    def voltage_v(self, power_w: float) -> float:
        """Drive voltage for ``power_w``: sqrt(P R)."""
        Range(0.0, 10.0, "W", "heater power").check("power_w", power_w)
        return math.sqrt(power_w * self.resistance_ohm)

    def summary(self, power_w: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "length_um": self.length_um,
            "width_um": self.width_um,
            "coverage": self.coverage,
            "resistance_ohm": self.resistance_ohm,
            "thermal_resistance_k_per_w": self.thermal_resistance_k_per_w,
            "dlambda_dt_pm_per_k": self.dlambda_dt_m_per_k * 1e12,
            "tuning_pm_per_mw": self.tuning_m_per_w * 1e12 * 1e-3,
            "tuning_mhz_per_mw": self.tuning_hz_per_w * 1e-6 * 1e-3,
        }
        if power_w is not None:
            out["power_mw"] = power_w * 1e3
            out["voltage_v"] = self.voltage_v(power_w)
            out["temperature_rise_k"] = power_w * self.thermal_resistance_k_per_w
        return out
