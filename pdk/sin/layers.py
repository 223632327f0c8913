"""Layer numbers and cross-section geometry of the Si3N4 process: their single home.

Plain data (no gdsfactory import): the gdsfactory ``LayerMap``, the cross-section factories and the
design rules are all built from these tables.

GDS numbering: the Si3N4 process uses layers 1-19 and 90-91 only (the InP process uses 20-49 and
95-96), so masks of the two processes can never be confused.
"""

from __future__ import annotations

from qkdchip.pdk._process import FRAME_LAYERS, WaveguideSpec, is_fabricated

#: name -> (GDS layer, datatype).
LAYERS: dict[str, tuple[int, int]] = {
    "CORE": (1, 0),  # Si3N4 waveguide core (100 nm LPCVD film, drawn = nitride kept)
    "DEEP_TRENCH": (5, 0),  # deep etch through the oxide stack into Si: optical facets
    "HEATER": (11, 0),  # resistive heater metal (Pt/TiN) on the top cladding
    "PAD_METAL": (12, 0),  # routing / bond-pad metal (Au), contacts the heater; die IDs
    "PAD_OPEN": (13, 0),  # opening of the top passivation over bond / probe pads
    "DICING": (19, 0),  # dicing lanes between dies (mask level, outside every die; not fabricated)
    "DIE": (90, 0),  # die outline (dicing boundary; not fabricated)
    "TEXT": (91, 0),  # labels (not fabricated)
}

LAYER_DOCS: dict[str, str] = {
    "CORE": "Si3N4 waveguide core, 100 nm",
    "DEEP_TRENCH": "deep trench (etched facets)",
    "HEATER": "heater metal",
    "PAD_METAL": "routing / pad metal (Au); die IDs of a mask",
    "PAD_OPEN": "pad opening",
    "DICING": "dicing lanes between the dies of a mask (saw-street marker)",
    "DIE": "die outline",
    "TEXT": "text / labels (not fabricated; a mask's die IDs are also drawn in PAD_METAL)",
}


#: Layers that are not a lithography mask of the process, i.e. not fabricated: the frame layers
#: (dicing lanes, die outline, text; :data:`qkdchip.pdk._process.FRAME_LAYERS`). Every other layer
#: of ``LAYERS`` is fabricated.
NOT_FABRICATED: frozenset[str] = frozenset(FRAME_LAYERS)
#: Metal layers: a cross-section drawn on one has electrical ports (e1, e2).
METAL_LAYERS: frozenset[str] = frozenset({"HEATER", "PAD_METAL"})


def fabricated(name: str) -> bool:
    """Whether the layer ``name`` is a fabricated (lithography) layer of the process."""
    return is_fabricated(name, LAYERS, NOT_FABRICATED)


#: Cross-section name -> geometry.
#:
#: ``xs_sin``: the 100 nm x 2.8 um low-confinement core of the microring and its bus. Its mode has
#: n_eff ~1.476 against SiO2 1.444 (pdk/sin/data), i.e. a lateral index step of a few 1e-2: bends
#: radiate strongly below a few hundred um. radius_min 300 um is the process rule (ultra-low-loss
#: thin-core platforms draw >= ~0.5-1 mm rings; Puckett et al. 2021 use R = 11.8 mm at 40 nm),
#: routing default 600 um.
XSECTIONS: dict[str, WaveguideSpec] = {
    "xs_sin": WaveguideSpec(
        "CORE", 2.8, 600.0, 300.0, "Si3N4 100 nm x 2.8 um core: ring, bus and routing"
    ),
    "xs_sin_heater": WaveguideSpec("HEATER", 10.0, None, None, "heater metal strip"),
    "xs_sin_metal": WaveguideSpec("PAD_METAL", 20.0, None, None, "routing metal trace"),
}

#: Width of the ``xs_sin`` core (um): the default of every Si3N4 waveguide cell and mode figure.
CORE_WIDTH_UM: float = XSECTIONS["xs_sin"].width_um
