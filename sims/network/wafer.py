"""A simulated wafer of client chips: per-die variation -> per-chip figures from the S-matrix.

Each die of the client-chip design gets its own fabrication deviations, drawn from a seeded
random stream *per die* (``numpy.random.default_rng([seed, die])``: the first dies are the same
whatever number is drawn):

* the power split of every MMI of the three intensity modulators, k -> k + N(0, sigma_k)
  (the MZM extinction ratio ER = ((A + B)/(A - B))^2 follows from it through the circuit);
* the SSC facet coupling loss (both facets of a die: one process step), + N(0, sigma_c) dB;
* the deep-ridge propagation loss of every deep-etched element, + N(0, sigma_l) dB/cm;
* the laser's free-running detuning from its comb line after thermal tuning, N(0, sigma_nu);
* whether each of the six modulators (IM I-III, PM I, PM R, VOA) works, with the probability
  of :func:`element_yields`: ``uniform`` (``network.wafer_yield_model``, the default), every
  element works with ``network.wafer_modulator_yield``; ``area``, a Poisson defect model scaled
  by each element's drawn electrode area (see below).

Defect-density yield (``area``): killer defects land at random, independently, with a density
D0 per unit area, so an element whose electrode (the p-contact metal over the junction, PMETAL,
as drawn in the element's cell) covers area A works with probability Y = exp(-D0 A) (Poisson
yield model, e.g. Cunningham, IEEE Trans. Semicond. Manuf. 3, 60 (1990); Stapper's negative
binomial reduces to it for unclustered defects). No defect density of the InP platform is
published, so D0 is *calibrated*: it is the value at which the mean yield of the chip's six
elements equals ``network.wafer_modulator_yield`` (97.5 % = the reference's 117 of 120 working
modulators). The area model therefore keeps the published average and redistributes it: the
long push-pull MZMs (two arms) fail more often than the short VOA.

A modulator that does not work is an electrode that does not respond: the element stays at
0 V (its bias point; for an MZM the transmission maximum). Its consequence is then *computed*,
not assumed: a dead IM contributes 0 dB of extinction (the cascade loses its ER), a dead VOA
has 0 dB of range. A dead phase modulator makes the chip unusable for TF-QKD (PM I: no phase
encoding / randomisation; PM R: no phase-reference pulse): such a die is set aside at wafer
test when ``screen`` is on (the network mounts the next good die), and otherwise mounted with
that reason (its channel gets no key).

The figures of every mounted die are computed in one batch from the compiled client-chip circuit
(:func:`qkdchip.sims.client.client_circuit`): the deviations are sax model settings of the
netlist's own instances (MMI ``split_ratio``, facet ``coupling_loss_dB``, ``loss_dB_per_cm``),
so no netlist is re-extracted. As in :func:`qkdchip.sims.client.client_figures`:

* insertion loss = -10 log10 |S[o2, laser]|^2 with every IM at its maximum (VOA at 0 V);
* IM extinction ratio = T_max / T_min over one push-pull period of that IM (grid + 4 rounds of
  local refinement, batched), total = all IMs at their maximum / all at their minimum;
* VOA range = T(0 V) / T(V_max);
* injection loss (fibre -> laser, through the injection facet) = |S_src[o2, laser]|^2 /
  |S_chip[o2, o1]|^2 (the "chip" view passes through the laser as an ideal reference plane).

The laser of every die is the chip's DBR laser cell (its ``info``: cavity length, group index,
injection-side mirror reflectivity, Henry factor, power, linewidth): a
:class:`~qkdchip.sims.physics.injection.SlaveLaser`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from qkdchip.sims.physics.injection import SlaveLaser

from .settings import NetworkSettings

__all__ = [
    "ELEMENTS",
    "FATAL",
    "IMS",
    "ClientChip",
    "Die",
    "chip_figures",
    "draw_die",
    "draw_wafer",
    "electrode_areas_um2",
    "element_yields",
    "slave_laser",
]

#: the six modulating elements of a client chip (instance names of ``client_chip``)
ELEMENTS: tuple[str, ...] = ("im1", "im2", "im3", "pm", "pmref", "voa")
IMS: tuple[str, ...] = ("im1", "im2", "im3")
#: failed elements that make a chip unusable, and why
FATAL: dict[str, str] = {
    "pm": "PM I (encoding) does not respond: no phase encoding",
    "pmref": "PM R (reference pulse) does not respond: no phase reference",
}
#: refinement of the IM extrema: coarse grid points over one period, rounds, points per round
_GRID, _ROUNDS, _LOCAL = 65, 4, 17
_MAX_DIES_FACTOR = 20
#: batch size of one jitted call (batches are padded to it: one compilation per circuit)
_CHUNK = 1024


@dataclass(frozen=True)
class Die:
    """Fabrication deviations of one die (see the module docstring)."""

    index: int
    split_delta: tuple[float, ...]  # per IM MMI: im1 in, im1 out, im2 in, ...
    coupling_delta_db: float
    loss_delta_db_per_cm: float
    detuning_hz: float
    failed: tuple[str, ...]

    @property
    def fatal(self) -> tuple[str, ...]:
        """Reasons that make this die unusable (empty if usable)."""
        return tuple(FATAL[e] for e in self.failed if e in FATAL)

    @property
    def working_modulators(self) -> int:
        return len(ELEMENTS) - len(self.failed)


def electrode_areas_um2(**client_overrides: Any) -> dict[str, float]:
    """Drawn electrode area (um^2, merged PMETAL of the element's cell) of each element of the
    client chip ``client_chip(**client_overrides)``."""
    import klayout.db as kdb

    from qkdchip.circuits.client_chip import client_chip
    from qkdchip.pdk.inp.layers import LAYERS
    from qkdchip.sims.circuit import build_chip

    chip = build_chip("inp", client_chip, client_overrides)
    layer = chip.kcl.layer(*LAYERS["PMETAL"])
    areas = {}
    for inst in chip.insts:
        if inst.name in ELEMENTS:
            region = kdb.Region(inst.cell.begin_shapes_rec(layer))
            region.merge()
            areas[inst.name] = float(region.area()) * chip.kcl.dbu**2
    missing = [e for e in ELEMENTS if e not in areas]
    if missing:
        raise ValueError(f"client chip: no instance {', '.join(missing)} (the six modulators)")
    return {e: areas[e] for e in ELEMENTS}


def element_yields(
    settings: NetworkSettings, areas_um2: Mapping[str, float] | None = None
) -> tuple[float, ...]:
    """Probability that each element of :data:`ELEMENTS` works (see the module docstring):
    ``uniform``, all ``wafer_modulator_yield``; ``area``, exp(-D0 A_e) with D0 calibrated so
    that their mean is ``wafer_modulator_yield`` (``areas_um2``: :func:`electrode_areas_um2`)."""
    y = float(settings.wafer_modulator_yield)
    if settings.wafer_yield_model == "uniform":
        return (y,) * len(ELEMENTS)
    if areas_um2 is None:
        raise ValueError("the area yield model needs the electrode areas (electrode_areas_um2)")
    d0 = defect_density_per_um2(y, areas_um2)
    return tuple(math.exp(-d0 * float(areas_um2[e])) for e in ELEMENTS)


def defect_density_per_um2(mean_yield: float, areas_um2: Mapping[str, float]) -> float:
    """D0 (per um^2) at which the mean of exp(-D0 A_e) over the elements is ``mean_yield``
    (calibrated; inf for a yield of 0, 0 for a yield of 1)."""
    from scipy.optimize import brentq

    a = np.array([float(areas_um2[e]) for e in ELEMENTS])
    if mean_yield >= 1.0:
        return 0.0
    if mean_yield <= 0.0:
        return math.inf
    hi = 1.0 / a.min()
    while np.mean(np.exp(-hi * a)) > mean_yield:
        hi *= 2.0
    return float(brentq(lambda d: np.mean(np.exp(-d * a)) - mean_yield, 0.0, hi, xtol=1e-18))


def draw_die(settings: NetworkSettings, index: int, yields: tuple[float, ...] | None = None) -> Die:
    """The deviations of die ``index`` (its own random stream: seed, index); ``yields``: the
    probability that each element works (:func:`element_yields`; default uniform)."""
    rng = np.random.default_rng([int(settings.seed), int(index)])
    split = rng.normal(0.0, 1.0, 2 * len(IMS)) * settings.wafer_split_sigma
    coupling = float(rng.normal()) * settings.wafer_coupling_sigma_db
    loss = float(rng.normal()) * settings.wafer_loss_sigma_db_per_cm
    detuning = float(rng.normal()) * settings.wafer_detuning_sigma_mhz * 1e6
    p = settings.wafer_modulator_yield if yields is None else np.asarray(yields, dtype=float)
    works = rng.random(len(ELEMENTS)) < p
    failed = tuple(e for e, ok in zip(ELEMENTS, works, strict=True) if not ok)
    return Die(index, tuple(float(x) for x in split), coupling, loss, detuning, failed)


def draw_wafer(
    settings: NetworkSettings, yields: tuple[float, ...] | None = None
) -> tuple[list[Die], list[Die]]:
    """(mounted dies, set-aside dies): ``settings.clients`` dies in wafer order; with
    ``wafer_screen`` the dies with a fatal failure are set aside and replaced by the next ones.
    ``yields``: as for :func:`draw_die`.

    Raises ValueError if the screened wafer cannot supply the clients (yield too low).
    """
    mounted: list[Die] = []
    rejected: list[Die] = []
    index = 0
    limit = _MAX_DIES_FACTOR * settings.clients
    while len(mounted) < settings.clients:
        if index >= limit:
            raise ValueError(
                f"network.wafer_modulator_yield={settings.wafer_modulator_yield:g} is too low: "
                f"only {len(mounted)} of {index} dies have working phase modulators "
                f"({settings.clients} needed)"
            )
        die = draw_die(settings, index, yields)
        index += 1
        if settings.wafer_screen and die.fatal:
            rejected.append(die)
        else:
            mounted.append(die)
    return mounted, rejected


def slave_laser(laser_info: Mapping[str, Any]) -> SlaveLaser:
    """The client's DBR laser (cell ``info``) as an injection-locking slave; light is injected
    through the rear mirror (port o1, ``rear_reflectivity``)."""
    port = laser_info.get("injection_port", "o1")
    refl = laser_info["rear_reflectivity" if port == "o1" else "front_reflectivity"]
    return SlaveLaser(
        cavity_length_m=float(laser_info["cavity_length_um"]) * 1e-6,
        group_index=float(laser_info["group_index"]),
        mirror_reflectivity=float(refl),
        alpha_h=float(laser_info["henry_factor"]),
        power_w=float(laser_info["output_power_mW"]) * 1e-3,
        free_running_linewidth_hz=float(laser_info["linewidth_MHz"]) * 1e6,
    )


@dataclass(frozen=True)
class ClientChip:
    """Figures of one mounted client chip (all from its S-matrix, see the module docstring)."""

    name: str  # "A1", "B1", ...
    die: Die
    insertion_loss_db: float
    im_extinction_ratio_db: tuple[float, ...]
    extinction_ratio_total_db: float
    voa_range_db: float
    injection_loss_db: float
    laser_power_dbm: float
    laser: SlaveLaser

    @property
    def failed(self) -> tuple[str, ...]:
        return self.die.failed

    @property
    def fatal(self) -> tuple[str, ...]:
        return self.die.fatal

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.name,
            "die": self.die.index,
            "insertion_loss_db": self.insertion_loss_db,
            "im_extinction_ratio_db": list(self.im_extinction_ratio_db),
            "extinction_ratio_total_db": self.extinction_ratio_total_db,
            "voa_range_db": self.voa_range_db,
            "injection_loss_db": self.injection_loss_db,
            "laser_power_dbm": self.laser_power_dbm,
            "detuning_mhz": self.die.detuning_hz / 1e6,
            "failed_modulators": list(self.die.failed),
        }


# --- batched S-matrix evaluation ------------------------------------------------------------------


def _leaf(d: Mapping[str, Any]) -> bool:
    return not any(isinstance(v, dict) for v in d.values())


def _walk(settings: Mapping[str, Any], path: tuple[str, ...] = ()):
    """(path, leaf settings) of every leaf instance of a (nested) sax settings tree."""
    for k, v in settings.items():
        if isinstance(v, dict):
            if _leaf(v):
                yield (*path, k), v
            else:
                yield from _walk(v, (*path, k))


def _put(tree: dict[str, Any], path: tuple[str, ...], key: str, value: Any) -> None:
    for p in path:
        tree = tree.setdefault(p, {})
    tree[key] = value


def _merge(a: dict[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class _Batch:
    """A jitted, vmapped ``(drive, variation) -> S[out, in]`` of one compiled circuit.

    ``circuit``/``netlist``: a sax circuit and its prepared recursive netlist; ``settings``: the
    drive -> nested sax settings map (:meth:`ClientCircuit.settings`), None for no drive."""

    def __init__(self, circuit, netlist, wl_um: float, port_in: str, port_out: str, settings=None):
        import inspect

        import jax
        import jax.numpy as jnp

        from qkdchip.pdk.inp.process import PROCESS

        defaults = {
            k: p.default
            for k, p in inspect.signature(circuit).parameters.items()
            if isinstance(p.default, dict)
        }
        self.mmis: list[tuple[tuple[str, ...], float]] = []
        top = netlist[next(iter(netlist))]
        for im in IMS:
            if im not in top["instances"]:
                continue
            sub = netlist[top["instances"][im]["component"]]
            for port in ("o1", "o2"):
                name = sub["ports"][port].split(",", 1)[0]
                nominal = float(defaults[im][name]["split_ratio"])
                self.mmis.append(((im, name), nominal))
        self.losses: list[tuple[tuple[str, ...], float]] = []
        self.couplings: list[tuple[tuple[str, ...], float]] = []
        for path, leaf in _walk(defaults):
            if "loss_dB_per_cm" in leaf and leaf.get("cross_section", "inp_deep") == "inp_deep":
                nominal = leaf["loss_dB_per_cm"]
                nominal = PROCESS.deep_loss_dB_per_cm if nominal is None else float(nominal)
                self.losses.append((path, nominal))
            if "coupling_loss_dB" in leaf:
                nominal = leaf["coupling_loss_dB"]
                nominal = PROCESS.ssc_loss_dB if nominal is None else float(nominal)
                self.couplings.append((path, nominal))
        wl = jnp.asarray([wl_um])

        def one(drive, var):
            base = settings(drive) if settings is not None else {}
            extra: dict[str, Any] = {}
            for i, (path, k0) in enumerate(self.mmis):
                _put(extra, path, "split_ratio", jnp.clip(k0 + var["split"][i], 0.01, 0.99))
            for path, a0 in self.losses:
                _put(extra, path, "loss_dB_per_cm", jnp.maximum(a0 + var["loss"], 0.0))
            for path, c0 in self.couplings:
                _put(extra, path, "coupling_loss_dB", jnp.maximum(c0 + var["coupling"], 0.0))
            sd = circuit(wl=wl, **_merge(base, extra))
            return sd[(port_in, port_out)][0]

        self._f = jax.jit(jax.vmap(one))

    def __call__(self, drive: Mapping[str, np.ndarray], var: Mapping[str, np.ndarray]):
        """S[out, in] for a batch of any size: evaluated in chunks of ``_CHUNK`` (padded, so
        that the jitted function is compiled once per circuit, whatever the batch)."""
        n = len(next(iter(drive.values())))
        out = []
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            pad = _CHUNK - (stop - start)
            d = {k: _pad(v[start:stop], pad) for k, v in drive.items()}
            x = {k: _pad(v[start:stop], pad) for k, v in var.items()}
            out.append(np.asarray(self._f(_as_jnp(d), _as_jnp(x)))[: stop - start])
        return np.concatenate(out)


def _pad(a: np.ndarray, pad: int) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if pad == 0:
        return a
    return np.concatenate([a, np.repeat(a[-1:], pad, axis=0)])


def _as_jnp(tree: Mapping[str, np.ndarray]) -> dict[str, Any]:
    import jax.numpy as jnp

    return {k: jnp.asarray(v, dtype=float) for k, v in tree.items()}


def _injection_batch(cv, wl_um: float) -> _Batch:
    """The injection side of the chip view as its own small circuit: from the die port that
    faces the laser's injection mirror (``o1``) to the laser (port ``laser``); a few elements,
    so it compiles in a fraction of a second."""
    import sax

    from qkdchip.sims.models.inp import MODELS

    name = next(iter(cv.netlist))
    top = cv.netlist[name]
    lasers = [k for k, v in top["instances"].items() if v["component"] == "inp_dbr_laser"]
    if len(lasers) != 1:
        raise ValueError(f"client netlist: expected one inp_dbr_laser instance, found {lasers}")
    laser = lasers[0]
    partner = {}
    for net in top["nets"]:
        partner[net["p1"]], partner[net["p2"]] = net["p2"], net["p1"]
    entry = partner.get(f"{laser},o1")
    if entry is None:
        raise ValueError(f"client netlist: the laser's injection port {laser},o1 is not connected")
    keep, todo = set(), [entry]
    while todo:
        inst = todo.pop().split(",", 1)[0]
        if inst in keep or inst == laser:
            continue
        keep.add(inst)
        todo += [p for r, p in partner.items() if r.split(",", 1)[0] == inst]
    ports = {k: v for k, v in top["ports"].items() if v.split(",", 1)[0] in keep}
    if "o1" not in ports:
        raise ValueError("client netlist: the injection side does not reach die port o1")
    sub = {
        "instances": {k: v for k, v in top["instances"].items() if k in keep},
        "placements": {k: v for k, v in top.get("placements", {}).items() if k in keep},
        "nets": [
            n
            for n in top["nets"]
            if n["p1"].split(",", 1)[0] in keep and n["p2"].split(",", 1)[0] in keep
        ],
        "ports": {"o1": ports["o1"], "laser": entry},
    }
    netlist = {f"{name}_injection": sub, **{k: v for k, v in cv.netlist.items() if k != name}}
    # the Filipsson-Gunnar backend (as the chip circuits): klujax embeds a pointer in the
    # compiled program, which JAX's persistent cache can then never reuse in another process
    circuit, _ = sax.circuit(netlist, MODELS, backend="filipsson_gunnar")
    return _Batch(circuit, netlist, wl_um, "o1", "laser")


def _variation(dies: list[Die], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "split": np.array([dies[r].split_delta for r in rows], dtype=float),
        "coupling": np.array([dies[r].coupling_delta_db for r in rows], dtype=float),
        "loss": np.array([dies[r].loss_delta_db_per_cm for r in rows], dtype=float),
    }


def _db(x: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(np.asarray(x, dtype=float), 1e-300))


def chip_figures(
    dies: list[Die], names: list[str] | None = None, **client_overrides: Any
) -> list[ClientChip]:
    """Figures of every die (see the module docstring), batched over dies and drive points.

    ``client_overrides``: the design's client-chip arguments (``Design.kwargs("client")``); the
    compiled circuits are cached per design by :mod:`qkdchip.sims.client`.
    """
    from qkdchip.pdk.inp.process import PROCESS
    from qkdchip.sims import client
    from qkdchip.sims.models.inp import WL0_UM, eo_vpi_v

    if not dies:
        return []
    names = names or [f"die{d.index}" for d in dies]
    cc = client.client_circuit(view="source", **client_overrides)
    cv = client.client_circuit(view="chip", **client_overrides)
    wl = WL0_UM
    src = cc.jitted(
        ("network-batch", wl),
        lambda: _Batch(cc.circuit, cc.netlist, wl, client.LASER_PORT, "o2", cc.settings),
    )
    inj = cv.jitted(("network-injection", wl), lambda: _injection_batch(cv, wl))

    n = len(dies)
    keys = [f"{e}_v" for e in ELEMENTS]
    alive = np.array([[e not in d.failed for e in ELEMENTS] for d in dies], dtype=float)

    def drive(rows: np.ndarray, volts: np.ndarray) -> dict[str, np.ndarray]:
        """volts (batch, 6) -> drive dict with dead electrodes at 0 V."""
        v = volts * alive[rows]
        return {k: v[:, j] for j, k in enumerate(keys)}

    def t(rows: np.ndarray, volts: np.ndarray) -> np.ndarray:
        return np.abs(src(drive(rows, volts), _variation(dies, rows))) ** 2

    # --- IM extrema: coarse grid over one push-pull period, then local refinement ----------
    half = np.array([eo_vpi_v(cc.eo_lengths_um[im], wl) / 2 for im in IMS])
    chips = np.repeat(np.arange(n), len(IMS))  # (n*3,)
    which = np.tile(np.arange(len(IMS)), n)  # IM index per row
    grid = np.linspace(-1.0, 1.0, _GRID)
    rows = np.repeat(chips, _GRID)
    volts = np.zeros((rows.size, len(ELEMENTS)))
    volts[np.arange(rows.size), np.repeat(which, _GRID)] = np.repeat(half[which], _GRID) * np.tile(
        grid, chips.size
    )
    tg = t(rows, volts).reshape(chips.size, _GRID)
    best = {}
    for kind, pick in (("max", np.argmax), ("min", np.argmin)):
        x = half[which] * grid[pick(tg, axis=1)]
        step = half[which] * (grid[1] - grid[0])
        for _ in range(_ROUNDS):
            local = np.linspace(-1.0, 1.0, _LOCAL)
            cand = x[:, None] + step[:, None] * local[None, :]
            r = np.repeat(chips, _LOCAL)
            vv = np.zeros((r.size, len(ELEMENTS)))
            vv[np.arange(r.size), np.repeat(which, _LOCAL)] = cand.reshape(-1)
            tl = t(r, vv).reshape(chips.size, _LOCAL)
            x = cand[np.arange(chips.size), pick(tl, axis=1)]
            step = step * (local[1] - local[0])
        best[kind] = x.reshape(n, len(IMS))

    # --- one batch: each IM at max/min alone, all max, all min, VOA at full bias --------------
    base = np.zeros((n, len(ELEMENTS)))
    base[:, : len(IMS)] = best["max"]
    cases = [base]
    for m in range(len(IMS)):
        c = base.copy()
        c[:, m] = best["min"][:, m]
        cases.append(c)
    all_min = base.copy()
    all_min[:, : len(IMS)] = best["min"]
    cases.append(all_min)
    voa = base.copy()
    voa[:, ELEMENTS.index("voa")] = PROCESS.voa_max_reverse_bias_V
    cases.append(voa)
    rows = np.tile(np.arange(n), len(cases))
    tc = t(rows, np.concatenate(cases)).reshape(len(cases), n)
    t_max = tc[0]
    er = _db(t_max[None, :] / tc[1 : 1 + len(IMS)])  # (3, n)
    er_total = _db(t_max / tc[1 + len(IMS)])
    voa_range = _db(t_max / tc[2 + len(IMS)])

    # --- injection path: fibre -> injection facet -> laser ------------------------------------
    all_rows = np.arange(n)
    inj_loss = -_db(np.abs(inj({"_": np.zeros(n)}, _variation(dies, all_rows))) ** 2)

    laser = slave_laser(cc.laser_info)
    p_laser_dbm = 10.0 * math.log10(laser.power_w / 1e-3)
    return [
        ClientChip(
            name=names[i],
            die=d,
            insertion_loss_db=float(-_db(t_max[i])),
            im_extinction_ratio_db=tuple(float(x) for x in er[:, i]),
            extinction_ratio_total_db=float(er_total[i]),
            voa_range_db=float(voa_range[i]),
            injection_loss_db=float(inj_loss[i]),
            laser_power_dbm=p_laser_dbm,
            laser=laser,
        )
        for i, d in enumerate(dies)
    ]
