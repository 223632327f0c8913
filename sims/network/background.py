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
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CALL", "KeyRateProcess", "fork_safe", "map_pair", "map_serial", "start"]

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
    return sys.platform.startswith("linux") and _no_jax_backend()


def _no_jax_backend() -> bool:
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
    def alive(self) -> bool:
        """Whether the process runs (not closed, not ended)."""
        return self._proc.is_alive()

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


def map_serial(
    fn: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    on_done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``[fn(*a) for a in args]`` in this process, in order, ``on_done(k, result)`` after each
    task, stopping between tasks on SIGINT/SIGTERM (``qkdchip.base.outputs.checkpoint``)."""
    from qkdchip.base.outputs import checkpoint

    out: list[Any] = []
    for k, a in enumerate(args):
        out.append(fn(*a))
        if on_done is not None:
            on_done(k, out[k])
        checkpoint()
    return out


def map_pair(
    fn: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    on_done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``[fn(*a) for a in args]`` on this process and a second one (:func:`start`), for tasks
    that take seconds each (``fn`` a module-level function, arguments and results picklable).

    The second process takes the tasks from the front of the list and this process from the
    back, each the next one as soon as it is free (a thread of this process feeds the second
    one and waits on its pipe, without holding the interpreter lock), so that neither idles
    while tasks are left. Each task is the same function on the same arguments as in a serial
    loop: the results do not depend on which process ran it. ``on_done(k, result)`` is called
    in this thread, as task ``k`` is done here or when its result from the second process is
    collected (between this process's tasks and at the end). Without a second CPU
    (:func:`start` gives None) the tasks run here, in order. When JAX has not started its
    backend yet, ``XLA_FLAGS`` gets :data:`~qkdchip.sims.jaxcache.ONE_THREAD_XLA_FLAGS` for this
    process (for the rest of its life) and the second one.

    When tasks raise, the exception of the first failed task in list order is raised, as in a
    serial loop: the tasks after a failed one are not started, those before it still run.
    SIGINT/SIGTERM of a command stop it between tasks (``qkdchip.base.outputs.checkpoint``)."""
    from qkdchip.base.outputs import checkpoint
    from qkdchip.sims.jaxcache import one_thread_xla_flags

    out: list[Any] = [None] * len(args)
    if len(args) > 1 and _cpus() > 1 and _no_jax_backend():
        # both processes run XLA: one thread each (they share the cores; a pool each contends),
        # set before either starts its JAX backend (XLA reads the flags then)
        os.environ["XLA_FLAGS"] = one_thread_xla_flags()
    proc = start() if len(args) > 1 else None
    if proc is None:
        return map_serial(fn, args, on_done)
    lock = threading.Lock()
    bounds = [0, len(args)]  # tasks [lo, hi) not started yet
    failed: dict[int, BaseException] = {}
    arrived: list[tuple[int, Any]] = []  # the second process's results, for on_done

    def take(front: bool) -> int | None:
        """The next task, from the front or the back; after a failure only tasks before the
        first failed one (one of them may fail first in list order, as in a serial loop)."""
        with lock:
            hi = min(bounds[1], min(failed, default=len(args)))
            if bounds[0] >= hi:
                return None
            if front:
                bounds[0] += 1
                return bounds[0] - 1
            bounds[1] = hi - 1
            return bounds[1]

    def feed() -> None:
        while (k := take(front=True)) is not None:
            try:
                proc.call(fn, *args[k])
                res = proc.result()
            except Exception as exc:  # re-raised in the caller's thread
                with lock:
                    failed[k] = exc
                if not proc.alive:
                    return
                continue
            except BaseException:  # SIGINT/SIGTERM: the caller's checkpoint stops the map
                return
            with lock:
                out[k] = res
                arrived.append((k, res))

    def report() -> None:
        with lock:
            ready = arrived[:]
            arrived.clear()
        if on_done is not None:
            for k, res in ready:
                on_done(k, res)

    feeder = threading.Thread(target=feed, name="qkdchip-map-pair", daemon=True)
    try:
        with proc:
            feeder.start()
            while (k := take(front=False)) is not None:
                try:
                    out[k] = fn(*args[k])
                except Exception as exc:
                    with lock:
                        failed[k] = exc
                    continue
                if on_done is not None:
                    on_done(k, out[k])
                report()
                checkpoint()
            while feeder.is_alive():  # the second process's last tasks, reported as they come
                feeder.join(0.1)
                report()
                checkpoint()
    finally:
        if feeder.is_alive():  # the caller stopped: the process is closed, the feeder ends
            feeder.join(5)
    if failed:
        raise failed[min(failed)]
    report()
    return out
