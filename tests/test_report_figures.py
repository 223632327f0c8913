"""The report's figures: every one rendered and its labels checked (matplotlib objects, not
pixels); the server's resonances resolved so the plotted extinction is the reported one; the
one table of axis labels."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from qkdchip.base import labels
from qkdchip.base.labels import LABELS, axis_label, unit_from_name
from qkdchip.report.figures import EVAL_POINTS, resolved_trace

#: a unit at the end of an axis label: "(nm)", "(bit/s)", ...
UNIT = re.compile(r"\((nm|pm|um|dB|dBm|THz|GHz|MHz|V|km|bit/pulse|bit/s|%)\)$")
#: dimensionless labels of the table (no unit to show)
PURE = {str(v) for v in LABELS.values() if not v.unit}


# -- the label table (fast) -------------------------------------------------------------------


def test_axis_labels_come_from_one_table_with_units():
    assert axis_label("distance_km") == "Alice-Bob fibre distance (km)"
    assert axis_label("rate_per_pulse") == "secret key rate (bit/pulse)"
    assert axis_label("rate_bps") == "secret key rate (bit/s)"
    assert axis_label("min_ratio") == "smallest key rate / PLOB over the channels"
    assert axis_label("capability_km") == "networking capability (km)"
    # a design parameter: its words and the unit of its suffix; the registry's text overrides
    assert axis_label("server.ring.gap_um") == "server ring gap (um)"
    assert axis_label("server.ring.gap_um", text="ring-bus gap") == "ring-bus gap (um)"
    assert axis_label("link.fibre_loss_db_per_km") == "link fibre loss (dB/km)"
    assert axis_label("network.pulses") == "network pulses"
    assert unit_from_name("x_dbm") == "dBm" and unit_from_name("x_db") == "dB"
    assert unit_from_name("count") == ""


def test_every_sweep_metric_has_a_label():
    from qkdchip.commands.sweep import METRICS

    assert set(METRICS) <= set(LABELS)


def test_the_design_registry_reads_units_from_the_same_table():
    from qkdchip.design import parameters

    for p in parameters():
        if not (p.range and p.range.unit):
            assert p.unit == labels.unit_from_name(p.arg), p.name


# -- adaptive sampling of a resonance (fast, closed form) --------------------------------------


def _allpass(r: float, a: float, n_g: float, length_um: float):
    """The all-pass ring's through port t = (r - a e^{i phi}) / (1 - r a e^{i phi}), phi =
    2 pi n_g L / lambda (the closed form of docs/physics.md)."""

    def through(wl_um):
        phi = 2 * np.pi * n_g * length_um / np.asarray(wl_um)
        e = a * np.exp(1j * phi)
        return (r - e) / (1 - r * e)

    return through


def test_resolved_trace_puts_each_dips_minimum_on_the_curve():
    r, a, n_g, length = 0.9987, 0.99877, 1.5928, 6268.1  # the server ring's order of magnitude
    through = _allpass(r, a, n_g, length)
    t_min = ((r - a) / (1 - r * a)) ** 2
    t_max = ((r + a) / (1 + r * a)) ** 2
    depth_db = 10 * math.log10(t_max / t_min)
    assert depth_db > 30  # near critical coupling: a deep, narrow dip
    m0 = round(n_g * length / 1.55)
    centres = [n_g * length / m for m in (m0 + 1, m0, m0 - 1)]  # three resonances
    fsr = centres[1] - centres[0]
    fwhm = (1 - r * a) * centres[1] ** 2 / (np.pi * n_g * length * math.sqrt(r * a))
    wl = np.linspace(centres[0] - fsr / 3, centres[2] + fsr / 3, 4001)
    coarse = 10 * np.log10(np.abs(through(wl)) ** 2)
    # a uniform grid misses the minima: the plotted depth is far from the true one
    assert coarse.max() - coarse.min() < depth_db - 3
    # guesses off by a tenth of a linewidth (a resonance predicted from the FSR)
    guesses = [c + 0.1 * fwhm for c in centres]
    w, t, minima = resolved_trace(through, wl, guesses, fwhm)
    assert np.all(np.diff(w) >= 0) and len(minima) == 3
    assert w.size == wl.size + 3 * (EVAL_POINTS + 1)
    for c, m in zip(centres, minima, strict=True):
        assert abs(m - c) < 1e-4 * fwhm
        near = np.abs(w - c) < fsr / 2
        plotted = 10 * np.log10(t[near].max() / t[near].min())
        assert plotted == pytest.approx(depth_db, abs=0.05)


# -- every figure of the report, rendered (slow: both chips and the network) -----------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every report figure, made by the report's own functions; each matplotlib figure is
    recorded as it is saved (the real atomic save runs)."""
    from qkdchip.base import outputs
    from qkdchip.commands.comb import plot_comb
    from qkdchip.commands.network import CURVE_KM
    from qkdchip.design import Design
    from qkdchip.report import figures
    from qkdchip.sims.network import model, plots

    out = tmp_path_factory.mktemp("figures")
    seen: dict[str, object] = {}
    real = outputs.save_figure

    def recording(fig, path, **kw):
        seen[str(path).rsplit("/", 1)[-1].split(".tmp")[0].lstrip(".")] = _snapshot(fig)
        return real(fig, path, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(outputs, "save_figure", recording)
    try:
        design = Design()
        client = figures.plot_client(design, out / "client_sparams.png")
        server = figures.plot_server(design, out / "server_sparams.png")
        comb = model.comb_of(design)
        net = model.evaluate([model.prepare(design)])[0]
        plot_comb(comb, net.plan, out / "comb_spectrum.png")
        plots.plot_ratios(net, out / "ratio_to_plob.png")
        curves = model.rate_curves(net, CURVE_KM)
        plots.plot_rate_curves(curves, net, out / "rate_vs_distance.png")
    finally:
        mp.undo()
    return {"figures": seen, "client": client, "server": server, "net": net, "out": out}


def _snapshot(fig) -> dict:
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


REPORT_FIGURES = (
    "client_sparams.png",
    "server_sparams.png",
    "comb_spectrum.png",
    "rate_vs_distance.png",
    "ratio_to_plob.png",
)


def _ok_label(text: str) -> bool:
    return bool(UNIT.search(text)) or text in PURE


@pytest.mark.slow
def test_every_report_figure_is_rendered_with_labelled_axes(rendered):
    figs = rendered["figures"]
    assert set(figs) == set(REPORT_FIGURES)
    for name in REPORT_FIGURES:
        assert (rendered["out"] / name).stat().st_size > 10_000, name
        for ax in figs[name]["axes"]:
            for which in ("ylabel",) if ax["secondary"] else ("xlabel", "ylabel"):
                text = ax[which]  # a secondary y axis (bit/s) has no x label of its own
                assert _ok_label(text), f"{name}: {which} {text!r} has no unit"
            assert all(pt >= 8 for pt in ax["legend_pt"]), f"{name}: legend under 8 pt"


@pytest.mark.slow
def test_rate_vs_distance_shows_band_extremes_bounds_and_operating_distance(rendered):
    fig = rendered["figures"]["rate_vs_distance.png"]
    main, right = fig["axes"][0], fig["axes"][1]
    net = rendered["net"]
    assert main["xlabel"] == axis_label("distance_km")
    assert main["ylabel"] == axis_label("rate_per_pulse")
    assert right["ylabel"] == axis_label("rate_bps")
    assert main["yscale"] == "log"
    legend = main["legend"]
    assert len(legend) <= 9  # not one entry per channel
    assert any(t.startswith("channel spread (10 channels") for t in legend)
    extremes = [t for t in legend if re.fullmatch(r"channel \d+ \((best|worst) at 370 km\)", t)]
    assert len(extremes) == 2
    assert "PLOB bound (repeaterless)" in legend
    assert "single-repeater bound" in legend
    assert "operating distance 370 km" in legend
    assert "finite key" in main["title"] or "asymptotic" in main["title"]
    # the single-repeater bound is -log2(1 - sqrt(eta)) of the same fibre
    (x, y, _) = next(ln for ln in main["lines"] if ln[2] == "single-repeater bound")
    eta = 10 ** (-net.link.fibre_loss_db_per_km * np.asarray(x) / 10)
    ok = (eta < 1) & np.isfinite(y)
    np.testing.assert_allclose(np.asarray(y)[ok], -np.log2(1 - np.sqrt(eta[ok])), rtol=1e-12)


@pytest.mark.slow
def test_server_figure_extinction_equals_the_reported_one(rendered):
    fig = rendered["figures"]["server_sparams.png"]
    rep = rendered["server"]
    ext, lam_nm = rep["resonance_extinction_db"], rep["resonance_wl_nm"]
    fsr_nm = lam_nm**2 * rep["fsr_ghz"] * 1e9 / 299792458.0 * 1e-9
    wide, zoom = fig["axes"][0], fig["axes"][1]
    x, y, _ = wide["lines"][0]
    x, y = np.asarray(x), np.asarray(y)
    near = np.abs(x - lam_nm) < fsr_nm / 2
    assert (y[near].max() - y[near].min()) == pytest.approx(ext, abs=0.5)
    # every resonance in the wide panel is resolved: each dip at least 30 dB deep
    n_dips = 0
    for k in (-1, 0, 1):
        win = np.abs(x - (lam_nm + k * fsr_nm)) < fsr_nm / 2
        if win.sum() > 100 and x[win].min() < lam_nm + k * fsr_nm < x[win].max():
            n_dips += 1
            assert y[win].max() - y[win].min() > 30
    assert n_dips == 3
    _, zy, _ = zoom["lines"][0]
    assert (np.max(zy) - np.min(zy)) == pytest.approx(ext, abs=0.5)
    assert zoom["xlabel"] == f"wavelength - {lam_nm:.4f} nm (pm)"


@pytest.mark.slow
def test_client_figure_is_readable(rendered):
    fig = rendered["figures"]["client_sparams.png"]
    rep = rendered["client"]
    drive, band = fig["axes"]
    assert drive["xlabel"] == axis_label("drive_v")
    assert band["xlabel"] == axis_label("wavelength_nm")
    assert min(drive["legend_pt"] + band["legend_pt"]) >= 9
    # the IM's extinction point is on the drive curve: its depth is the reported extinction
    _, y, _ = next(ln for ln in drive["lines"] if ln[2].startswith("IM I (push-pull"))
    assert np.max(y) - np.min(y) == pytest.approx(rep["im_extinction_ratio_db"]["im1"], abs=0.5)
    _, y, _ = next(ln for ln in drive["lines"] if ln[2].startswith("VOA"))
    assert np.max(y) - np.min(y) == pytest.approx(rep["voa_range_db"], abs=0.5)
