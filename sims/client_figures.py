"""Figures of the InP client chip, all read from its S-matrix (:mod:`qkdchip.sims.client`).

:func:`client_figures` evaluates the source view of the compiled client circuit at the laser
wavelength, sweeps the drive of each element and refines the extrema (``scipy.optimize``); none of
its figures is typed in:

* ``insertion_loss_db`` = -10 log10 max |S[o2, laser]|^2, each IM at its transmission maximum,
  the VOA unbiased;
* ``im_extinction_ratio_db`` (per IM; the others at their maximum) = 10 log10(T_max / T_min) over
  one push-pull period; ``im_extinction_ratio_total_db``: all three IMs at their minimum together
  (cascaded: the dB add);
* ``im_vpi_v``: push-pull amplitude from maximum to minimum; ``im_bias_v``: the maximum;
* ``voa_range_db`` = 10 log10(T(0 V) / T(V_max)), ``voa_monotone``;
* ``pm_vpi_v``, ``pmref_vpi_v``: the voltage that turns the phase of S[o2, laser] by pi;
* ``back_reflection_db``: |S[laser, laser]|^2 at maximum transmission;
* ``laser_power_dbm`` (the laser cell's info), ``output_power_dbm`` (P_laser x max transmission),
  ``output_power_min_dbm`` (VOA at full attenuation).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

from qkdchip.pdk.inp.process import PROCESS
from qkdchip.sims.client import IMS, LASER_PORT, VOLTAGE_KEYS, ClientCircuit, client_circuit
from qkdchip.sims.models.inp import WL0_UM, eo_vpi_v

__all__ = ["DRIVE_CHUNK", "client_figures", "drive_response"]


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
    cc = client_circuit(component, view="source", **design_overrides)
    wl = WL0_UM if wl_um is None else float(wl_um)
    # the figures are a function of the compiled circuit (cached per design): a second caller in
    # the same process (qkdchip run: the report's figure and the security margins) reads them
    figs = cc.jitted(("figures", wl, points), lambda: _figures(cc, wl, points))
    return copy.deepcopy(figs)


def drive_response(
    wl_um: float | None = None, *, base: Mapping[str, float], key: str, values, **design_overrides
) -> np.ndarray:
    """|S[o2, laser]|^2 at ``wl_um`` (default: the laser's design wavelength) over ``values`` of
    the drive ``key``, the others at ``base``: vmapped calls of the single-wavelength probe
    :func:`client_figures` compiles, in chunks of its sweep length (padded: no new compilation)."""
    cc = client_circuit(view="source", **design_overrides)
    wl = WL0_UM if wl_um is None else float(wl_um)
    probe = cc.jitted(("probe", wl), lambda: _Probe(cc, wl))
    values = np.asarray(values, dtype=float)
    chunk = DRIVE_CHUNK
    out = []
    for start in range(0, values.size, chunk):
        part = values[start : start + chunk]
        pad = np.concatenate([part, np.repeat(part[-1:], chunk - part.size)])
        out.append(probe.sweep_t(base, key, pad)[: part.size])
    return np.concatenate(out) if out else np.zeros(0)


#: drive points per vmapped probe call (= the default sweep of :func:`client_figures`)
DRIVE_CHUNK = 201


def _figures(cc: ClientCircuit, wl: float, points: int) -> dict[str, Any]:
    probe = cc.jitted(("probe", wl), lambda: _Probe(cc, wl))
    zero = {k: 0.0 for k in VOLTAGE_KEYS}

    # IMs: each swept over one period with the others at 0 V, then moved to their maximum.
    base = dict(zero)
    ims: dict[str, tuple[float, float, float, float]] = {}
    for im in IMS:  # series elements: one IM's extrema do not depend on the others' drive
        key = f"{im}_v"
        ims[im] = _im_extrema(probe, base, key, eo_vpi_v(cc.eo_lengths_um[im], wl), points)
        base[key] = ims[im][0]
    at_max = dict(base)
    t_max = probe.t(at_max)
    er = {im: _db(v[1] / v[3]) for im, v in ims.items()}
    at_min = {**at_max, **{f"{im}_v": ims[im][2] for im in IMS}}
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
