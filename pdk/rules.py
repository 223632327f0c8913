"""Design rules as data, shared by both processes.

Each PDK (``qkdchip.pdk.sin``, ``qkdchip.pdk.inp``) builds one :class:`DesignRules` with
:func:`process_rules` from its own rule numbers; the DRC engine (``qkdchip.pdk.drc``) reads
nothing else. Units: um.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qkdchip.pdk._process import WaveguideSpec


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
    #: layers this layer must not overlap at all (area of the AND must be 0), e.g. the dicing
    #: lanes and the die outlines.
    not_overlapping: tuple[str, ...] = ()
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
    #: mask-level layers, drawn between the dies of a multi-die mask (the dicing lanes): outside
    #: every die by definition, so exempt from the die-outline and keep-out checks; their own
    #: rules (width, space, grid, ``not_overlapping``) are checked.
    mask_layers: tuple[str, ...] = ()
    #: fabricated layer that carries die labels and die IDs (legible after fabrication); text on
    #: it is drawn with strokes and gaps of at least its min width and min space.
    marking_layer: str | None = None

    def __post_init__(self) -> None:
        names = {r.name for r in self.layers}
        refs = [self.die_layer, *self.ignore, *self.mask_layers, *self.keepout_exempt]
        refs += [self.marking_layer] if self.marking_layer else []
        for r in self.layers:
            refs += [n for n, _ in r.enclosed_by] + [n for n, _ in r.min_separation]
            refs += list(r.not_overlapping)
        unknown = sorted(set(refs) - names)
        if unknown:
            raise ValueError(
                f"{self.process}: rules refer to layers {unknown} that are not among its layers "
                f"{sorted(names)}"
            )

    def layer(self, name: str) -> LayerRule:
        for rule in self.layers:
            if rule.name == name:
                return rule
        raise KeyError(f"{self.process}: no layer named {name!r}")


def process_rules(
    process: str,
    layers: Mapping[str, tuple[int, int]],
    xsections: Mapping[str, WaveguideSpec],
    layer_rules: Mapping[str, Mapping[str, Any]],
    *,
    grid_um: float,
    die_keepout_um: float,
    dicing_lane_min_um: float,
    keepout_exempt: tuple[str, ...],
    marking_layer: str,
) -> DesignRules:
    """The :class:`DesignRules` of a process from its own numbers.

    ``layer_rules``: the rules of each drawn layer, ``name -> LayerRule keywords`` (in the order
    of the rule table). The frame layers every process shares are added after them: DICING
    (lanes at least ``dicing_lane_min_um`` wide, never over a die; mask level), DIE (the die
    outline) and TEXT (labels), both not checked. The minimum bend radius of each cross-section
    is its ``radius_min_um`` in ``xsections``."""
    frame: dict[str, dict[str, Any]] = {
        "DICING": dict(
            min_width_um=dicing_lane_min_um,
            not_overlapping=("DIE",),
            doc="dicing lanes between dies (mask level: never over a die)",
        ),
        "DIE": dict(doc="die outline"),
        "TEXT": dict(doc="labels"),
    }
    return DesignRules(
        process=process,
        grid_um=grid_um,
        layers=tuple(
            LayerRule(name=name, layer=layers[name], **kw)
            for name, kw in {**layer_rules, **frame}.items()
        ),
        die_layer="DIE",
        die_keepout_um=die_keepout_um,
        keepout_exempt=keepout_exempt,
        min_bend_radius_um={
            name: spec.radius_min_um for name, spec in xsections.items() if spec.radius_min_um
        },
        ignore=("DIE", "TEXT"),
        mask_layers=("DICING",),
        marking_layer=marking_layer,
    )
