"""The ``qkdchip`` console script: the string-hash seed first, then the command line.

:func:`main` decides whether the process must re-execute itself with a fixed
``PYTHONHASHSEED`` (:func:`stable_string_hashes`) before anything heavy is imported -- the
command line (typer, click and every command's registration) costs about 0.4 s, which a
re-execution would pay twice -- and then runs :data:`qkdchip.cli.app`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["CIRCUIT_COMMANDS", "main", "stable_string_hashes"]

#: commands that compile chip circuits (they re-execute with a fixed string-hash seed)
CIRCUIT_COMMANDS = ("run", "simulate", "comb", "network", "sweep", "wafer", "optimize")


def stable_string_hashes(argv: Sequence[str] | None = None) -> None:
    """Run a command that compiles chip circuits (:data:`CIRCUIT_COMMANDS`) with a fixed
    ``PYTHONHASHSEED`` (:data:`qkdchip.sims.jaxcache.STRING_HASH_SEED`, the seed Dask gives its
    workers): the process re-executes itself once, with the same command line, when the variable
    is unset and JAX's persistent compilation cache is on.

    Why: sax's circuit evaluation walks port names in set order, which follows Python's
    per-process string hash randomisation; the traced chip circuits then differ in op order
    from one process to the next and the persistent cache (:mod:`qkdchip.sims.jaxcache`) cannot
    reuse them. With a fixed seed a second process compiles nothing. The numbers do not depend
    on the seed (each S-matrix entry is the same expression in any order)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] not in CIRCUIT_COMMANDS:
        return
    if os.environ.get("PYTHONHASHSEED") is not None or not sys.flags.hash_randomization:
        return
    from qkdchip.sims.jaxcache import STRING_HASH_SEED, cache_dir

    argv = list(getattr(sys, "orig_argv", []))
    if cache_dir() is None or not sys.executable or not argv:
        return
    try:
        os.execve(sys.executable, argv, {**os.environ, "PYTHONHASHSEED": STRING_HASH_SEED})
    except OSError:  # pragma: no cover - cannot re-execute: run on (only slower)
        return


def main() -> None:
    """The console script ``qkdchip``."""
    stable_string_hashes()
    from qkdchip.cli import app

    app()
