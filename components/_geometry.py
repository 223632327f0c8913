"""Grid and drawing helpers shared by the cells of both processes (um in, grid out).

One :class:`ProcessGeometry` per process (``components/sin/_geometry.py``,
``components/inp/_geometry.py``) binds these helpers to that process's manufacturing grid and
layer map; each process module adds only what is its own (the Si3N4 racetrack bands, the InP
``Band`` waveguide outlines and transitions) and its own ``add_port`` (a layer name on Si3N4, a
cross-section name on InP).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import gdsfactory as gf
import klayout.db as kdb
import numpy as np

Point = tuple[float, float]


class ProcessGeometry:
    """The drawing helpers of one process: every vertex lands on its grid.

    ``grid_um``: the manufacturing grid (1 database unit); ``layers``: the process's layer table
    (name -> (GDS layer, datatype)); ``tech``: the module holding its gdsfactory layer enum
    ``LAYER`` (``"qkdchip.pdk.sin.tech"``), imported on first use so that importing the cells does
    not build it."""

    def __init__(self, grid_um: float, layers: Mapping[str, tuple[int, int]], tech: str) -> None:
        self.grid_um = grid_um
        self.layers = layers
        #: database units per um
        self.dbu_per_um = round(1.0 / grid_um)
        #: largest allowed deviation of a discretised arc from the true arc (um): half a grid step
        self.sagitta_um = 0.5 * grid_um
        self._tech = tech

    def snap(self, value_um: float) -> float:
        """``value_um`` rounded to the manufacturing grid."""
        return round(value_um * self.dbu_per_um) / self.dbu_per_um

    def snap2(self, value_um: float) -> float:
        """``value_um`` rounded to an even number of grid steps: a width whose half is on the
        grid, so that a feature centred on the grid has both edges on it (gdsfactory ports need
        even widths in database units)."""
        return 2 * round(value_um * self.dbu_per_um / 2) / self.dbu_per_um

    def to_dbu(self, value_um: float) -> int:
        """``value_um`` in database units (grid steps)."""
        return round(value_um * self.dbu_per_um)

    @functools.cached_property
    def layer_map(self) -> Any:
        """The process's gdsfactory layer enum ``LAYER`` (imported on first use)."""
        return importlib.import_module(self._tech).LAYER

    def layer_index(self, name: str) -> int:
        """Layout layer index of a process layer (``LAYER.<name>``)."""
        return int(getattr(self.layer_map, name))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> kdb.Box:
        """Integer (dbu) box of a rectangle given in um, any corner order."""
        to_dbu = self.to_dbu
        return kdb.Box(
            to_dbu(min(x0, x1)), to_dbu(min(y0, y1)), to_dbu(max(x0, x1)), to_dbu(max(y0, y1))
        )

    def polygon(self, points: Sequence[Point] | np.ndarray) -> kdb.Polygon:
        """Integer (dbu) polygon of vertices given in um, each rounded to the grid."""
        pts = np.rint(np.asarray(points, dtype=float) * self.dbu_per_um).astype(np.int64)
        return kdb.Polygon([kdb.Point(int(x), int(y)) for x, y in pts])

    def add_polygon(
        self, c: gf.Component, points: Sequence[Point] | np.ndarray, layer: str
    ) -> None:
        """Add one polygon (um) on a process layer, vertices snapped to the grid."""
        c.shapes(self.layer_index(layer)).insert(self.polygon(points))

    def add_box(
        self, c: gf.Component, layer: str, x0: float, y0: float, x1: float, y1: float
    ) -> None:
        """Add a rectangle (um, any corner order) on a process layer."""
        c.shapes(self.layer_index(layer)).insert(self.box(x0, y0, x1, y1))

    def add_boxes(self, c: gf.Component, layer: str, boxes: Iterable[kdb.Box]) -> None:
        """Merge the boxes of one layer and insert the result (no overlaps, no slivers)."""
        region = kdb.Region()
        for b in boxes:
            region.insert(b)
        region.merge()
        if not region.is_empty():
            c.shapes(self.layer_index(layer)).insert(region)

    def add_region(self, c: gf.Component, layer: str, region: kdb.Region) -> None:
        """Insert a region (dbu) on a process layer, merged."""
        merged = region.merged()
        if not merged.is_empty():
            c.shapes(self.layer_index(layer)).insert(merged)

    def add_port(
        self,
        c: gf.Component,
        name: str,
        x: float,
        y: float,
        orientation: float,
        width: float,
        layer: str,
        port_type: str = "optical",
    ) -> None:
        """Add a port on the process layer named ``layer``, centre and width snapped."""
        c.add_port(
            name=name,
            center=(self.snap(x), self.snap(y)),
            width=self.snap(width),
            orientation=orientation,
            layer=self.layers[layer],
            port_type=port_type,
        )

    def text_region(self, text: str, x: float, y: float, size_um: float) -> kdb.Region:
        """Text as polygons (KLayout's default font, dbu), lower-left corner at (x, y) um."""
        gen = kdb.TextGenerator.default_generator()
        region = gen.text(text, 1.0 / self.dbu_per_um, size_um)
        return region.moved(self.to_dbu(x), self.to_dbu(y))

    def add_text(
        self, c: gf.Component, text: str, x: float, y: float, size_um: float, layer: str
    ) -> None:
        """Text as polygons (KLayout's default font), lower-left corner at (x, y)."""
        c.shapes(self.layer_index(layer)).insert(self.text_region(text, x, y, size_um))


def merge_shapes(c: gf.Component) -> None:
    """Merge the polygons drawn directly in ``c`` layer by layer (abutting or overlapping pieces
    of one layer become one polygon: clean GDS, no zero-width seams)."""
    for idx in c.kcl.layer_indexes():
        shapes = c.shapes(idx)
        if shapes.is_empty():
            continue
        if any(s.is_text() for s in shapes.each()):
            continue
        region = kdb.Region(shapes)
        if region.count() < 2:
            continue
        shapes.clear()
        shapes.insert(region.merged())


__all__ = ["Point", "ProcessGeometry", "merge_shapes"]
