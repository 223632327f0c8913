"""The design registry: names, defaults and ranges read from their homes; overrides validated."""

from __future__ import annotations

import dataclasses

import pytest

from qkdchip import design as d
from qkdchip.base.params import Range, checked


@checked(ring_gap_um=Range(0.5, 8.0, "um", "ring-bus gap"), n_dies=Range(1, 50, integer=True))
def fake_chip(
    ring_gap_um: float = 2.3,
    n_dies: int = 20,
    die_label: str = "X",
    use_heater: bool = True,
    cross_section: object = None,
):
    return dict(ring_gap_um=ring_gap_um, n_dies=n_dies)


@dataclasses.dataclass(frozen=True)
class FakeLink:
    fibre_loss_db_per_km: float = dataclasses.field(
        default=0.2, metadata={"range": Range(0.1, 1.0, "dB/km", "fibre attenuation")}
    )
    name: str = "spool"


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(
        d,
        "SOURCES",
        {"fake": (__name__, "fake_chip"), "link": (__name__, "FakeLink")},
    )
    return d


def test_parameters_come_from_their_homes(registry):
    params = {p.name: p for p in registry.parameters()}
    gap = params["fake.ring.gap_um"]
    assert (gap.value, gap.unit, gap.min, gap.max) == (2.3, "um", 0.5, 8.0)
    assert params["fake.n.dies"].value == 20
    assert params["fake.die.label"].value == "X"
    assert params["fake.use.heater"].value is True
    assert "fake.cross.section" not in params  # not a scalar: not a design parameter
    assert params["link.fibre_loss_db_per_km"].max == 1.0


def test_overrides_are_validated_and_routed(registry, tmp_path):
    yml = tmp_path / "design.yml"
    yml.write_text("fake:\n  ring:\n    gap_um: 3.0\nlink.fibre_loss_db_per_km: 0.17\n")
    design = registry.load(yml, ["fake.n.dies=10"])
    assert design.kwargs("fake") == {"ring_gap_um": 3.0, "n_dies": 10}
    assert registry.value_of(design, "link.fibre_loss_db_per_km") == 0.17
    assert registry.value_of(design, "fake.die.label") == "X"
    # YAML reads 1e1 as a string: numeric parameters still accept it
    assert registry.load(None, ["fake.ring.gap_um=5e0"]).kwargs("fake")["ring_gap_um"] == 5.0
    # --set wins over the file
    assert registry.load(yml, ["fake.ring.gap_um=4"]).kwargs("fake")["ring_gap_um"] == 4.0


@pytest.mark.parametrize(
    ("sets", "match"),
    [
        (
            ["fake.ring.gap_um=0.1"],
            r"fake\.ring\.gap_um=0\.1 um is out of range: allowed \[0\.5, 8\.0\]",
        ),
        (["fake.ring.gapp_um=3"], r"unknown design parameter 'fake\.ring\.gapp_um' \(did you mean"),
        (["nope.x=1"], "unknown design parameter 'nope.x'"),
        (["fake.ring.gap_um=abc"], "must be a number"),
        (["fake.n.dies=2.5"], "must be an integer"),
        (["fake.use.heater=3"], "true or false"),
        (["fake.ring.gap_um"], "NAME=VALUE"),
    ],
)
def test_bad_overrides_name_the_parameter(registry, sets, match):
    with pytest.raises(ValueError, match=match):
        registry.load(None, sets)


def test_bad_design_files(registry, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        registry.load(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("fake: [1, 2\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        registry.load(bad)
    lst = tmp_path / "list.yml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="mapping"):
        registry.load(lst)


def test_heater_power_shows_auto_and_takes_a_number_or_auto():
    """``comb.heater_power_w`` unset means "the power that puts the pump line on lambda_0":
    the registry shows ``auto`` (not a 0.0 that would mean "heater off"), ``--set`` takes a
    number in its range or ``auto``; anything else names the parameter and the range."""
    from qkdchip.sims.devices import comb_settings

    p = d.param("comb.heater_power_w")
    assert p.value == "auto" and (p.min, p.max, p.unit) == (0.0, 2.0, "W")
    assert comb_settings().heater_power_w is None
    set_ = d.load(None, ["comb.heater_power_w=0.04"])
    assert comb_settings(set_).heater_power_w == 0.04
    assert comb_settings(d.load(None, ["comb.heater_power_w=auto"])).heater_power_w is None
    for bad in ("abc", "3", ""):
        with pytest.raises(ValueError, match=r"comb\.heater_power_w"):
            d.load(None, [f"comb.heater_power_w={bad}"])
