"""JAX's persistent compilation cache: the one place where it is configured.

Compiling the chips' S-matrix circuits is most of the cost of a fresh process (the client chip
alone takes seconds); with the cache on disk a second process (another ``qkdchip`` command, a
Dask worker) loads the compiled executables instead of compiling them again.

Where: ``$QKDCHIP_JAX_CACHE_DIR`` if set (``off`` or an empty value: no persistent cache), else
``$XDG_CACHE_HOME/qkdchip/jax`` (``~/.cache/qkdchip/jax`` when ``XDG_CACHE_HOME`` is unset): a
per-user folder. Every compilation is cached (``jax_persistent_cache_min_compile_time_secs``
= 0), so that a second process compiles nothing. JAX keys each entry by the computation, the
JAX/XLA versions and the device, so a stale entry is never used; deleting the folder is always
safe. The folder is not size-limited (JAX's limit needs the ``filelock`` package, which is not a
dependency); a compiled chip circuit takes about 150 kB. A folder that cannot be created leaves the cache off (the run is only slower).

On x86 CPUs whose LLVM target carries the tuning attributes ``+prefer-no-gather`` /
``+prefer-no-scatter`` (AMD Zen 4, some Xeons), XLA:CPU logs a screenful of "Target machine
feature ... is not supported on the host machine" errors for every executable it loads from the
cache, although the executable was compiled on the same machine and runs (the attributes are
tuning preferences, not instruction sets: jax-ml/jax#38445, openxla/xla#44565). While the cache
is on, :func:`quiet_xla_logs` therefore sets ``TF_CPP_MIN_LOG_LEVEL=3`` (XLA's C++ log lines
below FATAL off; Python exceptions are unaffected) unless the user has set it; it must run
before JAX's C++ library is loaded, so :mod:`qkdchip.sims` calls it when it is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

from qkdchip.base.fingerprint import cache_folder

__all__ = [
    "ENV",
    "ONE_THREAD_XLA_FLAGS",
    "STRING_HASH_SEED",
    "cache_dir",
    "configure",
    "one_thread_xla_flags",
    "quiet_xla_logs",
]

#: environment variable that moves (or, with "off", disables) the cache
ENV = "QKDCHIP_JAX_CACHE_DIR"

#: ``PYTHONHASHSEED`` of every process that compiles chip circuits: the ``qkdchip`` commands
#: (:func:`qkdchip.entry.stable_string_hashes`) and their Dask workers. sax walks port names in set
#: order, so the traced circuits (and the cache keys) follow the string-hash seed. 6640 is the
#: seed Dask's nanny gives a worker whose seed is unset or 0 (distributed's nanny, after
#: dask/dask#6640), so serial runs, local workers and workers started with a plain
#: ``dask worker`` all trace the same circuits and share the cache entries
STRING_HASH_SEED = "6640"


#: XLA flags of a process that shares the machine's cores with other JAX processes (a local Dask
#: worker, the two processes of ``qkdchip wafer``): one thread per process (XLA:CPU's intra-op
#: pool off). With the pool on, each process starts a pool as wide as the machine and they
#: contend for its cores (a 24-point sweep on 2 workers: 12.6 s of system CPU time with it,
#: 3.6 s without; ``qkdchip wafer --wafers 100`` on two processes: 8.8 s against 2.2 s). XLA
#: reads them when JAX starts its backend, and JAX keys the cache entries by them: the
#: processes that set them share entries with each other, not with a process without them
ONE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def one_thread_xla_flags() -> str:
    """``XLA_FLAGS`` with :data:`ONE_THREAD_XLA_FLAGS` after the caller's own (unchanged when
    they are already there)."""
    own = os.environ.get("XLA_FLAGS", "")
    if ONE_THREAD_XLA_FLAGS in own:
        return own
    return " ".join(x for x in (own, ONE_THREAD_XLA_FLAGS) if x)


def cache_dir() -> Path | None:
    """The cache folder this process uses (None: cache off)."""
    return cache_folder(ENV, "jax")


def quiet_xla_logs() -> None:
    """``TF_CPP_MIN_LOG_LEVEL=3`` unless set (see the module docstring), when the cache is on."""
    if cache_dir() is not None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def configure() -> Path | None:
    """Point JAX's persistent compilation cache at :func:`cache_dir` (called once, when
    :mod:`qkdchip.sims.models` is imported); the folder back, or None when off."""
    import jax

    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder
