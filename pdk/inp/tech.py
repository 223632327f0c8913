"""gdsfactory objects of the InP process: LayerMap, layer views, cross-sections and the ``gf.Pdk``.

Imported lazily by :mod:`qkdchip.pdk.inp` (importing gdsfactory costs seconds). Building these
objects registers the layer numbers in gdsfactory's layout but activates nothing.
"""

from __future__ import annotations

import functools
import pathlib
from collections.abc import Callable

import gdsfactory as gf
from gdsfactory.technology import LayerViews
from gdsfactory.technology.layer_map import LayerMap

from qkdchip.pdk._views import layer_views
from qkdchip.pdk._views import write_lyp as _write_lyp
from qkdchip.pdk.inp.layers import LAYER_DOCS, LAYERS, XSECTIONS

PDK_NAME = "qkdchip_inp"

LAYER: type[LayerMap] = LayerMap("InPLayerMap", dict(LAYERS))  # type: ignore[call-overload]
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


def write_lyp(path: str | pathlib.Path) -> pathlib.Path:
    """Write the KLayout layer-properties file (.lyp) of the InP process to ``path``."""
    return _write_lyp(LAYER_VIEWS, path)


def _xs_factory(name: str) -> Callable[..., gf.CrossSection]:
    spec = XSECTIONS[name]
    electrical = spec.layer == "RFMETAL"

    def factory(
        width: float = spec.width_um,
        radius: float | None = spec.radius_um,
        radius_min: float | None = spec.radius_min_um,
    ) -> gf.CrossSection:
        return gf.cross_section.cross_section(
            width=width,
            layer=getattr(LAYER, spec.layer),
            radius=radius,
            radius_min=radius_min,
            port_names=("e1", "e2") if electrical else ("o1", "o2"),
            port_types=("electrical", "electrical") if electrical else ("optical", "optical"),
        )

    factory.__name__ = name
    factory.__doc__ = f"{spec.doc} (width {spec.width_um} um, radius_min {spec.radius_min_um} um)."
    return factory


inp_deep = _xs_factory("inp_deep")
inp_shallow = _xs_factory("inp_shallow")
inp_metal = _xs_factory("inp_metal")

CROSS_SECTIONS = {"inp_deep": inp_deep, "inp_shallow": inp_shallow, "inp_metal": inp_metal}


@functools.cache
def get_pdk() -> gf.Pdk:
    """The InP ``gf.Pdk`` named ``qkdchip_inp`` (built once, cached; not activated).

    ``cells``: the process cells, plus the names gdsfactory's routers look up (``"straight"``,
    ``"bend_euler"``, ``"bend_circular"``) bound to process cells; ``layer_transitions``: the
    deep-to-shallow transition; ``routing_strategies``: bundles on ``inp_deep``. No base PDK (the
    generic cells draw on colliding layer numbers and have no models:
    :mod:`qkdchip.components.routing`)."""
    from qkdchip.components.inp import CELLS, routing

    return gf.Pdk(
        name=PDK_NAME,
        version="0.1.0",
        layers=LAYER,
        layer_views=LAYER_VIEWS,
        cross_sections=dict(CROSS_SECTIONS),
        cells={**CELLS, **routing.ROUTING_CELLS},
        layer_transitions=routing.layer_transitions(),
        routing_strategies=dict(routing.ROUTING_STRATEGIES),
    )
