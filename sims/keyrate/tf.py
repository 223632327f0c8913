"""Original twin-field QKD (Lucamarini, Yuan, Dynes, Shields, Nature 557, 400, 2018), asymptotic.

Alice and Bob send coherent states of intensity ``mu/2`` each (``mu`` the total), encoded in the
phase bases X (0, pi) and Y (pi/2, 3pi/2), plus a global random phase ``rho`` drawn from M
discrete values; they keep the rounds with ``rho_A = rho_B`` (probability 1/M). The kept pairs
still differ by the phase-slice mismatch: Lucamarini et al. (Methods) charge the error
``E_M = 1/2 - sin(2 pi/M)/(4 pi/M)`` (1.275 % at M = 16), i.e. a relative phase uniform in
``|delta| <= 2 pi/M``, over which every observable of the kept pairs is averaged here, on top
of the interference imperfections (misalignment, residual phase).
With infinite decoys, and ``d -> 1`` for the basis sifting, the rate of Lucamarini et al.
(Methods, "Key rate") is::

    R_TF = (1/M) [Q_1 (1 - H(e_1)) - f Q_mu H(E_mu)],   Q_1 = mu e^{-mu} Y_1,

``Q_mu``/``E_mu`` the single-click gain and error of the matched pairs, ``Y_1``/``e_1`` the yield
and error of the single-photon (total photon number one) component; by the symmetry of the two
phase bases the single-photon phase error equals its bit error ``e_1``.
"""

# ruff: noqa: RUF009  (rfield() returns a dataclasses.field carrying the Range metadata)

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qkdchip.sims.keyrate._validate import rfield, safe_div, validate_fields
from qkdchip.sims.keyrate.bounds import binary_entropy
from qkdchip.sims.keyrate.observables import (
    photon_number_yields_fixed_phase,
    single_click_fixed_phase,
)
from qkdchip.sims.keyrate.pm import _check_slices

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class TFParams:
    """Original TF-QKD parameters: total intensity ``mu`` and number M of phase values."""

    mu: float | Array = rfield(0.5, 0.0, 5.0, "", "TF-QKD total intensity", lo_open=True)
    phase_slices: int = rfield(16, 2, 1024, "", "number M of phase values", integer=True)

    def __post_init__(self) -> None:
        validate_fields(self)
        _check_slices(self.phase_slices, even=False)


def phase_slice_window(m: int) -> float:
    """Full width ``4 pi / M`` [rad] of the uniform residual relative phase of matched pairs.

    Lucamarini et al. (Methods) give the phase-slice error of the kept pairs as
    ``E_M = 1/2 - sin(2 pi/M) / (4 pi/M)`` (1.275 % at M = 16), which is ``(1 - <cos delta>)/2``
    for ``delta`` uniform in ``|delta| <= 2 pi/M``; every observable of the matched pairs is
    averaged over that window.
    """
    return 4.0 * np.pi / m


def phase_slice_error(m: int) -> float:
    """``E_M = 1/2 - sin(2 pi/M)/(4 pi/M)``: the phase-slice error of TF-QKD (Lucamarini 2018)."""
    w = 2.0 * np.pi / m
    return 0.5 - np.sin(w) / (2.0 * w)


def tf_rate(
    eta_a: Array,
    eta_b: Array,
    v_fixed: Array,
    p_d: Array,
    params: TFParams,
    *,
    f_ec: float | Array = 1.1,
    det: tuple[Array, ...] | None = None,
) -> dict[str, Array]:
    """Original TF-QKD asymptotic rate per pulse (broadcast); see the module docstring."""
    mu = np.asarray(params.mu, dtype=np.float64)
    width = phase_slice_window(params.phase_slices)
    right, wrong = single_click_fixed_phase(
        eta_a * mu / 2.0, eta_b * mu / 2.0, v_fixed, p_d, width, "uniform", det
    )
    q = right + wrong
    e_mu = safe_div(wrong, q)
    y1, y1w = photon_number_yields_fixed_phase(
        1.0, eta_a, eta_b, v_fixed, p_d, width, "uniform", det
    )
    e1 = np.clip(safe_div(y1w, y1), 0.0, 0.5)
    q1 = mu * np.exp(-mu) * y1
    f = np.asarray(f_ec, dtype=np.float64)
    raw = (q1 * (1.0 - binary_entropy(e1)) - f * q * binary_entropy(e_mu)) / params.phase_slices
    return {
        "rate_raw": raw,
        "norm": q / params.phase_slices,
        "rate": np.maximum(raw, 0.0),
        "gain_z": q,
        "qber_z": e_mu,
        "qber_x": e_mu,
        "e1_ph": e1,
        "s1": y1,
    }
