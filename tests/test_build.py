"""The build pipeline: DRC-clean masks, byte-identical rebuilds, nothing written on failure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from qkdchip import design as design_mod
from qkdchip.build import MASKS, build

EXPECTED = {f"{stem}.gds" for stem in MASKS}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    import gdsfactory as gf

    # register some layers in an odd order first, as an unrelated earlier build might: the
    # written bytes must not depend on the process's layer registration order
    for layer in [(96, 0), (30, 0), (13, 0), (25, 0), (1, 0), (95, 0)]:
        gf.kcl.layout.layer(*layer)
    out = tmp_path_factory.mktemp("gds")
    result = build(out, previews=True)
    return out, result


def test_all_masks_written_and_drc_clean(built):
    out, result = built
    assert result.drc_violations == 0
    names = {p.name for p in out.iterdir()}
    assert EXPECTED <= names
    assert {"manifest.json", "qkdchip_sin.lyp", "qkdchip_inp.lyp"} <= names
    assert {f"{stem}.png" for stem in MASKS} <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == EXPECTED
    for f in manifest["files"]:
        assert f["drc_violations"] == 0, f
        assert len(f["sha256"]) == 64
        x0, y0, x1, y1 = f["bbox_um"]
        assert x1 > x0 and y1 > y0
    client = next(f for f in manifest["files"] if f["path"] == "client_chip.gds")
    x0, y0, x1, y1 = client["bbox_um"]
    assert (round(x1 - x0, 3), round(y1 - y0, 3)) == (4600.0, 2000.0)
    assert not [p for p in out.iterdir() if p.name.startswith(".qkdchip-build-")]


def test_rebuild_in_a_fresh_process_is_byte_identical(built, tmp_path):
    out, _ = built
    code = (
        "import sys; from qkdchip.build import build; build(sys.argv[1], previews=False, drc=False)"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    for name in EXPECTED:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_a_design_change_changes_the_masks(built, tmp_path):
    out, _ = built
    design = design_mod.load(None, ["client.pm.length_um=1100", "server.ring.gap_um=2.6"])
    build(tmp_path, design, previews=False, drc=True)
    for name in EXPECTED:
        assert (tmp_path / name).read_bytes() != (out / name).read_bytes(), name


def test_failed_build_leaves_nothing(tmp_path, monkeypatch):
    import qkdchip.build as b

    def boom(component, path):
        if path.name.startswith("client"):
            raise RuntimeError("disk full")
        return b.write_gds.__wrapped__(component, path)

    boom.__wrapped__ = b.write_gds  # type: ignore[attr-defined]
    monkeypatch.setattr(b, "write_gds", boom)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk full"):
        b.build(out, previews=False, drc=False)
    assert list(out.iterdir()) == []


def test_cli_bad_override_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "o"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "qkdchip.cli",
            "build",
            "--out",
            str(out),
            "--set",
            "server.ring.gap_um=0.01",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "server.ring.gap_um" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
