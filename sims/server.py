"""S-matrix simulation of the Si3N4 server (microcomb) chip from its own layout netlist.

The circuit is ``sax.circuit`` of ``server_chip(**design).get_netlist(recursive=True)`` (prepared
by :func:`qkdchip.sims.models.sin.prepare_netlist`: optical part only) with the Si3N4 leaf models
:data:`qkdchip.sims.models.sin.MODELS`. Its ports are the chip's: ``o1`` the pump laser's facet
plane in front of the butt-coupling facet (across ``pump_air_gap_um`` of air), ``o2`` the fibre
side of the output edge coupler. The optical path is pump facet -> ``wg_in`` -> all-pass ring
(``ring``: coupler + loop + bus, itself a sax circuit) -> ``wg_out`` -> edge coupler. A layout
parameter (``ring_gap_um``, ``ring_radius_um``, ``pump_air_gap_um``...) changes the S-matrix
through the cells' own settings: there is no second copy of any number here. The heater has no
optical model (the process states no thermo-optic coefficient): the ring is simulated unheated.

Model-level parameters (``params=`` mapping, all optional, each may be a JAX array):
:data:`PARAM_KEYS` = ``ring_gap_um``, ``ring_radius_um``, ``ring_coupling_length_um`` (set on
the ring instance; the bus keeps its drawn length), ``loss_db_per_m`` (every Si3N4 waveguide of
the chip) and ``pump_air_gap_um``. They exist to sweep and batch (``jax.vmap``) without
rebuilding the layout; for the layout-exact effect pass the design names as overrides
(``server_figures(ring_gap_um=2.0)`` rebuilds the chip).

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
  1/Q_i + 1/Q_ex; :func:`server_ring_params`), plus the exact all-pass FWHM
  (``q_loaded_allpass`` = pi n_g L sqrt(r a) / (lambda (1 - r a))) and depth
  (T_min = ((r - a)/(1 - r a))^2), for comparison.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sax

from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.process import PROPAGATION_LOSS_DB_PER_M
from qkdchip.sims.models import sin
from qkdchip.sims.models.analysis import C_M_S, fsr_from_resonances, measure_resonance
from qkdchip.sims.models.common import check_param
from qkdchip.sims.physics.ring import RingParams

__all__ = [
    "BATCH_KEYS",
    "BATCH_RANGES",
    "PARAM_KEYS",
    "ServerCircuit",
    "server_batch_fn",
    "server_circuit",
    "server_figures",
    "server_fn",
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
}
PARAM_KEYS = tuple(_KNOBS)
#: The keys a batch study varies (all of them), and the ranges it samples by default: a
#: neighbourhood of the default design (validity ranges: :meth:`ServerCircuit.check_params`).
BATCH_KEYS = PARAM_KEYS
BATCH_RANGES: dict[str, tuple[float, float]] = {
    "ring_gap_um": (2.0, 2.8),
    "ring_radius_um": (990.0, 1005.0),
    "ring_coupling_length_um": (0.0, 100.0),
    "loss_db_per_m": (1.0, 3.0),
    "pump_air_gap_um": (0.0, 5.0),
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
    }


# --- netlist ------------------------------------------------------------------------------------


def _build(design: Mapping[str, Any]):
    from qkdchip.circuits.server_chip import server_chip
    from qkdchip.pdk import use_pdk

    with use_pdk("sin"):
        return server_chip(**design)


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


# --- compiled circuit -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ServerCircuit:
    """A compiled server-chip circuit: ``self(wl=..., **sax_settings) -> SDict``.

    ``ports``: port order of the dense S-matrix (o1 pump side, o2 fibre side); ``netlist``: the
    prepared recursive netlist; ``ring``: the ring instance's settings (layout geometry);
    ``targets``: the instance names each :data:`PARAM_KEYS` entry acts on."""

    circuit: Callable[..., sax.SDict]
    ports: tuple[str, ...]
    netlist: dict[str, Any] = field(repr=False)
    ring: dict[str, Any] = field(repr=False)
    pump: dict[str, Any] = field(repr=False)
    targets: dict[str, tuple[str, ...]] = field(repr=False)
    design: dict[str, Any] = field(default_factory=dict)

    def __call__(self, **kwargs) -> sax.SDict:
        return self.circuit(**kwargs)

    def check_params(self, params: Mapping[str, Any] | None) -> None:
        """Range-check concrete parameter values (JAX tracers are skipped): ValueError naming it."""
        params = dict(params or {})
        unknown = set(params) - set(PARAM_KEYS)
        if unknown:
            raise ValueError(f"params keys {sorted(unknown)} are unknown: allowed {PARAM_KEYS}")
        ranges = _ranges()
        for key, value in params.items():
            check_param(key, value, *ranges[key])

    def settings(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Nested sax settings of a ``params`` mapping (keys :data:`PARAM_KEYS`)."""
        out: dict[str, Any] = {}
        for key, value in dict(params or {}).items():
            setting = _KNOBS[key][0]
            for inst in self.targets[key]:
                out.setdefault(inst, {})[setting] = value
        return out

    def geometry(self, params: Mapping[str, Any] | None = None) -> dict[str, float]:
        """The ring's model inputs (radius, width, gap, coupling length, loss) with ``params``
        applied: the numbers the analytic figures use (concrete values only)."""
        p = dict(params or {})
        r = self.ring
        return {
            "radius_um": float(p.get("ring_radius_um", r["radius_um"])),
            "width_um": float(r["width_um"]),
            "gap_um": float(p.get("ring_gap_um", r["gap_um"])),
            "coupling_length_um": float(p.get("ring_coupling_length_um", r["coupling_length_um"])),
            "loss_db_per_m": float(p.get("loss_db_per_m", PROPAGATION_LOSS_DB_PER_M)),
        }

    def sdict(self, wl_um, params: Mapping[str, Any] | None = None) -> sax.SDict:
        """The circuit's SDict at ``wl_um`` with the model-level ``params`` (traceable)."""
        return self.circuit(wl=wl_um, **self.settings(params))

    def dense(self, sd: sax.SDict):
        """Dense S (..., n_wl, m, m) of an SDict in ``ports`` order; S[..., i, j] from j to i."""
        zero = jnp.zeros_like(next(iter(sd.values())))
        return jnp.stack(
            [jnp.stack([sd.get((pi, po), zero) for pi in self.ports], -1) for po in self.ports],
            -2,
        )

    def sdense(self, wl_um, params: Mapping[str, Any] | None = None):
        """Dense S (n_wl, m, m) (traceable). Under ``jax.jit`` prefer :meth:`jitted`: XLA fuses
        the stacking into the circuit's arithmetic and recomputes it per entry (2x slower)."""
        return self.dense(self.sdict(wl_um, params))

    @functools.cached_property
    def _jit_sdict(self) -> Callable[..., sax.SDict]:
        return jax.jit(self.sdict)

    @functools.cached_property
    def _jit_dense(self) -> Callable[[sax.SDict], jax.Array]:
        return jax.jit(self.dense)

    def jitted(self, wl_um, params: Mapping[str, Any] | None = None) -> jax.Array:
        """Dense S (n_wl, m, m) from two compiled stages (circuit, then stacking); no checks."""
        return self._jit_dense(self._jit_sdict(wl_um, dict(params or {})))

    @functools.cached_property
    def _through(self) -> Callable[[Any, Mapping[str, Any]], jax.Array]:
        return jax.jit(lambda wl, p: self.sdict(wl, p)[("o1", "o2")])

    def through(self, wl_um, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """S[o2, o1] (pump -> fibre) at ``wl_um``, jitted (params as float64 scalars)."""
        p = {k: jnp.float64(v) for k, v in dict(params or {}).items()}
        return np.asarray(self._through(jnp.asarray(wl_um, dtype=jnp.float64), p))


def _targets(top: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    ring, pump = _single(top, "sin_ring_bus"), _single(top, "sin_pump_facet")
    lossy = tuple(
        k
        for k, v in top["instances"].items()
        if "loss_db_per_m" in sax.get_settings(sin.MODELS[v["component"]])
    )
    where = {"ring": (ring,), "pump": (pump,), "all": lossy}
    return {key: where[scope] for key, (_, scope) in _KNOBS.items()}


@functools.lru_cache(maxsize=16)
def _compiled(backend: str, design_items: tuple, component=None) -> ServerCircuit:
    design = dict(design_items)
    if component is None:
        component = _build(design)
    recnet = server_netlist(component)
    circuit, _ = sax.circuit(recnet, sin.MODELS, backend=backend)
    circuit = sin.localize(circuit)
    top = recnet[next(iter(recnet))]
    inst = top["instances"]
    ring = inst[_single(top, "sin_ring_bus")]
    pump = inst[_single(top, "sin_pump_facet")]
    return ServerCircuit(
        circuit=circuit,
        ports=tuple(top["ports"]),
        netlist=recnet,
        ring={**dict(ring.get("settings") or {}), **dict(ring.get("info") or {})},
        pump={**dict(pump.get("settings") or {}), **dict(pump.get("info") or {})},
        targets=_targets(top),
        design=design,
    )


def _freeze(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_freeze(x) for x in v)
    return v


def server_circuit(
    component=None, backend: str = "filipsson_gunnar", **design_overrides
) -> ServerCircuit:
    """The compiled sax circuit of the server chip, cached per (backend, design).

    ``component``: an already built ``server_chip`` (cached by identity); otherwise the chip is
    built with ``server_chip(**design_overrides)`` inside ``use_pdk("sin")`` (the cell validates
    the overrides: a bad value raises ValueError naming it)."""
    if component is not None and design_overrides:
        raise ValueError("give either component or design overrides, not both")
    items = tuple(sorted((k, _freeze(v)) for k, v in design_overrides.items()))
    return _compiled(backend, items, component)


def server_sparams(
    wl_um, params: Mapping[str, Any] | None = None, *, component=None, **design_overrides
) -> tuple[np.ndarray, list[str]]:
    """S-parameters of the server chip: (S with shape (n_wl, m, m), port names ['o1', 'o2']).

    ``wl_um``: wavelengths (um, within :func:`~qkdchip.sims.models.sin.wl_range_um`); ``params``:
    model-level parameters (:data:`PARAM_KEYS`); design overrides rebuild the chip. S[:, i, j] is
    from port j to port i."""
    sc = server_circuit(component, **design_overrides)
    sc.check_params(params)
    wl = jnp.atleast_1d(sin.check_wl_um(wl_um))
    p = {k: jnp.float64(v) for k, v in dict(params or {}).items()}
    return np.asarray(sc.jitted(wl, p)), list(sc.ports)


def server_fn(
    component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], jax.Array], tuple[str, ...]]:
    """A jitted ``f(wl_um, params) -> S (n_wl, m, m)`` and the port order, for sweeps.

    ``params``: dict of scalars (keys :data:`PARAM_KEYS`; the set of keys is fixed per
    compilation). ``f`` range-checks concrete inputs, then calls the jitted circuit; batch over
    parameter sets with ``jax.vmap(f_jitted, in_axes=(None, 0))`` or :func:`server_batch_fn`."""
    sc = server_circuit(component, **design_overrides)

    def f(wl_um, params=None):
        params = dict(params or {})
        sc.check_params(params)
        return sc.jitted(sin.check_wl_um(wl_um), params)

    return f, sc.ports


def server_batch_fn(
    chunk: int = 32, component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], jax.Array], tuple[str, ...]]:
    """A jitted ``f(wl_um, params_batch) -> S (batch, n_wl, m, m)`` over a batch of parameters.

    ``params_batch``: dict of 1-D arrays of one length (the batch), evaluated ``chunk`` sets at a
    time (``jax.lax.map`` with ``batch_size``: vmapped chunks) so that a 1,000 x 10,000-point batch
    does not hold every intermediate at once. Concrete inputs are range-checked first."""
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk={chunk!r} must be a positive integer")
    sc = server_circuit(component, **design_overrides)

    @jax.jit
    def run(wl_um, batch):
        return jax.lax.map(lambda p: sc.sdict(wl_um, p), batch, batch_size=chunk)

    def f(wl_um, params_batch):
        sizes = {np.shape(v) for v in params_batch.values()}
        if len(sizes) != 1 or len(next(iter(sizes))) != 1:
            raise ValueError(f"params_batch: give 1-D arrays of one length, got shapes {sizes}")
        sc.check_params(params_batch)
        batch = {k: jnp.asarray(v, dtype=jnp.float64) for k, v in params_batch.items()}
        return sc._jit_dense(run(sin.check_wl_um(wl_um), batch))

    return f, sc.ports


# --- figures --------------------------------------------------------------------------------------


def _ring_params(geom: Mapping[str, float], wl_um: float) -> RingParams:
    length_um = float(sin.ring_length_um(geom["radius_um"], geom["coupling_length_um"]))
    _, n_g, beta2 = sin.mode_figures(geom["width_um"])
    kappa2 = float(
        sin.power_coupling(
            wl_um, geom["gap_um"], geom["radius_um"], geom["width_um"], geom["coupling_length_um"]
        )
    )
    from qkdchip.pdk.sin import modes
    from qkdchip.pdk.sin.process import effective_n2_m2_per_w

    return RingParams(
        length_m=length_um * 1e-6,
        n_g=n_g,
        beta2_s2_per_m=beta2,
        loss_db_per_m=geom["loss_db_per_m"],
        kappa2=kappa2,
        pump_wavelength_m=wl_um * 1e-6,
        n2_m2_per_w=effective_n2_m2_per_w(float(modes.kerr_core_fraction(geom["width_um"]))),
        a_eff_m2=float(modes.effective_area_um2(geom["width_um"])) * 1e-12,
    )


def server_ring_params(
    params: Mapping[str, Any] | None = None,
    *,
    wl_um: float = sin.WL0_UM,
    component=None,
    **design_overrides,
) -> RingParams:
    """The server ring as a :class:`~qkdchip.sims.physics.ring.RingParams` (the comb layer's
    input): length from the layout's racetrack, n_g and beta2 of the core (femwell), the process
    loss, |k|^2 from the coupler model at ``wl_um`` (default the design wavelength)."""
    sc = server_circuit(component, **design_overrides)
    sc.check_params(params)
    return _ring_params(sc.geometry(params), wl_um)


def _db(x: float) -> float:
    return float(10.0 * math.log10(max(float(x), 1e-300)))


def _regime(q_i: float, q_ex: float, over: bool) -> str:
    if abs(q_i / q_ex - 1.0) < CRITICAL_TOLERANCE:
        return "critical"
    return "over" if over else "under"


def _analytic(geom: Mapping[str, float], wl_um: float) -> dict[str, Any]:
    rp = _ring_params(geom, wl_um)
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
    sc.check_params(params)
    params = dict(params or {})
    wl0 = sin.WL0_UM if wl_guess_um is None else float(sin.check_wl_um(wl_guess_um))
    geom = sc.geometry(params)
    guess = _ring_params(geom, wl0)
    fsr_guess_um = wl0**2 * guess.fsr_hz / C_M_S * 1e-6  # um: lambda^2 nu_FSR / c

    def through(wl: np.ndarray) -> np.ndarray:
        return sc.through(wl, params)

    res = measure_resonance(through, wl0, fsr_guess_um, points=points)
    _, fsr_ghz = fsr_from_resonances(through, wl0, fsr_guess_um)
    nu = C_M_S / (res.wl_res_um * 1e-6)
    # off resonance: one FSR around the resonance, the transmission maximum
    wl_fsr = np.linspace(res.wl_res_um - fsr_guess_um / 2, res.wl_res_um + fsr_guess_um / 2, points)
    S = np.asarray(sc.jitted(jnp.asarray(wl_fsr), {k: jnp.float64(v) for k, v in params.items()}))
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
