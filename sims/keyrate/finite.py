"""Finite-size statistics: Chernoff bounds, random sampling without replacement, security terms.

Implemented exactly as used by the SNS finite-key analyses (Jiang, Yu, Hu, Wang, Phys. Rev.
Applied 12, 024061 (2019); Jiang et al., New J. Phys. 22, 053048 (2020); the AOPP version,
Jiang et al., New J. Phys. 23, 063038 (2021), used by the 509, 511 and 1002 km experiments):

* Observed -> expected (Zhang et al., PRA 95, 012333 (2017), the "inverse" multiplicative
  Chernoff bound): for an observed count ``x`` and failure probability ``xi``,

      E^L(x) = x / (1 + d1),   [e^{d1} / (1+d1)^{1+d1}]^{x/(1+d1)} = xi,
      E^U(x) = x / (1 - d2),   [e^{-d2} / (1-d2)^{1-d2}]^{x/(1-d2)} = xi.

  Both say: the expectation ``m`` solves ``x ln(x/m) + m - x = ln(1/xi)``; the root below ``x`` is
  ``E^L``, the one above is ``E^U``. Solved in closed form with the Lambert W function
  (``m/x = -W_k(-exp(-1 - ln(1/xi)/x))``, k = 0 lower, k = -1 upper) and one Newton polish;
  ``x = 0`` gives ``E^L = 0``, ``E^U = ln(1/xi)``.
* Expected -> observed (the standard multiplicative Chernoff bound, same papers):

      phi^L(m) = m - sqrt(2 beta m),   phi^U(m) = m + beta/2 + sqrt(2 beta m + beta^2/4),
      beta = ln(1/xi).

* Random sampling without replacement (Yin et al., Sci. Rep. 10, 14312 (2020), Eq. (11);
  used by Jiang 2020/2021): the error rate ``lambda`` of a random sample of size ``n`` bounds the
  rate of the remaining ``k`` items by ``lambda + gamma^U(n, k, lambda, eps)``,

      gamma^U = [(1-2 lambda) A G/(n+k) + sqrt(A^2 G^2/(n+k)^2 + 4 lambda (1-lambda) G)]
                / [2 + 2 A^2 G/(n+k)^2],
      A = max(n, k),   G = (n+k)/(n k) ln[(n+k) / (2 pi n k lambda (1-lambda) eps^2)].

* Composable security cost (Jiang et al. 2019, Eq. (30); Tomamichel-style leftover hash):
  ``log2(2/eps_cor) + 2 log2(1/(sqrt(2) eps_PA eps_hat))`` bits subtracted from the final key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from qkdchip.sims.keyrate._validate import rfield, validate_fields
from scipy import special


@dataclass(frozen=True)
class Security:
    """Failure probabilities of the finite-key analysis (all in (0, 0.1]).

    Attributes:
        eps_cor: correctness (error verification) failure probability.
        eps_pa: privacy-amplification failure probability.
        eps_smooth: smoothing parameter (epsilon-hat) of the smooth min-entropy.
        eps_stat: failure probability of each Chernoff / sampling estimate (xi).
    """

    eps_cor: float = rfield(1e-10, 0.0, 0.1, "", "correctness failure probability", lo_open=True)
    eps_pa: float = rfield(1e-10, 0.0, 0.1, "", "privacy-amplification failure", lo_open=True)
    eps_smooth: float = rfield(1e-10, 0.0, 0.1, "", "smoothing parameter", lo_open=True)
    eps_stat: float = rfield(1e-10, 0.0, 0.1, "", "failure of each estimate", lo_open=True)

    def __post_init__(self) -> None:
        validate_fields(self)
        for name in ("eps_cor", "eps_pa", "eps_smooth", "eps_stat"):
            if np.ndim(getattr(self, name)):
                raise ValueError(f"{name} must be a scalar")

    @property
    def cost_bits(self) -> float:
        """Bits subtracted from the key: ``log2(2/eps_cor) + 2 log2(1/(sqrt2 eps_PA eps_hat))``."""
        return float(
            np.log2(2.0 / self.eps_cor)
            + 2.0 * np.log2(1.0 / (np.sqrt(2.0) * self.eps_pa * self.eps_smooth))
        )


def _lambert_ratio(r: NDArray[np.float64], upper: bool) -> NDArray[np.float64]:
    """Roots t of ``t - 1 - ln t = r`` (r >= 0): t <= 1 (lower) or t >= 1 (upper)."""
    r = np.maximum(np.asarray(r, dtype=np.float64), 0.0)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        z = -np.exp(-1.0 - r)
        t = -special.lambertw(z, k=-1 if upper else 0).real
        if upper:
            # W_{-1} of a subnormal/zero argument: use t = 1 + r + ln t by fixed point
            big = ~np.isfinite(t) | (r > 600.0)
            if np.any(big):
                tb = 1.0 + r + np.log1p(r)
                for _ in range(40):
                    tb = 1.0 + r + np.log(tb)
                t = np.where(big, tb, t)
        else:
            t = np.where(np.isfinite(t), t, 0.0)
        # one Newton step on h(y) = y - log1p(y) - r, y = t - 1 (well conditioned near t = 1)
        y = t - 1.0
        hp = np.where(np.abs(y) > 1e-300, y / (1.0 + y), 1.0)
        y_new = y - (y - np.log1p(np.maximum(y, -1.0 + 1e-300)) - r) / hp
        ok = np.isfinite(y_new) & ((y_new >= 0.0) if upper else (y_new <= 0.0))
        ok &= y_new > -1.0
        t = np.where(ok & (r > 0.0), 1.0 + y_new, t)
    return np.where(r == 0.0, 1.0, t)


def expected_lower(x: ArrayLike, xi: float) -> NDArray[np.float64]:
    """Lower bound E^L on the expectation of an observed count ``x`` (failure prob ``xi``)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    beta = np.log(1.0 / xi)
    with np.errstate(divide="ignore"):
        r = np.where(x > 0, beta / np.where(x > 0, x, 1.0), np.inf)
    t = _lambert_ratio(np.where(np.isfinite(r), r, 0.0), upper=False)
    return np.where(x > 0, x * t, 0.0)


def expected_upper(x: ArrayLike, xi: float) -> NDArray[np.float64]:
    """Upper bound E^U on the expectation of an observed count ``x`` (failure prob ``xi``)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    beta = np.log(1.0 / xi)
    xs = np.where(x > 0, x, 1.0)
    t = _lambert_ratio(beta / xs, upper=True)
    # as x -> 0 the root tends to beta; x t is accurate there too (t ~ beta/x)
    return np.where(x > 0, x * t, beta)


def observed_lower(m: ArrayLike, xi: float) -> NDArray[np.float64]:
    """Chernoff lower bound on the observed value of a count of expectation ``m``."""
    m = np.maximum(np.asarray(m, dtype=np.float64), 0.0)
    beta = np.log(1.0 / xi)
    return np.maximum(m - np.sqrt(2.0 * beta * m), 0.0)


def observed_upper(m: ArrayLike, xi: float) -> NDArray[np.float64]:
    """Chernoff upper bound on the observed value of a count of expectation ``m``."""
    m = np.maximum(np.asarray(m, dtype=np.float64), 0.0)
    beta = np.log(1.0 / xi)
    return m + 0.5 * beta + np.sqrt(2.0 * beta * m + 0.25 * beta * beta)


def sampling_gamma(n: ArrayLike, k: ArrayLike, lam: ArrayLike, eps: float) -> NDArray[np.float64]:
    """``gamma^U(n, k, lambda, eps)`` of random sampling without replacement (Yin et al. 2020).

    ``n``: sample size, ``k``: size of the rest, ``lam``: error rate observed in the sample.
    Returns +inf (no information) where ``n`` or ``k`` is below 1.
    """
    n = np.asarray(n, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    lam = np.clip(np.asarray(lam, dtype=np.float64), 1e-12, 0.5)
    ok = (n >= 1.0) & (k >= 1.0)
    ns = np.where(ok, n, 1.0)
    ks = np.where(ok, k, 1.0)
    tot = ns + ks
    a = np.maximum(ns, ks)
    g = tot / (ns * ks) * np.log(tot / (2.0 * np.pi * ns * ks * lam * (1.0 - lam) * eps * eps))
    g = np.maximum(g, 0.0)
    ag = a * a * g / (tot * tot)
    num = (1.0 - 2.0 * lam) * a * g / tot + np.sqrt(ag * g + 4.0 * lam * (1.0 - lam) * g)
    gam = num / (2.0 + 2.0 * ag)
    return np.where(ok, gam, np.inf)
