"""Helpers of the CLI fuzz suite (tests/test_fuzz_cli.py): a subprocess runner under resource
limits, the check of the bad-input promise, and hypothesis strategies over CLI arguments and
design files.

The promise (issue 16): bad input exits with code 2 and ONE stderr line
``error: <name or file>: <what> (allowed ...)`` naming the parameter or file, no traceback,
nothing written (no file left in ``--out`` or beside it); exit codes are always 0 or 2 (1 only
for a DRC / check failure); memory stays bounded.

Every strategy draws a :class:`Example`: the argument list, the files to create first in the
example's fresh folder, whether the input is known to be bad (``bad``: exit 2 required), the
names one of which the error line must contain (``names``; empty: not checked) and the exit
codes allowed besides 0 and 2 (``allow``).
"""

from __future__ import annotations

import functools
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "qkdchip.cli"]
MEM_LIMIT = 6 << 30  # RLIMIT_AS of every run (bytes)
TIMEOUT_S = 60.0

# ---------------------------------------------------------------------------------------------
# running one example


@dataclass
class Run:
    args: list[str]
    rc: int | None  # None: timed out (killed)
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.rc is None


def _limits(mem_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_cli(
    args: list[str],
    cwd: Path,
    timeout: float = TIMEOUT_S,
    mem_bytes: int = MEM_LIMIT,
) -> Run:
    """``python -m qkdchip.cli ARGS`` in ``cwd``, under RLIMIT_AS and a wall-clock timeout (the
    whole process group is killed on timeout)."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
            "TERM": "dumb",
            "NO_COLOR": "1",
            "COLUMNS": "120",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [*CLI, *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limits(mem_bytes),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        rc: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        rc = None
    return Run(
        args,
        rc,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        time.monotonic() - t0,
    )


def listing(folder: Path) -> dict[str, tuple]:
    """Every path under ``folder`` (relative) with its kind, size and mtime."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath, name)
            try:
                s = p.lstat()
            except OSError:
                continue
            kind = "d" if p.is_dir() and not p.is_symlink() else "f"
            out[str(p.relative_to(folder))] = (kind, 0 if kind == "d" else s.st_size, s.st_mtime_ns)
    return out


# ---------------------------------------------------------------------------------------------
# an example and the promise


@dataclass
class Example:
    args: list[str]
    bad: bool | None = False  # True: known bad (exit 2 required); None: outcome not known
    names: tuple[str, ...] = ()  # the error line must contain one of these (on exit 2)
    files: dict[str, bytes | None] = field(default_factory=dict)  # None: a folder
    allow: frozenset[int] = frozenset()  # exit codes allowed besides 0 and 2
    label: str = ""

    def __repr__(self) -> str:  # short, for hypothesis' falsifying-example report
        shown = [a if len(a) <= 80 else f"{a[:60]}...<{len(a)} chars>" for a in self.args]
        files = {k: (None if v is None else f"<{len(v)} bytes>") for k, v in self.files.items()}
        return (
            f"Example({self.label or ''} args={shown!r}, bad={self.bad}, "
            f"names={[n[:60] for n in self.names]!r}, files={files!r})"
        )


def combine(cmd: list[str], parts: Iterable[Example], label: str = "") -> Example:
    """One example from a command and several argument parts: bad if any part is bad; the
    error line must name one of the parts that are bad or of unknown outcome; files and allowed
    codes merged."""
    parts = list(parts)
    bad_parts = [p for p in parts if p.bad is True]
    maybe = [p for p in parts if p.bad is not False]
    names = tuple(n for p in maybe for n in p.names) if bad_parts else ()
    files: dict[str, bytes | None] = {}
    allow: set[int] = set()
    args = list(cmd)
    for p in parts:
        args += p.args
        files.update(p.files)
        allow |= p.allow
    return Example(args, bool(bad_parts), names, files, frozenset(allow), label)


def make_files(folder: Path, files: dict[str, bytes | None]) -> None:
    for rel, data in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            p.mkdir(exist_ok=True)
        else:
            p.write_bytes(data)


def problems(ex: Example, run: Run, before: dict, after: dict) -> list[str]:
    """What of the promise ``run`` broke (empty: kept)."""
    out: list[str] = []
    err = run.stderr
    if run.timed_out:
        out.append(f"timed out after {run.seconds:.0f} s")
        return out
    allowed = {0, 2} | set(ex.allow)
    if run.rc not in allowed:
        out.append(f"exit code {run.rc} not in {sorted(allowed)}")
    if "Traceback" in err:
        out.append("traceback on stderr")
    if "MemoryError" in err or "RecursionError" in err:
        out.append("MemoryError/RecursionError")
    if ex.bad is True and run.rc != 2:
        out.append(f"known-bad input exited {run.rc}, not 2")
    if run.rc == 2:
        lines = err.strip("\n").split("\n") if err.strip() else []
        if len(lines) != 1:
            out.append(f"stderr has {len(lines)} lines, not 1")
        elif not lines[0].startswith("error:"):
            out.append("stderr line does not start with 'error:'")
        elif ex.names and not any(n in lines[0] for n in ex.names):
            out.append(f"error line names none of {[n[:60] for n in ex.names]}")
    if run.rc not in (0, 1) and before != after:
        new = sorted(set(after) - set(before))
        changed = sorted(k for k in set(after) & set(before) if after[k] != before[k])
        gone = sorted(set(before) - set(after))
        out.append(
            f"folder changed on failure: new {new[:5]} changed {changed[:5]} gone {gone[:5]}"
        )
    return out


def run_example(ex: Example, base: Path | None = None, timeout: float = TIMEOUT_S) -> Run:
    """Run ``ex`` in a fresh folder and assert the promise."""
    with tempfile.TemporaryDirectory(prefix="qkdfuzz-", dir=base) as tmp:
        folder = Path(tmp)
        make_files(folder, ex.files)
        before = listing(folder)
        run = run_cli(ex.args, folder, timeout=timeout)
        after = listing(folder)
    bad = problems(ex, run, before, after)
    log = os.environ.get("QKDFUZZ_LOG")
    if log and bad:  # survey mode (QKDFUZZ_LOG=FILE): record the broken promise and go on
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {
                        "label": ex.label,
                        "args": [a if len(a) <= 80 else a[:60] + f"...<{len(a)}>" for a in ex.args],
                        "files": {
                            k: None if v is None else v[:80].decode("latin-1")
                            for k, v in ex.files.items()
                        },
                        "problems": bad,
                        "rc": run.rc,
                        "seconds": round(run.seconds, 1),
                        "stderr": run.stderr[-600:],
                    }
                )
                + "\n"
            )
        return run
    assert not bad, (
        f"{'; '.join(bad)}\n  example: {ex!r}\n  exit {run.rc} in {run.seconds:.1f} s"
        f"\n  stderr (tail): {run.stderr[-1500:]!r}"
    )
    return run


# ---------------------------------------------------------------------------------------------
# the design parameters (from `qkdchip design --json`, once)


@functools.cache
def design_params() -> list[dict]:
    r = run_cli(["design", "--json"], REPO, timeout=120)
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout)


@functools.cache
def has_option(command: str, option: str) -> bool:
    r = run_cli([command, "--help"], REPO, timeout=60)
    return option in r.stdout


def numeric_params() -> list[dict]:
    return [
        p
        for p in design_params()
        if isinstance(p["value"], int | float)
        and not isinstance(p["value"], bool)
        and p["min"] is not None
        and p["max"] is not None
    ]


# ---------------------------------------------------------------------------------------------
# values

HUGE = ["1e308", "-1e308", "1e999", "-1e999", "9" * 400, "-" + "9" * 400, "1" + "0" * 400]
NONFINITE = ["inf", "-inf", "nan", ".inf", "-.inf", ".nan", "Infinity", "-Infinity", "NaN"]
NOT_NUMBERS = [
    "",
    "abc",
    "x" * 10_000,
    "1,5",
    "1..2",
    "0x1G",
    "[1, 2]",
    "{a: 1}",
    "null",
    "~",
    "true",
    "false",
    "yes",
    "'2.0'x",
    "€",
    "日本語",
    "Ω" * 300,
    "2um",
    "1e",
    "--",
    ": :",
]
_YAML_WORDS = {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", "inf", "infinity",
}  # fmt: skip


def _is_plain_word(s: str) -> bool:
    try:
        float(s)
        return False
    except ValueError:
        return s.lower() not in _YAML_WORDS


#: words that are not numbers (letters of several scripts)
words = st.from_regex(r"\A[A-Za-zÀ-ɏα-ωЀ-ӿ一-龥]{1,40}\Z").filter(_is_plain_word)


def _fmt(x: float | int) -> str:
    return str(x) if isinstance(x, int) else repr(float(x))


def _outside(p: dict) -> list[str]:
    lo, hi = p["min"], p["max"]
    is_int = isinstance(p["value"], int)
    if is_int:
        vals = [int(lo) - 1, int(hi) + 1, int(hi) * 10 + 7]
    else:
        d_lo = max(abs(lo) * 1e-6, 1e-9)
        d_hi = max(abs(hi) * 1e-6, 1e-9)
        vals = [lo - d_lo, hi + d_hi, hi * 2 + 1, lo - 1]
    for x in (0, -1, -1e-3, 10**12):
        if not lo <= x <= hi:
            vals.append(x)
    out = [_fmt(v) for v in vals]
    out += [h for h in HUGE if h.lstrip("-").strip("0") and (h.startswith("-") or hi < 1e300)]
    return out


def numeric_value(p: dict) -> st.SearchStrategy[tuple[str, bool | None]]:
    """(text, bad) for numeric parameter ``p``: bad True / False (in range: may still fail
    jointly) / None (a boundary or a number in some other spelling: unknown)."""
    lo, hi = p["min"], p["max"]
    is_int = isinstance(p["value"], int)
    bad = st.one_of(
        st.sampled_from(_outside(p)),
        st.sampled_from(NONFINITE),
        st.sampled_from(NOT_NUMBERS),
        words,
    ).map(lambda s: (s, True))
    if is_int:
        bad_int = st.just(_fmt(lo + 0.5)) if hi - lo >= 1 else st.nothing()
        inside = st.integers(int(lo), int(hi)).map(lambda v: (str(v), False))
        bad = st.one_of(bad, bad_int.map(lambda s: (s, True)))
    else:
        inside = st.floats(lo, hi, allow_nan=False, exclude_min=True, exclude_max=True).map(
            lambda v: (repr(v), False)
        )
    edge = st.sampled_from([_fmt(lo), _fmt(hi), f"{lo:e}", f" {_fmt(hi)} "]).map(
        lambda s: (s, None)
    )
    return st.one_of(bad, inside, edge)


def text_value(p: dict) -> st.SearchStrategy[tuple[str, bool | None]]:
    name = p["name"]
    if name.endswith(".label"):
        bad = st.sampled_from(["", "L" * 300, "x" * 10_000]).map(lambda s: (s, True))
        other = st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=40,
        ).map(lambda s: (s, None))
        return st.one_of(bad, other, st.just(("MY CHIP 1", False)))
    if name == "network.protocol":
        good = st.sampled_from(["sns", "sns-aopp", "pm", "tf", "cal"]).map(lambda s: (s, False))
        return st.one_of(
            good, st.sampled_from(["plob", "SNS ", "", "bb84", "1"]).map(_bad), words.map(_bad)
        )
    if name == "network.mode":
        good = st.sampled_from(["sequential", "simultaneous"]).map(lambda s: (s, False))
        return st.one_of(good, st.sampled_from(["", "both", "1"]).map(_bad), words.map(_bad))
    return st.one_of(
        st.just((str(p["value"]), False)),
        st.sampled_from(["", "x" * 10_000]).map(lambda s: (s, None)),
    )


def _bad(s: str) -> tuple[str, bool]:
    return (s, True)


def bool_value(p: dict) -> st.SearchStrategy[tuple[str, bool | None]]:
    return st.one_of(
        st.sampled_from(["true", "false"]).map(lambda s: (s, False)),
        st.sampled_from(["2", "abc", "", "[true]", "nan"]).map(_bad),
    )


def param_value(p: dict) -> st.SearchStrategy[tuple[str, bool | None]]:
    v = p["value"]
    if isinstance(v, bool):
        return bool_value(p)
    if isinstance(v, int | float) and p["min"] is not None and p["max"] is not None:
        return numeric_value(p)
    if v == "auto" and p["min"] is not None:  # derived unless set: "auto" or a number in range
        numbers = numeric_value(p).filter(lambda tv: tv[0].strip() != "auto")
        return st.one_of(st.just(("auto", False)), numbers)
    if isinstance(v, int | float):  # no range (e.g. comb.seed): numbers and non-numbers
        return st.one_of(
            st.integers(0, 2**31).map(lambda i: (str(i), False)),
            st.sampled_from(NONFINITE + NOT_NUMBERS[:8] + ["1.5", "-1"]).map(lambda s: (s, None)),
            st.sampled_from(HUGE).map(lambda s: (s, None)),
        )
    return text_value(p)


UNKNOWN_NAMES = [
    "server.ring.gapum",
    "server.ring.gap_um.x",
    "server.ring",
    "server",
    "foo.bar",
    "comb.n_mode",
    "network.clients ",
    "Server.ring.gap_um",
    "server..ring.gap_um",
    "ünïcode.param",
    "a" * 300,
    "link.upstream_a_km.extra",
]


def set_item(
    prefixes: tuple[str, ...] | None = None, only_bad: bool = False
) -> st.SearchStrategy[Example]:
    """One ``--set NAME=VALUE`` (an Example holding the two arguments)."""

    @st.composite
    def known(draw) -> Example:
        ps = [p for p in design_params() if prefixes is None or p["name"].split(".")[0] in prefixes]
        p = draw(st.sampled_from(ps))
        text, bad = draw(
            param_value(p).filter(lambda tv: tv[1] is True) if only_bad else param_value(p)
        )
        ex = Example(["--set", f"{p['name']}={text}"], bad, (p["name"],))
        ex.label = "" if bad is not False else "ok"
        return ex

    unknown = st.builds(
        lambda n, v: Example(["--set", f"{n}={v}"], True, (n.strip(),)),
        st.sampled_from(UNKNOWN_NAMES),
        st.sampled_from(["1", "2.5", "abc"]),
    )
    malformed = st.sampled_from(["server.ring.gap_um", "noequals", "=", "=2", " = "]).map(
        lambda item: Example(["--set", item], True, (item.strip(" =") or "--set", "--set"))
    )
    return st.one_of(known(), known(), known(), unknown, malformed)


@st.composite
def set_items(draw, prefixes=None, min_size=1, max_size=4, need_bad=False) -> Example:
    """Several ``--set`` items, names possibly repeated (refused, or the last one wins: a bad
    value overridden later makes the example's outcome unknown)."""
    items = draw(st.lists(set_item(prefixes), min_size=min_size, max_size=max_size))
    if draw(st.booleans()) and items:  # repeat a name with another value
        first = items[0]
        name = first.args[1].split("=", 1)[0]
        p = next((q for q in design_params() if q["name"] == name), None)
        if p is not None:
            text, bad = draw(param_value(p))
            items.append(Example(["--set", f"{name}={text}"], bad, (name,)))
    if need_bad and not any(i.bad is True for i in items):
        items.append(draw(set_item(prefixes, only_bad=True).filter(lambda e: e.bad is True)))
    # last-wins: a name whose last value is fine but an earlier one bad -> unknown outcome
    last: dict[str, Example] = {}
    for it in items:
        last[it.args[1].split("=", 1)[0]] = it
    repeated = len(last) < len(items)
    ex = combine([], items)
    if repeated:  # refused (naming the name) or last-wins
        ex.bad = True if any(it.bad is True for it in last.values()) else None
        ex.names = tuple(n for it in items if it.bad is not False for n in it.names)
        ex.names += tuple(it.args[1].split("=", 1)[0] for it in items)
    return ex


# ---------------------------------------------------------------------------------------------
# design files


def billion_laughs(levels: int = 26, mapping: bool = False, under: str = "server") -> bytes:
    lines = []
    if mapping:
        lines.append("l0: &l0 {x: 1, y: 1}")
        for i in range(1, levels):
            lines.append(f"l{i}: &l{i} {{x: *l{i - 1}, y: *l{i - 1}}}")
        lines.append(f"{under}: *l{levels - 1}")
    else:
        lines.append("l0: &l0 [" + ", ".join(['"lol"'] * 9) + "]")
        for i in range(1, levels):
            lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
        lines.append(f"{under}:\n  ring:\n    gap_um: *l{levels - 1}")
    return ("\n".join(lines) + "\n").encode()


SELF_REF = b"server: &a\n  ring: *a\n"
NESTED_LISTS = ("[" * 5000 + "]" * 5000 + "\n").encode()
NESTED_MAPS = ("server: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n").encode()
NESTED_BLOCK = "".join(f"{'  ' * i}k{i}:\n" for i in range(3000)).encode() + b"  " * 3000 + b"1\n"
DUPLICATE = b"server:\n  ring:\n    gap_um: 2.0\n    gap_um: 3.0\n"
DUPLICATE_TOP = b"server:\n  ring:\n    gap_um: 2.0\nserver:\n  ring:\n    width_um: 2.5\n"
LATIN1 = "server:\n  die:\n    label: Caf\xe9 \xb5m\n".encode("latin-1")
UTF16 = "server:\n  ring:\n    gap_um: 2.5\n".encode("utf-16")
BINARY = b"\x80\x81\xfe\x00\x01server\x00\xff" * 8


def nested_tree(items: dict[str, str], split: Iterable[bool]) -> str:
    """YAML text of ``items`` (dotted name -> value text), each nested or dotted."""
    tree: dict = {}
    flat: list[str] = []
    for (name, value), nest in zip(items.items(), split, strict=False):
        if nest:
            node = tree
            parts = name.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    break
            else:
                node[parts[-1]] = value
                continue
        flat.append(f"{json.dumps(name)}: {_yaml_value(value)}")

    def emit(node: dict, indent: int) -> list[str]:
        out = []
        for k, v in node.items():
            if isinstance(v, dict):
                out.append(f"{'  ' * indent}{k}:")
                out += emit(v, indent + 1)
            else:
                out.append(f"{'  ' * indent}{k}: {_yaml_value(v)}")
        return out

    return "\n".join([*emit(tree, 0), *flat]) + "\n"


def _yaml_value(text: str) -> str:
    """A value text as it would be typed in a YAML file (quoted when it is not a scalar)."""
    if text == "" or any(c in text for c in ":#{}[],&*!|>'\"%@`\n") or text != text.strip():
        return json.dumps(text)
    return text


@st.composite
def design_file(draw, name: str = "design.yml") -> Example:
    """A ``--design FILE`` argument and the file (or folder, or nothing) behind it."""
    kind = draw(
        st.sampled_from(
            [
                "tree", "tree", "tree", "laughs", "laughs-map", "self-ref", "nested-lists",
                "nested-maps", "nested-block", "duplicate", "duplicate-top", "latin1", "utf16",
                "binary", "random-bytes", "folder", "missing", "devnull", "empty", "scalar",
                "list", "python-tag", "binary-tag", "null-key", "int-key", "bom",
            ]
        )
    )  # fmt: skip
    fname = name
    files: dict[str, bytes | None] = {}
    bad: bool | None = True
    names: tuple[str, ...] = (fname,)
    if kind == "tree":
        ps = draw(
            st.lists(
                st.sampled_from(design_params()),
                min_size=1,
                max_size=6,
                unique_by=lambda p: p["name"],
            )
        )
        values = {}
        bads = []
        unknowns = []  # values that may or may not be refused: their names may be the one named
        for p in ps:
            text, b = draw(param_value(p))
            values[p["name"]] = text
            if b is True:
                bads.append(p["name"])
            elif b is None:
                unknowns.append(p["name"])
        unknown = bool(unknowns)
        if draw(st.integers(0, 5)) == 0:
            n = draw(st.sampled_from(UNKNOWN_NAMES[:6]))
            values[n] = "1"
            bads.append(n)
        split = draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
        files[fname] = nested_tree(values, split).encode()
        bad = True if bads else (None if unknown else False)
        names = (*bads, *unknowns, fname) if bads else (*values, fname) if unknown else ()
    elif kind == "laughs":
        files[fname] = billion_laughs(draw(st.integers(20, 26)))
    elif kind == "laughs-map":
        files[fname] = billion_laughs(draw(st.integers(20, 26)), mapping=True)
    elif kind == "self-ref":
        files[fname] = SELF_REF
    elif kind == "nested-lists":
        files[fname] = NESTED_LISTS
    elif kind == "nested-maps":
        files[fname] = NESTED_MAPS
    elif kind == "nested-block":
        files[fname] = NESTED_BLOCK
    elif kind == "duplicate":
        files[fname] = DUPLICATE
        names = (fname, "gap_um")
    elif kind == "duplicate-top":
        files[fname] = DUPLICATE_TOP
        names = (fname, "server")
    elif kind == "latin1":
        files[fname] = LATIN1
    elif kind == "utf16":
        files[fname] = UTF16
        bad = None  # may be read (BOM) or refused: either way the promise holds
    elif kind == "binary":
        files[fname] = BINARY
    elif kind == "random-bytes":
        files[fname] = b"\xff\x80" + draw(st.binary(max_size=2000))
    elif kind == "folder":
        files[fname] = None
    elif kind == "missing":
        pass
    elif kind == "devnull":
        fname = "/dev/null"
        names = (fname,)
        bad = None  # an empty design, or refused as not a regular file
    elif kind == "empty":
        files[fname] = b""
        bad = False
    elif kind == "scalar":
        files[fname] = b"42\n"
    elif kind == "list":
        files[fname] = b"- server.ring.gap_um: 2.5\n"
    elif kind == "python-tag":
        files[fname] = b"server: !!python/object/apply:os.system ['touch pwned']\n"
    elif kind == "binary-tag":
        files[fname] = b"server:\n  ring:\n    gap_um: !!binary aGVsbG8=\n"
        names = (fname, "server.ring.gap_um")
    elif kind == "null-key":
        files[fname] = b"~: 1\n"
        names = (fname, "None", "null", "~")
    elif kind == "int-key":
        files[fname] = b"1: 2\n"
        names = (fname, "'1'")
    elif kind == "bom":
        files[fname] = b"\xef\xbb\xbfserver:\n  ring:\n    gap_um: 2.5\n"
        bad = None
    return Example(["--design", fname], bad, names, files, label=f"design:{kind}")


# ---------------------------------------------------------------------------------------------
# keyrate

#: option -> (lo, hi, lo_open, hi_open, integer, names accepted in the error line)
KEYRATE_OPTIONS: dict[str, tuple] = {
    "--fibre-loss-db-per-km": (0.0, 10.0, False, False, False, ("fibre-loss", "fibre_loss", "fiber-loss")),
    "--eta-det": (0.0, 1.0, True, False, False, ("eta-det", "eta_det")),
    "--dark-count-prob": (0.0, 0.1, False, False, False, ("dark-count", "dark_count")),
    "--misalignment": (0.0, 0.5, False, False, False, ("misalignment",)),
    "--f-ec": (1.0, 3.0, False, False, False, ("f-ec", "f_ec")),
    "--mu1": (0.0, 5.0, True, False, False, ("mu1", "mu_1")),
    "--mu2": (0.0, 5.0, True, False, False, ("mu2", "mu_2")),
    "--eps": (0.0, 1.0, True, True, False, ("eps",)),
    "--p-z": (0.0, 1.0, True, False, False, ("p-z", "p_z")),
    "--phase-window-rad": (0.0, math.pi, False, False, False, ("phase-window", "phase_window")),
    "--phase-rms-rad": (0.0, 100.0, False, False, False, ("phase-rms", "phase_rms")),
    "--phase-slices": (2, 1024, False, False, True, ("phase-slices", "phase_slices")),
    "--mu-vacuum": (0.0, 1.0, False, True, False, ("mu-vacuum", "mu_vacuum")),
    "--extinction-ratio-db": (10.0, 100.0, False, False, False, ("extinction", "ratio_db")),
    "--pulses": (1e3, 1e22, False, False, False, ("pulses",)),
    "--clock-rate-hz": (0.0, 1e15, True, False, False, ("clock-rate", "clock_rate")),
    "--duty-cycle": (0.0, 1.0, True, False, False, ("duty-cycle", "duty_cycle")),
}  # fmt: skip
PROTOCOLS = ["plob", "sns", "sns-aopp", "pm", "tf", "cal"]
#: options that do not apply to plob (given with plob: refused, per the issue's --mu-z example)
PLOB_FOREIGN = ["--mu-z", "--mu1", "--mu2", "--eps", "--p-z", "--phase-slices", "--pulses"]


@st.composite
def keyrate_option(draw) -> Example:
    opt = draw(st.sampled_from(sorted(KEYRATE_OPTIONS)))
    lo, hi, lo_open, hi_open, is_int, names = KEYRATE_OPTIONS[opt]
    names = (opt, *names)
    choice = draw(st.integers(0, 5))
    if choice == 0:  # inside
        if is_int:
            v = str(draw(st.integers(lo, hi)))
        else:
            v = repr(draw(st.floats(lo, hi, exclude_min=True, exclude_max=True)))
        return Example([opt, v], False, names, label="ok")
    if choice == 1:  # the ends: open ones are bad
        end, is_open = draw(st.sampled_from([(lo, lo_open), (hi, hi_open)]))
        return Example([opt, _fmt(end)], is_open, names)  # closed end: fine
    outside = [_fmt(lo - max(abs(lo) * 1e-6, 1e-9)), _fmt(hi * (1 + 1e-6) + 1e-9), "-1", "1e308"]
    if is_int:
        outside = [str(lo - 1), str(hi + 1), "2.5", "1e3"]
    pool = outside + NONFINITE[:3] + ["abc", "", "x" * 5000, "日本", "1e999", "9" * 400, "--"]
    return Example([opt, draw(st.sampled_from(pool))], True, names)


GOOD_DISTANCES = ["100", "0,100,200", "0:600:200", "370", " 50 , 60 ", "0:10:5", "1e2"]
BAD_DISTANCES = [
    "0:1e9:1",
    "0:1:1e-12",
    "0:inf:10",
    "100,,200",
    "-5",
    "-10:10:5",
    "10:0:1",
    "0:100:0",
    "0:100:-1",
    "nan",
    "inf",
    "100,nan",
    "0:100",
    "0:100:10:5",
    "",
    ",",
    ":",
    "abc",
    "1e308",
    "9" * 400,
    "0:1e308:1e300",
    "1e-300:1e308:1e-300",
    "0:" + "9" * 400 + ":1",
    # (a list of > 100,000 points cannot be one argv item: Linux caps one argument at 128 KiB,
    # so the grid-size limit is exercised by the start:stop:step forms above)
    "１００",
    "100km",
]


@st.composite
def keyrate_example(draw, cheap: bool = True) -> Example:
    parts: list[Example] = []
    protocol = draw(
        st.one_of(
            st.sampled_from(PROTOCOLS),
            st.sampled_from(["", "SNS", "bb84", "sns_aopp", "plob "]),
            words,
        )
    )
    prot_ok = protocol in PROTOCOLS
    parts.append(Example(["--protocol", protocol], not prot_ok, ("--protocol", "protocol")))
    if draw(st.integers(0, 2)) == 0:
        d = draw(st.sampled_from(GOOD_DISTANCES))
        parts.append(Example(["--distance-km", d], False, ("--distance-km", "distance")))
    else:
        d = draw(st.sampled_from(BAD_DISTANCES))
        parts.append(Example(["--distance-km", d], True, ("--distance-km", "distance")))
    for opt in draw(st.lists(keyrate_option(), max_size=3)):
        parts.append(opt)
    if prot_ok:  # an option the protocol does not read is refused by name
        from qkdchip.commands.keyrate import _OPTIONAL, _PROTOCOL_OPTIONS

        for i, p in enumerate(parts):
            name = p.args[0].removeprefix("--").replace("-", "_") if p.args else ""
            if name in _OPTIONAL and name not in _PROTOCOL_OPTIONS[protocol]:
                parts[i] = Example(p.args, True, p.names, label=p.label)
    if protocol == "plob" and draw(st.booleans()):
        opt = draw(st.sampled_from(PLOB_FOREIGN))
        parts.append(Example([opt, "0.5" if opt != "--phase-slices" else "16"], True, (opt,)))
    if not cheap and draw(st.booleans()):
        parts.append(Example(["--optimize"]))
    if draw(st.integers(0, 3)) == 0:
        parts.append(Example(["--json"]))
    ex = combine(["keyrate"], parts, label="keyrate")
    if cheap and not ex.bad:
        ex.args = [a for a in ex.args if a != "--optimize"]
    # a repeated option takes the last value: if an earlier one was bad, outcome unknown
    opts = [p.args[0] for p in parts if p.args and p.args[0].startswith("--")]
    if len(opts) != len(set(opts)):  # refused (naming it) or last-wins
        last = {p.args[0]: p for p in parts if p.args}
        ex.bad = True if any(p.bad is True for p in last.values()) else None
        ex.names = tuple(n for p in parts if p.bad is not False for n in p.names) + tuple(opts)
    return ex


# ---------------------------------------------------------------------------------------------
# output paths


@st.composite
def out_path(draw, kind: str, suffixes: tuple[str, ...] = ()) -> Example:
    """An output option: ``kind`` is "folder" (build --out), "file" (simulate --out:
    ``suffixes`` allowed) or "plot" (PNG). Bad ones name the path."""
    opt = "--plot" if kind == "plot" else "--out"
    good_suffixes = (".png",) if kind == "plot" else suffixes
    case = draw(
        st.sampled_from(
            [
                "good", "file-child", "existing-file", "devnull", "folder-as-file",
                "wrong-suffix", "long-name", "no-suffix", "nested-new",
            ]
        )
    )  # fmt: skip
    files: dict[str, bytes | None] = {}
    bad: bool | None = True
    if case == "good":
        path = "out" if kind == "folder" else f"res{draw(st.sampled_from(good_suffixes))}"
        bad = False
    elif case == "nested-new":
        path = "a/b/out" if kind == "folder" else f"a/b/res{draw(st.sampled_from(good_suffixes))}"
        bad = False
    elif case == "file-child":
        files["f.txt"] = b"keep\n"
        path = "f.txt/sub" if kind == "folder" else f"f.txt/res{good_suffixes[0]}"
    elif case == "existing-file":
        if kind == "folder":
            files["exists.txt"] = b"keep\n"
            path = "exists.txt"
        else:  # overwriting an existing output file is allowed
            path = f"old{good_suffixes[0]}"
            files[path] = b"old\n"
            bad = False
    elif case == "devnull":
        path = "/dev/null"
        bad = True if kind == "folder" else None  # a file output may go to /dev/null
    elif case == "folder-as-file":
        if kind == "folder":
            path = "out"
            files["out"] = None  # an existing folder is fine for build
            bad = False
        else:
            path = f"x{good_suffixes[0]}"
            files[path] = None
    elif case == "wrong-suffix":
        wrong = [
            s
            for s in (".txt", ".jpg", ".pdf", ".json", ".npz", ".csv", ".PNG.txt")
            if s not in good_suffixes
        ]
        suffix = draw(st.sampled_from(wrong))
        path = "p" + suffix
        if kind == "folder":
            bad = False  # a folder may be called anything
        elif kind == "plot" and suffix in (".jpg", ".pdf"):
            bad = None  # other image formats may be written
    elif case == "long-name":
        path = "n" * 300 + (good_suffixes[0] if kind != "folder" else "")
    else:  # no-suffix
        path = "result"
        if kind == "folder":
            bad = False
    names = (path.split("/")[0] if case == "file-child" else Path(path).name or path, path)
    if case == "long-name":
        names = (path[:60], opt)
    return Example([opt, path], bad, names, files, label=f"{opt}:{case}")
