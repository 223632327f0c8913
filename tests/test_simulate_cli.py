"""`qkdchip simulate`: the .npz/.csv contract, the JSON figures, cells, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from qkdchip.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["simulate", *args])


@pytest.mark.slow
def test_server_npz_and_json_figures(tmp_path):
    out = tmp_path / "server.npz"
    plot = tmp_path / "server.png"
    res = invoke("server", "--points", "301", "--out", str(out), "--plot", str(plot), "--json")
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout)["figures"]
    for key in ("fsr_ghz", "q_intrinsic", "q_loaded", "resonance_extinction_db"):
        assert np.isfinite(figures[key])
    assert figures["fsr_ghz"] == pytest.approx(30.03, rel=5e-3)
    assert figures["q_loaded"] < figures["q_intrinsic"]
    data = np.load(out)
    assert data["wl_um"].shape == (301,)
    assert list(data["ports"]) == ["o1", "o2"]
    assert data["S"].shape == (301, 2, 2) and np.iscomplexobj(data["S"])
    # S[:, i, j] from port j to port i: a reciprocal chip
    assert np.allclose(data["S"][:, 0, 1], data["S"][:, 1, 0])
    assert plot.stat().st_size > 1000


@pytest.mark.slow
def test_client_csv_and_json_figures(tmp_path):
    out = tmp_path / "client.csv"
    res = invoke("client", "--points", "5", "--out", str(out), "--json")
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout)["figures"]
    for key in ("insertion_loss_db", "im_extinction_ratio_db", "voa_range_db", "pm_vpi_v"):
        assert key in figures
    rows = out.read_text().splitlines()
    assert rows[0].startswith("wl_um,") and len(rows) == 6


def test_a_single_cell_follows_its_settings(tmp_path):
    out = tmp_path / "mzm.npz"
    res = invoke("inp_mzm", "--points", "3", "--set", "split_ratio=0.6", "--out", str(out))
    assert res.exit_code == 0, res.output
    S = np.load(out)["S"]
    assert np.all(np.abs(S) ** 2 <= 1 + 1e-9)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("server", "--wl-min-nm", "1400", "--wl-max-nm", "1450"), "wl="),
        (("client", "--wl-min-nm", "1551", "--wl-max-nm", "1550"), "--wl-max-nm"),
        (("server", "--set", "server.ring.gap_um=0.1"), "server.ring.gap_um"),
        (("server", "--out", "x.txt"), ".npz, .csv or .sNp"),
        (("no_such_cell",), "no_such_cell"),
    ],
)
def test_bad_input_exits_2_with_the_parameter_named(args, match):
    res = invoke(*args)
    assert res.exit_code == 2
    assert match in res.output
