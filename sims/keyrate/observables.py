"""Click statistics behind Charlie's 50:50 beam splitter (the simulated "observed" values).

Model. Alice and Bob send coherent states whose mean photon numbers *at the beam splitter*
(detector efficiency included, see :mod:`.channel`) are ``x_A`` and ``x_B``, with relative
phase ``delta``. The two output ports receive Poisson light of mean

    I_+ = s/2 + V sqrt(x_A x_B) cos(delta),   I_- = s/2 - V sqrt(x_A x_B) cos(delta),
    s = x_A + x_B,

(``V`` the visibility). A detector with dark-count probability ``p_d`` stays silent with
probability ``(1 - p_d) exp(-I)``. The events that count are *single clicks* (exactly one of the
two detectors fires):

    P(only -) = (1 - p_d) e^{-I_+} - (1 - p_d)^2 e^{-s} = (1 - p_d) e^{-s} [expm1(I_-) + p_d].

The right-hand form keeps full relative precision when ``s`` is ~1e-12 (1000 km of fibre).

* Random relative phase (phase-randomised sources, SNS Z windows and decoys): averaging over
  a uniform ``delta`` gives the modified-Bessel form (Wang, Yu, Hu, PRA 98, 062323, 2018;
  Yu et al., Sci. Rep. 9, 3080, 2019)

      S(x_A, x_B) = 2 (1 - p_d) e^{-s/2} I_0(c) - 2 (1 - p_d)^2 e^{-s},   c = V sqrt(x_A x_B),
                  = 2 (1 - p_d) e^{-s} [expm1(s/2) I_0(c) + (I_0(c) - 1) + p_d].

* Fixed relative phase inside an acceptance window (SNS X1 windows, PM/TF phase slices): the
  click probabilities are averaged over ``delta`` with Gauss-Legendre quadrature, for a
  *uniform* window ``|delta| <= D/2`` or for the *triangular* distribution of the difference of
  two phases that are each uniform in a slice of width ``w`` (PM-QKD, both phases random).
  Only the interfering term depends on ``delta``; the residual phase noise enters through ``V``
  (first order in the intensities, which is the regime of every TF protocol, x << 1).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

#: Gauss-Legendre nodes/weights on [0, 1] for the phase-window averages (the integrands are
#: entire functions of delta; 12 nodes integrate them to ~1e-15 for windows up to pi)
_GL_T, _GL_W = np.polynomial.legendre.leggauss(12)
GL_NODES: NDArray[np.float64] = 0.5 * (_GL_T + 1.0)
GL_WEIGHTS: NDArray[np.float64] = 0.5 * _GL_W
#: transmittances are capped just below 1 where their logarithm is taken (log1p(-1) = -inf)
_ETA_MAX = 1.0 - 1e-12
#: two unequal detectors: ``(k_1, k_2, p_1, p_2)``, ``k_j = eta_j / eta_mean`` (so k_1 + k_2 = 2;
#: the mean efficiency is folded into the arriving intensities) and ``p_j`` the dark-count
#: probabilities per pulse. None: two identical detectors (``p_d``).
DetectorPair = tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]


def i0m1(c: NDArray[np.float64]) -> NDArray[np.float64]:
    """``I_0(c) - 1`` without cancellation for small ``c``.

    Power series ``sum_k (c^2/4)^k / (k!)^2`` (five terms, relative error < 1e-16) below
    c = 0.1; :func:`scipy.special.i0` only on the elements above (few: an arriving mean photon
    number above 0.1 on both sides), so the common case costs a handful of multiplications.
    """
    c = np.asarray(c, dtype=np.float64)
    q = 0.25 * c * c
    out = q * (1.0 + q / 4.0 * (1.0 + q / 9.0 * (1.0 + q / 16.0 * (1.0 + q / 25.0))))
    big = c >= 0.1
    if np.any(big):
        out = np.array(out, copy=True) if out.ndim else out
        if out.ndim:
            out[big] = special.i0(c[big]) - 1.0
        else:
            out = special.i0(c) - 1.0
    return out


def single_click_random_phase(
    x_a: NDArray[np.float64],
    x_b: NDArray[np.float64],
    v_random: NDArray[np.float64],
    p_d: NDArray[np.float64],
    det: DetectorPair | None = None,
) -> NDArray[np.float64]:
    """Probability of exactly one click for phase-randomised pulses (Bessel average).

    Args:
        x_a, x_b: mean photon numbers arriving from Alice and Bob (detector included).
        v_random: visibility of the interference, ``1 - 2 e_d``.
        p_d: dark-count probability per detector per pulse.
        det: unequal detectors ``(k_1, k_2, p_1, p_2)`` (see :data:`DetectorPair`); then
            ``p_d`` is ignored and ``x`` holds the *mean* efficiency of the two.
    """
    s = x_a + x_b
    c = v_random * np.sqrt(x_a * x_b)
    if det is not None:
        k1, k2, p1, p2 = det
        dm = i0m1(np.abs(k1 - k2) * c)
        i1, i2 = i0m1(k1 * c), i0m1(k2 * c)
        only1 = (1.0 - p2) * (np.expm1(0.5 * k1 * s) * (1.0 + i2) + i2 - dm + p1 * (1.0 + dm))
        only2 = (1.0 - p1) * (np.expm1(0.5 * k2 * s) * (1.0 + i1) + i1 - dm + p2 * (1.0 + dm))
        return np.exp(-s) * (only1 + only2)
    i0m = i0m1(c)
    return 2.0 * (1.0 - p_d) * np.exp(-s) * (np.expm1(0.5 * s) * (1.0 + i0m) + i0m + p_d)


def single_click_fixed_phase(
    x_a: NDArray[np.float64],
    x_b: NDArray[np.float64],
    v_fixed: NDArray[np.float64],
    p_d: NDArray[np.float64],
    width_rad: NDArray[np.float64] | float = 0.0,
    distribution: str = "uniform",
    det: DetectorPair | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Single-click probabilities at the right and at the wrong detector, window-averaged.

    With unequal detectors (``det``) the key bit (which detector the interference selects)
    is uniform, so each probability is the mean over the two assignments of the detectors to
    the bright port: ``P(only right) = (1-p_w) e^{-(k_r I_+ + k_w I_-)} [e^{k_r I_+} - 1 + p_r]``.

    "Right" is the detector that the ideal interference selects (the bright port for
    ``delta`` near 0, by symmetry the same statistics for ``delta`` near pi).

    Args:
        x_a, x_b: mean photon numbers arriving from Alice and Bob.
        v_fixed: visibility ``(1 - 2 e_d) exp(-sigma^2/2)``.
        p_d: dark-count probability per detector per pulse.
        width_rad: ``uniform``: full width ``D`` of the acceptance window |delta| <= D/2;
            ``triangular``: slice width ``w`` (delta = phi_A - phi_B, each uniform in a slice).
            0 means exactly matched phases.
        distribution: ``"uniform"`` or ``"triangular"``.

    Returns:
        ``(p_right, p_wrong)``: probability that only the right / only the wrong detector clicks.
    """
    s = (x_a + x_b)[..., None]
    amp = (v_fixed * np.sqrt(x_a * x_b))[..., None]
    w = np.asarray(width_rad, dtype=np.float64)[..., None]
    if distribution not in ("uniform", "triangular"):
        raise ValueError(f"distribution={distribution!r} must be 'uniform' or 'triangular'")
    if not np.any(w):  # exactly matched phases: one node instead of the quadrature
        delta, weights = np.zeros((1,)), np.ones((1,))
    elif distribution == "uniform":
        delta = 0.5 * w * GL_NODES
        weights = GL_WEIGHTS
    elif distribution == "triangular":
        delta = w * GL_NODES
        weights = GL_WEIGHTS * 2.0 * (1.0 - GL_NODES)
    else:
        raise ValueError(f"distribution={distribution!r} must be 'uniform' or 'triangular'")
    u = amp * np.cos(delta)
    if det is not None:
        k1, k2, p1, p2 = (np.asarray(a, dtype=np.float64)[..., None] for a in det)
        right = wrong = 0.0
        for kr, kw, pr, pw in ((k1, k2, p1, p2), (k2, k1, p2, p1)):  # either on the bright port
            both = np.exp(-(s + (kr - kw) * u))  # neither clicks: exp(-(k_r I_+ + k_w I_-))
            right = right + 0.5 * np.sum(
                weights * (1.0 - pw) * both * (np.expm1(kr * (0.5 * s + u)) + pr), axis=-1
            )
            wrong = wrong + 0.5 * np.sum(
                weights * (1.0 - pr) * both * (np.expm1(kw * (0.5 * s - u)) + pw), axis=-1
            )
        return right, wrong
    pre = (1.0 - p_d) * np.exp(-(x_a + x_b))
    pd = np.asarray(p_d)[..., None]
    right = np.sum(weights * (np.expm1(0.5 * s + u) + pd), axis=-1)
    wrong = np.sum(weights * (np.expm1(0.5 * s - u) + pd), axis=-1)
    return pre * right, pre * wrong


def photon_number_yields_fixed_phase(
    k: NDArray[np.float64],
    eta_a: NDArray[np.float64],
    eta_b: NDArray[np.float64],
    v_fixed: NDArray[np.float64],
    p_d: NDArray[np.float64],
    width_rad: NDArray[np.float64] | float = 0.0,
    distribution: str = "uniform",
    det: DetectorPair | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Yields of the total-photon-number-``k`` component of a twin pair of equal intensities.

    Unequal detectors (``det``): ``Y_k^r = (1-p_w)(1 - k_w g_w)^k - (1-p_1)(1-p_2)(1 - k_r g_r
    - k_w g_w)^k``, averaged over the two assignments of the detectors to the bright port.

    Alice and Bob send ``|sqrt(mu/2)>`` each with a fixed relative phase and a common random
    global phase, so the pair is a Poisson(mu) mixture over the total photon number ``k``.
    Matching powers of ``mu`` in ``e^mu P_c(mu)`` (``P_c`` from the model above, with
    ``I_c = mu g_c``, ``g_{+/-} = (eta_A + eta_B)/4 +/- V sqrt(eta_A eta_B) cos(delta)/2``) gives

        Y_k^c = (1 - p_d)(1 - g_{c'})^k - (1 - p_d)^2 (1 - eta_bar)^k,  eta_bar = (eta_A+eta_B)/2,

    with ``c'`` the other detector. Returns ``(Y_k, Y_k^wrong)``: single-click yield and the part
    at the wrong detector, averaged over the phase window as in :func:`single_click_fixed_phase`.
    """
    k = np.asarray(k, dtype=np.float64)
    eta_a, eta_b = np.minimum(eta_a, _ETA_MAX), np.minimum(eta_b, _ETA_MAX)
    eta_bar = (0.5 * (eta_a + eta_b))[..., None]
    amp = (0.5 * v_fixed * np.sqrt(eta_a * eta_b))[..., None]
    w = np.asarray(width_rad, dtype=np.float64)[..., None]
    if distribution == "uniform":
        delta, weights = 0.5 * w * GL_NODES, GL_WEIGHTS
    elif distribution == "triangular":
        delta, weights = w * GL_NODES, GL_WEIGHTS * 2.0 * (1.0 - GL_NODES)
    else:
        raise ValueError(f"distribution={distribution!r} must be 'uniform' or 'triangular'")
    g_right = 0.5 * eta_bar + amp * np.cos(delta)
    g_wrong = eta_bar - g_right
    kk = k[..., None]
    if det is not None:
        k1, k2, p1, p2 = (np.asarray(a, dtype=np.float64)[..., None] for a in det)
        yr = yw = 0.0
        for kr, kw, pr, pw in ((k1, k2, p1, p2), (k2, k1, p2, p1)):
            big = np.log1p(-(kr * g_right + kw * g_wrong))
            none = np.exp(np.log1p(-p1) + np.log1p(-p2) + kk * big)  # no click at all
            y_r = none * np.expm1(kk * (np.log1p(-kw * g_wrong) - big) - np.log1p(-pr))
            y_w = none * np.expm1(kk * (np.log1p(-kr * g_right) - big) - np.log1p(-pw))
            yr = yr + 0.5 * np.sum(weights * y_r, axis=-1)
            yw = yw + 0.5 * np.sum(weights * y_w, axis=-1)
        return yr + yw, yw
    pd = np.asarray(p_d, dtype=np.float64)
    base = np.log1p(-eta_bar)
    log1m_pd = np.log1p(-pd)[..., None]
    pre = ((1.0 - pd) ** 2)[..., None] * np.exp(kk * base)
    # (1-p_d)(1-g)^k - (1-p_d)^2 (1-eta_bar)^k, written as pre * expm1(...) for precision
    y_right = pre * np.expm1(kk * (np.log1p(-g_wrong) - base) - log1m_pd)
    y_wrong = pre * np.expm1(kk * (np.log1p(-g_right) - base) - log1m_pd)
    yr = np.sum(weights * y_right, axis=-1)
    yw = np.sum(weights * y_wrong, axis=-1)
    return yr + yw, yw


def fock_yields_random_phase(
    n_max: int,
    eta_a: NDArray[np.float64],
    eta_b: NDArray[np.float64],
    v_random: NDArray[np.float64],
    p_d: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Single-click yield ``Y_nm^c`` at ONE given detector for the Fock input |n>_A |m>_B.

    Obtained from the Bessel form by matching powers of ``a^n b^m`` in ``e^{a+b} P_c(a, b)``:

        Y_nm^c = (1-p_d) sum_{k=0}^{min(n,m)} (V^2 eta_A eta_B / 4)^k / (k!)^2
                        * n!/(n-k)! * m!/(m-k)! * (1 - eta_A/2)^{n-k} (1 - eta_B/2)^{m-k}
                 - (1-p_d)^2 (1 - eta_A)^n (1 - eta_B)^m.

    (k counts the two-photon interference terms; V = 1, eta = 1, p_d = 0 gives the
    Hong-Ou-Mandel value Y_11^c = 1/2.) By symmetry both detectors have the same Y_nm^c.
    Returns an array of shape ``broadcast(eta_a, ...).shape + (n_max+1, n_max+1)``.
    """
    ea = np.minimum(np.asarray(eta_a, dtype=np.float64), _ETA_MAX)[..., None, None]
    eb = np.minimum(np.asarray(eta_b, dtype=np.float64), _ETA_MAX)[..., None, None]
    v = np.asarray(v_random, dtype=np.float64)[..., None, None]
    pd = np.asarray(p_d, dtype=np.float64)[..., None, None]
    n = np.arange(n_max + 1, dtype=np.float64)[:, None]
    m = np.arange(n_max + 1, dtype=np.float64)[None, :]
    la = np.log1p(-0.5 * ea)
    lb = np.log1p(-0.5 * eb)
    # k = 0 term minus the double-no-click term, without cancellation:
    # (1-p_d)[A^n B^m - (1-p_d)(1-eta_A)^n (1-eta_B)^m]
    lead = (1.0 - pd) * np.exp(n * la + m * lb)
    diff = -np.expm1(np.log1p(-pd) + n * (np.log1p(-ea) - la) + m * (np.log1p(-eb) - lb))
    y = lead * diff
    q = 0.25 * v * v * ea * eb
    kmax = n_max
    log_fact = special.gammaln(np.arange(n_max + 2, dtype=np.float64) + 1.0)  # log(n!)
    ni = n.astype(int)
    mi = m.astype(int)
    for k in range(1, kmax + 1):
        valid = (ni >= k) & (mi >= k)
        if not np.any(valid):
            break
        nk = np.where(valid, ni - k, 0)
        mk = np.where(valid, mi - k, 0)
        logc = log_fact[ni] - log_fact[nk] + log_fact[mi] - log_fact[mk] - 2.0 * log_fact[k]
        term = (1.0 - pd) * q**k * np.exp(logc + nk * la + mk * lb)
        y = y + np.where(valid, term, 0.0)
    return y
