"""CLI habits: --version, -v / -q, plain progress lines off a terminal, uncut `design` names,
an example in every command's help."""

from __future__ import annotations

import io
import logging
import shlex
from importlib.metadata import version

import click
import pytest
import typer
from typer.testing import CliRunner

from qkdchip import cli
from qkdchip.cli import EXAMPLES, app
from qkdchip.progress import Steps, configure_logging

runner = CliRunner()


@pytest.fixture(autouse=True)
def _default_logging():
    yield
    configure_logging()  # the next test starts at the default level


def test_version_prints_the_installed_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout == f"qkdchip {version('qkdchip')}\n"


@pytest.mark.parametrize(
    ("flags", "level"),
    [([], logging.WARNING), (["-v"], logging.INFO), (["-vv"], logging.DEBUG),
     (["-q"], logging.ERROR), (["--quiet", "--quiet"], logging.CRITICAL)],
)  # fmt: skip
def test_verbose_and_quiet_set_the_logging_level(flags, level):
    res = runner.invoke(app, [*flags, "design", "--constraints", "--json"])
    assert res.exit_code == 0, res.output
    assert logging.getLogger("qkdchip").getEffectiveLevel() == level


def test_log_records_go_to_stderr_at_the_chosen_level(capsys):
    log = logging.getLogger("qkdchip.some.module")
    assert runner.invoke(app, ["-v", "design", "--constraints", "--json"]).exit_code == 0
    capsys.readouterr()
    log.info("one %s", "line")
    log.debug("hidden at -v")
    assert capsys.readouterr().err == "INFO qkdchip.some.module: one line\n"
    assert runner.invoke(app, ["-q", "design", "--constraints", "--json"]).exit_code == 0
    capsys.readouterr()
    log.warning("hidden at -q")
    log.error("shown at -q")
    assert capsys.readouterr().err == "ERROR qkdchip.some.module: shown at -q\n"


@pytest.mark.slow
def test_verbose_shows_info_lines_and_quiet_hides_them(tmp_path):
    out = tmp_path / "mzm.npz"
    args = ["simulate", "inp_mzm", "--points", "3", "--out", str(out), "--json"]
    res = runner.invoke(app, ["-v", *args])
    assert res.exit_code == 0, res.output
    assert f"INFO qkdchip.commands.simulate: wrote {out} (3 wavelengths" in res.stderr
    res = runner.invoke(app, ["-q", *args])
    assert res.exit_code == 0 and res.stderr == ""
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "INFO" not in res.stderr


def test_progress_off_a_terminal_is_plain_lines_and_quiet_silences_it():
    buf = io.StringIO()  # not a terminal (a pipe, a log file)
    with Steps(3, "qkdchip run", stream=buf) as steps:
        for d in ("masks", "client chip", "report"):
            steps.step(d)
    lines = buf.getvalue().splitlines()
    assert [ln.split(" (")[0] for ln in lines[:3]] == [
        "qkdchip run: [1/3] masks",
        "qkdchip run: [2/3] client chip",
        "qkdchip run: [3/3] report",
    ]
    assert lines[3].startswith("qkdchip run: done in ") and len(lines) == 4
    assert "\x1b" not in buf.getvalue()  # no terminal control codes in a log
    configure_logging(quiet=1)
    buf = io.StringIO()
    with Steps(1, "qkdchip run", stream=buf) as steps:
        steps.step("masks")
    assert buf.getvalue() == ""


def test_progress_stops_without_done_line_on_error():
    buf = io.StringIO()
    with pytest.raises(RuntimeError), Steps(2, "job", stream=buf) as steps:
        steps.step("first")
        raise RuntimeError("boom")
    assert "done" not in buf.getvalue()


def test_design_table_never_cuts_a_name_when_piped():
    from qkdchip.design import parameters
    from qkdchip.feasibility import constraints

    res = runner.invoke(app, ["design"])  # not a terminal: rich would use 80 columns
    assert res.exit_code == 0
    assert "…" not in res.stdout
    names = {line.split("│")[1].strip() for line in res.stdout.splitlines() if "│" in line}
    assert {p.name for p in parameters()} <= names
    assert max(len(p.name) for p in parameters()) > 26  # the cut was at 25 characters
    res = runner.invoke(app, ["design", "--constraints"])
    assert res.exit_code == 0 and "…" not in res.stdout
    words = {w.strip(",") for line in res.stdout.splitlines() for w in line.split()}
    for c in constraints():
        assert c["name"] in words and set(c["params"]) <= words


def _commands() -> dict[str, click.Command]:
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    return dict(group.commands)


def test_every_command_help_ends_with_an_example_that_parses():
    commands = _commands()
    assert set(commands) == set(cli.COMMANDS) == set(EXAMPLES)
    for name, cmd in commands.items():
        res = runner.invoke(app, [name, "--help"], terminal_width=100)
        assert res.exit_code == 0
        assert f"Example: {EXAMPLES[name]}" in " ".join(res.stdout.split()), name
        args = shlex.split(EXAMPLES[name])
        assert args[:2] == ["qkdchip", name]
        ctx = cmd.make_context(name, args[2:])  # every option and value of the example parses
        assert ctx.params


def test_bare_group_help_names_the_new_options():
    res = runner.invoke(app, ["--help"], terminal_width=100)
    assert res.exit_code == 0
    for opt in ("--version", "--verbose", "-v", "--quiet", "-q"):
        assert opt in res.stdout
