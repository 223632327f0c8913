"""S-matrix simulation of the InP client (transmitter) chip from its own layout netlist.

The circuit is ``sax.circuit`` of ``client_chip(**design).get_netlist(recursive=True)`` (prepared by
:func:`qkdchip.sims.models.inp.prepare_netlist`: optical part only, the MZM splitter imbalance
handed to its MMIs) with the InP leaf models :data:`qkdchip.sims.models.inp.MODELS`. A layout
parameter (``pm_length_um``, ``voa_length_um``, ``im_split_ratio``, ...) therefore changes the
S-matrix through the cells' own settings and info: there is no second copy of any number here.

Two views of the same netlist (``view=``):

* ``"source"`` (default): the netlist cut at the DBR laser's output port. The laser is the
  source: port ``laser`` is the field it emits into the modulator chain, port ``o2`` the fibre
  side of the output facet. ``|S[o2, laser]|^2`` is the laser-to-fibre transmission (P_fibre =
  P_laser |S|^2), ``|S[laser, laser]|^2`` the light sent back into the laser (facet reflection
  after a double pass through the chain), the injection facet and the laser itself are not part of
  it.
* ``"chip"``: the die's own ports, o1 (injection facet) and o2 (output facet), with the laser as
  an ideal passthrough reference plane (see ``inp_dbr_laser`` in the models).

Drive and model-level parameters (``drive=`` mapping, all optional, any may be a JAX array):

* ``im1_v``, ``im2_v``, ``im3_v``: push-pull amplitude of each MZM, +V on the upper arm and -V on
  the lower one (about the bias point; the arms are identical, so 0 V is the transmission
  maximum);
* ``pm_v``, ``pmref_v``: voltage on PM I and PM R (about the bias);
* ``voa_v``: reverse bias of the electro-absorption VOA, 0 ... ``PROCESS.voa_max_reverse_bias_V``;
* ``im_length_um``, ``pm_length_um``, ``pmref_length_um``, ``voa_length_um``: the electrode /
  absorber length *of the models* (the passive ends keep their drawn lengths; the layout is not
  redrawn, so the spacer waveguides keep their length). They exist to batch over lengths with
  ``jax.vmap`` without re-extracting a netlist; for the layout-exact effect pass the same names
  as design overrides (``client_circuit(pm_length_um=...)``), which rebuilds the chip.

Figures (:func:`client_figures`), all read from the S-matrix at the laser wavelength by sweeping
the drive and refining the extrema (``scipy.optimize``), none typed in:

* ``insertion_loss_db`` = -10 log10 max |S[o2, laser]|^2, each IM at its transmission maximum,
  the VOA unbiased;
* ``im_extinction_ratio_db`` (per IM; the others at their maximum) = 10 log10(T_max / T_min) over
  one push-pull period; ``im_extinction_ratio_total_db``: all three IMs at their minimum together
  (cascaded: the dB add);
* ``im_vpi_v``: push-pull amplitude from maximum to minimum;
* ``voa_range_db`` = 10 log10(T(0 V) / T(V_max)), ``voa_monotone``;
* ``pm_vpi_v``, ``pmref_vpi_v``: the voltage that turns the phase of S[o2, laser] by pi;
* ``back_reflection_db``: |S[laser, laser]|^2 at maximum transmission;
* ``laser_power_dbm`` (the laser cell's info), ``output_power_dbm`` (P_laser x max transmission),
  ``output_power_min_dbm`` (VOA at full attenuation).
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
from scipy import optimize

from qkdchip.pdk.inp.process import PROCESS
from qkdchip.sims.models.common import check_param
from qkdchip.sims.models.inp import MAX_LENGTH_UM, MODELS, WL0_UM, prepare_netlist

__all__ = [
    "DRIVE_KEYS",
    "ELEMENTS",
    "VIEWS",
    "ClientCircuit",
    "client_batch_fn",
    "client_circuit",
    "client_figures",
    "client_fn",
    "client_netlist",
    "client_sparams",
]

#: The driven elements of the chip netlist (instance names of ``client_chip``).
ELEMENTS = ("im1", "im2", "im3", "pm", "pmref", "voa")
_IMS = ("im1", "im2", "im3")
#: Keys of the ``drive`` mapping: a voltage per element, and model-level lengths.
VOLTAGE_KEYS = tuple(f"{e}_v" for e in ELEMENTS)
LENGTH_KEYS = {
    "im_length_um": _IMS,
    "pm_length_um": ("pm",),
    "pmref_length_um": ("pmref",),
    "voa_length_um": ("voa",),
}
DRIVE_KEYS = VOLTAGE_KEYS + tuple(LENGTH_KEYS)
VIEWS = ("source", "chip")
#: Name of the source port of the ``"source"`` view.
LASER_PORT = "laser"


# --- netlist ------------------------------------------------------------------------------------


def _nets_partner(net: Mapping[str, Any]) -> dict[str, str]:
    partner = {}
    for n in net["nets"]:
        partner[n["p1"]], partner[n["p2"]] = n["p2"], n["p1"]
    return partner


def _cut_at_laser(recnet: dict[str, Any]) -> dict[str, Any]:
    """The source view: the top level cut at the laser's output (port ``laser``); the laser and
    everything on its rear side (the injection facet) removed."""
    top_name = next(iter(recnet))
    top = recnet[top_name]
    lasers = [k for k, v in top["instances"].items() if v["component"] == "inp_dbr_laser"]
    if len(lasers) != 1:
        raise ValueError(f"client netlist: expected one inp_dbr_laser instance, found {lasers}")
    laser = lasers[0]
    partner = _nets_partner(top)
    out_ref = partner.get(f"{laser},o2")
    if out_ref is None:
        raise ValueError(f"client netlist: the laser output {laser},o2 is not connected")
    # instances reachable from the laser's rear port without crossing the laser
    removed, todo = {laser}, [partner[f"{laser},o1"]] if f"{laser},o1" in partner else []
    while todo:
        inst = todo.pop().split(",", 1)[0]
        if inst in removed:
            continue
        removed.add(inst)
        todo += [p for r, p in partner.items() if r.split(",", 1)[0] == inst]
    new = dict(top)
    new["instances"] = {k: v for k, v in top["instances"].items() if k not in removed}
    new["placements"] = {k: v for k, v in top.get("placements", {}).items() if k not in removed}
    new["nets"] = [
        n
        for n in top["nets"]
        if n["p1"].split(",", 1)[0] not in removed and n["p2"].split(",", 1)[0] not in removed
    ]
    ports = {k: v for k, v in top["ports"].items() if v.split(",", 1)[0] not in removed}
    new["ports"] = {LASER_PORT: out_ref, **ports}
    return {top_name: new, **{k: v for k, v in recnet.items() if k != top_name}}


def _build(design: Mapping[str, Any]):
    from qkdchip.circuits.client_chip import client_chip
    from qkdchip.pdk import use_pdk

    with use_pdk("inp"):
        return client_chip(**design)


def client_netlist(component=None, view: str = "source", **design_overrides) -> dict[str, Any]:
    """The prepared recursive netlist of the client chip (``component`` or
    ``client_chip(**design_overrides)``) in the given view, ready for ``sax.circuit``."""
    if view not in VIEWS:
        raise ValueError(f"view={view!r} is unknown: allowed {VIEWS}")
    if component is None:
        component = _build(design_overrides)
    elif design_overrides:
        raise ValueError("give either component or design overrides, not both")
    recnet = prepare_netlist(component.get_netlist(recursive=True), dict(component.info))
    return _cut_at_laser(recnet) if view == "source" else recnet


# --- compiled circuit -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Knob:
    """Where a drive key acts: nested setting paths, with a sign for voltages."""

    path: tuple[str, ...]
    sign: float = 1.0
    passive_um: float = 0.0  # path_length_um - length_um of that instance (lengths)


@dataclass(frozen=True, eq=False)
class ClientCircuit:
    """A compiled client-chip circuit: ``self(wl=..., **sax_settings) -> SDict``.

    ``ports``: port order of the dense S-matrix; ``netlist``: the prepared recursive netlist;
    ``laser_info``: the laser cell's info; ``design``: the design overrides it was built from."""

    circuit: Callable[..., sax.SDict]
    ports: tuple[str, ...]
    view: str
    netlist: dict[str, Any] = field(repr=False)
    laser_info: dict[str, Any] = field(repr=False)
    knobs: dict[str, tuple[_Knob, ...]] = field(repr=False)
    eo_lengths_um: dict[str, float] = field(repr=False)
    design: dict[str, Any] = field(default_factory=dict)
    #: jitted functions built on this circuit (compiled once per circuit)
    _jitted: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __call__(self, **kwargs) -> sax.SDict:
        return self.circuit(**kwargs)

    def jitted(self, key: Any, make: Callable[[], Any]) -> Any:
        """The jitted function ``make()`` cached under ``key`` on this circuit."""
        if key not in self._jitted:
            self._jitted[key] = make()
        return self._jitted[key]

    def settings(self, drive: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Nested sax settings of a ``drive`` mapping (keys :data:`DRIVE_KEYS`)."""
        drive = dict(drive or {})
        unknown = set(drive) - set(DRIVE_KEYS)
        if unknown:
            raise ValueError(f"drive keys {sorted(unknown)} are unknown: allowed {DRIVE_KEYS}")
        out: dict[str, Any] = {}
        for key, value in drive.items():
            for knob in self.knobs[key]:
                leaf = out
                for p in knob.path:
                    leaf = leaf.setdefault(p, {})
                if key in LENGTH_KEYS:
                    leaf["length_um"] = value
                    leaf["path_length_um"] = value + knob.passive_um
                else:
                    leaf["voltage_V"] = knob.sign * value
        return out

    def check_drive(self, drive: Mapping[str, Any] | None) -> None:
        """Range-check concrete drive values (JAX tracers are skipped): ValueError naming the key.

        Voltages: IM/PM |V| <= 2 V_pi of the (possibly overridden) electrode length, the VOA
        0 ... ``PROCESS.voa_max_reverse_bias_V``; lengths in [1, MAX_LENGTH_UM] um."""
        drive = dict(drive or {})
        unknown = set(drive) - set(DRIVE_KEYS)
        if unknown:
            raise ValueError(f"drive keys {sorted(unknown)} are unknown: allowed {DRIVE_KEYS}")
        concrete = {k: v for k, v in drive.items() if not isinstance(v, jax.core.Tracer)}
        for key in LENGTH_KEYS:
            if key in concrete:
                check_param(key, concrete[key], 1.0, MAX_LENGTH_UM, "um")
        for elem in ELEMENTS:
            key = f"{elem}_v"
            if key not in concrete:
                continue
            if elem == "voa":
                check_param(key, concrete[key], 0.0, PROCESS.voa_max_reverse_bias_V, "V")
                continue
            length_key = next(k for k, els in LENGTH_KEYS.items() if elem in els)
            length = concrete.get(length_key, self.eo_lengths_um[elem])
            if isinstance(length, jax.core.Tracer):
                continue
            v = np.asarray(concrete[key], dtype=float)
            vmax = 2.0 * PROCESS.eo_vpi_l_V_mm / (np.asarray(length, dtype=float) * 1e-3)
            bad = ~np.isfinite(v) | (np.abs(v) > vmax)
            if np.any(bad):
                raise ValueError(
                    f"{key}={v[bad].flat[0] if v.ndim else v.item():g} V is out of range: allowed "
                    f"|{key}| <= 2 V_pi = {np.min(vmax):g} V (V_pi L = {PROCESS.eo_vpi_l_V_mm} V mm)"
                )

    def sdense(self, wl_um, drive: Mapping[str, Any] | None = None):
        """Dense S (..., n_wl, m, m) in ``ports`` order; S[..., i, j] from port j to port i."""
        self.check_drive(drive)
        sd = self.circuit(wl=wl_um, **self.settings(drive))
        zero = None
        rows = []
        for p_out in self.ports:
            row = []
            for p_in in self.ports:
                v = sd.get((p_in, p_out))
                if v is None:
                    if zero is None:
                        zero = jnp.zeros_like(next(iter(sd.values())))
                    v = zero
                row.append(v)
            rows.append(jnp.stack(row, axis=-1))
        return jnp.stack(rows, axis=-2)


def _knobs(recnet: dict[str, Any]) -> tuple[dict[str, tuple[_Knob, ...]], dict[str, float]]:
    """Map every drive key to the EO/VOA instances it sets, from the netlist itself.

    MZM arms: the ``inp_eo_section`` instances of the element's sub-netlist; the upper arm
    (larger placement y) gets +V, the lower one -V. Phase modulators: their EO section(s). VOA:
    the instance itself."""
    top = recnet[next(iter(recnet))]
    knobs: dict[str, list[_Knob]] = {k: [] for k in DRIVE_KEYS}
    eo_lengths: dict[str, float] = {}
    for elem in ELEMENTS:
        inst = top["instances"].get(elem)
        if inst is None:
            raise ValueError(f"client netlist has no instance {elem!r}")
        sub = recnet.get(inst["component"])
        if sub is None:  # a leaf (the VOA)
            targets = [((elem,), 1.0, inst)]
        else:
            eo = {k: v for k, v in sub["instances"].items() if v["component"] == "inp_eo_section"}
            ys = {k: float(sub.get("placements", {}).get(k, {}).get("y", 0.0)) for k in eo}
            if len(eo) == 2:
                upper = max(ys, key=ys.get)
                targets = [((elem, k), 1.0 if k == upper else -1.0, v) for k, v in eo.items()]
            elif len(eo) == 1:
                targets = [((elem, k), 1.0, v) for k, v in eo.items()]
            else:
                raise ValueError(f"client netlist: {elem} has {len(eo)} EO sections")
        for path, sign, leaf in targets:
            info = {**(leaf.get("settings") or {}), **(leaf.get("info") or {})}
            knobs[f"{elem}_v"].append(_Knob(path, sign))
            passive = float(info["path_length_um"]) - float(info["length_um"])
            for key, elems in LENGTH_KEYS.items():
                if elem in elems:
                    knobs[key].append(_Knob(path, passive_um=passive))
            eo_lengths[elem] = float(info["length_um"])
    return {k: tuple(v) for k, v in knobs.items()}, eo_lengths


@functools.lru_cache(maxsize=16)
def _compiled(view: str, backend: str, design_items: tuple, component=None) -> ClientCircuit:
    design = dict(design_items)
    if component is None:
        component = _build(design)
    recnet = client_netlist(component, view=view)
    circuit, _ = sax.circuit(recnet, MODELS, backend=backend)
    top = recnet[next(iter(recnet))]
    lasers = [
        v for v in component.get_netlist()["instances"].values()
        if v["component"] == "inp_dbr_laser"
    ]  # fmt: skip
    knobs, eo_lengths = _knobs(recnet)
    return ClientCircuit(
        circuit=circuit,
        ports=tuple(top["ports"]),
        view=view,
        netlist=recnet,
        laser_info=dict(lasers[0].get("info") or {}),
        knobs=knobs,
        eo_lengths_um=eo_lengths,
        design=design,
    )


def _freeze(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_freeze(x) for x in v)
    return v


def client_circuit(
    component=None, view: str = "source", backend: str = "filipsson_gunnar", **design_overrides
) -> ClientCircuit:
    """The compiled sax circuit of the client chip, cached per (view, backend, design).

    ``component``: an already built ``client_chip`` (cached by identity); otherwise the chip is
    built with ``client_chip(**design_overrides)`` inside ``use_pdk("inp")`` (the cell validates
    the overrides: a bad value raises ValueError naming it)."""
    if view not in VIEWS:
        raise ValueError(f"view={view!r} is unknown: allowed {VIEWS}")
    if component is not None and design_overrides:
        raise ValueError("give either component or design overrides, not both")
    items = tuple(sorted((k, _freeze(v)) for k, v in design_overrides.items()))
    return _compiled(view, backend, items, component)


def client_sparams(
    wl_um,
    drive: Mapping[str, Any] | None = None,
    *,
    view: str = "source",
    component=None,
    **design_overrides,
) -> tuple[np.ndarray, list[str]]:
    """S-parameters of the client chip: (S with shape (n_wl, m, m), port names).

    ``wl_um``: wavelengths (um); ``drive``: voltages / model lengths (:data:`DRIVE_KEYS`; default
    all 0 V: every IM at its transmission maximum, VOA unbiased); ``view``: ``"source"`` (ports
    ``laser``, ``o2``) or ``"chip"`` (``o1``, ``o2``). S[:, i, j] is from port j to port i."""
    cc = client_circuit(component, view=view, **design_overrides)
    wl = np.atleast_1d(np.asarray(wl_um, dtype=float))
    return np.asarray(cc.sdense(wl, drive)), list(cc.ports)


def client_fn(
    view: str = "source", component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], jax.Array], tuple[str, ...]]:
    """A jitted ``f(wl_um, drive) -> S (n_wl, m, m)`` and the port order, for sweeps and batches.

    ``drive`` is a dict of scalars (keys :data:`DRIVE_KEYS`; the set of keys is fixed per
    compilation). ``f`` range-checks concrete drive values, then calls the jitted circuit; batch
    over parameter sets with ``jax.vmap(f, in_axes=(None, 0))(wl, drive_batch)`` (inside a trace
    the checks are skipped: validate a batch with ``client_circuit().check_drive(batch)``), or
    with :func:`client_batch_fn` for large batches."""
    cc = client_circuit(component, view=view, **design_overrides)
    jitted = cc.jitted("sdense", lambda: jax.jit(cc.sdense))

    def f(wl_um, drive):
        cc.check_drive(drive)
        return jitted(wl_um, drive)

    return f, cc.ports


def client_batch_fn(
    view: str = "source", chunk: int = 32, component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], np.ndarray], tuple[str, ...]]:
    """``f(wl_um, drive_batch) -> S (batch, n_wl, m, m)`` (numpy) over a batch of drives.

    ``drive_batch``: dict of 1-D arrays of one length (the batch). The batch is evaluated
    ``chunk`` parameter sets at a time by one jitted ``jax.vmap`` of the circuit (compiled once
    per circuit and chunk size; the last chunk is padded), so that a 1,000 x 10,000-point batch
    does not hold every intermediate array at once. Concrete inputs are range-checked first."""
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk={chunk!r} must be a positive integer")
    cc = client_circuit(component, view=view, **design_overrides)
    run = cc.jitted("vmap", lambda: jax.jit(jax.vmap(cc.sdense, in_axes=(None, 0))))

    def f(wl_um, drive_batch):
        sizes = {np.shape(v) for v in drive_batch.values()}
        if len(sizes) != 1 or len(next(iter(sizes))) != 1:
            raise ValueError(f"drive_batch: give 1-D arrays of one length, got shapes {sizes}")
        cc.check_drive(drive_batch)
        batch = {k: np.asarray(v, dtype=float) for k, v in drive_batch.items()}
        n = next(iter(sizes))[0]
        wl = jnp.asarray(wl_um, dtype=float)
        parts = []
        for start in range(0, n, chunk):
            part = {k: v[start : start + chunk] for k, v in batch.items()}
            m = len(next(iter(part.values())))
            if m < chunk:  # pad with the last set: one compiled shape
                part = {
                    k: np.concatenate([v, np.repeat(v[-1:], chunk - m)]) for k, v in part.items()
                }
            parts.append(run(wl, part)[:m])
        return np.concatenate([np.asarray(p) for p in parts])

    return f, cc.ports


# --- figures --------------------------------------------------------------------------------------


def _db(x: float) -> float:
    return float(10.0 * math.log10(max(float(x), 1e-300)))


class _Probe:
    """Transmission / phase of S[o2, laser] at one wavelength, as a function of the drive."""

    def __init__(self, cc: ClientCircuit, wl_um: float):
        self.cc = cc
        self.i_out = cc.ports.index("o2")
        self.i_in = cc.ports.index(LASER_PORT)
        wl = jnp.asarray([wl_um])

        @jax.jit
        def s(drive):
            S = cc.sdense(wl, drive)
            return S[0, self.i_out, self.i_in], S[0, self.i_in, self.i_in]

        self._s = s
        self._batch = jax.jit(jax.vmap(s))

    def s21(self, drive: Mapping[str, float]) -> complex:
        return complex(self._s({k: jnp.float64(v) for k, v in drive.items()})[0])

    def t(self, drive: Mapping[str, float]) -> float:
        return abs(self.s21(drive)) ** 2

    def sweep(self, base: Mapping[str, float], key: str, values: np.ndarray) -> np.ndarray:
        """Complex S[o2, laser] over ``values`` of ``key`` (one vmapped call)."""
        drive = {k: jnp.full(values.shape, v, dtype=float) for k, v in base.items()}
        drive[key] = jnp.asarray(values, dtype=float)
        return np.asarray(self._batch(drive)[0])

    def sweep_t(self, base: Mapping[str, float], key: str, values: np.ndarray) -> np.ndarray:
        """|S[o2, laser]|^2 over ``values`` of ``key``."""
        return np.abs(self.sweep(base, key, values)) ** 2

    def back_reflection(self, drive: Mapping[str, float]) -> float:
        return abs(complex(self._s({k: jnp.float64(v) for k, v in drive.items()})[1])) ** 2


def _refine(f: Callable[[float], float], grid: np.ndarray, i: int) -> tuple[float, float]:
    """Minimum of ``f`` near grid point ``i`` (bounded Brent between the neighbours)."""
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    x = float(res.x) if res.fun <= f(grid[i]) else float(grid[i])
    return x, float(f(x))


def _im_extrema(probe: _Probe, base: dict[str, float], key: str, vpi_arm_v: float, points: int):
    """(v_max, T_max, v_min, T_min) of one IM over one push-pull period around 0 V."""
    grid = np.linspace(-vpi_arm_v / 2, vpi_arm_v / 2, points)  # period of T(v): V_pi,arm
    t = probe.sweep_t(base, key, grid)

    def t_of(v: float) -> float:
        return probe.t({**base, key: v})

    v_max, neg_t = _refine(lambda v: -t_of(v), grid, int(np.argmax(t)))
    v_min, t_min = _refine(t_of, grid, int(np.argmin(t)))
    return v_max, -neg_t, v_min, t_min


def _phase_vpi(probe: _Probe, base: dict[str, float], key: str, v_lim: float, points: int):
    """Smallest |V| > 0 turning the phase of S[o2, laser] by pi (from a sweep + brentq)."""
    grid = np.linspace(0.0, v_lim, points)
    s0 = probe.s21({**base, key: 0.0})
    s = probe.sweep(base, key, grid)
    dphi = np.unwrap(np.angle(s * np.conj(s0)))
    k = np.nonzero(np.abs(dphi) >= np.pi)[0]
    if k.size == 0:
        raise RuntimeError(f"{key}: no pi phase shift within {v_lim:g} V")
    k = int(k[0])

    def g(v: float) -> float:  # continuous through dphi = pi: angle(e^{i (dphi - pi/2)}) - pi/2
        r = probe.s21({**base, key: v}) * np.conj(s0) * np.exp(-1j * np.pi / 2 * np.sign(dphi[k]))
        return abs(np.angle(r)) - np.pi / 2

    return float(optimize.brentq(g, grid[k - 1], grid[k], xtol=1e-12))


def client_figures(
    component=None, *, wl_um: float | None = None, points: int = 201, **design_overrides
) -> dict[str, Any]:
    """Derived figures of the client chip, all read from its S-matrix (see the module doc).

    Evaluated at ``wl_um`` (default: the laser's design wavelength ``PROCESS.wavelength_nm``) on
    the source view. ``points``: grid of each drive sweep before the extrema are refined."""
    from qkdchip.sims.models.inp import eo_vpi_v

    cc = client_circuit(component, view="source", **design_overrides)
    wl = WL0_UM if wl_um is None else float(wl_um)
    probe = cc.jitted(("probe", wl), lambda: _Probe(cc, wl))
    zero = {k: 0.0 for k in VOLTAGE_KEYS}

    # IMs: each swept over one period with the others at 0 V, then moved to their maximum.
    base = dict(zero)
    ims: dict[str, tuple[float, float, float, float]] = {}
    for im in _IMS:  # series elements: one IM's extrema do not depend on the others' drive
        key = f"{im}_v"
        ims[im] = _im_extrema(probe, base, key, eo_vpi_v(cc.eo_lengths_um[im], wl), points)
        base[key] = ims[im][0]
    at_max = dict(base)
    t_max = probe.t(at_max)
    er = {im: _db(v[1] / v[3]) for im, v in ims.items()}
    at_min = {**at_max, **{f"{im}_v": ims[im][2] for im in _IMS}}
    er_total = _db(t_max / probe.t(at_min))

    # VOA: its documented control range
    v_voa = np.linspace(0.0, PROCESS.voa_max_reverse_bias_V, points)
    t_voa = probe.sweep_t(at_max, "voa_v", v_voa)
    voa_range = _db(t_voa.max() / t_voa.min())
    t_voa_max = probe.t({**at_max, "voa_v": PROCESS.voa_max_reverse_bias_V})

    # PMs: the voltage for a pi phase turn (the model domain is |V| <= 2 V_pi)
    vpi = {
        pm: _phase_vpi(probe, at_max, f"{pm}_v", 2 * eo_vpi_v(cc.eo_lengths_um[pm], wl), points)
        for pm in ("pm", "pmref")
    }

    p_laser_mw = float(cc.laser_info.get("output_power_mW", PROCESS.laser_power_mW))
    laser_dbm = _db(p_laser_mw)
    return {
        "wavelength_nm": wl * 1e3,
        "insertion_loss_db": -_db(t_max),
        "im_extinction_ratio_db": er,
        "im_extinction_ratio_total_db": er_total,
        "im_vpi_v": {im: abs(v[2] - v[0]) for im, v in ims.items()},
        "im_bias_v": {im: v[0] for im, v in ims.items()},
        "voa_range_db": voa_range,
        "voa_monotone": bool(np.all(np.diff(t_voa) <= 0)),
        "pm_vpi_v": vpi["pm"],
        "pmref_vpi_v": vpi["pmref"],
        "back_reflection_db": _db(probe.back_reflection(at_max)),
        "laser_power_dbm": laser_dbm,
        "output_power_dbm": laser_dbm + _db(t_max),
        "output_power_min_dbm": laser_dbm + _db(t_voa_max),
    }
