"""The mask cache of ``qkdchip run``: masks of a previous run are reused when their key matches.

    key = sha256(the design's server.* and client.* overrides
                 + hash of the layout code as installed: every source and data file of
                   qkdchip.base, qkdchip.pdk, qkdchip.components, qkdchip.circuits and the
                   module qkdchip.build)

The layout code is found through the import system (the packages' own folders), so the key
follows the code that actually runs: the source tree in an editable install, site-packages in
a wheel install. Cached masks are used only when every GDS still matches its manifest hash.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from qkdchip.base.fingerprint import module_sources, source_hash
from qkdchip.design import Design

__all__ = ["LAYOUT_MODULES", "build_key", "cached_masks", "layout_hash", "layout_sources"]

#: the packages and modules whose files make the masks (the build key hashes them)
LAYOUT_MODULES = (
    "qkdchip.base",
    "qkdchip.pdk",
    "qkdchip.components",
    "qkdchip.circuits",
    "qkdchip.build",
)


def layout_sources(modules: tuple[str, ...] = LAYOUT_MODULES) -> list[tuple[str, Path]]:
    """``(name, path)`` of every file of the layout code where Python imports it from, sorted by
    name; name is ``<module>/<path inside the package>`` (the same in any install)."""
    return module_sources(modules)


def layout_hash(sources: list[tuple[str, Path]] | None = None) -> str:
    """SHA-256 over the names and contents of ``sources`` (default: :func:`layout_sources`)."""
    files = layout_sources() if sources is None else sources
    if not files:
        raise RuntimeError("no layout source files found: the mask cache key would be empty")
    return source_hash(files)


def build_key(design: Design) -> str:
    """The cache key of the masks of ``design``: its chip overrides and the layout code."""
    chip = {k: v for k, v in design.overrides.items() if k.startswith(("server.", "client."))}
    text = json.dumps(chip, sort_keys=True, default=str) + layout_hash()
    return hashlib.sha256(text.encode()).hexdigest()


def cached_masks(out_dir: Path, key: str, dest: Path) -> dict[str, Any] | None:
    """Copy the masks of a previous run in ``out_dir`` into ``dest`` if built from the same key
    and intact (every GDS matches its manifest hash); the manifest, else None."""
    src = out_dir / "masks"
    stamp = src / "build_key.txt"
    manifest = src / "manifest.json"
    if not (stamp.is_file() and manifest.is_file()) or stamp.read_text().strip() != key:
        return None
    try:
        man = json.loads(manifest.read_text())
        for f in man["files"]:
            if hashlib.sha256((src / f["path"]).read_bytes()).hexdigest() != f["sha256"]:
                return None
    except (OSError, KeyError, ValueError):
        return None
    shutil.copytree(src, dest)
    return man
