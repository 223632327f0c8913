"""Phase-noise contributions and sigma -> X-basis error, against closed forms and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdchip.sims.physics.phasenoise import (
    RAW_DRIFT_RAD_PER_MS,
    SUBTRACTED_DRIFT_RAD_PER_MS,
    PhaseNoiseBudget,
    delay_per_km_s,
    detection_variance,
    drift_sigma_rad,
    laser_delay_variance,
    phase_error,
    slice_error,
    x_qber,
)


def test_sigma_to_error_formula_and_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    for sigma in (0.05, 0.2, 0.6):
        assert phase_error(sigma**2) == pytest.approx((1 - math.exp(-(sigma**2) / 2)) / 2)
        phases = rng.normal(0.0, sigma, 400_000)
        mc = np.mean((1 - np.cos(phases)) / 2)  # wrong-detector probability
        assert phase_error(sigma**2) == pytest.approx(mc, rel=0.02)
    assert phase_error(1e-4) == pytest.approx(1e-4 / 4, rel=1e-4)
    assert phase_error(0.0) == 0.0
    assert phase_error(1e3) == pytest.approx(0.5)


def test_slice_error_formula_and_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    for m in (4, 16, 32):
        d = rng.uniform(-math.pi / m, math.pi / m, 400_000)
        assert slice_error(m) == pytest.approx(np.mean((1 - np.cos(d)) / 2), rel=0.01)
    assert slice_error(16) == pytest.approx(0.5 - 16 / (2 * math.pi) * math.sin(math.pi / 16))
    assert slice_error(1) == pytest.approx(0.5)
    assert slice_error(10_000) < 1e-7


def test_drift_residual_rT_over_sqrt12() -> None:
    assert drift_sigma_rad(RAW_DRIFT_RAD_PER_MS) == pytest.approx(2.871 * 0.1 / math.sqrt(12))
    assert drift_sigma_rad(RAW_DRIFT_RAD_PER_MS) == pytest.approx(0.0829, abs=1e-4)
    assert drift_sigma_rad(SUBTRACTED_DRIFT_RAD_PER_MS) == pytest.approx(9.53e-4, rel=1e-3)
    # a sawtooth residual, tracked (by its mid-interval value) every T: rms rT/sqrt(12)
    t = np.linspace(0, 0.1, 100_001)  # ms
    resid = RAW_DRIFT_RAD_PER_MS * (t - 0.05)
    assert np.sqrt(np.mean(resid**2)) == pytest.approx(
        drift_sigma_rad(RAW_DRIFT_RAD_PER_MS), rel=1e-4
    )


def test_laser_delay_term() -> None:
    assert delay_per_km_s() == pytest.approx(4.9e-6, rel=0.001)
    # docs/physics.md, section 8: ~1.85e-3 rad^2 per km of imbalance at 60 Hz
    assert laser_delay_variance(60.0, 1.0) == pytest.approx(2 * math.pi * 60.0 * 4.897e-6, rel=1e-4)
    assert laser_delay_variance(60.0, 1.0) == pytest.approx(1.85e-3, rel=0.005)
    assert laser_delay_variance(60.0, 3.0) == pytest.approx(3 * laser_delay_variance(60.0, 1.0))
    assert detection_variance(1e4, 0.5) == pytest.approx(4e-4)


def test_reference_x_qber_lands_in_published_range() -> None:
    """The reference's X QBER is 2.9-4.2 %: after subtraction the phase terms are ~0.1 % and
    16 slices add 0.32 %, so e_d = 2.5-3.8 % covers it; without the dual-wavelength subtraction
    the drift alone adds 0.17 %."""
    lo = PhaseNoiseBudget(e_d=0.025)
    hi = PhaseNoiseBudget(e_d=0.038)
    assert 0.029 <= lo.x_qber() <= 0.042
    assert 0.029 <= hi.x_qber() <= 0.042
    assert PhaseNoiseBudget(e_d=0.020).x_qber() < 0.029
    assert PhaseNoiseBudget(e_d=0.040).x_qber() > 0.042
    c = lo.contributions()
    assert c["drift"] == pytest.approx(drift_sigma_rad(0.033) ** 2)
    assert lo.sigma2_rad2 == pytest.approx(sum(c.values()))
    raw = PhaseNoiseBudget(e_d=0.025, drift_rad_per_ms=RAW_DRIFT_RAD_PER_MS)
    assert raw.x_qber() - lo.x_qber() == pytest.approx(phase_error(0.0829**2), rel=0.1)


def test_combination_rules() -> None:
    e = x_qber(0.03, 0.01, 16, combine="sum")
    assert e == pytest.approx(0.03 + phase_error(0.01) + slice_error(16))
    v = x_qber(0.03, 0.01, 16)
    assert v == pytest.approx(0.5 * (1 - (1 - 0.06) * math.exp(-0.005) * (1 - 2 * slice_error(16))))
    assert abs(v - e) < 1e-3  # first-order agreement
    with pytest.raises(ValueError, match="combine"):
        x_qber(0.03, 0.01, combine="max")  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(e_d=st.floats(0.0, 0.2), s2=st.floats(0.0, 2.0), m=st.integers(1, 64))
def test_qber_bounded_and_monotone(e_d: float, s2: float, m: int) -> None:
    q = x_qber(e_d, s2, m)
    assert 0.0 <= q <= 0.5
    assert x_qber(e_d, s2 + 0.1, m) >= q
    assert x_qber(e_d, s2, m + 1) <= q + 1e-15


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: phase_error(-1.0), "sigma2_rad2"),
        (lambda: slice_error(0), "m_slices"),
        (lambda: x_qber(0.7), "e_d"),
        (lambda: drift_sigma_rad(-1.0), "drift_rad_per_ms"),
        (lambda: PhaseNoiseBudget(imbalance_km=-1.0), "imbalance_km"),
        (lambda: PhaseNoiseBudget(visibility=0.0), "visibility"),
        (lambda: PhaseNoiseBudget(injection_var_a_rad2=float("nan")), "injection_var_a_rad2"),
    ],
)
def test_bad_input_raises(call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()
