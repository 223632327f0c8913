"""``qkdchip design``: list every design parameter with its default, unit and range."""

from __future__ import annotations

import typer

from qkdchip.commands._common import print_json


def register(app: typer.Typer) -> None:
    @app.command("design")
    def design_cmd(
        json_out: bool = typer.Option(False, "--json", help="print a JSON list of parameters"),
    ) -> None:
        """List every design parameter (dotted name, default, unit, allowed range)."""
        from qkdchip.design import parameters

        params = parameters()
        if json_out:
            print_json([p.to_dict() for p in params])
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title="qkdchip design parameters")
        for col in ("name", "value", "unit", "min", "max"):
            table.add_column(col, justify="right" if col in ("value", "min", "max") else "left")
        for p in params:
            table.add_row(
                p.name,
                str(p.value),
                p.unit,
                "" if p.min is None else f"{p.min:g}",
                "" if p.max is None else f"{p.max:g}",
            )
        Console().print(table)
