"""sax models of the InP cells: physics over a wavelength sweep, closed forms, bad input.

Every model is evaluated through :func:`cell_model` on a real cell (its settings and info bound,
or, for the hierarchical phase modulator and MZM, the sax circuit of its own netlist), so the
tests also check that the numbers reach the model from the layout.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize

from qkdchip.pdk import use_pdk
from qkdchip.pdk.inp.process import PROCESS
from qkdchip.sims.models.analysis import (
    passivity_excess,
    reciprocity_error,
    to_dense,
    unitarity_error,
)
from qkdchip.sims.models.common import WL_MAX_UM, WL_MIN_UM
from qkdchip.sims.models.inp import (
    MODELS,
    WL0_UM,
    cell_model,
    eo_vpi_v,
    optical_ports,
    prepare_netlist,
)

C = pytest.importorskip("qkdchip.components.inp")

WL = np.concatenate([[WL_MIN_UM], np.linspace(1.50, 1.60, 201), [WL_MAX_UM]])

#: (id, cell function name, kwargs) of every InP cell with optical ports
CELLS = [
    ("straight_deep", "inp_straight", {"length_um": 250.0}),
    ("straight_shallow", "inp_straight", {"length_um": 250.0, "cross_section": "inp_shallow"}),
    ("bend_circular", "inp_bend_circular", {"angle_deg": 90.0}),
    ("bend_s", "inp_bend_s", {"dy_um": 30.0}),
    ("taper", "inp_taper_deep_shallow", {}),
    ("mmi1x2", "inp_mmi1x2", {}),
    ("mmi2x2", "inp_mmi2x2", {}),
    ("eo_section", "inp_eo_section", {"length_um": 700.0}),
    ("phase_modulator", "inp_phase_modulator", {"length_um": 900.0}),
    ("mzm", "inp_mzm", {"split_ratio": 0.56, "combine_ratio": 0.47}),
    ("dbr_laser", "inp_dbr_laser", {}),
    ("voa", "inp_voa", {"length_um": 400.0}),
    ("facet_ssc", "inp_facet_ssc", {}),
]


def build(name: str, **kwargs):
    with use_pdk("inp"):
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


def t_db(sdict, a="o1", b="o2") -> np.ndarray:
    return 10 * np.log10(np.abs(np.asarray(sdict[(a, b)])) ** 2)


# --- generic physics on every cell --------------------------------------------------------------


@pytest.mark.parametrize("cid", [c[0] for c in CELLS])
def test_reciprocal_passive_finite_and_ports_of_the_cell(cid, cells, models):
    S, ports = dense(models[cid])
    assert ports == optical_ports(cells[cid])
    assert not any(p.startswith("e") for p in ports)  # electrodes are not optical ports
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) <= 1e-9


def test_every_cell_with_optical_ports_has_a_model(cells):
    """Leaf cells are keyed in MODELS; the hierarchical ones are circuits of modelled cells."""
    hierarchical = {"inp_phase_modulator", "inp_mzm"}
    optical = set()
    with use_pdk("inp"):
        for name, fn in C.CELLS.items():
            if name in {"inp_wire"}:
                continue
            if any(p.port_type == "optical" for p in fn().ports):
                optical.add(name)
    assert optical == set(MODELS) | hierarchical
    for c in cells.values():
        if c.function_name in hierarchical:
            for net in prepare_netlist(c.get_netlist(recursive=True)).values():
                assert {i["component"] for i in net["instances"].values()} <= set(MODELS)


# --- lossless limits ----------------------------------------------------------------------------

LOSSLESS = [
    ("straight_deep", {"loss_dB_per_cm": 0.0}),
    ("straight_shallow", {"loss_dB_per_cm": 0.0}),
    ("bend_circular", {"loss_dB_per_cm": 0.0}),
    ("bend_s", {"loss_dB_per_cm": 0.0}),
    ("taper", {"transition_loss_dB": 0.0}),
    ("mmi2x2", {"excess_loss_dB": 0.0, "loss_dB_per_cm": 0.0}),
    ("eo_section", {"eo_loss_dB_per_mm": 0.0, "loss_dB_per_cm": 0.0, "voltage_V": 3.0}),
    ("dbr_laser", {}),
    ("facet_ssc", {"coupling_loss_dB": 0.0}),
]


@pytest.mark.parametrize(("cid", "kw"), LOSSLESS, ids=[c for c, _ in LOSSLESS])
def test_lossless_limit_is_unitary(cid, kw, models):
    S, _ = dense(models[cid], **kw)
    assert unitarity_error(S) < 1e-12
    # and the process losses make it strictly lossy (except the ideal laser reference plane)
    S_lossy, _ = dense(models[cid])
    if cid != "dbr_laser":
        assert passivity_excess(S_lossy) < -1e-3


def test_mmi1x2_lossless_limit(models):
    """A reflection-free 1x2 cannot be unitary: its input column is, and S^H S <= 1."""
    S, ports = dense(models["mmi1x2"], excess_loss_dB=0.0, loss_dB_per_cm=0.0)
    i1 = ports.index("o1")
    assert np.allclose((np.abs(S[:, :, i1]) ** 2).sum(axis=1), 1.0, atol=1e-12)
    eig = np.linalg.eigvalsh(np.conj(np.swapaxes(S, 1, 2)) @ S)
    assert eig.max() <= 1 + 1e-12
    # light entering an output: half goes to o1, half to the radiated antisymmetric mode
    i2 = ports.index("o2")
    assert np.allclose((np.abs(S[:, :, i2]) ** 2).sum(axis=1), 0.5, atol=1e-12)


# --- closed forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("xs", ["inp_deep", "inp_shallow"])
def test_straight_loss_phase_and_group_index(xs):
    length = 1234.0
    m = MODELS["inp_straight"]
    n_eff = {"inp_deep": PROCESS.deep_neff, "inp_shallow": PROCESS.shallow_neff}[xs]
    n_g = {"inp_deep": PROCESS.deep_ng, "inp_shallow": PROCESS.shallow_ng}[xs]
    loss = {"inp_deep": PROCESS.deep_loss_dB_per_cm, "inp_shallow": PROCESS.shallow_loss_dB_per_cm}
    s = m(wl=WL, length_um=length, cross_section=xs)
    assert np.allclose(t_db(s), -loss[xs] * length * 1e-4, atol=1e-12)
    phi0 = np.angle(m(wl=WL0_UM, length_um=length, cross_section=xs)[("o1", "o2")])
    expected = math.remainder(2 * math.pi * n_eff * length / WL0_UM, 2 * math.pi)
    assert phi0 == pytest.approx(expected, abs=1e-9)
    # group index from the phase slope: n_g = -(lambda^2 / 2 pi L) dphi/dlambda
    d = 1e-6
    sp, sm = (m(wl=WL0_UM + x, length_um=length, cross_section=xs)[("o1", "o2")] for x in (d, -d))
    dphi = np.angle(sp / sm) / (2 * d)
    assert -(WL0_UM**2) / (2 * math.pi * length) * dphi == pytest.approx(n_g, rel=1e-7)


def test_bend_length_from_the_cell(cells, models):
    c = cells["bend_circular"]
    radius = c.info["radius_um"]
    loss = t_db(models["bend_circular"](wl=WL0_UM))
    assert loss == pytest.approx(
        -PROCESS.deep_loss_dB_per_cm * radius * math.pi / 2 * 1e-4, rel=1e-5
    )


@pytest.mark.parametrize("cid", ["eo_section", "phase_modulator", "voa"])
def test_insertion_loss_matches_the_cell_budget(cid, cells, models):
    """The model, from PROCESS and the geometry, agrees with the loss budget the cell states."""
    assert -t_db(models[cid](wl=WL0_UM)) == pytest.approx(
        cells[cid].info["insertion_loss_dB"], abs=1e-5
    )


def test_mmi_split_and_excess_loss(models):
    s = models["mmi1x2"](wl=WL)
    p2, p3 = (np.abs(np.asarray(s[("o1", p)])) ** 2 for p in ("o2", "o3"))
    assert np.allclose(p2, p3)
    s0 = models["mmi1x2"](wl=WL, loss_dB_per_cm=0.0)
    total = np.abs(np.asarray(s0[("o1", "o2")])) ** 2 + np.abs(np.asarray(s0[("o1", "o3")])) ** 2
    assert np.allclose(10 * np.log10(total), -PROCESS.mmi_excess_loss_dB, atol=1e-12)
    s = models["mmi1x2"](wl=WL, split_ratio=0.3)
    ratio = np.abs(np.asarray(s[("o1", "o2")])) ** 2 / np.abs(np.asarray(s[("o1", "o3")])) ** 2
    assert np.allclose(ratio, 0.3 / 0.7)
    # 2x2: 3 dB, cross port in quadrature with the bar port
    s = models["mmi2x2"](wl=WL, split_ratio=0.5)
    bar, cross = np.asarray(s[("o1", "o4")]), np.asarray(s[("o1", "o3")])
    assert np.allclose(np.abs(bar), np.abs(cross))
    assert np.allclose(np.angle(cross / bar), -np.pi / 2)


@pytest.mark.parametrize("name", ["inp_mmi1x2", "inp_mmi2x2"])
def test_mmi_default_length_is_the_cells_self_imaging_length(name):
    """At its defaults (length_um None) the model is the default cell: the self-imaging length
    of the cell's width (the cell snaps it to the 1 nm grid: |S| agree to 1e-6, phases to
    1e-2 rad)."""
    S_model, _ = dense(MODELS[name])
    S_cell, _ = dense(cell_model(build(name)))
    np.testing.assert_allclose(np.abs(S_model), np.abs(S_cell), rtol=1e-6, atol=1e-15)
    live = np.abs(S_cell) > 0
    assert np.max(np.abs(np.angle(S_model[live] / S_cell[live]))) < 1e-2


def test_facet_loss_and_reflection(models):
    s = models["facet_ssc"](wl=WL)
    fresnel = -10 * math.log10(1 - 10 ** (PROCESS.facet_reflection_dB / 10))
    assert np.allclose(-t_db(s), PROCESS.ssc_loss_dB + fresnel, atol=1e-12)
    assert np.allclose(t_db(s, "o1", "o1"), PROCESS.facet_reflection_dB, atol=1e-12)


def _phase_shift(model, v, wl=WL0_UM, **kw):
    s0 = model(wl=wl, **kw)[("o1", "o2")]
    s1 = model(wl=wl, voltage_V=v, **kw)[("o1", "o2")]
    return float(np.angle(s1 / s0))


def test_eo_section_phase_is_pi_v_over_vpi():
    m = MODELS["inp_eo_section"]
    for length in (300.0, 900.0, 2700.0):
        vpi = PROCESS.eo_vpi_l_V_mm / (length * 1e-3)
        assert eo_vpi_v(length) == pytest.approx(vpi)
        for frac in (0.25, 0.5, 0.9):
            shift = _phase_shift(m, frac * vpi, length_um=length, path_length_um=length + 60)
            assert shift == pytest.approx(frac * math.pi, abs=1e-9)  # phase ~1e4 rad in f64
        # the index change, not the phase, is fixed: V_pi scales with the wavelength
        wl = 1.6
        shift = _phase_shift(m, 0.5 * vpi, length_um=length, wl=wl)
        assert shift == pytest.approx(0.5 * math.pi * WL0_UM / wl, abs=1e-9)
    # the voltage leaves the amplitude alone
    s0, s1 = (m(wl=WL, length_um=900.0, voltage_V=v)[("o1", "o2")] for v in (0.0, 7.0))
    assert np.allclose(np.abs(s0), np.abs(s1), rtol=1e-14)


def _pi_voltage(model, v_limit: float) -> float:
    """Voltage of a pi phase turn of S21, read from the S-matrix (sweep over the model's
    domain |V| <= ``v_limit``, linear interpolation of the unwrapped phase)."""
    s0 = model(wl=WL0_UM)[("o1", "o2")]
    vs = np.linspace(0, v_limit, 81)
    dphi = np.unwrap([np.angle(model(wl=WL0_UM, section={"voltage_V": v})[("o1", "o2")] / s0)
                      for v in vs])  # fmt: skip
    k = int(np.nonzero(dphi >= np.pi)[0][0])
    return float(np.interp(np.pi, dphi[k - 1 : k + 1], vs[k - 1 : k + 1]))


def test_phase_modulator_vpi_scales_as_one_over_length():
    """PM Vpi read from the circuit of the cell's own netlist: V_pi L is constant."""
    vpis = {}
    for length in (600.0, 1200.0, 2400.0):
        pm = build("inp_phase_modulator", length_um=length)
        vpis[length] = _pi_voltage(cell_model(pm), 2 * eo_vpi_v(length))
        assert vpis[length] == pytest.approx(PROCESS.eo_vpi_l_V_mm / (length * 1e-3), rel=1e-9)
    assert vpis[600.0] / vpis[1200.0] == pytest.approx(2.0, rel=1e-9)
    assert vpis[1200.0] / vpis[2400.0] == pytest.approx(2.0, rel=1e-9)


def _mzm_t(model, v: float) -> float:
    s = model(wl=WL0_UM, arm_top={"voltage_V": v}, arm_bot={"voltage_V": -v})
    return float(np.abs(s[("o1", "o2")]) ** 2)


def er_closed_form_db(k1: float, k2: float, t1: float = 1.0, t2: float = 1.0) -> float:
    """ER = ((A + B)/(A - B))^2, A = sqrt(k1 k2) t1, B = sqrt((1-k1)(1-k2)) t2 (docs/physics.md,
    section 6)."""
    a, b = math.sqrt(k1 * k2) * t1, math.sqrt((1 - k1) * (1 - k2)) * t2
    return 10 * math.log10(((a + b) / (a - b)) ** 2)


@pytest.mark.parametrize(
    ("k1", "k2"),
    [
        (0.52, 0.5),
        pytest.param(0.56, 0.47, marks=pytest.mark.slow),
        pytest.param(0.45, 0.6, marks=pytest.mark.slow),
    ],
)
def test_mzm_extinction_ratio_matches_the_imbalance_formula(k1, k2):
    mzm = build("inp_mzm", split_ratio=k1, combine_ratio=k2)
    model = cell_model(mzm)
    vpi_arm = PROCESS.eo_vpi_l_V_mm / (mzm.info["length_um"] * 1e-3)
    grid = np.linspace(-0.75 * vpi_arm, 0.75 * vpi_arm, 121)  # 1.5 periods of T(v)
    t = np.array([_mzm_t(model, v) for v in grid])
    i_min = int(np.argmin(t))
    res = optimize.minimize_scalar(
        lambda v: _mzm_t(model, v),
        bounds=(grid[i_min - 1], grid[i_min + 1]),
        method="bounded",
        options={"xatol": 1e-10},
    )
    er = 10 * math.log10(t.max() / res.fun)
    assert er == pytest.approx(er_closed_form_db(k1, k2), abs=1e-5)
    # the maximum sits at 0 V (identical arms) and is the cell's loss budget (ideal combiner)
    assert int(np.argmax(t)) == len(grid) // 2
    a, b = math.sqrt(k1 * k2), math.sqrt((1 - k1) * (1 - k2))
    assert -10 * math.log10(t.max() / (a + b) ** 2) == pytest.approx(
        mzm.info["insertion_loss_dB"], abs=1e-5
    )
    # push-pull voltage -> transmission: T(v) = T_0 (A^2 + B^2 + 2 A B cos(2 pi v / V_pi,arm))
    t0 = t.max() / (a + b) ** 2
    expected = t0 * (a**2 + b**2 + 2 * a * b * np.cos(2 * np.pi * grid / vpi_arm))
    assert np.allclose(t, expected, rtol=1e-9, atol=1e-15)


def test_mzm_ideal_splitters_extinguish():
    model = cell_model(build("inp_mzm", split_ratio=0.5, combine_ratio=0.5))
    vpi_arm = PROCESS.eo_vpi_l_V_mm / (800.0 * 1e-3)
    assert _mzm_t(model, vpi_arm / 2) < 1e-20  # > 200 dB: the f64 phase noise floor


def test_voa_monotone_with_the_documented_range(cells, models):
    vmax = PROCESS.voa_max_reverse_bias_V
    vs = np.linspace(0.0, vmax, 41)
    t = np.array([t_db(models["voa"](wl=WL0_UM, voltage_V=v)) for v in vs])
    assert np.all(np.diff(t) < 0)
    a_max = PROCESS.voa_absorption_dB_per_mm * cells["voa"].info["length_um"] * 1e-3
    assert t[0] - t[-1] == pytest.approx(a_max, abs=1e-9)
    assert t[0] - t[-1] == pytest.approx(cells["voa"].info["max_attenuation_dB"], abs=1e-6)
    assert np.allclose(t[0] - t, a_max * (vs / vmax) ** 2, atol=1e-9)


def test_voa_range_scales_with_length():
    m = MODELS["inp_voa"]
    vmax = PROCESS.voa_max_reverse_bias_V
    for length in (150.0, 300.0, 600.0):
        rng = t_db(m(wl=WL0_UM, length_um=length)) - t_db(
            m(wl=WL0_UM, length_um=length, voltage_V=vmax)
        )
        assert rng == pytest.approx(PROCESS.voa_absorption_dB_per_mm * length * 1e-3, abs=1e-9)


def test_laser_is_a_reference_plane_passthrough(cells, models):
    S, ports = dense(models["dbr_laser"])
    assert ports == ["o1", "o2"]
    assert np.allclose(S[:, 1, 0], 1.0) and np.allclose(S[:, 0, 0], 0.0)
    assert cells["dbr_laser"].info["output_power_mW"] == PROCESS.laser_power_mW


def test_process_variant_changes_the_model(monkeypatch):
    """Models read PROCESS at call time: a checked variant changes the S-matrix."""
    import qkdchip.sims.models.inp as inp

    base = t_db(MODELS["inp_straight"](wl=WL0_UM, length_um=1000.0))
    monkeypatch.setattr(inp, "PROCESS", dataclasses.replace(PROCESS, deep_loss_dB_per_cm=2.5))
    assert t_db(MODELS["inp_straight"](wl=WL0_UM, length_um=1000.0)) == pytest.approx(-0.25)
    assert base == pytest.approx(-0.3)


# --- netlist preparation --------------------------------------------------------------------------


def test_prepare_netlist_hands_the_imbalance_to_the_mmis(cells):
    mzm = cells["mzm"]
    net = prepare_netlist(mzm.get_netlist(recursive=True), dict(mzm.info))["inp_mzm"]
    # mmi_in is unrotated (o2 towards the upper arm); mmi_out is rotated: o3 faces the upper arm
    assert net["instances"]["mmi_in"]["info"]["split_ratio"] == pytest.approx(0.56)
    assert net["instances"]["mmi_out"]["info"]["split_ratio"] == pytest.approx(1 - 0.47)
    assert mzm.get_netlist()["instances"]["mmi_in"]["info"]["split_ratio"] == 0.5  # not mutated


# --- bad input -------------------------------------------------------------------------------------

BAD = [
    ("inp_straight", {"wl": 1.3, "length_um": 10.0}, "wl"),
    ("inp_straight", {"wl": [1.55, 1.7], "length_um": 10.0}, "wl"),
    ("inp_straight", {"wl": np.nan, "length_um": 10.0}, "wl"),
    ("inp_straight", {"length_um": -5.0}, "length_um"),
    ("inp_straight", {"length_um": 10.0, "cross_section": "inp_metal"}, "cross_section"),
    ("inp_straight", {"length_um": 10.0, "loss_dB_per_cm": -1.0}, "loss_dB_per_cm"),
    ("inp_bend_s", {"length_um": -1.0}, "length_um"),
    ("inp_taper_deep_shallow", {"length_um": 50.0, "transition_loss_dB": -0.1}, "transition_loss"),
    ("inp_mmi1x2", {"length_um": 50.0, "taper_length_um": 25.0, "split_ratio": 1.2}, "split_ratio"),
    ("inp_mmi2x2", {"length_um": -50.0, "taper_length_um": 25.0}, "length_um"),
    ("inp_mmi1x2", {"length_um": 50.0, "taper_length_um": -2.0}, "taper_length_um"),
    ("inp_eo_section", {"length_um": 1000.0, "voltage_V": 25.0}, "voltage_V"),
    ("inp_eo_section", {"length_um": 1000.0, "voltage_V": np.inf}, "voltage_V"),
    ("inp_eo_section", {"length_um": 1000.0, "path_length_um": 900.0}, "path_length_um"),
    ("inp_eo_section", {"length_um": -10.0}, "length_um"),
    ("inp_voa", {"length_um": 400.0, "voltage_V": -0.5}, "voltage_V"),
    ("inp_voa", {"length_um": 400.0, "voltage_V": 9.0}, "voltage_V"),
    ("inp_voa", {"length_um": 400.0, "path_length_um": 420.0}, "path_length_um"),
    ("inp_facet_ssc", {"reflection_dB": 3.0}, "reflection_dB"),
    ("inp_facet_ssc", {"coupling_loss_dB": -1.0}, "coupling_loss_dB"),
    ("inp_facet_ssc", {"path_length_um": -1.0}, "path_length_um"),
    ("inp_dbr_laser", {"wl": 2.0}, "wl"),
]


@pytest.mark.parametrize(("name", "kw", "param"), BAD, ids=[f"{n}-{p}" for n, _, p in BAD])
def test_bad_input_raises_naming_the_parameter(name, kw, param):
    with pytest.raises(ValueError, match=param):
        MODELS[name](**kw)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    wl=st.floats(WL_MIN_UM, WL_MAX_UM),
    length=st.floats(1.0, 5000.0),
    frac=st.floats(-1.99, 1.99),
    vfrac=st.floats(0.0, 1.0),
    split=st.floats(0.0, 1.0),
)
def test_models_stay_finite_and_passive_over_their_ranges(wl, length, frac, vfrac, split):
    vpi = PROCESS.eo_vpi_l_V_mm / (length * 1e-3)
    sdicts = [
        MODELS["inp_straight"](wl=wl, length_um=length),
        MODELS["inp_bend_s"](wl=wl, length_um=length, cross_section="inp_shallow"),
        MODELS["inp_taper_deep_shallow"](wl=wl, length_um=length),
        MODELS["inp_mmi1x2"](wl=wl, length_um=length, taper_length_um=25.0, split_ratio=split),
        MODELS["inp_mmi2x2"](wl=wl, length_um=length, taper_length_um=25.0, split_ratio=split),
        MODELS["inp_eo_section"](wl=wl, length_um=length, voltage_V=frac * vpi),
        MODELS["inp_voa"](wl=wl, length_um=length, voltage_V=vfrac * 4.0),
        MODELS["inp_facet_ssc"](wl=wl, path_length_um=50.0 + length),
        MODELS["inp_dbr_laser"](wl=wl),
    ]
    for sd in sdicts:
        S, _ = to_dense(sd)
        assert np.all(np.isfinite(S))
        assert passivity_excess(S) <= 1e-9
        assert reciprocity_error(S) < 1e-12


def test_models_are_jit_and_vmap_friendly():
    import jax
    import jax.numpy as jnp

    f = jax.jit(
        jax.vmap(
            lambda v, length: MODELS["inp_eo_section"](
                wl=jnp.linspace(1.5, 1.6, 11), length_um=length, voltage_V=v
            )[("o1", "o2")]
        )
    )
    out = np.asarray(f(jnp.array([0.0, 1.0, 2.0]), jnp.array([500.0, 1000.0, 2000.0])))
    ref = np.asarray(
        MODELS["inp_eo_section"](wl=np.linspace(1.5, 1.6, 11), length_um=1000.0, voltage_V=1.0)[
            ("o1", "o2")
        ]
    )
    assert out.shape == (3, 11) and np.allclose(out[1], ref, rtol=1e-12)


@pytest.mark.slow
def test_pdk_models_load_lazily_without_sax_at_import():
    code = (
        "import sys\n"
        "from qkdchip.pdk import get_pdk\n"
        "pdk = get_pdk('inp')\n"
        "assert 'sax' not in sys.modules, 'sax imported by the PDK'\n"
        "assert 'inp_mmi1x2' in pdk.models and 'sax' in sys.modules\n"
        "from qkdchip.sims.models.inp import MODELS\n"
        "assert dict(pdk.models) == MODELS\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
