"""Electro-optic InP modulators: EO section, phase modulator, Mach-Zehnder intensity modulator.

Physics (generic InP, reverse-biased p-i-n on the deep-etched ridge; linear Pockels plus
quadratic electro-refraction): the optical phase of a section of electrode length L under a
reverse bias V is phi = pi V / V_pi with V_pi = (V_pi L) / L, ``PROCESS.eo_vpi_l_V_mm``. The doped
section adds ``PROCESS.eo_loss_dB_per_mm`` per mm.

Mach-Zehnder (1x2 MMI splitter with power ratio k1 to the upper arm, push-pull arms of amplitude
transmission t1, t2, 1x2 MMI combiner with ratio k2): the output field is
E_out = sqrt(k1 k2) t1 e^{i phi1} + sqrt((1-k1)(1-k2)) t2 e^{i phi2}, so the extinction ratio is
ER = ((A + B)/(A - B))^2 with A = sqrt(k1 k2) t1, B = sqrt((1-k1)(1-k2)) t2 (a 52/48 splitter
with an ideal combiner gives 34 dB). ``split_ratio``/``combine_ratio`` are these k1, k2: the
drawn MMIs are the nominal symmetric (50:50) self-imaging design, and the ratios are the
as-fabricated imbalance the model must use (generic MMIs are 50:50 within a few per cent).
"""

from __future__ import annotations

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.inp import electrodes as el
from qkdchip.components.inp._geometry import (
    add_boxes,
    add_polygon,
    add_port,
    snap,
    snap2,
    xs_spec,
)
from qkdchip.components.inp.mmi import inp_mmi1x2
from qkdchip.components.inp.waveguides import BEND_RADIUS, inp_bend_s
from qkdchip.pdk.inp.process import PROCESS

#: Electrode length range of every EO section (um).
EO_LENGTH = Range(100.0, 3000.0, "um", "electrode length of the EO phase shifter")


def _vpi(length_um: float) -> float:
    return PROCESS.eo_vpi_l_V_mm / (length_um * 1e-3)


@gf.cell
@checked(length_um=EO_LENGTH)
def inp_eo_section(length_um: float = 1000.0) -> gf.Component:
    """Bare EO phase-shifter section on the deep ridge (the arm of a modulator).

    Layout along x: ``SECTION_END_UM`` passive end with isolation implant, the p-contact electrode
    of ``length_um`` with its RFMETAL cover, the same end again. Ports: o1 (west), o2 (east).
    The n-contact and the tabs (electrical ports) belong to the enclosing modulator, which
    contacts the cover where its topology allows (see ``inp_phase_modulator``, ``inp_mzm``).
    """
    spec = xs_spec("inp_deep")
    length_um = snap(length_um)
    end = el.SECTION_END_UM
    total = length_um + 2 * end
    x0, x1 = end, end + length_um
    c = gf.Component()
    w = spec.width_um
    add_polygon(c, [(0, -w / 2), (total, -w / 2), (total, w / 2), (0, w / 2)], spec.layer)
    pm, cover = el.p_contact(x0, x1, 0.0)
    add_boxes(c, "PMETAL", [pm])
    add_boxes(c, "RFMETAL", [cover])
    add_boxes(
        c,
        "ISO",
        [el.iso_box(x0 - el.ISO_LENGTH_UM, x0, 0), el.iso_box(x1, x1 + el.ISO_LENGTH_UM, 0)],
    )
    add_port(c, "o1", 0, 0, 180, "inp_deep")
    add_port(c, "o2", total, 0, 0, "inp_deep")
    c.info["length_um"] = snap(length_um)
    c.info["path_length_um"] = snap(total)
    c.info["vpi_V"] = round(_vpi(length_um), 6)
    c.info["insertion_loss_dB"] = round(
        PROCESS.eo_loss_dB_per_mm * length_um * 1e-3 + PROCESS.deep_loss_dB_per_cm * 2 * end * 1e-4,
        6,
    )
    return c


@gf.cell
@checked(length_um=EO_LENGTH)
def inp_phase_modulator(length_um: float = 900.0) -> gf.Component:
    """Electro-optic phase modulator: an EO section with its n-contact and two tabs.

    Ports: o1 (west), o2 (east); e1 signal (p-contact) and e2 ground (n-contact), both facing -y
    at ``TAB_DEPTH_UM`` below the ridge. The n-contact runs north of the ridge; its ground trace
    crosses the ridge over the trailing isolation implant.
    ``c.info``: length_um (electrode), path_length_um, vpi_V = V_pi L / L, insertion_loss_dB.
    """
    length_um = snap(length_um)
    c = gf.Component()
    sec = c.add_ref(inp_eo_section(length_um=length_um), name="section")
    end = el.SECTION_END_UM
    x0, x1 = end, end + length_um
    y_tab = -el.TAB_DEPTH_UM
    yn = el.NCONTACT_OFFSET_UM
    nbox, ncover = el.n_contact(x0, x1, yn)
    xg = x1 + el.TRACE_CLEARANCE_UM
    hw_n = el.n_cover_half_width()
    xs = (x0 + x1) / 2
    metal = [
        ncover,
        el.htrace(yn, x1, xg + el.TRACE_WIDTH_UM / 2),  # n-strip -> ground trace
        el.vtrace(xg, y_tab, yn + hw_n),
        el.vtrace(xs, y_tab, -el.cover_half_width()),  # signal tab
    ]
    add_boxes(c, "NMETAL", [nbox])
    add_boxes(c, "RFMETAL", metal)
    c.add_port("o1", port=sec.ports["o1"])
    c.add_port("o2", port=sec.ports["o2"])
    add_port(c, "e1", xs, y_tab, 270, "inp_metal")
    add_port(c, "e2", xg, y_tab, 270, "inp_metal")
    info = inp_eo_section(length_um=length_um).info
    for key in ("length_um", "path_length_um", "vpi_V", "insertion_loss_dB"):
        c.info[key] = info[key]
    c.info["electrodes"] = ["e1:signal", "e2:ground"]
    return c


@gf.cell
@checked(
    length_um=EO_LENGTH,
    arm_spacing_um=Range(40.0, 200.0, "um", "centre-to-centre distance of the two arms"),
    split_ratio=Range(0.3, 0.7, "", "power fraction of the input MMI into the upper arm (k1)"),
    combine_ratio=Range(0.3, 0.7, "", "power fraction of the output MMI from the upper arm (k2)"),
    bend_radius_um=BEND_RADIUS,
)
def inp_mzm(
    length_um: float = 800.0,
    arm_spacing_um: float = 50.0,
    split_ratio: float = 0.52,
    combine_ratio: float = 0.5,
    bend_radius_um: float | None = None,
) -> gf.Component:
    """Mach-Zehnder intensity modulator with push-pull EO arms between two 1x2 MMIs.

    Built from instances connected port to port (``mmi_in`` -> ``sbend_*_in`` -> ``arm_top`` /
    ``arm_bot`` -> ``sbend_*_out`` -> ``mmi_out``), so ``get_netlist()`` is the interferometer.
    Electrodes: e1 upper-arm signal, e2 lower-arm signal, e3 common ground (n-contact between the
    arms), all tabs facing -y. ``split_ratio``/``combine_ratio`` (k1, k2) are model numbers, see
    the module docstring; the default 0.52 / 0.5 gives a 34 dB extinction ratio.
    ``c.info``: length_um, arm_spacing_um, split_ratio, combine_ratio, vpi_arm_V (one arm),
    vpi_push_pull_V (amplitude on each arm, +-V, for a pi change of the phase difference),
    path_length_um, insertion_loss_dB (both MMIs, bends and arm, at maximum transmission).
    """
    length_um, arm_spacing_um = snap(length_um), snap2(arm_spacing_um)
    c = gf.Component()
    mmi = inp_mmi1x2()
    mmi_in = c.add_ref(mmi, name="mmi_in")
    mmi_in.dmove((-mmi_in.ports["o1"].dx, -mmi_in.ports["o1"].dy))
    y_port = mmi.ports["o2"].dy
    dy = arm_spacing_um / 2 - y_port
    sb_up = inp_bend_s(dy_um=snap(dy), radius_um=bend_radius_um)
    sb_dn = inp_bend_s(dy_um=-snap(dy), radius_um=bend_radius_um)
    arm = inp_eo_section(length_um=length_um)

    s1 = c.add_ref(sb_up, name="sbend_top_in")
    s1.connect("o1", mmi_in.ports["o2"])
    a1 = c.add_ref(arm, name="arm_top")
    a1.connect("o1", s1.ports["o2"])
    s2 = c.add_ref(sb_dn, name="sbend_top_out")
    s2.connect("o1", a1.ports["o2"])

    s3 = c.add_ref(sb_dn, name="sbend_bot_in")
    s3.connect("o1", mmi_in.ports["o3"])
    a2 = c.add_ref(arm, name="arm_bot")
    a2.connect("o1", s3.ports["o2"])
    s4 = c.add_ref(sb_up, name="sbend_bot_out")
    s4.connect("o1", a2.ports["o2"])

    mmi_out = c.add_ref(mmi, name="mmi_out")
    mmi_out.connect("o3", s2.ports["o2"])  # rotated 180 deg: its o3 faces the upper arm
    if abs(mmi_out.ports["o2"].dy - s4.ports["o2"].dy) > 1e-3:
        raise RuntimeError("inp_mzm: arms do not close on the output MMI")

    # Electrodes (cell coordinates): arms at +-ya, electrode from xe0 to xe1.
    ya = a1.ports["o1"].dy
    end = el.SECTION_END_UM
    xe0 = a1.ports["o1"].dx + end
    xe1 = xe0 + length_um
    y_tab = -ya - el.TAB_DEPTH_UM
    hw = el.cover_half_width()
    x_s1 = xe0 - el.TRACE_CLEARANCE_UM
    x_g = xe1 + el.TRACE_CLEARANCE_UM
    x_s2 = (xe0 + xe1) / 2
    nbox, ncover = el.n_contact(xe0, xe1, 0.0)
    metal = [
        el.htrace(ya, x_s1 - el.TRACE_WIDTH_UM / 2, xe0),  # upper electrode -> S1 trace
        el.vtrace(x_s1, y_tab, ya + hw),
        el.vtrace(x_s2, y_tab, -ya - hw),  # lower electrode tab
        ncover,
        el.htrace(0.0, xe1, x_g + el.TRACE_WIDTH_UM / 2),  # n-strip -> ground trace
        el.vtrace(x_g, y_tab, el.n_cover_half_width()),
    ]
    add_boxes(c, "NMETAL", [nbox])
    add_boxes(c, "RFMETAL", metal)

    c.add_port("o1", port=mmi_in.ports["o1"])
    c.add_port("o2", port=mmi_out.ports["o1"])
    add_port(c, "e1", x_s1, y_tab, 270, "inp_metal")
    add_port(c, "e2", x_s2, y_tab, 270, "inp_metal")
    add_port(c, "e3", x_g, y_tab, 270, "inp_metal")

    vpi_arm = _vpi(length_um)
    path = (
        2 * (mmi.info["length_um"] + 2 * mmi.info["taper_length_um"])
        + 2 * sb_up.info["length_um"]
        + arm.info["path_length_um"]
    )
    passive = path - length_um
    c.info["length_um"] = snap(length_um)
    c.info["arm_spacing_um"] = arm_spacing_um
    c.info["split_ratio"] = split_ratio
    c.info["combine_ratio"] = combine_ratio
    c.info["vpi_arm_V"] = round(vpi_arm, 6)
    c.info["vpi_push_pull_V"] = round(vpi_arm / 2, 6)
    c.info["path_length_um"] = snap(path)
    c.info["insertion_loss_dB"] = round(
        2 * PROCESS.mmi_excess_loss_dB
        + PROCESS.eo_loss_dB_per_mm * length_um * 1e-3
        + PROCESS.deep_loss_dB_per_cm * passive * 1e-4,
        6,
    )
    c.info["electrodes"] = ["e1:signal_top", "e2:signal_bottom", "e3:ground"]
    return c
