"""gdsfactory objects of a process, built from its data: written once for both processes.

Imported lazily by each process's ``tech`` module (importing gdsfactory costs seconds); building
these objects registers the layer numbers in gdsfactory's layout but activates nothing. Each
process passes only what is its own: its layer table, its cross-section specs, its cells.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from types import ModuleType
from typing import Any

import gdsfactory as gf
from gdsfactory.technology import LayerViews
from gdsfactory.technology.layer_map import LayerMap

from qkdchip.pdk._process import WaveguideSpec

#: The ``gf.Pdk`` version of both processes.
PDK_VERSION = "0.1.0"


def layer_map(name: str, layers: Mapping[str, tuple[int, int]]) -> type[LayerMap]:
    """The process's layer enum ``name`` (``LAYER.CORE`` ...) from its layer table."""
    return LayerMap(name, dict(layers))  # type: ignore[call-overload,no-any-return]


def cross_section_factory(
    name: str, spec: WaveguideSpec, layer: type[LayerMap], *, electrical: bool
) -> Callable[..., gf.CrossSection]:
    """Factory ``name(width, radius, radius_min)`` of a one-section cross-section drawn on
    ``spec.layer`` with the spec's width and radii as defaults; ports e1/e2 (electrical) or
    o1/o2 (optical)."""

    def factory(
        width: float = spec.width_um,
        radius: float | None = spec.radius_um,
        radius_min: float | None = spec.radius_min_um,
    ) -> gf.CrossSection:
        return gf.cross_section.cross_section(
            width=width,
            layer=getattr(layer, spec.layer),
            radius=radius,
            radius_min=radius_min,
            port_names=("e1", "e2") if electrical else ("o1", "o2"),
            port_types=("electrical", "electrical") if electrical else ("optical", "optical"),
        )

    bend = f", radius_min {spec.radius_min_um} um" if spec.radius_min_um is not None else ""
    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"{spec.doc} (width {spec.width_um} um{bend})."
    return factory


def cross_section_factories(
    xsections: Mapping[str, WaveguideSpec],
    layer: type[LayerMap],
    metal_layers: Collection[str],
    names: Iterable[str],
) -> dict[str, Callable[..., gf.CrossSection]]:
    """:func:`cross_section_factory` of each of ``names``; electrical on ``metal_layers``."""
    return {
        n: cross_section_factory(
            n, xsections[n], layer, electrical=xsections[n].layer in metal_layers
        )
        for n in names
    }


def process_pdk(
    name: str,
    layers: type[LayerMap],
    layer_views: LayerViews,
    cross_sections: Mapping[str, Callable[..., Any]],
    cells: Mapping[str, Callable[..., Any]],
    routing: ModuleType,
) -> gf.Pdk:
    """The ``gf.Pdk`` of a process (not activated; no models: the process package sets its lazy
    sax models). ``cells``: the process cells; ``routing``: its routing module, whose
    ``ROUTING_CELLS`` register process cells under the names gdsfactory's routers look up and
    whose ``layer_transitions()`` and ``ROUTING_STRATEGIES`` complete the PDK. No base PDK (the
    generic cells draw on colliding layer numbers and have no models:
    :mod:`qkdchip.components.routing`)."""
    return gf.Pdk(
        name=name,
        version=PDK_VERSION,
        layers=layers,
        layer_views=layer_views,
        cross_sections=dict(cross_sections),
        cells={**cells, **routing.ROUTING_CELLS},
        layer_transitions=routing.layer_transitions(),
        routing_strategies=dict(routing.ROUTING_STRATEGIES),
        models={},
    )
