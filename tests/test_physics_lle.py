"""LLE solver: CW states vs the cubic, MI threshold and growth, energy balance, numerics, states."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdchip.sims.physics.lle import (
    LLEConfig,
    LLESolver,
    classify_state,
    cw_states,
    detuning_profile,
    energy_balance_residual,
    mi_threshold_f2,
    mode_numbers,
    sideband_growth_rates,
)


def _cw(a0: complex, n: int) -> np.ndarray:
    a = np.zeros(n, complex)
    a[0] = a0
    return a


# ----------------------------------------------------------------------------- closed forms
@settings(max_examples=80, deadline=None)
@given(f=st.floats(0.01, 6.0), zeta=st.floats(-5.0, 12.0))
def test_cw_roots_solve_the_cubic_and_the_steady_state(f: float, zeta: float) -> None:
    states = cw_states(f, zeta, d2=0.0, n_modes=16)
    assert 1 <= len(states) <= 3
    for s in states:
        assert f**2 == pytest.approx(s.rho * (1 + (zeta - s.rho) ** 2), rel=1e-9, abs=1e-12)
        # psi is a fixed point of the mode-0 equation: 0 = -(1 + i zeta) psi + i rho psi + f
        assert abs(-(1 + 1j * zeta) * s.psi + 1j * s.rho * s.psi + f) < 1e-8 * max(1.0, f)
    if len(states) == 3:  # bistable: the middle branch is unstable
        assert states[0].stable_homogeneous and states[2].stable_homogeneous
        assert not states[1].stable_homogeneous


def test_bistability_window_opens_at_sqrt3() -> None:
    assert len(cw_states(1.5, 1.6)) == 1
    assert len(cw_states(2.0, 3.0)) == 3


def test_solver_converges_to_the_cw_root_below_threshold() -> None:
    f, zeta = 0.8, 0.5
    sol = LLESolver(LLEConfig(d2=0.02, n_modes=64, seed=3))
    a, _, _, _ = sol.propagate(sol.initial(), f, zeta, 40.0)
    (state,) = cw_states(f, zeta, 0.02, 64)
    assert abs(a[0] - state.psi) < 1e-4
    assert classify_state(a, cw_floor=1e-6)[0] == "cw"


@pytest.mark.slow
def test_normal_dispersion_without_mode_shift_stays_on_the_upper_cw_branch() -> None:
    """The homogeneous state of the normal-dispersion ring is MI-stable: the scan ends in CW."""
    f, zeta = 2.0, 3.0
    sol = LLESolver(LLEConfig(d2=-0.032, n_modes=64, seed=0))
    res = sol.steady_state(f, zeta, zeta_start=-2.0, scan_rate=0.04)
    upper = cw_states(f, zeta, -0.032, 64)[-1]
    assert upper.stable
    assert res.state == "cw"
    # the split-step fixed point is O(h^2) off the exact one: h = 0.0125 -> ~2e-4
    assert abs(res.a[0] - upper.psi) < 5e-4
    fine, *_ = sol.propagate(res.a, f, zeta, 50.0, dt=1e-3)
    assert abs(fine[0] - upper.psi) < 1e-5


def test_mi_threshold_closed_form() -> None:
    assert mi_threshold_f2(1.0) == 1.0
    assert mi_threshold_f2(0.0) == 2.0
    # with a continuum of modes (tiny d2) the CW state at rho slightly above/below 1 is
    # MI-unstable/stable exactly at f^2 = 1 + (zeta - 1)^2
    for zeta in (0.0, 0.5, 1.0, 1.5):
        f_th = math.sqrt(mi_threshold_f2(zeta))
        below = cw_states(0.99 * f_th, zeta, d2=1e-5, n_modes=2048)[0]
        above = cw_states(1.01 * f_th, zeta, d2=1e-5, n_modes=2048)[0]
        assert below.growth_rate < 0 < above.growth_rate


def test_pump_sweep_finds_the_threshold_at_f_equal_1() -> None:
    """Adiabatic pump sweep at zeta = 1 (anomalous d2 = 0.01, mode 10 on the MI peak): CW up to
    f = 1, a comb just above - the numerical onset of MI brackets the closed form f_th = 1."""
    sol = LLESolver(LLEConfig(d2=0.01, n_modes=64, seed=0))
    sweep = sol.sweep_pump([0.97, 0.99, 1.03, 1.05], zeta0=1.0, t_hold=200.0)
    assert [s for s, _ in sweep.states[:2]] == ["cw", "cw"]
    assert sweep.onset_f() == 1.03
    # a roll pattern forming near the MI-gain peak mu = sqrt((2 rho - zeta)/d2) = 10
    state, n_peaks = sweep.states[-1]
    assert state in ("turing", "soliton") and 9 <= n_peaks <= 12
    # below threshold the intracavity energy is the CW root
    assert sweep.energy[0] == pytest.approx(cw_states(0.97, 1.0, 0.01, 64)[0].rho, rel=1e-3)
    assert sweep.sideband_energy[-1] > 1e4 * sweep.sideband_energy[0]


def test_mi_growth_rate_matches_linear_stability() -> None:
    """Anomalous d2 = 0.01, zeta = 1: sidebands mu = +-10 grow at the analytic rate above f = 1."""
    n, d2, zeta, f = 64, 0.01, 1.0, 1.2
    sol = LLESolver(LLEConfig(d2=d2, n_modes=n, noise=0.0))
    (cw,) = cw_states(f, zeta, d2, n)
    rate = sideband_growth_rates(cw.rho, cw.psi, zeta + sol.profile, np.array([10]))[0]
    symmetric = -1 + math.sqrt(cw.rho**2 - (zeta + d2 * 100 - 2 * cw.rho) ** 2)
    assert rate == pytest.approx(symmetric, rel=1e-12)
    a = _cw(cw.psi, n)
    a[10] = a[-10] = 1e-9
    a, _, _, _ = sol.propagate(a, f, zeta, 15.0, dt=0.01)
    amp15 = abs(a[10])
    a, _, _, _ = sol.propagate(a, f, zeta, 15.0, dt=0.01)
    assert math.log(abs(a[10]) / amp15) / 15.0 == pytest.approx(rate, rel=2e-3)
    # below threshold the same perturbation decays
    (cw_lo,) = cw_states(0.95, zeta, d2, n)
    a = _cw(cw_lo.psi, n)
    a[10] = a[-10] = 1e-9
    a, _, _, _ = sol.propagate(a, 0.95, zeta, 30.0)
    assert abs(a[10]) < 1e-10 and cw_lo.growth_rate < 0


# ----------------------------------------------------------------------------- energy balance
def test_rhs_energy_identity() -> None:
    rng = np.random.default_rng(1)
    a = (rng.standard_normal(128) + 1j * rng.standard_normal(128)) * 0.2
    prof = detuning_profile(128, -0.03, {0: -0.75})
    assert energy_balance_residual(a, 1.7, 2.5 + prof) < 1e-12


def test_integrated_energy_balance() -> None:
    """E(T) - E(0) = integral of (-2E + 2 f Re psi_0) d tau along the numerical trajectory."""
    n, f, zeta, h = 64, 2.0, 3.0, 0.002
    sol = LLESolver(LLEConfig(d2=-0.03, n_modes=n, mode_shifts={0: -0.75}, noise=0.0))
    rng = np.random.default_rng(2)
    a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.3
    e, re0 = [np.sum(abs(a) ** 2)], [a[0].real]
    for _ in range(500):
        a, _, _, _ = sol.propagate(a, f, zeta, h, dt=h)
        e.append(np.sum(abs(a) ** 2))
        re0.append(a[0].real)
    e_arr, re_arr = np.asarray(e), np.asarray(re0)
    rhs = -2 * e_arr + 2 * f * re_arr
    integral = np.sum(0.5 * (rhs[1:] + rhs[:-1])) * h
    assert abs(e_arr[-1] - e_arr[0]) > 0.1  # the energy really changes
    assert e_arr[-1] - e_arr[0] == pytest.approx(integral, rel=1e-4)


# ----------------------------------------------------------------------------- numerics
def test_split_step_is_second_order() -> None:
    n = 64
    sol = LLESolver(LLEConfig(d2=-0.03, n_modes=n, mode_shifts={0: -0.75}, noise=0.0))
    rng = np.random.default_rng(0)
    a0 = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.3
    ref, _, _, _ = sol.propagate(a0, 2.0, 3.0, 2.0, dt=5e-4)
    err = [np.linalg.norm(sol.propagate(a0, 2.0, 3.0, 2.0, dt=dt)[0] - ref) for dt in (0.02, 0.01)]
    assert err[0] / err[1] == pytest.approx(4.0, rel=0.1)


def test_adaptive_step_meets_tolerance() -> None:
    n = 32
    sol = LLESolver(LLEConfig(d2=0.02, n_modes=n, noise=0.0))
    rng = np.random.default_rng(4)
    a0 = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.3
    ref, _, _, _ = sol.propagate(a0, 1.5, 1.0, 0.5, dt=1e-4)
    a, n_ok, _ = sol.propagate_adaptive(a0, 1.5, 1.0, 0.5, rtol=1e-6)
    assert np.linalg.norm(a - ref) / np.linalg.norm(ref) < 1e-5
    assert n_ok > 1


def test_seeded_runs_are_reproducible_and_batches_vectorise() -> None:
    cfg = LLEConfig(d2=0.02, n_modes=64, seed=7)
    runs = []
    for _ in range(2):
        s = LLESolver(cfg)
        a, *_ = s.propagate(s.initial(), 1.5, 1.0, 5.0)
        runs.append(a)
    assert np.array_equal(runs[0], runs[1])
    # a study (scan / steady_state) restarts the seeded stream: repeatable on the same solver
    s = LLESolver(cfg)
    assert np.array_equal(s.scan(1.5, 0.0, 1.0, 5.0).a, s.scan(1.5, 0.0, 1.0, 5.0).a)
    other = LLESolver(LLEConfig(d2=0.02, n_modes=64, seed=8)).scan(1.5, 0.0, 1.0, 5.0).a
    assert not np.array_equal(other, runs[0])
    quiet = LLESolver(LLEConfig(d2=0.02, n_modes=64, noise=0.0))
    start = _cw(0.1, 64)
    batch, *_ = quiet.propagate(start, np.array([0.5, 1.5]), 1.0, 3.0, dt=0.01)
    for i, f in enumerate((0.5, 1.5)):
        single, *_ = quiet.propagate(start, f, 1.0, 3.0, dt=0.01)
        np.testing.assert_allclose(batch[i], single, rtol=0, atol=1e-13)


def test_step_rule() -> None:
    cfg = LLEConfig(d2=-0.03)
    assert cfg.step_for(f=2.0, zeta_max=5.0) == pytest.approx(0.05 / 4.0)
    assert cfg.step_for(f=0.5, zeta_max=5.0) == pytest.approx(0.05)
    assert LLEConfig(d2=0.03).step_for(f=2.0, zeta_max=5.0) == pytest.approx(0.05 / 10.0)


# ----------------------------------------------------------------------------- states
@pytest.mark.slow
def test_turing_rolls_soliton_chaos_and_dark_pulse_are_classified() -> None:
    # Turing rolls: anomalous, zeta = 0, f^2 = 3 (rho > 1, no bistability)
    s = LLESolver(LLEConfig(d2=0.02, n_modes=128, seed=1))
    a, *_ = s.propagate(s.initial(), math.sqrt(3.0), 0.0, 200.0)
    prev = a.copy()
    a, *_ = s.propagate(a, math.sqrt(3.0), 0.0, 20.0)
    state, mu_t = classify_state(a, prev, d2=0.02)
    assert state == "turing"
    # the roll period is near the MI gain maximum zeta + d2 mu^2 = 2 rho
    (cw,) = cw_states(math.sqrt(3.0), 0.0, 0.02, 128)
    assert abs(mu_t - math.sqrt(2 * cw.rho / 0.02)) <= 2
    # bright soliton from a sech seed: psi ~ sqrt(2 zeta) sech(sqrt(zeta/d2) theta)
    d2, zeta, f, n = 0.02, 4.0, 2.0, 128
    th = np.linspace(-np.pi, np.pi, n, endpoint=False)
    psi = cw_states(f, zeta, d2, n)[0].psi + math.sqrt(2 * zeta) / np.cosh(
        math.sqrt(zeta / d2) * th
    )
    s = LLESolver(LLEConfig(d2=d2, n_modes=n, seed=1))
    a, *_ = s.propagate(np.fft.fft(psi) / n, f, zeta, 80.0)
    prev = a.copy()
    a, *_ = s.propagate(a, f, zeta, 20.0)
    assert classify_state(a, prev, d2=d2) == ("soliton", 1)
    peak = np.max(np.abs(np.fft.ifft(a) * n) ** 2)
    assert peak == pytest.approx(2 * zeta, rel=0.2)
    # chaos: strongly pumped anomalous ring
    s = LLESolver(LLEConfig(d2=0.02, n_modes=128, seed=1))
    a, *_ = s.propagate(s.initial(), math.sqrt(8.0), 2.0, 150.0)
    prev = a.copy()
    a, *_ = s.propagate(a, math.sqrt(8.0), 2.0, 20.0)
    assert classify_state(a, prev, d2=0.02)[0] == "chaos"


def test_dark_pulse_needs_the_mode_shift() -> None:
    """Reference normal-dispersion ring (d2 = -0.032, f^2 = 4, zeta = 5): CW without the shift,
    a single dark pulse with a 0.75 kappa red shift of the pumped mode."""
    for shifts, expected in (({}, "cw"), ({0: -0.75}, "dark_pulse")):
        sol = LLESolver(LLEConfig(d2=-0.0318, n_modes=64, mode_shifts=shifts, seed=0))
        res = sol.steady_state(2.0, 5.0, scan_rate=0.04, max_settle=600)
        assert res.state == expected
        assert bool(res.converged)
    assert res.states[0][1] == 1


# ----------------------------------------------------------------------------- validation
def test_mode_grid() -> None:
    mu = mode_numbers(8)
    assert mu.tolist() == [0, 1, 2, 3, -4, -3, -2, -1]
    prof = detuning_profile(8, -0.5, {0: -0.75, 2: 0.25})
    assert prof[0] == -1.5 and prof[2] == pytest.approx(-2.0 + 0.5) and prof[1] == -0.5


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"d2": 50.0}, "d2"),
        ({"d2": 0.0, "n_modes": 63}, "n_modes"),
        ({"d2": 0.0, "n_modes": 2}, "n_modes"),
        ({"d2": 0.0, "mode_shifts": {200: 0.5}}, "mode_shifts"),
        ({"d2": 0.0, "mode_shifts": {0: 99.0}}, "mode_shifts"),
        ({"d2": 0.0, "dt": 2.0}, "dt"),
        ({"d2": 0.0, "noise": -1.0}, "noise"),
    ],
)
def test_bad_config_raises(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        LLEConfig(**kwargs)


def test_bad_run_input_raises() -> None:
    sol = LLESolver(LLEConfig(d2=0.0, n_modes=16))
    with pytest.raises(ValueError, match="f="):
        sol.propagate(sol.initial(), -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="zeta0"):
        sol.propagate(sol.initial(), 1.0, float("nan"), 1.0)
    with pytest.raises(ValueError, match="zeta0"):
        cw_states(1.0, 1e6)
    with pytest.raises(ValueError, match="1-D"):
        classify_state(np.zeros((2, 16), complex))
