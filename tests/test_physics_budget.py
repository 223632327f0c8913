"""Transmitter link budget arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import c, h

from qkdchip.sims.physics.budget import Transmitter, link_budget, mu_to_dbm


def test_mu_0p1_at_1ghz_is_minus_79_dbm() -> None:
    p = 0.1 * h * c / 1549.78e-9 * 1e9
    assert mu_to_dbm(0.1) == pytest.approx(10 * math.log10(p / 1e-3), abs=1e-12)
    assert mu_to_dbm(0.1) == pytest.approx(-78.92, abs=0.01)
    assert mu_to_dbm(1.0) - mu_to_dbm(0.1) == pytest.approx(10.0)
    assert mu_to_dbm(0.1, rep_rate_hz=2e9) - mu_to_dbm(0.1) == pytest.approx(10 * math.log10(2))


def test_reference_budget_arithmetic() -> None:
    tx = Transmitter()
    b = link_budget(tx, {"mu_z": 0.4, "mu_1": 0.1, "mu_2": 0.3})
    assert tx.er_total_db == 50.0
    assert tx.duty_db == pytest.approx(10 * math.log10(5))
    expected_voa = 7.0 - 8.0 - tx.duty_db - 40.0 - mu_to_dbm(0.4)
    assert b.voa_setting_db == pytest.approx(expected_voa)
    assert b.voa_ok and b.reachable and not b.notes
    lv = {x.name: x for x in b.levels}
    # 85-90 dB from a +7 dBm laser to mu = 0.1 (docs/physics.md, section 7)
    assert 85.0 <= lv["mu_1"].total_attenuation_db <= 90.0
    assert lv["mu_1"].im_attenuation_db == pytest.approx(10 * math.log10(4))
    assert lv["mu_z"].im_attenuation_db == 0.0
    assert b.vacuum_mu == pytest.approx(0.4 * 1e-5)
    assert lv["mu_1"].residual_vacuum_mu == pytest.approx(1e-6)
    # the external-attenuator window that keeps the VOA in range contains the stated 40 dB
    lo, hi = b.external_window_db
    assert lo <= 40.0 <= hi and hi - lo == pytest.approx(30.0)


def test_unreachable_cases_are_reported() -> None:
    weak = link_budget(Transmitter(external_attenuation_db=80.0))
    assert not weak.voa_ok and not weak.reachable and "too little power" in weak.notes[0]
    strong = link_budget(Transmitter(external_attenuation_db=0.0))
    assert not strong.voa_ok and "add external attenuation" in strong.notes[0]
    assert strong.external_window_db[0] <= 40.0 <= strong.external_window_db[1]
    low_er = link_budget(Transmitter(im_extinction_db=(3.0,)), {"mu_z": 0.5, "mu_1": 0.05})
    assert not low_er.reachable
    assert any("mu_1" in n for n in low_er.notes)
    assert low_er.vacuum_mu == pytest.approx(0.5 / 10**0.3)


@settings(max_examples=80, deadline=None)
@given(
    laser=st.floats(-5.0, 20.0),
    il=st.floats(0.0, 20.0),
    ers=st.lists(st.floats(5.0, 40.0), min_size=1, max_size=4),
    duty=st.floats(0.01, 1.0),
    mu=st.floats(1e-3, 1.0),
)
def test_budget_closes(laser: float, il: float, ers: list[float], duty: float, mu: float) -> None:
    tx = Transmitter(
        laser_power_dbm=laser, on_chip_loss_db=il, im_extinction_db=tuple(ers), duty_cycle=duty
    )
    b = link_budget(tx, {"mu": mu})
    # laser - IL - duty - VOA - external = target power, whatever the reachability
    out = laser - il - tx.duty_db - b.voa_setting_db - tx.external_attenuation_db
    assert out == pytest.approx(mu_to_dbm(mu), abs=1e-9)
    assert b.levels[0].total_attenuation_db == pytest.approx(laser - mu_to_dbm(mu))
    assert tx.er_total_db == pytest.approx(sum(ers))
    assert b.voa_ok == (0.0 <= b.voa_setting_db <= tx.voa_range_db)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"laser_power_dbm": float("nan")}, "laser_power_dbm"),
        ({"im_extinction_db": (20.0, -3.0)}, "im_extinction_db"),
        ({"im_extinction_db": ()}, "im_extinction_db"),
        ({"duty_cycle": 0.0}, "duty_cycle"),
        ({"voa_range_db": -1.0}, "voa_range_db"),
    ],
)
def test_bad_transmitter_raises(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Transmitter(**kwargs)


def test_bad_levels_raise() -> None:
    with pytest.raises(ValueError, match="mu_z"):
        link_budget(None, {"mu_z": -0.1})
    with pytest.raises(ValueError, match="mu="):
        link_budget(None, {})
