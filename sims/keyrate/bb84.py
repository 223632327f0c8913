"""Decoy-state BB84 (signal + weak decoy + vacuum), the point-to-point baseline of TF-QKD.

Alice sends phase-randomised weak coherent pulses of intensity ``mu`` (signal), ``nu`` (weak
decoy) or 0 (vacuum) through the whole Alice-Bob fibre to Bob's two threshold detectors
(efficiency ``eta_d``, dark-count probability ``p_d`` each). Same channel and detector inputs as
the twin-field protocols: transmittance ``eta = eta_A eta_B`` (the TF "arms" laid end to end),
misalignment ``e_d`` = probability that a photon reaches the wrong detector. Phase noise between
two lasers does not enter (no two-laser interference). Rates are per pulse sent.

Observables (exact for two threshold detectors, double clicks assigned a random bit, as in
Lutkenhaus PRA 61, 052304 (2000)), with ``x = eta eta_d k`` for intensity ``k``::

    Q_k     = 1 - (1-p_d)^2 e^{-x},
    E_k Q_k = [1 - (1-p_d) e^{-e_d x}] [1 + (1-p_d) e^{-(1-e_d) x}] / 2,

so that ``Y_0 = 1 - (1-p_d)^2 ~ 2 p_d`` and ``E_0 = 1/2``; the n-photon yield is
``Y_n = 1 - (1-p_d)^2 (1-eta eta_d)^n`` (these reduce to the model of Ma, Qi, Zhao, Lo, PRA 72,
012326 (2005), ``Q_k = Y_0 + 1 - e^{-x}``, to first order in ``Y_0``).

Asymptotic key rate (GLLP with decoy states: Lo, Ma, Chen, PRL 94, 230504 (2005); the vacuum +
weak decoy bounds of Ma et al. 2005, "efficient" BB84 with the Z basis chosen with probability
``p_z`` by both, ``p_z -> 1`` asymptotically; key from the signal in Z, phase error from X)::

    Y_1^L = mu / (mu nu - nu^2) [Q_nu e^nu - Q_mu e^mu nu^2/mu^2 - (mu^2 - nu^2)/mu^2 Y_0],
    e_1^U = (E_nu Q_nu e^nu - E_0 Y_0) / (nu Y_1^L),
    R     = p_z^2 { mu e^{-mu} Y_1^L [1 - H(e_1^U)] - f Q_mu H(E_mu) }.

Finite key (the structure of Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014): three
intensities, both bases, phase error from the X basis carried to the Z basis by random sampling;
with the statistics used by the project's SNS finite key, :mod:`.finite`): ``N`` pulses, basis
``Z`` with probability ``p_z`` for each party, intensities with ``(p_mu, p_nu, p_0)``; the counts
``n_{B,k} = N p_B p_k Q_k`` (``p_Z = p_z^2``, ``p_X = (1-p_z)^2``) and their error counts are
replaced by their Chernoff bounds (``E^L``/``E^U``) in the direction that lowers the key; the
single-photon Z bits of the signal ``n_1 = phi^L(N p_Z p_mu mu e^{-mu} Y_1^{Z,L})``; the X-basis
single-photon phase error ``e_1^{X,U}`` from the weak decoy (as above, with X-basis bounds), its
sample ``n_1^X = N p_X p_nu nu e^{-nu} Y_1^{X,L}``, and
``e_ph = e_1^{X,U} + gamma^U(n_1^X, n_1, e_1^{X,U})``; finally
``N_f = n_1 [1 - H(e_ph)] - f n_{Z,mu} H(E_mu) - log2(2/eps_cor) - 2 log2(1/(sqrt2 eps_PA eps_hat))``,
``R = N_f / N``. (Lim et al. also count the vacuum bits and use Hoeffding's inequality; keeping
only the signal's single-photon bits is conservative.)
"""

# ruff: noqa: RUF009  (rfield() returns a dataclasses.field carrying the Range metadata)

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qkdchip.sims.keyrate._validate import rfield, safe_div, validate_fields
from qkdchip.sims.keyrate.bounds import binary_entropy
from qkdchip.sims.keyrate.finite import (
    Security,
    expected_lower,
    expected_upper,
    observed_lower,
    sampling_gamma,
)

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class BB84Params:
    """Source and sifting parameters of decoy-state BB84 (scalars or broadcastable arrays).

    Attributes:
        mu: signal intensity (mean photon number per pulse), > nu.
        nu: weak decoy intensity, > 0 (the third intensity is the vacuum).
        p_z: probability that a party chooses the Z (key) basis, in (0, 1]; ``None`` means the
            asymptotic limit 1 (only without finite-key analysis).
        p_mu, p_nu: probabilities of the signal and the weak decoy (the vacuum gets
            ``1 - p_mu - p_nu`` > 0); used only by the finite-key analysis.
    """

    mu: float | Array = rfield(0.5, 0.0, 5.0, "", "BB84/MDI signal intensity", lo_open=True)
    nu: float | Array = rfield(0.1, 0.0, 5.0, "", "BB84/MDI weak decoy intensity", lo_open=True)
    p_z: float | Array | None = rfield(None, 0.0, 1.0, "", "Z-basis probability", lo_open=True)
    p_mu: float | Array = rfield(
        0.6, 0.0, 1.0, "", "signal probability", lo_open=True, hi_open=True
    )
    p_nu: float | Array = rfield(
        0.3, 0.0, 1.0, "", "weak-decoy probability", lo_open=True, hi_open=True
    )

    def __post_init__(self) -> None:
        validate_fields(self)
        check_decoys(self)

    @property
    def p_0(self) -> float | Array:
        """Probability of the vacuum decoy."""
        return 1.0 - np.add(self.p_mu, self.p_nu)

    def as_dict(self) -> dict[str, float | Array | None]:
        return {
            "mu": self.mu,
            "nu": self.nu,
            "p_z": self.p_z,
            "p_mu": self.p_mu,
            "p_nu": self.p_nu,
            "p_0": self.p_0,
        }


def decoy_setup(
    params: BB84Params, pulses: float | None, security: Security | None, f_ec: float | Array
) -> tuple[bool, Security, Array, Array, Array, Array]:
    """What decoy BB84 and decoy MDI-QKD both start from: (finite key?, the security
    parameters, mu, nu, f_EC, p_z); ``p_z=None`` is the asymptotic limit 1 and is refused, like
    ``p_z >= 1``, with a finite number of pulses."""
    finite = pulses is not None
    sec = security if security is not None else Security()
    mu = np.asarray(params.mu, dtype=np.float64)
    nu = np.asarray(params.nu, dtype=np.float64)
    f = np.asarray(f_ec, dtype=np.float64)
    if params.p_z is None:
        if finite:
            raise ValueError("p_z=None: the finite-key analysis needs a Z-basis probability < 1")
        p_z = np.asarray(1.0)
    else:
        p_z = np.asarray(params.p_z, dtype=np.float64)
    if finite and np.any(p_z >= 1.0):
        raise ValueError(f"p_z={float(np.max(p_z)):g} must be < 1 with a finite number of pulses")
    return finite, sec, mu, nu, f, p_z


def check_decoys(p: object) -> None:
    """``nu < mu`` and ``p_mu + p_nu < 1`` (ValueError naming the values)."""
    mu, nu = np.broadcast_arrays(np.asarray(p.mu), np.asarray(p.nu))  # type: ignore[attr-defined]
    bad = nu >= mu
    if np.any(bad):
        raise ValueError(
            f"nu={float(nu[bad].flat[0]):g} (weak decoy) must be smaller than "
            f"mu={float(mu[bad].flat[0]):g} (signal)"
        )
    tot = np.add(p.p_mu, p.p_nu)  # type: ignore[attr-defined]
    if np.any(tot >= 1.0):
        raise ValueError(
            f"p_mu + p_nu = {float(np.max(tot)):g} must be < 1 (the vacuum decoy gets the rest)"
        )


def gains(x: Array, e_d: Array, p_d: Array) -> tuple[Array, Array]:
    """``(Q, E Q)`` for mean photon number ``x`` at Bob's detectors (efficiency included)."""
    l1 = np.log1p(-p_d)
    q = -np.expm1(2.0 * l1 - x)
    eq = -np.expm1(l1 - e_d * x) * (1.0 + (1.0 - p_d) * np.exp(-(1.0 - e_d) * x)) / 2.0
    return q, eq


def single_photon_yield(eta_sys: Array, e_d: Array, p_d: Array) -> tuple[Array, Array]:
    """True ``(Y_1, e_1)`` of the channel (the infinite-decoy values the bounds approach)."""
    w_silent = (1.0 - p_d) * (1.0 - e_d * eta_sys)
    r_silent = (1.0 - p_d) * (1.0 - (1.0 - e_d) * eta_sys)
    both_silent = (1.0 - p_d) ** 2 * (1.0 - eta_sys)
    y1 = 1.0 - both_silent
    # wrong-only + half of both-click: P(W clicks) - P(both)/2, with P(both) = 1 - w - r + both
    p_w = 1.0 - w_silent
    p_both = 1.0 - w_silent - r_silent + both_silent
    return y1, safe_div(p_w - 0.5 * p_both, y1)


def _lo_hi(coef: Array, lo: Array, hi: Array) -> Array:
    """``coef * lo`` where coef > 0, ``coef * hi`` else: the bound that lowers the sum."""
    return np.where(coef > 0.0, coef * lo, coef * hi)


def decoy_y1(mu: Array, nu: Array, q: dict[str, Array], q_hi: dict[str, Array]) -> Array:
    """Ma et al. 2005 vacuum + weak decoy lower bound of Y_1 from lower/upper gains."""
    pre = mu / (mu * nu - nu * nu)
    return pre * (
        _lo_hi(np.exp(nu), q["nu"], q_hi["nu"])
        + _lo_hi(-np.exp(mu) * nu * nu / (mu * mu), q["mu"], q_hi["mu"])
        + _lo_hi(-(mu * mu - nu * nu) / (mu * mu), q["0"], q_hi["0"])
    )


def bb84_rate(
    eta_sys: Array,
    e_d: Array,
    p_d: Array,
    params: BB84Params,
    *,
    f_ec: float | Array = 1.1,
    pulses: float | Array | None = None,
    security: Security | None = None,
) -> dict[str, Array]:
    """Decoy-state BB84 rate per pulse and its ingredients (all broadcast).

    Args:
        eta_sys: Alice-to-Bob transmittance times the detector efficiency.
        e_d: misalignment (wrong-detector probability of a photon).
        p_d: dark-count probability per detector per pulse.
        params: intensities and probabilities.
        f_ec: error-correction inefficiency.
        pulses: N for the finite-key rate; None: asymptotic.
        security: failure probabilities of the finite-key analysis.

    Returns:
        dict with ``rate_raw`` (may be negative), ``norm`` (sifted detections per pulse),
        ``margin`` (Y_1^L relative to eta_sys: negative where the decoy bound is void), ``rate``,
        ``s1`` (Y_1^L, Z basis), ``e1_ph`` (phase-error bound used), ``gain_z`` (Q_mu),
        ``qber_z`` (E_mu), ``qber_x`` (E_mu of the X basis: the same in this model).
    """
    finite, sec, mu, nu, f, p_z = decoy_setup(params, pulses, security, f_ec)
    xi = sec.eps_stat
    inten = {"mu": mu, "nu": nu, "0": np.zeros_like(mu)}
    obs = {k: gains(eta_sys * v, e_d, p_d) for k, v in inten.items()}
    q = {k: v[0] for k, v in obs.items()}
    eq = {k: v[1] for k, v in obs.items()}
    e_mu = safe_div(eq["mu"], q["mu"])
    if not finite:
        y1 = decoy_y1(mu, nu, q, q)
        e1 = np.clip(safe_div(eq["nu"] * np.exp(nu) - eq["0"], nu * y1, 0.5), 0.0, 0.5)
        e1 = np.where(y1 > 0.0, e1, 0.5)
        q1 = mu * np.exp(-mu) * y1
        sift = p_z * p_z
        raw = sift * (q1 * (1.0 - binary_entropy(e1)) - f * q["mu"] * binary_entropy(e_mu))
        norm = sift * q["mu"]
        e_ph = e1
    else:
        n_tot = np.asarray(pulses, dtype=np.float64)
        prob = {
            "mu": np.asarray(params.p_mu, dtype=np.float64),
            "nu": np.asarray(params.p_nu, dtype=np.float64),
            "0": np.asarray(params.p_0, dtype=np.float64),
        }
        bounds = {}
        for basis, pb in (("z", p_z * p_z), ("x", (1.0 - p_z) ** 2)):
            size = {k: n_tot * pb * prob[k] for k in inten}
            lo = {k: expected_lower(size[k] * q[k], xi) / size[k] for k in inten}
            hi = {k: expected_upper(size[k] * q[k], xi) / size[k] for k in inten}
            err_lo = {k: expected_lower(size[k] * eq[k], xi) / size[k] for k in inten}
            err_hi = {k: expected_upper(size[k] * eq[k], xi) / size[k] for k in inten}
            bounds[basis] = (size, lo, hi, err_lo, err_hi)
        size_z, lo_z, hi_z, _, _ = bounds["z"]
        size_x, lo_x, hi_x, elo_x, ehi_x = bounds["x"]
        y1 = decoy_y1(mu, nu, lo_z, hi_z)
        y1_x = decoy_y1(mu, nu, lo_x, hi_x)
        e1 = np.clip(safe_div(ehi_x["nu"] * np.exp(nu) - elo_x["0"], nu * y1_x, 0.5), 0.0, 0.5)
        e1 = np.where(y1_x > 0.0, e1, 0.5)
        n1 = observed_lower(size_z["mu"] * mu * np.exp(-mu) * np.maximum(y1, 0.0), xi)
        n1_x = size_x["nu"] * nu * np.exp(-nu) * np.maximum(y1_x, 0.0)
        e_ph = np.minimum(e1 + sampling_gamma(n1_x, n1, e1, xi), 0.5)
        n_z = size_z["mu"] * q["mu"]
        bits = n1 * (1.0 - binary_entropy(e_ph)) - f * n_z * binary_entropy(e_mu)
        raw = (bits - sec.cost_bits) / n_tot
        norm = n_z / n_tot
    return {
        "rate_raw": raw,
        "norm": norm,
        "margin": safe_div(y1, eta_sys),
        "rate": np.maximum(np.nan_to_num(raw, nan=0.0), 0.0),
        "s1": y1,
        "e1_ph": e_ph,
        "gain_z": q["mu"],
        "qber_z": e_mu,
        "qber_x": e_mu,
    }
