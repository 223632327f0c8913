r"""The Si3N4 ring-bus coupler: coupled-mode theory on the femwell supermode table.

The point/pulley coupler of a straight bus and a racetrack (``sin_ring_bus``): the supermode
coupling kappa(g) = pi (n_even - n_odd)/wl of two parallel cores g apart (femwell,
``modes.coupling_per_um``). The gap grows away from the straight section as g(x) ~ g + x^2/(2R),
and locally kappa ~ kappa(g) exp(-gamma (x^2/2R)) with gamma = -d ln kappa / dg
(``modes.coupling_decay_per_um``), so the integrated coupling is

    theta = int kappa(g(s)) ds = kappa(g) [L_c + sqrt(2 pi R / gamma)],

and the coupler is the CMT transfer matrix [[cos theta, -i sin theta], [-i sin theta, cos theta]]
(bars o1-o4, o2-o3; crosses o1-o3, o2-o4): power coupling per pass |k|^2 = sin^2 theta.

kappa and gamma depend on wl (the table holds three wavelengths; ln kappa is exactly quadratic in
wl between them, as in :mod:`~qkdchip.pdk.sin.modes`) and on g: for a JAX-traceable gap the
table's splines are reproduced exactly by cubic Hermite interpolation through the tabulated gaps
(the splines' knots are a subset of those gaps; values and slopes from ``modes``), so the gap can
be batched with ``jax.vmap``. This is the model the ring cell states in its ``info``
(``power_coupling`` at wl0; a test keeps the two equal).

The defaults (gap, radius, width, coupling length) are those of the ring cell
:func:`qkdchip.components.sin.ring.sin_ring_bus`, read from its signature.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
import sax

from qkdchip.base.params import defaults_of
from qkdchip.components.sin.ring import sin_ring_bus as _ring_cell
from qkdchip.pdk.sin import modes
from qkdchip.sims.models.common import check_param
from qkdchip.sims.models.sin_waveguide import WL0_UM, check_length, check_wl_um, static_width

__all__ = [
    "RADIUS_RANGE_UM",
    "check_ring",
    "coupler_theta",
    "power_coupling",
    "sin_ring_coupler",
]

#: Ring radii the point-coupler model accepts (um): it needs R >> 1/gamma (~0.7 um).
RADIUS_RANGE_UM = (10.0, 1e5)
#: The ring cell's defaults (the coupler's geometry is the ring's).
_RING = defaults_of(_ring_cell)


@functools.lru_cache(maxsize=64)
def _kappa_table(width_um: float):
    """(gaps, table wavelengths, ln kappa [3, n], d ln kappa / dg [3, n]) at ``width_um``."""
    _, gaps, wls, _ = modes.table_kappa()
    ln_k = np.array([np.log(modes.coupling_per_um(gaps, width_um, wl)) for wl in wls])
    dln_k = -np.array([modes.coupling_decay_per_um(gaps, width_um, wl) for wl in wls])
    return gaps, wls, ln_k, dln_k


def _hermite(x, nodes: np.ndarray, y: np.ndarray, dy: np.ndarray):
    """Cubic Hermite interpolation (value, slope) of rows ``y`` with slopes ``dy`` at ``x``."""
    n = nodes.size
    j = jnp.clip(jnp.searchsorted(jnp.asarray(nodes), x, side="right") - 1, 0, n - 2)
    x0 = jnp.asarray(nodes)[j]
    h = jnp.asarray(nodes)[j + 1] - x0
    t = (x - x0) / h
    y0, y1 = jnp.asarray(y)[:, j], jnp.asarray(y)[:, j + 1]
    d0, d1 = jnp.asarray(dy)[:, j] * h, jnp.asarray(dy)[:, j + 1] * h
    t2, t3 = t * t, t * t * t
    val = (
        (2 * t3 - 3 * t2 + 1) * y0
        + (t3 - 2 * t2 + t) * d0
        + (3 * t2 - 2 * t3) * y1
        + (t3 - t2) * d1
    )
    slope = ((6 * t2 - 6 * t) * (y0 - y1) + (3 * t2 - 4 * t + 1) * d0 + (3 * t2 - 2 * t) * d1) / h
    return val, slope


def _kappa_gamma(wl, gap_um, width_um: float):
    """kappa (1/um) and gamma = -d ln kappa / dg (1/um) at (wl, gap), exactly as the table's
    splines (:mod:`~qkdchip.pdk.sin.modes`), JAX-traceable in ``wl`` and ``gap_um``."""
    gaps, wls, ln_k, dln_k = _kappa_table(width_um)
    val, slope = _hermite(gap_um, gaps, ln_k, dln_k)  # (3,) each: at the 3 table wavelengths
    wl = jnp.asarray(wl)
    ln_kappa = 0.0
    neg_gamma = 0.0
    for k in range(3):  # Lagrange quadratic through the three wavelengths
        lk = 1.0
        for m in range(3):
            if m != k:
                lk = lk * (wl - wls[m]) / (wls[k] - wls[m])
        ln_kappa = ln_kappa + val[k] * lk
        neg_gamma = neg_gamma + slope[k] * lk
    return jnp.exp(ln_kappa), -neg_gamma


def check_ring(gap_um, radius_um, width_um, coupling_length_um) -> float:
    """Range-check a ring-bus coupler's geometry; the core width as a Python float."""
    width_um = static_width("width_um", width_um)
    lo, hi = modes.coupler_width_range_um()
    check_param("width_um", width_um, lo, hi, "um")
    check_param("gap_um", gap_um, *modes.gap_range_um(), "um")
    check_param("radius_um", radius_um, *RADIUS_RANGE_UM, "um")
    check_length("coupling_length_um", coupling_length_um)
    return width_um


def coupler_theta(wl, gap_um, radius_um, width_um, coupling_length_um=_RING["coupling_length_um"]):
    """Integrated coupling theta = kappa(g) [L_c + sqrt(2 pi R / gamma)] of the ring-bus coupler
    (rad; see the module doc). JAX-traceable in ``wl``, ``gap_um``, ``radius_um`` and
    ``coupling_length_um``; ``width_um`` must be a number."""
    width_um = check_ring(gap_um, radius_um, width_um, coupling_length_um)
    kappa, gamma = _kappa_gamma(wl, gap_um, width_um)
    return kappa * (coupling_length_um + jnp.sqrt(2.0 * jnp.pi * radius_um / gamma))


def power_coupling(wl, gap_um, radius_um, width_um, coupling_length_um=_RING["coupling_length_um"]):
    """Power coupling per pass |k|^2 = sin^2(theta) of the ring-bus coupler."""
    return jnp.sin(coupler_theta(wl, gap_um, radius_um, width_um, coupling_length_um)) ** 2


def sin_ring_coupler(
    wl=WL0_UM,
    gap_um=_RING["gap_um"],
    radius_um=_RING["radius_um"],
    width_um=_RING["width_um"],
    coupling_length_um=_RING["coupling_length_um"],
) -> sax.SDict:
    """Ring-bus point coupler (lumped, zero length): CMT matrix of theta (see the module doc).

    Ports: o1 bus west, o4 bus east, o2 ring west, o3 ring east (bars o1-o4, o2-o3)."""
    wl = check_wl_um(wl)
    theta = coupler_theta(wl, gap_um, radius_um, width_um, coupling_length_um)
    t = jnp.cos(theta) + 0j
    k = -1j * jnp.sin(theta)
    return sax.reciprocal({("o1", "o4"): t, ("o2", "o3"): t, ("o1", "o3"): k, ("o2", "o4"): k})
