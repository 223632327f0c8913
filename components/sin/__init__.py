"""Si3N4 building blocks of the server (microcomb) chip: parametric ``@gf.cell`` functions.

Every cell name starts with ``sin_`` (gdsfactory caches cells by name across PDKs), every numeric
parameter has a unit in its name and a range declared with :func:`qkdchip.base.params.checked`, and the
numbers a model needs are in ``c.info``. Optical ports o1, o2, ...; electrical ports e1, ...
Build them inside ``qkdchip.pdk.use_pdk("sin")``. The waveguide cells also take gdsfactory's
keywords (``cross_section``, ``length``, ``width``, ``radius``) and answer gdsfactory's routers
(:mod:`qkdchip.components.sin.routing`).
"""

from __future__ import annotations

from qkdchip.components.sin.facets import sin_edge_coupler, sin_pump_facet
from qkdchip.components.sin.pads import sin_metal_straight, sin_pad
from qkdchip.components.sin.ring import sin_ring_bus, sin_ring_heater
from qkdchip.components.sin.waveguides import sin_bend_euler, sin_straight, sin_taper

#: name -> cell function, registered in the Si3N4 ``gf.Pdk``.
CELLS = {
    f.__name__: f
    for f in (
        sin_straight,
        sin_taper,
        sin_bend_euler,
        sin_ring_bus,
        sin_ring_heater,
        sin_edge_coupler,
        sin_pump_facet,
        sin_pad,
        sin_metal_straight,
    )
}

__all__ = [*CELLS, "CELLS"]
