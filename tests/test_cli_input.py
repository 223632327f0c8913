"""One input layer (issue 16): bad input to any command exits 2 with ONE stderr line
``error: <name or file>: <what> ...``, no traceback, nothing written; hostile input (huge ranges,
YAML bombs, non-UTF-8 files, 400-digit numbers) fails fast, in bounded memory.

Every case is a real CLI call: typer's CliRunner (in process), or a subprocess with a memory and
time limit where a regression would eat the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qkdchip.cli import app

runner = CliRunner()
NINES = "9" * 400


def bad(args: list[str], *needles: str, absent: tuple[str, ...] = ()) -> str:
    """Run ``qkdchip ARGS``: exit 2, nothing on stdout, one stderr line naming ``needles``."""
    res = runner.invoke(app, args)
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    assert res.stdout == "", res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in line, line
    for n in needles:
        assert n in line, (n, line)
    for n in absent:
        assert n not in line, (n, line)
    return line


#: the console script in a child with at most 3 GB of address space
_LIMITED_MAIN = (
    "import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
    "from qkdchip.cli import main; main()"
)


def cli_subprocess(args: list[str], timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _LIMITED_MAIN, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_exit_2(res: subprocess.CompletedProcess, *needles: str) -> str:
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr[-2000:]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def command_args(command: str, tmp_path: Path) -> list[str]:
    """The smallest call of each of the seven commands that read a design."""
    return {
        "run": ["run", "--out", str(tmp_path / "run_out")],
        "build": ["build", "--out", str(tmp_path / "build_out"), "--no-previews"],
        "simulate": ["simulate", "server", "--points", "3"],
        "comb": ["comb", "--json"],
        "network": ["network", "--json"],
        "sweep": ["sweep", "--set", "link.misalignment=0.01:0.02:2", "--json"],
        "security": ["security", "--json"],
    }[command]


DESIGN_COMMANDS = ("run", "build", "simulate", "comb", "network", "sweep", "security")


def nothing_written(tmp_path: Path, *keep: Path) -> None:
    written = [p for p in tmp_path.rglob("*") if p not in keep]
    assert written == [], written


# ------------------------------------------------------------------- keyrate: distance grids


@pytest.mark.parametrize("grid", ["0:1e9:1", "0:1:1e-12"])
def test_keyrate_huge_grid_is_refused_before_it_is_built(grid):
    res = cli_subprocess(["keyrate", "--protocol", "sns-aopp", "--distance-km", grid], 60)
    one_line_exit_2(res, "distance_km", grid, "100000 points")


@pytest.mark.parametrize("grid", ["0:inf:10", "-inf:0:1", "0:10:inf", "0:10:nan"])
def test_keyrate_non_finite_grid(grid):
    bad(["keyrate", "--protocol", "sns-aopp", "--distance-km", grid], "distance_km", "finite")


@pytest.mark.parametrize("grid", ["100,,200", "100,", ",", " "])
def test_keyrate_empty_items_are_refused(grid):
    bad(["keyrate", "--protocol", "plob", "--distance-km", grid], "distance_km", "empty")


def test_keyrate_distance_errors_name_distance_km_and_the_users_value():
    line = bad(
        ["keyrate", "--protocol", "plob", "--distance-km", "1e9"],
        "distance_km=1e+09",
        absent=("length_a_km", "5e+08"),
    )
    assert "allowed" in line
    bad(
        ["keyrate", "--protocol", "plob", "--distance-km", "100", "--arm-imbalance-km", "nan"],
        "arm_imbalance_km",
    )


@pytest.mark.parametrize(
    ("protocol", "option", "value", "name"),
    [
        ("plob", "--mu-z", "3", "mu_z"),
        ("plob", "--pulses", "1e12", "pulses"),
        ("plob", "--misalignment", "0.02", "misalignment"),
        ("cal", "--phase-slices", "4", "phase_slices"),
        ("pm", "--eps", "0.1", "eps"),
        ("sns", "--phase-slices", "8", "phase_slices"),
    ],
)
def test_keyrate_refuses_options_the_protocol_does_not_use(protocol, option, value, name):
    bad(
        ["keyrate", "--protocol", protocol, "--distance-km", "100", option, value],
        name,
        option,
        f"protocol {protocol}",
    )


def test_keyrate_still_accepts_the_options_of_its_protocol():
    res = runner.invoke(
        app, ["keyrate", "--protocol", "pm", "--distance-km", "100,200", "--mu-z", "0.2", "--json"]
    )
    assert res.exit_code == 0, res.output
    assert [r["distance_km"] for r in json.loads(res.stdout)] == [100.0, 200.0]
    res = runner.invoke(app, ["keyrate", "--protocol", "plob", "--distance-km", "0:600:100"])
    assert res.exit_code == 0, res.output


# ------------------------------------------------------------------------ YAML design files


def _laughs(path: Path) -> Path:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 26)]
    path.write_text("\n".join(lines) + "\n")
    return path


HOSTILE = {
    "laughs.yml": (_laughs, "nodes"),
    "self.yml": (lambda p: p.write_text("server: &a\n  ring: *a\n"), "recursive"),
    "deep.yml": (lambda p: p.write_text("server: " + "[" * 5000 + "]" * 5000 + "\n"), "deeper"),
}


@pytest.mark.parametrize("command", DESIGN_COMMANDS)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_fails_fast_in_every_command(tmp_path, command, name):
    make, needle = HOSTILE[name]
    path = tmp_path / name
    make(path)
    bad([*command_args(command, tmp_path), "--design", str(path)], repr(str(path)), needle)
    nothing_written(tmp_path, path)


def test_billion_laughs_in_a_subprocess_is_bounded(tmp_path):
    path = _laughs(tmp_path / "laughs.yml")
    res = cli_subprocess(["comb", "--design", str(path)], 60)
    one_line_exit_2(res, "laughs.yml", "nodes")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("server:\n  ring:\n    gap_um: 2.0\n    gap_um: 3.0\n", "given twice"),
        ("server.ring.gap_um: 2.0\nserver:\n  ring:\n    gap_um: 3.0\n", "given twice"),
        ("server:\n  ring: {gap_um: 2.0}\nserver: {die: {label: X}}\n", "given twice"),
    ],
)
def test_duplicate_keys_are_refused(tmp_path, text, needle):
    path = tmp_path / "dup.yml"
    path.write_text(text)
    bad(["comb", "--design", str(path)], "dup.yml", needle)


@pytest.mark.parametrize(
    "content",
    [
        "server.die.label: caf\xe9\n".encode("latin-1"),
        "server.ring.gap_um: 2.0\n".encode("utf-16"),
        bytes(range(256)),
        b"server.ring.gap_um: 2.0\n\x00\n",
    ],
    ids=["latin-1", "utf-16", "binary", "nul"],
)
def test_non_utf8_design_files_name_the_file(tmp_path, content):
    path = tmp_path / "enc.yml"
    path.write_bytes(content)
    bad(["build", "--out", str(tmp_path / "o"), "--design", str(path)], "enc.yml")
    nothing_written(tmp_path, path)


@pytest.mark.parametrize("target", ["dir", "/dev/null"])
def test_a_folder_or_device_is_not_a_regular_file(tmp_path, target):
    path = tmp_path if target == "dir" else Path(target)
    bad(["network", "--design", str(path)], str(path), "is not a regular file", absent=("exist",))


def test_missing_and_oversized_design_files(tmp_path):
    bad(["comb", "--design", str(tmp_path / "none.yml")], "none.yml", "does not exist")
    big = tmp_path / "big.yml"
    big.write_text("# " + "x" * 1_100_000 + "\n")
    bad(["comb", "--design", str(big)], "big.yml", "larger than")


def test_a_valid_design_file_with_an_alias_still_loads(tmp_path):
    from qkdchip import design

    path = tmp_path / "ok.yml"
    path.write_text("comb:\n  seed: &s 7\nnetwork:\n  seed: *s\nserver.ring.gap_um: 2.5\n")
    assert dict(design.load(path).overrides) == {
        "comb.seed": 7,
        "network.seed": 7,
        "server.ring.gap_um": 2.5,
    }


# ------------------------------------------------------------------- whole-number parameters


@pytest.mark.parametrize(
    "item",
    [
        "comb.n_modes=inf",
        "comb.n_modes=-inf",
        "comb.n_modes=nan",
        "comb.seed=inf",
        "comb.seed=-inf",
        "comb.seed=-1",
        "comb.seed=1e308",
        "network.seed=inf",
        "network.seed=-inf",
        "network.seed=1e308",
        "network.clients=inf",
        "network.clients=-inf",
        "comb.n_modes=128.5",
        f"comb.n_modes={NINES}",
    ],
)
def test_whole_numbers_are_parsed_with_their_range_in_build(tmp_path, item):
    name = item.split("=")[0]
    line = bad(["build", "--out", str(tmp_path / "o"), "--set", item], f"{name}=")
    assert "allowed" in line or "must be an integer in [" in line
    nothing_written(tmp_path)


def test_comb_seed_minus_one_is_refused_by_comb_too():
    bad(["comb", "--set", "comb.seed=-1"], "comb.seed=-1", "out of range")


@pytest.mark.parametrize("command", DESIGN_COMMANDS)
def test_400_nines_in_every_command(tmp_path, command):
    args = command_args(command, tmp_path)
    line = bad([*args, "--set", f"server.ring.gap_um={NINES}"], "server.ring.gap_um=", "allowed")
    assert len(line) < 300
    nothing_written(tmp_path)


def test_integers_are_exact_and_floats_integral_accepted():
    from qkdchip import design

    d = design.load(None, ["comb.seed=4294967295", "comb.n_modes=1e2", "network.seed=0x10"])
    assert dict(d.overrides) == {"comb.seed": 4294967295, "comb.n_modes": 100, "network.seed": 16}
    assert all(type(v) is int for v in d.overrides.values())


# ---------------------------------------------------------------- comb: fewer lines = a result


@pytest.mark.parametrize(
    "item",
    [
        "comb.detuning_zeta=-20",
        pytest.param("comb.pump_power_w=5", marks=pytest.mark.slow),  # 60 s of LLE
        pytest.param("server.ring.gap_um=1", marks=pytest.mark.slow),
    ],
)
def test_comb_with_fewer_lines_is_a_result_not_an_input_error(item):
    res = runner.invoke(app, ["comb", "--set", item, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["channels_requested"] == 10
    assert out["channels_placed"] == len(out["channels"]) < 10
    assert "usable lines" in out["channel_shortfall"]
    assert "n_channels" not in res.output


# -------------------------------------------------------------------------- --set and options


def test_a_repeated_set_is_refused_even_if_the_last_is_valid(tmp_path):
    bad(
        ["build", "--out", str(tmp_path / "o"), "--set", "comb.n_modes=bad", "--set",
         "comb.n_modes=128"],
        "comb.n_modes",
        "twice",
    )  # fmt: skip
    nothing_written(tmp_path)


def test_sweep_refuses_a_name_swept_and_fixed():
    bad(
        ["sweep", "--set", "link.misalignment=0:0.1:2", "--set", "link.misalignment=0.3"],
        "link.misalignment",
        "twice",
    )


def test_an_empty_value_is_refused_naming_the_parameter(tmp_path):
    bad(
        ["build", "--out", str(tmp_path / "o"), "--set", "server.die.label="],
        "server.die.label",
        "empty",
    )
    nothing_written(tmp_path)


def test_network_options_are_checked_under_their_own_names():
    bad(["network", "--distance-km", "1e9"], "--distance-km=1e+09", absent=("upstream",))
    bad(["network", "--seed", "-1"], "--seed=-1")
    bad(["network", "--set", "network.seed=abc", "--seed", "3"], "network.seed")


@pytest.mark.parametrize("value", ["inf", "nan", "-5"])
def test_simulate_wavelengths_are_checked_finite_first(value):
    bad(["simulate", "server", "--wl-max-nm", value], "--wl-max-nm")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["simulate", "server", "--points", "abc"], "--points"),
        (["network", "--seed", "inf"], "--seed"),
        (["keyrate", "--protocol", "plob"], "--distance-km"),
        (["keyrate", "--protocl", "plob", "--distance-km", "1"], "--protocl"),
        (["design", "--bogus"], "--bogus"),
        (["simulate"], "TARGET"),
    ],
)
def test_usage_errors_are_one_line(args, needle):
    bad(args, needle)


def test_usage_errors_are_one_line_from_the_console_script():
    res = cli_subprocess(["simulate", "server", "--points", "abc"], 60)
    one_line_exit_2(res, "--points", "'abc'")


@pytest.mark.parametrize("target", ["dir", "/dev/null", "missing"])
def test_drc_input_must_be_a_regular_file(tmp_path, target):
    path = {"dir": tmp_path, "/dev/null": Path("/dev/null"), "missing": tmp_path / "x.gds"}[target]
    needle = "does not exist" if target == "missing" else "is not a regular file"
    bad(["drc", str(path)], str(path), needle)


def test_drc_refuses_an_unknown_process_before_reading(tmp_path):
    gds = tmp_path / "x.gds"
    gds.write_bytes(b"not a gds")
    bad(["drc", str(gds), "--process", "gaas"], "--process", "sin, inp")


@pytest.mark.parametrize("name", ["network.wafer_screen", "server.ring.gap_um", "comb.n_modes"])
def test_a_deeply_nested_set_value_is_a_one_line_error(tmp_path, name):
    bad(["build", "--out", str(tmp_path / "o"), "--set", f"{name}=" + "[" * 5000], name)
    nothing_written(tmp_path)
