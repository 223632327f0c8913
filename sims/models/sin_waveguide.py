"""The Si3N4 waveguide underneath every Si3N4 model: mode figures, ranges, guide and taper.

Shared by :mod:`~qkdchip.sims.models.sin` (straights, bends, tapers, rings),
:mod:`~qkdchip.sims.models.sin_coupler` (the ring-bus coupler) and
:mod:`~qkdchip.sims.models.sin_facets` (edge coupler, pump facet).

* wavelengths: the range of both femwell tables (:func:`wl_range_um`, 1.50-1.60 um);
* a waveguide: t = 10^(-a L/20) exp(i 2 pi n(wl) L / wl), n(wl) the TE0 index of the core's
  width to second order about wl0 = ``DESIGN_WAVELENGTH_UM``
  (:func:`~qkdchip.sims.models.common.n_eff_dispersive`: group delay n_g L / c and group-delay
  dispersion beta2 L exact at wl0), with n_eff, n_g, beta2 from the femwell table at wl0
  (:func:`mode_figures`: ``modes.n_eff``, ``modes.group_index``, ``modes.beta2_ps2_per_km``);
  a = the process loss :data:`qkdchip.pdk.sin.process.PROPAGATION_LOSS_DB_PER_M` (1.7 dB/m);
* a linear taper: the phase int n(w(z)) dz (8-point Gauss-Legendre over z); widths outside the
  mode table (the 0.8 um tip of the inverse taper; the table covers 1.6-4.0 um) take the figures
  of the nearest tabulated width: an approximation of the phase only. Adiabatic: loss = process
  loss x length.

Core widths select mode-table entries (numpy/scipy): they are Python numbers, never JAX tracers
(:func:`static_width`).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sax

from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM, PROPAGATION_LOSS_DB_PER_M

# (importing qkdchip.sims.models.* runs the package __init__ first: 64-bit JAX, port naming)
from qkdchip.sims.models.common import check_param, check_wl, db_to_amp, n_eff_dispersive

__all__ = [
    "MAX_LENGTH_UM",
    "MAX_LOSS",
    "WL0_UM",
    "check_length",
    "check_loss",
    "check_wl_um",
    "guide",
    "index",
    "is_concrete",
    "mode_figures",
    "phasor",
    "static_width",
    "taper",
    "two_port_s",
    "wl_range_um",
]

#: Reference wavelength of the dispersion expansion (um): the process design (pump) wavelength.
WL0_UM = DESIGN_WAVELENGTH_UM
#: Largest length any model accepts (um).
MAX_LENGTH_UM = 1e5
#: Largest loss override (dB, dB/m).
MAX_LOSS = 1e4

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)


def is_concrete(x: Any) -> bool:
    """True unless ``x`` is a JAX tracer."""
    return not isinstance(x, jax.core.Tracer)


@functools.cache
def wl_range_um() -> tuple[float, float]:
    """Wavelengths (um) the models accept: the range of both femwell tables (1.50-1.60 um)."""
    lo1, hi1 = modes.wavelength_range_um()
    _, _, wls, _ = modes.table_kappa()
    return max(lo1, float(wls[0])), min(hi1, float(wls[-1]))


def check_wl_um(wl):
    """``wl`` (um) as a float64 array; ValueError naming ``wl`` outside :func:`wl_range_um`."""
    return check_wl(wl, *wl_range_um())


def check_length(name: str, value: Any, lo: float = 0.0):
    """A length (um) in [lo, MAX_LENGTH_UM]: ValueError naming ``name`` otherwise."""
    return check_param(name, value, lo, MAX_LENGTH_UM, "um")


def check_loss(value: Any, name: str = "loss_db_per_m", default: float = PROPAGATION_LOSS_DB_PER_M):
    """A loss override (None: ``default``), range-checked >= 0."""
    if value is None:
        return default
    return check_param(name, value, 0.0, MAX_LOSS)


def static_width(name: str, value: Any, clamp: bool = False) -> float:
    """A core width (um) as a Python float, inside the mode table unless ``clamp`` (then any
    drawn width, and the nearest tabulated width is returned).

    Widths select mode-table entries (numpy/scipy): they cannot be traced by JAX."""
    if not is_concrete(value):
        raise ValueError(
            f"{name} cannot be a traced (batched) value: the mode tables are evaluated per width"
        )
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise ValueError(f"{name}={value!r} must be one number (um)")
    w = float(arr.reshape(()))
    if clamp:
        check_param(name, w, 0.0, 100.0, "um")
        lo, hi = modes.width_range_um()
        return min(max(w, lo), hi)
    return float(check_param(name, w, *modes.width_range_um(), "um"))


@functools.lru_cache(maxsize=256)
def mode_figures(width_um: float) -> tuple[float, float, float]:
    """(n_eff, n_g, beta2 [s^2/m]) of the TE0 mode of a core ``width_um`` wide at wl0 (femwell)."""
    width_um = static_width("width_um", width_um)
    return (
        float(modes.n_eff(WL0_UM, width_um)),
        float(modes.group_index(width_um, WL0_UM)),
        float(modes.beta2_ps2_per_km(width_um, WL0_UM)) * 1e-27,  # ps^2/km -> s^2/m
    )


def index(wl, width_um: float):
    """n(wl) of a core ``width_um`` wide (second order about wl0)."""
    n0, ng, b2 = mode_figures(width_um)
    return n_eff_dispersive(wl, n0, ng, b2, WL0_UM)


def phasor(phi):
    """exp(i phi) with one cosine and one sine."""
    return jax.lax.complex(jnp.cos(phi), jnp.sin(phi))


def guide(wl, length_um, width_um: float, loss_db_per_m):
    """Field transmission of ``length_um`` of a core ``width_um`` wide."""
    phi = 2.0 * jnp.pi * index(wl, width_um) * length_um / wl
    return db_to_amp(loss_db_per_m * length_um * 1e-6) * phasor(phi)


@functools.lru_cache(maxsize=256)
def _taper_figures(w1: float, w2: float) -> tuple[float, float, float]:
    """Mode figures averaged over a linear taper w1 -> w2 (Gauss-Legendre in z; widths clamped to
    the table). n(wl) is linear in (n_eff, n_g, beta2), so the averaged figures give the exact
    quadrature of int n(w(z), wl) dz / L."""
    lo, hi = modes.width_range_um()
    ws = np.clip(w1 + (w2 - w1) * (_GL_NODES + 1) / 2, lo, hi)
    figs = np.array([mode_figures(float(w)) for w in ws])  # (8, 3)
    return tuple(float(x) for x in (_GL_WEIGHTS / 2) @ figs)


def taper(wl, length_um, w1: float, w2: float, loss_db_per_m):
    """Field transmission of a linear taper (see :func:`_taper_figures`)."""
    n0, ng, b2 = _taper_figures(w1, w2)
    phi = 2.0 * jnp.pi * n_eff_dispersive(wl, n0, ng, b2, WL0_UM) * length_um / wl
    return db_to_amp(loss_db_per_m * length_um * 1e-6) * phasor(phi)


def two_port_s(s11, s12, s22, ports=("o1", "o2")) -> sax.SDict:
    """Reciprocal two-port with reflections: S_11, S_12 = S_21, S_22."""
    a, b = ports
    return {(a, a): s11, (a, b): s12, (b, a): s12, (b, b): s22}
