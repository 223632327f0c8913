"""Security margins (issue 15): discrete phase randomisation and light injection.

Closed forms (Cao et al. 2015 pseudo-Fock weights, the quantum-coin bound, the locked-laser
steady state), the published discrete-phase SNS figure (Jiang, Yu, Hu, Wang, arXiv:2009.00816:
6 phases beat the linear bound, 12 are very close to continuous), the identity with the core's
SNS rate when there is no flaw, and (slow) the design's numbers moving with the layout as
V_pi ~ 1/L and the VOA's dB ~ L say.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from qkdchip.cli import app
from qkdchip.sims.keyrate import Channel, Detector, key_rate
from qkdchip.sims.keyrate.bounds import plob
from qkdchip.sims.keyrate.channel import arrival
from qkdchip.sims.keyrate.sns import SNSParams, sns_rate
from qkdchip.sims.security.injection import InjectedLaser, injected_power_for
from qkdchip.sims.security.phases import (
    dac_phase_set,
    fidelity_lambda1,
    fidelity_single_photon,
    fidelity_to_uniform,
    pseudo_fock_weights,
)
from qkdchip.sims.security.sns_flaws import coin_phase_error, optimise_flawed, sns_flawed_rate

runner = CliRunner()
DET = Detector()


def _optimum(distance_km: float) -> tuple[Channel, SNSParams]:
    ch = Channel.symmetric([distance_km])
    res = key_rate("sns", ch, DET, SNSParams(), optimize=True)
    p = {k: float(res.parameters[k][0]) for k in ("mu_z", "mu_1", "mu_2", "eps")}
    return ch, SNSParams(**p)


# ---- pseudo-Fock states (Cao, Zhang, Lo, Ma, NJP 17, 053014 (2015)) ----------------------------


def test_pseudo_fock_weights_closed_forms():
    mu = 0.4
    for m in (2, 3, 7, 16):
        assert pseudo_fock_weights(mu, m).sum() == pytest.approx(1.0, abs=1e-14)
    # M = 2: even/odd photon numbers, e^-mu cosh(mu) and e^-mu sinh(mu)
    p = pseudo_fock_weights(mu, 2)
    assert p[0] == pytest.approx(math.exp(-mu) * math.cosh(mu), rel=1e-13)
    assert p[1] == pytest.approx(math.exp(-mu) * math.sinh(mu), rel=1e-13)
    # many phases: the Poisson weights
    assert pseudo_fock_weights(mu, 64)[:10] == pytest.approx(stats.poisson.pmf(range(10), mu))


def test_single_photon_fidelity_leading_order():
    # |lambda_1> = |1> + sqrt(mu^M / (M+1)!) |M+1> + ...:  1 - F_1^2 = mu^M / (M+1)! (leading)
    mu = 0.4
    for m in (4, 6, 8):
        lead = mu**m / math.factorial(m + 1)
        assert 1 - fidelity_single_photon(mu, m) ** 2 == pytest.approx(lead, rel=0.02)
        # between two intensities: 1 - F^2 ~ (a_z - a_1)^2 with a = sqrt(mu^M / (M+1)!)
        a = [math.sqrt(x**m / math.factorial(m + 1)) for x in (mu, 0.1)]
        assert 1 - fidelity_lambda1(mu, 0.1, m) ** 2 == pytest.approx((a[0] - a[1]) ** 2, rel=0.05)
    assert fidelity_single_photon(mu, None) == 1.0


def test_quantum_coin_bound():
    e = np.array([0.0, 0.02, 0.1])
    assert coin_phase_error(e, 0.0) == pytest.approx(e)
    assert np.all(coin_phase_error(e, 0.5) == 0.5)
    grow = coin_phase_error(0.02, np.array([1e-6, 1e-4, 1e-2]))
    assert np.all(np.diff(grow) > 0) and grow[0] > 0.02
    # e = 0: 4 D (1 - D)
    assert coin_phase_error(0.0, 0.01) == pytest.approx(4 * 0.01 * 0.99)


# ---- the phases the DAC produces --------------------------------------------------------------


def test_dac_phase_set_uniform_clipped_and_vpi_scaling():
    vpi, m = 11.1, 16
    # a 4-bit DAC whose LSB is exactly 2 V_pi / M: the uniform set, c_d = 0
    exact = dac_phase_set(m, 4, 15 * 2 * vpi / m, vpi)
    assert exact.max_error_rad < 1e-12 and exact.max_fourier < 1e-12 and not exact.clipped
    assert fidelity_to_uniform(0.4, exact) == pytest.approx(1.0, abs=1e-15)
    # too small a swing: the set is clipped, far from uniform
    short = dac_phase_set(m, 8, 10.0, vpi)
    assert short.clipped and short.max_fourier > 0.5
    # theta = pi V / V_pi: half the V_pi (twice the PM length), twice the coverage
    assert dac_phase_set(m, 8, 10.0, vpi / 2).coverage_rad == pytest.approx(2 * short.coverage_rad)
    # quantisation: |error| <= half an LSB
    q = dac_phase_set(m, 6, 2 * vpi, vpi)
    assert not q.clipped and q.max_error_rad <= q.lsb_rad / 2 + 1e-12


# ---- SNS with source flaws ----------------------------------------------------------------------


def test_no_flaw_is_the_core_sns_rate_and_flaws_never_raise_it():
    for d in (100.0, 370.0):
        ch, p = _optimum(d)
        core = sns_rate(*arrival(ch, DET)[:4], arrival(ch, DET)[4], p)
        mine = sns_flawed_rate(ch, DET, p)
        for k in ("rate", "s1", "e1_ph", "gain_z", "qber_z"):
            assert np.asarray(mine[k]) == pytest.approx(np.asarray(core[k]), rel=1e-12), k
        r0 = float(mine["rate"][0])
        for m in (4, 8, 16, 64):
            assert float(sns_flawed_rate(ch, DET, p, phases=m)["rate"][0]) <= r0
        rates = [
            float(sns_flawed_rate(ch, DET, p, intensity_deviation=x)["rate"][0])
            for x in (0.0, 0.01, 0.05)
        ]
        assert rates[0] == r0 and rates[0] >= rates[1] >= rates[2]


@pytest.mark.slow
def test_published_discrete_phase_sns_figure():
    """Jiang, Yu, Hu, Wang (arXiv:2009.00816), key-rate figures: with 6 phases SNS exceeds the
    linear (PLOB) bound; with 12 the rate is very close to continuous randomisation."""
    ch, p = _optimum(370.0)
    r_inf = optimise_flawed(ch, DET, p)[1]
    r6 = optimise_flawed(ch, DET, p, phases=6)[1]
    r12 = optimise_flawed(ch, DET, p, phases=12)[1]
    assert r6 > plob(ch.eta)[0]  # 6 phases: above the linear bound
    assert r12 / r_inf > 0.999  # 12 phases: within 0.1 % of continuous
    assert r6 < r12 < r_inf


# ---- injection ----------------------------------------------------------------------------------

LASER = {
    "front_reflectivity": 0.214,
    "rear_reflectivity": 0.365,
    "cavity_length_um": 863.3,
    "group_index": 3.64,
    "henry_factor": 3.0,
    "output_power_mW": 10.0,
    "linewidth_MHz": 3.0,
}


def test_injected_laser_closed_forms():
    las = InjectedLaser(LASER, 2.0)
    # 1 / tau_p = (c / n_g)(alpha_i + ln(1 / (R_f R_r)) / 2L)
    alpha = 2.0 * math.log(10) / 10 * 100 + math.log(1 / (0.214 * 0.365)) / (2 * 863.3e-6)
    assert las.photon_lifetime_s == pytest.approx(3.64 / (299792458.0 * alpha), rel=1e-12)
    assert las.intensity_factor(0.0) == 1.0
    # small signal: delta = (2 k_f tau_p + 2 sqrt(R_f)) sqrt(P / P_0)
    p = 1e-12
    slope = las.gain + 2 * math.sqrt(0.214)
    assert las.intensity_factor(p) - 1 == pytest.approx(slope * math.sqrt(p / 10e-3), rel=1e-5)
    # exact: u^2 - a u - 1 = 0
    p = 1e-4
    a = las.gain * math.sqrt(p / 10e-3)
    u = (a + math.sqrt(a * a + 4)) / 2
    assert u * u - a * u - 1 == pytest.approx(0.0, abs=1e-14)
    assert las.intensity_factor(p) == pytest.approx((u + math.sqrt(0.214 * p / 10e-3)) ** 2)
    assert las.intensity_factor(injected_power_for(las, 0.05)) == pytest.approx(1.05, rel=1e-9)


# ---- CLI ----------------------------------------------------------------------------------------


def test_keyrate_phase_randomisation_cli():
    args = ["keyrate", "--protocol", "sns", "--distance-km", "370", "--json", "--optimize"]
    cont = json.loads(runner.invoke(app, args).stdout)[0]
    disc = json.loads(runner.invoke(app, [*args, "--phase-randomisation", "8"]).stdout)[0]
    assert cont["settings"]["phase_randomisation"] is None
    assert disc["settings"]["phase_randomisation"] == 8
    assert 0 < disc["rate_per_pulse"] < cont["rate_per_pulse"]
    ch = Channel.symmetric([370.0])
    core = key_rate("sns", ch, DET, optimize=True)  # the default stays continuous, unchanged
    assert cont["rate_per_pulse"] == pytest.approx(float(core.rate_per_pulse[0]), rel=1e-12)
    for extra, needle in (
        (["--phase-randomisation", "1"], "--phase-randomisation=1"),
        (["--phase-randomisation", "8", "--pulses", "1e12"], "finite-key"),
    ):
        res = runner.invoke(app, [*args, *extra])
        assert res.exit_code == 2 and res.stderr.startswith("error: ") and needle in res.stderr
        assert len(res.stderr.splitlines()) == 1
    res = runner.invoke(app, [*args[:2], "sns-aopp", *args[3:], "--phase-randomisation", "8"])
    assert res.exit_code == 2 and "sns-aopp" in res.stderr


def test_security_bad_setting_is_one_line():
    res = runner.invoke(app, ["security", "--set", "security.dac_bits=40"])
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1
    assert "security.dac_bits=40" in res.stderr and "allowed" in res.stderr


# ---- the design's numbers follow the layout (slow: two client chips' S-matrices) --------------


@pytest.mark.slow
def test_security_margins_follow_pm_and_voa_length(tmp_path):
    from qkdchip.design import validate
    from qkdchip.pdk.inp.process import PROCESS
    from qkdchip.sims.security.analysis import security_margins

    png = tmp_path / "s.png"
    res = runner.invoke(app, ["security", "--json", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    base = json.loads(res.stdout)
    assert png.stat().st_size > 0
    ph0, inj0 = base["phase_randomisation"], base["injection"]
    for k in ("m", "dac_bits", "rate_loss_370km", "m_for_1pct"):
        assert k in ph0
    for k in ("isolation_db", "max_injected_dbm_for_10pct", "required_extra_isolation_db"):
        assert k in inj0
    assert ph0["m_for_1pct"] is not None and ph0["m_for_1pct"] <= 16
    from qkdchip.report.markdown import security_markdown

    text = "\n".join(security_markdown(base))
    assert f"{inj0['isolation_db']:.2f} dB" in text and f"M >= {ph0['m_for_1pct']}" in text

    dl_pm, dl_voa = 200.0, 60.0  # um (what still folds into the die's two rows)
    longer = security_margins(
        validate(
            {
                "client.pm.length_um": ph0["pm_length_um"] + dl_pm,
                "client.voa.length_um": 400.0 + dl_voa,
            }
        )
    ).to_dict()
    ph1, inj1 = longer["phase_randomisation"], longer["injection"]
    # V_pi ~ 1/L, and the phase the same swing reaches ~ L
    ratio = (ph0["pm_length_um"] + dl_pm) / ph0["pm_length_um"]
    assert ph1["pm_length_um"] == ph0["pm_length_um"] + dl_pm  # read from the drawn cell
    assert ph1["pm_vpi_v"] == pytest.approx(ph0["pm_vpi_v"] / ratio, rel=1e-6)
    assert ph1["coverage_rad"] == pytest.approx(ratio * ph0["coverage_rad"], rel=1e-6)
    assert ph1["pm_length_needed_um"] == pytest.approx(ph0["pm_length_needed_um"], rel=1e-6)
    # VOA: (absorption at full bias + residual loss) dB per length, read backwards facet->laser
    per_mm = PROCESS.voa_absorption_dB_per_mm + PROCESS.voa_loss_dB_per_mm
    pm_loss = PROCESS.eo_loss_dB_per_mm * dl_pm / 1e3  # the longer PM's own loss
    d_iso = inj1["isolation_db"] - inj0["isolation_db"]
    assert d_iso == pytest.approx(per_mm * dl_voa / 1e3 + pm_loss, abs=0.1)
    # the tolerated facet power moves 1:1 with the isolation, the extra isolation needed too
    d_max = inj1["max_injected_dbm_for_10pct"] - inj0["max_injected_dbm_for_10pct"]
    assert d_max == pytest.approx(d_iso, abs=1e-6)
    assert inj1["required_extra_isolation_db"] == pytest.approx(
        max(0.0, inj0["required_extra_isolation_db"] - d_iso), abs=1e-6
    )


def test_summary_and_report_lines_without_key():
    """Where no key is possible the figures are None: the text says so, never fails."""
    from qkdchip.commands.security import summary_lines
    from qkdchip.report.markdown import security_markdown
    from qkdchip.sims.security.analysis import SecurityResult

    ph = {
        "m": 16,
        "dac_bits": 8,
        "drive_swing_v": 10.0,
        "pm_vpi_v": 11.1,
        "pm_length_um": 900.0,
        "coverage_rad": 2.83,
        "clipped": True,
        "max_phase_error_rad": 3.06,
        "distance_km": 900.0,
        "rate_loss_370km": None,
        "rate_loss_370km_ideal": None,
        "m_for_1pct": None,
        "dac_bits_for_1pct": None,
        "pm_length_needed_fits_die": False,
        "swing_needed_v": 20.8,
        "pm_length_needed_um": 1875.0,
        "swing_for_exact_phases_v": None,
    }
    inj = {
        "isolation_db": 34.5,
        "attacker_power_dbm": 10.0,
        "delta_at_attacker_power": 0.042,
        "delta_for_10pct": 0.0,
        "max_injected_dbm_for_10pct": None,
        "required_extra_isolation_db": None,
    }
    res = SecurityResult(ph, inj)
    text = "\n".join(summary_lines(res) + security_markdown(res.to_dict()))
    assert "M >= -" in text and "no DAC up to 16 bits" in text and "does not fit the die" in text
    assert security_markdown(None) == []
