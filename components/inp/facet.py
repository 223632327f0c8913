"""Angled spot-size-converter (SSC) facet: the chip's fibre interface.

The deep waveguide converts to the shallow ridge, bends by ``angle_deg`` and tapers down to
``tip_width_um`` (a narrowing shallow ridge pushes the mode into the cladding and substrate and
enlarges it towards a lensed/cleaved fibre), then meets the cleaved facet at ``angle_deg`` from
its normal. The angle suppresses the facet reflection coupled back into the guided mode by
several tens of dB (Marcuse, J. Lightwave Technol. 7, 336 (1989)); with the AR coating (ARC
region) the residual reflection is ``PROCESS.facet_reflection_dB``. The beam leaves the facet at
theta_air = asin(n_eff sin(angle)) from the normal (Snell), the tilt at which the fibre is
mounted.

Geometry: o1 (deep) at the origin facing west, bending towards +y; the facet is the vertical line x = ``facet_x_um``
(the rightmost coordinate of the cell), where port o2 faces +x. In a chip the facet line is
placed on the die edge.
"""

from __future__ import annotations

import math

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.inp._geometry import (
    TRANSITION_LENGTH_UM,
    Band,
    add_boxes,
    add_polygon,
    add_port,
    add_transition,
    along,
    box,
    snap,
    snap2,
    xs_spec,
)
from qkdchip.components.inp.waveguides import BEND_RADIUS, bend_radius
from qkdchip.pdk.inp.layers import XSECTIONS
from qkdchip.pdk.inp.process import PROCESS

#: Straight tip between the end of the SSC taper and the facet (cleave tolerance), um.
TIP_STRAIGHT_UM = 10.0
#: Length of the square "foot" that ends the acute side of the angled tip on the facet, um:
#: the outline meets the facet at 90 degrees on both sides (no acute corner; see ``Band``).
FOOT_UM = 2.0
#: AR-coating region: depth from the facet and half height around the exit point, um.
ARC_DEPTH_UM = 20.0
ARC_HALF_HEIGHT_UM = 15.0


@gf.cell
@checked(
    angle_deg=Range(5.0, 12.0, "deg", "angle between the waveguide and the facet normal"),
    taper_length_um=Range(50.0, 500.0, "um", "length of the shallow SSC taper"),
    tip_width_um=Range(
        1.1, XSECTIONS["inp_shallow"].width_um, "um", "shallow ridge width at the facet"
    ),
    bend_radius_um=BEND_RADIUS,
)
def inp_facet_ssc(
    angle_deg: float = 7.0,
    taper_length_um: float = 100.0,
    tip_width_um: float = 1.2,
    bend_radius_um: float | None = None,
) -> gf.Component:
    """Angled SSC output (or input) facet. The bend is on the shallow ridge
    (``bend_radius_um`` >= its 500 um radius_min; default its routing radius).
    ``c.info``: angle_deg, taper_length_um, tip_width_um, bend_radius_um, facet_x_um,
    output_angle_air_deg, coupling_loss_dB, reflection_dB, path_length_um."""
    shallow = xs_spec("inp_shallow")
    radius = bend_radius(bend_radius_um, "inp_shallow", "bend_radius_um")
    tip = snap2(tip_width_um)  # even number of grid steps: centred port
    taper_length_um = snap(taper_length_um)
    lt = TRANSITION_LENGTH_UM
    c = gf.Component()
    add_transition(c, (0.0, 0.0), 0.0, lt)
    band = Band((lt / 2, 0.0), 0.0, shallow.width_um).straight(lt / 2).arc(radius, angle_deg)
    band.straight(taper_length_um, tip)
    p3 = band.p
    a = math.radians(angle_deg)
    x_f = float(math.ceil(p3[0] + TIP_STRAIGHT_UM))
    t = math.tan(a)
    lo = along(p3, angle_deg, 0.0, -tip / 2)
    hi = along(p3, angle_deg, 0.0, tip / 2)

    def y_lo(x: float) -> float:
        return lo[1] + (x - lo[0]) * t

    def y_hi(x: float) -> float:
        return hi[1] + (x - hi[0]) * t

    # The facet cut: obtuse (90 + angle) on the lower side; the upper side, which would meet the
    # facet at 90 - angle, ends with a square foot.
    y_top = snap(y_hi(x_f))
    band.right.append((x_f, y_lo(x_f)))
    band.left += [(x_f - FOOT_UM, y_hi(x_f - FOOT_UM)), (x_f - FOOT_UM, y_top), (x_f, y_top)]
    add_polygon(c, band.polygon(), shallow.layer)
    y_c = (y_lo(x_f) + y_top) / 2
    add_boxes(
        c,
        "ARC",
        [box(x_f - ARC_DEPTH_UM, y_c - ARC_HALF_HEIGHT_UM, x_f, y_c + ARC_HALF_HEIGHT_UM)],
    )
    add_port(c, "o1", 0, 0, 180, "inp_deep")
    add_port(c, "o2", x_f, y_c, 0, "inp_shallow", width_um=tip)
    path = lt + radius * a + taper_length_um + (x_f - p3[0]) / math.cos(a)
    c.info["angle_deg"] = angle_deg
    c.info["taper_length_um"] = taper_length_um
    c.info["tip_width_um"] = snap(tip)
    c.info["bend_radius_um"] = radius
    c.info["facet_x_um"] = x_f
    c.info["output_angle_air_deg"] = round(
        math.degrees(math.asin(PROCESS.shallow_neff * math.sin(a))), 4
    )
    c.info["coupling_loss_dB"] = PROCESS.ssc_loss_dB
    c.info["reflection_dB"] = PROCESS.facet_reflection_dB
    c.info["path_length_um"] = snap(path)
    return c
