"""Layer views and KLayout layer-properties files, shared by both processes."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Mapping

from gdsfactory.technology import LayerView, LayerViews


def layer_views(
    layers: Mapping[str, tuple[int, int]],
    styles: Mapping[str, tuple[str, str]],
    docs: Mapping[str, str],
    transparent: Iterable[str] = (),
) -> LayerViews:
    """One ``LayerView`` per layer: ``styles[name] = (fill colour, hatch pattern)``."""
    transparent = set(transparent)
    views = LayerViews()
    for name, (layer, datatype) in layers.items():
        color, hatch = styles[name]
        views.add_layer_view(
            name,
            LayerView(
                name=name,
                layer=(layer, datatype),
                color=color,
                hatch_pattern=hatch,
                info=docs[name],
                transparent=name in transparent,
            ),
        )
    return views


def write_lyp(views: LayerViews, path: str | pathlib.Path) -> pathlib.Path:
    """Write ``views`` as a KLayout layer-properties file; ``path`` must end in ``.lyp``."""
    path = pathlib.Path(path)
    if path.suffix != ".lyp":
        raise ValueError(f"path={str(path)!r} must end in .lyp")
    return views.to_lyp(path)
