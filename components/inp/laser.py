"""Generic InP DBR laser: rear DBR - gain - phase - front DBR on the shallow ridge.

Cavity physics (Coldren, Corzine & Mashanovitch, *Diode Lasers and Photonic Integrated Circuits*,
2nd ed., ch. 3 and 6): each DBR of length L_g and coupling kappa (``PROCESS.dbr_kappa_per_cm``)
reflects R = tanh^2(kappa L_g) at the Bragg wavelength (grating period lambda / 2 n_eff) with an
effective penetration depth L_pen = tanh(kappa L_g) / (2 kappa). The effective cavity length is
L_eff = L_pen,rear + L_gain + L_phase + 3 L_iso + L_pen,front, the longitudinal mode spacing
c / (2 n_g L_eff) and the cavity round-trip time tau_in = 2 n_g L_eff / c (the tau_in of the Adler
injection-locking equation). Gain current sets the power, the phase-section current tunes the
mode within the DBR stop band, DBR currents tune the Bragg wavelength (carrier-induced index).

Light is emitted through both mirrors: the front (output, lower-R) mirror feeds the modulator
chain; the rear mirror (port o1) is the injection port through which the comb line locks the
laser (k_c = (1 - R_rear) / (tau_in sqrt(R_rear))).
"""

from __future__ import annotations

import gdsfactory as gf
from scipy.constants import c as C_M_PER_S

from qkdchip.base.params import Range, checked
from qkdchip.components._geometry import merge_shapes
from qkdchip.components.inp import electrodes as el
from qkdchip.components.inp._geometry import (
    TRANSITION_LENGTH_UM,
    add_boxes,
    add_port,
    add_transition,
    box,
    snap,
    xs_spec,
)
from qkdchip.pdk.inp.process import PROCESS

#: Isolation gap between laser sections (um): the implant plus the contact set-back.
LASER_ISO_UM = 20.0
#: Half width of the ACTIVE (MQW) and DBR regions around the shallow ridge (um).
ACTIVE_HALF_WIDTH_UM = 5.0
DBR_HALF_WIDTH_UM = 4.0


@gf.cell
@checked(
    gain_length_um=Range(200.0, 1500.0, "um", "gain (SOA) section length"),
    phase_length_um=Range(50.0, 500.0, "um", "phase section length"),
    front_dbr_length_um=Range(20.0, 400.0, "um", "front (output) DBR length"),
    rear_dbr_length_um=Range(20.0, 800.0, "um", "rear (injection-side) DBR length"),
)
def inp_dbr_laser(
    gain_length_um: float = 600.0,
    phase_length_um: float = 150.0,
    front_dbr_length_um: float = 50.0,
    rear_dbr_length_um: float = 70.0,
) -> gf.Component:
    """DBR laser with four independently contacted sections and a common n-contact.

    Layout (west -> east): o1 (deep, rear/injection port), deep-to-shallow transition, rear DBR,
    gain (ACTIVE), phase, front DBR, shallow-to-deep transition, o2 (deep, output). Isolation
    implants separate the sections. Electrodes (tabs facing -y): e1 rear DBR, e2 gain, e3 phase,
    e4 front DBR, e5 common n-contact (ground).
    ``c.info``: section lengths, bragg_period_nm, front/rear_reflectivity, cavity_length_um
    (effective), mode_spacing_GHz, round_trip_time_ps, group_index, output_power_mW,
    linewidth_MHz, henry_factor, injection_port ('o1').
    """
    shallow = xs_spec("inp_shallow")
    gain_length_um, phase_length_um = snap(gain_length_um), snap(phase_length_um)
    front_dbr_length_um, rear_dbr_length_um = snap(front_dbr_length_um), snap(rear_dbr_length_um)
    lt = TRANSITION_LENGTH_UM
    iso = LASER_ISO_UM
    sections = [
        ("rear_dbr", rear_dbr_length_um),
        ("gain", gain_length_um),
        ("phase", phase_length_um),
        ("front_dbr", front_dbr_length_um),
    ]
    c = gf.Component()
    x = lt
    spans: dict[str, tuple[float, float]] = {}
    for i, (name, length) in enumerate(sections):
        if i:
            x += iso
        spans[name] = (x, x + length)
        x += length
    x_front_end = x
    x_out = x_front_end + lt

    # Waveguide: transitions at both ends, one shallow ridge in between.
    add_transition(c, (0.0, 0.0), 0.0, lt)
    add_transition(c, (x_out, 0.0), 180.0, lt)
    hw = shallow.width_um / 2
    add_boxes(c, shallow.layer, [box(lt, -hw, x_front_end, hw)])

    pm, rf, iso_boxes = [], [], []
    for i, (name, _) in enumerate(sections):
        x0, x1 = spans[name]
        p, cover = el.p_contact(x0, x1, 0.0)
        pm.append(p)
        rf.append(cover)
        rf.append(el.vtrace((x0 + x1) / 2, -el.TAB_DEPTH_UM, -el.cover_half_width()))
        if i:
            iso_boxes.append(el.iso_box(x0 - iso, x0, 0.0))
    g0, g1 = spans["gain"]
    add_boxes(c, "ACTIVE", [box(g0, -ACTIVE_HALF_WIDTH_UM, g1, ACTIVE_HALF_WIDTH_UM)])
    dbr = [
        box(spans[n][0], -DBR_HALF_WIDTH_UM, spans[n][1], DBR_HALF_WIDTH_UM)
        for n in ("rear_dbr", "front_dbr")
    ]
    add_boxes(c, "DBR", dbr)
    add_boxes(c, "ISO", iso_boxes)

    # Common n-contact north of the ridge; its ground trace crosses the output transition.
    yn = el.NCONTACT_OFFSET_UM
    nbox, ncover = el.n_contact(spans["rear_dbr"][0], x_front_end, yn)
    xg = x_front_end + el.TRACE_CLEARANCE_UM
    rf += [
        ncover,
        el.htrace(yn, x_front_end, xg + el.TRACE_WIDTH_UM / 2),
        el.vtrace(xg, -el.TAB_DEPTH_UM, yn + el.n_cover_half_width()),
    ]
    add_boxes(c, "NMETAL", [nbox])
    add_boxes(c, "PMETAL", pm)
    add_boxes(c, "RFMETAL", rf)
    merge_shapes(c)

    add_port(c, "o1", 0, 0, 180, "inp_deep")
    add_port(c, "o2", x_out, 0, 0, "inp_deep")
    for i, (name, _) in enumerate(sections):
        x0, x1 = spans[name]
        add_port(c, f"e{i + 1}", (x0 + x1) / 2, -el.TAB_DEPTH_UM, 270, "inp_metal")
    add_port(c, "e5", xg, -el.TAB_DEPTH_UM, 270, "inp_metal")

    r_front = PROCESS.dbr_reflectivity(front_dbr_length_um)
    r_rear = PROCESS.dbr_reflectivity(rear_dbr_length_um)
    l_eff = (
        PROCESS.dbr_penetration_um(rear_dbr_length_um)
        + gain_length_um
        + phase_length_um
        + 3 * iso
        + PROCESS.dbr_penetration_um(front_dbr_length_um)
    )
    ng = PROCESS.shallow_ng
    c.info["gain_length_um"] = gain_length_um
    c.info["phase_length_um"] = phase_length_um
    c.info["front_dbr_length_um"] = front_dbr_length_um
    c.info["rear_dbr_length_um"] = rear_dbr_length_um
    c.info["isolation_length_um"] = iso
    c.info["bragg_period_nm"] = round(PROCESS.bragg_period_nm(), 4)
    c.info["front_reflectivity"] = round(r_front, 6)
    c.info["rear_reflectivity"] = round(r_rear, 6)
    c.info["cavity_length_um"] = round(l_eff, 3)
    c.info["group_index"] = ng
    c.info["mode_spacing_GHz"] = round(C_M_PER_S / (2 * ng * l_eff * 1e-6) * 1e-9, 4)
    c.info["round_trip_time_ps"] = round(2 * ng * l_eff * 1e-6 / C_M_PER_S * 1e12, 4)
    c.info["output_power_mW"] = PROCESS.laser_power_mW
    c.info["linewidth_MHz"] = PROCESS.laser_linewidth_MHz
    c.info["henry_factor"] = PROCESS.henry_factor
    c.info["injection_port"] = "o1"
    c.info["electrodes"] = ["e1:rear_dbr", "e2:gain", "e3:phase", "e4:front_dbr", "e5:ground"]
    c.info["path_length_um"] = snap(x_out)
    return c
