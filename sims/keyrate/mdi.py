"""Decoy-state measurement-device-independent QKD (MDI-QKD), the relay baseline of TF-QKD.

Protocol (Lo, Curty, Qi, PRL 108, 130503 (2012)): Alice and Bob send phase-randomised weak
coherent BB84 states (polarisation, Z or X basis) of intensity ``mu`` (signal), ``nu`` (weak
decoy) or 0 (vacuum) to Charlie's Bell-state measurement in the middle (a 50:50 beam splitter,
two polarising beam splitters, four threshold detectors of efficiency ``eta_d`` and dark-count
probability ``p_d``). Same inputs as the twin-field protocols: the arm transmittances
``eta_A``, ``eta_B`` (detector efficiency included below), misalignment ``e_d``. The two
independent lasers meet in a Hong-Ou-Mandel interference, not a phase-locked one, so the TF
residual-phase noise does not enter. Rates are per pulse pair sent.

Observables (Ma and Razavi, PRA 86, 062319 (2012), as written out by Xu, Curty, Qi, Lo, NJP 15,
113007 (2013)), for Alice's ``x_a = eta_d eta_A a`` and Bob's ``x_b = eta_d eta_B b``,
``mu' = x_a + x_b``, ``x = sqrt(x_a x_b)/2``, ``y = (1-p_d) e^{-mu'/4}``::

    Q_C = 2 (1-p_d)^2 e^{-mu'/2} [1 - (1-p_d) e^{-x_a/2}] [1 - (1-p_d) e^{-x_b/2}],
    Q_E = 2 p_d (1-p_d)^2 e^{-mu'/2} [I_0(2x) - (1-p_d) e^{-mu'/2}],
    Q^Z = Q_C + Q_E,                  E^Z Q^Z = e_d Q_C + (1 - e_d) Q_E,
    Q^X = 2 y^2 [1 + 2 y^2 - 4 y I_0(x) + I_0(2x)],
    E^X Q^X = Q^X / 2 - 2 (1/2 - e_d) y^2 [I_0(2x) - 1].

The single-photon pair (the infinite-decoy values; a test checks that the mixed second derivative
of the gains above reproduces them)::

    Y_11 = (1-p_d)^2 [eta_A eta_B / 2 + (2 eta_A + 2 eta_B - 3 eta_A eta_B) p_d
                      + 4 (1-eta_A)(1-eta_B) p_d^2],
    e_11^X Y_11 = Y_11 / 2 - (1/2 - e_d)(1-p_d)^2 eta_A eta_B / 2.

Decoy bounds with the symmetric intensities {mu, nu, 0} of both parties (the analytic bound of
Xu, Xu, Lo, PRA 89, 052333 (2014); derived again here): with
``H(a) = e^{2a} Q_aa - e^a Q_a0 - e^a Q_0a + Q_00 = sum_{n,m>=1} a^{n+m} Y_nm / (n! m!)``,
``mu^3 H(nu) - nu^3 H(mu)`` has the coefficient ``mu^2 nu^2 (mu - nu)`` at ``Y_11``, zero at
``n + m = 3`` and ``mu^3 nu^3 (nu^{k-3} - mu^{k-3}) < 0`` at ``n + m = k >= 4``, hence::

    Y_11^L = [mu^3 H(nu) - nu^3 H(mu)] / [mu^2 nu^2 (mu - nu)],
    e_11^{X,U} = T(nu) / (nu^2 Y_11^{X,L}),   T(a) = H(a) with every Q replaced by E^X Q^X.

Asymptotic key rate (Lo-Curty-Qi; key from the signal pairs in Z, phase error from X, Z chosen
with probability ``p_z`` by each party, ``p_z -> 1`` asymptotically)::

    R = p_z^2 { mu^2 e^{-2 mu} Y_11^{Z,L} [1 - H(e_11^{X,U})] - f Q^Z_{mu mu} H(E^Z_{mu mu}) }.

Finite key (as for BB84, see :mod:`.bb84`; cf. Curty et al., Nat. Commun. 5, 3732 (2014)): the
pair counts ``N p_B p_a p_b Q_ab`` and their error counts get Chernoff bounds in the direction
that lowers the key; ``n_11 = phi^L(N p_z^2 p_mu^2 mu^2 e^{-2mu} Y_11^{Z,L})``; the X sample
``n_11^X = N (1-p_z)^2 p_nu^2 nu^2 e^{-2nu} Y_11^{X,L}``; ``e_ph = e_11^{X,U} + gamma^U``;
``N_f = n_11 [1 - H(e_ph)] - f n_{Z,mu mu} H(E^Z) - (security cost)``.
"""

# ruff: noqa: RUF009  (rfield() returns a dataclasses.field carrying the Range metadata)

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qkdchip.sims.keyrate._validate import rfield, safe_div
from qkdchip.sims.keyrate.bb84 import BB84Params, decoy_setup
from qkdchip.sims.keyrate.bounds import binary_entropy
from qkdchip.sims.keyrate.finite import (
    Security,
    expected_lower,
    expected_upper,
    observed_lower,
    sampling_gamma,
)
from qkdchip.sims.keyrate.observables import i0m1

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class MDIParams(BB84Params):
    """Source and sifting parameters of decoy-state MDI-QKD (the same for Alice and Bob).

    Attributes:
        mu: signal intensity, > nu.
        nu: weak decoy intensity, > 0 (the third intensity is the vacuum).
        p_z: probability that a party chooses the Z (key) basis, in (0, 1]; ``None``: the
            asymptotic limit 1 (only without finite-key analysis).
        p_mu, p_nu: probabilities of the signal and the weak decoy (vacuum: the rest);
            used only by the finite-key analysis.
    """

    mu: float | Array = rfield(0.4, 0.0, 5.0, "", "BB84/MDI signal intensity", lo_open=True)
    nu: float | Array = rfield(0.05, 0.0, 5.0, "", "BB84/MDI weak decoy intensity", lo_open=True)


def gains(x_a: Array, x_b: Array, e_d: Array, p_d: Array) -> tuple[Array, Array, Array, Array]:
    """``(Q^Z, E^Z Q^Z, Q^X, E^X Q^X)`` of the Ma-Razavi model (see the module docstring)."""
    mup = x_a + x_b
    x = 0.5 * np.sqrt(x_a * x_b)
    one = 1.0 - p_d
    l1 = np.log1p(-p_d)
    q_c = 2.0 * one**2 * np.exp(-0.5 * mup) * -np.expm1(l1 - 0.5 * x_a) * -np.expm1(l1 - 0.5 * x_b)
    # I_0(2x) - (1-p_d) e^{-mu'/2} = (I_0(2x) - 1) - expm1(l1 - mu'/2)
    q_e = 2.0 * p_d * one**2 * np.exp(-0.5 * mup) * (i0m1(2.0 * x) - np.expm1(l1 - 0.5 * mup))
    qz = q_c + q_e
    eqz = e_d * q_c + (1.0 - e_d) * q_e
    y = one * np.exp(-0.25 * mup)
    # 1 + 2y^2 - 4y I_0(x) + I_0(2x) = 2(1-y)^2 + (I_0(2x)-1) - 4y (I_0(x)-1)
    omy = -np.expm1(l1 - 0.25 * mup)
    qx = 2.0 * y * y * (2.0 * omy * omy + i0m1(2.0 * x) - 4.0 * y * i0m1(x))
    eqx = 0.5 * qx - 2.0 * (0.5 - e_d) * y * y * i0m1(2.0 * x)
    return qz, eqz, qx, np.maximum(eqx, 0.0)


def single_photon_pair(eta_a: Array, eta_b: Array, e_d: Array, p_d: Array) -> tuple[Array, Array]:
    """True ``(Y_11, e_11^X)`` (detector efficiency included in ``eta_a``, ``eta_b``)."""
    one2 = (1.0 - p_d) ** 2
    y11 = one2 * (
        0.5 * eta_a * eta_b
        + (2.0 * eta_a + 2.0 * eta_b - 3.0 * eta_a * eta_b) * p_d
        + 4.0 * (1.0 - eta_a) * (1.0 - eta_b) * p_d * p_d
    )
    ey = 0.5 * y11 - (0.5 - e_d) * one2 * eta_a * eta_b / 2.0
    return y11, safe_div(ey, y11)


#: the intensity pairs every bound reads (Alice, Bob)
PAIRS = ("mm", "nn", "n0", "0n", "m0", "0m", "00")


def _combo(coefs: dict[str, Array], lo: dict[str, Array], hi: dict[str, Array], upper: bool):
    """``sum c_k Q_k`` with each ``Q_k`` bounded in the direction that lowers (raises) the sum."""
    tot = 0.0
    for k, c in coefs.items():
        if upper:
            tot = tot + np.where(c > 0.0, c * hi[k], c * lo[k])
        else:
            tot = tot + np.where(c > 0.0, c * lo[k], c * hi[k])
    return tot


def y11_coefficients(mu: Array, nu: Array) -> dict[str, Array]:
    """Coefficients of ``Y_11^L`` in the pair gains (divided by ``mu^2 nu^2 (mu - nu)``)."""
    den = mu * mu * nu * nu * (mu - nu)
    m3, n3 = mu**3 / den, nu**3 / den
    return {
        "nn": m3 * np.exp(2.0 * nu),
        "n0": -m3 * np.exp(nu),
        "0n": -m3 * np.exp(nu),
        "00": m3 - n3,
        "mm": -n3 * np.exp(2.0 * mu),
        "m0": n3 * np.exp(mu),
        "0m": n3 * np.exp(mu),
    }


def t_coefficients(nu: Array) -> dict[str, Array]:
    """Coefficients of ``(e Y)_11^U = T(nu)/nu^2`` in the pair error gains."""
    n2 = nu * nu
    return {
        "nn": np.exp(2.0 * nu) / n2,
        "n0": -np.exp(nu) / n2,
        "0n": -np.exp(nu) / n2,
        "00": 1.0 / n2 + 0.0 * nu,
    }


def mdi_rate(
    eta_a: Array,
    eta_b: Array,
    e_d: Array,
    p_d: Array,
    params: MDIParams,
    *,
    f_ec: float | Array = 1.1,
    pulses: float | Array | None = None,
    security: Security | None = None,
) -> dict[str, Array]:
    """Decoy-state MDI-QKD rate per pulse pair and its ingredients (all broadcast).

    ``eta_a``, ``eta_b``: arm transmittances times the detector efficiency. Returns the same
    keys as :func:`.bb84.bb84_rate` (``s1`` is ``Y_11^{Z,L}``, ``e1_ph`` the phase-error bound,
    ``gain_z``/``qber_z`` those of the signal pairs in Z, ``qber_x`` of the signal pairs in X).
    """
    finite, sec, mu, nu, f, p_z = decoy_setup(params, pulses, security, f_ec)
    xi = sec.eps_stat
    inten = {"m": mu, "n": nu, "0": np.zeros_like(mu)}
    obs = {k: gains(eta_a * inten[k[0]], eta_b * inten[k[1]], e_d, p_d) for k in PAIRS}
    qz = {k: v[0] for k, v in obs.items()}
    eqz = {k: v[1] for k, v in obs.items()}
    qx = {k: v[2] for k, v in obs.items()}
    eqx = {k: v[3] for k, v in obs.items()}
    e_z = safe_div(eqz["mm"], qz["mm"])
    cy = y11_coefficients(mu, nu)
    ct = t_coefficients(nu)
    w11 = mu * mu * np.exp(-2.0 * mu)
    if not finite:
        y11 = _combo(cy, qz, qz, upper=False)
        y11_x = _combo(cy, qx, qx, upper=False)
        ey = _combo(ct, eqx, eqx, upper=True)
        e11 = np.where(y11_x > 0.0, np.clip(safe_div(ey, y11_x, 0.5), 0.0, 0.5), 0.5)
        sift = p_z * p_z
        raw = sift * (w11 * y11 * (1.0 - binary_entropy(e11)) - f * qz["mm"] * binary_entropy(e_z))
        norm = sift * qz["mm"]
        e_ph = e11
    else:
        n_tot = np.asarray(pulses, dtype=np.float64)
        prob = {
            "m": np.asarray(params.p_mu, dtype=np.float64),
            "n": np.asarray(params.p_nu, dtype=np.float64),
            "0": np.asarray(params.p_0, dtype=np.float64),
        }

        def chernoff(pb: Array, vals: dict[str, Array]) -> tuple[dict, dict, dict]:
            size = {k: n_tot * pb * prob[k[0]] * prob[k[1]] for k in PAIRS}
            lo = {k: expected_lower(size[k] * vals[k], xi) / size[k] for k in vals}
            hi = {k: expected_upper(size[k] * vals[k], xi) / size[k] for k in vals}
            return size, lo, hi

        size_z, qz_lo, qz_hi = chernoff(p_z * p_z, qz)
        size_x, qx_lo, qx_hi = chernoff((1.0 - p_z) ** 2, qx)
        _, eqx_lo, eqx_hi = chernoff((1.0 - p_z) ** 2, eqx)
        y11 = _combo(cy, qz_lo, qz_hi, upper=False)
        y11_x = _combo(cy, qx_lo, qx_hi, upper=False)
        ey = _combo(ct, eqx_lo, eqx_hi, upper=True)
        e11 = np.where(y11_x > 0.0, np.clip(safe_div(ey, y11_x, 0.5), 0.0, 0.5), 0.5)
        n11 = observed_lower(size_z["mm"] * w11 * np.maximum(y11, 0.0), xi)
        n11_x = size_x["nn"] * nu * nu * np.exp(-2.0 * nu) * np.maximum(y11_x, 0.0)
        e_ph = np.minimum(e11 + sampling_gamma(n11_x, n11, e11, xi), 0.5)
        n_z = size_z["mm"] * qz["mm"]
        bits = n11 * (1.0 - binary_entropy(e_ph)) - f * n_z * binary_entropy(e_z)
        raw = (bits - sec.cost_bits) / n_tot
        norm = n_z / n_tot
    return {
        "rate_raw": raw,
        "norm": norm,
        "margin": safe_div(y11, eta_a * eta_b),
        "rate": np.maximum(np.nan_to_num(raw, nan=0.0), 0.0),
        "s1": y11,
        "e1_ph": e_ph,
        "gain_z": qz["mm"],
        "qber_z": e_z,
        "qber_x": safe_div(eqx["mm"], qx["mm"]),
    }
