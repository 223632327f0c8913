"""Injection locking: closed-form range vs the Adler equation, bandwidth, residual, unlocked."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from qkdchip.sims.physics.constants import C_M_PER_S
from qkdchip.sims.physics.injection import SlaveLaser, injection_lock, locking_range_hz

REF = SlaveLaser(cavity_length_m=1e-3, group_index=3.7, mirror_reflectivity=0.3, alpha_h=3.0)


def test_reference_range_1mm_dbr_at_minus_30_db() -> None:
    """docs/physics.md, section 5: about [-0.8, +0.26] GHz for a 1 mm DBR at rho = -30 dB."""
    assert REF.round_trip_s == pytest.approx(2 * 3.7 * 1e-3 / C_M_PER_S)
    assert REF.coupling_rate == pytest.approx(0.7 / (REF.round_trip_s * math.sqrt(0.3)))
    lo, hi = locking_range_hz(REF, 1e-3 * REF.power_w)
    k = REF.coupling_rate * math.sqrt(1e-3)
    assert hi == pytest.approx(k / (2 * math.pi))
    assert lo == pytest.approx(-k * math.sqrt(10.0) / (2 * math.pi))
    assert lo / 1e9 == pytest.approx(-0.824, abs=0.001)
    assert hi / 1e9 == pytest.approx(0.2606, abs=0.0005)


def _adler_phase_drift(slave: SlaveLaser, rho: float, detuning_hz: float) -> float:
    """Integrate d phi/dt = -dw - k sqrt(1+a^2) sin(phi + atan a); return the mean drift rate
    of phi over the second half (0 when locked), in units of the coupling rate."""
    a = slave.alpha_h
    k = slave.coupling_rate * math.sqrt(rho)
    dw = 2 * math.pi * detuning_hz
    t_end = 400.0 / k

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        return np.array([-dw - k * math.sqrt(1 + a * a) * math.sin(y[0] + math.atan(a))])

    sol = solve_ivp(rhs, (0.0, t_end), [0.0], rtol=1e-9, atol=1e-12, dense_output=True)
    phi_mid, phi_end = sol.sol(t_end / 2)[0], sol.sol(t_end)[0]
    return (phi_end - phi_mid) / (t_end / 2) / k


@pytest.mark.parametrize("frac", [-0.98, -0.5, 0.0, 0.5, 0.98])
def test_adler_equation_locks_inside_the_closed_form_range(frac: float) -> None:
    rho = 1e-3
    lo, hi = locking_range_hz(REF, rho * REF.power_w)
    det = frac * hi if frac >= 0 else -frac * lo
    assert abs(_adler_phase_drift(REF, rho, det)) < 1e-6
    assert injection_lock(REF, rho * REF.power_w, det).locked


def _adler_stationary_phase(slave: SlaveLaser, rho: float, detuning_hz: float) -> float:
    a = slave.alpha_h
    k = slave.coupling_rate * math.sqrt(rho)
    dw = 2 * math.pi * detuning_hz
    sol = solve_ivp(
        lambda t, y: [-dw - k * math.sqrt(1 + a * a) * math.sin(y[0] + math.atan(a))],
        (0.0, 200.0 / k),
        [0.0],
        rtol=1e-10,
        atol=1e-12,
    )
    return float(sol.y[0, -1])


@pytest.mark.parametrize("factor,gain_ok", [(0.95, True), (1.05, False), (2.0, False)])
def test_blue_edge_is_where_the_injection_stops_lowering_the_gain(
    factor: float, gain_ok: bool
) -> None:
    """Between +k sqrt(rho) and +k sqrt(rho) sqrt(1+a^2) the phase still locks, but with
    cos(phi_s) < 0 (the gain would have to rise above the free-running value): not locked."""
    rho = 1e-3
    _, hi = locking_range_hz(REF, rho * REF.power_w)
    phi = _adler_stationary_phase(REF, rho, factor * hi)
    assert abs(_adler_phase_drift(REF, rho, factor * hi)) < 1e-6  # phase-stationary
    assert (math.cos(phi) >= 0) is gain_ok
    res = injection_lock(REF, rho * REF.power_w, factor * hi)
    assert res.locked is gain_ok
    if gain_ok:
        assert res.phase_offset_rad == pytest.approx(math.remainder(phi, 2 * math.pi), abs=1e-6)


@pytest.mark.parametrize("factor", [1.05, 1.5])
def test_adler_equation_slips_outside_the_range(factor: float) -> None:
    """Beyond the red edge -k sqrt(1+a^2) no stationary phase exists: the phase slips."""
    rho = 1e-3
    lo, _ = locking_range_hz(REF, rho * REF.power_w)
    assert abs(_adler_phase_drift(REF, rho, factor * lo)) > 1e-3
    res = injection_lock(REF, rho * REF.power_w, factor * lo)
    assert not res.locked and res.residual_phase_var_rad2 is None and "outside" in res.reason


def test_locked_bandwidth_and_residual_phase() -> None:
    rho = 1e-3
    p_inj = rho * REF.power_w
    lo, _ = locking_range_hz(REF, p_inj)
    res = injection_lock(REF, p_inj, 0.0, master_linewidth_hz=40.0)
    assert res.locked and res.rho_db == pytest.approx(-30.0)
    # zero detuning: cos(phi_s + atan a) = 1 -> f_L = k sqrt(rho) sqrt(1+a^2) / 2 pi
    assert res.locking_bandwidth_hz == pytest.approx(-lo)
    assert res.phase_offset_rad == pytest.approx(-math.atan(3.0))
    assert res.residual_phase_var_rad2 == pytest.approx(REF.free_running_linewidth_hz / (2 * -lo))
    assert res.linewidth_hz == 40.0  # the slave copies the master line
    assert res.coherent_fraction == pytest.approx(math.exp(-res.residual_phase_var_rad2))
    # halfway to the red edge: f_L = f_L0 cos(asin(1/2))
    half = injection_lock(REF, p_inj, lo / 2)
    assert half.locking_bandwidth_hz == pytest.approx(-lo * math.cos(math.asin(0.5)))
    assert half.residual_phase_var_rad2 > res.residual_phase_var_rad2


def test_unlocked_is_a_result_not_an_exception() -> None:
    res = injection_lock(REF, 1e-9, 5e9)
    assert not res.locked and res.locking_bandwidth_hz == 0.0
    assert res.linewidth_hz == REF.free_running_linewidth_hz
    assert res.coherent_fraction == 0.0
    assert not injection_lock(REF, 0.0, 0.0).locked


@settings(max_examples=60, deadline=None)
@given(
    rho_db=st.floats(-60.0, -5.0),
    a=st.floats(0.0, 8.0),
    r=st.floats(0.01, 0.95),
    length=st.floats(2e-4, 5e-3),
)
def test_range_scaling(rho_db: float, a: float, r: float, length: float) -> None:
    s = SlaveLaser(cavity_length_m=length, mirror_reflectivity=r, alpha_h=a)
    p = s.power_w * 10 ** (rho_db / 10)
    lo, hi = locking_range_hz(s, p)
    assert lo < 0 < hi
    assert -lo / hi == pytest.approx(math.sqrt(1 + a * a))
    lo4, hi4 = locking_range_hz(s, 4 * p)  # range ~ sqrt(rho)
    assert hi4 == pytest.approx(2 * hi) and lo4 == pytest.approx(2 * lo)
    res = injection_lock(s, p, 0.0)
    assert res.locked and res.residual_phase_var_rad2 > 0


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"mirror_reflectivity": 1.0}, "mirror_reflectivity"),
        ({"alpha_h": -1.0}, "alpha_h"),
        ({"cavity_length_m": 0.0}, "cavity_length_m"),
        ({"power_w": float("inf")}, "power_w"),
    ],
)
def test_bad_slave_raises(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        SlaveLaser(**kwargs)


def test_bad_lock_input_raises() -> None:
    with pytest.raises(ValueError, match="injected_power_w"):
        injection_lock(REF, -1e-3, 0.0)
    with pytest.raises(ValueError, match="detuning_hz"):
        injection_lock(REF, 1e-6, float("nan"))
