"""Progress of a long command, and the CLI's logging set-up (``-v`` / ``-q``).

:class:`Steps` shows the steps of a job on stderr (stdout stays for results):

* stderr a terminal: a rich progress bar (transient: gone when the job ends);
* stderr not a terminal (a pipe, a log file, CI): one plain line per step, flushed at once, e.g.
  ``qkdchip run: [2/8] client chip S-matrix (1.9 s)``, so a log shows where the job is;
* ``-q`` (the ``qkdchip`` logger above WARNING): nothing.

:func:`configure_logging` sets the level of the ``qkdchip`` logger (every module logs to
``logging.getLogger(__name__)``): WARNING by default, ``-v`` INFO, ``-vv`` DEBUG, ``-q`` ERROR,
``-qq`` CRITICAL; records go to stderr as ``LEVEL qkdchip.module: message``. Other libraries'
loggers are left as they are.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

__all__ = ["Steps", "configure_logging", "progress_enabled"]

LOGGER = "qkdchip"


class _StderrHandler(logging.StreamHandler):
    """A stream handler that writes to the *current* ``sys.stderr`` (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(verbose: int = 0, quiet: int = 0) -> int:
    """Set the ``qkdchip`` logger's level from the counts of ``-v`` and ``-q``; the level back."""
    level = logging.WARNING + 10 * (min(quiet, 2) - min(verbose, 2))
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    return level


def progress_enabled() -> bool:
    """False under ``-q``: the ``qkdchip`` logger is above WARNING."""
    return logging.getLogger(LOGGER).isEnabledFor(logging.WARNING)


class Steps:
    """Progress over ``total`` steps: ``with Steps(8, "qkdchip run") as s: s.step("masks")``.

    A bar on a terminal, plain lines otherwise, nothing under ``-q`` (see the module doc)."""

    def __init__(self, total: int, name: str, *, stream: Any = None, tty: bool | None = None):
        self.total = total
        self.name = name
        self.stream = stream
        self.tty = tty
        self.done = 0
        self._bar: Any = None
        self._task: Any = None
        self._t0 = time.perf_counter()

    def _out(self) -> Any:
        return self.stream if self.stream is not None else sys.stderr

    def __enter__(self) -> Steps:
        self._t0 = time.perf_counter()
        out = self._out()
        tty = self.tty if self.tty is not None else bool(getattr(out, "isatty", lambda: False)())
        if tty and progress_enabled():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description:<34}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=Console(file=out),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("start", total=self.total)
        return self

    def step(self, description: str) -> None:
        """A new step starts (the previous one, if any, is done)."""
        elapsed = time.perf_counter() - self._t0
        if self._bar is not None:
            if self.done:
                self._bar.advance(self._task)
            self._bar.update(self._task, description=description)
        elif progress_enabled():
            out = self._out()
            out.write(
                f"{self.name}: [{self.done + 1}/{self.total}] {description} ({elapsed:.1f} s)\n"
            )
            out.flush()
        self.done += 1

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if self._bar is not None:
            if exc_type is None:
                self._bar.advance(self._task)
            self._bar.__exit__(exc_type, *exc)
            self._bar = None
        elif exc_type is None and progress_enabled():
            out = self._out()
            out.write(f"{self.name}: done in {time.perf_counter() - self._t0:.1f} s\n")
            out.flush()
