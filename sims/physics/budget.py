"""Transmitter link budget of a client chip: laser -> weak coherent pulses of mu photons.

A level of mean photon number mu per pulse at repetition rate f_rep is an average power

    P(mu) = mu h nu f_rep        (mu = 0.1 at 1 GHz, 1549.78 nm: 1.28e-11 W = -78.9 dBm)

at the chip output (after the external attenuator). The chain, in dB (docs/physics.md, section 7):

    P_out = P_laser - IL_chip - 10 log10(1/duty) - A_VOA - A_IM - A_ext

* the carving intensity modulator passes a fraction ``duty`` of the CW power (pulse width /
  period) with the others fully open;
* the VOA is set once so that the brightest level mu_max comes out: A_VOA = P_laser - IL -
  duty_dB - A_ext - P(mu_max), reachable iff 0 <= A_VOA <= VOA range (else the external
  attenuator must change: the reachable window of A_ext is reported);
* the other levels are set by the intensity modulators, A_IM(mu) = 10 log10(mu_max / mu),
  reachable iff <= the cascaded extinction ratio ER_total = sum_i ER_i (dB);
* the 'vacuum' (SNS not-sending, vacuum decoy) is the modulators' off state: it still carries
  mu_max / ER_total (linear), a non-zero vacuum intensity for the key-rate model; the per-level
  residual mu / ER_total is reported too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qkdchip.base.params import Range

from .constants import C_M_PER_S, H_J_S, LAMBDA0_M

__all__ = ["BudgetResult", "LevelBudget", "Transmitter", "link_budget", "mu_to_dbm"]

DEFAULT_MU: dict[str, float] = {"mu_z": 0.4, "mu_1": 0.1, "mu_2": 0.3}


def _dbm(p_w: float) -> float:
    return 10.0 * math.log10(p_w / 1e-3)


def mu_to_dbm(mu: float, rep_rate_hz: float = 1e9, wavelength_m: float = LAMBDA0_M) -> float:
    """Average power of mu photons per pulse: 10 log10(mu h c/lambda f_rep / 1 mW)."""
    Range(1e-9, 1e6, "photons/pulse", "mean photon number").check("mu", mu)
    Range(1.0, 1e11, "Hz", "repetition rate").check("rep_rate_hz", rep_rate_hz)
    Range(300e-9, 5e-6, "m", "wavelength").check("wavelength_m", wavelength_m)
    return _dbm(mu * H_J_S * C_M_PER_S / wavelength_m * rep_rate_hz)


@dataclass(frozen=True)
class Transmitter:
    """Client-chip figures for the budget (defaults: generic InP, docs/assumptions.md section 8).

    laser 7 dBm (DBR, 5-20 mW), on-chip insertion loss 8 dB (waveguides, MMIs, modulators,
    output facet), three IMs of 20, 15, 15 dB (cascaded 50 dB), a 30 dB VOA, 1 GHz clock,
    20 % duty cycle (200 ps pulses), and a stated external attenuator of 40 dB.
    """

    laser_power_dbm: float = 7.0
    on_chip_loss_db: float = 8.0
    im_extinction_db: tuple[float, ...] = (20.0, 15.0, 15.0)
    voa_range_db: float = 30.0
    rep_rate_hz: float = 1e9
    duty_cycle: float = 0.2
    external_attenuation_db: float = 40.0
    wavelength_m: float = LAMBDA0_M

    def __post_init__(self) -> None:
        Range(-30.0, 30.0, "dBm", "laser power").check("laser_power_dbm", self.laser_power_dbm)
        Range(0.0, 60.0, "dB", "on-chip insertion loss").check(
            "on_chip_loss_db", self.on_chip_loss_db
        )
        if len(self.im_extinction_db) == 0:
            raise ValueError("im_extinction_db=() must list at least one modulator")
        for i, er in enumerate(self.im_extinction_db):
            Range(0.0, 80.0, "dB", "IM extinction ratio").check(f"im_extinction_db[{i}]", er)
        Range(0.0, 100.0, "dB", "VOA range").check("voa_range_db", self.voa_range_db)
        Range(1e3, 1e11, "Hz", "repetition rate").check("rep_rate_hz", self.rep_rate_hz)
        Range(1e-4, 1.0, "", "duty cycle").check("duty_cycle", self.duty_cycle)
        Range(0.0, 150.0, "dB", "external attenuation").check(
            "external_attenuation_db", self.external_attenuation_db
        )
        Range(300e-9, 5e-6, "m", "wavelength").check("wavelength_m", self.wavelength_m)

    @property
    def er_total_db(self) -> float:
        """Cascaded extinction ratio: the sum of the IMs' ERs in dB."""
        return float(sum(self.im_extinction_db))

    @property
    def duty_db(self) -> float:
        """Pulse-carving loss 10 log10(1/duty)."""
        return -10.0 * math.log10(self.duty_cycle)

    @property
    def max_output_dbm(self) -> float:
        """Average output power with the VOA at 0 dB and the IMs open (external att. included)."""
        return (
            self.laser_power_dbm
            - self.on_chip_loss_db
            - self.duty_db
            - self.external_attenuation_db
        )


@dataclass(frozen=True)
class LevelBudget:
    """One intensity level."""

    name: str
    mu: float
    power_dbm: float  # required average output power
    total_attenuation_db: float  # from the laser to the output
    im_attenuation_db: float  # set by the IMs relative to the brightest level
    reachable: bool
    residual_vacuum_mu: float  # mu / ER_total


@dataclass(frozen=True)
class BudgetResult:
    """The budget: VOA setting, reachability, vacuum intensity, per-level figures."""

    transmitter: Transmitter
    levels: tuple[LevelBudget, ...]
    voa_setting_db: float
    voa_ok: bool
    external_window_db: tuple[float, float]  # external attenuation that makes the VOA reachable
    vacuum_mu: float  # mu_max / ER_total
    reachable: bool
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "voa_setting_db": self.voa_setting_db,
            "voa_ok": self.voa_ok,
            "external_window_db": list(self.external_window_db),
            "er_total_db": self.transmitter.er_total_db,
            "vacuum_mu": self.vacuum_mu,
            "reachable": self.reachable,
            "levels": [lv.__dict__ for lv in self.levels],
            "notes": list(self.notes),
        }


def link_budget(
    tx: Transmitter | None = None, mu: Mapping[str, float] | None = None
) -> BudgetResult:
    """Attenuation needed for each level, whether the VOA (+ external attenuator) reaches it,
    and the residual vacuum intensity (see the module docstring)."""
    tx = Transmitter() if tx is None else tx
    mu = dict(DEFAULT_MU if mu is None else mu)
    if not mu:
        raise ValueError("mu={} must name at least one intensity level")
    for name, m in mu.items():
        Range(1e-9, 1e3, "photons/pulse", "mean photon number").check(name, m)
    mu_max = max(mu.values())
    p_max = mu_to_dbm(mu_max, tx.rep_rate_hz, tx.wavelength_m)
    voa = tx.max_output_dbm - p_max
    voa_ok = 0.0 <= voa <= tx.voa_range_db
    # external attenuation making 0 <= VOA <= range: A_ext in [A_ext + voa - range, A_ext + voa]
    ext_hi = tx.external_attenuation_db + voa
    window = (max(0.0, ext_hi - tx.voa_range_db), ext_hi)
    er_lin = 10.0 ** (tx.er_total_db / 10.0)
    notes = []
    if voa < 0.0:
        notes.append(
            f"too little power: {-voa:.1f} dB short with the VOA at 0 dB; reduce the external attenuator"
        )
    elif voa > tx.voa_range_db:
        notes.append(
            f"VOA needs {voa:.1f} dB > range {tx.voa_range_db} dB; add external attenuation"
        )
    levels = []
    for name, m in mu.items():
        p = mu_to_dbm(m, tx.rep_rate_hz, tx.wavelength_m)
        im_att = 10.0 * math.log10(mu_max / m)
        ok_im = im_att <= tx.er_total_db
        if not ok_im:
            notes.append(
                f"{name}: needs {im_att:.1f} dB of IM attenuation > ER_total {tx.er_total_db} dB"
            )
        levels.append(
            LevelBudget(name, m, p, tx.laser_power_dbm - p, im_att, voa_ok and ok_im, m / er_lin)
        )
    return BudgetResult(
        transmitter=tx,
        levels=tuple(levels),
        voa_setting_db=voa,
        voa_ok=voa_ok,
        external_window_db=window,
        vacuum_mu=mu_max / er_lin,
        reachable=all(lv.reachable for lv in levels),
        notes=tuple(notes),
    )
