"""The DRC engine on hand-drawn layouts: every rule fires on a deliberate violation, and only then."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from qkdchip.pdk.drc import check_gds, check_layout
from qkdchip.pdk.rules import DesignRules, LayerRule

RULES = DesignRules(
    process="test",
    grid_um=0.005,
    layers=(
        LayerRule("WG", (1, 0), min_width_um=1.0, min_space_um=2.0),
        LayerRule("HEATER", (2, 0), min_width_um=3.0, min_separation=(("WG", 0.5),)),
        LayerRule("PAD", (3, 0), min_width_um=50.0),
        LayerRule("OPEN", (4, 0), min_width_um=20.0, enclosed_by=(("PAD", 5.0),)),
        LayerRule("DICING", (30, 0), min_width_um=50.0, not_overlapping=("DIE",)),
        LayerRule("DIE", (90, 0)),
        LayerRule("TEXT", (91, 0)),
    ),
    die_layer="DIE",
    die_keepout_um=20.0,
    keepout_exempt=("WG",),
    ignore=("TEXT",),
    mask_layers=("DICING",),
)


def make_layout(shapes: dict[tuple[int, int], list[kdb.DBox | kdb.DPolygon]]):
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    die = layout.layer(90, 0)
    top.shapes(die).insert(kdb.DBox(0, 0, 1000, 500))
    for (ly, dt), items in shapes.items():
        idx = layout.layer(ly, dt)
        for item in items:
            top.shapes(idx).insert(item)
    return layout, top


def rules_fired(report) -> dict[tuple[str, str], int]:
    return {(v.rule, v.layer): v.count for v in report.violations}


def test_clean_layout_has_no_violation():
    layout, top = make_layout(
        {
            (1, 0): [kdb.DBox(0, 100, 1000, 102)],  # waveguide to both facets (exempt)
            (2, 0): [kdb.DBox(100, 110, 300, 115)],
            (3, 0): [kdb.DBox(400, 300, 500, 400)],
            (4, 0): [kdb.DBox(410, 310, 490, 390)],
            (91, 0): [kdb.DBox(-10, -10, 5, 5)],  # text layer is ignored even outside the die
        }
    )
    report = check_layout(layout, RULES, top)
    assert report.clean, report.to_dict()


@pytest.mark.parametrize(
    ("shapes", "expected"),
    [
        ({(1, 0): [kdb.DBox(100, 100, 300, 100.5)]}, ("width", "WG")),
        ({(1, 0): [kdb.DBox(100, 100, 300, 102), kdb.DBox(100, 103, 300, 105)]}, ("space", "WG")),
        (
            {(1, 0): [kdb.DBox(100, 100, 300, 102)], (2, 0): [kdb.DBox(100, 102.2, 300, 106)]},
            ("separation", "HEATER"),
        ),
        (
            {(3, 0): [kdb.DBox(400, 300, 500, 400)], (4, 0): [kdb.DBox(402, 310, 490, 390)]},
            ("enclosure", "OPEN"),
        ),
        ({(4, 0): [kdb.DBox(400, 300, 430, 330)]}, ("enclosure", "OPEN")),
        ({(2, 0): [kdb.DBox(100, 100.0012, 300, 110)]}, ("off_grid", "HEATER")),
        ({(2, 0): [kdb.DBox(990, 100, 1010, 110)]}, ("outside_die", "HEATER")),
        ({(2, 0): [kdb.DBox(900, 100, 990, 110)]}, ("keepout", "HEATER")),
    ],
    ids=[
        "width",
        "space",
        "separation",
        "enclosure-margin",
        "not-enclosed",
        "grid",
        "die",
        "keepout",
    ],
)
def test_each_rule_catches_a_bad_shape(shapes, expected):
    layout, top = make_layout(shapes)
    report = check_layout(layout, RULES, top)
    fired = rules_fired(report)
    assert expected in fired, report.to_dict()
    assert report.total >= 1
    # markers point at the error
    v = next(v for v in report.violations if (v.rule, v.layer) == expected)
    assert v.where_um and all(-20 <= x <= 1020 and -20 <= y <= 520 for x, y in v.where_um)


def test_missing_die_outline_is_a_violation():
    layout = kdb.Layout()
    top = layout.create_cell("TOP")
    top.shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 0, 10, 10))
    report = check_layout(layout, RULES, top)
    assert ("outside_die", "DIE") in rules_fired(report)


def test_check_gds_reads_files_and_rejects_bad_paths(tmp_path):
    layout, _ = make_layout({(1, 0): [kdb.DBox(100, 100, 300, 100.5)]})
    path = tmp_path / "bad.gds"
    layout.write(str(path))
    with pytest.raises(ValueError, match="does not exist"):
        check_gds(tmp_path / "missing.gds", "sin")
    with pytest.raises(ValueError, match="process"):
        check_gds(path, "gaas")


def lanes(width_um: float) -> kdb.Region:
    """Dicing lanes ``width_um`` wide around the 1000 x 500 um die of :func:`make_layout` (dbu)."""
    frame = kdb.Region(
        kdb.DBox(-width_um, -width_um, 1000 + width_um, 500 + width_um).to_itype(0.001)
    )
    return frame - kdb.Region(kdb.DBox(0, 0, 1000, 500).to_itype(0.001))


def test_dicing_lanes_around_the_die_are_clean():
    layout, top = make_layout({})
    top.shapes(layout.layer(30, 0)).insert(lanes(100.0))
    report = check_layout(layout, RULES, top)
    assert report.clean, report.to_dict()  # outside the die, but a mask-level layer


def test_dicing_over_a_die_is_caught():
    layout, top = make_layout({})
    top.shapes(layout.layer(30, 0)).insert(lanes(100.0))
    top.shapes(layout.layer(30, 0)).insert(kdb.DBox(600, -100, 700, 600))  # a lane across the die
    report = check_layout(layout, RULES, top)
    hits = [v for v in report.violations if v.detail == "dicing overlaps die"]
    assert len(hits) == 1 and (hits[0].rule, hits[0].layer) == ("overlap", "DICING")
    x, y = hits[0].where_um[0]
    assert 600 <= x <= 700 and 0 <= y <= 500
    assert report.total == 1


def test_a_narrow_dicing_lane_is_caught():
    layout, top = make_layout({})
    top.shapes(layout.layer(30, 0)).insert(lanes(30.0))
    assert ("width", "DICING") in rules_fired(check_layout(layout, RULES, top))


def test_rules_naming_an_unknown_layer_are_refused():
    with pytest.raises(ValueError, match="NOPE"):
        DesignRules(
            process="test",
            grid_um=0.001,
            layers=(LayerRule("DIE", (90, 0)), LayerRule("D", (30, 0), not_overlapping=("NOPE",))),
            die_layer="DIE",
        )


@pytest.mark.parametrize("process", ["sin", "inp"])
def test_both_processes_check_dicing_against_the_die(process):
    from qkdchip.pdk.drc import rules_for

    rules = rules_for(process)
    assert rules.layer("DICING").not_overlapping == (rules.die_layer,)
    assert "DICING" in rules.mask_layers and "DICING" not in rules.ignore
    assert rules.marking_layer and rules.marking_layer not in rules.ignore
