"""Build the masks of a design: GDS, layer properties, previews, DRC, manifest.

``build(out_dir, design)`` writes, into ``out_dir``:

- ``server_chip.gds``, ``mask_server.gds`` (Si3N4 process) and ``client_chip.gds``,
  ``mask_clients.gds`` (InP process);
- ``qkdchip_sin.lyp``, ``qkdchip_inp.lyp``: KLayout layer properties of each process;
- ``<name>.png``: previews rendered from the written GDS by KLayout's own renderer;
- ``manifest.json``: ``{"files": [{"path", "top_cell", "bbox_um", "sha256", "drc_violations"}]}``.

Reproducible: GDS files are written without timestamps, so the same design gives the same bytes.
Atomic: everything is first written to a temporary folder beside ``out_dir`` and moved in (one
``os.replace`` per file) only after every step succeeded; a failed build leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def write_gds(component, path: Path) -> Path:
    """Write ``component`` to ``path`` reproducibly: the bytes depend on the design only.

    KLayout writes shapes layer by layer in the order the process registered its layers, which
    depends on whatever was built before. The cell tree is therefore copied into a fresh layout
    whose layers are created in (layer, datatype) order, and written without timestamps under a
    fixed library name. (gdsfactory's port/settings metadata is not written: a mask carries
    geometry only; the settings are in the manifest and the design.)
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
    top = dst.create_cell(component.name)
    top.copy_tree(component.kdb_cell)
    opts = save_options()
    opts.write_context_info = False
    path = Path(path)
    dst.write(str(path), opts)
    return path


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


def build(
    out_dir: str | Path = "gds_out",
    design: Design | None = None,
    *,
    previews: bool = True,
    drc: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build every mask of ``design`` into ``out_dir`` (see module docstring)."""
    from qkdchip.pdk import get_pdk, use_pdk
    from qkdchip.pdk.drc import check_gds

    design = design or Design()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".qkdchip-build-", dir=out_dir))
    timings: dict[str, float] = {}
    files: list[dict[str, Any]] = []
    say = progress or (lambda _msg: None)
    try:
        lyp: dict[str, Path] = {}
        for process in ("sin", "inp"):
            lyp[process] = tmp / f"qkdchip_{process}.lyp"
            get_pdk(process).get_layer_views().to_lyp(lyp[process])
        for stem, (process, module, attr, prefix) in MASKS.items():
            say(f"build {stem}")
            t0 = time.perf_counter()
            fn = _cell_function(module, attr)
            with use_pdk(process):
                component = fn(**design.kwargs(prefix))
                gds = write_gds(component, tmp / f"{stem}.gds")
            timings[f"build_{stem}"] = time.perf_counter() - t0
            entry: dict[str, Any] = {
                "path": gds.name,
                "process": process,
                "top_cell": component.name,
                "bbox_um": _bbox_um(component),
                "sha256": sha256(gds),
            }
            if drc:
                say(f"drc {stem}")
                t0 = time.perf_counter()
                report = check_gds(gds, process)
                timings[f"drc_{stem}"] = time.perf_counter() - t0
                entry["drc_violations"] = report.total
                if report.violations:
                    entry["drc"] = report.to_dict()["violations"]
            if previews:
                t0 = time.perf_counter()
                png = render_png(gds, lyp[process], tmp / f"{stem}.png")
                entry["preview"] = png.name
                timings[f"preview_{stem}"] = time.perf_counter() - t0
            files.append(entry)
        result = BuildResult(out_dir, files, timings)
        (tmp / "manifest.json").write_text(json.dumps(result.manifest(), indent=2) + "\n")
        # all steps succeeded: move every file into place, the manifest last
        names = sorted(p.name for p in tmp.iterdir() if p.name != "manifest.json")
        for name in [*names, "manifest.json"]:
            os.replace(tmp / name, out_dir / name)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
