"""Multi-die masks: the 20 client dies (InP) and the server dies (Si3N4) as on a reticle.

Dies sit on a regular grid separated by dicing lanes (drawn on the process's ``DICING`` layer,
which the DRC treats as a mask-level layer); each die carries a unique die ID passed to the chip
cell as its label, so a diced chip can be traced back to its place on the wafer. The chip
parameters come from the design unchanged: a mask never holds a second copy of a chip parameter.
"""

from __future__ import annotations

import inspect
from typing import Any

import gdsfactory as gf

from qkdchip.params import Range, checked

#: name of the chip-cell argument that receives the die ID
DIE_ID_ARG = "die_label"


def _layer(process: str, name: str) -> tuple[int, int]:
    from qkdchip.pdk.drc import rules_for

    return rules_for(process).layer(name).layer


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
    chip = dict(chip or {})
    takes_id = DIE_ID_ARG in inspect.signature(chip_fn).parameters
    rows = -(-n_dies // columns)
    dies = []
    for i in range(n_dies):
        kw = dict(chip)
        die_id = f"{id_prefix}{i + 1:02d}"
        if takes_id:
            kw[DIE_ID_ARG] = die_id
        dies.append((die_id, chip_fn(**kw)))
    w = dies[0][1].dxsize
    h = dies[0][1].dysize
    pitch_x, pitch_y = w + lane_um, h + lane_um
    die_ids = []
    for i, (die_id, die) in enumerate(dies):
        row, col = divmod(i, columns)
        ref = c.add_ref(die, name=f"die_{die_id}")
        # row 0 at the top, as a reticle is read; every die origin on the grid
        ref.dmove(
            (die.dxmin, die.dymin), (lane_um + col * pitch_x, lane_um + (rows - 1 - row) * pitch_y)
        )
        die_ids.append(die_id)
    frame_w = lane_um + columns * pitch_x
    frame_h = lane_um + rows * pitch_y
    dbu = c.kcl.dbu
    lanes = gf.kdb.Region(gf.kdb.DBox(0, 0, frame_w, frame_h).to_itype(dbu))
    for inst in c.insts:
        lanes -= gf.kdb.Region(inst.bbox())
    c.shapes(c.kcl.layer(*_layer(process, "DICING"))).insert(lanes)
    c.info["die_ids"] = die_ids
    c.info["n_dies"] = n_dies
    c.info["columns"] = columns
    c.info["rows"] = rows
    c.info["die_size_um"] = [round(w, 3), round(h, 3)]
    c.info["lane_um"] = lane_um
    c.info["frame_um"] = [round(frame_w, 3), round(frame_h, 3)]
    return c


@gf.cell
@checked(
    n_dies=Range(1, 100, "", "number of client dies", integer=True),
    columns=Range(1, 20, "", "dies per reticle row", integer=True),
    lane_um=Range(50.0, 1000.0, "um", "dicing-lane width"),
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
    lane_um=Range(50.0, 1000.0, "um", "dicing-lane width"),
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
