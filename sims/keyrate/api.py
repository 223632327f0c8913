"""Top-level key-rate API: one call per protocol, vectorised over channels (distances).

    >>> from qkdchip.sims.keyrate import Channel, Detector, key_rate
    >>> ch = Channel.symmetric([100.0, 300.0, 500.0], misalignment=0.03)
    >>> res = key_rate("sns-aopp", ch, Detector(0.6, 1e-8), optimize=True)
    >>> res.rate_per_pulse  # bit per pulse, >= 0, shape (3,)

``rate_per_pulse`` is per pulse *pair* sent (per clock period); ``rate_bps`` multiplies by the
clock rate and the duty cycle. Rates are never negative or NaN: past the cut-off they are 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.base.params import Range
from qkdchip.sims.keyrate._validate import checked_array
from qkdchip.sims.keyrate.bounds import plob, plob_conditional, single_repeater_bound, tgw
from qkdchip.sims.keyrate.cal import CALParams, cal_rate
from qkdchip.sims.keyrate.channel import Channel, Detector
from qkdchip.sims.keyrate.finite import Security
from qkdchip.sims.keyrate.optimize import Problem, optimisable, optimize, refine
from qkdchip.sims.keyrate.pm import PMParams, pm_rate
from qkdchip.sims.keyrate.sns import BOB_FIELDS, SNSParams, sns_rate
from qkdchip.sims.keyrate.tf import TFParams, tf_rate

Array = NDArray[np.float64]
ParamsT = SNSParams | PMParams | TFParams | CALParams

PROTOCOLS = ("plob", "sns", "sns-aopp", "pm", "tf", "cal")
#: non-twin-field baselines (point-to-point decoy BB84, relay decoy MDI-QKD), see .baselines
BASELINE_PROTOCOLS = ("bb84-decoy", "mdi")
#: optimiser searches of :func:`key_rate` (``search=``)
SEARCHES = ("global", "local")
#: protocols whose ``pulses=N`` runs the finite-key analysis (the others refuse ``pulses``)
FINITE_KEY_PROTOCOLS = ("sns", "sns-aopp", *BASELINE_PROTOCOLS)
#: the published finite-size analyses of the TF protocols that have none here, named in the
#: refusal of ``pulses`` and in an experiment's ``key_note``. Their equations are not
#: implemented: only the papers' titles, abstracts and introductions could be read from the
#: sources available to this project (issue 10), and no formula is written from memory or
#: adapted from another protocol. TF: the two analyses are of TF-type variants (Maeda et al.: a
#: variant with its own monitoring; Yin & Chen: coherent-state TF with phase-randomised
#: decoys), not of the phase-slice protocol of Lucamarini et al. modelled in :mod:`.tf`.
FINITE_KEY_NOT_IMPLEMENTED: dict[str, str | None] = {
    "pm": (
        "Zeng, Wu, Ma, Phys. Rev. Applied 13, 064013 (2020), arXiv:1910.05737 "
        "(PM-QKD with a finite-data-size analysis)"
    ),
    "tf": (
        "for TF-type variants only: Maeda, Sasaki, Koashi, Nat. Commun. 10, 3140 (2019), "
        "doi:10.1038/s41467-019-11008-z; Yin, Chen, Sci. Rep. 9, 17113 (2019), "
        "doi:10.1038/s41598-019-53435-4"
    ),
    "cal": (
        "Curras Lorenzo, Navarrete, Azuma, Kato, Curty, Razavi, npj Quantum Inf. 7, 22 (2021), "
        "doi:10.1038/s41534-020-00345-3, arXiv:1910.11407"
    ),
}


def finite_key_missing_note(protocol: str) -> str:
    """Why ``protocol`` has no finite key here, and the published analysis if one is known."""
    ref = FINITE_KEY_NOT_IMPLEMENTED.get(protocol)
    published = (
        f"published finite-size analysis not implemented (its equations were not available): {ref}"
        if ref
        else "no published finite-size analysis of it is implemented or cited here"
    )
    return (
        f"no finite-key analysis of {protocol} is implemented (finite key for "
        f"{', '.join(FINITE_KEY_PROTOCOLS)}; {published})"
    )


#: allowed ranges of :func:`key_rate`'s numeric keywords (their defaults are its signature's)
KEY_RATE_RANGES: dict[str, Range] = {
    "f_ec": Range(1.0, 3.0, "", "error-correction inefficiency f"),
    "clock_rate_hz": Range(0.0, 1e15, "Hz", "pulse rate", lo_open=True),
    "duty_cycle": Range(
        0.0, 1.0, "", "fraction of time spent sending quantum pulses", lo_open=True
    ),
    "pulses": Range(1e3, 1e22, "", "total pulse pairs N of the finite-key analysis"),
}
_PARAM_TYPES: dict[str, type] = {
    "sns": SNSParams,
    "sns-aopp": SNSParams,
    "pm": PMParams,
    "tf": TFParams,
    "cal": CALParams,
}


@dataclass(frozen=True, eq=False)
class KeyRateResult:
    """Key rate of one protocol over a set of channels (arrays share the channel's shape).

    Attributes:
        protocol: one of :data:`PROTOCOLS` or :data:`BASELINE_PROTOCOLS`.
        distance_km: total Alice-Bob fibre length.
        eta: end-to-end channel transmittance (no detector).
        rate_per_pulse: secret key per pulse pair [bit], >= 0.
        rate_bps: ``rate_per_pulse * clock_rate_hz * duty_cycle`` [bit/s].
        s1: single-photon yield (SNS: the decoy lower bound of (s_10 + s_01)/2; PM/TF: Y_1;
            CAL: the single-photon single-click yield).
        e1_ph: phase-flip rate bound used in the rate (SNS: of the untagged Z bits *before*
            AOPP, see ``extras['e1_ph_aopp']``; PM: E_mu^X; TF: e_1; CAL: e_ph).
        gain_z: single-click gain of the key-generating rounds (SNS: S_Z; CAL: Q_X).
        qber_z: bit-error rate of the key-generating rounds before post-processing.
        qber_x: error rate of the phase-referenced test rounds (SNS: X1 window); NaN where the
            protocol has none (PM, CAL, PLOB).
        plob, tgw, single_repeater, plob_conditional: bounds [bit per pulse] (inf at eta = 1);
            ``single_repeater`` is that of the weaker arm, ``-log2(1 - min(eta_A, eta_B))``
            (``-log2(1 - sqrt(eta))`` for equal arms).
        parameters: the protocol parameters used (optimised ones when ``optimize=True``; where
            no key is possible, the starting parameters, at which the observables are given).
        extras: protocol-specific diagnostics (AOPP bookkeeping, s_10, s_01, y_00 ...).
        pulses: N for the finite-key analysis (broadcast like the rates), None if asymptotic.
    """

    protocol: str
    distance_km: Array
    eta: Array
    rate_per_pulse: Array
    rate_bps: Array
    s1: Array
    e1_ph: Array
    gain_z: Array
    qber_z: Array
    qber_x: Array
    plob: Array
    tgw: Array
    single_repeater: Array
    plob_conditional: Array
    parameters: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Array] = field(default_factory=dict)
    pulses: float | Array | None = None

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per channel (NaN/inf become None)."""
        n = int(np.size(self.rate_per_pulse))
        shape = np.shape(self.rate_per_pulse)

        def pick(a: Any, i: int) -> Any:
            if a is None or isinstance(a, str | int):
                return a
            arr = np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1)
            v = float(arr[i])
            return v if np.isfinite(v) else None

        out = []
        for i in range(n):
            out.append(
                {
                    "distance_km": pick(self.distance_km, i),
                    "protocol": self.protocol,
                    "eta": pick(self.eta, i),
                    "rate_per_pulse": pick(self.rate_per_pulse, i),
                    "rate_bps": pick(self.rate_bps, i),
                    "plob_per_pulse": pick(self.plob, i),
                    "tgw_per_pulse": pick(self.tgw, i),
                    "plob_conditional_per_pulse": pick(self.plob_conditional, i),
                    "single_repeater_bound_per_pulse": pick(self.single_repeater, i),
                    "s1": pick(self.s1, i),
                    "e1_ph": pick(self.e1_ph, i),
                    "gain_z": pick(self.gain_z, i),
                    "qber_z": pick(self.qber_z, i),
                    "qber_x": pick(self.qber_x, i),
                    "pulses": pick(self.pulses, i),
                    "parameters": {k: pick(v, i) for k, v in self.parameters.items()},
                    "extras": {k: pick(v, i) for k, v in self.extras.items()},
                }
            )
        return out


#: a warm start of the optimiser: a result, or a mapping of parameter names to values
WarmStart = KeyRateResult | Mapping[str, Any]


def default_params(protocol: str) -> ParamsT:
    """Default parameters of a protocol (see each ``*Params`` class)."""
    if protocol not in _PARAM_TYPES:
        raise ValueError(f"protocol={protocol!r} has no parameters; one of {PROTOCOLS[1:]}")
    return _PARAM_TYPES[protocol]()


def key_rate(
    protocol: str,
    channel: Channel,
    detector: Detector | None = None,
    params: ParamsT | None = None,
    *,
    f_ec: ArrayLike = 1.1,
    pulses: ArrayLike | None = None,
    security: Security | None = None,
    optimize: bool | Sequence[str] = False,
    clock_rate_hz: float = 1e9,
    duty_cycle: float = 1.0,
    warm_start: WarmStart | Sequence[WarmStart] | None = None,
    search: str = "global",
) -> KeyRateResult:
    """Secret-key rate of ``protocol`` over every channel of ``channel`` (vectorised).

    Args:
        protocol: ``"plob"``, ``"sns"``, ``"sns-aopp"``, ``"pm"``, ``"tf"``, ``"cal"``, or a
            baseline, ``"bb84-decoy"`` or ``"mdi"`` (params: ``BB84Params``, ``MDIParams``).
        channel: the two arms (arrays broadcast: one problem per element).
        detector: detector efficiency and dark-count probability (default ``Detector()``).
        params: protocol parameters (default: the ``*Params`` class defaults); with
            ``optimize=True`` they are the starting point and fix what is not optimised
            (``mu_vacuum``/``extinction_ratio_db``, phase slices, and ``p_z``/decoy
            probabilities/window in the asymptotic case).
        f_ec: error-correction inefficiency, in [1, 3].
        pulses: total pulse pairs N for the finite-key analysis (SNS, SNS-AOPP and the
            baselines only; PM, TF and CAL refuse it, see :data:`FINITE_KEY_NOT_IMPLEMENTED`);
            None for the asymptotic rate.
        security: finite-key failure probabilities (default ``Security()``, all 1e-10).
        optimize: maximise the rate over intensities and probabilities for every channel;
            or a list of the parameter names to optimise (a subset of
            :func:`~.optimize.optimisable`), the others keeping their values in ``params``.
            Asymmetric SNS (``params`` with Bob's ``*_b`` fields, or ``mu_z_b``/``mu_1_b``/
            ``mu_2_b`` in the list): Bob's intensities are searched too and his ``eps_b`` is
            set by the protocol's condition (:func:`~.optimize.bob_sending_probability`).
        clock_rate_hz: pulse rate [Hz] for ``rate_bps``, > 0.
        duty_cycle: fraction of time spent sending quantum pulses, in (0, 1].
        warm_start: parameters that seed the optimiser: a previous result for the same channel
            shape (e.g. a neighbouring WDM channel) or a mapping of its ``parameters`` (arrays
            of the channel's shape, or scalars for every channel); or a sequence of them
            (candidates: each problem starts from the best of them).
        search: ``"global"`` (default; the start pool, several starts and, with finite key,
            continuation in the number of pulses: :func:`~.optimize.optimize`) or ``"local"``
            (a local search from the best ``warm_start`` candidate of each problem, the global
            search only where that finds no key: :func:`~.optimize.refine`; for problems close
            to solved ones, e.g. the samples of an uncertainty study). An asymmetric SNS search
            uses no warm start and is always global.

    Raises:
        ValueError: bad input, naming the parameter, its value and the allowed range.
    """
    if protocol not in PROTOCOLS + BASELINE_PROTOCOLS:
        allowed = ", ".join(PROTOCOLS + BASELINE_PROTOCOLS)
        raise ValueError(f"protocol={protocol!r} must be one of {allowed}")
    if search not in SEARCHES:
        raise ValueError(f"search={search!r} must be one of {', '.join(SEARCHES)}")
    if search == "local" and warm_start is None:
        raise ValueError("search='local' needs warm_start (the points to refine from)")
    if not isinstance(channel, Channel):
        raise ValueError(f"channel={channel!r} must be a Channel")
    det = Detector() if detector is None else detector
    if not isinstance(det, Detector):
        raise ValueError(f"detector={detector!r} must be a Detector")
    f = checked_array(KEY_RATE_RANGES["f_ec"], "f_ec", f_ec)
    KEY_RATE_RANGES["clock_rate_hz"].check("clock_rate_hz", clock_rate_hz)
    KEY_RATE_RANGES["duty_cycle"].check("duty_cycle", duty_cycle)
    sec = Security() if security is None else security
    n_pulses = None
    if pulses is not None:
        if protocol not in FINITE_KEY_PROTOCOLS:
            raise ValueError(
                f"pulses={pulses!r}: {finite_key_missing_note(protocol)}; leave pulses=None "
                "for the asymptotic rate"
            )
        n_pulses = checked_array(KEY_RATE_RANGES["pulses"], "pulses", pulses)

    eta = channel.eta
    d_km = np.asarray(channel.distance_km, dtype=np.float64)
    bounds = {
        "plob": plob(eta),
        "tgw": tgw(eta),
        "single_repeater": single_repeater_bound(channel.eta_a, channel.eta_b),
        "plob_conditional": plob_conditional(eta, det.eta_mean),
    }
    if protocol == "plob":
        shape = np.broadcast_shapes(np.shape(eta), np.shape(det.eta_det))
        rate = np.broadcast_to(bounds["plob"], shape).astype(np.float64)
        nan = np.full(shape, np.nan)
        return KeyRateResult(
            protocol=protocol,
            distance_km=d_km,
            eta=eta,
            rate_per_pulse=rate,
            rate_bps=rate * clock_rate_hz * duty_cycle,
            s1=nan,
            e1_ph=nan,
            gain_z=nan,
            qber_z=nan,
            qber_x=nan,
            **bounds,
        )

    if protocol in BASELINE_PROTOCOLS:
        from qkdchip.sims.keyrate.baselines import baseline_fields

        got = baseline_fields(
            protocol, channel, det, params, f_ec=f, pulses=n_pulses, security=sec, optimize=optimize
        )
        shape = got.pop("shape")
        return KeyRateResult(
            protocol=protocol,
            distance_km=d_km,
            eta=eta,
            rate_bps=got["rate_per_pulse"] * clock_rate_hz * duty_cycle,
            pulses=None if n_pulses is None else np.broadcast_to(n_pulses, shape).astype(float),
            **got,
            **bounds,
        )
    base = default_params(protocol) if params is None else params
    if not isinstance(base, _PARAM_TYPES[protocol]):
        raise ValueError(
            f"params={type(base).__name__} does not fit protocol={protocol!r} "
            f"(expected {_PARAM_TYPES[protocol].__name__})"
        )
    fixed: tuple[str, ...] = ()
    sns = isinstance(base, SNSParams)
    # asymmetric SNS search: Bob's own parameters given, or his intensities named in optimize
    asym = isinstance(base, SNSParams) and base.asymmetric and optimize is not False
    if not isinstance(optimize, bool):
        allowed = optimisable(protocol, n_pulses is not None, asymmetric=sns)
        names = list(optimize)
        for name in names:
            if name not in allowed:
                raise ValueError(
                    f"optimize: {name!r} is not optimised for {protocol}"
                    f"{' (finite key)' if n_pulses is not None else ''} "
                    f"(allowed: {', '.join(allowed)})"
                )
        asym = (
            isinstance(base, SNSParams)
            and bool(names)
            and (base.asymmetric or any(n in BOB_FIELDS for n in names))
        )
        searched = optimisable(protocol, n_pulses is not None, asymmetric=asym)
        fixed = tuple(n for n in searched if n not in names)
        if isinstance(base, SNSParams) and base.p_z is None:
            for name in ("p_z", "p_z_b"):
                if name in fixed:
                    raise ValueError(
                        f"p_z=None: give SNSParams(p_z=...) to keep {name} out of optimize"
                    )
        optimize = bool(names)
        if optimize and not isinstance(base, SNSParams):
            fixed = ()
    if n_pulses is not None and isinstance(base, SNSParams) and not optimize:
        if base.p_z is None:
            raise ValueError("p_z=None: give SNSParams(p_z=...) < 1 for the finite-key rate")
    problem, shape = Problem.build(
        protocol, channel, det, base, f, None if n_pulses is None else n_pulses, sec, fixed, asym
    )
    idx = np.arange(problem.size)
    if optimize:
        starts = []
        for w in _warm_list(warm_start, protocol) if not asym else []:
            warm_problem, _ = Problem.build(
                protocol,
                channel,
                det,
                _params_from_result(w, base),
                f,
                None if n_pulses is None else n_pulses,
                sec,
                fixed,
            )
            starts.append(np.broadcast_to(warm_problem.start(), (problem.size, problem.dim)))
        if search == "local" and starts:
            y, best = refine(problem, starts)
        else:
            y, best = optimize_problem(problem, starts[0] if starts else None)
        # where no key is possible the "optimum" is meaningless: report the observables at the
        # starting (default) parameters instead
        y = np.where((best > 0.0)[:, None], y, problem.start())
        used = problem.params(idx, y)
    else:
        used = problem.base
    out = problem.evaluate(idx, y) if optimize else _evaluate_base(problem)
    rate = np.maximum(np.nan_to_num(out["rate"], nan=0.0), 0.0).reshape(shape)

    def shaped(key: str) -> Array:
        return np.asarray(out[key], dtype=np.float64).reshape(shape)

    extras = {
        k: shaped(k)
        for k in ("s10", "s01", "y00", "qber_z_aopp", "e1_ph_aopp", "pairs", "n1_aopp", "bits_aopp")
        if k in out
    }
    param_dict = _param_dict(used, shape)
    return KeyRateResult(
        protocol=protocol,
        distance_km=d_km,
        eta=eta,
        rate_per_pulse=rate,
        rate_bps=rate * clock_rate_hz * duty_cycle,
        s1=shaped("s1"),
        e1_ph=shaped("e1_ph"),
        gain_z=shaped("gain_z"),
        qber_z=shaped("qber_z"),
        qber_x=shaped("qber_x"),
        parameters=param_dict,
        extras=extras,
        pulses=None if n_pulses is None else np.broadcast_to(n_pulses, shape).astype(np.float64),
        **bounds,
    )


def optimize_problem(problem: Problem, warm: Array | None = None) -> tuple[Array, Array]:
    """Run the batched optimiser on ``problem`` (see :mod:`.optimize`)."""
    return optimize(problem, warm=warm)


def _evaluate_base(problem: Problem) -> dict[str, Array]:
    p = problem.base
    args = (problem.eta_a, problem.eta_b)
    if isinstance(p, SNSParams):
        return sns_rate(
            *args,
            problem.v_random,
            problem.v_fixed,
            problem.p_d,
            p,
            f_ec=problem.f_ec,
            aopp=problem.protocol == "sns-aopp",
            pulses=problem.pulses,
            security=problem.security,
            det=problem.det,
        )
    det = problem.det
    if isinstance(p, PMParams):
        return pm_rate(*args, problem.v_fixed, problem.p_d, p, f_ec=problem.f_ec, det=det)
    if isinstance(p, TFParams):
        return tf_rate(*args, problem.v_fixed, problem.p_d, p, f_ec=problem.f_ec, det=det)
    return cal_rate(
        *args, problem.v_random, problem.v_fixed, problem.p_d, p, f_ec=problem.f_ec, det=det
    )


def _param_dict(p: ParamsT, shape: tuple[int, ...]) -> dict[str, Any]:
    if isinstance(p, SNSParams):
        raw = p.as_dict()
    elif isinstance(p, PMParams):
        raw = {
            "mu": p.mu,
            "phase_slices": p.phase_slices,
            "slice_distribution": p.slice_distribution,
        }
    elif isinstance(p, TFParams):
        raw = {"mu": p.mu, "phase_slices": p.phase_slices}
    else:
        raw = {"mu": p.mu}
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if v is None or isinstance(v, str | int):
            out[k] = v
        else:
            out[k] = np.broadcast_to(
                np.asarray(v, dtype=np.float64).reshape(-1)
                if np.size(v) == int(np.prod(shape))
                else np.asarray(v),
                (int(np.prod(shape)),),
            ).reshape(shape)
    return out


def _warm_list(warm: Any, protocol: str) -> list[Any]:
    """The warm-start candidates of ``warm`` (one or a sequence; results of another protocol
    are left out)."""
    if warm is None:
        return []
    items = [warm] if isinstance(warm, KeyRateResult | Mapping) else list(warm)
    return [w for w in items if not isinstance(w, KeyRateResult) or w.protocol == protocol]


def _params_from_result(res: KeyRateResult | Mapping[str, Any], base: ParamsT) -> ParamsT:
    p = res.parameters if isinstance(res, KeyRateResult) else res
    if isinstance(base, SNSParams):
        return SNSParams(
            mu_z=p["mu_z"],
            mu_1=p["mu_1"],
            mu_2=p["mu_2"],
            eps=p["eps"],
            p_z=p.get("p_z") if p.get("p_z") is not None else base.p_z,
            p_0=p["p_0"],
            p_1=p["p_1"],
            phase_window_rad=p["phase_window_rad"],
            mu_vacuum=base.mu_vacuum,
            extinction_ratio_db=base.extinction_ratio_db,
        )
    if isinstance(base, PMParams):
        return PMParams(
            mu=p["mu"], phase_slices=base.phase_slices, slice_distribution=base.slice_distribution
        )
    if isinstance(base, TFParams):
        return TFParams(mu=p["mu"], phase_slices=base.phase_slices)
    return CALParams(mu=p["mu"])
