"""The comb's operating point from the layout: heater, self-injection locking, existence map,
CW as a state, and the integrator's energy balance at steady state.

Fast: closed forms (SIL locking range and stabilisation, heater tuning, 45-degree spreading
integral), the energy balance of the default comb. Slow: the S-matrix at the reported heater
power, the CLI on the default and on a CW design, the map's margin.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.integrate import quad
from typer.testing import CliRunner

from qkdchip.cli import app
from qkdchip.sims.physics import sil, thermal
from qkdchip.sims.physics.comb import simulate_comb
from qkdchip.sims.physics.constants import NU0_HZ
from qkdchip.sims.physics.injection import SlaveLaser
from qkdchip.sims.physics.lle import mode_numbers

runner = CliRunner()


# --------------------------------------------------------------------------- SIL
@pytest.mark.parametrize("beta", [0.05, 0.3])
def test_sil_locking_range_and_stabilisation_match_the_closed_form(beta: float) -> None:
    """Cold ring, psi = 3 pi/2, exact in beta: xi = zeta + K_fb Re r, r = 2 i eta beta /
    ((1 + i zeta)^2 + beta^2): K(0) = 1 + A/(1 + beta^2)^2 (A = 4 eta beta K_fb); the range is
    the extent of xi between its folds (found here by scipy on the closed form)."""
    from scipy.optimize import minimize_scalar

    laser = SlaveLaser()
    kappa, eta = 1.49e8, 0.5
    psi_path = 1.5 * math.pi - math.atan(laser.alpha_h)
    s = sil.self_injection_lock(kappa, eta, 0.0, beta, 0.0, 0.8, psi_path, laser=laser)
    k_fb = 2 * laser.coupling_rate * math.sqrt(1 + laser.alpha_h**2) * 0.8 / kappa
    assert s.k_fb == pytest.approx(k_fb, rel=1e-12)
    a = 4 * eta * beta * k_fb
    assert s.locked and s.detuning_zeta == pytest.approx(0.0, abs=1e-9)
    assert s.stabilization_k == pytest.approx(1 + a / (1 + beta**2) ** 2, rel=1e-3)

    def xi(z: float) -> float:
        return z + k_fb * (2j * eta * beta / ((1 + 1j * z) ** 2 + beta**2)).real

    hi = minimize_scalar(lambda z: -xi(z), bounds=(0.0, 3.0), method="bounded").fun
    lo = minimize_scalar(xi, bounds=(-3.0, 0.0), method="bounded").fun
    assert s.locking_range_zeta == pytest.approx(-hi - lo, rel=2e-3)
    assert s.locking_range_hz == pytest.approx(s.locking_range_zeta * kappa / (4 * math.pi))
    # the anti-stabilising phase (psi = pi/2) repels the laser from the resonance: scanned from
    # the blue it is held on the resonance's blue flank (|zeta| > 1/sqrt 3), never at zeta 0
    anti = sil.self_injection_lock(kappa, eta, 0.0, beta, 0.0, 0.8, psi_path - math.pi)
    assert anti.detuning_zeta < -1 / math.sqrt(3)


def test_cold_split_resonances_sit_at_plus_minus_beta() -> None:
    """|r| = 2 eta beta / |(1 + i zeta)^2 + beta^2| peaks at zeta = +-sqrt(beta^2 - 1)
    (~ +-beta: the doublet of splitting beta kappa), the weak (forward) mode's two supermodes."""
    beta, eta = 3.0, 0.5
    z = np.linspace(-8.0, 8.0, 16001)
    r = 2j * eta * beta / ((1 + 1j * z) ** 2 + beta**2)
    r_model = sil._tuning(z, 0.0, eta, beta, 1.0, 0.0)[-1]
    np.testing.assert_allclose(r_model, r, rtol=1e-12)
    peaks = z[np.argsort(-np.abs(r_model))[:2]]
    np.testing.assert_allclose(np.sort(peaks), [-math.sqrt(8.0), math.sqrt(8.0)], atol=2e-3)


@pytest.mark.parametrize("psi, mode, sign", [(0.0, "symmetric", 1), (math.pi, "antisymmetric", -1)])
def test_strong_backscatter_phase_picks_the_supermode_and_the_shift_sign(psi, mode, sign) -> None:
    """beta = 20 >> 1, cold: psi = 0 locks the laser (scanned from the blue) to the symmetric
    (red, zeta = +beta) supermode with a red pumped-mode shift, psi = pi to the antisymmetric
    (blue) one with a blue shift. Near the supermode r = +-eta/(1 + i delta), so the locking range
    is that of xi = delta + A delta/(1 + delta^2), A = K_fb eta (folds found by scipy), -> A for
    A >> 1 (A = 10.9 here): Kondratiev et al. 2017's strong-backscatter Delta omega = eta k_c sqrt(1 + alpha_H^2)
    T_c."""
    from scipy.optimize import minimize_scalar

    laser = SlaveLaser()
    kappa, eta, beta, tc = 1.49e8, 0.5, 20.0, 0.01
    path = psi - math.atan(laser.alpha_h)
    s = sil.self_injection_lock(kappa, eta, 0.0, beta, sign * beta, tc, path, laser=laser)
    assert s.locked and s.supermode == mode
    assert s.laser_zeta == pytest.approx(sign * beta, abs=0.05)
    assert np.sign(s.mode_shift_kappa) == sign
    # on the supermode's resonance the pumped mode's shift is ~beta/2 kappa (Delta_b ~ +-beta)
    assert abs(s.mode_shift_kappa) == pytest.approx(beta / 2, rel=0.01)
    a = s.k_fb * eta

    def xi(d: float) -> float:
        return d + a * d / (1 + d * d)

    hi = -minimize_scalar(lambda d: -xi(d), bounds=(0.0, 3.0), method="bounded").fun
    lo = minimize_scalar(xi, bounds=(-3.0, 0.0), method="bounded").fun
    assert s.locking_range_zeta == pytest.approx(hi - lo, rel=0.02)
    # and the asymptote: A (+ O(1)) in xi, i.e. eta k_c sqrt(1 + alpha_H^2) T_c in rad/s
    want = eta * laser.coupling_rate * math.sqrt(1 + laser.alpha_h**2) * tc / (2 * math.pi)
    assert want < s.locking_range_hz < want * (1 + 3 / a)


def test_kerr_two_mode_state_solves_the_coupled_equations() -> None:
    """The continued (rho_a, rho_b) make the right-hand sides of both mode equations vanish."""
    f2, beta = 4.2, 1.5
    z = np.linspace(-5.0, 6.0, 2201)
    ra, rb = sil.two_mode_branch(f2, beta, z)
    db = z - rb - 2 * ra
    g = 1 + 1j * (z - ra - 2 * rb) + beta**2 / (1 + 1j * db)
    a = math.sqrt(f2) / g
    b = 1j * beta * a / (1 + 1j * db)
    np.testing.assert_allclose(np.abs(a) ** 2, ra, rtol=1e-9, atol=1e-12)
    ra_, rb_ = np.abs(a) ** 2, np.abs(b) ** 2
    da_dt = -(1 + 1j * z) * a + 1j * (ra_ + 2 * rb_) * a + 1j * beta * b + math.sqrt(f2)
    db_dt = -(1 + 1j * z) * b + 1j * (rb_ + 2 * ra_) * b + 1j * beta * a
    assert np.max(np.abs(da_dt)) < 1e-8 and np.max(np.abs(db_dt)) < 1e-8
    assert np.diff(ra).min() < -1.0  # the tilted upper branch is followed to its end, then drops


@pytest.mark.parametrize("zeta", [-1.0, 1.5, 3.0])
def test_lle_pumped_mode_with_shift_and_extra_loss_is_the_full_forward_backward_state(
    zeta: float,
) -> None:
    """The reduced model the LLE gets (zeta_0 = zeta - 2 rho_b, mode 0 shifted red by beta^2
    Delta_b / (2 (1 + Delta_b^2)) kappa and damped by beta^2 / (1 + Delta_b^2)) holds the exact
    two-mode state of the pumped mode: the split-step solver started there stays there; without
    the extra loss it runs off (the loss is not optional)."""
    from qkdchip.sims.physics.lle import LLEConfig, LLESolver

    f2, beta = 3.0, 2.0
    z = np.arange(-10.0, zeta + 1e-9, 0.005)
    ra, rb = (x[-1] for x in sil.two_mode_branch(f2, beta, z))
    db = zeta - rb - 2 * ra
    g = 1 + 1j * (zeta - ra - 2 * rb) + beta**2 / (1 + 1j * db)
    a = math.sqrt(f2) / g
    loss, shift = beta**2 / (1 + db**2), beta**2 * db / (2 * (1 + db**2))
    a0 = np.zeros(16, complex)
    a0[0] = a
    drift = {}
    for with_loss in (True, False):
        cfg = LLEConfig(
            d2=-0.03,
            n_modes=16,
            mode_shifts={0: -shift},
            mode_losses={0: loss} if with_loss else {},
            noise=0.0,
        )
        out, *_ = LLESolver(cfg).propagate(a0, math.sqrt(f2), zeta - 2 * rb, 30.0)
        drift[with_loss] = abs(out[0] - a) / abs(a)
    assert drift[True] < 1e-4
    assert drift[False] > 0.05


def test_lle_extra_loss_of_the_pumped_mode_is_checked() -> None:
    from qkdchip.sims.physics.lle import LLEConfig

    with pytest.raises(ValueError, match=r"mode_losses\[0\]"):
        LLEConfig(d2=-0.03, n_modes=16, mode_losses={0: -0.1})
    with pytest.raises(ValueError, match="mode_losses key"):
        LLEConfig(d2=-0.03, n_modes=16, mode_losses={8: 0.1})


def test_sil_without_backscatter_or_feedback_is_not_locked() -> None:
    for beta, tc in ((0.0, 0.8), (1.0, 0.0)):
        s = sil.self_injection_lock(1.49e8, 0.5, 4.0, beta, 3.0, tc, 0.0)
        assert not s.locked and s.detuning_zeta == 3.0 and s.mode_shift_kappa == 0.0


def test_sil_kerr_branch_is_the_upper_root_then_drops() -> None:
    z = np.array([-2.0, 0.0, 2.0, 3.0, 50.0])
    rho = sil.cw_branch_from_blue(4.0, z)
    np.testing.assert_allclose(rho * (1 + (z - rho) ** 2), 4.0, rtol=1e-9)
    assert rho[3] > 2.0 and rho[-1] < 0.01  # upper branch at zeta 3, lower past the fold


def test_sil_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="backscatter"):
        sil.self_injection_lock(1.49e8, 0.5, 0.0, -1.0, 0.0, 0.8, 0.0)
    with pytest.raises(ValueError, match="facet_coupling"):
        sil.self_injection_lock(1.49e8, 0.5, 0.0, 1.0, 0.0, 1.5, 0.0)


# --------------------------------------------------------------------------- heater
def test_spreading_resistance_is_the_integral_of_the_widening_strip() -> None:
    w, tu, tl, k = 10.0, 3.0, 8.0, thermal.K_SIO2_W_PER_M_K
    integral, _ = quad(lambda z: 1.0 / (k * (w + 2 * z) * 1e-6), tu, tu + tl)
    assert thermal.dt_length_m_k_per_w(w, tu, tl, k) == pytest.approx(integral * 1e-6, rel=1e-9)


def test_dn_eff_dt_lies_between_the_claddings_and_the_core() -> None:
    g = thermal.core_energy_share(2.8)
    assert 0.12 < g < 0.3  # n^2-weighted share above the unweighted 0.121
    dlam = thermal.Heater(6000.0, 10.0, 1000.0, 6268.1, 2.8).dlambda_dt_m_per_k
    lam = 1.54978e-6
    assert lam * thermal.DN_DT_SIO2_PER_K / 1.444 < dlam < lam * thermal.DN_DT_SI3N4_PER_K / 1.996


@pytest.fixture(scope="module")
def chip():
    from qkdchip.sims import server

    return server._build({})


@pytest.mark.slow
def test_heater_tuning_is_dlambda_dt_x_p_x_rth(chip) -> None:
    """The ring's phase-condition resonance (the S-matrix model's own index and heater phase)
    moves by dlambda/dT x coverage x R_th x P."""
    from qkdchip.sims import server

    h = server.server_heater(component=chip)
    assert h.length_um == pytest.approx(6067.769) and h.coverage == pytest.approx(0.968, abs=1e-3)
    p = 0.03
    cold = server.resonance_hz(NU0_HZ, 0.0, component=chip)
    hot = server.resonance_hz(cold, p, component=chip)
    dlam = 299792458.0 / hot - 299792458.0 / cold
    expected = h.dlambda_dt_m_per_k * h.coverage * h.thermal_resistance_k_per_w * p
    assert dlam == pytest.approx(expected, rel=2e-3)
    # and the heater power that puts a resonance on a target lands it there
    target = NU0_HZ + 50e6
    pw = server.heater_power_for(target, component=chip)
    assert 0.0 < pw < 0.2
    assert server.resonance_hz(target, pw, component=chip) == pytest.approx(target, abs=1.0)


# --------------------------------------------------------------------------- energy balance
@pytest.fixture(scope="module")
def comb64():
    return simulate_comb(n_modes=64)


def test_default_comb_steady_state_energy_and_power_balance(comb64) -> None:
    """At steady state dE/dtau = 0 gives E = f Re psi_0 (E = sum |psi_mu|^2), and the bus
    output plus the intrinsic loss 4 eta (1 - eta) P_th sum |psi_mu|^2 (omega_mu / omega_p)
    equals the pump power. A wrong line-power normalisation or a non-stationary field fails."""
    comb = comb64
    assert comb.state == "dark_pulse" and comb.converged
    a = comb.lle.a
    f = math.sqrt(comb.f2)
    e = float(np.sum(np.abs(a) ** 2))
    assert e == pytest.approx(f * a[0].real, rel=2e-3)
    ring = comb.ring
    mu = mode_numbers(a.size)
    ratio = 1.0 + mu * ring.fsr_hz / ring.pump_frequency_hz
    p_int = (
        4
        * ring.eta
        * (1 - ring.eta)
        * ring.threshold_power_w
        * float(np.sum(np.abs(a) ** 2 * ratio))
    )
    assert comb.power_w.sum() + p_int == pytest.approx(comb.pump_power_w, rel=2e-3)


# --------------------------------------------------------------------------- plot
def test_comb_plot_draws_the_pump_line_above_the_lambda0_marker(comb64) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from qkdchip.commands.comb import comb_figure
    from qkdchip.sims.physics.channels import plan_channels

    comb = comb64
    fig = comb_figure(comb, plan_channels(comb, allow_fewer=True))
    ax = fig.axes[0]
    pump = [c for c in ax.collections if c.get_label() == "pump line"]
    marker = [ln for ln in ax.lines if ln.get_label().startswith("$\\lambda_0$")]
    assert len(pump) == 1 and len(marker) == 1
    (seg,) = pump[0].get_segments()
    assert seg[0][0] == pytest.approx(comb.line(0).frequency_thz)
    assert pump[0].get_zorder() > marker[0].get_zorder()
    assert not np.allclose(pump[0].get_colors()[0][:3], matplotlib.colors.to_rgb("0.55"))


# --------------------------------------------------------------------------- slow: layout
@pytest.mark.slow
def test_comb_lines_land_on_the_simulated_resonance_at_the_reported_heater_power() -> None:
    """The comb JSON's heater power, applied to the server chip's S-matrix, puts the measured
    resonance where the LLE assumed it (pump + zeta_0 kappa/4pi) within a tenth of a linewidth."""
    from qkdchip.sims import server

    res = runner.invoke(app, ["comb", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    p = out["heater"]["power_mw"] * 1e-3
    assert out["heater"]["auto"] and 0 < p < 0.2
    fig = server.server_figures(params={"heater_power_w": p})
    nu_s = 299792458.0 / (fig["resonance_wl_nm"] * 1e-9)
    nu_lle = out["resonance_thz"] * 1e12
    linewidth = fig["linewidth_mhz"] * 1e6
    assert abs(nu_s - nu_lle) < linewidth / 10
    pump = next(ln for ln in out["lines"] if ln["k"] == 0)
    assert pump["frequency_thz"] * 1e12 == pytest.approx(NU0_HZ, abs=1.0)  # on lambda_0
    assert nu_lle - NU0_HZ == pytest.approx(out["detuning_mhz"] * 1e6, rel=1e-9)
    assert set(out["sil"]) >= {
        "locked",
        "detuning_zeta0",
        "mode_shift_kappa",
        "locking_range_ghz",
        "feedback_phase_rad",
    }
    assert out["state"] == "dark_pulse" and out["channels_placed"] == 10


@pytest.mark.slow
def test_comb_on_a_cw_design_exits_0_with_state_cw_and_no_channels() -> None:
    args = ["comb", "--json", "--set", "server.ring.gap_um=2.0", "--set", "comb.pump_power_w=0.04"]
    args += ["--set", "comb.detuning_zeta=5.5", "--set", "comb.mode_shift_kappa=0"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["state"] == "cw" and out["channels"] == [] and out["channels_placed"] == 0


@pytest.mark.slow
def test_default_point_has_at_least_1_db_pump_margin_in_the_map(tmp_path) -> None:
    png = tmp_path / "map.png"
    res = runner.invoke(app, ["comb", "--map", "--plot", str(png), "--json"])
    assert res.exit_code == 0, res.output
    region = json.loads(res.output)["map"]["dark_pulse_region"]
    assert region["state_at_point"] == "dark_pulse"
    assert region["margin_db"]["down"] >= 1.0
    assert region["margin_zeta0"]["up"] >= 0.5 and region["margin_zeta0"]["down"] >= 0.5
    assert png.stat().st_size > 10_000
    # the laser-frequency axis: the SIL lock point over the free-running laser frequency; the
    # shift's sign is the supermode's (red on the symmetric one), and the default chip gives no
    # dark pulse there (docs/physics.md 3b)
    axis = json.loads(res.output)["map"]["sil_laser_axis"]
    assert len(axis) == 13 and any(r["locked"] for r in axis)
    for r in axis:
        if r["locked"]:
            assert (r["mode_shift_kappa"] > 0) == (r["supermode"] == "symmetric")
    assert not any(r["state"] == "dark_pulse" for r in axis)


# --------------------------------------------------------------------------- classification
def _field(profile: np.ndarray) -> np.ndarray:
    return np.fft.fft(profile) / profile.size


def test_classify_state_reads_the_field_not_the_dispersion_sign() -> None:
    """A sech^2 peak is a soliton and a flat top with a dark dip a dark pulse whatever d2 says
    (the old rule named the state from the sign of d2 alone)."""
    from qkdchip.sims.physics.lle import classify_state

    theta = np.linspace(-np.pi, np.pi, 128, endpoint=False)
    bright = 0.3 + 3.0 / np.cosh(theta / 0.15)
    dark = 1.5 + 1.2 * 0.5 * (np.tanh((theta - 0.4) / 0.08) - np.tanh((theta + 0.4) / 0.08))
    assert classify_state(_field(bright.astype(complex)), d2=-0.03) == ("soliton", 1)
    assert classify_state(_field(dark.astype(complex)), d2=+0.02)[0] == "dark_pulse"
    assert classify_state(_field(dark.astype(complex)))[0] == "dark_pulse"


# --------------------------------------------------------------------------- slow: SIL on the chip
@pytest.mark.slow
def test_default_chip_locks_to_the_blue_supermode_and_a_longer_air_gap_to_the_red() -> None:
    """The drawn path (psi = 1.94 rad, cos psi < 0) locks the default laser to the antisymmetric
    supermode: a blue shift, so SIL cannot give the dark pulse (comb.sil_drive stays false);
    an air gap 0.1 um longer (psi 2.72) with beta 2 and the laser 3.5 GHz blue locks to the
    symmetric supermode with the red shift the dark pulse needs (docs/physics.md 3b)."""
    from qkdchip.base.design import Design
    from qkdchip.sims.devices import sil_point

    d = sil_point()
    assert d.locked and d.supermode == "antisymmetric" and d.mode_shift_kappa < 0
    assert d.feedback_phase_rad == pytest.approx(1.943, abs=1e-3)
    alt = Design(
        {
            "server.pump.air_gap_um": 1.1,
            "comb.sil_backscatter": 2.0,
            "comb.sil_laser_detuning_zeta": -300.0,
        }
    )
    s = sil_point(alt)
    assert s.locked and s.supermode == "symmetric"
    assert s.mode_shift_kappa == pytest.approx(0.81, abs=0.01)
    assert s.detuning_zeta == pytest.approx(3.33, abs=0.02)


@pytest.mark.slow
def test_sil_drive_takes_zeta_shift_loss_and_k_from_the_lock_point_unless_typed() -> None:
    """``comb.sil_drive``: the LLE runs at the lock point's zeta_0, shift and extra loss, and
    the line narrowing uses the model's K (dnu = dnu_free / K^2); a typed ``comb.sil_k`` or
    ``comb.detuning_zeta`` overrides its part; without the drive the extra loss is 0."""
    from qkdchip.base.design import Design
    from qkdchip.sims import devices

    op = devices.operating_point(Design({"comb.sil_drive": True}))
    lock = op["sil"]
    assert lock.locked and op["sil_drives"]
    assert (op["detuning_zeta"], op["mode_shift_kappa"]) == (
        lock.detuning_zeta,
        lock.mode_shift_kappa,
    )
    assert op["pump_mode_extra_loss"] == lock.pump_mode_extra_loss > 0
    assert op["sil_k"] == lock.stabilization_k >= 2.0
    typed = devices.operating_point(
        Design({"comb.sil_drive": True, "comb.sil_k": 100.0, "comb.detuning_zeta": 4.5})
    )
    assert typed["sil_k"] == 100.0 and typed["detuning_zeta"] == 4.5
    assert typed["mode_shift_kappa"] == lock.mode_shift_kappa
    off = devices.operating_point()
    assert off["pump_mode_extra_loss"] == 0.0 and off["sil_k"] == 224.0 and not off["sil_drives"]


@pytest.mark.slow
def test_sil_dark_pulse_loses_its_pump_margin_to_the_pumped_modes_extra_loss() -> None:
    """The blocking finding of docs/physics.md 3b, at the chip's own SIL point with beta 2 and
    psi ~ 0 (air gap 0.75 um, laser 2.9 GHz blue): the lock is on the symmetric supermode
    (red shift 0.83 kappa, extra loss 0.87); the map at that shift has the dark pulse over the
    whole -3 dB without the loss, but only from 50 mW up with it (pump margin 0 dB)."""
    from qkdchip.base.design import Design
    from qkdchip.sims import devices
    from qkdchip.sims.physics.comb import existence_map

    design = Design(
        {
            "server.pump.air_gap_um": 0.75,
            "comb.sil_backscatter": 2.0,
            "comb.sil_laser_detuning_zeta": -250.0,
        }
    )
    p = devices.sil_point(design)
    assert p.supermode == "symmetric" and abs(p.feedback_phase_rad) < 0.05
    assert p.mode_shift_kappa == pytest.approx(0.83, abs=0.01)
    assert p.pump_mode_extra_loss == pytest.approx(0.87, abs=0.01)
    ring = devices.ring_params(design)
    margins = {
        loss: existence_map(
            ring,
            0.05,
            p.detuning_zeta,
            p.mode_shift_kappa,
            power_db=(-3, -2, -1, 0),
            pump_mode_extra_loss=loss,
        ).margins()
        for loss in (0.0, p.pump_mode_extra_loss)
    }
    assert margins[0.0]["state_at_point"] == "dark_pulse"
    assert margins[0.0]["margin_db"]["down"] is None  # dark down to the map's -3 dB edge
    lossy = margins[p.pump_mode_extra_loss]
    assert lossy["state_at_point"] == "dark_pulse" and lossy["margin_db"]["down"] == 0.0
