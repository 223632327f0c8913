"""Variable optical attenuator: a reverse-biased electro-absorption section (generic InP).

Mechanism (``PROCESS.voa_mechanism``): a length of MQW active material on the shallow ridge, never
forward biased. At zero bias its residual absorption is ``PROCESS.voa_loss_dB_per_mm``; reverse
bias red-shifts the excitonic absorption edge (quantum-confined Stark effect, Miller et al.,
Phys. Rev. B 32, 1043 (1985)) and adds up to ``PROCESS.voa_absorption_dB_per_mm`` at
``-PROCESS.voa_max_reverse_bias_V``. The attenuation range therefore scales with the length:
A_max = voa_absorption_dB_per_mm x L (60 dB/mm x 0.4 mm = 24 dB by default; generic VOAs offer
10-40 dB). Unlike a forward-biased SOA used as an absorber it adds no spontaneous-emission noise
photons, which matters at the single-photon output of a QKD transmitter.
"""

from __future__ import annotations

import gdsfactory as gf

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
from qkdchip.components.inp.laser import ACTIVE_HALF_WIDTH_UM
from qkdchip.pdk.inp.process import PROCESS


@gf.cell
@checked(length_um=Range(100.0, 1000.0, "um", "absorber (electrode) length of the VOA"))
def inp_voa(length_um: float = 400.0) -> gf.Component:
    """Electro-absorption VOA: deep-to-shallow transition, isolated MQW absorber section with
    p-contact, shallow-to-deep transition. Ports o1 (west), o2 (east); e1 signal (p, reverse
    bias), e2 ground (n), tabs facing -y.
    ``c.info``: length_um, max_attenuation_dB, insertion_loss_dB (at 0 V, incl. transitions),
    max_reverse_bias_V, mechanism, path_length_um.
    """
    shallow = xs_spec("inp_shallow")
    length_um = snap(length_um)
    lt = TRANSITION_LENGTH_UM
    end = el.SECTION_END_UM
    xa0 = lt + end
    xa1 = xa0 + length_um
    x_out = xa1 + end + lt
    c = gf.Component()
    add_transition(c, (0.0, 0.0), 0.0, lt)
    add_transition(c, (x_out, 0.0), 180.0, lt)
    hw = shallow.width_um / 2
    add_boxes(c, shallow.layer, [box(lt, -hw, x_out - lt, hw)])
    add_boxes(c, "ACTIVE", [box(xa0, -ACTIVE_HALF_WIDTH_UM, xa1, ACTIVE_HALF_WIDTH_UM)])
    add_boxes(
        c,
        "ISO",
        [
            el.iso_box(xa0 - el.ISO_LENGTH_UM, xa0, 0.0),
            el.iso_box(xa1, xa1 + el.ISO_LENGTH_UM, 0.0),
        ],
    )
    pbox, cover = el.p_contact(xa0, xa1, 0.0)
    yn = el.NCONTACT_OFFSET_UM
    nbox, ncover = el.n_contact(xa0, xa1, yn)
    xs = (xa0 + xa1) / 2
    xg = xa1 + el.TRACE_CLEARANCE_UM
    y_tab = -el.TAB_DEPTH_UM
    add_boxes(c, "PMETAL", [pbox])
    add_boxes(c, "NMETAL", [nbox])
    add_boxes(
        c,
        "RFMETAL",
        [
            cover,
            el.vtrace(xs, y_tab, -el.cover_half_width()),
            ncover,
            el.htrace(yn, xa1, xg + el.TRACE_WIDTH_UM / 2),
            el.vtrace(xg, y_tab, yn + el.n_cover_half_width()),
        ],
    )
    merge_shapes(c)
    add_port(c, "o1", 0, 0, 180, "inp_deep")
    add_port(c, "o2", x_out, 0, 0, "inp_deep")
    add_port(c, "e1", xs, y_tab, 270, "inp_metal")
    add_port(c, "e2", xg, y_tab, 270, "inp_metal")
    c.info["length_um"] = snap(length_um)
    c.info["max_attenuation_dB"] = round(PROCESS.voa_absorption_dB_per_mm * length_um * 1e-3, 6)
    c.info["insertion_loss_dB"] = round(
        PROCESS.voa_loss_dB_per_mm * length_um * 1e-3
        + 2 * PROCESS.transition_loss_dB
        + PROCESS.shallow_loss_dB_per_cm * (x_out - 2 * lt - length_um) * 1e-4,
        6,
    )
    c.info["max_reverse_bias_V"] = PROCESS.voa_max_reverse_bias_V
    c.info["mechanism"] = "electro-absorption (QCSE), reverse biased"
    c.info["path_length_um"] = snap(x_out)
    c.info["electrodes"] = ["e1:signal", "e2:ground"]
    return c
