"""The design's inputs to the network (the first links of the chain of model.py).

    design -> link.* and network.* settings (validated)            settings_of
    design: server.*, comb.* -> ring -> LLE comb (sims.devices)    comb_of   (cached)
    design: client.*, network wafer fields -> dies on the wafer
        -> each mounted die's figures from its S-matrix (wafer.py)  wafer_of  (cached)

The caches are keyed by the parameters each layer reads, so that a sweep that changes only
``link.*`` reuses the comb and the wafer.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

from qkdchip.base.design import Design
from qkdchip.sims.physics.comb import CombResult

from .settings import LinkSettings, NetworkSettings
from .wafer import (
    ClientChip,
    Die,
    chip_figures,
    draw_wafer,
    electrode_areas_um2,
    element_yields,
)

__all__ = ["comb_of", "provide_comb", "settings_of", "wafer_of"]


def settings_of(design: Design) -> tuple[LinkSettings, NetworkSettings]:
    """The design's link and network settings (validated: ValueError naming the parameter)."""
    return LinkSettings(**design.kwargs("link")), NetworkSettings(**design.kwargs("network"))


def _items(design: Design, prefixes: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in design.overrides.items() if k.startswith(prefixes)))


@lru_cache(maxsize=32)
def _comb(items: tuple[tuple[str, Any], ...]) -> CombResult:
    from qkdchip.sims import devices

    return devices.comb(Design(dict(items)))


def comb_of(design: Design) -> CombResult:
    """The comb of ``design`` (cached per server/comb parameters)."""
    items = _items(design, ("server.", "comb."))
    given = _GIVEN_COMBS.get(items)
    return given if given is not None else _comb(items)


#: combs computed elsewhere (another process: ``qkdchip run``), by their cache key
_GIVEN_COMBS: dict[tuple[tuple[str, Any], ...], CombResult] = {}


def provide_comb(design: Design, comb: CombResult) -> None:
    """Let :func:`comb_of` return ``comb`` for ``design`` (and every design with the same
    server and comb parameters): the comb of this design computed elsewhere, e.g. in the
    second process of ``qkdchip run``. It must be ``comb_of(design)`` itself (the same function
    on the same parameters)."""
    if len(_GIVEN_COMBS) >= 32:
        _GIVEN_COMBS.clear()
    _GIVEN_COMBS[_items(design, ("server.", "comb."))] = comb


#: the network fields that define the dies (the wafer cache key)
_WAFER_FIELDS = (
    "clients",
    "channels",
    "seed",
    *tuple(f.name for f in dataclasses.fields(NetworkSettings) if f.name.startswith("wafer_")),
)


@lru_cache(maxsize=32)
def _wafer(
    client_items: tuple[tuple[str, Any], ...], wafer_items: tuple[tuple[str, Any], ...]
) -> tuple[tuple[ClientChip, ...], tuple[Die, ...]]:
    net = NetworkSettings(**dict(wafer_items))
    areas = electrode_areas_um2(**dict(client_items)) if net.wafer_yield_model == "area" else None
    mounted, rejected = draw_wafer(net, element_yields(net, areas))
    names = [f"{side}{i + 1}" for i in range(net.channels) for side in "AB"]
    chips = chip_figures(mounted, names, **dict(client_items))
    return tuple(chips), tuple(rejected)


def wafer_of(
    design: Design, net: NetworkSettings
) -> tuple[tuple[ClientChip, ...], tuple[Die, ...]]:
    """(mounted client chips with their figures, set-aside dies), cached per client design and
    wafer fields of ``net``. Client 2i is A_(i+1), client 2i+1 is B_(i+1)."""
    wafer_items = tuple((k, getattr(net, k)) for k in _WAFER_FIELDS)
    return _wafer(tuple(sorted(design.kwargs("client").items())), wafer_items)
