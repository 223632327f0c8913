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


def result_json(result, curves: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object of a network result (and its curves); non-finite numbers become null
    (e.g. PLOB at 0 km)."""
    from qkdchip.sims.network.model import jsonable

    out = result.to_dict()
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
        try:
            design = load_design(
                design_file, sets, distance_km=distance_km, protocol=protocol, seed=seed,
                mode=mode,
            )  # fmt: skip
        except ValueError as exc:
            fail(str(exc))
        from qkdchip.sims.network.model import rate_curves, simulate_network

        try:
            result = simulate_network(design)
            curves = rate_curves(result, CURVE_KM) if plot is not None else None
            if reach:
                from qkdchip.sims.network.reach import reach_km

                reach_value = reach_km(result)
        except ValueError as exc:
            fail(str(exc))
        if plot is not None:
            from qkdchip.sims.network.plots import plot_rate_curves

            plot_rate_curves(curves, result, plot)
        if json_out:
            out = result_json(result, curves)
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
        if reach:
            console.print(f"reach (every channel above PLOB): {reach_value:.6g} km")
        if plot is not None:
            console.print(f"rate-vs-distance curves: {plot}")
