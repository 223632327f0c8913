"""Layout -> device physics: the ring and the comb follow the server chip's parameters.

The ring is checked against numbers computed here independently of the code that builds it:
the S-matrix's resonance spacing, the mode tables (n_g, beta2, the coupler's kappa(g) through the
table's own splines), the loss in dB/m, and the published figures of the reference ring.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.constants import speed_of_light as C

from qkdchip import design as design_mod
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM, PROPAGATION_LOSS_DB_PER_M
from qkdchip.sims import devices

#: published figures of the reference comb ring (README, docs/assumptions.md)
FSR_PUBLISHED_GHZ = 30.03


def d(*sets: str):
    return design_mod.load(None, list(sets))


def geometry(design=None) -> dict[str, float]:
    """The design's ring geometry, read from the registry (not from the ring code)."""
    design = design or design_mod.Design()
    return {
        k: float(design_mod.value_of(design, f"server.ring.{k}"))
        for k in ("radius_um", "gap_um", "width_um", "coupling_length_um")
    }


def test_ring_length_group_index_and_fsr_from_the_mode_table():
    """L = 2 pi R + 2 L_c, n_g from the mode table at lambda_0, FSR = c / (n_g L): the design's
    ring gives the published 30.03 GHz spacing (its radius, 997.6 um, was chosen for it)."""
    g = geometry()
    ring = devices.ring_params()
    length_m = (2 * math.pi * g["radius_um"] + 2 * g["coupling_length_um"]) * 1e-6
    n_g = float(modes.group_index(g["width_um"], DESIGN_WAVELENGTH_UM))
    assert ring.length_m == pytest.approx(length_m, rel=1e-12)
    assert ring.n_g == pytest.approx(n_g, rel=1e-12)
    assert ring.fsr_hz == pytest.approx(C / (n_g * length_m), rel=1e-12)
    assert ring.fsr_hz / 1e9 == pytest.approx(FSR_PUBLISHED_GHZ, rel=1e-3)


def test_fsr_is_the_resonance_spacing_of_the_s_matrix():
    """Two adjacent resonances of the all-pass ring's S-matrix (the sax model at the design's
    geometry) are c / (n_g L) apart: dispersion between them shifts it by < 5e-5."""
    from qkdchip.sims.models.analysis import fsr_from_resonances
    from qkdchip.sims.models.sin import sin_ring_bus

    g = geometry()
    ring = devices.ring_params()
    wl0 = DESIGN_WAVELENGTH_UM
    fsr_guess_um = wl0**2 * ring.fsr_hz / C * 1e-6

    def through(wl: np.ndarray) -> np.ndarray:
        return np.asarray(sin_ring_bus(wl=wl, **g)[("o1", "o2")])

    _, fsr_ghz = fsr_from_resonances(through, wl0, fsr_guess_um)
    n_g = float(modes.group_index(g["width_um"], wl0))
    length_m = 2 * math.pi * g["radius_um"] * 1e-6
    assert fsr_ghz * 1e9 == pytest.approx(C / (n_g * length_m), rel=5e-5)
    assert fsr_ghz * 1e9 == pytest.approx(ring.fsr_hz, rel=5e-5)


def test_intrinsic_q_from_the_loss_in_db_per_m():
    """Q_i = 2 pi n_g / (lambda alpha), alpha = ln(10)/10 x 1.7 dB/m (power): ~1.65e7."""
    ring = devices.ring_params()
    alpha_per_m = math.log(10) / 10 * PROPAGATION_LOSS_DB_PER_M
    n_g = float(modes.group_index(geometry()["width_um"], DESIGN_WAVELENGTH_UM))
    lam = DESIGN_WAVELENGTH_UM * 1e-6
    assert ring.q_i == pytest.approx(2 * math.pi * n_g / (lam * alpha_per_m), rel=1e-12)
    assert ring.q_i == pytest.approx(1.65e7, rel=0.01)
    # and the energy decay rate is the loss per unit time: kappa_i = alpha c / n_g
    assert ring.kappa_i == pytest.approx(alpha_per_m * C / n_g, rel=1e-12)


def test_power_coupling_from_the_coupler_table():
    """|k|^2 = sin^2(kappa (L_c + sqrt(2 pi R / gamma))) with kappa(g) and gamma(g) from the
    mode table's splines (numpy), not the S-matrix model's JAX interpolation of them."""
    g = geometry()
    ring = devices.ring_params()
    kappa = float(modes.coupling_per_um(g["gap_um"], g["width_um"], DESIGN_WAVELENGTH_UM))
    gamma = float(modes.coupling_decay_per_um(g["gap_um"], g["width_um"], DESIGN_WAVELENGTH_UM))
    theta = kappa * (g["coupling_length_um"] + math.sqrt(2 * math.pi * g["radius_um"] / gamma))
    assert ring.kappa2 == pytest.approx(math.sin(theta) ** 2, rel=1e-9)
    # close to critical coupling |k|^2 = alpha L, on the over-coupled side
    assert ring.kappa2 == pytest.approx(ring.alpha_per_m * ring.length_m, rel=0.05)
    assert ring.coupling_regime == "over"


def test_dispersion_from_the_mode_table():
    """D2 = -(c / n_g) D1^2 beta2 (Herr et al. 2014) with beta2 from the mode table: normal."""
    g = geometry()
    ring = devices.ring_params()
    beta2 = float(modes.beta2_ps2_per_km(g["width_um"], DESIGN_WAVELENGTH_UM)) * 1e-27
    n_g = float(modes.group_index(g["width_um"], DESIGN_WAVELENGTH_UM))
    d1 = 2 * math.pi * C / (n_g * ring.length_m)
    assert ring.d2_rad_s == pytest.approx(-(C / n_g) * d1**2 * beta2, rel=1e-9)
    assert ring.d2_rad_s < 0


def test_kerr_constants_are_the_mode_solvers():
    """A_eff and n2 of the design's core (mode solver; Kerr overlap-weighted n2 between the
    silica and the bulk Si3N4 values), not stand-alone estimates."""
    from qkdchip.pdk.sin.process import N2_SI3N4_M2_PER_W, N2_SIO2_M2_PER_W

    w = geometry()["width_um"]
    ring = devices.ring_params()
    assert ring.a_eff_m2 == pytest.approx(float(modes.effective_area_um2(w)) * 1e-12, rel=1e-12)
    f4 = float(modes.kerr_core_fraction(w))
    assert ring.n2_m2_per_w == pytest.approx(
        f4 * N2_SI3N4_M2_PER_W + (1 - f4) * N2_SIO2_M2_PER_W, rel=1e-12
    )
    assert N2_SIO2_M2_PER_W < ring.n2_m2_per_w < N2_SI3N4_M2_PER_W


def test_one_route_to_the_ring():
    """devices.ring_params is the server's ring of the design; the chip's c.info states the same
    ring at its rounded precision."""
    from qkdchip.sims.server import server_ring_params

    design = d("server.ring.gap_um=2.5")
    ring = devices.ring_params(design)
    assert ring == server_ring_params(ring_gap_um=2.5)
    info = devices.server_info(design)
    assert info["ring_n_g"] == pytest.approx(ring.n_g, abs=1e-6)
    assert info["ring_power_coupling"] == pytest.approx(ring.kappa2, rel=1e-8)
    assert info["ring_fsr_ghz"] == pytest.approx(ring.fsr_hz / 1e9, rel=1e-6)  # rounded n_g


def test_gap_moves_coupling_q_and_threshold_as_physics_says():
    near, far = (
        devices.ring_params(d("server.ring.gap_um=2.4")),
        devices.ring_params(d("server.ring.gap_um=2.8")),
    )
    assert far.kappa2 < near.kappa2  # evanescent coupling decays with the gap
    assert far.q_ex == pytest.approx(
        near.q_ex * near.kappa2 / far.kappa2, rel=1e-9
    )  # Q_ex ~ 1/|k|^2
    assert far.q_i == pytest.approx(near.q_i)  # intrinsic Q does not depend on the gap
    assert far.q_loaded > near.q_loaded
    # P_th = kappa^2 n_g^2 V / (8 eta w c n2): the ratio follows kappa^3/kappa_ex
    ratio = (far.kappa**3 / far.kappa_ex) / (near.kappa**3 / near.kappa_ex)
    assert far.threshold_power_w / near.threshold_power_w == pytest.approx(ratio, rel=1e-9)


def test_radius_moves_fsr_as_one_over_length():
    a = devices.ring_params(d("server.ring.radius_um=1000"))
    b = devices.ring_params(d("server.ring.radius_um=900"))
    assert b.fsr_hz / a.fsr_hz == pytest.approx(a.length_m / b.length_m, rel=1e-6)


@pytest.fixture(scope="module")
def default_comb():
    comb = devices.comb()
    return comb, devices.channel_plan(comb_result=comb)


def test_default_design_gives_a_dark_pulse_comb_with_ten_channels(default_comb):
    comb, plan = default_comb
    assert comb.state == "dark_pulse"
    assert comb.n_lines_within(30.0) >= 20
    assert len(plan.channels) == 10
    assert plan.lambda0_nm == pytest.approx(1549.78, abs=1e-6)
    for ch in plan.channels:
        # the channel sits on a comb line: nu_0 + k FSR
        assert ch.frequency_hz == pytest.approx(
            plan.reference_frequency_hz + ch.k * comb.fsr_hz, rel=1e-12
        )


def test_channel_frequencies_follow_the_radius(default_comb):
    comb, plan = default_comb
    comb2 = devices.comb(d("server.ring.radius_um=1010"))
    assert comb2.fsr_hz < comb.fsr_hz
    plan2 = devices.channel_plan(comb_result=comb2)
    ch, ch2 = plan.channels[0], plan2.channels[0]
    assert ch2.k == ch.k
    assert ch2.frequency_hz - plan2.reference_frequency_hz == pytest.approx(
        ch.k * comb2.fsr_hz, rel=1e-12
    )


def test_far_from_critical_coupling_lowers_line_power(default_comb):
    comb, _ = default_comb
    weak = devices.comb(d("server.ring.gap_um=3.2"))
    # under-coupled: kappa_ex small, little power leaves the ring into the bus
    strong_lines = sorted(comb.power_dbm[comb.k != 0])[-6:]
    weak_lines = sorted(weak.power_dbm[weak.k != 0])[-6:]
    assert max(weak_lines) < min(strong_lines) or weak.state == "cw"


@pytest.mark.slow
def test_comb_cli_json_contract_and_bad_input():
    proc = subprocess.run(
        [sys.executable, "-m", "qkdchip.cli", "comb", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(proc.stdout)
    for key in ("fsr_ghz", "lambda0_nm", "state", "lines", "channels"):
        assert key in out
    assert {"k", "frequency_thz", "power_dbm"} <= set(out["lines"][0])
    assert {"channel", "k", "frequency_thz", "power_dbm"} <= set(out["channels"][0])
    bad = subprocess.run(
        [sys.executable, "-m", "qkdchip.cli", "comb", "--set", "comb.pump_power_w=100"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "comb.pump_power_w" in bad.stderr
