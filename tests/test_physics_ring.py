"""RingParams: derived rates vs closed forms, scaling laws, validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qkdchip.pdk.sin.process import N2_SI3N4_M2_PER_W, N2_SIO2_M2_PER_W
from qkdchip.sims.physics.constants import C_M_PER_S, HBAR_J_S, LAMBDA0_M
from qkdchip.sims.physics.ring import RING_RANGES, RingParams


def test_reference_ring_matches_design_figures() -> None:
    r = RingParams()
    assert r.fsr_hz == pytest.approx(30.03e9, rel=1e-12)
    assert r.length_m == pytest.approx(6.27e-3, rel=2e-3)
    assert r.length_m / (2 * math.pi) == pytest.approx(1.0e-3, rel=3e-3)  # radius ~1.00 mm
    # Q_i = 2 pi n_g / (lambda alpha) with alpha = 0.2303 x 1.7 dB/m: ~1.65e7
    # (docs/physics.md, section 2)
    # the defaults are the PDK's: n_g ~1.593 and beta2 ~+700 ps^2/km from the mode tables
    assert r.n_g == pytest.approx(1.593, abs=1e-3)
    assert r.beta2_s2_per_m == pytest.approx(700e-27, rel=0.01)
    assert r.q_i == pytest.approx(2 * math.pi * r.n_g / (LAMBDA0_M * 0.230259 * 1.7), rel=1e-5)
    assert r.q_i == pytest.approx(1.65e7, rel=0.01)
    # critical coupling needs |k|^2 ~ 2.5e-3
    assert r.kappa2 == pytest.approx(2.45e-3, rel=0.01)
    assert r.coupling_regime == "critical"
    assert r.eta == pytest.approx(0.5)
    assert r.q_loaded == pytest.approx(r.q_i / 2)
    assert r.dispersion == "normal"
    assert r.d2 < 0
    # the Kerr constants of the design's core (mode solver): A_eff ~3.9 um^2 and the n2 weighted
    # by the Kerr overlap, between silica's and bulk Si3N4's (not a stand-alone 10 um^2 and the
    # bulk n2): P_th ~11.8 mW, as the design's ring
    assert r.a_eff_m2 == pytest.approx(3.88e-12, rel=1e-3)
    assert N2_SIO2_M2_PER_W < r.n2_m2_per_w < N2_SI3N4_M2_PER_W
    assert r.threshold_power_w == pytest.approx(11.8e-3, rel=0.01)


def test_dispersion_closed_form() -> None:
    r = RingParams()
    d1 = 2 * math.pi * r.fsr_hz
    assert r.d1_rad_s == pytest.approx(d1, rel=1e-14)
    assert r.d2_rad_s == pytest.approx(-(C_M_PER_S / r.n_g) * d1**2 * r.beta2_s2_per_m, rel=1e-14)
    assert r.d2 == pytest.approx(r.d2_rad_s / r.kappa, rel=1e-14)
    # anomalous GVD flips the sign
    assert RingParams(beta2_s2_per_m=-100e-27).d2_rad_s > 0


def test_rates_and_linewidth() -> None:
    r = RingParams(kappa2=4e-3)
    assert r.kappa_i == pytest.approx(r.alpha_per_m * C_M_PER_S / r.n_g)
    assert r.kappa_ex == pytest.approx(4e-3 * r.fsr_hz)
    assert r.q_ex == pytest.approx(r.omega_rad_s / r.kappa_ex, rel=1e-12)
    assert r.q_i == pytest.approx(r.omega_rad_s / r.kappa_i, rel=1e-12)
    assert 1 / r.q_loaded == pytest.approx(1 / r.q_i + 1 / r.q_ex)
    assert r.linewidth_hz == pytest.approx(r.pump_frequency_hz / r.q_loaded, rel=1e-12)
    assert r.coupling_regime == "over"
    assert RingParams(kappa2=1e-3).coupling_regime == "under"


def test_threshold_equals_normalised_pump_one() -> None:
    """f^2 = 8 g0 kappa_ex P / (kappa^3 hbar w) equals P / P_th exactly."""
    r = RingParams(kappa2=3e-3)
    g0 = HBAR_J_S * r.omega_rad_s**2 * C_M_PER_S * r.n2_m2_per_w / (r.n_g**2 * r.v_eff_m3)
    assert r.g0_rad_s == pytest.approx(g0, rel=1e-14)
    assert r.f2(r.threshold_power_w) == pytest.approx(1.0, rel=1e-12)
    assert r.f2(3 * r.threshold_power_w) == pytest.approx(3.0, rel=1e-12)


def test_coupling_change_moves_q_and_threshold_as_physics_says() -> None:
    base = RingParams()
    over = base.with_(kappa2=2 * base.kappa2)
    assert over.fsr_hz == base.fsr_hz and over.q_i == base.q_i
    assert over.q_ex == pytest.approx(base.q_ex / 2)
    assert over.q_loaded < base.q_loaded
    # P_th ~ kappa^3 / kappa_ex: closed-form ratio
    ratio = (over.kappa**3 / over.kappa_ex) / (base.kappa**3 / base.kappa_ex)
    assert over.threshold_power_w / base.threshold_power_w == pytest.approx(ratio, rel=1e-12)
    # the threshold is minimal at kappa_ex = kappa_i / 2 (d/dk (k_i + k)^3 / k = 0)
    k_opt = base.alpha_per_m * base.length_m / 2
    p_opt = base.with_(kappa2=k_opt).threshold_power_w
    for factor in (0.8, 1.25):
        assert base.with_(kappa2=k_opt * factor).threshold_power_w > p_opt


def test_radius_change_scales_fsr_d2_threshold() -> None:
    base = RingParams()
    big = RingParams.from_radius(2 * base.length_m / (2 * math.pi), kappa2=2 * base.kappa2)
    assert big.length_m == pytest.approx(2 * base.length_m)
    assert big.fsr_hz == pytest.approx(base.fsr_hz / 2)
    assert big.d2_rad_s == pytest.approx(base.d2_rad_s / 4)
    assert big.q_i == pytest.approx(base.q_i)
    # |k|^2 doubled with L: same kappa_ex and kappa, so P_th ~ V_eff ~ L doubles
    assert big.kappa == pytest.approx(base.kappa)
    assert big.threshold_power_w == pytest.approx(2 * base.threshold_power_w)


def test_from_q_ex_round_trip() -> None:
    r = RingParams.from_q_ex(2.0e7)
    assert r.q_ex == pytest.approx(2.0e7, rel=1e-12)
    assert RingParams(kappa2=r.kappa2).q_ex == pytest.approx(2.0e7, rel=1e-12)


def test_detuning_conversion_round_trip() -> None:
    r = RingParams()
    assert r.zeta_from_detuning_hz(r.linewidth_hz / 2) == pytest.approx(1.0)  # HWHM -> zeta = 1
    assert r.detuning_hz_from_zeta(r.zeta_from_detuning_hz(12.3e6)) == pytest.approx(12.3e6)


@pytest.mark.parametrize(
    "field,value",
    [
        ("n_g", 0.5),
        ("length_m", -1e-3),
        ("loss_db_per_m", 0.0),
        ("kappa2", 0.9),
        ("a_eff_m2", float("nan")),
        ("n2_m2_per_w", 1.0),
        ("beta2_s2_per_m", 1e-20),
        ("pump_wavelength_m", 1549.78),
    ],
)
def test_bad_field_raises_naming_it(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        RingParams(**{field: value})


def test_low_finesse_ring_rejected() -> None:
    with pytest.raises(ValueError, match="loss_db_per_m"):
        RingParams(loss_db_per_m=900.0, length_m=0.01, kappa2=0.01)
    with pytest.raises(ValueError, match="pump_power_w"):
        RingParams().f2(-1.0)


def _in(name: str) -> st.SearchStrategy[float]:
    r = RING_RANGES[name]
    return st.floats(r.min, r.max, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    length=st.floats(1e-4, 0.05),
    n_g=_in("n_g"),
    beta2=_in("beta2_s2_per_m"),
    loss=st.floats(0.01, 50.0),
    kappa2=st.floats(1e-6, 0.3),
    a_eff=_in("a_eff_m2"),
)
def test_derived_quantities_consistent_over_ranges(
    length: float, n_g: float, beta2: float, loss: float, kappa2: float, a_eff: float
) -> None:
    # the high-finesse model is defined for a round-trip power loss alpha L <= 0.5 (tested apart)
    assume(math.log(10) / 10 * loss * length <= 0.5)
    r = RingParams(
        length_m=length,
        n_g=n_g,
        beta2_s2_per_m=beta2,
        loss_db_per_m=loss,
        kappa2=kappa2,
        a_eff_m2=a_eff,
    )
    for v in (r.fsr_hz, r.q_i, r.q_ex, r.q_loaded, r.kappa, r.threshold_power_w, r.g0_rad_s):
        assert math.isfinite(v) and v > 0
    assert r.q_loaded < min(r.q_i, r.q_ex)
    assert 0 < r.eta < 1
    assert r.f2(1e-3) == pytest.approx(1e-3 / r.threshold_power_w, rel=1e-9)
    assert math.copysign(1.0, r.d2_rad_s) == -math.copysign(1.0, beta2) or beta2 == 0.0
