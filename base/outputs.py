"""Output paths of the commands: checked before any work, written atomically, published whole.

Every file or folder a command writes goes through this module:

- :func:`check_file` / :func:`check_folder` validate an output path *before* any computation
  (:class:`OutputPathError`, a ``ValueError`` whose message is ``<name>: <what> (allowed ...)``):
  the nearest existing ancestor is a writable folder (missing folders below it are created when
  the output is written), no component of the path is a file, the suffix names the format, a
  file output is not an existing folder or special file (``/dev/null``), a folder output is not
  an existing file, not the current folder (or one holding it), not a mount point, and the
  previous output in it can be replaced (its folders writable); every name fits the file system
  with room for the temporary name beside it;
- :class:`FileSet` writes one or several files all-or-nothing: each into a temporary file beside
  its target (``.<name>.tmp-<pid>-<token><suffix>``), then every one ``os.replace``-d into place;
  on any failure the temporary files are removed and no target is touched;
- :func:`staged_folder` builds a folder output in a stage beside it (``.<name>.tmp-<pid>-*``)
  and publishes it in one rename (``renameat2(RENAME_EXCHANGE)``, else rename the old folder
  aside, rename the stage in, and rename the old one back on failure), then deletes the old
  output. The new folder holds exactly the new output set; entries of the old folder that the
  command does not write (``.gitkeep``, another command's outputs) are carried over as hard
  links. Temporary folders and files of a killed process (dead pid in the name) are removed on
  the next start;
- :func:`interruptible` (a decorator for the CLI commands) installs a SIGINT/SIGTERM handler
  that only records the signal; :func:`checkpoint` (between the steps of a command, after
  each, and before anything is published) raises :class:`Interrupted`, so the command stops with
  exit code 130 / 143 and the previous output untouched. The handler never raises: an exception
  from a signal handler lands wherever Python is, and is swallowed in a garbage-collection
  callback (JAX's ``_xla_gc_callback``: Ctrl-C was ignored) or aborts the process inside a
  native extension's callback (nanobind). The same signal a second time stops the process at
  once, after removing its temporary files and folders.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "FIGURE_SUFFIXES",
    "SPARAM_SUFFIXES",
    "FileSet",
    "Interrupted",
    "OutputPathError",
    "check_file",
    "check_folder",
    "checkpoint",
    "interruptible",
    "remove_stale",
    "save_figure",
    "signals_handled",
    "staged_folder",
    "write_file",
]

#: suffixes of the S-parameter files of ``simulate --out``
SPARAM_SUFFIXES = (".npz", ".csv")
#: figure formats of ``--plot`` (matplotlib's Agg backend writes each; the suffix picks it)
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".eps", ".ps", ".jpg", ".jpeg", ".tif", ".tiff")
_FIGURE_FORMAT = {".jpg": "jpeg", ".tif": "tiff"}
#: metadata that would otherwise stamp the date into a figure (byte-reproducible output)
_FIGURE_METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"CreationDate": None, "ModDate": None},
    "svg": {"Date": None},
    "eps": {"CreationDate": None},
    "ps": {"CreationDate": None},
}
#: at most this many entries of an existing output folder that the command does not write are
#: carried into the new one (a guard against ``--out`` naming e.g. a home folder)
MAX_CARRIED = 10_000

Owned = Callable[[str], bool]


class OutputPathError(ValueError):
    """An output path that cannot be written; ``str()`` is ``<name>: <what> (allowed ...)``."""


def _error(name: str, what: str, allowed: str) -> OutputPathError:
    return OutputPathError(f"{name}: {what} (allowed {allowed})")


# --------------------------------------------------------------------------------------------
# path checks


#: room a name needs for the temporary file or folder beside it (``.<name>.tmp-<pid>-<8>``
#: plus the suffix once more)
_TEMP_ROOM = 40


def _stat(path: Path, name: str, allowed: str) -> os.stat_result | None:
    """``os.stat`` of an output path or one of its folders; None if it does not exist (or a
    component is a file: the walk up finds it); any other failure is an OutputPathError."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _error(name, f"{str(path)!r} cannot be used: {exc.strerror}", allowed) from None


def _check_names(path: Path, name: str) -> None:
    """Every component of ``path`` fits the file system, with room for the temporary name."""
    try:
        name_max = os.pathconf(_existing_ancestor(path), "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    for part in path.parts:
        size = len(os.fsencode(part))
        limit = name_max if part != path.name else name_max - _TEMP_ROOM
        if size > limit:
            raise _error(
                name,
                f"a name of {size} bytes is too long",
                f"up to {limit} bytes"
                + (
                    " for the output's own name, the temporary beside it needs the rest"
                    if part == path.name
                    else ""
                ),
            )
    if len(os.fsencode(str(path))) > 4000:
        raise _error(name, "the path is too long", "up to 4000 bytes")


def _existing_ancestor(path: Path) -> Path:
    p = path.parent
    while p != p.parent and not os.path.isdir(p):
        p = p.parent
    return p


def _nearest_folder(folder: Path, name: str, allowed: str) -> Path:
    """The nearest existing ancestor of (or) ``folder``: must be a writable folder."""
    p = folder
    while True:
        st = _stat(p, name, allowed)
        if st is None:
            if p == p.parent:
                raise _error(name, f"no existing folder above {str(folder)!r}", allowed)
            p = p.parent
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise _error(name, f"{str(p)!r} is not a folder", allowed)
        if not os.access(p, os.W_OK | os.X_OK):
            raise _error(name, f"folder {str(p)!r} is not writable", allowed)
        return p


def _one_of(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def check_file(
    path: str | os.PathLike, name: str | None = None, suffixes: tuple[str, ...] = ()
) -> Path:
    """Check an output file path before any work (see the module docstring); ``path`` back.

    ``name`` names the path in the message (e.g. ``"--plot p.png"``); ``suffixes``, if given,
    are the allowed suffixes (lower case). Stale temporary files of a killed process beside it
    are removed."""
    path = Path(path)
    name = name or str(path)
    allowed = "a file in a writable folder"
    if suffixes and path.suffix.lower() not in suffixes:
        what = f"suffix {path.suffix!r} is not" if path.suffix else "no suffix names"
        raise _error(name, f"{what} a format it writes", _one_of(suffixes))
    if path.name in ("", ".", ".."):
        raise _error(name, "is not a file name", allowed)
    _check_names(path, name)
    st = _stat(path, name, allowed)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise _error(name, "is a folder", "a new file or an existing regular file")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise _error(name, "exists and is not a regular file", "a new or a regular file")
    _nearest_folder(path.parent, name, allowed)
    remove_stale(path)
    return path


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted(it, key=lambda e: e.name)


def check_folder(
    path: str | os.PathLike, name: str | None = None, owned: Owned = lambda _n: True
) -> Path:
    """Check an output folder before any work (see the module docstring); its real path back.

    ``owned(entry)`` tells the entries of an existing folder that the command writes (they are
    replaced); the others are carried into the new folder. Stale stage folders of a killed
    process beside it are removed."""
    path = Path(path)
    name = name or str(path)
    allowed = "a new or a previous output folder, in a writable folder"
    _check_names(path, name)
    real = Path(os.path.realpath(path))
    _check_names(real, name)
    st = _stat(real, name, allowed)
    if st is not None:
        if not stat.S_ISDIR(st.st_mode):
            what = "is a file, not a folder" if stat.S_ISREG(st.st_mode) else "is not a folder"
            raise _error(name, what, allowed)
        cwd = Path(os.path.realpath(os.getcwd()))
        if _is_within(cwd, real):
            raise _error(name, "is the current folder or holds it", "a folder beside or below it")
        if os.path.ismount(real):
            raise _error(name, "is a mount point", allowed)
        _check_replaceable(real, name, owned, allowed)
    if real == real.parent:
        raise _error(name, "is the root folder", allowed)
    _nearest_folder(real.parent if st is not None else path.parent, name, allowed)
    remove_stale(real)
    return real


def _check_replaceable(real: Path, name: str, owned: Owned, allowed: str) -> None:
    """The old output in ``real`` can be deleted (its folders writable) and what it holds
    besides can be carried over."""
    carried = 0
    for entry in _entries(real):
        p = Path(entry.path)
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_dir and os.path.ismount(p):
            raise _error(name, f"{str(p)!r} is a mount point", allowed)
        if owned(entry.name):
            if is_dir:
                for root, _dirs, _files in os.walk(p):
                    if not os.access(root, os.W_OK | os.X_OK):
                        raise _error(name, f"{root!r} is not writable", allowed)
            continue
        carried += 1
        if is_dir:
            for _root, dirs, files in os.walk(p):
                carried += len(dirs) + len(files)
                if carried > MAX_CARRIED:
                    break
        if carried > MAX_CARRIED:
            raise _error(
                name,
                f"holds more than {MAX_CARRIED} entries qkdchip does not write",
                "a new folder or a previous output folder",
            )
    if not os.access(real, os.W_OK | os.X_OK):
        raise _error(name, f"folder {str(real)!r} is not writable", allowed)


# --------------------------------------------------------------------------------------------
# stale temporary files and folders of killed processes

_STALE = re.compile(r"(tmp|old)-(\d+)-[A-Za-z0-9_]{8}(\.[A-Za-z0-9]+)?")


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return True  # not ours to judge
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=_rmtree_retry)
    else:
        path.unlink(missing_ok=True)


def _rmtree_retry(func, path, _exc_info) -> None:
    """rmtree's error hook: make the folder writable (our own temporary tree) and retry once."""
    parent = os.path.dirname(path)
    with contextlib.suppress(OSError):
        os.chmod(parent, stat.S_IMODE(os.stat(parent).st_mode) | stat.S_IRWXU)
        if func in (os.rmdir, os.unlink) or os.path.isdir(path):
            os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | stat.S_IRWXU)
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def remove_stale(target: Path) -> list[Path]:
    """Remove ``.<name>.tmp-<pid>-*`` (and restore or remove ``.<name>.old-<pid>-*``) beside
    ``target`` whose process is gone; the paths removed or restored."""
    target = Path(target)
    parent = target.parent
    prefix = f".{target.name}."
    done: list[Path] = []
    try:
        entries = [e for e in _entries(parent) if e.name.startswith(prefix)]
    except OSError:
        return done
    for entry in entries:
        m = _STALE.fullmatch(entry.name[len(prefix) :])
        if m is None or _pid_alive(int(m.group(2))):
            continue
        p = Path(entry.path)
        with contextlib.suppress(OSError):
            if m.group(1) == "old" and not os.path.lexists(target):
                os.rename(p, target)  # a publish killed between its two renames: restore
            else:
                _remove(p)
            done.append(p)
    return done


# --------------------------------------------------------------------------------------------
# signals


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop, publish nothing (a BaseException: ``except Exception``
    does not swallow it)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _State:
    def __init__(self) -> None:
        self.installed = False
        self.received: int | None = None
        self.published = False
        #: temporary files and folders of this process (removed by a second signal), and
        #: folders created for outputs (removed if still empty); dicts as ordered sets
        self.temporaries: dict[Path, None] = {}
        self.created: dict[Path, None] = {}


_state = _State()
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _handler(signum: int, _frame: Any) -> None:
    """Record the signal; :func:`checkpoint` acts on it. The handler does not raise: an
    exception raised from a handler lands wherever Python happens to be, e.g. in a garbage-
    collection callback (JAX's ``_xla_gc_callback`` swallows it: Ctrl-C was ignored) or in
    Python code called from a native extension's module init (nanobind turns it into a C++
    exception and the process aborts).

    The same signal a second time stops at once: this process's temporary files and folders are
    removed and it exits with 128 + the signal number (``os._exit``; the previous output is
    intact, as no publish is half done between two bytecodes)."""
    name = signal.Signals(signum).name
    if _state.received is None:
        _state.received = signum
        if sys.stderr is not None and sys.stderr.isatty():
            sys.stderr.write(f"\n{name}: stopping after this step ({name} again: at once)\n")
        return
    if signum != _state.received:
        return
    for path in list(_state.temporaries):
        with contextlib.suppress(OSError):
            _remove(path)
    _remove_folders(list(_state.created))
    with contextlib.suppress(Exception):
        what = "after its output was written" if _state.published else "(nothing was written)"
        sys.stderr.write(f"error: interrupted by {name} twice: stopped at once {what}\n")
        sys.stderr.flush()
    os._exit(128 + signum)


def _track(path: Path) -> Path:
    _state.temporaries[path] = None
    return path


def _untrack(path: Path | None) -> None:
    if path is not None:
        _state.temporaries.pop(path, None)


def checkpoint() -> None:
    """Raise :class:`Interrupted` if SIGINT/SIGTERM arrived (a no-op without the handlers):
    called between the steps of a command and before anything is published."""
    if _state.installed and _state.received is not None:
        raise Interrupted(_state.received)


def received() -> int | None:
    """The first signal received while the handlers were installed, or None."""
    return _state.received if _state.installed else None


@contextlib.contextmanager
def signals_handled() -> Iterator[None]:
    """Install the SIGINT/SIGTERM handler for the block (main thread only; restored after)."""
    if threading.current_thread() is not threading.main_thread() or _state.installed:
        yield
        return
    previous = {s: signal.getsignal(s) for s in _SIGNALS}
    _state.received, _state.published = None, False
    _state.installed = True
    for s in _SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        _state.installed = False
        for s, h in previous.items():
            signal.signal(s, h)


def interruptible(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator of a CLI command: SIGINT/SIGTERM stop it at the next :func:`checkpoint` with
    exit code 130/143 and one line on stderr; nothing is published after the signal."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import typer

        with signals_handled():
            try:
                result = fn(*args, **kwargs)
            except Interrupted as exc:
                typer.echo(
                    f"error: interrupted by {signal.Signals(exc.signum).name}: "
                    "no output was written or replaced",
                    err=True,
                )
                raise typer.Exit(exc.exit_code) from None
            late, published = received(), _state.published
        if late is not None:
            what = "after its output was written" if published else "(nothing was written)"
            typer.echo(f"error: interrupted by {signal.Signals(late).name} {what}", err=True)
            raise typer.Exit(128 + late)
        return result

    return wrapper


# --------------------------------------------------------------------------------------------
# files


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the folders created, outermost first."""
    missing = []
    p = folder
    while not os.path.isdir(p):
        missing.append(p)
        if p == p.parent:
            break
        p = p.parent
    created = []
    for p in reversed(missing):
        try:
            os.mkdir(p)
        except FileExistsError:
            continue
        created.append(p)
        _state.created[p] = None
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove the folders created for an output that was not written (only if still empty)."""
    for p in reversed(created):
        with contextlib.suppress(OSError):
            os.rmdir(p)
    _forget_folders(created)


def _forget_folders(created: list[Path]) -> None:
    for p in created:
        _state.created.pop(p, None)


class FileSet:
    """Write several files all-or-nothing::

        with FileSet() as files:
            np.savez(files.temp(out), ...)
            fig.savefig(files.temp(plot))
        # both replaced now; on an exception (or a signal) neither is, and no temp file is left

    ``temp(target)`` is a fresh path beside ``target`` with the same suffix; the block writes it.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        self._created: list[Path] = []

    def temp(self, target: str | os.PathLike) -> Path:
        target = Path(target)
        self._created += _make_folders(target.parent)
        tmp = _track(
            target.with_name(
                f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}{target.suffix}"
            )
        )
        self._pending.append((tmp, target))
        return tmp

    def commit(self) -> list[Path]:
        """Move every file in place (after a last :func:`checkpoint`)."""
        checkpoint()
        for tmp, _target in self._pending:
            if not tmp.is_file():
                raise FileNotFoundError(f"{tmp}: the temporary file was not written")
        for tmp, target in self._pending:
            os.replace(tmp, target)
            _untrack(tmp)
            _state.published = True
        done = [t for _, t in self._pending]
        self._pending = []
        _forget_folders(self._created)
        return done

    def discard(self) -> None:
        for tmp, _target in self._pending:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            _untrack(tmp)
        self._pending = []
        _remove_folders(self._created)

    def __enter__(self) -> FileSet:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()


def write_file(target: str | os.PathLike, write: Callable[[Path], Any]) -> Path:
    """Write one file atomically: ``write(tmp)`` writes a temporary file beside ``target``,
    which then replaces ``target``; on failure nothing is left."""
    target = Path(target)
    with FileSet() as files:
        write(files.temp(target))
    return target


def save_figure(fig: Any, path: str | os.PathLike, **savefig_kw: Any) -> Path:
    """Save a matplotlib figure atomically in the format its suffix names (closes ``fig``).

    PNG bytes as ``fig.savefig(path)``; PDF/SVG/PS without a date (reproducible)."""
    import matplotlib
    import matplotlib.pyplot as plt

    path = Path(path)
    suffix = path.suffix.lower()
    fmt = _FIGURE_FORMAT.get(suffix, suffix.lstrip("."))
    kw = dict(savefig_kw)
    if fmt in _FIGURE_METADATA:
        kw.setdefault("metadata", _FIGURE_METADATA[fmt])
    try:
        with matplotlib.rc_context({"svg.hashsalt": "qkdchip"}), FileSet() as files:
            # through a file object: PS/EPS would record the (temporary) file name as the title
            with open(files.temp(path), "wb") as fh:
                if fmt in ("ps", "eps"):
                    # matplotlib's PS writer ignores metadata={"CreationDate": None} and stamps
                    # the clock unless SOURCE_DATE_EPOCH is set: drop that optional DSC comment
                    buf = io.BytesIO()
                    fig.savefig(buf, format=fmt, **kw)
                    fh.write(re.sub(rb"%%CreationDate:[^\n]*\n", b"", buf.getvalue(), count=1))
                else:
                    fig.savefig(fh, format=fmt, **kw)
    finally:
        plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# folders


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)
    return dst


def _carry(old: Path, stage: Path, owned: Owned) -> None:
    """Hard-link (else copy) the entries of the old folder that the command does not write."""
    for entry in _entries(old):
        if owned(entry.name) or os.path.lexists(stage / entry.name):
            continue
        dst = stage / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), dst)
        elif entry.is_dir():
            shutil.copytree(entry.path, dst, symlinks=True, copy_function=_link_or_copy)
        elif entry.is_file():
            _link_or_copy(entry.path, str(dst))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where not supported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _publish(stage: Path, target: Path) -> Path | None:
    """Put ``stage`` at ``target`` in one rename; the path now holding the old output, if any."""
    if not os.path.lexists(target):
        os.rename(stage, target)
        return None
    if _exchange(stage, target):
        return stage
    aside = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, aside)
    try:
        os.rename(stage, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


@contextlib.contextmanager
def staged_folder(
    out_dir: str | os.PathLike, name: str | None = None, owned: Owned = lambda _n: True
) -> Iterator[Path]:
    """Stage a folder output and publish it whole::

        with staged_folder(out, owned=lambda n: n in OUTPUTS) as stage:
            ...  # write everything into stage
        # out now holds exactly the new output set (plus the entries it did not own)

    ``out_dir`` is checked first (:func:`check_folder`). On any exception, and on SIGINT/
    SIGTERM (:func:`checkpoint` before the publish), the stage is removed and ``out_dir`` is
    left as it was."""
    real = check_folder(out_dir, name, owned)
    published = False
    stage: Path | None = None
    created: list[Path] = []
    try:
        created = _make_folders(real.parent)
        stage = _track(
            Path(tempfile.mkdtemp(prefix=f".{real.name}.tmp-{os.getpid()}-", dir=real.parent))
        )
        yield stage
        checkpoint()  # a signal before this point: nothing is published
        if os.path.isdir(real):
            _carry(real, stage, owned)
            mode = stat.S_IMODE(os.stat(real).st_mode)
        else:
            mode = 0o777 & ~_umask()
        os.chmod(stage, mode)
        old = _publish(stage, real)
        published = _state.published = True
        _untrack(stage)
        stage = _track(old) if old is not None else None
    finally:
        if stage is not None and os.path.lexists(stage):
            _remove(stage)  # the unfinished stage, or the old output after the publish
            if os.path.lexists(stage):
                print(f"warning: could not remove {stage}", file=sys.stderr)
        _untrack(stage)
        if published:
            _forget_folders(created)
        else:
            _remove_folders(created)
