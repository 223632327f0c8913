"""Layout -> device physics: the ring and the comb follow the server chip's parameters."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from qkdchip import design as design_mod
from qkdchip.sims import devices
from qkdchip.sims.physics.constants import C_M_PER_S


def d(*sets: str):
    return design_mod.load(None, list(sets))


def test_ring_passes_layout_numbers_through_unchanged():
    info = devices.server_info()
    ring = devices.ring_params()
    assert ring.length_m == pytest.approx(info["ring_length_um"] * 1e-6, rel=1e-12)
    assert ring.n_g == info["ring_n_g"]
    assert ring.kappa2 == info["ring_power_coupling"]
    assert ring.loss_db_per_m == info["ring_loss_db_per_m"]
    # FSR = c / (n_g L), the chip's own figure, and 30.03 GHz within 0.5 %
    assert ring.fsr_hz == pytest.approx(
        C_M_PER_S / (info["ring_n_g"] * info["ring_length_um"] * 1e-6)
    )
    assert ring.fsr_hz / 1e9 == pytest.approx(info["ring_fsr_ghz"], rel=1e-6)
    assert ring.fsr_hz / 1e9 == pytest.approx(30.03, rel=5e-3)
    # D2 = -(c/n_g) D1^2 beta2 with the table's beta2 (normal dispersion: D2 < 0)
    d2 = (
        -(C_M_PER_S / ring.n_g)
        * (2 * math.pi * ring.fsr_hz) ** 2
        * info["ring_beta2_ps2_per_km"]
        * 1e-27
    )
    assert ring.d2_rad_s == pytest.approx(d2, rel=1e-9)
    assert ring.d2_rad_s < 0


def test_gap_moves_coupling_q_and_threshold_as_physics_says():
    near, far = (
        devices.ring_params(d("server.ring.gap_um=2.4")),
        devices.ring_params(d("server.ring.gap_um=2.8")),
    )
    assert far.kappa2 < near.kappa2  # evanescent coupling decays with the gap
    assert far.q_ex == pytest.approx(
        near.q_ex * near.kappa2 / far.kappa2, rel=1e-9
    )  # Q_ex ~ 1/|k|^2
    assert far.q_i == pytest.approx(near.q_i)  # intrinsic Q does not depend on the gap
    assert far.q_loaded > near.q_loaded
    # P_th = kappa^2 n_g^2 V / (8 eta w c n2): the ratio follows kappa^3/kappa_ex
    ratio = (far.kappa**3 / far.kappa_ex) / (near.kappa**3 / near.kappa_ex)
    assert far.threshold_power_w / near.threshold_power_w == pytest.approx(ratio, rel=1e-9)


def test_radius_moves_fsr_as_one_over_length():
    a = devices.ring_params(d("server.ring.radius_um=1000"))
    b = devices.ring_params(d("server.ring.radius_um=900"))
    assert b.fsr_hz / a.fsr_hz == pytest.approx(a.length_m / b.length_m, rel=1e-6)


@pytest.fixture(scope="module")
def default_comb():
    comb = devices.comb()
    return comb, devices.channel_plan(comb_result=comb)


def test_default_design_gives_a_dark_pulse_comb_with_ten_channels(default_comb):
    comb, plan = default_comb
    assert comb.state == "dark_pulse"
    assert comb.n_lines_within(30.0) >= 20
    assert len(plan.channels) == 10
    assert plan.lambda0_nm == pytest.approx(1549.78, abs=1e-6)
    for ch in plan.channels:
        # the channel sits on a comb line: nu_0 + k FSR
        assert ch.frequency_hz == pytest.approx(
            plan.reference_frequency_hz + ch.k * comb.fsr_hz, rel=1e-12
        )


def test_channel_frequencies_follow_the_radius(default_comb):
    comb, plan = default_comb
    comb2 = devices.comb(d("server.ring.radius_um=1010"))
    assert comb2.fsr_hz < comb.fsr_hz
    plan2 = devices.channel_plan(comb_result=comb2)
    ch, ch2 = plan.channels[0], plan2.channels[0]
    assert ch2.k == ch.k
    assert ch2.frequency_hz - plan2.reference_frequency_hz == pytest.approx(
        ch.k * comb2.fsr_hz, rel=1e-12
    )


def test_far_from_critical_coupling_lowers_line_power(default_comb):
    comb, _ = default_comb
    weak = devices.comb(d("server.ring.gap_um=3.2"))
    # under-coupled: kappa_ex small, little power leaves the ring into the bus
    strong_lines = sorted(comb.power_dbm[comb.k != 0])[-6:]
    weak_lines = sorted(weak.power_dbm[weak.k != 0])[-6:]
    assert max(weak_lines) < min(strong_lines) or weak.state == "cw"


def test_comb_cli_json_contract_and_bad_input():
    proc = subprocess.run(
        [sys.executable, "-m", "qkdchip.cli", "comb", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(proc.stdout)
    for key in ("fsr_ghz", "lambda0_nm", "state", "lines", "channels"):
        assert key in out
    assert {"k", "frequency_thz", "power_dbm"} <= set(out["lines"][0])
    assert {"channel", "k", "frequency_thz", "power_dbm"} <= set(out["channels"][0])
    bad = subprocess.run(
        [sys.executable, "-m", "qkdchip.cli", "comb", "--set", "comb.pump_power_w=100"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "comb.pump_power_w" in bad.stderr


def test_layout_info_and_s_matrix_models_give_the_same_ring():
    """Two routes to the ring (the cell's c.info; the sax models' geometry) must agree."""
    from qkdchip.sims.server import server_ring_params

    a = devices.ring_params(d("server.ring.gap_um=2.5"))
    b = server_ring_params(ring_gap_um=2.5)
    for name in ("length_m", "n_g", "beta2_s2_per_m", "loss_db_per_m", "n2_m2_per_w", "a_eff_m2"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-6), name
    assert b.kappa2 == pytest.approx(a.kappa2, rel=1e-6)
    # c.info carries the Kerr overlap rounded to 5 digits: the thresholds agree to ~1e-5
    assert b.threshold_power_w == pytest.approx(a.threshold_power_w, rel=1e-4)
