"""The InP PDK: layers, cross-sections, rules and process constants are consistent data."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from qkdchip.pdk import inp
from qkdchip.pdk.inp import LAYERS, PROCESS, RULES, XSECTIONS
from qkdchip.pdk.inp.process import InPProcess


@pytest.mark.slow
def test_import_activates_nothing_and_does_not_load_gdsfactory():
    code = (
        "import sys; import qkdchip.pdk.inp as p; "
        "assert 'gdsfactory' not in sys.modules, 'gdsfactory imported'; "
        "p.PROCESS.eo_vpi_l_V_mm; p.RULES.layer('WG_DEEP'); "
        "import gdsfactory.pdk as g; p.get_pdk(); assert g._ACTIVE_PDK is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_pdk_attribute_is_lazy_cached_and_not_activated():
    code = (
        "import sys; from qkdchip.pdk import inp;"
        "assert 'gdsfactory' not in sys.modules, 'gdsfactory imported';"
        "from qkdchip.pdk.inp import PDK; import gdsfactory.pdk as g;"
        "assert PDK is inp.get_pdk() and PDK.name == 'qkdchip_inp';"
        "assert g._ACTIVE_PDK is None, 'activated';"
        "print(type(PDK).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "Pdk"


def test_pdk_object():
    pdk = inp.get_pdk()
    assert pdk.name == "qkdchip_inp"
    assert pdk is inp.get_pdk()  # cached
    assert set(pdk.cross_sections) == set(XSECTIONS)
    # every registered cell is a process cell (the routing names are aliases of inp_ cells)
    assert all(fn.__name__.startswith("inp_") for fn in pdk.cells.values())
    assert not pdk.base_pdks
    from qkdchip.components.inp import CELLS
    from qkdchip.sims.models.inp import MODELS

    assert pdk.cells["straight"] is CELLS["inp_straight"]
    assert pdk.cells["bend_euler"] is CELLS["inp_bend_euler"]
    assert pdk.cells["bend_circular"] is CELLS["inp_bend_circular"]
    assert set(pdk.layer_transitions.values()) == {"inp_taper_deep_shallow"}
    # the routing cells and the transition all have their sax model in the PDK
    routed = {pdk.cells[n].__name__ for n in ("straight", "bend_euler", "bend_circular")}
    assert routed | {"inp_taper_deep_shallow"} <= set(MODELS) == set(pdk.models)


def test_layer_numbers_are_in_the_inp_window():
    numbers = [layer for layer, _ in LAYERS.values()]
    assert len(set(LAYERS.values())) == len(LAYERS)
    assert all(20 <= n <= 49 or n in (95, 96) for n in numbers)
    assert LAYERS["DIE"] == (95, 0) and LAYERS["TEXT"] == (96, 0)
    for name, (layer, datatype) in LAYERS.items():
        assert getattr(inp.LAYER, name).layer == layer
        assert getattr(inp.LAYER, name).datatype == datatype


def test_every_layer_has_a_rule_and_the_rules_reference_known_layers():
    assert {r.name for r in RULES.layers} == set(LAYERS)
    for rule in RULES.layers:
        assert rule.layer == LAYERS[rule.name]
        for other, margin in (*rule.enclosed_by, *rule.min_separation):
            assert other in LAYERS and margin > 0
    assert RULES.die_layer == "DIE" and RULES.grid_um == 0.001
    assert set(RULES.keepout_exempt) <= set(LAYERS)


@pytest.mark.parametrize("name", sorted(XSECTIONS))
def test_cross_sections_carry_radius_and_rules_agree(name):
    spec = XSECTIONS[name]
    xs = inp.CROSS_SECTIONS[name]()
    assert xs.width == spec.width_um
    assert xs.radius == spec.radius_um and xs.radius_min == spec.radius_min_um
    if spec.radius_min_um:
        assert RULES.min_bend_radius_um[name] == spec.radius_min_um
        assert spec.radius_um >= spec.radius_min_um
        assert spec.width_um >= RULES.layer(spec.layer).min_width_um


def test_generic_inp_geometry():
    deep, shallow = XSECTIONS["inp_deep"], XSECTIONS["inp_shallow"]
    assert 1.5 <= deep.width_um <= 2.0 and deep.radius_min_um >= 75
    assert shallow.radius_min_um > deep.radius_min_um  # weak lateral confinement


def test_lyp_lists_every_layer(tmp_path):
    path = inp.write_lyp(tmp_path / "qkdchip_inp.lyp")
    sources = {e.text for e in ET.parse(path).getroot().iter("source")}
    assert sources == {f"{layer}/{datatype}@1" for layer, datatype in LAYERS.values()}
    with pytest.raises(ValueError, match="path="):
        inp.write_lyp(tmp_path / "x.txt")


def test_process_constants_are_inside_their_generic_ranges():
    rows = PROCESS.describe()
    assert len(rows) >= 20
    for row in rows:
        assert row["min"] <= row["value"] <= row["max"], row
        assert row["doc"]
    # generic ranges (docs/assumptions.md, section 6)
    assert 2 <= PROCESS.deep_loss_dB_per_cm <= 4
    assert 4 <= PROCESS.eo_vpi_l_V_mm <= 15
    assert 0.3 <= PROCESS.mmi_excess_loss_dB <= 1
    assert 2 <= PROCESS.ssc_loss_dB <= 5
    assert 5 <= PROCESS.laser_power_mW <= 20 and 1 <= PROCESS.laser_linewidth_MHz <= 10
    assert 3 <= PROCESS.henry_factor <= 6


def test_process_variant_is_checked():
    assert dataclasses.replace(PROCESS, deep_loss_dB_per_cm=2.5).deep_loss_dB_per_cm == 2.5
    with pytest.raises(ValueError, match="eo_vpi_l_V_mm"):
        dataclasses.replace(PROCESS, eo_vpi_l_V_mm=30.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROCESS.henry_factor = 5.0  # type: ignore[misc]


def test_dbr_closed_forms():
    p = InPProcess(dbr_kappa_per_cm=100.0)
    # kappa L = 1 -> R = tanh(1)^2, L_pen = tanh(1) / (2 kappa)
    assert p.dbr_reflectivity(100.0) == pytest.approx(math.tanh(1.0) ** 2, rel=1e-12)
    assert p.dbr_penetration_um(100.0) == pytest.approx(math.tanh(1.0) / 0.02, rel=1e-12)
    # long grating: R -> 1, L_pen -> 1 / (2 kappa) = 50 um
    assert p.dbr_reflectivity(1000.0) > 0.99999
    assert p.dbr_penetration_um(1000.0) == pytest.approx(50.0, rel=1e-6)
    assert p.bragg_period_nm() == pytest.approx(1550.0 / (2 * p.shallow_neff))


def test_mmi_beat_length_matches_soldano_pennings():
    p = InPProcess()
    wl = 1.55
    w_e = 7.0 + (wl / math.pi) / math.sqrt(p.slab_neff**2 - p.cladding_index**2)
    assert p.mmi_beat_length_um(7.0) == pytest.approx(4 * p.slab_neff * w_e**2 / (3 * wl))
    # scales ~ W^2
    assert p.mmi_beat_length_um(14.0) / p.mmi_beat_length_um(7.0) == pytest.approx(4, rel=0.06)
