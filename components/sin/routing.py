"""Routing on the Si3N4 process: the cells gdsfactory's routers ask for, and routing presets.

With the PDK active (``with qkdchip.pdk.use_pdk("sin"):``), gdsfactory's own routers place this
process's cells (see :mod:`qkdchip.components.routing` for the mechanism and why the generic
PDK is not a base):

* ``"straight"`` -> :func:`~qkdchip.components.sin.waveguides.sin_straight`;
* ``"bend_euler"`` -> :func:`~qkdchip.components.sin.waveguides.sin_bend_euler` (floorplan
  radius ``xs_sin.radius`` = 600 um, smallest curvature radius 424 um >= radius_min 300 um);
* ``"taper"`` and the ``CORE`` width transition (``layer_transitions``) ->
  :func:`~qkdchip.components.sin.waveguides.sin_taper`.

Presets (cspdk style): :data:`route_single_sin` and :data:`route_bundle_sin` are gdsfactory's
``route_single``/``route_bundle`` on ``xs_sin``; the PDK's ``routing_strategies`` (used by
gdsfactory's YAML netlists) routes bundles on ``xs_sin``::

    from qkdchip.components.sin import sin_edge_coupler, sin_ring_bus
    from qkdchip.components.sin.routing import route_single_sin

    with use_pdk("sin"):
        c = gf.Component()
        ring = c << sin_ring_bus()
        ec = c << sin_edge_coupler()
        ec.move((-3000, 1500))
        route_single_sin(c, ec.ports["o2"], ring.ports["o1"])

Every routed cell has its sax model in ``PDK.models``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import gdsfactory as gf

from qkdchip.components.sin.waveguides import sin_bend_euler, sin_straight, sin_taper

#: gdsfactory's cell name -> the Si3N4 cell registered under it in the PDK.
ROUTING_CELLS = {"straight": sin_straight, "bend_euler": sin_bend_euler, "taper": sin_taper}

#: ``gf.routing.route_single`` on the ``xs_sin`` core.
route_single_sin = partial(gf.routing.route_single, cross_section="xs_sin")
#: ``gf.routing.route_bundle`` on the ``xs_sin`` core.
route_bundle_sin = partial(gf.routing.route_bundle, cross_section="xs_sin")

#: The PDK's ``routing_strategies`` (gdsfactory YAML netlists: ``routing_strategy: ...``).
ROUTING_STRATEGIES = {"route_bundle": route_bundle_sin, "route_bundle_sin": route_bundle_sin}


def layer_transitions() -> dict[Any, str]:
    """The PDK's ``layer_transitions``: a port narrower or wider than the route's core gets a
    ``sin_taper`` (gdsfactory's ``auto_taper``)."""
    from qkdchip.pdk.sin.tech import LAYER

    return {LAYER.CORE: "sin_taper"}


__all__ = [
    "ROUTING_CELLS",
    "ROUTING_STRATEGIES",
    "layer_transitions",
    "route_bundle_sin",
    "route_single_sin",
]
