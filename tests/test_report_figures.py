"""The one table of axis labels, and the adaptive sampling that resolves the server's
resonances (closed form). Every report figure rendered by a run, its labels and the plotted vs
reported extinction: tests/test_run.py (with tests/figure_checks.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qkdchip.base import labels
from qkdchip.base.labels import LABELS, axis_label, unit_from_name
from qkdchip.report.figures import EVAL_POINTS, resolved_trace

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
