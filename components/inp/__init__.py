"""InP building blocks of the client (transmitter) chip: parametric ``@gf.cell`` functions.

Every cell name starts with ``inp_`` (gdsfactory caches cells by name across PDKs), every numeric
parameter has a unit in its name and a range declared with :func:`qkdchip.base.params.checked`, and the
numbers a model needs are in ``c.info``. Optical ports o1, o2, ...; electrical ports e1, ...
Build them inside ``qkdchip.pdk.use_pdk("inp")``. The waveguide cells also take gdsfactory's
keywords (``cross_section`` as a ``gf.CrossSection``, ``length``, ``radius``) and answer
gdsfactory's routers (:mod:`qkdchip.components.inp.routing`).
"""

from __future__ import annotations

from qkdchip.components.inp.facet import inp_facet_ssc
from qkdchip.components.inp.laser import inp_dbr_laser
from qkdchip.components.inp.mmi import inp_mmi1x2, inp_mmi2x2
from qkdchip.components.inp.modulators import inp_eo_section, inp_mzm, inp_phase_modulator
from qkdchip.components.inp.pads import inp_pad_dc, inp_pad_rf, inp_wire, route_to_edge_pads
from qkdchip.components.inp.voa import inp_voa
from qkdchip.components.inp.waveguides import (
    inp_bend_circular,
    inp_bend_euler,
    inp_bend_s,
    inp_straight,
    inp_taper_deep_shallow,
)

#: name -> cell function, registered in the InP ``gf.Pdk``.
CELLS = {
    f.__name__: f
    for f in (
        inp_straight,
        inp_bend_circular,
        inp_bend_euler,
        inp_bend_s,
        inp_taper_deep_shallow,
        inp_mmi1x2,
        inp_mmi2x2,
        inp_eo_section,
        inp_phase_modulator,
        inp_mzm,
        inp_dbr_laser,
        inp_voa,
        inp_facet_ssc,
        inp_pad_dc,
        inp_pad_rf,
        inp_wire,
    )
}

__all__ = [*CELLS, "CELLS", "route_to_edge_pads"]
