"""Si3N4 mode tables (femwell) and their loader: stored numbers, derived figures, physics."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import speed_of_light

from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM
from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM, n_si3n4, n_sio2

WL0 = DESIGN_WAVELENGTH_UM


def test_sellmeier_against_published_indices():
    # Malitson 1965: fused silica n = 1.4440 at 1.55 um; Luke 2015: Si3N4 n = 1.996 at 1.55 um
    assert n_sio2(1.55) == pytest.approx(1.44402, abs=2e-5)
    assert n_si3n4(1.55) == pytest.approx(1.9963, abs=2e-4)
    with pytest.raises(ValueError, match="wl_um"):
        n_sio2(5.0)


def test_loader_reproduces_the_stored_solutions():
    widths, wls, table = modes.table_n_eff()
    assert table.shape == (widths.size, wls.size)
    fitted = modes.n_eff(wls[None, :], widths[:, None])
    assert np.max(np.abs(fitted - table)) < 5e-7
    assert modes.dispersion_fit_rms() < 2e-7
    # one stored number, read back as a scalar
    i, j = int(np.argmin(abs(widths - 2.8))), int(np.argmin(abs(wls - 1.55)))
    assert modes.n_eff(1.55, 2.8) == pytest.approx(table[i, j], abs=5e-7)
    assert isinstance(modes.n_eff(1.55, 2.8), float)


def test_design_point_figures():
    n = modes.n_eff(WL0, CORE_WIDTH_UM)
    ng = modes.group_index(CORE_WIDTH_UM)
    b2 = modes.beta2_ps2_per_km(CORE_WIDTH_UM)
    # a weakly guided mode: just above the cladding index, far below the core index
    assert n_sio2(WL0) < n < n_sio2(WL0) + 0.05
    assert ng > n
    assert 1.55 < ng < 1.65
    assert b2 > 300  # strongly normal dispersion (waveguide dispersion of the thin core)


def test_group_index_and_beta2_match_finite_differences_of_n_eff():
    h = 0.002
    for w in (1.6, 2.8, 4.0):
        n_m, n_0, n_p = (modes.n_eff(WL0 + k * h, w) for k in (-1, 0, 1))
        ng_fd = n_0 - WL0 * (n_p - n_m) / (2 * h)
        assert modes.group_index(w) == pytest.approx(ng_fd, abs=2e-5)
        d2 = (n_p - 2 * n_0 + n_m) / h**2 * 1e12  # 1/m^2
        b2_fd = (WL0 * 1e-6) ** 3 / (2 * math.pi * speed_of_light**2) * d2 * 1e27
        assert modes.beta2_ps2_per_km(w) == pytest.approx(b2_fd, rel=0.02)


def test_dispersion_physics_across_the_table():
    widths = np.linspace(*modes.width_range_um(), 13)
    wls = np.linspace(*modes.wavelength_range_um(), 5)
    n = modes.n_eff(wls[:, None], widths[None, :])
    ng = modes.group_index(widths[None, :], wls[:, None])
    b2 = modes.beta2_ps2_per_km(widths[None, :], wls[:, None])
    assert np.all(np.diff(n, axis=1) > 0)  # wider core: more confinement
    assert np.all(np.diff(n, axis=0) < 0)  # longer wavelength: weaker guidance
    assert np.all(ng > n)
    assert np.all(b2 > 0)  # normal dispersion everywhere: dark-pulse regime


def test_coupler_kappa_physics():
    widths, gaps, wls, kappa = modes.table_kappa()
    assert np.all(kappa > 0)
    assert np.all(np.diff(kappa, axis=1) < 0)  # decreasing with gap
    assert np.all(np.diff(kappa, axis=2) > 0)  # longer tails at longer wavelength
    assert np.all(np.diff(kappa, axis=0) < 0)  # wider core: tighter mode, weaker coupling
    # the interpolation passes through the stored solutions
    for i, w in enumerate(widths):
        for k, wl in enumerate(wls):
            got = modes.coupling_per_um(gaps, w, wl)
            np.testing.assert_allclose(got, kappa[i, :, k], rtol=1e-9)


def test_coupler_decay_against_the_evanescent_decay_constant():
    # Two weakly coupled guides: kappa ~ exp(-gamma g) with gamma close to the lateral field decay
    # constant k0 sqrt(n_eff^2 - n_clad^2) of one guide (Marcuse, slab approximation).
    kappa0, gamma = modes.coupling_fit(CORE_WIDTH_UM, WL0)
    k0 = 2 * math.pi / WL0
    gamma_slab = k0 * math.sqrt(modes.n_eff(WL0, CORE_WIDTH_UM) ** 2 - n_sio2(WL0) ** 2)
    assert gamma == pytest.approx(gamma_slab, rel=0.25)
    assert modes.coupling_decay_per_um(2.3) == pytest.approx(gamma, rel=0.1)
    # the fit is a good description over the whole table
    gaps = np.linspace(*modes.gap_range_um(), 7)
    fit = kappa0 * np.exp(-gamma * gaps)
    np.testing.assert_allclose(modes.coupling_per_um(gaps), fit, rtol=0.1)


def test_kerr_table():
    wl, widths, figs = modes.table_kerr()
    assert wl == pytest.approx(WL0)
    a_eff, f2, f4 = figs.T
    raw = np.loadtxt(modes.KERR_FILE, delimiter=",", comments="#")
    np.testing.assert_allclose(figs, raw[:, 2:5], rtol=1e-12)
    assert modes.effective_area_um2(2.8) == pytest.approx(raw[raw[:, 0] == 2.8][0, 2])
    # a weakly confined mode: most of the field in the oxide; the Kerr overlap (|E|^4) weights
    # the core more than the energy does; wider cores hold more of the mode
    assert np.all((f2 > 0.05) & (f2 < 0.2)) and np.all(f4 > f2) and np.all(f4 < 0.5)
    assert np.all(np.diff(f2) > 0) and np.all(np.diff(f4) > 0)
    # the area is larger than the core cross-section and of the order of the mode's extent
    assert np.all(a_eff > 10 * widths * 0.1) and np.all(a_eff < 20)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: modes.n_eff(1.7, 2.8), "wl_um"),
        (lambda: modes.n_eff(1.55, 5.0), "width_um"),
        (lambda: modes.group_index(1.0), "width_um"),
        (lambda: modes.beta2_ps2_per_km(2.8, float("nan")), "wl_um"),
        (lambda: modes.coupling_per_um(0.5), "gap_um"),
        (lambda: modes.coupling_per_um(2.0, 2.8, 1.45), "wl_um"),
        (lambda: modes.coupling_decay_per_um(2.0, "wide"), "width_um"),
        (lambda: modes.effective_area_um2(1.0), "width_um"),
        (lambda: modes.kerr_core_fraction(4.5), "width_um"),
    ],
)
def test_out_of_table_raises_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_modesolver_script_reads_the_core_width_from_its_home():
    """Run as a script in the femwell environment (no qkdchip installed), the mode solver reads
    its design point from ``layers.CORE_WIDTH_UM`` too, not from a copy."""
    code = (
        "import sys; sys.modules['qkdchip'] = None; sys.path.insert(0, sys.argv[1]);"
        "import modesolver; assert modesolver.process.__name__ == 'process';"
        "print(modesolver.CORE_WIDTH_UM, modesolver.run_convergence.__defaults__[0])"
    )
    folder = str(Path(modes.__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", code, folder], capture_output=True, text=True, check=True
    )
    assert [float(v) for v in out.stdout.split()] == [CORE_WIDTH_UM, CORE_WIDTH_UM]
