"""Deep-etched multimode-interference (MMI) couplers, 1x2 and 2x2, designed by self-imaging.

Self-imaging (Soldano & Pennings, J. Lightwave Technol. 13, 615 (1995)): with the beat length
L_pi = 4 n_r W_e^2 / (3 lambda) (``PROCESS.mmi_beat_length_um``),

* 1x2 splitter, symmetric interference (centred input): two-fold images at L = 3 L_pi / 8,
  outputs at y = +-W/4;
* 2x2 3-dB coupler, general interference: two-fold images at L = 3 L_pi / 2, ports at +-W/4.

``length_um=None`` (default) computes that length from the process constants; a number overrides
it (e.g. a length calibrated on fabricated devices). Access tapers widen the ``inp_deep`` ridge to
``taper_width_um`` at the MMI body, keeping the deep trench between neighbouring tapers >= the
WG_DEEP min space. ``c.info``: width_um, length_um, beat_length_um, split_ratio (nominal power
fraction to the upper output, 0.5), excess_loss_dB (``PROCESS.mmi_excess_loss_dB``).
"""

from __future__ import annotations

import gdsfactory as gf

from qkdchip.base.params import Range, checked
from qkdchip.components.inp._geometry import (
    add_polygon,
    add_port,
    snap,
    snap2,
    taper_polygon,
    xs_spec,
)
from qkdchip.pdk.inp.design_rules import RULES
from qkdchip.pdk.inp.layers import XSECTIONS
from qkdchip.pdk.inp.process import PROCESS

#: access taper width at the body: from the ``inp_deep`` ridge width up
_TAPER_W = Range(
    XSECTIONS["inp_deep"].width_um, 3.0, "um", "width of the access tapers at the MMI body"
)
_TAPER_L = Range(10.0, 100.0, "um", "length of the access tapers")


def _check_port_gap(width_um: float, taper_width_um: float, n_ports_per_side: int) -> None:
    if n_ports_per_side < 2:
        return
    gap = width_um / 2 - taper_width_um  # ports at +-W/4
    min_space = RULES.layer("WG_DEEP").min_space_um
    if gap < min_space:
        raise ValueError(
            f"width_um={width_um} leaves a {gap:.3f} um trench between the {taper_width_um} um "
            f"access tapers: need width_um >= {2 * (taper_width_um + min_space)} um"
        )


def _mmi(
    width_um: float,
    length_um: float,
    taper_width_um: float,
    taper_length_um: float,
    west: list[float],
    east: list[float],
) -> gf.Component:
    """MMI body [0, L] x [-W/2, W/2] with access tapers; ports named CCW from west-bottom."""
    spec = xs_spec("inp_deep")
    c = gf.Component()
    w_wg = spec.width_um
    add_polygon(
        c,
        [
            (0, -width_um / 2),
            (length_um, -width_um / 2),
            (length_um, width_um / 2),
            (0, width_um / 2),
        ],
        spec.layer,
    )
    for y in west:
        add_polygon(
            c, taper_polygon((0.0, y), 180.0, taper_length_um, taper_width_um, w_wg), spec.layer
        )
    for y in east:
        add_polygon(
            c, taper_polygon((length_um, y), 0.0, taper_length_um, taper_width_um, w_wg), spec.layer
        )
    # Port names counter-clockwise from west-bottom (gdsfactory convention).
    n = 1
    for y in sorted(west):
        add_port(c, f"o{n}", -taper_length_um, y, 180, "inp_deep")
        n += 1
    for y in sorted(east, reverse=True):
        add_port(c, f"o{n}", length_um + taper_length_um, y, 0, "inp_deep")
        n += 1
    c.info["width_um"] = width_um
    c.info["length_um"] = snap(length_um)
    c.info["taper_length_um"] = taper_length_um
    c.info["excess_loss_dB"] = PROCESS.mmi_excess_loss_dB
    c.info["split_ratio"] = 0.5
    return c


@gf.cell
@checked(
    width_um=Range(4.0, 20.0, "um", "MMI body width"),
    length_um=Range(10.0, 1000.0, "um", "MMI body length (None: 3 L_pi / 8)"),
    taper_width_um=_TAPER_W,
    taper_length_um=_TAPER_L,
)
def inp_mmi1x2(
    width_um: float = 7.0,
    length_um: float | None = None,
    taper_width_um: float = 2.0,
    taper_length_um: float = 25.0,
) -> gf.Component:
    """1x2 MMI splitter: o1 west (centre); o2 east-top (+W/4), o3 east-bottom (-W/4)."""
    width_um, taper_width_um = snap2(width_um), snap2(taper_width_um)
    _check_port_gap(width_um, taper_width_um, 2)
    beat = PROCESS.mmi_beat_length_um(width_um)
    length = snap(3.0 * beat / 8.0 if length_um is None else length_um)
    q = snap(width_um / 4)
    c = _mmi(width_um, length, taper_width_um, snap(taper_length_um), [0.0], [q, -q])
    c.info["beat_length_um"] = snap(beat)
    return c


@gf.cell
@checked(
    width_um=Range(4.0, 20.0, "um", "MMI body width"),
    length_um=Range(10.0, 2000.0, "um", "MMI body length (None: 3 L_pi / 2)"),
    taper_width_um=_TAPER_W,
    taper_length_um=_TAPER_L,
)
def inp_mmi2x2(
    width_um: float = 7.0,
    length_um: float | None = None,
    taper_width_um: float = 2.0,
    taper_length_um: float = 25.0,
) -> gf.Component:
    """2x2 MMI 3-dB coupler (general interference): o1 west-bottom, o2 west-top, o3 east-top,
    o4 east-bottom; ports at +-W/4."""
    width_um, taper_width_um = snap2(width_um), snap2(taper_width_um)
    _check_port_gap(width_um, taper_width_um, 2)
    beat = PROCESS.mmi_beat_length_um(width_um)
    length = snap(1.5 * beat if length_um is None else length_um)
    q = snap(width_um / 4)
    c = _mmi(width_um, length, taper_width_um, snap(taper_length_um), [-q, q], [q, -q])
    c.info["beat_length_um"] = snap(beat)
    return c
