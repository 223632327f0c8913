"""Mode data of the Si3N4 core: effective index, group index, GVD and coupler strength.

Reads the tables that ``pdk/sin/modesolver.py`` computed with femwell (full-vectorial FEM; method,
materials, mesh and convergence in each file's header) and stored in ``pdk/sin/data``:

* ``sin_te0_neff.csv``: TE0 n_eff of one 100 nm thick core in SiO2 on a width x wavelength grid;
* ``sin_coupler_supermodes.csv``: even/odd TE supermodes of two identical parallel cores on a
  width x gap x wavelength grid;
* ``sin_te0_kerr.csv``: TE0 nonlinear effective area A_eff and the core's share f2 of the field
  energy and f4 of the Kerr overlap, vs width at the design wavelength.

Derived quantities (wavelength ``wl`` in vacuum):

    n_g   = n_eff - wl dn_eff/dwl                           (group index)
    beta2 = wl^3 / (2 pi c^2) d^2 n_eff / dwl^2             (GVD; > 0: normal dispersion)
    kappa = pi (n_even - n_odd) / wl                        (field coupling per unit length)
    A_eff = (int |E_t|^2)^2 / int |E_t|^4;  n2_eff = f4 n2_core + (1 - f4) n2_clad

n_eff(wl) is fitted per width by a degree-4 polynomial over the table's wavelengths (residual in
:func:`dispersion_fit_rms`); widths are interpolated by a cubic spline. ln kappa is interpolated
by bicubic splines in (width, gap) and exactly (quadratic) through the three table wavelengths.
Every input is range-checked against the table: outside it raises ``ValueError``; no
extrapolation. numpy/scipy only (no femwell, no gdsfactory).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.constants import speed_of_light

from qkdchip.pdk.sin.layers import CORE_WIDTH_UM
from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM

DATA_DIR = Path(__file__).resolve().parent / "data"
DISPERSION_FILE = DATA_DIR / "sin_te0_neff.csv"
COUPLER_FILE = DATA_DIR / "sin_coupler_supermodes.csv"
KERR_FILE = DATA_DIR / "sin_te0_kerr.csv"

#: Degree of the per-width polynomial fit of n_eff(wl).
FIT_DEGREE = 4

Float = float | NDArray[np.float64]


def _check(name: str, value: ArrayLike, lo: float, hi: float, unit: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a number in [{lo}, {hi}] {unit}") from None
    # the table grid is stored to 1e-3 um: accept rounding noise of a float at the edges
    tol = 1e-9
    if (
        arr.size == 0
        or not np.all(np.isfinite(arr))
        or arr.min() < lo - tol
        or arr.max() > hi + tol
    ):
        raise ValueError(
            f"{name}={value!r} {unit} is out of range of the mode table: allowed [{lo}, {hi}] {unit}"
        )
    return np.clip(arr, lo, hi)


def _out(x: NDArray[np.float64]) -> Float:
    return float(x) if np.ndim(x) == 0 else x


@dataclass(frozen=True)
class _Dispersion:
    widths_um: NDArray[np.float64]
    wls_um: NDArray[np.float64]
    n_eff: NDArray[np.float64]  # (n_widths, n_wls)
    wl_center_um: float
    coef: NDArray[np.float64]  # (n_widths, FIT_DEGREE + 1), increasing powers of (wl - center)
    rms: float  # rms residual of the polynomial fits

    @functools.cached_property
    def spline(self) -> Any:
        """Cubic spline over width of the polynomial coefficients (vector valued)."""
        from scipy.interpolate import CubicSpline

        return CubicSpline(self.widths_um, self.coef, axis=0)


@functools.cache
def _dispersion() -> _Dispersion:
    raw = np.loadtxt(DISPERSION_FILE, delimiter=",", comments="#", ndmin=2)
    widths, wls = np.unique(raw[:, 0]), np.unique(raw[:, 1])
    if raw.shape[0] != widths.size * wls.size:
        raise RuntimeError(f"{DISPERSION_FILE.name}: not a full width x wavelength grid")
    order = np.lexsort((raw[:, 1], raw[:, 0]))
    n = raw[order, 2].reshape(widths.size, wls.size)
    center = float(np.round(0.5 * (wls[0] + wls[-1]), 6))
    vander = np.vander(wls - center, FIT_DEGREE + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(vander, n.T, rcond=None)
    rms = float(np.sqrt(np.mean((vander @ coef - n.T) ** 2)))
    return _Dispersion(widths, wls, n, center, coef.T.copy(), rms)


def width_range_um() -> tuple[float, float]:
    """Core widths covered by the dispersion table (um)."""
    d = _dispersion()
    return float(d.widths_um[0]), float(d.widths_um[-1])


def wavelength_range_um() -> tuple[float, float]:
    """Vacuum wavelengths covered by the dispersion table (um)."""
    d = _dispersion()
    return float(d.wls_um[0]), float(d.wls_um[-1])


def dispersion_fit_rms() -> float:
    """Rms residual of the per-width polynomial fits of n_eff(wl) to the stored solutions."""
    return _dispersion().rms


def table_n_eff() -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The stored solutions: (widths_um, wls_um, n_eff[width, wl])."""
    d = _dispersion()
    return d.widths_um.copy(), d.wls_um.copy(), d.n_eff.copy()


def _derivs(wl_um: ArrayLike, width_um: ArrayLike) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """n_eff, dn/dwl [1/um], d2n/dwl2 [1/um^2] and the wavelength array (broadcast)."""
    d = _dispersion()
    wl = _check("wl_um", wl_um, float(d.wls_um[0]), float(d.wls_um[-1]), "um")
    w = _check("width_um", width_um, float(d.widths_um[0]), float(d.widths_um[-1]), "um")
    wl, w = np.broadcast_arrays(wl, w)
    c = d.spline(w)  # (..., deg+1)
    x = wl - d.wl_center_um
    k = np.arange(FIT_DEGREE + 1)
    n = np.sum(c * x[..., None] ** k, axis=-1)
    d1 = np.sum(c[..., 1:] * k[1:] * x[..., None] ** (k[1:] - 1), axis=-1)
    d2 = np.sum(c[..., 2:] * (k[2:] * (k[2:] - 1)) * x[..., None] ** (k[2:] - 2), axis=-1)
    return n, d1, d2, wl


def n_eff(wl_um: ArrayLike, width_um: ArrayLike = CORE_WIDTH_UM) -> Float:
    """TE0 effective index at vacuum wavelength ``wl_um`` of a core ``width_um`` wide."""
    n, _, _, _ = _derivs(wl_um, width_um)
    return _out(n)


def group_index(
    width_um: ArrayLike = CORE_WIDTH_UM, wl_um: ArrayLike = DESIGN_WAVELENGTH_UM
) -> Float:
    """TE0 group index n_g = n_eff - wl dn_eff/dwl (material + waveguide dispersion)."""
    n, d1, _, wl = _derivs(wl_um, width_um)
    return _out(n - wl * d1)


def beta2_ps2_per_km(
    width_um: ArrayLike = CORE_WIDTH_UM, wl_um: ArrayLike = DESIGN_WAVELENGTH_UM
) -> Float:
    """TE0 group-velocity dispersion beta2 = wl^3/(2 pi c^2) d^2n/dwl^2 in ps^2/km (>0: normal)."""
    _, _, d2, wl = _derivs(wl_um, width_um)
    wl_m = wl * 1e-6
    d2_per_m2 = d2 * 1e12
    beta2_s2_per_m = wl_m**3 / (2 * np.pi * speed_of_light**2) * d2_per_m2
    return _out(beta2_s2_per_m * 1e27)  # s^2/m -> ps^2/km


# --------------------------------------------------------------------------------------------
# coupler (two identical parallel cores)


@dataclass(frozen=True)
class _Coupler:
    widths_um: NDArray[np.float64]
    gaps_um: NDArray[np.float64]
    wls_um: NDArray[np.float64]
    kappa: NDArray[np.float64]  # (n_widths, n_gaps, n_wls), 1/um

    @functools.cached_property
    def splines(self) -> tuple[Any, Any, Any]:
        """Bicubic splines (width, gap) of a0, a1, a2 in ln kappa = a0 + a1 x + a2 x^2,
        x = wl - the middle table wavelength (exact quadratic through the three wavelengths)."""
        from scipy.interpolate import RectBivariateSpline

        x = self.wls_um - self.wls_um[1]
        vander = np.vander(x, 3, increasing=True)  # exact quadratic through 3 wavelengths
        a = np.linalg.solve(vander, np.moveaxis(np.log(self.kappa), -1, 0).reshape(3, -1))
        a = a.reshape(3, self.widths_um.size, self.gaps_um.size)
        return tuple(RectBivariateSpline(self.widths_um, self.gaps_um, ai, kx=3, ky=3) for ai in a)


@functools.cache
def _coupler() -> _Coupler:
    raw = np.loadtxt(COUPLER_FILE, delimiter=",", comments="#", ndmin=2)
    widths, gaps, wls = (np.unique(raw[:, i]) for i in range(3))
    if raw.shape[0] != widths.size * gaps.size * wls.size or wls.size != 3:
        raise RuntimeError(f"{COUPLER_FILE.name}: not a full width x gap x 3-wavelength grid")
    order = np.lexsort((raw[:, 2], raw[:, 1], raw[:, 0]))
    r = raw[order]
    kappa = np.pi * (r[:, 3] - r[:, 4]) / r[:, 2]
    if np.any(kappa <= 0):
        raise RuntimeError(f"{COUPLER_FILE.name}: n_even <= n_odd somewhere")
    return _Coupler(widths, gaps, wls, kappa.reshape(widths.size, gaps.size, wls.size))


def gap_range_um() -> tuple[float, float]:
    """Coupler gaps (edge to edge) covered by the supermode table (um)."""
    c = _coupler()
    return float(c.gaps_um[0]), float(c.gaps_um[-1])


def coupler_width_range_um() -> tuple[float, float]:
    """Core widths covered by the supermode table (um)."""
    c = _coupler()
    return float(c.widths_um[0]), float(c.widths_um[-1])


def table_kappa() -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """The stored coupler solutions: (widths_um, gaps_um, wls_um, kappa[width, gap, wl] in 1/um)."""
    c = _coupler()
    return c.widths_um.copy(), c.gaps_um.copy(), c.wls_um.copy(), c.kappa.copy()


def _ln_kappa(gap_um: ArrayLike, width_um: ArrayLike, wl_um: ArrayLike, dgap: int = 0) -> NDArray:
    c = _coupler()
    g = _check("gap_um", gap_um, float(c.gaps_um[0]), float(c.gaps_um[-1]), "um")
    w = _check("width_um", width_um, float(c.widths_um[0]), float(c.widths_um[-1]), "um")
    wl = _check("wl_um", wl_um, float(c.wls_um[0]), float(c.wls_um[-1]), "um")
    g, w, wl = np.broadcast_arrays(g, w, wl)
    x = wl - c.wls_um[1]
    return sum(s.ev(w, g, dy=dgap) * x**i for i, s in enumerate(c.splines))


def coupling_per_um(
    gap_um: ArrayLike, width_um: ArrayLike = CORE_WIDTH_UM, wl_um: ArrayLike = DESIGN_WAVELENGTH_UM
) -> Float:
    """Field coupling coefficient kappa = pi (n_even - n_odd)/wl (1/um) of two parallel cores
    ``width_um`` wide, ``gap_um`` apart (edge to edge)."""
    return _out(np.exp(_ln_kappa(gap_um, width_um, wl_um)))


def coupling_decay_per_um(
    gap_um: ArrayLike, width_um: ArrayLike = CORE_WIDTH_UM, wl_um: ArrayLike = DESIGN_WAVELENGTH_UM
) -> Float:
    """Local decay rate gamma = -d ln(kappa)/d gap (1/um); kappa ~ exp(-gamma gap) near ``gap_um``."""
    return _out(-_ln_kappa(gap_um, width_um, wl_um, dgap=1))


def coupling_fit(
    width_um: float = CORE_WIDTH_UM, wl_um: float = DESIGN_WAVELENGTH_UM
) -> tuple[float, float]:
    """Least-squares fit kappa(g) = kappa0 exp(-gamma g) over the table's gaps: (kappa0 [1/um],
    gamma [1/um]) at one width and wavelength."""
    c = _coupler()
    gaps = c.gaps_um
    ln_k = _ln_kappa(gaps, width_um, wl_um)
    slope, intercept = np.polyfit(gaps, ln_k, 1)
    return float(np.exp(intercept)), float(-slope)


# --------------------------------------------------------------------------------------------
# Kerr figures (design wavelength)


@functools.cache
def _kerr() -> tuple[float, NDArray[np.float64], Any]:
    """(wl, widths, cubic spline of [a_eff, f2, f4] over width) from the Kerr table."""
    from scipy.interpolate import CubicSpline

    raw = np.loadtxt(KERR_FILE, delimiter=",", comments="#", ndmin=2)
    raw = raw[np.argsort(raw[:, 0])]
    wl = np.unique(raw[:, 1])
    if wl.size != 1:
        raise RuntimeError(f"{KERR_FILE.name}: expected one wavelength, got {wl}")
    return float(wl[0]), raw[:, 0], CubicSpline(raw[:, 0], raw[:, 2:5], axis=0)


def _kerr_at(width_um: ArrayLike) -> NDArray[np.float64]:
    _, widths, spline = _kerr()
    w = _check("width_um", width_um, float(widths[0]), float(widths[-1]), "um")
    return spline(w)


def effective_area_um2(width_um: ArrayLike = CORE_WIDTH_UM) -> Float:
    """TE0 nonlinear effective area A_eff (um^2) at the design wavelength."""
    return _out(_kerr_at(width_um)[..., 0])


def core_fraction(width_um: ArrayLike = CORE_WIDTH_UM) -> Float:
    """Share f2 of the TE0 field energy (int |E_t|^2) inside the Si3N4 core."""
    return _out(_kerr_at(width_um)[..., 1])


def kerr_core_fraction(width_um: ArrayLike = CORE_WIDTH_UM) -> Float:
    """Share f4 of the Kerr overlap (int |E_t|^4) inside the core: n2_eff = f4 n2_Si3N4 +
    (1 - f4) n2_SiO2 over the area :func:`effective_area_um2`."""
    return _out(_kerr_at(width_um)[..., 2])


def table_kerr() -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """The stored Kerr figures: (wl_um, widths_um, [a_eff_um2, f2, f4] per width)."""
    wl, widths, spline = _kerr()
    return wl, widths.copy(), spline(widths)
