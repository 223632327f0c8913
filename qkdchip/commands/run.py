"""``qkdchip run``: the main job on a design (masks, chips, comb, network) with its report."""

from __future__ import annotations

from pathlib import Path

import typer

from qkdchip.base.outputs import OutputPathError, check_folder, interruptible
from qkdchip.commands._common import fail


def register(app: typer.Typer) -> None:
    @app.command("run")
    @interruptible
    def run_cmd(
        out: Path = typer.Option(Path("qkdchip_run"), "--out", help="output folder"),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        sets: list[str] = typer.Option([], "--set", help="override NAME=VALUE, repeatable"),
        seed: int | None = typer.Option(None, "--seed", help="seed of the simulated wafer"),
        rebuild: bool = typer.Option(
            False, "--rebuild", help="rebuild the masks even if the previous run's are current"
        ),
    ) -> None:
        """The main job: masks + DRC, both chips, the comb, the network, report.md + results.json."""
        import time

        from qkdchip.commands.network import load_design

        t0 = time.perf_counter()
        from qkdchip.report.pipeline import OUTPUTS

        try:  # the output folder first: nothing is computed for a path that cannot be written
            check_folder(out, f"--out {out}", OUTPUTS.__contains__)
        except OutputPathError as exc:
            fail(str(exc))
        try:
            design = load_design(design_file, sets, seed=seed)
        except ValueError as exc:
            fail(str(exc))
        from rich.console import Console

        from qkdchip.progress import Steps
        from qkdchip.report import STEPS, run

        console = Console(width=max(100, Console().width))
        with Steps(len(STEPS), "qkdchip run") as steps:
            try:
                result = run(
                    out, design, progress=lambda _k, d: steps.step(d), reuse_masks=not rebuild
                )
            except ValueError as exc:
                fail(str(exc))
        _summary(console, result, time.perf_counter() - t0)


def _summary(console, result, wall_s: float) -> None:
    from qkdchip.commands.network import channel_table, summary_line

    net = result.network
    console.print(channel_table(net, f"TF-QKD network at {net.distance_km:g} km"))
    for c in net.channels:
        if not c.has_key:
            console.print(f"[red]channel {c.channel}[/red]: {c.reason}")
    console.print(summary_line(net))
    checks = result.results["checks"]
    console.print(
        "reference checks: "
        + ", ".join(
            f"{k.replace('_', ' ')} [{'green' if v else 'red'}]{'yes' if v else 'no'}[/]"
            for k, v in checks.items()
        )
    )
    drc = sum(f.get("drc_violations", 0) for f in result.results["masks"]["files"])
    console.print(
        f"masks: {len(result.results['masks']['files'])} GDS, {drc} DRC violations; "
        f"report: {result.out_dir / 'report.md'} and report.html, "
        f"results: {result.out_dir / 'results.json'}"
    )
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings_s.items() if k != "total")
    console.print(f"time {wall_s:.1f} s (job {result.timings_s['total']:.1f} s): {parts}")
