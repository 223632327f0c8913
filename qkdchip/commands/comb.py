"""``qkdchip comb``: the simulated Kerr comb of the server ring, from the layout parameters."""

from __future__ import annotations

from pathlib import Path

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json


def plot_comb(comb, plan, path: Path) -> Path:
    """Comb spectrum at the bus output (dBm vs THz), the channels and lambda_0 marked."""
    from qkdchip.base.outputs import save_figure

    return save_figure(comb_figure(comb, plan), path)  # atomic, in the format the suffix names


def comb_figure(comb, plan):
    """The figure of :func:`plot_comb`: comb lines grey, the pump line black above the dashed
    lambda_0 marker (they coincide when the heater puts the pump on lambda_0), channels blue."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=120)
    f = comb.frequency_hz / 1e12
    p = comb.power_dbm
    floor = float(np.max(p)) - 60
    ax.vlines(f, floor, p, color="0.55", lw=1.2, label="comb lines")
    ch_f = [ch.frequency_thz for ch in plan.channels]
    ch_p = [ch.line_power_dbm for ch in plan.channels]
    ax.plot(ch_f, ch_p, "o", color="tab:blue", ms=6, label="QKD channels")
    for ch in plan.channels:
        ax.annotate(
            str(ch.channel),
            (ch.frequency_thz, ch.line_power_dbm),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7,
        )
    f0 = plan.reference_frequency_hz / 1e12
    ax.axvline(
        f0,
        color="tab:red",
        ls="--",
        lw=1,
        zorder=1,
        label=f"$\\lambda_0$ = {plan.lambda0_nm:.2f} nm",
    )
    i0 = int(np.argmin(np.abs(comb.k)))  # the pump line (k = 0), drawn above the marker
    ax.vlines(f[i0], floor, p[i0], color="k", lw=2.4, zorder=3, label="pump line")
    ax.set_ylim(floor, float(np.max(p)) + 5)
    shown = f[p > floor]
    pad = 3 * comb.fsr_hz / 1e12
    ax.set_xlim(shown.min() - pad, shown.max() + pad)
    ax.set_xlabel("frequency (THz)")
    ax.set_ylabel("power in the bus (dBm)")
    ax.set_title(
        f"{comb.state} comb: FSR {comb.fsr_hz / 1e9:.3f} GHz, {comb.n_lines_within(30.0)} lines within 30 dB"
    )
    ax.legend(loc="lower center", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def comb_seed(design) -> int:
    from qkdchip.sims import devices

    return devices.comb_settings(design).seed


def plot_map(emap, path: Path, laser_axis: list[dict] | None = None) -> Path:
    """The existence map: one coloured cell per (pump power, zeta_0) state, lines within 30 dB
    written in the dark-pulse cells, the operating point marked; with ``laser_axis`` (rows of
    :func:`qkdchip.sims.devices.sil_laser_axis`) a second panel: the state at the SIL lock point
    over the free-running laser frequency, with the supermode and the LLE's zeta_0 / shift."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    from qkdchip.sims.physics.lle import STATES

    colours = {
        "cw": "0.85",
        "turing": "tab:orange",
        "soliton": "tab:green",
        "dark_pulse": "tab:blue",
        "chaos": "tab:red",
    }
    idx = np.array([[STATES.index(s) for s in row] for row in emap.states])
    if laser_axis:
        fig, (ax, axl) = plt.subplots(
            2, 1, figsize=(8, 6.4), dpi=120, gridspec_kw={"height_ratios": [3, 1]}
        )
    else:
        fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    cmap = ListedColormap([colours[s] for s in STATES])
    ax.imshow(idx, origin="lower", aspect="auto", cmap=cmap, vmin=-0.5, vmax=len(STATES) - 0.5)
    for i in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            if emap.states[i][j] == "dark_pulse":
                ax.text(
                    j,
                    i,
                    str(emap.n_lines[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white",
                )
    ax.set_xticks(range(emap.zeta.size), [f"{z:g}" for z in emap.zeta], fontsize=7)
    ax.set_yticks(
        range(emap.pump_power_w.size), [f"{p * 1e3:.1f}" for p in emap.pump_power_w], fontsize=7
    )
    ip = int(np.argmin(np.abs(emap.pump_power_w - emap.point_power_w)))
    iz = int(np.argmin(np.abs(emap.zeta - emap.point_zeta)))
    ax.plot(iz, ip, marker="*", ms=16, mfc="none", mec="k", mew=1.5, label="operating point")
    for s in STATES:
        ax.plot([], [], "s", color=colours[s], label=s)
    ax.set_xlabel("detuning zeta_0")
    ax.set_ylabel("pump power in the bus (mW)")
    loss = (
        f", extra loss {emap.pump_mode_extra_loss:.2f} kappa" if emap.pump_mode_extra_loss else ""
    )
    ax.set_title(f"comb states, pumped-mode shift {emap.mode_shift_kappa:.3g} kappa{loss}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    if laser_axis:
        for j, row in enumerate(laser_axis):
            colour = colours.get(row["state"], "white")
            axl.add_patch(plt.Rectangle((j - 0.5, -0.5), 1, 1, color=colour, ec="0.5"))
            text = (
                f"{row['supermode'][:4]}\n{row['detuning_zeta0']:.1f}\n{row['mode_shift_kappa']:+.2f}"
                if row["locked"]
                else "unl."
            )
            axl.text(j, 0, text, ha="center", va="center", fontsize=6)
        axl.set_xlim(-0.5, len(laser_axis) - 0.5)
        axl.set_ylim(-0.5, 0.5)
        axl.set_yticks([])
        axl.set_xticks(
            range(len(laser_axis)), [f"{r['laser_offset_ghz']:.2f}" for r in laser_axis], fontsize=7
        )
        axl.set_xlabel(
            "free-running laser - cold resonance (GHz); cells: SIL supermode, zeta_0, shift (kappa)"
        )
        axl.set_title(
            "state at the self-injection lock point (this design's pump power)", fontsize=8
        )
    fig.tight_layout()
    from qkdchip.base.outputs import save_figure

    return save_figure(fig, path)


def register(app: typer.Typer) -> None:
    @app.command("comb")
    @interruptible
    def comb_cmd(
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        sets: list[str] = typer.Option(
            [], "--set", help="override NAME=VALUE (server.*, comb.*), repeatable"
        ),
        plot: Path | None = typer.Option(None, "--plot", help="write the spectrum as PNG"),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
        map_: bool = typer.Option(
            False,
            "--map",
            help="scan pump power x detuning (existence map); with --plot, draw the map",
        ),
    ) -> None:
        """Simulate the dark-pulse comb of the server ring (LLE) and place the WDM channels."""
        from qkdchip.base import outputs

        if plot is not None:  # the output path first: nothing is computed for a bad one
            try:
                outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
            except ValueError as exc:
                fail(str(exc))
        from qkdchip import design as design_mod

        try:
            design = design_mod.load(design_file, sets)
            from qkdchip.feasibility import check

            check(design)  # joint constraints of the chips: exit 2 before the comb is computed
        except ValueError as exc:
            fail(str(exc))
        from qkdchip.sims import devices

        try:
            ring = devices.ring_params(design)
            comb = devices.comb(design)
            # fewer usable lines than channels is a result of the design, reported below
            plan = devices.channel_plan(design, comb, allow_fewer=True)
        except ValueError as exc:
            fail(str(exc))
        import inspect

        from qkdchip.sims.physics.channels import plan_channels

        requested = inspect.signature(plan_channels).parameters["n_channels"].default
        out = comb.to_dict()
        out["ring"] = {
            "length_mm": ring.length_m * 1e3,
            "n_g": ring.n_g,
            "fsr_ghz": ring.fsr_hz / 1e9,
            "d2_over_2pi_khz": ring.d2_rad_s / (2 * 3.141592653589793) / 1e3,
            "q_intrinsic": ring.q_i,
            "q_external": ring.q_ex,
            "q_loaded": ring.q_loaded,
            "kappa2": ring.kappa2,
            "threshold_mw": ring.threshold_power_w * 1e3,
        }
        out["channels"] = plan.to_dict()["channels"]
        out["channels_requested"] = requested
        out["channels_placed"] = len(plan.channels)
        out["channel_shortfall"] = plan.shortfall  # None when every channel has its line
        out["lambda0_nm"] = plan.lambda0_nm
        if map_:
            from qkdchip.sims.physics.comb import existence_map

            emap = existence_map(
                ring,
                comb.pump_power_w,
                comb.detuning_zeta,
                comb.mode_shift_kappa,
                seed=comb_seed(design),
                pump_mode_extra_loss=comb.pump_mode_extra_loss,
            )
            out["map"] = emap.to_dict()
            from qkdchip.sims.devices import sil_laser_axis

            laser_axis = sil_laser_axis(design)
            out["map"]["sil_laser_axis"] = laser_axis
        if plot is not None:
            if map_:
                plot_map(emap, plot, laser_axis)
            else:
                plot_comb(comb, plan, plot)
            out["plot"] = str(plot)
        if json_out:
            print_json(out)
            return
        from rich.console import Console
        from rich.table import Table

        console = Console()
        r = out["ring"]
        console.print(
            f"ring: L {r['length_mm']:.3f} mm, FSR {r['fsr_ghz']:.3f} GHz, Q_i {r['q_intrinsic']:.3g}, "
            f"Q_L {r['q_loaded']:.3g}, |k|^2 {r['kappa2']:.3g}, P_th {r['threshold_mw']:.2f} mW"
        )
        console.print(
            f"comb: {out['state']}, {out['n_lines_within_30db']} lines within 30 dB, "
            f"lambda_0 {out['lambda0_nm']:.2f} nm, line linewidth {out['line_linewidth_hz']:.1f} Hz"
        )
        h, sl = out["heater"], out["sil"]
        console.print(
            f"heater: {h['power_mw']:.2f} mW ({h['voltage_v']:.2f} V, +{h['temperature_rise_k']:.2f} K, "
            f"{h['tuning_pm_per_mw']:.3f} pm/mW){' to put the pump line on lambda_0' if h['auto'] else ''}"
        )
        console.print(
            f"SIL: {'locked' if sl['locked'] else 'not locked'}"
            f"{' to the ' + sl['supermode'] + ' supermode' if sl['locked'] else ''}"
            f" at zeta_0 {sl['detuning_zeta0']:.2f}, "
            f"mode shift {sl['mode_shift_kappa']:.3f} kappa, locking range "
            f"{sl['locking_range_ghz']:.2f} GHz, feedback phase {sl['feedback_phase_rad']:.3f} rad"
            f"{'' if sl['drives_comb'] else ' (reported; comb.sil_drive=false)'}"
        )
        if "map" in out:
            dp = [x for x in out["map"]["sil_laser_axis"] if x["state"] == "dark_pulse"]
            console.print(
                f"SIL laser axis: dark pulse at {len(dp)} of {len(out['map']['sil_laser_axis'])} "
                "free-running laser frequencies"
                + (
                    f" ({dp[0]['laser_offset_ghz']:.2f} .. {dp[-1]['laser_offset_ghz']:.2f} GHz)"
                    if dp
                    else ""
                )
            )
            r = out["map"]["dark_pulse_region"]
            console.print(
                f"map ({out['map']['wall_s']:.0f} s): dark pulse for {r['pump_mw']} mW at this zeta_0, "
                f"zeta_0 {r['zeta0']} at this power; margins {r['margin_db']} dB, "
                f"{r['margin_zeta0']} in zeta_0"
            )
        table = Table(title="WDM channels")
        for col in (
            "channel",
            "k",
            "frequency (THz)",
            "wavelength (nm)",
            "line (dBm)",
            "after demux (dBm)",
        ):
            table.add_column(col, justify="right")
        for ch in out["channels"]:
            table.add_row(
                str(ch["channel"]),
                str(ch["k"]),
                f"{ch['frequency_thz']:.4f}",
                f"{ch['wavelength_nm']:.3f}",
                f"{ch['power_dbm']:.2f}",
                f"{ch['demux_power_dbm']:.2f}",
            )
        console.print(table)
        if plan.shortfall:
            console.print(
                f"[red]{len(plan.channels)} of {requested} channels[/red]: {plan.shortfall}"
            )
