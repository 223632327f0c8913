r"""sax S-matrix models of the Si3N4 (server, microcomb) cells, and Si3N4 circuits from netlists.

Conventions (:mod:`qkdchip.sims.models`): 64-bit JAX, sax "optical" port naming, ``wl`` in um
(scalar or array) inside the range of the femwell mode tables (:func:`wl_range_um`, 1.50-1.60
um), lengths in um, losses in dB. Each model is keyed in :data:`MODELS` by the name of the cell
function it describes and returns a reciprocal ``sax.SDict`` over exactly the cell's optical
ports. The heater ``sin_ring_heater``, the pads and the metal traces have no optical port and no
model of their own; the heater acts through the ring: ``sin_ring_bus(heater_power_w=...,
heater_width_um=...)`` adds the thermo-optic loop phase of :mod:`qkdchip.sims.physics.thermal`
(2 pi / wl x dn_eff/dT x Delta T x L_h; default 0 W: the ring as the layout puts it).

The Si3N4 models live in four modules, all re-exported here:

* :mod:`~qkdchip.sims.models.sin_waveguide`: wavelength range, core widths, mode figures, the
  waveguide and taper transmissions every model is built from;
* :mod:`~qkdchip.sims.models.sin_coupler`: the coupled-mode ring-bus coupler;
* :mod:`~qkdchip.sims.models.sin_facets`: the edge coupler and the pump facet (Gaussian beams);
* this module: straights, the Euler routing bend, tapers, the all-pass and add-drop rings,
  :data:`MODELS`, and circuits from netlists.

Where the numbers come from (one home each):

* defaults: every keyword that is also a parameter of the modelled cell takes the cell's default,
  read from the cell function's signature (:func:`qkdchip.base.params.defaults_of`), never typed
  again (``tests/test_model_contract.py`` checks it for every model);
* geometry from the cell: the netlist instance's ``settings`` (radius, gap, widths, lengths) and
  ``info`` (``bus_length_um``; sax merges ``info`` into the settings it passes to the model). The
  models deliberately do *not* accept the mode figures the cells copy into ``info`` (``n_eff``,
  ``n_g``, ``power_coupling``...): a netlist rounds them to 3 decimals. They are recomputed here,
  at full precision, from the single home of the mode data, :mod:`qkdchip.pdk.sin.modes`;
* the propagation loss from :data:`qkdchip.pdk.sin.process.PROPAGATION_LOSS_DB_PER_M` (1.7 dB/m);
  the cladding index from :func:`qkdchip.pdk.sin.process.n_sio2`;
* the facet assumptions that the process does not state (fibre coupling loss and reflection of
  the edge coupler, the pump laser's mode size) are documented constants of the process module,
  each an overridable keyword of its model (:mod:`~qkdchip.sims.models.sin_facets`).

Physics of the blocks of this module:

* **Waveguides** (``sin_straight``; the ring's loop and bus): the dispersive guide of
  :mod:`~qkdchip.sims.models.sin_waveguide`. The ring is a ~1 mm radius racetrack: the bend
  correction to n_eff of a 100 nm thin, weakly guiding core at R >= 300 um is not in the tables
  and is neglected (bend radiation loss too: the process loss is the whole loss).
* **Euler routing bend** (``sin_bend_euler``, the ``"bend_euler"`` of gdsfactory's routers): the
  same waveguide transmission over the bend's centre-line length L = (1 + p) (pi/2) R0, computed
  from ``radius_um`` by the layout's own geometry (:func:`qkdchip.components.euler.euler_bend`:
  the Euler fraction p and the smallest curvature radius R0 >= radius_min 300 um), not from the
  rounded ``info``. Bend radiation loss and the bend's index shift are neglected, as for the ring.
* **Taper** (``sin_taper``, the tapers inside the facets): the Gauss-Legendre phase of
  :func:`~qkdchip.sims.models.sin_waveguide.taper`; adiabatic.
* **All-pass ring** (``sin_ring_bus``): a sax circuit of the coupler
  (:func:`~qkdchip.sims.models.sin_coupler.sin_ring_coupler`) and the ring loop (a waveguide of
  the racetrack length L = 2 pi R + 2 L_c, ``racetrack_length`` of the layout), between the two
  halves of the bus. Its through transmission is the all-pass formula (Bogaerts et al., Laser
  Photonics Rev. 6, 47 (2012))

      T = (a^2 - 2 a r cos phi + r^2) / (1 - 2 a r cos phi + (a r)^2),  r = cos theta,
      a = 10^(-loss L / 20),  phi = 2 pi n(wl) L / wl,

  so that Q_i = 2 pi n_g / (wl alpha) (alpha = ln(10)/10 x dB/m; 1.65e7 at 1.7 dB/m, n_g 1.593),
  Q_ex ~ 2 pi nu / (|k|^2 FSR) and FSR = c / (n_g L). :func:`ring_add_drop` is the add-drop
  version (two couplers, two half loops; no layout cell has it yet).

Circuits: ``localize(sax.circuit(prepare_netlist(c.get_netlist(recursive=True)), MODELS)[0])``
simulates any Si3N4 cell or chip (:func:`cell_model`). :func:`localize` keeps the core widths
Python numbers under ``jax.jit`` (sax would otherwise turn every setting into a tracer).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax.numpy as jnp
import sax

from qkdchip.base.params import defaults_of
from qkdchip.components.euler import euler_bend
from qkdchip.components.sin import ring as _ring_cells
from qkdchip.components.sin import waveguides as _wg_cells
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.layers import XSECTIONS

# (importing qkdchip.sims.models.* runs the package __init__ first: 64-bit JAX, port naming)
from qkdchip.sims.models import cells as _cells
from qkdchip.sims.models.cells import optical_ports
from qkdchip.sims.models.common import check_param, two_port
from qkdchip.sims.models.sin_coupler import (
    RADIUS_RANGE_UM,
    check_ring,
    coupler_theta,
    power_coupling,
    sin_ring_coupler,
)
from qkdchip.sims.models.sin_facets import (
    AIR_GAP_RANGE_UM,
    EDGE_COUPLER_LOSS_DB,
    EDGE_COUPLER_REFLECTION_DB,
    LASER_MODE_RADII_UM,
    MODE_RADIUS_RANGE_UM,
    facet_mode_radii_um,
    sin_edge_coupler,
    sin_pump_facet,
)
from qkdchip.sims.models.sin_waveguide import (
    MAX_LENGTH_UM,
    MAX_LOSS,
    WL0_UM,
    check_length,
    check_loss,
    check_wl_um,
    guide,
    is_concrete,
    mode_figures,
    phasor,
    static_width,
    taper,
    wl_range_um,
)

__all__ = [
    "AIR_GAP_RANGE_UM",
    "EDGE_COUPLER_LOSS_DB",
    "EDGE_COUPLER_REFLECTION_DB",
    "LASER_MODE_RADII_UM",
    "MAX_LENGTH_UM",
    "MAX_LOSS",
    "MODELS",
    "MODE_RADIUS_RANGE_UM",
    "RADIUS_RANGE_UM",
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

#: The cells' defaults, read from their signatures (the models' defaults).
_STRAIGHT = defaults_of(_wg_cells.sin_straight)
_TAPER = defaults_of(_wg_cells.sin_taper)
_BEND = defaults_of(_wg_cells.sin_bend_euler)
_RING = defaults_of(_ring_cells.sin_ring_bus)
_HEATER = defaults_of(_ring_cells.sin_ring_heater)
#: The routing core (``xs_sin``): its smallest bend radius bounds the Euler bend.
_XS = XSECTIONS["xs_sin"]


def ring_length_um(radius_um, coupling_length_um=_RING["coupling_length_um"]):
    """Centre-line length of the racetrack, from the layout's own helper (2 pi R + 2 L_c)."""
    return _racetrack_length()(radius_um, coupling_length_um)


@functools.cache
def _racetrack_length() -> Callable[[Any, Any], Any]:
    from qkdchip.components.sin._geometry import racetrack_length

    return racetrack_length


# --- models ---------------------------------------------------------------------------------------


def sin_straight(
    wl=WL0_UM,
    length_um=_STRAIGHT["length_um"],
    width_um=_STRAIGHT["width_um"],
    loss_db_per_m=None,
) -> sax.SDict:
    """Straight ``xs_sin`` waveguide (o1, o2): t = 10^(-a L/20) exp(i 2 pi n(wl) L / wl)."""
    wl = check_wl_um(wl)
    length_um = check_length("length_um", length_um)
    width_um = static_width("width_um", width_um)
    return two_port(guide(wl, length_um, width_um, check_loss(loss_db_per_m)))


def sin_bend_euler(
    wl=WL0_UM, radius_um=_BEND["radius_um"], width_um=_BEND["width_um"], loss_db_per_m=None
) -> sax.SDict:
    """90-degree Euler routing bend (o1, o2): a guide of the bend's centre-line length, from
    ``radius_um`` (the floorplan radius) by the cell's own geometry (module doc)."""
    wl = check_wl_um(wl)
    if not is_concrete(radius_um):
        raise ValueError(
            "radius_um cannot be a traced (batched) value: the bend's Euler fraction is solved "
            "per radius"
        )
    radius = float(check_param("radius_um", radius_um, _XS.radius_min_um, MAX_LENGTH_UM, "um"))
    width_um = static_width("width_um", width_um)
    length = euler_bend(radius, _XS.radius_min_um).length_um
    return two_port(guide(wl, length, width_um, check_loss(loss_db_per_m)))


def sin_taper(
    wl=WL0_UM,
    length_um=_TAPER["length_um"],
    width1_um=_TAPER["width1_um"],
    width2_um=_TAPER["width2_um"],
    loss_db_per_m=None,
) -> sax.SDict:
    """Linear core taper (o1 at ``width1_um``, o2 at ``width2_um``): adiabatic, phase int n dz."""
    wl = check_wl_um(wl)
    length_um = check_length("length_um", length_um)
    w1 = static_width("width1_um", width1_um, clamp=True)
    w2 = static_width("width2_um", width2_um, clamp=True)
    return two_port(taper(wl, length_um, w1, w2, check_loss(loss_db_per_m)))


def _heated_loop(
    wl=WL0_UM,
    length_um=_STRAIGHT["length_um"],
    width_um=_STRAIGHT["width_um"],
    loss_db_per_m=None,
    heater_dnl_um=0.0,
) -> sax.SDict:
    """The ring's loop: a straight guide whose phase grows by 2 pi ``heater_dnl_um`` / wl, the
    heater's thermo-optic index change times the heated length (Delta n_eff x L_h, um)."""
    wl = check_wl_um(wl)
    length_um = check_length("length_um", length_um)
    width_um = static_width("width_um", width_um)
    t = guide(wl, length_um, width_um, check_loss(loss_db_per_m))
    return two_port(t * phasor(2.0 * jnp.pi * heater_dnl_um / wl))


def heater_dnl_um(heater_power_w, width_um: float, heater_width_um: float):
    """Delta n_eff x L_h (um) of ``heater_power_w`` on a strip ``heater_width_um`` wide over a ring
    core ``width_um`` wide: dn_eff/dT x (Delta T L_h per watt) x P (:mod:`~qkdchip.sims.physics.
    thermal`; the heated length cancels). ``heater_power_w`` may be traced; the widths are static."""
    from qkdchip.sims.physics import thermal

    if is_concrete(heater_power_w):
        check_param("heater_power_w", heater_power_w, 0.0, 10.0, "W")
    coeff = thermal.dn_eff_dt_per_k(float(width_um)) * thermal.dt_length_m_k_per_w(
        float(heater_width_um)
    )
    return heater_power_w * coeff * 1e6


_INNER = {
    "sin_straight": sin_straight,
    "sin_ring_coupler": sin_ring_coupler,
    "heated_loop": _heated_loop,
}

_ALLPASS_NETLIST = {
    "instances": {
        "cp": {"component": "sin_ring_coupler"},
        "loop": {"component": "heated_loop"},
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
    radius_um=_RING["radius_um"],
    width_um=_RING["width_um"],
    gap_um=_RING["gap_um"],
    coupling_length_um=_RING["coupling_length_um"],
    bus_extension_um=_RING["bus_extension_um"],
    bus_length_um=None,
    loss_db_per_m=None,
    heater_power_w=0.0,
    heater_width_um=_HEATER["width_um"],
) -> sax.SDict:
    """All-pass microring (o1 bus west, o2 bus east): the sax circuit of the coupler and the ring
    loop (L = 2 pi R + 2 L_c), between the two halves of the bus (``bus_length_um`` from the
    cell's info; None: 2 (L_c/2 + R + w/2 + ``bus_extension_um``), as the cell draws it,
    unsnapped). ``heater_power_w`` on the drawn heater (strip ``heater_width_um`` wide, the heater
    cell's) red-shifts the resonances by the thermo-optic phase of :func:`heater_dnl_um`. The reflection-free bus halves are cascaded as factors (t_bus/2 on each side of
    every entry): as sax instances they would cost four times the circuit's evaluation time."""
    wl = check_wl_um(wl)
    width_um = check_ring(gap_um, radius_um, width_um, coupling_length_um)
    if bus_length_um is None:
        check_length("bus_extension_um", bus_extension_um)
        bus_length_um = 2 * (coupling_length_um / 2 + radius_um + width_um / 2 + bus_extension_um)
    bus_length_um = check_length("bus_length_um", bus_length_um)
    loss = check_loss(loss_db_per_m)
    core = _inner_circuit("allpass")(
        wl=wl,
        loop={
            "length_um": ring_length_um(radius_um, coupling_length_um),
            "width_um": width_um,
            "loss_db_per_m": loss,
            "heater_dnl_um": heater_dnl_um(heater_power_w, width_um, heater_width_um),
        },
        cp={
            "gap_um": gap_um,
            "radius_um": radius_um,
            "width_um": width_um,
            "coupling_length_um": coupling_length_um,
        },
    )
    t_bus = guide(wl, bus_length_um, width_um, loss)  # (t_bus/2)^2 on every path o_i -> o_j
    return {k: v * t_bus for k, v in core.items()}


def ring_add_drop(
    wl=WL0_UM,
    radius_um=_RING["radius_um"],
    width_um=_RING["width_um"],
    gap_um=_RING["gap_um"],
    drop_gap_um=None,
    coupling_length_um=_RING["coupling_length_um"],
    loss_db_per_m=None,
) -> sax.SDict:
    """Add-drop microring (o1 in, o4 through, o2 drop, o3 add): circuit of two ring-bus couplers
    (``gap_um`` at the bottom bus, ``drop_gap_um`` at the top one; None: symmetric) and two half
    loops of L/2. No layout cell uses it yet (not in :data:`MODELS`)."""
    wl = check_wl_um(wl)
    drop_gap_um = gap_um if drop_gap_um is None else drop_gap_um
    width_um = check_ring(gap_um, radius_um, width_um, coupling_length_um)
    check_param("drop_gap_um", drop_gap_um, *modes.gap_range_um(), "um")
    wg = {"width_um": width_um, "loss_db_per_m": check_loss(loss_db_per_m)}
    half = {"length_um": ring_length_um(radius_um, coupling_length_um) / 2, **wg}
    cp = {"radius_um": radius_um, "width_um": width_um, "coupling_length_um": coupling_length_um}
    return _inner_circuit("add_drop")(
        wl=wl,
        half_e=half,
        half_w=half,
        cp_bot={"gap_um": gap_um, **cp},
        cp_top={"gap_um": drop_gap_um, **cp},
    )


#: Leaf models keyed by cell function name: every Si3N4 cell with optical ports, the routing
#: cells included (gdsfactory's ``"straight"``/``"bend_euler"``/``"taper"`` are ``sin_straight``/
#: ``sin_bend_euler``/``sin_taper``). ``sin_ring_heater``, ``sin_pad`` and ``sin_metal_straight``
#: have no optical port (the heater acts through ``sin_ring_bus(heater_power_w=...)``);
#: :func:`prepare_netlist` leaves them out of a circuit.
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
    """The S-matrix model of one Si3N4 cell instance: ``f(wl=..., **settings) -> SDict``
    (:func:`qkdchip.sims.models.cells.cell_model`): a leaf cell's :data:`MODELS` entry with its
    settings and info bound, or the sax circuit of a hierarchical cell's own recursive netlist,
    prepared by :func:`prepare_netlist` and wrapped by :func:`localize` (jit-safe)."""
    return _cells.cell_model(
        component,
        MODELS,
        lambda c: prepare_netlist(c.get_netlist(recursive=True)),
        backend,
        wrap=localize,
    )
