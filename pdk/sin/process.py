"""Process and material constants of the Si3N4 (server, microcomb) platform: their single home.

Nothing here imports gdsfactory, so the mode-solver script (``pdk/sin/modesolver.py``, run in its
own environment with femwell) and the device physics read the same numbers as the PDK.

Stack (thin-core, low-confinement ultra-low-loss Si3N4, e.g. Puckett et al., Nat. Commun. 12, 934
(2021); Jin et al., Nat. Photon. 15, 346 (2021)): an LPCVD stoichiometric Si3N4 core 100 nm thick on
thermal SiO2, clad above with deposited and annealed SiO2; both claddings are thick (several um)
compared with the ~1 um evanescent decay length of the mode, so the cross-section is treated as a
core embedded in homogeneous SiO2.

Refractive indices (wavelength in um):

* Si3N4, LPCVD stoichiometric (Luke et al., Opt. Lett. 40, 4823 (2015), valid 0.31-5.504 um)::

      n^2 = 1 + 3.0249 wl^2 / (wl^2 - 0.1353406^2) + 40314 wl^2 / (wl^2 - 1239.842^2)

* SiO2, fused silica (Malitson, J. Opt. Soc. Am. 55, 1205 (1965), valid 0.21-3.71 um)::

      n^2 = 1 + 0.6961663 wl^2 / (wl^2 - 0.0684043^2) + 0.4079426 wl^2 / (wl^2 - 0.1162414^2)
              + 0.8974794 wl^2 / (wl^2 - 9.896161^2)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Si3N4 core thickness (um). 100 nm: thin, wide, low-confinement core (published, see
#: docs/assumptions.md).
CORE_THICKNESS_UM = 0.100
#: Straight-waveguide propagation loss (dB/m) of the ring cross-section (published, PDK input;
#: the intrinsic Q is derived from it: Q_i = 2 pi n_g / (wl alpha), alpha = ln(10)/10 x dB/m).
PROPAGATION_LOSS_DB_PER_M = 1.7
#: Sheet resistance of the heater metal (ohm/sq): assumed ~100 nm Pt (thin-film resistivity
#: ~2e-7 ohm m, about twice bulk); only used to report a heater's resistance.
HEATER_SHEET_RESISTANCE_OHM_PER_SQ = 2.0
#: Kerr coefficients (m^2/W) at 1.55 um: stoichiometric LPCVD Si3N4 (Ikeda et al., Opt. Express
#: 16, 12987 (2008): 2.4e-19) and fused silica (Milam, Appl. Opt. 37, 546 (1998): 2.6e-20 incl.
#: the electrostrictive part is ~2.7e-20; 2.6e-20 is the value of Agrawal, Nonlinear Fiber Optics).
N2_SI3N4_M2_PER_W = 2.4e-19
N2_SIO2_M2_PER_W = 2.6e-20


def effective_n2_m2_per_w(kerr_core_fraction: float) -> float:
    """Effective Kerr coefficient of a mode with a fraction ``kerr_core_fraction`` of its Kerr
    overlap in the core: n2_eff = f n2_Si3N4 + (1 - f) n2_SiO2 (m^2/W)."""
    if not 0.0 <= kerr_core_fraction <= 1.0:
        raise ValueError(
            f"kerr_core_fraction={kerr_core_fraction!r} is out of range: allowed [0, 1]"
        )
    return kerr_core_fraction * N2_SI3N4_M2_PER_W + (1 - kerr_core_fraction) * N2_SIO2_M2_PER_W


#: Fibre-to-chip coupling loss of the inverse-taper edge coupler (dB, per facet): an assumed
#: typical value for a thin Si3N4 core tapered to a lensed or high-NA fibre (1-3 dB is the usual
#: range); the process states none. Override ``coupling_loss_dB`` with a measured figure.
EDGE_COUPLER_LOSS_DB = 2.0
#: Power reflection of the edge-coupler facet back into the waveguide (dB): an index-matched fibre
#: attach (epoxy/gel between facet and fibre); a bare facet in air would give ~-15 dB.
EDGE_COUPLER_REFLECTION_DB = -40.0
#: Gaussian mode radii (1/e^2 intensity, x lateral, y vertical) of the InP DFB pump laser's output
#: mode (um): a ridge laser without spot-size converter, far field ~28 deg x 48 deg FWHM
#: (theta_FWHM = 1.177 wl / (pi w)). A property of the laser chip, assumed here.
LASER_MODE_RADII_UM = (1.2, 0.7)

#: Design (pump) wavelength of the microcomb (um): the comb line lambda_0 of the reference system.
DESIGN_WAVELENGTH_UM = 1.54978
#: Target free spectral range of the microcomb (GHz), published.
TARGET_FSR_GHZ = 30.03

#: Sellmeier terms (B_i, C_i [um]) of n^2 = 1 + sum B_i wl^2 / (wl^2 - C_i^2).
SELLMEIER_SI3N4_LUKE2015 = ((3.0249, 0.1353406), (40314.0, 1239.842))
SELLMEIER_SIO2_MALITSON1965 = (
    (0.6961663, 0.0684043),
    (0.4079426, 0.1162414),
    (0.8974794, 9.896161),
)
#: Wavelength ranges (um) over which the Sellmeier fits were measured.
SI3N4_VALID_UM = (0.31, 5.504)
SIO2_VALID_UM = (0.21, 3.71)


def _sellmeier(
    wl_um: ArrayLike, terms: tuple[tuple[float, float], ...], valid: tuple[float, float], name: str
) -> NDArray[np.float64]:
    wl = np.asarray(wl_um, dtype=float)
    if not np.all(np.isfinite(wl)) or np.any(wl < valid[0]) or np.any(wl > valid[1]):
        raise ValueError(
            f"wl_um={wl_um!r} is out of range for {name}: allowed [{valid[0]}, {valid[1]}] um"
        )
    wl2 = wl * wl
    n2 = 1.0 + sum(b * wl2 / (wl2 - c * c) for b, c in terms)
    return np.sqrt(n2)


def n_si3n4(wl_um: ArrayLike) -> NDArray[np.float64]:
    """Refractive index of LPCVD Si3N4 (Luke et al. 2015); ``wl_um`` vacuum wavelength in um."""
    return _sellmeier(wl_um, SELLMEIER_SI3N4_LUKE2015, SI3N4_VALID_UM, "Si3N4 (Luke 2015)")


def n_sio2(wl_um: ArrayLike) -> NDArray[np.float64]:
    """Refractive index of fused SiO2 (Malitson 1965); ``wl_um`` vacuum wavelength in um."""
    return _sellmeier(wl_um, SELLMEIER_SIO2_MALITSON1965, SIO2_VALID_UM, "SiO2 (Malitson 1965)")
