"""Reference geometry of every cell at its defaults and of both chips, and the XOR against it.

The stored GDS files under ``tests/gds_ref/`` are the geometry a change must not move by
accident: ``tests/test_gds_regression.py`` builds each cell afresh, XORs it layer by layer against
its reference with ``klayout.db`` and fails on any difference (ports and ``c.info`` have their own
regression files; this catches a change that moves polygons but keeps both).

After an intended geometry change, refresh the references with one command::

    make gds-ref            # = .venv/bin/python tests/gds_reference.py --update

and commit the changed files under ``tests/gds_ref/`` with the change that explains them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REF_DIR = Path(__file__).resolve().parent / "gds_ref"

#: the chips: reference name -> (process, module, cell function)
CHIPS: dict[str, tuple[str, str, str]] = {
    "server_chip": ("sin", "qkdchip.circuits.server_chip", "server_chip"),
    "client_chip": ("inp", "qkdchip.circuits.client_chip", "client_chip"),
}


@dataclass(frozen=True)
class RefCase:
    """One reference: a cell of a process built at its defaults."""

    process: str
    name: str
    factory: Callable[[], object]

    @property
    def path(self) -> Path:
        return REF_DIR / self.process / f"{self.name}.gds"

    @property
    def id(self) -> str:
        return f"{self.process}/{self.name}"


def _chip(module: str, attr: str) -> Callable[[], object]:
    def factory() -> object:
        import importlib

        return getattr(importlib.import_module(module), attr)()

    return factory


def cases() -> Iterator[RefCase]:
    """Every cell registered in each PDK (at its defaults), then both chips."""
    from qkdchip.pdk import PROCESSES, get_pdk

    for process in PROCESSES:
        cells = get_pdk(process).cells
        seen: set[str] = set()
        for name in sorted(cells):
            fn = cells[name]
            # routing aliases ("straight" -> sin_straight) are the same cell: store it once
            key = getattr(fn, "__name__", name)
            if key in seen:
                continue
            seen.add(key)
            yield RefCase(process, key, fn)
    for name, (process, module, attr) in CHIPS.items():
        yield RefCase(process, name, _chip(module, attr))


def build(case: RefCase):
    """The case's component, built with its process's PDK active."""
    from qkdchip.pdk import use_pdk

    with use_pdk(case.process):
        return case.factory()


def _layers(layout, cell) -> dict[tuple[int, int], object]:
    import klayout.db as kdb

    out = {}
    for idx in layout.layer_indexes():
        info = layout.get_info(idx)
        region = kdb.Region(cell.begin_shapes_rec(idx))
        if not region.is_empty():
            region.merge()
            out[(info.layer, info.datatype)] = region
    return out


def xor(component, reference: Path) -> list[str]:
    """Differences between ``component`` and the reference GDS, one line per layer (empty: same).

    Compares the merged, flattened shapes of every layer (so a change of hierarchy or of the
    order of shapes is not a difference; a moved, added or removed polygon is)."""
    import klayout.db as kdb

    ref = kdb.Layout()
    ref.read(str(reference))
    tops = ref.top_cells()
    if len(tops) != 1:
        return [f"reference {reference.name} has {len(tops)} top cells, expected 1"]
    layout = component.kcl.layout
    if abs(ref.dbu - layout.dbu) > 1e-12:
        return [f"database unit {layout.dbu} um differs from the reference's {ref.dbu} um"]
    new = _layers(layout, component.kdb_cell)
    old = _layers(ref, tops[0])
    diffs = []
    for layer in sorted(set(new) | set(old)):
        a = new.get(layer, kdb.Region())
        b = old.get(layer, kdb.Region())
        d = a ^ b
        if not d.is_empty():
            box = d.bbox()
            dbu = ref.dbu
            diffs.append(
                f"layer {layer[0]}/{layer[1]}: XOR area {d.area() * dbu * dbu:.6g} um2 in "
                f"({box.left * dbu:.3f}, {box.bottom * dbu:.3f})-"
                f"({box.right * dbu:.3f}, {box.top * dbu:.3f}) um"
            )
    return diffs


def update(only: list[str] | None = None) -> list[Path]:
    """Rewrite the reference GDS files (all, or the cases whose id/name is in ``only``)."""
    from qkdchip.build import write_gds

    written = []
    wanted = set(only or [])
    names = set()
    for case in cases():
        names.add(case.path)
        if wanted and case.id not in wanted and case.name not in wanted:
            continue
        case.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = case.path.with_suffix(".tmp.gds")
        write_gds(build(case), tmp)
        tmp.replace(case.path)
        written.append(case.path)
    if not wanted:  # a full refresh also drops references of cells that no longer exist
        for stale in REF_DIR.glob("*/*.gds"):
            if stale not in names:
                stale.unlink()
                print(f"removed {stale.relative_to(REF_DIR.parent)}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the reference files")
    parser.add_argument("names", nargs="*", help="only these cells (process/name or name)")
    args = parser.parse_args(argv)
    if args.update:
        for path in update(args.names):
            print(f"wrote {path.relative_to(REF_DIR.parent)}")
        return 0
    failed = 0
    for case in cases():
        if args.names and case.id not in args.names and case.name not in args.names:
            continue
        if not case.path.is_file():
            print(f"{case.id}: no reference (run with --update)")
            failed += 1
            continue
        diffs = xor(build(case), case.path)
        failed += bool(diffs)
        print(f"{case.id}: {'same' if not diffs else '; '.join(diffs)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
