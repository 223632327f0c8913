"""Generic InP process design kit (client transmitter chip).

A generic HHI/SMART-like active-passive InP platform:

* layers (``layers.LAYERS``; GDS 20-30 for process layers, 95 die outline, 96 text),
* cross-sections ``inp_deep`` (1.5 um deep ridge, R >= 100 um), ``inp_shallow`` (2 um shallow
  ridge, R >= 500 um) and ``inp_metal`` (plated-gold trace), each with ``radius``/``radius_min``,
* design rules as data (``RULES``, a :class:`qkdchip.pdk.rules.DesignRules`),
* process constants (``PROCESS``, a frozen :class:`~qkdchip.pdk.inp.process.InPProcess`) that the
  cells and the S-matrix models read,
* ``get_pdk()`` and ``PDK``: the cached ``gf.Pdk(name="qkdchip_inp")`` (cells, routing cells
  under gdsfactory's names, sax models); ``write_lyp(path)``: KLayout layer properties.

Importing this package is cheap and activates nothing: gdsfactory objects (``PDK``, ``LAYER``,
``LAYER_VIEWS``, ``CROSS_SECTIONS``) load on first access. Build cells inside
``qkdchip.pdk.use_pdk("inp")`` (or ``PDK.activate()``)::

    import gdsfactory as gf
    from qkdchip.pdk.inp import PDK

    PDK.activate()
    c = gf.Component()
    a = c << gf.get_component("inp_mmi1x2")
    b = c << gf.get_component("inp_straight")
    b.move((600, 400))
    gf.routing.route_single(c, a.ports["o2"], b.ports["o1"], cross_section="inp_deep")
"""

from __future__ import annotations

from qkdchip.pdk._lazy import package_api
from qkdchip.pdk.inp.design_rules import DIE_KEEPOUT_UM, GRID_UM, RULES
from qkdchip.pdk.inp.layers import LAYERS, XSECTIONS, WaveguideSpec
from qkdchip.pdk.inp.process import PROCESS, InPProcess

__all__ = [
    "CROSS_SECTIONS",
    "DIE_KEEPOUT_UM",
    "GRID_UM",
    "LAYER",
    "LAYERS",
    "LAYER_VIEWS",
    "PDK",
    "PROCESS",
    "RULES",
    "XSECTIONS",
    "InPProcess",
    "WaveguideSpec",
    "get_pdk",
    "write_lyp",
]

_LAZY = {"LAYER", "LAYER_VIEWS", "CROSS_SECTIONS", "PDK_NAME"}

#: ``get_pdk()``: the cached ``gf.Pdk`` named ``qkdchip_inp`` (not activated; sax models loaded on
#: first access); ``write_lyp(path)``; ``PDK`` and the gdsfactory objects on first access.
get_pdk, write_lyp, __getattr__ = package_api(__name__, "InP", _LAZY)
