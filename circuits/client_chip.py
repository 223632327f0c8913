"""The client (transmitter) chip: monolithic InP, 4600 x 2000 um.

One DBR laser, three Mach-Zehnder intensity modulators (IM I-III), the encoding phase modulator
(PM I), the reference-pulse phase modulator (PM R) and an electro-absorption VOA: six
electro-optic elements (the reference network counts 120 modulators on 20 chips), and the
angled spot-size-converter output facet.

Optical order (default ``order``): laser -> IM I -> IM II -> IM III -> PM I -> PM R -> VOA ->
output facet. Why:

* the intensity modulators come first: IM I carves the CW laser light into pulses at the clock
  rate, IM II and IM III set the decoy / signal intensities and the SNS 'not sending' state;
  cascaded, their extinction ratios add in dB, which is how the 30-40 dB needed by the vacuum
  state is reached;
* the phase modulators act on the carved pulses: PM I encodes the phase of the quantum pulses
  (phase randomisation / slices), PM R sets the phase of the reference pulses that the server
  measures for phase tracking; phase and intensity modulation commute, so their place among the
  modulators only sets which electrode sees which optical power;
* the VOA is last, next to the facet: the chain runs at high power (modulator bias control with
  monitor light) and the attenuation to the single-photon level happens once, at the output;
  light reflected at the facet (``PROCESS.facet_reflection_dB``) crosses the VOA twice before it
  can reach the laser, an extra 2 x A_VOA of isolation.

Injection locking: the comb line enters through a second angled SSC facet on the same (west)
edge, port ``o1``, and reaches the laser through its rear DBR (the injection mirror, see
``inp_dbr_laser``). It does not cross the modulators or the VOA: by reciprocity it would be
attenuated as strongly as the output (tens of dB) and chopped by the IMs. (The published chip
lists one output facet; its injection path is not stated, so this is a design choice.)

Floorplan: the die is drawn with its lower-left corner at the origin, bbox exactly
(0, 0)-(4600, 2000) um. The chain is folded into two rows joined by a U-turn of two
``wg_radius_um`` bends at the east end: row 1 (y = 1000 - pitch/2) runs west to east from the
injection facet through the laser; row 2 (y = 1000 + pitch/2) runs back east to west to the
output facet at x = 0. The split between the rows is chosen to balance the slack; the slack is
shared out evenly as straight waveguide between the elements. Every electrode tab of row 1 is
routed (planar, crossing-free) to a pad on the south edge, every tab of row 2 to a pad on the
north edge (``route_to_edge_pads``); DC pads for the laser and VOA, RF pads for the modulators.

Joint constraints (:data:`CONSTRAINTS`): the U-turn fits between the rows
(``client.uturn_radius``), the chain folds into the two rows (``client.chain_fold``), the label
fits west of the die-ID box (``client.label_size``), and each row's pads fit its edge at the pad
pitch with routes between row and pads (``client.south_pads``, ``client.north_pads``: decided
while the cell routes). :func:`client_footprint` computes the elements, the fold and the label
without drawing; the cell raises :class:`~qkdchip.circuits.constraints.InfeasibleDesign` naming
every violated constraint.

Ports: o1 injection input (comb line), o2 quantum-signal output (both on the west edge).
``get_netlist()`` gives the optical chain (instances ``facet_in``, ``laser``, ``im1`` ... ``voa``,
``facet_out`` joined by ``wg*`` straights and the ``uturn_*`` bends) and the electrical one
(``<element>,e<n>`` -> ``wire_*`` -> ``pad_*``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gdsfactory as gf
import klayout.db as kdb

from qkdchip.base.params import Range, checked, defaults_of, ranges_of
from qkdchip.circuits import die_text
from qkdchip.circuits.constraints import Constraint, InfeasibleDesign, Violation, evaluate
from qkdchip.circuits.netlists import optical_netlist  # noqa: F401  (re-export)
from qkdchip.components.inp import (
    inp_bend_circular,
    inp_dbr_laser,
    inp_facet_ssc,
    inp_mzm,
    inp_phase_modulator,
    inp_straight,
    inp_voa,
    route_to_edge_pads,
)
from qkdchip.components.inp._geometry import add_boxes, box, layer_index, to_dbu
from qkdchip.components.inp.pads import ROUTE_CLEARANCE_UM, Tab
from qkdchip.pdk.inp.design_rules import DIE_KEEPOUT_UM
from qkdchip.pdk.inp.layers import LAYERS, XSECTIONS

DIE_WIDTH_UM = 4600.0
DIE_HEIGHT_UM = 2000.0
#: The six electro-optic elements, by key; their labels in the publication.
ELEMENT_KEYS = ("im1", "im2", "im3", "pm", "pmref", "voa")
ELEMENT_LABELS = {
    "laser": "DBR laser",
    "im1": "IM I",
    "im2": "IM II",
    "im3": "IM III",
    "pm": "PM I",
    "pmref": "PM R",
    "voa": "VOA",
    "facet_in": "injection facet",
    "facet_out": "output facet",
}
DEFAULT_ORDER = ELEMENT_KEYS
#: Shortest straight waveguide between two elements (um).
MIN_GAP_UM = 20.0
#: Distance between the two rows (um): at least this, more for a larger U-turn radius, at most
#: ``MAX_ROW_PITCH_UM`` (each row keeps >= 500 um to its die edge for the pad routing).
MIN_ROW_PITCH_UM = 600.0
MAX_ROW_PITCH_UM = 1000.0
#: Pads' outer edge this far inside the die keep-out (um).
PAD_EDGE_MARGIN_UM = 10.0
#: Die label (``die_label``, TEXT layer) height (um) and position of its lower-left corner.
LABEL_HEIGHT_UM = 60.0
LABEL_ORIGIN_UM = (150.0, 970.0)
#: Box (um) reserved for the die ID a multi-die mask adds on RFMETAL (``c.info["die_id_box_um"]``,
#: see ``circuits.masks``): east of the label, centred between the two rows, free of any shape.
DIE_ID_BOX_UM = (2300.0, 900.0, 3100.0, 1100.0)

PAD_PITCH = Range(120.0, 400.0, "um", "centre-to-centre pitch of the bond pads along a die edge")

_LASER = ranges_of(inp_dbr_laser)
_MZM = ranges_of(inp_mzm)
_PM = ranges_of(inp_phase_modulator)
_VOA = ranges_of(inp_voa)
_FACET = ranges_of(inp_facet_ssc)
_D_LASER = defaults_of(inp_dbr_laser)
_D_MZM = defaults_of(inp_mzm)
_D_PM = defaults_of(inp_phase_modulator)
_D_VOA = defaults_of(inp_voa)
_D_FACET = defaults_of(inp_facet_ssc)


def _dx_nm(component: gf.Component) -> int:
    """x distance from o1 to o2 of a chain element, in grid steps (nm)."""
    return to_dbu(component.ports["o2"].dx) - to_dbu(component.ports["o1"].dx)


@dataclass(frozen=True)
class _Plan:
    """A floorplan: which elements go on row 1 and on row 2, and the fold geometry."""

    row1: tuple[str, ...]
    row2: tuple[str, ...]
    x_turn_um: int  # x where row 1 ends and the U-turn's first bend starts
    row_pitch_um: int
    slack1_nm: int
    slack2_nm: int


@dataclass(frozen=True)
class _Fold:
    """The folding of the chain: the best plan, or None and by how much the best split overruns
    a row (nm) with that split."""

    plan: _Plan | None
    avail_nm: int  # room for the elements and gaps of one row (nm)
    dx_nm: dict[str, int]  # x extent of each element (nm)
    excess_nm: int  # best split: the longer row's overrun (0 if it folds)
    split: tuple[tuple[str, ...], tuple[str, ...]]  # that split's rows


def _fold(
    elements: dict[str, gf.Component], order: Sequence[str], dx_facet_nm: int, radius_um: float
) -> _Fold:
    """Fold the chain into two rows joined by a U-turn at the east end: row 1 = laser + the first
    k EO elements, row 2 = the rest, for the k that maximises the smaller of the two slacks. If
    no k fits, the split with the smallest overrun (``plan`` None)."""
    width, keep = DIE_WIDTH_UM, DIE_KEEPOUT_UM
    w_wg = XSECTIONS["inp_deep"].width_um
    gap = to_dbu(MIN_GAP_UM)
    dx = {k: _dx_nm(v) for k, v in elements.items()}
    x_turn = math.floor(width - keep - radius_um - w_wg / 2 - 10.0)
    pitch = max(int(MIN_ROW_PITCH_UM), 2 * math.ceil(radius_um + 5.0))
    avail = to_dbu(x_turn) - dx_facet_nm
    plans: list[_Plan] = []
    best: tuple[int, tuple[tuple[str, ...], tuple[str, ...]]] | None = None
    for k in range(len(order) + 1):
        row1, row2 = ("laser", *order[:k]), tuple(order[k:])
        slack1 = avail - sum(dx[e] for e in row1) - len(row1) * gap
        slack2 = avail - sum(dx[e] for e in row2) - (len(row2) + 1) * gap
        if slack1 >= 0 and slack2 >= 0:
            plans.append(_Plan(row1, row2, x_turn, pitch, slack1, slack2))
        over = max(-slack1, -slack2, 0)
        if best is None or over < best[0]:
            best = (over, (row1, row2))
    assert best is not None
    if plans:
        plan = max(plans, key=lambda p: min(p.slack1_nm, p.slack2_nm))
        return _Fold(plan, avail, dx, 0, (plan.row1, plan.row2))
    return _Fold(None, avail, dx, best[0], best[1])


def _gaps(slack_nm: int, n: int, gap_nm: int) -> list[int]:
    """``n`` gap lengths (nm): the minimum gap plus the slack shared out evenly (rest on the last)."""
    base = slack_nm // n
    gaps = [gap_nm + base] * n
    gaps[-1] += slack_nm - base * n
    return gaps


# --- joint constraints -------------------------------------------------------------------------
# Each reads the footprint (``ClientFootprint``) the cell computes before drawing; a message names
# the parameters involved and the allowed bound (chip argument names; the design registry shows
# them dotted: pm_length_um is client.pm.length_um).

#: the chip arguments that set the length of the optical chain
CHAIN_LENGTH_PARAMS = (
    "laser_gain_length_um",
    "laser_phase_length_um",
    "laser_front_dbr_length_um",
    "laser_rear_dbr_length_um",
    "im_length_um",
    "im_arm_spacing_um",
    "pm_length_um",
    "pmref_length_um",
    "voa_length_um",
    "facet_taper_length_um",
    "facet_angle_deg",
    "wg_radius_um",
)


def _uturn_radius(fp: ClientFootprint) -> str | None:
    r = fp.p["wg_radius_um"]
    if 2 * math.ceil(r + 5.0) <= MAX_ROW_PITCH_UM:
        return None
    return (
        f"wg_radius_um={r:g} um is too large for the U-turn between the two rows of the "
        f"{DIE_HEIGHT_UM:.0f} um high die (rows at most {MAX_ROW_PITCH_UM:.0f} um apart, "
        f"{(DIE_HEIGHT_UM - MAX_ROW_PITCH_UM) / 2:.0f} um to each edge for the pads): allowed <= "
        f"{MAX_ROW_PITCH_UM / 2 - 5:.0f} um"
    )


def _chain_fold(fp: ClientFootprint) -> str | None:
    fold = fp.fold
    if fold.plan is not None:
        return None
    row1, row2 = fold.split
    dx = fold.dx_nm
    return (
        f"the optical chain ({sum(dx.values()) * 1e-3:.0f} um of elements, {MIN_GAP_UM:.0f} um "
        f"gaps) does not fold into two rows of {fold.avail_nm * 1e-3:.0f} um on the "
        f"{DIE_WIDTH_UM:.0f} x {DIE_HEIGHT_UM:.0f} um die: the best split (row 1: "
        f"{', '.join(row1)}; row 2: {', '.join(row2) or '-'}) overruns by "
        f"{fold.excess_nm * 1e-3:.1f} um: allowed elements shorter by >= that on its longer row "
        f"(reduce im_length_um (x3), pm_length_um, pmref_length_um, voa_length_um, "
        f"laser_gain_length_um, laser_phase_length_um, laser_front_dbr_length_um, "
        f"laser_rear_dbr_length_um, im_arm_spacing_um, wg_radius_um or facet_taper_length_um; "
        f"element lengths um: " + ", ".join(f"{k}={v * 1e-3:.0f}" for k, v in dx.items()) + ")"
    )


def _label_size(fp: ClientFootprint) -> str | None:
    label = fp.p["die_label"]
    if not isinstance(label, str) or not label.strip():
        return f"die_label={label!r} must be a non-empty string"
    if fp.label_width_um <= fp.label_room_um:
        return None
    shown = repr(label) if len(repr(label)) <= 40 else repr(label)[:36] + "...'"
    return (
        f"die_label={shown} ({len(label)} characters) is too long: its text spans "
        f"{fp.label_width_um:.0f} um, allowed {fp.label_room_um:.0f} um (west of the die-ID box)"
    )


def _pads(edge: str, row: int) -> Constraint:
    return Constraint(
        f"client.{edge}_pads",
        ("die_pad_pitch_um", *CHAIN_LENGTH_PARAMS),
        f"the pads of row {row}'s electrodes fit the {edge} edge at the pad pitch and their "
        f"routes fit between the row and the pads (decided while the cell routes them)",
    )


def _pads_message(exc: ValueError, pitch: float, edge: str, row: Sequence[str], tabs) -> str:
    """The routing's refusal (``route_to_edge_pads``) as a violation message, with the largest
    pitch that places the row's pads when the edge is what is short (read from the routing's
    own figure of the room the edge offers)."""
    n = len(tabs)
    text = (
        f"die_pad_pitch_um={pitch:g} um: the {n} electrodes of row {1 if edge == 'south' else 2} "
        f"({', '.join(row) or '-'}) do not reach the {edge} edge: {exc}"
    )
    m = re.search(r"the edge offers ([0-9.]+) um", str(exc))
    if m and n > 1:
        text += f": allowed die_pad_pitch_um <= {float(m.group(1)) / (n - 1):.1f} um"
    return text + " (or shorter elements, so that the chain folds differently)"


SOUTH_PADS, NORTH_PADS = _pads("south", 1), _pads("north", 2)
#: The joint constraints of the client chip, in the order they are reported.
CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        "client.uturn_radius",
        ("wg_radius_um",),
        "the U-turn (two bends of wg_radius_um) joins the two rows within the die height",
        _uturn_radius,
    ),
    Constraint(
        "client.chain_fold",
        CHAIN_LENGTH_PARAMS,
        f"laser + six EO elements + facets + {MIN_GAP_UM:g} um gaps fold into two rows of the die "
        "width",
        _chain_fold,
    ),
    Constraint(
        "client.label_size",
        ("die_label",),
        "the die label fits west of the die-ID box",
        _label_size,
    ),
    SOUTH_PADS,
    NORTH_PADS,
)


@dataclass(frozen=True)
class ClientFootprint:
    """What the client cell computes before it draws: every footprint constraint reads it, and
    the cell draws with the same numbers."""

    p: dict[str, Any]  # the chip's arguments
    elements: dict[str, gf.Component]
    facet: gf.Component
    fold: _Fold
    label: Any  # the label text (kdb.Region, dbu) at its place
    label_width_um: float
    label_room_um: float
    violations: list[Violation] = field(default_factory=list)


def client_footprint(**params: Any) -> ClientFootprint:
    """The footprint of ``client_chip(**params)`` and its violated footprint constraints, without
    drawing the chip (``params``: the chip's arguments, defaults for the missing ones). Cheap:
    it builds only the elements (cached). The pad constraints need the drawing: the cell decides
    them."""
    p = {**defaults_of(client_chip), **params}
    order = tuple(p["order"])
    if len(order) != len(ELEMENT_KEYS) or sorted(order) != sorted(ELEMENT_KEYS):
        raise ValueError(f"order={order!r} must be a permutation of {ELEMENT_KEYS}")
    mzm = inp_mzm(
        length_um=p["im_length_um"],
        arm_spacing_um=p["im_arm_spacing_um"],
        split_ratio=p["im_split_ratio"],
        combine_ratio=p["im_combine_ratio"],
        bend_radius_um=p["wg_radius_um"],
    )
    elements: dict[str, gf.Component] = {
        "laser": inp_dbr_laser(
            gain_length_um=p["laser_gain_length_um"],
            phase_length_um=p["laser_phase_length_um"],
            front_dbr_length_um=p["laser_front_dbr_length_um"],
            rear_dbr_length_um=p["laser_rear_dbr_length_um"],
        ),
        "im1": mzm,
        "im2": mzm,
        "im3": mzm,
        "pm": inp_phase_modulator(length_um=p["pm_length_um"]),
        "pmref": inp_phase_modulator(length_um=p["pmref_length_um"]),
        "voa": inp_voa(length_um=p["voa_length_um"]),
    }
    facet = inp_facet_ssc(
        angle_deg=p["facet_angle_deg"],
        taper_length_um=p["facet_taper_length_um"],
        tip_width_um=p["facet_tip_width_um"],
    )
    fold = _fold(elements, order, _dx_nm(facet), p["wg_radius_um"])
    label = p["die_label"] if isinstance(p["die_label"], str) else ""
    gen = kdb.TextGenerator.default_generator()
    text = gen.text(label, 0.001, LABEL_HEIGHT_UM / gen.dheight())
    text.move(to_dbu(LABEL_ORIGIN_UM[0]), to_dbu(LABEL_ORIGIN_UM[1]))
    room_um = DIE_ID_BOX_UM[0] - die_text.clearance_um("inp") - LABEL_ORIGIN_UM[0]
    fp = ClientFootprint(
        p=p,
        elements=elements,
        facet=facet,
        fold=fold,
        label=text,
        label_width_um=text.bbox().width() * 1e-3,
        label_room_um=room_um,
    )
    fp.violations.extend(evaluate(CONSTRAINTS, fp))
    return fp


@gf.cell(basename="inp_client_chip")
@checked(
    laser_gain_length_um=_LASER["gain_length_um"],
    laser_phase_length_um=_LASER["phase_length_um"],
    laser_front_dbr_length_um=_LASER["front_dbr_length_um"],
    laser_rear_dbr_length_um=_LASER["rear_dbr_length_um"],
    im_length_um=_MZM["length_um"],
    im_arm_spacing_um=_MZM["arm_spacing_um"],
    im_split_ratio=_MZM["split_ratio"],
    im_combine_ratio=_MZM["combine_ratio"],
    pm_length_um=_PM["length_um"],
    pmref_length_um=_PM["length_um"],
    voa_length_um=_VOA["length_um"],
    facet_angle_deg=_FACET["angle_deg"],
    facet_taper_length_um=_FACET["taper_length_um"],
    facet_tip_width_um=_FACET["tip_width_um"],
    wg_radius_um=_MZM["bend_radius_um"],
    die_pad_pitch_um=PAD_PITCH,
)
def client_chip(
    laser_gain_length_um: float = _D_LASER["gain_length_um"],
    laser_phase_length_um: float = _D_LASER["phase_length_um"],
    laser_front_dbr_length_um: float = _D_LASER["front_dbr_length_um"],
    laser_rear_dbr_length_um: float = _D_LASER["rear_dbr_length_um"],
    im_length_um: float = _D_MZM["length_um"],
    im_arm_spacing_um: float = _D_MZM["arm_spacing_um"],
    im_split_ratio: float = _D_MZM["split_ratio"],
    im_combine_ratio: float = _D_MZM["combine_ratio"],
    pm_length_um: float = _D_PM["length_um"],
    pmref_length_um: float = _D_PM["length_um"],
    voa_length_um: float = _D_VOA["length_um"],
    facet_angle_deg: float = _D_FACET["angle_deg"],
    facet_taper_length_um: float = _D_FACET["taper_length_um"],
    facet_tip_width_um: float = _D_FACET["tip_width_um"],
    wg_radius_um: float = XSECTIONS["inp_deep"].radius_um,
    die_pad_pitch_um: float = 150.0,
    die_label: str = "QKDCHIP TX",
    order: tuple[str, ...] = DEFAULT_ORDER,
) -> gf.Component:
    """The 4600 x 2000 um InP client transmitter die (see the module docstring). Its cell name
    starts with ``inp_client_chip`` (InP cell names are unique across both PDKs).

    Args:
        laser_gain_length_um, laser_phase_length_um, laser_front_dbr_length_um,
            laser_rear_dbr_length_um: DBR laser sections (``inp_dbr_laser``).
        im_length_um, im_arm_spacing_um, im_split_ratio, im_combine_ratio: the three identical
            intensity modulators IM I-III (``inp_mzm``: electrode length, arm spacing, k1, k2).
        pm_length_um: electrode length of PM I (encoding). pmref_length_um: of PM R (reference).
        voa_length_um: absorber length of the VOA (attenuation range ~ length).
        facet_angle_deg, facet_taper_length_um, facet_tip_width_um: both SSC facets.
        wg_radius_um: radius of the deep-waveguide bends (U-turn, MZM S-bends).
        die_pad_pitch_um: bond-pad pitch along the die edges.
        die_label: text written on the die (TEXT layer, west of the die-ID box); a mask keeps it
            and adds each die's ID, on RFMETAL, in the box ``c.info["die_id_box_um"]``.
        order: permutation of ("im1", "im2", "im3", "pm", "pmref", "voa"): the optical order of
            the six EO elements after the laser.
    """
    fp = client_footprint(**locals())  # the arguments: elements, fold, label, violations
    if fp.violations:
        raise InfeasibleDesign("client_chip", fp.violations)
    elements, facet, plan = fp.elements, fp.facet, fp.fold.plan
    assert plan is not None

    # --- floorplan ---------------------------------------------------------------------------
    width, height, keep = DIE_WIDTH_UM, DIE_HEIGHT_UM, DIE_KEEPOUT_UM
    radius = wg_radius_um
    row1, row2 = list(plan.row1), list(plan.row2)
    y1 = height / 2 - plan.row_pitch_um / 2
    y2 = height / 2 + plan.row_pitch_um / 2
    gap = to_dbu(MIN_GAP_UM)
    gaps1 = _gaps(plan.slack1_nm, len(row1), gap)
    gaps2 = _gaps(plan.slack2_nm, len(row2) + 1, gap)

    c = gf.Component()
    n_wg = 0

    def spacer(prev: gf.Port, length_nm: int) -> gf.Port:
        nonlocal n_wg
        n_wg += 1
        ref = c.add_ref(inp_straight(length_um=length_nm * 1e-3), name=f"wg{n_wg}")
        ref.connect("o1", prev)
        return ref.ports["o2"]

    def place(key: str, prev: gf.Port) -> gf.Port:
        ref = c.add_ref(elements[key], name=key)
        ref.connect("o1", prev)
        refs[key] = ref
        return ref.ports["o2"]

    refs: dict[str, gf.ComponentReference] = {}
    f_in = c.add_ref(facet, name="facet_in")
    f_in.drotate(180)
    f_in.dmove((-f_in.ports["o2"].dx, y1 - f_in.ports["o1"].dy))
    refs["facet_in"] = f_in
    prev = f_in.ports["o1"]
    for i, key in enumerate(row1):
        prev = spacer(place(key, prev), gaps1[i])

    bend = inp_bend_circular(radius_um=radius, angle_deg=90.0)
    b1 = c.add_ref(bend, name="uturn_1")
    b1.connect("o1", prev)
    up = c.add_ref(inp_straight(length_um=plan.row_pitch_um - 2 * radius), name="uturn_wg")
    up.connect("o1", b1.ports["o2"])
    b2 = c.add_ref(bend, name="uturn_2")
    b2.connect("o1", up.ports["o2"])
    prev = spacer(b2.ports["o2"], gaps2[0])
    for i, key in enumerate(row2):
        prev = spacer(place(key, prev), gaps2[i + 1])
    f_out = c.add_ref(facet, name="facet_out")
    f_out.connect("o1", prev)
    refs["facet_out"] = f_out
    if abs(f_out.ports["o2"].dx) > 1e-3 or abs(f_in.ports["o2"].dx) > 1e-3:
        raise RuntimeError("client_chip: the facets do not land on the die edge x = 0")

    # --- electrodes -> pads ------------------------------------------------------------------
    def tabs(keys: Sequence[str]) -> list[Tab]:
        out = []
        for key in keys:
            for p in refs[key].ports:
                if p.port_type == "electrical":
                    kind = "dc" if key in ("laser", "voa") else "rf"
                    out.append(Tab(f"{key}.{p.name}", p.dx, p.dy, kind))
        return out

    margin = keep + PAD_EDGE_MARGIN_UM
    kw = {"pitch_um": die_pad_pitch_um, "clearance_um": ROUTE_CLEARANCE_UM}
    pads: list[dict[str, Any]] = []
    bad: list[Violation] = []
    for con, row, edge, edge_um in (
        (SOUTH_PADS, row1, "south", margin),
        (NORTH_PADS, row2, "north", height - margin),
    ):
        row_tabs = tabs(row)
        try:
            pads += route_to_edge_pads(
                c, row_tabs, edge=edge, edge_um=edge_um,
                along_min_um=margin, along_max_um=width - margin, **kw,
            )  # fmt: skip
        except ValueError as exc:  # nothing of this edge was added
            bad.append(con.violation(_pads_message(exc, die_pad_pitch_um, edge, row, row_tabs)))
    if bad:
        raise InfeasibleDesign("client_chip", bad)

    # --- die outline, label, the die-ID box of a mask, ports ------------------------------------
    add_boxes(c, "DIE", [box(0.0, 0.0, width, height)])
    c.shapes(layer_index("TEXT")).insert(fp.label)
    die_text.check_free(c, "inp", DIE_ID_BOX_UM, "die-ID")
    c.add_port("o1", port=f_in.ports["o2"])
    c.add_port("o2", port=f_out.ports["o2"])
    # one electrical port per bond pad, at its centre, facing off the die edge it sits on
    for rec in pads:
        rec["port"] = rec["electrode"].replace(".", "_")
        c.add_port(
            rec["port"],
            center=tuple(rec["pad_center_um"]),
            width=c.insts[rec["pad"]].cell.info["size_um"],
            orientation=270.0 if rec["edge"] == "south" else 90.0,
            layer=LAYERS["RFMETAL"],
            port_type="electrical",
        )

    chain = ["facet_in", *row1, *row2, "facet_out"]
    c.info["die_size_um"] = [width, height]
    c.info["die_bbox_um"] = [0.0, 0.0, width, height]
    c.info["die_origin"] = "lower-left corner at (0, 0)"
    c.info["optical_order"] = chain
    c.info["eo_elements"] = list(order)
    c.info["n_eo_elements"] = len(order)
    c.info["rows"] = [row1, row2]
    c.info["row_y_um"] = [y1, y2]
    c.info["elements"] = [
        {
            "name": key,
            "label": ELEMENT_LABELS[key],
            "cell": refs[key].cell.name,
            "row": 1 if key == "facet_in" or key in row1 else 2,
            "o1_um": [round(refs[key].ports["o1"].dx, 3), round(refs[key].ports["o1"].dy, 3)],
            "o2_um": [round(refs[key].ports["o2"].dx, 3), round(refs[key].ports["o2"].dy, 3)],
        }
        for key in chain
    ]
    c.info["electrodes"] = pads
    c.info["n_pads"] = len(pads)
    c.info["ports"] = {
        "o1": "injection input (comb line)",
        "o2": "quantum-signal output",
        **{rec["port"]: f"bond pad of {rec['electrode']} ({rec['kind']})" for rec in pads},
    }
    c.info["label"] = die_label
    c.info["die_id_box_um"] = list(DIE_ID_BOX_UM)
    return c
