"""Figures of the network (matplotlib, Agg): key rate vs distance, ratio to PLOB, sweeps.

Every figure is written atomically (a temporary file beside the target, then ``os.replace``;
``qkdchip.base.outputs.save_figure``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .uncertainty import REFERENCE_RATIO

__all__ = [
    "REFERENCE_RATIO",
    "plot_rate_curves",
    "plot_ratios",
    "plot_sweep",
    "plot_uncertainty",
    "plot_wafer_yield",
    "rate_curves_figure",
    "ratios_figure",
    "save",
]


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
    path: str | Path, *, labels: Sequence[str] | None = None, metric_label: str | None = None,
    failed: np.ndarray | None = None, scattered: bool = False,
) -> Path:  # fmt: skip
    """A 1-D sweep as a line, a 2-D sweep as a colour map of ``metric``; sampled points
    (``scattered``: ``grids`` are the points' coordinates) as a scatter plot.

    ``labels``/``metric_label``: axis labels with units (default: the raw names); ``failed``:
    points that failed (their value is NaN): marked with a red x, never joined by a line."""
    plt = _plt()
    labels = list(labels or names)
    ylab = metric_label or metric
    values = np.asarray(values, dtype=float).reshape(-1)
    failed = (
        np.zeros(values.size, dtype=bool) if failed is None else np.asarray(failed, bool).ravel()
    )
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=120)
    if len(names) == 1:
        x = np.asarray(grids[0], dtype=float).reshape(-1)
        order = np.argsort(x, kind="stable")
        x, v, bad = x[order], values[order], failed[order]
        ax.plot(x, np.where(bad, np.nan, v), "o-", label=ylab)  # NaN breaks the line
        if bad.any():
            ok_v = v[~bad & np.isfinite(v)]
            y0 = float(ok_v.min()) if ok_v.size else 0.0
            ax.plot(x[bad], np.full(bad.sum(), y0), "x", color="tab:red", ms=9, mew=2,
                    label="failed point")  # fmt: skip
            ax.legend(loc="best")
        ax.set_xlabel(labels[0])
        ax.set_ylabel(ylab)
        ax.grid(alpha=0.3)
    elif len(names) == 2 and not scattered:
        v = np.where(failed, np.nan, values).reshape(len(grids[0]), len(grids[1]))
        mesh = ax.pcolormesh(grids[1], grids[0], np.ma.masked_invalid(v), shading="nearest")
        fig.colorbar(mesh, ax=ax, label=ylab)
        if failed.any():
            yy, xx = np.meshgrid(grids[0], grids[1], indexing="ij")
            fb = failed.reshape(v.shape)
            ax.plot(xx[fb], yy[fb], "x", color="tab:red", ms=9, mew=2, label="failed point")
            ax.legend(loc="best")
        ax.set_xlabel(labels[1])
        ax.set_ylabel(labels[0])
    elif len(names) == 2:
        x, y = (np.asarray(g, dtype=float).reshape(-1) for g in grids)
        ok = ~failed
        sc = ax.scatter(x[ok], y[ok], c=values[ok], s=28)
        fig.colorbar(sc, ax=ax, label=ylab)
        if failed.any():
            ax.plot(x[failed], y[failed], "x", color="tab:red", ms=9, mew=2, label="failed point")
            ax.legend(loc="best")
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
    else:
        raise ValueError(f"--plot needs one or two swept parameters, got {len(names)}")
    ax.set_title(f"{metric} vs {' and '.join(names)}")
    fig.tight_layout()
    return save(fig, path)


def plot_uncertainty(unc, result, path: str | Path) -> Path:
    """Left: each channel's rate/PLOB band (5-95 % and median) under the unpublished
    parameters, the nominal ratio and the reference's range. Right: each parameter's
    first-order share of the variance of the mean ratio (RBD-FAST), with its 95 % confidence."""
    plt = _plt()
    d = unc.to_dict()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4), dpi=120, width_ratios=(1.2, 1))
    chans = [c.channel for c in result.channels]
    for j, ch in enumerate(chans):
        band = unc.channel_dict(j)["ratio_to_plob_band"]
        if band:
            a1.plot([ch, ch], [band[0], band[2]], color="tab:blue", lw=6, alpha=0.5)
            a1.plot(ch, band[1], "o", color="tab:blue", ms=5)
    a1.plot(chans, [c.ratio_to_plob for c in result.channels], "x", color="tab:red",
            label="the design as run")  # fmt: skip
    a1.axhspan(*REFERENCE_RATIO, color="tab:green", alpha=0.15, label="reference")
    a1.axhline(1.0, color="k", lw=1, label="PLOB")
    a1.set_xticks(chans)
    a1.set_xlabel("channel")
    a1.set_ylabel("key rate / PLOB")
    a1.set_title(f"{unc.n} samples: 5-95 % band and median at {unc.distance_km:g} km")
    a1.legend(fontsize=7, loc="center right")
    a1.grid(alpha=0.3, axis="y")
    sens, conf = d["sensitivity"] or {}, d["sensitivity_conf95"] or {}
    names = sorted(sens, key=lambda k: sens[k])
    a2.barh(names, [sens[k] for k in names], xerr=[conf.get(k, 0.0) for k in names],
            color="tab:orange")  # fmt: skip
    a2.set_xlabel("first-order share of the variance of the mean ratio (RBD-FAST)")
    a2.set_xlim(0, 1)
    a2.tick_params(axis="y", labelsize=8)
    a2.grid(alpha=0.3, axis="x")
    a2.set_title("sensitivity")
    fig.tight_layout()
    return save(fig, path)


def plot_wafer_yield(
    records: Sequence[dict[str, Any]], summary: dict[str, Any], path: str | Path
) -> Path:
    """Wafer Monte Carlo: working modulators among 20 dies (the published 117/120 marked) and
    the channels above PLOB per wafer."""
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=120)
    working = np.array([r["working"] for r in records])
    n_mod = records[0]["modulators"] if records else 0
    lo = int(working.min()) if working.size else 0
    bins = np.arange(lo - 0.5, n_mod + 1.5)
    a1.hist(working, bins=bins, color="tab:blue", alpha=0.8, label="simulated wafers")
    w = summary.get("working_modulators_of_120")
    if w is not None:
        a1.axvline(
            w["published"], color="tab:red", lw=2,
            label=f"published {w['published']}/120 ({w['published_percentile']:.0f}th pct)",
        )  # fmt: skip
    a1.set_xlabel(f"working modulators of {n_mod} (per wafer draw) [count]")
    a1.set_ylabel("wafers [count]")
    a1.legend(loc="upper left", fontsize=8)
    a1.grid(alpha=0.3)
    beat = np.array([r["beating_plob"] for r in records])
    ch = records[0]["channels"] if records else 0
    a2.hist(beat, bins=np.arange(-0.5, ch + 1.5), color="tab:green", alpha=0.8)
    a2.set_xlabel(f"channels above PLOB at {summary.get('distance_km', 0):g} km [count]")
    a2.set_ylabel("wafers [count]")
    a2.grid(alpha=0.3)
    from matplotlib.ticker import MaxNLocator

    for ax in (a1, a2):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    p = summary.get("p_network_all_channels_beat_plob")
    a2.set_title(f"P(all {ch} above PLOB) = {p:.3f}" if p is not None else "")
    fig.suptitle(f"wafer Monte Carlo: {summary['wafers']} wafers, {summary['dies']} dies")
    fig.tight_layout()
    return save(fig, path)
