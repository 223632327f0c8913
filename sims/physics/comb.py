"""Kerr comb of a ring at an operating point: LLE steady state -> comb lines in the bus.

Given a :class:`~.ring.RingParams`, a bus pump power ``P_in``, a normalised detuning zeta_0 and a
red shift of the pumped mode (in units of the loaded linewidth kappa: avoided mode crossing /
self-injection-locking backscatter, see :mod:`.lle`), :func:`simulate_comb` runs the LLE to a
stationary state and converts the intracavity modes to lines at the bus output.

Units and conversion (coupled-mode theory with kappa the *energy* decay rate; Herr et al. 2014):
``da/dt = -(kappa/2 + i delta) a + i g0 |a|^2 a + sqrt(kappa_ex) s_in`` with |a|^2 photons and
|s|^2 photons/s; the through port is ``s_out = s_in - sqrt(kappa_ex) a`` (the same relation as
``s_in - sqrt(2 kappa_ex') a`` written with amplitude decay rates kappa' = kappa/2). With
``psi = sqrt(2 g0/kappa) a`` and ``f^2 = P_in/P_th`` this gives, per line mu (omega_mu/omega_p is
the photon-energy ratio):

    P_out,0  = P_in |1 - 2 eta psi_0 / f|^2
    P_out,mu = P_in (4 eta^2 / f^2) |psi_mu|^2 (omega_mu/omega_p) = 4 eta^2 P_th |psi_mu|^2 ...

Line frequencies are ``nu_k = nu_0 + k FSR`` (the comb is equidistant: the LLE frame moves at
D1; nu_0 = the pump frequency, c/1549.78 nm by default).

Linewidth: the pump laser, self-injection locked to the ring, is narrowed by the stabilisation
coefficient K (Kondratiev et al., Opt. Express 25, 28167 (2017)): ``dnu_SIL = dnu_free / K^2``;
the comb lines inherit it (the repetition-rate noise that grows as k^2 away from the pump is not
modelled). The published comb line is ~40 Hz; the defaults (2 MHz DFB, K = 224) reproduce it.

Power drift: the published comb keeps its line powers to 0.6 % over 12 h; it is carried as a
parameter and applied as a linear bound, ``P (1 +- drift x t / 12 h)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qkdchip.base.params import Range

from .constants import C_BAND_HZ, C_M_PER_S
from .lle import LLEConfig, LLEResult, LLESolver, classify_state, mode_numbers
from .ring import RingParams

__all__ = [
    "COMB_RANGES",
    "CombLine",
    "CombResult",
    "ExistenceMap",
    "bus_line_powers_w",
    "existence_map",
    "simulate_comb",
]

COMB_RANGES: dict[str, Range] = {
    "pump_power_w": Range(1e-4, 5.0, "W", "pump power in the bus waveguide"),
    "detuning_zeta": Range(
        -20.0, 60.0, "", "normalised detuning zeta_0 = 2(omega_0 - omega_p)/kappa"
    ),
    "mode_shift_kappa": Range(
        -10.0, 10.0, "kappa", "red shift of the pumped mode (units of kappa; < 0: blue)"
    ),
    "pump_mode_extra_loss": Range(
        0.0,
        50.0,
        "kappa",
        "extra energy decay of the pumped mode (units of kappa; SIL backscatter)",
    ),
    "pump_linewidth_hz": Range(1.0, 1e9, "Hz", "free-running pump laser linewidth"),
    "sil_k": Range(1.0, 1e6, "", "self-injection-locking stabilisation coefficient K"),
    "power_drift_per_12h": Range(0.0, 1.0, "", "fractional line-power drift over 12 h"),
    "n_modes": Range(16, 4096, "", "number of simulated modes", integer=True),
    "scan_rate": Range(1e-4, 0.5, "1/tau", "adiabatic detuning scan speed"),
    "seed": Range(0, 2**32 - 1, "", "seed of the LLE noise", integer=True),
}


def bus_line_powers_w(
    ring: RingParams, pump_power_w: float, a: NDArray[np.complex128]
) -> NDArray[np.float64]:
    """Line powers at the bus output [W] from the LLE mode amplitudes ``a`` (FFT order).

    P_0 = P_in |1 - 2 eta psi_0/f|^2 (transmitted pump); P_mu = P_in (4 eta^2/f^2) |psi_mu|^2
    omega_mu/omega_p for mu != 0 (see the module docstring).
    """
    COMB_RANGES["pump_power_w"].check("pump_power_w", pump_power_w)
    f = math.sqrt(ring.f2(pump_power_w))
    eta = ring.eta
    mu = mode_numbers(a.shape[-1])
    photon_ratio = 1.0 + mu * ring.fsr_hz / ring.pump_frequency_hz
    p = pump_power_w * 4.0 * eta**2 / f**2 * np.abs(a) ** 2 * photon_ratio
    p[..., 0] = pump_power_w * np.abs(1.0 - 2.0 * eta * a[..., 0] / f) ** 2
    return p


@dataclass(frozen=True)
class CombLine:
    """One comb line at the bus output."""

    k: int
    frequency_hz: float
    power_w: float

    @property
    def frequency_thz(self) -> float:
        return self.frequency_hz / 1e12

    @property
    def wavelength_nm(self) -> float:
        return C_M_PER_S / self.frequency_hz * 1e9

    @property
    def power_dbm(self) -> float:
        return 10.0 * math.log10(max(self.power_w, 1e-300) / 1e-3)


@dataclass(frozen=True, eq=False)
class CombResult:
    """A simulated comb at the bus output (lines sorted by k, ascending)."""

    ring: RingParams
    pump_power_w: float
    f2: float
    detuning_zeta: float
    mode_shift_kappa: float
    d2: float  # the normalised dispersion the LLE ran with (= ring.d2)
    state: str
    n_pulses: int
    converged: bool
    k: NDArray[np.int64]
    frequency_hz: NDArray[np.float64]
    power_w: NDArray[np.float64]
    intracavity_power: NDArray[np.float64]  # |psi_mu|^2 (normalised), same order as k
    pump_linewidth_hz: float
    sil_k: float
    power_drift_per_12h: float
    lle: LLEResult = field(repr=False)
    pump_frequency_hz: float | None = None  # None: the ring's pump frequency (c / lambda_p)
    extras: dict[str, Any] = field(default_factory=dict, repr=False)  # sil, heater blocks
    pump_mode_extra_loss: float = 0.0  # extra decay of mode 0, units of kappa (SIL backscatter)

    # ---------------------------------------------------------------- derived figures
    @property
    def fsr_hz(self) -> float:
        return self.ring.fsr_hz

    @property
    def nu0_hz(self) -> float:
        """Frequency of line k = 0 (the pump)."""
        return (
            self.ring.pump_frequency_hz
            if self.pump_frequency_hz is None
            else self.pump_frequency_hz
        )

    @property
    def resonance_hz(self) -> float:
        """The pumped (cold) resonance the LLE assumes: nu_p + zeta_0 kappa / (4 pi)."""
        return self.nu0_hz + self.detuning_hz

    @property
    def detuning_hz(self) -> float:
        """Pump detuning from the unperturbed resonance, nu_0 - nu_p = zeta_0 kappa/(4 pi)."""
        return self.ring.detuning_hz_from_zeta(self.detuning_zeta)

    @property
    def power_dbm(self) -> NDArray[np.float64]:
        return 10.0 * np.log10(np.maximum(self.power_w, 1e-300) / 1e-3)

    @property
    def line_linewidth_hz(self) -> float:
        """dnu_line = dnu_pump,free / K^2 (self-injection-locking narrowing)."""
        return self.pump_linewidth_hz / self.sil_k**2

    @property
    def comb_power_w(self) -> float:
        """Power in all lines except the pump line at the bus output."""
        return float(self.power_w[self.k != 0].sum())

    @property
    def conversion_efficiency(self) -> float:
        """Comb power (pump line excluded) / pump power."""
        return self.comb_power_w / self.pump_power_w

    def index_of(self, k: int) -> int:
        """Position of line k in the arrays (ValueError if not simulated)."""
        i = int(k) - int(self.k[0])
        if not 0 <= i < self.k.size:
            raise ValueError(f"k={k} is out of range: allowed [{self.k[0]}, {self.k[-1]}]")
        return i

    def line(self, k: int) -> CombLine:
        i = self.index_of(k)
        return CombLine(int(self.k[i]), float(self.frequency_hz[i]), float(self.power_w[i]))

    def within_db(self, db: float = 30.0) -> NDArray[np.bool_]:
        """Mask of lines within ``db`` of the strongest line at the bus output (pump included)."""
        Range(0.0, 200.0, "dB", "power window").check("db", db)
        pdb = self.power_dbm
        return pdb >= pdb.max() - db

    def n_lines_within(self, db: float = 30.0) -> int:
        """Number of lines within ``db`` of the strongest line."""
        return int(self.within_db(db).sum())

    def usable(
        self,
        within_db: float = 30.0,
        floor_dbm: float | None = None,
        band_hz: tuple[float, float] = C_BAND_HZ,
        exclude_pump: bool = False,
    ) -> NDArray[np.bool_]:
        """Lines in ``band_hz`` (C band), within ``within_db`` of the strongest and, if given,
        above the absolute ``floor_dbm``."""
        m = self.within_db(within_db)
        m &= (self.frequency_hz >= band_hz[0]) & (self.frequency_hz <= band_hz[1])
        if floor_dbm is not None:
            m &= self.power_dbm >= floor_dbm
        if exclude_pump:
            m &= self.k != 0
        return m

    def lines(self, mask: Iterable[bool] | None = None) -> list[CombLine]:
        """The lines (all, or those selected by ``mask``)."""
        sel = np.ones(self.k.size, bool) if mask is None else np.asarray(mask, bool)
        return [
            CombLine(int(k), float(nu), float(p))
            for k, nu, p in zip(self.k[sel], self.frequency_hz[sel], self.power_w[sel], strict=True)
        ]

    def power_bounds_w(self, hours: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Line powers bounded by the drift after ``hours``: P (1 -+ drift x hours/12)."""
        Range(0.0, 1e5, "h", "elapsed time").check("hours", hours)
        d = self.power_drift_per_12h * hours / 12.0
        return self.power_w * max(0.0, 1.0 - d), self.power_w * (1.0 + d)

    def to_dict(self, within_db: float = 30.0) -> dict[str, Any]:
        """JSON-ready summary; ``lines`` are those within ``within_db`` of the strongest."""
        return {
            "fsr_ghz": self.fsr_hz / 1e9,
            "lambda0_nm": C_M_PER_S / self.nu0_hz * 1e9,
            "state": self.state,
            "n_pulses": self.n_pulses,
            "converged": self.converged,
            "pump_power_mw": self.pump_power_w * 1e3,
            "threshold_mw": self.ring.threshold_power_w * 1e3,
            "f2": self.f2,
            "detuning_zeta": self.detuning_zeta,
            "detuning_mhz": self.detuning_hz / 1e6,
            "mode_shift_kappa": self.mode_shift_kappa,
            "pump_mode_extra_loss": self.pump_mode_extra_loss,
            "n_lines_within_30db": self.n_lines_within(30.0),
            "line_linewidth_hz": self.line_linewidth_hz,
            "conversion_efficiency": self.conversion_efficiency,
            "power_drift_per_12h": self.power_drift_per_12h,
            "lines": [
                {"k": ln.k, "frequency_thz": ln.frequency_thz, "power_dbm": ln.power_dbm}
                for ln in self.lines(self.within_db(within_db))
            ],
            "resonance_thz": self.resonance_hz / 1e12,
            **self.extras,
        }


def _lle_config(
    ring: RingParams,
    n_modes: int,
    mode_shift_kappa: float,
    pump_mode_extra_loss: float,
    seed: int,
) -> LLEConfig:
    """The LLE of ``ring``: its dispersion, the quantum-noise seed level, and the pumped mode's
    shift (red for positive ``mode_shift_kappa``) and extra loss (in units of kappa)."""
    return LLEConfig(
        d2=ring.d2,
        n_modes=n_modes,
        mode_shifts={0: -mode_shift_kappa} if mode_shift_kappa else {},
        noise=math.sqrt(2.0 * ring.g0_rad_s / ring.kappa),
        seed=seed,
        mode_losses={0: pump_mode_extra_loss} if pump_mode_extra_loss else {},
    )


def simulate_comb(
    ring: RingParams | None = None,
    pump_power_w: float = 50e-3,
    detuning_zeta: float = 4.0,
    mode_shift_kappa: float = 0.75,
    pump_linewidth_hz: float = 2e6,
    sil_k: float = 224.0,
    power_drift_per_12h: float = 0.006,
    n_modes: int = 128,
    scan_rate: float = 0.05,
    seed: int = 0,
    max_settle: float = 2000.0,
    pump_frequency_hz: float | None = None,
    pump_mode_extra_loss: float = 0.0,
) -> CombResult:
    """Run the LLE of ``ring`` to a stationary state and return the comb at the bus output.

    The detuning is reached by an adiabatic scan from the blue side (zeta_0 = -2) at
    ``scan_rate`` (units of zeta per normalised time), as a laser tuned into resonance would,
    then held until the spectrum is stationary. The seed noise is the vacuum level (half a photon
    per mode: amplitude sqrt(2 g0/kappa) per sqrt(tau), see :class:`.lle.LLEConfig`).

    Defaults: the reference dark-pulse comb. 50 mW in the bus (the design's operating point;
    f^2 = 4.2 with P_th = 11.9 mW, the design's ring), zeta_0 = 4.0 (47 MHz), pumped mode
    red-shifted by 0.75 kappa -> one dark pulse with 23 lines within 30 dB at the bus output.
    The detuning is a documented choice, not fitted: the existence map of this ring
    (:func:`existence_map`, ``qkdchip comb --map``) has the dark pulse at 50 mW for zeta_0 in
    [2.5, 5.0] (0.5 grid); its middle, 3.75, rounded up to the grid, is 4.0, where the pump can
    drop 2 dB (to 31.5 mW) and rise >= 3 dB (the map's extent) and zeta_0 move -1.5 / +1.0
    before the comb collapses. (The previous default, zeta_0 = 5.0, sat on the region's edge:
    27 lines, CW at 1 dB less pump.) ``pump_frequency_hz``: where line k = 0 sits (None: the
    ring's pump frequency, c / lambda_p); the design puts it zeta_0 below the simulated, heated
    resonance (:func:`qkdchip.sims.devices.operating_point`). Map (f^2 = P / P_th; D = dark
    pulse with its lines within 30 dB, . = CW, x = not stationary; 64 modes)::

        P (mW)  zeta_0: 2.0  2.5  3.0  3.5  4.0  4.5  5.0  5.5  6.0  6.5  7.0
        25.1            D7   D15  D19  D23  .    .    .    .    .    .    .
        31.5            x    D13  D19  D21  D25  .    .    .    .    .    .
        39.7            D1   D13  D17  D21  D23  D25  .    .    .    .    .
        50.0            .    D11  D17  D21  D23  D25  D27  .    .    .    .
        62.9            .    x    D17  D19  D23  D25  D27  D27  D29  .    .
        79.2            .    .    D15  D17  D23  D25  D25  D27  D29  D29  .
        99.8            .    .    .    D17  D21  D23  D25  D27  D29  D29  D31

    Without the mode shift the normal-dispersion ring stays CW everywhere.

    ``pump_mode_extra_loss``: extra energy decay of the pumped mode (units of kappa; 0 by
    default), the loss it feels from its coupling into the backward wave when the pump is
    self-injection locked (:mod:`.sil`: ``beta^2 / (1 + Delta_b^2)``).
    """
    ring = RingParams() if ring is None else ring
    if pump_frequency_hz is not None:
        Range(1e13, 1e16, "Hz", "pump frequency").check("pump_frequency_hz", pump_frequency_hz)
    nu_p = ring.pump_frequency_hz if pump_frequency_hz is None else float(pump_frequency_hz)
    args = {
        "pump_power_w": pump_power_w,
        "detuning_zeta": detuning_zeta,
        "mode_shift_kappa": mode_shift_kappa,
        "pump_linewidth_hz": pump_linewidth_hz,
        "sil_k": sil_k,
        "power_drift_per_12h": power_drift_per_12h,
        "n_modes": n_modes,
        "scan_rate": scan_rate,
        "seed": seed,
        "pump_mode_extra_loss": pump_mode_extra_loss,
    }
    for name, value in args.items():
        COMB_RANGES[name].check(name, value)
    f2 = ring.f2(pump_power_w)
    cfg = _lle_config(ring, n_modes, mode_shift_kappa, pump_mode_extra_loss, seed)
    res = LLESolver(cfg).steady_state(
        math.sqrt(f2),
        detuning_zeta,
        zeta_start=min(detuning_zeta, -2.0),
        scan_rate=scan_rate,
        max_settle=max_settle,
    )
    a = res.a
    power = bus_line_powers_w(ring, pump_power_w, a)
    mu = mode_numbers(n_modes)
    order = np.argsort(mu)
    k = mu[order]
    state, n_pulses = res.states[0]
    return CombResult(
        ring=ring,
        pump_power_w=pump_power_w,
        f2=f2,
        detuning_zeta=detuning_zeta,
        mode_shift_kappa=mode_shift_kappa,
        d2=cfg.d2,
        state=state,
        n_pulses=n_pulses,
        converged=bool(res.converged),
        k=k,
        frequency_hz=nu_p + k * ring.fsr_hz,
        power_w=power[order],
        intracavity_power=(np.abs(a) ** 2)[order],
        pump_linewidth_hz=pump_linewidth_hz,
        sil_k=sil_k,
        power_drift_per_12h=power_drift_per_12h,
        lle=res,
        pump_frequency_hz=pump_frequency_hz,
        pump_mode_extra_loss=float(pump_mode_extra_loss),
    )


#: Offsets of the map's pump powers from the operating point (dB) and its detunings (zeta_0).
MAP_POWER_DB = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
MAP_ZETAS = tuple(np.round(np.arange(2.0, 7.01, 0.5), 2))


@dataclass(frozen=True, eq=False)
class ExistenceMap:
    """States of the comb over pump power x detuning, at a fixed pumped-mode shift."""

    pump_power_w: NDArray[np.float64]  # (P,)
    zeta: NDArray[np.float64]  # (Z,)
    states: tuple[tuple[str, ...], ...]  # [P][Z]
    n_lines: NDArray[np.int64]  # (P, Z) lines within 30 dB
    point_power_w: float
    point_zeta: float
    mode_shift_kappa: float
    wall_s: float
    pump_mode_extra_loss: float = 0.0

    def _runs(self, axis_values, ok, at):
        """Contiguous run of ``ok`` containing index ``at`` -> (lo, hi) values, or None."""
        if not ok[at]:
            return None
        lo = hi = at
        while lo > 0 and ok[lo - 1]:
            lo -= 1
        while hi < len(ok) - 1 and ok[hi + 1]:
            hi += 1
        return lo, hi

    def margins(self, state: str = "dark_pulse") -> dict[str, Any]:
        """Region of ``state`` through the operating point along each axis, and the point's
        distance to its edges: pump in dB (to the last grid point still in the state), zeta_0."""
        ip = int(np.argmin(np.abs(self.pump_power_w - self.point_power_w)))
        iz = int(np.argmin(np.abs(self.zeta - self.point_zeta)))
        s = np.array(self.states)
        out: dict[str, Any] = {"state_at_point": str(s[ip, iz])}
        col = self._runs(self.pump_power_w, s[:, iz] == state, ip)
        row = self._runs(self.zeta, s[ip, :] == state, iz)
        db = 10.0 * np.log10(self.pump_power_w / self.point_power_w)
        if col is None or row is None:
            out.update(pump_mw=None, zeta0=None, margin_db=None, margin_zeta0=None)
            return out
        out["pump_mw"] = [
            float(self.pump_power_w[col[0]] * 1e3),
            float(self.pump_power_w[col[1]] * 1e3),
        ]
        out["zeta0"] = [float(self.zeta[row[0]]), float(self.zeta[row[1]])]
        out["margin_db"] = {
            "down": float(abs(db[col[0]])) if col[0] > 0 else None,
            "up": float(db[col[1]]) if col[1] < len(db) - 1 else None,
        }
        z_pt = self.zeta[iz]  # the grid's copy of the point (rounded to 1e-6 there)
        out["margin_zeta0"] = {
            "down": float(z_pt - self.zeta[row[0]]) if row[0] > 0 else None,
            "up": float(self.zeta[row[1]] - z_pt) if row[1] < len(self.zeta) - 1 else None,
        }
        out["grid_step_db"] = float(db[1] - db[0]) if len(db) > 1 else None
        out["grid_step_zeta0"] = float(self.zeta[1] - self.zeta[0]) if len(self.zeta) > 1 else None
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "pump_mw": [float(p * 1e3) for p in self.pump_power_w],
            "zeta0": [float(z) for z in self.zeta],
            "mode_shift_kappa": self.mode_shift_kappa,
            "pump_mode_extra_loss": self.pump_mode_extra_loss,
            "states": [list(r) for r in self.states],
            "n_lines_within_30db": self.n_lines.tolist(),
            "point": {"pump_mw": self.point_power_w * 1e3, "zeta0": self.point_zeta},
            "dark_pulse_region": self.margins("dark_pulse"),
            "wall_s": self.wall_s,
        }


def existence_map(
    ring: RingParams,
    pump_power_w: float,
    detuning_zeta: float,
    mode_shift_kappa: float,
    power_db: Iterable[float] = MAP_POWER_DB,
    zetas: Iterable[float] | None = None,
    n_modes: int = 64,
    scan_rate: float = 0.1,
    hold: float = 100.0,
    seed: int = 0,
    pump_mode_extra_loss: float = 0.0,
) -> ExistenceMap:
    """States over pump power (``pump_power_w`` x 10^(dB/10)) x detuning, one vectorised batch:
    every run is scanned from zeta = -2 to its detuning in the same normalised time (the
    slowest at ``scan_rate``), held for ``hold``, then classified from its field against a
    snapshot taken ``hold/10`` earlier (non-stationary -> chaos). The operating point's detuning
    is added to the grid. ``n_modes`` 64 resolves the dark pulse's ~30 lines (coarse, cheap).
    ``pump_mode_extra_loss``: as :func:`simulate_comb` (the SIL backscatter's loss of mode 0)."""
    import time

    t0 = time.perf_counter()
    COMB_RANGES["pump_power_w"].check("pump_power_w", pump_power_w)
    COMB_RANGES["detuning_zeta"].check("detuning_zeta", detuning_zeta)
    COMB_RANGES["mode_shift_kappa"].check("mode_shift_kappa", mode_shift_kappa)
    COMB_RANGES["pump_mode_extra_loss"].check("pump_mode_extra_loss", pump_mode_extra_loss)
    db = np.asarray(list(power_db), dtype=np.float64)
    z = np.asarray(MAP_ZETAS if zetas is None else list(zetas), dtype=np.float64)
    z = np.unique(np.round(np.append(z, detuning_zeta), 6))
    powers = pump_power_w * 10.0 ** (db / 10.0)
    for p in powers:
        COMB_RANGES["pump_power_w"].check("pump_power_w", float(p))
    f = np.sqrt([ring.f2(float(p)) for p in powers])[:, None] * np.ones((1, z.size))
    zeta = np.ones((powers.size, 1)) * z[None, :]
    sol = LLESolver(_lle_config(ring, n_modes, mode_shift_kappa, pump_mode_extra_loss, seed))
    sol._rng = np.random.default_rng(seed)
    a = sol.initial(f.shape)
    t_scan = (float(z.max()) + 2.0) / scan_rate
    a, *_ = sol.propagate(a, f, (np.full_like(zeta, -2.0), zeta), t_scan)
    a, *_ = sol.propagate(a, f, zeta, 0.9 * hold)
    prev = a.copy()
    a, *_ = sol.propagate(a, f, zeta, 0.1 * hold)
    states, lines = [], np.zeros(f.shape, dtype=np.int64)
    for i in range(f.shape[0]):
        row = []
        for j in range(f.shape[1]):
            st, _ = classify_state(a[i, j], prev[i, j], d2=ring.d2, stationary_rtol=1e-3)
            row.append(st)
            p = bus_line_powers_w(ring, float(powers[i]), a[i, j])
            pdb = 10.0 * np.log10(np.maximum(p, 1e-300))
            lines[i, j] = int((pdb >= pdb.max() - 30.0).sum())
        states.append(tuple(row))
    return ExistenceMap(
        pump_power_w=powers,
        zeta=z,
        states=tuple(states),
        n_lines=lines,
        point_power_w=float(pump_power_w),
        point_zeta=float(detuning_zeta),
        mode_shift_kappa=float(mode_shift_kappa),
        wall_s=time.perf_counter() - t0,
        pump_mode_extra_loss=float(pump_mode_extra_loss),
    )
