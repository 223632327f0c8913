"""Checks of the report's figures on their matplotlib objects (not pixels), shared by the
tests that render them (tests/test_run.py records every figure of its run as it is saved)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qkdchip.base.labels import LABELS, axis_label

#: a unit at the end of an axis label: "(nm)", "(bit/s)", ...
UNIT = re.compile(r"\((nm|pm|um|dB|dBm|THz|GHz|MHz|V|km|bit/pulse|bit/s|%)\)$")
#: dimensionless labels of the table (no unit to show)
PURE = {str(v) for v in LABELS.values() if not v.unit}

REPORT_FIGURES = (
    "client_sparams.png",
    "server_sparams.png",
    "comb_spectrum.png",
    "rate_vs_distance.png",
    "ratio_to_plob.png",
)


@contextlib.contextmanager
def recording_figures() -> Iterator[dict[str, dict]]:
    """Record a :func:`snapshot` of every matplotlib figure saved through
    ``qkdchip.base.outputs.save_figure`` (by file name); the real atomic save still runs."""
    from qkdchip.base import outputs

    seen: dict[str, dict] = {}
    real = outputs.save_figure

    def recording(fig, path, **kw):
        seen[Path(path).name] = snapshot(fig)
        return real(fig, path, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(outputs, "save_figure", recording)
    try:
        yield seen
    finally:
        mp.undo()


def snapshot(fig) -> dict:
    """What a reader sees: per axes the labels, title, legend texts and font size, lines; a
    secondary axis (the bit/s axis) with its y label only."""
    axes = []
    for top in fig.axes:
        leg = top.get_legend()
        axes.append(
            {
                "xlabel": top.get_xlabel(),
                "ylabel": top.get_ylabel(),
                "title": top.get_title(),
                "legend": [t.get_text() for t in leg.get_texts()] if leg else [],
                "legend_pt": [t.get_fontsize() for t in leg.get_texts()] if leg else [],
                "lines": [(ln.get_xdata(), ln.get_ydata(), ln.get_label()) for ln in top.lines],
                "yscale": top.get_yscale(),
                "secondary": False,
            }
        )
        for child in top.child_axes:
            axes.append({"ylabel": child.get_ylabel(), "legend_pt": [], "secondary": True})
    fig_legends = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    return {"axes": axes, "fig_legend": fig_legends}


def ok_label(text: str) -> bool:
    """An axis label with a unit, or a dimensionless label of the table."""
    return bool(UNIT.search(text)) or text in PURE


def check_labels(figs: dict[str, dict], out: Path) -> None:
    """Every report figure was rendered (and written), each axis labelled with its unit, no
    legend under 8 pt."""
    assert set(REPORT_FIGURES) <= set(figs)
    for name in REPORT_FIGURES:
        assert (out / name).stat().st_size > 10_000, name
        for ax in figs[name]["axes"]:
            for which in ("ylabel",) if ax["secondary"] else ("xlabel", "ylabel"):
                text = ax[which]  # a secondary y axis (bit/s) has no x label of its own
                assert ok_label(text), f"{name}: {which} {text!r} has no unit"
            assert all(pt >= 8 for pt in ax["legend_pt"]), f"{name}: legend under 8 pt"


def check_rate_vs_distance(fig: dict, net) -> None:
    """Band + extremes, PLOB and single-repeater bound, operating distance; bit/pulse and bit/s."""
    main, right = fig["axes"][0], fig["axes"][1]
    assert main["xlabel"] == axis_label("distance_km")
    assert main["ylabel"] == axis_label("rate_per_pulse")
    assert right["secondary"] and right["ylabel"] == axis_label("rate_bps")
    assert main["yscale"] == "log"
    legend = main["legend"]
    d = f"{net.distance_km:g}"
    assert len(legend) <= 9  # not one entry per channel
    assert any(t.startswith(f"channel spread ({len(net.channels)} channels") for t in legend)
    extremes = [t for t in legend if re.fullmatch(rf"channel \d+ \((best|worst) at {d} km\)", t)]
    assert len(extremes) == 2
    assert "PLOB bound (repeaterless)" in legend
    assert "single-repeater bound" in legend
    assert f"operating distance {d} km" in legend
    assert "finite key" in main["title"] or "asymptotic" in main["title"]
    # the single-repeater bound is -log2(1 - sqrt(eta)) of the same fibre
    (x, y, _) = next(ln for ln in main["lines"] if ln[2] == "single-repeater bound")
    eta = 10 ** (-net.link.fibre_loss_db_per_km * np.asarray(x) / 10)
    ok = (eta < 1) & np.isfinite(y)
    np.testing.assert_allclose(np.asarray(y)[ok], -np.log2(1 - np.sqrt(eta[ok])), rtol=1e-9)


def check_server(fig: dict, rep: dict) -> dict[str, float]:
    """The pump resonance's plotted extinction (both panels) is the reported one to 0.5 dB;
    every resonance of the wide panel resolved. Returns the plotted depths (dB)."""
    ext, lam_nm = rep["resonance_extinction_db"], rep["resonance_wl_nm"]
    fsr_nm = lam_nm**2 * rep["fsr_ghz"] * 1e9 / 299792458.0 * 1e-9
    wide, zoom = fig["axes"][0], fig["axes"][1]
    x, y, _ = wide["lines"][0]
    x, y = np.asarray(x), np.asarray(y)
    depths = {}
    for k in (-1, 0, 1):
        c = lam_nm + k * fsr_nm
        win = np.abs(x - c) < fsr_nm / 2
        assert win.sum() > 100 and x[win].min() < c < x[win].max()
        depths[f"wide {k:+d}"] = float(y[win].max() - y[win].min())
        assert depths[f"wide {k:+d}"] > 30  # resolved: no dip cut short by the grid
    assert depths["wide +0"] == pytest.approx(ext, abs=0.5)
    _, zy, _ = zoom["lines"][0]
    depths["zoom"] = float(np.max(zy) - np.min(zy))
    assert depths["zoom"] == pytest.approx(ext, abs=0.5)
    assert zoom["xlabel"] == f"wavelength - {lam_nm:.4f} nm (pm)"
    return depths


def check_client(fig: dict, rep: dict) -> None:
    """Readable legends; the drive curves show the reported IM extinction and VOA range."""
    drive, band = fig["axes"]
    assert drive["xlabel"] == axis_label("drive_v")
    assert band["xlabel"] == axis_label("wavelength_nm")
    assert min(drive["legend_pt"] + band["legend_pt"]) >= 9
    _, y, _ = next(ln for ln in drive["lines"] if ln[2].startswith("IM I (push-pull"))
    assert np.max(y) - np.min(y) == pytest.approx(rep["im_extinction_ratio_db"]["im1"], abs=0.5)
    _, y, _ = next(ln for ln in drive["lines"] if ln[2].startswith("VOA"))
    assert np.max(y) - np.min(y) == pytest.approx(rep["voa_range_db"], abs=0.5)
