"""Fundamental rate bounds for point-to-point and single-relay QKD (bits per channel use).

* PLOB (Pirandola, Laurenza, Ottaviani, Banchi, Nat. Commun. 8, 15043, 2017):
  the repeaterless secret-key capacity of a pure-loss channel, ``-log2(1 - eta)``.
* TGW (Takeoka, Guha, Wilde, Nat. Commun. 5, 5235, 2014): the earlier upper bound
  ``log2((1 + eta)/(1 - eta))``.
* Single-repeater bound (Pirandola, Commun. Phys. 2, 51, 2019; Lucamarini et al. 2018 use it
  as the twin-field ceiling): a single middle node splits the channel into two of transmittance
  ``sqrt(eta)`` each, so ``-log2(1 - sqrt(eta))``; for unequal links ``eta_A``, ``eta_B`` the
  chain capacity is that of the weaker link, ``-log2(1 - min(eta_A, eta_B))``. No twin-field
  rate may exceed it.
* "Conditional" PLOB: the PLOB bound evaluated with the detector efficiency counted as part of
  the channel, ``-log2(1 - eta * eta_det)``; a fairer comparison for a given detector, reported
  separately from the unconditional bound.

``eta`` is the end-to-end (Alice to Bob) transmittance, ``eta = eta_A * eta_B`` for two arms.
All functions are elementwise, return +inf at ``eta = 1``, (numpy broadcasting) and use ``log1p`` so that they keep full
relative precision at ``eta`` down to 1e-300.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.sims.keyrate._validate import require

_LN2 = np.log(2.0)


def plob(eta: ArrayLike) -> NDArray[np.float64]:
    """PLOB repeaterless bound ``-log2(1 - eta)`` [bit per pulse], eta in [0, 1] (inf at 1)."""
    e = require("eta", eta, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return -np.log1p(-e) / _LN2


def tgw(eta: ArrayLike) -> NDArray[np.float64]:
    """TGW bound ``log2((1 + eta)/(1 - eta))`` [bit per pulse], eta in [0, 1] (inf at 1)."""
    e = require("eta", eta, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return (np.log1p(e) - np.log1p(-e)) / _LN2


def single_repeater_bound(eta: ArrayLike, eta_b: ArrayLike | None = None) -> NDArray[np.float64]:
    """Single-repeater (one middle node) bound [bit per pulse].

    With one argument, ``eta`` is the end-to-end transmittance split evenly by the middle node:
    ``-log2(1 - sqrt(eta))``. With two, they are the two links' transmittances and the bound is
    the capacity of the weaker link, ``-log2(1 - min(eta_A, eta_B))`` (Pirandola 2019: the
    end-to-end capacity of a repeater chain is the minimum over its links); for equal links the
    two forms agree.
    """
    e = require("eta", eta, 0.0, 1.0)
    if eta_b is None:
        link = np.sqrt(e)
    else:
        link = np.minimum(e, require("eta_b", eta_b, 0.0, 1.0))
    with np.errstate(divide="ignore"):
        return -np.log1p(-link) / _LN2


def plob_conditional(eta: ArrayLike, eta_det: ArrayLike) -> NDArray[np.float64]:
    """PLOB bound with the detector efficiency folded into the channel: ``-log2(1 - eta eta_det)``."""
    e = require("eta", eta, 0.0, 1.0)
    d = require("eta_det", eta_det, 0.0, 1.0, lo_open=True)
    with np.errstate(divide="ignore"):
        return -np.log1p(-e * d) / _LN2


def binary_entropy(p: ArrayLike) -> NDArray[np.float64]:
    """Binary Shannon entropy ``H(p) = -p log2 p - (1-p) log2(1-p)``, with H(0) = H(1) = 0.

    Values outside [0, 1] are clipped (callers pass error-rate *bounds*, which may overshoot).
    """
    q = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(q * np.log2(q) + (1.0 - q) * np.log2(1.0 - q))
    return np.where((q > 0.0) & (q < 1.0), h, 0.0)
