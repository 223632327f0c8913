"""``qkdchip build``: write the GDS masks, layer properties, previews and manifest of a design."""

from __future__ import annotations

from pathlib import Path

import typer

from qkdchip.base.outputs import OutputPathError, check_folder, interruptible
from qkdchip.commands._common import fail, print_json


def register(app: typer.Typer) -> None:
    @app.command("build")
    @interruptible
    def build_cmd(
        out: Path = typer.Option(Path("gds_out"), "--out", help="output folder"),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        sets: list[str] = typer.Option([], "--set", help="override NAME=VALUE (repeatable)"),
        no_previews: bool = typer.Option(False, "--no-previews", help="skip the PNG previews"),
        json_out: bool = typer.Option(False, "--json", help="print the manifest as JSON"),
    ) -> None:
        """Build the server chip, client chip and both masks; DRC each (exit 1 on violations)."""
        from qkdchip import design as design_mod
        from qkdchip.build import owned_names

        try:  # the output folder first: nothing is computed for a path that cannot be written
            check_folder(out, f"--out {out}", owned_names(out))
        except OutputPathError as exc:
            fail(str(exc))

        try:
            design = design_mod.load(design_file, sets)
            from qkdchip.feasibility import check

            check(design)  # joint constraints of the chips: exit 2 before anything is written
        except ValueError as exc:
            fail(str(exc))
        from qkdchip.build import build

        if json_out:
            result = build(out, design, previews=not no_previews)
            print_json(result.manifest())
        else:
            from rich.console import Console
            from rich.table import Table

            console = Console()
            with console.status("building masks") as status:
                result = build(
                    out, design, previews=not no_previews, progress=lambda m: status.update(m)
                )
            table = Table(title=f"masks written to {out}/")
            for col in ("file", "top cell", "size (um)", "DRC", "sha256"):
                table.add_column(col)
            for f in result.files:
                x0, y0, x1, y1 = f["bbox_um"]
                table.add_row(
                    f["path"],
                    f["top_cell"],
                    f"{x1 - x0:.0f} x {y1 - y0:.0f}",
                    str(f.get("drc_violations", "-")),
                    f["sha256"][:12],
                )
            console.print(table)
        if result.drc_violations:
            typer.echo(f"DRC: {result.drc_violations} violations", err=True)
            raise typer.Exit(1)
