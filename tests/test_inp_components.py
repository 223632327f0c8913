"""InP cells: build with defaults and with drawn parameters, DRC-clean, physics in c.info."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdchip.base.params import ranges_of
from qkdchip.components.inp import (
    CELLS,
    inp_bend_circular,
    inp_bend_s,
    inp_dbr_laser,
    inp_eo_section,
    inp_facet_ssc,
    inp_mmi1x2,
    inp_mmi2x2,
    inp_mzm,
    inp_pad_dc,
    inp_pad_rf,
    inp_phase_modulator,
    inp_straight,
    inp_taper_deep_shallow,
    inp_voa,
    inp_wire,
)
from qkdchip.pdk import use_pdk
from qkdchip.pdk.inp import PROCESS, XSECTIONS

from layout_helpers import cell_drc, ports_of

FEW = settings(max_examples=10, deadline=None)


@pytest.fixture(autouse=True, scope="module")
def inp_pdk():
    with use_pdk("inp") as pdk:
        yield pdk


def drc(c) -> list:
    return cell_drc(c, "inp")


def check_cell(c) -> None:
    assert c.name.startswith("inp_")
    assert drc(c) == []
    for p in c.ports:
        assert p.name[0] in "oe"
        assert (p.port_type == "optical") == (p.name[0] == "o")


# --- defaults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CELLS))
def test_every_cell_builds_with_defaults_drc_clean(name):
    check_cell(CELLS[name]())


@pytest.mark.parametrize("name", sorted(CELLS))
def test_settings_ports_info_regression(name, data_regression):
    c = CELLS[name]()
    data_regression.check(
        {
            "name": c.name,
            "settings": {k: v for k, v in c.settings.model_dump().items() if k != "points"},
            "ports": ports_of(c),
            "info": c.info.model_dump(),
            "bbox": [round(x, 3) for x in (c.dxmin, c.dymin, c.dxmax, c.dymax)],
        }
    )


# --- invalid parameters -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n in CELLS if ranges_of(CELLS[n])))
def test_out_of_range_raises_naming_the_parameter(name):
    fn = CELLS[name]
    for param, rng in ranges_of(fn).items():
        for bad in (rng.min - 1.0, rng.max + 1.0, float("nan")):
            with pytest.raises(ValueError, match=param):
                fn(**{param: bad})


def test_derived_constraints_raise_valueerror():
    with pytest.raises(ValueError, match="dy_um"):
        inp_bend_s(dy_um=350.0, radius_um=150.0)  # |dy| > 2R
    with pytest.raises(ValueError, match="bend_radius_um"):
        inp_facet_ssc(bend_radius_um=300.0)  # below the shallow radius_min (500)
    with pytest.raises(ValueError, match="radius_um"):
        inp_bend_circular(radius_um=300.0, cross_section="inp_shallow")
    with pytest.raises(ValueError, match="width_um"):
        inp_mmi1x2(width_um=5.0, taper_width_um=2.0)  # trench between tapers < min space
    with pytest.raises(ValueError, match="cross_section"):
        inp_straight(cross_section="inp_metal")
    with pytest.raises(ValueError, match="points"):
        inp_wire(points=((0.0, 0.0), (10.0, 10.0)))


# --- drawn parameters -------------------------------------------------------------------------


@FEW
@given(length=st.floats(1.0, 20000.0), xs=st.sampled_from(["inp_deep", "inp_shallow"]))
def test_straight_drawn(length, xs):
    c = inp_straight(length_um=length, cross_section=xs)
    check_cell(c)
    assert c.ports["o2"].dx - c.ports["o1"].dx == pytest.approx(length, abs=1e-3)


@FEW
@given(frac=st.floats(0.0, 1.0), angle=st.floats(2.0, 180.0), shallow=st.booleans())
def test_bend_drawn(frac, angle, shallow):
    xs = "inp_shallow" if shallow else "inp_deep"
    r_min = XSECTIONS[xs].radius_min_um
    radius = r_min + frac * (1000.0 - r_min)
    c = inp_bend_circular(radius_um=radius, angle_deg=angle, cross_section=xs)
    check_cell(c)
    a = math.radians(angle)
    o2 = c.ports["o2"]
    assert (o2.dx, o2.dy) == pytest.approx(
        (radius * math.sin(a), radius * (1 - math.cos(a))), abs=1e-3
    )
    assert o2.orientation == pytest.approx(angle % 360, abs=1e-6)
    assert c.info["length_um"] == pytest.approx(radius * a, abs=1e-3)


@FEW
@given(radius=st.floats(100.0, 1000.0), frac=st.floats(0.01, 1.0), up=st.booleans())
def test_s_bend_drawn(radius, frac, up):
    # floor to 1 nm so that rounding never pushes |dy| past the allowed 2 R
    dy = (1 if up else -1) * math.floor(max(1.0, min(400.0, frac * 2 * radius)) * 1000) / 1000
    c = inp_bend_s(dy_um=dy, radius_um=radius)
    check_cell(c)
    theta = math.acos(1 - abs(dy) / (2 * radius))
    assert c.ports["o2"].dx == pytest.approx(2 * radius * math.sin(theta), abs=1e-3)
    assert c.ports["o2"].dy == pytest.approx(dy, abs=1e-3)


@FEW
@given(length=st.floats(20.0, 300.0))
def test_transition_drawn(length):
    check_cell(inp_taper_deep_shallow(length_um=length))


@FEW
@given(
    taper_w=st.floats(1.5, 3.0),
    extra=st.floats(0.0, 10.0),
    taper_l=st.floats(10.0, 100.0),
    two_by_two=st.booleans(),
)
def test_mmi_drawn(taper_w, extra, taper_l, two_by_two):
    width = round(min(20.0, 2 * (taper_w + 1.0) + 0.01 + extra), 3)
    fn = inp_mmi2x2 if two_by_two else inp_mmi1x2
    c = fn(width_um=width, taper_width_um=taper_w, taper_length_um=taper_l)
    check_cell(c)
    assert c.info["width_um"] == pytest.approx(width, abs=1.5e-3)  # snapped to 2 nm
    beat = PROCESS.mmi_beat_length_um(c.info["width_um"])
    expected = 1.5 * beat if two_by_two else 3 * beat / 8
    assert c.info["length_um"] == pytest.approx(expected, abs=1e-3)
    assert len([p for p in c.ports if p.dx > 0]) == 2


def test_mmi_self_imaging_lengths_and_ports():
    m12, m22 = inp_mmi1x2(), inp_mmi2x2()
    beat = PROCESS.mmi_beat_length_um(7.0)
    assert m12.info["length_um"] == pytest.approx(3 * beat / 8, abs=1e-3)  # symmetric 1x2
    assert m22.info["length_um"] == pytest.approx(3 * beat / 2, abs=1e-3)  # general 2x2
    assert [round(m12.ports[n].dy, 3) for n in ("o2", "o3")] == [1.75, -1.75]  # +-W/4
    assert [round(m22.ports[n].dy, 3) for n in ("o1", "o2", "o3", "o4")] == [
        -1.75,
        1.75,
        1.75,
        -1.75,
    ]


@FEW
@given(length=st.floats(100.0, 3000.0))
def test_phase_modulator_drawn(length):
    c = inp_phase_modulator(length_um=length)
    check_cell(c)
    assert c.info["vpi_V"] == pytest.approx(PROCESS.eo_vpi_l_V_mm / (length * 1e-3), rel=1e-5)
    assert c.info["length_um"] == pytest.approx(length, abs=5e-4)
    assert {p.name for p in c.ports if p.port_type == "electrical"} == {"e1", "e2"}
    assert all(p.orientation == 270 for p in c.ports if p.port_type == "electrical")
    check_cell(inp_eo_section(length_um=length))


@FEW
@given(
    length=st.floats(100.0, 3000.0),
    spacing=st.floats(40.0, 200.0),
    k1=st.floats(0.3, 0.7),
    k2=st.floats(0.3, 0.7),
    radius=st.floats(100.0, 1000.0),
)
def test_mzm_drawn(length, spacing, k1, k2, radius):
    c = inp_mzm(
        length_um=length,
        arm_spacing_um=spacing,
        split_ratio=k1,
        combine_ratio=k2,
        bend_radius_um=radius,
    )
    check_cell(c)
    assert c.ports["o1"].dy == c.ports["o2"].dy == 0
    assert c.info["vpi_push_pull_V"] == pytest.approx(c.info["vpi_arm_V"] / 2)
    assert (c.info["split_ratio"], c.info["combine_ratio"]) == (k1, k2)


def test_mzm_netlist_is_the_interferometer():
    net = inp_mzm().get_netlist()
    assert set(net["instances"]) == {
        "mmi_in", "sbend_top_in", "arm_top", "sbend_top_out",
        "sbend_bot_in", "arm_bot", "sbend_bot_out", "mmi_out",
    }  # fmt: skip
    pairs = {frozenset((n["p1"], n["p2"])) for n in net["nets"]}
    chain_top = ["mmi_in,o2", "sbend_top_in,o1", "sbend_top_in,o2", "arm_top,o1", "arm_top,o2",
                 "sbend_top_out,o1", "sbend_top_out,o2", "mmi_out,o3"]  # fmt: skip
    chain_bot = ["mmi_in,o3", "sbend_bot_in,o1", "sbend_bot_in,o2", "arm_bot,o1", "arm_bot,o2",
                 "sbend_bot_out,o1", "sbend_bot_out,o2", "mmi_out,o2"]  # fmt: skip
    for chain in (chain_top, chain_bot):
        for a, b in zip(chain[0::2], chain[1::2], strict=True):
            assert frozenset((a, b)) in pairs
    assert net["ports"] == {"o1": "mmi_in,o1", "o2": "mmi_out,o1"}
    assert net["instances"]["arm_top"]["component"] == "inp_eo_section"


@FEW
@given(
    gain=st.floats(200.0, 1500.0),
    phase=st.floats(50.0, 500.0),
    front=st.floats(20.0, 400.0),
    rear=st.floats(20.0, 800.0),
)
def test_laser_drawn(gain, phase, front, rear):
    c = inp_dbr_laser(
        gain_length_um=gain,
        phase_length_um=phase,
        front_dbr_length_um=front,
        rear_dbr_length_um=rear,
    )
    check_cell(c)
    kappa = PROCESS.dbr_kappa_per_cm * 1e-4
    for name, value in (("gain", gain), ("phase", phase), ("front_dbr", front), ("rear_dbr", rear)):
        assert c.info[f"{name}_length_um"] == pytest.approx(value, abs=5e-4)  # on the 1 nm grid
    gain, phase = c.info["gain_length_um"], c.info["phase_length_um"]
    front, rear = c.info["front_dbr_length_um"], c.info["rear_dbr_length_um"]
    assert c.info["front_reflectivity"] == pytest.approx(math.tanh(kappa * front) ** 2, abs=1e-6)
    assert c.info["rear_reflectivity"] == pytest.approx(math.tanh(kappa * rear) ** 2, abs=1e-6)
    l_eff = gain + phase + 3 * c.info["isolation_length_um"]
    l_eff += (math.tanh(kappa * front) + math.tanh(kappa * rear)) / (2 * kappa)
    assert c.info["cavity_length_um"] == pytest.approx(l_eff, abs=1e-3)
    # mode spacing c / (2 n_g L) and round trip 2 n_g L / c are reciprocal
    assert c.info["mode_spacing_GHz"] * c.info["round_trip_time_ps"] == pytest.approx(1e3, rel=1e-4)
    assert len([p for p in c.ports if p.port_type == "electrical"]) == 5


def test_laser_default_is_a_sensible_cavity():
    info = inp_dbr_laser().info
    assert info["front_reflectivity"] < info["rear_reflectivity"] < 0.6  # output at the front
    assert 600 < info["cavity_length_um"] < 1200  # ~1 mm DBR laser
    assert 30 < info["mode_spacing_GHz"] < 70
    assert info["bragg_period_nm"] == pytest.approx(239.2, abs=0.1)


@FEW
@given(length=st.floats(100.0, 1000.0))
def test_voa_drawn(length):
    c = inp_voa(length_um=length)
    check_cell(c)
    assert c.info["length_um"] == pytest.approx(length, abs=5e-4)
    assert c.info["max_attenuation_dB"] == pytest.approx(
        PROCESS.voa_absorption_dB_per_mm * c.info["length_um"] * 1e-3, abs=1e-6
    )


def test_voa_default_range_is_generic():
    assert 10 <= inp_voa().info["max_attenuation_dB"] <= 40


@FEW
@given(
    angle=st.floats(5.0, 12.0),
    taper=st.floats(50.0, 500.0),
    tip=st.floats(1.1, 2.0),
    radius=st.floats(500.0, 1000.0),
)
def test_facet_drawn(angle, taper, tip, radius):
    c = inp_facet_ssc(
        angle_deg=angle, taper_length_um=taper, tip_width_um=tip, bend_radius_um=radius
    )
    check_cell(c)
    o2 = c.ports["o2"]
    assert o2.dx == c.info["facet_x_um"] == pytest.approx(c.dxmax)  # the facet is the east edge
    theta_air = math.degrees(math.asin(PROCESS.shallow_neff * math.sin(math.radians(angle))))
    assert c.info["output_angle_air_deg"] == pytest.approx(theta_air, abs=1e-3)


@FEW
@given(size=st.floats(60.0, 200.0), rf=st.floats(60.0, 150.0))
def test_pads_drawn(size, rf):
    for c in (inp_pad_dc(size_um=size), inp_pad_rf(size_um=rf)):
        check_cell(c)
        assert c.ports["e1"].orientation == 90


@FEW
@given(
    dx=st.floats(-500.0, 500.0).filter(lambda v: abs(v) > 20),
    down=st.floats(20.0, 500.0),
    jog=st.floats(10.0, 400.0),
)
def test_wire_drawn(dx, down, jog):
    pts = ((0.0, 0.0), (0.0, -jog), (dx, -jog), (dx, -jog - down))
    c = inp_wire(points=pts)
    check_cell(c)
    assert c.info["length_um"] == pytest.approx(jog + abs(dx) + down, abs=1e-3)
    assert (c.ports["e1"].orientation, c.ports["e2"].orientation) == (90, 270)


@FEW
@given(
    offsets=st.lists(st.floats(0.0, 400.0), min_size=1, max_size=12),
    edge=st.sampled_from(["south", "north", "east", "west"]),
    pitch=st.floats(120.0, 200.0),
)
def test_river_routing_is_planar_and_drc_clean(offsets, edge, pitch):
    """Tabs crowded anywhere along a line: every tab gets its own pad and no two routes touch."""
    import gdsfactory as gf
    import klayout.db as kdb

    from qkdchip.components.inp import route_to_edge_pads
    from qkdchip.components.inp.pads import Tab

    xs = []
    for d in offsets:  # tabs at least 20 um apart (trace 10 + space 10)
        xs.append(round((xs[-1] + 20.0 + d) if xs else d, 3))
    c = gf.Component()
    along_x = edge in ("south", "north")
    s = -1 if edge in ("south", "west") else 1
    tabs = [
        Tab(f"t.e{i}", *((x, 0.0) if along_x else (0.0, x)), "rf" if i % 2 else "dc")
        for i, x in enumerate(xs)
    ]
    n = len(xs)
    span = max(xs[-1] + 200.0, (n + 1) * pitch + 200.0)
    edge_um = s * (60.0 + 20.0 * n + 150.0)
    records = route_to_edge_pads(
        c, tabs, edge=edge, edge_um=edge_um, along_min_um=-100.0, along_max_um=span, pitch_um=pitch
    )
    assert len(records) == n
    assert drc(c) == []
    rf = kdb.Region(c.kdb_cell.begin_shapes_rec(c.kcl.layer(27, 0))).merged()
    openings = kdb.Region(c.kdb_cell.begin_shapes_rec(c.kcl.layer(28, 0))).merged()
    assert rf.count() == n  # one island per electrode: no crossing, no touching
    for island in rf.each():
        assert openings.interacting(kdb.Region(island)).count() == 1
