"""The ``qkdchip`` command line (typer).

Each command lives in ``qkdchip/commands/<name>.py`` with a ``register(app)`` function; heavy
libraries (gdsfactory, sax, jax) are imported inside the command bodies, so that e.g.
``qkdchip keyrate`` does not pay for the layout imports.

Exit codes: 0 success, 1 a check failed (e.g. DRC violations), 2 bad input (one-line reason).
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="qkdchip",
    help="Design an integrated-photonics TF-QKD network: masks, S-matrices and key rates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: command modules, in the order they appear in --help
COMMANDS = ("run", "design", "build", "drc", "simulate", "comb", "keyrate", "network", "sweep")


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


_register_all()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
