"""Maximise key rates over intensities and probabilities, for many channels at once.

The rate functions are vectorised over every argument, so the optimiser works on a *batch* of
problems (one per distance / WDM channel) in lock-step:

1. Parameters are mapped to an unconstrained vector ``y`` (bounded log or linear sigmoid
   boxes; ``mu_2 = mu_1 + Delta``; ``p_2`` in a box and ``p_0`` in what is left), so every
   candidate is valid and ``mu_vac < mu_1 < mu_2`` holds by construction.
2. Start: the default parameters, an optional warm start and a fixed scrambled Sobol set of
   candidates are evaluated in one batched call; each problem starts from its best candidate.
3. Batched Nelder-Mead (adaptive coefficients, Gao & Han 2012): every iteration evaluates the
   reflection, expansion and both contractions of all active problems in ONE call of the rate
   function; shrinks (rare) are a second call on the problems that need them.
4. Several independent starts per problem (its best, second best, ... pool candidate, see
   :data:`N_STARTS`), each refined by BFGS and a second, smaller Nelder-Mead round; the best
   is kept. Problems never exchange points, so a problem's answer does not depend on its batch.
5. Finite key: continuation in the number of pulses (N x 1e4, 1e3, 1e2, 10, then N), see
   :func:`optimize`.

The objective is the rate where it is positive and the (negative) key fraction per detection
elsewhere, so the search keeps a slope towards the region of positive rate instead of drifting to
"send nothing"; the returned rate is clipped at 0, never negative or NaN. Everything is
deterministic (fixed Sobol seed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from qkdchip.sims.keyrate.cal import CALParams, cal_rate
from qkdchip.sims.keyrate.channel import Channel, Detector, arrival, detector_pair
from qkdchip.sims.keyrate.finite import Security
from qkdchip.sims.keyrate.pm import PMParams, pm_rate
from qkdchip.sims.keyrate.sns import BOB_FIELDS, SNSParams, sns_rate
from qkdchip.sims.keyrate.tf import TFParams, tf_rate

Array = NDArray[np.float64]
ParamsT = SNSParams | PMParams | TFParams | CALParams

#: search boxes (documented in README.md)
SNS_BOUNDS = {
    "mu_z": (0.01, 1.0),
    "eps": (1e-6, 0.5),
    "mu_1": (0.005, 0.5),
    "dmu": (0.02, 1.0),  # mu_2 - mu_1
    "p_z": (0.3, 0.98),
    "p_2": (0.005, 0.5),  # strong-decoy probability; p_0 in [0.02, 1 - p_2 - 0.02], p_1 the rest
    "phase_window_rad": (0.02, 1.2),
}
MU_BOUNDS = {"pm": (1e-3, 2.0), "tf": (1e-3, 2.0), "cal": (1e-4, 0.5)}
P_DECOY_MIN = 0.02
#: range of the unconstrained coordinates (sigmoid(7) = 0.9991: the box edge)
Y_MAX = 7.0


def _sigmoid(y: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * y))


def _logit(p: Array) -> Array:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1.0 - p))


def _box(y: Array, lo: Array, hi: Array) -> Array:
    """Unconstrained ``y`` -> log-uniform box [lo, hi]."""
    return lo * (hi / lo) ** _sigmoid(y)


def _unbox(x: Array, lo: Array, hi: Array) -> Array:
    t = np.log(np.clip(x, lo, hi) / lo) / np.log(hi / lo)
    return _logit(t)


@dataclass
class Problem:
    """A batch of key-rate maximisations sharing one protocol (flattened to ``size`` items)."""

    protocol: str
    eta_a: Array
    eta_b: Array
    v_random: Array
    v_fixed: Array
    p_d: Array
    f_ec: Array
    base: ParamsT
    pulses: Array | None
    security: Security
    det: tuple[Array, ...] | None = None
    #: parameters held at their ``base`` values (optimising a subset; see :func:`optimisable`)
    fixed: tuple[str, ...] = ()
    #: asymmetric SNS (Hu et al. 2019): Bob's intensities (and with finite key his
    #: probabilities) are searched too (three or six more coordinates) and his sending
    #: probability follows from the protocol's condition
    #: (:func:`bob_sending_probability`)
    asymmetric: bool = False
    #: asymmetric finite key: Bob's probabilities tied to Alice's (the first stage of
    #: :func:`optimize`, whose optimum seeds the full search)
    tie_bob: bool = False

    @classmethod
    def build(
        cls,
        protocol: str,
        channel: Channel,
        detector: Detector,
        base: ParamsT,
        f_ec: float | Array,
        pulses: float | Array | None,
        security: Security,
        fixed: tuple[str, ...] = (),
        asymmetric: bool = False,
    ) -> tuple[Problem, tuple[int, ...]]:
        ea, eb, vr, vf, pd = arrival(channel, detector)
        pair = detector_pair(detector)
        extra = [np.asarray(f_ec)] + ([] if pulses is None else [np.asarray(pulses)])
        extra += [] if pair is None else list(pair)
        given = _fixed_arrays(base)
        shape = np.broadcast_shapes(
            *(np.shape(a) for a in (ea, eb, vr, vf, pd, *extra, *given.values()))
        )

        def flat(a: Array) -> Array:
            return np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1).copy()

        prob = cls(
            protocol=protocol,
            eta_a=flat(ea),
            eta_b=flat(eb),
            v_random=flat(vr),
            v_fixed=flat(vf),
            p_d=flat(pd),
            f_ec=flat(np.asarray(f_ec)),
            base=_broadcast_base(base, flat),
            pulses=None if pulses is None else flat(np.asarray(pulses)),
            security=security,
            det=None if pair is None else tuple(flat(a) for a in pair),
            fixed=tuple(fixed),
            asymmetric=asymmetric,
        )
        return prob, shape

    @property
    def size(self) -> int:
        return int(self.eta_a.size)

    @property
    def finite(self) -> bool:
        return self.pulses is not None

    # ---- parameter space -------------------------------------------------------------
    def _sns_mu1_lo(self, idx: Array) -> Array:
        base = self.base
        assert isinstance(base, SNSParams)
        lo = SNS_BOUNDS["mu_1"][0]
        if base.extinction_ratio_db is not None:
            top = max(SNS_BOUNDS["mu_z"][1], SNS_BOUNDS["mu_1"][1] + SNS_BOUNDS["dmu"][1])
            vmax = top * 10.0 ** (-np.asarray(base.extinction_ratio_db)[idx] / 10.0)
        else:
            vmax = np.asarray(base.mu_vacuum)[idx]
        return np.maximum(lo, 1.5 * vmax)

    @property
    def dim(self) -> int:
        if self.protocol in ("sns", "sns-aopp"):
            bob = (6 if self.finite and not self.tie_bob else 3) if self.asymmetric else 0
            return (8 if self.finite else 4) + bob
        return 1

    def params(self, idx: Array, y: Array) -> ParamsT:
        """Parameters of problems ``idx`` (K,) at unconstrained points ``y`` (K, dim).

        ``y`` is clipped to [-Y_MAX, Y_MAX]: beyond it the sigmoid boxes are flat.
        """
        base = self.base
        y = np.clip(y, -Y_MAX, Y_MAX)
        if self.protocol in ("sns", "sns-aopp"):
            assert isinstance(base, SNSParams)
            b = SNS_BOUNDS
            mu_z = _box(y[:, 0], *b["mu_z"])
            eps = _box(y[:, 1], *b["eps"])
            mu_1 = _box(y[:, 2], self._sns_mu1_lo(idx), np.asarray(b["mu_1"][1]))
            mu_2 = mu_1 + _box(y[:, 3], *b["dmu"])
            kw: dict[str, object] = {}
            if self.finite:
                # p_2 in a log box, then p_0 linearly in what is left (no redundant direction)
                p2 = _box(y[:, 6], *b["p_2"])
                p0 = P_DECOY_MIN + (1.0 - p2 - 2.0 * P_DECOY_MIN) * _sigmoid(y[:, 5])
                kw = {
                    "p_z": _box(y[:, 4], *b["p_z"]),
                    "p_0": p0,
                    "p_1": 1.0 - p2 - p0,
                    "phase_window_rad": _box(y[:, 7], *b["phase_window_rad"]),
                }
            else:
                kw = {
                    "p_z": None if base.p_z is None else np.asarray(base.p_z)[idx],
                    "p_0": np.asarray(base.p_0)[idx],
                    "p_1": np.asarray(base.p_1)[idx],
                    "phase_window_rad": np.asarray(base.phase_window_rad)[idx],
                }
            kw.update(mu_z=mu_z, mu_1=mu_1, mu_2=mu_2, eps=eps)
            if self.asymmetric:  # Bob's intensities: the last three coordinates
                j = 8 if self.finite else 4
                kw["mu_z_b"] = _box(y[:, j], *b["mu_z"])
                kw["mu_1_b"] = _box(y[:, j + 1], self._sns_mu1_lo(idx), np.asarray(b["mu_1"][1]))
                kw["mu_2_b"] = kw["mu_1_b"] + _box(y[:, j + 2], *b["dmu"])
                if self.finite and self.tie_bob:  # Bob's probabilities are Alice's
                    kw["p_z_b"], kw["p_0_b"], kw["p_1_b"] = kw["p_z"], kw["p_0"], kw["p_1"]
                elif self.finite:  # Bob's probabilities, boxed like Alice's
                    p2b = _box(y[:, j + 5], *b["p_2"])
                    p0b = P_DECOY_MIN + (1.0 - p2b - 2.0 * P_DECOY_MIN) * _sigmoid(y[:, j + 4])
                    kw["p_z_b"] = _box(y[:, j + 3], *b["p_z"])
                    kw["p_0_b"], kw["p_1_b"] = p0b, 1.0 - p2b - p0b
                else:  # asymptotic: Bob's own (as given), or Alice's
                    for name in ("p_z_b", "p_0_b", "p_1_b"):
                        if getattr(base, name) is not None:
                            kw[name] = np.asarray(getattr(base, name), dtype=np.float64)[idx]
            bob = base.bob()
            for name in self.fixed:  # held at the given values (Bob's: his, else Alice's)
                value = bob[name[:-2]] if name in BOB_FIELDS else getattr(base, name)
                kw[name] = np.asarray(value, dtype=np.float64)[idx]
            if self.asymmetric:
                kw["eps_b"] = bob_sending_probability(
                    kw["eps"], kw["mu_z"], kw["mu_1"], kw["mu_z_b"], kw["mu_1_b"]
                )
            # valid by construction (boxes; with fixed parameters the objective rejects the
            # invalid combinations): no range checks on every objective call
            return SNSParams._trusted(
                mu_vacuum=np.asarray(base.mu_vacuum)[idx],
                extinction_ratio_db=None
                if base.extinction_ratio_db is None
                else np.asarray(base.extinction_ratio_db)[idx],
                **kw,  # type: ignore[arg-type]
            )
        mu = _box(y[:, 0], *MU_BOUNDS[self.protocol])
        if isinstance(base, PMParams):
            return PMParams(
                mu=mu, phase_slices=base.phase_slices, slice_distribution=base.slice_distribution
            )
        if isinstance(base, TFParams):
            return TFParams(mu=mu, phase_slices=base.phase_slices)
        return CALParams(mu=mu)

    def start(self) -> Array:
        """The base parameters as unconstrained vectors (size, dim)."""
        base = self.base
        idx = np.arange(self.size)
        if isinstance(base, SNSParams):
            b = SNS_BOUNDS
            cols = [
                _unbox(np.asarray(base.mu_z)[idx], *b["mu_z"]),
                _unbox(np.asarray(base.eps)[idx], *b["eps"]),
                _unbox(np.asarray(base.mu_1)[idx], self._sns_mu1_lo(idx), b["mu_1"][1]),
                _unbox(np.asarray(base.mu_2 - np.asarray(base.mu_1))[idx], *b["dmu"]),
            ]
            if self.finite:
                p0, p1 = np.asarray(base.p_0)[idx], np.asarray(base.p_1)[idx]
                p2 = 1.0 - p0 - p1
                pz = 0.8 if base.p_z is None else np.asarray(base.p_z)[idx]
                win = np.asarray(base.phase_window_rad)[idx]
                win = np.where(win > 0, win, 0.2)
                cols += [
                    _unbox(pz * np.ones(self.size), *b["p_z"]),
                    _logit((p0 - P_DECOY_MIN) / np.maximum(1.0 - p2 - 2.0 * P_DECOY_MIN, 1e-9)),
                    _unbox(p2, *b["p_2"]),
                    _unbox(win, *b["phase_window_rad"]),
                ]
            if self.asymmetric:
                bob = base.bob()
                mu1b = np.asarray(bob["mu_1"])[idx]
                cols += [
                    _unbox(np.asarray(bob["mu_z"])[idx], *b["mu_z"]),
                    _unbox(mu1b, self._sns_mu1_lo(idx), b["mu_1"][1]),
                    _unbox(np.asarray(bob["mu_2"])[idx] - mu1b, *b["dmu"]),
                ]
                if self.finite and not self.tie_bob:
                    p0, p1 = np.asarray(bob["p_0"])[idx], np.asarray(bob["p_1"])[idx]
                    p2 = 1.0 - p0 - p1
                    pz = 0.8 if bob["p_z"] is None else np.asarray(bob["p_z"])[idx]
                    cols += [
                        _unbox(pz * np.ones(self.size), *b["p_z"]),
                        _logit((p0 - P_DECOY_MIN) / np.maximum(1.0 - p2 - 2.0 * P_DECOY_MIN, 1e-9)),
                        _unbox(p2, *b["p_2"]),
                    ]
            return np.stack(cols, axis=-1)
        return _unbox(np.asarray(base.mu)[idx], *MU_BOUNDS[self.protocol])[:, None]

    # ---- evaluation ------------------------------------------------------------------------
    def evaluate(self, idx: Array, y: Array) -> dict[str, Array]:
        """Full rate dictionary of problems ``idx`` at points ``y``."""
        p = self.params(idx, y)
        ea, eb, vr, vf, pd = (
            a[idx] for a in (self.eta_a, self.eta_b, self.v_random, self.v_fixed, self.p_d)
        )
        f = self.f_ec[idx]
        det = None if self.det is None else tuple(a[idx] for a in self.det)
        if isinstance(p, SNSParams):
            return sns_rate(
                ea,
                eb,
                vr,
                vf,
                pd,
                p,
                f_ec=f,
                aopp=self.protocol == "sns-aopp",
                pulses=None if self.pulses is None else self.pulses[idx],
                security=self.security,
                det=det,
            )
        if isinstance(p, PMParams):
            return pm_rate(ea, eb, vf, pd, p, f_ec=f, det=det)
        if isinstance(p, TFParams):
            return tf_rate(ea, eb, vf, pd, p, f_ec=f, det=det)
        return cal_rate(ea, eb, vr, vf, pd, p, f_ec=f, det=det)

    def objective(self, idx: Array, y: Array) -> Array:
        """Value to minimise, in three tiers that rank every candidate consistently.

        * positive rate: ``-rate`` (< 0);
        * no key, but an informative decoy estimate: ``(2/pi) atan(-rate/detections)`` in
          [0, 1): the (negative) key fraction still has an interior maximum that points to the
          region of positive rate, whereas the bare rate would drift to "send nothing";
        * void decoy estimate (SNS, s_1^L <= 0): ``1 + (2/pi) atan(-margin)`` in [1, 2),
          climbing the decoy bound first.
        """
        with np.errstate(all="ignore"):
            out = self.evaluate(idx, y)
        raw = out["rate_raw"]
        frac = raw / np.maximum(out["norm"], 1e-300)
        obj = np.where(raw > 0.0, -raw, (2.0 / np.pi) * np.arctan(-frac))
        if "margin" in out:
            margin = out["margin"]
            obj = np.where(
                (raw <= 0.0) & (margin <= 0.0), 1.0 + (2.0 / np.pi) * np.arctan(-margin), obj
            )
        if self.fixed:  # a fixed value may conflict with a searched one: reject those points
            p = self.params(idx, y)
            assert isinstance(p, SNSParams)
            bad = (np.asarray(p.mu_1) >= np.asarray(p.mu_2)) | (p.mu_v >= np.asarray(p.mu_1))
            bad |= np.asarray(p.p_0) + np.asarray(p.p_1) >= 1.0
            if self.asymmetric:
                bob = p.bob()
                bad |= (np.asarray(bob["mu_1"]) >= np.asarray(bob["mu_2"])) | (
                    p.mu_v >= np.asarray(bob["mu_1"])
                )
                bad |= np.asarray(bob["p_0"]) + np.asarray(bob["p_1"]) >= 1.0
            obj = np.where(bad, np.inf, obj)
        return np.where(np.isfinite(obj), obj, np.inf)


def optimisable(protocol: str, finite: bool, asymmetric: bool = False) -> tuple[str, ...]:
    """Names of the parameters the optimiser searches for ``protocol`` (``optimize=[...]``
    of :func:`~.api.key_rate` takes a subset; the others keep their given values).

    ``asymmetric`` (SNS): Bob's own intensities ``mu_z_b``, ``mu_1_b``, ``mu_2_b`` too, and with
    finite key his probabilities ``p_z_b``, ``p_0_b``, ``p_1_b`` (asymptotically they do not
    enter the rate); his sending probability ``eps_b`` is not free but set by the protocol's
    condition (:func:`bob_sending_probability`).
    """
    if protocol in ("sns", "sns-aopp"):
        names = ("mu_z", "mu_1", "mu_2", "eps")
        names += ("p_z", "p_0", "p_1", "phase_window_rad") if finite else ()
        if asymmetric:
            names += ("mu_z_b", "mu_1_b", "mu_2_b")
            names += ("p_z_b", "p_0_b", "p_1_b") if finite else ()
        return names
    return ("mu",)


def bob_sending_probability(
    eps: Array, mu_z: Array, mu_1: Array, mu_z_b: Array, mu_1_b: Array
) -> Array:
    """Bob's sending probability ``eps_B`` fixed by the asymmetric-SNS condition.

    Hu, Jiang, Yu, Wang, PRA 100, 062337 (2019): the untagged Z single-photon state must be
    the X1 one, ``eps_A(1-eps_B) mu_zA e^-mu_zA / [eps_B(1-eps_A) mu_zB e^-mu_zB] =
    mu_1A/mu_1B``, solved for ``eps_B = 1/(1 + q)``,
    ``q = (mu_1A/mu_1B) (1-eps_A) mu_zB e^-mu_zB / (eps_A mu_zA e^-mu_zA)`` (in (0, 1) for
    every positive input).
    """
    eps, mu_z, mu_1 = (np.asarray(a, dtype=np.float64) for a in (eps, mu_z, mu_1))
    mu_z_b, mu_1_b = (np.asarray(a, dtype=np.float64) for a in (mu_z_b, mu_1_b))
    q = (mu_1 / mu_1_b) * (1.0 - eps) * mu_z_b * np.exp(mu_z - mu_z_b) / (eps * mu_z)
    return 1.0 / (1.0 + q)


def _fixed_arrays(base: ParamsT) -> dict[str, Array]:
    if isinstance(base, SNSParams):
        out = {
            k: np.asarray(getattr(base, k))
            for k in ("mu_z", "mu_1", "mu_2", "eps", "p_0", "p_1", "phase_window_rad", "mu_vacuum")
        }
        if base.p_z is not None:
            out["p_z"] = np.asarray(base.p_z)
        if base.extinction_ratio_db is not None:
            out["er"] = np.asarray(base.extinction_ratio_db)
        for k in BOB_FIELDS:
            if getattr(base, k) is not None:
                out[k] = np.asarray(getattr(base, k))
        return out
    return {"mu": np.asarray(base.mu)}


def _broadcast_base(base: ParamsT, flat: Callable[[Array], Array]) -> ParamsT:
    """``base`` with every numeric field mapped through ``flat``."""
    if isinstance(base, SNSParams):
        return SNSParams(
            mu_z=flat(base.mu_z),
            mu_1=flat(base.mu_1),
            mu_2=flat(base.mu_2),
            eps=flat(base.eps),
            p_z=None if base.p_z is None else flat(base.p_z),
            p_0=flat(base.p_0),
            p_1=flat(base.p_1),
            phase_window_rad=flat(base.phase_window_rad),
            mu_vacuum=flat(base.mu_vacuum),
            extinction_ratio_db=None
            if base.extinction_ratio_db is None
            else flat(base.extinction_ratio_db),
            **{k: flat(getattr(base, k)) for k in BOB_FIELDS if getattr(base, k) is not None},
        )
    if isinstance(base, PMParams):
        return PMParams(
            mu=flat(base.mu),
            phase_slices=base.phase_slices,
            slice_distribution=base.slice_distribution,
        )
    if isinstance(base, TFParams):
        return TFParams(mu=flat(base.mu), phase_slices=base.phase_slices)
    return CALParams(mu=flat(base.mu))


def _take_base(base: ParamsT, idx: Array) -> ParamsT:
    """The flattened base parameters of the problems ``idx`` only."""
    return _broadcast_base(base, lambda a: np.asarray(a, dtype=np.float64)[idx])


# ---- batched Nelder-Mead ----------------------------------------------------------------------
def batched_nelder_mead(
    fun: Callable[[Array, Array], Array],
    x0: Array,
    step: float = 0.6,
    max_iter: int = 400,
    xtol: float = 1e-4,
    ftol: float = 1e-9,
) -> tuple[Array, Array]:
    """Minimise ``fun(idx, X)`` independently for each row of ``x0`` (B, d), in lock-step.

    ``fun`` maps problem indices ``idx`` (K,) and points ``X`` (K, d) to values (K,). Returns the
    best points (B, d) and values (B,). Adaptive coefficients for dimension d (Gao & Han,
    Comput. Optim. Appl. 51, 259, 2012).
    """
    b, d = x0.shape
    alpha, gamma = 1.0, 1.0 + 2.0 / d
    rho, sigma = 0.75 - 1.0 / (2.0 * d), 1.0 - 1.0 / d
    if d == 1:
        rho, sigma = 0.5, 0.5
    simplex = np.repeat(x0[:, None, :], d + 1, axis=1)
    simplex[:, 1:, :] += step * np.eye(d)[None]
    idx_all = np.arange(b)
    fvals = fun(np.repeat(idx_all, d + 1), simplex.reshape(-1, d)).reshape(b, d + 1)
    active = np.ones(b, dtype=bool)
    for _ in range(max_iter):
        order = np.argsort(fvals, axis=1)
        simplex = np.take_along_axis(simplex, order[:, :, None], axis=1)
        fvals = np.take_along_axis(fvals, order, axis=1)
        spread_x = np.max(np.abs(simplex[:, 1:] - simplex[:, :1]), axis=(1, 2))
        spread_f = fvals[:, -1] - fvals[:, 0]
        scale = np.maximum(np.abs(fvals[:, 0]), 1e-300)
        active &= ~((spread_x <= xtol) | (spread_f <= ftol * scale))
        act = np.flatnonzero(active)
        if act.size == 0:
            break
        s = simplex[act]
        f = fvals[act]
        c = s[:, :-1].mean(axis=1)
        worst = s[:, -1]
        xr = c + alpha * (c - worst)
        xe = c + gamma * (xr - c)
        xoc = c + rho * (xr - c)
        xic = c - rho * (c - worst)
        cand = np.concatenate([xr, xe, xoc, xic])
        fc = fun(np.tile(act, 4), cand).reshape(4, act.size)
        fr, fe, foc, fic = fc
        new_x = worst.copy()
        new_f = f[:, -1].copy()
        shrink = np.zeros(act.size, dtype=bool)
        best, second = f[:, 0], f[:, -2]
        m_exp = fr < best
        use_e = m_exp & (fe < fr)
        new_x = np.where(use_e[:, None], xe, np.where(m_exp[:, None], xr, new_x))
        new_f = np.where(use_e, fe, np.where(m_exp, fr, new_f))
        m_ref = ~m_exp & (fr < second)
        new_x = np.where(m_ref[:, None], xr, new_x)
        new_f = np.where(m_ref, fr, new_f)
        m_out = ~m_exp & ~m_ref & (fr < f[:, -1])
        ok_out = m_out & (foc <= fr)
        new_x = np.where(ok_out[:, None], xoc, new_x)
        new_f = np.where(ok_out, foc, new_f)
        m_in = ~m_exp & ~m_ref & ~m_out
        ok_in = m_in & (fic < f[:, -1])
        new_x = np.where(ok_in[:, None], xic, new_x)
        new_f = np.where(ok_in, fic, new_f)
        shrink = (m_out & ~ok_out) | (m_in & ~ok_in)
        s[:, -1] = new_x
        f[:, -1] = new_f
        if np.any(shrink):
            sh = np.flatnonzero(shrink)
            pts = s[sh, :1] + sigma * (s[sh, 1:] - s[sh, :1])
            fs = fun(np.repeat(act[sh], d), pts.reshape(-1, d)).reshape(sh.size, d)
            s[sh, 1:] = pts
            f[sh, 1:] = fs
        simplex[act] = s
        fvals[act] = f
    i_best = np.argmin(fvals, axis=1)
    return simplex[idx_all, i_best], fvals[idx_all, i_best]


def batched_bfgs(
    fun: Callable[[Array, Array], Array],
    x0: Array,
    max_iter: int = 60,
    h: float = 1e-5,
    ftol: float = 1e-10,
    xtol: float = 1e-6,
) -> tuple[Array, Array]:
    """Minimise ``fun(idx, X)`` for each row of ``x0`` with BFGS, all problems in lock-step.

    Central-difference gradients (one call of ``fun`` on ``2 d`` points per problem) and a
    batched backtracking line search (one call on 6 step lengths per problem) per iteration.
    Each problem's objective is divided by ``|f(x0)|`` so that the first step is O(1) in the
    unconstrained coordinates whatever the scale of the rate. Returns (points, values).
    """
    b, d = x0.shape
    idx = np.arange(b)
    eye = np.eye(d)
    alphas = np.array([2.0, 1.0, 0.5, 0.2, 0.05, 0.01, 1e-3])
    x = x0.copy()
    f = fun(idx, x)
    scale = np.where(np.isfinite(f) & (np.abs(f) > 0), np.abs(f), 1.0)

    def grad(ii: Array, xx: Array) -> Array:
        pts = np.concatenate([xx[:, None, :] + h * eye, xx[:, None, :] - h * eye], axis=1)
        fv = fun(np.repeat(ii, 2 * d), pts.reshape(-1, d)).reshape(ii.size, 2, d)
        g = (fv[:, 0] - fv[:, 1]) / (2.0 * h) / scale[ii, None]
        return np.where(np.isfinite(g), g, 0.0)

    g = grad(idx, x)
    hinv = np.repeat(eye[None], b, axis=0)
    first = np.ones(b, dtype=bool)
    reset = np.zeros(b, dtype=bool)
    active = np.isfinite(f)
    for _ in range(max_iter):
        act = np.flatnonzero(active)
        if act.size == 0:
            break
        ga = g[act]
        p = -np.einsum("kij,kj->ki", hinv[act], ga)
        # first step of each problem: unit length along the steepest descent
        pn = np.linalg.norm(p, axis=1)
        p = np.where(
            (first[act] | ~np.isfinite(pn))[:, None],
            -ga / np.maximum(np.linalg.norm(ga, axis=1), 1e-300)[:, None],
            p,
        )
        slope = np.einsum("ki,ki->k", p, ga)
        p = np.where((slope < 0)[:, None], p, -ga)  # not a descent direction: reset
        trial = x[act, None, :] + alphas[None, :, None] * p[:, None, :]
        ft = fun(np.repeat(act, alphas.size), trial.reshape(-1, d)).reshape(act.size, -1)
        j = np.argmin(ft, axis=1)
        f_new = ft[np.arange(act.size), j]
        ok = f_new < f[act]
        # a failed line search first resets the quasi-Newton matrix (steepest descent with a
        # unit step, then smaller ones); only a second failure in a row ends the problem
        done = ~ok & reset[act]
        reset[act] = ~ok
        first[act] = first[act] | ~ok
        s_step = alphas[j][:, None] * p
        x_new = np.where(ok[:, None], x[act] + s_step, x[act])
        g_new = grad(act, x_new)
        y_vec = g_new - ga
        sy = np.einsum("ki,ki->k", s_step, y_vec)
        upd = ok & (sy > 1e-12 * np.linalg.norm(s_step, axis=1) * np.linalg.norm(y_vec, axis=1))
        hk = hinv[act]
        # first accepted step: rescale the identity (Nocedal & Wright, 2nd ed., Eq. 6.20)
        yy = np.einsum("ki,ki->k", y_vec, y_vec)
        gamma = np.where(upd & first[act], sy / np.maximum(yy, 1e-300), 1.0)
        hk = hk * gamma[:, None, None]
        rho = np.where(upd, 1.0 / np.where(upd, sy, 1.0), 0.0)
        a_mat = eye[None] - rho[:, None, None] * s_step[:, :, None] * y_vec[:, None, :]
        h_upd = np.einsum("kij,kjl,kml->kim", a_mat, hk, a_mat) + (
            rho[:, None, None] * s_step[:, :, None] * s_step[:, None, :]
        )
        hinv[act] = np.where(upd[:, None, None], h_upd, hinv[act])
        first[act] = first[act] & ~upd
        conv = (
            done
            | (np.abs(f[act] - f_new) <= ftol * np.abs(f_new))
            | (np.linalg.norm(s_step, axis=1) <= xtol)
        )
        x[act] = x_new
        f[act] = np.where(ok, f_new, f[act])
        g[act] = np.where(ok[:, None], g_new, ga)
        active[act] = ~conv
    return x, f


def optimize(
    problem: Problem,
    warm: Array | None = None,
    n_candidates: int = 128,
    n_starts: int | None = None,
) -> tuple[Array, Array]:
    """Maximise the rate of every problem of the batch; returns ``(y_best, rate_raw_best)``.

    Each problem's answer depends on that problem alone (never on the rest of its batch): the
    batch is only a way of evaluating many independent searches in one vectorised call.
    Every problem is solved from ``n_starts`` starting points (its best, second best, ...
    candidate of the start pool: the defaults, the warm start and a fixed Sobol set), each
    refined independently, and the best result is kept (default: :data:`N_STARTS` for the
    protocol and key type).

    Finite-key problems are solved by continuation in the number of pulses: first at
    ``N * 1e4`` (close to the asymptotic problem, where the region of positive rate is wide),
    then at ``N * 1e3``, ``N * 1e2``, ``N * 10`` (short BFGS runs, each from the previous
    solution) and finally at ``N``. At small N the positive region of the 8-dimensional
    finite-key landscape is narrow (the strong-decoy and X1 statistics must all be sufficient
    at once) and random starts rarely hit it; a factor 100 per step already loses it.
    """
    if problem.asymmetric and problem.finite and not problem.tie_bob:
        free = [n for n in ("p_z_b", "p_0_b", "p_1_b") if n not in problem.fixed]
        if free:
            return _optimize_untied(problem, warm, n_candidates, n_starts)
    b = problem.size
    key = (problem.dim > 1, problem.finite or problem.asymmetric)
    k = n_starts if n_starts is not None else N_STARTS[key]
    starts = [problem.start()]
    if warm is not None:
        starts.append(warm)
    if k > 1:
        rows = np.tile(np.arange(b), k)
        big = _take_rows(problem, rows)
        ranks = np.repeat(np.arange(k), b)
        y, r = _optimize_ranked(big, [s[rows] for s in starts], n_candidates, ranks, b)
        r_k = np.where(np.isfinite(r), r, -np.inf).reshape(k, b)
        j = np.argmax(r_k, axis=0)  # first (lowest rank) of equal optima: deterministic
        pick = j * b + np.arange(b)
        return y[pick], r[pick]
    return _optimize_ranked(problem, starts, n_candidates, np.zeros(b, dtype=int))


def _optimize_untied(
    problem: Problem, warm: Array | None, n_candidates: int, n_starts: int | None
) -> tuple[Array, Array]:
    """Asymmetric finite key with Bob's probabilities searched (14 coordinates): first the
    11-coordinate problem with Bob's probabilities equal to Alice's, then a local search of the
    full problem from its optimum (kept only where it gains). A direct 14-coordinate search
    ended 0.4 % below the tied optimum at 100/130 km arms (N = 1e13)."""
    tied = replace(problem, tie_bob=True)
    warm_t = None if warm is None else warm[:, : tied.dim]
    y_t, _ = optimize(tied, warm_t, n_candidates, n_starts)
    y0 = np.concatenate([y_t, y_t[:, 4:7]], axis=1)  # Bob's p_z, p_0, p_2 columns = Alice's
    idx = np.arange(problem.size)
    f0 = problem.objective(idx, y0)
    y, f = batched_bfgs(problem.objective, y0, max_iter=ITERATIONS[True]["bfgs"])
    y, f = _polish(problem, np.where((f < f0)[:, None], y, y0))
    better = f < f0
    y = np.where(better[:, None], y, y0)
    return np.clip(y, -Y_MAX, Y_MAX), -np.where(better, f, f0)


def refine(problem: Problem, candidates: list[Array]) -> tuple[Array, Array]:
    """Local search from known good points; returns ``(y_best, rate_raw_best)`` like
    :func:`optimize`.

    For problems close to already solved ones (a perturbed channel, one sample of an
    uncertainty study, another model variant of the same link): each problem starts from the
    best of its ``candidates`` (each (size, dim); one batched evaluation per candidate) and is
    refined locally at its own number of pulses: BFGS, then the restarted Nelder-Mead polish
    of :func:`optimize` (no start pool, no continuation in the number of pulses, one start).
    Problems where the local optimum has no key get the global search (:func:`optimize`, with
    their best candidate in its pool), so a problem whose optimum moved out of reach is never
    reported as keyless by this shortcut. Each problem's answer depends on that problem and its
    candidates alone.

    Measured on the reference network (finite-key SNS-AOPP, 8 coordinates;
    benchmarks/bench_refine.py): its 256-sample uncertainty study 5.5x faster than
    :func:`optimize` (1.29 s against 7.18 s), the ratios to PLOB within -3.5e-4 / +2.1e-4 of
    it (median 1e-12); the model variants 4.1x, within 4e-9; the rate-vs-distance curves 2.2x,
    within 1.8e-6 (the same rows without key).
    """
    if not candidates:
        raise ValueError("candidates: at least one starting point is needed")
    b = problem.size
    idx = np.arange(b)
    y0 = np.clip(np.asarray(candidates[0], dtype=np.float64), -Y_MAX, Y_MAX).copy()
    f0 = problem.objective(idx, y0)
    for c in candidates[1:]:
        c = np.clip(np.asarray(c, dtype=np.float64), -Y_MAX, Y_MAX)
        f = problem.objective(idx, c)
        better = f < f0  # strict: the first of equal candidates, deterministically
        y0[better] = c[better]
        f0 = np.where(better, f, f0)
    it = ITERATIONS[problem.finite or problem.asymmetric]
    y, f = batched_bfgs(problem.objective, y0, max_iter=it["bfgs"])
    y, f = _polish(problem, y)
    # no key near the candidates: the global search
    _search_keyless(problem, y, f, lambda sub, lost: optimize(sub, warm=y0[lost]))
    return np.clip(y, -Y_MAX, Y_MAX), -f


#: independent starts per problem: (more than one parameter, finite key) -> count. The
#: 8-dimensional finite-key SNS landscape has local optima (e.g. the weak decoy at its lower
#: bound with a tiny strong-decoy probability), the 4-dimensional asymptotic one fewer.
N_STARTS = {(False, False): 1, (False, True): 1, (True, False): 2, (True, True): 3}


def _take_rows(problem: Problem, rows: Array) -> Problem:
    """The sub-problem (or replicated problem) made of the rows ``rows`` of ``problem``."""
    return replace(
        problem,
        **{
            k: getattr(problem, k)[rows]
            for k in ("eta_a", "eta_b", "v_random", "v_fixed", "p_d", "f_ec")
        },
        pulses=None if problem.pulses is None else problem.pulses[rows],
        base=_take_base(problem.base, rows),
        det=None if problem.det is None else tuple(a[rows] for a in problem.det),
    )


def _optimize_ranked(
    problem: Problem,
    starts: list[Array],
    n_candidates: int,
    ranks: Array,
    period: int | None = None,
) -> tuple[Array, Array]:
    """One search per problem, each started from its ``ranks``-th best pool candidate.

    ``period``: the problem is a replication of its first ``period`` rows (row r is row
    ``r % period``), so the start pool is evaluated for those rows only.
    """
    if problem.pulses is None:
        return _solve(problem, starts, n_candidates, ranks, period)
    easy = replace(problem, pulses=np.minimum(problem.pulses * HOMOTOPY_FACTORS[0], 1e22))
    y, _ = _solve(easy, starts, n_candidates, ranks, period)
    for factor in HOMOTOPY_FACTORS[1:]:
        stage = replace(problem, pulses=np.minimum(problem.pulses * factor, 1e22))
        y, _ = batched_bfgs(stage.objective, y, max_iter=30, ftol=1e-6)
    # last step: follow the path locally first. Near the cut-off the continuation point has a
    # slightly negative rate at N, and a global restart would prefer "send nothing", whose key
    # fraction (the fixed security cost over dark-count detections) can look better.
    y, f = batched_nelder_mead(problem.objective, y, step=0.2, max_iter=EXPLORE_ITER, ftol=1e-6)
    y, f = batched_bfgs(problem.objective, np.clip(y, -Y_MAX, Y_MAX))
    # no key found along the path: search globally
    _search_keyless(
        problem,
        y,
        f,
        lambda sub, lost: _solve(
            sub, [s[lost] for s in starts] + [y[lost]], n_candidates, ranks[lost]
        ),
    )
    y, f = _polish(problem, y)
    return np.clip(y, -Y_MAX, Y_MAX), -f


def _search_keyless(
    problem: Problem,
    y: Array,
    f: Array,
    search: Callable[[Problem, Array], tuple[Array, Array]],
) -> None:
    """The problems of ``problem`` without key at ``y`` (objective ``f >= 0``) searched again by
    ``search(sub_problem, rows) -> (y, rate)``; ``y`` and ``f`` updated in place where that
    gains."""
    lost = np.flatnonzero(f >= 0.0)
    if lost.size == 0:
        return
    y_g, r_g = search(_take_rows(problem, lost), lost)
    better = -r_g < f[lost]
    y[lost[better]] = y_g[better]
    f[lost[better]] = -r_g[better]


def _polish(problem: Problem, y: Array) -> tuple[Array, Array]:
    """Restarted small Nelder-Mead simplexes until a restart gains < 1e-9 (relative).

    A single simplex stops early on the ridges of the finite-key landscape (0.1-0.2 % below the
    local optimum at short distance); restarting from the best point with a fresh simplex
    removes that, so that nearby problems (one dark-count rate apart) end on consistent optima.
    """
    f = problem.objective(np.arange(problem.size), np.clip(y, -Y_MAX, Y_MAX))
    for _ in range(POLISH_RESTARTS):
        y_new, f_new = batched_nelder_mead(
            problem.objective, np.clip(y, -Y_MAX, Y_MAX), step=0.1, max_iter=POLISH_ITER, ftol=1e-12
        )
        better = f_new < f
        gain = np.where(better, (f - f_new) / np.maximum(np.abs(f_new), 1e-300), 0.0)
        y = np.where(better[:, None], y_new, y)
        f = np.where(better, f_new, f)
        if np.all(gain < 1e-9):
            break
    return y, f


#: restarts and iterations of the final Nelder-Mead polish
POLISH_RESTARTS = 4
POLISH_ITER = 150


#: pulse-number factors of the stages of the finite-key continuation (then N itself)
HOMOTOPY_FACTORS = (1e4, 1e3, 1e2, 1e1)
#: Nelder-Mead iterations of the exploration stage
EXPLORE_ITER = 200
#: iterations of the stages of one search (Nelder-Mead exploration, BFGS, Nelder-Mead polish),
#: by key type (finite key: True). The asymptotic landscape is smooth and 4-dimensional at
#: most: its search converges to 1e-6 of the longer one in a fraction of the steps. The
#: 7-dimensional asymmetric SNS search takes the long budget (and 3 starts) asymptotically too:
#: with the short one it ended 0.4 % below a 4-start search at 100/130 km arms.
ITERATIONS = {
    False: {"explore": 40, "bfgs": 15, "polish": 10},
    True: {"explore": EXPLORE_ITER, "bfgs": 60, "polish": 60},
}


def _solve(
    problem: Problem,
    starts: list[Array],
    n_candidates: int,
    ranks: Array,
    period: int | None = None,
) -> tuple[Array, Array]:
    """``ranks``-th best of starts + Sobol candidates -> Nelder-Mead exploration -> BFGS.

    Problems never share points with each other (no warm start from a neighbour in the batch),
    so the result of a problem does not depend on which other problems are solved with it.
    """
    from scipy.stats import qmc  # ~1 s to import: only when a rate is optimised

    b, d = problem.size, problem.dim
    idx = np.arange(b)
    sob = qmc.Sobol(d, scramble=True, seed=20240601).random(n_candidates)
    cand = 6.0 * (sob - 0.5)  # covers sigmoid(y) in ~[0.05, 0.95] of every box
    y_pool = np.concatenate(
        [np.stack(starts, axis=1), np.broadcast_to(cand[None], (b, n_candidates, d))], axis=1
    )
    k = y_pool.shape[1]
    m = b if period is None else period  # replicated rows share their pool's values
    f_pool = problem.objective(np.repeat(idx[:m], k), y_pool[:m].reshape(-1, d)).reshape(m, k)
    f_pool = f_pool[idx % m]
    order = np.argsort(f_pool, axis=1, kind="stable")
    pick = order[idx, np.minimum(ranks, k - 1)]
    y1 = np.clip(y_pool[idx, pick], -Y_MAX, Y_MAX)
    it = ITERATIONS[problem.finite or problem.asymmetric]
    y1, f1 = batched_nelder_mead(problem.objective, y1, step=0.8, max_iter=it["explore"], ftol=1e-4)
    # polish with BFGS (Nelder-Mead stalls on the curved, ill-conditioned ridges of the
    # 4-8 dimensional rate), then one short Nelder-Mead restart for kinks (tier changes)
    y1, f1 = batched_bfgs(problem.objective, np.clip(y1, -Y_MAX, Y_MAX), max_iter=it["bfgs"])
    y1, f1 = batched_nelder_mead(
        problem.objective, np.clip(y1, -Y_MAX, Y_MAX), step=0.1, max_iter=it["polish"], ftol=1e-8
    )
    return np.clip(y1, -Y_MAX, Y_MAX), -f1
