"""Sending-or-not-sending TF-QKD (SNS), plain and with actively odd-parity pairing (AOPP).

Protocol (Wang, Yu, Hu, PRA 98, 062323, 2018). In a Z window Alice (Bob) sends a
phase-randomised coherent state of intensity ``mu_z`` with probability ``eps`` ("sending", bit
1 for Alice / 0 for Bob) and the nominal vacuum otherwise. In an X window each sends a
phase-randomised decoy from ``{mu_v, mu_1, mu_2}`` with probabilities ``(p_0, p_1, p_2)``;
``mu_v`` is the nominal vacuum (0 ideally; ``mu_vacuum`` > 0 models an intensity modulator of
finite extinction ratio, and then the "not sending" state of the Z windows carries the same
``mu_v``). X1 windows are the pairs where both sent ``mu_1`` with relative phase within
``|delta| <= D/2`` of 0 or pi; their error yield ``T_X1`` bounds the phase-flip rate.
Z windows are chosen with probability ``p_z`` by each party (``p_z -> 1`` asymptotically).

Observables (simulated as their expectations): ``S_ab`` is the single-click probability when
Alice sends intensity ``a`` and Bob ``b``, both phase-randomised
(:func:`~.observables.single_click_random_phase`); ``S_X1``/``T_X1`` the single-click and
wrong-detector probabilities of the X1 window (:func:`~.observables.single_click_fixed_phase`).

Decoy bound for the single-photon yield ``s_10`` (Alice one photon, Bob zero photons). With an
ideal vacuum (``mu_v = 0``) this is the Wang-Yu-Hu three-intensity bound::

    s_10^L = [mu_2^2 e^{mu_1} S_{mu_1 0} - mu_1^2 e^{mu_2} S_{mu_2 0} - (mu_2^2 - mu_1^2) S_00]
             / [mu_1 mu_2 (mu_2 - mu_1)].

Non-ideal vacuum (our generalisation, derived in README.md section "Imperfect vacuum"). With
Bob's state fixed to the nominal vacuum rho_v (Poisson ``v = mu_v``) and Alice's decoys
``{v, mu_1, mu_2}``, eliminating the zero- and two-photon terms gives (exact for v = 0 above)::

    Y_1^(v) >= [(mu_2^2 - v^2) e^{mu_1} S_{1v} - (mu_1^2 - v^2) e^{mu_2} S_{2v}
                - (mu_2^2 - mu_1^2) e^{v} S_{vv}] / [(mu_1 - v)(mu_2 - v)(mu_2 - mu_1)],

where ``Y_1^(v) = e^{-v} s_10 + sum_{m>=1} P_v(m) y_1m``. The tail is bounded with Bob's
brighter decoys ``b in {mu_1, mu_2}``: ``P_v(m)/P_b(m) <= e^{b-v} v/b`` for m >= 1, and
``Y_1^(b) <= (e^{mu_1} S_{1b} - e^{v} S_{vb})/(mu_1 - v)``, so::

    s_10^L = e^{v} [Y_1^(v),L - min_b e^{b-v} (v/b) (e^{mu_1} S_{1b} - e^{v} S_{vb})/(mu_1 - v)].

The true vacuum yield that the phase-error bound subtracts is bounded the same way:
``y_00^L = e^{v}[(mu_1 e^{v} S_vv - v e^{mu_1} S_1v)/(mu_1 - v) - min_b e^{b-v}(v/b) e^{v} S_vb]``.
The untagged Z events are "one side sends one photon, the other side decides not to send AND
emits no photon", with probability ``eps (1-eps) mu_z e^{-mu_z} e^{-mu_v}`` each way.

Phase-flip bound (Wang-Yu-Hu; the single-photon X1 state has weight 2 mu_1 e^{-2mu_1}
and yield s_1 = (s_10 + s_01)/2)::

    e_1^ph <= [T_X1 - e^{-2 mu_1} y_00 / 2] / [2 mu_1 e^{-2 mu_1} s_1].

Asymptotic key rate per pulse (Wang-Yu-Hu, times p_z^2)::

    R = p_z^2 {2 eps (1-eps) mu_z e^{-mu_z} e^{-mu_v} s_1 [1 - H(e_1^ph)] - f S_Z H(E_Z)},
    S_Z = (1-eps)^2 S_vv + eps(1-eps)(S_zv + S_vz) + eps^2 S_zz,
    E_Z = [(1-eps)^2 S_vv + eps^2 S_zz] / S_Z.

AOPP (Xu, Yu, Jiang, Hu, Wang, PRA 101, 042330, 2020). Bob pairs one bit 0 (he sent) with one
bit 1 (he did not send); Alice keeps the pair only if her parity is odd too, and one bit of each
kept pair survives. With ``r_0, r_1`` Bob's numbers of 0/1 bits and ``e_0, e_1`` their error
rates (``e_0``: both sent, ``e_1``: neither sent)::

    n_g  = min(r_0, r_1),
    n_t' = n_g [(1-e_0)(1-e_1) + e_0 e_1],      E_Z' = e_0 e_1 / [(1-e_0)(1-e_1) + e_0 e_1],
    n_1' = n_g (n_01 / r_0)(n_10 / r_1),         e_1'^ph = 2 e_1^ph (1 - e_1^ph),
    R    = [n_1' (1 - H(e_1'^ph)) - f n_t' H(E_Z')] / N.

Here n_10 (n_01) are the untagged bits in Bob's "not sent" ("sent") group; a pair of two untagged
bits always passes the parity check and the surviving bit's phase error is the XOR of the two.

Finite key (Jiang et al. 2019, 2021; see :mod:`.finite`): every yield used above is replaced by
its Chernoff bound in the direction that lowers the key (``S^L``/``S^U`` from the counts
``N_jk S_jk`` with ``N_jk = N (1-p_z)^2 p_j p_k``); the untagged counts get ``phi^L``; the X1
phase-flip rate is carried to the Z untagged bits with ``gamma^U``; AOPP gets ``phi^L`` on
``n_1'`` and ``phi^U`` on the number of pairs with a phase flip; finally
``N_f = n_1 [1 - H(e^ph)] - f n_t H(E_Z) - log2(2/eps_cor) - 2 log2(1/(sqrt2 eps_PA eps_hat))``.
"""

# ruff: noqa: RUF009  (rfield() returns a dataclasses.field carrying the Range metadata)

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from qkdchip.sims.keyrate._validate import require, rfield, safe_div, validate_fields
from qkdchip.sims.keyrate.bounds import binary_entropy
from qkdchip.sims.keyrate.finite import (
    Security,
    expected_lower,
    expected_upper,
    observed_lower,
    observed_upper,
    sampling_gamma,
)
from qkdchip.sims.keyrate.observables import (
    single_click_fixed_phase,
    single_click_random_phase,
)

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SNSParams:
    """Source and sifting parameters of SNS TF-QKD (scalars or broadcastable arrays).

    Attributes:
        mu_z: intensity of the Z-window "sending" state (mean photon number per pulse).
        mu_1: weak X decoy intensity, ``mu_vacuum < mu_1 < mu_2``.
        mu_2: strong X decoy intensity.
        eps: sending probability in Z windows, in (0, 1).
        p_z: probability that a party chooses a Z window, in (0, 1]; ``None`` means the
            asymptotic limit 1 (only allowed without finite-key analysis).
        p_0, p_1: probabilities of the X decoys mu_v and mu_1 (p_2 = 1 - p_0 - p_1 > 0);
            used only by the finite-key analysis.
        phase_window_rad: full width ``D`` of the X1 acceptance window, in [0, pi]; 0 means
            exactly matched phases (asymptotic only; finite key needs D > 0 for X1 counts).
        mu_vacuum: mean photon number of the nominal vacuum (not-sending state and vacuum
            decoy), >= 0 and < mu_1. Fixed value; see ``extinction_ratio_db`` for one that
            follows the intensities.
        extinction_ratio_db: if given (in [10, 100] dB), the nominal vacuum carries
            ``mu_v = max(mu_z, mu_2) / ER`` (the intensity chain is set for its brightest level
            and the modulator leaks 1/ER of it); exclusive with a non-zero ``mu_vacuum``.
    """

    mu_z: float | Array = rfield(0.4, 0.0, 5.0, "", "SNS sending intensity", lo_open=True)
    mu_1: float | Array = rfield(0.1, 0.0, 5.0, "", "SNS weak decoy intensity", lo_open=True)
    mu_2: float | Array = rfield(0.4, 0.0, 5.0, "", "SNS strong decoy intensity", lo_open=True)
    eps: float | Array = rfield(
        0.2, 0.0, 1.0, "", "SNS sending probability", lo_open=True, hi_open=True
    )
    p_z: float | Array | None = rfield(None, 0.0, 1.0, "", "Z-window probability", lo_open=True)
    p_0: float | Array = rfield(
        0.4, 0.0, 1.0, "", "X-window vacuum-decoy probability", lo_open=True, hi_open=True
    )
    p_1: float | Array = rfield(
        0.4, 0.0, 1.0, "", "X-window weak-decoy probability", lo_open=True, hi_open=True
    )
    phase_window_rad: float | Array = rfield(
        0.0, 0.0, float(np.pi), "rad", "X1 acceptance window D_s"
    )
    mu_vacuum: float | Array = rfield(
        0.0, 0.0, 1.0, "", "mean photon number of the nominal vacuum", hi_open=True
    )
    extinction_ratio_db: float | Array | None = rfield(
        None, 10.0, 100.0, "dB", "modulator extinction ratio setting the nominal vacuum"
    )
    mu_z_b: float | Array | None = rfield(
        None, 0.0, 5.0, "", "Bob's sending intensity", lo_open=True
    )
    mu_1_b: float | Array | None = rfield(None, 0.0, 5.0, "", "Bob's weak decoy", lo_open=True)
    mu_2_b: float | Array | None = rfield(None, 0.0, 5.0, "", "Bob's strong decoy", lo_open=True)
    eps_b: float | Array | None = rfield(
        None, 0.0, 1.0, "", "Bob's sending probability", lo_open=True, hi_open=True
    )
    p_z_b: float | Array | None = rfield(
        None, 0.0, 1.0, "", "Bob's Z-window probability", lo_open=True
    )
    p_0_b: float | Array | None = rfield(
        None, 0.0, 1.0, "", "Bob's vacuum-decoy probability", lo_open=True, hi_open=True
    )
    p_1_b: float | Array | None = rfield(
        None, 0.0, 1.0, "", "Bob's weak-decoy probability", lo_open=True, hi_open=True
    )

    def __post_init__(self) -> None:
        validate_fields(self)
        self._check_bob()
        if self.extinction_ratio_db is not None and np.any(np.asarray(self.mu_vacuum) > 0.0):
            raise ValueError(
                f"mu_vacuum={_first(self.mu_vacuum)}: give either mu_vacuum or "
                "extinction_ratio_db, not both"
            )
        m1, m2 = np.broadcast_arrays(np.asarray(self.mu_1), np.asarray(self.mu_2))
        bad = m1 >= m2
        if np.any(bad):
            raise ValueError(
                f"mu_1={float(m1[bad].flat[0]):g} must be smaller than "
                f"mu_2={float(m2[bad].flat[0]):g}"
            )
        mv, m1 = np.broadcast_arrays(self.mu_v, np.asarray(self.mu_1))
        bad = mv >= m1
        if np.any(bad):
            raise ValueError(
                f"mu_vacuum={float(mv[bad].flat[0]):g} (nominal vacuum) must be smaller than "
                f"mu_1={float(m1[bad].flat[0]):g}"
            )
        if np.any(np.asarray(self.p_0) + np.asarray(self.p_1) >= 1.0):
            raise ValueError(
                f"p_0 + p_1 = {float(np.max(np.add(self.p_0, self.p_1))):g} must be < 1 "
                "(p_2 = 1 - p_0 - p_1 is the strong-decoy probability)"
            )

    @classmethod
    def _trusted(cls, **kw: object) -> SNSParams:
        """Construct without the range checks, for values valid by construction (the
        optimiser's sigmoid boxes); fields not given take their defaults."""
        obj = object.__new__(cls)
        for f in fields(cls):
            object.__setattr__(obj, f.name, kw.get(f.name, f.default))
        return obj

    def _check_bob(self) -> None:
        if not self.asymmetric:
            return
        b = self.bob()
        m1, m2 = np.broadcast_arrays(np.asarray(b["mu_1"]), np.asarray(b["mu_2"]))
        if np.any(m1 >= m2):
            raise ValueError(f"mu_1_b={_first(m1)} must be smaller than mu_2_b={_first(m2)}")
        if np.any(self.mu_v >= np.asarray(b["mu_1"])):
            raise ValueError(
                f"mu_vacuum={_first(self.mu_v)} (nominal vacuum) must be smaller than "
                f"mu_1_b={_first(b['mu_1'])}"
            )
        if np.any(np.asarray(b["p_0"]) + np.asarray(b["p_1"]) >= 1.0):
            raise ValueError(
                f"p_0_b + p_1_b = {float(np.max(np.add(b['p_0'], b['p_1']))):g} must be < 1"
            )
        if (self.p_z is None) != (b["p_z"] is None):
            raise ValueError("p_z_b: give p_z and p_z_b both or neither")
        # Hu, Jiang, Yu, Wang, PRA 100, 062337 (2019): the untagged Z single-photon state must
        # equal the X1 single-photon state, eps_A(1-eps_B) mu_A e^-mu_A / [eps_B(1-eps_A)
        # mu_B e^-mu_B] = mu_1A / mu_1B (5 % slack for rounded published values)
        lhs = (self.eps * (1.0 - b["eps"]) * self.mu_z * np.exp(-np.asarray(self.mu_z))) / (
            b["eps"] * (1.0 - self.eps) * b["mu_z"] * np.exp(-np.asarray(b["mu_z"]))
        )
        rhs = np.asarray(self.mu_1) / np.asarray(b["mu_1"])
        off = np.abs(lhs / rhs - 1.0)
        if np.any(off > ASYMMETRY_TOLERANCE):
            raise ValueError(
                f"mu_1_b={_first(b['mu_1'])}: asymmetric SNS needs eps_A(1-eps_B) mu_zA "
                f"e^-mu_zA / [eps_B(1-eps_A) mu_zB e^-mu_zB] = mu_1A/mu_1B (Hu et al. 2019); "
                f"off by {100 * float(np.max(off)):.1f} % (allowed {100 * ASYMMETRY_TOLERANCE:g} %)"
            )

    @property
    def asymmetric(self) -> bool:
        """True when any of Bob's own parameters (``*_b``) is given."""
        return any(getattr(self, n) is not None for n in BOB_FIELDS)

    def bob(self) -> dict[str, float | Array | None]:
        """Bob's parameters (his ``*_b`` field, or Alice's where not given)."""
        return {
            n[:-2]: getattr(self, n[:-2]) if getattr(self, n) is None else getattr(self, n)
            for n in BOB_FIELDS
        }

    @property
    def mu_v(self) -> Array:
        """Effective mean photon number of the nominal vacuum state."""
        if self.extinction_ratio_db is None:
            return np.asarray(self.mu_vacuum, dtype=np.float64)
        top = np.maximum(np.asarray(self.mu_z), np.asarray(self.mu_2))
        for n in ("mu_z_b", "mu_2_b"):
            if getattr(self, n) is not None:
                top = np.maximum(top, np.asarray(getattr(self, n)))
        return top * 10.0 ** (-np.asarray(self.extinction_ratio_db) / 10.0)

    @property
    def p_2(self) -> float | Array:
        """Probability of the strong decoy mu_2 in X windows."""
        return 1.0 - np.add(self.p_0, self.p_1)

    def as_dict(self) -> dict[str, float | Array | None]:
        """Field name -> value (``p_2`` included)."""
        d: dict[str, float | Array | None] = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in BOB_FIELDS or getattr(self, f.name) is not None
        }
        d["p_2"] = self.p_2
        d["mu_v"] = self.mu_v
        return d


#: Bob's own parameters of asymmetric SNS (None: the same as Alice's)
BOB_FIELDS = ("mu_z_b", "mu_1_b", "mu_2_b", "eps_b", "p_z_b", "p_0_b", "p_1_b")
#: relative slack of the asymmetric-SNS condition (published parameters are rounded)
ASYMMETRY_TOLERANCE = 0.05


def _first(v: float | Array) -> float:
    return float(np.asarray(v).flat[0])


def sns_rate(
    eta_a: Array,
    eta_b: Array,
    v_random: Array,
    v_fixed: Array,
    p_d: Array,
    params: SNSParams,
    *,
    f_ec: float | Array = 1.1,
    aopp: bool = False,
    pulses: float | Array | None = None,
    security: Security | None = None,
    det: tuple[Array, ...] | None = None,
) -> dict[str, Array]:
    """SNS (or SNS-AOPP) key rate and the quantities it is built from, all broadcast.

    Asymmetric SNS (Hu et al., PRA 100, 062337, 2019) when ``params`` has Bob's own
    parameters (``*_b``): each side's decoy bound uses that side's decoys, the untagged Z
    bits carry ``eps_A(1-eps_B) mu_zA e^{-mu_zA}`` (Alice's single photon) and
    ``eps_B(1-eps_A) mu_zB e^{-mu_zB}`` (Bob's), and the X1 single-photon weight is
    ``e^{-mu_1A-mu_1B}(mu_1A s_10 + mu_1B s_01)``. Unequal detectors: ``det`` (see
    :data:`~.observables.DetectorPair`).

    Args:
        eta_a, eta_b: arm transmittances *including* the detector efficiency.
        v_random, v_fixed: interference visibilities (see :mod:`.channel`).
        p_d: dark-count probability per detector per pulse.
        params: source/sifting parameters (arrays broadcast against the channel arrays).
        f_ec: error-correction inefficiency f >= 1.
        aopp: apply actively odd-parity pairing.
        pulses: total number of pulse pairs N for the finite-key analysis (None: asymptotic).
        security: failure probabilities of the finite-key analysis.
        det: unequal detectors ``(k_1, k_2, p_1, p_2)`` (then ``p_d`` is only the noise scale
            of the optimiser's margin), None for two identical detectors.

    Returns:
        dict with ``rate_raw`` (per pulse, may be negative: the optimiser's objective),
        ``norm`` (sifted detections per pulse, to form the key fraction ``rate_raw/norm``),
        ``margin`` (the smaller decoy bound on s_10/s_01 relative to the arm transmittance;
        negative where the decoy estimate is void),
        ``rate`` (clipped at 0), ``s1`` (single-photon yield lower bound), ``e1_ph``
        (phase-flip bound of the untagged Z bits), ``gain_z`` (S_Z), ``qber_z`` (E_Z),
        ``qber_x`` (T_X1/S_X1), ``s10``, ``s01``, ``y00``; with AOPP also ``qber_z_aopp``,
        ``e1_ph_aopp``, ``pairs`` (n_g/N), ``n1_aopp`` (n_1'/N), ``bits_aopp`` (n_t'/N).
    """
    finite = pulses is not None
    sec = security if security is not None else Security()
    xi = sec.eps_stat
    bob = params.bob()

    def arr(x: object) -> Array:
        return np.asarray(x, dtype=np.float64)

    mu_z, mu_zb = arr(params.mu_z), arr(bob["mu_z"])
    mu1, mu1b = arr(params.mu_1), arr(bob["mu_1"])
    mu2, mu2b = arr(params.mu_2), arr(bob["mu_2"])
    eps, epsb = arr(params.eps), arr(bob["eps"])
    v = params.mu_v
    window = np.asarray(params.phase_window_rad, dtype=np.float64)
    if params.p_z is None:
        if finite:
            raise ValueError(
                "p_z=None: the finite-key analysis needs a Z-window probability p_z < 1"
            )
        p_z = p_zb = np.asarray(1.0)
    else:
        p_z, p_zb = arr(params.p_z), arr(bob["p_z"])
    if finite:
        n_tot = require("pulses", pulses, 1.0, 1e22)  # type: ignore[arg-type]
        if np.any(p_z >= 1.0) or np.any(p_zb >= 1.0):
            raise ValueError(f"p_z={_first(p_z)} must be < 1 with a finite number of pulses")
        if np.any(window <= 0.0):
            raise ValueError(
                f"phase_window_rad={_first(window)} must be > 0 with a finite number of pulses "
                "(the X1 window must collect counts)"
            )
    else:
        n_tot = np.asarray(1.0)

    # ---- expectations of the observed yields (all random-phase pairs in one call) ---------
    imperfect_vacuum = bool(np.any(v > 0.0))
    pairs = [
        (v, v),
        (mu_z, v),
        (v, mu_zb),
        (mu_z, mu_zb),
        (mu1, v),
        (v, mu1b),
        (mu2, v),
        (v, mu2b),
    ]
    if imperfect_vacuum:
        pairs += [(mu1, mu1b), (mu1, mu2b), (mu2, mu1b)]
    common = np.broadcast_shapes(
        *(np.shape(x) for x in (eta_a, eta_b, v_random, p_d, v, *(x for pr in pairs for x in pr)))
    )
    if imperfect_vacuum or det is not None:
        a_int = np.stack([np.broadcast_to(a, common) for a, _ in pairs])
        b_int = np.stack([np.broadcast_to(b, common) for _, b in pairs])
        s_all = single_click_random_phase(eta_a * a_int, eta_b * b_int, v_random, p_d, det)
    else:
        # ideal vacuum, identical detectors: one side dark in 7 of the 8 pairs, where the
        # Bessel average is trivial (c = 0): S(x, 0) = 2 (1-p_d) e^{-x} [expm1(x/2) + p_d]
        x = np.stack(
            [np.broadcast_to(a, common) for a in (eta_a * mu_z, eta_a * mu1, eta_a * mu2)]
            + [np.broadcast_to(b, common) for b in (eta_b * mu_zb, eta_b * mu1b, eta_b * mu2b)]
        )
        one = 2.0 * (1.0 - p_d) * np.exp(-x) * (np.expm1(0.5 * x) + p_d)
        s_vv_ = np.broadcast_to(2.0 * (1.0 - p_d) * p_d, common)
        s_zz_ = np.broadcast_to(
            single_click_random_phase(eta_a * mu_z, eta_b * mu_zb, v_random, p_d), common
        )
        s_all = np.stack([s_vv_, one[0], one[3], s_zz_, one[1], one[4], one[2], one[5]])
    s_vv, s_zv, s_vz, s_zz, s_1v, s_v1, s_2v, s_v2 = s_all[:8]
    if imperfect_vacuum:
        s_11, s_12, s_21 = s_all[8:]
    right_x1, t_x1 = single_click_fixed_phase(
        eta_a * mu1, eta_b * mu1b, v_fixed, p_d, window, det=det
    )
    s_x1 = right_x1 + t_x1

    # ---- Chernoff bounds on the X-window yields (identity asymptotically) ----------------
    p0, p0b = arr(params.p_0), arr(bob["p_0"])
    p1, p1b = arr(params.p_1), arr(bob["p_1"])
    n_x = n_tot * (1.0 - p_z) * (1.0 - p_zb)  # pulse pairs in which both chose X windows
    prob_a = {"v": p0, "1": p1, "2": 1.0 - p0 - p1}
    prob_b = {"v": p0b, "1": p1b, "2": 1.0 - p0b - p1b}

    # every count bounded at once (one vectorised solve for all lower, one for all upper)
    yields = {"vv": s_vv, "1v": s_1v, "v1": s_v1, "2v": s_2v, "v2": s_v2}
    if imperfect_vacuum:
        yields.update({"11": s_11, "12": s_12, "21": s_21})
    names = list(yields)
    if finite:
        n_pairs = [n_x * prob_a[k[0]] * prob_b[k[1]] for k in names]
        n_x1 = n_x * p1 * p1b * window / np.pi  # pairs whose phases fall in the X1 window
        arrays = np.broadcast_arrays(
            *(n * yields[k] for n, k in zip(n_pairs, names, strict=True)),
            n_x1 * t_x1,
            *n_pairs,
            n_x1,
        )
        m = len(names)
        counts = np.stack(arrays[: m + 1])
        sizes = np.stack(arrays[m + 1 :])
        lower = expected_lower(counts[:m], xi) / sizes[:m]
        upper = expected_upper(counts, xi) / sizes
        bounds_lo = dict(zip(names, lower, strict=True))
        bounds_hi = dict(zip(names, upper[:m], strict=True))
        t_x1_u = upper[m]
    else:
        bounds_lo = bounds_hi = yields
        t_x1_u = t_x1

    def lo(name: str) -> Array:
        return bounds_lo[name]

    def hi(name: str) -> Array:
        return bounds_hi[name]

    ev = np.exp(v)
    svv_u, svv_l = hi("vv"), lo("vv")

    def y1_single_side(m1: Array, m2: Array, s1v_l: Array, s2v_u: Array) -> Array:
        return (
            (m2**2 - v**2) * np.exp(m1) * s1v_l
            - (m1**2 - v**2) * np.exp(m2) * s2v_u
            - (m2**2 - m1**2) * ev * svv_u
        ) / ((m1 - v) * (m2 - v) * (m2 - m1))

    y1a = y1_single_side(mu1, mu2, lo("1v"), hi("2v"))  # Alice's decoys, Bob's vacuum
    y1b = y1_single_side(mu1b, mu2b, lo("v1"), hi("v2"))  # Bob's decoys, Alice's vacuum
    e1, e1b = np.exp(mu1), np.exp(mu1b)
    y0a = (mu1 * ev * svv_l - v * e1 * hi("1v")) / (mu1 - v)
    y0b = (mu1b * ev * svv_l - v * e1b * hi("v1")) / (mu1b - v)
    if imperfect_vacuum:
        # tails sum_{m>=1} P_v(m) y_{1m} and y_{0m}, bounded with the other party's decoy b
        def ratio(b: Array) -> Array:
            return np.exp(b - v) * v / b

        c1a = np.minimum(
            ratio(mu1b) * (e1 * hi("11") - ev * lo("v1")) / (mu1 - v),
            ratio(mu2b) * (e1 * hi("12") - ev * lo("v2")) / (mu1 - v),
        )
        c1b = np.minimum(
            ratio(mu1) * (e1b * hi("11") - ev * lo("1v")) / (mu1b - v),
            ratio(mu2) * (e1b * hi("21") - ev * lo("2v")) / (mu1b - v),
        )
        c0a = np.minimum(ratio(mu1b) * ev * hi("v1"), ratio(mu2b) * ev * hi("v2"))
        c0b = np.minimum(ratio(mu1) * ev * hi("1v"), ratio(mu2) * ev * hi("2v"))
        y1a, y1b = y1a - np.maximum(c1a, 0.0), y1b - np.maximum(c1b, 0.0)
        y0a, y0b = y0a - np.maximum(c0a, 0.0), y0b - np.maximum(c0b, 0.0)
    # how far the decoy bound is from being informative (< 0: s_1^L would be negative);
    # the optimiser climbs this where no key is possible yet
    margin = safe_div(np.minimum(y1a, y1b) * ev, 0.5 * (eta_a + eta_b) + 2.0 * p_d)
    s10 = np.maximum(ev * y1a, 0.0)
    s01 = np.maximum(ev * y1b, 0.0)
    y00 = np.maximum(ev * np.maximum(y0a, y0b), 0.0)
    s1 = 0.5 * (s10 + s01)

    # ---- phase-flip rate from the X1 window ------------------------------------------------
    e_11 = np.exp(-(mu1 + mu1b))
    # X1 single-photon yield times its weight: e^{-mu1A-mu1B}(mu1A s10 + mu1B s01)
    # (= 2 mu1 e^{-2 mu1} s1 for equal intensities)
    ws1 = e_11 * (mu1 * s10 + mu1b * s01)
    good = ws1 > 0.0
    ws1_safe = np.where(good, ws1, 1.0)
    e_x = np.where(good, (t_x1_u - e_11 * y00 / 2.0) / ws1_safe, 0.5)
    e_x = np.clip(e_x, 0.0, 0.5)

    # ---- Z windows ---------------------------------------------------------------------------
    zz = n_tot * p_z * p_zb
    one_a = eps * (1.0 - epsb) * mu_z * np.exp(-mu_z) * np.exp(-v)  # Alice's untagged photon
    one_b = epsb * (1.0 - eps) * mu_zb * np.exp(-mu_zb) * np.exp(-v)  # Bob's
    n10 = zz * one_a * s10  # Alice sent one photon, Bob did not send (Bob's bit 1)
    n01 = zz * one_b * s01  # Bob sent one photon, Alice did not send (Bob's bit 0)
    if finite:
        n10, n01 = observed_lower(n10, xi), observed_lower(n01, xi)
    n1 = n10 + n01
    if finite:
        n_x1_single = observed_lower(n_x1 * ws1, xi)
        e_ph = e_x + sampling_gamma(n_x1_single, n1, e_x, xi)
    else:
        e_ph = e_x
    e_ph = np.where(n1 > 0.0, np.clip(e_ph, 0.0, 0.5), 0.5)

    r0 = zz * ((1.0 - eps) * epsb * s_vz + eps * epsb * s_zz)  # Bob sent: bit 0
    r1 = zz * ((1.0 - eps) * (1.0 - epsb) * s_vv + eps * (1.0 - epsb) * s_zv)  # Bob didn't: 1
    n_t = r0 + r1
    err0 = zz * eps * epsb * s_zz
    err1 = zz * (1.0 - eps) * (1.0 - epsb) * s_vv
    gain_z = (
        (1.0 - eps) * (1.0 - epsb) * s_vv
        + eps * (1.0 - epsb) * s_zv
        + (1.0 - eps) * epsb * s_vz
        + eps * epsb * s_zz
    )
    qber_z = safe_div(err0 + err1, n_t)
    f = np.asarray(f_ec, dtype=np.float64)
    cost = sec.cost_bits if finite else 0.0

    out: dict[str, Array] = {
        "s1": s1,
        "s10": s10,
        "s01": s01,
        "y00": y00,
        "e1_ph": e_ph,
        "gain_z": gain_z,
        "qber_z": qber_z,
        "qber_x": safe_div(t_x1, s_x1),
    }
    if not aopp:
        raw = n1 * (1.0 - binary_entropy(e_ph)) - f * n_t * binary_entropy(qber_z) - cost
    else:
        e_b0 = safe_div(err0, r0)
        e_b1 = safe_div(err1, r1)
        n_g = np.minimum(r0, r1)
        keep = (1.0 - e_b0) * (1.0 - e_b1) + e_b0 * e_b1
        n_t2 = n_g * keep
        qber2 = safe_div(e_b0 * e_b1, keep)
        n1p = n_g * safe_div(n01, r0) * safe_div(n10, r1)
        e_ph_c = np.minimum(e_ph, 0.5)
        if finite:
            n1p = observed_lower(n1p, xi)
            flips = observed_upper(n1p * 2.0 * e_ph_c * (1.0 - e_ph_c), xi)
            e_ph2 = np.where(n1p > 0.0, flips / np.where(n1p > 0.0, n1p, 1.0), 0.5)
        else:
            e_ph2 = 2.0 * e_ph_c * (1.0 - e_ph_c)
        e_ph2 = np.clip(e_ph2, 0.0, 0.5)
        raw = n1p * (1.0 - binary_entropy(e_ph2)) - f * n_t2 * binary_entropy(qber2) - cost
        out.update(
            qber_z_aopp=qber2,
            e1_ph_aopp=e_ph2,
            pairs=n_g / n_tot,
            n1_aopp=n1p / n_tot,
            bits_aopp=n_t2 / n_tot,
        )
    raw = raw / n_tot
    out["norm"] = n_t / n_tot  # detections per pulse: the optimiser's key-fraction scale
    out["margin"] = margin
    out["rate_raw"] = raw
    out["rate"] = np.maximum(raw, 0.0)
    return out
