"""sax S-matrix models of the InP client-chip cells, and InP circuits from the layout's netlist.

Conventions (:mod:`qkdchip.sims.models`): 64-bit JAX, sax "optical" port naming, ``wl`` in um
(scalar or array), lengths in um, losses in dB, voltages in V. Each model is keyed in
:data:`MODELS` by the name of the cell function it describes and returns a reciprocal
``sax.SDict`` over exactly the cell's *optical* ports (electrodes ``e<n>`` are not optical ports).

Where the numbers come from (one home each):

* geometry (lengths, split ratios, path lengths) from the cell: the netlist instance's
  ``settings`` and ``info`` (sax merges ``info`` into the settings it passes to the model);
* defaults: every keyword that is also a parameter of the modelled cell takes the cell's default,
  read from the cell function's signature (:func:`qkdchip.base.params.defaults_of`), never typed
  again (``tests/test_model_contract.py`` checks it for every model);
* process constants from :data:`qkdchip.pdk.inp.process.PROCESS`, read at call time;
* the ``*_dB``/``*_per_cm`` keyword overrides (default ``None`` = the process value) exist for
  the lossless limits of the tests and for batched yield studies.

Physics of each block (generic InP; Smit et al., Semicond. Sci. Technol. 29, 083001 (2014)):

* **Waveguides and bends** (``inp_deep``, ``inp_shallow``): t = 10^(-a L / 20) exp(i 2 pi n(wl) L
  / wl) with n(wl) = n_eff + (n_eff - n_g)(wl - wl0)/wl0 (first-order dispersion: group delay n_g
  L / c at wl0, :func:`~qkdchip.sims.models.common.n_eff_dispersive` with beta2 = 0, because the
  process gives no group-velocity dispersion for InP; |beta2| of order 1 ps^2/m gives a few
  1e-3 ps^2 over this few-mm chain, negligible for 1 GHz pulses). a = the cross-section loss in
  dB/cm. Bends: the same over their arc
  length (bend radiation loss is not a process figure; radii >= radius_min keep it small). The
  Euler routing bend's length (1 + p) (pi/2) R0 is computed from its radius by the layout's own
  geometry (:func:`qkdchip.components.euler.euler_bend`), as the cell draws it.
* **Deep-to-shallow transition**: half its length at each cross-section's index, lumped loss
  ``PROCESS.transition_loss_dB`` (the cells' loss budgets treat it the same way).
* **MMI 1x2** (o1 -> o2 upper, o3 lower): S_21 = sqrt(k) a e^(i phi), S_31 = sqrt(1 - k) a e^(i
  phi), no reflection, no o2-o3 coupling; k = ``split_ratio`` (power to o2), a = 10^(-(excess +
  propagation)/20), phi the deep-ridge phase over the body and both tapers (a common phase: the
  self-images of a symmetric 1x2 are in phase, Soldano & Pennings, JLT 13, 615 (1995)). The
  splitting is taken wavelength-independent over the model range (an MMI is broadband to ~+-50
  nm). Column o1 is unitary in the lossless limit; light entering o2 or o3 loses half its power
  to the antisymmetric mode (radiated), so the 3-port itself cannot be unitary.
* **MMI 2x2** (general interference, 3L_pi/2): [[t, -i kappa], [-i kappa, t]] times the common
  propagation factor, kappa^2 = ``split_ratio`` = power from o1 to the upper output o3 (cross);
  unitary in the lossless limit.
* **EO section** (reverse-biased p-i-n): phi = pi V / V_pi (wl0 / wl), V_pi = (V_pi L) / L
  (``PROCESS.eo_vpi_l_V_mm``): the index change is linear in V (linearised about the bias), so the
  phase scales as 1/wl. Insertion loss ``PROCESS.eo_loss_dB_per_mm`` x L under the electrode and
  the deep-ridge loss over the passive ends (``path_length_um - length_um``). ``voltage_V`` is the
  deviation from the bias point; allowed |V| <= 2 V_pi (one period of every transfer function
  either side of the bias, the range over which the linear model is used).
* **Phase modulator, Mach-Zehnder modulator**: no leaf model: they are circuits of their own
  netlists (EO section; MMIs + S-bends + EO arms). A push-pull drive +V / -V on the arms gives
  E = sqrt(k1 k2) t1 e^(i phi1) + sqrt((1-k1)(1-k2)) t2 e^(i phi2); the finite extinction ratio
  ER = ((A + B)/(A - B))^2 follows from the splitter imbalance k1, k2 that the MZM cell stores in
  ``info`` and that :func:`prepare_netlist` hands to its two MMIs.
* **VOA** (electro-absorption, ``PROCESS.voa_mechanism``): attenuation at reverse bias V in [0,
  V_max], A(V) = A_max (V / V_max)^2, A_max = ``voa_absorption_dB_per_mm`` x L: the quadratic
  (second-order) Stark shift of the exciton, ~F^2 (Miller et al., PRB 32, 1043 (1985)), moves
  the absorption edge towards the operating wavelength; the added absorption is taken
  proportional to the shift (a smooth monotone curve through the two process points 0 at 0 V and
  A_max at V_max). Zero-bias loss: residual absorption x L, two transitions, shallow ridge.
* **DBR laser**: a *source*, not a passive element. Its model is an ideal reference-plane
  passthrough between o1 (rear/injection mirror) and o2 (output): S_21 = 1, no reflection (a
  unitary two-port), so that the chip netlist stays one connected circuit; the emitted power and
  wavelength are in the cell's ``info`` (``output_power_mW``, ``bragg_period_nm``). The client
  chip's *source view* (:mod:`qkdchip.sims.client`) cuts the netlist at the laser output, whose
  port then carries the emitted field: P_out = P_laser |S_out,laser|^2.
* **Angled SSC facet** (o1 chip side, o2 fibre side): a lossless interface [[rho, tau], [tau,
  -rho*]] (rho = sqrt(R), R = ``reflection_dB``, the power reflected back into the waveguide mode,
  tau = sqrt(1 - R)) behind the SSC propagation phase, followed by the mode-mismatch loss eta on
  the fibre side, eta = 10^(-``coupling_loss_dB``/10): |S_21|^2 = (1 - R) eta is the stated coupling
  loss and |S_11|^2 the stated reflection; unitary when the coupling loss is 0 dB. The SSC is
  phased with the shallow ridge index (the mode expands in the taper; only the phase is affected).

Circuits: ``sax.circuit(prepare_netlist(c.get_netlist(recursive=True), c.info), MODELS)``
simulates any InP cell or chip (:func:`cell_model` does it for one component;
:mod:`qkdchip.sims.client` for the client chip).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sax

from qkdchip.base.params import defaults_of
from qkdchip.components import inp as _cells
from qkdchip.components.euler import euler_bend
from qkdchip.pdk.inp.layers import XSECTIONS
from qkdchip.pdk.inp.process import PROCESS

# (importing qkdchip.sims.models.* runs the package __init__ first: 64-bit JAX, port naming)
from qkdchip.sims.models import cells as _cell_models
from qkdchip.sims.models.cells import optical_ports
from qkdchip.sims.models.common import (
    check_param,
    check_wl,
    coupler_2x2,
    db_to_amp,
    n_eff_dispersive,
    two_port,
)

__all__ = [
    "MAX_LENGTH_UM",
    "MODELS",
    "WL0_UM",
    "cell_model",
    "eo_vpi_v",
    "inp_bend_circular",
    "inp_bend_euler",
    "inp_bend_s",
    "inp_dbr_laser",
    "inp_eo_section",
    "inp_facet_ssc",
    "inp_mmi1x2",
    "inp_mmi2x2",
    "inp_straight",
    "inp_taper_deep_shallow",
    "inp_voa",
    "optical_ports",
    "prepare_netlist",
    "voa_attenuation_db",
]

#: Reference wavelength of the dispersion expansion and of V_pi (um): the process design wavelength.
WL0_UM = PROCESS.wavelength_nm * 1e-3
#: Largest length any model accepts (um): a generous model-domain bound (the die is 4.6 mm long).
MAX_LENGTH_UM = 1e5
#: Largest loss override any model accepts (dB, dB/cm or dB/mm).
_MAX_LOSS = 1e3
#: Self-imaging lengths of the MMIs in beat lengths L_pi (Soldano & Pennings, J. Lightwave
#: Technol. 13, 615 (1995)): 1x2 symmetric interference 3/8, 2x2 general interference 3/2.
_MMI_IMAGE_BEATS = {"inp_mmi1x2": 3.0 / 8.0, "inp_mmi2x2": 3.0 / 2.0}

#: The cells' defaults, read from their signatures (the models' defaults).
_DEF = {
    name: defaults_of(getattr(_cells, name))
    for name in (
        "inp_straight",
        "inp_bend_circular",
        "inp_bend_euler",
        "inp_bend_s",
        "inp_taper_deep_shallow",
        "inp_mmi1x2",
        "inp_mmi2x2",
        "inp_eo_section",
        "inp_voa",
    )
}


def _is_concrete(x: Any) -> bool:
    return not isinstance(x, jax.core.Tracer)


@functools.cache
def _transition_length_um() -> float:
    """Length of the deep-to-shallow transition drawn inside the VOA, laser and facet cells (um).

    The one home of this number is the InP layout helpers; imported lazily (gdsfactory)."""
    from qkdchip.components.inp._geometry import TRANSITION_LENGTH_UM

    return float(TRANSITION_LENGTH_UM)


def _length(name: str, value: Any, lo: float = 0.0):
    """A length (um) in [lo, MAX_LENGTH_UM]: ValueError naming ``name`` otherwise."""
    return check_param(name, value, lo, MAX_LENGTH_UM, "um")


def _loss(name: str, value: Any, default: float) -> Any:
    """A loss override (None: the process value), range-checked >= 0 (unit: see the name)."""
    if value is None:
        return default
    return check_param(name, value, 0.0, _MAX_LOSS)


def _xs(cross_section: str) -> tuple[float, float, float]:
    """(n_eff, n_g, loss dB/cm) of an InP waveguide cross-section, from PROCESS."""
    p = PROCESS
    if cross_section == "inp_deep":
        return p.deep_neff, p.deep_ng, p.deep_loss_dB_per_cm
    if cross_section == "inp_shallow":
        return p.shallow_neff, p.shallow_ng, p.shallow_loss_dB_per_cm
    raise ValueError(
        f"cross_section={cross_section!r} has no optical model: allowed ('inp_deep', 'inp_shallow')"
    )


def _opl(wl, length_um, cross_section: str):
    """Optical path n(wl) L (um) of a section of ``cross_section`` (first-order dispersion)."""
    n, ng, _ = _xs(cross_section)
    return n_eff_dispersive(wl, n, ng, 0.0, WL0_UM) * length_um


def _guide_loss_db(length_um, cross_section: str, loss_dB_per_cm=None):
    """Propagation loss (dB) of ``length_um`` of ``cross_section`` (override: dB/cm)."""
    loss = _loss("loss_dB_per_cm", loss_dB_per_cm, _xs(cross_section)[2])
    return loss * length_um * 1e-4


def _transition_opl(wl, length_um):
    """Optical path of a deep-to-shallow transition: half its length at each index."""
    return _opl(wl, length_um / 2, "inp_deep") + _opl(wl, length_um / 2, "inp_shallow")


def _t(wl, opl_um, loss_db, extra_phase=0.0):
    """Field transmission 10^(-loss/20) exp(i (2 pi opl / wl + extra_phase)).

    One cosine and one sine per call: the phases of a cell's sections are summed first (the
    transcendental functions dominate the cost of a 10,000-point sweep)."""
    phi = 2.0 * jnp.pi * opl_um / wl + extra_phase
    return db_to_amp(loss_db) * jax.lax.complex(jnp.cos(phi), jnp.sin(phi))


def eo_vpi_v(length_um: float, wl_um: float = WL0_UM) -> float:
    """Half-wave voltage of an EO section of electrode ``length_um`` > 0 (V):
    V_pi = (V_pi L) / L x wl / wl0. The closed form the tests check the S-matrix against; the
    client figures use it only to size their voltage sweeps (the results are read from S)."""
    check_param("length_um", length_um, 1e-3, MAX_LENGTH_UM, "um")
    return PROCESS.eo_vpi_l_V_mm / (length_um * 1e-3) * (wl_um / WL0_UM)


def voa_attenuation_db(length_um, voltage_V):
    """Bias-dependent attenuation of the EA VOA (dB): A_max (V / V_max)^2 (see module doc)."""
    a_max = PROCESS.voa_absorption_dB_per_mm * length_um * 1e-3
    return a_max * (voltage_V / PROCESS.voa_max_reverse_bias_V) ** 2


# --- passive waveguides -----------------------------------------------------------------------


def inp_straight(
    wl=WL0_UM,
    length_um=_DEF["inp_straight"]["length_um"],
    cross_section: str = _DEF["inp_straight"]["cross_section"],
    loss_dB_per_cm=None,
) -> sax.SDict:
    """Straight waveguide (o1, o2): t = 10^(-a L/20) exp(i 2 pi n(wl) L / wl)."""
    wl = check_wl(wl)
    length_um = _length("length_um", length_um)
    loss_db = _guide_loss_db(length_um, cross_section, loss_dB_per_cm)
    return two_port(_t(wl, _opl(wl, length_um, cross_section), loss_db))


def inp_bend_circular(
    wl=WL0_UM,
    length_um=0.0,
    cross_section: str = _DEF["inp_bend_circular"]["cross_section"],
    loss_dB_per_cm=None,
) -> sax.SDict:
    """Circular bend (o1, o2) of arc length ``length_um`` (= R theta, from the cell's info):
    a straight guide of that length (bend radiation loss neglected)."""
    return inp_straight(wl, length_um, cross_section, loss_dB_per_cm)


def inp_bend_euler(
    wl=WL0_UM,
    radius_um=_DEF["inp_bend_euler"]["radius_um"],
    cross_section: str = _DEF["inp_bend_euler"]["cross_section"],
    loss_dB_per_cm=None,
) -> sax.SDict:
    """90-degree Euler routing bend (o1, o2) of floorplan radius ``radius_um`` (None: the
    cross-section's routing radius, as the cell): a straight guide of the bend's centre-line
    length, from the cell's own geometry (bend radiation loss neglected)."""
    _xs(cross_section)  # ValueError naming cross_section if it has no optical model
    spec = XSECTIONS[cross_section]
    radius = spec.radius_um if radius_um is None else radius_um
    if not _is_concrete(radius):
        raise ValueError(
            "radius_um cannot be a traced (batched) value: the bend's Euler fraction is solved "
            "per radius"
        )
    radius = float(check_param("radius_um", radius, spec.radius_min_um, MAX_LENGTH_UM, "um"))
    length = euler_bend(radius, spec.radius_min_um).length_um
    return inp_straight(wl, length, cross_section, loss_dB_per_cm)


def inp_bend_s(
    wl=WL0_UM,
    length_um=0.0,
    cross_section: str = _DEF["inp_bend_s"]["cross_section"],
    loss_dB_per_cm=None,
) -> sax.SDict:
    """Two-arc S-bend (o1, o2) of path length ``length_um`` (= 2 R theta, from the cell's info):
    a straight guide of that length (bend radiation loss neglected)."""
    return inp_straight(wl, length_um, cross_section, loss_dB_per_cm)


def inp_taper_deep_shallow(
    wl=WL0_UM, length_um=_DEF["inp_taper_deep_shallow"]["length_um"], transition_loss_dB=None
) -> sax.SDict:
    """Deep (o1) to shallow (o2) transition: lumped ``PROCESS.transition_loss_dB``."""
    wl = check_wl(wl)
    length_um = _length("length_um", length_um)
    loss = _loss("transition_loss_dB", transition_loss_dB, PROCESS.transition_loss_dB)
    return two_port(_t(wl, _transition_opl(wl, length_um), loss))


# --- MMIs -------------------------------------------------------------------------------------


def _mmi_common(cell, wl, width_um, length_um, taper_length_um, excess_loss_dB, loss_dB_per_cm):
    if length_um is None:  # the self-imaging length of the body, as the cell draws it by default
        if not _is_concrete(width_um):
            raise ValueError(
                "width_um cannot be a traced (batched) value when length_um is None: give the "
                "MMI body length"
            )
        width_um = check_param("width_um", width_um, 1.0, MAX_LENGTH_UM, "um")
        length_um = _MMI_IMAGE_BEATS[cell] * PROCESS.mmi_beat_length_um(float(width_um))
    length_um = _length("length_um", length_um)
    taper_length_um = _length("taper_length_um", taper_length_um)
    excess = _loss("excess_loss_dB", excess_loss_dB, PROCESS.mmi_excess_loss_dB)
    path_um = length_um + 2 * taper_length_um
    loss_db = excess + _guide_loss_db(path_um, "inp_deep", loss_dB_per_cm)
    return _t(wl, _opl(wl, path_um, "inp_deep"), loss_db)


def inp_mmi1x2(
    wl=WL0_UM,
    width_um=_DEF["inp_mmi1x2"]["width_um"],
    length_um=_DEF["inp_mmi1x2"]["length_um"],
    taper_length_um=_DEF["inp_mmi1x2"]["taper_length_um"],
    split_ratio=0.5,
    excess_loss_dB=None,
    loss_dB_per_cm=None,
) -> sax.SDict:
    """1x2 MMI: o1 -> o2 (power ``split_ratio``) and o3 (1 - ``split_ratio``), in phase.

    ``length_um`` None: the body length the cell draws by default, the self-imaging length
    3 L_pi / 8 of a body ``width_um`` wide (``PROCESS.mmi_beat_length_um``)."""
    wl = check_wl(wl)
    split_ratio = check_param("split_ratio", split_ratio, 0.0, 1.0)
    t = _mmi_common(
        "inp_mmi1x2", wl, width_um, length_um, taper_length_um, excess_loss_dB, loss_dB_per_cm
    )
    return sax.reciprocal(
        {("o1", "o2"): jnp.sqrt(split_ratio) * t, ("o1", "o3"): jnp.sqrt(1.0 - split_ratio) * t}
    )


def inp_mmi2x2(
    wl=WL0_UM,
    width_um=_DEF["inp_mmi2x2"]["width_um"],
    length_um=_DEF["inp_mmi2x2"]["length_um"],
    taper_length_um=_DEF["inp_mmi2x2"]["taper_length_um"],
    split_ratio=0.5,
    excess_loss_dB=None,
    loss_dB_per_cm=None,
) -> sax.SDict:
    """2x2 MMI 3-dB coupler: bars o1-o4, o2-o3 (sqrt(1-k)), crosses o1-o3, o2-o4 (-i sqrt(k)).

    ``length_um`` None: the body length the cell draws by default, the self-imaging length
    3 L_pi / 2 of a body ``width_um`` wide (``PROCESS.mmi_beat_length_um``)."""
    wl = check_wl(wl)
    split_ratio = check_param("split_ratio", split_ratio, 0.0, 1.0)
    t = _mmi_common(
        "inp_mmi2x2", wl, width_um, length_um, taper_length_um, excess_loss_dB, loss_dB_per_cm
    )
    return {k: v * t for k, v in coupler_2x2(wl, split_ratio).items()}


# --- electro-optic section, VOA -------------------------------------------------------------------


def _check_path(length_um, path_length_um, extra_um: float = 0.0) -> None:
    if _is_concrete(length_um) and _is_concrete(path_length_um):
        lo = np.asarray(length_um, dtype=float) + extra_um
        p = np.asarray(path_length_um, dtype=float)
        if np.any(p < lo - 1e-9):
            raise ValueError(
                f"path_length_um={p.min():g} um is shorter than the active length plus the "
                f"passive parts: allowed >= {lo.max():g} um"
            )


def inp_eo_section(
    wl=WL0_UM,
    length_um=_DEF["inp_eo_section"]["length_um"],
    path_length_um=None,
    voltage_V=0.0,
    eo_loss_dB_per_mm=None,
    loss_dB_per_cm=None,
) -> sax.SDict:
    """EO phase-shifter section (o1, o2): phase pi V / V_pi(wl) on top of the deep-ridge phase.

    ``length_um`` is the electrode length, ``path_length_um`` the whole optical path (electrode
    plus passive ends, from the cell's info; None: the electrode alone); ``voltage_V`` the drive
    about the bias point, |V| <= 2 V_pi(wl0)."""
    wl = check_wl(wl)
    length_um = _length("length_um", length_um)
    path_length_um = length_um if path_length_um is None else path_length_um
    path_length_um = _length("path_length_um", path_length_um)
    _check_path(length_um, path_length_um)
    if _is_concrete(length_um):
        l_min = float(np.min(np.asarray(length_um, dtype=float)))
        vmax = 2.0 * PROCESS.eo_vpi_l_V_mm / (l_min * 1e-3) if l_min > 0 else np.inf
        check_param("voltage_V", voltage_V, -vmax, vmax, "V")
    eo_loss = _loss("eo_loss_dB_per_mm", eo_loss_dB_per_mm, PROCESS.eo_loss_dB_per_mm)
    loss_db = eo_loss * length_um * 1e-3 + _guide_loss_db(
        path_length_um - length_um, "inp_deep", loss_dB_per_cm
    )
    # phi = pi V / V_pi(wl) with V_pi(wl) = (V_pi L) / L x wl / wl0 (finite also for L = 0)
    phi_eo = jnp.pi * voltage_V * length_um * 1e-3 / PROCESS.eo_vpi_l_V_mm * (WL0_UM / wl)
    return two_port(_t(wl, _opl(wl, path_length_um, "inp_deep"), loss_db, phi_eo))


def inp_voa(
    wl=WL0_UM, length_um=_DEF["inp_voa"]["length_um"], path_length_um=None, voltage_V=0.0
) -> sax.SDict:
    """Electro-absorption VOA (o1, o2); ``voltage_V`` = reverse bias in [0, V_max] (V_max =
    ``PROCESS.voa_max_reverse_bias_V``): attenuation A_max (V/V_max)^2 on top of the zero-bias
    loss (residual absorption x L, two transitions, the passive shallow ridge).
    ``path_length_um``: the whole cell (None: absorber and the two transitions only)."""
    wl = check_wl(wl)
    length_um = _length("length_um", length_um)
    lt = _transition_length_um()
    path_length_um = length_um + 2 * lt if path_length_um is None else path_length_um
    path_length_um = _length("path_length_um", path_length_um)
    _check_path(length_um, path_length_um, 2 * lt)
    voltage_V = check_param("voltage_V", voltage_V, 0.0, PROCESS.voa_max_reverse_bias_V, "V")
    p = PROCESS
    loss_db = (
        2 * p.transition_loss_dB
        + p.shallow_loss_dB_per_cm * (path_length_um - 2 * lt - length_um) * 1e-4
        + p.voa_loss_dB_per_mm * length_um * 1e-3
        + voa_attenuation_db(length_um, voltage_V)
    )
    opl = 2 * _transition_opl(wl, lt) + _opl(wl, path_length_um - 2 * lt, "inp_shallow")
    return two_port(_t(wl, opl, loss_db))


# --- laser, facet -----------------------------------------------------------------------------


def inp_dbr_laser(wl=WL0_UM) -> sax.SDict:
    """DBR laser as a source: an ideal reference-plane passthrough o1 <-> o2 (see module doc).

    The emitted power and wavelength are the cell's ``info`` (``output_power_mW``,
    ``bragg_period_nm``); the field leaves through o2."""
    wl = check_wl(wl)
    return two_port(jnp.ones_like(wl, dtype=jnp.complex128))


def inp_facet_ssc(
    wl=WL0_UM, path_length_um=None, coupling_loss_dB=None, reflection_dB=None
) -> sax.SDict:
    """Angled SSC facet: o1 (chip waveguide) <-> o2 (fibre); coupling loss and back-reflection.

    S_11 = sqrt(R) e^(2 i phi), S_21 = sqrt((1 - R) eta) e^(i phi), S_22 = -sqrt(R) eta with
    R = 10^(reflection_dB/10) and eta = 10^(-coupling_loss_dB/10) (see module doc): the stated
    coupling loss is the mode mismatch to the fibre, the residual Fresnel transmission 1 - R adds
    -10 log10(1 - R) (4e-4 dB at R = -40 dB). ``path_length_um``: the SSC path (None: the
    transition only)."""
    wl = check_wl(wl)
    lt = _transition_length_um()
    path_length_um = lt if path_length_um is None else path_length_um
    path_length_um = _length("path_length_um", path_length_um, lt)
    loss = _loss("coupling_loss_dB", coupling_loss_dB, PROCESS.ssc_loss_dB)
    refl = PROCESS.facet_reflection_dB if reflection_dB is None else reflection_dB
    refl = check_param("reflection_dB", refl, -300.0, -1e-3, "dB")
    opl = _transition_opl(wl, lt) + _opl(wl, path_length_um - lt, "inp_shallow")
    phase = _t(wl, opl, 0.0)
    r_pow = 10.0 ** (jnp.asarray(refl) / 10.0)
    eta = db_to_amp(loss) ** 2
    rho = jnp.sqrt(r_pow)
    t = jnp.sqrt((1.0 - r_pow) * eta) * phase
    return {
        ("o1", "o1"): rho * phase**2,
        ("o1", "o2"): t,
        ("o2", "o1"): t,
        ("o2", "o2"): -rho * eta * jnp.ones_like(wl) + 0j,
    }


#: Leaf models keyed by cell function name, the routing cells included (gdsfactory's
#: ``"straight"``/``"bend_euler"``/``"bend_circular"`` and the deep-to-shallow transition are
#: InP cells). The hierarchical cells ``inp_phase_modulator`` and ``inp_mzm`` are circuits of
#: their own netlists (see :func:`prepare_netlist`); the pads and wires have no optical port.
MODELS: dict[str, Callable[..., sax.SDict]] = {
    f.__name__: f
    for f in (
        inp_straight,
        inp_bend_circular,
        inp_bend_euler,
        inp_bend_s,
        inp_taper_deep_shallow,
        inp_mmi1x2,
        inp_mmi2x2,
        inp_eo_section,
        inp_voa,
        inp_dbr_laser,
        inp_facet_ssc,
    )
}


# --- netlists -> circuits ---------------------------------------------------------------------


def _optical_flat(net: Mapping[str, Any]) -> dict[str, Any]:
    """The optical part of a flat netlist (see ``circuits.client_chip.optical_netlist``)."""
    from qkdchip.circuits.client_chip import optical_netlist

    return optical_netlist(dict(net))


def _branch_y(net: Mapping[str, Any], start: str, stop: str) -> float:
    """Mean placement y of the two-port instances met walking from port ``start`` to instance
    ``stop`` (an MZM arm between its splitter and combiner)."""
    partner = {}
    for n in net["nets"]:
        partner[n["p1"]], partner[n["p2"]] = n["p2"], n["p1"]
    ys, ref, seen = [], start, set()
    while True:
        nxt = partner.get(ref)
        if nxt is None:
            raise ValueError(f"prepare_netlist: MZM branch from {start} is open at {ref}")
        inst, port = nxt.split(",", 1)
        if inst == stop:
            return float(np.mean(ys)) if ys else 0.0
        if inst in seen:
            raise ValueError(f"prepare_netlist: MZM branch from {start} loops at {inst}")
        seen.add(inst)
        ys.append(float(net.get("placements", {}).get(inst, {}).get("y", 0.0)))
        ref = f"{inst},{'o2' if port == 'o1' else 'o1'}"  # through the two-port


def _set_ratio(inst: dict[str, Any], value: float) -> None:
    for key in ("settings", "info"):  # sax merges info over settings: set both
        inst[key] = {**(inst.get(key) or {}), "split_ratio": float(value)}


def _push_mzm_ratios(net: dict[str, Any], k1: float, k2: float) -> None:
    """Give the splitter and combiner of an MZM netlist its imbalance (k1, k2 of the MZM cell).

    The splitter is the instance at the cell's port o1, the combiner the one at o2 (1x2 MMIs,
    ports o2/o3 towards the arms). k1 (k2) is the power fraction into (from) the *upper* arm,
    the branch whose instances lie at larger y; the 1x2 model's ``split_ratio`` refers to its
    own port o2, so the ratio is k or 1 - k depending on which port faces the upper arm."""
    mmi_in = net["ports"]["o1"].split(",", 1)[0]
    mmi_out = net["ports"]["o2"].split(",", 1)[0]
    for name, k, other in ((mmi_in, k1, mmi_out), (mmi_out, k2, mmi_in)):
        inst = net["instances"][name]
        if inst["component"] != "inp_mmi1x2":
            raise ValueError(
                f"prepare_netlist: MZM port instance {name!r} is {inst['component']!r}, "
                "expected an inp_mmi1x2 splitter/combiner"
            )
        y2 = _branch_y(net, f"{name},o2", other)
        y3 = _branch_y(net, f"{name},o3", other)
        _set_ratio(inst, k if y2 > y3 else 1.0 - k)


def prepare_netlist(
    recnet: Mapping[str, Any], top_info: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A recursive gdsfactory netlist made ready for ``sax.circuit(..., MODELS)``.

    * keeps the optical nets, ports and instances of every (sub-)netlist (electrodes, wires and
      pads have no optical model);
    * hands each MZM's splitter imbalance to its MMIs: an instance whose cell ``info`` carries
      ``split_ratio`` and ``combine_ratio`` and whose component is a sub-netlist (``inp_mzm``) gets
      them written into the ``split_ratio`` of its splitter and combiner (:func:`_push_mzm_ratios`)
      so that the extinction ratio follows from the layout cell's own numbers.

    ``top_info`` is the ``info`` of the top-level cell itself (a stand-alone ``inp_mzm``: its own
    k1, k2). The input is not modified. The first key stays the top level."""
    out = {name: _optical_flat(copy.deepcopy(dict(net))) for name, net in recnet.items()}
    users = [(next(iter(out)), dict(top_info or {}))]
    for parent in out.values():
        users += [(i["component"], dict(i.get("info") or {})) for i in parent["instances"].values()]
    for name, info in users:
        sub = out.get(name)
        if sub is not None and "split_ratio" in info and "combine_ratio" in info:
            _push_mzm_ratios(sub, info["split_ratio"], info["combine_ratio"])
    return out


def cell_model(component, backend: str = "klu") -> Callable[..., sax.SDict]:
    """The S-matrix model of one InP cell instance: ``f(wl=..., **settings) -> SDict``
    (:func:`qkdchip.sims.models.cells.cell_model`): a leaf cell's :data:`MODELS` entry with its
    settings and info bound, or, for a hierarchical cell (``inp_phase_modulator``, ``inp_mzm``, a
    chip), the sax circuit of its own recursive netlist prepared by :func:`prepare_netlist`."""
    return _cell_models.cell_model(
        component,
        MODELS,
        lambda c: prepare_netlist(c.get_netlist(recursive=True), dict(c.info)),
        backend,
    )
