"""Design rules as data, shared by both processes.

Each PDK (``qkdchip.pdk.sin``, ``qkdchip.pdk.inp``) builds one :class:`DesignRules`; the DRC
engine (``qkdchip.pdk.drc``) reads nothing else. Units: um.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LayerRule:
    """Rules on one drawn layer (a GDS (layer, datatype) pair)."""

    name: str
    layer: tuple[int, int]
    min_width_um: float | None = None
    min_space_um: float | None = None
    #: (enclosing layer name, min enclosure um): this layer must lie inside that one with margin.
    enclosed_by: tuple[tuple[str, float], ...] = ()
    #: layers that must keep this distance from this layer: (other layer name, min separation um).
    min_separation: tuple[tuple[str, float], ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class DesignRules:
    """Everything the DRC of one process checks."""

    process: str
    grid_um: float
    layers: tuple[LayerRule, ...]
    #: layer holding the die outline; every other shape must lie inside it.
    die_layer: str
    #: keep-out from the die edge for shapes on these layers (cleave / dicing margin), um.
    die_keepout_um: float = 0.0
    #: layers allowed to touch or cross the die edge / keep-out (e.g. facet trench, waveguide at a facet).
    keepout_exempt: tuple[str, ...] = ()
    #: minimum waveguide bend radius of each cross-section, um (name -> radius).
    min_bend_radius_um: dict[str, float] = field(default_factory=dict)
    #: layers ignored by every check (text, labels, die outline itself).
    ignore: tuple[str, ...] = ()

    def layer(self, name: str) -> LayerRule:
        for rule in self.layers:
            if rule.name == name:
                return rule
        raise KeyError(f"{self.process}: no layer named {name!r}")
