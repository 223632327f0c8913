"""gdsfactory's own routers on both PDKs: process cells, DRC-clean routes, simulated circuits.

With a PDK active, ``gf.routing.route_single``/``route_bundle`` place the process's own straight,
Euler bend and transitions (registered under the names the routers ask for). The tests check the
Euler bends' smallest curvature radius against radius_min from the path itself, that routed
circuits are DRC-clean, connected and drawn on process layers only, and that
``sax.circuit(c.get_netlist(recursive=True), models=PDK.models)`` simulates them: passive,
reciprocal, and on physics written out here (the all-pass ring's closed form, an MZI's fringe
period).
"""

from __future__ import annotations

import math
import warnings

import gdsfactory as gf
import numpy as np
import pytest
import sax

from qkdchip.components.euler import (
    ALPHA,
    P_MAX,
    curvature_radii,
    euler_bend,
    euler_fraction,
    min_radius_ratio,
)
from qkdchip.pdk import get_pdk, use_pdk
from qkdchip.pdk.inp.layers import LAYERS as INP_LAYERS
from qkdchip.pdk.inp.layers import XSECTIONS as INP_XS
from qkdchip.pdk.inp.process import PROCESS
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM
from qkdchip.pdk.sin.layers import LAYERS as SIN_LAYERS
from qkdchip.pdk.sin.layers import XSECTIONS as SIN_XS
from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM
from qkdchip.sims.models.analysis import passivity_excess, reciprocity_error, to_dense
from qkdchip.sims.models.sin import power_coupling

from layout_helpers import cell_drc, layer_region

LAYERS = {"sin": SIN_LAYERS, "inp": INP_LAYERS}
#: (process, optical cross-section) pairs the routers can use
ROUTING_XS = [("sin", "xs_sin"), ("inp", "inp_deep"), ("inp", "inp_shallow")]
XS = {"xs_sin": SIN_XS["xs_sin"], **INP_XS}


# --- helpers --------------------------------------------------------------------------------------


def foreign_layers(c, process: str) -> set[tuple[int, int]]:
    """GDS layers with shapes in ``c`` that are not layers of the process (e.g. the routers'
    error-path layer, or a generic cell's layers)."""
    layout = c.kcl.layout
    known = set(LAYERS[process].values())
    out = set()
    for idx in layout.layer_indexes():
        info = layout.get_info(idx)
        if (info.layer, info.datatype) in known:
            continue
        if not c.kdb_cell.bbox_per_layer(idx).empty():
            out.add((info.layer, info.datatype))
    return out


def netlist_of(c) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gdsfactory warns about open ports; checked below
        return c.get_netlist(recursive=True)


def open_ports(c) -> list[tuple]:
    """Optical ports of the top cell's instances that face no other instance's port (same
    centre, opposite direction) and are not a port of the cell itself."""

    def key(p, turn: float = 0.0) -> tuple:
        return (round(p.x), round(p.y), round((p.orientation + turn) % 360))  # dbu, degrees

    inst_ports = [p for inst in c.insts for p in inst.ports if p.port_type == "optical"]
    facing = {}
    for p in inst_ports:
        facing[key(p)] = facing.get(key(p), 0) + 1
    top = {key(p) for p in c.ports}
    return [key(p) for p in inst_ports if not facing.get(key(p, 180.0)) and key(p) not in top]


def circuit_of(c, process: str):
    """``sax.circuit`` of the component's own recursive netlist with the PDK's models."""
    circuit, _ = sax.circuit(netlist_of(c), models=get_pdk(process).models)
    return circuit


def dense(circuit, wl) -> tuple[np.ndarray, list[str]]:
    S, ports = to_dense(circuit(wl=wl))
    assert np.all(np.isfinite(S))
    return S, ports


def check_routed(c, process: str, min_bends: int) -> None:
    """DRC-clean, on process layers only, fully connected, every bend within the radius rule."""
    assert cell_drc(c, process) == []
    assert foreign_layers(c, process) == set()
    assert open_ports(c) == []
    bends = [i.cell for i in c.insts if i.cell.function_name.endswith("_bend_euler")]
    assert len(bends) >= min_bends
    for b in bends:
        xs = b.info["cross_section"] if process == "inp" else "xs_sin"
        assert b.info["min_radius_um"] >= XS[xs].radius_min_um


def drawn_min_radius_um(c, layer: tuple[int, int], width_um: float, span_um: float = 20.0):
    """Smallest curvature radius of the centre line of a drawn bend, from its polygon: the inner
    side's smallest circumradius over points ~``span_um`` apart, plus half the width."""
    region = layer_region(c, layer).merged()
    assert region.count() == 1
    poly = next(iter(region.each()))
    dbu = c.kcl.layout.dbu
    pts = np.array([(p.x * dbu, p.y * dbu) for p in poly.each_point_hull()])
    edges = np.roll(pts, -1, axis=0) - pts
    faces = np.nonzero(np.abs(np.hypot(*edges.T) - width_um) < 2e-3)[0]
    assert faces.size == 2  # the two end faces split the outline into the two sides
    rolled = np.roll(pts, -(faces[0] + 1), axis=0)
    k = faces[1] - faces[0]
    sides = [rolled[:k], rolled[k + 1 :]]
    radii = []
    for side in sides:
        step = float(np.median(np.hypot(*np.diff(side, axis=0).T)))
        n = max(1, round(span_um / step))
        radii.append(curvature_radii(side[::n, 0], side[::n, 1]).min())
    return min(radii) + width_um / 2


# --- the Euler bend's curvature -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xs", "radius"),
    [
        ("xs_sin", 300.0),  # at radius_min: p = 0, a circular arc
        ("xs_sin", 400.0),
        ("xs_sin", 600.0),  # the routing default: p = 0.5
        ("xs_sin", 2000.0),
        ("inp_deep", 100.0),
        ("inp_deep", 150.0),
        ("inp_shallow", 500.0),
        ("inp_shallow", 600.0),  # the routing default: p < 0.5 keeps R0 >= 500 um
    ],
)
def test_euler_min_curvature_radius_from_the_path(xs, radius):
    r_min = XS[xs].radius_min_um
    bend = euler_bend(radius, r_min)
    x, y, t = bend.centerline(0.5)
    radii = curvature_radii(x, y)
    # the path's own curvature: never tighter than the rule, and as the bend states
    assert radii.min() >= r_min * (1 - 1e-9)
    assert radii.min() == pytest.approx(bend.min_radius_um, rel=1e-6)
    # gdsfactory's p = 0.5 where the rule allows it, else the rule is met at the limit
    if min_radius_ratio(P_MAX) * radius >= r_min:
        assert bend.p == P_MAX
    else:
        assert 0 <= bend.p < P_MAX
        assert bend.min_radius_um == pytest.approx(r_min, rel=1e-5)
    # a drop-in for a circular bend of that radius: from (0, 0) heading east (also at p = 0,
    # where the start point is not on any of the three segments) to (R, R) heading north
    assert (x[0], y[0], t[0]) == (0.0, 0.0, 0.0)
    assert (x[-1], y[-1]) == (radius, radius)
    chords = float(np.hypot(np.diff(x), np.diff(y)).sum())
    assert chords == pytest.approx(bend.length_um, rel=1e-5)  # chords: -ds^2/(24 R^2)
    assert bend.length_um == pytest.approx((1 + bend.p) * ALPHA * bend.min_radius_um)


def test_euler_geometry_matches_gdsfactory_path():
    """The closed form against gdsfactory's own partial Euler path (with_arc_floorplan)."""
    with use_pdk("sin"):
        for p in (0.1, 0.3, 0.5, 1.0):
            ref = gf.path.euler(radius=600.0, angle=90, p=p, use_eff=True, npoints=4000)
            assert 600.0 * min_radius_ratio(p) == pytest.approx(ref.info["Rmin"], rel=1e-9)
            assert (1 + p) * ALPHA * 600.0 * min_radius_ratio(p) == pytest.approx(
                ref.length(), rel=1e-6
            )


def test_euler_below_radius_min_raises_naming_the_radius():
    with pytest.raises(ValueError, match="radius_um"):
        euler_fraction(299.0, 300.0)
    with use_pdk("sin"):
        with pytest.raises(ValueError, match="radius"):
            gf.get_component("bend_euler", radius=299.0, cross_section="xs_sin")
    with use_pdk("inp"):
        with pytest.raises(ValueError, match="radius"):
            gf.get_component("bend_euler", radius=450.0, cross_section="inp_shallow")


@pytest.mark.parametrize(("process", "xs"), ROUTING_XS)
def test_routing_bend_cell_draws_its_path(process, xs):
    """The PDK's "bend_euler" at the cross-section's routing radius, as the router calls it."""
    spec = XS[xs]
    with use_pdk(process):
        b = gf.get_component(
            "bend_euler", cross_section=gf.get_cross_section(xs), radius=spec.radius_um
        )
    assert b.function_name == f"{process}_bend_euler"
    assert cell_drc(b, process) == []
    assert b.info["min_radius_um"] >= spec.radius_min_um
    assert b.info["min_radius_um"] == pytest.approx(
        euler_bend(spec.radius_um, spec.radius_min_um).min_radius_um, abs=1e-4
    )
    o1, o2 = b.ports["o1"], b.ports["o2"]
    assert (o1.center, o1.orientation) == ((0.0, 0.0), 180.0)
    assert (o2.center, o2.orientation) == ((spec.radius_um, spec.radius_um), 90.0)
    layer = LAYERS[process][spec.layer]
    # the drawn band follows the path: its area and the curvature of its sides
    area = layer_region(b, layer).merged().area() * b.kcl.layout.dbu**2
    assert area == pytest.approx(spec.width_um * b.info["length_um"], rel=1e-4)
    r0 = drawn_min_radius_um(b, layer, spec.width_um)
    assert r0 == pytest.approx(b.info["min_radius_um"], rel=2e-3)


# --- gdsfactory keywords on the process cells -------------------------------------------------------


def test_gdsfactory_keywords_give_the_process_cell():
    from qkdchip.components.inp import inp_bend_circular, inp_straight, inp_taper_deep_shallow
    from qkdchip.components.sin import sin_bend_euler, sin_straight, sin_taper

    with use_pdk("sin") as pdk:
        default = sin_straight()
        assert default.name == "sin_straight_LU100_WU2p8"  # unchanged by the new keywords
        assert sin_straight(cross_section="xs_sin").name == default.name
        assert sin_straight(length=100.0, cross_section=pdk.get_cross_section("xs_sin")) is default
        wide = pdk.get_cross_section("xs_sin", width=3.0)
        assert sin_straight(cross_section=wide).name == sin_straight(width_um=3.0).name
        assert sin_straight(cross_section=wide, width_um=2.0).info["width_um"] == 2.0
        # router-style float noise does not make a second cell
        assert (
            gf.get_component("straight", length=0.1 + 0.2 + 99.7, width=CORE_WIDTH_UM + 1e-15)
            is default
        )
        assert sin_bend_euler(radius=600.0, cross_section="xs_sin") is sin_bend_euler()
        assert sin_bend_euler(cross_section=pdk.get_cross_section("xs_sin", radius=800.0)).info[
            "radius_um"
        ] == pytest.approx(800.0)
        assert (
            sin_taper(width1=2.0, width2=CORE_WIDTH_UM).name
            == sin_taper(width1_um=2.0, width2_um=CORE_WIDTH_UM).name
        )
        with pytest.raises(ValueError, match="length"):
            sin_straight(length=10.0, length_um=20.0)
        with pytest.raises(ValueError, match="cross_section"):
            sin_straight(cross_section="xs_sin_metal")
        with pytest.raises(ValueError, match="cross_section"):
            sin_straight(cross_section=pdk.get_cross_section("xs_sin_heater"))
        with pytest.raises(ValueError, match="angle"):
            sin_bend_euler(angle=45.0)
        with pytest.raises(ValueError, match="width_um"):
            sin_straight(width=8.0)
    with use_pdk("inp") as pdk:
        deep = pdk.get_cross_section("inp_deep")
        assert inp_straight(length=250.0, cross_section=deep).name == inp_straight(250.0).name
        assert (
            inp_bend_circular(radius=200.0, angle=45.0).name
            == inp_bend_circular(radius_um=200.0, angle_deg=45.0).name
        )
        assert inp_taper_deep_shallow(width1=1.5, width2=2.0) is inp_taper_deep_shallow()
        with pytest.raises(ValueError, match="width"):
            inp_straight(cross_section="inp_deep", width=2.0)
        with pytest.raises(ValueError, match="cross_section"):
            inp_straight(cross_section=pdk.get_cross_section("inp_deep", width=3.0))
        with pytest.raises(ValueError, match="width1"):
            inp_taper_deep_shallow(width1=2.0, width2=2.0)


# --- Si3N4: a ring with routed arms and two edge couplers ------------------------------------------


@pytest.fixture(scope="module")
def sin_ring_circuit():
    """Edge coupler -> routed arm (two Euler bends) -> all-pass ring -> routed arm -> edge coupler."""
    from qkdchip.components.sin import sin_edge_coupler, sin_ring_bus

    with use_pdk("sin"):
        c = gf.Component()
        ring = c << sin_ring_bus()
        ec_in = c << sin_edge_coupler()
        ec_out = c << sin_edge_coupler()
        ec_in.move((-3500.0, -1500.0))
        ec_out.mirror_x()
        ec_out.move((3500.0, -1500.0))
        gf.routing.route_single(c, ec_in.ports["o2"], ring.ports["o1"], cross_section="xs_sin")
        gf.routing.route_single(c, ring.ports["o2"], ec_out.ports["o2"], cross_section="xs_sin")
        c.add_port("o1", port=ec_in.ports["o1"])
        c.add_port("o2", port=ec_out.ports["o1"])
    return c, ring.cell


def test_sin_routed_ring_is_drc_clean_and_connected(sin_ring_circuit):
    c, _ = sin_ring_circuit
    check_routed(c, "sin", min_bends=4)
    names = {i.cell.function_name for i in c.insts}
    assert names == {"sin_edge_coupler", "sin_ring_bus", "sin_straight", "sin_bend_euler"}


def test_sin_routed_ring_is_passive_and_reciprocal(sin_ring_circuit):
    c, _ = sin_ring_circuit
    S, ports = dense(circuit_of(c, "sin"), np.linspace(1.50, 1.60, 2001))
    assert ports == ["o1", "o2"]
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) < -1e-3  # facets, routing and ring: strictly lossy


def _ring_geom(ring) -> dict:
    return {k: ring.settings[k] for k in ("radius_um", "width_um", "coupling_length_um")}


def _zoom_min(f, lo: float, hi: float, n: int = 2001, rounds: int = 6):
    """(wl, value) of the minimum of f over [lo, hi], zooming in on a fixed-size grid."""
    for _ in range(rounds):
        wl = np.linspace(lo, hi, n)
        t = f(wl)
        j = int(np.argmin(t))
        step = wl[1] - wl[0]
        lo, hi = wl[j] - 20 * step, wl[j] + 20 * step
    return float(wl[j]), float(t[j])


def test_sin_routed_ring_dip_matches_the_all_pass_closed_form(sin_ring_circuit):
    """Through-port dip depth, normalised to off-resonance (facets and routing add flat loss),
    against T = (a^2 - 2 a r cos phi + r^2) / (1 - 2 a r cos phi + (a r)^2) with a and r from the
    ring cell's own info; and the linewidth against the same formula."""
    c, ring = sin_ring_circuit
    circuit = circuit_of(c, "sin")

    def t(wl):
        return np.abs(np.asarray(circuit(wl=wl)[("o1", "o2")])) ** 2

    info = ring.info
    a = 10 ** (-info["loss_db_per_m"] * info["length_um"] * 1e-6 / 20)
    r = math.sqrt(1 - info["power_coupling"])
    t_res = (a - r) ** 2 / (1 - a * r) ** 2  # cos phi = 1
    t_anti = (a + r) ** 2 / (1 + a * r) ** 2  # cos phi = -1
    depth_cf = 10 * math.log10(t_res / t_anti)

    # the resonance nearest the design wavelength, where info's power coupling is evaluated
    wl0 = DESIGN_WAVELENGTH_UM
    fsr_um = wl0**2 / (info["n_g"] * info["length_um"])
    grid = np.linspace(wl0 - fsr_um / 2, wl0 + fsr_um / 2, 2001)
    t_off = float(t(grid).max())
    wl_res, t_min = _zoom_min(t, grid[0], grid[-1])
    depth = 10 * math.log10(t_min / t_off)
    assert depth < -20  # near critical coupling: a deep dip, resolved
    assert depth == pytest.approx(depth_cf, abs=1.0)
    # near critical coupling the depth follows r closely: with r at the resonance wavelength
    # itself (kappa drifts by ~0.1 %/0.1 nm) the routed circuit is the all-pass ring exactly
    r_res = math.sqrt(
        1 - float(power_coupling(wl_res, ring.settings["gap_um"], **_ring_geom(ring)))
    )
    t_res = (a - r_res) ** 2 / (1 - a * r_res) ** 2
    t_anti = (a + r_res) ** 2 / (1 + a * r_res) ** 2
    assert depth == pytest.approx(10 * math.log10(t_res / t_anti), abs=0.05)

    # linewidth: half depth where 1 + (ar)^2 - 2 ar cos phi = 2 (1 - ar)^2
    phi_h = math.acos((1 + (a * r) ** 2 - 2 * (1 - a * r) ** 2) / (2 * a * r))
    fwhm_cf_pm = 2 * phi_h * wl_res**2 / (2 * math.pi * info["n_g"] * info["length_um"]) * 1e6
    wz = np.linspace(wl_res - 5 * fwhm_cf_pm * 1e-6, wl_res + 5 * fwhm_cf_pm * 1e-6, 2001)
    tz = t(wz)
    below = wz[tz <= (t_off + t_min) / 2]
    fwhm_pm = (below[-1] - below[0]) * 1e6
    assert 0.1 < fwhm_pm < 0.4  # the ~0.2 pm line of the 1 mm ring
    assert fwhm_pm == pytest.approx(fwhm_cf_pm, rel=0.03)


# --- InP: an MZI of two MMIs and routed arms --------------------------------------------------------


@pytest.fixture(scope="module")
def inp_mzi():
    """inp_mmi1x2 -> two routed arms (four Euler bends each, 100 um path difference) ->
    inp_mmi1x2 (mirrored)."""
    from qkdchip.components.inp import inp_mmi1x2

    with use_pdk("inp"):
        c = gf.Component()
        split = c << inp_mmi1x2()
        combine = c << inp_mmi1x2()
        combine.mirror_x()
        combine.move((1500.0, 0.0))
        arms = []
        for port, dy in (("o2", 400.0), ("o3", -350.0)):
            route = gf.routing.route_single(
                c,
                split.ports[port],
                combine.ports[port],
                cross_section="inp_deep",
                steps=[{"dx": 320.0}, {"dy": dy}, {"dx": 700.0}, {"dy": -dy}],
                on_error="error",
            )
            arms.append(sum(c.kcl[i.cell_index].info["length_um"] for i in route.instances))
        c.add_port("o1", port=split.ports["o1"])
        c.add_port("o2", port=combine.ports["o1"])
    return c, arms


def test_inp_routed_mzi_is_drc_clean_passive_and_reciprocal(inp_mzi):
    c, _ = inp_mzi
    check_routed(c, "inp", min_bends=8)
    S, ports = dense(circuit_of(c, "inp"), np.linspace(1.50, 1.60, 1001))
    assert ports == ["o1", "o2"]
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) < -1e-3


@pytest.mark.slow
def test_inp_routed_mzi_fringe_period_follows_the_routed_path_difference(inp_mzi):
    """Fringe minima spaced by wl^2 / (n_g dL), dL = the difference of the routed arm lengths."""
    c, (upper, lower) = inp_mzi
    d_len = upper - lower
    assert d_len == pytest.approx(100.0, abs=1e-3)  # two 50 um longer verticals
    wl = np.linspace(1.52, 1.58, 6001)
    t = np.abs(np.asarray(circuit_of(c, "inp")(wl=wl)[("o1", "o2")])) ** 2
    minima = wl[1:-1][(t[1:-1] < t[:-2]) & (t[1:-1] < t[2:])]
    assert minima.size >= 5
    period = float(np.diff(minima).mean())
    wl_c = float(minima.mean())
    assert period == pytest.approx(wl_c**2 / (PROCESS.deep_ng * d_len), rel=0.01)
    assert t.min() / t.max() < 1e-3  # balanced arms: deep fringes


# --- bundles and transitions ------------------------------------------------------------------------


@pytest.mark.slow
def test_inp_route_bundle_between_two_mmis():
    from qkdchip.components.inp import inp_mmi2x2
    from qkdchip.components.inp.routing import route_bundle_deep

    with use_pdk("inp") as pdk:
        assert pdk.routing_strategies["route_bundle"] is route_bundle_deep
        c = gf.Component()
        a = c << inp_mmi2x2()
        b = c << inp_mmi2x2()
        b.move((1200.0, 800.0))
        route_bundle_deep(
            c,
            [a.ports["o3"], a.ports["o4"]],
            [b.ports["o2"], b.ports["o1"]],
            separation=5.0,
            on_collision="error",
        )
        for name, port in (("o1", a["o1"]), ("o2", a["o2"]), ("o3", b["o3"]), ("o4", b["o4"])):
            c.add_port(name, port=port)
    check_routed(c, "inp", min_bends=4)
    S, ports = dense(circuit_of(c, "inp"), np.linspace(1.50, 1.60, 201))
    assert ports == ["o1", "o2", "o3", "o4"]
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) < -1e-3


def test_sin_route_bundle_of_two_edge_couplers():
    from qkdchip.components.sin import sin_edge_coupler, sin_straight
    from qkdchip.components.sin.routing import route_bundle_sin

    with use_pdk("sin"):
        c = gf.Component()
        ecs = [c << sin_edge_coupler() for _ in range(2)]
        ecs[1].move((0.0, 200.0))
        outs = [c << sin_straight() for _ in range(2)]
        outs[0].move((3000.0, 1500.0))
        outs[1].move((3000.0, 1700.0))
        route_bundle_sin(
            c,
            [e.ports["o2"] for e in ecs],
            [o.ports["o1"] for o in outs],
            separation=20.0,
            on_collision="error",
        )
        for i in range(2):
            c.add_port(f"o{i + 1}", port=ecs[i].ports["o1"])
            c.add_port(f"o{i + 3}", port=outs[i].ports["o2"])
    check_routed(c, "sin", min_bends=4)
    S, _ = dense(circuit_of(c, "sin"), np.linspace(1.50, 1.60, 101))
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) < -1e-3
    # two separate guides, in the order given: o1 -> o3, o2 -> o4 and nothing across lanes
    assert np.abs(S[:, 2, 0]).min() > 0.1 and np.abs(S[:, 3, 1]).min() > 0.1
    assert np.abs(S[:, 3, 0]).max() == 0.0 and np.abs(S[:, 2, 1]).max() == 0.0


@pytest.mark.parametrize("process", ["sin", "inp"])
def test_auto_taper_inserts_the_process_transition(process):
    """A route from a port of another width (Si3N4) or layer (InP shallow ridge) gets the
    process's own transition from ``layer_transitions``."""
    with use_pdk(process):
        c = gf.Component()
        if process == "sin":
            from qkdchip.components.sin import sin_straight, sin_taper

            start = c << sin_taper(width2_um=2.0)
            end = c << sin_straight(width_um=2.0)
            xs, transition = "xs_sin", "sin_taper"
        else:
            from qkdchip.components.inp import inp_straight, inp_taper_deep_shallow

            start = c << inp_taper_deep_shallow()
            end = c << inp_straight(cross_section="inp_shallow")
            xs, transition = "inp_deep", "inp_taper_deep_shallow"
        end.move((2000.0, 1500.0))
        gf.routing.route_single(
            c, start.ports["o2"], end.ports["o1"], cross_section=xs, on_error="error"
        )
        c.add_port("o1", port=start.ports["o1"])
        c.add_port("o2", port=end.ports["o2"])
    check_routed(c, process, min_bends=2)
    kinds = [i.cell.function_name for i in c.insts]
    assert kinds.count(transition) == 3  # the start cell and one at each end of the route
    S, _ = dense(circuit_of(c, process), np.linspace(1.50, 1.60, 51))
    assert reciprocity_error(S) < 1e-12
    assert passivity_excess(S) < -1e-3
