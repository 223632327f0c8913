"""The unpublished parameters (``uncertain.*``): registry, sampling, the variance-based
sensitivity against closed forms, the consistency figures, the CLI's input errors.

The propagation through the real network (which needs the comb) is in tests/test_network.py,
next to the network fixture it shares.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from qkdchip import design as design_mod
from qkdchip.cli import app
from qkdchip.sims.network.uncertainty import (
    DISTRIBUTIONS,
    REFERENCE_QBER_X,
    REFERENCE_RATIO,
    UNCERTAIN,
    UncertainSettings,
    Uncertainty,
    sample,
)

runner = CliRunner()


def test_registry_lists_every_uncertain_parameter_with_low_high_and_distribution():
    params = {p.name: p for p in design_mod.parameters(["uncertain"])}
    assert len(params) == 3 * len(UNCERTAIN) == 21
    for name in UNCERTAIN:
        low, high, dist = (params[f"uncertain.{name}_{end}"] for end in ("low", "high", "dist"))
        assert low.value < high.value and dist.value in DISTRIBUTIONS
        assert low.min <= low.value and high.value <= high.max
        assert "(" in low.doc and len(low.doc) > 60  # names the setting and its source
    # the default ranges bracket the network's defaults of the same settings
    link = {p.name: p.value for p in design_mod.parameters(["link", "network"])}
    for name, setting in (
        ("fibre_loss_db_per_km", "link.fibre_loss_db_per_km"),
        ("detector_eta", "link.detector_eta"),
        ("detector_dark_count_prob", "link.detector_dark_count_prob"),
        ("pulses", "network.pulses"),
        ("misalignment", "link.misalignment"),
    ):
        assert params[f"uncertain.{name}_low"].value <= link[setting]
        assert link[setting] <= params[f"uncertain.{name}_high"].value


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"pulses_low": 1e14}, r"uncertain\.pulses_low=1e\+14 is above uncertain\.pulses_high"),
        ({"misalignment_dist": "normal"}, r"uncertain\.misalignment_dist='normal' is unknown"),
        (
            {"server_extra_loss_db_dist": "loguniform"},
            r"uncertain\.server_extra_loss_db_low=0 must be > 0",
        ),
        ({"detector_eta_high": 1.5}, r"uncertain\.detector_eta_high=1\.5 is out of range"),
    ],
)
def test_bad_ranges_name_the_parameter(overrides, match):
    with pytest.raises(ValueError, match=match):
        UncertainSettings(**overrides)


def test_samples_are_a_seeded_latin_hypercube_in_the_ranges():
    unc = UncertainSettings()
    n = 400
    x = sample(unc, n, seed=3)
    again = sample(unc, n, seed=3)
    other = sample(unc, n, seed=4)
    for name in UNCERTAIN:
        low, high, dist = unc.spec(name)
        v = x[name]
        assert np.array_equal(v, again[name]) and not np.array_equal(v, other[name])
        assert np.all((v >= low) & (v <= high))
        # Latin hypercube: exactly one sample in each of the n equal-probability strata
        u = (
            (np.log(v / low) / math.log(high / low))
            if dist == "loguniform"
            else (v - low) / (high - low)
        )
        assert np.array_equal(np.sort(np.floor(u * n).astype(int)), np.arange(n))
    # loguniform: the median is the geometric mean of the ends
    lo, hi, _ = unc.spec("pulses")
    assert np.median(x["pulses"]) == pytest.approx(math.sqrt(lo * hi), rel=0.02)


def test_a_fixed_parameter_is_not_sampled():
    unc = UncertainSettings(misalignment_low=0.02, misalignment_high=0.02)
    assert np.all(sample(unc, 50, seed=0)["misalignment"] == 0.02)


def _synthetic(n: int, seed: int = 0) -> Uncertainty:
    unc = UncertainSettings()
    x = sample(unc, n, seed)
    z = np.zeros((n, 0))
    return Uncertainty(unc, x, (), z, z, z, z, seed, 370.0, {})


def test_rbd_fast_shares_match_the_closed_form_of_a_linear_model():
    """y = a u1 + b u2 with u_i the uniform parameters scaled to [0, 1]: S_i = a_i^2 / sum."""
    u = _synthetic(1000)
    unif = {
        k: (v - v.min()) / np.ptp(v)
        for k, v in u.samples.items()
        if u.settings.spec(k)[2] == "uniform"
    }
    k1, k2 = "fibre_loss_db_per_km", "server_extra_loss_db"
    y = 3.0 * unif[k1] + 1.0 * unif[k2]
    s = u.sensitivity(y)
    assert s[k1] == pytest.approx(0.9, abs=0.03)
    assert s[k2] == pytest.approx(0.1, abs=0.03)
    assert sum(v for k, v in s.items() if k not in (k1, k2)) < 0.05
    # a product (Ishigami-like interaction) leaves variance to the interactions
    y2 = (unif[k1] - 0.5) * (unif[k2] - 0.5)
    s2 = u.sensitivity(y2)
    assert max(s2.values()) < 0.1  # first order ~ 0: all of it is interaction
    assert u.sensitivity(np.ones(1000)) is None
    assert _synthetic(15).sensitivity(np.arange(15.0)) is None  # too few samples


def test_consistency_counts_samples_with_every_channel_in_both_ranges():
    n = 4
    unc = UncertainSettings()
    x = sample(unc, n, 0)
    inside_r, inside_q = np.mean(REFERENCE_RATIO), np.mean(REFERENCE_QBER_X)
    ratio = np.full((n, 3), inside_r)
    qber = np.full((n, 3), inside_q)
    ratio[1, 2] = REFERENCE_RATIO[1] + 0.01  # one channel above the ratio range
    qber[2, 0] = np.nan  # one channel without key
    ratio[2, 0] = 0.0
    u = Uncertainty(unc, x, (1, 2, 3), ratio, qber, ratio, ratio, 0, 370.0, {})
    assert u.consistent().tolist() == [True, False, False, True]
    c = u.to_dict()["consistent_with_reference"]
    assert c["fraction"] == 0.5 and c["samples"] == 2
    for k, (lo, hi) in c["parameter_ranges"].items():
        assert lo == min(x[k][[0, 3]]) and hi == max(x[k][[0, 3]])
    assert u.band(qber[:, 0]) == pytest.approx([inside_q] * 3)
    assert u.channel_dict(0)["key_fraction"] == 0.75


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["network", "--uncertainty", "0"], "error: --uncertainty=0 is out of range"),
        (["network", "--uncertainty", "2.5"], "error: --uncertainty"),
        (
            ["network", "--uncertainty", "10", "--set", "uncertain.fibre_loss_db_per_km_low=0.3"],
            "error: uncertain.fibre_loss_db_per_km_low=0.3 is above",
        ),
        (
            ["network", "--set", "uncertain.pulses_dist=gauss"],
            "error: uncertain.pulses_dist='gauss' is unknown",
        ),
    ],
)
def test_cli_bad_uncertainty_input_is_a_one_line_error(args, match):
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(match) and res.stderr.count("\n") == 1


def test_settings_are_frozen_and_documented():
    unc = UncertainSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        unc.pulses_low = 1.0  # type: ignore[misc]
    d = unc.to_dict()
    assert set(d) == set(UNCERTAIN)
    assert d["fibre_loss_db_per_km"]["stands_for"] == "link.fibre_loss_db_per_km"
    assert "G.654" in d["fibre_loss_db_per_km"]["source"]
