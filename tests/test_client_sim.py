"""Client chip simulated from its own netlist: physics, figures against closed forms, batches.

The compiled circuits are cached by ``client_circuit`` (per design), so the module shares one
build of the default chip and one of a modified design.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qkdchip.pdk.inp.process import PROCESS
from qkdchip.sims.client import (
    DRIVE_KEYS,
    client_batch_fn,
    client_circuit,
    client_figures,
    client_fn,
    client_sparams,
)
from qkdchip.sims.client_figures import DRIVE_CHUNK, drive_response
from qkdchip.sims.models.analysis import passivity_excess, reciprocity_error
from qkdchip.sims.models.inp import MODELS, WL0_UM

WL = np.linspace(1.50, 1.60, 201)
#: a second design: longer PM I, shorter VOA, stronger splitter imbalance
MODIFIED = {"pm_length_um": 1350.0, "voa_length_um": 200.0, "im_split_ratio": 0.55}
FRESNEL_DB = -10 * math.log10(1 - 10 ** (PROCESS.facet_reflection_dB / 10))


@pytest.fixture(scope="module")
def cc():
    return client_circuit()


@pytest.fixture(scope="module")
def figs(cc):
    return client_figures()


@pytest.fixture(scope="module")
def figs_modified():
    return client_figures(**MODIFIED)


def top(cc) -> dict:
    return cc.netlist[next(iter(cc.netlist))]


def er_closed_form_db(k1: float, k2: float) -> float:
    """ER = ((A + B)/(A - B))^2, A = sqrt(k1 k2), B = sqrt((1-k1)(1-k2)) (identical arms)."""
    a, b = math.sqrt(k1 * k2), math.sqrt((1 - k1) * (1 - k2))
    return 10 * math.log10(((a + b) / (a - b)) ** 2)


def im_ratios(cc) -> tuple[float, float]:
    info = top(cc)["instances"]["im1"]["info"]
    return info["split_ratio"], info["combine_ratio"]


# --- the circuit --------------------------------------------------------------------------------


@pytest.mark.parametrize("view", [pytest.param("source", marks=pytest.mark.slow), "chip"])
def test_views_are_reciprocal_passive_and_finite(view):
    S, ports = client_sparams(WL, view=view)
    assert ports == (["laser", "o2"] if view == "source" else ["o1", "o2"])
    assert S.shape == (WL.size, 2, 2)
    assert np.all(np.isfinite(S))
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) <= 1e-9


def test_every_leaf_cell_of_the_chip_has_a_model(cc):
    leaves = {
        inst["component"]
        for net in cc.netlist.values()
        for inst in net["instances"].values()
        if inst["component"] not in cc.netlist
    }
    assert leaves <= set(MODELS)
    assert {"inp_straight", "inp_bend_circular", "inp_mmi1x2", "inp_bend_s", "inp_eo_section",
            "inp_voa", "inp_facet_ssc"} <= leaves  # fmt: skip
    chip = client_circuit(view="chip").netlist
    chip_leaves = {
        i["component"] for n in chip.values() for i in n["instances"].values() if i["component"]
        not in chip
    }  # fmt: skip
    assert chip_leaves <= set(MODELS) and "inp_dbr_laser" in chip_leaves


def test_circuits_are_cached_per_design(cc):
    assert client_circuit() is cc
    assert client_circuit(view="chip") is not cc


def test_source_view_starts_at_the_laser_output(cc):
    instances = top(cc)["instances"]
    assert "laser" not in instances and "facet_in" not in instances
    assert top(cc)["ports"]["o2"] == "facet_out,o2"
    assert cc.laser_info["output_power_mW"] == PROCESS.laser_power_mW


# --- figures against closed forms and the cells' own budgets --------------------------------------


def test_insertion_loss_is_the_chain_budget_of_the_cells(cc, figs):
    """IL from the S-matrix == the sum of the losses each cell states (independent bookkeeping)."""
    k1, k2 = im_ratios(cc)
    imbalance_db = -10 * math.log10((math.sqrt(k1 * k2) + math.sqrt((1 - k1) * (1 - k2))) ** 2)
    budget = 0.0
    for inst in top(cc)["instances"].values():
        comp, info = inst["component"], inst["info"]
        if comp in ("inp_straight", "inp_bend_circular"):
            budget += PROCESS.deep_loss_dB_per_cm * info["length_um"] * 1e-4
        elif comp == "inp_mzm":
            budget += info["insertion_loss_dB"] + imbalance_db
        elif comp.startswith("inp_phase_modulator") or comp == "inp_voa":
            budget += info["insertion_loss_dB"]
        elif comp == "inp_facet_ssc":
            budget += info["coupling_loss_dB"] + FRESNEL_DB
        else:
            raise AssertionError(f"unexpected cell {comp} in the chain")
    # netlist info is rounded to 1e-3 by gdsfactory: ~20 terms
    assert figs["insertion_loss_db"] == pytest.approx(budget, abs=5e-3)
    assert 5.0 < figs["insertion_loss_db"] < 20.0


def test_extinction_ratios_match_the_imbalance_formula(cc, figs):
    er = er_closed_form_db(*im_ratios(cc))
    assert set(figs["im_extinction_ratio_db"]) == {"im1", "im2", "im3"}
    for value in figs["im_extinction_ratio_db"].values():
        assert value == pytest.approx(er, abs=1e-6)
    # cascaded intensity modulators: the extinction ratios add in dB
    assert figs["im_extinction_ratio_total_db"] == pytest.approx(3 * er, abs=1e-5)
    assert er == pytest.approx(34.0, abs=0.1)  # the 52/48 splitter (docs/physics.md, section 6)


def test_modulator_half_wave_voltages(cc, figs):
    arm = top(cc)["instances"]["im1"]["info"]["length_um"]
    for im in ("im1", "im2", "im3"):  # push-pull: each arm moves by V_pi,arm / 2
        assert figs["im_vpi_v"][im] == pytest.approx(
            PROCESS.eo_vpi_l_V_mm / (arm * 1e-3) / 2, rel=1e-8
        )
        assert abs(figs["im_bias_v"][im]) < 1e-6
    for pm in ("pm", "pmref"):
        length = top(cc)["instances"][pm]["info"]["length_um"]
        assert figs[f"{pm}_vpi_v"] == pytest.approx(
            PROCESS.eo_vpi_l_V_mm / (length * 1e-3), rel=1e-9
        )


def test_voa_range_and_powers(cc, figs):
    voa = top(cc)["instances"]["voa"]["info"]
    assert figs["voa_range_db"] == pytest.approx(
        PROCESS.voa_absorption_dB_per_mm * voa["length_um"] * 1e-3, abs=1e-9
    )
    assert figs["voa_monotone"] is True
    laser_dbm = 10 * math.log10(PROCESS.laser_power_mW)
    assert figs["laser_power_dbm"] == pytest.approx(laser_dbm)
    assert figs["output_power_dbm"] == pytest.approx(laser_dbm - figs["insertion_loss_db"])
    assert figs["output_power_min_dbm"] == pytest.approx(
        figs["output_power_dbm"] - figs["voa_range_db"]
    )
    # light back into the laser: the facet reflection after a double pass through the chain
    chain_db = figs["insertion_loss_db"] - PROCESS.ssc_loss_dB - FRESNEL_DB
    assert figs["back_reflection_db"] == pytest.approx(
        PROCESS.facet_reflection_dB - 2 * chain_db, abs=1e-9
    )


@pytest.mark.slow  # builds a second chip circuit (compile ~4 s); runs in make test-all / CI
def test_layout_parameters_change_the_s_matrix_and_figures(figs, figs_modified):
    """pm_length_um, voa_length_um, im_split_ratio reach the S-matrix through the netlist."""
    m = figs_modified
    assert m["pm_vpi_v"] == pytest.approx(figs["pm_vpi_v"] * 900.0 / 1350.0, rel=1e-9)  # 1/L
    assert m["pmref_vpi_v"] == pytest.approx(figs["pmref_vpi_v"], rel=1e-9)
    assert m["voa_range_db"] == pytest.approx(figs["voa_range_db"] / 2, abs=1e-9)
    for value in m["im_extinction_ratio_db"].values():
        assert value == pytest.approx(er_closed_form_db(0.55, 0.5), abs=1e-6)
    assert m["insertion_loss_db"] != pytest.approx(figs["insertion_loss_db"], abs=1e-3)
    S0, _ = client_sparams(WL[:5])
    S1, _ = client_sparams(WL[:5], **MODIFIED)
    assert np.abs(S0 - S1).max() > 1e-3


def test_chip_view_adds_the_injection_facet():
    src, _ = client_sparams(WL, view="source")
    chip, _ = client_sparams(WL, view="chip")
    ratio_db = 10 * np.log10(np.abs(chip[:, 1, 0]) ** 2 / np.abs(src[:, 1, 0]) ** 2)
    # the laser is a transparent reference plane; the facets' -40 dB reflections ripple ~1e-5 dB
    assert np.allclose(ratio_db, -(PROCESS.ssc_loss_dB + FRESNEL_DB), atol=1e-3)


def test_drive_sets_the_transmission_as_the_closed_forms(cc):
    k1, k2 = im_ratios(cc)
    a, b = math.sqrt(k1 * k2), math.sqrt((1 - k1) * (1 - k2))
    vpi_arm = PROCESS.eo_vpi_l_V_mm / (top(cc)["instances"]["im2"]["info"]["length_um"] * 1e-3)
    t0 = np.abs(client_sparams([WL0_UM])[0][0, 1, 0]) ** 2
    for v in (1.0, 2.5, 4.0):
        t = np.abs(client_sparams([WL0_UM], {"im2_v": v})[0][0, 1, 0]) ** 2
        assert t / t0 == pytest.approx(
            (a**2 + b**2 + 2 * a * b * math.cos(2 * math.pi * v / vpi_arm)) / (a + b) ** 2, rel=1e-9
        )
    t = np.abs(client_sparams([WL0_UM], {"voa_v": 2.0})[0][0, 1, 0]) ** 2
    a_max = PROCESS.voa_absorption_dB_per_mm * top(cc)["instances"]["voa"]["info"]["length_um"]
    assert 10 * math.log10(t0 / t) == pytest.approx(a_max * 1e-3 * (2.0 / 4.0) ** 2, abs=1e-9)


def test_drive_response_is_the_closed_form_over_a_sweep_longer_than_its_chunk(cc, figs):
    """drive_response (vmapped probe calls, padded chunks of DRIVE_CHUNK): the IM II fringe
    over 250 drive points (two chunks) is the closed form, point by point."""
    k1, k2 = im_ratios(cc)
    a, b = math.sqrt(k1 * k2), math.sqrt((1 - k1) * (1 - k2))
    vpi_arm = PROCESS.eo_vpi_l_V_mm / (top(cc)["instances"]["im2"]["info"]["length_um"] * 1e-3)
    zero = {k: 0.0 for k in DRIVE_KEYS if k.endswith("_v")}
    v = np.linspace(0.0, 4.0, DRIVE_CHUNK + 49)
    t = drive_response(base=zero, key="im2_v", values=v)
    assert t.shape == v.shape
    t0 = float(drive_response(base=zero, key="im2_v", values=[0.0])[0])
    closed = (a**2 + b**2 + 2 * a * b * np.cos(2 * np.pi * v / vpi_arm)) / (a + b) ** 2
    assert np.allclose(t / t0, closed, rtol=1e-9, atol=1e-12)


def test_client_figures_are_computed_once_per_circuit_and_handed_out_as_copies(figs, monkeypatch):
    import qkdchip.sims.client_figures as cf

    def again_from_scratch(*_a, **_k):
        raise AssertionError("the figures of a compiled circuit were computed a second time")

    monkeypatch.setattr(cf, "_figures", again_from_scratch)
    again = client_figures()
    assert again == figs and again is not figs
    again["im_bias_v"]["im1"] = -99.0  # a caller's edit never reaches the cache
    assert client_figures()["im_bias_v"]["im1"] == figs["im_bias_v"]["im1"] != -99.0


# --- jit / vmap / batches ---------------------------------------------------------------------------


@pytest.mark.slow
def test_batched_evaluation_matches_single_calls():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    n = 5
    batch = {
        "im1_v": rng.uniform(-3, 3, n),
        "im2_v": rng.uniform(-3, 3, n),
        "pm_v": rng.uniform(-5, 5, n),
        "voa_v": rng.uniform(0, PROCESS.voa_max_reverse_bias_V, n),
        "pm_length_um": rng.uniform(500, 2000, n),
        "voa_length_um": rng.uniform(150, 600, n),
    }
    wl = np.linspace(1.52, 1.58, 16)
    chunked, ports = client_batch_fn(chunk=2)  # 3 chunks, the last one padded
    out = chunked(wl, batch)
    assert ports == ("laser", "o2")
    assert out.shape == (n, wl.size, 2, 2) and np.all(np.isfinite(out))
    for i in range(n):
        one, _ = client_sparams(wl, {k: v[i] for k, v in batch.items()})
        assert np.allclose(out[i], one, rtol=1e-10, atol=1e-14)
    # the single jitted function is vmap-friendly too
    f, _ = client_fn()
    two = {k: jnp.asarray(v[:2]) for k, v in batch.items()}
    vmapped = np.asarray(jax.vmap(f, in_axes=(None, 0))(jnp.asarray(wl), two))
    assert np.allclose(vmapped, out[:2], rtol=1e-12, atol=1e-15)


@pytest.mark.slow  # builds a second chip circuit (compile ~4 s); runs in make test-all / CI
def test_model_level_length_gives_the_layout_vpi(figs_modified):
    """Batching over pm_length_um without redrawing gives the same V_pi as the new layout."""
    f, _ = client_fn()
    v = figs_modified["pm_vpi_v"]
    s0 = np.asarray(f(np.array([WL0_UM]), {"pm_length_um": 1350.0, "pm_v": 0.0}))[0, 1, 0]
    s1 = np.asarray(f(np.array([WL0_UM]), {"pm_length_um": 1350.0, "pm_v": v}))[0, 1, 0]
    assert abs(np.angle(s1 / s0)) == pytest.approx(math.pi, abs=1e-8)


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: client_sparams([1.3]), "wl"),
        (lambda: client_sparams([1.55], {"voa_v": 5.0}), "voa_v"),
        (lambda: client_sparams([1.55], {"voa_v": -0.1}), "voa_v"),
        (lambda: client_sparams([1.55], {"pm_v": 100.0}), "pm_v"),
        (lambda: client_sparams([1.55], {"im1_v": np.nan}), "im1_v"),
        (lambda: client_sparams([1.55], {"pm_length_um": -10.0}), "pm_length_um"),
        (lambda: client_sparams([1.55], {"bogus_v": 1.0}), "bogus_v"),
        (lambda: client_sparams([1.55], view="server"), "view"),
        (lambda: client_circuit(pm_length_um=-1.0), "pm_length_um"),
        (lambda: client_batch_fn(chunk=0), "chunk"),
        (lambda: client_batch_fn()[0]([1.55], {"pm_v": np.ones((2, 2))}), "drive_batch"),
    ],
)
def test_bad_input_raises_naming_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()


def test_drive_keys_are_documented():
    assert set(DRIVE_KEYS) == {
        "im1_v", "im2_v", "im3_v", "pm_v", "pmref_v", "voa_v",
        "im_length_um", "pm_length_um", "pmref_length_um", "voa_length_um",
    }  # fmt: skip
