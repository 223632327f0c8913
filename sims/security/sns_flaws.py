"""Asymptotic SNS key rate with source flaws: discrete phase randomisation and intensity
deviations.

Reference point: the SNS rate of the key-rate core (:func:`qkdchip.sims.keyrate.sns.sns_rate`,
Wang, Yu, Hu, PRA 98, 062323 (2018)) with an ideal vacuum, asymptotic (``p_z -> 1``), without
AOPP. With no flaw (``phases=None``, ``intensity_deviation=0``) :func:`sns_flawed_rate` gives
exactly that rate (tested). The observations are always those of the nominal source; what
changes is what the analysis may assume about the source.

1. **Intensity deviations** (decoy analysis with source errors: Wang, Yang, Peng, Pan, "Decoy-
   state quantum key distribution with both source errors and statistical fluctuations",
   NJP 11, 075006 (2009); for SNS, Hu, Jiang, Yu, Wang, PRA 100, 062337 (2019)). Each
   intensity may lie anywhere in ``[mu (1 - delta), mu (1 + delta)]``; every bound takes its
   worst value over that box. The decoy bound on ``s_10`` is evaluated at the four corners of
   ``(mu_1, mu_2)``; the untagged weight ``mu_z e^{-mu_z}`` (unimodal) and the X1 single-photon
   weight ``2 mu_1 e^{-2 mu_1}`` at the ends of their intervals; the vacuum term subtracted in
   the phase-flip bound at its smallest, ``e^{-2 mu_1 (1 + delta)} y_00 / 2``.

2. **Discrete phase randomisation** with M phases (Cao, Zhang, Lo, Ma, NJP 17, 053014 (2015);
   for SNS, Jiang, Yu, Hu, Wang, "Sending-or-not-sending twin-field quantum key distribution
   with discrete phase modulation", arXiv:2009.00816). The "single-photon" state of an M-phase
   source is the pseudo-Fock state ``lambda_1^mu`` (:mod:`.phases`), which differs between the
   intensities and from ``|1>``. Following Cao et al.:

   * untagged weight: ``eps (1 - eps) P_1(mu_z)`` instead of ``eps (1 - eps) mu_z e^{-mu_z}``;
   * yield of the signal's ``lambda_1`` from the decoy estimate ``s_1`` (decoys ``mu_1``,
     ``mu_2``) by the pure-state bound ``sqrt(Y_z) >= F_y sqrt(s_1) - sqrt(1 - F_y^2)``,
     ``F_y = min_i F_M(mu_z, mu_i)``;
   * phase-flip rate of the untagged Z bits from the X1 estimate ``e`` (made with
     ``lambda_1^{mu_1}``) by the quantum-coin bound (Lo & Preskill, QIC 7, 431 (2007);
     Koashi, NJP 11, 045018 (2009)), used by Cao et al. for the same purpose::

         e_ph <= e + 4 D (1 - D)(1 - 2 e) + 4 (1 - 2 D) sqrt(D (1 - D) e (1 - e)),
         D = (1 - F_c) / (2 Y_z),

     where ``F_c = cos(theta_z + theta_1)``, ``theta = arccos F_1(mu) + theta_err(mu)``: the
     angle between each state and ``|1>`` (Bures angles add). ``theta_err`` carries phase errors
     of the set actually produced: all of the whole-state infidelity ``1 - F_err``
     (:func:`.phases.fidelity_to_uniform`) is charged to the single-photon component,
     ``cos theta_err = 1 - (1 - F_err) / P_1(mu)`` (our conservative step).

Rate::

    R = 2 eps (1 - eps) W_1 Y_z [1 - H(e_ph)] - f S_Z H(E_Z)

with ``W_1`` the untagged weight of each side; clipped at 0 (never NaN).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from qkdchip.base.params import Range
from qkdchip.sims.keyrate.bounds import binary_entropy
from qkdchip.sims.keyrate.channel import Channel, Detector, arrival
from qkdchip.sims.keyrate.observables import single_click_fixed_phase, single_click_random_phase
from qkdchip.sims.keyrate.sns import SNSParams

from .phases import (
    PHASES_RANGE,
    PhaseSet,
    fidelity_lambda1,
    fidelity_single_photon,
    fidelity_to_uniform,
    pseudo_fock_weights,
)

__all__ = ["DEVIATION_RANGE", "coin_phase_error", "sns_flawed_rate"]

Array = NDArray[np.float64]
#: relative intensity deviation the decoy analysis allows
DEVIATION_RANGE = Range(0.0, 0.5, "", "relative intensity deviation bound delta")


def coin_phase_error(e: Array, delta: Array) -> Array:
    """Quantum-coin bound on the phase-flip rate (Lo & Preskill 2007): ``e`` the rate of the
    ideal state, ``delta`` the coin imbalance; 0.5 (no key) for ``delta >= 1/2``."""
    e = np.clip(np.asarray(e, dtype=np.float64), 0.0, 0.5)
    d = np.clip(np.asarray(delta, dtype=np.float64), 0.0, 0.5)
    out = (
        e
        + 4.0 * d * (1.0 - d) * (1.0 - 2.0 * e)
        + 4.0 * (1.0 - 2.0 * d) * np.sqrt(d * (1.0 - d) * e * (1.0 - e))
    )
    return np.where(np.asarray(delta) >= 0.5, 0.5, np.clip(out, 0.0, 0.5))


def _weight_one(mu: float, m: int | None) -> float:
    return mu * math.exp(-mu) if m is None else float(pseudo_fock_weights(mu, m)[1])


def _angle(mu: float, m: int | None, phase_set: PhaseSet | None) -> float:
    """Bures angle between the source's single-photon component and ``|1>``."""
    theta = math.acos(min(fidelity_single_photon(mu, m), 1.0))
    if phase_set is not None:
        p1 = _weight_one(mu, phase_set.m)
        cos_err = 1.0 - (1.0 - fidelity_to_uniform(mu, phase_set)) / p1
        theta += math.acos(max(min(cos_err, 1.0), -1.0))
    return theta


def sns_flawed_rate(
    channel: Channel,
    detector: Detector,
    params: SNSParams,
    *,
    phases: int | None = None,
    phase_set: PhaseSet | None = None,
    intensity_deviation: float = 0.0,
    f_ec: float = 1.1,
) -> dict[str, Array]:
    """Asymptotic SNS rate per pulse pair with ``phases`` discrete phases (None: continuous),
    optionally the set actually produced (``phase_set``, its ``m`` is used), and a decoy
    analysis allowing relative intensity deviations up to ``intensity_deviation``.

    ``params`` must have an ideal vacuum (``mu_vacuum`` 0, no extinction ratio) and
    ``p_z=None``; its scalars are used (the channel may be an array). Returns ``rate``
    (>= 0), ``s1`` (decoy estimate), ``y1`` (yield used for the untagged bits), ``e1_ph``,
    ``gain_z``, ``qber_z``."""
    if phase_set is not None:
        phases = phase_set.m
    if phases is not None:
        PHASES_RANGE.check("phases", phases)
    delta = float(DEVIATION_RANGE.check("intensity_deviation", intensity_deviation))
    if params.p_z is not None or params.extinction_ratio_db is not None:
        raise ValueError("sns_flawed_rate: params must be asymptotic (p_z=None)")
    if np.any(np.asarray(params.mu_vacuum) > 0.0):
        raise ValueError("sns_flawed_rate: params must have an ideal vacuum (mu_vacuum=0)")
    mu_z, mu1, mu2, eps = (float(np.asarray(getattr(params, k)).flat[0]) for k in
                           ("mu_z", "mu_1", "mu_2", "eps"))  # fmt: skip
    window = float(np.asarray(params.phase_window_rad).flat[0])
    if mu1 * (1 + delta) >= mu2 * (1 - delta):
        raise ValueError(
            f"intensity_deviation={delta:g}: the intervals of mu_1={mu1:g} and mu_2={mu2:g} "
            "overlap (allowed delta < (mu_2 - mu_1) / (mu_2 + mu_1))"
        )
    ea, eb, vr, vf, pd = arrival(channel, detector)

    def s(a: float, b: float) -> Array:
        return single_click_random_phase(ea * a, eb * b, vr, pd)

    s00, szv, svz, szz = s(0, 0), s(mu_z, 0), s(0, mu_z), s(mu_z, mu_z)
    s1v, s2v, sv1, sv2 = s(mu1, 0), s(mu2, 0), s(0, mu1), s(0, mu2)
    right_x1, t_x1 = single_click_fixed_phase(ea * mu1, eb * mu1, vf, pd, window)

    lo, hi = 1.0 - delta, 1.0 + delta

    def decoy(sa1: Array, sa2: Array) -> Array:
        best = None
        for a in (mu1 * lo, mu1 * hi):
            for b in (mu2 * lo, mu2 * hi):
                v = b * b * math.exp(a) * sa1 - a * a * math.exp(b) * sa2 - (b * b - a * a) * s00
                v = v / (a * b * (b - a))
                best = v if best is None else np.minimum(best, v)
        return np.maximum(best, 0.0)

    s10, s01 = decoy(s1v, s2v), decoy(sv1, sv2)
    s1 = 0.5 * (s10 + s01)
    w1 = min(2 * x * math.exp(-2 * x) for x in (mu1 * lo, mu1 * hi))
    y00 = s00
    good = s1 > 0.0
    s1_safe = np.where(good, s1, 1.0)
    e_x = np.where(good, (t_x1 - math.exp(-2.0 * mu1 * hi) * y00 / 2.0) / (w1 * s1_safe), 0.5)
    e_x = np.clip(e_x, 0.0, 0.5)

    one = eps * (1.0 - eps) * min(_weight_one(x, phases) for x in (mu_z * lo, mu_z * hi))
    if phases is None:
        y1, e_ph = s1, e_x
    else:
        f_y = min(fidelity_lambda1(mu_z, x, phases) for x in (mu1, mu2))
        root = f_y * np.sqrt(s1) - math.sqrt(max(1.0 - f_y * f_y, 0.0))
        y1 = np.where(root > 0.0, root, 0.0) ** 2
        theta = _angle(mu_z, phases, phase_set) + _angle(mu1, phases, phase_set)
        f_c = math.cos(min(theta, math.pi / 2))
        ok = y1 > 0.0
        coin = np.where(ok, (1.0 - f_c) / (2.0 * np.where(ok, y1, 1.0)), 0.5)
        e_ph = np.where(ok, coin_phase_error(e_x, coin), 0.5)

    gain_z = (1 - eps) ** 2 * s00 + eps * (1 - eps) * (szv + svz) + eps**2 * szz
    err = (1 - eps) ** 2 * s00 + eps**2 * szz
    qber_z = np.where(gain_z > 0, err / np.where(gain_z > 0, gain_z, 1.0), 0.5)
    raw = 2.0 * one * y1 * (1.0 - binary_entropy(e_ph)) - f_ec * gain_z * binary_entropy(qber_z)
    rate = np.maximum(np.nan_to_num(raw, nan=0.0), 0.0)
    return {
        "rate": rate,
        "rate_raw": raw,
        "s1": s1,
        "y1": y1,
        "e1_ph": e_ph,
        "gain_z": gain_z,
        "qber_z": qber_z,
        "qber_x": t_x1 / (right_x1 + t_x1),
    }


def optimise_flawed(
    channel: Channel,
    detector: Detector,
    start: SNSParams,
    *,
    phases: int | None = None,
    phase_set: PhaseSet | None = None,
    intensity_deviation: float = 0.0,
    f_ec: float = 1.1,
) -> tuple[SNSParams, float]:
    """Maximise :func:`sns_flawed_rate` over the signal ``mu_z`` and ``eps`` (Nelder-Mead in
    log space from ``start``; the decoys stay at ``start``'s, e.g. the core optimiser's; one
    scalar channel). Returns the parameters and the rate; where no key is possible, ``start``
    and 0."""
    from dataclasses import replace

    from scipy import optimize

    names = ("mu_z", "eps")
    x0 = np.log([float(np.asarray(getattr(start, k)).flat[0]) for k in names])

    def params_of(x: NDArray[np.float64]) -> SNSParams | None:
        mz, ep = np.exp(x)
        if not (0 < mz <= 5.0 and 0 < ep < 1):
            return None
        try:
            return replace(start, mu_z=float(mz), eps=float(ep))
        except ValueError:
            return None

    def neg(x: NDArray[np.float64]) -> float:
        p = params_of(x)
        if p is None:
            return 1.0
        try:
            r = sns_flawed_rate(
                channel,
                detector,
                p,
                phases=phases,
                phase_set=phase_set,
                intensity_deviation=intensity_deviation,
                f_ec=f_ec,
            )["rate_raw"]
        except ValueError:
            return 1.0
        return -float(np.asarray(r).flat[0])

    best = optimize.minimize(
        neg, x0, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-16, "maxfev": 800}
    )
    p = params_of(best.x)
    if p is None or -best.fun <= 0.0:
        return start, 0.0
    return p, -float(best.fun)
