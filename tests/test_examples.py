"""The scripts in ``examples/`` run as a designer would run them and write what they promise."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qkdchip.pdk.drc import check_gds

#: end-to-end runs (subprocesses, the whole pipeline): `make test-all` / CI
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    return out


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {"sin_routed_ring.py", "client_long_pm.py"}


def test_sin_routed_ring_writes_into_a_new_temp_dir_by_default():
    out = run("sin_routed_ring.py", "--radius-um", "600")
    folder = Path(re.search(r"layout: (.+)/sin_routed_ring\.gds", out.stdout).group(1))
    assert folder.is_dir() and folder.name.startswith("qkdchip_sin_ring_")
    gds = folder / "sin_routed_ring.gds"
    # a full check, die outline and keep-out included
    assert check_gds(gds, "sin").clean
    assert "0 DRC violations" in out.stdout and "R = 600.0 um" in out.stdout
    rows = list(csv.DictReader((folder / "s21.csv").open()))
    assert len(rows) == 2001
    db = [float(r["s21_db"]) for r in rows]
    assert max(db) < 0 and min(db) < max(db) - 3  # a resolved resonance dip, passive
    assert (folder / "s21.png").stat().st_size > 1000


def test_sin_routed_ring_bad_parameter_exits_2_naming_it(tmp_path):
    script = str(EXAMPLES / "sin_routed_ring.py")
    bad = subprocess.run(
        [sys.executable, script, "--out", str(tmp_path), "--gap-um", "0.2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "gap_um" in bad.stderr
    assert not (tmp_path / "sin_routed_ring.gds").exists()


def test_client_long_pm(tmp_path):
    out = run("client_long_pm.py", "--out", str(tmp_path), "--pm-length-um", "1000")
    assert check_gds(tmp_path / "client_long_pm.gds", "inp").clean
    figures = json.loads((tmp_path / "figures.json").read_text())
    # V_pi from the S-matrix of the redrawn chip: V_pi L of the process over the new length
    from qkdchip.sims.models.inp import eo_vpi_v

    assert figures["pm_vpi_v"] == pytest.approx(eo_vpi_v(1000.0), rel=1e-3)
    assert figures["insertion_loss_db"] > 0
    assert "PM I 1000 um" in out.stdout
