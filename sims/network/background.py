"""Key-rate calls in a second process, beside the caller's own work (``qkdchip run``).

The optimised key-rate calls are numpy on arrays of a few thousand elements: Python threads do
not overlap them (the interpreter lock is held between the short array operations: two such
calls in two threads took longer than one after the other), a second process does. A
:class:`KeyRateProcess` is a spawned process (``multiprocessing``, "spawn": no copy of the
parent's JAX threads) that imports the key-rate stack while the caller does other work and then
runs :func:`~qkdchip.sims.network.keyrates.solve` on the rows it is sent. It is the same
function on the same rows, so the numbers are the same as in the caller's process.

Where fewer than two CPUs are available to this process, :func:`start` returns None and the
caller solves inline. The process ignores SIGINT (the parent's handler stops the run and
:meth:`KeyRateProcess.close` ends it); it is a daemon, and it also exits as soon as its parent
is gone (a watcher on the parent's sentinel: a parent that stops with ``os._exit``, as on a
second SIGINT, runs no clean-up).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from typing import Any

__all__ = ["KeyRateProcess", "start"]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def start() -> KeyRateProcess | None:
    """A started :class:`KeyRateProcess`, or None when this process has a single CPU."""
    return KeyRateProcess() if _cpus() >= 2 else None


def _serve(conn: Any) -> None:
    """The process: import the key-rate stack, then answer ``keyrates.solve`` argument tuples ``(protocol, rows, finite[, warm])``
    with ``(True, result)`` or ``(False, exception)`` until ``None`` or a closed pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:  # the parent gone (even by os._exit): stop at once, mid-call too
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    from qkdchip.sims.network.keyrates import solve

    while True:
        try:
            req = conn.recv()
        except (EOFError, OSError):
            return
        if req is None:
            return
        try:
            reply = (True, solve(*req))
        except Exception as exc:  # sent back and re-raised in the caller
            reply = (False, exc)
        try:
            conn.send(reply)
        except OSError:  # the parent closed its end
            return


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


class KeyRateProcess:
    """A second process solving key-rate rows: :meth:`submit`, then :meth:`result` (one request
    at a time); :meth:`close` when done (also as a context manager)."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), name="qkdchip-keyrates", daemon=True)
        self._proc.start()
        child.close()
        self._pending = False

    def submit(self, protocol: str, rows: Any, finite: bool, warm: Any = None) -> None:
        """Send one :func:`~qkdchip.sims.network.keyrates.solve` call."""
        if self._pending:
            raise RuntimeError("one key-rate request at a time: collect result() first")
        self._conn.send((protocol, rows, finite, warm))
        self._pending = True

    def result(self) -> Any:
        """The result of the submitted call (its exception re-raised); SIGINT/SIGTERM of the
        caller (``qkdchip.base.outputs.checkpoint``) are honoured while waiting."""
        from qkdchip.base.outputs import checkpoint

        if not self._pending:
            raise RuntimeError("no key-rate request submitted")
        while not self._conn.poll(0.1):
            checkpoint()
            if not self._proc.is_alive():
                raise RuntimeError(f"the key-rate process ended (exit code {self._proc.exitcode})")
        self._pending = False
        ok, value = self._conn.recv()
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """End the process (at once if a call is still running)."""
        if self._proc.is_alive():
            if self._pending:
                self._proc.terminate()
            else:
                try:
                    self._conn.send(None)
                except OSError:
                    self._proc.terminate()
            self._proc.join(5)
            if self._proc.is_alive():  # pragma: no cover - did not stop
                self._proc.kill()
                self._proc.join()
        self._conn.close()

    def __enter__(self) -> KeyRateProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
