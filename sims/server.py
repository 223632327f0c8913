"""S-matrix simulation of the Si3N4 server (microcomb) chip from its own layout netlist.

The circuit is ``sax.circuit`` of ``server_chip(**design).get_netlist(recursive=True)`` (prepared
by :func:`qkdchip.sims.models.sin.prepare_netlist`: optical part only) with the Si3N4 leaf models
:data:`qkdchip.sims.models.sin.MODELS`, compiled once per design by :mod:`qkdchip.sims.circuit`
(shared with the client chip; this module keeps what is the server's). Its ports are the chip's: ``o1`` the pump laser's facet
plane in front of the butt-coupling facet (across ``pump_air_gap_um`` of air), ``o2`` the fibre
side of the output edge coupler. The optical path is pump facet -> ``wg_in`` -> all-pass ring
(``ring``: coupler + loop + bus, itself a sax circuit) -> ``wg_out`` -> edge coupler. A layout
parameter (``ring_gap_um``, ``ring_radius_um``, ``pump_air_gap_um``...) changes the S-matrix
through the cells' own settings: there is no second copy of any number here. The heater acts on
the ring through ``heater_power_w`` (the thermo-optic model of :mod:`qkdchip.sims.physics.thermal`
with the drawn heater's width, injected into the ring instance at compile time; 0 W by default).

Model-level parameters (``params=`` mapping, all optional, each may be a JAX array):
:data:`PARAM_KEYS` = ``ring_gap_um``, ``ring_radius_um``, ``ring_coupling_length_um`` (set on
the ring instance; the bus keeps its drawn length), ``loss_db_per_m`` (every Si3N4 waveguide of
the chip) and ``pump_air_gap_um``. They exist to sweep and batch (``jax.vmap``) without
rebuilding the layout; for the layout-exact effect pass the design names as overrides
(``server_figures(ring_gap_um=2.0)`` rebuilds the chip).

The ring (:func:`server_ring_params`): the one route from a design to the comb layer's
:class:`~qkdchip.sims.physics.ring.RingParams` (``qkdchip.sims.devices.ring_params`` is this
function on a design). :func:`ring_params_from_geometry` computes it from the ring instance's
geometry in the chip's netlist (radius, width, gap, coupling length; the process loss), at full
precision with the functions the S-matrix models use: the racetrack length of the layout, n_g
and beta2 of the core (femwell), |k|^2 of the coupler model at the pump wavelength, A_eff and
the Kerr-overlap-weighted n2 of the core (mode solver). Nothing is read from the rounded figures
of the chip's ``c.info``.

Figures (:func:`server_figures`), all read from S[o2, o1] (pump -> fibre) with
:func:`~qkdchip.sims.models.analysis.measure_resonance` (the ~25 MHz wide resonance is located on
a one-FSR sweep and measured on zoomed grids) and
:func:`~qkdchip.sims.models.analysis.fsr_from_resonances`:

* ``resonance_wl_nm``: the resonance nearest the design (pump) wavelength;
* ``fsr_ghz`` from two adjacent resonances; ``linewidth_mhz`` = nu / Q_L, ``fwhm_pm``;
* ``q_loaded`` = lambda / FWHM, ``q_intrinsic``, ``q_external`` from the depth
  (T_min = ((Q_ex - Q_i)/(Q_ex + Q_i))^2) and the regime from the phase winding;
* ``kappa2`` = 2 pi nu / (Q_ex FSR): the power coupling per pass that the S-matrix implies;
* ``resonance_extinction_db``, ``coupling_regime`` ('over', 'under', or 'critical' within 1 %
  of Q_i = Q_ex, as :class:`~qkdchip.sims.physics.ring.RingParams` classifies), ``finesse``;
* ``insertion_loss_db`` (facet to facet, off resonance) and ``pump_reflection_db`` (|S11|^2 back
  into the laser, off resonance);
* ``analytic``: the same figures from the ring's parameters with the relations of docs/physics.md
  (FSR = c / (n_g L), Q_i = 2 pi n_g / (lambda alpha), Q_ex = 2 pi nu / (|k|^2 FSR), 1/Q_L =
  1/Q_i + 1/Q_ex; :func:`ring_params_from_geometry`), plus the exact all-pass FWHM
  (``q_loaded_allpass`` = pi n_g L sqrt(r a) / (lambda (1 - r a))) and depth
  (T_min = ((r - a)/(1 - r a))^2), for comparison.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sax

from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.process import PROPAGATION_LOSS_DB_PER_M, effective_n2_m2_per_w
from qkdchip.sims import netlist_simplify
from qkdchip.sims.circuit import ChipCircuit, build_chip, compiled
from qkdchip.sims.models import sin
from qkdchip.sims.models.analysis import C_M_S, fsr_from_resonances, measure_resonance
from qkdchip.sims.models.common import check_param
from qkdchip.sims.physics.ring import RingParams

__all__ = [
    "BATCH_KEYS",
    "BATCH_RANGES",
    "PARAM_KEYS",
    "ServerCircuit",
    "check_params",
    "facet_power_coupling",
    "feedback_path_phase_rad",
    "heater_power_for",
    "resonance_hz",
    "ring_params_from_geometry",
    "server_batch_fn",
    "server_circuit",
    "server_figures",
    "server_fn",
    "server_heater",
    "server_netlist",
    "server_ring_params",
    "server_sparams",
]

#: Model-level parameters: key -> (setting name, instances it acts on: "ring", "pump" or "all").
_KNOBS = {
    "ring_gap_um": ("gap_um", "ring"),
    "ring_radius_um": ("radius_um", "ring"),
    "ring_coupling_length_um": ("coupling_length_um", "ring"),
    "loss_db_per_m": ("loss_db_per_m", "all"),
    "pump_air_gap_um": ("air_gap_um", "pump"),
    "heater_power_w": ("heater_power_w", "ring"),
}
PARAM_KEYS = tuple(_KNOBS)
#: The keys a batch study varies (all of them), and the ranges it samples by default: a
#: neighbourhood of the default design (validity ranges: :func:`check_params`).
BATCH_KEYS = PARAM_KEYS
BATCH_RANGES: dict[str, tuple[float, float]] = {
    "ring_gap_um": (2.0, 2.8),
    "ring_radius_um": (990.0, 1005.0),
    "ring_coupling_length_um": (0.0, 100.0),
    "loss_db_per_m": (1.0, 3.0),
    "pump_air_gap_um": (0.0, 5.0),
    "heater_power_w": (0.0, 0.2),
}
#: |Q_i / Q_ex - 1| below which the coupling is called critical (as RingParams does).
CRITICAL_TOLERANCE = 0.01


def _ranges() -> dict[str, tuple[float, float, str]]:
    return {
        "ring_gap_um": (*modes.gap_range_um(), "um"),
        "ring_radius_um": (*sin.RADIUS_RANGE_UM, "um"),
        "ring_coupling_length_um": (0.0, sin.MAX_LENGTH_UM, "um"),
        "loss_db_per_m": (0.0, sin.MAX_LOSS, "dB/m"),
        "pump_air_gap_um": (*sin.AIR_GAP_RANGE_UM, "um"),
        "heater_power_w": (0.0, 10.0, "W"),
    }


def check_params(params: Mapping[str, Any] | None) -> None:
    """Range-check concrete model-level parameters (:data:`PARAM_KEYS`; JAX tracers are skipped):
    ValueError naming the parameter."""
    params = dict(params or {})
    unknown = set(params) - set(PARAM_KEYS)
    if unknown:
        raise ValueError(f"params keys {sorted(unknown)} are unknown: allowed {PARAM_KEYS}")
    ranges = _ranges()
    for key, value in params.items():
        check_param(key, value, *ranges[key])


# --- netlist ------------------------------------------------------------------------------------


def _build(design: Mapping[str, Any]):
    from qkdchip.circuits.server_chip import server_chip

    return build_chip("sin", server_chip, design)


def server_netlist(component=None, **design_overrides) -> dict[str, Any]:
    """The prepared recursive netlist of the server chip (``component`` or
    ``server_chip(**design_overrides)``), ready for ``sax.circuit``."""
    if component is None:
        component = _build(design_overrides)
    elif design_overrides:
        raise ValueError("give either component or design overrides, not both")
    return sin.prepare_netlist(component.get_netlist(recursive=True))


def _single(top: Mapping[str, Any], component: str) -> str:
    names = [k for k, v in top["instances"].items() if v["component"] == component]
    if len(names) != 1:
        raise ValueError(f"server netlist: expected one {component} instance, found {names}")
    return names[0]


def _instance(top: Mapping[str, Any], component: str) -> dict[str, Any]:
    """Settings and info (info over settings, as sax merges them) of the single ``component``
    instance of a netlist level."""
    inst = top["instances"][_single(top, component)]
    return {**dict(inst.get("settings") or {}), **dict(inst.get("info") or {})}


def ring_geometry(ring: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> dict:
    """The ring's model inputs (radius, width, gap, coupling length, loss) of a ring instance's
    settings, with the model-level ``params`` applied (concrete values only)."""
    p = dict(params or {})
    return {
        "radius_um": float(p.get("ring_radius_um", ring["radius_um"])),
        "width_um": float(ring["width_um"]),
        "gap_um": float(p.get("ring_gap_um", ring["gap_um"])),
        "coupling_length_um": float(p.get("ring_coupling_length_um", ring["coupling_length_um"])),
        "loss_db_per_m": float(p.get("loss_db_per_m", PROPAGATION_LOSS_DB_PER_M)),
    }


# --- compiled circuit -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ServerCircuit(ChipCircuit):
    """The compiled server-chip circuit (:class:`~qkdchip.sims.circuit.ChipCircuit`); its
    parameter mapping is ``params`` (:data:`PARAM_KEYS`).

    ``ports``: o1 pump side, o2 fibre side; ``ring``, ``pump``: the ring and pump-facet
    instances' settings (layout geometry); ``targets``: the instance names each
    :data:`PARAM_KEYS` entry acts on."""

    ring: dict[str, Any] = field(default_factory=dict, repr=False)
    pump: dict[str, Any] = field(default_factory=dict, repr=False)
    targets: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def check(self, params: Mapping[str, Any] | None) -> None:
        check_params(params)

    check_params = check

    def check_wl(self, wl_um):
        return sin.check_wl_um(wl_um)

    def settings(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Nested sax settings of a ``params`` mapping (keys :data:`PARAM_KEYS`)."""
        out: dict[str, Any] = {}
        for key, value in dict(params or {}).items():
            setting = _KNOBS[key][0]
            for inst in self.targets[key]:
                out.setdefault(inst, {})[setting] = value
        return out

    def geometry(self, params: Mapping[str, Any] | None = None) -> dict[str, float]:
        """The ring's model inputs with ``params`` applied (:func:`ring_geometry`)."""
        return ring_geometry(self.ring, params)

    def through(self, wl_um, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """S[o2, o1] (pump -> fibre) at ``wl_um``, jitted (params as float64 scalars)."""
        f = self.jitted("through", lambda: jax.jit(lambda wl, p: self.sdict(wl, p)[("o1", "o2")]))
        p = {k: jnp.float64(v) for k, v in dict(params or {}).items()}
        return np.asarray(f(jnp.asarray(wl_um, dtype=jnp.float64), p))


def _targets(top: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    ring, pump = _single(top, "sin_ring_bus"), _single(top, "sin_pump_facet")
    lossy = tuple(
        k
        for k, v in top["instances"].items()
        if "loss_db_per_m" in sax.get_settings(sin.MODELS[v["component"]])
    )
    where = {"ring": (ring,), "pump": (pump,), "all": lossy}
    return {key: where[scope] for key, (_, scope) in _KNOBS.items()}


def _compile(
    component, design: dict[str, Any], backend: str, simplify: bool = True
) -> ServerCircuit:
    if component is None:
        component = _build(design)
    recnet = server_netlist(component)
    top = recnet[next(iter(recnet))]
    # the drawn heater's strip width acts on the ring's thermo-optic phase (heater_power_w)
    ring_inst = top["instances"][_single(top, "sin_ring_bus")]
    ring_inst.setdefault("settings", {})["heater_width_um"] = _heater_of(component)["width_um"]
    if simplify:  # cascades of two-ports merged (same S, fewer nets to connect)
        circuit, _ = netlist_simplify.circuit(recnet, sin.MODELS, backend=backend)
    else:
        circuit, _ = sax.circuit(recnet, sin.MODELS, backend=backend)
    return ServerCircuit(
        circuit=sin.localize(circuit),
        ports=tuple(top["ports"]),
        netlist=recnet,
        design=design,
        ring=_instance(top, "sin_ring_bus"),
        pump=_instance(top, "sin_pump_facet"),
        targets=_targets(top),
    )


def server_circuit(
    component=None, backend: str = "filipsson_gunnar", simplify: bool = True, **design_overrides
) -> ServerCircuit:
    """The compiled sax circuit of the server chip, cached per (backend, simplify, design).

    ``simplify``: merge the netlist's cascades of two-ports before ``sax.circuit``
    (:mod:`qkdchip.sims.netlist_simplify`); False compiles the netlist as it is (the reference).

    ``component``: an already built ``server_chip`` (cached by identity); otherwise the chip is
    built with ``server_chip(**design_overrides)`` inside ``use_pdk("sin")`` (the cell validates
    the overrides: a bad value raises ValueError naming it)."""
    return compiled(_compile, component, design_overrides, backend=backend, simplify=simplify)


def server_sparams(
    wl_um, params: Mapping[str, Any] | None = None, *, component=None, **design_overrides
) -> tuple[np.ndarray, list[str]]:
    """S-parameters of the server chip: (S with shape (n_wl, m, m), port names ['o1', 'o2']).

    ``wl_um``: wavelengths (um, within :func:`~qkdchip.sims.models.sin.wl_range_um`); ``params``:
    model-level parameters (:data:`PARAM_KEYS`); design overrides rebuild the chip. S[:, i, j] is
    from port j to port i."""
    sc = server_circuit(component, **design_overrides)
    sc.check(params)
    wl = jnp.atleast_1d(sc.check_wl(wl_um))
    p = {k: jnp.float64(v) for k, v in dict(params or {}).items()}
    return np.asarray(sc.evaluate(wl, p)), list(sc.ports)


def server_fn(
    component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], jax.Array], tuple[str, ...]]:
    """A jitted ``f(wl_um, params) -> S (n_wl, m, m)`` and the port order, for sweeps
    (:meth:`~qkdchip.sims.circuit.ChipCircuit.fn`; ``params``: scalars, keys :data:`PARAM_KEYS`);
    batch over parameter sets with ``jax.vmap(f, in_axes=(None, 0))`` or
    :func:`server_batch_fn`."""
    sc = server_circuit(component, **design_overrides)
    return sc.fn(), sc.ports


def server_batch_fn(
    chunk: int = 32, component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], np.ndarray], tuple[str, ...]]:
    """``f(wl_um, params_batch) -> S (batch, n_wl, m, m)`` (numpy) over a batch of parameters
    (:meth:`~qkdchip.sims.circuit.ChipCircuit.batch_fn`): ``params_batch`` is a dict of 1-D
    arrays of one length, evaluated ``chunk`` sets at a time."""
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk={chunk!r} must be a positive integer")
    sc = server_circuit(component, **design_overrides)
    return sc.batch_fn(chunk), sc.ports


# --- the ring ----------------------------------------------------------------------------------


def ring_params_from_geometry(geom: Mapping[str, float], wl_um: float = sin.WL0_UM) -> RingParams:
    """The ring of ``geom`` (:func:`ring_geometry`) as a :class:`RingParams`: the one computation
    of the ring's parameters (module doc). ``wl_um``: the pump wavelength, where |k|^2 is taken."""
    width = geom["width_um"]
    length_um = float(sin.ring_length_um(geom["radius_um"], geom["coupling_length_um"]))
    _, n_g, beta2 = sin.mode_figures(width)
    kappa2 = float(
        sin.power_coupling(
            wl_um, geom["gap_um"], geom["radius_um"], width, geom["coupling_length_um"]
        )
    )
    return RingParams(
        length_m=length_um * 1e-6,
        n_g=n_g,
        beta2_s2_per_m=beta2,
        loss_db_per_m=geom["loss_db_per_m"],
        kappa2=kappa2,
        pump_wavelength_m=float(Decimal(repr(float(wl_um))).scaleb(-6)),  # um -> m, decimal shift
        n2_m2_per_w=effective_n2_m2_per_w(float(modes.kerr_core_fraction(width))),
        a_eff_m2=float(modes.effective_area_um2(width)) * 1e-12,
    )


@functools.lru_cache(maxsize=64)
def _heater_of(component) -> dict[str, Any]:
    """Info of the chip's heater instance (heated length, width, resistance; cached)."""
    return _instance(component.get_netlist(), "sin_ring_heater")


@functools.lru_cache(maxsize=64)
def _path_of(component) -> dict[str, float]:
    """The optical path laser facet -> ring coupler, from the chip's instances: the air gap, the
    pump facet's taper, ``wg_in`` and half of the ring's bus (um)."""
    top = component.get_netlist()
    pump = _instance(top, "sin_pump_facet")
    ring = _instance(top, "sin_ring_bus")
    inst = top["instances"]
    conn = {n["p1"]: n["p2"] for n in _nets(top)} | {n["p2"]: n["p1"] for n in _nets(top)}
    wg_in = conn[f"{_single(top, 'sin_ring_bus')},o1"].split(",")[0]
    wg = {**dict(inst[wg_in].get("settings") or {}), **dict(inst[wg_in].get("info") or {})}
    return {
        "air_gap_um": float(pump["air_gap_um"]),
        "taper_length_um": float(pump["taper_length_um"]),
        "facet_width_um": float(pump["facet_width_um"]),
        "width_um": float(pump["width_um"]),
        "wg_in_um": float(wg["length_um"]),
        "half_bus_um": float(ring["bus_length_um"]) / 2.0,
    }


def _nets(top: Mapping[str, Any]) -> list[dict[str, str]]:
    nets = top.get("nets") or top.get("connections") or []
    if isinstance(nets, dict):
        return [{"p1": k, "p2": v} for k, v in nets.items()]
    return list(nets)


def server_heater(*, component=None, **design_overrides):
    """The drawn heater of the server chip as a :class:`~qkdchip.sims.physics.thermal.Heater`
    (heated length, width and resistance from the heater cell's info; the ring's loop length and
    core width from the ring instance)."""
    from qkdchip.sims.physics.thermal import Heater

    if component is None:
        component = _build(design_overrides)
    h, r = _heater_of(component), _ring_of(component)
    return Heater(
        length_um=float(h["length_um"]),
        width_um=float(h["width_um"]),
        resistance_ohm=float(h["resistance_ohm"]),
        ring_length_um=float(sin.ring_length_um(r["radius_um"], r["coupling_length_um"])),
        core_width_um=float(r["width_um"]),
    )


def feedback_path_phase_rad(wl_um: float = sin.WL0_UM, *, component=None, **design_overrides):
    """Round-trip phase of the path laser facet -> ring coupler -> laser facet (rad, mod 2 pi):
    twice the phase of the pump facet's S21 (air gap + taper, its own model) times the guides
    ``wg_in`` and half the bus, at ``wl_um``. Sets where the self-injection-locked laser locks."""
    t_facet, p = _pump_facet_s21(wl_um, component, design_overrides)
    from qkdchip.sims.models.sin_waveguide import index

    n = float(np.asarray(index(jnp.float64(wl_um), p["width_um"])))
    one_way = np.angle(t_facet) + 2 * np.pi * n * (p["wg_in_um"] + p["half_bus_um"]) / wl_um
    return float(np.mod(2.0 * one_way, 2.0 * np.pi))


def facet_power_coupling(wl_um: float = sin.WL0_UM, *, component=None, **design_overrides):
    """|S21|^2 of the pump facet (laser mode -> bus), its own model at ``wl_um``."""
    return abs(_pump_facet_s21(wl_um, component, design_overrides)[0]) ** 2


def _pump_facet_s21(wl_um: float, component, design_overrides: dict) -> tuple[complex, dict]:
    """The pump facet's S21 (laser mode -> bus; its own model, the drawn chip's air gap, facet
    width, taper and guide width) at ``wl_um``, and the drawn path's lengths."""
    if component is None:
        component = _build(design_overrides)
    p = _path_of(component)
    s = sin.sin_pump_facet(
        wl=wl_um,
        air_gap_um=p["air_gap_um"],
        facet_width_um=p["facet_width_um"],
        taper_length_um=p["taper_length_um"],
        width_um=p["width_um"],
    )
    return complex(np.asarray(s[("o1", "o2")])), p


def resonance_hz(
    target_hz: float,
    heater_power_w: float = 0.0,
    *,
    component=None,
    **design_overrides,
) -> float:
    """Frequency (Hz) of the ring resonance nearest ``target_hz`` with ``heater_power_w`` on the
    heater: the root of the loop's phase condition ``n_eff(wl) L + Delta n_eff L_h = m wl`` with
    the same index and heater phase as the S-matrix model (the coupler's through amplitude is
    real, so the all-pass resonance is exactly there: no circuit is compiled)."""
    from scipy.optimize import brentq

    from qkdchip.sims.models.sin_waveguide import index

    if component is None:
        component = _build(design_overrides)
    r, h = _ring_of(component), _heater_of(component)
    width = float(r["width_um"])
    length = float(sin.ring_length_um(r["radius_um"], r["coupling_length_um"]))
    dnl = float(sin.heater_dnl_um(heater_power_w, width, float(h["width_um"])))

    def order(wl_um: float) -> float:
        return (float(np.asarray(index(jnp.float64(wl_um), width))) * length + dnl) / wl_um

    wl_t = C_M_S / target_hz * 1e6
    m = round(order(wl_t))
    fsr_um = wl_t / m  # ~ wl / m: one order step, bracket within it
    wl = brentq(lambda x: order(x) - m, wl_t - fsr_um, wl_t + fsr_um, xtol=1e-15, rtol=1e-15)
    return C_M_S / (wl * 1e-6)


def heater_power_for(
    target_hz: float, *, component=None, max_power_w: float = 10.0, **design_overrides
) -> float:
    """The smallest heater power (W) that puts a ring resonance at ``target_hz``: heating only
    red-shifts, so the resonance just above ``target_hz`` is pulled down onto it (at most one FSR
    of tuning). ValueError when that needs more than ``max_power_w``."""
    from scipy.optimize import brentq

    if component is None:
        component = _build(design_overrides)
    heater = server_heater(component=component)
    rate = -heater.tuning_hz_per_w  # Hz per W, > 0
    fsr = ring_params_from_geometry(ring_geometry(_ring_of(component))).fsr_hz
    cold = resonance_hz(target_hz, 0.0, component=component)
    above = cold if cold >= target_hz else cold + fsr
    p0 = (above - target_hz) / rate
    if p0 > max_power_w:
        raise ValueError(
            f"heater_power_w={p0:.3g} W needed to tune the ring onto {target_hz / 1e12:.6f} THz: "
            f"allowed <= {max_power_w:g} W"
        )

    def miss(p: float) -> float:
        return resonance_hz(above, p, component=component) - target_hz

    lo, hi = max(p0 * 0.9 - 1e-6, 0.0), p0 * 1.1 + 1e-6
    if miss(lo) * miss(hi) > 0:
        return p0
    return float(brentq(miss, lo, hi, xtol=1e-12))


@functools.lru_cache(maxsize=64)
def _ring_of(component) -> dict[str, Any]:
    """Settings and info of the chip's ring instance (cached per component)."""
    return _instance(component.get_netlist(), "sin_ring_bus")


def server_ring_params(
    params: Mapping[str, Any] | None = None,
    *,
    wl_um: float = sin.WL0_UM,
    component=None,
    **design_overrides,
) -> RingParams:
    """The server ring of a design as a :class:`~qkdchip.sims.physics.ring.RingParams`, the comb
    layer's input: the ring instance's geometry in the chip's netlist (``component`` or
    ``server_chip(**design_overrides)``), with the model-level ``params`` (:data:`PARAM_KEYS`)
    applied, through :func:`ring_params_from_geometry` at the pump wavelength ``wl_um``
    (default the design wavelength). No sax circuit is compiled."""
    check_params(params)
    if component is None:
        component = _build(design_overrides)
    elif design_overrides:
        raise ValueError("give either component or design overrides, not both")
    return ring_params_from_geometry(ring_geometry(_ring_of(component), params), wl_um)


# --- figures --------------------------------------------------------------------------------------
def _db(x: float) -> float:
    return float(10.0 * math.log10(max(float(x), 1e-300)))


def _regime(q_i: float, q_ex: float, over: bool) -> str:
    if abs(q_i / q_ex - 1.0) < CRITICAL_TOLERANCE:
        return "critical"
    return "over" if over else "under"


def _analytic(geom: Mapping[str, float], wl_um: float) -> dict[str, Any]:
    rp = ring_params_from_geometry(geom, wl_um)
    a = 10 ** (-rp.loss_db_per_m * rp.length_m / 20)
    r = math.sqrt(1.0 - rp.kappa2)
    ra = r * a
    t_min = ((r - a) / (1 - ra)) ** 2
    q_allpass = math.pi * rp.n_g * rp.length_m * math.sqrt(ra) / (rp.pump_wavelength_m * (1 - ra))
    return {
        "fsr_ghz": rp.fsr_hz / 1e9,
        "q_intrinsic": rp.q_i,
        "q_external": rp.q_ex,
        "q_loaded": rp.q_loaded,
        "q_loaded_allpass": q_allpass,
        "kappa2": rp.kappa2,
        "linewidth_mhz": rp.linewidth_hz / 1e6,
        "resonance_extinction_db": -_db(t_min),
        "coupling_regime": rp.coupling_regime,
        "ring_length_um": rp.length_m * 1e6,
        "n_g": rp.n_g,
        "round_trip_loss": 1 - a * a,
    }


def server_figures(
    component=None,
    *,
    params: Mapping[str, Any] | None = None,
    wl_guess_um: float | None = None,
    points: int = 20001,
    **design_overrides,
) -> dict[str, Any]:
    """Derived figures of the server chip, read from its S-matrix (see the module doc).

    ``wl_guess_um``: where to look for the resonance (default: the design/pump wavelength);
    ``points``: samples of each sweep of the resonance analysis; ``params``: model-level
    parameters (:data:`PARAM_KEYS`); design overrides rebuild the chip."""
    sc = server_circuit(component, **design_overrides)
    sc.check(params)
    params = dict(params or {})
    wl0 = sin.WL0_UM if wl_guess_um is None else float(sin.check_wl_um(wl_guess_um))
    geom = sc.geometry(params)
    guess = ring_params_from_geometry(geom, wl0)
    fsr_guess_um = wl0**2 * guess.fsr_hz / C_M_S * 1e-6  # um: lambda^2 nu_FSR / c

    def through(wl: np.ndarray) -> np.ndarray:
        return sc.through(wl, params)

    res = measure_resonance(through, wl0, fsr_guess_um, points=points)
    _, fsr_ghz = fsr_from_resonances(through, wl0, fsr_guess_um)
    nu = C_M_S / (res.wl_res_um * 1e-6)
    # off resonance: one FSR around the resonance, the transmission maximum
    wl_fsr = np.linspace(res.wl_res_um - fsr_guess_um / 2, res.wl_res_um + fsr_guess_um / 2, points)
    S = np.asarray(sc.evaluate(jnp.asarray(wl_fsr), {k: jnp.float64(v) for k, v in params.items()}))
    i1, i2 = sc.ports.index("o1"), sc.ports.index("o2")
    t21 = np.abs(S[:, i2, i1]) ** 2
    k_off = int(np.argmax(t21))
    return {
        "resonance_wl_nm": res.wl_res_um * 1e3,
        "fsr_ghz": fsr_ghz,
        "linewidth_mhz": res.linewidth_mhz,
        "fwhm_pm": res.fwhm_pm,
        "q_loaded": res.q_loaded,
        "q_intrinsic": res.q_intrinsic,
        "q_external": res.q_external,
        "kappa2": 2 * math.pi * nu / (res.q_external * fsr_ghz * 1e9),
        "resonance_extinction_db": res.extinction_db,
        "coupling_regime": _regime(res.q_intrinsic, res.q_external, res.over_coupled),
        "finesse": fsr_ghz * 1e3 / res.linewidth_mhz,
        "insertion_loss_db": -_db(t21[k_off]),
        "pump_reflection_db": _db(np.abs(S[k_off, i1, i1]) ** 2),
        "analytic": _analytic(geom, res.wl_res_um),
    }
