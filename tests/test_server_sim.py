"""Server (microcomb) chip simulated from its own netlist: physics, figures against closed forms.

The compiled circuits are cached by ``server_circuit`` (per design): the module shares one build
of the default chip and one of a chip drawn with a different ring gap.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from scipy.constants import speed_of_light

from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM
from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM, PROPAGATION_LOSS_DB_PER_M
from qkdchip.sims.models import sin
from qkdchip.sims.models.analysis import passivity_excess, reciprocity_error
from qkdchip.sims.physics.ring import RingParams
from qkdchip.sims.server import (
    PARAM_KEYS,
    server_batch_fn,
    server_circuit,
    server_figures,
    server_fn,
    server_ring_params,
    server_sparams,
)

C_M_S = speed_of_light  # m/s (scipy.constants, CODATA)
WL = np.linspace(1.50, 1.60, 2001)
#: the layout gap of the second design (the default is 2.4 um)
GAP2 = 2.0


@pytest.fixture(scope="module")
def sc():
    return server_circuit()


@pytest.fixture(scope="module")
def figs(sc):
    return server_figures()


def top(sc) -> dict:
    return sc.netlist[next(iter(sc.netlist))]


# --- the circuit --------------------------------------------------------------------------------


def test_chip_is_reciprocal_passive_and_finite():
    S, ports = server_sparams(WL)
    assert ports == ["o1", "o2"]
    assert S.shape == (WL.size, 2, 2)
    assert np.all(np.isfinite(S))
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) <= 1e-9
    assert np.linalg.svd(S, compute_uv=False).max() <= 1 + 1e-12


def test_every_leaf_cell_of_the_chip_has_a_model(sc):
    leaves = {
        i["component"] for n in sc.netlist.values() for i in n["instances"].values()
        if i["component"] not in sc.netlist
    }  # fmt: skip
    assert leaves <= set(sin.MODELS)
    assert leaves == {"sin_pump_facet", "sin_straight", "sin_ring_bus", "sin_edge_coupler"}
    # the optical path: pump facet -> straight -> ring -> straight -> edge coupler
    assert top(sc)["ports"] == {"o1": "pump,o1", "o2": "coupler,o1"}
    # what the optical netlist leaves out has no optical port: heater, traces, pads
    from qkdchip.circuits.server_chip import server_chip
    from qkdchip.pdk import use_pdk

    with use_pdk("sin"):
        full = server_chip().get_netlist()
    dropped = {
        v["component"] for k, v in full["instances"].items() if k not in top(sc)["instances"]
    }
    assert dropped == {"sin_ring_heater", "sin_metal_straight", "sin_pad"}
    assert not set(dropped) & set(sin.MODELS)


def test_circuits_are_cached_per_design(sc):
    assert server_circuit() is sc
    assert server_circuit(ring_gap_um=GAP2) is not sc
    assert server_circuit(ring_gap_um=GAP2).ring["gap_um"] == GAP2


@pytest.mark.slow  # builds a second chip circuit (compile ~4 s); runs in make test-all / CI
def test_model_parameters_equal_the_layout_change(sc):
    """A model-level gap gives the S-matrix of the chip drawn with that gap (the bus and the
    straights are unchanged by the gap): the parameter reaches the ring model, nothing else."""
    wl = np.linspace(1.5496, 1.5500, 4001)
    f, _ = server_fn()
    s_param = np.asarray(f(wl, {"ring_gap_um": GAP2}))
    s_layout, _ = server_sparams(wl, ring_gap_um=GAP2)
    assert np.max(np.abs(s_param - s_layout)) < 1e-9
    s_default = np.asarray(f(wl))
    assert np.max(np.abs(s_param - s_default)) > 0.1  # and it does change the resonance


# --- figures against closed forms -----------------------------------------------------------------


def test_default_figures_against_the_ring_relations(sc, figs):
    """FSR = c/(n_g L), Q_i = 2 pi n_g/(lambda alpha) (~1.65e7 at 1.7 dB/m), Q_ex = 2 pi nu/(|k|^2
    FSR), 1/Q_L = 1/Q_i + 1/Q_ex, linewidth = nu/Q_L: from the chip S-matrix, within the ~0.4 %
    the facet reflections (a weak chip Fabry-Perot) add."""
    a = figs["analytic"]
    ring = sc.ring
    length = 2 * math.pi * ring["radius_um"] + 2 * ring["coupling_length_um"]
    n_g = modes.group_index(ring["width_um"], DESIGN_WAVELENGTH_UM)
    assert a["ring_length_um"] == pytest.approx(length, rel=1e-12)
    assert a["fsr_ghz"] == pytest.approx(C_M_S / (n_g * length * 1e-6) / 1e9, rel=1e-12)
    assert figs["fsr_ghz"] == pytest.approx(a["fsr_ghz"], rel=2e-5)
    assert figs["fsr_ghz"] == pytest.approx(30.03, abs=0.01)  # the published comb spacing
    alpha = math.log(10) / 10 * PROPAGATION_LOSS_DB_PER_M
    lam = figs["resonance_wl_nm"] * 1e-9
    assert a["q_intrinsic"] == pytest.approx(2 * math.pi * n_g / (lam * alpha), rel=1e-6)
    assert figs["q_intrinsic"] == pytest.approx(1.65e7, rel=0.01)
    for key in ("q_intrinsic", "q_external", "q_loaded", "kappa2", "linewidth_mhz"):
        assert figs[key] == pytest.approx(a[key], rel=0.01), key
    assert figs["q_loaded"] == pytest.approx(a["q_loaded_allpass"], rel=0.006)
    assert 1 / figs["q_loaded"] == pytest.approx(
        1 / figs["q_intrinsic"] + 1 / figs["q_external"], rel=1e-9
    )
    nu = C_M_S / lam
    assert figs["linewidth_mhz"] == pytest.approx(nu / figs["q_loaded"] / 1e6, rel=1e-12)
    assert 15 < figs["linewidth_mhz"] < 35  # ~20 MHz wide at 30 GHz FSR
    assert abs(figs["resonance_wl_nm"] - DESIGN_WAVELENGTH_UM * 1e3) < figs["fsr_ghz"] * 8e-3
    # |k|^2 the S-matrix implies == the coupler model's (the layout states it too)
    k2 = float(sin.power_coupling(lam * 1e6, ring["gap_um"], ring["radius_um"], CORE_WIDTH_UM))
    assert figs["kappa2"] == pytest.approx(k2, rel=0.01)
    # the default gap is near critical coupling: deep extinction
    assert figs["resonance_extinction_db"] > 25
    assert figs["coupling_regime"] == a["coupling_regime"]
    # off resonance: the facets' budget (pump facet ~1 dB, edge coupler 2 dB)
    assert 2.5 < figs["insertion_loss_db"] < 4.0
    assert figs["pump_reflection_db"] < -14.0


@pytest.mark.parametrize("gap", [GAP2, pytest.param(2.8, marks=pytest.mark.slow)])
def test_gap_moves_the_loaded_q_by_the_analytic_amount(figs, gap):
    """The ring gap of the layout (the chip redrawn) or of the model: Q_L moves as 1/Q_L = 1/Q_i +
    1/Q_ex(|k|^2(g)); the change from the default design matches the all-pass closed form to
    0.5 % (the weak chip Fabry-Perot of the facet reflections, see below, is the difference)."""
    other = (
        server_figures(ring_gap_um=gap)
        if gap == GAP2
        else server_figures(params={"ring_gap_um": gap})
    )
    ratio = other["q_loaded"] / figs["q_loaded"]
    expected = other["analytic"]["q_loaded_allpass"] / figs["analytic"]["q_loaded_allpass"]
    assert ratio == pytest.approx(expected, rel=5e-3)
    assert (ratio < 1) == (gap < 2.4)  # narrower gap: stronger coupling, lower loaded Q
    assert other["coupling_regime"] == ("over" if gap < 2.4 else "under")
    assert other["q_intrinsic"] == pytest.approx(figs["q_intrinsic"], rel=0.01)  # loss only
    assert other["fsr_ghz"] == pytest.approx(figs["fsr_ghz"], rel=1e-6)
    # extinction from the all-pass depth ((r - a)/(1 - r a))^2, away from critical coupling
    assert other["resonance_extinction_db"] == pytest.approx(
        other["analytic"]["resonance_extinction_db"], abs=0.1
    )


def test_radius_changes_the_fsr_as_one_over_length(figs):
    r0 = 997.6
    other = server_figures(params={"ring_radius_um": 0.9 * r0})
    assert other["fsr_ghz"] / figs["fsr_ghz"] == pytest.approx(1 / 0.9, rel=3e-5)
    assert other["analytic"]["fsr_ghz"] / figs["analytic"]["fsr_ghz"] == pytest.approx(1 / 0.9)


def test_loss_sets_the_intrinsic_q(figs):
    other = server_figures(params={"loss_db_per_m": 3.4})
    assert other["q_intrinsic"] == pytest.approx(figs["q_intrinsic"] / 2, rel=0.01)
    assert other["coupling_regime"] == "under"  # 2 x the loss: the coupling no longer keeps up


def test_ring_params_for_the_comb_layer(sc):
    rp = server_ring_params()
    assert isinstance(rp, RingParams)
    assert rp.length_m == pytest.approx(2 * math.pi * sc.ring["radius_um"] * 1e-6)
    assert rp.n_g == pytest.approx(modes.group_index(CORE_WIDTH_UM, DESIGN_WAVELENGTH_UM))
    assert rp.beta2_s2_per_m == pytest.approx(modes.beta2_ps2_per_km(CORE_WIDTH_UM) * 1e-27)
    assert rp.kappa2 == pytest.approx(
        float(
            sin.power_coupling(
                DESIGN_WAVELENGTH_UM, sc.ring["gap_um"], sc.ring["radius_um"], CORE_WIDTH_UM
            )
        )
    )
    assert rp.dispersion == "normal"
    assert server_ring_params({"ring_gap_um": 2.0}).kappa2 > rp.kappa2


# --- batches, jit ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_batch_equals_single_calls():
    wl = np.linspace(1.5496, 1.5500, 501)
    params = {
        "ring_gap_um": np.array([2.0, 2.4, 2.9]),
        "loss_db_per_m": np.array([1.7, 1.0, 2.5]),
        "pump_air_gap_um": np.array([0.0, 1.0, 4.0]),
    }
    fb, ports = server_batch_fn(chunk=2)
    out = np.asarray(fb(wl, params))
    assert out.shape == (3, wl.size, 2, 2) and ports == ("o1", "o2")
    f, _ = server_fn()
    for k in range(3):
        single = np.asarray(f(wl, {key: float(v[k]) for key, v in params.items()}))
        assert np.max(np.abs(out[k] - single)) < 1e-9
    # the plain vmap form over the parameters
    sc = server_circuit()
    vm = jax.jit(jax.vmap(lambda p: sc.sdict(wl, p)[("o1", "o2")]))
    # (differently fused arithmetic: ring phases of ~4e4 rad agree to ~1e-11 rad)
    assert np.max(np.abs(np.asarray(vm(params)) - out[:, :, 1, 0])) < 1e-9


def test_air_gap_sets_the_feedback_phase():
    """S11 (light sent back to the laser) turns by 2 k0 dd when the air gap grows by dd, less the
    Gouy lag of the laser beam's 2d round trip, -sum_xy atan(wl d / (pi w^2)) / 2."""
    wl, d, dd = 1.5, 1.0, 0.001
    f, _ = server_fn()
    s = [complex(np.asarray(f([wl], {"pump_air_gap_um": x}))[0, 0, 0]) for x in (d, d + dd)]
    gouy = -sum(
        0.5 * (math.atan(wl * (d + dd) / (math.pi * w * w)) - math.atan(wl * d / (math.pi * w * w)))
        for w in sin.LASER_MODE_RADII_UM
    )
    # (5e-3: light that crosses the chip and returns from the output facet adds a weak term)
    assert np.angle(s[1] / s[0]) == pytest.approx(4 * math.pi * dd / wl + gouy, rel=5e-3)


def test_facet_reflections_are_the_only_departure_from_the_allpass(monkeypatch):
    """Without the output facet's reflection there is no chip Fabry-Perot: the chip's Q_L is the
    all-pass closed form to 1e-5 (with it, within ~0.5 %)."""
    from qkdchip.circuits.server_chip import server_chip
    from qkdchip.pdk import use_pdk
    from qkdchip.sims.models import sin_facets

    monkeypatch.setattr(sin_facets, "EDGE_COUPLER_REFLECTION_DB", -300.0)
    with use_pdk("sin"):
        chip = server_chip()
    for gap in (2.0, 2.8):
        f = server_figures(chip, params={"ring_gap_um": gap})
        assert f["q_loaded"] == pytest.approx(f["analytic"]["q_loaded_allpass"], rel=1e-5)
        assert f["resonance_extinction_db"] == pytest.approx(
            f["analytic"]["resonance_extinction_db"], abs=1e-3
        )


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"ring_gap_um": 0.3}, "ring_gap_um"),
        ({"ring_radius_um": -1.0}, "ring_radius_um"),
        ({"loss_db_per_m": np.nan}, "loss_db_per_m"),
        ({"pump_air_gap_um": 500.0}, "pump_air_gap_um"),
        ({"heater_power_mw": 1.0}, "unknown"),
    ],
)
def test_bad_parameters_raise_naming_them(params, match):
    with pytest.raises(ValueError, match=match):
        server_sparams(WL[:5], params)
    f, _ = server_fn()
    with pytest.raises(ValueError, match=match):
        f(WL[:5], params)


def test_bad_wavelength_and_design_raise():
    with pytest.raises(ValueError, match="wl"):
        server_sparams([1.55, 1.7])
    with pytest.raises(ValueError, match="ring_gap_um"):
        server_figures(ring_gap_um=0.1)  # the cell's own range check
    with pytest.raises(ValueError, match="component or design"):
        server_circuit(component=object(), ring_gap_um=2.0)
    fb, _ = server_batch_fn()
    with pytest.raises(ValueError, match="ring_gap_um"):
        fb(WL[:5], {"ring_gap_um": np.array([2.0, 9.0])})
    with pytest.raises(ValueError, match="1-D"):
        fb(WL[:5], {"ring_gap_um": np.array([[2.0]])})
    assert set(PARAM_KEYS) == {
        "ring_gap_um",
        "ring_radius_um",
        "ring_coupling_length_um",
        "loss_db_per_m",
        "pump_air_gap_um",
        "heater_power_w",  # the drawn heater on the ring (thermo-optic)
    }
