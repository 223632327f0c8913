"""The build pipeline: DRC-clean masks, byte-identical rebuilds, nothing written on failure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from qkdchip import design as design_mod
from qkdchip.build import MASKS, build, sha256

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


#: chip GDS -> (process, module, cell function)
CHIPS = {
    "client_chip": ("inp", "qkdchip.circuits.client_chip", "client_chip"),
    "server_chip": ("sin", "qkdchip.circuits.server_chip", "server_chip"),
}

#: run in a fresh process: the ports gf.import_gds reads back from each GDS file, as JSON
_IMPORT = """
import json, sys
import gdsfactory as gf
from qkdchip.pdk import use_pdk
out = {}
for arg in sys.argv[2:]:
    process, path = arg.split("=", 1)
    with use_pdk(process):
        c = gf.import_gds(path)
        info = c.kcl.layout.get_info
        out[path] = [
            [p.name, p.dx, p.dy, p.orientation, p.dwidth, p.port_type,
             [info(p.layer).layer, info(p.layer).datatype]]
            for p in c.ports
        ]
with open(sys.argv[1], "w") as fh:  # a file, not stdout: kfactory may log to stdout
    json.dump(out, fh)
"""


def _ports_in_memory(c) -> list:
    info = c.kcl.layout.get_info
    out = []
    for p in c.ports:
        layer = [info(p.layer).layer, info(p.layer).datatype]
        out.append([p.name, p.dx, p.dy, p.orientation, p.dwidth, p.port_type, layer])
    return out


def _same_ports(got: list, want: list) -> None:
    # by name: kfactory 2.6 reads "kfactory:ports:N" back in string order (10 before 2)
    got, want = sorted(got), sorted(want)
    assert [p[0] for p in got] == [p[0] for p in want]
    for g, w in zip(got, want, strict=True):
        assert abs(g[1] - w[1]) <= 1e-3 and abs(g[2] - w[2]) <= 1e-3, (g, w)  # 1 nm
        assert g[3] % 360 == pytest.approx(w[3] % 360) and g[4] == pytest.approx(w[4], abs=1e-3)
        assert g[5:] == w[5:], (g, w)


@pytest.mark.slow
def test_ports_survive_the_file_in_a_fresh_process(built, tmp_path):
    """gf.import_gds of a written chip (or cell with electrical ports) returns its ports."""
    import csv
    import importlib

    from qkdchip.build import write_gds
    from qkdchip.components.inp import inp_phase_modulator
    from qkdchip.pdk import use_pdk

    out, _ = built
    want: dict[str, list] = {}
    args = []
    for stem, (process, module, attr) in CHIPS.items():
        with use_pdk(process):
            chip = getattr(importlib.import_module(module), attr)()
        path = str(out / f"{stem}.gds")
        want[path] = _ports_in_memory(chip)
        args.append(f"{process}={path}")
        # the port list beside the GDS says the same
        with open(out / f"{stem}.ports.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["name"] for r in rows] == [p[0] for p in want[path]]
        for r, p in zip(rows, want[path], strict=True):
            assert (float(r["x_um"]), float(r["y_um"])) == pytest.approx((p[1], p[2]), abs=1e-3)
            assert float(r["width_um"]) == pytest.approx(p[4], abs=1e-3)
            assert r["port_type"] == p[5] and r["layer"] == f"{p[6][0]}/{p[6][1]}"
    with use_pdk("inp"):
        pm = inp_phase_modulator()
        pm_path = str(write_gds(pm, tmp_path / "pm.gds"))
    want[pm_path] = _ports_in_memory(pm)
    assert {p[5] for p in want[pm_path]} == {"optical", "electrical"}
    args.append(f"inp={pm_path}")
    result = tmp_path / "ports.json"
    subprocess.run(
        [sys.executable, "-c", _IMPORT, str(result), *args], capture_output=True, check=True
    )
    got = json.loads(result.read_text())
    for path, ports in want.items():
        assert ports, path
        _same_ports(got[path], ports)


def test_manifest_maps_every_layer_and_lists_the_ports(built):
    import importlib

    out, _ = built
    manifest = json.loads((out / "manifest.json").read_text())
    for f in manifest["files"]:
        assert {"path", "process", "top_cell", "bbox_um", "sha256", "drc_violations"} <= set(f)
        table = importlib.import_module(f"qkdchip.pdk.{f['process']}.layers")
        assert f["layers"], f["path"]
        for key, entry in f["layers"].items():
            layer, datatype = (int(v) for v in key.split("/"))
            assert table.LAYERS[entry["name"]] == (layer, datatype)
            assert entry["fabricated"] is (entry["name"] not in table.NOT_FABRICATED)
        fabricated = {e["name"] for e in f["layers"].values() if e["fabricated"]}
        assert fabricated and not fabricated & {"DIE", "TEXT", "DICING"}
        if f["path"].startswith("mask"):
            assert {e["name"] for e in f["layers"].values()} >= {"DICING", "DIE"}
        stem = f["path"].removesuffix(".gds")
        if stem in CHIPS:
            assert f["ports_csv"] == f"{stem}.ports.csv" and f["n_ports"] >= 2
            assert sha256(out / f["ports_csv"]) == f["ports_csv_sha256"]
        else:
            assert "ports_csv" not in f and f["n_ports"] == 0


@pytest.mark.slow
def test_rebuild_in_a_fresh_process_is_byte_identical(built, tmp_path):
    out, _ = built
    code = (
        "import sys; from qkdchip.build import build; build(sys.argv[1], previews=False, drc=False)"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    for name in EXPECTED | {f"{stem}.ports.csv" for stem in CHIPS}:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.slow
def test_bytes_do_not_depend_on_which_cells_the_process_built_first(built, tmp_path):
    """A process that built some of the chip's sub-cells first (as a notebook or the docs do)
    writes the same bytes: cells are written in a canonical order, not in creation order."""
    code = (
        "import sys\n"
        "from qkdchip.pdk import use_pdk\n"
        "from qkdchip.components.inp import inp_pad_rf, inp_voa\n"
        "from qkdchip.components.sin import sin_pad, sin_ring_bus\n"
        "with use_pdk('sin'):\n"
        "    sin_ring_bus(radius_um=997.6); sin_pad()\n"
        "with use_pdk('inp'):\n"
        "    inp_voa(); inp_pad_rf()\n"
        "from qkdchip.build import build\n"
        "build(sys.argv[1], previews=False, drc=False)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    out, _ = built
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
    assert not out.exists()  # published whole or not at all
    assert list(tmp_path.iterdir()) == []  # and no stage folder left


@pytest.mark.slow
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
