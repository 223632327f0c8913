"""Finite-size statistics: Chernoff bounds, random sampling without replacement, security terms.

Implemented exactly as used by the SNS finite-key analyses (Jiang, Yu, Hu, Wang, Phys. Rev.
Applied 12, 024061 (2019); Jiang et al., New J. Phys. 22, 053048 (2020); the AOPP version,
Jiang et al., New J. Phys. 23, 063038 (2021), used by the 509, 511 and 1002 km experiments):

* Observed -> expected (Zhang et al., PRA 95, 012333 (2017), the "inverse" multiplicative
  Chernoff bound): for an observed count ``x`` and failure probability ``xi``,

      E^L(x) = x / (1 + d1),   [e^{d1} / (1+d1)^{1+d1}]^{x/(1+d1)} = xi,
      E^U(x) = x / (1 - d2),   [e^{-d2} / (1-d2)^{1-d2}]^{x/(1-d2)} = xi.

  Both say: the expectation ``m`` solves ``x ln(x/m) + m - x = ln(1/xi)``; the root below ``x`` is
  ``E^L``, the one above is ``E^U`` (closed form ``m/x = -W_k(-exp(-1 - ln(1/xi)/x))`` with the
  Lambert function, k = 0 lower, k = -1 upper; solved by a safeguarded Newton iteration, which
  keeps full precision near the branch point where ``x >> ln(1/xi)``); ``x = 0`` gives
  ``E^L = 0``, ``E^U = ln(1/xi)``.
* Expected -> observed (the standard multiplicative Chernoff bound, same papers):

      phi^L(m) = m - sqrt(2 beta m),   phi^U(m) = m + beta/2 + sqrt(2 beta m + beta^2/4),
      beta = ln(1/xi).

* Random sampling without replacement (Yin et al., Sci. Rep. 10, 14312 (2020);
  used by Jiang 2020/2021): the error rate ``lambda`` of a random sample of size ``n`` bounds the
  rate of the remaining ``k`` items by ``lambda + gamma^U(n, k, lambda, eps)``,

      gamma^U = [(1-2 lambda) A G/(n+k) + sqrt(A^2 G^2/(n+k)^2 + 4 lambda (1-lambda) G)]
                / [2 + 2 A^2 G/(n+k)^2],
      A = max(n, k),   G = (n+k)/(n k) ln[(n+k) / (2 pi n k lambda (1-lambda) eps^2)].

* Composable security cost (Jiang et al. 2019; Tomamichel-style leftover hash):
  ``log2(2/eps_cor) + 2 log2(1/(sqrt(2) eps_PA eps_hat))`` bits subtracted from the final key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.sims.keyrate._validate import rfield, validate_fields


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


def _ratio_roots(r: NDArray[np.float64], upper: bool) -> NDArray[np.float64]:
    """Roots t of ``t - 1 - ln t = r`` (r >= 0): t <= 1 (lower) or t >= 1 (upper).

    Newton's method started on the side of the root from which it converges monotonically
    (the functions are convex): upper, in ``y = t - 1`` from ``y0 = r + sqrt(r^2 + 2r)``
    (``h(y) = y - ln(1+y) >= y^2 / (2(1+y))`` puts it right of the root); lower, in
    ``u = ln t`` from ``t0 = 1 - min(sqrt(2r), 1 - e^{-1-r})`` (left of the root in u). Full
    relative precision for t -> 0 and t -> 1 alike (this is the closed form
    ``t = -W_k(-exp(-1-r))`` of the Lambert function, without its branch-point trouble).
    """
    r = np.maximum(np.asarray(r, dtype=np.float64), 0.0)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if upper:
            y = r + np.sqrt(r) * np.sqrt(r + 2.0)
            for _ in range(_NEWTON_STEPS):
                step = (y - np.log1p(y) - r) * ((1.0 + y) / np.where(y > 0, y, 1.0))
                y = np.where(y > 0, np.maximum(y - step, 0.0), 0.0)
            return 1.0 + y
        z0 = np.minimum(np.sqrt(2.0 * r), -np.expm1(-1.0 - r))
        u = np.where(r > 30.0, -1.0 - r, np.log1p(-np.minimum(z0, 1.0 - 1e-16)))
        for _ in range(_NEWTON_STEPS):
            em1 = np.expm1(u)
            step = (em1 - u - r) / np.where(em1 != 0, em1, -1.0)
            u = np.where(em1 != 0, np.minimum(u - step, 0.0), u)
        return np.where(r > 0, np.exp(u), 1.0)


#: Newton iterations of :func:`_ratio_roots` (quadratic from a start within ~sqrt(r)/6)
_NEWTON_STEPS = 5


def expected_lower(x: ArrayLike, xi: float) -> NDArray[np.float64]:
    """Lower bound E^L on the expectation of an observed count ``x`` (failure prob ``xi``)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    beta = np.log(1.0 / xi)
    some = x > _TINY_COUNT
    t = _ratio_roots(beta / np.where(some, x, 1.0), upper=False)
    return np.where(some, x * t, 0.0)


def expected_upper(x: ArrayLike, xi: float) -> NDArray[np.float64]:
    """Upper bound E^U on the expectation of an observed count ``x`` (failure prob ``xi``)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    beta = np.log(1.0 / xi)
    some = x > _TINY_COUNT
    t = _ratio_roots(beta / np.where(some, x, 1.0), upper=True)
    # x -> 0: the root tends to beta (x t stays accurate down to _TINY_COUNT)
    return np.where(some, x * t, beta)


#: counts below this are treated as 0 (beta/x would overflow; the bounds are then 0 and beta)
_TINY_COUNT = 1e-250


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
