"""Routing on the InP process: the cells gdsfactory's routers ask for, and routing presets.

With the PDK active (``with qkdchip.pdk.use_pdk("inp"):``), gdsfactory's own routers place this
process's cells (see :mod:`qkdchip.components.routing` for the mechanism and why the generic
PDK is not a base):

* ``"straight"`` -> :func:`~qkdchip.components.inp.waveguides.inp_straight`;
* ``"bend_euler"`` -> :func:`~qkdchip.components.inp.waveguides.inp_bend_euler` (floorplan radius
  = the cross-section's radius; smallest curvature radius >= its radius_min: ``inp_deep`` 150 um
  -> 106 um >= 100 um, ``inp_shallow`` 600 um -> 500 um with a reduced Euler fraction);
* ``"bend_circular"`` -> :func:`~qkdchip.components.inp.waveguides.inp_bend_circular`
  (``bend="bend_circular"``: constant radius);
* the deep-to-shallow ``layer_transitions`` -> ``inp_taper_deep_shallow`` (a route on
  ``inp_deep`` from a shallow port, or the reverse, gets the transition; gdsfactory's
  ``auto_taper``).

Presets (cspdk style): :data:`route_single_deep`, :data:`route_bundle_deep`,
:data:`route_single_shallow`, :data:`route_bundle_shallow`; the PDK's ``routing_strategies``
(gdsfactory's YAML netlists) routes bundles on ``inp_deep``. Every routed cell has its sax model
in ``PDK.models``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import gdsfactory as gf

from qkdchip.components.inp.waveguides import inp_bend_circular, inp_bend_euler, inp_straight

#: gdsfactory's cell name -> the InP cell registered under it in the PDK.
ROUTING_CELLS = {
    "straight": inp_straight,
    "bend_euler": inp_bend_euler,
    "bend_circular": inp_bend_circular,
}

#: ``gf.routing.route_single`` / ``route_bundle`` on the deep ridge (routing, MMIs, modulators).
route_single_deep = partial(gf.routing.route_single, cross_section="inp_deep")
route_bundle_deep = partial(gf.routing.route_bundle, cross_section="inp_deep")
#: ... and on the shallow ridge (laser, VOA, facet side; radius_min 500 um).
route_single_shallow = partial(gf.routing.route_single, cross_section="inp_shallow")
route_bundle_shallow = partial(gf.routing.route_bundle, cross_section="inp_shallow")

#: The PDK's ``routing_strategies`` (gdsfactory YAML netlists: ``routing_strategy: ...``).
ROUTING_STRATEGIES = {
    "route_bundle": route_bundle_deep,
    "route_bundle_deep": route_bundle_deep,
    "route_bundle_shallow": route_bundle_shallow,
}


def layer_transitions() -> dict[Any, str]:
    """The PDK's ``layer_transitions``: deep <-> shallow ridge by ``inp_taper_deep_shallow``."""
    from qkdchip.pdk.inp.tech import LAYER

    return {(LAYER.WG_DEEP, LAYER.WG_SHALLOW): "inp_taper_deep_shallow"}


__all__ = [
    "ROUTING_CELLS",
    "ROUTING_STRATEGIES",
    "layer_transitions",
    "route_bundle_deep",
    "route_bundle_shallow",
    "route_single_deep",
    "route_single_shallow",
]
