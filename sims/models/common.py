"""Building blocks shared by the sax models of both processes.

Conventions (set once, in :mod:`qkdchip.sims.models`): 64-bit JAX, sax "optical" port naming
(``o1``, ``o2``, ...), wavelength ``wl`` in um, lengths in um, losses in dB.

Dispersion to second order about a reference wavelength lambda_0 (n = n_eff, lambda in um)::

    dn/dlambda   = (n_eff0 - n_g) / lambda_0                    (from n_g = n - lambda dn/dlambda)
    d2n/dlambda2 = 2 pi c^2 beta2 / lambda_0^3                  (beta2 = lambda^3/(2 pi c^2) d2n/dlambda2)
    n(lambda)    = n_eff0 + dn/dlambda (lambda - lambda_0) + 1/2 d2n/dlambda2 (lambda - lambda_0)^2
    phi          = 2 pi n(lambda) L / lambda

so that the group delay of a waveguide is n_g L / c at lambda_0 and its group-delay dispersion is
beta2 L, exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import sax
from scipy.constants import c as C_M_S  # speed of light in vacuum, m/s (CODATA)

from qkdchip.base.params import Range

#: wavelength range (um) where the models are documented to hold (dispersion tables, Taylor
#: expansion to 2nd order): S, C and L bands
WL_MIN_UM = 1.45
WL_MAX_UM = 1.65


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def check_wl(wl, wl_min_um: float = WL_MIN_UM, wl_max_um: float = WL_MAX_UM):
    """Return ``wl`` as a float64 array; ValueError if a (concrete) value is outside the range.

    The check is :meth:`qkdchip.base.params.Range.check` (skipped while JAX traces ``wl``).
    """
    Range(wl_min_um, wl_max_um, "um", "wavelength range of the models").check("wl", wl)
    return jnp.asarray(wl, dtype=jnp.float64)


def check_param(name: str, value, lo: float, hi: float, unit: str = ""):
    """Range check of a model parameter (skipped while JAX traces it); returns ``value``.

    A shorthand for ``Range(lo, hi, unit).check(name, value)`` (:class:`qkdchip.base.params.Range`).
    """
    return Range(lo, hi, unit).check(name, value)


def n_eff_dispersive(wl, n_eff0, n_g, beta2_s2_per_m, wl0_um):
    """Effective index at ``wl`` (um) from n_eff, n_g and beta2 at ``wl0_um`` (see module doc)."""
    wl0_m = wl0_um * 1e-6
    dn1_per_um = (n_eff0 - n_g) / wl0_um
    d2n_per_m2 = 2 * jnp.pi * C_M_S**2 * beta2_s2_per_m / wl0_m**3
    d2n_per_um2 = d2n_per_m2 * 1e-12
    dwl = wl - wl0_um
    return n_eff0 + dn1_per_um * dwl + 0.5 * d2n_per_um2 * dwl**2


def propagation(wl, length_um, n_eff0, n_g, beta2_s2_per_m, wl0_um, loss_db_per_m):
    """Complex field transmission exp(i phi) * 10^(-loss L / 20) of a waveguide section."""
    n = n_eff_dispersive(wl, n_eff0, n_g, beta2_s2_per_m, wl0_um)
    phase = 2 * jnp.pi * n * length_um / wl
    amplitude = 10 ** (-loss_db_per_m * length_um * 1e-6 / 20)
    return amplitude * jnp.exp(1j * phase)


def two_port(t, ports: tuple[str, str] = ("o1", "o2")) -> sax.SDict:
    """Reciprocal, reflection-free two-port with transmission ``t``."""
    return sax.reciprocal({ports: t})


def coupler_2x2(wl, kappa2, loss_db=0.0, ports=("o1", "o2", "o3", "o4")) -> sax.SDict:
    """Lossless (times ``loss_db``) symmetric 2x2 coupler with power coupling ``kappa2``.

    Port convention of gdsfactory's couplers: o1 (west, bottom), o2 (west, top), o3 (east, top),
    o4 (east, bottom); bars o1-o4 and o2-o3 carry t = sqrt(1 - kappa2), crosses o1-o3 and o2-o4
    carry -i k: the matrix [[t, -ik], [-ik, t]] is unitary.
    """
    wl = jnp.asarray(wl)
    amp = 10 ** (-loss_db / 20)
    t = amp * jnp.sqrt(1 - kappa2) * jnp.ones_like(wl)
    k = -1j * amp * jnp.sqrt(kappa2) * jnp.ones_like(wl)
    o1, o2, o3, o4 = ports
    return sax.reciprocal({(o1, o4): t, (o2, o3): t, (o1, o3): k, (o2, o4): k})


def db_to_amp(loss_db):
    """Field amplitude factor of a power loss in dB."""
    return 10 ** (-jnp.asarray(loss_db) / 20)
