"""Helpers shared by the layout tests of both processes."""

from __future__ import annotations

import klayout.db as kdb

from qkdchip.pdk.drc import check_component


def cell_drc(c, process: str) -> list:
    """DRC violations of a stand-alone cell (which has no die outline of its own)."""
    report = check_component(c, process)
    return [
        (v.rule, v.layer, v.count, v.where_um[:3])
        for v in report.violations
        if not (v.rule == "outside_die" and "no die outline" in v.detail)
    ]


def layer_region(c, layer: tuple[int, int]) -> kdb.Region:
    """All shapes of ``c``'s hierarchy on one GDS layer, flat (not merged)."""
    idx = c.kcl.layout.find_layer(*layer)
    return kdb.Region(c.kdb_cell.begin_shapes_rec(idx)) if idx is not None else kdb.Region()


def ports_of(c) -> dict:
    """Port geometry of a component, rounded, for regression files."""
    return {
        p.name: {
            "center": [round(p.dx, 3), round(p.dy, 3)],
            "width": round(p.dwidth, 3),
            "orientation": round(p.orientation, 3),
            "type": p.port_type,
        }
        for p in c.ports
    }
