r"""sax S-matrix models of the Si3N4 (server, microcomb) cells, and Si3N4 circuits from netlists.

Conventions (:mod:`qkdchip.sims.models`): 64-bit JAX, sax "optical" port naming, ``wl`` in um
(scalar or array) inside the range of the femwell mode tables (:func:`wl_range_um`, 1.50-1.60
um), lengths in um, losses in dB. Each model is keyed in :data:`MODELS` by the name of the cell
function it describes and returns a reciprocal ``sax.SDict`` over exactly the cell's optical
ports. The heater ``sin_ring_heater``, the pads and the metal traces have no optical port and no
model; the process states no thermo-optic coefficient, so no heater power -> ring phase model
exists and the ring is simulated unheated (its resonance sits where the layout puts it).

Where the numbers come from (one home each):

* geometry from the cell: the netlist instance's ``settings`` (radius, gap, widths, lengths) and
  ``info`` (``bus_length_um``; sax merges ``info`` into the settings it passes to the model). The
  models deliberately do *not* accept the mode figures the cells copy into ``info`` (``n_eff``,
  ``n_g``, ``power_coupling``...): a netlist rounds them to 3 decimals. They are recomputed here,
  at full precision, from the single home of the mode data, :mod:`qkdchip.pdk.sin.modes`;
* the propagation loss from :data:`qkdchip.pdk.sin.process.PROPAGATION_LOSS_DB_PER_M` (1.7 dB/m);
  the cladding index from :func:`qkdchip.pdk.sin.process.n_sio2`;
* the facet assumptions that the process does not state (fibre coupling loss and reflection of
  the edge coupler, the pump laser's mode size) are the documented module constants below, each
  an overridable keyword of its model.

Physics of each block:

* **Waveguides** (``sin_straight``; the ring's loop and bus): t = 10^(-a L/20) exp(i 2 pi n(wl) L
  / wl), n(wl) the TE0 index of the core's width to second order about the design wavelength
  wl0 = ``DESIGN_WAVELENGTH_UM`` (:func:`~qkdchip.sims.models.common.n_eff_dispersive`: group
  delay n_g L / c and group-delay dispersion beta2 L exact at wl0), with n_eff, n_g, beta2 from
  the femwell table at wl0 (``modes.n_eff``, ``modes.group_index``, ``modes.beta2_ps2_per_km``).
  The ring is a ~1 mm radius racetrack: the bend correction to n_eff of a 100 nm thin, weakly
  guiding core at R >= 300 um is not in the tables and is neglected (bend radiation loss too:
  the process loss is the whole loss).
* **Euler routing bend** (``sin_bend_euler``, the ``"bend_euler"`` of gdsfactory's routers): the
  same waveguide transmission over the bend's centre-line length L = (1 + p) (pi/2) R0, computed
  from ``radius_um`` by the layout's own geometry (:func:`qkdchip.components.euler.euler_bend`:
  the Euler fraction p and the smallest curvature radius R0 >= radius_min 300 um), not from the
  rounded ``info``. Bend radiation loss and the bend's index shift are neglected, as for the ring.
* **Taper** (``sin_taper``, the tapers inside the facets): the phase of a linear width taper is
  int n(w(z)) dz (8-point Gauss-Legendre over z); widths outside the mode table (the 0.8 um tip of
  the inverse taper; the table covers 1.6-4.0 um) take the index of the nearest tabulated width:
  an approximation of the phase only (the narrow tip's index lies between n_SiO2 and that value).
  The taper is adiabatic: loss = process loss x length.
* **Ring-bus coupler** (point/pulley coupler of a straight bus and a racetrack): coupled-mode
  theory with the supermode coupling kappa(g) = pi (n_even - n_odd)/wl of two parallel cores g
  apart (femwell, ``modes.coupling_per_um``). The gap grows away from the straight section as
  g(x) ~ g + x^2/(2R), and locally kappa ~ kappa(g) exp(-gamma (x^2/2R)) with gamma = -d ln kappa
  / dg (``modes.coupling_decay_per_um``), so the integrated coupling is

      theta = int kappa(g(s)) ds = kappa(g) [L_c + sqrt(2 pi R / gamma)],

  and the coupler is the CMT transfer matrix [[cos theta, -i sin theta], [-i sin theta, cos
  theta]] (bars o1-o4, o2-o3; crosses o1-o3, o2-o4): power coupling per pass |k|^2 = sin^2 theta.
  kappa and gamma depend on wl (the table holds three wavelengths; ln kappa is exactly quadratic
  in wl between them, as in :mod:`~qkdchip.pdk.sin.modes`) and on g: for a JAX-traceable gap the
  table's splines are reproduced exactly by cubic Hermite interpolation through the tabulated gaps
  (the splines' knots are a subset of those gaps; values and slopes from ``modes``), so the gap can
  be batched with ``jax.vmap``. This is the model the ring cell states in its ``info``
  (``power_coupling`` at wl0; a test keeps the two equal).
* **All-pass ring** (``sin_ring_bus``): a sax circuit of the coupler and the ring loop (a
  waveguide of the racetrack length L = 2 pi R + 2 L_c, ``racetrack_length`` of the layout),
  between the two halves of the bus. Its through transmission is the all-pass formula
  (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012))

      T = (a^2 - 2 a r cos phi + r^2) / (1 - 2 a r cos phi + (a r)^2),  r = cos theta,
      a = 10^(-loss L / 20),  phi = 2 pi n(wl) L / wl,

  so that Q_i = 2 pi n_g / (wl alpha) (alpha = ln(10)/10 x dB/m; 1.65e7 at 1.7 dB/m, n_g 1.593),
  Q_ex ~ 2 pi nu / (|k|^2 FSR) and FSR = c / (n_g L). :func:`ring_add_drop` is the add-drop
  version (two couplers, two half loops; no layout cell has it yet).
* **Edge coupler** (``sin_edge_coupler``, o1 at the facet on the fibre side, o2 the waveguide):
  the inverse taper, then the facet: a lossless interface [[-rho, tau], [tau, rho]] (rho =
  sqrt(R), tau = sqrt(1 - R), R = ``reflection_dB``) and the mode-mismatch loss eta =
  10^(-``coupling_loss_dB``/10) on the fibre side: S_21 = tau sqrt(eta) t_taper, S_11 = -rho eta,
  S_22 = rho t_taper^2. Defaults: :data:`EDGE_COUPLER_LOSS_DB`, :data:`EDGE_COUPLER_REFLECTION_DB`.
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
  phase. The laser mode radii are :data:`LASER_MODE_RADII_UM`; the facet mode's Gaussian-equivalent
  radii follow from its width (:func:`facet_mode_radii_um`). With ``laser_facet_reflection_dB``
  given, the laser's own facet (reflection +sqrt(R_L) from inside the laser, port o1 then inside
  the laser) closes the air-gap Fabry-Perot: the two blocks are cascaded (Redheffer star
  product), giving fringes with period wl/2 in the gap (lengthened by the Gouy lag, ~1 %).

Circuits: ``localize(sax.circuit(prepare_netlist(c.get_netlist(recursive=True)), MODELS)[0])``
simulates any Si3N4 cell or chip (:func:`cell_model`). :func:`localize` keeps the core widths
Python numbers under ``jax.jit`` (sax would otherwise turn every setting into a tracer).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sax

from qkdchip.components.euler import euler_bend
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.layers import XSECTIONS
from qkdchip.pdk.sin.process import (  # facet and pump-laser assumptions live there too
    DESIGN_WAVELENGTH_UM,
    EDGE_COUPLER_LOSS_DB,
    EDGE_COUPLER_REFLECTION_DB,
    LASER_MODE_RADII_UM,
    PROPAGATION_LOSS_DB_PER_M,
    n_sio2,
)

# (importing qkdchip.sims.models.* runs the package __init__ first: 64-bit JAX, port naming)
from qkdchip.sims.models.common import (
    check_param,
    check_wl,
    db_to_amp,
    n_eff_dispersive,
    two_port,
)
from qkdchip.sims.models.inp import optical_ports

__all__ = [
    "EDGE_COUPLER_LOSS_DB",
    "EDGE_COUPLER_REFLECTION_DB",
    "LASER_MODE_RADII_UM",
    "MAX_LENGTH_UM",
    "MAX_LOSS",
    "MODELS",
    "WL0_UM",
    "cell_model",
    "check_wl_um",
    "coupler_theta",
    "facet_mode_radii_um",
    "localize",
    "mode_figures",
    "optical_ports",
    "power_coupling",
    "prepare_netlist",
    "ring_add_drop",
    "ring_length_um",
    "sin_bend_euler",
    "sin_edge_coupler",
    "sin_pump_facet",
    "sin_ring_bus",
    "sin_ring_coupler",
    "sin_straight",
    "sin_taper",
    "wl_range_um",
]

#: Reference wavelength of the dispersion expansion (um): the process design (pump) wavelength.
WL0_UM = DESIGN_WAVELENGTH_UM
#: Largest length any model accepts (um).
MAX_LENGTH_UM = 1e5
#: Ring radii the point-coupler model accepts (um): it needs R >> 1/gamma (~0.7 um).
RADIUS_RANGE_UM = (10.0, 1e5)
#: Air gaps the pump-facet model accepts (um) (the Gaussian-beam model holds well beyond the
#: 10 um the layout cell allows).
AIR_GAP_RANGE_UM = (0.0, 100.0)
#: Mode radii any override may take (um).
MODE_RADIUS_RANGE_UM = (0.1, 50.0)
#: Largest loss override (dB, dB/m).
MAX_LOSS = 1e4


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)


# --- ranges, helpers ----------------------------------------------------------------------------


def _is_concrete(x: Any) -> bool:
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


def _length(name: str, value: Any, lo: float = 0.0):
    """A length (um) in [lo, MAX_LENGTH_UM]: ValueError naming ``name`` otherwise."""
    return check_param(name, value, lo, MAX_LENGTH_UM, "um")


def _loss(value: Any, name: str = "loss_db_per_m", default: float = PROPAGATION_LOSS_DB_PER_M):
    """A loss override (None: ``default``), range-checked >= 0."""
    if value is None:
        return default
    return check_param(name, value, 0.0, MAX_LOSS)


def _static_width(name: str, value: Any, clamp: bool = False) -> float:
    """A core width (um) as a Python float, inside the mode table unless ``clamp``.

    Widths select mode-table entries (numpy/scipy): they cannot be traced by JAX."""
    if not _is_concrete(value):
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
    width_um = _static_width("width_um", width_um)
    return (
        float(modes.n_eff(WL0_UM, width_um)),
        float(modes.group_index(width_um, WL0_UM)),
        float(modes.beta2_ps2_per_km(width_um, WL0_UM)) * 1e-27,  # ps^2/km -> s^2/m
    )


def _index(wl, width_um: float):
    """n(wl) of a core ``width_um`` wide (second order about wl0)."""
    n0, ng, b2 = mode_figures(width_um)
    return n_eff_dispersive(wl, n0, ng, b2, WL0_UM)


def _phasor(phi):
    """exp(i phi) with one cosine and one sine."""
    return jax.lax.complex(jnp.cos(phi), jnp.sin(phi))


def _guide(wl, length_um, width_um: float, loss_db_per_m):
    """Field transmission of ``length_um`` of a core ``width_um`` wide."""
    phi = 2.0 * jnp.pi * _index(wl, width_um) * length_um / wl
    return db_to_amp(loss_db_per_m * length_um * 1e-6) * _phasor(phi)


@functools.lru_cache(maxsize=256)
def _taper_figures(w1: float, w2: float) -> tuple[float, float, float]:
    """Mode figures averaged over a linear taper w1 -> w2 (Gauss-Legendre in z; widths clamped to
    the table). n(wl) is linear in (n_eff, n_g, beta2), so the averaged figures give the exact
    quadrature of int n(w(z), wl) dz / L."""
    lo, hi = modes.width_range_um()
    ws = np.clip(w1 + (w2 - w1) * (_GL_NODES + 1) / 2, lo, hi)
    figs = np.array([mode_figures(float(w)) for w in ws])  # (8, 3)
    return tuple(float(x) for x in (_GL_WEIGHTS / 2) @ figs)


def _taper(wl, length_um, w1: float, w2: float, loss_db_per_m):
    """Field transmission of a linear taper (see :func:`_taper_figures`)."""
    n0, ng, b2 = _taper_figures(w1, w2)
    phi = 2.0 * jnp.pi * n_eff_dispersive(wl, n0, ng, b2, WL0_UM) * length_um / wl
    return db_to_amp(loss_db_per_m * length_um * 1e-6) * _phasor(phi)


def _two_port(s11, s12, s22, ports=("o1", "o2")) -> sax.SDict:
    a, b = ports
    return {(a, a): s11, (a, b): s12, (b, a): s12, (b, b): s22}


def _star(A, B):
    """Redheffer star product of two reciprocal two-ports given as (s11, s21, s22): A's port 2
    connected to B's port 1. Passive blocks have |A22 B11| < 1: no division by zero."""
    a11, a21, a22 = A
    b11, b21, b22 = B
    d = 1.0 - a22 * b11
    return a11 + a21 * a21 * b11 / d, a21 * b21 / d, b22 + b21 * b21 * a22 / d


# --- coupler: kappa(g, wl) from the supermode table -----------------------------------------------


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


def _check_ring(gap_um, radius_um, width_um, coupling_length_um) -> float:
    width_um = _static_width("width_um", width_um)
    lo, hi = modes.coupler_width_range_um()
    check_param("width_um", width_um, lo, hi, "um")
    check_param("gap_um", gap_um, *modes.gap_range_um(), "um")
    check_param("radius_um", radius_um, *RADIUS_RANGE_UM, "um")
    _length("coupling_length_um", coupling_length_um)
    return width_um


def coupler_theta(wl, gap_um, radius_um, width_um, coupling_length_um=0.0):
    """Integrated coupling theta = kappa(g) [L_c + sqrt(2 pi R / gamma)] of the ring-bus coupler
    (rad; see the module doc). JAX-traceable in ``wl``, ``gap_um``, ``radius_um`` and
    ``coupling_length_um``; ``width_um`` must be a number."""
    width_um = _check_ring(gap_um, radius_um, width_um, coupling_length_um)
    kappa, gamma = _kappa_gamma(wl, gap_um, width_um)
    return kappa * (coupling_length_um + jnp.sqrt(2.0 * jnp.pi * radius_um / gamma))


def power_coupling(wl, gap_um, radius_um, width_um, coupling_length_um=0.0):
    """Power coupling per pass |k|^2 = sin^2(theta) of the ring-bus coupler."""
    return jnp.sin(coupler_theta(wl, gap_um, radius_um, width_um, coupling_length_um)) ** 2


def ring_length_um(radius_um, coupling_length_um=0.0):
    """Centre-line length of the racetrack, from the layout's own helper (2 pi R + 2 L_c)."""
    return _racetrack_length()(radius_um, coupling_length_um)


@functools.cache
def _racetrack_length() -> Callable[[Any, Any], Any]:
    from qkdchip.components.sin._geometry import racetrack_length

    return racetrack_length


# --- models ---------------------------------------------------------------------------------------


def sin_straight(wl=WL0_UM, length_um=100.0, width_um=2.8, loss_db_per_m=None) -> sax.SDict:
    """Straight ``xs_sin`` waveguide (o1, o2): t = 10^(-a L/20) exp(i 2 pi n(wl) L / wl)."""
    wl = check_wl_um(wl)
    length_um = _length("length_um", length_um)
    width_um = _static_width("width_um", width_um)
    return two_port(_guide(wl, length_um, width_um, _loss(loss_db_per_m)))


#: The routing core (``xs_sin``): its width and bend radii are the cells' defaults too.
_XS = XSECTIONS["xs_sin"]


def sin_bend_euler(
    wl=WL0_UM, radius_um=_XS.radius_um, width_um=_XS.width_um, loss_db_per_m=None
) -> sax.SDict:
    """90-degree Euler routing bend (o1, o2): a guide of the bend's centre-line length, from
    ``radius_um`` (the floorplan radius) by the cell's own geometry (module doc)."""
    wl = check_wl_um(wl)
    if not _is_concrete(radius_um):
        raise ValueError(
            "radius_um cannot be a traced (batched) value: the bend's Euler fraction is solved "
            "per radius"
        )
    radius = float(check_param("radius_um", radius_um, _XS.radius_min_um, MAX_LENGTH_UM, "um"))
    width_um = _static_width("width_um", width_um)
    length = euler_bend(radius, _XS.radius_min_um).length_um
    return two_port(_guide(wl, length, width_um, _loss(loss_db_per_m)))


def sin_taper(
    wl=WL0_UM, length_um=100.0, width1_um=2.8, width2_um=1.0, loss_db_per_m=None
) -> sax.SDict:
    """Linear core taper (o1 at ``width1_um``, o2 at ``width2_um``): adiabatic, phase int n dz."""
    wl = check_wl_um(wl)
    length_um = _length("length_um", length_um)
    w1 = _static_width("width1_um", width1_um, clamp=True)
    w2 = _static_width("width2_um", width2_um, clamp=True)
    return two_port(_taper(wl, length_um, w1, w2, _loss(loss_db_per_m)))


def sin_ring_coupler(
    wl=WL0_UM, gap_um=2.3, radius_um=1000.0, width_um=2.8, coupling_length_um=0.0
) -> sax.SDict:
    """Ring-bus point coupler (lumped, zero length): CMT matrix of theta (see the module doc).

    Ports: o1 bus west, o4 bus east, o2 ring west, o3 ring east (bars o1-o4, o2-o3)."""
    wl = check_wl_um(wl)
    theta = coupler_theta(wl, gap_um, radius_um, width_um, coupling_length_um)
    t = jnp.cos(theta) + 0j
    k = -1j * jnp.sin(theta)
    return sax.reciprocal({("o1", "o4"): t, ("o2", "o3"): t, ("o1", "o3"): k, ("o2", "o4"): k})


_INNER = {"sin_straight": sin_straight, "sin_ring_coupler": sin_ring_coupler}

_ALLPASS_NETLIST = {
    "instances": {
        "cp": {"component": "sin_ring_coupler"},
        "loop": {"component": "sin_straight"},
    },
    "nets": [
        {"p1": "cp,o3", "p2": "loop,o1"},
        {"p1": "loop,o2", "p2": "cp,o2"},
    ],
    "ports": {"o1": "cp,o1", "o2": "cp,o4"},
}

_ADD_DROP_NETLIST = {
    # cp_top is the bottom coupler turned by 180 deg: its o1 (bus) is east-top, o4 (bus) west-top,
    # o2 (ring) east-bottom, o3 (ring) west-bottom
    "instances": {
        "cp_bot": {"component": "sin_ring_coupler"},
        "cp_top": {"component": "sin_ring_coupler"},
        "half_e": {"component": "sin_straight"},
        "half_w": {"component": "sin_straight"},
    },
    "nets": [
        {"p1": "cp_bot,o3", "p2": "half_e,o1"},  # up the east side
        {"p1": "half_e,o2", "p2": "cp_top,o2"},
        {"p1": "cp_top,o3", "p2": "half_w,o1"},  # down the west side
        {"p1": "half_w,o2", "p2": "cp_bot,o2"},
    ],
    # gdsfactory's 4-port convention: o1 west-bottom (in), o2 west-top (drop), o3 east-top (add),
    # o4 east-bottom (through)
    "ports": {"o1": "cp_bot,o1", "o2": "cp_top,o4", "o3": "cp_top,o1", "o4": "cp_bot,o4"},
}


def localize(circuit: Callable[..., sax.SDict]) -> Callable[..., sax.SDict]:
    """A sax circuit that hands its top-level settings (``wl``, ...) to each instance itself.

    sax forwards a top-level setting to the instances through ``jnp.asarray`` of *every* setting
    of every instance, which under ``jax.jit`` turns them all into tracers; the core widths must
    stay numbers (they select mode-table entries). This wrapper puts each top-level setting into
    the settings of every (nested) instance whose model takes it, so sax forwards nothing."""
    defaults = sax.get_settings(circuit)

    def push(given: dict[str, Any], glob: dict[str, Any], default: Mapping[str, Any]) -> dict:
        out = dict(given)
        for key, dflt in default.items():
            if isinstance(dflt, dict):
                out[key] = push(dict(out.get(key) or {}), glob, dflt)
            elif key in glob and key not in given:
                out[key] = glob[key]
        return out

    @functools.wraps(circuit)
    def localized(**settings: Any) -> sax.SDict:
        glob = {k: v for k, v in settings.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in settings.items() if isinstance(v, dict)}
        unknown = set(glob) - _leaf_keys(defaults)
        if unknown:
            raise ValueError(f"settings {sorted(unknown)} are taken by no instance of the circuit")
        return circuit(**push(nested, glob, defaults))

    return localized


def _leaf_keys(settings: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for k, v in settings.items():
        keys |= _leaf_keys(v) if isinstance(v, dict) else {k}
    return keys


@functools.cache
def _inner_circuit(which: str) -> Callable[..., sax.SDict]:
    netlist = {"allpass": _ALLPASS_NETLIST, "add_drop": _ADD_DROP_NETLIST}[which]
    circuit, _ = sax.circuit(netlist, _INNER, backend="filipsson_gunnar")
    return localize(circuit)


def sin_ring_bus(
    wl=WL0_UM,
    radius_um=1000.0,
    width_um=2.8,
    gap_um=2.3,
    coupling_length_um=0.0,
    bus_extension_um=50.0,
    bus_length_um=None,
    loss_db_per_m=None,
) -> sax.SDict:
    """All-pass microring (o1 bus west, o2 bus east): the sax circuit of the coupler and the ring
    loop (L = 2 pi R + 2 L_c), between the two halves of the bus (``bus_length_um`` from the
    cell's info; None: 2 (L_c/2 + R + w/2 + ``bus_extension_um``), as the cell draws it,
    unsnapped). The reflection-free bus halves are cascaded as factors (t_bus/2 on each side of
    every entry): as sax instances they would cost four times the circuit's evaluation time."""
    wl = check_wl_um(wl)
    width_um = _check_ring(gap_um, radius_um, width_um, coupling_length_um)
    if bus_length_um is None:
        _length("bus_extension_um", bus_extension_um)
        bus_length_um = 2 * (coupling_length_um / 2 + radius_um + width_um / 2 + bus_extension_um)
    bus_length_um = _length("bus_length_um", bus_length_um)
    loss = _loss(loss_db_per_m)
    core = _inner_circuit("allpass")(
        wl=wl,
        loop={
            "length_um": ring_length_um(radius_um, coupling_length_um),
            "width_um": width_um,
            "loss_db_per_m": loss,
        },
        cp={
            "gap_um": gap_um,
            "radius_um": radius_um,
            "width_um": width_um,
            "coupling_length_um": coupling_length_um,
        },
    )
    t_bus = _guide(wl, bus_length_um, width_um, loss)  # (t_bus/2)^2 on every path o_i -> o_j
    return {k: v * t_bus for k, v in core.items()}


def ring_add_drop(
    wl=WL0_UM,
    radius_um=1000.0,
    width_um=2.8,
    gap_um=2.3,
    drop_gap_um=None,
    coupling_length_um=0.0,
    loss_db_per_m=None,
) -> sax.SDict:
    """Add-drop microring (o1 in, o4 through, o2 drop, o3 add): circuit of two ring-bus couplers
    (``gap_um`` at the bottom bus, ``drop_gap_um`` at the top one; None: symmetric) and two half
    loops of L/2. No layout cell uses it yet (not in :data:`MODELS`)."""
    wl = check_wl_um(wl)
    drop_gap_um = gap_um if drop_gap_um is None else drop_gap_um
    width_um = _check_ring(gap_um, radius_um, width_um, coupling_length_um)
    check_param("drop_gap_um", drop_gap_um, *modes.gap_range_um(), "um")
    guide = {"width_um": width_um, "loss_db_per_m": _loss(loss_db_per_m)}
    half = {"length_um": ring_length_um(radius_um, coupling_length_um) / 2, **guide}
    cp = {"radius_um": radius_um, "width_um": width_um, "coupling_length_um": coupling_length_um}
    return _inner_circuit("add_drop")(
        wl=wl,
        half_e=half,
        half_w=half,
        cp_bot={"gap_um": gap_um, **cp},
        cp_top={"gap_um": drop_gap_um, **cp},
    )


def sin_edge_coupler(
    wl=WL0_UM,
    taper_length_um=500.0,
    tip_width_um=0.8,
    width_um=2.8,
    coupling_loss_dB=None,
    reflection_dB=None,
    loss_db_per_m=None,
) -> sax.SDict:
    """Inverse-taper edge coupler: o1 facet (fibre side), o2 waveguide (``width_um``).

    S_21 = tau sqrt(eta) t, S_11 = -rho eta, S_22 = rho t^2 (module doc); ``coupling_loss_dB``
    (default :data:`EDGE_COUPLER_LOSS_DB`) the fibre mode mismatch, ``reflection_dB`` (default
    :data:`EDGE_COUPLER_REFLECTION_DB`) the facet's power reflection."""
    wl = check_wl_um(wl)
    taper_length_um = _length("taper_length_um", taper_length_um)
    w_tip = _static_width("tip_width_um", tip_width_um, clamp=True)
    w = _static_width("width_um", width_um, clamp=True)
    loss = _loss(coupling_loss_dB, "coupling_loss_dB", EDGE_COUPLER_LOSS_DB)
    refl = EDGE_COUPLER_REFLECTION_DB if reflection_dB is None else reflection_dB
    refl = check_param("reflection_dB", refl, -300.0, -1e-3, "dB")
    t = _taper(wl, taper_length_um, w_tip, w, _loss(loss_db_per_m))
    r_pow = 10.0 ** (jnp.asarray(refl) / 10.0)
    rho, tau = jnp.sqrt(r_pow), jnp.sqrt(1.0 - r_pow)
    eta = db_to_amp(loss) ** 2
    return _two_port(-rho * eta * jnp.ones_like(t), tau * jnp.sqrt(eta) * t, rho * t * t)


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

    width_um = _static_width("facet_width_um", width_um)
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
    air_gap_um=1.0,
    facet_width_um=2.8,
    taper_length_um=50.0,
    width_um=2.8,
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
    the facet mode's (default :func:`facet_mode_radii_um` of ``facet_width_um``)."""
    wl = check_wl_um(wl)
    d = check_param("air_gap_um", air_gap_um, *AIR_GAP_RANGE_UM, "um")
    w_f = _static_width("facet_width_um", facet_width_um)
    w = _static_width("width_um", width_um, clamp=True)
    taper_length_um = _length("taper_length_um", taper_length_um)
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
    n_f = _index(wl, w_f)
    r = (n_f - 1.0) / (n_f + 1.0)
    tau = jnp.sqrt(1.0 - r * r)
    t = _taper(wl, taper_length_um, w_f, w, _loss(loss_db_per_m))
    k0d = 2.0 * jnp.pi * d / wl
    c_ls = _gauss_c(wl, d, lx, fx) * _gauss_c(wl, d, ly, fy)
    c_ll = _gauss_c(wl, 2 * d, lx, lx) * _gauss_c(wl, 2 * d, ly, ly)
    s21 = tau * c_ls * _phasor(k0d) * t
    s11 = -r * c_ll * _phasor(2 * k0d)
    s22 = r * t * t
    if laser_facet_reflection_dB is not None:
        refl = check_param(
            "laser_facet_reflection_dB", laser_facet_reflection_dB, -300.0, -1e-3, "dB"
        )
        r_l = 10.0 ** (jnp.asarray(refl) / 20.0)
        laser = (r_l + 0j, jnp.sqrt(1.0 - r_l * r_l) + 0j, -r_l + 0j)
        s11, s21, s22 = _star(laser, (s11, s21, s22))
    ones = jnp.ones_like(wl)
    return _two_port(s11 * ones, s21, s22)


#: Leaf models keyed by cell function name: every Si3N4 cell with optical ports, the routing
#: cells included (gdsfactory's ``"straight"``/``"bend_euler"``/``"taper"`` are ``sin_straight``/
#: ``sin_bend_euler``/``sin_taper``). ``sin_ring_heater``, ``sin_pad`` and ``sin_metal_straight``
#: have no optical port (the process states no thermo-optic coefficient: the ring is simulated
#: unheated); :func:`prepare_netlist` leaves them out of a circuit.
MODELS: dict[str, Callable[..., sax.SDict]] = {
    f.__name__: f
    for f in (
        sin_straight,
        sin_taper,
        sin_bend_euler,
        sin_ring_bus,
        sin_edge_coupler,
        sin_pump_facet,
    )
}


# --- netlists -> circuits ---------------------------------------------------------------------


def prepare_netlist(recnet: Mapping[str, Any]) -> dict[str, Any]:
    """A recursive gdsfactory netlist made ready for ``sax.circuit(..., MODELS)``: the optical
    nets, ports and instances of every (sub-)netlist (the heater, traces and pads have no optical
    model). The input is not modified; the first key stays the top level."""
    import copy

    from qkdchip.circuits.server_chip import optical_netlist

    return {name: optical_netlist(copy.deepcopy(dict(net))) for name, net in recnet.items()}


def cell_model(component, backend: str = "filipsson_gunnar") -> Callable[..., sax.SDict]:
    """The S-matrix model of one Si3N4 cell instance: ``f(wl=..., **settings) -> SDict``.

    A leaf cell gets its :data:`MODELS` entry with the cell's settings and info bound (info over
    settings, as sax does); a hierarchical cell (a chip) gets the sax circuit of its own recursive
    netlist, prepared by :func:`prepare_netlist` (wrapped by :func:`localize`: jit-safe)."""
    name = component.function_name
    if name in MODELS:
        model = MODELS[name]
        accepted = sax.get_settings(model)
        given = {**dict(component.settings), **dict(component.info)}
        bound = {k: v for k, v in given.items() if k in accepted and k != "wl"}
        return functools.partial(model, **bound)
    circuit, _ = sax.circuit(
        prepare_netlist(component.get_netlist(recursive=True)), MODELS, backend=backend
    )
    return localize(circuit)
