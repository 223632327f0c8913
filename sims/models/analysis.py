"""Figures derived from S-matrices: dense conversion, physics checks, resonance analysis.

Everything here reads S-parameters computed by sax; nothing is typed in. The resonance analysis
locates a dip of a through-port transmission, measures its full width at half depth on a zoomed
grid, and converts it to quality factors with the standard single-mode coupled-resonator
relations (Little et al., J. Lightwave Technol. 15, 998 (1997); Bogaerts et al., Laser Photonics
Rev. 6, 47 (2012)):

    Q_L = lambda_res / FWHM
    T_min = ((Q_ex - Q_i) / (Q_ex + Q_i))^2
    under-coupled (Q_ex > Q_i): Q_i = 2 Q_L / (1 + sqrt(T_min)),  Q_ex = 2 Q_L / (1 - sqrt(T_min))
    over-coupled  (Q_ex < Q_i): the two expressions swap.

The coupling regime is decided from the S-matrix phase, not assumed: across an over-coupled
resonance the through-port phase winds by 2 pi, across an under-coupled one it does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.constants import c as C_M_S  # speed of light in vacuum, m/s (CODATA)


def to_dense(sdict) -> tuple[np.ndarray, list[str]]:
    """SDict -> (S with shape (n_wl, m, m), port names); S[:, i, j] is from port j to port i."""
    ports = sorted({p for pair in sdict for p in pair}, key=_port_key)
    idx = {p: i for i, p in enumerate(ports)}
    first = np.asarray(next(iter(sdict.values())))
    n = first.size if first.ndim else 1
    S = np.zeros((n, len(ports), len(ports)), dtype=np.complex128)
    for (p_in, p_out), value in sdict.items():
        S[:, idx[p_out], idx[p_in]] = np.broadcast_to(np.asarray(value), (n,))
    return S, ports


def _port_key(p: str):
    head = p.rstrip("0123456789")
    tail = p[len(head) :]
    return (head, int(tail) if tail else -1)


def passivity_excess(S: np.ndarray) -> float:
    """max over wavelengths and input ports of (sum_i |S_ij|^2 - 1); <= 0 for a passive network."""
    return float((np.abs(S) ** 2).sum(axis=1).max() - 1.0)


def reciprocity_error(S: np.ndarray) -> float:
    """max |S_ij - S_ji|."""
    return float(np.abs(S - np.swapaxes(S, 1, 2)).max())


def unitarity_error(S: np.ndarray) -> float:
    """max |S^H S - I| (0 for a lossless network)."""
    eye = np.eye(S.shape[1])
    return float(np.abs(np.conj(np.swapaxes(S, 1, 2)) @ S - eye).max())


@dataclass(frozen=True)
class Resonance:
    wl_res_um: float
    fwhm_pm: float
    linewidth_mhz: float
    extinction_db: float
    t_min: float
    q_loaded: float
    q_intrinsic: float
    q_external: float
    over_coupled: bool


def measure_resonance(
    through: Callable[[np.ndarray], np.ndarray],
    wl_guess_um: float,
    fsr_um: float,
    points: int = 20001,
) -> Resonance:
    """Find the resonance nearest ``wl_guess_um`` in ``through(wl) -> complex S`` and measure it.

    Two passes: one FSR sampled with ``points`` points to locate the dip, then +-6 coarse
    steps (or +-10 FWHM) around it with ``points`` points to measure the FWHM at half depth
    (linear interpolation between samples) and the phase winding.
    """
    wl = np.linspace(wl_guess_um - fsr_um / 2, wl_guess_um + fsr_um / 2, points)
    t = np.abs(np.asarray(through(wl))) ** 2
    t_off = float(t.max())  # anti-resonance level: the baseline of the dip
    center = float(wl[int(np.argmin(t))])
    half = 6 * (wl[1] - wl[0])
    for _ in range(10):
        wz = np.linspace(center - half, center + half, points)
        sz = np.asarray(through(wz))
        tz = np.abs(sz) ** 2
        j = int(np.argmin(tz))
        center = float(wz[j])
        t_min = float(tz[j])
        level = (t_off + t_min) / 2
        below = np.nonzero(tz <= level)[0]
        if below[0] == 0 or below[-1] == len(tz) - 1:
            half *= 4  # window narrower than the resonance: widen
            continue
        lo = _cross(wz, tz, below[0] - 1, below[0], level)
        hi = _cross(wz, tz, below[-1], below[-1] + 1, level)
        fwhm = hi - lo
        if half > 12 * fwhm or below.size < 50:  # zoom for a finer measurement
            half = 10 * fwhm
            continue
        break
    else:
        raise RuntimeError("resonance not resolved: increase points")
    wl_res = float(wz[j])
    phase = np.unwrap(np.angle(sz))
    over = bool(abs(phase[-1] - phase[0]) > np.pi)
    q_l = wl_res / fwhm
    r = np.sqrt(t_min / t_off)
    # normalise the dip depth by the off-resonance transmission (coupler/waveguide loss)
    if over:
        q_i, q_ex = 2 * q_l / (1 - r), 2 * q_l / (1 + r)
    else:
        q_i, q_ex = 2 * q_l / (1 + r), 2 * q_l / (1 - r) if r < 1 else np.inf
    nu = C_M_S / (wl_res * 1e-6)
    return Resonance(
        wl_res_um=wl_res,
        fwhm_pm=fwhm * 1e6,
        linewidth_mhz=nu / q_l / 1e6,
        extinction_db=float(10 * np.log10(t_off / max(t_min, 1e-300))),
        t_min=t_min / t_off,
        q_loaded=float(q_l),
        q_intrinsic=float(q_i),
        q_external=float(q_ex),
        over_coupled=over,
    )


def _cross(x: np.ndarray, y: np.ndarray, i: int, j: int, level: float) -> float:
    if y[j] == y[i]:
        return float(x[i])
    return float(x[i] + (level - y[i]) * (x[j] - x[i]) / (y[j] - y[i]))


def fsr_from_resonances(
    through: Callable[[np.ndarray], np.ndarray], wl_guess_um: float, fsr_guess_um: float
) -> tuple[float, float]:
    """FSR (um, GHz) from two adjacent measured resonances around ``wl_guess_um``."""
    a = measure_resonance(through, wl_guess_um, fsr_guess_um)
    b = measure_resonance(through, a.wl_res_um + fsr_guess_um, fsr_guess_um)
    fsr_um = b.wl_res_um - a.wl_res_um
    fsr_ghz = C_M_S / (a.wl_res_um * 1e-6) - C_M_S / (b.wl_res_um * 1e-6)
    return fsr_um, fsr_ghz / 1e9
