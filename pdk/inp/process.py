"""Process constants of the generic InP (client transmitter) platform: their single home.

A generic active-passive InP photonic integration process in the style of the open-access
foundry platforms (Fraunhofer HHI, SMART Photonics; see Smit et al., "An introduction to InP-based
generic integration technology", Semicond. Sci. Technol. 29, 083001 (2014), and the generic
building-block figures summarised in Smit et al., APL Photonics 4, 050901 (2019)): an InGaAsP
(Q1.25) guiding layer on n-InP, MQW active layer regrown in butt-joint, shallow- and deep-etched
ridges, BCB planarisation, p/n contact metal and thick plated-gold interconnect.

Every number is a *generic* value inside the range quoted by such platforms (the range is stored
with the value and checked), not a particular foundry's qualified figure. Nothing here imports
gdsfactory: the sax models and the device physics read the same numbers as the layout cells::

    from qkdchip.pdk.inp.process import PROCESS
    PROCESS.eo_vpi_l_V_mm          # 10.0
    dataclasses.replace(PROCESS, deep_loss_dB_per_cm=2.5)   # a checked variant

Units are in the field names (dB/cm, V mm, mW, MHz, ...). Derived quantities used by several
modules (the DBR mirror reflectivity, the MMI beat length) are functions below, so that their
formula also has one home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from qkdchip.base.params import Range


def _c(value: float, unit: str, lo: float, hi: float, doc: str) -> Any:
    """A process constant: default value, unit, generic-foundry range [lo, hi] and description."""
    return field(default=value, metadata={"range": Range(lo, hi, unit, doc)})


@dataclass(frozen=True)
class InPProcess:
    """Generic InP process constants (see the module docstring for the platform and sources)."""

    # --- wavelength and passive waveguides -------------------------------------------------
    wavelength_nm: float = _c(1550.0, "nm", 1500.0, 1600.0, "design (operating) wavelength")
    deep_loss_dB_per_cm: float = _c(
        3.0, "dB/cm", 2.0, 4.0, "propagation loss of the deep-etched waveguide (generic 2-4 dB/cm)"
    )
    shallow_loss_dB_per_cm: float = _c(
        2.0, "dB/cm", 1.0, 3.0, "propagation loss of the shallow-etched waveguide (1-3 dB/cm)"
    )
    deep_neff: float = _c(
        3.19, "", 3.0, 3.3, "effective index of the 1.5 um deep-etched ridge (TE, Q1.25 core)"
    )
    shallow_neff: float = _c(3.24, "", 3.1, 3.3, "effective index of the 2 um shallow ridge (TE)")
    deep_ng: float = _c(3.67, "", 3.5, 3.9, "group index of the deep-etched waveguide")
    shallow_ng: float = _c(3.64, "", 3.5, 3.9, "group index of the shallow-etched waveguide")
    slab_neff: float = _c(
        3.27, "", 3.1, 3.35, "effective index of the unetched slab (lateral core index of an MMI)"
    )
    cladding_index: float = _c(
        1.54, "", 1.0, 1.7, "index beside a deep-etched ridge (BCB planarisation; 1.0 for air)"
    )
    transition_loss_dB: float = _c(
        0.1, "dB", 0.02, 0.5, "loss of one deep-to-shallow waveguide transition"
    )
    # --- passive building blocks -------------------------------------------------------------
    mmi_excess_loss_dB: float = _c(0.5, "dB", 0.3, 1.0, "excess loss of an MMI coupler (0.3-1 dB)")
    ssc_loss_dB: float = _c(
        3.0, "dB", 2.0, 5.0, "chip-to-fibre coupling loss of the spot-size-converter facet (2-5 dB)"
    )
    facet_reflection_dB: float = _c(
        -40.0,
        "dB",
        -60.0,
        -30.0,
        "residual power reflection of the angled, AR-coated facet back into the waveguide mode",
    )
    # --- electro-optic modulators (reverse-biased p-i-n on the deep ridge) --------------------
    eo_vpi_l_V_mm: float = _c(
        10.0,
        "V mm",
        4.0,
        15.0,
        "half-wave voltage x length of the EO phase shifter (linear + quadratic EO effect, "
        "reverse bias; 4-15 V mm)",
    )
    eo_loss_dB_per_mm: float = _c(
        0.5, "dB/mm", 0.2, 2.0, "insertion loss of the doped EO phase-shifter section per length"
    )
    # --- DBR laser ---------------------------------------------------------------------------
    dbr_kappa_per_cm: float = _c(
        100.0, "1/cm", 30.0, 200.0, "coupling coefficient of the shallow DBR grating"
    )
    laser_power_mW: float = _c(
        10.0, "mW", 5.0, 20.0, "on-chip output power of the DBR laser at its front mirror"
    )
    laser_linewidth_MHz: float = _c(
        3.0, "MHz", 1.0, 10.0, "free-running (Schawlow-Townes-Henry) linewidth of the DBR laser"
    )
    henry_factor: float = _c(3.0, "", 3.0, 6.0, "linewidth enhancement (Henry) factor alpha_H")
    # --- VOA -----------------------------------------------------------------------------------
    voa_absorption_dB_per_mm: float = _c(
        60.0,
        "dB/mm",
        20.0,
        100.0,
        "extra attenuation of the electro-absorption VOA at full reverse bias, per length",
    )
    voa_loss_dB_per_mm: float = _c(
        3.0, "dB/mm", 1.0, 6.0, "residual absorption of the VOA section at zero bias, per length"
    )
    voa_max_reverse_bias_V: float = _c(
        4.0, "V", 2.0, 6.0, "reverse bias at which the VOA reaches its full attenuation"
    )
    #: Mechanism of the VOA (text, for the report): an electro-absorption section.
    voa_mechanism: str = (
        "electro-absorption: quantum-confined Stark effect in the MQW active layer under reverse "
        "bias (0 V: residual loss; -voa_max_reverse_bias_V: full attenuation); no ASE, as the "
        "section is never forward biased"
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            rng = f.metadata.get("range")
            if rng is not None:
                rng.check(f.name, getattr(self, f.name))

    def describe(self) -> list[dict[str, Any]]:
        """Every numeric constant as ``{"name", "value", "unit", "min", "max", "doc"}``."""
        out = []
        for f in fields(self):
            rng = f.metadata.get("range")
            if rng is not None:
                out.append(
                    {
                        "name": f.name,
                        "value": getattr(self, f.name),
                        "unit": rng.unit,
                        "min": rng.min,
                        "max": rng.max,
                        "doc": rng.doc,
                    }
                )
        return out

    # --- derived quantities (formula homes) ---------------------------------------------------
    def dbr_reflectivity(self, length_um: float) -> float:
        """Peak power reflectivity of a uniform DBR grating of ``length_um``: R = tanh^2(kappa L).

        Coupled-mode theory at the Bragg wavelength (Coldren, Corzine & Mashanovitch, *Diode
        Lasers and Photonic Integrated Circuits*, 2nd ed., eq. 6.47).
        """
        return math.tanh(self.dbr_kappa_per_cm * 1e-4 * length_um) ** 2

    def dbr_penetration_um(self, length_um: float) -> float:
        """Effective (phase) penetration depth of a DBR: L_eff = tanh(kappa L) / (2 kappa), um."""
        kappa_per_um = self.dbr_kappa_per_cm * 1e-4
        return math.tanh(kappa_per_um * length_um) / (2.0 * kappa_per_um)

    def bragg_period_nm(self) -> float:
        """First-order grating period on the shallow ridge: Lambda = lambda / (2 n_eff), nm."""
        return self.wavelength_nm / (2.0 * self.shallow_neff)

    def mmi_beat_length_um(self, width_um: float) -> float:
        """Beat length L_pi = 4 n_r W_e^2 / (3 lambda) of an MMI of width ``width_um`` (TE).

        W_e = W + (lambda / pi) (n_r^2 - n_c^2)^(-1/2) is the effective width including the lateral
        Goos-Haenchen penetration (Soldano & Pennings, J. Lightwave Technol. 13, 615 (1995),
        eqs. 3-5), with n_r the slab index and n_c the index beside the deep-etched MMI.
        """
        wl_um = self.wavelength_nm * 1e-3
        n_r, n_c = self.slab_neff, self.cladding_index
        w_e = width_um + (wl_um / math.pi) / math.sqrt(n_r**2 - n_c**2)
        return 4.0 * n_r * w_e**2 / (3.0 * wl_um)


#: The process constants every InP cell and model reads.
PROCESS = InPProcess()
