r"""The server chip: a Si3N4 microcomb die (Kerr microring pumped by a butt-coupled InP DFB laser).

Layout (die lower-left corner at the origin, x to the right)::

      +------------------------------------------------------------------+
      |                         [pad]   [pad]          (pads 100 um from |
      |                           |       |             the top edge)    |
      |                        heater contacts                           |
      |                   .-----'         '-----.                        |
      |                 /     ring + heater      \                       |
      |                |    (R ~ 1 mm, FSR 30.03  |                      |
      |                 \        GHz)            /                       |
      |  pump facet      '----------------------'           edge coupler |
      |]=== taper ===== straight ======= bus ======= straight === taper ==[|
      |  label (TEXT)                    [die-ID box: a mask's die ID]   |
      +------------------------------------------------------------------+

Light path (optical netlist): pump laser -> ``pump`` (sin_pump_facet, o1 at the left facet) ->
``wg_in`` (sin_straight) -> ``ring`` (sin_ring_bus, all-pass) -> ``wg_out`` (sin_straight) ->
``coupler`` (sin_edge_coupler, o1 at the right facet) -> fibre. The heater (``heater``) is wired by
``trace_1``/``trace_2`` (sin_metal_straight) to ``pad_1``/``pad_2`` (sin_pad). Every instance is
placed by connecting ports, so ``get_netlist()`` holds the connectivity (electrical too); chip
ports: o1 (pump input facet), o2 (comb output facet); :func:`optical_netlist` keeps the optical
part for ``sax.circuit``.

Default die: 3200 um x 2800 um. The width holds the facet trenches (2 x 60 um), the pump facet
taper (50 um), the ring bus (2 R + 2 x 50 um extension ~2.1 mm), the 500 um inverse taper and two
~200 um straights; the height holds the bus 300 um above the bottom edge, the 2 mm ring, the heater
leads and contacts, ~200 um traces and the 100 um pads 100 um below the top edge. Every shape
keeps the 50 um die keep-out except the facet trenches, which reach the die edge (the facets sit
60 um inside it).

The parameters are the design's single source of truth (the registry shows ``ring_gap_um`` as
``server.ring.gap_um``); their ranges *refer* to the cells' ranges. The default radius gives the
published FSR of 30.03 GHz for the group index of the ``xs_sin`` core (femwell table):
R = c / (2 pi n_g FSR) - L_c / pi.
"""

from __future__ import annotations

import gdsfactory as gf

from qkdchip.base.params import Range, checked, ranges_of
from qkdchip.circuits import die_text
from qkdchip.circuits.netlists import optical_netlist  # noqa: F401  (re-export)
from qkdchip.components.sin import (
    sin_edge_coupler,
    sin_metal_straight,
    sin_pad,
    sin_pump_facet,
    sin_ring_bus,
    sin_ring_heater,
    sin_straight,
)
from qkdchip.components.sin._geometry import add_box, add_text, snap, text_region, to_dbu
from qkdchip.pdk.sin.design_rules import DIE_KEEPOUT_UM, RULES
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM, LAYERS

#: distance of the pads' outer edge from the top die edge (twice the keep-out: bonding room), um
PAD_EDGE_MARGIN_UM = 2 * DIE_KEEPOUT_UM
#: shortest straight / trace the chip accepts between two connected cells (um)
MIN_CONNECT_UM = 10.0
#: height of the die label text (um)
LABEL_SIZE_UM = 40.0
#: gap between the die label (TEXT, west half below the bus) and the box reserved for the die ID
#: a multi-die mask adds on PAD_METAL (east half below the bus, ``c.info["die_id_box_um"]``), um
DIE_ID_GAP_UM = 100.0

_RING = ranges_of(sin_ring_bus)
_HEATER = ranges_of(sin_ring_heater)
_PUMP = ranges_of(sin_pump_facet)
_COUPLER = ranges_of(sin_edge_coupler)
_PAD = ranges_of(sin_pad)


@gf.cell(basename="sin_server_chip")
@checked(
    ring_radius_um=_RING["radius_um"],
    ring_width_um=_RING["width_um"],
    ring_gap_um=_RING["gap_um"],
    ring_coupling_length_um=_RING["coupling_length_um"],
    ring_bus_extension_um=_RING["bus_extension_um"],
    heater_width_um=_HEATER["width_um"],
    heater_opening_um=_HEATER["opening_um"],
    heater_lead_length_um=_HEATER["lead_length_um"],
    heater_contact_size_um=_HEATER["contact_size_um"],
    pad_size_um=_PAD["size_um"],
    pump_air_gap_um=_PUMP["air_gap_um"],
    pump_facet_width_um=_PUMP["facet_width_um"],
    pump_taper_length_um=_PUMP["taper_length_um"],
    coupler_taper_length_um=_COUPLER["taper_length_um"],
    coupler_tip_width_um=_COUPLER["tip_width_um"],
    facet_trench_length_um=_COUPLER["trench_length_um"],
    facet_trench_width_um=_COUPLER["trench_width_um"],
    die_width_um=Range(1000.0, 10000.0, "um", "die width (x)"),
    die_height_um=Range(1000.0, 10000.0, "um", "die height (y)"),
    die_bus_y_um=Range(
        100.0, 5000.0, "um", "height of the bus waveguide above the bottom die edge"
    ),
)
def server_chip(
    ring_radius_um: float = 997.6,
    ring_width_um: float = CORE_WIDTH_UM,
    ring_gap_um: float = 2.4,
    ring_coupling_length_um: float = 0.0,
    ring_bus_extension_um: float = 50.0,
    heater_width_um: float = 10.0,
    heater_opening_um: float = 200.0,
    heater_lead_length_um: float = 40.0,
    heater_contact_size_um: float = 30.0,
    pad_size_um: float = 100.0,
    pump_air_gap_um: float = 1.0,
    pump_facet_width_um: float = CORE_WIDTH_UM,
    pump_taper_length_um: float = 50.0,
    coupler_taper_length_um: float = 500.0,
    coupler_tip_width_um: float = 0.8,
    facet_trench_length_um: float = 60.0,
    facet_trench_width_um: float = 150.0,
    die_width_um: float = 3200.0,
    die_height_um: float = 2800.0,
    die_bus_y_um: float = 300.0,
    die_label: str = "QKDCHIP SERVER",
) -> gf.Component:
    """Microcomb die: pump facet, bus, microring with heater and pads, output edge coupler.

    ``c.info`` holds the derived ring figures (``ring_length_um``, ``ring_n_g``,
    ``ring_fsr_ghz``, ...), read from the instances' ``info`` (not typed here).
    """
    c = gf.Component()
    w = ring_width_um
    trench = {"trench_length_um": facet_trench_length_um, "trench_width_um": facet_trench_width_um}
    pump_c = sin_pump_facet(
        air_gap_um=pump_air_gap_um,
        facet_width_um=pump_facet_width_um,
        taper_length_um=pump_taper_length_um,
        width_um=w,
        **trench,
    )
    coupler_c = sin_edge_coupler(
        taper_length_um=coupler_taper_length_um,
        tip_width_um=coupler_tip_width_um,
        width_um=w,
        **trench,
    )
    ring_c = sin_ring_bus(
        radius_um=ring_radius_um,
        width_um=w,
        gap_um=ring_gap_um,
        coupling_length_um=ring_coupling_length_um,
        bus_extension_um=ring_bus_extension_um,
    )
    heater_c = sin_ring_heater(
        radius_um=ring_radius_um,
        coupling_length_um=ring_coupling_length_um,
        width_um=heater_width_um,
        opening_um=heater_opening_um,
        lead_length_um=heater_lead_length_um,
        contact_size_um=heater_contact_size_um,
    )

    # --- horizontal budget: the two bus straights take what the die width leaves
    x_pump_end = facet_trench_length_um + pump_c.ports["o2"].dx
    x_coupler_end = die_width_um - facet_trench_length_um - coupler_c.ports["o2"].dx
    bus_len = ring_c.ports["o2"].dx - ring_c.ports["o1"].dx
    free = snap(x_coupler_end - x_pump_end - bus_len)
    if free < 2 * MIN_CONNECT_UM:
        need = die_width_um - free + 2 * MIN_CONNECT_UM
        raise ValueError(
            f"die_width_um={die_width_um} um is too small for this ring and facets: "
            f"allowed >= {need:.1f} um"
        )
    # --- vertical: facet trench inside the die
    if die_bus_y_um < facet_trench_width_um / 2 + MIN_CONNECT_UM:
        raise ValueError(
            f"die_bus_y_um={die_bus_y_um} um is out of range: allowed >= "
            f"{facet_trench_width_um / 2 + MIN_CONNECT_UM} um (half the facet trench width + margin)"
        )

    pump = c.add_ref(pump_c, name="pump")
    pump.dmove((facet_trench_length_um, snap(die_bus_y_um)))
    len_in = snap(free / 2)
    wg_in = c.add_ref(sin_straight(length_um=len_in, width_um=w), name="wg_in")
    wg_in.connect("o1", pump.ports["o2"])
    ring = c.add_ref(ring_c, name="ring")
    ring.connect("o1", wg_in.ports["o2"])
    wg_out = c.add_ref(sin_straight(length_um=snap(free - len_in), width_um=w), name="wg_out")
    wg_out.connect("o1", ring.ports["o2"])
    coupler = c.add_ref(coupler_c, name="coupler")
    coupler.connect("o2", wg_out.ports["o2"])

    # --- heater on the ring centre, traces up to the pads below the top edge
    ring_origin = (ring.ports["o1"].dx + ring.ports["o2"].dx) / 2, ring.ports["o1"].dy
    heater = c.add_ref(heater_c, name="heater")
    heater.dmove((snap(ring_origin[0]), snap(ring_origin[1] + _ring_center_y(ring_c))))
    pad_c = sin_pad(size_um=pad_size_um)
    pad_bottom = die_height_um - PAD_EDGE_MARGIN_UM - pad_size_um
    metal_space = RULES.layer("PAD_METAL").min_space_um
    pitch = heater.ports["e2"].dx - heater.ports["e1"].dx
    if pitch - pad_size_um < metal_space:
        raise ValueError(
            f"heater_opening_um={heater_opening_um} um puts the heater contacts {pitch:.1f} um "
            f"apart: the pads (pad_size_um={pad_size_um}) need >= {pad_size_um + metal_space} um"
        )
    for i, port in enumerate(("e1", "e2"), start=1):
        trace_len = snap(pad_bottom - heater.ports[port].dy)  # pad rotated: e1 at its bottom
        if trace_len < MIN_CONNECT_UM:
            need = die_height_um - trace_len + MIN_CONNECT_UM
            raise ValueError(
                f"die_height_um={die_height_um} um is too small for this ring, heater and pads: "
                f"allowed >= {need:.1f} um"
            )
        trace = c.add_ref(sin_metal_straight(length_um=trace_len), name=f"trace_{i}")
        trace.connect("e1", heater.ports[port])
        pad = c.add_ref(pad_c, name=f"pad_{i}")
        pad.connect("e1", trace.ports["e2"])

    c.add_port("o1", port=pump.ports["o1"])
    c.add_port("o2", port=coupler.ports["o1"])
    # the heater's two bond pads: electrical ports at their centres, facing the top die edge
    for i in (1, 2):
        pad = c.insts[f"pad_{i}"]
        c.add_port(
            f"heater_e{i}",
            center=(pad.dbbox().center().x, pad.dbbox().center().y),
            width=pad_size_um,
            orientation=90.0,
            layer=LAYERS["PAD_METAL"],
            port_type="electrical",
        )

    # --- die outline, label, the die-ID box of a mask (both below the bus)
    add_box(c, "DIE", 0, 0, die_width_um, die_height_um)
    label_xy = 2 * DIE_KEEPOUT_UM
    x_id = snap(die_width_um / 2 + DIE_ID_GAP_UM / 2)
    label_box = text_region(die_label, label_xy, label_xy, LABEL_SIZE_UM).bbox()
    room = (x_id - DIE_ID_GAP_UM - label_xy, die_bus_y_um - MIN_CONNECT_UM - label_xy)
    if label_box.width() > to_dbu(room[0]) or label_box.top > to_dbu(label_xy + room[1]):
        raise ValueError(
            f"die_label={die_label!r} is too large: its text spans {label_box.width() / 1000:.0f} x "
            f"{label_box.height() / 1000:.0f} um, allowed {room[0]:.0f} x {room[1]:.0f} um "
            f"below the bus"
        )
    add_text(c, die_label, label_xy, label_xy, LABEL_SIZE_UM, "TEXT")
    # the die-ID box reaches up to the bus less the PAD_METAL-CORE separation
    id_top = snap(die_bus_y_um - w / 2 - die_text.clearance_um("sin"))
    id_box = (x_id, label_xy, die_width_um - label_xy, id_top)
    need_w, need_h = die_text.text_size_um(
        "X" * die_text.DIE_ID_MIN_CHARS, die_text.pixel_um("sin")
    )
    if id_top - label_xy < need_h:
        raise ValueError(
            f"die_bus_y_um={die_bus_y_um} um leaves no room below the bus for a die ID "
            f"({need_h:.0f} um high): allowed >= {die_bus_y_um + need_h - (id_top - label_xy):.1f} um"
        )
    if id_box[2] - id_box[0] < need_w:
        raise ValueError(
            f"die_width_um={die_width_um} um leaves no room below the bus for a die ID "
            f"({need_w:.0f} um wide)"
        )
    die_text.check_free(c, "sin", id_box, "die-ID")

    r = ring_c.info
    c.info.update(
        dict(
            die_size_um=[die_width_um, die_height_um],
            ring_length_um=r["length_um"],
            ring_n_eff=r["n_eff"],
            ring_n_g=r["n_g"],
            ring_beta2_ps2_per_km=r["beta2_ps2_per_km"],
            ring_a_eff_um2=r["a_eff_um2"],
            ring_kerr_core_fraction=r["kerr_core_fraction"],
            ring_loss_db_per_m=r["loss_db_per_m"],
            ring_fsr_ghz=r["fsr_ghz"],
            ring_kappa_per_um=r["kappa_per_um"],
            ring_power_coupling=r["power_coupling"],
            heater_resistance_ohm=heater_c.info["resistance_ohm"],
            pump_air_gap_um=pump_c.info["air_gap_um"],
            die_label=die_label,
            die_id_box_um=list(id_box),
        )
    )
    return c


def _ring_center_y(ring_c: gf.Component) -> float:
    """Ring centre above the bus centre line, from the ring cell's own settings."""
    from qkdchip.components.sin.ring import ring_center_y_um

    i = ring_c.info
    return ring_center_y_um(i["radius_um"], i["width_um"], i["gap_um"])
