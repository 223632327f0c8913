"""Phase-matching QKD (Ma, Zeng, Zhou, PRX 8, 031043, 2018), asymptotic, infinite decoys.

Alice and Bob each send a coherent state of intensity ``mu/2`` (``mu`` the *total* intensity)
with a random phase ``phi_A`` (``phi_B``) plus the key phase 0 or pi. They announce the slice
``j = floor(M phi / 2 pi)`` of their random phase and keep the rounds with ``j_A = j_B`` or
``j_A = j_B + M/2`` (probability 2/M). The residual relative phase is then the difference of two
phases uniform in a slice of width ``2 pi / M``: a *triangular* distribution on
``[-2 pi/M, 2 pi/M]`` (``slice_distribution="uniform"`` gives a window of full width 2 pi/M
instead, i.e. ``e_M = 1/2 - (M/2 pi) sin(pi/M)`` for an otherwise perfect interference).

Key rate (Ma et al., with p_Z -> 1)::

    R_PM = (2/M) Q_mu [1 - f H(E_mu^Z) - H(E_mu^X)],

with ``Q_mu`` the single-click gain and ``E_mu^Z`` the bit error of the post-selected rounds
(:func:`~.observables.single_click_fixed_phase`), and the phase error bounded by the fraction of
detections that come from even total photon numbers, which Ma et al. upper-bound through the
first two odd terms (as in their numerical simulation)::

    E_mu^X <= 1 - q_1 - q_3,   q_k = e^{-mu} mu^k / k! * Y_k / Q_mu,

``Y_k`` the single-click yield of the total-photon-number-k component
(:func:`~.observables.photon_number_yields_fixed_phase`; infinite-decoy limit).
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

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PMParams:
    """PM-QKD parameters.

    Attributes:
        mu: total intensity (Alice and Bob send mu/2 each), in (0, 5].
        phase_slices: number M of phase slices, an even integer in [2, 1024].
        slice_distribution: ``"triangular"`` (both random phases continuous, the protocol of
            Ma et al.) or ``"uniform"`` (the relative phase uniform within one slice).
    """

    mu: float | Array = rfield(0.1, 0.0, 5.0, "", "PM-QKD total intensity", lo_open=True)
    phase_slices: int = rfield(16, 2, 1024, "", "number M of phase slices (even)", integer=True)
    slice_distribution: str = "triangular"

    def __post_init__(self) -> None:
        validate_fields(self)
        _check_slices(self.phase_slices, even=True)
        if self.slice_distribution not in ("triangular", "uniform"):
            raise ValueError(
                f"slice_distribution={self.slice_distribution!r} must be 'triangular' or 'uniform'"
            )


def _check_slices(m: int, even: bool) -> None:
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or not 2 <= m <= 1024:
        raise ValueError(f"phase_slices={m!r} must be an integer in [2, 1024]")
    if even and m % 2:
        raise ValueError(f"phase_slices={m!r} must be even (slices j and j + M/2 are paired)")


def pm_rate(
    eta_a: Array,
    eta_b: Array,
    v_fixed: Array,
    p_d: Array,
    params: PMParams,
    *,
    f_ec: float | Array = 1.1,
    det: tuple[Array, ...] | None = None,
) -> dict[str, Array]:
    """PM-QKD asymptotic rate per pulse and its ingredients (broadcast over all inputs).

    ``eta_a``/``eta_b`` include the detector efficiency (the mean of the two with unequal
    detectors ``det``, see :data:`~.observables.DetectorPair`). Returns ``rate_raw``, ``rate``,
    ``gain_z`` (Q_mu), ``qber_z`` (E_mu^Z), ``e1_ph`` (E_mu^X bound), ``s1`` (Y_1).
    """
    mu = np.asarray(params.mu, dtype=np.float64)
    m = params.phase_slices
    width = 2.0 * np.pi / m
    dist = params.slice_distribution
    right, wrong = single_click_fixed_phase(
        eta_a * mu / 2.0, eta_b * mu / 2.0, v_fixed, p_d, width, dist, det
    )
    q = right + wrong
    e_z = safe_div(wrong, q)
    y1, _ = photon_number_yields_fixed_phase(1.0, eta_a, eta_b, v_fixed, p_d, width, dist, det)
    y3, _ = photon_number_yields_fixed_phase(3.0, eta_a, eta_b, v_fixed, p_d, width, dist, det)
    q1 = safe_div(np.exp(-mu) * mu * y1, q)
    q3 = safe_div(np.exp(-mu) * mu**3 / 6.0 * y3, q)
    e_x = np.clip(1.0 - q1 - q3, 0.0, 0.5)
    f = np.asarray(f_ec, dtype=np.float64)
    raw = (2.0 / m) * q * (1.0 - f * binary_entropy(e_z) - binary_entropy(e_x))
    return {
        "rate_raw": raw,
        "norm": (2.0 / m) * q,
        "rate": np.maximum(raw, 0.0),
        "gain_z": q,
        "qber_z": e_z,
        "qber_x": np.full_like(q, np.nan),
        "e1_ph": e_x,
        "s1": y1,
    }
