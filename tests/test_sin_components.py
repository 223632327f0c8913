"""Si3N4 cells: build with defaults and with drawn parameters, DRC-clean, physics in c.info."""

from __future__ import annotations

import math

import klayout.db as kdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import speed_of_light

from qkdchip.base.params import defaults_of, ranges_of
from qkdchip.components.sin import (
    CELLS,
    sin_edge_coupler,
    sin_metal_straight,
    sin_pad,
    sin_pump_facet,
    sin_ring_bus,
    sin_ring_heater,
    sin_straight,
    sin_taper,
)
from qkdchip.components.sin.ring import ring_center_y_um
from qkdchip.pdk import use_pdk
from qkdchip.pdk.sin import LAYERS, RULES, modes
from qkdchip.pdk.sin.process import HEATER_SHEET_RESISTANCE_OHM_PER_SQ

from layout_helpers import cell_drc, layer_region, ports_of

FEW = settings(max_examples=10, deadline=None)
GDS_MAX_VERTICES = 8190


@pytest.fixture(autouse=True, scope="module")
def sin_pdk():
    with use_pdk("sin") as pdk:
        yield pdk


def drc(c) -> list:
    return cell_drc(c, "sin")


def region(c, name: str) -> kdb.Region:
    return layer_region(c, LAYERS[name])


def check_cell(c) -> None:
    assert c.name.startswith("sin_")
    assert drc(c) == []
    for p in c.ports:
        assert p.name[0] in "oe"
        assert (p.port_type == "optical") == (p.name[0] == "o")
    for layer in LAYERS:
        for poly in region(c, layer).each():
            assert poly.num_points() <= GDS_MAX_VERTICES


def draw(fn, **fixed):
    """Hypothesis strategy of keyword arguments inside ``fn``'s declared ranges."""
    return st.fixed_dictionaries(
        {
            name: fixed.get(name, st.floats(r.min, r.max, allow_nan=False))
            for name, r in ranges_of(fn).items()
        }
    )


# --- defaults, regressions --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CELLS))
def test_every_cell_builds_with_defaults_drc_clean(name):
    check_cell(CELLS[name]())


@pytest.mark.parametrize("name", sorted(CELLS))
def test_settings_ports_info_regression(name, data_regression):
    c = CELLS[name]()
    data_regression.check(
        {
            "name": c.name,
            "settings": c.settings.model_dump(),
            "info": c.info.model_dump(),
            "ports": ports_of(c),
        }
    )


@pytest.mark.parametrize("name", sorted(CELLS))
def test_every_numeric_parameter_is_ranged_and_unit_named(name):
    fn = CELLS[name]
    ranges = ranges_of(fn)
    for arg, default in defaults_of(fn).items():
        if isinstance(default, float | int):
            assert arg in ranges, arg
            assert arg.endswith("_um"), arg
            assert ranges[arg].unit == "um"


# --- drawn parameters -------------------------------------------------------------------------


@FEW
@given(kw=draw(sin_straight))
def test_straight_any(kw):
    c = sin_straight(**kw)
    check_cell(c)
    assert abs(c.info["width_um"] - kw["width_um"]) <= 0.001
    assert c.info["n_g"] == pytest.approx(modes.group_index(c.info["width_um"]), abs=1e-6)


@FEW
@given(kw=draw(sin_taper))
def test_taper_any(kw):
    check_cell(sin_taper(**kw))


# the ring: radius up to 1.2 mm keeps the examples fast; the full range is checked at its ends
@FEW
@given(kw=draw(sin_ring_bus, radius_um=st.floats(300.0, 1200.0)))
def test_ring_any(kw):
    c = sin_ring_bus(**kw)
    check_cell(c)
    check_ring_info(c)


@pytest.mark.parametrize("radius_um", [ranges_of(sin_ring_bus)["radius_um"].min, 2500.0])
def test_ring_range_ends(radius_um):
    c = sin_ring_bus(radius_um=radius_um, coupling_length_um=2000.0)
    check_cell(c)
    check_ring_info(c)


@FEW
@given(kw=draw(sin_ring_heater, radius_um=st.floats(300.0, 1200.0)))
def test_heater_any(kw):
    r, lc, half = kw["radius_um"], kw["coupling_length_um"], kw["opening_um"] / 2
    if half > lc / 2 + r / 2:
        with pytest.raises(ValueError, match="opening_um"):
            sin_ring_heater(**kw)
        return
    c = sin_ring_heater(**kw)
    check_cell(c)
    i = c.info
    # heated centre line: the ring minus the part above the cut |x| < opening/2
    cut = half if half <= lc / 2 else lc / 2 + r * math.asin((half - lc / 2) / r)
    assert i["length_um"] == pytest.approx(2 * math.pi * r + 2 * lc - 2 * cut, abs=1e-3)
    assert i["squares"] > i["length_um"] / i["width_um"]
    assert i["resistance_ohm"] == pytest.approx(
        i["squares"] * HEATER_SHEET_RESISTANCE_OHM_PER_SQ, rel=1e-5
    )
    # contacts mirror each other about the ring's vertical axis, on top of the ring
    e1, e2 = c.ports["e1"], c.ports["e2"]
    assert e1.dx == pytest.approx(-e2.dx, abs=1e-3) and e1.dy == pytest.approx(e2.dy, abs=1e-3)
    assert e1.dy > kw["radius_um"] * 0.5 and e1.orientation == 90


@FEW
@given(kw=draw(sin_edge_coupler))
def test_edge_coupler_any(kw):
    c = sin_edge_coupler(**kw)
    check_cell(c)
    assert c.ports["o1"].dx == 0 and c.ports["o1"].dwidth == pytest.approx(
        kw["tip_width_um"], abs=1e-3
    )
    trench = region(c, "DEEP_TRENCH").bbox()
    assert trench.right == 0 and trench.left == -round(kw["trench_length_um"] * 1000)


@FEW
@given(kw=draw(sin_pump_facet))
def test_pump_facet_any(kw):
    c = sin_pump_facet(**kw)
    check_cell(c)
    assert c.info["air_gap_um"] == kw["air_gap_um"]


@FEW
@given(kw=draw(sin_pad))
def test_pad_any(kw):
    if kw["size_um"] - 2 * kw["opening_inset_um"] < RULES.layer("PAD_OPEN").min_width_um:
        with pytest.raises(ValueError, match="opening_inset_um"):
            sin_pad(**kw)
        return
    check_cell(sin_pad(**kw))


@FEW
@given(kw=draw(sin_metal_straight))
def test_metal_straight_any(kw):
    check_cell(sin_metal_straight(**kw))


# --- invalid parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "kw", "name"),
    [
        (sin_ring_bus, {"gap_um": RULES.layer("CORE").min_space_um - 0.01}, "gap_um"),
        (sin_ring_bus, {"gap_um": 0.3}, "gap_um"),
        (sin_ring_bus, {"radius_um": 200.0}, "radius_um"),
        (sin_ring_bus, {"width_um": 1.0}, "width_um"),
        (sin_ring_bus, {"coupling_length_um": -1.0}, "coupling_length_um"),
        (sin_ring_bus, {"radius_um": float("nan")}, "radius_um"),
        (sin_ring_heater, {"width_um": 3.0}, "width_um"),
        (sin_ring_heater, {"contact_size_um": 10.0}, "contact_size_um"),
        (sin_ring_heater, {"radius_um": 300.0, "opening_um": 400.0}, "opening_um"),
        (sin_straight, {"length_um": 0.2}, "length_um"),
        (sin_taper, {"width2_um": 0.2}, "width2_um"),
        (sin_edge_coupler, {"tip_width_um": 0.3}, "tip_width_um"),
        (sin_edge_coupler, {"trench_length_um": 10.0}, "trench_length_um"),
        (sin_pump_facet, {"air_gap_um": -0.5}, "air_gap_um"),
        (sin_pump_facet, {"trench_width_um": 30.0}, "trench_width_um"),
        (sin_pad, {"size_um": 20.0}, "size_um"),
        (sin_pad, {"size_um": 60.0, "opening_inset_um": 20.0}, "opening_inset_um"),
        (sin_metal_straight, {"width_um": 1.0}, "width_um"),
    ],
)
def test_invalid_parameters_raise_naming_the_parameter(fn, kw, name):
    with pytest.raises(ValueError, match=name):
        fn(**kw)


# --- physics ----------------------------------------------------------------------------------


def check_ring_info(c) -> None:
    i = c.info
    r, lc, w, g = i["radius_um"], i["coupling_length_um"], i["width_um"], i["gap_um"]
    length = 2 * math.pi * r + 2 * lc
    assert i["length_um"] == pytest.approx(length, abs=1e-3)
    ng = modes.group_index(w)
    assert i["n_g"] == pytest.approx(ng, abs=1e-6)
    assert i["fsr_ghz"] == pytest.approx(speed_of_light / (ng * length * 1e-6) / 1e9, rel=1e-6)
    kappa = modes.coupling_per_um(g, w)
    assert i["kappa_per_um"] == pytest.approx(kappa, rel=1e-6)
    theta = kappa * (lc + math.sqrt(2 * math.pi * r / modes.coupling_decay_per_um(g, w)))
    assert i["power_coupling"] == pytest.approx(math.sin(theta) ** 2, rel=1e-6)
    assert 0 < i["power_coupling"] < 1


def test_ring_polygons_follow_the_circle_to_the_grid():
    """Every vertex of the default ring lies within one grid step of its ideal circle."""
    c = sin_ring_bus()
    i = c.info
    yc = ring_center_y_um(i["radius_um"], i["width_um"], i["gap_um"])
    core = region(c, "CORE").merged()
    ring = [p for p in core.each() if p.bbox().height() > 1_000_000]
    assert len(ring) == 1
    pts = []
    for poly in ring:
        for k in range(poly.holes() + 1):
            it = poly.each_point_hull() if k == 0 else poly.each_point_hole(k - 1)
            pts += [(p.x / 1000, p.y / 1000) for p in it]
    rad = np.hypot(*np.array(pts).T - np.array([[0.0], [yc]]))
    outer, inner = i["radius_um"] + i["width_um"] / 2, i["radius_um"] - i["width_um"] / 2
    dev = np.minimum(abs(rad - outer), abs(rad - inner))
    assert dev.max() < 0.0015
    assert 2000 < len(pts) < 20000  # a few thousand points, not ~3e5


def test_ring_gap_is_drawn():
    """The drawn ring-bus gap equals gap_um (space check of the CORE layer at that distance)."""
    gap = 2.3
    c = sin_ring_bus(gap_um=gap)
    core = region(c, "CORE").merged()
    assert core.space_check(round(gap * 1000) + 2).count() > 0
    assert core.space_check(round(gap * 1000) - 1).count() == 0


def test_default_ring_is_near_critical_coupling():
    """DESIGN: critical coupling (|k|^2 = round-trip loss) needs |k|^2 ~ 2.5e-3 at gap ~2.2-2.4."""
    c = sin_ring_bus()
    loss = c.info["loss_db_per_m"] * c.info["length_um"] * 1e-6  # dB per round trip
    round_trip_loss = 1 - 10 ** (-loss / 10)
    assert 0.3 < c.info["power_coupling"] / round_trip_loss < 3
