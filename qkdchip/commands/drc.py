"""``qkdchip drc FILE.gds``: check a GDS file against its process's design rules."""

from __future__ import annotations

from pathlib import Path

import typer

from qkdchip.commands._common import fail, print_json


def register(app: typer.Typer) -> None:
    @app.command("drc")
    def drc_cmd(
        gds: Path = typer.Argument(..., help="GDS file to check"),
        process: str | None = typer.Option(
            None, "--process", help="sin or inp (default: detected from the layers)"
        ),
        json_out: bool = typer.Option(False, "--json", help="print the report as JSON"),
    ) -> None:
        """Run the PDK's design rules (width, space, enclosure, grid, die, keep-out); exit 1 on any violation."""
        from qkdchip.commands._common import input_file
        from qkdchip.pdk import PROCESSES

        try:
            input_file(gds, "GDS file")
            if process is not None and process not in PROCESSES:
                raise ValueError(
                    f"--process={process!r} is unknown (allowed {', '.join(PROCESSES)})"
                )
        except ValueError as exc:
            fail(str(exc))
        from qkdchip.pdk.drc import check_gds

        try:
            report = check_gds(gds, process)
        except ValueError as exc:
            fail(str(exc))
        if json_out:
            print_json(report.to_dict())
        else:
            typer.echo(f"{report.path}: process {report.process}, top cell {report.top_cell}")
            for v in report.violations:
                where = ", ".join(f"({x:g}, {y:g})" for x, y in v.where_um[:3])
                typer.echo(
                    f"  {v.rule:<11} {v.layer:<12} {v.count:>5} x  limit {v.limit_um:g} um"
                    f"  {v.detail}  at {where}"
                )
            typer.echo(f"{report.total} violations")
        if not report.clean:
            raise typer.Exit(1)
