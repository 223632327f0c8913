"""`qkdchip simulate --out FILE.sNp`: Touchstone files that scikit-rf reads back as the .npz."""

from __future__ import annotations

import numpy as np
import pytest
import skrf
from scipy.constants import c
from typer.testing import CliRunner

from qkdchip.cli import app
from qkdchip.commands.simulate import check_out, check_ports, write_sparams

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


def _network(n_wl: int, n_ports: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """A reciprocal, passive-looking S-matrix over wavelength (random, seeded)."""
    rng = np.random.default_rng(14)
    wl = np.linspace(1.54, 1.56, n_wl)
    a = rng.normal(size=(n_wl, n_ports, n_ports)) + 1j * rng.normal(size=(n_wl, n_ports, n_ports))
    S = 0.3 * (a + np.swapaxes(a, 1, 2)) / 2
    return wl, [f"p{k}" for k in range(n_ports)], S


@pytest.mark.parametrize("n_ports", [1, 2, 3, 5])
def test_touchstone_writer_round_trip_matches_the_npz(tmp_path, n_ports):
    """The writer of `simulate --out`: .sNp and .npz of the same S read back equal (scikit-rf
    reads the Touchstone; 1-, 2- (S21/S12 order) and N-port layouts)."""
    wl, ports, S = _network(7, n_ports)
    npz, ts = tmp_path / "s.npz", tmp_path / f"s.s{n_ports}p"
    write_sparams(npz, wl, ports, S)
    write_sparams(ts, wl, ports, S)
    data = dict(np.load(npz))
    net, text = skrf.Network(str(ts)), ts.read_text()
    check_equal(net, data)
    assert net.nports == n_ports and net.f.size == 7
    header = [ln for ln in text.splitlines() if ln.startswith(("!", "#"))]
    assert "# Hz S RI R 50.0" in [ln.strip() for ln in header]
    for k, p in enumerate(ports, start=1):
        assert f"! Port[{k}] = {p}" in header
    assert not [ln for ln in header if "skrf" in ln.lower()]  # no version stamp: reproducible
    write_sparams(tmp_path / f"again.s{n_ports}p", wl, ports, S)
    assert (tmp_path / f"again.s{n_ports}p").read_bytes() == ts.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["s.npz", ts.name, f"again.s{n_ports}p"]
    )  # atomic: no temporary file left


def test_touchstone_suffix_and_port_count_are_checked(tmp_path):
    assert check_out(tmp_path / "a.s2p") == tmp_path / "a.s2p"
    assert check_out(tmp_path / "a.S12P") == tmp_path / "a.S12P"
    with pytest.raises(ValueError, match=r"allowed \.npz, \.csv or \.sNp"):
        check_out(tmp_path / "a.s2q")
    with pytest.raises(ValueError, match=r"allowed \.npz, \.csv or \.sNp"):
        check_out(tmp_path / "a.s0p")
    check_ports(tmp_path / "a.s2p", ["o1", "o2"], "server")
    with pytest.raises(ValueError) as exc:
        check_ports(tmp_path / "a.s3p", ["o1", "o2"], "server")
    assert str(exc.value) == (
        f"--out {tmp_path / 'a.s3p'}: server has 2 ports (o1, o2), its Touchstone file is .s2p "
        "(allowed .s2p, .npz or .csv)"
    )


@pytest.mark.slow
def test_cli_port_count_must_match_and_nothing_is_written(tmp_path):
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
