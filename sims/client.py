"""S-matrix simulation of the InP client (transmitter) chip from its own layout netlist.

The circuit is ``sax.circuit`` of ``client_chip(**design).get_netlist(recursive=True)`` (prepared by
:func:`qkdchip.sims.models.inp.prepare_netlist`: optical part only, the MZM splitter imbalance
handed to its MMIs) with the InP leaf models :data:`qkdchip.sims.models.inp.MODELS`, compiled once
per view and design by :mod:`qkdchip.sims.circuit` (shared with the server chip; this module keeps
the client's netlist views and drive). A layout
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

Figures (:func:`client_figures`, in :mod:`qkdchip.sims.client_figures`; re-exported here), all
read from the S-matrix at the laser wavelength by sweeping
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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
import sax

from qkdchip.pdk.inp.process import PROCESS
from qkdchip.sims import netlist_simplify
from qkdchip.sims.circuit import ChipCircuit, build_chip, compiled
from qkdchip.sims.models.common import check_param, check_wl
from qkdchip.sims.models.inp import MAX_LENGTH_UM, MODELS, prepare_netlist

__all__ = [
    "DRIVE_KEYS",
    "ELEMENTS",
    "VIEWS",
    "ClientCircuit",
    "client_batch_fn",
    "client_circuit",
    "client_figures",  # noqa: F822  (module __getattr__: sims.client_figures)
    "client_fn",
    "client_netlist",
    "client_sparams",
]

#: The driven elements of the chip netlist (instance names of ``client_chip``).
ELEMENTS = ("im1", "im2", "im3", "pm", "pmref", "voa")
IMS = ("im1", "im2", "im3")
#: Keys of the ``drive`` mapping: a voltage per element, and model-level lengths.
VOLTAGE_KEYS = tuple(f"{e}_v" for e in ELEMENTS)
LENGTH_KEYS = {
    "im_length_um": IMS,
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

    return build_chip("inp", client_chip, design)


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
class ClientCircuit(ChipCircuit):
    """The compiled client-chip circuit (:class:`~qkdchip.sims.circuit.ChipCircuit`); its
    parameter mapping is the ``drive`` (:data:`DRIVE_KEYS`).

    ``view``: ``"source"`` or ``"chip"``; ``laser_info``: the laser cell's info; ``knobs``: the
    instances each drive key sets; ``eo_lengths_um``: the electrode length of each element."""

    view: str = "source"
    laser_info: dict[str, Any] = field(default_factory=dict, repr=False)
    knobs: dict[str, tuple[_Knob, ...]] = field(default_factory=dict, repr=False)
    eo_lengths_um: dict[str, float] = field(default_factory=dict, repr=False)

    PARAMS = "drive"
    #: a drive touches a few elements of the chip: the rest (every passive phase) is computed
    #: once per chunk in a lax.map (3x faster than a vmap at 10,000 wavelengths, measured by
    #: benchmarks/bench_scale.py --only client)
    BATCH_LOOP = "map"

    def check_wl(self, wl_um):
        return check_wl(wl_um)

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

    def check(self, drive: Mapping[str, Any] | None) -> None:
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

    check_drive = check


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


def _compile(
    component, design: dict[str, Any], view: str, backend: str, simplify: bool = True
) -> ClientCircuit:
    if component is None:
        component = _build(design)
    recnet = client_netlist(component, view=view)
    if simplify:  # cascades of two-ports merged (same S, fewer nets to connect)
        circuit, _ = netlist_simplify.circuit(recnet, MODELS, backend=backend)
    else:
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
        netlist=recnet,
        design=design,
        view=view,
        laser_info=dict(lasers[0].get("info") or {}),
        knobs=knobs,
        eo_lengths_um=eo_lengths,
    )


def client_circuit(
    component=None,
    view: str = "source",
    backend: str = "filipsson_gunnar",
    simplify: bool = True,
    **design_overrides,
) -> ClientCircuit:
    """The compiled sax circuit of the client chip, cached per (view, backend, simplify, design).

    ``simplify``: merge the netlist's cascades of two-ports before ``sax.circuit``
    (:mod:`qkdchip.sims.netlist_simplify`: the same S-matrix, settings at the same instance
    paths, a fraction of the cost); False compiles the netlist as it is (the reference).

    ``component``: an already built ``client_chip`` (cached by identity); otherwise the chip is
    built with ``client_chip(**design_overrides)`` inside ``use_pdk("inp")`` (the cell validates
    the overrides: a bad value raises ValueError naming it)."""
    if view not in VIEWS:
        raise ValueError(f"view={view!r} is unknown: allowed {VIEWS}")
    return compiled(
        _compile, component, design_overrides, view=view, backend=backend, simplify=simplify
    )


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
    ``laser``, ``o2``) or ``"chip"`` (``o1``, ``o2``). S[:, i, j] is from port j to port i.
    Evaluated eagerly (no compilation per drive): for sweeps use :func:`client_fn`."""
    cc = client_circuit(component, view=view, **design_overrides)
    wl = np.atleast_1d(np.asarray(wl_um, dtype=float))
    return np.asarray(cc.sdense(wl, drive)), list(cc.ports)


def client_fn(
    view: str = "source", component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], jax.Array], tuple[str, ...]]:
    """A jitted ``f(wl_um, drive) -> S (n_wl, m, m)`` and the port order, for sweeps and batches
    (:meth:`~qkdchip.sims.circuit.ChipCircuit.fn`). ``drive`` is a dict of scalars (keys
    :data:`DRIVE_KEYS`; the set of keys is fixed per compilation). ``f`` range-checks concrete
    inputs, then calls the compiled circuit; batch over drives with
    ``jax.vmap(f, in_axes=(None, 0))(wl, drive_batch)`` (inside a trace the checks are skipped:
    validate a batch with ``client_circuit().check(batch)``), or with :func:`client_batch_fn`."""
    cc = client_circuit(component, view=view, **design_overrides)
    return cc.fn(), cc.ports


def client_batch_fn(
    view: str = "source", chunk: int = 32, component=None, **design_overrides
) -> tuple[Callable[[Any, Mapping[str, Any]], np.ndarray], tuple[str, ...]]:
    """``f(wl_um, drive_batch) -> S (batch, n_wl, m, m)`` (numpy) over a batch of drives
    (:meth:`~qkdchip.sims.circuit.ChipCircuit.batch_fn`): ``drive_batch`` is a dict of 1-D
    arrays of one length, evaluated ``chunk`` drives at a time."""
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk={chunk!r} must be a positive integer")
    cc = client_circuit(component, view=view, **design_overrides)
    return cc.batch_fn(chunk), cc.ports


def __getattr__(name: str) -> Any:
    """``client_figures``: the figures read from the S-matrix live in their own module,
    :mod:`qkdchip.sims.client_figures` (imported on first use: it imports this one)."""
    if name == "client_figures":
        from qkdchip.sims.client_figures import client_figures

        return client_figures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
