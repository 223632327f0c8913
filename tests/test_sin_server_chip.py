"""The Si3N4 server (microcomb) chip: FSR, DRC-clean die, optical netlist, parameters."""

from __future__ import annotations

import math

import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import speed_of_light

from qkdchip.base.params import defaults_of, ranges_of
from qkdchip.circuits.server_chip import optical_netlist, server_chip
from qkdchip.components.sin import (
    sin_edge_coupler,
    sin_pad,
    sin_pump_facet,
    sin_ring_bus,
    sin_ring_heater,
)
from qkdchip.pdk import use_pdk
from qkdchip.pdk.drc import check_component
from qkdchip.pdk.sin import CORE_WIDTH_UM, LAYERS, RULES, TARGET_FSR_GHZ, modes

from layout_helpers import layer_region

CELL_OF = {
    "pump": "sin_pump_facet",
    "wg_in": "sin_straight",
    "ring": "sin_ring_bus",
    "wg_out": "sin_straight",
    "coupler": "sin_edge_coupler",
    "heater": "sin_ring_heater",
    "trace_1": "sin_metal_straight",
    "trace_2": "sin_metal_straight",
    "pad_1": "sin_pad",
    "pad_2": "sin_pad",
}


@pytest.fixture(autouse=True, scope="module")
def sin_pdk():
    with use_pdk("sin") as pdk:
        yield pdk


@pytest.fixture(scope="module")
def chip(sin_pdk):
    return server_chip()


def region(c, name: str) -> kdb.Region:
    return layer_region(c, LAYERS[name]).merged()


def fsr_from_geometry_ghz(c) -> float:
    """FSR = c / (n_g L) from the ring instance's settings and the cross-section's n_g."""
    ring = c.insts["ring"].cell
    s = ring.settings
    length_um = 2 * math.pi * s["radius_um"] + 2 * s["coupling_length_um"]
    drawn_width = ring.info["width_um"]  # the requested width on the 2 nm drawing grid
    assert abs(drawn_width - s["width_um"]) <= 0.001
    return speed_of_light / (modes.group_index(drawn_width) * length_um * 1e-6) / 1e9


def check_chip(c) -> None:
    w, h = c.info["die_size_um"]
    assert (c.dxmin, c.dymin) == (0, 0)
    assert (c.dxmax, c.dymax) == (pytest.approx(w, abs=1e-3), pytest.approx(h, abs=1e-3))
    die = region(c, "DIE")
    assert die.count() == 1 and die.area() == die.bbox().area()
    report = check_component(c, "sin")
    assert report.clean, report.to_dict()

    net = c.get_netlist()
    for name, cell in CELL_OF.items():
        assert net["instances"][name]["component"] == cell
    assert net["ports"] == {"o1": "pump,o1", "o2": "coupler,o1"}
    assert optical_chain(net) == ["pump", "wg_in", "ring", "wg_out", "coupler"]
    # the facets sit on the die edge's trench: light enters and leaves through the side edges
    keep = RULES.die_keepout_um
    assert c.ports["o1"].dx == pytest.approx(c.insts["pump"].cell.info["trench_length_um"])
    assert c.ports["o1"].orientation == 180 and c.ports["o2"].orientation == 0
    assert w - c.ports["o2"].dx >= keep and c.ports["o1"].dx >= keep
    trench = region(c, "DEEP_TRENCH")
    assert trench.count() == 2
    assert sorted((b.left, b.right) for b in (p.bbox() for p in trench.each()))[0][0] == 0
    # heater -> trace -> pad, and the pad metal touches no waveguide
    for i in (1, 2):
        assert f"heater,e{i}" in _links(net)[f"trace_{i},e1"]
        assert f"pad_{i},e1" in _links(net)[f"trace_{i},e2"]
    assert region(c, "PAD_METAL").count() == 2  # two islands: no short between the pads


def _links(net: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for n in net["nets"]:
        out.setdefault(n["p1"], set()).add(n["p2"])
        out.setdefault(n["p2"], set()).add(n["p1"])
    return out


def optical_chain(net: dict) -> list[str]:
    links = {k: v for k, v in _links(net).items() if k.split(",")[1].startswith("o")}
    inst, port = net["ports"]["o1"].split(",")
    seen = [inst]
    while True:
        exit_ = f"{inst},{'o1' if port == 'o2' else 'o2'}"
        if exit_ == net["ports"]["o2"]:
            return seen
        (nxt,) = links[exit_]
        inst, port = nxt.split(",")
        seen.append(inst)


# --- the default chip -------------------------------------------------------------------------


def test_default_chip(chip):
    check_chip(chip)
    assert chip.name.startswith("sin_server_chip")
    assert chip.info["die_size_um"] == [3200.0, 2800.0]


def test_default_fsr_is_the_published_30_03_ghz(chip):
    assert fsr_from_geometry_ghz(chip) == pytest.approx(TARGET_FSR_GHZ, rel=0.005)
    assert chip.info["ring_fsr_ghz"] == pytest.approx(fsr_from_geometry_ghz(chip), rel=1e-6)
    # the derived figures are the ring's, not typed copies
    ring = chip.insts["ring"].cell
    assert (
        chip.info["ring_n_g"]
        == ring.info["n_g"]
        == pytest.approx(modes.group_index(CORE_WIDTH_UM), abs=1e-6)
    )
    assert chip.info["ring_length_um"] == ring.info["length_um"]


def test_chip_regression(chip, data_regression):
    data_regression.check(
        {
            "name": chip.name,
            "settings": chip.settings.model_dump(),
            "info": chip.info.model_dump(),
            "ports": {p.name: [round(p.dx, 3), round(p.dy, 3), p.orientation] for p in chip.ports},
        }
    )


def test_optical_netlist_for_sax(chip):
    net = optical_netlist(chip.get_netlist())
    components = {v["component"] for v in net["instances"].values()}
    assert components == {"sin_pump_facet", "sin_straight", "sin_ring_bus", "sin_edge_coupler"}
    assert net["ports"] == {"o1": "pump,o1", "o2": "coupler,o1"}
    assert len(net["nets"]) == len(net["instances"]) - 1
    ring = net["instances"]["ring"]
    assert ring["settings"]["gap_um"] == defaults_of(server_chip)["ring_gap_um"]


# --- parameters -------------------------------------------------------------------------------


def test_chip_ranges_refer_to_the_component_ranges():
    chip_r = ranges_of(server_chip)
    refers = {
        "ring_radius_um": (sin_ring_bus, "radius_um"),
        "ring_width_um": (sin_ring_bus, "width_um"),
        "ring_gap_um": (sin_ring_bus, "gap_um"),
        "ring_coupling_length_um": (sin_ring_bus, "coupling_length_um"),
        "ring_bus_extension_um": (sin_ring_bus, "bus_extension_um"),
        "heater_width_um": (sin_ring_heater, "width_um"),
        "heater_opening_um": (sin_ring_heater, "opening_um"),
        "heater_lead_length_um": (sin_ring_heater, "lead_length_um"),
        "heater_contact_size_um": (sin_ring_heater, "contact_size_um"),
        "pad_size_um": (sin_pad, "size_um"),
        "pump_air_gap_um": (sin_pump_facet, "air_gap_um"),
        "pump_facet_width_um": (sin_pump_facet, "facet_width_um"),
        "pump_taper_length_um": (sin_pump_facet, "taper_length_um"),
        "coupler_taper_length_um": (sin_edge_coupler, "taper_length_um"),
        "coupler_tip_width_um": (sin_edge_coupler, "tip_width_um"),
        "facet_trench_length_um": (sin_edge_coupler, "trench_length_um"),
        "facet_trench_width_um": (sin_edge_coupler, "trench_width_um"),
    }
    for arg, (fn, name) in refers.items():
        assert chip_r[arg] is ranges_of(fn)[name], arg
    numeric = {k for k, v in defaults_of(server_chip).items() if isinstance(v, float | int)}
    assert numeric == set(chip_r)
    assert numeric - set(refers) == {"die_width_um", "die_height_um", "die_bus_y_um"}
    assert chip_r["ring_gap_um"].min == RULES.layer("CORE").min_space_um


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"ring_gap_um": 0.5}, "ring_gap_um"),
        ({"ring_radius_um": 100.0}, "ring_radius_um"),
        ({"pump_air_gap_um": 50.0}, "pump_air_gap_um"),
        ({"die_width_um": 2000.0}, "die_width_um"),
        ({"die_height_um": 2000.0}, "die_height_um"),
        ({"die_bus_y_um": 100.0, "facet_trench_width_um": 400.0}, "die_bus_y_um"),
        ({"heater_opening_um": 100.0, "pad_size_um": 150.0}, "heater_opening_um"),
        ({"die_label": "X" * 200}, "die_label"),
    ],
)
def test_invalid_parameters_raise_naming_the_parameter(kw, name):
    with pytest.raises(ValueError, match=name):
        server_chip(**kw)


@settings(max_examples=6, deadline=None)
@given(
    radius=st.floats(400.0, 1000.0),
    width=st.floats(*modes.width_range_um()),
    gap=st.floats(ranges_of(sin_ring_bus)["gap_um"].min, 4.0),
    lc=st.floats(0.0, 300.0),
    air_gap=st.floats(0.0, 10.0),
)
def test_chip_any_ring(radius, width, gap, lc, air_gap):
    c = server_chip(
        ring_radius_um=radius,
        ring_width_um=width,
        ring_gap_um=gap,
        ring_coupling_length_um=lc,
        pump_air_gap_um=air_gap,
        pump_facet_width_um=width,
        die_width_um=3200.0 + 2 * lc,
    )
    check_chip(c)
    assert c.info["ring_fsr_ghz"] == pytest.approx(fsr_from_geometry_ghz(c), rel=1e-6)
    assert c.info["pump_air_gap_um"] == air_gap
