"""gdsfactory objects of the Si3N4 process: LayerMap, layer views, cross-sections and the ``gf.Pdk``.

Imported lazily by :mod:`qkdchip.pdk.sin` (importing gdsfactory costs seconds). Building these
objects registers the layer numbers in gdsfactory's layout but activates nothing.

The optical cross-section ``xs_sin`` is a :class:`SiNCrossSection`: a ``gf.CrossSection`` that
also answers its mode figures (``n_eff``, ``n_g``, ``beta2_ps2_per_km``, ``a_eff_um2``,
``kerr_core_fraction`` at the design wavelength, ``loss_db_per_m``) from the femwell tables (:mod:`qkdchip.pdk.sin.modes`) for its own core width,
so the group index lives with the cross-section and follows its width.
"""

from __future__ import annotations

import functools

import gdsfactory as gf
from gdsfactory.technology import LayerViews
from gdsfactory.technology.layer_map import LayerMap

from qkdchip.pdk._tech import cross_section_factories, layer_map, process_pdk
from qkdchip.pdk._views import layer_views
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.layers import LAYER_DOCS, LAYERS, METAL_LAYERS, XSECTIONS
from qkdchip.pdk.sin.process import (
    CORE_THICKNESS_UM,
    DESIGN_WAVELENGTH_UM,
    PROPAGATION_LOSS_DB_PER_M,
)

PDK_NAME = "qkdchip_sin"

LAYER: type[LayerMap] = layer_map("SiNLayerMap", LAYERS)
"""Layer enum of the process: ``LAYER.CORE`` ... (numbers from ``layers.LAYERS``)."""

_COLORS: dict[str, tuple[str, str]] = {
    # name: (fill colour, hatch pattern)
    "CORE": ("#1f77b4", "solid"),
    "DEEP_TRENCH": ("#7f7f7f", "left-hatched"),
    "HEATER": ("#d62728", "right-hatched"),
    "PAD_METAL": ("#e6b800", "dotted"),
    "PAD_OPEN": ("#000000", "hollow"),
    "DICING": ("#bbbbbb", "left-hatched"),
    "DIE": ("#404040", "hollow"),
    "TEXT": ("#000000", "solid"),
}


LAYER_VIEWS: LayerViews = layer_views(
    LAYERS, _COLORS, LAYER_DOCS, transparent=("DIE", "PAD_OPEN", "DICING")
)


class SiNCrossSection(gf.CrossSection):
    """The Si3N4 waveguide cross-section, with its mode figures from the femwell tables."""

    @property
    def core_width_um(self) -> float:
        return float(self.width)

    @property
    def core_thickness_um(self) -> float:
        return CORE_THICKNESS_UM

    @property
    def n_eff(self) -> float:
        """TE0 effective index at the design wavelength."""
        return float(modes.n_eff(DESIGN_WAVELENGTH_UM, self.width))

    @property
    def n_g(self) -> float:
        """TE0 group index at the design wavelength."""
        return float(modes.group_index(self.width, DESIGN_WAVELENGTH_UM))

    @property
    def beta2_ps2_per_km(self) -> float:
        """TE0 group-velocity dispersion at the design wavelength (> 0: normal)."""
        return float(modes.beta2_ps2_per_km(self.width, DESIGN_WAVELENGTH_UM))

    @property
    def a_eff_um2(self) -> float:
        """TE0 nonlinear effective area at the design wavelength."""
        return float(modes.effective_area_um2(self.width))

    @property
    def kerr_core_fraction(self) -> float:
        """Core share f4 of the TE0 Kerr overlap (n2_eff = f4 n2_Si3N4 + (1 - f4) n2_SiO2)."""
        return float(modes.kerr_core_fraction(self.width))

    @property
    def loss_db_per_m(self) -> float:
        """Propagation loss (process constant)."""
        return PROPAGATION_LOSS_DB_PER_M


def xs_sin(
    width: float = XSECTIONS["xs_sin"].width_um,
    radius: float | None = XSECTIONS["xs_sin"].radius_um,
    radius_min: float | None = XSECTIONS["xs_sin"].radius_min_um,
) -> SiNCrossSection:
    """Si3N4 100 nm core (width um; radius, radius_min um): ring, bus and routing waveguides."""
    w_lo, w_hi = modes.width_range_um()
    if not w_lo <= width <= w_hi:
        raise ValueError(
            f"width={width} um is out of range of the mode table: allowed [{w_lo}, {w_hi}] um"
        )
    section = gf.Section(
        width=width,
        offset=0,
        layer=LAYER.CORE,
        port_names=("o1", "o2"),
        port_types=("optical", "optical"),
        name="_default",
    )
    return SiNCrossSection(sections=(section,), radius=radius, radius_min=radius_min)


CROSS_SECTIONS = {
    "xs_sin": xs_sin,
    **cross_section_factories(XSECTIONS, LAYER, METAL_LAYERS, ("xs_sin_heater", "xs_sin_metal")),
}
xs_sin_heater = CROSS_SECTIONS["xs_sin_heater"]
xs_sin_metal = CROSS_SECTIONS["xs_sin_metal"]


@functools.cache
def get_pdk() -> gf.Pdk:
    """The Si3N4 ``gf.Pdk`` named ``qkdchip_sin`` (built once, cached; not activated).

    ``cells``: the process cells, plus the names gdsfactory's routers look up (``"straight"``,
    ``"bend_euler"``, ``"taper"``) bound to process cells; ``layer_transitions``: ``sin_taper``
    on CORE; ``routing_strategies``: bundles on ``xs_sin`` (:func:`qkdchip.pdk._tech.process_pdk`)."""
    from qkdchip.components.sin import CELLS, routing

    return process_pdk(PDK_NAME, LAYER, LAYER_VIEWS, CROSS_SECTIONS, CELLS, routing)
