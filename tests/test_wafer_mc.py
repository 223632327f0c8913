"""Wafer-yield Monte Carlo: the defect-density yield model, the statistics, `qkdchip wafer`."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from qkdchip import design as design_mod
from qkdchip.cli import app
from qkdchip.sims.network import montecarlo, wafer
from qkdchip.sims.network.settings import NetworkSettings

runner = CliRunner()

#: drawn electrode areas of the default client chip (um^2), as the yield model sees them
AREAS = {"im1": 6400.0, "im2": 6400.0, "im3": 6400.0, "pm": 3600.0, "pmref": 3600.0, "voa": 1600.0}


def test_defect_density_is_calibrated_on_the_published_mean_yield():
    d0 = wafer.defect_density_per_um2(0.975, AREAS)
    y = np.exp(-d0 * np.array(list(AREAS.values())))
    assert y.mean() == pytest.approx(117 / 120, abs=1e-12)
    net = NetworkSettings(wafer_yield_model="area")
    yields = wafer.element_yields(net, AREAS)
    assert yields == pytest.approx(tuple(y), rel=1e-12)
    # Poisson: ln Y proportional to the area (the two-arm MZM fails most, the VOA least)
    ratio = math.log(yields[0]) / math.log(yields[-1])
    assert ratio == pytest.approx(AREAS["im1"] / AREAS["voa"], rel=1e-9)
    assert wafer.defect_density_per_um2(1.0, AREAS) == 0.0


def test_uniform_model_draws_the_same_dies_as_before():
    net = NetworkSettings()
    assert wafer.element_yields(net) == (net.wafer_modulator_yield,) * len(wafer.ELEMENTS)
    for i in range(50):
        old_rng = np.random.default_rng([net.seed, i])
        old_rng.normal(0.0, 1.0, 6), old_rng.normal(), old_rng.normal(), old_rng.normal()
        works = old_rng.random(6) < net.wafer_modulator_yield
        die = wafer.draw_die(net, i, wafer.element_yields(net))
        assert die == wafer.draw_die(net, i)
        assert die.failed == tuple(e for e, ok in zip(wafer.ELEMENTS, works, strict=True) if not ok)


def test_unknown_yield_model_is_refused():
    with pytest.raises(ValueError, match=r"network\.wafer_yield_model='poisson'"):
        NetworkSettings(wafer_yield_model="poisson")
    assert design_mod.param("network.wafer_yield_model").value == "uniform"


def test_wafer_seeds():
    d = design_mod.validate({"network.seed": 2**32 - 1})
    assert montecarlo.wafer_design(d, 0).overrides["network.seed"] == 2**32 - 1
    assert montecarlo.wafer_design(d, 1).overrides["network.seed"] == 0


def _records(net: NetworkSettings, n_wafers: int, yields=None) -> list[dict]:
    """Records as wafer_records gives them, without the network (channels made up)."""
    out = []
    for w in range(n_wafers):
        n = dataclasses.replace(net, seed=w)
        dies = [wafer.draw_die(n, i, yields) for i in range(n.clients)]
        ok = np.array([[e not in d.failed for e in wafer.ELEMENTS] for d in dies])
        out.append(
            {
                "wafer": w,
                "dies": len(dies),
                "element_ok": list(ok.sum(axis=0)),
                "chips_all_ok": int(ok.all(axis=1).sum()),
                "chips_usable": sum(not d.fatal for d in dies),
                "working": int(ok.sum()),
                "modulators": ok.size,
                "channels": 10,
                "beating_plob": 10 if w % 4 else 9,
                "distance_km": 370.0,
            }
        )
    return out


def test_uniform_yield_matches_the_binomial_closed_form():
    """2,000 dies at p = 0.975: working modulators per 20 dies ~ Binomial(120, p)."""
    net = NetworkSettings()
    out = montecarlo.summarise(_records(net, 100), net)
    assert out["wafers"] == 100 and out["dies"] == 2000
    lo, hi = out["modulator_yield_ci95"]
    assert lo < 0.975 < hi and hi - lo < 0.01  # 12,000 modulators: +-0.3 %
    w = out["working_modulators_of_120"]
    binom = stats.binom(120, 0.975)
    assert w["mean"] == pytest.approx(binom.mean(), abs=4 * binom.std() / math.sqrt(100))
    assert abs(w["p50"] - binom.median()) <= 1
    # all six work: p^6 per chip
    assert out["chip_yield_ci95"][0] < 0.975**6 < out["chip_yield_ci95"][1]
    assert out["p_network_all_channels_beat_plob"] == pytest.approx(0.75)  # 3 of 4 made up


def test_published_percentile_is_the_mid_rank():
    net = NetworkSettings()
    recs = _records(net, 6)
    for r, k in zip(recs, (115, 116, 117, 117, 118, 119), strict=True):
        r["working"] = k
    w = montecarlo.summarise(recs, net)["working_modulators_of_120"]
    assert w["published_percentile"] == pytest.approx(100 * (2 / 6 + 0.5 * 2 / 6))
    assert w["p_at_most_published"] == pytest.approx(4 / 6)


def test_area_model_keeps_the_mean_and_spreads_the_elements():
    net = NetworkSettings(wafer_yield_model="area")
    yields = wafer.element_yields(net, AREAS)
    out = montecarlo.summarise(_records(net, 100, yields), net)
    el = out["element_yield"]
    assert el["voa"]["yield"] > el["im1"]["yield"]
    for e, y in zip(wafer.ELEMENTS, yields, strict=True):  # within 4 binomial sigma
        assert abs(el[e]["yield"] - y) < 4 * math.sqrt(y * (1 - y) / out["dies"])


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["--wafers", "0"], "--wafers=0"),
        (["--yield-model", "poisson"], "network.wafer_yield_model"),
        (["--workers", "2", "--scheduler", "tcp://x:1"], "not both"),
        (["--plot", "x.txt"], "--plot"),
    ],
)
def test_bad_wafer_input_is_one_line(args, what):
    res = runner.invoke(app, ["wafer", *args])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert what in res.stderr


@pytest.mark.slow
def test_electrode_areas_are_read_from_the_drawn_cells():
    from qkdchip.components.inp import electrodes

    areas = wafer.electrode_areas_um2()
    w = electrodes.PMETAL_WIDTH_UM
    # push-pull MZM: two arms of 800 um; phase modulators 900 um; VOA 400 um (cell defaults)
    assert areas == pytest.approx(
        {"im1": 2 * w * 800, "im2": 2 * w * 800, "im3": 2 * w * 800,
         "pm": w * 900, "pmref": w * 900, "voa": w * 400}
    )  # fmt: skip
    assert areas == pytest.approx(AREAS)


@pytest.mark.slow
def test_wafer_cli_reports_the_issue_keys(tmp_path):
    png = tmp_path / "wafer.png"
    res = runner.invoke(app, ["wafer", "--wafers", "10", "--json", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in (
        "wafers",
        "dies",
        "modulator_yield",
        "modulator_yield_ci95",
        "working_modulators_of_120",
        "p_network_all_channels_beat_plob",
    ):
        assert key in out
    assert out["wafers"] == 10 and out["dies"] == 200
    lo, hi = out["modulator_yield_ci95"]
    assert lo <= out["modulator_yield"] <= hi
    assert 0.0 <= out["p_network_all_channels_beat_plob"] <= 1.0
    assert out["distance_km"] == 370.0 and out["channels"] == 10
    w = out["working_modulators_of_120"]
    assert w["p2.5"] <= w["p50"] <= w["p97.5"] <= 120
    assert png.stat().st_size > 10_000
