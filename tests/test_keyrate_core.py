"""Key-rate core: bounds, click statistics, finite-size statistics, validation, API and CLI.

Each check is against a closed form, an independent numerical evaluation, or a defining
equation; the published-figure checks live in ``test_keyrate_published.py``.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson
from typer.testing import CliRunner

from qkdchip.sims.keyrate import (
    CALParams,
    Channel,
    Detector,
    PMParams,
    Security,
    SNSParams,
    TFParams,
    binary_entropy,
    key_rate,
    plob,
    plob_conditional,
    single_repeater_bound,
    sns_rate,
    tgw,
)
from qkdchip.sims.keyrate.channel import arrival
from qkdchip.sims.keyrate.finite import (
    expected_lower,
    expected_upper,
    observed_lower,
    observed_upper,
    sampling_gamma,
)
from qkdchip.sims.keyrate.observables import (
    fock_yields_random_phase,
    photon_number_yields_fixed_phase,
    single_click_fixed_phase,
    single_click_random_phase,
)

# ---------------------------------------------------------------------------------- bounds


def test_plob_tgw_repeater_closed_forms():
    assert plob(0.5) == pytest.approx(1.0, rel=1e-15)
    assert plob(0.75) == pytest.approx(2.0, rel=1e-15)
    assert tgw(1.0 / 3.0) == pytest.approx(1.0, rel=1e-15)
    assert single_repeater_bound(0.25) == pytest.approx(1.0, rel=1e-15)
    assert single_repeater_bound(0.5, 0.75) == pytest.approx(1.0, rel=1e-15)  # weaker link
    assert plob_conditional(0.5, 0.5) == pytest.approx(-math.log2(0.75), rel=1e-15)
    # 100 km of 0.2 dB/km fibre: eta = 0.01, PLOB = -log2(0.99)
    assert plob(Channel.symmetric(100.0).eta) == pytest.approx(0.014499569695115089, rel=1e-12)
    # small-eta limits keep full relative precision: PLOB -> eta/ln2, SRB -> sqrt(eta)/ln2
    assert plob(1e-30) == pytest.approx(1e-30 / math.log(2), rel=1e-12)
    assert single_repeater_bound(1e-30) == pytest.approx(1e-15 / math.log(2), rel=1e-12)
    assert np.isinf(plob(1.0))


@given(st.floats(1e-300, 1.0 - 1e-9))
def test_bound_ordering(eta):
    assert tgw(eta) >= plob(eta) >= 0.0
    assert single_repeater_bound(eta) >= plob(eta)


def test_binary_entropy():
    assert binary_entropy(0.5) == 1.0
    assert binary_entropy(0.0) == 0.0 and binary_entropy(1.0) == 0.0
    assert binary_entropy(0.11) == pytest.approx(0.49991596, rel=1e-7)


# ---------------------------------------------------------------------------- observables


def _phase_average_numeric(xa, xb, v, pd, n=4096):
    """Single-click probability averaged over a uniform relative phase, by brute force."""
    delta = (np.arange(n) + 0.5) * 2 * np.pi / n
    s = xa + xb
    u = v * np.sqrt(xa * xb) * np.cos(delta)
    p_plus = (1 - pd) * np.exp(-(s / 2 - u)) - (1 - pd) ** 2 * np.exp(-s)
    p_minus = (1 - pd) * np.exp(-(s / 2 + u)) - (1 - pd) ** 2 * np.exp(-s)
    return np.mean(p_plus + p_minus)


@pytest.mark.parametrize(
    "xa,xb,v,pd",
    [(0.3, 0.3, 1.0, 1e-3), (0.05, 0.2, 0.9, 1e-6), (2.0, 0.7, 0.5, 0.0), (1e-3, 0.0, 1.0, 1e-8)],
)
def test_bessel_average_matches_numerical_phase_average(xa, xb, v, pd):
    got = single_click_random_phase(np.array(xa), np.array(xb), np.array(v), np.array(pd))
    assert got == pytest.approx(_phase_average_numeric(xa, xb, v, pd), rel=1e-12)


def test_single_click_precision_at_1000_km():
    # x ~ 1e-13: S = 2 p_d (1-p_d) + (1 - 2 p_d) x + O(x^2); the expm1 form keeps 1e-9 relative
    x, pd = 1e-13, 1e-11
    got = single_click_random_phase(np.array(x), np.array(0.0), np.array(1.0), np.array(pd))
    expected = 2 * pd * (1 - pd) + (1 - pd) * x * (1 - 2 * pd) - 0.75 * x * x
    assert got == pytest.approx(expected, rel=1e-9)


def test_fixed_phase_limits():
    xa = xb = np.array(0.2)
    # perfect visibility, exact phase match, no dark counts: the wrong detector never clicks
    right, wrong = single_click_fixed_phase(xa, xb, np.array(1.0), np.array(0.0))
    assert wrong == 0.0
    assert right == pytest.approx(1 - math.exp(-0.4), rel=1e-14)
    # misalignment e_d: wrong/total = e_d to first order in the intensity
    ed = 0.05
    right, wrong = single_click_fixed_phase(
        np.array(1e-6), np.array(1e-6), np.array(1 - 2 * ed), np.array(0.0)
    )
    assert wrong / (right + wrong) == pytest.approx(ed, rel=1e-5)
    # window of width D: error (1 - sinc(D/2))/2 for V = 1 and weak light
    d = 0.8
    right, wrong = single_click_fixed_phase(
        np.array(1e-7), np.array(1e-7), np.array(1.0), np.array(0.0), d
    )
    assert wrong / (right + wrong) == pytest.approx(0.5 * (1 - math.sin(d / 2) / (d / 2)), rel=1e-6)
    # PM slices: triangular relative phase of two phases uniform in 2 pi/M
    m = 16
    right, wrong = single_click_fixed_phase(
        np.array(1e-7), np.array(1e-7), np.array(1.0), np.array(0.0), 2 * np.pi / m, "triangular"
    )
    sinc = math.sin(math.pi / m) / (math.pi / m)
    assert wrong / (right + wrong) == pytest.approx(0.5 * (1 - sinc**2), rel=1e-6)


def test_fock_yields_reproduce_coherent_statistics_and_hom():
    ea, eb, v, pd = np.array(0.3), np.array(0.5), np.array(0.9), np.array(1e-3)
    y = fock_yields_random_phase(30, ea, eb, v, pd)
    a, b = 0.7, 0.4
    pa, pb = poisson.pmf(np.arange(31), a), poisson.pmf(np.arange(31), b)
    one_detector = single_click_random_phase(ea * a, eb * b, v, pd) / 2
    assert pa @ y @ pb == pytest.approx(one_detector, rel=1e-12)
    ideal = fock_yields_random_phase(2, np.array(1.0), np.array(1.0), np.array(1.0), np.array(0.0))
    assert ideal[1, 1] == pytest.approx(0.5)  # Hong-Ou-Mandel: both photons exit together
    assert ideal[1, 0] == pytest.approx(0.5) and ideal[2, 0] == pytest.approx(0.25)


def test_photon_number_yields_sum_to_gain():
    ea, eb, v, pd = np.array(0.02), np.array(0.03), np.array(0.95), np.array(1e-5)
    mu = 0.4
    k = np.arange(40.0)
    yk, yk_wrong = photon_number_yields_fixed_phase(k[:, None], ea, eb, v, pd, 0.3, "triangular")
    weights = poisson.pmf(np.arange(40), mu)
    right, wrong = single_click_fixed_phase(ea * mu / 2, eb * mu / 2, v, pd, 0.3, "triangular")
    assert weights @ yk[:, 0] == pytest.approx(right + wrong, rel=1e-12)
    assert weights @ yk_wrong[:, 0] == pytest.approx(wrong, rel=1e-12)


# ----------------------------------------------------------------------------- finite key


@given(st.floats(0.0, 1e12), st.sampled_from([1e-10, 1e-6, 1e-3]))
@settings(max_examples=60)
def test_chernoff_inverse_solves_its_equation(x, xi):
    beta = math.log(1 / xi)
    lo, hi = float(expected_lower(x, xi)), float(expected_upper(x, xi))
    assert 0.0 <= lo <= x <= hi

    def excess(m):  # x ln(x/m) + m - x - beta: decreasing below x, increasing above
        return x * math.log(x / m) + m - x - beta

    if x > 1e-200:
        # the roots are accurate to 1e-9 relative: the residual changes sign across them
        if lo > 1e-300:  # (a subnormal root has no 9 digits to check)
            assert excess(lo * (1 - 1e-9)) >= 0 >= excess(lo * (1 + 1e-9))
        assert excess(hi * (1 - 1e-9)) <= 0 <= excess(hi * (1 + 1e-9))
    if x < 1e-250:
        assert hi == pytest.approx(beta) and lo == 0.0


def test_chernoff_forward_and_sampling():
    m = np.array([0.0, 10.0, 1e6])
    beta = math.log(1e10)
    assert np.allclose(observed_lower(m, 1e-10), np.maximum(m - np.sqrt(2 * beta * m), 0))
    assert np.allclose(observed_upper(m, 1e-10), m + beta / 2 + np.sqrt(2 * beta * m + beta**2 / 4))
    g = sampling_gamma(np.array([1e4, 1e6, 1e8]), np.array([1e6, 1e6, 1e8]), 0.05, 1e-10)
    assert np.all(np.diff(g) < 0) and g[-1] < 1e-3  # shrinks with the sample sizes
    # large equal samples: gamma ~ sqrt(lambda (1-lambda) G), G = 2/n ln(...)
    n = 1e8
    gg = 2 / n * math.log(2 * n / (2 * math.pi * n * n * 0.05 * 0.95 * 1e-20))
    assert g[-1] == pytest.approx(math.sqrt(0.05 * 0.95 * gg), rel=0.01)
    assert np.isinf(sampling_gamma(0.0, 10.0, 0.1, 1e-10))


def test_security_cost_bits():
    # log2(2/1e-10) + 2 log2(1/(sqrt2 1e-20)) = 34.219 + 2 * 65.937
    assert Security().cost_bits == pytest.approx(
        math.log2(2e10) + 2 * math.log2(1 / (math.sqrt(2) * 1e-20)), rel=1e-12
    )


# ------------------------------------------------------------------ decoy-bound soundness


@pytest.mark.parametrize("mu_v", [0.0, 1e-4, 1e-3, 1e-2, 0.05])
def test_decoy_bounds_are_sound_with_imperfect_vacuum(mu_v):
    """s_10^L <= true s_10, y_00^L <= true y_00, e_1^ph bound >= the true single-photon error.

    The "true" values are those of the simulated channel itself (Fock-state yields), so the
    generalised non-ideal-vacuum bounds are checked against what they bound.
    """
    ch = Channel.symmetric(np.array([50.0, 200.0, 400.0]), misalignment=0.1)
    ea, eb, vr, vf, pd = arrival(ch, Detector(0.6, 1e-7))
    window = 0.3
    out = sns_rate(
        ea, eb, vr, vf, pd, SNSParams(mu_1=0.1, mu_2=0.3, mu_vacuum=mu_v, phase_window_rad=window)
    )
    y = fock_yields_random_phase(1, ea, eb, vr, pd)
    assert np.all(out["s10"] <= 2 * y[..., 1, 0] * (1 + 1e-12))
    assert np.all(out["s10"] >= (0.98 - 5 * mu_v) * 2 * y[..., 1, 0])  # and tight
    assert np.all(out["y00"] <= 2 * y[..., 0, 0] * (1 + 1e-12))
    y1, y1w = photon_number_yields_fixed_phase(1.0, ea, eb, vf, pd, window, "uniform")
    assert np.all(out["e1_ph"] >= y1w / y1)


def test_imperfect_vacuum_costs_key_and_vanishes_smoothly():
    ch = Channel.symmetric(370.0)
    det = Detector(0.6, 1e-8)
    base = SNSParams(mu_z=0.45, eps=0.25, mu_1=0.02, mu_2=0.2)
    rates = [
        key_rate(
            "sns-aopp", ch, det, SNSParams(mu_z=0.45, eps=0.25, mu_1=0.02, mu_2=0.2, mu_vacuum=v)
        ).rate_per_pulse
        for v in (0.0, 1e-9, 1e-4, 1e-3)
    ]
    assert rates[1] == pytest.approx(rates[0], rel=1e-6)
    assert rates[0] > rates[2] > rates[3] > 0
    er = SNSParams(mu_z=0.45, eps=0.25, mu_1=0.02, mu_2=0.2, extinction_ratio_db=30.0)
    assert er.mu_v == pytest.approx(0.45e-3)
    assert base.mu_v == 0.0


# ------------------------------------------------------------------------- random inputs


@given(
    length_km=st.floats(0.0, 1500.0),
    imbalance=st.floats(0.0, 1.0),
    eta_det=st.floats(0.01, 1.0),
    pd=st.floats(0.0, 1e-4),
    ed=st.floats(0.0, 0.5),
    sigma=st.floats(0.0, 2.0),
    mu=st.floats(0.005, 1.0),
    eps=st.floats(1e-4, 0.9),
    finite=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_rates_finite_nonnegative_and_below_relay_bound(
    length_km, imbalance, eta_det, pd, ed, sigma, mu, eps, finite
):
    ch = Channel(
        length_a_km=length_km * (1 + imbalance) / 2,
        length_b_km=length_km * (1 - imbalance) / 2,
        misalignment=ed,
        phase_rms_rad=sigma,
    )
    det = Detector(eta_det, pd)
    link = single_repeater_bound(ch.eta_a * eta_det, ch.eta_b * eta_det)
    sns = SNSParams(mu_z=mu, eps=eps, mu_1=0.05, mu_2=0.3, p_z=0.8, phase_window_rad=0.3)
    cases = [("sns", sns), ("sns-aopp", sns)]
    if not finite:
        cases += [("pm", PMParams(mu=mu)), ("tf", TFParams(mu=mu)), ("cal", CALParams(mu=mu / 5))]
    for proto, params in cases:
        res = key_rate(proto, ch, det, params, pulses=1e12 if finite else None)
        r = float(res.rate_per_pulse)
        assert np.isfinite(r) and r >= 0.0
        assert r <= link * (1 + 1e-12)
        assert np.isfinite(res.qber_z) and np.isfinite(res.e1_ph) and np.isfinite(res.gain_z)


def test_vectorised_equals_pointwise_and_arm_swap_symmetry():
    d = np.array([50.0, 150.0, 400.0])
    params = SNSParams(mu_z=0.4, eps=0.1, mu_1=0.05, mu_2=0.3, p_z=0.8, phase_window_rad=0.2)
    det = Detector(0.6, 1e-8)
    vec = key_rate("sns-aopp", Channel.symmetric(d), det, params, pulses=1e13).rate_per_pulse
    one = [
        key_rate("sns-aopp", Channel.symmetric(x), det, params, pulses=1e13).rate_per_pulse
        for x in d
    ]
    assert np.allclose(vec, np.ravel(one), rtol=1e-13, atol=0)
    a = key_rate("sns", Channel(length_a_km=120.0, length_b_km=80.0), det, params)
    b = key_rate("sns", Channel(length_a_km=80.0, length_b_km=120.0), det, params)
    assert float(a.rate_per_pulse) == pytest.approx(float(b.rate_per_pulse), rel=1e-12)
    c = key_rate("sns", Channel.from_transmittance(10**-2.4, 10**-1.6), det, params)
    assert float(c.rate_per_pulse) == pytest.approx(float(a.rate_per_pulse), rel=1e-12)


def test_phase_noise_and_misalignment_cost_key():
    det = Detector(0.6, 1e-9)
    r = [
        float(
            key_rate(
                "sns-aopp", Channel.symmetric(300.0, misalignment=ed, phase_rms_rad=s), det
            ).rate_per_pulse
        )
        for ed, s in ((0.02, 0.0), (0.02, 0.2), (0.02, 0.4), (0.08, 0.0))
    ]
    assert r[0] > r[1] > r[2] > 0 and r[0] > r[3] > 0
    # the phase noise enters as e = (1 - exp(-sigma^2/2))/2 on top of e_d
    ch = Channel.symmetric(1.0, misalignment=0.0, phase_rms_rad=0.3)
    assert float(ch.interference_error) == pytest.approx((1 - math.exp(-0.045)) / 2, rel=1e-12)


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda: Detector(eta_det=0.0), "eta_det"),
        (lambda: Detector(eta_det=1.2), "eta_det"),
        (lambda: Detector(dark_count_prob=-1e-9), "dark_count_prob"),
        (lambda: Channel.symmetric(-5.0), "distance_km"),
        (lambda: Channel.symmetric([10.0, np.nan]), "distance_km"),
        (lambda: Channel.symmetric(10.0, misalignment=0.6), "misalignment"),
        (
            lambda: Channel(length_a_km=1.0, length_b_km=1.0, fibre_loss_db_per_km=-0.1),
            "fibre_loss_db_per_km",
        ),
        (lambda: SNSParams(mu_1=0.4, mu_2=0.2), "mu_1"),
        (lambda: SNSParams(mu_1=0.2, mu_2=0.2), "mu_1"),
        (lambda: SNSParams(eps=0.0), "eps"),
        (lambda: SNSParams(eps=1.0), "eps"),
        (lambda: SNSParams(mu_z=-0.1), "mu_z"),
        (lambda: SNSParams(p_0=0.6, p_1=0.5), "p_0"),
        (lambda: SNSParams(mu_vacuum=0.2, mu_1=0.1), "mu_vacuum"),
        (lambda: SNSParams(phase_window_rad=4.0), "phase_window_rad"),
        (lambda: PMParams(phase_slices=15), "phase_slices"),
        (lambda: TFParams(mu=0.0), "mu"),
        (lambda: Security(eps_pa=0.0), "eps_pa"),
        (lambda: key_rate("bb84", Channel.symmetric(1.0)), "protocol"),
        (lambda: key_rate("sns", Channel.symmetric(1.0), f_ec=0.9), "f_ec"),
        (lambda: key_rate("pm", Channel.symmetric(1.0), pulses=1e12), "pulses"),
        (lambda: key_rate("sns", Channel.symmetric(1.0), pulses=1e12), "p_z"),
        (
            lambda: key_rate("sns", Channel.symmetric(1.0), SNSParams(p_z=0.9), pulses=1e12),
            "phase_window_rad",
        ),
        (lambda: key_rate("sns", Channel.symmetric(1.0), Detector(), PMParams()), "params"),
        (lambda: key_rate("sns", Channel.symmetric(1.0), duty_cycle=0.0), "duty_cycle"),
    ],
)
def test_bad_input_names_the_parameter(make, name):
    with pytest.raises(ValueError, match=name):
        make()


# ------------------------------------------------------------------------- API and import


def test_import_has_no_layout_or_jax_side_effects():
    code = (
        "import sys, qkdchip.sims.keyrate as k; "
        "bad = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'gdsfactory', 'kfactory', 'klayout', 'sax', 'jax', 'matplotlib'}); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_result_records_are_json_ready():
    res = key_rate("pm", Channel.symmetric([0.0, 200.0]), Detector(), optimize=True)
    recs = res.records()
    text = json.dumps(recs, allow_nan=False)
    assert recs[0]["plob_per_pulse"] is None  # infinite at zero distance
    assert recs[1]["qber_x"] is None  # PM has no phase-referenced test rounds
    assert json.loads(text)[1]["parameters"]["phase_slices"] == 16
    assert res.rate_bps[1] == pytest.approx(res.rate_per_pulse[1] * 1e9)


# --------------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def cli():
    from qkdchip.cli import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["keyrate", *args])


def test_cli_json_contract(cli):
    r = cli("--protocol", "sns-aopp", "--distance-km", "100,300", "--optimize", "--json")
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)
    assert [x["distance_km"] for x in recs] == [100.0, 300.0]
    for rec in recs:
        for key in (
            "distance_km",
            "protocol",
            "rate_per_pulse",
            "plob_per_pulse",
            "single_repeater_bound_per_pulse",
            "s1",
            "e1_ph",
            "gain_z",
            "qber_z",
            "qber_x",
            "parameters",
            "settings",
        ):
            assert key in rec
        assert rec["protocol"] == "sns-aopp" and rec["rate_per_pulse"] > 0
        assert rec["parameters"]["mu_1"] < rec["parameters"]["mu_2"]
    assert recs[1]["rate_per_pulse"] > recs[1]["plob_per_pulse"]


def test_cli_extinction_ratio_and_unequal_arms(cli):
    r = cli(
        "--protocol",
        "sns-aopp",
        "--distance-km",
        "370",
        "--arm-imbalance-km",
        "10",
        "--extinction-ratio-db",
        "30",
        "--phase-rms-rad",
        "0.1",
        "--optimize",
        "--json",
    )
    assert r.exit_code == 0, r.output
    (rec,) = json.loads(r.stdout)
    p = rec["parameters"]
    assert p["mu_v"] == pytest.approx(max(p["mu_z"], p["mu_2"]) * 1e-3, rel=1e-9)
    assert rec["rate_per_pulse"] > rec["plob_per_pulse"]
    eta_b = 10 ** (-0.2 * 190 / 10)  # the longer arm sets the relay bound
    assert rec["single_repeater_bound_per_pulse"] == pytest.approx(-np.log2(1 - eta_b), rel=1e-9)


def test_cli_finite_key_and_plot(cli, tmp_path):
    png = tmp_path / "rate.png"
    r = cli(
        "--protocol",
        "sns",
        "--distance-km",
        "0:400:200",
        "--pulses",
        "1e13",
        "--p-z",
        "0.8",
        "--phase-window-rad",
        "0.3",
        "--eps",
        "0.05",
        "--mu1",
        "0.05",
        "--mu2",
        "0.3",
        "--plot",
        str(png),
    )
    assert r.exit_code == 0, r.output
    assert "finite key" in r.stdout and r.stdout.count("\n") >= 4
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_fibre_loss_flag_and_its_old_spelling(cli):
    args = ("--protocol", "plob", "--distance-km", "100", "--json")
    new = cli(*args, "--fibre-loss-db-per-km", "0.16")
    old = cli(*args, "--fiber-loss-db-km", "0.16")
    assert new.exit_code == old.exit_code == 0, new.output + old.output
    assert json.loads(new.stdout) == json.loads(old.stdout)
    (rec,) = json.loads(new.stdout)
    # the JSON key of the first release stays, the new spelling sits beside it
    assert rec["settings"]["fiber_loss_db_km"] == rec["settings"]["fibre_loss_db_per_km"] == 0.16
    assert rec["eta"] == pytest.approx(10 ** (-0.16 * 100 / 10), rel=1e-12)


def test_cli_defaults_and_help_ranges_come_from_the_dataclasses(cli):
    r = cli("--protocol", "pm", "--distance-km", "100", "--json")
    assert r.exit_code == 0, r.output
    (rec,) = json.loads(r.stdout)
    s = rec["settings"]
    ch, det = Channel(), Detector()
    assert s["fibre_loss_db_per_km"] == ch.fibre_loss_db_per_km
    assert (s["eta_det"], s["dark_count_prob"]) == (det.eta_det, det.dark_count_prob)
    assert (s["misalignment"], s["phase_rms_rad"]) == (ch.misalignment, ch.phase_rms_rad)
    assert rec["parameters"]["phase_slices"] == PMParams().phase_slices
    tf = json.loads(cli("--protocol", "tf", "--distance-km", "100", "--json").stdout)[0]
    assert tf["parameters"]["phase_slices"] == TFParams().phase_slices
    assert s["f_ec"] == inspect.signature(key_rate).parameters["f_ec"].default
    from qkdchip.cli import app

    text = CliRunner().invoke(app, ["keyrate", "--help"], env={"COLUMNS": "250"}).output
    for fld, owner in (("eta_det", Detector), ("misalignment", Channel), ("mu_1", SNSParams)):
        rng = next(f for f in dataclasses.fields(owner) if f.name == fld).metadata["range"]
        assert rng.describe() in text


@pytest.mark.parametrize(
    "args,name",
    [
        (["--protocol", "sns", "--distance-km", "-5"], "distance_km"),
        (["--protocol", "sns", "--distance-km", "abc"], "distance_km"),
        (["--protocol", "sns", "--distance-km", "10", "--eta-det", "1.5"], "eta_det"),
        (["--protocol", "sns", "--distance-km", "10", "--mu1", "0.5", "--mu2", "0.2"], "mu_1"),
        (["--protocol", "sns", "--distance-km", "10", "--eps", "1.0"], "eps"),
        (["--protocol", "sns", "--distance-km", "10", "--pulses", "1e12"], "p_z"),
        (["--protocol", "pm", "--distance-km", "10", "--pulses", "1e12"], "pulses"),
        (["--protocol", "pm", "--distance-km", "10", "--eps", "0.1"], "eps"),
        (["--protocol", "qkd", "--distance-km", "10"], "protocol"),
        (["--protocol", "tf", "--distance-km", "10", "--misalignment", "0.7"], "misalignment"),
        (["--protocol", "pm", "--distance-km", "10", "--mu-vacuum", "1e-3"], "mu_vacuum"),
        (
            ["--protocol", "sns", "--distance-km", "10", "--arm-imbalance-km", "20"],
            "arm_imbalance_km",
        ),
    ],
)
def test_cli_bad_input_exits_2_naming_parameter(cli, args, name):
    r = cli(*args)
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and name in lines[0]
