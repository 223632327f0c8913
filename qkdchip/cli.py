"""The ``qkdchip`` command line (typer).

Each command lives in ``qkdchip/commands/<name>.py`` with a ``register(app)`` function; heavy
libraries (gdsfactory, sax, jax) are imported inside the command bodies, so that e.g.
``qkdchip keyrate`` does not pay for the layout imports.

Options of the group (before the command): ``--version``; ``-v`` / ``-vv`` (INFO / DEBUG log
lines of the ``qkdchip`` logger on stderr), ``-q`` (errors only: no progress, no warnings);
see :mod:`qkdchip.progress`. Every command's ``--help`` ends with an example, from
:data:`EXAMPLES` (one table here, set as each command's epilog).

Exit codes: 0 success, 1 a check failed (e.g. DRC violations), 2 bad input (one-line reason).
Bad input is always one stderr line ``error: <name or file>: <what> (allowed ...)`` and no
traceback: a command's own checks print it through :func:`qkdchip.commands._common.fail`, and
click's usage errors (an option value of the wrong type, an unknown option, a missing argument)
are turned into the same one line by :class:`OneLineErrors` (not typer's multi-line box).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click
import typer
from typer.core import TyperGroup


def _param_name(param: click.Parameter | None) -> str | None:
    if param is None:
        return None
    opts = [*param.opts, *param.secondary_opts]
    if param.param_type_name == "option" and opts:
        return max(opts, key=len)
    return param.human_readable_name


def usage_line(exc: click.ClickException) -> str:
    """A click usage error as one line: ``--points: 'abc' is not a valid integer (see ...)``."""
    if isinstance(exc, click.MissingParameter):
        name = _param_name(exc.param)
        text = f"{name}: missing (required)" if name else None
        text = text or exc.format_message()
    elif isinstance(exc, click.BadParameter):
        hint = exc.param_hint if isinstance(exc.param_hint, str) else None
        name = hint or _param_name(exc.param)
        text = f"{name}: {exc.message}" if name else exc.message
    elif isinstance(exc, click.NoSuchOption):
        text = f"{exc.option_name}: no such option"
        if exc.possibilities:
            text += f" (did you mean {', '.join(sorted(exc.possibilities))}?)"
    else:
        text = exc.format_message()
    text = " ".join(str(text).split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and ctx.command_path:
        text += f" (see `{ctx.command_path} --help`)"
    return text


class OneLineErrors(TyperGroup):
    """The command group, with click's usage errors printed as one line (exit 2)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `qkdchip`: the help
            exc.show()
            code = exc.exit_code
        except click.ClickException as exc:
            typer.echo(f"error: {usage_line(exc)}", err=True)
            code = exc.exit_code
        except click.exceptions.Abort:
            typer.echo("Aborted!", err=True)
            code = 1
        else:
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=OneLineErrors,
    name="qkdchip",
    help="Design an integrated-photonics TF-QKD network: masks, S-matrices and key rates.",
    epilog="Example: qkdchip run --out qkdchip_run   (then `qkdchip COMMAND --help`)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: command modules, in the order they appear in --help
COMMANDS = (
    "run",
    "design",
    "build",
    "drc",
    "simulate",
    "comb",
    "keyrate",
    "network",
    "sweep",
    "security",
    "reproduce",
    "wafer",
    "optimize",
)

#: one example per command, shown at the end of its --help (set as the command's epilog)
EXAMPLES: dict[str, str] = {
    "run": "qkdchip run --out qkdchip_run --set link.fibre_loss_db_per_km=0.17",
    "design": "qkdchip design --check --set server.ring.gap_um=2.6",
    "build": "qkdchip build --out gds_out --set server.ring.radius_um=1000",
    "drc": "qkdchip drc gds_out/server_chip.gds --json",
    "simulate": "qkdchip simulate server --points 4001 --out server.s2p",
    "comb": "qkdchip comb --plot comb.png",
    "keyrate": "qkdchip keyrate --protocol sns-aopp --distance-km 100,200,370",
    "network": "qkdchip network --distance-km 370 --plot network.png",
    "sweep": "qkdchip sweep --set server.ring.gap_um=2.0:2.8:5 --plot sweep.png",
    "security": "qkdchip security --set client.voa.length_um=600 --json",
    "reproduce": "qkdchip reproduce --json",
    "wafer": "qkdchip wafer --wafers 100 --seed 1 --workers 2 --plot wafer.png",
    "optimize": "qkdchip optimize --vary server.ring.gap_um=2.2:2.8 --objective min_ratio "
    "--trials 20 --seed 0 --out opt",
}


def version() -> str:
    """The installed version of the qkdchip distribution."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("qkdchip")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"qkdchip {version()}")
        raise typer.Exit(0)


@app.callback()
def _group(
    _version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="print the version and exit",
    ),
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        show_default=False,
        metavar="",
        help="more log lines on stderr (-v INFO, -vv DEBUG)",
    ),
    quiet: int = typer.Option(
        0,
        "--quiet",
        "-q",
        count=True,
        show_default=False,
        metavar="",
        help="errors only: no progress lines, no warnings",
    ),
) -> None:
    """Design an integrated-photonics TF-QKD network: masks, S-matrices and key rates."""
    from qkdchip.progress import configure_logging

    configure_logging(verbose, quiet)


def _register_all() -> None:
    for name in COMMANDS:
        modname = f"qkdchip.commands.{name}"
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue  # command not implemented yet
            raise
        module.register(app)
    for info in app.registered_commands:
        example = EXAMPLES.get(info.name or "")
        if example and not info.epilog:
            info.epilog = f"Example: {example}"


_register_all()

# the string-hash seed of the circuit commands (here for callers of qkdchip.cli; the console
# script runs qkdchip.entry.main, which re-executes before this module's imports)
from qkdchip.entry import CIRCUIT_COMMANDS, stable_string_hashes  # noqa: E402, F401


def main() -> None:
    stable_string_hashes()
    app()


if __name__ == "__main__":
    main()
