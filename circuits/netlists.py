"""Netlist helpers shared by the chips."""

from __future__ import annotations


def optical_netlist(netlist: dict) -> dict:
    """The optical part of a ``get_netlist()`` dict, ready for ``sax.circuit``.

    Keeps the nets between optical ports (names ``o<n>``) and the instances they (or the cell's
    optical ports) reference; drops the electrical nets (electrode -> wire -> pad, heater ->
    trace -> pad) and the instances that only carry them, which have no optical model.
    """

    def optical(ref: str) -> bool:
        return ref.split(",", 1)[1].startswith("o")

    nets = [n for n in netlist["nets"] if optical(n["p1"]) and optical(n["p2"])]
    ports = {k: v for k, v in netlist["ports"].items() if optical(v)}
    used = {ref.split(",", 1)[0] for n in nets for ref in (n["p1"], n["p2"])}
    used |= {ref.split(",", 1)[0] for ref in ports.values()}
    out = dict(netlist)
    out["nets"] = nets
    out["instances"] = {k: v for k, v in netlist["instances"].items() if k in used}
    out["placements"] = {k: v for k, v in netlist.get("placements", {}).items() if k in used}
    out["ports"] = ports
    return out
