"""Figures of the network (matplotlib, Agg): key rate vs distance, ratio to PLOB, sweeps.

Every figure is written atomically (a temporary file beside the target, then ``os.replace``;
``qkdchip.base.outputs.save_figure``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "plot_rate_curves",
    "plot_ratios",
    "plot_sweep",
    "rate_curves_figure",
    "ratios_figure",
    "save",
]

#: the published ratio range of the reference network (rate / PLOB at 370 km)
REFERENCE_RATIO = (1.515, 3.514)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str | Path) -> Path:
    """Save ``fig`` to ``path`` atomically in the format its suffix names, and close it
    (``qkdchip.base.outputs.save_figure``)."""
    from qkdchip.base.outputs import save_figure

    _plt()  # the Agg backend
    return save_figure(fig, path)


def rate_curves_figure(curves: dict[str, Any], result):
    """Secret-key rate vs distance: the spread over the channels as a band with its two
    extreme channels drawn, the operating distance and each channel's operating point, PLOB
    and the single-repeater bound of the same fibre, the reference's ratio range; bit/pulse on
    the left axis, bit/s on the right (the channels' rate_bps / rate_per_pulse: clock x duty
    cycle x detector time share). Returns the matplotlib figure (not saved)."""
    from qkdchip.base.labels import axis_label
    from qkdchip.sims.keyrate.bounds import single_repeater_bound

    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 5.4), dpi=120)
    d = np.asarray(curves["distance_km"], dtype=float)
    rates = np.asarray(curves["rate"], dtype=float).reshape(len(curves["channels"]), d.size)
    chans = list(curves["channels"])
    if chans:
        lo_r, hi_r = rates.min(axis=0), rates.max(axis=0)
        op = {c.channel: c.rate_per_pulse for c in result.channels}
        at = [op[ch] for ch in chans if op.get(ch, 0.0) > 0]
        spread = (
            f": {100 * (max(at) / min(at) - 1):.1f} % at {result.distance_km:g} km" if at else ""
        )
        ax.fill_between(
            d, np.where(lo_r > 0, lo_r, np.nan), np.where(hi_r > 0, hi_r, np.nan),
            color="tab:blue", alpha=0.3, lw=0,
            label=f"channel spread ({len(chans)} channels{spread})",
        )  # fmt: skip
        best = max(chans, key=lambda ch: (op.get(ch, 0.0), -ch))
        worst = min(chans, key=lambda ch: (op.get(ch, 0.0), ch))
        for ch, style, what in ((best, "-", "best"), (worst, "--", "worst")):
            r = rates[chans.index(ch)]
            ax.semilogy(
                d, np.where(r > 0, r, np.nan), style, color="tab:blue", lw=1.3,
                label=f"channel {ch} ({what} at {result.distance_km:g} km)",
            )  # fmt: skip
    plob = np.asarray(curves["plob"], dtype=float)
    ax.semilogy(d, plob, "k-", lw=2.0, label="PLOB bound (repeaterless)")
    eta = 10.0 ** (-result.link.fibre_loss_db_per_km * d / 10.0)
    srb = np.where(eta < 1.0, single_repeater_bound(np.minimum(eta, 1.0 - 1e-16)), np.inf)
    ax.semilogy(d, srb, "k:", lw=1.5, label="single-repeater bound")
    ax.fill_between(
        d, REFERENCE_RATIO[0] * plob, REFERENCE_RATIO[1] * plob, color="0.85", zorder=0,
        label=f"reference ratio range ({REFERENCE_RATIO[0]:g}-{REFERENCE_RATIO[1]:g} x PLOB)",
    )  # fmt: skip
    keyed = [c for c in result.channels if c.has_key]
    ax.axvline(
        result.distance_km, color="tab:red", ls=":", lw=1,
        label=f"operating distance {result.distance_km:g} km",
    )  # fmt: skip
    if keyed:
        ax.plot(
            [c.distance_km for c in keyed], [c.rate_per_pulse for c in keyed], "o",
            color="tab:red", ms=4, label=f"operating points ({len(keyed)} channels with key)",
        )  # fmt: skip
    ax.set_xlabel(axis_label("distance_km"))
    ax.set_ylabel(axis_label("rate_per_pulse"))
    per_s = [c.rate_bps / c.rate_per_pulse for c in keyed if c.rate_per_pulse > 0]
    factor = float(np.median(per_s)) if per_s else result.net.clock_rate_hz * result.net.duty_cycle
    right = ax.secondary_yaxis("right", functions=(lambda r: r * factor, lambda b: b / factor))
    right.set_ylabel(axis_label("rate_bps"))
    proto = result.net.protocol.upper()
    n_txt = f"finite key, N = {result.net.pulses:.0e}" if result.net.finite_pulses else "asymptotic"
    ax.set_title(f"{proto} key rate vs distance ({n_txt})")
    finite = plob[np.isfinite(plob) & (plob > 0)]
    lo = max(1e-12, float(finite.min()) / 100) if finite.size else 1e-12
    ax.set_ylim(lo, 1.0)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_rate_curves(curves: dict[str, Any], result, path: str | Path) -> Path:
    """:func:`rate_curves_figure` saved atomically to ``path``."""
    return save(rate_curves_figure(curves, result), path)


def plot_ratios(result, path: str | Path) -> Path:
    """:func:`ratios_figure` saved atomically to ``path``."""
    return save(ratios_figure(result), path)


def ratios_figure(result):
    """Ratio of the key rate to PLOB per channel at the network's distance, with the
    reference's published range; channels without key are marked with their reason.
    Returns the matplotlib figure (not saved)."""
    from qkdchip.base.labels import axis_label

    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 4.2), dpi=120)
    chans = [c.channel for c in result.channels]
    ratio = [c.ratio_to_plob for c in result.channels]
    colors = ["tab:blue" if c.has_key else "tab:gray" for c in result.channels]
    ax.bar(chans, ratio, color=colors)
    ax.axhspan(
        *REFERENCE_RATIO, color="tab:green", alpha=0.15, label="reference (+51.5 % to +251.4 %)"
    )
    ax.axhline(1.0, color="k", lw=1, label="PLOB")
    top = max([*ratio, REFERENCE_RATIO[1]]) * 1.15
    for c in result.channels:
        if not c.has_key:
            ax.text(
                c.channel, 0.05 * top, "no key", rotation=90, ha="center", va="bottom", fontsize=8
            )
    ax.set_ylim(0, top)
    ax.set_xticks(chans)
    ax.set_xlabel(axis_label("channel"))
    ax.set_ylabel(axis_label("ratio_to_plob"))
    ax.set_title(f"Ratio to PLOB at {result.distance_km:g} km ({result.net.protocol})")
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def plot_sweep(
    names: Sequence[str], grids: Sequence[np.ndarray], values: np.ndarray, metric: str,
    path: str | Path,
) -> Path:  # fmt: skip
    """A 1-D sweep as a line, a 2-D sweep as a colour map of ``metric``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=120)
    if len(names) == 1:
        ax.plot(grids[0], values.reshape(-1), "o-")
        ax.set_xlabel(names[0])
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    elif len(names) == 2:
        v = values.reshape(len(grids[0]), len(grids[1]))
        mesh = ax.pcolormesh(grids[1], grids[0], v, shading="nearest")
        fig.colorbar(mesh, ax=ax, label=metric)
        ax.set_xlabel(names[1])
        ax.set_ylabel(names[0])
    else:
        raise ValueError(f"--plot needs one or two swept parameters, got {len(names)}")
    ax.set_title(f"{metric} vs {' and '.join(names)}")
    fig.tight_layout()
    return save(fig, path)
