"""``qkdchip design``: every design parameter (default, unit, range); ``--check`` a design against
the chips' joint constraints; ``--constraints`` lists those constraints."""

from __future__ import annotations

from pathlib import Path

import typer

from qkdchip.commands._common import fail, print_json


def register(app: typer.Typer) -> None:
    @app.command("design")
    def design_cmd(
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
        check: bool = typer.Option(
            False,
            "--check",
            help="check the design against every joint constraint of the chips: each violated "
            "one by name (exit 2), else 'feasible'",
        ),
        list_constraints: bool = typer.Option(
            False, "--constraints", help="list the joint constraints (name, parameters, doc)"
        ),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        sets: list[str] = typer.Option([], "--set", help="override NAME=VALUE (repeatable)"),
    ) -> None:
        """List every design parameter (dotted name, default, unit, allowed range); with
        --check, report every joint constraint the design (--design, --set) violates."""
        from qkdchip import design as design_mod

        if list_constraints:
            _constraints(json_out)
            return
        given = design_file is not None or bool(sets)
        try:
            design = design_mod.load(design_file, sets) if given or check else None
        except ValueError as exc:
            fail(str(exc))
        if check:
            _check(design, json_out)
            return
        params = design_mod.parameters()
        values = {p.name: p.value for p in params}
        if design is not None:
            values.update(design.overrides)
        if json_out:
            print_json([{**p.to_dict(), "value": values[p.name]} for p in params])
            return
        from rich.table import Table

        table = Table(title="qkdchip design parameters")
        for col in ("name", "value", "unit", "min", "max"):
            table.add_column(
                col,
                justify="right" if col in ("value", "min", "max") else "left",
                no_wrap=col == "name",
                overflow="fold",  # never an ellipsis: a value too wide for its cell wraps
            )
        rows = [
            (
                p.name,
                str(values[p.name]),
                p.unit,
                "" if p.min is None else f"{p.min:g}",
                "" if p.max is None else f"{p.max:g}",
            )
            for p in params
        ]
        for row in rows:
            table.add_row(*row)
        _print_uncut(table)
        typer.echo(
            "Each value must lie in its range, and together they must meet the chips' joint "
            "constraints: `qkdchip design --constraints` lists them, `--check` checks a design."
        )


def _print_uncut(table) -> None:
    """Print ``table`` on a console wide enough that no cell is cut (names are copied from
    these tables): the terminal's width, or the table's minimum width (its longest words) when
    that is wider; piped output has no terminal width, and rich would take 80 columns."""
    from rich.console import Console

    width = Console().width
    need = Console(width=10_000).measure(table).minimum
    Console(width=max(width, need)).print(table)


def _constraints(json_out: bool) -> None:
    from qkdchip.feasibility import constraints

    rows = constraints()
    if json_out:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title="joint constraints of the chips (qkdchip design --check)")
    table.add_column("name", no_wrap=True)
    table.add_column("what must hold", min_width=30)
    longest = max((len(p) + 1 for r in rows for p in r["params"]), default=10)
    # wraps between names, never inside one (and never an ellipsis)
    table.add_column("parameters", min_width=longest, overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["doc"], ", ".join(r["params"]))
    _print_uncut(table)


def _check(design, json_out: bool) -> None:
    from qkdchip.feasibility import InfeasibleError, constraints, violations

    found = violations(design)
    n_all = len(constraints())
    if json_out:
        print_json(
            {
                "feasible": not found,
                "n_constraints": n_all,
                "violations": [v.to_dict() for v in found],
            }
        )
        if found:
            raise typer.Exit(2)
        return
    if not found:
        typer.echo(f"feasible: the design meets all {n_all} joint constraints")
        return
    typer.echo(f"infeasible: {len(found)} of {n_all} joint constraints violated")
    for v in found:
        typer.echo(f"  {v}")
    fail(str(InfeasibleError(found)))
