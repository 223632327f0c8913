r"""The Si3N4 chip facets: the output edge coupler and the pump laser's butt-coupling facet.

The facet assumptions that the process does not state (fibre coupling loss and reflection of the
edge coupler, the pump laser's mode size) are documented constants of
:mod:`qkdchip.pdk.sin.process` (:data:`EDGE_COUPLER_LOSS_DB`, :data:`EDGE_COUPLER_REFLECTION_DB`,
:data:`LASER_MODE_RADII_UM`), each an overridable keyword of its model; the geometry defaults are
those of the cells (:mod:`qkdchip.components.sin.facets`), read from their signatures.

* **Edge coupler** (``sin_edge_coupler``, o1 at the facet on the fibre side, o2 the waveguide):
  the inverse taper, then the facet: a lossless interface [[-rho, tau], [tau, rho]] (rho =
  sqrt(R), tau = sqrt(1 - R), R = ``reflection_dB``) and the mode-mismatch loss eta =
  10^(-``coupling_loss_dB``/10) on the fibre side: S_21 = tau sqrt(eta) t_taper, S_11 = -rho eta,
  S_22 = rho t_taper^2.
* **Pump butt-coupling facet with its air gap** (``sin_pump_facet``, o1 = the laser's facet
  plane, ``air_gap_um`` = d in front of the chip facet; o2 the waveguide): Gaussian-beam coupling
  across the gap (Joyce & DeLoach, Appl. Opt. 23, 4187 (1984); Kogelnik & Li, Appl. Opt. 5, 1550
  (1966)). Per transverse axis, the overlap of a waist w1 with a waist w2 a distance d away is

      c(d; w1, w2) = sqrt(2 w1 w2 / (w1^2 + w2^2 + i wl d / pi)),   |c|^2 = the Joyce-DeLoach
      efficiency 2 w1 w2 / sqrt((w1^2 + w2^2)^2 + (wl d / pi)^2),

  (its phase is the Gouy lag). With the chip facet's modal Fresnel reflection r = (n_f - 1)/(n_f +
  1) (n_f the facet width's n_eff), tau = sqrt(1 - r^2), and the taper's t:

      S_21 = tau c_x(d; w_L, w_F) c_y(d; w_L, w_F) e^(i k0 d) t,
      S_11 = -r c_x(2d; w_L, w_L) c_y(2d; w_L, w_L) e^(2 i k0 d),   S_22 = r t^2.

  This is the laser/chip-mode block of the unitary scattering operator of free propagation and a
  flat interface, hence passive for every gap; it is unitary for equal modes at d = 0 without
  loss. ``S_11`` carries the air-gap round-trip phase 2 k0 d that sets the self-injection feedback
  phase. The facet mode's Gaussian-equivalent radii follow from its width
  (:func:`facet_mode_radii_um`). A facet width outside the mode table (the cell draws 0.8-6 um,
  the table covers 1.6-4.0 um) takes the mode figures of the nearest tabulated width (n_f and
  the mode radii): an approximation, as for the tapers. With ``laser_facet_reflection_dB`` given,
  the laser's own facet (reflection +sqrt(R_L) from inside the laser, port o1 then inside the
  laser) closes the air-gap Fabry-Perot: the two blocks are cascaded (Redheffer star product),
  giving fringes with period wl/2 in the gap (lengthened by the Gouy lag, ~1 %).
"""

from __future__ import annotations

import functools
import math

import jax.numpy as jnp
import numpy as np
import sax

from qkdchip.base.params import defaults_of
from qkdchip.components.sin import facets as _cells
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.process import (
    EDGE_COUPLER_LOSS_DB,
    EDGE_COUPLER_REFLECTION_DB,
    LASER_MODE_RADII_UM,
    n_sio2,
)
from qkdchip.sims.models.common import check_param, db_to_amp
from qkdchip.sims.models.sin_waveguide import (
    WL0_UM,
    check_length,
    check_loss,
    check_wl_um,
    index,
    phasor,
    static_width,
    taper,
    two_port_s,
)

__all__ = [
    "AIR_GAP_RANGE_UM",
    "EDGE_COUPLER_LOSS_DB",
    "EDGE_COUPLER_REFLECTION_DB",
    "LASER_MODE_RADII_UM",
    "MODE_RADIUS_RANGE_UM",
    "facet_mode_radii_um",
    "sin_edge_coupler",
    "sin_pump_facet",
]

#: Air gaps the pump-facet model accepts (um) (the Gaussian-beam model holds well beyond the
#: 10 um the layout cell allows).
AIR_GAP_RANGE_UM = (0.0, 100.0)
#: Mode radii any override may take (um).
MODE_RADIUS_RANGE_UM = (0.1, 50.0)

_EDGE = defaults_of(_cells.sin_edge_coupler)
_PUMP = defaults_of(_cells.sin_pump_facet)


def _star(A, B):
    """Redheffer star product of two reciprocal two-ports given as (s11, s21, s22): A's port 2
    connected to B's port 1. Passive blocks have |A22 B11| < 1: no division by zero."""
    a11, a21, a22 = A
    b11, b21, b22 = B
    d = 1.0 - a22 * b11
    return a11 + a21 * a21 * b11 / d, a21 * b21 / d, b22 + b21 * b21 * a22 / d


def sin_edge_coupler(
    wl=WL0_UM,
    taper_length_um=_EDGE["taper_length_um"],
    tip_width_um=_EDGE["tip_width_um"],
    width_um=_EDGE["width_um"],
    coupling_loss_dB=None,
    reflection_dB=None,
    loss_db_per_m=None,
) -> sax.SDict:
    """Inverse-taper edge coupler: o1 facet (fibre side), o2 waveguide (``width_um``).

    S_21 = tau sqrt(eta) t, S_11 = -rho eta, S_22 = rho t^2 (module doc); ``coupling_loss_dB``
    (default :data:`EDGE_COUPLER_LOSS_DB`) the fibre mode mismatch, ``reflection_dB`` (default
    :data:`EDGE_COUPLER_REFLECTION_DB`) the facet's power reflection."""
    wl = check_wl_um(wl)
    taper_length_um = check_length("taper_length_um", taper_length_um)
    w_tip = static_width("tip_width_um", tip_width_um, clamp=True)
    w = static_width("width_um", width_um, clamp=True)
    loss = check_loss(coupling_loss_dB, "coupling_loss_dB", EDGE_COUPLER_LOSS_DB)
    refl = EDGE_COUPLER_REFLECTION_DB if reflection_dB is None else reflection_dB
    refl = check_param("reflection_dB", refl, -300.0, -1e-3, "dB")
    t = taper(wl, taper_length_um, w_tip, w, check_loss(loss_db_per_m))
    r_pow = 10.0 ** (jnp.asarray(refl) / 10.0)
    rho, tau = jnp.sqrt(r_pow), jnp.sqrt(1.0 - r_pow)
    eta = db_to_amp(loss) ** 2
    return two_port_s(-rho * eta * jnp.ones_like(t), tau * jnp.sqrt(eta) * t, rho * t * t)


@functools.cache
def _exp_gauss_factor() -> float:
    """u = w gamma of the Gaussian exp(-y^2/w^2) that best overlaps exp(-gamma |y|):
    maximises sqrt(2 pi) u erfcx(u/2)^2 (the normalised overlap; ~1.308)."""
    from scipy import optimize, special

    res = optimize.minimize_scalar(
        lambda u: -math.sqrt(2 * math.pi) * u * special.erfcx(u / 2) ** 2,
        bounds=(0.1, 10.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return float(res.x)


@functools.lru_cache(maxsize=64)
def facet_mode_radii_um(width_um: float) -> tuple[float, float]:
    """Gaussian-equivalent radii (w_x, w_y) (um) of the TE0 mode at a facet ``width_um`` wide.

    Estimate from the mode's decay into the cladding, gamma = k0 sqrt(n_eff^2 - n_SiO2^2) at wl0
    (n_eff from the femwell table): vertically the 100 nm core is thin compared with 1/gamma, so
    the field is ~exp(-gamma |y|); laterally it is cos(k_x x) inside the core (|x| <= W/2) and
    exp(-gamma (|x| - W/2)) outside, k_x tan(k_x W/2) = gamma (scalar effective-index picture).
    Each radius is that of the Gaussian with the largest normalised overlap with the profile."""
    from scipy import optimize

    width_um = static_width("facet_width_um", width_um)
    n = float(modes.n_eff(WL0_UM, width_um))
    nc = float(n_sio2(WL0_UM))
    gamma = 2 * math.pi / WL0_UM * math.sqrt(n * n - nc * nc)
    w_y = _exp_gauss_factor() / gamma
    a = width_um / 2
    kx = optimize.brentq(
        lambda k: k * math.tan(k * a) - gamma, 1e-9, math.pi / (2 * a) * (1 - 1e-12)
    )
    x = np.linspace(0.0, a + 12.0 / gamma, 20001)
    f = np.where(x <= a, np.cos(kx * x), math.cos(kx * a) * np.exp(-gamma * (x - a)))

    def neg_overlap(w: float) -> float:
        g = np.exp(-((x / w) ** 2))
        return -(np.trapezoid(f * g, x) ** 2) / (np.trapezoid(f * f, x) * np.trapezoid(g * g, x))

    res = optimize.minimize_scalar(
        neg_overlap, bounds=(0.2 * a, 5 * a + 5 / gamma), method="bounded"
    )
    return float(res.x), float(w_y)


def _gauss_c(wl, d_um, w1, w2):
    """Complex 1-D overlap of Gaussian waists w1, w2 a distance d apart (module doc)."""
    return jnp.sqrt(2.0 * w1 * w2 / (w1 * w1 + w2 * w2 + 1j * wl * d_um / jnp.pi))


def sin_pump_facet(
    wl=WL0_UM,
    air_gap_um=_PUMP["air_gap_um"],
    facet_width_um=_PUMP["facet_width_um"],
    taper_length_um=_PUMP["taper_length_um"],
    width_um=_PUMP["width_um"],
    laser_mode_x_um=None,
    laser_mode_y_um=None,
    facet_mode_x_um=None,
    facet_mode_y_um=None,
    laser_facet_reflection_dB=None,
    loss_db_per_m=None,
) -> sax.SDict:
    """Butt-coupling facet of the pump laser across an air gap (module doc).

    Ports: o1 the laser's facet plane, ``air_gap_um`` in front of the chip facet (inside the laser
    if ``laser_facet_reflection_dB`` is given: the air-gap Fabry-Perot is then included); o2 the
    waveguide (``width_um``). Mode radii: the laser's (default :data:`LASER_MODE_RADII_UM`) and
    the facet mode's (default :func:`facet_mode_radii_um` of ``facet_width_um``, the nearest
    tabulated width if it lies outside the mode table)."""
    wl = check_wl_um(wl)
    d = check_param("air_gap_um", air_gap_um, *AIR_GAP_RANGE_UM, "um")
    w_f = static_width("facet_width_um", facet_width_um, clamp=True)
    w = static_width("width_um", width_um, clamp=True)
    taper_length_um = check_length("taper_length_um", taper_length_um)
    est = facet_mode_radii_um(w_f)
    radii = []
    for name, value, default in (
        ("laser_mode_x_um", laser_mode_x_um, LASER_MODE_RADII_UM[0]),
        ("laser_mode_y_um", laser_mode_y_um, LASER_MODE_RADII_UM[1]),
        ("facet_mode_x_um", facet_mode_x_um, est[0]),
        ("facet_mode_y_um", facet_mode_y_um, est[1]),
    ):
        radii.append(
            default if value is None else check_param(name, value, *MODE_RADIUS_RANGE_UM, "um")
        )
    lx, ly, fx, fy = radii
    n_f = index(wl, w_f)
    r = (n_f - 1.0) / (n_f + 1.0)
    tau = jnp.sqrt(1.0 - r * r)
    t = taper(wl, taper_length_um, w_f, w, check_loss(loss_db_per_m))
    k0d = 2.0 * jnp.pi * d / wl
    c_ls = _gauss_c(wl, d, lx, fx) * _gauss_c(wl, d, ly, fy)
    c_ll = _gauss_c(wl, 2 * d, lx, lx) * _gauss_c(wl, 2 * d, ly, ly)
    s21 = tau * c_ls * phasor(k0d) * t
    s11 = -r * c_ll * phasor(2 * k0d)
    s22 = r * t * t
    if laser_facet_reflection_dB is not None:
        refl = check_param(
            "laser_facet_reflection_dB", laser_facet_reflection_dB, -300.0, -1e-3, "dB"
        )
        r_l = 10.0 ** (jnp.asarray(refl) / 20.0)
        laser = (r_l + 0j, jnp.sqrt(1.0 - r_l * r_l) + 0j, -r_l + 0j)
        s11, s21, s22 = _star(laser, (s11, s21, s22))
    ones = jnp.ones_like(wl)
    return two_port_s(s11 * ones, s21, s22)
