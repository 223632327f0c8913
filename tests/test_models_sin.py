"""sax models of the Si3N4 cells: physics over a wavelength sweep, closed forms, bad input.

Models are evaluated through :func:`cell_model` on real cells (their settings and info bound), so
the tests also check that the numbers reach the model from the layout. The closed forms (all-pass
and add-drop transmission, Joyce-DeLoach coupling) are written out here, independently of the
sax circuits they check.
"""

from __future__ import annotations

import math
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special
from scipy.constants import speed_of_light

from qkdchip.pdk import use_pdk
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM
from qkdchip.pdk.sin.process import PROPAGATION_LOSS_DB_PER_M, n_sio2
from qkdchip.sims.models.analysis import (
    fsr_from_resonances,
    measure_resonance,
    passivity_excess,
    reciprocity_error,
    to_dense,
    unitarity_error,
)
from qkdchip.sims.models.common import n_eff_dispersive
from qkdchip.sims.models.sin import (
    EDGE_COUPLER_LOSS_DB,
    EDGE_COUPLER_REFLECTION_DB,
    LASER_MODE_RADII_UM,
    MODELS,
    WL0_UM,
    cell_model,
    coupler_theta,
    facet_mode_radii_um,
    mode_figures,
    optical_ports,
    power_coupling,
    ring_add_drop,
    ring_length_um,
    wl_range_um,
)

C = pytest.importorskip("qkdchip.components.sin")

C_M_S = speed_of_light  # m/s (scipy.constants, CODATA)
WL = np.concatenate([[wl_range_um()[0]], np.linspace(1.50, 1.60, 201), [wl_range_um()[1]]])
ALPHA_PER_M = math.log(10) / 10 * PROPAGATION_LOSS_DB_PER_M

#: (id, cell function name, kwargs) of every Si3N4 cell with optical ports
CELLS = [
    ("straight", "sin_straight", {"length_um": 1234.0}),
    ("straight_narrow", "sin_straight", {"length_um": 500.0, "width_um": 1.8}),
    ("taper", "sin_taper", {}),
    ("ring", "sin_ring_bus", {}),
    ("racetrack", "sin_ring_bus", {"radius_um": 600.0, "coupling_length_um": 150.0}),
    ("edge_coupler", "sin_edge_coupler", {}),
    ("pump_facet", "sin_pump_facet", {}),
    ("pump_facet_far", "sin_pump_facet", {"air_gap_um": 6.0, "facet_width_um": 2.0}),
]


def build(name: str, **kwargs):
    with use_pdk("sin"):
        return getattr(C, name)(**kwargs)


@pytest.fixture(scope="module")
def cells():
    return {cid: build(name, **kw) for cid, name, kw in CELLS}


@pytest.fixture(scope="module")
def models(cells):
    return {cid: cell_model(c) for cid, c in cells.items()}


def dense(model, wl=WL, **kw):
    S, ports = to_dense(model(wl=wl, **kw))
    assert np.all(np.isfinite(S)), "NaN/inf in the S-matrix"
    return S, ports


def s21(sdict) -> np.ndarray:
    return np.asarray(sdict[("o1", "o2")])


def max_singular_value(S: np.ndarray) -> float:
    return float(np.linalg.svd(S, compute_uv=False).max())


# --- generic physics on every cell ----------------------------------------------------------------


@pytest.mark.parametrize("cid", [c[0] for c in CELLS])
def test_reciprocal_passive_finite_and_ports_of_the_cell(cid, cells, models):
    S, ports = dense(models[cid])
    assert ports == optical_ports(cells[cid])
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) <= 1e-9
    assert max_singular_value(S) <= 1 + 1e-12  # passive in the strong sense, not just per column
    assert passivity_excess(S) < -1e-5  # the process loss makes every cell strictly lossy


def test_every_cell_with_optical_ports_has_a_model():
    optical, electrical = set(), set()
    with use_pdk("sin"):
        for name, fn in C.CELLS.items():
            c = fn()
            (optical if any(p.port_type == "optical" for p in c.ports) else electrical).add(name)
    assert optical == set(MODELS)
    # the heater, pads and traces have no optical port (no thermo-optic coefficient: unheated)
    assert electrical == {"sin_ring_heater", "sin_pad", "sin_metal_straight"}


# --- lossless limits ------------------------------------------------------------------------------

W_L = LASER_MODE_RADII_UM
LOSSLESS = [
    ("straight", {"loss_db_per_m": 0.0}),
    ("taper", {"loss_db_per_m": 0.0}),
    ("ring", {"loss_db_per_m": 0.0}),
    ("racetrack", {"loss_db_per_m": 0.0}),
    ("edge_coupler", {"loss_db_per_m": 0.0, "coupling_loss_dB": 0.0}),
    (
        "pump_facet",
        {
            "loss_db_per_m": 0.0,
            "air_gap_um": 0.0,
            "facet_mode_x_um": W_L[0],
            "facet_mode_y_um": W_L[1],
        },
    ),
    (
        "pump_facet",
        {
            "loss_db_per_m": 0.0,
            "air_gap_um": 0.0,
            "facet_mode_x_um": W_L[0],
            "facet_mode_y_um": W_L[1],
            "laser_facet_reflection_dB": -3.0,
        },
    ),
]


@pytest.mark.parametrize(("cid", "kw"), LOSSLESS, ids=[f"{c}-{len(k)}" for c, k in LOSSLESS])
def test_lossless_limit_is_unitary(cid, kw, models):
    S, _ = dense(models[cid], **kw)
    assert unitarity_error(S) < 1e-12


# --- waveguides -----------------------------------------------------------------------------------


def test_straight_loss_phase_group_index_and_gvd():
    """|S21| from the PDK loss; phase, n_g and beta2 L from derivatives of the S21 phase."""
    m, length, width = MODELS["sin_straight"], 10_000.0, CORE_WIDTH_UM
    n0, ng, beta2 = mode_figures(width)
    assert (n0, ng) == pytest.approx((modes.n_eff(WL0_UM, width), modes.group_index(width)))
    assert beta2 == pytest.approx(modes.beta2_ps2_per_km(width) * 1e-27)
    t = s21(m(wl=WL, length_um=length, width_um=width))
    assert np.allclose(20 * np.log10(np.abs(t)), -PROPAGATION_LOSS_DB_PER_M * length * 1e-6)
    phi0 = np.angle(s21(m(wl=WL0_UM, length_um=length)))
    assert phi0 == pytest.approx(math.remainder(2 * math.pi * n0 * length / WL0_UM, 2 * math.pi))

    nu0 = C_M_S / (WL0_UM * 1e-6)
    dnu = 2e9  # the group delay turns the phase by < pi over 2 dnu

    def s_at(nu):
        return complex(s21(m(wl=C_M_S / nu * 1e6, length_um=length)))

    sp, s0, sm = s_at(nu0 + dnu), s_at(nu0), s_at(nu0 - dnu)
    dw = 2 * math.pi * dnu
    group_delay = np.angle(sp / sm) / (2 * dw)  # dphi/domega = n_g L / c
    assert group_delay * C_M_S / (length * 1e-6) == pytest.approx(ng, rel=1e-7)
    gdd = np.angle(sp * sm / s0**2) / dw**2  # d2phi/domega2 = beta2 L
    assert gdd == pytest.approx(beta2 * length * 1e-6, rel=1e-4)
    assert beta2 > 0  # normal dispersion: the dark-pulse comb


def test_taper_of_equal_widths_is_a_straight():
    kw = {"wl": WL, "length_um": 300.0}
    taper = s21(MODELS["sin_taper"](width1_um=2.4, width2_um=2.4, **kw))
    assert np.allclose(taper, s21(MODELS["sin_straight"](width_um=2.4, **kw)), rtol=1e-12)
    # the taper's index lies between those of its two ends
    kw = {"width1_um": 2.0, "width2_um": 3.6, "length_um": 0.5, "wl": 1.55}  # phase < pi
    n_mid = np.angle(s21(MODELS["sin_taper"](**kw)))
    lo, hi = (2 * math.pi * modes.n_eff(1.55, w) * 0.5 / 1.55 for w in (2.0, 3.6))
    assert lo < n_mid < hi


# --- ring-bus coupler -----------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(gap=st.floats(1.0, 4.0), wl=st.floats(1.5, 1.6), width=st.sampled_from([1.8, 2.8, 3.3]))
def test_coupling_reproduces_the_mode_table_exactly(gap, wl, width):
    """kappa(g, wl) and gamma(g, wl) (JAX, Hermite + Lagrange) == the table's splines."""
    radius = 1000.0
    theta = float(coupler_theta(wl, gap, radius, width))
    kappa = modes.coupling_per_um(gap, width, wl)
    gamma = modes.coupling_decay_per_um(gap, width, wl)
    assert theta == pytest.approx(kappa * math.sqrt(2 * math.pi * radius / gamma), rel=1e-11)


def test_power_coupling_is_the_cells_documented_model(cells):
    for cid in ("ring", "racetrack"):
        i = cells[cid].info
        k2 = power_coupling(
            WL0_UM, i["gap_um"], i["radius_um"], i["width_um"], i["coupling_length_um"]
        )
        assert float(k2) == pytest.approx(i["power_coupling"], rel=1e-8)
        assert float(ring_length_um(i["radius_um"], i["coupling_length_um"])) == pytest.approx(
            i["length_um"], abs=1e-4
        )
    # a straight coupling section adds kappa L_c to theta
    i = cells["racetrack"].info
    d = coupler_theta(WL0_UM, i["gap_um"], i["radius_um"], CORE_WIDTH_UM, 150.0) - coupler_theta(
        WL0_UM, i["gap_um"], i["radius_um"], CORE_WIDTH_UM, 0.0
    )
    assert float(d) == pytest.approx(150.0 * modes.coupling_per_um(i["gap_um"]), rel=1e-11)
    # weaker coupling at a wider gap, stronger at longer wavelengths (less confined mode)
    k = [float(power_coupling(WL0_UM, g, 1000.0, CORE_WIDTH_UM)) for g in (2.0, 2.4, 2.8)]
    assert k[0] > k[1] > k[2]
    assert float(power_coupling(1.6, 2.4, 1000.0, CORE_WIDTH_UM)) > float(
        power_coupling(1.5, 2.4, 1000.0, CORE_WIDTH_UM)
    )


# --- all-pass ring against the closed form --------------------------------------------------------


def allpass_t(
    wl, radius_um, width_um, gap_um, coupling_length_um=0.0, loss=PROPAGATION_LOSS_DB_PER_M
):
    """T = (a^2 - 2 a r cos phi + r^2) / (1 - 2 a r cos phi + (a r)^2) (Bogaerts 2012)."""
    length = 2 * math.pi * radius_um + 2 * coupling_length_um
    a = 10 ** (-loss * length * 1e-6 / 20)
    r = np.cos(np.asarray(coupler_theta(wl, gap_um, radius_um, width_um, coupling_length_um)))
    n = np.asarray(n_eff_dispersive(np.asarray(wl), *mode_figures(width_um), WL0_UM))
    cos = np.cos(2 * np.pi * n * length / wl)
    return (a * a - 2 * a * r * cos + r * r) / (1 - 2 * a * r * cos + (a * r) ** 2)


def ring_fn(cell, **kw):
    model = cell_model(cell)
    return jax.jit(lambda wl: model(wl=wl, **kw)[("o1", "o2")])


def fsr_um(cell) -> float:
    return WL0_UM**2 * cell.info["fsr_ghz"] * 1e9 / C_M_S * 1e-6


@pytest.mark.parametrize("cid", ["ring", "racetrack"])
def test_ring_transmission_is_the_allpass_formula(cid, cells):
    c = cells[cid]
    i = c.info
    f = ring_fn(c)
    wl = np.linspace(WL0_UM - 2 * fsr_um(c), WL0_UM + 2 * fsr_um(c), 40001)  # 4 resonances
    bus = 10 ** (-PROPAGATION_LOSS_DB_PER_M * i["bus_length_um"] * 1e-6 / 10)
    t = np.abs(np.asarray(f(wl))) ** 2 / bus
    expected = allpass_t(wl, i["radius_um"], i["width_um"], i["gap_um"], i["coupling_length_um"])
    assert np.max(np.abs(t - expected)) < 1e-8  # ring phases ~4e4 rad: ~1e-11 rad in float64
    assert t.min() < 0.9 and t.max() > 0.99  # the sweep does cross resonances


def test_resonance_depth_linewidth_and_q_against_the_allpass_formula(cells):
    """measure_resonance on the cell's S-matrix vs the all-pass closed forms (Bogaerts 2012):
    FWHM -> Q_L = pi n_g L sqrt(r a) / (lambda (1 - r a)); T_min = ((r - a)/(1 - r a))^2;
    Q_i = 2 pi n_g / (lambda alpha) ~ 1.65e7 at 1.7 dB/m."""
    c = cells["ring"]
    i = c.info
    res = measure_resonance(ring_fn(c), WL0_UM, fsr_um(c))
    n_g = mode_figures(i["width_um"])[1]
    length = float(ring_length_um(i["radius_um"])) * 1e-6
    a = math.exp(-ALPHA_PER_M * length / 2)
    r = math.cos(float(coupler_theta(res.wl_res_um, i["gap_um"], i["radius_um"], CORE_WIDTH_UM)))
    lam = res.wl_res_um * 1e-6
    q_l = math.pi * n_g * length * math.sqrt(r * a) / (lam * (1 - r * a))
    assert res.q_loaded == pytest.approx(q_l, rel=1e-4)
    assert res.linewidth_mhz == pytest.approx(C_M_S / lam / q_l / 1e6, rel=1e-4)
    t_min = ((r - a) / (1 - r * a)) ** 2
    assert res.extinction_db == pytest.approx(-10 * math.log10(t_min), abs=1e-3)
    q_i = 2 * math.pi * n_g / (lam * ALPHA_PER_M)
    assert q_i == pytest.approx(1.65e7, rel=0.01)
    assert res.q_intrinsic == pytest.approx(q_i, rel=1e-4)
    assert res.over_coupled == (1 - r * r > 1 - a * a)


def test_ring_fsr_is_c_over_ng_l(cells):
    c = cells["ring"]
    i = c.info
    f = ring_fn(c)
    fsr_meas_um, fsr_ghz = fsr_from_resonances(f, WL0_UM, fsr_um(c))
    n_g = mode_figures(i["width_um"])[1]
    length = float(ring_length_um(i["radius_um"])) * 1e-6
    assert fsr_ghz == pytest.approx(C_M_S / (n_g * length) / 1e9, rel=2e-5)
    # exactly: the group index between the two resonances (the GVD moves it by ~1e-5)
    res = measure_resonance(f, WL0_UM, fsr_um(c))
    wl_mid = res.wl_res_um + fsr_meas_um / 2
    assert fsr_ghz == pytest.approx(
        C_M_S / (modes.group_index(CORE_WIDTH_UM, wl_mid) * length) / 1e9, rel=1e-6
    )
    assert fsr_ghz == pytest.approx(i["fsr_ghz"], rel=2e-5)  # the layout's own FSR figure


def test_gap_moves_the_loaded_q_by_the_analytic_amount(cells):
    """Wider gap -> weaker coupling -> higher loaded Q, by the closed-form amount; the regime
    changes from over- to under-coupled through critical coupling (|k|^2 = alpha L)."""
    c = cells["ring"]
    q, q_analytic = {}, {}
    for gap in (2.0, 2.4, 2.8):
        res = measure_resonance(ring_fn(c, gap_um=gap), WL0_UM, fsr_um(c))
        n_g = mode_figures(CORE_WIDTH_UM)[1]
        length = float(ring_length_um(c.info["radius_um"])) * 1e-6
        a = math.exp(-ALPHA_PER_M * length / 2)
        k2 = float(power_coupling(res.wl_res_um, gap, c.info["radius_um"], CORE_WIDTH_UM))
        ra = math.sqrt(1 - k2) * a
        lam = res.wl_res_um * 1e-6
        q_allpass = math.pi * n_g * length * math.sqrt(ra) / (lam * (1 - ra))
        assert res.q_loaded == pytest.approx(q_allpass, rel=1e-4)
        # docs/physics.md, section 2: 1/Q_L = 1/Q_i + 1/Q_ex, Q_ex = 2 pi nu / (|k|^2 FSR)
        q_i = 2 * math.pi * n_g / (lam * ALPHA_PER_M)
        q_ex = 2 * math.pi * n_g * length / (lam * k2)
        assert res.q_loaded == pytest.approx(1 / (1 / q_i + 1 / q_ex), rel=5e-3)
        assert res.over_coupled == (k2 > ALPHA_PER_M * length)
        q[gap], q_analytic[gap] = res.q_loaded, q_allpass
    assert q[2.0] < q[2.4] < q[2.8]
    assert q[2.0] / q[2.8] == pytest.approx(q_analytic[2.0] / q_analytic[2.8], rel=1e-4)
    assert q[2.8] / q[2.0] > 2.5  # 0.8 um of gap: the coupling rate changes ~3x


def test_add_drop_against_the_closed_form():
    """T_through = (t2^2 a^2 - 2 t1 t2 a cos phi + t1^2) / D, T_drop = (1 - t1^2)(1 - t2^2) a / D,
    D = 1 - 2 t1 t2 a cos phi + (t1 t2 a)^2 (Bogaerts 2012)."""
    radius, g1, g2 = 997.6, 2.2, 2.6
    length = 2 * math.pi * radius
    fsr = WL0_UM**2 / (mode_figures(CORE_WIDTH_UM)[1] * length)
    wl = np.linspace(WL0_UM - fsr, WL0_UM + fsr, 20001)
    s = ring_add_drop(wl=wl, radius_um=radius, gap_um=g1, drop_gap_um=g2)
    S, ports = to_dense(s)
    assert ports == ["o1", "o2", "o3", "o4"]
    assert reciprocity_error(S) < 1e-12 and passivity_excess(S) <= 1e-9
    a = 10 ** (-PROPAGATION_LOSS_DB_PER_M * length * 1e-6 / 20)
    t1 = np.cos(np.asarray(coupler_theta(wl, g1, radius, CORE_WIDTH_UM)))
    t2 = np.cos(np.asarray(coupler_theta(wl, g2, radius, CORE_WIDTH_UM)))
    n = np.asarray(n_eff_dispersive(wl, *mode_figures(CORE_WIDTH_UM), WL0_UM))
    cos = np.cos(2 * np.pi * n * length / wl)
    d = 1 - 2 * t1 * t2 * a * cos + (t1 * t2 * a) ** 2
    through = np.abs(np.asarray(s[("o1", "o4")])) ** 2
    drop = np.abs(np.asarray(s[("o1", "o2")])) ** 2
    assert np.max(np.abs(through - (t2**2 * a**2 - 2 * t1 * t2 * a * cos + t1**2) / d)) < 1e-8
    assert np.max(np.abs(drop - (1 - t1**2) * (1 - t2**2) * a / d)) < 1e-8
    assert drop.max() > 0.3  # the drop port does drop the resonance
    assert np.max(np.abs(np.asarray(s[("o1", "o3")]))) < 1e-12  # nothing reaches the add port
    lossless, _ = to_dense(ring_add_drop(wl=wl, gap_um=g1, drop_gap_um=g2, loss_db_per_m=0.0))
    assert unitarity_error(lossless) < 1e-12


# --- facets ---------------------------------------------------------------------------------------


def test_edge_coupler_loss_and_reflection(cells, models):
    i = cells["edge_coupler"].info
    s = models["edge_coupler"](wl=WL)
    r_pow = 10 ** (EDGE_COUPLER_REFLECTION_DB / 10)
    fresnel_db = -10 * math.log10(1 - r_pow)
    prop_db = PROPAGATION_LOSS_DB_PER_M * i["taper_length_um"] * 1e-6
    il = -10 * np.log10(np.abs(s21(s)) ** 2)
    assert np.allclose(il, EDGE_COUPLER_LOSS_DB + fresnel_db + prop_db, atol=1e-12)
    r22 = 10 * np.log10(np.abs(np.asarray(s[("o2", "o2")])) ** 2)
    assert np.allclose(r22, EDGE_COUPLER_REFLECTION_DB - 2 * prop_db, atol=1e-12)
    r11 = 10 * np.log10(np.abs(np.asarray(s[("o1", "o1")])) ** 2)
    assert np.allclose(r11, EDGE_COUPLER_REFLECTION_DB - 2 * EDGE_COUPLER_LOSS_DB, atol=1e-12)


def joyce_deloach(d_um, wl_um, w1, w2):
    """Power coupling of two Gaussian waists d apart, per axis (Joyce & DeLoach 1984)."""
    return 2 * w1 * w2 / np.sqrt((w1**2 + w2**2) ** 2 + (wl_um * d_um / np.pi) ** 2)


def test_pump_facet_coupling_vs_air_gap():
    """|S21|^2 = (1 - r^2) eta_x(d) eta_y(d) t_taper^2, r the modal Fresnel reflection of the
    facet's n_eff; |S11|^2 = r^2 x the laser mode's own overlap after 2d; monotone in d."""
    m = MODELS["sin_pump_facet"]
    wl = 1.55
    n_f = float(n_eff_dispersive(wl, *mode_figures(CORE_WIDTH_UM), WL0_UM))
    r2 = ((n_f - 1) / (n_f + 1)) ** 2
    fx, fy = facet_mode_radii_um(CORE_WIDTH_UM)
    lx, ly = LASER_MODE_RADII_UM
    gaps = np.array([0.0, 0.5, 1.0, 2.0, 5.0, 10.0])
    t = np.array([abs(complex(s21(m(wl=wl, air_gap_um=d, loss_db_per_m=0.0)))) ** 2 for d in gaps])
    eta = joyce_deloach(gaps, wl, lx, fx) * joyce_deloach(gaps, wl, ly, fy)
    assert np.allclose(t, (1 - r2) * eta, rtol=1e-12)
    assert np.all(np.diff(t) < 0)
    r11 = np.array([abs(complex(m(wl=wl, air_gap_um=d)[("o1", "o1")])) ** 2 for d in gaps])
    assert np.allclose(
        r11, r2 * joyce_deloach(2 * gaps, wl, lx, lx) * joyce_deloach(2 * gaps, wl, ly, ly)
    )
    # the feedback phase: S11 turns by 2 k0 d (plus the slow Gouy lag)
    d0, dd = 1.0, 0.01
    s_a, s_b = (complex(m(wl=wl, air_gap_um=d)[("o1", "o1")]) for d in (d0, d0 + dd))
    gouy = sum(
        -0.5
        * (
            math.atan(wl * 2 * (d0 + dd) / (math.pi * 2 * w * w))
            - math.atan(wl * 2 * d0 / (math.pi * 2 * w * w))
        )
        for w in (lx, ly)
    )
    assert np.angle(s_b / s_a) == pytest.approx(4 * math.pi * dd / wl + gouy, abs=1e-12)


def test_air_gap_fabry_perot_with_the_laser_facet():
    """With the laser facet's reflection the air gap is a Fabry-Perot: |S21|^2 oscillates with
    the gap with period wl/2, contrast ((1 + R)/(1 - R))^2, R = rho_L r |c_LL(2d)|."""
    m = MODELS["sin_pump_facet"]
    wl, r_l_db = 1.55, -10.0
    d = np.linspace(2.0, 6.0, 4001)

    def t_of(**kw):  # |S21|^2 over the gaps d, one vmapped call (the air gap is traceable)
        f = jax.vmap(lambda x: m(wl=wl, air_gap_um=x, **kw)[("o1", "o2")])
        return np.abs(np.asarray(jax.jit(f)(jnp.asarray(d)))) ** 2

    t = t_of(laser_facet_reflection_dB=r_l_db)
    # normalised by the single-pass transmission, the fringe is 1 / |1 - R e^(i psi)|^2 with
    # R = rho_L r |c_LL(2d)|: max/min = ((1 + R)/(1 - R))^2 (two-mirror Fabry-Perot); the
    # round-trip phase psi = 2 k0 d - sum_xy atan(wl d / (pi w^2)) / 2 (Gouy lag of the 2d round
    # trip) gives a period 2 pi / psi'(d): wl/2 lengthened by 2.2 % ... 0.7 % over 2-6 um here
    single = t_of()
    fringe = t / (single * (1 - 10 ** (r_l_db / 10)))
    peaks = d[1:-1][(fringe[1:-1] > fringe[:-2]) & (fringe[1:-1] > fringe[2:])]
    assert len(peaks) >= 4
    mid = (peaks[1:] + peaks[:-1]) / 2
    dpsi = 4 * np.pi / wl - sum(
        0.5 * (wl / (np.pi * w * w)) / (1 + (wl * mid / (np.pi * w * w)) ** 2)
        for w in LASER_MODE_RADII_UM
    )
    assert np.allclose(np.diff(peaks), 2 * np.pi / dpsi, rtol=2e-3)
    assert not np.allclose(np.diff(peaks), wl / 2, rtol=5e-3)  # the Gouy lag is resolved
    n_f = float(n_eff_dispersive(wl, *mode_figures(CORE_WIDTH_UM), WL0_UM))
    r = (n_f - 1) / (n_f + 1)
    lx, ly = LASER_MODE_RADII_UM

    def rr(x: float) -> float:  # R at gap x: the reflected beam overlaps the laser mode after 2x
        c_ll = math.sqrt(joyce_deloach(2 * x, wl, lx, lx) * joyce_deloach(2 * x, wl, ly, ly))
        return 10 ** (r_l_db / 20) * r * c_ll

    window = np.nonzero((d > 3.6) & (d < 4.4))[0]
    k_max, k_min = window[np.argmax(fringe[window])], window[np.argmin(fringe[window])]
    assert fringe[k_max] == pytest.approx(1 / (1 - rr(d[k_max])) ** 2, rel=1e-4)
    assert fringe[k_min] == pytest.approx(1 / (1 + rr(d[k_min])) ** 2, rel=1e-4)
    assert (
        max_singular_value(to_dense(m(wl=wl, air_gap_um=4.0, laser_facet_reflection_dB=-1.0))[0])
        <= 1
    )


def test_facet_width_outside_the_mode_table_takes_the_nearest_tabulated_width():
    """The cell draws facets 0.8-6 um wide, the mode table covers 1.6-4.0 um: outside it the
    model uses the nearest tabulated width (Fresnel index, mode radii, taper phase)."""
    lo, hi = modes.width_range_um()
    m = MODELS["sin_pump_facet"]
    for outside, edge in ((0.8, lo), (5.5, hi)):
        S, _ = to_dense(m(wl=WL, facet_width_um=outside))
        S_edge, _ = to_dense(m(wl=WL, facet_width_um=edge))
        np.testing.assert_array_equal(S, S_edge)
        assert max_singular_value(S) <= 1 + 1e-12


def test_facet_mode_radii_estimate():
    """Vertical: the Gaussian closest to exp(-gamma |y|) has w gamma = u*, the maximiser of
    sqrt(2 pi) u erfcx(u/2)^2; lateral: grows with the width; ~(1.7, 1.06) um at 2.8 um."""
    n = modes.n_eff(WL0_UM, CORE_WIDTH_UM)
    gamma = 2 * math.pi / WL0_UM * math.sqrt(n**2 - float(n_sio2(WL0_UM)) ** 2)
    wx, wy = facet_mode_radii_um(CORE_WIDTH_UM)
    u = wy * gamma

    def overlap(x):
        return math.sqrt(2 * math.pi) * x * special.erfcx(x / 2) ** 2

    assert overlap(u) > overlap(u * 1.01) and overlap(u) > overlap(u * 0.99)
    assert overlap(u) == pytest.approx(0.972, abs=1e-3)
    assert (wx, wy) == pytest.approx((1.717, 1.056), abs=2e-3)
    widths = [1.8, 2.8, 3.8]
    assert np.all(np.diff([facet_mode_radii_um(w)[0] for w in widths]) > 0)


# --- bad input ------------------------------------------------------------------------------------

BAD = [
    ("sin_straight", {"wl": 1.45, "length_um": 10.0}, "wl"),
    ("sin_straight", {"wl": [1.55, 1.62], "length_um": 10.0}, "wl"),
    ("sin_straight", {"wl": np.nan, "length_um": 10.0}, "wl"),
    ("sin_straight", {"length_um": -5.0}, "length_um"),
    ("sin_straight", {"width_um": 1.0}, "width_um"),
    ("sin_straight", {"loss_db_per_m": -1.0}, "loss_db_per_m"),
    ("sin_taper", {"length_um": np.inf}, "length_um"),
    ("sin_taper", {"width2_um": -0.5}, "width2_um"),
    ("sin_ring_bus", {"gap_um": 0.5}, "gap_um"),
    ("sin_ring_bus", {"gap_um": 4.5}, "gap_um"),
    ("sin_ring_bus", {"radius_um": 5.0}, "radius_um"),
    ("sin_ring_bus", {"coupling_length_um": -1.0}, "coupling_length_um"),
    ("sin_ring_bus", {"width_um": 5.0}, "width_um"),
    ("sin_ring_bus", {"bus_length_um": -3.0}, "bus_length_um"),
    ("sin_edge_coupler", {"reflection_dB": 3.0}, "reflection_dB"),
    ("sin_edge_coupler", {"coupling_loss_dB": -1.0}, "coupling_loss_dB"),
    ("sin_edge_coupler", {"taper_length_um": -10.0}, "taper_length_um"),
    ("sin_pump_facet", {"air_gap_um": -1.0}, "air_gap_um"),
    ("sin_pump_facet", {"air_gap_um": np.nan}, "air_gap_um"),
    ("sin_pump_facet", {"facet_width_um": -0.5}, "facet_width_um"),
    ("sin_pump_facet", {"laser_mode_x_um": 0.0}, "laser_mode_x_um"),
    ("sin_pump_facet", {"facet_mode_y_um": 100.0}, "facet_mode_y_um"),
    ("sin_pump_facet", {"laser_facet_reflection_dB": 0.0}, "laser_facet_reflection_dB"),
]


@pytest.mark.parametrize(("name", "kw", "param"), BAD, ids=[f"{n}-{p}" for n, _, p in BAD])
def test_bad_input_raises_naming_the_parameter(name, kw, param):
    with pytest.raises(ValueError, match=param):
        MODELS[name](**kw)


def test_add_drop_bad_gap_and_traced_width():
    with pytest.raises(ValueError, match="drop_gap_um"):
        ring_add_drop(drop_gap_um=0.2)
    with pytest.raises(ValueError, match="width_um"):
        jax.jit(lambda w: MODELS["sin_straight"](wl=1.55, width_um=w)[("o1", "o2")])(CORE_WIDTH_UM)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    wl=st.floats(1.5, 1.6),
    gap=st.floats(1.0, 4.0),
    radius=st.floats(10.0, 2500.0),
    lc=st.floats(0.0, 500.0),
    d=st.floats(0.0, 100.0),
    length=st.floats(0.0, 20000.0),
)
def test_models_stay_finite_and_passive_over_their_ranges(wl, gap, radius, lc, d, length):
    sdicts = [
        MODELS["sin_straight"](wl=wl, length_um=length),
        MODELS["sin_taper"](wl=wl, length_um=length, width1_um=0.5, width2_um=6.0),
        MODELS["sin_ring_bus"](wl=wl, radius_um=radius, gap_um=gap, coupling_length_um=lc),
        MODELS["sin_edge_coupler"](wl=wl, taper_length_um=length),
        MODELS["sin_pump_facet"](wl=wl, air_gap_um=d),
        MODELS["sin_pump_facet"](wl=wl, air_gap_um=d, laser_facet_reflection_dB=-0.5),
    ]
    for sd in sdicts:
        S, _ = to_dense(sd)
        assert np.all(np.isfinite(S))
        assert passivity_excess(S) <= 1e-9
        assert max_singular_value(S) <= 1 + 1e-12
        assert reciprocity_error(S) < 1e-12


def test_ring_is_jit_and_vmap_friendly_over_the_gap():
    wl = jnp.linspace(1.549, 1.551, 101)
    f = jax.jit(
        jax.vmap(lambda g: MODELS["sin_ring_bus"](wl=wl, radius_um=997.6, gap_um=g)[("o1", "o2")])
    )
    gaps = jnp.array([1.7, 2.4, 3.1])
    out = np.asarray(f(gaps))
    for k, g in enumerate(np.asarray(gaps)):
        ref = s21(MODELS["sin_ring_bus"](wl=wl, radius_um=997.6, gap_um=float(g)))
        assert np.allclose(out[k], ref, rtol=1e-12, atol=1e-14)


@pytest.mark.slow
def test_pdk_models_load_lazily_without_sax_at_import():
    code = (
        "import sys\n"
        "from qkdchip.pdk import get_pdk\n"
        "pdk = get_pdk('sin')\n"
        "assert 'sax' not in sys.modules, 'sax imported by the PDK'\n"
        "assert 'sin_ring_bus' in pdk.models and 'sax' in sys.modules\n"
        "from qkdchip.sims.models.sin import MODELS\n"
        "assert dict(pdk.models) == MODELS\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
