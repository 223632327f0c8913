"""``qkdchip simulate {server|client|CELL}``: S-parameters over wavelength and derived figures.

The chips are simulated from their own netlists (``sax.circuit`` on ``get_netlist()``) with the
PDKs' models; any single cell of either PDK can be simulated by its name (``--set`` then sets
that cell's own keyword arguments, e.g. ``--set length_um=500``).

Outputs: ``--out FILE.npz`` holds ``wl_um`` (n), ``ports`` (m names) and ``S`` (n, m, m complex,
S[:, i, j] from port j to port i); ``--out FILE.csv`` holds one row per wavelength with the
|S_ij|^2 (dB) and phase of every port pair; ``--out FILE.sNp`` (N = the number of ports, e.g.
``server.s2p``) is a Touchstone 1.1 file written with scikit-rf (frequency in Hz, ascending, so
the wavelength order is reversed; real/imaginary pairs; the port names and the wavelength
relation in the header comments), which INTERCONNECT, scikit-rf and VNA tools read;
``--plot FILE.png`` shows |S|^2 in dB.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json

log = logging.getLogger(__name__)

CHIPS = ("server", "client")
#: a Touchstone suffix: ``.s<number of ports>p``
TOUCHSTONE = re.compile(r"\.s([1-9][0-9]{0,2})p")


def check_out(out: Path) -> Path:
    """Check the ``--out`` path before any work: ``.npz``, ``.csv`` or Touchstone ``.sNp``."""
    from qkdchip.base import outputs

    suffix = out.suffix.lower()
    allowed = (suffix,) if TOUCHSTONE.fullmatch(suffix) else (*outputs.SPARAM_SUFFIXES, ".sNp")
    return outputs.check_file(out, f"--out {out}", allowed)


def check_ports(out: Path, ports: list[str], target: str) -> None:
    """A Touchstone ``--out`` must name the number of ports the S-matrix has (ValueError)."""
    m = TOUCHSTONE.fullmatch(out.suffix.lower())
    if m and int(m.group(1)) != len(ports):
        raise ValueError(
            f"--out {out}: {target} has {len(ports)} ports ({', '.join(ports)}), its Touchstone "
            f"file is .s{len(ports)}p (allowed .s{len(ports)}p, .npz or .csv)"
        )


def _wl_grid(wl_min_nm: float, wl_max_nm: float, points: int):
    import numpy as np

    for flag, value in (("--wl-min-nm", wl_min_nm), ("--wl-max-nm", wl_max_nm)):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{flag}={value!r} must be a finite wavelength (allowed > 0 nm)")
    if not wl_max_nm > wl_min_nm:
        raise ValueError(f"--wl-max-nm={wl_max_nm} must be above --wl-min-nm={wl_min_nm}")
    if not 2 <= points <= 1_000_000:
        raise ValueError(f"--points={points} is out of range: allowed [2, 1000000]")
    return np.linspace(wl_min_nm, wl_max_nm, points) * 1e-3


def simulate_chip(target: str, wl_um, sets: list[str], design_file: Path | None):
    """(S, ports, figures, marks_nm) of a chip for a design."""
    from qkdchip import design as design_mod

    design = design_mod.load(design_file, sets)
    from qkdchip.feasibility import check

    check(design)  # joint constraints of the chips (ValueError naming each violated one)
    if target == "client":
        from qkdchip.sims.client import client_figures, client_sparams

        kw = design.kwargs("client")
        S, ports = client_sparams(wl_um, **kw)
        figures = client_figures(**kw)
        return S, ports, figures, [figures.get("wavelength_nm")]
    from qkdchip.sims.server import server_figures, server_sparams

    kw = design.kwargs("server")
    S, ports = server_sparams(wl_um, **kw)
    figures = server_figures(**kw)
    figures.update(_heater_report(design))
    marks = []
    wl_res = figures.get("resonance_wl_nm")
    fsr_ghz = figures.get("fsr_ghz")
    if wl_res and fsr_ghz:
        from scipy.constants import c

        nu0 = c / (wl_res * 1e-9)
        lo, hi = c / (wl_um.max() * 1e-6), c / (wl_um.min() * 1e-6)
        k0, k1 = math.ceil((lo - nu0) / (fsr_ghz * 1e9)), math.floor((hi - nu0) / (fsr_ghz * 1e9))
        if k1 - k0 < 200:
            marks = [c / (nu0 + k * fsr_ghz * 1e9) * 1e9 for k in range(k0, k1 + 1)]
    return S, ports, figures, marks


def _heater_report(design) -> dict[str, float]:
    """The drawn heater's tuning and the powers that put the ring where the comb needs it: the
    resonance on lambda_0, and the pump line (zeta_0 below the resonance) on lambda_0, i.e. the
    comb's lines on the channel grid (:func:`qkdchip.sims.devices.operating_point`)."""
    from qkdchip.sims import devices, server
    from qkdchip.sims.physics.constants import NU0_HZ

    comp = server._build(design.kwargs("server"))
    heater = server.server_heater(component=comp)
    op = devices.operating_point(design)
    return {
        "heater_resistance_ohm": heater.resistance_ohm,
        "heater_thermal_resistance_k_per_w": heater.thermal_resistance_k_per_w,
        "heater_tuning_pm_per_mw": heater.tuning_m_per_w * 1e9,
        "heater_power_resonance_on_lambda0_mw": server.heater_power_for(NU0_HZ, component=comp)
        * 1e3,
        "heater_power_pump_on_lambda0_mw": op["heater_power_w"] * 1e3,
    }


def simulate_cell(name: str, wl_um, sets: list[str]):
    """(S, ports, figures, marks) of one cell of either PDK, built with ``--set`` kwargs."""
    import importlib

    import sax

    from qkdchip.design import parse_set
    from qkdchip.pdk import PROCESSES, get_pdk, use_pdk
    from qkdchip.sims.models.analysis import to_dense

    kwargs = parse_set(sets)
    for process in PROCESSES:
        pdk = get_pdk(process)
        if name in pdk.cells:
            break
    else:
        cells = sorted({*get_pdk("sin").cells, *get_pdk("inp").cells})
        raise ValueError(f"cell {name!r} is unknown: chips {CHIPS} or one of {', '.join(cells)}")
    models_mod = importlib.import_module(f"qkdchip.sims.models.{process}")
    with use_pdk(process):
        try:
            component = pdk.cells[name](**kwargs)
        except TypeError as exc:
            raise ValueError(f"cell {name}: {exc}") from exc
        if hasattr(models_mod, "cell_model"):
            model = models_mod.cell_model(component)
        else:  # generic: leaf model with its settings, or the circuit of its netlist
            model = _generic_cell_model(component, models_mod.MODELS, sax)
        sdict = model(wl=wl_um)
    S, ports = to_dense(sdict)
    return S, ports, {}, []


def _generic_cell_model(component, models, sax):
    import functools

    name = component.function_name
    if name in models:
        accepted = sax.get_settings(models[name])
        given = {**dict(component.settings), **dict(component.info)}
        return functools.partial(
            models[name], **{k: v for k, v in given.items() if k in accepted and k != "wl"}
        )
    circuit, _ = sax.circuit(component.get_netlist(recursive=True), models)
    return circuit


def write_sparams(path: Path, wl_um, ports: list[str], S) -> Path:
    """Write ``.npz``, ``.csv`` or Touchstone ``.sNp`` (by the suffix) atomically (temp file
    beside it + rename)."""
    from qkdchip.base.outputs import write_file

    path = Path(path)
    return write_file(path, lambda tmp: _write_sparams_to(tmp, path.suffix, wl_um, ports, S))


def touchstone_text(wl_um, ports: list[str], S, title: str = "") -> str:
    """The Touchstone text of S-parameters over wavelength (scikit-rf ``write_touchstone``):
    frequency in Hz ascending (f = c / lambda), real/imaginary, the port names in the header
    comments. Reproducible: no date, no library version in the text."""
    import numpy as np
    import skrf
    from scipy.constants import c

    wl_m = np.asarray(wl_um, dtype=float) * 1e-6
    order = np.argsort(-wl_m, kind="stable")  # ascending frequency
    freq = skrf.Frequency.from_f(c / wl_m[order], unit="hz")
    comments = [
        f"qkdchip simulate {title}".rstrip(),
        f"{len(ports)} ports: " + ", ".join(f"{k + 1} = {p}" for k, p in enumerate(ports)),
        f"S[i][j]: from port j to port i; wavelength_um = {c:.0f} / f_Hz * 1e6",
    ]
    net = skrf.Network(
        frequency=freq,
        s=np.asarray(S)[order],
        name=title or "qkdchip",
        comments="\n".join(comments),
    )
    net.port_names = list(ports)
    return net.write_touchstone(return_string=True, skrf_comment=False, form="ri")


def _write_sparams_to(tmp: Path, suffix: str, wl_um, ports: list[str], S, title: str = "") -> None:
    """Write the S-parameters into the file ``tmp`` in the format ``suffix`` names."""
    import numpy as np

    touchstone = TOUCHSTONE.fullmatch(suffix.lower())
    if touchstone:
        if int(touchstone.group(1)) != len(ports):
            raise ValueError(f"{suffix}: the S-matrix has {len(ports)} ports")
        with open(tmp, "w", encoding="ascii", newline="\n") as fh:
            fh.write(touchstone_text(wl_um, ports, S, title))
        return

    if suffix.lower() == ".npz":
        with open(tmp, "wb") as fh:
            np.savez(fh, wl_um=np.asarray(wl_um), ports=np.asarray(ports), S=S)
    elif suffix.lower() == ".csv":
        cols = ["wl_um"]
        data = [np.asarray(wl_um)]
        for i, p_out in enumerate(ports):
            for j, p_in in enumerate(ports):
                s = S[:, i, j]
                cols += [f"S_{p_out}_{p_in}_db", f"S_{p_out}_{p_in}_phase_rad"]
                data += [10 * np.log10(np.maximum(np.abs(s) ** 2, 1e-300)), np.angle(s)]
        with open(tmp, "wb") as fh:
            np.savetxt(fh, np.column_stack(data), delimiter=",", header=",".join(cols), comments="")
    else:
        raise ValueError(f"--out {str(tmp)!r}: the suffix must be .npz, .csv or .sNp")


def plot_sparams(path: Path, wl_um, ports: list[str], S, title: str, marks_nm=()) -> Path:
    """|S_ij|^2 in dB for every transmission and reflection with a non-negligible level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=120)
    wl_nm = np.asarray(wl_um) * 1e3
    for i, p_out in enumerate(ports):
        for j, p_in in enumerate(ports):
            t = np.abs(S[:, i, j]) ** 2
            if t.max() < 1e-8 or (i < j and np.allclose(S[:, i, j], S[:, j, i])):
                continue
            ax.plot(wl_nm, 10 * np.log10(np.maximum(t, 1e-30)), lw=1, label=f"{p_in} -> {p_out}")
    for m in marks_nm or ():
        if m is not None:
            ax.axvline(m, color="0.6", lw=0.6, ls=":")
    from qkdchip.base.labels import axis_label

    ax.set_xlabel(axis_label("wavelength_nm"))
    ax.set_ylabel(axis_label("transmission_db"))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    from qkdchip.base.outputs import save_figure

    return save_figure(fig, path)  # atomic, in the format the suffix names


def _scalar_figures(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if isinstance(v, int | float | str | bool | dict)}


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    @interruptible
    def simulate_cmd(
        target: str = typer.Argument(..., help="server, client, or a cell name of either PDK"),
        wl_min_nm: float = typer.Option(1549.0, "--wl-min-nm", help="sweep start (nm)"),
        wl_max_nm: float = typer.Option(1551.0, "--wl-max-nm", help="sweep stop (nm)"),
        points: int = typer.Option(2001, "--points", help="number of wavelengths"),
        sets: list[str] = typer.Option([], "--set", help="override NAME=VALUE (repeatable)"),
        design_file: Path | None = typer.Option(None, "--design", help="design YAML file"),
        out: Path | None = typer.Option(
            None, "--out", help="write S-parameters: .npz, .csv or Touchstone .sNp (N ports)"
        ),
        plot: Path | None = typer.Option(None, "--plot", help="write a |S|^2 plot (PNG)"),
        json_out: bool = typer.Option(False, "--json", help='print {"figures": {...}}'),
    ) -> None:
        """S-parameters of a chip (from its own netlist) or a cell, and the derived figures."""
        from qkdchip.base import outputs

        try:  # the output paths first: nothing is computed for a path that cannot be written
            if out is not None:
                check_out(out)
            if plot is not None:
                outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
        except ValueError as exc:
            fail(str(exc))
        try:
            wl = _wl_grid(wl_min_nm, wl_max_nm, points)
            if target in CHIPS:
                S, ports, figures, marks = simulate_chip(target, wl, sets, design_file)
            else:
                S, ports, figures, marks = simulate_cell(target, wl, sets)
        except ValueError as exc:
            fail(str(exc))
        import numpy as np

        if not np.all(np.isfinite(S)):
            fail(f"{target}: the S-matrix has non-finite entries", code=1)
        if out is not None:
            try:
                check_ports(out, ports, target)
            except ValueError as exc:
                fail(str(exc))
        with outputs.FileSet() as files:  # both files or neither
            if out is not None:
                _write_sparams_to(files.temp(out), out.suffix, wl, ports, S, target)
            if plot is not None:
                plot_sparams(files.temp(plot), wl, ports, S, f"{target}: |S|^2", marks)
        for path in (out, plot):
            if path is not None:
                log.info("wrote %s (%d wavelengths, ports %s)", path, wl.size, ", ".join(ports))
        if json_out:
            print_json(
                {
                    "target": target,
                    "ports": ports,
                    "points": int(wl.size),
                    "figures": _scalar_figures(figures),
                }
            )
            return
        from rich.console import Console
        from rich.table import Table

        console = Console()
        console.print(
            f"{target}: ports {', '.join(ports)}; {wl.size} wavelengths {wl_min_nm}-{wl_max_nm} nm"
        )
        table = Table(title="transmission (dB): min / max over the sweep")
        table.add_column("from -> to")
        table.add_column("min", justify="right")
        table.add_column("max", justify="right")
        for i, p_out in enumerate(ports):
            for j, p_in in enumerate(ports):
                t = np.abs(S[:, i, j]) ** 2
                if t.max() < 1e-8:
                    continue
                db = 10 * np.log10(np.maximum(t, 1e-30))
                table.add_row(f"{p_in} -> {p_out}", f"{db.min():.2f}", f"{db.max():.2f}")
        console.print(table)
        if figures:
            ft = Table(title="derived figures")
            ft.add_column("figure")
            ft.add_column("value", justify="right")
            for k, v in _scalar_figures(figures).items():
                ft.add_row(k, f"{v:.6g}" if isinstance(v, float) else str(v))
            console.print(ft)
