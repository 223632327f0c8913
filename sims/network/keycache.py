"""On-disk cache of the optimised key rates of :func:`~.keyrates.solve`.

An optimised key-rate call is a pure function of its rows, and the costly step of every network
evaluation (the global search: about 10-30 ms per row). The same rows come back whenever a
design is evaluated again -- a second ``qkdchip run`` of the same design, a sweep or an
optimisation study revisiting a point, ``qkdchip network`` after ``run`` -- so each result is
kept on disk, keyed by everything it depends on:

    key = sha256(protocol, finite key or not, every row's numbers (float64 bytes, in order),
                 the warm starts, the finite-key failure probabilities (Security()),
                 hash of the key-rate code as installed (qkdchip.sims.keyrate and
                 qkdchip.sims.network.keyrates: names and contents of every file),
                 numpy and scipy versions)

so a cached result is the one the same call would compute, to the bit; changing any input, the
key-rate code or the numerical libraries misses. Entries are written atomically (temp file +
rename; concurrent writers of one key write the same bytes), the least recently used are
removed beyond :data:`MAX_ENTRIES` entries or :data:`MAX_BYTES` (200 MiB), and an unreadable
entry is recomputed (and replaced).

Folder: ``$QKDCHIP_KEYRATE_CACHE_DIR`` if set (``off`` disables the cache), else
``$XDG_CACHE_HOME/qkdchip/keyrates`` (default ``~/.cache/qkdchip/keyrates``), beside JAX's
compilation cache (:mod:`qkdchip.sims.jaxcache`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qkdchip.base.fingerprint import cache_folder, module_sources, source_hash
from qkdchip.base.outputs import write_file

__all__ = ["ENV", "MAX_BYTES", "MAX_ENTRIES", "MODULES", "cache_dir", "cached", "code_hash", "key"]

#: environment variable that moves (or, with "off", disables) the cache
ENV = "QKDCHIP_KEYRATE_CACHE_DIR"
#: the code a cached key rate depends on (its files are hashed into every key)
MODULES = ("qkdchip.sims.keyrate", "qkdchip.sims.network.keyrates")
#: entries kept, and their total size (an entry is a few kB to ~100 kB: the 310 rows of
#: ``run``'s curves take 86 kB); beyond either, the least recently used go first
MAX_ENTRIES = 2000
MAX_BYTES = 200 * 2**20
#: bump when the format of an entry changes
_FORMAT = 1


def cache_dir() -> Path | None:
    """The cache folder this process uses (None: cache off)."""
    return cache_folder(ENV, "keyrates")


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the key-rate code as installed (read once per process)."""
    import scipy

    return (
        source_hash(module_sources(MODULES)) + f"|numpy {np.__version__}|scipy {scipy.__version__}"
    )


def key(protocol: str, rows: Any, finite: bool, warm: Sequence[dict[str, Any]] | None) -> str:
    """The cache key of ``keyrates.solve(protocol, rows, finite, warm)`` (module docstring)."""
    from qkdchip.sims.keyrate import Security

    h = hashlib.sha256()
    head = {
        "format": _FORMAT,
        "protocol": protocol,
        "finite": bool(finite),
        "security": dataclasses.asdict(Security()),
        "warm": [
            {k: v for k, v in sorted(w.items()) if isinstance(v, int | float | str | None)}
            for w in warm or ()
        ],
        "code": code_hash(),
    }
    h.update(json.dumps(head, sort_keys=True, default=repr).encode())
    for f in dataclasses.fields(rows):
        if f.name == "owner":  # bookkeeping, not an input of the result
            continue
        data = np.ascontiguousarray(np.asarray(getattr(rows, f.name), dtype=np.float64))
        h.update(f"{f.name}:{data.size}:".encode())
        h.update(data.tobytes())
    return h.hexdigest()


def cached(
    protocol: str,
    rows: Any,
    finite: bool,
    warm: Sequence[dict[str, Any]] | None,
    compute: Callable[[], Any],
) -> Any:
    """The result of ``compute()`` (a ``keyrates.solve`` of these arguments), from the cache
    when it holds it, else computed and stored."""
    folder = cache_dir()
    if folder is None:
        return compute()
    k = key(protocol, rows, finite, warm)
    path = folder / k[:2] / f"{k}.pkl"
    try:
        with path.open("rb") as fh:
            stored_key, result = pickle.load(fh)
        if stored_key == k:
            os.utime(path)  # recently used
            return result
    except FileNotFoundError:
        pass
    except Exception:  # unreadable (truncated by a full disk, another format): recompute
        pass
    result = compute()
    _store(folder, path, k, result)
    return result


def _store(folder: Path, path: Path, k: str, result: Any) -> None:
    """Write one entry atomically (``qkdchip.base.outputs.write_file``); prune beyond the
    limits. A cache that cannot be written (read-only folder, full disk) is skipped silently:
    it only costs time."""
    data = pickle.dumps((k, result), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        write_file(path, lambda tmp: tmp.write_bytes(data))
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    entries = []
    for sub in folder.iterdir():
        if sub.is_dir():
            for p in sub.glob("*.pkl"):
                if p.name.startswith("."):  # another process's entry being written
                    continue
                st = p.stat()
                entries.append((st.st_mtime_ns, p.name, st.st_size, p))
    total = sum(e[2] for e in entries)
    if len(entries) <= MAX_ENTRIES and total <= MAX_BYTES:
        return
    entries.sort()
    count = len(entries)
    for _, _, size, old in entries:
        if count <= MAX_ENTRIES and total <= MAX_BYTES:
            break
        old.unlink(missing_ok=True)
        count -= 1
        total -= size
