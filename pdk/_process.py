"""What every process of the kit has in common, written once (plain data: no gdsfactory).

A process (``qkdchip.pdk.sin``, ``qkdchip.pdk.inp``) is one place holding only what differs: its
layer table and layer docs (``layers.py``), its cross-section geometry (``layers.XSECTIONS``, a
dict of :class:`WaveguideSpec`), its rule numbers (``design_rules.py``), its process constants
(``process.py``) and its colours and gdsfactory cross-sections (``tech.py``). The shared helpers
live here and beside it: :mod:`qkdchip.pdk.rules` (design rules as data and their construction),
:mod:`qkdchip.pdk._tech` (LayerMap, cross-section factories, the ``gf.Pdk``),
:mod:`qkdchip.pdk._views` (layer views, ``.lyp``) and :mod:`qkdchip.pdk._lazy` (the lazy package
API: ``get_pdk``, ``write_lyp``, ``PDK``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

#: The frame layers every process has, none of them fabricated: the dicing lanes of a multi-die
#: mask (a saw-street marker the foundry reads to place the cuts; nothing is patterned from it),
#: the die outline and the text copy of the labels.
FRAME_LAYERS: tuple[str, ...] = ("DICING", "DIE", "TEXT")


@dataclass(frozen=True)
class WaveguideSpec:
    """Geometry of one cross-section (um): the layer it is drawn on, its width and bend radii."""

    layer: str
    width_um: float
    #: default routing bend radius (None: a metal trace, no bends)
    radius_um: float | None
    #: smallest bend radius the process allows (radiation / substrate leakage)
    radius_min_um: float | None
    doc: str = ""


def is_fabricated(
    name: str, layers: Mapping[str, tuple[int, int]], not_fabricated: Collection[str]
) -> bool:
    """Whether the layer ``name`` of a process's ``layers`` is a fabricated (lithography) layer,
    i.e. not among ``not_fabricated``; ValueError naming ``name`` if the process has no such layer."""
    if name not in layers:
        raise ValueError(f"layer name={name!r} is unknown: allowed {sorted(layers)}")
    return name not in not_fabricated


__all__ = ["FRAME_LAYERS", "WaveguideSpec", "is_fabricated"]
