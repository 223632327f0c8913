"""Helpers shared by the CLI commands: one-line errors with exit code 2, JSON output."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error to stderr and exit (2 = bad input): line breaks in ``message``
    (e.g. a library's multi-line text) are folded into spaces."""
    typer.echo(f"error: {' '.join(str(message).splitlines()).strip()}", err=True)
    raise typer.Exit(code)


def input_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` if it is an existing regular file, else ValueError naming it and ``what`` it
    should be: ``gds file 'x': is not a regular file (a folder; allowed a GDS file)``."""
    p = Path(path)
    where = f"{what} {str(p)!r}"
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise ValueError(f"{where}: does not exist") from None
    except OSError as exc:
        raise ValueError(f"{where}: cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a device or special file"
        raise ValueError(f"{where}: is not a regular file ({kind}; allowed a {what})")
    return p


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (numpy scalars/arrays converted)."""
    sys.stdout.write(json.dumps(obj, indent=2, default=_default, allow_nan=False) + "\n")


def _default(o: Any) -> Any:
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    if hasattr(o, "__fspath__"):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
