"""X-QBER contributors (sims/physics/qber.py): each against its closed form, the budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from qkdchip.sims.physics.phasenoise import phase_error, x_qber
from qkdchip.sims.physics.qber import (
    PHASE_TERMS,
    VISIBILITY_TERMS,
    XBudget,
    crosstalk_fraction,
    error_of_visibility,
    intensity_visibility,
    jitter_visibility,
    pair_budget,
    polarisation_visibility,
    tracking_sigma_rad,
)

_DEFAULT_PAIR = dict(
    linewidth_hz=40.0,
    imbalance_km=1.0,
    injection_var_rad2=2.4e-3,
    drift_rad_per_ms=0.033,
    reference_drift_rad_per_ms=2.871,
    estimation_rate_hz=10e3,
    pulse_fwhm_s=200e-12,
)


def test_visibility_gives_half_its_loss_as_error():
    for v in (1.0, 0.98, 0.5, 0.0):
        assert error_of_visibility(v) == pytest.approx((1 - v) / 2)
    with pytest.raises(ValueError, match="visibility"):
        error_of_visibility(1.2)


def test_polarisation_visibility_is_the_aligned_field_overlap():
    # 20 dB per arm: 1 % orthogonal power each -> V = 0.99, e = 0.5 %
    assert polarisation_visibility(20.0) == pytest.approx(0.99)
    assert error_of_visibility(polarisation_visibility(20.0)) == pytest.approx(0.005)
    # the fringe of Jones vectors whose orthogonal residues have a wandering relative phase:
    # |<a|b(phi)>| averaged as a field over phi (the residues average out of the fringe)
    pa, pb = 10 ** (-1.7), 10 ** (-2.3)
    a = np.array([math.sqrt(1 - pa), math.sqrt(pa)])
    phis = np.linspace(0.0, 2 * math.pi, 720, endpoint=False)
    mean_overlap = np.mean(
        [np.vdot(a, [math.sqrt(1 - pb), math.sqrt(pb) * np.exp(1j * p)]) for p in phis]
    )
    assert polarisation_visibility(17.0, 23.0) == pytest.approx(abs(mean_overlap))
    assert polarisation_visibility(100.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="per_a_db"):
        polarisation_visibility(-1.0)


def test_intensity_mismatch_visibility_is_two_sqrt_r_over_one_plus_r():
    assert intensity_visibility(0.0) == 1.0
    r = 10**0.1  # 1 dB
    assert intensity_visibility(1.0) == pytest.approx(2 * math.sqrt(r) / (1 + r))
    # fringe of two fields of intensities 1 and r: (I_max - I_min) / (I_max + I_min)
    i_max, i_min = (1 + math.sqrt(r)) ** 2, (1 - math.sqrt(r)) ** 2
    assert intensity_visibility(1.0) == pytest.approx((i_max - i_min) / (i_max + i_min))


def test_jitter_visibility_matches_the_numerical_pulse_overlap():
    fwhm, sig_t = 200e-12, 40e-12
    tau = fwhm / (2 * math.sqrt(2 * math.log(2)))

    def overlap(dt):  # Gaussian field envelopes of intensity rms tau, delayed by dt
        def f(t):
            return math.exp(-(t**2) / (4 * tau**2)) * math.exp(-((t - dt) ** 2) / (4 * tau**2))

        return integrate.quad(f, -20 * tau, 20 * tau)[0] / (math.sqrt(2 * math.pi) * tau)

    assert overlap(0.0) == pytest.approx(1.0)
    mean = integrate.quad(
        lambda d: (
            overlap(d) * math.exp(-(d**2) / (2 * sig_t**2)) / (math.sqrt(2 * math.pi) * sig_t)
        ),
        -8 * sig_t,
        8 * sig_t,
    )[0]
    assert jitter_visibility(sig_t, fwhm) == pytest.approx(mean, rel=1e-6)
    assert jitter_visibility(0.0, fwhm) == 1.0
    # 10 ps on 200 ps pulses: e = 0.086 %
    assert error_of_visibility(jitter_visibility(10e-12, fwhm)) == pytest.approx(8.64e-4, rel=1e-3)


def test_tracking_error_of_the_drifting_reference_phase():
    # the figures: 2.871 rad/ms at 10 kHz leaves 0.083 rad, 0.166 rad if held
    assert tracking_sigma_rad(2.871, 10e3) == pytest.approx(0.0829, abs=1e-4)
    assert tracking_sigma_rad(2.871, 10e3, "hold") == pytest.approx(0.1658, abs=1e-4)
    # against the rms of the ramp itself: about the interval mean, and from the start
    r_t = 0.2871
    t = np.linspace(0.0, 1.0, 200001)
    assert tracking_sigma_rad(2.871, 10e3) == pytest.approx(np.std(r_t * t), rel=1e-4)
    held = math.sqrt(np.mean((r_t * t) ** 2))
    assert tracking_sigma_rad(2.871, 10e3, "hold") == pytest.approx(held, rel=1e-4)
    with pytest.raises(ValueError, match="scheme"):
        tracking_sigma_rad(1.0, 10e3, "predict")


def test_crosstalk_passes_the_lock_as_a_first_order_low_pass():
    f_l = 1e9
    x = crosstalk_fraction([30e9, -60e9], [1e-4, 1e-3], f_l, [-40.0, -40.0])
    expect = 1e-4 * 1e-4 / (1 + 30**2) + 1e-3 * 1e-4 / (1 + 60**2)
    assert x == pytest.approx(expect)
    assert crosstalk_fraction([30e9], [1e-4], 0.0) == 0.0
    with pytest.raises(ValueError, match="power_ratio"):
        crosstalk_fraction([30e9], [-1.0], f_l)


def test_budget_matches_the_phase_noise_closed_forms():
    b = pair_budget(**_DEFAULT_PAIR)
    assert tuple(b.visibility) == VISIBILITY_TERMS and tuple(b.phase_var_rad2) == PHASE_TERMS
    e = b.errors()
    assert e["polarisation"] == pytest.approx(0.005)
    assert e["misalignment"] == 0.0 and e["demux_crosstalk"] == 0.0
    assert b.phase_var_rad2["reference_estimation"] == pytest.approx(0.0829**2, rel=1e-3)
    assert b.phase_var_rad2["injection"] == 2.4e-3
    # Gaussian phase: e = (1 - exp(-sigma^2/2)) / 2, and the whole as the key-rate core takes it
    assert e["reference_estimation"] == pytest.approx(phase_error(0.0829**2), rel=1e-3)
    assert b.e_x == pytest.approx(x_qber(b.e_d, b.sigma2_rad2))
    assert b.e_x == pytest.approx((1 - (1 - 2 * b.e_d) * math.exp(-b.sigma2_rad2 / 2)) / 2)
    held = pair_budget(**_DEFAULT_PAIR, scheme="hold")
    assert held.phase_var_rad2["reference_estimation"] == pytest.approx(
        4 * b.phase_var_rad2["reference_estimation"]
    )


def test_budget_shares_sum_to_one():
    b = pair_budget(**_DEFAULT_PAIR, crosstalk=1e-3, misalignment=0.01)
    for shares in (b.shares(), b.shares(0.02), b.shares(b.e_x / 2), b.shares(0.0)):
        assert sum(shares.values()) == pytest.approx(1.0)
        assert all(v >= 0.0 for v in shares.values())
    s = b.shares(0.02)
    assert s["protocol"] == pytest.approx(1 - b.e_x / 0.02)
    # ln V split: a contributor twice as large (in -ln V) takes twice the share
    assert s["polarisation"] / s["misalignment"] == pytest.approx(
        math.log(b.visibility["polarisation"]) / math.log(0.98)
    )
    assert XBudget().shares() == {} and XBudget().e_x == 0.0


def test_extra_misalignment_enters_as_one_visibility_factor():
    b0 = pair_budget(**_DEFAULT_PAIR)
    b1 = pair_budget(**_DEFAULT_PAIR, misalignment=0.02)
    assert 1 - 2 * b1.e_d == pytest.approx((1 - 2 * b0.e_d) * 0.96)
    with pytest.raises(ValueError, match="misalignment"):
        pair_budget(**_DEFAULT_PAIR, misalignment=0.6)
