"""The chips' figures of the report: each chip's S-matrix figures and |S|^2 plots.

design: client.* -> client chip netlist -> sax circuit (qkdchip.sims.client)
    -> insertion loss, IM extinction, VOA range, PM V_pi; the drive response at the laser
    wavelength (IM I and VOA swept, the extinction point included) and |S|^2 over the C band
design: server.* -> server chip netlist -> sax circuit (qkdchip.sims.server)
    -> resonance, FSR, Q, coupling; |S21|^2 over two FSRs and around the pump resonance,
    sampled adaptively (:func:`resolved_trace`): every dip's exact minimum is on the curve, so
    the plotted extinction is the reported one

Each figure has its numbers (``client_data``, ``server_data``), a builder returning the
matplotlib figure (``client_figure``, ``server_figure``: tests read its labels and data) and a
``plot_*`` function that saves it atomically. Axis labels come from :mod:`qkdchip.base.labels`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qkdchip.base.labels import axis_label
from qkdchip.base.outputs import checkpoint
from qkdchip.design import Design

__all__ = [
    "client_data",
    "client_figure",
    "plot_client",
    "plot_server",
    "resolved_trace",
    "server_data",
    "server_figure",
]

#: legend and annotation font size of the report figures (readable on a slide)
LEGEND_PT = 9


def _db(t: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.asarray(t) + 1e-30)


def client_data(design: Design) -> dict[str, Any]:
    """Everything the client figure shows, computed from the chip's S-matrix (numbers and
    arrays, no matplotlib): the chip's figures (``figs``), the drive responses and the C-band
    traces."""
    from qkdchip.pdk.inp.process import PROCESS
    from qkdchip.sims import client
    from qkdchip.sims.client_figures import drive_response

    kw = design.kwargs("client")
    figs = client.client_figures(**kw)
    checkpoint()  # SIGINT/SIGTERM: stop between the chip's evaluations
    f, ports = client.client_fn(**kw)
    i_out, i_in = ports.index("o2"), ports.index(client.LASER_PORT)
    zero = {k: 0.0 for k in (f"{e}_v" for e in ("im1", "im2", "im3", "pm", "pmref", "voa"))}
    base = {**zero, **{f"{im}_v": v for im, v in figs["im_bias_v"].items()}}
    v1 = figs["im_bias_v"]["im1"]
    vpi = figs["im_vpi_v"]["im1"]
    # one wavelength grid for the C-band curves (one compilation of the jitted circuit), the
    # laser wavelength on it
    wl = np.linspace(1.53, 1.57, 401)
    k_laser = int(np.argmin(np.abs(wl - figs["wavelength_nm"] * 1e-3)))
    wl[k_laser] = figs["wavelength_nm"] * 1e-3

    def t_all(drive: dict[str, float]) -> np.ndarray:
        return np.abs(np.asarray(f(wl, drive))[:, i_out, i_in]) ** 2

    def t_drive(key: str, values: np.ndarray) -> np.ndarray:
        """|S(o2, laser)|^2 at the laser wavelength over ``values`` of ``key`` (vmapped calls
        of the single-wavelength circuit client_figures compiled, not one call per point)."""
        return drive_response(base=base, key=key, values=values, **kw)

    cands = [v1 + vpi, v1 - vpi]
    v_off = cands[int(np.argmin(t_drive("im1_v", np.asarray(cands))))]
    v_max = PROCESS.voa_max_reverse_bias_V
    # IM I: its bias -> past the extinction point, the extinction point itself on the curve
    sign = 1.0 if v_off > v1 else -1.0
    v_im = np.union1d(v1 + sign * np.linspace(0.0, 1.25 * vpi, 241), [v_off])
    t_im = t_drive("im1_v", v_im)
    v_voa = np.linspace(0.0, v_max, 81)
    t_voa = t_drive("voa_v", v_voa)
    t_off = float(t_drive("im1_v", np.asarray([v_off]))[0])
    checkpoint()
    states = {
        "IMs at bias, VOA 0 V": base,
        "IM I at extinction": {**base, "im1_v": v_off},
        f"VOA at {v_max:g} V": {**base, "voa_v": v_max},
    }
    traces = {}
    for label, drive in states.items():
        checkpoint()
        traces[label] = t_all(drive)
    s = np.asarray(f(wl, base))
    return {
        "figs": figs,
        "v1": v1,
        "vpi": vpi,
        "v_off": v_off,
        "t_off": t_off,
        "v_im": v_im,
        "t_im": t_im,
        "v_voa": v_voa,
        "t_voa": t_voa,
        "wl": wl,
        "traces": traces,
        "back_reflection": np.abs(s[:, i_in, i_in]) ** 2,
    }


def client_figure(design: Design) -> tuple[Any, dict[str, Any]]:
    """Client chip: (figure, figures of its S-matrix). Left: |S(o2, laser)|^2 at the laser
    wavelength against the drive of IM I (push-pull about its bias, the extinction point
    included) and of the VOA (reverse bias); right: |S|^2 over the C band in the drive states
    (the numbers: :func:`client_data`)."""
    from qkdchip.sims.network.plots import _plt

    d = client_data(design)
    figs, v1, vpi, v_off = d["figs"], d["v1"], d["vpi"], d["v_off"]
    wl = d["wl"]
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=120)
    a1.plot(
        np.abs(d["v_im"] - v1), _db(d["t_im"]), color="tab:orange",
        label="IM I (push-pull, from bias)",
    )  # fmt: skip
    a1.plot(d["v_voa"], _db(d["t_voa"]), color="tab:green", label="VOA (reverse bias)")
    a1.plot(
        [abs(v_off - v1)], [_db(d["t_off"])], "v", color="tab:orange", ms=7,
        label=f"IM I extinction, V$_\\pi$ = {vpi:.2f} V",
    )  # fmt: skip
    a1.set_xlabel(axis_label("drive_v"))
    a1.set_ylabel(f"|S(o2, laser)|$^2$ at {figs['wavelength_nm']:.1f} nm (dB)")
    a1.set_title(
        f"drive response: IM ER {figs['im_extinction_ratio_db']['im1']:.1f} dB, "
        f"VOA {figs['voa_range_db']:.1f} dB"
    )
    a1.grid(alpha=0.3)
    a1.legend(fontsize=LEGEND_PT, loc="lower left")

    for (label, trace), color in zip(
        d["traces"].items(), ("tab:blue", "tab:orange", "tab:green"), strict=True
    ):
        a2.plot(wl * 1e3, _db(trace), color=color, label=f"laser -> o2, {label}")
    a2.plot(
        wl * 1e3, _db(d["back_reflection"]), "k--", lw=1,
        label="laser -> laser (back-reflection)",
    )  # fmt: skip
    a2.set_xlabel(axis_label("wavelength_nm"))
    a2.set_ylabel(axis_label("transmission_db"))
    a2.set_title(f"C band: insertion loss {figs['insertion_loss_db']:.2f} dB")
    a2.grid(alpha=0.3)
    a2.legend(fontsize=LEGEND_PT, loc="center right")
    fig.suptitle("InP client chip, from its S-matrix")
    fig.tight_layout()
    return fig, figs


def plot_client(design: Design, path: Path) -> dict[str, Any]:
    """Client chip: :func:`client_figure` saved atomically to ``path``; its figures back."""
    from qkdchip.sims.network.plots import save

    fig, figs = client_figure(design)
    save(fig, path)
    return figs


#: samples per evaluation of the server's jitted through-port (the shape server_figures
#: compiles; every other grid is cut or padded to it, so nothing recompiles)
EVAL_POINTS = 20001


def _evaluate(through: Callable[[np.ndarray], np.ndarray], wl: np.ndarray) -> np.ndarray:
    """|through(wl)|^2, evaluated in blocks of :data:`EVAL_POINTS` (the last one padded)."""
    wl = np.asarray(wl, dtype=float)
    out = np.empty(wl.size)
    for i in range(0, wl.size, EVAL_POINTS):
        block = wl[i : i + EVAL_POINTS]
        padded = np.pad(block, (0, EVAL_POINTS - block.size), mode="edge")
        out[i : i + block.size] = np.abs(np.asarray(through(padded)))[: block.size] ** 2
    return out


def resolved_trace(
    through: Callable[[np.ndarray], np.ndarray],
    wl_um: np.ndarray,
    centres_um: Sequence[float],
    fwhm_um: float,
    *,
    half_width_fwhm: float = 8.0,
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """|through|^2 on ``wl_um`` plus, around each dip near ``centres_um``, a dense grid of
    :data:`EVAL_POINTS` samples over +-``half_width_fwhm`` FWHM (steps of 8e-4 FWHM) and a
    second one over +-2 of its steps around the grid's minimum (steps of 1.6e-7 FWHM): the
    dip's minimum is then a sample, to a depth error far below 0.01 dB.

    A 0.19 pm resonance on a uniform grid is hit at a random offset from its minimum, so the
    plotted depth varies from dip to dip (-28 / -44 / -22 dB for one ring at 0.1 pm steps);
    here each minimum is on the curve. Returns (wavelengths sorted, |through|^2, the minima's
    wavelengths)."""
    parts_wl = [np.asarray(wl_um, dtype=float)]
    parts_t = [_evaluate(through, parts_wl[0])]
    minima: list[float] = []
    for c in centres_um:
        checkpoint()
        grid = c + np.linspace(-half_width_fwhm, half_width_fwhm, EVAL_POINTS) * fwhm_um
        t = _evaluate(through, grid)
        step = grid[1] - grid[0]
        j = int(np.argmin(t))
        fine = np.linspace(grid[j] - 2 * step, grid[j] + 2 * step, EVAL_POINTS)
        t_fine = _evaluate(through, fine)
        k = int(np.argmin(t_fine))
        minima.append(float(fine[k]))
        parts_wl += [grid, fine[k : k + 1]]
        parts_t += [t, t_fine[k : k + 1]]
    wl_all = np.concatenate(parts_wl)
    t_all = np.concatenate(parts_t)
    order = np.argsort(wl_all, kind="stable")
    return wl_all[order], t_all[order], minima


def server_data(design: Design) -> dict[str, Any] | None:
    """Everything the server figure shows, computed from the chip's S-matrix (numbers and
    arrays, no matplotlib): the chip's figures (``figs``) and
    |S(o2, o1)|^2 over 2.4 FSRs and +-8 FWHM around the pump resonance, both resolved with
    :func:`resolved_trace`; None if the server S-matrix layer (qkdchip.sims.server) is not
    available."""
    try:
        from qkdchip.sims import server
    except ImportError:
        return None
    from qkdchip.sims.physics.constants import C_M_PER_S

    kw = design.kwargs("server")
    figs = server.server_figures(**kw)
    checkpoint()  # SIGINT/SIGTERM: stop between the chip's evaluations
    sc = server.server_circuit(**kw)
    lam = figs["resonance_wl_nm"] * 1e-3
    nu0 = C_M_PER_S / (lam * 1e-6)
    fsr_hz = figs["fsr_ghz"] * 1e9
    fsr_um = lam**2 * fsr_hz / C_M_PER_S * 1e-6
    fwhm_um = figs["fwhm_pm"] * 1e-6
    lo, hi = lam - 1.2 * fsr_um, lam + 1.2 * fsr_um
    centres = [C_M_PER_S / (nu0 - k * fsr_hz) * 1e6 for k in range(-2, 3)]
    centres = [c for c in centres if lo <= c <= hi]
    wide, t_wide, minima = resolved_trace(
        sc.through, np.linspace(lo, hi, EVAL_POINTS), centres, fwhm_um
    )
    zoom, t_zoom, _ = resolved_trace(
        sc.through, np.linspace(lam - 8 * fwhm_um, lam + 8 * fwhm_um, EVAL_POINTS), [lam], fwhm_um
    )
    return {
        "figs": figs,
        "lam": lam,
        "wide": wide,
        "t_wide": t_wide,
        "minima": minima,
        "zoom": zoom,
        "t_zoom": t_zoom,
    }


def server_figure(design: Design) -> tuple[Any, dict[str, Any]] | None:
    """Server chip: (figure, figures of its S-matrix), None if the server S-matrix layer
    (qkdchip.sims.server) is not available. |S(o2, o1)|^2 over 2.4 FSRs and +-8 FWHM around
    the pump resonance, both resolved with :func:`resolved_trace` (the numbers:
    :func:`server_data`)."""
    d = server_data(design)
    if d is None:
        return None
    from qkdchip.sims.network.plots import _plt

    figs, lam, minima = d["figs"], d["lam"], d["minima"]
    wide, t_wide, zoom, t_zoom = d["wide"], d["t_wide"], d["zoom"], d["t_zoom"]
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=120)
    a1.plot(wide * 1e3, _db(t_wide), lw=1, label="|S(o2, o1)|$^2$ (pump -> fibre)")
    k_pump = int(np.argmin([abs(m - lam) for m in minima]))
    a1.plot(
        [minima[k_pump] * 1e3], [_db(t_wide[np.searchsorted(wide, minima[k_pump])])], "v",
        color="tab:red", ms=7, label=f"pump resonance {figs['resonance_wl_nm']:.4f} nm",
    )  # fmt: skip
    a1.set_xlabel(axis_label("wavelength_nm"))
    a1.ticklabel_format(axis="x", useOffset=False)
    a1.set_title(f"Si3N4 ring: FSR {figs['fsr_ghz']:.3f} GHz, {len(minima)} resonances")
    a2.plot((zoom - lam) * 1e6, _db(t_zoom), lw=1.2)
    ext = figs["resonance_extinction_db"]
    top = float(_db(t_zoom.max()))
    a2.annotate(
        "", xy=(0, top - ext), xytext=(0, top),
        arrowprops={"arrowstyle": "<->", "color": "tab:red", "lw": 1},
    )  # fmt: skip
    a2.text(
        0.5 * figs["fwhm_pm"], top - ext / 2, f"extinction {ext:.1f} dB", color="tab:red",
        fontsize=LEGEND_PT, va="center",
    )  # fmt: skip
    a2.set_xlabel(axis_label("detuning_pm", text=f"wavelength - {figs['resonance_wl_nm']:.4f} nm"))
    a2.set_title(
        f"pump resonance: FWHM {figs['fwhm_pm']:.3f} pm ({figs['linewidth_mhz']:.1f} MHz)\n"
        f"Q_L {figs['q_loaded']:.3g}, Q_i {figs['q_intrinsic']:.3g}, "
        f"{figs['coupling_regime']}-coupled",
        fontsize=10,
    )
    for ax in (a1, a2):
        ax.set_ylabel(axis_label("transmission_db"))
        ax.grid(alpha=0.3)
    fig.legend(fontsize=LEGEND_PT, loc="lower center", ncol=2)
    fig.suptitle("Si3N4 server chip, from its S-matrix (adaptive sampling around each dip)")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig, figs


def plot_server(design: Design, path: Path) -> dict[str, Any] | None:
    """Server chip: :func:`server_figure` saved atomically to ``path``; its figures back (None
    if the server S-matrix layer is not available)."""
    from qkdchip.sims.network.plots import save

    made = server_figure(design)
    if made is None:
        return None
    fig, figs = made
    save(fig, path)
    return figs
