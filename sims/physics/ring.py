"""Microring resonator parameters (SI) and the rates and normalisations of the Kerr comb.

A :class:`RingParams` is the clean input of the comb layer: the layout (ring radius, width, gap,
PDK loss) is reduced to an optical round-trip length, a group index, a group-velocity dispersion,
a propagation loss, a power coupling per pass and the nonlinear constants. Everything else is
derived, in SI units, with the high-finesse (lumped-cavity) relations:

    FSR      = c / (n_g L)                                   [Hz]
    D1       = 2 pi FSR                                      [rad/s]
    D2       = -(c / n_g) D1^2 beta2                         [rad/s]  (beta2 > 0: normal, D2 < 0)
    alpha    = ln(10)/10 * loss_dB_per_m  (= 0.2303 x dB/m)  [1/m, power]
    kappa_i  = alpha c / n_g                                 [1/s, energy decay]
    kappa_ex = |k|^2 FSR                                     [1/s, energy decay]
    Q_i      = omega / kappa_i = 2 pi n_g / (lambda alpha)
    Q_ex     = omega / kappa_ex = 2 pi nu / (|k|^2 FSR)
    1/Q_L    = 1/Q_i + 1/Q_ex,  kappa = kappa_i + kappa_ex,  eta = kappa_ex / kappa

(kappa is the energy decay rate = the full width at half maximum of the resonance in rad/s;
the linewidth in Hz is kappa / 2 pi.) With V_eff = A_eff L and the Kerr coupling

    g0 = hbar omega^2 c n2 / (n_g^2 V_eff)                   [rad/s per photon]

the normalised Lugiato-Lefever equation (Chembo & Menyuk, PRA 87, 053852 (2013); Herr et al.,
Nat. Photon. 8, 145 (2014), supplement; Godey et al., PRA 89, 063814 (2014)) uses

    tau = kappa t / 2,   zeta_0 = 2 (omega_0 - omega_p) / kappa,   d2 = D2 / kappa,
    psi = sqrt(2 g0 / kappa) a,   f^2 = 8 g0 kappa_ex P_in / (kappa^3 hbar omega)

and the parametric threshold is (Herr et al. 2014; Kippenberg et al., PRL 93, 083904 (2004))

    P_th = kappa^2 n_g^2 V_eff / (8 eta omega c n2).

Substituting g0 into f^2 gives f^2 = P_in / P_th *exactly*: the threshold of the normalised
LLE is f = 1 (the CW intracavity power |psi|^2 = 1 at zeta_0 = 1). Using n_g (rather than the
phase index) in both g0 and P_th is the usual convention for integrated rings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from qkdchip.base.params import Range
from qkdchip.pdk.sin import modes as _modes
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM as _CORE_WIDTH_UM
from qkdchip.pdk.sin.process import (
    PROPAGATION_LOSS_DB_PER_M,
    TARGET_FSR_GHZ,
    effective_n2_m2_per_w,
)

from .constants import C_M_PER_S, HBAR_J_S, LAMBDA0_M

# Reference ring defaults, read from their homes (the Si3N4 PDK's core width, its mode tables and
# mode-solver Kerr figures, the process loss and target FSR): the design's cross-section.
_N_G = float(_modes.group_index(_CORE_WIDTH_UM, LAMBDA0_M * 1e6))
_BETA2_S2_PER_M = float(_modes.beta2_ps2_per_km(_CORE_WIDTH_UM, LAMBDA0_M * 1e6)) * 1e-27
_A_EFF_M2 = float(_modes.effective_area_um2(_CORE_WIDTH_UM)) * 1e-12
_N2_M2_PER_W = effective_n2_m2_per_w(float(_modes.kerr_core_fraction(_CORE_WIDTH_UM)))

__all__ = ["RING_RANGES", "RingParams"]

#: Allowed range of each :class:`RingParams` field (SI units).
RING_RANGES: dict[str, Range] = {
    "length_m": Range(1e-5, 1.0, "m", "optical round-trip length of the ring"),
    "n_g": Range(1.0, 5.0, "", "group index"),
    "beta2_s2_per_m": Range(-1e-22, 1e-22, "s^2/m", "group-velocity dispersion (>0: normal)"),
    "loss_db_per_m": Range(1e-3, 1e3, "dB/m", "propagation loss"),
    "kappa2": Range(1e-8, 0.5, "", "power coupling to the bus per pass |k|^2"),
    "pump_wavelength_m": Range(300e-9, 5e-6, "m", "pump (resonance) vacuum wavelength"),
    "n2_m2_per_w": Range(1e-22, 1e-16, "m^2/W", "Kerr coefficient"),
    "a_eff_m2": Range(1e-14, 1e-9, "m^2", "effective mode area"),
}


@dataclass(frozen=True)
class RingParams:
    """A single-bus (all-pass) Kerr microring, SI units; all rates derived.

    Defaults: a reference ring on the design's cross-section (docs/assumptions.md), read from
    the Si3N4 PDK: the 100 nm x 2.8 um core's n_g (1.5928) and beta2 (+703.7 ps^2/km, normal)
    from the femwell tables, its nonlinear effective area (3.88 um^2) and its n2 weighted by the
    Kerr overlap in the core (7.8e-20 m^2/W, :func:`qkdchip.pdk.sin.process.effective_n2_m2_per_w`)
    from the mode solver, the process loss (1.7 dB/m), L = c / (n_g x 30.03 GHz) = 6.268 mm (the
    target FSR; radius ~1.0 mm), critically coupled (|k|^2 = alpha L = 2.45e-3), pump at 1549.78
    nm: P_th = 11.8 mW. The design's own ring (its radius and gap, hence its |k|^2) is
    :func:`qkdchip.sims.devices.ring_params`.
    """

    length_m: float = C_M_PER_S / (_N_G * TARGET_FSR_GHZ * 1e9)
    n_g: float = _N_G
    beta2_s2_per_m: float = _BETA2_S2_PER_M
    loss_db_per_m: float = PROPAGATION_LOSS_DB_PER_M
    kappa2: float | None = None  # None: critical coupling, |k|^2 = alpha L
    pump_wavelength_m: float = LAMBDA0_M
    n2_m2_per_w: float = _N2_M2_PER_W
    a_eff_m2: float = _A_EFF_M2
    _kappa2_default: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kappa2 is None:
            # default: critical coupling |k|^2 = alpha L (kappa_ex = kappa_i)
            RING_RANGES["loss_db_per_m"].check("loss_db_per_m", self.loss_db_per_m)
            RING_RANGES["length_m"].check("length_m", self.length_m)
            alpha = self._alpha_from_db(self.loss_db_per_m)
            object.__setattr__(self, "kappa2", alpha * self.length_m)
            object.__setattr__(self, "_kappa2_default", True)
        for f in fields(self):
            if f.name in RING_RANGES:
                RING_RANGES[f.name].check(f.name, getattr(self, f.name))
        round_trip_loss = self.alpha_per_m * self.length_m
        if round_trip_loss > 0.5:
            raise ValueError(
                f"loss_db_per_m x length_m gives a round-trip power loss alpha L = "
                f"{round_trip_loss:.3g}: allowed (0, 0.5] (high-finesse ring model)"
            )

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_q_ex(cls, q_ex: float, **kwargs: float) -> RingParams:
        """Build from the external (coupling) Q instead of |k|^2: |k|^2 = 2 pi nu / (Q_ex FSR)."""
        Range(1e2, 1e12, "", "external Q").check("q_ex", q_ex)
        probe = cls(**kwargs)
        kappa2 = 2.0 * math.pi * probe.pump_frequency_hz / (q_ex * probe.fsr_hz)
        return cls(**{**kwargs, "kappa2": kappa2})

    @classmethod
    def from_radius(cls, radius_m: float, straight_m: float = 0.0, **kwargs: float) -> RingParams:
        """Build from a geometric radius: L = 2 pi R + straight length (racetrack)."""
        Range(1e-6, 0.2, "m", "ring radius").check("radius_m", radius_m)
        Range(0.0, 0.5, "m", "straight sections").check("straight_m", straight_m)
        return cls(length_m=2.0 * math.pi * radius_m + straight_m, **kwargs)

    @staticmethod
    def _alpha_from_db(loss_db_per_m: float) -> float:
        return math.log(10.0) / 10.0 * loss_db_per_m

    # ----------------------------------------------------------------- geometry / dispersion
    @property
    def pump_frequency_hz(self) -> float:
        """nu = c / lambda_p."""
        return C_M_PER_S / self.pump_wavelength_m

    @property
    def omega_rad_s(self) -> float:
        """omega = 2 pi nu."""
        return 2.0 * math.pi * self.pump_frequency_hz

    @property
    def fsr_hz(self) -> float:
        """FSR = c / (n_g L)."""
        return C_M_PER_S / (self.n_g * self.length_m)

    @property
    def round_trip_time_s(self) -> float:
        """T_R = 1 / FSR."""
        return 1.0 / self.fsr_hz

    @property
    def d1_rad_s(self) -> float:
        """D1 = 2 pi FSR."""
        return 2.0 * math.pi * self.fsr_hz

    @property
    def d2_rad_s(self) -> float:
        """D2 = -(c / n_g) D1^2 beta2 (negative for normal dispersion)."""
        return -(C_M_PER_S / self.n_g) * self.d1_rad_s**2 * self.beta2_s2_per_m

    @property
    def dispersion(self) -> str:
        """'normal' (D2 < 0), 'anomalous' (D2 > 0) or 'zero'."""
        return "normal" if self.d2_rad_s < 0 else "anomalous" if self.d2_rad_s > 0 else "zero"

    # ----------------------------------------------------------------- losses and Q
    @property
    def alpha_per_m(self) -> float:
        """Power attenuation coefficient alpha = ln(10)/10 x dB/m."""
        return self._alpha_from_db(self.loss_db_per_m)

    @property
    def kappa_i(self) -> float:
        """Intrinsic energy decay rate kappa_i = alpha c / n_g [1/s]."""
        return self.alpha_per_m * C_M_PER_S / self.n_g

    @property
    def kappa_ex(self) -> float:
        """Coupling (external) energy decay rate kappa_ex = |k|^2 FSR [1/s]."""
        return self.kappa2 * self.fsr_hz

    @property
    def kappa(self) -> float:
        """Loaded energy decay rate kappa = kappa_i + kappa_ex [1/s] (FWHM in rad/s)."""
        return self.kappa_i + self.kappa_ex

    @property
    def eta(self) -> float:
        """Coupling efficiency eta = kappa_ex / kappa (1/2: critical coupling)."""
        return self.kappa_ex / self.kappa

    @property
    def coupling_regime(self) -> str:
        """'under', 'critical' (|kappa_ex/kappa_i - 1| < 1 %) or 'over'."""
        r = self.kappa_ex / self.kappa_i
        return "critical" if abs(r - 1.0) < 0.01 else "under" if r < 1.0 else "over"

    @property
    def q_i(self) -> float:
        """Intrinsic Q = 2 pi n_g / (lambda alpha)."""
        return 2.0 * math.pi * self.n_g / (self.pump_wavelength_m * self.alpha_per_m)

    @property
    def q_ex(self) -> float:
        """External Q = 2 pi nu / (|k|^2 FSR)."""
        return 2.0 * math.pi * self.pump_frequency_hz / (self.kappa2 * self.fsr_hz)

    @property
    def q_loaded(self) -> float:
        """Loaded Q: 1/Q_L = 1/Q_i + 1/Q_ex."""
        return 1.0 / (1.0 / self.q_i + 1.0 / self.q_ex)

    @property
    def linewidth_hz(self) -> float:
        """Loaded resonance FWHM kappa / 2 pi [Hz]."""
        return self.kappa / (2.0 * math.pi)

    @property
    def intrinsic_linewidth_hz(self) -> float:
        """kappa_i / 2 pi [Hz]."""
        return self.kappa_i / (2.0 * math.pi)

    @property
    def finesse(self) -> float:
        """F = FSR / loaded linewidth."""
        return self.fsr_hz / self.linewidth_hz

    # ----------------------------------------------------------------- nonlinearity
    @property
    def v_eff_m3(self) -> float:
        """Effective mode volume V_eff = A_eff L."""
        return self.a_eff_m2 * self.length_m

    @property
    def g0_rad_s(self) -> float:
        """Single-photon Kerr frequency shift g0 = hbar omega^2 c n2 / (n_g^2 V_eff)."""
        return (
            HBAR_J_S
            * self.omega_rad_s**2
            * C_M_PER_S
            * self.n2_m2_per_w
            / (self.n_g**2 * self.v_eff_m3)
        )

    @property
    def threshold_power_w(self) -> float:
        """Parametric threshold P_th = kappa^2 n_g^2 V_eff / (8 eta omega c n2) [W, in the bus]."""
        return (
            self.kappa**2
            * self.n_g**2
            * self.v_eff_m3
            / (8.0 * self.eta * self.omega_rad_s * C_M_PER_S * self.n2_m2_per_w)
        )

    @property
    def d2(self) -> float:
        """Normalised dispersion d2 = D2 / kappa (negative: normal)."""
        return self.d2_rad_s / self.kappa

    def f2(self, pump_power_w: float) -> float:
        """Normalised pump f^2 = 8 g0 kappa_ex P_in / (kappa^3 hbar omega) (= P_in / P_th)."""
        Range(0.0, 100.0, "W", "bus pump power").check("pump_power_w", pump_power_w)
        return (
            8.0
            * self.g0_rad_s
            * self.kappa_ex
            * pump_power_w
            / (self.kappa**3 * HBAR_J_S * self.omega_rad_s)
        )

    def zeta_from_detuning_hz(self, detuning_hz: float) -> float:
        """zeta_0 = 2 (omega_0 - omega_p) / kappa for a detuning nu_0 - nu_p in Hz."""
        return 4.0 * math.pi * detuning_hz / self.kappa

    def detuning_hz_from_zeta(self, zeta0: float) -> float:
        """Inverse of :meth:`zeta_from_detuning_hz`: nu_0 - nu_p = zeta_0 kappa / (4 pi)."""
        return zeta0 * self.kappa / (4.0 * math.pi)

    def with_(self, **changes: float | None) -> RingParams:
        """A copy with some fields changed (|k|^2 is re-derived if it was the default)."""
        kw = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        if self._kappa2_default and "kappa2" not in changes:
            kw["kappa2"] = None
        kw.update(changes)
        return RingParams(**kw)

    def summary(self) -> dict[str, float | str]:
        """The derived figures, in readable units, for reports and JSON."""
        return {
            "length_mm": self.length_m * 1e3,
            "fsr_ghz": self.fsr_hz / 1e9,
            "d2_over_2pi_khz": self.d2_rad_s / (2.0 * math.pi) / 1e3,
            "dispersion": self.dispersion,
            "q_i": self.q_i,
            "q_ex": self.q_ex,
            "q_loaded": self.q_loaded,
            "linewidth_mhz": self.linewidth_hz / 1e6,
            "eta": self.eta,
            "coupling": self.coupling_regime,
            "g0_over_2pi_hz": self.g0_rad_s / (2.0 * math.pi),
            "threshold_mw": self.threshold_power_w * 1e3,
            "d2": self.d2,
        }
