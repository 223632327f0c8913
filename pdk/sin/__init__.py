"""Si3N4 process design kit (server chip: the microcomb).

A thin-core ultra-low-loss Si3N4 platform (100 nm LPCVD core in SiO2, heater and pad metal,
deep-trench facets):

* process and material constants (``process``: core thickness, propagation loss, design
  wavelength, target FSR, Sellmeier models of Si3N4 and SiO2) — their single home;
* layers (``layers.LAYERS``; GDS 1-19 for process layers, 90 die outline, 91 text);
* cross-sections ``xs_sin`` (the 100 nm core, ``CORE_WIDTH_UM`` wide, with the radius and
  radius_min of ``layers.XSECTIONS``; carries its n_eff, n_g and beta2 from the mode tables),
  ``xs_sin_heater``, ``xs_sin_metal``;
* mode tables (``modes``: n_eff, n_g, beta2, coupler kappa from femwell, stored in ``data/``);
* design rules as data (``RULES``, a :class:`qkdchip.pdk.rules.DesignRules`);
* ``get_pdk()`` and ``PDK``: the cached ``gf.Pdk(name="qkdchip_sin")`` (cells, routing cells
  under gdsfactory's names, sax models); ``write_lyp(path)``: KLayout layer properties.

Importing this package is cheap and activates nothing: gdsfactory objects (``PDK``, ``LAYER``,
``LAYER_VIEWS``, ``CROSS_SECTIONS``, ``SiNCrossSection``) load on first access. Build cells inside
``qkdchip.pdk.use_pdk("sin")`` (or ``PDK.activate()``)::

    import gdsfactory as gf
    from qkdchip.pdk.sin import PDK

    PDK.activate()
    c = gf.Component()
    a = c << gf.get_component("sin_edge_coupler")
    b = c << gf.get_component("sin_ring_bus")
    b.move((3000, 1500))
    gf.routing.route_single(c, a.ports["o2"], b.ports["o1"], cross_section="xs_sin")
"""

from __future__ import annotations

from qkdchip.pdk._lazy import package_api
from qkdchip.pdk.sin.design_rules import DIE_KEEPOUT_UM, GRID_UM, RULES
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM, LAYERS, XSECTIONS, WaveguideSpec
from qkdchip.pdk.sin.process import (
    CORE_THICKNESS_UM,
    DESIGN_WAVELENGTH_UM,
    PROPAGATION_LOSS_DB_PER_M,
    TARGET_FSR_GHZ,
    n_si3n4,
    n_sio2,
)

__all__ = [
    "CORE_THICKNESS_UM",
    "CORE_WIDTH_UM",
    "CROSS_SECTIONS",
    "DESIGN_WAVELENGTH_UM",
    "DIE_KEEPOUT_UM",
    "GRID_UM",
    "LAYER",
    "LAYERS",
    "LAYER_VIEWS",
    "PDK",
    "PROPAGATION_LOSS_DB_PER_M",
    "RULES",
    "TARGET_FSR_GHZ",
    "XSECTIONS",
    "SiNCrossSection",
    "WaveguideSpec",
    "get_pdk",
    "n_si3n4",
    "n_sio2",
    "write_lyp",
]

_LAZY = {"LAYER", "LAYER_VIEWS", "CROSS_SECTIONS", "PDK_NAME", "SiNCrossSection"}

#: ``get_pdk()``: the cached ``gf.Pdk`` named ``qkdchip_sin`` (not activated; sax models loaded on
#: first access); ``write_lyp(path)``; ``PDK`` and the gdsfactory objects on first access.
get_pdk, write_lyp, __getattr__ = package_api(__name__, "Si3N4", _LAZY)
