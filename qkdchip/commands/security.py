"""``qkdchip security``: security margins of the client chip as drawn (phase randomisation,
light injection)."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json


def _fmt(x: float | None, spec: str, none: str = "-") -> str:
    return none if x is None else format(x, spec)


def summary_lines(result) -> list[str]:
    """The plain-text summary of a :class:`~qkdchip.sims.security.analysis.SecurityResult`."""
    ph, inj = result.phase_randomisation, result.injection

    def pct(x: float | None) -> str:
        return _fmt(None if x is None else 100 * x, ".3g")

    bits = (
        f"DAC bits >= {ph['dac_bits_for_1pct']}"
        if ph["dac_bits_for_1pct"]
        else "no DAC up to 16 bits at this swing"
    )
    fits = "" if ph["pm_length_needed_fits_die"] else " (does not fit the die)"
    return [
        f"phase randomisation: M = {ph['m']} phases, {ph['dac_bits']}-bit DAC, "
        f"{ph['drive_swing_v']:g} Vpp on PM I (V_pi {ph['pm_vpi_v']:.2f} V, "
        f"{ph['pm_length_um']:g} um): reaches {ph['coverage_rad'] / math.pi:.3f} pi"
        + (" (clipped)" if ph["clipped"] else "")
        + f", largest phase error {ph['max_phase_error_rad']:.3g} rad",
        f"  SNS rate loss at {ph['distance_km']:g} km: {pct(ph['rate_loss_370km'])} % with the "
        f"phases produced, {pct(ph['rate_loss_370km_ideal'])} % with {ph['m']} ideal phases; "
        f"< 1 % needs M >= {_fmt(ph['m_for_1pct'], 'd')}, {bits}; full circle needs "
        f"{ph['swing_needed_v']:.2f} Vpp or PM I >= {ph['pm_length_needed_um']:.0f} um{fits}; "
        f"exact phases at {_fmt(ph['swing_for_exact_phases_v'], '.4f')} Vpp",
        f"injection: isolation facet -> laser {inj['isolation_db']:.2f} dB; "
        f"{inj['attacker_power_dbm']:g} dBm at the facet shifts every intensity by "
        f"{100 * inj['delta_at_attacker_power']:+.3g} %",
        f"  key within 10 % of nominal up to delta = {100 * inj['delta_for_10pct']:.3g} %: "
        f"{_fmt(inj['max_injected_dbm_for_10pct'], '.2f')} dBm at the facet; extra isolation "
        f"needed {_fmt(inj['required_extra_isolation_db'], '.2f')} dB",
    ]


def register(app: typer.Typer) -> None:
    @app.command("security")
    @interruptible
    def security_cmd(
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        sets: list[str] = typer.Option([], "--set", help="override NAME=VALUE, repeatable"),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
        plot: Path | None = typer.Option(
            None, "--plot", help="write the phase set and the injection curve (PNG)"
        ),
    ) -> None:
        """Security margins: discrete phase randomisation of PM I and light injection."""
        if plot is not None:
            from qkdchip.base import outputs

            try:
                outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
            except ValueError as exc:
                fail(str(exc))
        from qkdchip.commands.network import load_design

        try:
            design = load_design(design_file, sets)
            from qkdchip.sims.security.analysis import SecuritySettings, security_margins

            SecuritySettings(**design.kwargs("security"))  # one-line error before any work
            result = security_margins(design)
        except ValueError as exc:
            fail(str(exc))
        if plot is not None:
            from qkdchip.sims.security.analysis import plot_security

            plot_security(result, plot)
        if json_out:
            out = result.to_dict()
            if plot is not None:
                out["plot"] = str(plot)
            print_json(out)
            return
        for line in summary_lines(result):
            typer.echo(line)
        if plot is not None:
            typer.echo(f"figure: {plot}")
