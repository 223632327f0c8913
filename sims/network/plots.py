"""Figures of the network (matplotlib, Agg): key rate vs distance, ratio to PLOB, sweeps.

Every figure is written atomically (a temporary file beside the target, then ``os.replace``;
``qkdchip.base.outputs.save_figure``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_rate_curves", "plot_ratios", "plot_sweep", "plot_wafer_yield", "save"]

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


def plot_rate_curves(curves: dict[str, Any], result, path: str | Path) -> Path:
    """Secret-key rate per pulse vs distance for every channel, with PLOB, the reference's
    ratio band and the operating point of each channel."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 5.2), dpi=120)
    d = curves["distance_km"]
    cmap = plt.get_cmap("viridis")
    n = max(1, len(curves["channels"]))
    for j, (ch, rate) in enumerate(zip(curves["channels"], curves["rate"], strict=True)):
        r = np.where(rate > 0, rate, np.nan)
        ax.semilogy(d, r, color=cmap(j / n), lw=1.2, label=f"ch {ch}")
    plob = np.asarray(curves["plob"], dtype=float)
    ax.semilogy(d, plob, "k-", lw=2.0, label="PLOB (fibre)")
    ax.fill_between(
        d, REFERENCE_RATIO[0] * plob, REFERENCE_RATIO[1] * plob, color="0.85", zorder=0,
        label="reference ratio range",
    )  # fmt: skip
    for c in result.channels:
        if c.has_key:
            ax.plot(c.distance_km, c.rate_per_pulse, "o", color="tab:red", ms=4)
    ax.axvline(result.distance_km, color="tab:red", ls=":", lw=1)
    ax.set_xlabel("Alice-Bob fibre distance (km)")
    ax.set_ylabel("secret key (bit per pulse)")
    proto = result.net.protocol.upper()
    n_txt = f"N = {result.net.pulses:.0e}" if result.net.finite_pulses else "asymptotic"
    ax.set_title(f"{proto} key rate per channel ({n_txt}) vs PLOB")
    finite = plob[np.isfinite(plob) & (plob > 0)]
    lo = max(1e-12, float(finite.min()) / 100) if finite.size else 1e-12
    ax.set_ylim(lo, 1.0)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=3, loc="upper right")
    fig.tight_layout()
    return save(fig, path)


def plot_ratios(result, path: str | Path) -> Path:
    """Ratio of the key rate to PLOB per channel at the network's distance, with the
    reference's published range; channels without key are marked with their reason."""
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
    ax.set_xlabel("channel")
    ax.set_ylabel("key rate / PLOB")
    ax.set_title(f"Ratio to PLOB at {result.distance_km:g} km ({result.net.protocol})")
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return save(fig, path)


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
