"""Decoy BB84 and decoy MDI-QKD baselines: closed forms, published values, bounds, CLI.

Published and closed-form checks (see sims/keyrate/README.md, "Baselines"):

* GLLP with infinite decoys (Lo, Ma, Chen, PRL 94, 230504 (2005); Ma, Qi, Zhao, Lo, PRA 72,
  012326 (2005)), GYS parameters (0.21 dB/km, eta_Bob 4.5 %, Y_0 1.7e-6, e_d 3.3 %, f 1.22):
  maximum distance 142 km, optimal signal mu ~ 0.48.
* The GLLP rate itself at a closed-form point, and the ideal limits ``R/eta -> 1/e`` (BB84,
  ``mu e^-mu`` at mu = 1) and ``R/eta -> e^-2 / 2`` (MDI, ``mu^2 e^-2mu eta/2`` at mu = 1).
* MDI: the single-photon-pair yield and X error of Xu, Curty, Qi, Lo (NJP 15, 113007 (2013))
  equal the mixed derivative of the Ma-Razavi gains (two independently published formulas).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from qkdchip.cli import app
from qkdchip.sims.keyrate import (
    BB84Params,
    Channel,
    Detector,
    MDIParams,
    bb84_rate,
    binary_entropy,
    key_rate,
    mdi_rate,
)
from qkdchip.sims.keyrate.bb84 import gains as bb84_gains
from qkdchip.sims.keyrate.bb84 import single_photon_yield
from qkdchip.sims.keyrate.mdi import gains as mdi_gains
from qkdchip.sims.keyrate.mdi import single_photon_pair

runner = CliRunner()

# ------------------------------------------------------------------------------- BB84


@pytest.mark.parametrize(("eta", "e_d", "p_d"), [(0.3, 0.02, 1e-3), (1e-3, 0.05, 1e-6)])
def test_bb84_gains_reproduce_the_single_photon_yield(eta, e_d, p_d):
    # d/dk [e^k Q_k] at k = 0 is Y_1 (and likewise for the errors): the coherent-state gains and
    # the Fock yield come from the same two-threshold-detector model
    h = 1e-6
    q0, eq0 = bb84_gains(0.0, e_d, p_d)
    q, eq = bb84_gains(eta * h, e_d, p_d)
    y1, e1 = single_photon_yield(eta, e_d, p_d)
    assert (np.exp(h) * q - q0) / h == pytest.approx(y1, rel=1e-5)
    assert (np.exp(h) * eq - eq0) / h == pytest.approx(y1 * e1, rel=1e-5)


def test_bb84_decoy_bounds_are_bounds_and_tighten_as_the_decoy_vanishes():
    eta = np.logspace(-7, -0.3, 12)
    y1, e1 = single_photon_yield(eta, 0.02, 1e-7)
    gaps = []
    for nu in (0.2, 0.05, 1e-3):
        out = bb84_rate(eta, 0.02, 1e-7, BB84Params(mu=0.5, nu=nu))
        assert np.all(out["s1"] <= y1 * (1 + 1e-12))
        assert np.all(out["e1_ph"] >= e1 * (1 - 1e-9))
        gaps.append(np.max(1 - out["s1"] / y1))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 2e-3


def test_bb84_gllp_closed_form_point():
    # infinite decoys (nu -> 0), no dark counts: Y_1 = eta, e_1 = e_d, Q_mu = 1 - e^{-eta mu},
    # E_mu = e_d, so R = mu e^{-mu} eta [1 - H(e_d)] - f Q_mu H(e_d)
    eta, e_d, mu, f = 1e-2, 0.02, 0.5, 1.16
    out = bb84_rate(np.array(eta), e_d, 0.0, BB84Params(mu=mu, nu=1e-6), f_ec=f)
    h = binary_entropy(e_d)
    closed = mu * np.exp(-mu) * eta * (1 - h) - f * -np.expm1(-eta * mu) * h
    assert out["rate"] == pytest.approx(closed, rel=1e-4)


def test_bb84_gys_reach_142_km_with_infinite_decoys():
    L = np.arange(100.0, 160.0, 0.5)
    eta = 10 ** (-0.21 * L / 10) * 0.045
    p_d = -np.expm1(0.5 * np.log1p(-1.7e-6))  # Y_0 = 1 - (1 - p_d)^2 = 1.7e-6
    mus = np.linspace(0.3, 0.7, 41)[:, None]
    rate = bb84_rate(eta[None], 0.033, p_d, BB84Params(mu=mus, nu=1e-5), f_ec=1.22)["rate"]
    reach = L[np.any(rate > 0, axis=0)].max()
    assert reach == pytest.approx(142.0, abs=1.0)
    mu_opt = mus[np.argmax(rate[:, L == 120.0]), 0]
    assert mu_opt == pytest.approx(0.48, abs=0.03)


# -------------------------------------------------------------------------------- MDI


@pytest.mark.parametrize(
    ("ea", "eb", "e_d", "p_d"), [(0.3, 0.1, 0.02, 1e-3), (1e-3, 2e-3, 0.05, 1e-5)]
)
def test_mdi_ma_razavi_gains_reproduce_the_xu_single_photon_pair(ea, eb, e_d, p_d):
    h = 1e-4

    def g(a, b, i):
        return np.exp(a + b) * mdi_gains(ea * a, eb * b, e_d, p_d)[i]

    def mixed(i):
        return (g(h, h, i) - g(h, 0, i) - g(0, h, i) + g(0, 0, i)) / h**2

    y11, e11 = single_photon_pair(ea, eb, e_d, p_d)
    assert mixed(0) == pytest.approx(y11, rel=1e-3)  # Z basis
    assert mixed(2) == pytest.approx(y11, rel=1e-3)  # X basis: same single-photon yield
    assert mixed(3) / mixed(2) == pytest.approx(e11, rel=2e-3)


def test_mdi_decoy_bounds_are_bounds_and_tighten_as_the_decoy_vanishes():
    eta = np.logspace(-6, -0.5, 10)
    y11, e11 = single_photon_pair(eta, eta, 0.02, 1e-7)
    gaps = []
    for nu in (0.2, 0.05, 1e-3):
        out = mdi_rate(eta, eta, 0.02, 1e-7, MDIParams(mu=0.5, nu=nu))
        assert np.all(out["s1"] <= y11 * (1 + 1e-9))
        assert np.all(out["e1_ph"] >= e11 * (1 - 1e-6))
        gaps.append(np.max(1 - out["s1"] / y11))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-2


def test_mdi_infinite_decoy_closed_form():
    # ideal devices, mu = 1, nu -> 0: R = mu^2 e^{-2mu} eta_A eta_B / 2 (E_Z = 0, e_11 -> 0)
    for eta in (0.1, 1e-3):
        out = mdi_rate(eta, eta, 0.0, 0.0, MDIParams(mu=1.0, nu=1e-6))  # e_11^U ~ nu/2
        assert out["rate"] / eta**2 == pytest.approx(np.exp(-2) / 2, rel=1e-4)


@pytest.mark.slow
def test_ideal_limits_of_both_baselines_optimised():
    d = np.array([100.0, 200.0])
    ch = Channel.symmetric(d, misalignment=0.0)
    ideal = Detector(1.0, 0.0)
    bb84 = key_rate("bb84-decoy", ch, ideal, optimize=True)
    mdi = key_rate("mdi", ch, ideal, optimize=True)
    # the optimiser's weak decoy stops at its box edge 0.005: BB84 loses ~1e-3 to the decoy
    # slack, MDI (whose bound divides by nu^2) a few per cent
    assert bb84.rate_per_pulse / ch.eta == pytest.approx(np.exp(-1), rel=5e-3)
    assert bb84.parameters["mu"] == pytest.approx(1.0, abs=0.05)
    assert mdi.rate_per_pulse / ch.eta == pytest.approx(np.exp(-2) / 2, rel=0.06)
    assert np.all(mdi.rate_per_pulse / ch.eta < np.exp(-2) / 2)


# ------------------------------------------------------------------------------ physics


def test_baselines_obey_plob_scale_linearly_and_mdi_trails_bb84_at_short_range():
    d = np.arange(0.0, 601.0, 50.0)
    ch = Channel.symmetric(d, misalignment=0.015)
    det = Detector(0.6, 1e-8)
    res = {p: key_rate(p, ch, det, optimize=True) for p in ("bb84-decoy", "mdi")}
    for r in res.values():
        assert np.all(np.isfinite(r.rate_per_pulse)) and np.all(r.rate_per_pulse >= 0)
        assert np.all(r.rate_per_pulse <= r.plob)  # both repeaterless: PLOB bounds them
        assert np.all(r.rate_per_pulse <= r.plob_conditional)
        mid = (d >= 50) & (d <= 150)
        slope = np.polyfit(np.log10(ch.eta[mid]), np.log10(r.rate_per_pulse[mid]), 1)[0]
        assert slope == pytest.approx(1.0, abs=0.03)
        assert r.rate_per_pulse[-1] == 0.0  # past the cut-off
    short = d <= 150
    assert np.all(res["mdi"].rate_per_pulse[short] < res["bb84-decoy"].rate_per_pulse[short])
    # twin field overtakes both, and the single-repeater bound stays above twin field
    sns = key_rate("sns-aopp", ch, det, optimize=True).rate_per_pulse
    best = np.maximum(res["mdi"].rate_per_pulse, res["bb84-decoy"].rate_per_pulse)
    far = (d >= 200) & (sns > 0)
    assert np.all(sns[far] > best[far]) and np.all(sns[d <= 50] < best[d <= 50])


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["bb84-decoy", "mdi"])
def test_finite_key_rises_towards_the_asymptotic_rate(protocol):
    ch = Channel.symmetric(np.array([50.0, 100.0]), misalignment=0.015)
    det = Detector(0.6, 1e-8)
    asym = key_rate(protocol, ch, det, optimize=True).rate_per_pulse
    fin = [
        key_rate(protocol, ch, det, optimize=True, pulses=n).rate_per_pulse
        for n in (1e10, 1e12, 1e14)
    ]
    assert np.all(fin[0] < fin[1]) and np.all(fin[1] < fin[2]) and np.all(fin[2] <= asym)
    # MDI's decoy bound divides the pair statistics by nu^2: its finite-key penalty is larger
    assert np.all(fin[2] > (0.5 if protocol == "bb84-decoy" else 0.1) * asym)


def test_finite_key_without_optimize_needs_p_z():
    ch = Channel.symmetric(100.0)
    with pytest.raises(ValueError, match="p_z"):
        key_rate("bb84-decoy", ch, pulses=1e12)
    r = key_rate("mdi", ch, params=MDIParams(p_z=0.8), pulses=1e14)
    assert r.pulses == 1e14 and r.rate_per_pulse >= 0
    with pytest.raises(ValueError, match=r"nu=0\.6 .* mu=0\.5"):
        BB84Params(mu=0.5, nu=0.6)
    with pytest.raises(ValueError, match=r"p_mu \+ p_nu"):
        MDIParams(p_mu=0.7, p_nu=0.3)


# ---------------------------------------------------------------------------------- CLI

#: the per-distance keys of the keyrate JSON before this change (none may go)
OLD_KEYS = {
    "distance_km",
    "protocol",
    "eta",
    "rate_per_pulse",
    "rate_bps",
    "plob_per_pulse",
    "tgw_per_pulse",
    "plob_conditional_per_pulse",
    "single_repeater_bound_per_pulse",
    "s1",
    "e1_ph",
    "gain_z",
    "qber_z",
    "qber_x",
    "pulses",
    "parameters",
    "extras",
    "settings",
}


@pytest.mark.parametrize("protocol", ["sns", "bb84-decoy", "mdi"])
def test_keyrate_json_is_an_array_with_ratio_to_plob(protocol):
    res = runner.invoke(
        app, ["keyrate", "--protocol", protocol, "--distance-km", "0,100,200", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert isinstance(rows, list) and len(rows) == 3
    for r in rows:
        assert OLD_KEYS | {"ratio_to_plob"} <= set(r)
    assert rows[0]["ratio_to_plob"] is None  # PLOB is infinite at 0 km
    for r in rows[1:]:
        assert r["ratio_to_plob"] == pytest.approx(r["rate_per_pulse"] / r["plob_per_pulse"])
        assert r["ratio_to_plob"] > 0 or protocol == "sns"  # SNS defaults: no key at 200 km


def test_keyrate_help_says_what_the_json_is():
    res = runner.invoke(app, ["keyrate", "--help"], terminal_width=200)
    text = " ".join(res.output.replace("│", " ").split())
    assert "JSON array with one object per distance" in text
    assert "ratio_to_plob" in text and "bb84-decoy" in text and "--compare" in text


def test_keyrate_refuses_options_the_baselines_do_not_read():
    for protocol, option, value in (
        ("mdi", "--phase-rms-rad", "0.1"),
        ("bb84-decoy", "--mu2", "0.3"),
        ("bb84-decoy", "--phase-slices", "8"),
    ):
        res = runner.invoke(
            app, ["keyrate", "--protocol", protocol, "--distance-km", "100", option, value]
        )
        assert res.exit_code == 2
        assert option in res.stderr and f"protocol {protocol}" in res.stderr
    res = runner.invoke(app, ["keyrate", "--distance-km", "100"])
    assert res.exit_code == 2 and "--protocol" in res.stderr
    res = runner.invoke(app, ["keyrate", "--compare", "--protocol", "sns", "--distance-km", "100"])
    assert res.exit_code == 2 and "--protocol" in res.stderr and "--compare" in res.stderr


def test_keyrate_plot_figure_has_mode_title_and_bit_per_second_axis():
    import matplotlib.pyplot as plt

    from qkdchip.commands.keyrate import _figure

    ch = Channel.symmetric(np.array([100.0, 200.0]))
    for kw, mode in (({}, "asymptotic"), ({"pulses": 1e12}, "finite key, N = 1e+12")):
        p = BB84Params(p_z=0.9) if kw else None
        fig = _figure(key_rate("bb84-decoy", ch, params=p, **kw), 2e9)
        ax = fig.axes[0]
        assert mode in ax.get_title() and "BB84" in ax.get_title()
        assert ax.get_ylabel() == "secret key rate [bit/pulse]"
        right = [a for a in ax.child_axes if "bit/s" in a.get_ylabel()]
        assert len(right) == 1 and "2e+09 pulses/s" in right[0].get_ylabel()
        # the secondary axis is the primary times the clock rate
        lo, hi = ax.get_ylim()
        assert right[0].get_ylim() == pytest.approx((2e9 * lo, 2e9 * hi))
        plt.close(fig)


def test_crossover_distance_is_interpolated_where_twin_field_stays_ahead():
    from qkdchip.commands._keyrate_compare import crossover_km

    d = np.array([0.0, 100.0, 200.0, 300.0])
    tf = np.array([1e-2, 1e-3, 1e-4, 1e-5])
    base = np.array([1e-1, 1e-3 * np.e, 1e-5, 0.0])  # ahead from between 100 and 200 km
    x = crossover_km(d, tf, base)
    # log(tf/base) goes from -1 at 100 km to ln(10) at 200 km
    assert x == pytest.approx(100.0 + 100.0 / (1.0 + np.log(10.0)))
    assert crossover_km(d, tf, tf * 2) is None
    assert crossover_km(d, tf, tf / 2) == 0.0


@pytest.mark.slow
def test_keyrate_compare_json_and_figure(tmp_path):
    out = tmp_path / "cmp.png"
    args = ["keyrate", "--compare", "--distance-km", "0:500:50", "--json", "--plot", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["mode"] == "asymptotic"
    assert data["protocols"] == ["sns-aopp", "sns", "pm", "tf", "cal", "bb84-decoy", "mdi"]
    d = np.array(data["distance_km"])
    rates = {k: np.array(v) for k, v in data["rate_per_pulse"].items()}
    best = np.maximum(rates["bb84-decoy"], rates["mdi"])
    for p, c in data["crossover_km"].items():
        x = c["baselines"]
        assert x is not None and 0 < x < 300
        beyond = (d > x) & (rates[p] > 0)
        assert np.all(rates[p][beyond] > best[beyond])
        assert np.any(rates[p][d < x] <= best[d < x])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = runner.invoke(
        app, ["keyrate", "--compare", "--distance-km", "100,200", "--pulses", "1e13", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["mode"] == "finite key, N = 1e+13"
    assert data["protocols"] == ["sns-aopp", "sns", "bb84-decoy", "mdi"]


@pytest.mark.slow
def test_compare_figure_labels():
    import matplotlib.pyplot as plt

    from qkdchip.commands._keyrate_compare import compare_figure

    d = np.array([0.0, 100.0, 200.0])
    rates = {k: np.array([1e-2, 1e-4, 1e-6]) for k in ("sns-aopp", "bb84-decoy", "mdi")}
    cross = {"sns-aopp": {"baselines": 100.0}}
    fig = compare_figure(
        d, rates, 1e-1 * rates["mdi"], rates["mdi"], cross, ("sns-aopp",), None, 1e9
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"SNS-AOPP", "decoy BB84", "decoy MDI-QKD", "PLOB (repeaterless bound)"} <= set(labels)
    assert "single-repeater bound" in labels
    assert "asymptotic" in ax.get_title()
    assert ax.get_xlabel() == "distance Alice-Bob [km]"
    assert any("bit/s" in a.get_ylabel() for a in ax.child_axes)
    assert any("from 100 km" in t.get_text() for t in ax.texts)
    plt.close(fig)
