"""The network layer: system parameters, the client wafer, the per-channel chain, the CLI."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from qkdchip import design as design_mod
from qkdchip.cli import app
from qkdchip.design import Design
from qkdchip.sims.keyrate import Channel, Detector, plob
from qkdchip.sims.network import model, wafer
from qkdchip.sims.network.settings import LinkSettings, NetworkSettings
from qkdchip.sims.physics.channels import REFERENCE_DOWNSTREAM_KM, Distribution
from qkdchip.sims.physics.phasenoise import (
    RAW_DRIFT_RAD_PER_MS,
    SUBTRACTED_DRIFT_RAD_PER_MS,
    PhaseNoiseBudget,
)
from qkdchip.sims.physics.qber import EXTRA_MISALIGNMENT, POLARISATION_EXTINCTION_DB

runner = CliRunner()


def _design(**overrides) -> Design:
    return design_mod.validate(overrides)


def _field_default(cls, name):
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


# --- settings ---------------------------------------------------------------------------------


def test_system_defaults_are_read_from_their_homes():
    link, net = LinkSettings(), NetworkSettings()
    assert link.fibre_loss_db_per_km == _field_default(Channel, "fibre_loss_db_per_km")
    assert link.detector_eta == _field_default(Detector, "eta_det")
    assert link.detector_dark_count_prob == _field_default(Detector, "dark_count_prob")
    assert link.misalignment == EXTRA_MISALIGNMENT == 0.0  # the extra term on top of the budget
    assert link.polarisation_extinction_db == POLARISATION_EXTINCTION_DB
    assert link.phase_reference_drift_rad_per_ms == RAW_DRIFT_RAD_PER_MS
    assert link.fibre_imbalance_km == _field_default(PhaseNoiseBudget, "imbalance_km")
    assert link.phase_drift_rad_per_ms == SUBTRACTED_DRIFT_RAD_PER_MS
    assert link.downstream_default_km == _field_default(Distribution, "default_km")
    (pair, (km, _)), *_ = REFERENCE_DOWNSTREAM_KM.items()
    assert (link.downstream_long_pair, link.downstream_long_km) == (pair, km)
    assert link.downstream_km(pair) == (km, km)
    assert link.distance_km == 370.0
    assert (net.clients, net.channels, net.wafer_modulator_yield) == (20, 10, 0.975)


def test_registry_lists_link_and_network_parameters_with_ranges():
    params = {p.name: p for p in design_mod.parameters(["link", "network"])}
    assert params["link.upstream_a_km"].value == 185.0
    assert params["link.upstream_a_km"].unit == "km"
    assert params["network.wafer_modulator_yield"].max == 1.0
    assert params["network.protocol"].value == "sns-aopp"
    assert all(p.doc for p in params.values())
    with pytest.raises(ValueError, match=r"link\.upstream_a_km"):
        design_mod.validate({"link.upstream_a_km": -1.0})


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"protocol": "bb84"}, "network.protocol"),
        ({"mode": "parallel"}, "network.mode"),
        ({"clients": 18}, "network.clients"),
        ({"pulses": 10.0}, "network.pulses"),
        ({"wafer_modulator_yield": 1.5}, "network.wafer_modulator_yield"),
    ],
)
def test_bad_network_settings_name_the_parameter(overrides, match):
    with pytest.raises(ValueError, match=match):
        NetworkSettings(**overrides)


def test_bad_link_settings_name_the_parameter():
    with pytest.raises(ValueError, match=r"link\.detector_eta"):
        LinkSettings(detector_eta=0.0)
    with pytest.raises(ValueError, match=r"link\.phase_tracking.*interval, hold"):
        LinkSettings(phase_tracking="predict")
    with pytest.raises(ValueError, match=r"link\.timing_jitter_ps"):
        LinkSettings(timing_jitter_ps=-1.0)
    with pytest.raises(ValueError, match=r"link\.fibre_loss_db_per_km"):
        LinkSettings(fibre_loss_db_per_km=3.0)


# --- wafer ----------------------------------------------------------------------------------------


def test_dies_are_seeded_per_die():
    s = NetworkSettings()
    assert wafer.draw_die(s, 7) == wafer.draw_die(s, 7)
    assert wafer.draw_die(s, 7) != wafer.draw_die(dataclasses.replace(s, seed=1), 7)
    # a die does not depend on how many are drawn before it
    mounted, _ = wafer.draw_wafer(dataclasses.replace(s, wafer_screen=False))
    assert mounted[12] == wafer.draw_die(s, 12)
    sig = np.std([wafer.draw_die(s, i).detuning_hz for i in range(400)])
    assert sig == pytest.approx(s.wafer_detuning_sigma_mhz * 1e6, rel=0.15)


def test_screening_sets_aside_dies_with_a_dead_phase_modulator():
    s = NetworkSettings(wafer_modulator_yield=0.8)
    mounted, rejected = wafer.draw_wafer(s)
    assert len(mounted) == 20 and rejected
    assert not any(d.fatal for d in mounted)
    assert all(d.fatal for d in rejected)
    assert any(d.failed for d in mounted)  # IM / VOA failures are tolerated
    unscreened, none = wafer.draw_wafer(dataclasses.replace(s, wafer_screen=False))
    assert not none and [d.index for d in unscreened] == list(range(20))
    fails = np.mean([len(wafer.draw_die(s, i).failed) for i in range(500)]) / 6
    assert fails == pytest.approx(0.2, abs=0.03)


def test_too_low_yield_is_a_clear_error():
    with pytest.raises(ValueError, match="wafer_modulator_yield"):
        wafer.draw_wafer(NetworkSettings(wafer_modulator_yield=0.0))


def _er_closed_form_db(k1: float, k2: float) -> float:
    a, b = math.sqrt(k1 * k2), math.sqrt((1 - k1) * (1 - k2))
    return 20 * math.log10((a + b) / abs(a - b))


@pytest.fixture(scope="module")
def figures():
    """Figures of hand-made dies from the client chip's S-matrix (default design)."""

    def die(**kw):
        base = {
            "index": 0,
            "split_delta": (0.0,) * 6,
            "coupling_delta_db": 0.0,
            "loss_delta_db_per_cm": 0.0,
            "detuning_hz": 0.0,
            "failed": (),
        }
        return wafer.Die(**{**base, **kw})

    dies = [
        die(),
        die(split_delta=(0.03, 0.0, 0.0, 0.0, 0.0, 0.0)),
        die(coupling_delta_db=0.5),
        die(loss_delta_db_per_cm=0.5),
        die(failed=("im2", "voa")),
    ]
    return wafer.chip_figures(dies, ["nominal", "split", "coupling", "loss", "failed"])


@pytest.mark.slow  # builds a second chip circuit (compile ~4 s); runs in make test-all / CI
def test_nominal_die_matches_the_client_chip_figures(figures):
    from qkdchip.sims.client import client_figures

    ref = client_figures()
    nominal = figures[0]
    assert nominal.insertion_loss_db == pytest.approx(ref["insertion_loss_db"], abs=1e-6)
    assert nominal.voa_range_db == pytest.approx(ref["voa_range_db"], abs=1e-6)
    for got, want in zip(
        nominal.im_extinction_ratio_db, ref["im_extinction_ratio_db"].values(), strict=True
    ):
        assert got == pytest.approx(want, abs=0.01)
    assert nominal.laser.free_running_linewidth_hz == pytest.approx(3e6)


def test_extinction_ratio_follows_the_mmi_split(figures):
    nominal, split = figures[0], figures[1]
    # the default IM: k1 = 0.52, k2 = 0.50 (client.im.split_ratio / combine_ratio)
    assert nominal.im_extinction_ratio_db[0] == pytest.approx(
        _er_closed_form_db(0.52, 0.5), abs=0.02
    )
    assert split.im_extinction_ratio_db[0] == pytest.approx(_er_closed_form_db(0.55, 0.5), abs=0.02)
    assert split.im_extinction_ratio_db[1:] == pytest.approx(nominal.im_extinction_ratio_db[1:])
    # cascaded IMs add their extinction in dB
    assert split.extinction_ratio_total_db == pytest.approx(
        sum(split.im_extinction_ratio_db), abs=0.05
    )


def test_losses_move_insertion_and_injection_loss(figures):
    nominal, coupling, loss = figures[0], figures[2], figures[3]
    assert coupling.insertion_loss_db - nominal.insertion_loss_db == pytest.approx(0.5, abs=1e-9)
    assert coupling.injection_loss_db - nominal.injection_loss_db == pytest.approx(0.5, abs=1e-9)
    assert loss.insertion_loss_db > nominal.insertion_loss_db + 0.1
    assert loss.im_extinction_ratio_db == pytest.approx(nominal.im_extinction_ratio_db, abs=0.01)


def test_a_dead_modulator_loses_its_function(figures):
    nominal, failed = figures[0], figures[4]
    assert failed.im_extinction_ratio_db[1] == pytest.approx(0.0, abs=1e-9)
    assert failed.voa_range_db == pytest.approx(0.0, abs=1e-9)
    assert failed.extinction_ratio_total_db == pytest.approx(
        nominal.extinction_ratio_total_db - nominal.im_extinction_ratio_db[1], abs=0.05
    )
    assert failed.insertion_loss_db == pytest.approx(nominal.insertion_loss_db)


# --- the network ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_net():
    return model.simulate_network(Design())


def test_default_network_beats_plob_on_every_channel(default_net):
    net = default_net
    assert net.comb.state == "dark_pulse"
    assert net.distance_km == 370.0
    assert len(net.channels) == 10
    eta = 10 ** (-0.2 * 370 / 10)
    for c in net.channels:
        assert c.locked and c.has_key, c.reason
        assert c.plob_per_pulse == pytest.approx(-math.log2(1 - eta))
        assert c.plob_per_pulse == pytest.approx(float(plob(eta)))
        assert c.ratio_to_plob > 1.0
        # the X QBER is the pair's optical budget plus the protocol's own errors
        assert c.x_budget.e_x < c.qber_x < 0.05
        assert 0.0 < c.qber_z < 0.5
        assert c.rate_bps == pytest.approx(c.rate_per_pulse * 1e9)
    assert net.networking_capability_km == pytest.approx(3700.0)
    assert net.summary()["channels_beating_plob"] == 10


def test_x_qber_budget_per_channel(default_net):
    link = default_net.link
    for c in default_net.channels:
        b = c.qber_x_budget
        assert sum(b.values()) == pytest.approx(1.0)
        assert set(b) == {*c.x_budget.visibility, *c.x_budget.phase_var_rad2, "protocol"}
        assert b["protocol"] == pytest.approx(1.0 - c.x_budget.e_x / c.qber_x)
        # the phase terms are the ones the key rate was given (drift = residual + reference)
        ph = c.x_budget.phase_var_rad2
        assert c.phase_var_rad2["drift"] == ph["drift_residual"] + ph["reference_estimation"]
        assert c.phase_rms_rad**2 == pytest.approx(c.x_budget.sigma2_rad2)
        # the injection term is the two slaves' locking residuals, dnu_free / (2 f_L) each
        assert ph["injection"] == pytest.approx(
            sum(
                cl.chip.laser.free_running_linewidth_hz / (2 * cl.lock.locking_bandwidth_hz)
                for cl in (c.a, c.b)
            )
        )
        assert 0.0 < 1.0 / c.x_budget.visibility["demux_crosstalk"] - 1.0 < 1e-6
    assert link.misalignment == 0.0
    # the channels differ through their line power: the weaker the injected light, the larger
    # the locking residual (rank correlation with the pair's mean injection ratio)
    rho = [np.mean([c.a.lock.rho_db, c.b.lock.rho_db]) for c in default_net.channels]
    inj = [c.x_budget.phase_var_rad2["injection"] for c in default_net.channels]
    assert np.corrcoef(np.argsort(np.argsort(rho)), np.argsort(np.argsort(inj)))[0, 1] < -0.9
    qx = [c.qber_x for c in default_net.channels]
    assert max(qx) - min(qx) > 1e-4
    weakest = int(np.argmin(rho))
    assert qx[weakest] > min(qx)


def test_misalignment_is_an_extra_term_on_the_budget(default_net):
    prep = model.prepare(_design(**{"link.misalignment": 0.02}))
    for xb, c in zip(prep.xbudget, default_net.channels, strict=True):
        assert xb.visibility["misalignment"] == pytest.approx(0.96)
        assert 1 - 2 * xb.e_d == pytest.approx((1 - 2 * c.x_budget.e_d) * 0.96)
        ph, ph0 = dict(xb.phase_var_rad2), dict(c.x_budget.phase_var_rad2)
        # the reference's shot noise 1 / (N V^2) is taken at the lower visibility
        assert ph.pop("detection") == pytest.approx(ph0.pop("detection") / 0.96**2)
        assert ph == ph0
    held = model.prepare(_design(**{"link.phase_tracking": "hold"}))
    for xb, c in zip(held.xbudget, default_net.channels, strict=True):
        ref = c.x_budget.phase_var_rad2["reference_estimation"]
        assert xb.phase_var_rad2["reference_estimation"] == pytest.approx(4 * ref)


def test_long_downstream_pair_receives_less_comb_light(default_net):
    short = model.simulate_network(_design(**{"link.downstream_long_km": 1.0}))
    ch5, ch5_short = default_net.channels[4], short.channels[4]
    assert ch5.channel == 5
    assert ch5_short.a.injected_power_dbm - ch5.a.injected_power_dbm == pytest.approx(0.2 * 59)
    assert short.channels[0].a.injected_power_dbm == default_net.channels[0].a.injected_power_dbm


@pytest.mark.parametrize("gap_um", [1.5, 3.5])
def test_ring_far_from_critical_coupling_gives_no_key_and_says_why(default_net, gap_um):
    net = model.simulate_network(_design(**{"server.ring.gap_um": gap_um}))
    assert net.comb.state != "dark_pulse"
    for c, ref in zip(net.channels, default_net.channels, strict=True):
        assert c.line_power_dbm < ref.line_power_dbm - 40  # the line is not generated
        assert not c.locked and not c.has_key
        assert "not locked" in c.reason and "outside the locking range" in c.reason
        assert "outside the comb" in c.reason
    assert net.networking_capability_km == 0.0


def test_network_is_reproducible_with_a_seed(default_net):
    again = model.evaluate([model.prepare(Design())])[0]
    assert json.dumps(again.to_dict(), default=str) == json.dumps(
        default_net.to_dict(), default=str
    )
    other = model.simulate_network(_design(**{"network.seed": 1}))
    det = [c.a.chip.die.detuning_hz for c in default_net.channels]
    assert det != [c.a.chip.die.detuning_hz for c in other.channels]


def test_unscreened_dead_phase_modulator_gives_no_key_with_the_reason():
    net = model.simulate_network(
        _design(**{"network.wafer_screen": False, "network.wafer_modulator_yield": 0.7})
    )
    dead = [c for c in net.channels if c.a.chip.fatal or c.b.chip.fatal]
    assert dead
    for c in dead:
        assert not c.has_key and "PM" in c.reason
    ok = [c for c in net.channels if c not in dead and c.locked]
    assert all(c.has_key for c in ok)


def test_simultaneous_mode_adds_crosstalk_and_shares_the_detectors(default_net):
    one = model.simulate_network(_design(**{"network.mode": "simultaneous"}))
    ten = model.simulate_network(
        _design(**{"network.mode": "simultaneous", "network.detector_pairs": 10})
    )
    base_pd = default_net.link.detector_dark_count_prob
    for seq, c1, c10 in zip(default_net.channels, one.channels, ten.channels, strict=True):
        assert c1.dark_count_prob > base_pd
        assert c1.rate_per_pulse < seq.rate_per_pulse
        assert c10.rate_bps == pytest.approx(c10.rate_per_pulse * 1e9)
        assert c1.rate_bps == pytest.approx(c1.rate_per_pulse * 1e9 / 10)
    assert ten.network_bps > 5 * default_net.network_bps


def test_rate_curves_fall_with_distance_and_meet_the_operating_point(default_net):
    curves = model.rate_curves(default_net, [100.0, 250.0, 370.0, 450.0, 700.0])
    assert curves["channels"] == list(range(1, 11))
    rate = curves["rate"]
    assert np.all(np.diff(rate[:, :4], axis=1) < 0)
    assert np.all(rate[:, -1] == 0.0)  # beyond the cut-off: 0, never negative
    at370 = np.array([c.rate_per_pulse for c in default_net.channels])
    assert rate[:, 2] == pytest.approx(at370, rel=1e-2)


# --- CLI ------------------------------------------------------------------------------------------

_CHANNEL_KEYS = {
    "channel",
    "clients",
    "wavelength_nm",
    "locked",
    "qber_x",
    "qber_z",
    "rate_per_pulse",
    "rate_bps",
    "plob_per_pulse",
    "ratio_to_plob",
}


def test_cli_network_json_contract(default_net):
    res = runner.invoke(app, ["network", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"distance_km", "networking_capability_km", "channels"} <= set(out)
    assert out["distance_km"] == 370.0 and out["networking_capability_km"] == 3700.0
    assert len(out["channels"]) == 10
    for ch in out["channels"]:
        assert _CHANNEL_KEYS <= set(ch)
        assert len(ch["clients"]) == 2 and ch["locked"] is True
        assert sum(ch["qber_x_budget"].values()) == pytest.approx(1.0)
        assert ch["qber_x_budget"]["misalignment"] == 0.0
    assert [c["rate_per_pulse"] for c in out["channels"]] == [
        c.rate_per_pulse for c in default_net.channels
    ]


@pytest.mark.slow
def test_cli_misalignment_override_raises_the_x_qber(default_net):
    res = runner.invoke(app, ["network", "--json", "--set", "link.misalignment=0.02"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for ch, ref in zip(out["channels"], default_net.channels, strict=True):
        # one more visibility factor 0.96: about +2 % of X QBER, and a share of it
        assert ch["qber_x"] - ref.qber_x == pytest.approx(0.02, abs=2e-3)
        assert ch["qber_x_budget"]["misalignment"] > 0.5
        assert ch["ratio_to_plob"] < ref.ratio_to_plob
    bad = runner.invoke(app, ["network", "--set", "link.misalignment=0.7"])
    assert bad.exit_code == 2 and "link.misalignment" in bad.output


@pytest.mark.slow
def test_cli_network_table_and_plot(tmp_path):
    png = tmp_path / "curves.png"
    res = runner.invoke(
        app, ["network", "--distance-km", "300", "--protocol", "sns", "--plot", str(png)]
    )
    assert res.exit_code == 0, res.output
    assert "10/10 channels with key at 300 km (sns, sequential)" in res.stdout
    assert "networking capability 3,000 km" in res.stdout
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize(
    "args",
    [
        ["network", "--set", "server.ring.gap_um=99"],
        ["network", "--set", "network.protcol=sns"],
        ["network", "--protocol", "bb84"],
        ["network", "--distance-km", "-5"],
        ["network", "--set", "link.upstream_a_km"],
        ["network", "--plot", "curves.txt"],
        ["sweep", "--set", "link.fibre_loss_db_per_km=0.1:0.2"],
        ["sweep", "--set", "link.fibre_loss_db_per_km=a:b:3"],
        ["sweep", "--set", "network.seed=0:1:3"],
        ["sweep", "--set", "network.protocol=0:1:3"],
        ["sweep", "--set", "link.fibre_loss_db_per_km=0.1:0.2:3", "--metric", "speed"],
        ["sweep", "--set", "link.fibre_loss_db_per_km=0.1:5:3"],
        ["sweep", "--set", "link.misalignment=0.02"],
    ],
)
def test_cli_bad_input_is_a_one_line_error(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1


def test_cli_bad_design_file(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("link: {upstream_a_km: [1, 2\n")
    res = runner.invoke(app, ["network", "--design", str(bad)])
    assert res.exit_code == 2 and "not valid YAML" in res.stderr
    unknown = tmp_path / "unknown.yml"
    unknown.write_text("network:\n  seeds: 3\n")
    res = runner.invoke(app, ["network", "--design", str(unknown)])
    assert res.exit_code == 2 and "network.seeds" in res.stderr


@pytest.mark.slow
def test_cli_sweep_runs_the_chain_in_one_batch(tmp_path):
    png = tmp_path / "sweep.png"
    res = runner.invoke(
        app,
        [
            "sweep",
            "--set",
            "link.fibre_loss_db_per_km=0.16:0.2:3",
            "--set",
            "network.pulses=1.0e+12",
            "--metric",
            "mean_rate",
            "--json",
            "--plot",
            str(png),
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["parameters"] == ["link.fibre_loss_db_per_km"]
    rates = [p["metric"] for p in out["points"]]
    assert rates[0] > rates[1] > rates[2] > 0  # less fibre loss -> more key
    assert [p["values"]["link.fibre_loss_db_per_km"] for p in out["points"]] == pytest.approx(
        [0.16, 0.18, 0.2]
    )
    assert all(p["metrics"]["key_channels"] == 10 for p in out["points"])
    assert png.stat().st_size > 10_000


# --- under uncertainty (uncertain.*) and channels with no key ---------------------------------


def _pinned(net, **free):
    """UncertainSettings with every parameter fixed at the network's own setting, except
    ``free`` (name -> (low, high))."""
    from qkdchip.sims.network.uncertainty import UncertainSettings

    at = {
        "fibre_loss_db_per_km": net.link.fibre_loss_db_per_km,
        "detector_eta": net.link.detector_eta,
        "detector_dark_count_prob": net.link.detector_dark_count_prob,
        "server_extra_loss_db": 0.0,
        "pulses": net.net.pulses,
        "misalignment": net.link.misalignment,
        "modulator_extinction_db": 100.0,  # the floor's leak 1e-10: negligible
    }
    kw = {}
    for name, v in at.items():
        lo, hi = free.get(name, (v, v))
        kw[f"{name}_low"], kw[f"{name}_high"] = lo, hi
    return UncertainSettings(**kw)


@pytest.mark.slow  # a second optimised key-rate call (~1 s)
def test_uncertainty_with_pinned_parameters_reproduces_the_network(default_net):
    from qkdchip.sims.network.uncertainty import propagate

    u = propagate(default_net, _pinned(default_net), 6)
    for j, c in enumerate(default_net.channels):
        assert u.ratio[:, j] == pytest.approx(c.ratio_to_plob, rel=2e-3)
        assert u.qber_x[:, j] == pytest.approx(c.qber_x, rel=1e-2)
        assert u.phase_rms_rad[:, j] == pytest.approx(c.phase_rms_rad, rel=1e-9)
        band = u.channel_dict(j)["ratio_to_plob_band"]
        assert band == pytest.approx([c.ratio_to_plob] * 3, rel=2e-3)
    assert u.to_dict()["consistent_with_reference"]["fraction"] == 0.0  # 7.7 is above 3.514
    # reproducible: the same design and seed give the same JSON
    again = propagate(default_net, _pinned(default_net), 6)
    assert json.dumps(model.jsonable(again.to_dict())) == json.dumps(model.jsonable(u.to_dict()))
    assert np.array_equal(again.ratio, u.ratio)


@pytest.mark.slow  # an uncertainty propagation (~7 s); runs in make test-all / CI
def test_uncertainty_of_the_attenuation_alone(default_net):
    """Twin-field key ~ sqrt(eta) while PLOB ~ eta: the ratio grows with the attenuation,
    monotonically, and the attenuation carries all of its variance."""
    from qkdchip.sims.network.uncertainty import propagate

    u = propagate(default_net, _pinned(default_net, fibre_loss_db_per_km=(0.16, 0.20)), 16)
    alpha = u.samples["fibre_loss_db_per_km"]
    order = np.argsort(alpha)
    for j in range(len(default_net.channels)):
        assert np.all(np.diff(u.ratio[order, j]) > 0)
        s = u.sensitivity(u.ratio[:, j])
        assert s["fibre_loss_db_per_km"] > 0.8
        assert all(v == 0.0 for k, v in s.items() if k != "fibre_loss_db_per_km")
    # near 0.20 dB/km (the network's own setting) the local scaling rate ~ eta^k: k = 1/2 is
    # the twin-field limit, dark counts and finite size steepen it, k < 1 to beat PLOB ~ eta
    top, c0 = order[-1], default_net.channels[0]
    d_ln_eta = (
        -(alpha[top] - default_net.link.fibre_loss_db_per_km) * c0.distance_km * math.log(10) / 10
    )
    k = 1.0 + math.log(u.ratio[top, 0] / c0.ratio_to_plob) / d_ln_eta
    assert 0.5 <= k < 1.0
    # at 0.16 dB/km (ultra-low-loss fibre) inside the published range
    assert 1.515 < u.ratio[order[0], 0] < 3.514


@pytest.mark.slow  # the network at 600 km (~1.5 s)
def test_no_key_past_the_cutoff_reports_null_parameters_and_why(default_net):
    far = model.simulate_network(
        _design(**{"link.upstream_a_km": 300.0, "link.upstream_b_km": 300.0})
    )
    assert far.distance_km == 600.0
    for c in far.channels:
        assert c.locked and not c.has_key
        assert c.parameters is None and c.to_dict()["parameters"] is None
        assert c.reason.startswith("no key at 600 km with these devices")
        assert "finite key, N = 1e+13" in c.reason
    for c in default_net.channels:  # with key: the optimised parameters
        assert c.parameters and c.parameters["mu_z"] > 0
    # the curves still cover the channels, with key where there is key
    curves = model.rate_curves(far, [300.0, 600.0])
    assert curves["channels"] == list(range(1, 11))
    assert np.all(curves["rate"][:, 0] > 0.0) and np.all(curves["rate"][:, 1] == 0.0)


@pytest.mark.slow  # the network and a propagation in the CLI (~2 s)
def test_cli_network_uncertainty_json_adds_keys_and_keeps_the_others(default_net):
    res = runner.invoke(app, ["network", "--json", "--uncertainty", "16"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    plain = json.loads(json.dumps(model.jsonable(default_net.to_dict())))
    for key, value in plain.items():
        if key != "channels":
            assert out[key] == value
    for ch, ref in zip(out["channels"], plain["channels"], strict=True):
        assert {k: ch[k] for k in ref} == ref
        lo, mid, hi = ch["ratio_to_plob_band"]
        assert 0.0 <= lo <= mid <= hi
        assert ch["qber_x_band"][0] <= ch["qber_x_band"][2]
        assert set(ch["sensitivity"]) == set(out["uncertainty"]["parameters"])
    u = out["uncertainty"]
    assert u["samples"] == 16 and u["seed"] == 0 and "RBD-FAST" in u["method"]
    c = u["consistent_with_reference"]
    assert 0.0 <= c["fraction"] <= 1.0 and c["ratio_to_plob_range"] == [1.515, 3.514]
