"""`qkdchip simulate --out FILE.sNp`: Touchstone files that scikit-rf reads back as the .npz."""

from __future__ import annotations

import numpy as np
import pytest
import skrf
from scipy.constants import c
from typer.testing import CliRunner

from qkdchip.cli import app
from qkdchip.commands.simulate import write_sparams

runner = CliRunner()


def simulate(*args: str):
    return runner.invoke(app, ["simulate", *args])


def round_trip(tmp_path, target: str, *args: str) -> tuple[skrf.Network, dict, str]:
    """Write the same sweep as .npz and as Touchstone, read the Touchstone with scikit-rf."""
    npz = tmp_path / f"{target}.npz"
    res = simulate(target, *args, "--out", str(npz))
    assert res.exit_code == 0, res.output
    data = dict(np.load(npz))
    n = len(data["ports"])
    ts = tmp_path / f"{target}.s{n}p"
    res = simulate(target, *args, "--out", str(ts))
    assert res.exit_code == 0, res.output
    return skrf.Network(str(ts)), data, ts.read_text()


def check_equal(net: skrf.Network, data: dict) -> None:
    wl_m = data["wl_um"] * 1e-6
    order = np.argsort(-wl_m)  # Touchstone: ascending frequency
    np.testing.assert_allclose(net.f, c / wl_m[order], rtol=1e-12)  # Hz
    np.testing.assert_allclose(net.s, data["S"][order], rtol=0, atol=1e-9)
    assert net.port_names == [str(p) for p in data["ports"]]


def test_cell_touchstone_round_trip_matches_the_npz(tmp_path):
    """The CLI's .npz, written again by the CLI's writer as Touchstone (the whole CLI path is
    the slow test below: one simulation here keeps the fast loop fast)."""
    npz = tmp_path / "mzm.npz"
    args = ("--points", "7", "--wl-min-nm", "1540", "--wl-max-nm", "1560")
    res = simulate("inp_mzm", *args, "--out", str(npz))
    assert res.exit_code == 0, res.output
    data = dict(np.load(npz))
    ts = tmp_path / f"mzm.s{len(data['ports'])}p"
    write_sparams(ts, data["wl_um"], [str(p) for p in data["ports"]], data["S"])
    net, text = skrf.Network(str(ts)), ts.read_text()
    check_equal(net, data)
    assert net.nports == len(data["ports"]) and net.f.size == 7
    header = [ln for ln in text.splitlines() if ln.startswith(("!", "#"))]
    assert "# Hz S RI R 50.0" in [ln.strip() for ln in header]
    for k, p in enumerate(data["ports"], start=1):
        assert f"! Port[{k}] = {p}" in header
    assert not [ln for ln in header if "skrf" in ln.lower()]  # no version stamp: reproducible


def test_touchstone_port_count_must_match_and_nothing_is_written(tmp_path):
    out = tmp_path / "mzm.s9p"
    res = simulate("inp_mzm", "--points", "3", "--out", str(out))
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: --out {out}: inp_mzm has ")
    assert "Touchstone file is .s" in res.stderr
    assert list(tmp_path.iterdir()) == []
    res = simulate("inp_mzm", "--points", "3", "--out", str(tmp_path / "x.s2q"))
    assert res.exit_code == 2
    assert "allowed .npz, .csv or .sNp" in res.stderr


@pytest.mark.slow
def test_server_chip_s2p_round_trip(tmp_path):
    net, data, _ = round_trip(tmp_path, "server", "--points", "301")
    assert list(data["ports"]) == ["o1", "o2"] and net.nports == 2
    check_equal(net, data)
