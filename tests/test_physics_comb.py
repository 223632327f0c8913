"""Comb lines at the bus output: reference dark pulse, pass-through of FSR/D2, scaling laws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qkdchip.base.params import defaults_of
from qkdchip.sims.physics.comb import bus_line_powers_w, simulate_comb
from qkdchip.sims.physics.constants import C_BAND_HZ, C_M_PER_S
from qkdchip.sims.physics.lle import cw_states
from qkdchip.sims.physics.ring import RingParams


@pytest.fixture(scope="module")
def comb():
    return simulate_comb()


def test_reference_comb_is_a_dark_pulse_with_about_30_lines(comb) -> None:
    assert comb.state == "dark_pulse" and comb.n_pulses == 1 and comb.converged
    # zeta_0 = 4.0 (the middle of the dark-pulse interval at 50 mW, >= 1 dB pump margin): the
    # existence map (comb --map) gives 23 lines within 30 dB there (27 at the old 5.0, its edge)
    assert 21 <= comb.n_lines_within(30.0) <= 25
    # the spectrum of a single stationary pulse is symmetric about the pump (mode shift at mu=0)
    ks = comb.k[comb.within_db(30.0)]
    assert ks.min() == -ks.max()
    plus = [comb.line(k).power_dbm for k in ks]
    minus = [comb.line(-k).power_dbm for k in ks]
    np.testing.assert_allclose(plus, minus, atol=0.05)
    # the pump line is the strongest; comb lines carry a sizeable share of the pump power
    assert comb.power_w.argmax() == comb.index_of(0)
    assert 0.05 < comb.conversion_efficiency < 1.0
    # power conservation: out <= in (intrinsic loss absorbs the rest)
    assert comb.power_w.sum() < comb.pump_power_w


def test_fsr_and_d2_pass_through_unchanged(comb) -> None:
    ring = comb.ring
    assert comb.fsr_hz == ring.fsr_hz
    assert comb.d2 == ring.d2
    np.testing.assert_allclose(np.diff(comb.frequency_hz), ring.fsr_hz, rtol=0, atol=1e-3)
    assert comb.nu0_hz == pytest.approx(C_M_PER_S / 1549.78e-9, rel=1e-15)
    assert comb.line(0).wavelength_nm == pytest.approx(1549.78, abs=1e-9)
    zeta0 = defaults_of(simulate_comb)["detuning_zeta"]
    assert comb.detuning_hz == pytest.approx(zeta0 * ring.kappa / (4 * math.pi))
    assert comb.resonance_hz == pytest.approx(comb.nu0_hz + comb.detuning_hz, rel=1e-15)


def test_line_linewidth_drift_and_usable_lines(comb) -> None:
    assert comb.line_linewidth_hz == pytest.approx(2e6 / 224**2)
    assert 35 < comb.line_linewidth_hz < 45  # published ~40 Hz
    lo, hi = comb.power_bounds_w(12.0)
    np.testing.assert_allclose(hi / comb.power_w, 1.006)
    np.testing.assert_allclose(lo / comb.power_w, 0.994)
    usable = comb.usable()
    assert usable.sum() == comb.n_lines_within(30.0)  # all of them are in the C band
    assert np.all(
        (comb.frequency_hz[usable] > C_BAND_HZ[0]) & (comb.frequency_hz[usable] < C_BAND_HZ[1])
    )
    assert comb.usable(floor_dbm=0.0).sum() < usable.sum()
    d = comb.to_dict()
    assert {"fsr_ghz", "lambda0_nm", "state", "lines"} <= d.keys()
    assert d["lines"][0].keys() == {"k", "frequency_thz", "power_dbm"}
    assert len(d["lines"]) == comb.n_lines_within(30.0)


def test_through_port_matches_the_cw_closed_form() -> None:
    """Below threshold, no comb: P_out/P_in = ((1-2 eta)^2 + (zeta-rho)^2) / (1 + (zeta-rho)^2)."""
    ring = RingParams(kappa2=1.5e-3)  # under-coupled: 1 - 2 eta != 0
    p_in, zeta = 0.5 * ring.threshold_power_w, 1.0
    c = simulate_comb(ring, p_in, zeta, mode_shift_kappa=0.0, n_modes=32)
    assert c.state == "cw"
    (cw,) = cw_states(math.sqrt(ring.f2(p_in)), zeta)
    x = (zeta - cw.rho) ** 2
    expected = ((1 - 2 * ring.eta) ** 2 + x) / (1 + x)
    # O(h^2) split-step fixed-point error (see test_physics_lle)
    assert c.line(0).power_w / p_in == pytest.approx(expected, rel=1e-3)
    # and in the linear limit the Lorentzian dip ((k_i - k_ex)^2 + 4 D^2) / (k^2 + 4 D^2)
    a = np.zeros(32, complex)
    f = math.sqrt(ring.f2(1e-4))
    a[0] = f / (1 + 1j * zeta)
    delta = zeta * ring.kappa / 2
    lorentz = ((ring.kappa_i - ring.kappa_ex) ** 2 + 4 * delta**2) / (ring.kappa**2 + 4 * delta**2)
    assert bus_line_powers_w(ring, 1e-4, a)[0] / 1e-4 == pytest.approx(lorentz, rel=1e-12)


def _same_normalised_problem(base: RingParams, changed: RingParams):
    """Pump both rings at the same f^2 and adjust beta2 so that d2 is the same: the normalised
    LLE is then identical and the physical line powers must scale by eta^2 P_th."""
    f2 = 4.05
    changed = changed.with_(beta2_s2_per_m=base.beta2_s2_per_m * base.d2 / changed.d2)
    assert changed.d2 == pytest.approx(base.d2, rel=1e-12)
    kw = {"detuning_zeta": 4.5, "n_modes": 64}
    c0 = simulate_comb(base, f2 * base.threshold_power_w, **kw)
    c1 = simulate_comb(changed, f2 * changed.threshold_power_w, **kw)
    return c0, c1


def test_coupling_change_scales_line_powers_as_eta2_pth() -> None:
    base = RingParams()
    over = base.with_(kappa2=2 * base.kappa2)
    c0, c1 = _same_normalised_problem(base, over)
    assert c0.state == c1.state == "dark_pulse"
    sel = (c0.k != 0) & c0.within_db(30.0)
    expected = over.eta**2 * over.threshold_power_w / (base.eta**2 * base.threshold_power_w)
    assert expected != pytest.approx(1.0, abs=0.05)
    np.testing.assert_allclose(c1.power_w[sel] / c0.power_w[sel], expected, rtol=2e-3)
    np.testing.assert_allclose(c1.frequency_hz, c0.frequency_hz)  # FSR unchanged


@pytest.mark.slow
def test_radius_change_moves_frequencies_and_powers() -> None:
    base = RingParams()
    big = RingParams.from_radius(1.2 * base.length_m / (2 * math.pi), kappa2=1.2 * base.kappa2)
    c0, c1 = _same_normalised_problem(base, big)
    assert c1.fsr_hz == pytest.approx(base.fsr_hz / 1.2)
    np.testing.assert_allclose(c1.frequency_hz - c1.nu0_hz, (c0.frequency_hz - c0.nu0_hz) / 1.2)
    sel = (c0.k != 0) & c0.within_db(30.0)
    # same kappa, P_th ~ V_eff ~ L: lines 1.2x stronger (photon-energy ratio differs by ~1e-5)
    np.testing.assert_allclose(c1.power_w[sel] / c0.power_w[sel], 1.2, rtol=2e-3)


def test_physical_detuning_change_alters_the_comb() -> None:
    """Without the d2/f^2 compensation a 2x coupling changes threshold, f^2 and the comb."""
    base = simulate_comb(n_modes=64, detuning_zeta=4.5)
    over = simulate_comb(
        RingParams().with_(kappa2=2 * RingParams().kappa2), n_modes=64, detuning_zeta=4.5
    )
    assert over.ring.threshold_power_w > base.ring.threshold_power_w
    assert over.f2 < base.f2
    assert not np.allclose(over.power_w, base.power_w, rtol=0.05)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"pump_power_w": -1.0}, "pump_power_w"),
        ({"detuning_zeta": float("nan")}, "detuning_zeta"),
        ({"mode_shift_kappa": -10.5}, "mode_shift_kappa"),
        ({"sil_k": 0.0}, "sil_k"),
        ({"n_modes": 8}, "n_modes"),
        ({"power_drift_per_12h": 2.0}, "power_drift_per_12h"),
    ],
)
def test_bad_input_raises(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        simulate_comb(**kwargs)


def test_line_lookup_out_of_range(comb) -> None:
    with pytest.raises(ValueError, match="k=9999"):
        comb.line(9999)


def test_map_margins_count_from_the_grid_copy_of_an_off_grid_point() -> None:
    """An operating point off the 0.5 grid (a SIL lock point, zeta_0 3.1869674813) is added to
    the grid rounded to 1e-6; the margin to the grid's next point is measured from that copy, so
    a point on the region's edge has margin 0, not -5e-7."""
    import numpy as np

    from qkdchip.sims.physics.comb import ExistenceMap

    z = np.array([2.5, 3.0, 3.186967, 3.5])
    states = (("dark_pulse", "dark_pulse", "dark_pulse", "cw"),)
    m = ExistenceMap(
        pump_power_w=np.array([0.05]),
        zeta=z,
        states=states,
        n_lines=np.zeros((1, 4), dtype=np.int64),
        point_power_w=0.05,
        point_zeta=3.1869674813,
        mode_shift_kappa=0.83,
        wall_s=0.0,
        pump_mode_extra_loss=0.87,
    ).margins()
    assert m["margin_zeta0"] == {"down": None, "up": 0.0}
    assert m["zeta0"] == [2.5, 3.186967]
