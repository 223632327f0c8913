"""``qkdchip reproduce``: every bundled published TF-QKD experiment, simulated vs published.

Also home of ``qkdchip keyrate --experiment FILE.yml`` (:func:`run_experiment_file`): the
experiment files are read and evaluated by :class:`qkdchip.sims.keyrate.Experiment`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, input_file, print_json

#: within this factor of the published rate an experiment counts as reproduced
REPRODUCED_FACTOR = 2.0


def _fmt(v: Any, spec: str = ".3g") -> str:
    return "-" if v is None else format(v, spec)


def run_experiment_file(path: Path, json_out: bool, ctx: Any = None) -> None:
    """Evaluate one experiment file and print it (``qkdchip keyrate --experiment``)."""
    from qkdchip.sims.keyrate.experiment import Experiment

    if ctx is not None:  # --experiment replaces the other options: refuse a mix
        import click

        given = [
            p.opts[0]
            for p in ctx.command.params
            if isinstance(p, click.Option)
            and p.name not in ("experiment", "json_out")
            and ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE
        ]
        if given:
            fail(f"{given[0]}: not allowed with --experiment (the file holds every setting)")
    try:
        exp = Experiment.from_yaml(input_file(path, "experiment file"))
        out = exp.evaluate()
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
    if json_out:
        print_json(out)
        return
    _print_one(out)


def _print_one(out: dict[str, Any]) -> None:
    typer.echo(f"{out['name']}  ({out['protocol']}, {out['key']} key)")
    loss = out["loss_db"]
    typer.echo(
        f"  loss        Alice {loss['alice']:.2f} dB, Bob {loss['bob']:.2f} dB, "
        f"total {loss['total']:.2f} dB"
    )
    typer.echo(
        f"  rate        {_fmt(out['rate_per_pulse'])} bit/pulse, {_fmt(out['rate_bps'])} bit/s"
        f"   rate/PLOB {_fmt(out['ratio_to_plob'])}"
    )
    typer.echo(
        f"  QBER        X {_fmt(out['qber_x'], '.4f')}  Z {_fmt(out['qber_z'], '.4f')}"
        f"   e1_ph {_fmt(out['e1_ph'], '.4f')}"
    )
    typer.echo(f"  key         {out['key_note']}")
    if "ratio_to_published" in out:
        typer.echo(
            f"  published   {_fmt(out['published_rate_bps'])} bit/s  "
            f"(simulated/published {_fmt(out['ratio_to_published'])}): {out['published_source']}"
        )
    params = out["parameters"]
    if params:
        shown = ", ".join(
            f"{k}={_fmt(v, '.4g') if isinstance(v, float) else v}"
            for k, v in params.items()
            if v is not None
        )
        typer.echo(f"  parameters  {shown}")
    for key, src in out["provenance"].items():
        typer.echo(f"  source      {key}: {src}")
    if out.get("insufficient_parameters"):
        typer.echo(f"  limits      {out['insufficient_parameters']}")


def reproduce_all(paths: list[Path] | None = None) -> list[dict[str, Any]]:
    """Evaluate the bundled experiments (or ``paths``); one result dict each, with
    ``file``, ``within_factor_2`` (simulated within x2 of published) and the evaluation."""
    from qkdchip.sims.keyrate.experiment import Experiment, bundled_experiments

    rows = []
    for p in paths if paths is not None else bundled_experiments():
        out = Experiment.from_yaml(p).evaluate()
        ratio = out.get("ratio_to_published")
        out["file"] = Path(p).name
        out["within_factor_2"] = (
            None if ratio is None else bool(1.0 / REPRODUCED_FACTOR <= ratio <= REPRODUCED_FACTOR)
        )
        rows.append(out)
    return rows


def register(app: typer.Typer) -> None:
    @app.command("reproduce")
    @interruptible
    def reproduce_cmd(
        json_out: bool = typer.Option(False, "--json", help="print the results as JSON"),
    ) -> None:
        """Published TF-QKD experiments (bundled files): simulated vs published rate."""
        try:
            rows = reproduce_all()
        except ValueError as exc:
            fail(str(exc).splitlines()[0])
        if json_out:
            print_json(rows)
            return
        head = (
            f"{'experiment':<34s} {'protocol':<9s} {'key':<10s} {'loss dB':>8s} "
            f"{'simulated b/s':>14s} {'published b/s':>14s} {'ratio':>9s}  x2?"
        )
        typer.echo(head)
        typer.echo("-" * len(head))
        for r in rows:
            ok = {True: "yes", False: "NO", None: "-"}[r["within_factor_2"]]
            if r["within_factor_2"] is False and r.get("insufficient_parameters"):
                ok = "no, see note"
            typer.echo(
                f"{r['file'][:-4][:34]:<34s} {r['protocol']:<9s} {r['key']:<10s} "
                f"{r['loss_db']['total']:8.1f} {_fmt(r['rate_bps']):>14s} "
                f"{_fmt(r.get('published_rate_bps')):>14s} "
                f"{_fmt(r.get('ratio_to_published')):>9s}  {ok}"
            )
        typer.echo("")
        for r in rows:
            if r.get("insufficient_parameters"):
                typer.echo(f"{r['file']}: {r['insufficient_parameters']}")
        typer.echo(
            "Parameters and their sources: qkdchip keyrate --experiment FILE (the files are in "
            "qkdchip/sims/keyrate/experiments/)."
        )
