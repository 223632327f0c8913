"""From a layout cell to its S-matrix model, the same way for both processes.

* :func:`optical_ports`: the optical ports of a gdsfactory component (electrodes are not optical);
* :func:`cell_model`: the model of one cell instance. A leaf cell (its function name keyed in the
  process's ``MODELS``) gets that model with the cell's ``settings`` and ``info`` bound (info over
  settings, as sax merges them); a hierarchical cell (a modulator, a chip) gets the sax circuit of
  its own recursive netlist, prepared by the process's netlist preparation.

:func:`qkdchip.sims.models.sin.cell_model` and :func:`qkdchip.sims.models.inp.cell_model` are this
function with their process's models, preparation and backend.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import sax

__all__ = ["bind_cell", "cell_model", "optical_ports"]


def optical_ports(component) -> list[str]:
    """Names of the optical ports of a gdsfactory component, sorted (o1, o2, ...)."""
    names = [p.name for p in component.ports if p.port_type == "optical"]
    return sorted(names, key=lambda p: (len(p), p))


def bind_cell(model: Callable[..., sax.SDict], component) -> Callable[..., sax.SDict]:
    """``model`` with the settings and info of ``component`` that it accepts bound (not ``wl``)."""
    accepted = sax.get_settings(model)
    given = {**dict(component.settings), **dict(component.info)}
    bound = {k: v for k, v in given.items() if k in accepted and k != "wl"}
    return functools.partial(model, **bound)


def cell_model(
    component,
    models: Mapping[str, Callable[..., sax.SDict]],
    prepare: Callable[[Any], dict[str, Any]],
    backend: str,
    wrap: Callable[[Callable[..., sax.SDict]], Callable[..., sax.SDict]] | None = None,
) -> Callable[..., sax.SDict]:
    """The S-matrix model of one cell instance: ``f(wl=..., **settings) -> SDict``.

    ``models``: leaf models by cell function name; ``prepare(component)``: the recursive netlist
    of a hierarchical cell made ready for ``sax.circuit``; ``wrap``: applied to that circuit (the
    Si3N4 :func:`~qkdchip.sims.models.sin.localize`)."""
    model = models.get(component.function_name)
    if model is not None:
        return bind_cell(model, component)
    circuit, _ = sax.circuit(prepare(component), dict(models), backend=backend)
    return wrap(circuit) if wrap is not None else circuit
