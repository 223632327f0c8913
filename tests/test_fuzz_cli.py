"""Fuzz the CLI's bad-input promise (issue 16) with real subprocesses.

The promise: bad input exits with code 2 and ONE stderr line ``error: <name or file>: <what>
(allowed ...)`` naming the parameter or file, no traceback, nothing written (no file left in
``--out`` or beside it on failure); exit codes are always 0 or 2 (1 only for a DRC / check
failure); memory stays bounded.

Every example runs ``python -m qkdchip.cli ...`` in a fresh folder under RLIMIT_AS (6 GiB) and a
60 s wall-clock limit (a timeout or MemoryError is a failure); see tests/fuzz_strategies.py.

- The fast part (default loop): the issue's explicit reproductions and a few dozen generated
  examples that should fail in argument validation, before any work.
- The slow part (``-m slow``): hundreds of examples across every command. ``QKDFUZZ_SCALE``
  (default 1) scales its example counts, e.g. ``QKDFUZZ_SCALE=0.1`` for a quick pass.
- ``QKDFUZZ_LOG=FILE``: a survey; every broken promise is appended to FILE (JSON lines) and the
  run goes on instead of stopping at the first failing example.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzz_strategies import (
    BINARY,
    DUPLICATE,
    LATIN1,
    NESTED_LISTS,
    SELF_REF,
    UTF16,
    Example,
    billion_laughs,
    combine,
    design_file,
    design_params,
    has_option,
    keyrate_example,
    numeric_params,
    out_path,
    run_example,
    set_item,
    set_items,
    words,
)

SCALE = float(os.environ.get("QKDFUZZ_SCALE", "1"))


#: no shrinking: every step is a subprocess; derandomized examples reproduce as they are
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


def fast(n: int):
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        phases=PHASES,
        suppress_health_check=list(HealthCheck),
    )


def slow(n: int):
    return settings(
        max_examples=max(1, round(n * SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        phases=PHASES,
        suppress_health_check=list(HealthCheck),
    )


def need_check() -> None:
    if not has_option("design", "--check"):
        pytest.skip("`qkdchip design --check` does not exist yet")


# ---------------------------------------------------------------------------------------------
# the explicit reproductions of the issue


@dataclass
class Repro:
    id: str
    args: list[str]
    names: tuple[str, ...] = ()  # one of them in the error line
    files: dict[str, bytes | None] = field(default_factory=dict)
    code: int | None = 2  # required exit code (None: 0 or 2)
    slow: bool = False
    timeout: float = 60.0


BUILD = ["build", "--out", "out", "--no-previews"]
NINES = "9" * 400

REPROS = [
    # keyrate: bad distance grids and an option that does not apply
    Repro("keyrate-grid-1e9", ["keyrate", "--protocol", "sns-aopp", "--distance-km", "0:1e9:1"], ("--distance-km", "distance")),
    Repro("keyrate-grid-1e-12", ["keyrate", "--protocol", "sns-aopp", "--distance-km", "0:1:1e-12"], ("--distance-km", "distance")),
    Repro("keyrate-grid-inf", ["keyrate", "--protocol", "sns-aopp", "--distance-km", "0:inf:10"], ("--distance-km", "distance")),
    Repro("keyrate-empty-item", ["keyrate", "--protocol", "sns-aopp", "--distance-km", "100,,200"], ("--distance-km", "distance")),
    Repro("keyrate-plob-mu-z", ["keyrate", "--protocol", "plob", "--distance-km", "100", "--mu-z", "3"], ("--mu-z", "mu_z")),
    Repro("keyrate-plot-txt", ["keyrate", "--protocol", "plob", "--distance-km", "100", "--plot", "x.txt"], ("x.txt",)),
    # build --set: non-finite, negative, huge, off-grid, jointly infeasible, labels
    Repro("set-n_modes-inf", [*BUILD, "--set", "comb.n_modes=inf"], ("comb.n_modes",)),
    Repro("set-n_modes-nan", [*BUILD, "--set", "comb.n_modes=nan"], ("comb.n_modes",)),
    Repro("set-seed-neg", [*BUILD, "--set", "comb.seed=-1"], ("comb.seed",)),
    Repro("set-clients-neg-inf", [*BUILD, "--set", "network.clients=-inf"], ("network.clients",)),
    Repro("set-gap-400-nines", [*BUILD, "--set", f"server.ring.gap_um={NINES}"], ("server.ring.gap_um",)),
    Repro("set-pm-off-grid", [*BUILD, "--set", "client.pm.length_um=1234.567"], ("client.pm.length_um",), code=None),
    Repro("set-bus_y-infeasible", [*BUILD, "--set", "server.die.bus_y_um=5000"], ("server.die.bus_y_um", "server.die.height_um")),
    Repro("set-label-300", [*BUILD, "--set", "server.die.label=" + "L" * 300], ("server.die.label",)),
    Repro("set-label-empty", [*BUILD, "--set", "server.die.label="], ("server.die.label",)),
    # design files
    Repro("yaml-billion-laughs", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": billion_laughs(26)}),
    Repro("yaml-billion-laughs-map", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": billion_laughs(26, mapping=True)}),
    Repro("yaml-self-ref", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": SELF_REF}),
    Repro("yaml-5000-lists", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": NESTED_LISTS}),
    Repro("yaml-binary", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": BINARY}),
    Repro("yaml-latin1", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": LATIN1}),
    Repro("yaml-utf16", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": UTF16}, code=None),
    Repro("yaml-directory", [*BUILD, "--design", "d.yml"], ("d.yml",), {"d.yml": None}),
    Repro("yaml-devnull", [*BUILD, "--design", "/dev/null"], ("/dev/null",), code=None),
    Repro("yaml-missing", [*BUILD, "--design", "nope.yml"], ("nope.yml",)),
    Repro("yaml-duplicate-keys", [*BUILD, "--design", "d.yml"], ("d.yml", "gap_um"), {"d.yml": DUPLICATE}),
    # output paths
    Repro("build-out-file-child", ["build", "--no-previews", "--out", "f.txt/sub"], ("f.txt",), {"f.txt": b"keep\n"}),
    Repro("build-out-existing-file", ["build", "--no-previews", "--out", "exists.txt"], ("exists.txt",), {"exists.txt": b"keep\n"}),
    Repro("build-out-devnull", ["build", "--no-previews", "--out", "/dev/null"], ("/dev/null",)),
    Repro("build-out-name-too-long", ["build", "--no-previews", "--out", "n" * 300], ("n" * 60,)),
    Repro("keyrate-plot-name-too-long", ["keyrate", "--protocol", "plob", "--distance-km", "100", "--plot", "n" * 300 + ".png"], ("n" * 60,)),
    Repro("simulate-out-name-too-long", ["simulate", "server", "--points", "3", "--out", "n" * 300 + ".npz"], ("n" * 60,)),
    Repro("simulate-out-folder", ["simulate", "server", "--points", "3", "--out", "x.npz"], ("x.npz",), {"x.npz": None}),
    Repro("simulate-plot-txt", ["simulate", "server", "--points", "3", "--plot", "p.txt"], ("p.txt",)),
    Repro("comb-plot-jpg", ["comb", "--plot", "p.jpg"], ("p.jpg",), code=None),  # a JPEG, or refused
    Repro("simulate-wl-max-inf", ["simulate", "server", "--points", "3", "--wl-max-nm", "inf"], ("--wl-max-nm", "wl_max")),
    Repro("simulate-points-abc", ["simulate", "server", "--points", "abc"], ("--points",)),
]  # fmt: skip


@pytest.mark.parametrize(
    "repro",
    [pytest.param(r, id=r.id, marks=[pytest.mark.slow]) for r in REPROS],
)
def test_issue_reproduction(repro: Repro):
    ex = Example(repro.args, repro.code == 2, repro.names, dict(repro.files), label=repro.id)
    run = run_example(ex, timeout=repro.timeout)
    if repro.code is not None:
        assert run.rc == repro.code, run.stderr[-800:]


# ---------------------------------------------------------------------------------------------
# fast: argument validation that fails early


@pytest.mark.slow
@fast(8)
@given(keyrate_example(cheap=True))
def test_fast_keyrate(ex: Example):
    run_example(ex)


@pytest.mark.slow
@fast(4)
@given(set_items(need_bad=True, max_size=3))
def test_fast_build_bad_set(items: Example):
    run_example(combine(BUILD, [items], label="build"))


@pytest.mark.slow
@fast(6)
@given(set_items(max_size=4))
def test_fast_design_check(items: Example):
    need_check()
    run_example(combine(["design", "--check"], [items], label="design --check"), timeout=60)


@pytest.mark.slow
@fast(4)
@given(design_file(name="fuzz-design.yml"))
def test_fast_design_file(ex: Example):
    cmd = ["design", "--check"] if has_option("design", "--check") else BUILD
    run_example(combine(cmd, [ex], label="design file"))


# ---------------------------------------------------------------------------------------------
# slow: every command


@pytest.mark.slow
@slow(300)
@given(keyrate_example(cheap=False), st.one_of(st.none(), out_path("plot")))
def test_slow_keyrate(ex: Example, plot: Example | None):
    parts = [ex] if plot is None else [ex, plot]
    run_example(combine([], parts, label="keyrate"))


@pytest.mark.slow
@slow(300)
@given(set_items(max_size=6))
def test_slow_design_check(items: Example):
    need_check()
    ex = combine(["design", "--check"], [items], label="design --check")
    ex.allow = frozenset({1})  # a check failure
    run_example(ex)


@pytest.mark.slow
@slow(150)
@given(
    st.one_of(st.none(), design_file(name="fuzz-design.yml")),
    set_items(min_size=0, max_size=5),
    out_path("folder"),
    st.booleans(),
)
def test_slow_build(dfile, items, out, json_out):
    parts = [p for p in (dfile, items, out) if p is not None]
    ex = combine(["build", "--no-previews", *(["--json"] if json_out else [])], parts, "build")
    ex.allow = frozenset({1})  # DRC violations
    run_example(ex)


@pytest.mark.slow
@slow(200)
@given(design_file(name="fuzz-design.yml"))
def test_slow_design_file(dfile: Example):
    cmd = ["design", "--check"] if has_option("design", "--check") else BUILD
    ex = combine(cmd, [dfile], label="design file")
    ex.allow = frozenset({1})
    run_example(ex)


CELLS = ["inp_mzm", "inp_straight", "sin_ring_bus", "sin_straight", "inp_voa", "inp_mmi2x2"]
BAD_TARGETS = ["nosuchcell", "", "Server", "../server", "server.npz", "日本", "x" * 300, "-"]
WL = ["1549", "1551", "1500", "1600", "1549.5", "0", "-1", "inf", "-inf", "nan", "1e308", "abc", "", "9" * 400]  # fmt: skip
POINTS = ["2", "3", "5", "1", "0", "-1", "2.5", "abc", "", "1e3", "10000001", "9" * 400, "1000000000"]  # fmt: skip


@st.composite
def simulate_example(draw) -> Example:
    target = draw(st.sampled_from(["server", "client", *CELLS, *BAD_TARGETS]))
    parts = [Example([target], target in BAD_TARGETS, (target,) if target else ())]
    lo = draw(st.sampled_from(WL))
    hi = draw(st.sampled_from(WL))
    pts = draw(st.sampled_from(POINTS))
    try:
        wl_ok = 1500 <= float(lo) < float(hi) <= 1600
    except ValueError:
        wl_ok = False
    try:
        pts_ok = 2 <= int(pts) <= 2001
    except ValueError:
        pts_ok = False
    parts.append(
        Example(
            ["--wl-min-nm", lo, "--wl-max-nm", hi], not wl_ok, ("--wl-min-nm", "--wl-max-nm", "wl")
        )
    )
    if not wl_ok:
        parts[-1].bad = None  # bounds of the models' range not known: checked by the promise
    pts_bad = None if pts in ("1e3", "1") else not pts_ok
    parts.append(Example(["--points", pts], pts_bad, ("--points", "points")))
    if target in ("server", "client"):
        parts.append(draw(set_items(prefixes=(target,), min_size=0, max_size=2)))
    elif draw(st.booleans()):
        kw = draw(st.sampled_from(["length_um", "width_um", "split_ratio", "nosuch", "gap_um"]))
        val = draw(st.sampled_from(["100", "-1", "inf", "nan", "abc", "", "1e308"]))
        parts.append(Example(["--set", f"{kw}={val}"], False, (kw,)))
    if draw(st.booleans()):
        parts.append(draw(out_path("file", (".npz", ".csv"))))
    if draw(st.integers(0, 3)) == 0:
        parts.append(draw(out_path("plot")))
    ex = combine(["simulate"], parts, label="simulate")
    ex.bad = any(p.bad is True for p in parts)
    return ex


@pytest.mark.slow
@slow(80)
@given(simulate_example())
def test_slow_simulate(ex: Example):
    run_example(ex)


@pytest.mark.slow
@slow(40)
@given(
    set_items(prefixes=("server", "comb"), min_size=0, max_size=3, need_bad=True),
    st.one_of(st.none(), out_path("plot")),
    st.one_of(st.none(), design_file(name="fuzz-design.yml")),
)
def test_slow_comb(items, plot, dfile):
    parts = [p for p in (items, plot, dfile) if p is not None]
    run_example(combine(["comb"], parts, label="comb"))


DIST = ["370", "0", "100", "-1", "nan", "inf", "1e308", "abc", "", "20001", "9" * 400]
SEEDS = ["0", "1", "-1", "4294967296", "abc", "1.5", "9" * 400]


@st.composite
def network_example(draw) -> Example:
    parts = []
    d = draw(st.sampled_from(DIST))
    parts.append(
        Example(["--distance-km", d], d not in ("370", "0", "100"), ("--distance-km", "distance"))
    )
    if draw(st.booleans()):
        p = draw(
            st.one_of(
                st.sampled_from(["sns-aopp", "sns", "pm", "tf", "cal", "plob", "", "bb84"]), words
            )
        )
        parts.append(
            Example(
                ["--protocol", p],
                p not in ("sns-aopp", "sns", "pm", "tf", "cal"),
                ("--protocol", "protocol"),
            )
        )
    if draw(st.booleans()):
        s = draw(st.sampled_from(SEEDS))
        parts.append(Example(["--seed", s], s not in ("0", "1"), ("--seed", "seed")))
    if draw(st.booleans()):
        m = draw(st.sampled_from(["sequential", "simultaneous", "", "both"]))
        parts.append(Example(["--mode", m], m in ("", "both"), ("--mode", "mode")))
    parts.append(draw(set_items(prefixes=("link", "network", "comb"), min_size=0, max_size=2)))
    if draw(st.booleans()):
        parts.append(draw(out_path("plot")))
    if not any(p.bad for p in parts) and draw(st.integers(0, 3)):
        # bias to bad input: a valid run costs ~10 s
        parts.append(draw(set_item(prefixes=("link", "network"), only_bad=True)))
    return combine(["network"], parts, label="network")


@pytest.mark.slow
@slow(40)
@given(network_example())
def test_slow_network(ex: Example):
    run_example(ex)


METRICS = ["min_ratio", "mean_ratio", "key_channels", "capability_km"]
GRIDS_N = ["2", "1", "0", "-1", "2.5", "abc", "inf", "1000000000", "2001", "9" * 400]


@st.composite
def sweep_example(draw) -> Example:
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        p = draw(
            st.sampled_from(
                [
                    *numeric_params(),
                    *[q for q in design_params() if not isinstance(q["value"], int | float)],
                ]
            )
        )
        name = p["name"]
        if p in numeric_params():
            lo, hi = p["min"], p["max"]
            a = draw(
                st.sampled_from(
                    [repr(lo + (hi - lo) / 4), repr(lo - 1 - abs(lo)), "nan", "inf", "abc", ""]
                )
            )
            b = draw(
                st.sampled_from(
                    [repr(lo + (hi - lo) / 2), repr(hi + 1 + abs(hi)), "-inf", "9" * 400]
                )
            )
        else:
            a, b = "0", "1"
        n = draw(st.sampled_from(GRIDS_N))
        ok = (
            p in numeric_params()
            and a == repr(lo + (hi - lo) / 4)
            and b == repr(lo + (hi - lo) / 2)
            and n in ("2", "1")
            and isinstance(p["value"], float)
        )
        parts.append(
            Example(
                ["--set", f"{name}={a}:{b}:{n}"],
                False if ok else None,
                (name,),
                label="ok" if ok else "",
            )
        )
        if (
            not isinstance(p["value"], int | float)
            or n in ("0", "-1", "2.5", "abc", "inf", "9" * 400)
            or a in ("nan", "inf", "abc", "")
            or b in ("-inf",)
        ):
            parts[-1].bad = True
    parts.append(draw(set_items(min_size=0, max_size=2)))
    m = draw(st.one_of(st.sampled_from(METRICS), st.sampled_from(["", "nosuch", "MIN_RATIO"])))
    parts.append(Example(["--metric", m], m not in METRICS, ("--metric", "metric")))
    if draw(st.booleans()):
        parts.append(draw(out_path("plot")))
    ex = combine(["sweep"], parts, label="sweep")
    ex.bad = any(p.bad is True for p in parts)
    if not ex.bad and draw(st.integers(0, 3)):  # bias to bad input: a valid sweep costs ~10 s
        ex = combine(
            ["sweep"], [*parts, Example(["--metric", "nosuch"], True, ("--metric",))], "sweep"
        )
    return ex


@pytest.mark.slow
@slow(60)
@given(sweep_example())
def test_slow_sweep(ex: Example):
    run_example(ex)


@st.composite
def drc_example(draw) -> Example:
    kind = draw(
        st.sampled_from(["text", "binary", "folder", "missing", "devnull", "empty", "yaml"])
    )
    files: dict[str, bytes | None] = {}
    path = "chip.gds"
    if kind == "text":
        files[path] = b"not a gds\n"
    elif kind == "binary":
        files[path] = draw(st.binary(min_size=1, max_size=4000))
    elif kind == "folder":
        files[path] = None
    elif kind == "devnull":
        path = "/dev/null"
    elif kind == "empty":
        files[path] = b""
    elif kind == "yaml":
        files[path] = SELF_REF
    parts = [Example([path], True, (path,), files, label=f"drc:{kind}")]
    if draw(st.booleans()):
        proc = draw(st.sampled_from(["sin", "inp", "", "gaas", "SIN"]))
        parts.append(
            Example(["--process", proc], proc not in ("sin", "inp"), ("--process", "process"))
        )
    if draw(st.booleans()):
        parts.append(Example(["--json"]))
    return combine(["drc"], parts, label=f"drc:{kind}")


@pytest.mark.slow
@slow(40)
@given(drc_example())
def test_slow_drc(ex: Example):
    run_example(ex)


@pytest.mark.slow
@slow(20)
@given(
    set_items(min_size=1, max_size=3, need_bad=True),
    st.one_of(st.none(), out_path("folder")),
    st.sampled_from([[], ["--seed", "-1"], ["--seed", "abc"], ["--seed", "3"]]),
)
def test_slow_run_bad_input(items, out, seed):
    seed_part = Example(seed, bool(seed) and seed[1] != "3", ("--seed", "seed"))
    parts = [p for p in (items, out, seed_part) if p is not None]
    run_example(combine(["run"], parts, label="run"), timeout=120)


@pytest.mark.slow
@slow(60)
@given(
    st.lists(set_item(), min_size=1, max_size=3),
    st.sampled_from(["--set", "--design", "--out", "--plot", "--points", "--nosuch"]),
)
def test_slow_option_shapes(items, dangling):
    """Repeated and dangling options (an option without its value at the end)."""
    ex = combine(["build", "--no-previews", "--out", "out"], items, label="shapes")
    ex.args.append(dangling)
    ex.bad = True
    ex.names = (dangling,)
    ex.allow = frozenset()
    run_example(ex)
