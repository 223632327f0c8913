"""Output paths, atomic writes, whole-folder publishing and signals (issue 16, part 3).

Every output path is checked before any work (exit 2, one line, nothing written); files are
written all-or-nothing; ``build`` and ``run`` publish their folder in one rename and keep the
previous output on failure, SIGINT (exit 130) and SIGTERM (exit 143), leaving no temporary
folder; a killed run's temporary folders are removed by the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qkdchip.base import outputs
from qkdchip.cli import app

runner = CliRunner()

SWEEP = ["sweep", "--set", "link.fibre_loss_db_per_km=0.16:0.2:3"]
KEYRATE = ["keyrate", "--protocol", "pm", "--distance-km", "100"]
#: every command with a --plot, as it is invoked
PLOTTING = {
    "simulate": ["simulate", "inp_mzm", "--points", "3"],
    "comb": ["comb"],
    "keyrate": KEYRATE,
    "network": ["network"],
    "sweep": SWEEP,
}


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def assert_refused(res, *words: str) -> str:
    """Exit 2 with one line ``error: ...`` on stderr naming ``words``."""
    assert res.exit_code == 2, res.output
    err = res.stderr
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, err
    return err


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones too) -> bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """Temporary entries beside ``folder`` and inside it."""
    beside = [p.name for p in folder.parent.glob(f".{folder.name}.*")]
    inside = [p.name for p in folder.glob(".qkdchip-build-*")] if folder.is_dir() else []
    return beside + inside


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.txt").write_text("a file\n")
    return tmp_path


@contextlib.contextmanager
def read_only(path: Path):
    """Make the folder ``path`` read-only for this process: chmod 0o500 for a user; root
    ignores modes, so there the folder is made immutable (``chattr +i``), which ``os.access``
    and every write honour."""
    if os.geteuid() != 0:
        mode = stat.S_IMODE(path.stat().st_mode)
        path.chmod(0o500)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root (chmod is ignored) and chattr is not installed")
    if subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip(f"running as root (chmod is ignored) and {path} cannot be made immutable")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --------------------------------------------------------------------------------------------
# paths are checked before any work


def test_build_out_below_a_file_is_refused_before_any_work(in_tmp):
    err = assert_refused(invoke("build", "--out", "f.txt/sub"), "--out f.txt/sub", "'f.txt'")
    assert "not a folder" in err and "(allowed " in err
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt"]


@pytest.mark.parametrize("target", ["f.txt", "/dev/null"])
def test_build_out_an_existing_file_or_device_is_refused(in_tmp, target):
    assert_refused(invoke("build", "--out", target), f"--out {target}", "not a folder")
    assert (in_tmp / "f.txt").read_text() == "a file\n"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt"]


def test_run_out_below_a_file_is_refused_before_any_work(in_tmp):
    assert_refused(invoke("run", "--out", "f.txt/sub"), "--out f.txt/sub", "not a folder")
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt"]


def test_folder_outputs_refuse_the_current_folder_and_its_parents(in_tmp):
    assert_refused(invoke("build", "--out", "."), "current folder")
    assert_refused(invoke("run", "--out", ".."), "current folder")


def test_simulate_out_that_is_a_folder_is_refused_and_leaves_no_temp(in_tmp):
    (in_tmp / "x.npz").mkdir()
    assert_refused(invoke("simulate", "inp_mzm", "--out", "x.npz"), "--out x.npz", "is a folder")
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt", "x.npz"]
    assert list((in_tmp / "x.npz").iterdir()) == []


@pytest.mark.parametrize("command", sorted(PLOTTING))
def test_plot_below_a_file_is_refused_in_every_command(in_tmp, command):
    assert_refused(
        invoke(*PLOTTING[command], "--plot", "f.txt/p.png"), "--plot f.txt/p.png", "not a folder"
    )
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt"]


@pytest.mark.parametrize("command", sorted(PLOTTING))
def test_plot_suffix_must_name_a_format_in_every_command(in_tmp, command):
    err = assert_refused(invoke(*PLOTTING[command], "--plot", "p.txt"), "--plot p.txt", "'.txt'")
    assert ".png" in err and ".pdf" in err
    assert not (in_tmp / "p.txt").exists()


def test_simulate_out_and_a_bad_plot_write_neither(in_tmp):
    assert_refused(
        invoke("simulate", "inp_mzm", "--points", "3", "--out", "ok.npz", "--plot", "f.txt/p.png"),
        "--plot f.txt/p.png",
    )
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt"]


def test_simulate_out_and_plot_are_written_together_or_not_at_all(in_tmp, monkeypatch):
    import qkdchip.commands.simulate as sim

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(sim, "plot_sparams", boom)
        res = invoke("simulate", "inp_mzm", "--points", "3", "--out", "ok.npz", "--plot", "p.png")
    assert isinstance(res.exception, RuntimeError)
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt"]  # no ok.npz, no temp file
    res = invoke("simulate", "inp_mzm", "--points", "3", "--out", "ok.npz", "--plot", "p.svg")
    assert res.exit_code == 0, res.output
    assert (in_tmp / "p.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt", "ok.npz", "p.svg"]


def test_missing_folders_of_an_output_are_created_when_written(in_tmp):
    res = invoke(*KEYRATE, "--plot", "figs/deep/rate.pdf")
    assert res.exit_code == 0, res.output
    assert (in_tmp / "figs/deep/rate.pdf").read_bytes().startswith(b"%PDF")


def test_keyrate_plot_is_written_atomically(in_tmp, monkeypatch):
    import matplotlib.figure

    old = in_tmp / "rate.png"
    old.write_bytes(b"old plot")

    def half_then_fail(self, fname, **_kw):
        if hasattr(fname, "write"):
            fname.write(b"half a PNG")
        else:
            Path(fname).write_bytes(b"half a PNG")
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(matplotlib.figure.Figure, "savefig", half_then_fail)
        res = invoke(*KEYRATE, "--plot", "rate.png")
    assert isinstance(res.exception, OSError)
    assert old.read_bytes() == b"old plot"
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt", "rate.png"]
    assert invoke(*KEYRATE, "--plot", "rate.png").exit_code == 0
    assert old.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [
        (".png", b"\x89PNG"),
        (".jpg", b"\xff\xd8\xff"),
        (".pdf", b"%PDF"),
        (".svg", b"<?xml"),
        (".eps", b"%!PS"),
        (".tiff", b"II*\x00"),
    ],
)
def test_figures_are_written_in_the_format_their_suffix_names_reproducibly(tmp_path, suffix, magic):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def draw(path):
        fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
        ax.plot([0, 1], [1, 0])
        return outputs.save_figure(fig, path)

    a, b = draw(tmp_path / f"a{suffix}"), draw(tmp_path / f"b{suffix}")
    assert a.read_bytes().startswith(magic)
    assert a.read_bytes() == b.read_bytes()  # no date, no random ids
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a{suffix}", f"b{suffix}"]


def test_unwritable_folders_are_refused_before_any_work(tmp_path, monkeypatch):
    """The rule itself (os.access), for root as for a user."""
    ro = (tmp_path / "ro").resolve()
    ro.mkdir()
    real_access = os.access

    def access(path, mode, **kw):
        if Path(path) == ro and mode & os.W_OK:
            return False
        return real_access(path, mode, **kw)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(outputs.OutputPathError, match="is not writable"):
        outputs.check_file(ro / "p.png", "--plot", outputs.FIGURE_SUFFIXES)
    with pytest.raises(outputs.OutputPathError, match="is not writable"):
        outputs.check_folder(ro / "new" / "out", "--out")
    with pytest.raises(outputs.OutputPathError, match="is not writable"):
        outputs.check_folder(ro, "--out")


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--out", "{ro}/masks"],
        ["simulate", "inp_mzm", "--points", "3", "--out", "{ro}/s.npz"],
        ["comb", "--plot", "{ro}/comb.png"],
        ["run", "--out", "{ro}/job"],
    ],
    ids=["build", "simulate", "comb", "run"],
)
def test_a_read_only_folder_is_refused_before_any_work(tmp_path, args):
    ro = tmp_path / "ro"
    ro.mkdir()
    with read_only(ro):
        t0 = time.perf_counter()
        res = invoke(*(a.format(ro=ro) for a in args))
        assert_refused(res, "is not writable", str(ro))
        assert time.perf_counter() - t0 < 20  # refused up front, not after the work
    assert list(ro.iterdir()) == []


def test_run_into_a_previous_run_with_read_only_masks_is_refused_and_keeps_it(tmp_path):
    out = tmp_path / "job"
    (out / "masks").mkdir(parents=True)
    (out / "figures").mkdir()
    (out / "masks" / "manifest.json").write_text('{"files": []}\n')
    (out / "figures" / "old.png").write_bytes(b"old figure")
    (out / "results.json").write_text("{}\n")
    before = snapshot(out)
    with read_only(out / "masks"):
        assert_refused(invoke("run", "--out", out), "masks", "is not writable")
    assert snapshot(out) == before
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------
# files all-or-nothing, folders published whole


def test_fileset_replaces_every_file_or_none(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    with pytest.raises(RuntimeError), outputs.FileSet() as files:
        files.temp(a).write_text("new a")
        files.temp(b).write_text("new b")
        raise RuntimeError("the second step failed")
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    with outputs.FileSet() as files:
        files.temp(a).write_text("new a")
        files.temp(b).write_text("new b")
    assert a.read_text() == "new a" and b.read_text() == "new b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def _old_output(out: Path) -> None:
    (out / "examples").mkdir(parents=True)
    (out / ".gitkeep").write_text("")
    (out / "examples" / "mine.py").write_text("print('kept')\n")
    (out / "report.md").write_text("old report\n")
    (out / "figures").mkdir()
    (out / "figures" / "stale.png").write_bytes(b"a figure the new run does not write")


OWNED = {"report.md", "figures", "results.json"}.__contains__


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_staged_folder_publishes_exactly_the_new_output_set(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda _a, _b: False)
    out = tmp_path / "out"
    _old_output(out)
    kept_inode = (out / "examples" / "mine.py").stat().st_ino
    with outputs.staged_folder(out, "--out", OWNED) as stage:
        assert stage.parent == tmp_path and stage.name.startswith(f".out.tmp-{os.getpid()}-")
        (stage / "report.md").write_text("new report\n")
        (stage / "figures").mkdir()
        (stage / "figures" / "new.png").write_bytes(b"new")
    assert sorted(snapshot(out)) == [".gitkeep", "examples/mine.py", "figures/new.png", "report.md"]
    assert (out / "report.md").read_text() == "new report\n"
    assert (out / "examples" / "mine.py").stat().st_ino == kept_inode  # carried as a hard link
    assert leftovers(out) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_staged_folder_keeps_the_old_output_on_failure(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda _a, _b: False)
    out = tmp_path / "out"
    _old_output(out)
    before = snapshot(out)
    with pytest.raises(RuntimeError), outputs.staged_folder(out, "--out", OWNED) as stage:
        (stage / "report.md").write_text("new report\n")
        raise RuntimeError("a late step failed")
    assert snapshot(out) == before
    assert leftovers(out) == []
    # a publish that fails at its last rename puts the old folder back
    real_rename = os.rename

    def rename(src, dst):
        if Path(src).name.startswith(".out.tmp-"):
            raise OSError("rename failed")
        return real_rename(src, dst)

    with monkeypatch.context() as m, pytest.raises(OSError, match="rename failed"):
        m.setattr(outputs, "_exchange", lambda _a, _b: False)
        m.setattr(os, "rename", rename)
        with outputs.staged_folder(out, "--out", OWNED) as stage:
            (stage / "report.md").write_text("new report\n")
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_a_signal_before_the_publish_keeps_the_old_output(tmp_path):
    out = tmp_path / "out"
    _old_output(out)
    before = snapshot(out)
    handler = signal.getsignal(signal.SIGTERM)
    with outputs.signals_handled():
        with pytest.raises(outputs.Interrupted) as info:
            with outputs.staged_folder(out, "--out", OWNED) as stage:
                (stage / "report.md").write_text("new report\n")
                os.kill(os.getpid(), signal.SIGTERM)  # recorded, not raised
                time.sleep(0.01)
                (stage / "results.json").write_text("{}\n")  # the step goes on to its end
        assert info.value.exit_code == 143
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert signal.getsignal(signal.SIGTERM) is handler  # restored


def test_stale_temporaries_of_a_dead_process_are_removed_on_the_next_start(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = dead_pid()
    stale = [
        tmp_path / f".out.tmp-{dead}-abcd1234",  # a killed run's stage
        tmp_path / f".p.png.tmp-{dead}-0123abcd.png",  # a killed write of p.png
    ]
    stale[0].mkdir()
    (stale[0] / "half.gds").write_bytes(b"partial")
    stale[1].write_bytes(b"partial")
    alive = tmp_path / ".out.tmp-1-abcd1234"  # pid 1 is alive: not ours to remove
    alive.mkdir()
    foreign = tmp_path / ".out.tmp-backup"  # not our pattern
    foreign.mkdir()
    outputs.check_folder(out, "--out")
    outputs.check_file(tmp_path / "p.png", "--plot", outputs.FIGURE_SUFFIXES)
    assert not stale[0].exists() and not stale[1].exists()
    assert alive.exists() and foreign.exists()
    # a publish killed between its two renames: the old folder is put back
    shutil.rmtree(out)
    aside = tmp_path / f".out.old-{dead}-abcd1234"
    aside.mkdir()
    (aside / "report.md").write_text("old\n")
    outputs.check_folder(out, "--out")
    assert (out / "report.md").read_text() == "old\n" and not aside.exists()


def test_run_failing_late_keeps_the_previous_run_and_leaves_no_stage(tmp_path, monkeypatch):
    import qkdchip.build
    from qkdchip import report

    def fake_masks(folder, design, **_kw):
        (Path(folder) / "manifest.json").write_text('{"files": []}\n')
        return [], {}

    def boom(*_a, **_k):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(qkdchip.build, "write_masks", fake_masks)
    monkeypatch.setattr(report.figures, "plot_client", boom)
    out = tmp_path / "job"
    _old_output(out)
    before = snapshot(out)
    with pytest.raises(RuntimeError, match="simulated failure"):
        report.run(out)
    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.slow
def test_build_without_previews_leaves_exactly_the_new_output_set(tmp_path):
    from qkdchip.build import build

    out = tmp_path / "masks"
    build(out, previews=True, drc=False)
    assert len(list(out.glob("*.png"))) == 4
    (out / ".gitkeep").write_text("")
    (out / "examples").mkdir()
    (out / "examples" / "ring.gds").write_bytes(b"someone else's")
    build(out, previews=False, drc=False)
    assert not list(out.glob("*.png"))  # the old previews are gone
    man = json.loads((out / "manifest.json").read_text())
    written = {f["path"] for f in man["files"]} | {
        f["ports_csv"] for f in man["files"] if "ports_csv" in f
    }
    assert written | {"manifest.json", "qkdchip_sin.lyp", "qkdchip_inp.lyp"} | {
        ".gitkeep",
        "examples",
    } == {p.name for p in out.iterdir()}
    assert (out / "examples" / "ring.gds").read_bytes() == b"someone else's"
    assert leftovers(out) == []


@pytest.mark.slow
def test_comb_plot_jpg_is_a_jpeg(tmp_path):
    res = invoke("comb", "--plot", tmp_path / "comb.jpg", "--json")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "comb.jpg").read_bytes()[:3] == b"\xff\xd8\xff"


# --------------------------------------------------------------------------------------------
# signals, for real: a subprocess, SIGINT / SIGTERM, the previous output intact


def _start(args: list[str], out: Path, cwd: Path) -> subprocess.Popen:
    """Start ``qkdchip ARGS`` and return once its stage folder beside ``out`` exists (the
    handlers are installed by then)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qkdchip.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    while not list(out.parent.glob(f".{out.name}.tmp-{proc.pid}-*")):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the command never started staging"
        time.sleep(0.05)
    return proc


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory):
    """A previous ``run`` folder whose masks are current (the next run reuses them and is in
    the JAX steps within seconds) plus files of an older report."""
    from qkdchip.build import build
    from qkdchip.design import Design
    from qkdchip.report.masks import build_key

    out = tmp_path_factory.mktemp("prev") / "job"
    build(out / "masks", previews=True, drc=True)
    (out / "masks" / "build_key.txt").write_text(build_key(Design()) + "\n")
    (out / "figures").mkdir()
    (out / "figures" / "client_sparams.png").write_bytes(b"old figure")
    (out / "report.md").write_text("old report\n")
    (out / "results.json").write_text('{"old": true}\n')
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "delay"),
    [(signal.SIGINT, 1.0), (signal.SIGINT, 3.0), (signal.SIGTERM, 2.0)],
    ids=["SIGINT-1s", "SIGINT-3s", "SIGTERM-2s"],
)
def test_run_interrupted_exits_130_or_143_and_keeps_the_previous_run(previous_run, sig, delay):
    out = previous_run
    before = snapshot(out)
    proc = _start(["run", "--out", str(out)], out, out.parent)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 128 + sig, err
    assert "interrupted" in err and "Traceback" not in err and "Exception ignored" not in err
    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_build_interrupted_exits_130_or_143_and_keeps_the_previous_masks(
    previous_run, tmp_path, sig
):
    out = tmp_path / "masks"
    shutil.copytree(previous_run / "masks", out)
    before = snapshot(out)
    proc = _start(["build", "--out", str(out)], out, tmp_path)
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 128 + sig, err
    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.slow
def test_a_killed_build_is_cleaned_up_by_the_next_start(previous_run, tmp_path):
    out = tmp_path / "masks"
    shutil.copytree(previous_run / "masks", out)
    before = snapshot(out)
    proc = _start(["build", "--out", str(out)], out, tmp_path)
    time.sleep(0.5)
    proc.kill()
    proc.communicate(timeout=60)
    assert leftovers(out)  # SIGKILL cannot be handled: its stage is left ...
    assert snapshot(out) == before  # ... but the previous masks are intact
    outputs.check_folder(out, "--out")  # what every build and run does first
    assert leftovers(out) == []


@pytest.mark.slow
def test_run_interrupted_twice_stops_at_once_and_cleans_up(previous_run):
    out = previous_run
    before = snapshot(out)
    proc = _start(["run", "--out", str(out)], out, out.parent)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "twice" in err
    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--out", "n" * 300],
        ["run", "--out", "d/" + "n" * 260 + "/sub"],
        [*KEYRATE, "--plot", "n" * 300 + ".png"],
        ["simulate", "inp_mzm", "--out", "n" * 230 + ".npz"],  # fits, but its temp would not
    ],
    ids=["build", "run", "keyrate", "simulate"],
)
def test_a_name_too_long_for_the_file_system_is_refused(in_tmp, args):
    assert_refused(invoke(*args), "n" * 60, "too long", "(allowed up to")
    assert sorted(p.name for p in in_tmp.iterdir()) == ["f.txt"]
