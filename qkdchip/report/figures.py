"""The chips' figures of the report: each chip's S-matrix figures and |S|^2 plots.

design: client.* -> client chip netlist -> sax circuit (qkdchip.sims.client)
    -> insertion loss, IM extinction, VOA range, PM V_pi; |S|^2 in four drive states
design: server.* -> server chip netlist -> sax circuit (qkdchip.sims.server)
    -> resonance, FSR, Q, coupling; |S21|^2 over two FSRs and around the pump resonance
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from qkdchip.base.outputs import checkpoint
from qkdchip.design import Design

__all__ = ["plot_client", "plot_server"]


def plot_client(design: Design, path: Path) -> dict[str, Any]:
    """Client chip: figures from the S-matrix and |S|^2 over wavelength in four drive states."""
    from qkdchip.pdk.inp.process import PROCESS
    from qkdchip.sims import client
    from qkdchip.sims.network.plots import _plt, save

    kw = design.kwargs("client")
    figs = client.client_figures(**kw)
    checkpoint()  # SIGINT/SIGTERM: stop between the chip's evaluations
    wl = np.linspace(1.53, 1.57, 801)
    f, ports = client.client_fn(**kw)
    i_out, i_in = ports.index("o2"), ports.index(client.LASER_PORT)
    zero = {k: 0.0 for k in (f"{e}_v" for e in ("im1", "im2", "im3", "pm", "pmref", "voa"))}
    base = {**zero, **{f"{im}_v": v for im, v in figs["im_bias_v"].items()}}
    v1 = figs["im_bias_v"]["im1"]
    vpi = figs["im_vpi_v"]["im1"]
    cands = [v1 + vpi, v1 - vpi]
    probe = [
        float(np.abs(np.asarray(f(np.array([wl[400]]), {**base, "im1_v": v})))[0, i_out, i_in])
        for v in cands
    ]
    v_off = cands[int(np.argmin(probe))]
    states = {
        "IMs open, VOA 0 V": base,
        "IM I at extinction": {**base, "im1_v": v_off},
        f"VOA at {PROCESS.voa_max_reverse_bias_V:g} V": {
            **base,
            "voa_v": PROCESS.voa_max_reverse_bias_V,
        },
    }
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 4.4), dpi=120)
    for label, drive in states.items():
        checkpoint()
        s = np.asarray(f(wl, drive))
        ax.plot(
            wl * 1e3,
            10 * np.log10(np.abs(s[:, i_out, i_in]) ** 2 + 1e-30),
            label=f"|S(o2, laser)|$^2$, {label}",
        )
    s = np.asarray(f(wl, base))
    ax.plot(
        wl * 1e3,
        10 * np.log10(np.abs(s[:, i_in, i_in]) ** 2 + 1e-30),
        "k--",
        lw=1,
        label="|S(laser, laser)|$^2$ (back-reflection)",
    )
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("|S|$^2$ (dB)")
    ax.set_title(
        f"InP client chip: IL {figs['insertion_loss_db']:.2f} dB, IM ER "
        f"{figs['im_extinction_ratio_db']['im1']:.1f} dB each, VOA {figs['voa_range_db']:.1f} dB"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    save(fig, path)
    return figs


def plot_server(design: Design, path: Path) -> dict[str, Any] | None:
    """Server chip: |S21|^2 over two FSRs and around the pump resonance; None if the server
    S-matrix layer (qkdchip.sims.server) is not available."""
    try:
        from qkdchip.sims import server
    except ImportError:
        return None
    from qkdchip.sims.network.plots import _plt, save
    from qkdchip.sims.physics.constants import C_M_PER_S

    kw = design.kwargs("server")
    figs = server.server_figures(**kw)
    checkpoint()  # SIGINT/SIGTERM: stop between the chip's evaluations
    lam = figs["resonance_wl_nm"] * 1e-3
    fsr_um = lam**2 * figs["fsr_ghz"] * 1e9 / C_M_PER_S * 1e-6
    wide = np.linspace(lam - 1.2 * fsr_um, lam + 1.2 * fsr_um, 20001)
    hw = 8 * figs["fwhm_pm"] * 1e-6
    zoom = np.linspace(lam - hw, lam + hw, 2001)
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=120)
    for ax, wl in ((a1, wide), (a2, zoom)):
        checkpoint()
        s, ports = server.server_sparams(wl, **kw)
        t = np.abs(s[:, ports.index("o2"), ports.index("o1")]) ** 2
        x = (wl - lam) * 1e6 if ax is a2 else wl * 1e3
        ax.plot(x, 10 * np.log10(t + 1e-30))
        ax.set_ylabel("|S(o2, o1)|$^2$ (dB)")
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.grid(alpha=0.3)
    a1.set_xlabel("wavelength (nm)")
    a1.set_title(f"Si3N4 ring: FSR {figs['fsr_ghz']:.3f} GHz")
    a2.set_xlabel(f"wavelength - {figs['resonance_wl_nm']:.4f} nm (pm)")
    a2.set_title(
        f"Q_L {figs['q_loaded']:.3g}, Q_i {figs['q_intrinsic']:.3g}, {figs['coupling_regime']}-coupled"
    )
    fig.tight_layout()
    save(fig, path)
    return figs
