"""Fingerprints of installed code and the folders of the on-disk caches of computed results.

A cache entry is valid only for the code that computed it. :func:`module_sources` finds the
files of some modules through the import system (the packages' own folders: the source tree
in an editable install, site-packages in a wheel install), and :func:`source_hash` hashes
their names and contents. Used by the mask cache of ``qkdchip run``
(:mod:`qkdchip.report.masks`) and the key-rate cache (:mod:`qkdchip.sims.network.keycache`).
:func:`cache_folder` is the per-user folder of a cache and its environment variable (the JAX
compilation cache, :mod:`qkdchip.sims.jaxcache`, and the key-rate cache).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

__all__ = ["SUFFIXES", "cache_folder", "module_sources", "source_hash"]

#: the files of a package that count: code and the data it reads (mode tables, rule files)
SUFFIXES = (".py", ".csv", ".json", ".yml", ".yaml")


def module_sources(modules: tuple[str, ...]) -> list[tuple[str, Path]]:
    """``(name, path)`` of every file of ``modules`` where Python imports them from, sorted by
    name; name is ``<module>/<path inside the package>`` (the same in any install)."""
    out: list[tuple[str, Path]] = []
    for module in modules:
        spec = importlib.util.find_spec(module)
        if spec is None or not (spec.submodule_search_locations or spec.has_location):
            raise RuntimeError(f"module {module} is not importable from files")
        if not spec.submodule_search_locations:  # a plain module: its own file
            out.append((f"{module}/{Path(spec.origin).name}", Path(spec.origin)))
            continue
        for root in map(Path, spec.submodule_search_locations):
            for path in root.rglob("*"):
                if path.suffix in SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                    out.append((f"{module}/{path.relative_to(root).as_posix()}", path))
    return sorted(out)


def source_hash(sources: list[tuple[str, Path]]) -> str:
    """SHA-256 over the names and contents of ``sources`` (from :func:`module_sources`)."""
    if not sources:
        raise RuntimeError("no source files found: a cache key would not follow the code")
    h = hashlib.sha256()
    for name, path in sources:
        data = path.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def cache_folder(env: str, name: str) -> Path | None:
    """The folder of a per-user cache: ``$env`` if set (``off``, ``0``, ``none`` or empty: the
    cache is off, None), else ``$XDG_CACHE_HOME/qkdchip/<name>`` (default
    ``~/.cache/qkdchip/<name>``)."""
    value = os.environ.get(env)
    if value is not None:
        value = value.strip()
        return None if value in ("", "off", "0", "none") else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qkdchip" / name
