"""The Si3N4 PDK: layers, views, cross-sections, rules, cells; nothing activated at import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qkdchip.pdk import get_pdk, use_pdk
from qkdchip.pdk.sin import (
    CORE_THICKNESS_UM,
    CORE_WIDTH_UM,
    LAYERS,
    PROPAGATION_LOSS_DB_PER_M,
    RULES,
    XSECTIONS,
    modes,
    write_lyp,
)


def test_import_is_cheap_and_activates_nothing():
    code = (
        "import sys, qkdchip.pdk.sin as s, qkdchip.pdk.sin.modes as m;"
        "assert 'gdsfactory' not in sys.modules, 'gdsfactory imported';"
        "print(m.group_index())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) == pytest.approx(modes.group_index(CORE_WIDTH_UM))


@pytest.mark.slow
def test_pdk_attribute_is_lazy_cached_and_not_activated():
    code = (
        "import sys; from qkdchip.pdk import sin;"
        "assert 'gdsfactory' not in sys.modules, 'gdsfactory imported';"
        "from qkdchip.pdk.sin import PDK; import gdsfactory.pdk as g;"
        "assert PDK is sin.get_pdk() and PDK.name == 'qkdchip_sin';"
        "assert g._ACTIVE_PDK is None, 'activated';"
        "assert 'sax' not in sys.modules, 'models loaded before first use';"
        "print(type(PDK).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "Pdk"


def test_get_pdk_is_cached_and_named():
    pdk = get_pdk("sin")
    assert pdk is get_pdk("sin")
    assert pdk.name == "qkdchip_sin"
    assert set(pdk.cross_sections) == set(XSECTIONS)
    # every registered cell is a process cell (the routing names are aliases of sin_ cells)
    assert pdk.cells and all(fn.__name__.startswith("sin_") for fn in pdk.cells.values())
    assert not pdk.base_pdks
    from qkdchip.components.sin import CELLS
    from qkdchip.sims.models.sin import MODELS

    assert {k: v for k, v in pdk.cells.items() if k in CELLS} == CELLS
    # gdsfactory's routers find their cells: process cells, each with a sax model
    assert pdk.cells["straight"] is CELLS["sin_straight"]
    assert pdk.cells["bend_euler"] is CELLS["sin_bend_euler"]
    assert pdk.cells["taper"] is CELLS["sin_taper"]
    # every Si3N4 cell with optical ports has its sax model registered in the PDK
    assert set(pdk.models) == set(MODELS)
    assert {pdk.cells[n].__name__ for n in ("straight", "bend_euler", "taper")} <= set(MODELS)


def test_layer_numbers_stay_in_the_sin_block():
    for name, (layer, datatype) in LAYERS.items():
        assert 1 <= layer <= 19 or layer in (90, 91), name
        assert datatype == 0
    assert len(set(LAYERS.values())) == len(LAYERS)
    assert LAYERS["CORE"] == (1, 0) and LAYERS["DIE"] == (90, 0) and LAYERS["TEXT"] == (91, 0)


def test_rules_are_consistent_data():
    names = {r.name for r in RULES.layers}
    assert names == set(LAYERS)
    for r in RULES.layers:
        assert r.layer == LAYERS[r.name]
        for other, margin in (*r.enclosed_by, *r.min_separation):
            assert other in names and margin > 0
    assert set(RULES.keepout_exempt) <= names and RULES.die_layer in names
    assert RULES.grid_um == 0.001 and RULES.die_keepout_um > 0
    assert RULES.min_bend_radius_um == {"xs_sin": XSECTIONS["xs_sin"].radius_min_um}
    core = RULES.layer("CORE")
    assert core.min_width_um and core.min_space_um
    assert CORE_THICKNESS_UM == 0.1 and PROPAGATION_LOSS_DB_PER_M == 1.7


def test_cross_section_carries_its_mode_figures():
    with use_pdk("sin") as pdk:
        xs = pdk.get_cross_section("xs_sin")
        assert xs.width == XSECTIONS["xs_sin"].width_um == 2.8
        assert xs.radius == 600.0 and xs.radius_min == 300.0
        assert xs.n_g == pytest.approx(modes.group_index(CORE_WIDTH_UM))
        assert xs.n_eff == pytest.approx(modes.n_eff(1.54978, CORE_WIDTH_UM))
        assert xs.beta2_ps2_per_km == pytest.approx(modes.beta2_ps2_per_km(CORE_WIDTH_UM))
        assert xs.loss_db_per_m == PROPAGATION_LOSS_DB_PER_M
        assert xs.a_eff_um2 == pytest.approx(modes.effective_area_um2(CORE_WIDTH_UM))
        assert xs.kerr_core_fraction == pytest.approx(modes.kerr_core_fraction(CORE_WIDTH_UM))
        # the group index follows the width
        wide = pdk.get_cross_section("xs_sin", width=3.6)
        assert wide.n_g == pytest.approx(modes.group_index(3.6))
        with pytest.raises(ValueError, match="width"):
            pdk.get_cross_section("xs_sin", width=8.0)
        heater = pdk.get_cross_section("xs_sin_heater")
        assert heater.sections[0].port_types == ("electrical", "electrical")


def test_write_lyp(tmp_path):
    path = write_lyp(tmp_path / "qkdchip_sin.lyp")
    text = path.read_text()
    for name, (layer, datatype) in LAYERS.items():
        assert name in text and f"{layer}/{datatype}" in text
    with pytest.raises(ValueError, match="path"):
        write_lyp(tmp_path / "layers.txt")


def test_use_pdk_restores_the_previous_pdk():
    import gdsfactory.pdk as gpdk

    before = gpdk._ACTIVE_PDK
    with use_pdk("sin") as pdk:
        assert gpdk.get_active_pdk() is pdk
    assert gpdk._ACTIVE_PDK is before
