"""The non-twin-field baselines behind ``key_rate``: decoy BB84 and decoy MDI-QKD.

:func:`baseline_fields` evaluates (and with ``optimize=True`` maximises, per channel) the rate of
``bb84-decoy`` (:mod:`.bb84`) or ``mdi`` (:mod:`.mdi`) on the same :class:`~.channel.Channel` and
:class:`~.channel.Detector` as the TF protocols and returns the fields of a ``KeyRateResult``.

Optimisation: the same batched optimisers as the TF protocols (:mod:`.optimize`: scrambled-Sobol
candidates, batched Nelder-Mead, neighbours' optima along the distance axis, batched BFGS, a
Nelder-Mead polish), on sigmoid boxes: ``nu in [0.005, 0.5]``, ``mu - nu in [0.02, 2]`` (log);
finite key adds ``p_z in [0.3, 0.99]``, ``p_0 in [0.005, 0.5]`` (log) and ``p_nu`` linear in
``[0.02, 1 - p_0 - 0.02]`` (``p_mu`` the rest). Asymptotically the optimum weak decoy sits at
the lower edge (the infinite-decoy limit), exactly as ``mu_1`` of SNS.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from qkdchip.sims.keyrate.bb84 import BB84Params, bb84_rate
from qkdchip.sims.keyrate.channel import Channel, Detector, arrival
from qkdchip.sims.keyrate.finite import Security
from qkdchip.sims.keyrate.mdi import MDIParams, mdi_rate

Array = NDArray[np.float64]
BaselineParams = BB84Params | MDIParams

#: protocol name -> parameter class
BASELINES: dict[str, type] = {"bb84-decoy": BB84Params, "mdi": MDIParams}
#: search boxes of the optimiser
BOUNDS = {
    "nu": (0.005, 0.5),
    "dmu": (0.02, 2.0),
    "p_z": (0.3, 0.99),
    "p_0": (0.005, 0.5),
}
P_MIN = 0.02
_SEED = 20240601


def _sigmoid(y: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * y))


def _box(y: Array, lo: float, hi: float) -> Array:
    return lo * (hi / lo) ** _sigmoid(y)


def _unbox(x: Array, lo: float, hi: float) -> Array:
    t = np.clip(np.log(np.clip(x, lo, hi) / lo) / np.log(hi / lo), 1e-9, 1 - 1e-9)
    return np.log(t / (1.0 - t))


def _field_arrays(p: BaselineParams, n: int) -> dict[str, Array]:
    def flat(v: Any) -> Array:
        return np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1), (n,)).copy()

    out = {k: flat(getattr(p, k)) for k in ("mu", "nu", "p_mu", "p_nu")}
    if p.p_z is not None:
        out["p_z"] = flat(p.p_z)
    return out


def baseline_fields(
    protocol: str,
    channel: Channel,
    detector: Detector,
    params: BaselineParams | None,
    *,
    f_ec: Array,
    pulses: Array | None,
    security: Security,
    optimize: bool,
) -> dict[str, Any]:
    """Rate arrays and parameters of a baseline protocol, shaped like the broadcast channel.

    Returns a dict with ``rate_per_pulse`` (>= 0, never NaN), ``s1``, ``e1_ph``, ``gain_z``,
    ``qber_z``, ``qber_x``, ``parameters`` (those used: the optimum with ``optimize=True``, the
    given ones where no key is possible) and ``shape``.
    """
    cls = BASELINES[protocol]
    base = cls() if params is None else params
    if type(base) is not cls:  # MDIParams derives from BB84Params: exact type
        raise ValueError(
            f"params={type(base).__name__} does not fit protocol={protocol!r} "
            f"(expected {cls.__name__})"
        )
    if pulses is not None and not optimize and base.p_z is None:
        raise ValueError(f"p_z=None: give {cls.__name__}(p_z=...) < 1 for the finite-key rate")
    ea, eb, _, _, pd = arrival(channel, detector)  # arms, detector efficiency included
    # BB84: one detector at the end of both arms laid end to end (eta_d counted once)
    e_sys = channel.eta * np.asarray(detector.eta_det, dtype=np.float64)
    e_d = np.asarray(channel.misalignment, dtype=np.float64)
    fixed = [ea, eb, e_sys, e_d, pd, f_ec] + ([] if pulses is None else [pulses])
    par_shapes = [np.shape(getattr(base, k)) for k in ("mu", "nu", "p_mu", "p_nu")]
    shape = np.broadcast_shapes(*(np.shape(a) for a in fixed), *par_shapes)
    n = int(np.prod(shape))

    def flat(a: Any) -> Array:
        return np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1).copy()

    ea, eb, e_sys, e_d, pd, f = (flat(a) for a in (ea, eb, e_sys, e_d, pd, f_ec))
    n_p = None if pulses is None else flat(pulses)
    given = _field_arrays(base, n)

    def evaluate(idx: Array, p: dict[str, Array]) -> dict[str, Array]:
        par = cls(
            mu=p["mu"],
            nu=p["nu"],
            p_z=p.get("p_z"),
            p_mu=p["p_mu"],
            p_nu=p["p_nu"],
        )
        kw = {"f_ec": f[idx], "pulses": None if n_p is None else n_p[idx], "security": security}
        if protocol == "bb84-decoy":
            return bb84_rate(e_sys[idx], e_d[idx], pd[idx], par, **kw)
        return mdi_rate(ea[idx], eb[idx], e_d[idx], pd[idx], par, **kw)

    idx_all = np.arange(n)
    used = given
    if optimize:
        finite = n_p is not None

        def params_of(idx: Array, y: Array) -> dict[str, Array]:
            y = np.clip(y, -7.0, 7.0)
            nu = _box(y[:, 0], *BOUNDS["nu"])
            p = {"nu": nu, "mu": nu + _box(y[:, 1], *BOUNDS["dmu"])}
            if finite:
                p0 = _box(y[:, 3], *BOUNDS["p_0"])
                pnu = P_MIN + (1.0 - p0 - 2.0 * P_MIN) * _sigmoid(y[:, 4])
                p.update(p_z=_box(y[:, 2], *BOUNDS["p_z"]), p_nu=pnu, p_mu=1.0 - p0 - pnu)
            else:
                p.update({k: given[k][idx] for k in ("p_mu", "p_nu", "p_z") if k in given})
            return p

        def objective(idx: Array, y: Array) -> Array:
            out = evaluate(idx, params_of(idx, y))
            raw = out["rate_raw"]
            frac = raw / np.maximum(out["norm"], 1e-300)
            obj = np.where(raw > 0.0, -raw, (2.0 / np.pi) * np.arctan(-frac))
            margin = out["margin"]
            obj = np.where(
                (raw <= 0.0) & (margin <= 0.0), 1.0 + (2.0 / np.pi) * np.arctan(-margin), obj
            )
            return np.where(np.isfinite(obj), obj, np.inf)

        start = _start(given, finite)
        y, fbest = _maximise(objective, start)
        best = params_of(idx_all, y)
        ok = fbest < 0.0  # a positive rate was found
        used = {k: np.where(ok, best[k], given[k]) if k in given else best[k] for k in best}
        if not finite and "p_z" not in given:
            used.pop("p_z", None)
    out = evaluate(idx_all, used)
    rate = np.maximum(np.nan_to_num(out["rate"], nan=0.0), 0.0).reshape(shape)
    param_out: dict[str, Any] = {k: np.asarray(v).reshape(shape) for k, v in used.items()}
    param_out.setdefault("p_z", None)
    param_out["p_0"] = 1.0 - param_out["p_mu"] - param_out["p_nu"]
    return {
        "shape": shape,
        "rate_per_pulse": rate,
        **{k: np.asarray(out[k]).reshape(shape) for k in ("s1", "e1_ph", "gain_z", "qber_z")},
        "qber_x": np.asarray(out["qber_x"]).reshape(shape),
        "parameters": param_out,
    }


def _start(given: dict[str, Array], finite: bool) -> Array:
    nu = given["nu"]
    cols = [_unbox(nu, *BOUNDS["nu"]), _unbox(given["mu"] - nu, *BOUNDS["dmu"])]
    if finite:
        p_z = given.get("p_z", np.full_like(nu, 0.9))
        p0 = 1.0 - given["p_mu"] - given["p_nu"]
        t = np.clip(
            (given["p_nu"] - P_MIN) / np.maximum(1.0 - p0 - 2 * P_MIN, 1e-9), 1e-6, 1 - 1e-6
        )
        cols += [_unbox(p_z, *BOUNDS["p_z"]), _unbox(p0, *BOUNDS["p_0"]), np.log(t / (1 - t))]
    return np.stack(cols, axis=1)


def _maximise(objective: Any, start: Array, n_candidates: int = 64) -> tuple[Array, Array]:
    """Best of start + Sobol candidates, Nelder-Mead, neighbours, BFGS, polish (batched)."""
    from scipy.stats import qmc

    from qkdchip.sims.keyrate.optimize import batched_bfgs, batched_nelder_mead

    b, d = start.shape
    idx = np.arange(b)
    cand = 6.0 * (qmc.Sobol(d, scramble=True, seed=_SEED).random(n_candidates) - 0.5)
    pool = np.concatenate([start[:, None, :], np.broadcast_to(cand[None], (b, n_candidates, d))], 1)
    k = pool.shape[1]
    fpool = objective(np.repeat(idx, k), pool.reshape(-1, d)).reshape(b, k)
    y = pool[idx, np.argmin(fpool, axis=1)]
    y, f = batched_nelder_mead(objective, y, step=0.8, max_iter=150, ftol=1e-5)
    if b > 1:
        shifts = [s for s in (1, -1, 2, -2, 4, -4) if abs(s) < b]
        neigh = np.stack([y[np.clip(idx - s, 0, b - 1)] for s in shifts], axis=1)
        fn = objective(np.repeat(idx, len(shifts)), neigh.reshape(-1, d)).reshape(b, -1)
        j = np.argmin(fn, axis=1)
        better = fn[idx, j] < f
        y = np.where(better[:, None], neigh[idx, j], y)
    y, f = batched_bfgs(objective, np.clip(y, -7.0, 7.0))
    y, f = batched_nelder_mead(objective, np.clip(y, -7.0, 7.0), step=0.1, max_iter=60, ftol=1e-8)
    return np.clip(y, -7.0, 7.0), f
