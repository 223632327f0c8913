"""gdsfactory's routers on the two processes: which cells they ask for, and how the cells answer.

``gf.routing.route_single`` and ``gf.routing.route_bundle`` place three kinds of cell, looked up
by name in the *active* PDK:

* ``"straight"``, called as ``straight(length=..., cross_section=..., width=...)``;
* ``"bend_euler"`` (their default ``bend=``), called as ``bend_euler(cross_section=...,
  radius=..., width=...)`` and placed, mirrored where needed, at every 90-degree turn;
* a width or layer transition from ``pdk.layer_transitions`` (``auto_taper=True``, the default),
  called with ``width1=``/``width2=`` where a port's layer or width differs from the route's.

Each PDK registers its *own* cells under those names (``"straight"`` -> ``sin_straight`` /
``inp_straight``, ``"bend_euler"`` -> ``sin_bend_euler`` / ``inp_bend_euler``; the transitions
in ``layer_transitions``), and the cells take gdsfactory's keywords besides their own
(:func:`gdsfactory_keywords`). The keywords are translated into the cell's parameters *before*
gdsfactory's cell cache, so a routed straight is the very cell ``sin_straight(length_um=...)``
would give: same name, same settings, same sax model, same DRC behaviour.

Why not ``base_pdks=[gf.gpdk.PDK]`` (the generic PDK's straight, bend_euler and taper): its
cells draw on the generic layer map, whose numbers collide with these processes' own (generic
``WG`` (1, 0) is the Si3N4 ``CORE``; the generic implants ``N`` (20, 0) and ``P`` (21, 0) are
the InP deep and shallow ridges), take the generic cross-sections' radii (``strip``: 10 um,
radius_min 3.5 um, far below either process's), have no sax model here and would put a second,
unchecked geometry of every routing cell into the masks. The
process cells are the only ones the rules, the models and the reference geometry know.

An Euler bend's smallest curvature radius is below its floorplan radius (0.706 x at gdsfactory's
p = 0.5): the bends pick their Euler fraction so that it stays >= the cross-section's radius_min
(:mod:`qkdchip.components.euler`); the router's radius is the floorplan radius, as in gdsfactory.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def layer_tuple(layer: Any) -> tuple[int, int]:
    """(GDS layer, datatype) of a gdsfactory layer spec: a LayerEnum, a (layer, datatype) pair or
    a ``kdb.LayerInfo`` (no active PDK needed)."""
    if hasattr(layer, "layer") and hasattr(layer, "datatype"):
        return int(layer.layer), int(layer.datatype)
    if isinstance(layer, tuple | list) and len(layer) == 2:
        return int(layer[0]), int(layer[1])
    raise ValueError(f"layer={layer!r} is not a (layer, datatype) layer spec")


def check_angle(angle: Any, cell: str) -> None:
    """The routing bends draw the router's 90-degree turn only."""
    if angle is not None and float(angle) != 90.0:
        raise ValueError(
            f"angle={angle} is not drawn by {cell}: allowed 90 (the router's 90-degree bend)"
        )


def rename(
    given: dict[str, Any], gf_kwargs: Mapping[str, Any], names: Mapping[str, tuple[str, Callable]]
) -> dict[str, Any]:
    """Move gdsfactory keywords (``length`` ...) to the cell's own parameters (``length_um`` ...),
    snapped with the given function; ValueError if both spellings are given."""
    out = dict(given)
    for gf_name, (own, snap) in names.items():
        value = gf_kwargs.get(gf_name)
        if value is None:
            continue
        if own in out:
            raise ValueError(f"{gf_name}={value!r} and {own}={out[own]!r} both given: give one")
        value = float(value)
        # a non-finite value goes through unsnapped: the cell's range check names it
        out[own] = snap(value) if math.isfinite(value) else value
    return out


def gdsfactory_keywords(
    translate: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]], *names: str
) -> Callable[[F], F]:
    """Let a ``@gf.cell`` also take gdsfactory's keywords ``names`` (``length``, ``width``,
    ``radius``, ``cross_section`` ...), as the routers call it.

    ``translate(own, gf)`` gets the cell's own arguments as given (by name) and the gdsfactory
    keywords given, and returns the cell's arguments. It runs before the cell cache, so the cell
    (name, settings, model) depends on the drawn geometry only. Names the cell already has (the
    InP cells' ``cross_section``) reach ``translate`` in ``own``. The wrapper keeps the cell's
    signature plus the new keyword-only parameters (default None) and its ``__name__``."""

    def deco(cell: F) -> F:
        sig = inspect.signature(cell)
        extra = [n for n in names if n not in sig.parameters]
        params = list(sig.parameters.values()) + [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in extra
        ]

        @functools.wraps(cell)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            gf_kwargs = {n: kwargs.pop(n) for n in extra if n in kwargs}
            own = dict(sig.bind_partial(*args, **kwargs).arguments)
            return cell(**translate(own, gf_kwargs))

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco


__all__ = ["check_angle", "gdsfactory_keywords", "layer_tuple", "rename"]
