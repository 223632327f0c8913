"""Multi-die masks: the 20 client dies (InP) and the server dies (Si3N4) as on a reticle.

Every die of a mask is a reference to ONE chip cell (built from the design's parameters, unchanged:
a mask never holds a second copy of a chip parameter) plus a small cell of its own holding the
die ID (TX01, TX02, ... / MC01, ...). The ID is drawn on the process's fabricated marking layer
(``DesignRules.marking_layer``: InP RFMETAL, Si3N4 PAD_METAL) and copied on TEXT, inside the box
the chip reserves for it (``chip.info["die_id_box_um"]``), so a diced chip can be traced back to
its place on the wafer.

Dies sit on a regular grid, ``lane_um`` apart and ``lane_um`` from the frame. The dicing lanes
(``DICING`` layer, a mask-level layer that is not fabricated) are exactly the frame minus the die
outlines: area(DICING AND DIE) = 0, area(DICING) = frame - n_dies x die (empty grid places of an
incomplete last row are lane too). The DRC checks both (min lane width, "dicing overlaps die").
"""

from __future__ import annotations

from typing import Any

import gdsfactory as gf
import klayout.db as kdb

from qkdchip.base.params import Range, checked
from qkdchip.circuits import die_text
from qkdchip.pdk.inp.design_rules import RULES as _INP_RULES
from qkdchip.pdk.sin.design_rules import RULES as _SIN_RULES

#: key of the chip cell's info that holds the box (um, chip coordinates) reserved for the die ID
DIE_ID_BOX_KEY = "die_id_box_um"
#: largest magnification of the die-ID font: the IDs are drawn as large as the chip's box allows,
#: up to this many times the marking layer's min width / space per font pixel
DIE_ID_MAX_SCALE = 4


def _lane_range(rules) -> Range:
    return Range(
        rules.layer("DICING").min_width_um,
        1000.0,
        "um",
        "dicing-lane width between and around the dies",
    )


def _layer(process: str, name: str) -> tuple[int, int]:
    from qkdchip.pdk.drc import rules_for

    return rules_for(process).layer(name).layer


@gf.cell
def mask_die_id(process: str, die_id: str, scale: int = 1) -> gf.Component:
    """The die ID ``die_id`` on the process's marking layer and TEXT, lower-left corner at (0, 0),
    font pixels ``scale`` times the marking layer's min width / space."""
    text = die_text.normalized(die_id, "die_id")
    if not 1 <= scale <= DIE_ID_MAX_SCALE:
        raise ValueError(f"scale={scale} is out of range: allowed 1 to {DIE_ID_MAX_SCALE}")
    c = gf.Component()
    die_text.add_text(c, process, text, 0.0, 0.0, scale)
    c.info["die_id"] = text
    return c


def die_id_box(chip: gf.Component) -> tuple[float, float, float, float]:
    """The box (um, chip coordinates) the chip cell reserves for a die ID."""
    box = chip.info.model_dump().get(DIE_ID_BOX_KEY)
    if box is None:
        raise ValueError(
            f"chip cell {chip.name} has no info[{DIE_ID_BOX_KEY!r}]: no room for a die ID"
        )
    x0, y0, x1, y1 = (float(v) for v in box)
    return x0, y0, x1, y1


def die_outline(chip: gf.Component, process: str) -> kdb.Region:
    """The chip's die outline (DIE layer, merged, dbu, chip coordinates)."""
    idx = chip.kcl.layout.find_layer(*_layer(process, "DIE"))
    region = kdb.Region(chip.kdb_cell.begin_shapes_rec(idx)) if idx is not None else kdb.Region()
    region.merge()
    if region.is_empty():
        raise ValueError(f"chip cell {chip.name} has no die outline on DIE")
    return region


def _die_array(
    process: str,
    chip_fn: Any,
    chip: dict[str, Any] | None,
    n_dies: int,
    columns: int,
    lane_um: float,
    id_prefix: str,
) -> gf.Component:
    c = gf.Component()
    die = chip_fn(**dict(chip or {}))
    rows = -(-n_dies // columns)
    dbu = c.kcl.dbu
    outline = die_outline(die, process)
    ob = outline.bbox()
    w, h = ob.width() * dbu, ob.height() * dbu
    pitch_x, pitch_y = w + lane_um, h + lane_um
    box = die_id_box(die)
    die_ids = [f"{id_prefix}{i + 1:02d}" for i in range(n_dies)]
    # every ID must fit the chip's box: the longest decides (ValueError names n_dies)
    longest = max(die_ids, key=len)
    try:
        id_x, id_y, scale = die_text.fit_text(longest, box, process, DIE_ID_MAX_SCALE)
    except ValueError as exc:
        raise ValueError(
            f"n_dies={n_dies}: die ID {longest!r} does not fit the chip's die-ID box: {exc}"
        ) from exc
    dies = kdb.Region()
    for i, die_id in enumerate(die_ids):
        row, col = divmod(i, columns)
        # row 0 at the top, as a reticle is read; the die outline's lower-left corner on the grid
        x = lane_um + col * pitch_x - ob.left * dbu
        y = lane_um + (rows - 1 - row) * pitch_y - ob.bottom * dbu
        ref = c.add_ref(die, name=f"die_{die_id}")
        ref.dmove((x, y))
        label = c.add_ref(mask_die_id(process, die_id, scale), name=f"id_{die_id}")
        label.dmove((x + id_x, y + id_y))
        dies += outline.moved(round(x / dbu), round(y / dbu))
    frame_w = lane_um + columns * pitch_x
    frame_h = lane_um + rows * pitch_y
    lanes = kdb.Region(kdb.DBox(0, 0, frame_w, frame_h).to_itype(dbu)) - dies
    c.shapes(c.kcl.layer(*_layer(process, "DICING"))).insert(lanes)
    c.info["chip_cell"] = die.name
    c.info["die_ids"] = die_ids
    c.info["n_dies"] = n_dies
    c.info["columns"] = columns
    c.info["rows"] = rows
    c.info["die_size_um"] = [round(w, 3), round(h, 3)]
    c.info["lane_um"] = lane_um
    c.info["frame_um"] = [round(frame_w, 3), round(frame_h, 3)]
    c.info["die_id_height_um"] = die_text.text_size_um(longest, scale * die_text.pixel_um(process))[
        1
    ]
    c.info["dicing_area_mm2"] = round(lanes.area() * dbu * dbu * 1e-6, 6)
    return c


@gf.cell
@checked(
    n_dies=Range(1, 100, "", "number of client dies", integer=True),
    columns=Range(1, 20, "", "dies per reticle row", integer=True),
    lane_um=_lane_range(_INP_RULES),
)
def inp_mask_clients(
    n_dies: int = 20,
    columns: int = 4,
    lane_um: float = 200.0,
    chip: dict[str, Any] | None = None,
) -> gf.Component:
    """The client (transmitter) dies on an InP reticle: ``n_dies`` dies, IDs TX01, TX02, ...

    Args:
        n_dies: number of dies (20 in the reference network).
        columns: dies per row.
        lane_um: dicing-lane width between and around the dies (um).
        chip: overrides of ``client_chip`` parameters (the design's ``client.*``).
    """
    from qkdchip.circuits.client_chip import client_chip

    return _die_array("inp", client_chip, chip, n_dies, columns, lane_um, "TX")


@gf.cell
@checked(
    n_dies=Range(1, 100, "", "number of server dies", integer=True),
    columns=Range(1, 20, "", "dies per reticle row", integer=True),
    lane_um=_lane_range(_SIN_RULES),
)
def sin_mask_server(
    n_dies: int = 4,
    columns: int = 2,
    lane_um: float = 200.0,
    chip: dict[str, Any] | None = None,
) -> gf.Component:
    """Server (microcomb) dies on a Si3N4 reticle: ``n_dies`` dies, IDs MC01, MC02, ...

    Args:
        n_dies: number of dies (one is used in the network; the rest are spares).
        columns: dies per row.
        lane_um: dicing-lane width between and around the dies (um).
        chip: overrides of ``server_chip`` parameters (the design's ``server.*``).
    """
    from qkdchip.circuits.server_chip import server_chip

    return _die_array("sin", server_chip, chip, n_dies, columns, lane_um, "MC")


def mask_clients(**chip: Any) -> gf.Component:
    """The default client mask for a set of ``client_chip`` overrides."""
    return inp_mask_clients(chip=chip or None)


def mask_server(**chip: Any) -> gf.Component:
    """The default server mask for a set of ``server_chip`` overrides."""
    return sin_mask_server(chip=chip or None)
