"""Netlist simplification (sims.netlist_simplify): chains of two-ports merged, levels joined
without the arithmetic on structural zeros; the S-matrix identical to sax.circuit's.

Reference everywhere: ``sax.circuit(..., backend="filipsson_gunnar")`` of the same netlist (the
unsimplified circuit, ``simplify=False`` for the chips). Identity: every entry within 1e-12 of
the reference, relative to the largest |S| of the matrix (the reflection entries are ~1e-3 of
it; the worst seen is ~1e-15).
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
import sax

from qkdchip.sims import netlist_simplify as ns
from qkdchip.sims.client import client_circuit
from qkdchip.sims.server import server_circuit

RTOL = 1e-12


def assert_same(a, b, rtol: float = RTOL) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    scale = np.max(np.abs(a))
    assert scale > 0
    assert np.max(np.abs(a - b)) <= rtol * scale, np.max(np.abs(a - b)) / scale


def dense(sd, ports):
    zero = jnp.zeros_like(next(iter(sd.values())))
    return np.stack([np.stack([sd.get((i, j), zero) for j in ports], -1) for i in ports], -2)


# --- synthetic netlists: reflections, a splitter, a loop ------------------------------------------


def mirror(wl=1.55, r=0.0, t_phase=0.0, loss=0.0):
    """A reflective, lossy two-port (a partial mirror): S11 = r, S22 = -r*, S21 = S12 = tau."""
    wl = jnp.asarray(wl)
    tau = jnp.sqrt((1 - r**2) * 10 ** (-loss / 10)) * jnp.exp(1j * (2 * jnp.pi * t_phase / wl))
    r = r * jnp.ones_like(wl) + 0j
    return {("o1", "o1"): r, ("o2", "o2"): -jnp.conj(r), ("o1", "o2"): tau, ("o2", "o1"): tau}


def splitter(wl=1.55, k=0.5):
    """1x2 splitter o1 -> o2 (k), o3 (1 - k), with a weak reflection at o1."""
    wl = jnp.asarray(wl)
    one = jnp.ones_like(wl)
    return sax.reciprocal(
        {
            ("o1", "o2"): jnp.sqrt(k) * one + 0j,
            ("o1", "o3"): jnp.sqrt(1 - k) * one + 0j,
            ("o1", "o1"): 0.01j * one,
        }
    )


MODELS = {"mirror": mirror, "splitter": splitter}


def _mirror(r, phase, loss=0.1):
    return {"component": "mirror", "settings": {"r": r, "t_phase": phase, "loss": loss}}


#: in -> m1 -> m2 -> m3 -> split -> (a1 -> a2) and (b1) -> out ports; plus a closed ring of two
#: mirrors (no end: left as it is) hanging on nothing
SYNTH = {
    "top": {
        "instances": {
            "m1": _mirror(0.2, 1.1),
            "m2": _mirror(0.05, 2.3),
            "m3": _mirror(0.3, 0.7),
            "split": {"component": "splitter", "settings": {"k": 0.3}},
            "a1": _mirror(0.1, 5.0),
            "a2": _mirror(0.02, 3.3),
            "b1": _mirror(0.15, 4.4),
            "loop1": _mirror(0.1, 1.0),
            "loop2": _mirror(0.1, 2.0),
        },
        "nets": [
            {"p1": "m1,o2", "p2": "m2,o1"},
            {"p1": "m2,o2", "p2": "m3,o1"},
            {"p1": "m3,o2", "p2": "split,o1"},
            {"p1": "split,o2", "p2": "a1,o1"},
            {"p1": "a1,o2", "p2": "a2,o1"},
            {"p1": "split,o3", "p2": "b1,o1"},
            {"p1": "loop1,o1", "p2": "loop2,o2"},
            {"p1": "loop1,o2", "p2": "loop2,o1"},
        ],
        "ports": {"in": "m1,o1", "upper": "a2,o2", "lower": "b1,o2"},
    }
}


def test_chains_found_in_a_synthetic_netlist_and_loops_left_alone():
    net = SYNTH["top"]
    chains = ns._chains(net, lambda c: ns._ports_of(c, MODELS, {}))
    names = sorted(tuple(m.name for m in c) for c in chains)
    # m1-m2-m3 (in order from the port), a1-a2; b1 alone and the closed loop are not chains
    assert names == [("a1", "a2"), ("m1", "m2", "m3")]
    new, _models, where = ns.simplify_flat("top", net, MODELS, {})
    assert set(new["instances"]) == {"chain_m1_m3", "split", "chain_a1_a2", "b1", "loop1", "loop2"}
    assert new["ports"] == {"in": "chain_m1_m3,o1", "upper": "chain_a1_a2,o2", "lower": "b1,o2"}
    assert where == {"m1": "chain_m1_m3", "m2": "chain_m1_m3", "m3": "chain_m1_m3"} | {
        "a1": "chain_a1_a2",
        "a2": "chain_a1_a2",
    }


def test_reflective_cascades_match_sax_filipsson_gunnar():
    """Reflections on every member (Fabry-Perot loops between them): the star product and the
    sparse join equal sax's dense Filipsson-Gunnar to 1e-12, every entry (reflections too)."""
    ref, _ = sax.circuit(SYNTH, MODELS, backend="filipsson_gunnar")
    sim, _ = ns.circuit(SYNTH, MODELS)
    w = jnp.linspace(1.5, 1.6, 5)
    ports = ["in", "upper", "lower"]
    settings = {"m2": {"r": 0.25}, "split": {"k": 0.6}, "a2": {"loss": 2.0}}
    for s in ({}, settings):
        a, b = ref(wl=w, **s), sim(wl=w, **s)
        assert_same(dense(a, ports), dense(b, ports))
        assert abs(complex(np.asarray(b["in", "in"])[0])) > 0.05  # reflections are in play


def test_star_product_closed_form():
    """Two mirrors r1, r2 with transmissions t1, t2: the Fabry-Perot sum
    t = t1 t2 / (1 - r1' r2) (r1' = S22 of the first) and r = r1 + t1^2 r2 / (1 - r1' r2)."""
    r1, t1, r1p = 0.3, 0.9j, -0.3
    r2, t2, r2p = 0.5, 0.8, -0.5
    s11, s12, s21, s22 = ns.star((r1, t1, t1, r1p), (r2, t2, t2, r2p))
    d = 1 - r1p * r2
    assert s12 == pytest.approx(t1 * t2 / d) and s21 == pytest.approx(t1 * t2 / d)
    assert s11 == pytest.approx(r1 + t1 * r2 * t1 / d)
    assert s22 == pytest.approx(r2p + t2 * r1p * t2 / d)
    # reflection-free members: the plain product, no reflection created
    assert ns.star((None, 2.0, 2.0, None), (None, 3.0, 3.0, None)) == (None, 6.0, 6.0, None)


# --- the chips -------------------------------------------------------------------------------------

DRIVES = [
    {"im1_v": 1.3, "im2_v": -2.1, "im3_v": 0.7, "pm_v": 3.0, "pmref_v": -1.0, "voa_v": 1.5}
    | {"im_length_um": 500.0, "pm_length_um": 700.0, "voa_length_um": 300.0},
]


@pytest.fixture(scope="module")
def client_pair():
    """The client chip's circuit and sax.circuit of the same prepared netlist (no second build
    of the chip: ``client_circuit(simplify=False)`` is the same, see the slow tests)."""
    from qkdchip.sims.models.inp import MODELS as INP

    cc = client_circuit()
    ref, _ = sax.circuit(cc.netlist, INP, backend="filipsson_gunnar")
    return cc, ref


@pytest.mark.parametrize("drive", DRIVES, ids=["voltages-lengths"])
def test_client_chip_identical_to_the_unsimplified_circuit(client_pair, drive):
    cc, ref = client_pair
    wl = np.linspace(1.50, 1.60, 5)
    assert_same(dense(ref(wl=wl, **cc.settings(drive)), cc.ports), cc.sdense(wl, drive))


def test_client_element_count_reduced(client_pair):
    cc, _ = client_pair
    counts = cc.circuit.counts
    # 18 top-level instances + 3 MZMs x 8 + 2 PMs x 1 -> one chain at the top, each MZM 2 MMIs
    # and 2 arm chains, each PM its section
    assert counts["before"] == {"instances": 44, "nets": 41}
    assert counts["after"] == {"instances": 15, "nets": 12}


def test_settings_stay_at_the_original_instance_paths(client_pair):
    """Per-leaf settings (the wafer Monte Carlo's) reach their leaf inside the merged chain: a
    straight's loss and the output facet's coupling loss change |S(laser -> o2)|^2 by exactly
    their closed forms (no reflection sits between them and the laser); the defaults are shown
    at the same paths and with the same values as sax.circuit's."""
    from qkdchip.pdk.inp.process import PROCESS

    cc, ref = client_pair
    wl = np.linspace(1.54, 1.56, 3)
    length = cc.netlist["client_chip"]["instances"]["wg3"]["settings"]["length_um"]
    given = {"wg3": {"loss_dB_per_cm": 7.0}, "facet_out": {"coupling_loss_dB": 4.0}}
    t0 = np.abs(np.asarray(cc.circuit(wl=wl)["o2", "laser"])) ** 2
    t1 = np.abs(np.asarray(cc.circuit(wl=wl, **given)["o2", "laser"])) ** 2
    extra_db = (7.0 - PROCESS.deep_loss_dB_per_cm) * length * 1e-4 + (4.0 - PROCESS.ssc_loss_dB)
    np.testing.assert_allclose(t1 / t0, 10 ** (-extra_db / 10), rtol=1e-12)
    flat_a = sax.flatten_dict(sax.get_settings(ref))
    flat_b = sax.flatten_dict(sax.get_settings(cc.circuit))
    assert flat_a.keys() == flat_b.keys()
    for k, v in flat_a.items():
        assert flat_b[k] == v if isinstance(v, str) else np.all(np.asarray(flat_b[k]) == v), k
    assert "wg3" in inspect.signature(cc.circuit).parameters


@pytest.mark.slow
def test_leaf_settings_inside_an_mzm_match_sax(client_pair):
    """Settings of leaves inside a sub-circuit of a chain (an MZM arm's S-bend, its splitter)
    give the S-matrix sax.circuit gives with the same settings."""
    cc, ref = client_pair
    given = {
        "wg3": {"loss_dB_per_cm": 7.0},
        "im2": {"sbend_top_in": {"loss_dB_per_cm": 9.0}, "mmi_in": {"split_ratio": 0.3}},
        "facet_out": {"coupling_loss_dB": 4.0},
    }
    wl = np.linspace(1.54, 1.56, 3)
    assert_same(dense(ref(wl=wl, **given), cc.ports), dense(cc.circuit(wl=wl, **given), cc.ports))


@pytest.mark.slow
def test_server_chip_identical_to_the_unsimplified_circuit():
    from qkdchip.sims.models import sin

    sc = server_circuit()
    ref = sin.localize(sax.circuit(sc.netlist, sin.MODELS, backend="filipsson_gunnar")[0])
    wl = np.linspace(1.5497, 1.5499, 5)
    params = {"ring_gap_um": 2.5, "loss_db_per_m": 2.0, "heater_power_w": 0.1}
    assert_same(dense(ref(wl=wl, **sc.settings(params)), sc.ports), sc.sdense(wl, params))
    assert sc.circuit.counts == {
        "before": {"instances": 5, "nets": 4},
        "after": {"instances": 1, "nets": 0},
    }


# --- slow: knob values drawn by hypothesis, the chip view, the JAX cache across processes ----------


@pytest.mark.slow
def test_server_identical_with_simplify_false_compiled():
    sc, ref = server_circuit(), server_circuit(simplify=False)
    wl = np.linspace(1.5497, 1.5499, 5)
    for params in ({}, {"ring_gap_um": 2.5, "pump_air_gap_um": 3.0, "heater_power_w": 0.1}):
        assert_same(ref.evaluate(wl, params), sc.evaluate(wl, params))


@pytest.mark.slow
def test_client_identical_over_drawn_knobs():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pairs = {
        v: (client_circuit(view=v), client_circuit(view=v, simplify=False))
        for v in ("source", "chip")
    }
    wl = np.linspace(1.46, 1.64, 7)
    volts = st.floats(-4.0, 4.0, allow_nan=False)

    @settings(max_examples=15, deadline=None, database=None)
    @given(
        view=st.sampled_from(["source", "chip"]),
        im=st.tuples(volts, volts, volts),
        pm=st.tuples(volts, volts),
        voa=st.floats(0.0, 4.0, allow_nan=False),
        pm_length=st.floats(100.0, 1500.0),
    )
    def check(view, im, pm, voa, pm_length):
        cc, ref = pairs[view]
        drive = {"im1_v": im[0], "im2_v": im[1], "im3_v": im[2], "pm_v": pm[0], "pmref_v": pm[1]}
        drive |= {"voa_v": voa, "pm_length_um": pm_length}
        assert_same(ref.sdense(wl, drive), cc.sdense(wl, drive))

    check()


@pytest.mark.slow
def test_server_identical_over_drawn_knobs():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from qkdchip.sims.server import BATCH_RANGES

    sc, ref = server_circuit(), server_circuit(simplify=False)
    wl = np.linspace(1.5490, 1.5510, 7)

    @settings(max_examples=10, deadline=None, database=None)
    @given(st.fixed_dictionaries({k: st.floats(*r) for k, r in BATCH_RANGES.items()}))
    def check(params):
        assert_same(ref.evaluate(wl, params), sc.evaluate(wl, params))

    check()


_CACHE_PROBE = """
import numpy as np
from qkdchip.sims import client
f, _ = client.client_fn()
f(np.linspace(1.545, 1.555, 64), {"pm_v": 1.0}).block_until_ready()
fb, _ = client.client_batch_fn(chunk=4)
fb(np.linspace(1.545, 1.555, 64), {"voa_v": np.linspace(0.0, 2.0, 4)})
"""


@pytest.mark.slow
def test_jax_cache_hits_across_processes(tmp_path):
    """The simplified circuit compiles to the same programs in a new process (other hash seed:
    no set or dict order of the pass leaks into the program): the second process finds every
    compiled program in the persistent cache and writes no new entry. (The unsimplified
    circuit fails this: sax's backend orders ports through a set of strings, and a second seed
    writes a new entry.)"""
    cache = tmp_path / "jax"

    def run(seed: str) -> set[str]:
        env = {**os.environ, "QKDCHIP_JAX_CACHE_DIR": str(cache), "PYTHONHASHSEED": seed}
        res = subprocess.run(
            [sys.executable, "-c", _CACHE_PROBE], env=env, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr[-2000:]
        return {p.name for p in Path(cache).iterdir()}

    first = run("1")
    assert first, "the first process wrote no cache entry"
    assert run("2") == first


def test_model_ports_traced_or_evaluated_as_sax_does():
    """Port names of a leaf model come from an abstract trace (no array operation runs); a
    model that reads concrete values is evaluated instead; both give sax's (natural) order."""

    def traced(wl=1.55, loss_db=0.5):
        t = 10 ** (-jnp.asarray(loss_db) / 20) * jnp.ones_like(jnp.asarray(wl))
        return sax.reciprocal({("o10", "o2"): t, ("o1", "o2"): t})

    def concrete(wl=1.55):
        n = int(float(wl) * 2)  # needs a concrete value: cannot be traced
        return sax.reciprocal({(f"in{n}", "out"): jnp.asarray(1.0)})

    assert ns.model_ports(traced) == tuple(sax.get_ports(traced())) == ("o1", "o2", "o10")
    assert ns.model_ports(concrete) == ("in3", "out")
    from qkdchip.sims.models import inp, sin

    checked = 0
    for name, model in {**inp.MODELS, **sin.MODELS}.items():  # every model of both PDKs
        try:
            eager = tuple(sax.get_ports(sax.sdict(model())))
        except TypeError:  # needs arguments: not a model evaluated at its defaults
            continue
        assert ns.model_ports(model) == eager, name
        checked += 1
    assert checked >= 10
