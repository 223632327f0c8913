"""``qkdchip run``: the main job writes a complete, reproducible report, atomically."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qkdchip import report
from qkdchip.cli import app
from qkdchip.commands.network import result_json
from qkdchip.design import Design, validate
from qkdchip.report import masks
from qkdchip.report.pipeline import REPORT_SAMPLES
from qkdchip.sims.network import model

from figure_checks import (
    check_client,
    check_labels,
    check_rate_vs_distance,
    check_server,
    recording_figures,
)

#: end-to-end runs (subprocesses, the whole pipeline): `make test-all` / CI
pytestmark = pytest.mark.slow

runner = CliRunner()

FIGURES = (
    "client_sparams.png",
    "server_sparams.png",
    "comb_spectrum.png",
    "rate_vs_distance.png",
    "ratio_to_plob.png",
    "uncertainty.png",
)


#: matplotlib snapshots of every figure the module's run saved (tests/figure_checks.py)
RECORDED: dict[str, dict] = {}


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    steps: list[str] = []
    with recording_figures() as seen:
        res = report.run(out, Design(), progress=lambda key, _desc: steps.append(key))
    RECORDED.update(seen)
    return out, res, steps


def test_run_writes_the_report_figures_and_masks(job):
    out, _res, steps = job
    assert steps == [k for k, _ in report.STEPS]
    for name in FIGURES:
        assert (out / "figures" / name).stat().st_size > 10_000, name
    man = json.loads((out / "masks" / "manifest.json").read_text())
    assert len(man["files"]) == 4
    assert all(f["drc_violations"] == 0 for f in man["files"])
    text = (out / "report.md").read_text()
    for name in FIGURES:
        assert f"figures/{name}" in text
    for f in man["files"]:
        assert f"masks/{f['preview']}" in text
    assert "## Network at 370 km" in text
    assert "model assumptions" in text
    # the assumptions that explain the ratio: attenuation and vacuum in, the duty cycle out
    assert "**Fibre attenuation.**" in text and "**Modulators' vacuum level.**" in text
    assert "**Operation.**" not in text and "duty cycle is not among them" in text
    assert "## The unpublished parameters under uncertainty" in text
    assert "**What the published figures imply.**" in text
    assert not list(out.parent.glob(".out.tmp-*"))  # the staging folder is gone


def test_results_json_holds_the_network_and_the_checks(job):
    out, _res, _ = job
    data = json.loads((out / "results.json").read_text())
    assert {"design", "checks", "masks", "client_chip", "server_chip", "comb", "network"} <= set(
        data
    )
    net = data["network"]
    assert net["distance_km"] == 370.0
    assert net["networking_capability_km"] == 3700.0
    assert len(net["channels"]) == 10
    assert data["checks"]["every_channel_beats_PLOB"] is True
    # the X QBER is computed from its contributors and compared, never fitted to the range
    lo, hi = net["summary"]["qber_x_range"]
    ref_lo, ref_hi = report.REFERENCE["qber_x"]
    assert data["checks"]["X_QBER_in_reference_range"] is (ref_lo <= lo and hi <= ref_hi)
    assert all(sum(c["qber_x_budget"].values()) == pytest.approx(1.0) for c in net["channels"])
    assert data["checks"]["capability_3700_km"] is True
    assert data["comb"]["state"] == "dark_pulse"
    assert data["client_chip"]["insertion_loss_db"] > 0
    assert len(net["curves"]["channels"]) == 10
    assert len(data["model_assumptions"]) == len(report.sensitivity_variants())
    u = data["uncertainty"]
    assert u["samples"] == REPORT_SAMPLES and set(u["sensitivity"]) == set(u["parameters"])
    assert 0.0 <= u["consistent_with_reference"]["fraction"] <= 1.0
    for ch in net["channels"]:
        lo, mid, hi = ch["ratio_to_plob_band"]
        assert 0.0 <= lo <= mid <= hi
    timings = json.loads((out / "timings.json").read_text())
    assert timings["total"] > 0


def test_rerun_is_byte_identical_and_reuses_the_masks(job):
    out, _res, _ = job
    before = (out / "results.json").read_bytes(), (out / "report.md").read_bytes()
    html = (out / "report.html").read_bytes()
    again = report.run(out, Design())
    assert "masks (reused)" in again.timings_s
    assert (out / "results.json").read_bytes() == before[0]
    assert (out / "report.md").read_bytes() == before[1]
    assert (out / "report.html").read_bytes() == html  # figures embedded: byte-reproducible too


def test_the_cli_run_forks_its_second_process_and_writes_the_same_bytes(job, tmp_path):
    """``qkdchip run`` (a fresh process: the second process forked after the preloaded
    imports) and one process with everything inline (one CPU: no second process) write the
    results.json and report.md of the module's run, byte for byte."""
    import subprocess
    import sys

    out, _res, _ = job
    exe = str(Path(sys.executable).with_name("qkdchip"))
    cli = subprocess.run(
        [exe, "-v", "run", "--out", str(tmp_path / "cli")], capture_output=True, text=True
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert "second process: fork" in cli.stderr
    code = (
        "import sys; from qkdchip.sims.network import background as b; b._cpus = lambda: 1; "
        "from qkdchip import report; from qkdchip.design import Design; "
        "r = report.run(sys.argv[1], Design()); "
        "assert not any('second process' in k for k in r.timings_s), r.timings_s"
    )
    inline = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "inline")], capture_output=True, text=True
    )
    assert inline.returncode == 0, inline.stderr[-2000:]
    for name in ("results.json", "report.md"):
        want = (out / name).read_bytes()
        assert (tmp_path / "cli" / name).read_bytes() == want, name
        assert (tmp_path / "inline" / name).read_bytes() == want, name


def test_a_failing_step_leaves_nothing_behind(tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(report.figures, "plot_client", boom)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="simulated failure"):
        report.run(out, Design())
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_report_says_why_channels_have_no_key():
    net = model.simulate_network(validate({"server.ring.gap_um": 3.5}))
    text = "\n".join(report.network_markdown(result_json(net)))
    assert "Channels without key, and why" in text
    assert text.count("not locked") >= 10
    assert "no key" in text


def test_cli_run_bad_input_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", "--out", str(out), "--set", "server.ring.gap_um=99"])
    assert res.exit_code == 2 and res.stderr.startswith("error: server.ring.gap_um")
    res = runner.invoke(app, ["run", "--out", str(out), "--set", "network.mode=parallel"])
    assert res.exit_code == 2 and "network.mode" in res.stderr
    assert not out.exists()
    f = tmp_path / "file"
    f.write_text("x")
    res = runner.invoke(app, ["run", "--out", str(f)])
    assert res.exit_code == 2


def test_layout_hash_reads_the_installed_layout_packages():
    """The mask cache key hashes the layout code where Python imports it from (the source tree
    in an editable install, site-packages from a wheel), found through the import system."""
    import qkdchip.circuits
    import qkdchip.pdk

    sources = masks.layout_sources()
    names = [n for n, _ in sources]
    assert len(names) == len(set(names)) > 20
    for module in masks.LAYOUT_MODULES:
        assert any(n.startswith(module + "/") for n in names), module
    assert any(n.startswith("qkdchip.pdk/sin/data/") and n.endswith(".csv") for n in names)
    pkg_dirs = [Path(m.__file__).parent for m in (qkdchip.pdk, qkdchip.circuits)]
    for name, path in sources:
        assert path.is_file(), name
        if name.startswith(("qkdchip.pdk/", "qkdchip.circuits/")):
            assert any(path.is_relative_to(d) for d in pkg_dirs), path
    assert masks.layout_hash() == masks.layout_hash(sources)


def test_layout_hash_and_build_key_change_with_a_layout_file(tmp_path, monkeypatch):
    """A copy of the layout sources stands in for the installed ones: editing one file of the
    copy changes the hash and the masks' build key; restoring it restores both."""
    real_hash = masks.layout_hash()
    copies = []
    for name, path in masks.layout_sources():
        dest = tmp_path / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        copies.append((name, dest))
    monkeypatch.setattr(masks, "layout_sources", lambda: copies)
    before_hash, before_key = masks.layout_hash(), masks.build_key(Design())
    assert before_hash == real_hash  # same names, same contents
    target = next(p for n, p in copies if n.startswith("qkdchip.components/") and n.endswith(".py"))
    original = target.read_bytes()
    target.write_bytes(original + b"\n# an edit of the layout code\n")
    assert masks.layout_hash() != before_hash
    assert masks.build_key(Design()) != before_key
    target.write_bytes(original)
    assert masks.layout_hash() == before_hash
    assert masks.build_key(Design()) == before_key
    with pytest.raises(RuntimeError, match="no layout source files"):
        masks.layout_hash([])


def test_report_html_opens_in_headless_chromium(job, tmp_path):
    """report.html beside report.md: in a real browser every figure is decoded (naturalWidth
    > 0), every link resolves, the tables are there; a screenshot is saved."""
    from browser import chromium_or_skip, open_page

    chromium_or_skip()
    out, _res, _ = job
    page = out / "report.html"
    html = page.read_text()
    assert "figures/" not in html.split("<main>", 1)[1]  # every figure embedded, none linked
    shot = tmp_path / "report_html.png"
    seen = open_page(page, shot)
    n_previews = len(json.loads((out / "masks" / "manifest.json").read_text())["files"])
    assert len(seen["images"]) == len(FIGURES) + n_previews
    assert all(i["natural_width"] > 0 and i["src"].startswith("data:image/png;base64,")
               for i in seen["images"]), seen["images"]  # fmt: skip
    assert seen["links"] and all(link["ok"] for link in seen["links"]), seen["links"]
    for heading in ("Summary", "Masks", "Network at 370 km", "Client dies"):
        assert heading in seen["text"]
    assert "A10-B10" in seen["text"]  # the channel table
    assert shot.stat().st_size > 50_000


def test_every_report_figure_has_labelled_axes(job):
    out, _res, _ = job
    check_labels(RECORDED, out / "figures")


def test_rate_vs_distance_shows_band_extremes_bounds_and_operating_distance(job):
    _out, res, _ = job
    check_rate_vs_distance(RECORDED["rate_vs_distance.png"], res.network)


def test_server_figure_extinction_equals_the_reported_one(job):
    _out, res, _ = job
    depths = check_server(RECORDED["server_sparams.png"], res.results["server_chip"])
    assert len(depths) == 4


def test_client_figure_shows_the_reported_extinction_and_voa_range(job):
    _out, res, _ = job
    check_client(RECORDED["client_sparams.png"], res.results["client_chip"])
