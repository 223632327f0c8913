"""Design-rule check of a GDS file against a process's :class:`~qkdchip.pdk.rules.DesignRules`.

Pure ``klayout.db`` (the pip ``klayout`` package): no KLayout application, no ``.lydrc`` deck.
For every layer of the rules the shapes of the whole hierarchy are merged into one flat
``Region`` and checked:

- ``width``: ``Region.width_check(min_width)`` (Euclidean metrics);
- ``space``: ``Region.space_check(min_space)`` (between polygons and notches of one polygon);
- ``enclosure``: the layer must lie inside its enclosing layer (``inner - outer`` is empty) with
  at least the margin (``outer.enclosing_check(inner, margin)``);
- ``separation``: ``Region.separation_check(other, d)`` between two layers;
- ``overlap``: a layer that must not overlap another (``not_overlapping``, e.g. the dicing lanes
  and the die outlines): any area of ``layer AND other`` is a violation ("dicing overlaps die");
- ``off_grid``: every vertex on the process grid (``Region.grid_check``);
- ``outside_die``: every shape (all layers but the ignored and the mask-level ones) inside the
  die outline;
- ``keepout``: shapes of non-exempt layers at least ``die_keepout_um`` inside the die edge
  (cleave / dicing margin).

Mask-level layers (``DesignRules.mask_layers``: the dicing lanes) lie between the dies: they are
exempt from ``outside_die`` and ``keepout`` and checked by their own rules only.

Bend radius is not checked on polygons: it is a property of the cross-sections and is enforced
where a bend is drawn (every cell range-checks its radius against ``radius_min``).

Each violation is reported with its rule, layer and a location (um), so a user can find it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import klayout.db as kdb

from qkdchip.pdk.rules import DesignRules, LayerRule

#: at most this many markers are listed per rule (the count is always complete)
MAX_MARKERS_PER_RULE = 20


@dataclass(frozen=True)
class Violation:
    rule: str  # width | space | enclosure | separation | overlap | off_grid | outside_die | keepout
    layer: str
    count: int
    limit_um: float
    #: a few marker locations (x_um, y_um) of the violations
    where_um: tuple[tuple[float, float], ...]
    detail: str = ""


@dataclass(frozen=True)
class DrcReport:
    path: str
    process: str
    top_cell: str
    violations: tuple[Violation, ...]

    @property
    def total(self) -> int:
        return sum(v.count for v in self.violations)

    @property
    def clean(self) -> bool:
        return self.total == 0

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "process": self.process,
            "top_cell": self.top_cell,
            "drc_violations": self.total,
            "violations": [asdict(v) for v in self.violations],
        }


def _rules_for(process: str) -> DesignRules:
    from qkdchip.pdk import PROCESSES

    if process not in PROCESSES:
        raise ValueError(f"process={process!r} is unknown: allowed {PROCESSES}")
    import importlib

    module = importlib.import_module(f"qkdchip.pdk.{process}")
    found = [v for v in vars(module).values() if isinstance(v, DesignRules)]
    if len(found) != 1:
        raise RuntimeError(f"qkdchip.pdk.{process} must define exactly one DesignRules object")
    return found[0]


def detect_process(layout: kdb.Layout) -> str:
    """Guess the process of a layout from its layers (the two PDKs use disjoint GDS layers)."""
    present = {
        (info.layer, info.datatype)
        for idx in layout.layer_indexes()
        if not layout.top_cell().bbox_per_layer(idx).empty()
        for info in [layout.get_info(idx)]
    }
    scores = {}
    for process in ("sin", "inp"):
        rules = _rules_for(process)
        scores[process] = len(present & {r.layer for r in rules.layers})
    best = max(scores, key=scores.get)
    if scores[best] == 0:
        raise ValueError("cannot tell the process of this layout: no layer of either PDK present")
    return best


def _region(layout: kdb.Layout, top: kdb.Cell, layer: tuple[int, int]) -> kdb.Region:
    idx = layout.find_layer(layer[0], layer[1])
    if idx is None:
        return kdb.Region()
    region = kdb.Region(top.begin_shapes_rec(idx))
    region.merge()
    return region


def _markers(obj: kdb.EdgePairs | kdb.Region, dbu: float) -> tuple[tuple[float, float], ...]:
    out = []
    for i, item in enumerate(obj.each()):
        if i >= MAX_MARKERS_PER_RULE:
            break
        c = item.bbox().center()
        out.append((round(c.x * dbu, 3), round(c.y * dbu, 3)))
    return tuple(out)


def _count(obj: kdb.EdgePairs | kdb.Region) -> int:
    return obj.count()


def check_layout(
    layout: kdb.Layout,
    rules: DesignRules,
    top: kdb.Cell | None = None,
    path: str = "",
) -> DrcReport:
    """Run every rule of ``rules`` on ``top`` (default: the single top cell of ``layout``)."""
    top = top or layout.top_cell()
    dbu = layout.dbu

    def d(um: float) -> int:
        return round(um / dbu)

    violations: list[Violation] = []

    def add(rule: str, layer: str, limit: float, found, detail: str = "") -> None:
        n = _count(found)
        if n:
            violations.append(Violation(rule, layer, n, limit, _markers(found, dbu), detail))

    regions = {r.name: _region(layout, top, r.layer) for r in rules.layers}

    grid = d(rules.grid_um)
    for rule in rules.layers:
        if rule.name in rules.ignore:
            continue
        reg = regions[rule.name]
        if reg.is_empty():
            continue
        if rule.min_width_um:
            add("width", rule.name, rule.min_width_um, reg.width_check(d(rule.min_width_um)))
        if rule.min_space_um:
            add("space", rule.name, rule.min_space_um, reg.space_check(d(rule.min_space_um)))
        for outer_name, margin in rule.enclosed_by:
            outer = regions[outer_name]
            add("enclosure", rule.name, margin, reg - outer, f"not inside {outer_name}")
            if margin > 0:
                add(
                    "enclosure",
                    rule.name,
                    margin,
                    outer.enclosing_check(reg, d(margin)),
                    f"enclosure by {outer_name} below {margin} um",
                )
        for other_name, dist in rule.min_separation:
            add(
                "separation",
                rule.name,
                dist,
                reg.separation_check(regions[other_name], d(dist)),
                f"to {other_name}",
            )
        for other_name in rule.not_overlapping:
            add(
                "overlap",
                rule.name,
                0.0,
                reg & regions[other_name],
                f"{rule.name.lower()} overlaps {other_name.lower()}",
            )
        if grid > 1:
            add("off_grid", rule.name, rules.grid_um, reg.grid_check(grid, grid))

    die = regions.get(rules.die_layer, kdb.Region())
    if die.is_empty():
        violations.append(
            Violation("outside_die", rules.die_layer, 1, 0.0, (), "no die outline drawn")
        )
    else:
        inner = die.sized(-d(rules.die_keepout_um)) if rules.die_keepout_um else die
        for rule in rules.layers:
            if rule.name == rules.die_layer or rule.name in (*rules.ignore, *rules.mask_layers):
                continue
            reg = regions[rule.name]
            if reg.is_empty():
                continue
            add("outside_die", rule.name, 0.0, reg - die)
            if rules.die_keepout_um and rule.name not in rules.keepout_exempt:
                add("keepout", rule.name, rules.die_keepout_um, (reg & die) - inner)

    return DrcReport(path, rules.process, top.name, tuple(violations))


def check_gds(path: str | Path, process: str | None = None) -> DrcReport:
    """Read a GDS file and check it against its process's rules (auto-detected by default)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"gds file {str(path)!r} does not exist")
    layout = kdb.Layout()
    try:
        layout.read(str(path))
    except RuntimeError as exc:
        raise ValueError(f"gds file {str(path)!r} cannot be read: {exc}") from exc
    tops = layout.top_cells()
    if len(tops) != 1:
        raise ValueError(f"gds file {str(path)!r} has {len(tops)} top cells, expected 1")
    process = process or detect_process(layout)
    return check_layout(layout, _rules_for(process), tops[0], str(path))


def rules_for(process: str) -> DesignRules:
    """The design rules of a process ('sin' or 'inp')."""
    return _rules_for(process)


def check_component(component, process: str) -> DrcReport:
    """Check an in-memory gdsfactory component (no file written)."""
    return check_layout(component.kcl.layout, _rules_for(process), component.kdb_cell, "")


__all__ = [
    "DrcReport",
    "LayerRule",
    "Violation",
    "check_component",
    "check_gds",
    "check_layout",
    "detect_process",
]
