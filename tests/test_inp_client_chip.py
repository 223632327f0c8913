"""The InP client chip: exact die, DRC-clean, the optical chain and every electrode on a pad."""

from __future__ import annotations

import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdchip.base.params import defaults_of, ranges_of
from qkdchip.circuits.client_chip import (
    DIE_HEIGHT_UM,
    DIE_WIDTH_UM,
    ELEMENT_KEYS,
    client_chip,
    optical_netlist,
)
from qkdchip.components.inp import (
    inp_bend_circular,
    inp_dbr_laser,
    inp_facet_ssc,
    inp_mzm,
    inp_phase_modulator,
    inp_voa,
)
from qkdchip.pdk import use_pdk
from qkdchip.pdk.drc import check_component
from qkdchip.pdk.inp import LAYERS, RULES, XSECTIONS

from layout_helpers import layer_region

CELL_OF = {
    "laser": "inp_dbr_laser",
    "im1": "inp_mzm",
    "im2": "inp_mzm",
    "im3": "inp_mzm",
    "pm": "inp_phase_modulator",
    "pmref": "inp_phase_modulator",
    "voa": "inp_voa",
    "facet_in": "inp_facet_ssc",
    "facet_out": "inp_facet_ssc",
}


@pytest.fixture(autouse=True, scope="module")
def inp_pdk():
    with use_pdk("inp") as pdk:
        yield pdk


@pytest.fixture(scope="module")
def chip(inp_pdk):
    return client_chip()


def region(c, name: str) -> kdb.Region:
    return layer_region(c, LAYERS[name]).merged()


def check_chip(c) -> None:
    """Every invariant of a client chip, whatever its parameters."""
    assert c.name.startswith("inp_client_chip")
    assert all(c.kcl[i].name.startswith("inp_") for i in c.kdb_cell.called_cells())
    assert (c.dxmin, c.dymin, c.dxmax, c.dymax) == (0, 0, DIE_WIDTH_UM, DIE_HEIGHT_UM)
    die = region(c, "DIE")
    assert die.count() == 1 and die.bbox() == kdb.Box(0, 0, 4_600_000, 2_000_000)
    assert die.area() == die.bbox().area()  # a full rectangle

    report = check_component(c, "inp")
    assert report.clean, report.to_dict()

    net = c.get_netlist()
    instances = net["instances"]
    # the six EO elements, the laser and both facets, each the right cell
    assert c.info["n_eo_elements"] == 6 and sorted(c.info["eo_elements"]) == sorted(ELEMENT_KEYS)
    for key, cell in CELL_OF.items():
        assert instances[key]["component"] == cell

    # the optical chain, walked through the netlist from o1 to o2
    assert optical_chain(net) == c.info["optical_order"]
    for name, inst in instances.items():
        if inst["component"] == "inp_bend_circular":
            assert inst["info"]["radius_um"] >= XSECTIONS["inp_deep"].radius_min_um, name

    # every electrode -> a wire -> a pad near the die edge (through the netlist)
    keep = RULES.die_keepout_um
    links = {}
    for n in net["nets"]:
        links.setdefault(n["p1"], set()).add(n["p2"])
        links.setdefault(n["p2"], set()).add(n["p1"])
    electrodes = [
        f"{key},{port}"
        for key in ("laser", *ELEMENT_KEYS)
        for port in pad_ports(instances[key]["component"], c, key)
    ]
    assert len(electrodes) == 5 + 3 * 3 + 2 * 2 + 2
    pads = set()
    for e in electrodes:
        (wire_end,) = links[e]
        wire = wire_end.split(",")[0]
        assert instances[wire]["component"] == "inp_wire"
        other = "e2" if wire_end.endswith("e1") else "e1"
        (pad_port,) = links[f"{wire},{other}"]
        pad = pad_port.split(",")[0]
        assert instances[pad]["component"] in ("inp_pad_dc", "inp_pad_rf")
        ref = c.insts[pad]
        edge_distance = min(ref.dymin, DIE_HEIGHT_UM - ref.dymax)
        assert keep <= edge_distance <= keep + 20, (e, edge_distance)
        pads.add(pad)
    assert len(pads) == len(electrodes) == c.info["n_pads"]

    # plated metal: every island carries exactly one pad opening (no short, no crossing of two
    # routes on the same layer, no floating metal)
    rf = region(c, "RFMETAL")
    openings = region(c, "PADOPEN")
    assert rf.count() == len(electrodes)
    for island in rf.each():
        assert openings.interacting(kdb.Region(island)).count() == 1


def pad_ports(component: str, c, key: str) -> list[str]:
    return [p.name for p in c.insts[key].ports if p.port_type == "electrical"]


def optical_chain(net: dict) -> list[str]:
    """Principal instances met walking the optical nets from port o1 to port o2."""
    links = {}
    for n in net["nets"]:
        if n["p1"].split(",")[1].startswith("o") and n["p2"].split(",")[1].startswith("o"):
            links[n["p1"]] = n["p2"]
            links[n["p2"]] = n["p1"]
    start = net["ports"]["o1"]
    end = net["ports"]["o2"]
    inst, port = start.split(",")
    seen = [inst]
    while True:
        out = f"{inst},{'o1' if port == 'o2' else 'o2'}"
        if out == end:
            return [s for s in seen if s in CELL_OF]
        inst, port = links[out].split(",")
        seen.append(inst)


# --- the default chip -------------------------------------------------------------------------


def test_default_chip(chip):
    check_chip(chip)
    assert chip.info["optical_order"] == [
        "facet_in", "laser", "im1", "im2", "im3", "pm", "pmref", "voa", "facet_out",
    ]  # fmt: skip
    assert chip.info["die_bbox_um"] == [0.0, 0.0, 4600.0, 2000.0]


def test_chip_ports_are_the_two_facets_on_the_west_edge(chip):
    net = chip.get_netlist()
    assert net["ports"] == {"o1": "facet_in,o2", "o2": "facet_out,o2"}
    for name in ("o1", "o2"):
        assert chip.ports[name].dx == 0 and chip.ports[name].orientation == 180
    # the facet waveguides and AR coating touch the cleaved edge
    arc = region(chip, "ARC")
    assert arc.count() == 2 and all(p.bbox().left == 0 for p in arc.each())


def test_chip_regression(chip, data_regression):
    data_regression.check(
        {
            "name": chip.name,
            "settings": chip.settings.model_dump(),
            "info": chip.info.model_dump(),
        }
    )


def test_optical_netlist_for_sax(chip):
    net = optical_netlist(chip.get_netlist())
    assert all(ref.split(",")[1].startswith("o") for n in net["nets"] for ref in (n["p1"], n["p2"]))
    components = {v["component"] for v in net["instances"].values()}
    assert components == {
        "inp_straight", "inp_bend_circular", "inp_facet_ssc", "inp_dbr_laser",
        "inp_mzm", "inp_phase_modulator", "inp_voa",
    }  # fmt: skip
    assert len(net["nets"]) == len(net["instances"]) - 1  # one chain, two open ends (o1, o2)


# --- parameters -------------------------------------------------------------------------------


def test_chip_ranges_refer_to_the_component_ranges():
    chip_r = ranges_of(client_chip)
    refers = {
        "laser_gain_length_um": (inp_dbr_laser, "gain_length_um"),
        "laser_phase_length_um": (inp_dbr_laser, "phase_length_um"),
        "laser_front_dbr_length_um": (inp_dbr_laser, "front_dbr_length_um"),
        "laser_rear_dbr_length_um": (inp_dbr_laser, "rear_dbr_length_um"),
        "im_length_um": (inp_mzm, "length_um"),
        "im_arm_spacing_um": (inp_mzm, "arm_spacing_um"),
        "im_split_ratio": (inp_mzm, "split_ratio"),
        "im_combine_ratio": (inp_mzm, "combine_ratio"),
        "pm_length_um": (inp_phase_modulator, "length_um"),
        "pmref_length_um": (inp_phase_modulator, "length_um"),
        "voa_length_um": (inp_voa, "length_um"),
        "facet_angle_deg": (inp_facet_ssc, "angle_deg"),
        "facet_taper_length_um": (inp_facet_ssc, "taper_length_um"),
        "facet_tip_width_um": (inp_facet_ssc, "tip_width_um"),
        "wg_radius_um": (inp_bend_circular, "radius_um"),
    }
    for arg, (fn, name) in refers.items():
        assert chip_r[arg] is ranges_of(fn)[name], arg  # the same object, not a copy
    defaults = defaults_of(client_chip)
    assert defaults["im_length_um"] == defaults_of(inp_mzm)["length_um"]
    assert defaults["wg_radius_um"] == XSECTIONS["inp_deep"].radius_um


@pytest.mark.parametrize("arg", sorted(ranges_of(client_chip)))
def test_out_of_range_chip_parameter_names_it(arg):
    rng = ranges_of(client_chip)[arg]
    for bad in (rng.min - 1.0, rng.max + 1.0):
        with pytest.raises(ValueError, match=arg):
            client_chip(**{arg: bad})


def test_chain_too_long_for_the_die_raises_naming_the_lengths():
    with pytest.raises(ValueError, match=r"does not fold.*im_length_um"):
        client_chip(im_length_um=2500.0)
    with pytest.raises(ValueError, match="wg_radius_um"):
        client_chip(wg_radius_um=600.0)
    with pytest.raises(ValueError, match="order"):
        client_chip(order=("im1", "im2", "im3", "pm", "pm", "voa"))
    with pytest.raises(ValueError, match="die_label"):
        client_chip(die_label="  ")


def test_die_label_changes_the_label_only(chip):
    other = client_chip(die_label="TX07")
    assert other.name != chip.name
    assert other.dbbox() == chip.dbbox()
    assert not (region(other, "TEXT") ^ region(chip, "TEXT")).is_empty()
    assert (region(other, "WG_DEEP") ^ region(chip, "WG_DEEP")).is_empty()


def test_largest_drawn_design_fits():
    """The corner of the box the property test below draws from (every length at its top)."""
    check_chip(client_chip(**{k: hi for k, (_, hi) in BOX.items()}))


#: A box of parameters around the defaults; every point fits the die (the layout is monotone in
#: each length, and the upper corner is built above).
BOX = {
    "laser_gain_length_um": (200.0, 600.0),
    "laser_phase_length_um": (50.0, 150.0),
    "laser_front_dbr_length_um": (20.0, 60.0),
    "laser_rear_dbr_length_um": (20.0, 80.0),
    "im_length_um": (100.0, 800.0),
    "im_arm_spacing_um": (40.0, 50.0),
    "pm_length_um": (100.0, 900.0),
    "pmref_length_um": (100.0, 900.0),
    "voa_length_um": (100.0, 400.0),
    "facet_angle_deg": (5.0, 9.0),
    "facet_taper_length_um": (50.0, 100.0),
    "facet_tip_width_um": (1.1, 2.0),
    "wg_radius_um": (100.0, 150.0),
    "die_pad_pitch_um": (120.0, 160.0),
}


@settings(max_examples=8, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {k: st.floats(lo, hi).map(lambda v: round(v, 1)) for k, (lo, hi) in BOX.items()}
    ),
    k1=st.floats(0.3, 0.7),
    order=st.permutations(ELEMENT_KEYS),
)
def test_drawn_chips(values, k1, order):
    c = client_chip(**values, im_split_ratio=round(k1, 3), order=tuple(order))
    check_chip(c)
    assert c.info["eo_elements"] == list(order)
    assert c.info["optical_order"][2:-1] == list(order)
