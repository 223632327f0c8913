"""``qkdchip network``: the key rate of every channel of the 20-client, 10-channel network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json

#: distances of the rate-vs-distance curves [km]
CURVE_KM = tuple(float(x) for x in range(0, 601, 20))


def load_design(
    design_file: Path | None,
    sets: list[str],
    *,
    distance_km: float | None = None,
    protocol: str | None = None,
    seed: int | None = None,
    mode: str | None = None,
):
    """The design of a network command: the file, the ``--set`` overrides, then the command's
    own options (which win); validated (ValueError naming the parameter)."""
    from qkdchip import design as design_mod
    from qkdchip.base.params import Range
    from qkdchip.sims.network.settings import KEY_PROTOCOLS, MODES

    def name(prefix: str, arg: str) -> str:
        return next(p.name for p in design_mod.parameters([prefix]) if p.arg == arg)

    options: dict[str, Any] = {}
    if distance_km is not None:
        arm_a, arm_b = (
            design_mod.param("link.upstream_a_km"),
            design_mod.param("link.upstream_b_km"),
        )
        arm_max = min(x.max for x in (arm_a, arm_b) if x.max is not None)
        Range(0.0, 2 * arm_max, "km").check("--distance-km", distance_km)
        half = float(distance_km) / 2
        options[arm_a.name] = options[arm_b.name] = half
    choices = {"protocol": KEY_PROTOCOLS, "mode": MODES}
    for arg, value in (("protocol", protocol), ("seed", seed), ("mode", mode)):
        if value is None:
            continue
        if arg in choices and value not in choices[arg]:
            raise ValueError(f"--{arg}={value!r} is unknown (allowed {', '.join(choices[arg])})")
        pname = name("network", arg)
        options[pname] = design_mod.coerce_option(f"--{arg}", pname, value)
    design = design_mod.load(design_file, sets, options)
    from qkdchip.sims.network.model import settings_of

    settings_of(design)  # validate the system parameters now (one-line error)
    from qkdchip.sims.network.uncertainty import uncertain_of

    uncertain_of(design)  # and the ranges of the unpublished ones (uncertain.*)
    from qkdchip.feasibility import check

    check(design)  # joint constraints of the chips (network, run, sweep: before any work)
    return design


def fmt_ratio(r: float) -> str:
    return f"{(r - 1.0) * 100:+.1f} %" if r > 0 else "-"


def summary_line(result) -> str:
    s = result.summary()
    keyed = result.with_key
    parts = [
        f"{s['channels_with_key']}/{s['channels']} channels with key at {s['distance_km']:g} km"
        f" ({s['protocol']}, {s['mode']})"
    ]
    if keyed:
        parts.append(
            f"rate/PLOB {s['ratio_to_plob_min']:.3g}-{s['ratio_to_plob_max']:.3g} "
            f"({fmt_ratio(min(c.ratio_to_plob for c in keyed))} to "
            f"{fmt_ratio(max(c.ratio_to_plob for c in keyed))})"
        )
    if s["qber_x_range"]:
        lo, hi = s["qber_x_range"]
        parts.append(f"X QBER {100 * lo:.2f}-{100 * hi:.2f} %")
    parts.append(f"networking capability {s['networking_capability_km']:,.0f} km")
    parts.append(f"network average {s['network_bps']:.4g} bit/s")
    return "; ".join(parts)


def channel_table(result, title: str | None = None):
    """Rich table of the channels (fits 100 columns)."""
    from rich.table import Table

    table = Table(title=title, pad_edge=False)
    for col in (
        "ch",
        "pair",
        "nm",
        "lock",
        "QBER X",
        "QBER Z",
        "bit/pulse",
        "bit/s",
        "PLOB",
        "ratio",
    ):
        table.add_column(col, justify="right", no_wrap=True)
    for c in result.channels:
        table.add_row(
            str(c.channel),
            f"{c.a.chip.name}-{c.b.chip.name}",
            f"{c.wavelength_nm:.2f}",
            "yes" if c.locked else "[red]no[/red]",
            f"{100 * c.qber_x:.2f}%" if c.qber_x is not None else "-",
            f"{100 * c.qber_z:.1f}%" if c.qber_z is not None else "-",
            f"{c.rate_per_pulse:.3g}",
            f"{c.rate_bps:.3g}",
            f"{c.plob_per_pulse:.3g}",
            f"{c.ratio_to_plob:.2f}" if c.has_key else "[red]no key[/red]",
        )
    return table


def uncertainty_table(unc, result):
    """Rich table of the per-channel bands of a propagated uncertainty."""
    from rich.table import Table

    p = "/".join(f"{x:g}" for x in unc.to_dict()["percentiles"])
    table = Table(
        title=f"Under uncertainty: {unc.n} samples (seed {unc.seed}), percentiles {p} %",
        pad_edge=False,
    )
    for col in ("ch", "rate/PLOB", "X QBER (%)", "key in", "largest share of variance"):
        table.add_column(col, justify="right", no_wrap=True)
    for j, c in enumerate(result.channels):
        d = unc.channel_dict(j)
        r, q, s = d["ratio_to_plob_band"], d["qber_x_band"], d["sensitivity"]
        top = max(s.items(), key=lambda kv: kv[1]) if s else None
        table.add_row(
            str(c.channel),
            " / ".join(f"{x:.2f}" for x in r) if r else "-",
            " / ".join(f"{100 * x:.2f}" for x in q) if q else "-",
            f"{100 * d['key_fraction']:.0f} %",
            f"{top[0]} {100 * top[1]:.0f} %" if top else "-",
        )
    return table


def uncertainty_lines(unc) -> list[str]:
    """Sensitivity ranking and consistency with the reference, as text lines."""
    d = unc.to_dict()
    out = []
    if d["sensitivity"]:
        ranked = sorted(d["sensitivity"].items(), key=lambda kv: -kv[1])
        out.append(
            "share of the variance of the mean rate/PLOB (RBD-FAST first order): "
            + ", ".join(f"{k} {100 * v:.1f} %" for k, v in ranked)
        )
    c = d["consistent_with_reference"]
    out.append(
        f"consistent with the reference (all channels with rate/PLOB in "
        f"{c['ratio_to_plob_range'][0]}-{c['ratio_to_plob_range'][1]} and X QBER in "
        f"{100 * c['qber_x_range'][0]:.1f}-{100 * c['qber_x_range'][1]:.1f} %): "
        f"{100 * c['fraction']:.1f} % of the samples ({c['samples']}/{d['samples']})"
    )
    if c["parameter_ranges"]:
        out.append(
            "  their parameters: "
            + "; ".join(f"{k} {lo:.3g}-{hi:.3g}" for k, (lo, hi) in c["parameter_ranges"].items())
        )
    return out


def result_json(result, curves: dict[str, Any] | None = None, uncertainty=None) -> dict[str, Any]:
    """The JSON object of a network result (and its curves, and its propagated uncertainty:
    per channel ``ratio_to_plob_band``, ``qber_x_band``, ``key_fraction``, ``sensitivity``;
    the whole in ``uncertainty``); non-finite numbers become null (e.g. PLOB at 0 km)."""
    from qkdchip.sims.network.model import jsonable

    out = result.to_dict()
    if uncertainty is not None:
        for j, ch in enumerate(out["channels"]):
            ch.update(uncertainty.channel_dict(j))
        out["uncertainty"] = uncertainty.to_dict()
    if curves is not None:
        out["curves"] = {
            "distance_km": list(curves["distance_km"]),
            "plob_per_pulse": [float(x) for x in curves["plob"]],
            "channels": {
                str(ch): [float(x) for x in row]
                for ch, row in zip(curves["channels"], curves["rate"], strict=True)
            },
        }
    return jsonable(out)


def register(app: typer.Typer) -> None:
    @app.command("network")
    @interruptible
    def network_cmd(
        distance_km: float | None = typer.Option(
            None, "--distance-km", help="Alice-Bob fibre distance (default: the design's, 370)"
        ),
        protocol: str | None = typer.Option(
            None, "--protocol", help="sns-aopp (default), sns, pm, tf or cal"
        ),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        sets: list[str] = typer.Option([], "--set", help="override NAME=VALUE, repeatable"),
        seed: int | None = typer.Option(None, "--seed", help="seed of the simulated wafer"),
        mode: str | None = typer.Option(None, "--mode", help="sequential or simultaneous"),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
        plot: Path | None = typer.Option(
            None, "--plot", help="write the rate-vs-distance curves (PNG)"
        ),
        uncertainty: str | None = typer.Option(
            None,
            "--uncertainty",
            metavar="SAMPLES",
            help="propagate SAMPLES draws of the unpublished parameters (uncertain.*; "
            "seeded by --seed, with the wafer): bands, sensitivity, consistency with the reference",
        ),
        reach: bool = typer.Option(
            False, "--reach", help="also the reach: longest distance with every channel > PLOB"
        ),
    ) -> None:
        """Key rate of every channel of the network: locking, QBERs, rate, PLOB and ratio."""
        if plot is not None:  # the output path first: nothing is computed for a bad one
            from qkdchip.base import outputs

            try:
                outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
            except ValueError as exc:
                fail(str(exc))
        n_samples = None
        try:
            if uncertainty is not None:
                from qkdchip.base.params import Range, parse_number
                from qkdchip.sims.network.uncertainty import MAX_SAMPLES

                n_samples = parse_number(
                    "--uncertainty", uncertainty, Range(1, MAX_SAMPLES, "", integer=True),
                    integer=True,
                )  # fmt: skip
            design = load_design(
                design_file, sets, distance_km=distance_km, protocol=protocol, seed=seed,
                mode=mode,
            )  # fmt: skip
        except ValueError as exc:
            fail(str(exc))
        from qkdchip.sims.network.model import rate_curves, simulate_network

        unc = None
        try:
            result = simulate_network(design)
            curves = rate_curves(result, CURVE_KM) if plot is not None else None
            if n_samples is not None:
                from qkdchip.sims.network.uncertainty import propagate, uncertain_of

                unc = propagate(result, uncertain_of(design), n_samples)
            if reach:
                from qkdchip.sims.network.reach import reach_km

                reach_value = reach_km(result)
        except ValueError as exc:
            fail(str(exc))
        if plot is not None:
            from qkdchip.sims.network.plots import plot_rate_curves

            plot_rate_curves(curves, result, plot)
        if json_out:
            out = result_json(result, curves, unc)
            if plot is not None:
                out["plot"] = str(plot)
            if reach:
                out["reach_km"] = reach_value
            print_json(out)
            return
        from rich.console import Console

        console = Console(width=max(100, Console().width))
        console.print(channel_table(result, f"TF-QKD network at {result.distance_km:g} km"))
        for c in result.channels:
            if not c.has_key:
                console.print(f"[red]channel {c.channel}[/red]: {c.reason}")
        console.print(summary_line(result))
        if unc is not None:
            console.print(uncertainty_table(unc, result))
            for line in uncertainty_lines(unc):
                console.print(line)
        if reach:
            console.print(f"reach (every channel above PLOB): {reach_value:.6g} km")
        if plot is not None:
            console.print(f"rate-vs-distance curves: {plot}")
