"""Multi-die masks as written to GDS: dicing lanes exactly between the dies, one chip cell placed
n times, fabricated die IDs, DRC-clean; the die font; the generated layer tables."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from qkdchip.build import layer_map, write_gds
from qkdchip.circuits import die_text
from qkdchip.circuits.masks import (
    inp_mask_clients,
    mask_clients,
    mask_server,
    sin_mask_server,
)
from qkdchip.pdk import use_pdk
from qkdchip.pdk.drc import check_gds, check_layout, rules_for

#: stem -> (process, mask function, chip module, chip function, ID prefix)
MASKS = {
    "mask_clients": ("inp", mask_clients, "qkdchip.circuits.client_chip", "client_chip", "TX"),
    "mask_server": ("sin", mask_server, "qkdchip.circuits.server_chip", "server_chip", "MC"),
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Each mask and its chip built in memory and written to GDS: stem -> (mask, chip, path)."""
    import importlib

    out = tmp_path_factory.mktemp("masks")
    result = {}
    for stem, (process, fn, module, attr, _) in MASKS.items():
        with use_pdk(process):
            mask = fn()
            chip = getattr(importlib.import_module(module), attr)()
            path = write_gds(mask, out / f"{stem}.gds")
        result[stem] = (mask, chip, path)
    return result


def read(path) -> tuple[kdb.Layout, kdb.Cell]:
    layout = kdb.Layout()
    layout.read(str(path))
    return layout, layout.top_cell()


def region(layout: kdb.Layout, cell: kdb.Cell, process: str, name: str) -> kdb.Region:
    idx = layout.find_layer(*rules_for(process).layer(name).layer)
    reg = kdb.Region(cell.begin_shapes_rec(idx)) if idx is not None else kdb.Region()
    reg.merge()
    return reg


@pytest.mark.parametrize("stem", list(MASKS))
def test_dicing_is_exactly_the_lanes_between_and_around_the_dies(written, stem):
    mask, chip, path = written[stem]
    process = MASKS[stem][0]
    layout, top = read(path)
    dbu = layout.dbu
    dicing = region(layout, top, process, "DICING")
    dies = region(layout, top, process, "DIE")
    lane = mask.info["lane_um"]
    n = mask.info["n_dies"]
    w, h = chip.info["die_size_um"]
    fw, fh = mask.info["frame_um"]
    assert dies.count() == n  # separate dies, none touching
    assert (dicing & dies).area() == 0
    assert dies.area() * dbu**2 == pytest.approx(n * w * h, abs=1e-6)
    assert dicing.area() * dbu**2 == pytest.approx(fw * fh - n * w * h, abs=1e-6)
    # lanes + dies tile the frame exactly
    frame = kdb.Region(kdb.DBox(0, 0, fw, fh).to_itype(dbu))
    assert ((dicing + dies) ^ frame).is_empty()
    # every lane is lane_um wide: nothing narrower, and the lanes between dies are not wider
    d = round(lane / dbu)
    assert dicing.width_check(d).is_empty()
    assert not dicing.width_check(d + 1).is_empty()
    assert dies.space_check(d).is_empty() and not dies.space_check(d + 1).is_empty()
    assert mask.info["dicing_area_mm2"] == pytest.approx(dicing.area() * dbu**2 * 1e-6)


@pytest.mark.parametrize("stem", list(MASKS))
def test_every_die_is_the_one_chip_cell_plus_its_own_id_cell(written, stem):
    mask, chip, path = written[stem]
    process, _, _, _, prefix = MASKS[stem]
    layout, top = read(path)
    n = mask.info["n_dies"]
    chip_refs = [i for i in top.each_inst() if i.cell.name == chip.name]
    assert len(chip_refs) == n  # the single-chip build's cell, placed n times
    assert mask.info["chip_cell"] == chip.name
    id_refs = [i for i in top.each_inst() if i.cell.name != chip.name]
    assert len(id_refs) == n and len({i.cell_index for i in id_refs}) == n
    assert mask.info["die_ids"] == [f"{prefix}{k + 1:02d}" for k in range(n)]
    # the chip cell is the only cell with a die outline: no per-die copies of the chip
    with_die = [
        c.name for c in layout.each_cell() if not region(layout, c, process, "DIE").is_empty()
    ]
    assert with_die.count(chip.name) == 1 and len(set(with_die) - {top.name, chip.name}) == 0


@pytest.mark.parametrize("stem", list(MASKS))
def test_die_ids_are_fabricated_legible_and_inside_their_die(written, stem):
    mask, chip, path = written[stem]
    process = MASKS[stem][0]
    marking = rules_for(process).marking_layer
    assert marking in ("RFMETAL", "PAD_METAL")
    layout, top = read(path)
    dbu = layout.dbu
    x0, y0, x1, y1 = chip.info["die_id_box_um"]
    # the chip's die-ID box in every die (mask coordinates): every ID sits in exactly one
    boxes = [
        kdb.DBox(x0, y0, x1, y1).moved(i.dtrans.disp.x, i.dtrans.disp.y)
        for i in top.each_inst()
        if i.cell.name == chip.name
    ]
    id_refs = [i for i in top.each_inst() if i.cell.name != chip.name]
    height = mask.info["die_id_height_um"]
    assert height >= 7 * die_text.pixel_um(process)
    scale = round(height / (7 * die_text.pixel_um(process)))
    for ref, die_id in zip(id_refs, mask.info["die_ids"], strict=True):
        metal = region(layout, ref.cell, process, marking)
        text = region(layout, ref.cell, process, "TEXT")
        assert not metal.is_empty() and (metal ^ text).is_empty()
        # the ID is the font's own drawing of die_id (legible, not a blob or a stub)
        want = die_text.text_region(die_id, 0, 0, scale * die_text.pixel_um(process), dbu)
        assert (metal ^ want).is_empty(), die_id
        placed = ref.dbbox()
        assert sum(b.contains(placed.p1) and b.contains(placed.p2) for b in boxes) == 1, die_id
    # each die's ID differs from every other
    assert len({tuple(region(layout, r.cell, process, marking).each()) for r in id_refs}) == len(
        id_refs
    )


@pytest.mark.parametrize("stem", list(MASKS))
def test_masks_are_drc_clean_and_their_layers_are_mapped(written, stem):
    _, _, path = written[stem]
    process = MASKS[stem][0]
    report = check_gds(path, process)
    assert report.total == 0, report.to_dict()["violations"]
    layers = layer_map(process, path)
    names = {v["name"]: v["fabricated"] for v in layers.values()}
    assert names["DICING"] is False and names["DIE"] is False and names["TEXT"] is False
    assert names[rules_for(process).marking_layer] is True


@pytest.mark.parametrize("stem", list(MASKS))
def test_dicing_drawn_over_a_die_is_caught(written, stem):
    _, chip, path = written[stem]
    process = MASKS[stem][0]
    layout, top = read(path)
    die = next(i for i in top.each_inst() if i.cell.name == chip.name).dbbox()
    idx = layout.layer(*rules_for(process).layer("DICING").layer)
    top.shapes(idx).insert(kdb.DBox(die.left + 100, die.bottom + 100, die.left + 300, die.top))
    report = check_layout(layout, rules_for(process), top)
    hits = [v for v in report.violations if "dicing overlaps die" in v.detail]
    assert len(hits) == 1 and hits[0].layer == "DICING" and hits[0].count == 1
    x, y = hits[0].where_um[0]
    assert die.left + 100 <= x <= die.left + 300 and die.bottom <= y <= die.top


def test_lane_and_die_count_out_of_range_name_the_parameter():
    lane_min = rules_for("inp").layer("DICING").min_width_um
    with use_pdk("inp"), pytest.raises(ValueError, match="lane_um"):
        inp_mask_clients(lane_um=lane_min - 1)
    with use_pdk("sin"), pytest.raises(ValueError, match="n_dies"):
        sin_mask_server(n_dies=0)


def test_incomplete_last_row_is_lane_too():
    with use_pdk("sin"):
        mask = sin_mask_server(n_dies=3, columns=2)
    layout = mask.kcl.layout
    dicing = kdb.Region(
        mask.kdb_cell.begin_shapes_rec(layout.find_layer(*rules_for("sin").layer("DICING").layer))
    )
    fw, fh = mask.info["frame_um"]
    w, h = mask.info["die_size_um"]
    assert dicing.area() * layout.dbu**2 == pytest.approx(fw * fh - 3 * w * h, abs=1e-6)


# --- the die font ---------------------------------------------------------------------------------


def test_glyphs_join_only_edge_to_edge():
    for ch, rows in die_text.GLYPHS.items():
        assert len(rows) == die_text.ROWS and {len(r) for r in rows} == {die_text.COLS}, ch
        px = [[c == "#" for c in r] for r in rows]
        for i in range(die_text.ROWS - 1):
            for j in range(die_text.COLS - 1):
                a, b, c, d = px[i][j], px[i][j + 1], px[i + 1][j], px[i + 1][j + 1]
                assert not (a and d and not b and not c), (ch, i, j)
                assert not (b and c and not a and not d), (ch, i, j)


@pytest.mark.parametrize("process", ["inp", "sin"])
def test_any_text_is_drc_clean_on_the_marking_layer(process):
    rule = rules_for(process).layer(rules_for(process).marking_layer)
    text = "".join(die_text.GLYPHS) + " TX100 MC07 QKD-CHIP_1.0"
    pixel = die_text.pixel_um(process)
    assert pixel >= max(rule.min_width_um, rule.min_space_um)
    reg = die_text.text_region(text, 0, 0, pixel)
    assert reg.width_check(round(rule.min_width_um * 1000)).is_empty()
    assert reg.space_check(round(rule.min_space_um * 1000)).is_empty()
    # KLayout's default font, which the IDs used to be drawn with, is not
    gen = kdb.TextGenerator.default_generator()
    old = gen.text("TX01 MC01", 0.001, 60.0 / gen.dheight())
    old.merge()
    assert not old.space_check(round(rule.min_space_um * 1000)).is_empty()


def test_unknown_characters_raise_naming_the_parameter():
    assert die_text.normalized("tx01", "die_id") == "TX01"
    with pytest.raises(ValueError, match=r"die_id=.*\['/'\]"):
        die_text.normalized("TX/01", "die_id")
    with pytest.raises(ValueError, match="die_id"):
        die_text.normalized("  ", "die_id")


def test_text_that_does_not_fit_its_box_raises():
    with pytest.raises(ValueError, match="allowed 100 x 200 um"):
        die_text.fit_text("TX01", (0.0, 0.0, 100.0, 200.0), "inp")
    x, _, scale = die_text.fit_text("TX01", (0.0, 0.0, 1000.0, 200.0), "inp", max_scale=4)
    assert scale == 3 and x == 0.0  # 3 x 56 um fits 200 um, 4 x 56 does not


# --- the generated layer tables ---------------------------------------------------------------------


def test_docs_layers_md_is_up_to_date():
    from qkdchip.pdk.layer_docs import COMMAND, DOCS_PATH, is_stale

    assert not is_stale(), f"{DOCS_PATH} is stale: run `{COMMAND}`"


def test_a_changed_layer_table_is_seen_as_stale(tmp_path, monkeypatch):
    from qkdchip.pdk import layer_docs
    from qkdchip.pdk.inp import layers

    path = layer_docs.write(tmp_path / "layers.md")
    assert not layer_docs.is_stale(path)
    assert "| 27/0 | RFMETAL |" in path.read_text()
    monkeypatch.setitem(layers.LAYER_DOCS, "RFMETAL", "something else")
    assert layer_docs.is_stale(path)
    assert layer_docs.main(["--check", "--out", str(path)]) == 1
