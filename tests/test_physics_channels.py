"""Channel plan on the comb, demux filter arithmetic, downstream delivery."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qkdchip.sims.physics.channels import DemuxFilter, Distribution, deliver, plan_channels
from qkdchip.sims.physics.comb import simulate_comb
from qkdchip.sims.physics.constants import C_BAND_HZ
from qkdchip.sims.physics.ring import RingParams


@pytest.fixture(scope="module")
def comb():
    return simulate_comb(n_modes=64)


@pytest.fixture(scope="module")
def plan(comb):
    return plan_channels(comb)


def test_rule_every_mth_line_around_lambda0(comb, plan) -> None:
    assert plan.lambda0_nm == pytest.approx(1549.78, abs=1e-9)
    assert plan.k_ref == 0
    assert plan.line_step == math.ceil(50e9 / comb.fsr_hz) == 2
    assert plan.channel_spacing_hz == pytest.approx(60.06e9)
    ks = [ch.k for ch in plan.channels]
    assert ks == [-10, -8, -6, -4, -2, 2, 4, 6, 8, 10]
    assert [ch.channel for ch in plan.channels] == list(range(1, 11))
    freqs = [ch.frequency_hz for ch in plan.channels]
    assert freqs == sorted(freqs)
    for ch in plan.channels:
        assert ch.frequency_hz == comb.nu0_hz + ch.k * comb.fsr_hz
        assert C_BAND_HZ[0] < ch.frequency_hz < C_BAND_HZ[1]
        assert ch.line_power_dbm >= comb.power_dbm.max() - 30.0
        assert ch.demux_power_dbm == pytest.approx(ch.line_power_dbm - 3.0)


def test_channels_follow_the_ring() -> None:
    """A larger ring: smaller FSR -> m = 3 lines per port, frequencies nu0 + k FSR'."""
    ring = RingParams.from_radius(1.25e-3)
    assert 50e9 / 3 <= ring.fsr_hz < 50e9 / 2
    comb = simulate_comb(ring, n_modes=64, detuning_zeta=3.0)
    p = plan_channels(comb, n_channels=4, within_db=40.0)
    assert p.line_step == 3
    for ch in p.channels:
        assert ch.k % 3 == 0 and ch.frequency_hz == ring.pump_frequency_hz + ch.k * ring.fsr_hz


def test_filter_shape() -> None:
    flt = DemuxFilter(bandwidth_3db_hz=12.5e9, order=2, insertion_loss_db=3.0, isolation_db=40.0)
    assert flt.transmission_db(0.0) == pytest.approx(-3.0)
    assert flt.transmission_db(6.25e9) == pytest.approx(-3.0 - 10 * math.log10(2), abs=1e-12)
    assert flt.transmission_db(30.03e9) == pytest.approx(-43.0)  # floor
    gauss = DemuxFilter(bandwidth_3db_hz=40e9, order=1, insertion_loss_db=0.0, isolation_db=90.0)
    x = 30.03e9
    assert gauss.transmission_db(x) == pytest.approx(
        10 * math.log10(math.exp(-math.log(2) * (2 * x / 40e9) ** 2))
    )


def test_isolation_is_computed_from_the_comb(comb, plan) -> None:
    flt = plan.demux
    for ch in plan.channels:
        idx = comb.index_of(ch.k)
        t = 10 ** (flt.transmission_db(comb.frequency_hz - ch.frequency_hz) / 10)
        out = comb.power_w * t
        iso = 10 * math.log10(out[idx] / (out.sum() - out[idx]))
        assert ch.isolation_db == pytest.approx(iso)
        # the +-30 GHz neighbours sit on the 40 dB floor of the port
        assert ch.neighbour_rejection_db == pytest.approx(-40.0)
    # a better filter floor improves the isolation dB for dB (floor-limited)
    better = plan_channels(comb, demux=DemuxFilter(isolation_db=50.0))
    for a, b in zip(plan.channels, better.channels, strict=True):
        assert b.isolation_db == pytest.approx(a.isolation_db + 10.0, abs=1e-6)


def test_delivery_arithmetic(plan) -> None:
    feeds = deliver(plan)
    assert len(feeds) == 20
    assert {f.client for f in feeds} == {f"{s}{i}" for s in "AB" for i in range(1, 11)}
    split = 10 * math.log10(2) + 0.3
    for f in feeds:
        ch = plan.channel(f.channel)
        km = 60.0 if f.channel == 5 else 1.0
        assert f.fibre_km == km
        assert f.injected_power_dbm == pytest.approx(ch.demux_power_dbm - split - 0.2 * km - 3.0)
    long = deliver(plan, Distribution(per_pair_km={5: (60.0, 60.0), 3: (0.0, 25.0)}))
    b3 = next(f for f in long if f.client == "B3")
    a3 = next(f for f in long if f.client == "A3")
    assert a3.injected_power_dbm - b3.injected_power_dbm == pytest.approx(5.0)
    assert a3.injected_power_w == pytest.approx(1e-3 * 10 ** (a3.injected_power_dbm / 10))


def test_too_many_channels_and_bad_input(comb) -> None:
    with pytest.raises(ValueError, match="n_channels"):
        plan_channels(comb, n_channels=40)
    with pytest.raises(ValueError, match="bandwidth_3db_hz"):
        DemuxFilter(bandwidth_3db_hz=-1.0)
    with pytest.raises(ValueError, match="order"):
        DemuxFilter(order=2.5)
    with pytest.raises(ValueError, match="per_pair_km"):
        Distribution(per_pair_km={5: (-1.0, 60.0)})
    with pytest.raises(ValueError, match="channel"):
        plan_channels(comb).channel(11)


def test_isolation_floor_limited_by_strong_pump(comb, plan) -> None:
    """The channels next to the pump see it through the 40 dB floor: their isolation is set by
    the pump leak, which a notch on the pump line (not modelled) would remove."""
    iso = np.array([ch.isolation_db for ch in plan.channels])
    assert np.all(iso > 10.0)
