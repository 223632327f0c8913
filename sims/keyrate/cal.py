"""Curty-Azuma-Lo twin-field protocol (npj Quantum Inf. 5, 64, 2019), asymptotic.

Key (X) rounds: Alice and Bob send ``|+/- alpha>`` (``mu = |alpha|^2`` each) with a common phase
reference; a click of detector c (c = 0: bits equal, c = 1: bits differ) gives the sifted bit.
Test (Z) rounds: phase-randomised decoys, which in the infinite-decoy limit reveal the Fock
yields ``Y_nm^c`` (:func:`~.observables.fock_yields_random_phase`).

Phase error (the CAL bound, derived here in the same way). Writing ``|+/-alpha> = |even> +/- |odd>``, the virtual qubit
measurement in the complementary basis reveals the photon-number parities; for both detectors
the wrong outcome is an *even* total photon number (the ideal single-photon event is odd).
With ``c_n = e^{-mu/2} mu^{n/2} / sqrt(n!)`` and the triangle inequality::

    e_ph Q_X <= sum_c [ (sum_{n,m even} c_n c_m sqrt(Y_nm^c))^2
                        + (sum_{n,m odd} c_n c_m sqrt(Y_nm^c))^2 ],

truncated at ``n, m <= n_max`` with the rigorous tail ``Y <= 1`` added inside the sums.
Key rate, p_X -> 1::

    R_CAL = Q_X [1 - H(e_ph) - f H(E_X)],

``Q_X``/``E_X`` the single-click gain and bit error of the key rounds
(:func:`~.observables.single_click_fixed_phase` with exactly matched phases).
"""

# ruff: noqa: RUF009  (rfield() returns a dataclasses.field carrying the Range metadata)

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from qkdchip.sims.keyrate._validate import rfield, safe_div, validate_fields
from qkdchip.sims.keyrate.bounds import binary_entropy
from qkdchip.sims.keyrate.observables import fock_yields_random_phase, single_click_fixed_phase

Array = NDArray[np.float64]

#: photon-number truncation of the CAL phase-error sums (tail bounded, not dropped)
N_MAX = 12


@dataclass(frozen=True, eq=False)
class CALParams:
    """CAL parameters: intensity ``mu = |alpha|^2`` sent by each party, in (0, 2]."""

    mu: float | Array = rfield(0.02, 0.0, 2.0, "", "CAL intensity |alpha|^2", lo_open=True)

    def __post_init__(self) -> None:
        validate_fields(self)


def cal_rate(
    eta_a: Array,
    eta_b: Array,
    v_random: Array,
    v_fixed: Array,
    p_d: Array,
    params: CALParams,
    *,
    f_ec: float | Array = 1.1,
    det: tuple[Array, ...] | None = None,
) -> dict[str, Array]:
    """CAL asymptotic rate per pulse (broadcast); see the module docstring.

    Unequal detectors (``det`` not None) are not modelled for CAL (its Fock-yield phase-error
    bound assumes two identical detectors): ValueError.
    """
    if det is not None:
        raise ValueError(
            "eta_det_2/dark_count_prob_2: unequal detectors are not modelled for cal "
            "(allowed: sns, sns-aopp, pm, tf)"
        )
    mu = np.asarray(params.mu, dtype=np.float64)
    right, wrong = single_click_fixed_phase(eta_a * mu, eta_b * mu, v_fixed, p_d)
    q_x = right + wrong
    e_x = safe_div(wrong, q_x)
    shape = np.broadcast_shapes(np.shape(eta_a), np.shape(eta_b), np.shape(v_random), np.shape(p_d))
    y = fock_yields_random_phase(N_MAX, eta_a, eta_b, v_random, p_d)  # (..., N+1, N+1)
    y = np.broadcast_to(y, (*np.broadcast_shapes(shape, mu.shape), N_MAX + 1, N_MAX + 1))
    n = np.arange(N_MAX + 1, dtype=np.float64)
    mu_ = mu[..., None]
    c = np.exp(-mu_ / 2.0 + 0.5 * n * np.log(mu_) - 0.5 * special.gammaln(n + 1.0))
    # tail sum_{n > N} c_n <= c_{N+1} / (1 - sqrt(mu/(N+2))) (ratio of successive terms)
    c_next = np.exp(-mu / 2.0 + 0.5 * (N_MAX + 1) * np.log(mu) - 0.5 * special.gammaln(N_MAX + 2.0))
    tail = c_next / (1.0 - np.sqrt(mu / (N_MAX + 2.0)))
    c_all = np.sum(c, axis=-1) + tail
    cc = c[..., :, None] * c[..., None, :] * np.sqrt(np.maximum(y, 0.0))
    even = (np.arange(N_MAX + 1) % 2 == 0).astype(np.float64)
    odd = 1.0 - even
    s_even = np.einsum("...nm,n,m->...", cc, even, even) + 2.0 * tail * c_all
    s_odd = np.einsum("...nm,n,m->...", cc, odd, odd) + 2.0 * tail * c_all
    e_ph = np.clip(safe_div(2.0 * (s_even**2 + s_odd**2), q_x, 0.5), 0.0, 0.5)
    f = np.asarray(f_ec, dtype=np.float64)
    raw = q_x * (1.0 - binary_entropy(e_ph) - f * binary_entropy(e_x))
    return {
        "rate_raw": raw,
        "norm": q_x,
        "rate": np.maximum(raw, 0.0),
        "gain_z": q_x,
        "qber_z": e_x,
        "qber_x": np.full_like(q_x, np.nan),
        "e1_ph": e_ph,
        "s1": y[..., 1, 0] * 2.0,
    }
