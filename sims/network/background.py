"""Steps and key-rate calls in a second process, beside the caller's own work (``qkdchip run``).

The optimised key-rate calls are numpy on arrays of a few thousand elements: Python threads do
not overlap them (the interpreter lock is held between the short array operations: two such
calls in two threads took longer than one after the other), a second process does. A
:class:`KeyRateProcess` is a second process that runs, in the order sent,
:func:`~qkdchip.sims.network.keyrates.solve` on the rows it is sent (:meth:`~KeyRateProcess.submit`)
and any module-level function of the caller (:meth:`~KeyRateProcess.call`: the comb, the masks).
It is the same function on the same inputs, so the numbers are the same as in the caller's
process.

Start method: :func:`start` forks when it is safe (:func:`fork_safe`: Linux, and JAX has
started no backend, whose threads a child would lack), so that the process shares the modules
already imported instead of importing them again (gdsfactory, sax and JAX: seconds of CPU
on a machine with two cores); otherwise it spawns a fresh interpreter ("spawn": no copy of the
parent's JAX threads). Where fewer than two CPUs are available to this process, :func:`start`
returns None and the caller runs everything inline. The process ignores SIGINT (the parent's
handler stops the run and :meth:`KeyRateProcess.close` ends it) and takes SIGTERM's default
action; it is a daemon, and it also exits as soon as its parent is gone (a watcher on the
parent's sentinel: a parent that stops with ``os._exit``, as on a second SIGINT, runs no
clean-up).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from typing import Any

__all__ = ["CALL", "KeyRateProcess", "fork_safe", "start"]

log = logging.getLogger(__name__)

#: first item of a request that is a plain function call (``KeyRateProcess.call``)
CALL = "call"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def start() -> KeyRateProcess | None:
    """A started :class:`KeyRateProcess`, or None when this process has a single CPU.

    Forked where it is safe (:func:`fork_safe`), so that it shares this process's imported
    modules instead of importing them again (seconds of CPU for gdsfactory, sax and JAX, on a
    machine with two cores) and imports what else it needs beside this process's own work;
    otherwise spawned (it imports what it uses)."""
    if _cpus() < 2:
        log.info("second process: none (one CPU)")
        return None
    method = "fork" if fork_safe() else "spawn"
    log.info("second process: %s", method)
    return KeyRateProcess(method=method)


def fork_safe() -> bool:
    """Whether this process can be forked: Linux (where Python's default start method is
    "fork"; macOS system libraries are not fork-safe, Windows has no fork) and JAX, if imported,
    has started no backend (its compiler threads would not be in the child)."""
    if not sys.platform.startswith("linux"):
        return False
    xb = sys.modules.get("jax._src.xla_bridge")
    return xb is None or not getattr(xb, "_backends", {})


def _serve(conn: Any) -> None:
    """The process: import the key-rate stack, then answer requests in order -- a
    ``keyrates.solve`` argument tuple ``(protocol, rows, finite[, warm])``, or
    ``(CALL, fn, args)`` for ``fn(*args)`` -- with ``(True, result)`` or ``(False, exception)``
    until ``None`` or a closed pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked child: not the caller's handler
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
            if req[0] == CALL:
                reply = (True, req[1](*req[2]))
            else:
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
    """A second process solving key-rate rows (:meth:`submit`) and running other steps of the
    caller (:meth:`call`), in the order sent; :meth:`result` collects the oldest; :meth:`close`
    when done (also as a context manager)."""

    def __init__(self, method: str = "spawn") -> None:
        ctx = multiprocessing.get_context(method)
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), name="qkdchip-keyrates", daemon=True)
        self._proc.start()
        child.close()
        self._pending = 0

    def submit(self, protocol: str, rows: Any, finite: bool, warm: Any = None) -> None:
        """Send one :func:`~qkdchip.sims.network.keyrates.solve` call (collect it with
        :meth:`result`, after the requests sent before it)."""
        self._conn.send((protocol, rows, finite, warm))
        self._pending += 1

    def call(self, fn: Any, *args: Any) -> None:
        """Send ``fn(*args)`` (``fn`` a module-level function, arguments and result picklable);
        collect it with :meth:`result`, after the requests sent before it."""
        self._conn.send((CALL, fn, args))
        self._pending += 1

    @property
    def pending(self) -> int:
        """Requests sent and not collected yet."""
        return self._pending

    def result(self) -> Any:
        """The result of the oldest request not collected yet (its exception re-raised);
        SIGINT/SIGTERM of the caller (``qkdchip.base.outputs.checkpoint``) are honoured while
        waiting."""
        from qkdchip.base.outputs import checkpoint

        if not self._pending:
            raise RuntimeError("no key-rate request submitted")
        while not self._conn.poll(0.1):
            checkpoint()
            if not self._proc.is_alive():
                raise RuntimeError(f"the key-rate process ended (exit code {self._proc.exitcode})")
        self._pending -= 1
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
