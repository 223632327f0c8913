"""gdsfactory objects of the InP process: LayerMap, layer views, cross-sections and the ``gf.Pdk``.

Imported lazily by :mod:`qkdchip.pdk.inp` (importing gdsfactory costs seconds). Building these
objects registers the layer numbers in gdsfactory's layout but activates nothing.
"""

from __future__ import annotations

import functools

import gdsfactory as gf
from gdsfactory.technology import LayerViews
from gdsfactory.technology.layer_map import LayerMap

from qkdchip.pdk._tech import cross_section_factories, layer_map, process_pdk
from qkdchip.pdk._views import layer_views
from qkdchip.pdk.inp.layers import LAYER_DOCS, LAYERS, METAL_LAYERS, XSECTIONS

PDK_NAME = "qkdchip_inp"

LAYER: type[LayerMap] = layer_map("InPLayerMap", LAYERS)
"""Layer enum of the process: ``LAYER.WG_DEEP`` ... (numbers from ``layers.LAYERS``)."""

_COLORS: dict[str, tuple[str, str]] = {
    # name: (fill colour, hatch pattern)
    "WG_DEEP": ("#2a6fdb", "solid"),
    "WG_SHALLOW": ("#7fb3ff", "dotted"),
    "ACTIVE": ("#d62728", "hollow"),
    "DBR": ("#9467bd", "coarsely dotted"),
    "ISO": ("#8c564b", "left-hatched"),
    "PMETAL": ("#ff7f0e", "right-hatched"),
    "NMETAL": ("#2ca02c", "right-hatched"),
    "RFMETAL": ("#e6b800", "dotted"),
    "PADOPEN": ("#000000", "hollow"),
    "ARC": ("#17becf", "solid"),
    "DICING": ("#bbbbbb", "left-hatched"),
    "DIE": ("#7f7f7f", "hollow"),
    "TEXT": ("#000000", "solid"),
}


LAYER_VIEWS: LayerViews = layer_views(
    LAYERS, _COLORS, LAYER_DOCS, transparent=("DIE", "PADOPEN", "DICING")
)


CROSS_SECTIONS = cross_section_factories(XSECTIONS, LAYER, METAL_LAYERS, XSECTIONS)
inp_deep = CROSS_SECTIONS["inp_deep"]
inp_shallow = CROSS_SECTIONS["inp_shallow"]
inp_metal = CROSS_SECTIONS["inp_metal"]


@functools.cache
def get_pdk() -> gf.Pdk:
    """The InP ``gf.Pdk`` named ``qkdchip_inp`` (built once, cached; not activated).

    ``cells``: the process cells, plus the names gdsfactory's routers look up (``"straight"``,
    ``"bend_euler"``, ``"bend_circular"``) bound to process cells; ``layer_transitions``: the
    deep-to-shallow transition; ``routing_strategies``: bundles on ``inp_deep``
    (:func:`qkdchip.pdk._tech.process_pdk`)."""
    from qkdchip.components.inp import CELLS, routing

    return process_pdk(PDK_NAME, LAYER, LAYER_VIEWS, CROSS_SECTIONS, CELLS, routing)
