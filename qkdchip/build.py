"""Build the masks of a design: GDS, layer properties, previews, DRC, manifest.

``build(out_dir, design)`` writes, into ``out_dir``:

- ``server_chip.gds``, ``mask_server.gds`` (Si3N4 process) and ``client_chip.gds``,
  ``mask_clients.gds`` (InP process);
- ``qkdchip_sin.lyp``, ``qkdchip_inp.lyp``: KLayout layer properties of each process;
- ``<name>.png``: previews rendered from the written GDS by KLayout's own renderer;
- ``<chip>.ports.csv``: the port list of each chip (name, centre, orientation, width, type, layer);
- ``manifest.json``: ``{"files": [{"path", "process", "top_cell", "bbox_um", "sha256",
  "layers", "n_ports", "ports_csv", "drc_violations", "preview"}]}``; ``layers`` maps every GDS
  layer drawn in the file, ``"layer/datatype"``, to ``{"name", "fabricated"}`` (the process's
  layer table, ``qkdchip.pdk.<process>.layers``).

The GDS files carry gdsfactory's port metadata (``gf.import_gds`` gives the ports back, with the
process's PDK active). Reproducible: GDS files are written without timestamps and with their
layers and metadata in sorted order, so the same design gives the same bytes in any process.
Atomic: ``out_dir`` is checked before any work (``qkdchip.base.outputs.check_folder``); everything is
written into a stage folder beside it (``.<out_dir>.tmp-<pid>-*``) and published in one rename
only after every step succeeded, so ``out_dir`` then holds exactly the new output set (files of
an older build that this one does not write, e.g. previews after ``previews=False``, are gone;
entries a build never writes, e.g. ``.gitkeep``, are kept). A failed or interrupted build
(SIGINT/SIGTERM under the CLI) leaves ``out_dir`` as it was and no temporary folder behind.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qkdchip.base import outputs
from qkdchip.design import Design

#: file name stem -> (process, module, cell function, design prefix of its parameters)
MASKS: dict[str, tuple[str, str, str, str]] = {
    "server_chip": ("sin", "qkdchip.circuits.server_chip", "server_chip", "server"),
    "mask_server": ("sin", "qkdchip.circuits.masks", "mask_server", "server"),
    "client_chip": ("inp", "qkdchip.circuits.client_chip", "client_chip", "client"),
    "mask_clients": ("inp", "qkdchip.circuits.masks", "mask_clients", "client"),
}

PREVIEW_WIDTH_PX = 1600


@dataclass
class BuildResult:
    out_dir: Path
    files: list[dict[str, Any]]
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def drc_violations(self) -> int:
        return sum(f.get("drc_violations", 0) for f in self.files)

    def manifest(self) -> dict[str, Any]:
        return {"files": self.files}


def save_options():
    """GDS save options without timestamps (byte-identical output for identical designs)."""
    import klayout.db as kdb

    opts = kdb.SaveLayoutOptions()
    opts.format = "GDS2"
    opts.gds2_write_timestamps = False
    opts.gds2_libname = "QKDCHIP"
    return opts


#: kfactory's meta-data format written with the cells (``kfactory:ports:N`` etc., read by
#: ``gf.import_gds``)
KF_META_FORMAT = "v3"


def _tree(component) -> list:
    """``component`` and every cell it calls (kfactory cells), top first, then by name."""
    kcl = component.kcl
    called = sorted((kcl[ci] for ci in component.called_cells()), key=lambda k: k.name)
    return [component, *called]


def _natural_key(name: str) -> tuple:
    """Sort key that orders ``kfactory:ports:2`` before ``kfactory:ports:10`` (port order kept)."""
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _copy_meta(dst: Any, component) -> None:
    """Carry kfactory's meta info (ports, pins, settings, info, function name) of every cell of
    ``component``'s tree into the fresh layout ``dst``, plus the layout-level cross-sections and
    layer enclosures the ports refer to, so that ``gf.import_gds`` gets the ports back.

    Everything is inserted in sorted order: KLayout writes meta info in insertion order, so the
    bytes do not depend on what the process built before."""
    import klayout.db as kdb

    used_xs: dict[str, Any] = {}
    for kc in _tree(component):
        kc.set_meta_data()  # kfactory's own serialisation of the cell's ports/settings/info
        cell = dst.cell(kc.name)
        if cell is None:
            raise RuntimeError(f"write_gds: cell {kc.name!r} was not copied")
        metas = sorted(kc.kdb_cell.each_meta_info(), key=lambda m: _natural_key(m.name))
        for m in metas:
            if m.name.startswith("kfactory:"):
                cell.add_meta_info(kdb.LayoutMetaInfo(m.name, m.value, m.description, True))
        for port in kc.ports:
            name = port.cross_section.name
            # the layout's own (database-unit) cross-section, as kfactory stores it
            used_xs[name] = component.kcl.cross_sections.cross_sections[name]
    dst.add_meta_info(
        kdb.LayoutMetaInfo("kfactory:settings:meta_format", KF_META_FORMAT, None, True)
    )
    enclosures = {xs.enclosure.name: xs.enclosure for xs in used_xs.values()}
    for name in sorted(enclosures):
        dst.add_meta_info(
            kdb.LayoutMetaInfo(
                f"kfactory:layer_enclosure:{name}", enclosures[name].model_dump(), None, True
            )
        )
    for name in sorted(used_xs):
        xs = used_xs[name]
        dst.add_meta_info(
            kdb.LayoutMetaInfo(
                f"kfactory:cross_section:{name}",
                {"width": int(xs.width), "layer_enclosure": xs.enclosure.name},
                None,
                True,
            )
        )


def _copy_cells(src: Any, top: Any, dst: Any, layer_of: dict[int, int]) -> None:
    """Copy ``top`` and the cells it calls from layout ``src`` into ``dst`` in a canonical order.

    KLayout writes cells in the order of their indices, and ``Cell.copy_tree`` creates them in the
    source's order, i.e. in the order the process happened to build them (a cell built earlier
    for another purpose comes first). Here the top cell is created first and every other cell in
    name order; shapes go layer by layer, instances in their own cell's order."""
    called = sorted(top.called_cells(), key=lambda ci: src.cell(ci).name)
    index = {top.cell_index(): dst.create_cell(top.name).cell_index()}
    for ci in called:
        index[ci] = dst.create_cell(src.cell(ci).name).cell_index()
    for ci, di in index.items():
        scell, dcell = src.cell(ci), dst.cell(di)
        for li in src.layer_indexes():
            shapes = scell.shapes(li)
            if not shapes.is_empty():
                dcell.shapes(layer_of[li]).insert(shapes)
        for inst in scell.each_inst():
            arr = inst.cell_inst.dup()
            arr.cell_index = index[arr.cell_index]
            if inst.prop_id:
                dcell.insert(arr, dst.properties_id(src.properties(inst.prop_id)))
            else:
                dcell.insert(arr)


def write_gds(component, path: Path, meta: bool = True) -> Path:
    """Write ``component`` to ``path`` reproducibly: the bytes depend on the design only.

    KLayout writes shapes layer by layer in the order the process registered its layers, which
    depends on whatever was built before, and cells in the order they were created. The cell tree
    is therefore copied into a fresh layout whose layers are created in (layer, datatype) order and
    whose cells are created top first, then by name (:func:`_copy_cells`), and written without
    timestamps under a fixed library name. With ``meta`` (default), gdsfactory's port / settings / info metadata of
    every cell (kfactory's ``kfactory:ports:N`` ... context info) and the cross-sections the
    ports use are written too, in sorted order, so ``gf.import_gds(path)`` (with the process's
    PDK active) returns the cell's ports. Atomic: written to a temporary file beside ``path``,
    then renamed (``qkdchip.base.outputs.write_file``).
    """
    import klayout.db as kdb

    src = component.kcl.layout
    dst = kdb.Layout()
    dst.dbu = src.dbu
    infos = sorted(
        (src.get_info(i) for i in src.layer_indexes()),
        key=lambda info: (info.layer, info.datatype, info.name),
    )
    for info in infos:
        dst.layer(info)
    layer_of = {i: dst.layer(src.get_info(i)) for i in src.layer_indexes()}  # finds, in order
    _copy_cells(src, component.kdb_cell, dst, layer_of)
    if meta:
        _copy_meta(dst, component)
    opts = save_options()
    opts.write_context_info = meta
    return outputs.write_file(path, lambda tmp: dst.write(str(tmp), opts))


def layer_map(process: str, gds: Path) -> dict[str, dict[str, Any]]:
    """The layers drawn in ``gds``: ``"layer/datatype" -> {"name", "fabricated"}`` from the
    process's layer table (``qkdchip.pdk.<process>.layers``). ValueError for a layer the process
    does not define."""
    import importlib

    import klayout.db as kdb

    table = importlib.import_module(f"qkdchip.pdk.{process}.layers")
    by_number = {gds_layer: name for name, gds_layer in table.LAYERS.items()}
    layout = kdb.Layout()
    layout.read(str(gds))
    top = layout.top_cell()
    out: dict[str, dict[str, Any]] = {}
    for idx in layout.layer_indexes():
        if top.bbox_per_layer(idx).empty():
            continue
        info = layout.get_info(idx)
        key = (info.layer, info.datatype)
        if key not in by_number:
            raise ValueError(
                f"{gds.name}: layer {info.layer}/{info.datatype} is not a layer of process "
                f"{process!r}: allowed {sorted(by_number)}"
            )
        name = by_number[key]
        out[f"{key[0]}/{key[1]}"] = {"name": name, "fabricated": table.fabricated(name)}
    return dict(sorted(out.items(), key=lambda kv: tuple(int(v) for v in kv[0].split("/"))))


#: columns of a chip's port list (``<stem>.ports.csv``)
PORT_COLUMNS = (
    "name",
    "x_um",
    "y_um",
    "orientation_deg",
    "width_um",
    "port_type",
    "layer",
    "layer_name",
)


def port_rows(component) -> list[dict[str, str]]:
    """One row per port of ``component`` (um, degrees, 1 nm / 0.001 deg resolution)."""
    layout = component.kcl.layout
    rows = []
    for p in component.ports:
        info = layout.get_info(p.layer)
        rows.append(
            {
                "name": p.name,
                "x_um": f"{p.dx:.3f}",
                "y_um": f"{p.dy:.3f}",
                "orientation_deg": f"{p.orientation % 360:.3f}",
                "width_um": f"{p.dwidth:.3f}",
                "port_type": p.port_type,
                "layer": f"{info.layer}/{info.datatype}",
                "layer_name": info.name,
            }
        )
    return rows


def write_ports_csv(component, path: Path) -> Path:
    """The port list of ``component`` as CSV (columns :data:`PORT_COLUMNS`), written atomically."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=PORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(port_rows(component))
    return outputs.write_file(path, lambda tmp: tmp.write_text(buf.getvalue()))


def render_png(gds: Path, lyp: Path, png: Path, width_px: int = PREVIEW_WIDTH_PX) -> Path:
    """Render a GDS file to PNG with KLayout's layout view and the process's layer properties.

    The image height follows the layout's aspect ratio (plus a 3 % margin on each side).
    """
    import klayout.lay as lay

    view = lay.LayoutView()
    view.set_config("background-color", "#ffffff")
    view.set_config("grid-visible", "false")
    view.set_config("text-visible", "true")
    view.load_layout(str(gds), True)
    view.load_layer_props(str(lyp))
    view.max_hier()
    box = view.active_cellview().cell.dbbox()
    box = box.enlarged(0.03 * max(box.width(), box.height()))
    height_px = max(64, round(width_px * box.height() / box.width()))
    view.save_image_with_options(str(png), width_px, height_px, 0, 2, 0, box, False)
    return png


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bbox_um(component) -> list[float]:
    b = component.dbbox()
    return [round(b.left, 4), round(b.bottom, 4), round(b.right, 4), round(b.top, 4)]


def _cell_function(module: str, attr: str) -> Callable[..., Any]:
    import importlib

    return getattr(importlib.import_module(module), attr)


#: the files a build writes (besides the manifest's own list): every other entry of an existing
#: output folder is kept
OUTPUT_FILES = frozenset(
    {"manifest.json", *(f"qkdchip_{p}.lyp" for p in ("sin", "inp"))}
    | {f"{stem}{ext}" for stem in MASKS for ext in (".gds", ".png", ".ports.csv")}
)


def owned_names(out_dir: str | Path) -> Callable[[str], bool]:
    """The entries of an existing ``out_dir`` that a build replaces: :data:`OUTPUT_FILES`, the
    files its ``manifest.json`` lists, and temporary files of the builds before this one."""
    names = set(OUTPUT_FILES)
    try:
        old = json.loads((Path(out_dir) / "manifest.json").read_text())
        for f in old.get("files", []):
            names.update(str(f[k]) for k in ("path", "preview", "ports_csv") if f.get(k))
    except (OSError, ValueError, AttributeError, TypeError):
        pass

    def owned(name: str) -> bool:
        if name in names or name.startswith(".qkdchip-build-"):  # the older in-folder stage
            return True
        return name.startswith(".") and name.endswith(".tmp") and name[1:-4] in names

    return owned


def build(
    out_dir: str | Path = "gds_out",
    design: Design | None = None,
    *,
    previews: bool = True,
    drc: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build every mask of ``design`` into ``out_dir`` (see module docstring).

    ``out_dir`` is checked first (``qkdchip.base.outputs.OutputPathError``, a ValueError); the
    whole output set is staged beside it and published in one rename."""
    design = design or Design()
    out_dir = Path(out_dir)
    with outputs.staged_folder(out_dir, str(out_dir), owned_names(out_dir)) as stage:
        files, timings = write_masks(stage, design, previews=previews, drc=drc, progress=progress)
    return BuildResult(out_dir, files, timings)


def write_masks(
    folder: Path,
    design: Design,
    *,
    previews: bool = True,
    drc: bool = True,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Write every mask of ``design`` and ``manifest.json`` into the existing, empty ``folder``
    (a stage: not atomic by itself); the manifest's file entries and the timings.

    Between steps :func:`qkdchip.base.outputs.checkpoint` stops on SIGINT/SIGTERM."""
    from qkdchip.pdk import get_pdk, use_pdk
    from qkdchip.pdk.drc import check_gds

    folder = Path(folder)
    timings: dict[str, float] = {}
    files: list[dict[str, Any]] = []
    say = progress or (lambda _msg: None)
    lyp: dict[str, Path] = {}
    for process in ("sin", "inp"):
        lyp[process] = folder / f"qkdchip_{process}.lyp"
        get_pdk(process).get_layer_views().to_lyp(lyp[process])
    for stem, (process, module, attr, prefix) in MASKS.items():
        outputs.checkpoint()
        say(f"build {stem}")
        t0 = time.perf_counter()
        fn = _cell_function(module, attr)
        with use_pdk(process):
            component = fn(**design.kwargs(prefix))
            outputs.checkpoint()
            gds = write_gds(component, folder / f"{stem}.gds")
            ports = (
                write_ports_csv(component, folder / f"{stem}.ports.csv")
                if component.ports
                else None
            )
        timings[f"build_{stem}"] = time.perf_counter() - t0
        entry: dict[str, Any] = {
            "path": gds.name,
            "process": process,
            "top_cell": component.name,
            "bbox_um": _bbox_um(component),
            "sha256": sha256(gds),
            "layers": layer_map(process, gds),
            "n_ports": len(component.ports),
        }
        if ports is not None:
            entry["ports_csv"] = ports.name
            entry["ports_csv_sha256"] = sha256(ports)
        if drc:
            outputs.checkpoint()
            say(f"drc {stem}")
            t0 = time.perf_counter()
            report = check_gds(gds, process)
            timings[f"drc_{stem}"] = time.perf_counter() - t0
            entry["drc_violations"] = report.total
            if report.violations:
                entry["drc"] = report.to_dict()["violations"]
        if previews:
            outputs.checkpoint()
            t0 = time.perf_counter()
            png = render_png(gds, lyp[process], folder / f"{stem}.png")
            entry["preview"] = png.name
            timings[f"preview_{stem}"] = time.perf_counter() - t0
        files.append(entry)
    outputs.checkpoint()
    (folder / "manifest.json").write_text(json.dumps({"files": files}, indent=2) + "\n")
    return files, timings
