"""Normalised Lugiato-Lefever equation (LLE): split-step solver, CW states, MI, state classes.

Equation (mode domain, normalisation of :mod:`.ring`; Chembo & Menyuk PRA 87, 053852 (2013);
Herr et al. Nat. Photon. 8, 145 (2014); Godey et al. PRA 89, 063814 (2014))::

    d psi_mu / d tau = -(1 + i zeta_mu) psi_mu + i FFT[|psi|^2 psi]_mu + f delta_mu0
    zeta_mu = zeta_0 + d2 mu^2 + 2 delta_omega_mu / kappa

``tau = kappa t / 2``; ``zeta_0 = 2 (omega_0 - omega_p)/kappa`` (> 0: pump red of the cold
resonance); ``d2 = D2/kappa`` (< 0: normal dispersion); ``psi_mu`` are the Fourier coefficients of
the intracavity field ``psi(theta) = sum_mu psi_mu exp(i mu theta)`` (so that the mean of
``|psi(theta)|^2`` equals ``sum_mu |psi_mu|^2``: Parseval). ``delta_omega_mu`` is an extra local
frequency shift of mode mu, in rad/s, given here in units of kappa (``mode_shifts={0: -0.75}`` is a
*red* shift of the pumped mode by 0.75 kappa). Such a shift models an avoided mode crossing (Xue et
al., Nat. Photon. 9, 594 (2015)) or the backscatter splitting of a self-injection-locked pump
(Lihachev et al., Nat. Commun. 13, 1771 (2022)); it is what lets the normal-dispersion ring leave
the (otherwise MI-stable) homogeneous state and form a dark pulse (platicon).

``mode_losses={0: l}`` adds an extra decay of mode mu (units of kappa for the energy decay rate,
i.e. of kappa/2 for the amplitude: ``-(1 + l + i zeta_mu) psi_mu``): the loss a pumped mode
feels from its coupling into the backward wave of a self-injection-locked pump (:mod:`.sil`).

Numerics: Strang split-step Fourier. The linear part (loss, detuning, dispersion, mode shifts)
*and* the pump are integrated exactly over a step (exponential integrator for the affine
ODE ``a' = L a + f``: ``a(h) = e^{Lh} a + f (e^{Lh} - 1)/L``); the Kerr part ``psi' = i|psi|^2 psi``
is integrated exactly in real space (``psi e^{i h |psi|^2}``). Consecutive linear half steps are
merged, so one step costs one inverse and one forward FFT. The splitting is second order and
unconditionally stable for the linear part; accuracy is set by the nonlinear phase per step,
``h max|psi|^2`` (the rule here: ``h = min(0.05, phi_max / rho_max)`` with ``phi_max = 0.05`` rad
and ``rho_max = max(f^2, 2 zeta_0, 1)`` bounding the peak intracavity power), or by an adaptive
step-doubling controller (``adaptive=True``). Arrays may carry leading batch dimensions (one run per
pump power / detuning / seed, vectorised). Vacuum-like noise is seeded (``numpy.random.default_rng``)
so results are reproducible.

Energy balance: Kerr and dispersion conserve ``E = sum |psi_mu|^2``; hence exactly
``dE/dtau = -2 E + 2 f Re(psi_0)``, checked by :func:`energy_balance_residual`.

CW (homogeneous) steady state: ``0 = -(1 + i zeta) psi + i rho psi + f`` with ``rho = |psi|^2``
gives ``psi = f / (1 + i (zeta - rho))`` and the cubic ``f^2 = rho [1 + (zeta - rho)^2]``; a CW state
is stable to homogeneous perturbations iff ``rho^2 - (zeta - 2 rho)^2 < 1`` and to a sideband pair
(mu, -mu) iff both eigenvalues of the 2x2 linearisation have negative real part; for a symmetric
pair, ``lambda = -1 +- sqrt(rho^2 - (zeta_mu - 2 rho)^2)`` (modulation instability, MI). The MI
threshold is ``rho = 1``, i.e. ``f^2 = 1 + (zeta_0 - 1)^2`` (minimum f = 1 at zeta_0 = 1).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.base.params import Range

__all__ = [
    "STATES",
    "CWState",
    "LLEConfig",
    "LLEResult",
    "LLESolver",
    "PumpSweep",
    "classify_state",
    "cw_states",
    "detuning_profile",
    "energy_balance_residual",
    "lle_rhs",
    "loss_profile",
    "mi_threshold_f2",
    "mode_numbers",
    "sideband_growth_rates",
]

#: The state classes returned by :func:`classify_state`.
STATES = ("cw", "turing", "soliton", "dark_pulse", "chaos")

_D2_RANGE = Range(-10.0, 10.0, "", "normalised dispersion D2/kappa")
_F_RANGE = Range(0.0, 100.0, "", "normalised pump amplitude f")
_ZETA_RANGE = Range(-100.0, 200.0, "", "normalised detuning zeta_0")
_SHIFT_RANGE = Range(-50.0, 50.0, "kappa", "local mode shift in units of kappa")
_LOSS_RANGE = Range(0.0, 50.0, "kappa", "extra energy decay rate of a mode in units of kappa")


# --------------------------------------------------------------------------- mode grid
def mode_numbers(n_modes: int) -> NDArray[np.int64]:
    """Relative mode numbers mu in FFT order (0, 1, ..., N/2-1, -N/2, ..., -1)."""
    Range(4, 1 << 16, "", "number of modes", integer=True).check("n_modes", n_modes)
    if n_modes % 2:
        raise ValueError(f"n_modes={n_modes} must be even")
    return (np.fft.fftfreq(n_modes, 1.0 / n_modes)).round().astype(np.int64)


def detuning_profile(
    n_modes: int, d2: float, mode_shifts: Mapping[int, float] | None = None
) -> NDArray[np.float64]:
    """zeta_mu - zeta_0 = d2 mu^2 + 2 delta_omega_mu/kappa, FFT order (shifts in units of kappa)."""
    _D2_RANGE.check("d2", d2)
    mu = mode_numbers(n_modes)
    prof = d2 * mu.astype(np.float64) ** 2
    for m, s in (mode_shifts or {}).items():
        if not isinstance(m, int | np.integer) or not -n_modes // 2 <= m < n_modes // 2:
            raise ValueError(
                f"mode_shifts key mu={m!r} must be an integer in [{-n_modes // 2}, {n_modes // 2 - 1}]"
            )
        _SHIFT_RANGE.check(f"mode_shifts[{m}]", s)
        prof[int(m) % n_modes] += 2.0 * s
    return prof


def loss_profile(
    n_modes: int, mode_losses: Mapping[int, float] | None = None
) -> NDArray[np.float64]:
    """Extra normalised decay l_mu of each mode (FFT order; units of kappa, module doc)."""
    out = np.zeros(n_modes)
    mode_numbers(n_modes)  # validates n_modes
    for m, loss in (mode_losses or {}).items():
        if not isinstance(m, int | np.integer) or not -n_modes // 2 <= m < n_modes // 2:
            raise ValueError(
                f"mode_losses key mu={m!r} must be an integer in [{-n_modes // 2}, {n_modes // 2 - 1}]"
            )
        _LOSS_RANGE.check(f"mode_losses[{m}]", loss)
        out[int(m) % n_modes] += loss
    return out


# --------------------------------------------------------------------------- closed forms
@dataclass(frozen=True)
class CWState:
    """One homogeneous (CW) steady state: rho = |psi|^2, the field, and its stability."""

    rho: float
    psi: complex
    stable_homogeneous: bool
    growth_rate: float  # largest Re(lambda) over the sideband pairs checked (incl. mu = 0)

    @property
    def stable(self) -> bool:
        """Stable to homogeneous and to all checked sideband perturbations."""
        return self.stable_homogeneous and self.growth_rate < 0.0


def _cw_roots(f: float, zeta0: float) -> NDArray[np.float64]:
    """Real non-negative roots of rho^3 - 2 zeta rho^2 + (1 + zeta^2) rho - f^2 = 0, ascending."""
    if f == 0.0:
        return np.zeros(1)
    r = np.roots([1.0, -2.0 * zeta0, 1.0 + zeta0**2, -(f**2)])
    # keep real roots; polish each with Newton steps (np.roots is accurate to ~1e-8 near a fold)
    real = r[np.abs(r.imag) <= 1e-6 * max(1.0, np.abs(r).max())].real
    out = []
    for rho in real:
        for _ in range(4):
            p = rho**3 - 2 * zeta0 * rho**2 + (1 + zeta0**2) * rho - f**2
            dp = 3 * rho**2 - 4 * zeta0 * rho + 1 + zeta0**2
            if dp == 0.0:
                break
            rho -= p / dp
        if rho >= 0.0 and all(abs(rho - r0) > 1e-9 * max(1.0, rho) for r0 in out):
            out.append(rho)
    return np.sort(np.asarray(out, dtype=np.float64))


def sideband_growth_rates(
    rho: float, psi: complex, zeta_mu: NDArray[np.float64], mu: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Largest real part of the 2x2 linearisation eigenvalues of each sideband pair (mu, -mu).

    For perturbations a_mu, a_{-mu}^* of the CW state psi (rho = |psi|^2)::

        d/dtau [a_mu, a_-mu^*] = [[-1 - i(zeta_mu - 2 rho), i psi^2],
                                  [-i psi*^2,  -1 + i(zeta_-mu - 2 rho)]] [a_mu, a_-mu^*]

    ``zeta_mu`` is indexed in FFT order (full array); ``mu`` selects the pairs (mu >= 0; mu = 0 is
    the homogeneous perturbation). For a symmetric pair this is -1 + Re sqrt(rho^2 - (zeta_mu -
    2 rho)^2).
    """
    n = zeta_mu.size
    zp = zeta_mu[mu % n]
    zm = zeta_mu[(-mu) % n]
    a = -1.0 - 1j * (zp - 2 * rho)
    d = -1.0 + 1j * (zm - 2 * rho)
    tr = a + d
    det = a * d - (1j * psi**2) * (-1j * np.conj(psi) ** 2)
    disc = np.sqrt(tr**2 / 4 - det + 0j)
    return np.maximum((tr / 2 + disc).real, (tr / 2 - disc).real)


def cw_states(
    f: float,
    zeta0: float,
    d2: float = 0.0,
    n_modes: int = 256,
    mode_shifts: Mapping[int, float] | None = None,
) -> list[CWState]:
    """All CW steady states (roots of the cubic), ascending in rho, with their stability.

    With mode shifts the pumped mode sees zeta_0 + 2 shift_0 (the CW state uses it) while the
    sideband pairs see their own zeta_mu.
    """
    _F_RANGE.check("f", f)
    _ZETA_RANGE.check("zeta0", zeta0)
    prof = detuning_profile(n_modes, d2, mode_shifts)
    zeta_mu = zeta0 + prof
    z_pump = float(zeta_mu[0])
    mu = np.arange(0, n_modes // 2)
    out = []
    for rho in _cw_roots(f, z_pump):
        psi = f / (1.0 + 1j * (z_pump - rho))
        stable_h = bool(rho**2 - (z_pump - 2 * rho) ** 2 < 1.0)
        g = float(sideband_growth_rates(float(rho), complex(psi), zeta_mu, mu).max())
        out.append(CWState(float(rho), complex(psi), stable_h, g))
    return out


def mi_threshold_f2(zeta0: float) -> float:
    """MI threshold pump f^2 = 1 + (zeta_0 - 1)^2 (rho = 1; valid for zeta_0 <= 2, anomalous d2)."""
    Range(-100.0, 2.0, "", "detuning zeta_0 (MI threshold formula)").check("zeta0", zeta0)
    return 1.0 + (zeta0 - 1.0) ** 2


def lle_rhs(
    a: NDArray[np.complex128], f: float, zeta_mu: NDArray[np.float64]
) -> NDArray[np.complex128]:
    """Right-hand side of the LLE in the mode domain (for checks; the solver does not use it)."""
    n = a.shape[-1]
    psi = np.fft.ifft(a, axis=-1) * n
    kerr = np.fft.fft(np.abs(psi) ** 2 * psi, axis=-1) / n
    out = -(1.0 + 1j * zeta_mu) * a + 1j * kerr
    out[..., 0] += f
    return out


def energy_balance_residual(
    a: NDArray[np.complex128], f: float, zeta_mu: NDArray[np.float64]
) -> float:
    """|dE/dtau - (-2E + 2 f Re psi_0)| / max(1, |dE/dtau|), with dE/dtau from the full RHS."""
    da = lle_rhs(a, f, zeta_mu)
    de = 2.0 * np.sum((np.conj(a) * da).real, axis=-1)
    e = np.sum(np.abs(a) ** 2, axis=-1)
    expected = -2.0 * e + 2.0 * f * a[..., 0].real
    return float(np.max(np.abs(de - expected) / np.maximum(1.0, np.abs(de))))


# --------------------------------------------------------------------------- classification
def classify_state(
    a: NDArray[np.complex128],
    previous: NDArray[np.complex128] | None = None,
    d2: float | None = None,
    stationary_rtol: float = 1e-3,
    cw_floor: float = 1e-6,
) -> tuple[str, int]:
    """Classify a field from its spectrum and intensity profile; returns (state, n_pulses).

    * ``chaos``: the power spectrum changed by more than ``stationary_rtol`` (relative L1) since
      ``previous`` (a snapshot some photon lifetimes earlier): a non-stationary (chaotic or
      breathing) state. Spectral powers are used because they are translation invariant.
    * ``cw``: less than ``cw_floor`` of the intracavity energy outside the pumped mode.
    * ``turing``: the comb lives on multiples of one mode number mu_T >= 2 (>= 99 % of the
      energy outside the pumped mode on that sub-lattice): a stationary roll pattern of mu_T
      peaks (a perfect crystal of mu_T solitons is spectrally the same and is labelled so too).
    * otherwise a stationary localised structure, told apart by the shape of its top (the
      field decides, not the sign of ``d2``): a ``dark_pulse`` (platicon: a flat bright top
      bounded by two switching waves, a dark dip in a bright background; its bright fraction
      shrinks with detuning) keeps most of its bright part near the peak, a bright ``soliton``
      (sech^2) does not. With ``I_n = (I - I_min)/(I_max - I_min)``: top ratio = (ring share
      with I_n > 0.9) / (share with I_n > 0.5); sech^2 gives 0.37 (a Gaussian 0.39), a plateau
      ~1, the narrowest dark pulse of the reference ring (f^2 = 4, zeta_0 = 5, at the edge of
      its existence region) 0.59. Ratio < 0.5 -> soliton, else dark pulse. ``d2`` is kept for the call signature (and the docs: the
      dark pulse needs normal dispersion); it no longer decides.
      n_pulses = number of such structures (bright segments above the mid level).
    """
    a = np.asarray(a)
    if a.ndim != 1:
        raise ValueError(f"classify_state takes one field (1-D), got shape {a.shape}")
    p = np.abs(a) ** 2
    if previous is not None:
        q = np.abs(np.asarray(previous)) ** 2
        if np.abs(p - q).sum() > stationary_rtol * p.sum():
            return "chaos", 0
    total = p.sum()
    if total == 0.0 or (total - p[0]) <= cw_floor * total:
        return "cw", 0
    n = a.size
    mu = mode_numbers(n)
    side = p.copy()
    side[0] = 0.0
    mu_dom = int(abs(mu[int(np.argmax(side))]))
    if mu_dom >= 2 and p[(mu % mu_dom) != 0].sum() < 1e-2 * (total - p[0]):
        return "turing", mu_dom
    # resolve the profile on a finer grid (zero padding) so that narrow pulses are counted
    pad = max(4 * n, 1024)
    spec = np.zeros(pad, dtype=complex)
    half = n // 2
    spec[:half] = a[:half]
    spec[-half:] = a[-half:]
    inten = np.abs(np.fft.ifft(spec) * pad) ** 2
    high = inten > 0.5 * (inten.min() + inten.max())
    n_segments = max(int(np.count_nonzero(high & ~np.roll(high, 1))), 1)
    span = inten.max() - inten.min()
    norm = (inten - inten.min()) / span if span > 0 else np.zeros_like(inten)
    top_ratio = np.count_nonzero(norm > 0.9) / max(np.count_nonzero(norm > 0.5), 1)
    return ("soliton" if top_ratio < 0.5 else "dark_pulse"), n_segments


# --------------------------------------------------------------------------- solver
@dataclass(frozen=True)
class LLEConfig:
    """The static part of an LLE problem: dispersion, mode grid, mode shifts, numerics.

    ``dt=None`` applies the step rule of the module docstring; ``noise`` is the amplitude of the
    complex white noise added to every mode (per unit sqrt(tau), seeded by ``seed``), standing
    for the quantum/technical noise that seeds modulation instability.
    """

    d2: float
    n_modes: int = 256
    mode_shifts: Mapping[int, float] = field(default_factory=dict)
    dt: float | None = None
    phase_per_step: float = 0.05
    noise: float = 1e-6
    seed: int = 0
    mode_losses: Mapping[int, float] = field(default_factory=dict)  # extra decay, units of kappa

    def __post_init__(self) -> None:
        _D2_RANGE.check("d2", self.d2)
        object.__setattr__(self, "mode_shifts", dict(self.mode_shifts))
        object.__setattr__(self, "mode_losses", dict(self.mode_losses))
        detuning_profile(self.n_modes, self.d2, self.mode_shifts)  # validates
        loss_profile(self.n_modes, self.mode_losses)  # validates
        if self.dt is not None:
            Range(1e-6, 0.5, "", "time step (units of 2/kappa)").check("dt", self.dt)
        Range(1e-4, 0.5, "rad", "nonlinear phase per step").check(
            "phase_per_step", self.phase_per_step
        )
        Range(0.0, 1.0, "", "noise amplitude").check("noise", self.noise)

    @property
    def profile(self) -> NDArray[np.float64]:
        """zeta_mu - zeta_0 in FFT order."""
        return detuning_profile(self.n_modes, self.d2, self.mode_shifts)

    @property
    def linear_profile(self) -> NDArray[np.complex128]:
        """(zeta_mu - zeta_0) - i l_mu: the linear rate is ``-(1 + i zeta_0 + i linear_profile)``
        (a mode's extra loss l_mu as an imaginary detuning)."""
        return self.profile - 1j * loss_profile(self.n_modes, self.mode_losses)

    def step_for(self, f: float, zeta_max: float) -> float:
        """Step rule: h = min(0.05, phi_max / rho_max).

        rho_max bounds the peak intracavity power: f^2 for CW, Turing and dark-pulse states
        (f^2 = rho [1 + (zeta - rho)^2] >= rho), and 2 zeta_0 for bright solitons (peak ~2 zeta_0)
        when the dispersion is anomalous.
        """
        if self.dt is not None:
            return self.dt
        rho_max = max(f * f, 1.0)
        if self.d2 > 0:
            rho_max = max(rho_max, 2.0 * abs(zeta_max))
        return min(0.05, self.phase_per_step / rho_max)


@dataclass(frozen=True, eq=False)
class PumpSweep:
    """Result of :meth:`LLESolver.sweep_pump`: per pump step, energy, sideband energy, state."""

    f: NDArray[np.float64]
    zeta0: float
    energy: NDArray[np.float64]
    sideband_energy: NDArray[np.float64]  # energy outside the pumped mode
    states: tuple[tuple[str, int], ...]

    def onset_f(self) -> float | None:
        """First pump amplitude whose state is not CW (the comb / MI threshold), or None."""
        for f, (state, _) in zip(self.f, self.states, strict=True):
            if state != "cw":
                return float(f)
        return None


@dataclass(frozen=True, eq=False)
class LLEResult:
    """Outcome of :func:`LLEConfig`-based runs: final field, trace, and the classified state."""

    a: NDArray[np.complex128]  # final mode amplitudes psi_mu (FFT order), shape (..., N)
    f: NDArray[np.float64]
    zeta0: NDArray[np.float64]  # final detuning (per batch element)
    tau: float  # total normalised time simulated
    n_steps: int
    dt_last: float
    trace_tau: NDArray[np.float64]
    trace_energy: NDArray[np.float64]  # sum |psi_mu|^2 vs tau, shape (T, ...)
    trace_zeta: NDArray[np.float64]
    wall_s: float
    states: tuple[tuple[str, int], ...] = ()
    converged: NDArray[np.bool_] | None = None

    @property
    def state(self) -> str:
        """State of the first (or only) run."""
        return self.states[0][0] if self.states else "unknown"

    @property
    def psi(self) -> NDArray[np.complex128]:
        """Intracavity field psi(theta) on the N-point grid."""
        n = self.a.shape[-1]
        return np.fft.ifft(self.a, axis=-1) * n


def _as_batch(x: ArrayLike, name: str, rng: Range) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=np.float64)
    flat = arr.ravel()
    for v in flat:
        rng.check(name, float(v))
    return arr


def _affine(
    zeta: NDArray[np.float64],
    hh: float,
    static: NDArray[np.complex128],
    prof0: float | complex,
    f_b: NDArray[np.float64],
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """Exact flow of the linear part + pump over hh: a -> E a + p delta_mu0.

    ``E_mu = exp(-(1 + i zeta_0) hh) exp(-i (zeta_mu - zeta_0) hh)`` (``static`` is the second
    factor); the pumped mode has the rate ``L_0 = -(1 + i (zeta_0 + prof0))`` (prof0 = its mode
    shift; complex with an extra loss: Im prof0 = -l_0) and receives ``p = f (exp(L_0 hh) - 1) /
    L_0`` (Re L_0 = -1 - l_0 < 0: never singular).
    """
    lin0 = -(1.0 + 1j * (zeta + prof0))
    e = np.exp(-(1.0 + 1j * zeta) * hh) * static
    p = f_b * (np.exp(lin0 * hh) - 1.0) / lin0
    return e, p


class LLESolver:
    """Split-step Fourier LLE solver for one :class:`LLEConfig` (see the module docstring).

    Usage::

        sol = LLESolver(LLEConfig(d2=-0.032, mode_shifts={0: -0.75}))
        res = sol.steady_state(f=2.0, zeta0=3.0)          # adiabatic scan + settle + classify
        scan = sol.scan(f=2.0, zeta_start=-4, zeta_stop=8) # detuning sweep (transmission trace)
    """

    def __init__(self, config: LLEConfig) -> None:
        self.config = config
        self.n = config.n_modes
        self.mu = mode_numbers(self.n)
        self.profile = config.profile
        # real when no mode has an extra loss (bit-identical to the lossless propagator)
        self._linear = config.linear_profile if any(config.mode_losses.values()) else self.profile
        self._rng = np.random.default_rng(config.seed)

    # ------------------------------------------------------------------ primitives
    def initial(self, shape: tuple[int, ...] = ()) -> NDArray[np.complex128]:
        """Empty cavity plus seeded noise of amplitude ``config.noise`` in every mode."""
        z = self._rng.standard_normal((*shape, self.n, 2)) @ np.array([1.0, 1j])
        return (self.config.noise / math.sqrt(2.0)) * z

    def propagate(
        self,
        a: NDArray[np.complex128],
        f: ArrayLike,
        zeta0: ArrayLike | tuple[ArrayLike, ArrayLike],
        t: float,
        dt: float | None = None,
        n_trace: int = 0,
    ) -> tuple[NDArray[np.complex128], dict[str, NDArray[np.float64]], int, float]:
        """Integrate for a normalised time ``t`` with a fixed step (last step shortened).

        ``zeta0`` is a constant (scalar or batch array) or a pair (start, stop) for a linear
        ramp over ``t`` (an adiabatic detuning scan). Returns (a, trace, n_steps, h) where trace
        holds ``n_trace`` samples of tau, zeta_0 and the intracavity energy.
        """
        Range(0.0, 1e7, "", "normalised time").check("t", t)
        f_arr = _as_batch(f, "f", _F_RANGE)
        if isinstance(zeta0, tuple):
            z_start = _as_batch(zeta0[0], "zeta0", _ZETA_RANGE)
            z_stop = _as_batch(zeta0[1], "zeta0", _ZETA_RANGE)
        else:
            z_start = z_stop = _as_batch(zeta0, "zeta0", _ZETA_RANGE)
        batch = np.broadcast_shapes(a.shape[:-1], f_arr.shape, z_start.shape, z_stop.shape)
        a = np.array(np.broadcast_to(a, (*batch, self.n)), dtype=np.complex128)
        f_b = np.broadcast_to(f_arr, batch)[..., None]
        zs = np.broadcast_to(z_start, batch)[..., None]
        ze = np.broadcast_to(z_stop, batch)[..., None]
        if dt is None:
            dt = self.config.step_for(
                float(f_arr.max(initial=0.0)), float(max(np.abs(zs).max(), np.abs(ze).max()))
            )
        n_steps = max(1, math.ceil(t / dt - 1e-9))
        h = t / n_steps
        prof = self._linear  # (N,) detuning profile - i extra loss
        # exact linear propagator factors: exp(-(1 + i zeta_mu) h) = exp(-(1 + i zeta_0) h) * static
        static_full = np.exp(-1j * prof * h)
        static_half = np.exp(-1j * prof * h / 2)
        noise_amp = self.config.noise * math.sqrt(h / 2.0)
        trace_every = max(1, n_steps // n_trace) if n_trace else 0
        ramp = not np.array_equal(zs, ze)
        prof0 = complex(prof[0]) if np.iscomplexobj(prof) else float(prof[0])

        def zeta_at(m: int) -> NDArray[np.float64]:
            return zs + (ze - zs) * (m * h / t) if ramp else zs

        # Strang: L(h/2) [N(h) L(h)] x (n_steps - 1) [N(h) L(h/2)], inner half steps merged.
        e_half, p_half = _affine(zs, h / 2, static_half, prof0, f_b)
        a = a * e_half
        a[..., 0:1] += p_half
        common = (f_b, zs, ze, h, t, static_full, prof0, noise_amp, ramp)
        tr_tau: list[float] = []
        tr_z: list[NDArray[np.float64]] = []
        tr_e: list[NDArray[np.float64]] = []
        marks = list(range(trace_every, n_steps, trace_every)) if trace_every else []
        done = 0
        for m in [*marks, n_steps - 1]:
            if m > done:
                a = self._advance(a, done, m, *common)
                done = m
            if m in marks:
                tr_tau.append(m * h)
                tr_z.append(np.squeeze(zeta_at(m), -1).copy())
                tr_e.append(np.sum(a.real**2 + a.imag**2, axis=-1))
        # last step: N(h) then L(h/2) at the final detuning
        a = self._kerr(a, h, noise_amp)
        e_half, p_half = _affine(ze, h / 2, static_half, prof0, f_b)
        a = a * e_half
        a[..., 0:1] += p_half
        if trace_every and n_steps % trace_every == 0:
            tr_tau.append(n_steps * h)
            tr_z.append(np.squeeze(ze, -1).copy())
            tr_e.append(np.sum(a.real**2 + a.imag**2, axis=-1))
        trace = {
            "tau": np.asarray(tr_tau),
            "zeta": np.asarray(tr_z),
            "energy": np.asarray(tr_e),
        }
        return a, trace, n_steps, h

    def _kerr(
        self, a: NDArray[np.complex128], h: float, noise_amp: float
    ) -> NDArray[np.complex128]:
        """Exact Kerr step in real space (psi e^{i h |psi|^2}) plus the seeded noise kick."""
        n = self.n
        psi = np.fft.ifft(a, axis=-1)
        psi *= n
        psi *= np.exp(1j * h * (psi.real**2 + psi.imag**2))
        a = np.fft.fft(psi, axis=-1)
        a /= n
        if noise_amp > 0.0:
            a += self._rng.standard_normal((*a.shape, 2)) @ np.array([noise_amp, 1j * noise_amp])
        return a

    def _advance(
        self,
        a: NDArray[np.complex128],
        k0: int,
        k1: int,
        f_b: NDArray[np.float64],
        zs: NDArray[np.float64],
        ze: NDArray[np.float64],
        h: float,
        t: float,
        static_full: NDArray[np.complex128],
        prof0: float | complex,
        noise_amp: float,
        ramp: bool,
    ) -> NDArray[np.complex128]:
        """Steps k0..k1-1 of [N(h) L(h)]; the detuning of step k is zeta((k+1) h)."""
        n = self.n
        fft, ifft = np.fft.fft, np.fft.ifft
        e_full, p_full = _affine(zs, h, static_full, prof0, f_b)
        chunk = 256
        noise_block = None
        cplx = np.array([noise_amp, 1j * noise_amp])
        for j, k in enumerate(range(k0, k1)):
            if noise_amp > 0.0 and j % chunk == 0:
                noise_block = self._rng.standard_normal((chunk, *a.shape, 2)) @ cplx
            psi = ifft(a, axis=-1)
            psi *= n
            psi *= np.exp(1j * h * (psi.real**2 + psi.imag**2))
            a = fft(psi, axis=-1)
            a /= n
            if noise_block is not None:
                a += noise_block[j % chunk]
            if ramp:
                e_full, p_full = _affine(
                    zs + (ze - zs) * ((k + 1.0) * h / t), h, static_full, prof0, f_b
                )
            a *= e_full
            a[..., 0:1] += p_full
        return a

    def propagate_adaptive(
        self,
        a: NDArray[np.complex128],
        f: float,
        zeta0: float,
        t: float,
        rtol: float = 1e-6,
        dt0: float = 0.01,
    ) -> tuple[NDArray[np.complex128], int, float]:
        """Integrate with step-doubling error control (one step h vs two steps h/2).

        The local error estimate is ||a_h - a_{h/2,h/2}|| / ||a||; accepted steps use the
        Richardson-extrapolated value (a_{h/2,h/2} + (a_{h/2,h/2} - a_h)/3, third order) and the
        step adapts by 0.9 (rtol/err)^(1/3), clamped to [0.2, 2]. Noise is not injected here
        (deterministic). Returns (a, n_accepted_steps, last h).
        """
        Range(1e-12, 1e-2, "", "relative tolerance").check("rtol", rtol)
        quiet = LLESolver(dataclasses.replace(self.config, noise=0.0))
        tau, h, n_ok = 0.0, dt0, 0
        while tau < t - 1e-12:
            h = min(h, t - tau)
            big, _, _, _ = quiet.propagate(a, f, zeta0, h, dt=h)
            small, _, _, _ = quiet.propagate(a, f, zeta0, h, dt=h / 2)
            err = float(np.linalg.norm(small - big) / max(np.linalg.norm(small), 1e-300))
            if err <= rtol or h < 1e-7:
                a = small + (small - big) / 3.0
                tau += h
                n_ok += 1
            h *= min(2.0, max(0.2, 0.9 * (rtol / max(err, 1e-300)) ** (1.0 / 3.0)))
        return a, n_ok, h

    # ------------------------------------------------------------------ studies
    def scan(
        self,
        f: ArrayLike,
        zeta_start: float,
        zeta_stop: float,
        tau_scan: float = 400.0,
        n_trace: int = 400,
        a0: NDArray[np.complex128] | None = None,
    ) -> LLEResult:
        """Adiabatic linear detuning scan (pump sweep over f if ``f`` is an array, vectorised).

        The trace gives the intracavity energy vs zeta_0 (the 'transmission' trace with its
        steps). Scan speed (zeta_stop - zeta_start)/tau_scan should be << 1 (adiabatic).
        """
        t0 = time.perf_counter()
        self._rng = np.random.default_rng(self.config.seed)  # each study reproducible on its own
        f_arr = np.asarray(f, dtype=np.float64)
        a = self.initial(f_arr.shape) if a0 is None else a0
        a, tr, n_steps, h = self.propagate(
            a, f_arr, (zeta_start, zeta_stop), tau_scan, n_trace=n_trace
        )
        states = tuple(classify_state(x, d2=self.config.d2) for x in a.reshape(-1, self.n))
        return LLEResult(
            a=a,
            f=np.broadcast_to(f_arr, a.shape[:-1]).copy(),
            zeta0=np.full(a.shape[:-1], zeta_stop),
            tau=tau_scan,
            n_steps=n_steps,
            dt_last=h,
            trace_tau=tr["tau"],
            trace_energy=tr["energy"],
            trace_zeta=tr["zeta"],
            wall_s=time.perf_counter() - t0,
            states=states,
        )

    def sweep_pump(
        self,
        f_values: ArrayLike,
        zeta0: float,
        t_hold: float = 60.0,
    ) -> PumpSweep:
        """Adiabatic pump sweep at fixed detuning: step f through ``f_values`` (in order), holding
        each for ``t_hold``; record the intracavity energy, the energy outside the pumped mode and
        the state at the end of each hold (stationarity judged over the last t_hold/4).
        """
        f_arr = _as_batch(f_values, "f_values", _F_RANGE).ravel()
        if f_arr.size == 0:
            raise ValueError("f_values=[] must hold at least one pump amplitude")
        Range(1.0, 1e5, "", "hold time per pump step").check("t_hold", t_hold)
        self._rng = np.random.default_rng(self.config.seed)
        a = self.initial()
        energy, side, states = [], [], []
        for f in f_arr:
            a, *_ = self.propagate(a, float(f), zeta0, 0.75 * t_hold)
            prev = a.copy()
            a, *_ = self.propagate(a, float(f), zeta0, 0.25 * t_hold)
            p = np.abs(a) ** 2
            energy.append(float(p.sum()))
            side.append(float(p.sum() - p[0]))
            states.append(classify_state(a, prev, d2=self.config.d2, stationary_rtol=1e-3))
        return PumpSweep(
            f=f_arr,
            zeta0=float(zeta0),
            energy=np.asarray(energy),
            sideband_energy=np.asarray(side),
            states=tuple(states),
        )

    def steady_state(
        self,
        f: float,
        zeta0: float,
        zeta_start: float | None = None,
        scan_rate: float = 0.02,
        settle_window: float = 20.0,
        max_settle: float = 2000.0,
        stationary_rtol: float = 1e-4,
        n_trace: int = 200,
    ) -> LLEResult:
        """Adiabatic scan from ``zeta_start`` to ``zeta0``, then hold until stationary, classify.

        ``zeta_start`` defaults to the blue side, min(zeta0, -2) (below all resonances). The
        hold runs in windows of ``settle_window`` (photon lifetimes of the field, 2/kappa each)
        until the power spectrum changes by less than ``stationary_rtol`` between windows, or
        ``max_settle`` is spent (then the state is reported as 'chaos' with converged=False).
        """
        Range(1e-5, 1.0, "1/tau", "scan rate").check("scan_rate", scan_rate)
        t0 = time.perf_counter()
        self._rng = np.random.default_rng(self.config.seed)  # each study reproducible on its own
        if zeta_start is None:
            zeta_start = min(zeta0, -2.0)
        tau_scan = max(abs(zeta0 - zeta_start) / scan_rate, 1e-9)
        a = self.initial()
        a, tr, n1, h = self.propagate(a, f, (zeta_start, zeta0), tau_scan, n_trace=n_trace)
        taus, energies, zetas = [tr["tau"]], [tr["energy"]], [tr["zeta"]]
        tau_total, n_total = tau_scan, n1
        prev = a.copy()
        converged = False
        state = ("chaos", 0)
        while tau_total - tau_scan < max_settle:
            a, tr, n2, h = self.propagate(a, f, zeta0, settle_window, n_trace=4)
            taus.append(tr["tau"] + tau_total)
            energies.append(tr["energy"])
            zetas.append(tr["zeta"])
            tau_total += settle_window
            n_total += n2
            state = classify_state(a, prev, d2=self.config.d2, stationary_rtol=stationary_rtol)
            if state[0] != "chaos":
                converged = True
                break
            prev = a.copy()
        return LLEResult(
            a=a,
            f=np.asarray(f, dtype=np.float64),
            zeta0=np.asarray(zeta0, dtype=np.float64),
            tau=tau_total,
            n_steps=n_total,
            dt_last=h,
            trace_tau=np.concatenate(taus),
            trace_energy=np.concatenate(energies),
            trace_zeta=np.concatenate(zetas),
            wall_s=time.perf_counter() - t0,
            states=(state,),
            converged=np.asarray(converged),
        )
