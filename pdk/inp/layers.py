"""Layer numbers and waveguide cross-section geometry of the InP process: their single home.

Plain data (no gdsfactory import): the gdsfactory ``LayerMap``, the cross-section factories and the
design rules are all built from these tables.

GDS numbering: the InP process uses layers 20-49 and 95-96 only (the Si3N4 process uses 1-19 and
90-91), so masks of the two processes can never be confused.

Drawing convention: waveguide layers are drawn as the *ridge* (the unetched core strip), as in
gdsfactory; the foundry's etch mask is the complement within its trench width.
"""

from __future__ import annotations

from qkdchip.pdk._process import FRAME_LAYERS, WaveguideSpec, is_fabricated

#: name -> (GDS layer, datatype), with the meaning of each drawn layer.
LAYERS: dict[str, tuple[int, int]] = {
    # deep-etched ridge (through the Q core): tight bends, MMIs, EO phase shifters
    "WG_DEEP": (20, 0),
    "WG_SHALLOW": (21, 0),  # shallow-etched ridge (stops above the core): laser, VOA, SSC
    "ACTIVE": (22, 0),  # MQW active (gain / absorber) region, butt-joint regrown
    "DBR": (23, 0),  # DBR grating region (grating written by the foundry inside this area)
    "ISO": (24, 0),  # isolation implant (proton) between electrically separate sections
    "PMETAL": (25, 0),  # p-contact metal on the ridge top
    "NMETAL": (26, 0),  # n-contact metal on the etched n-InP beside the ridge
    "RFMETAL": (27, 0),  # thick plated-gold interconnect (electrodes, routing, pads, die IDs)
    "PADOPEN": (28, 0),  # passivation opening over bond/probe pads
    "ARC": (29, 0),  # anti-reflection facet coating region
    "DICING": (30, 0),  # dicing lanes between dies (mask level, outside every die; not fabricated)
    "DIE": (95, 0),  # die outline (cleave / dicing boundary; not fabricated)
    "TEXT": (96, 0),  # labels (not fabricated)
}

LAYER_DOCS: dict[str, str] = {
    "WG_DEEP": "deep-etched waveguide ridge",
    "WG_SHALLOW": "shallow-etched waveguide ridge",
    "ACTIVE": "MQW active region (gain, absorber)",
    "DBR": "DBR grating region",
    "ISO": "isolation implant",
    "PMETAL": "p-contact metal",
    "NMETAL": "n-contact metal",
    "RFMETAL": "plated-gold interconnect / RF metal; die IDs of a mask",
    "PADOPEN": "pad (passivation) opening",
    "ARC": "anti-reflection facet coating",
    "DICING": "dicing lanes between the dies of a mask (saw-street marker)",
    "DIE": "die outline",
    "TEXT": "text / labels (not fabricated; a mask's die IDs are also drawn in RFMETAL)",
}


#: Layers that are not a lithography mask of the process, i.e. not fabricated: the frame layers
#: (dicing lanes, die outline, text; :data:`qkdchip.pdk._process.FRAME_LAYERS`). Every other layer
#: of ``LAYERS`` is fabricated.
NOT_FABRICATED: frozenset[str] = frozenset(FRAME_LAYERS)
#: Metal layers: a cross-section drawn on one has electrical ports (e1, e2).
METAL_LAYERS: frozenset[str] = frozenset({"PMETAL", "NMETAL", "RFMETAL"})


def fabricated(name: str) -> bool:
    """Whether the layer ``name`` is a fabricated (lithography) layer of the process."""
    return is_fabricated(name, LAYERS, NOT_FABRICATED)


#: Cross-section name -> geometry. Generic values: deep ridges 1.5-2 um wide bend down to
#: ~75-100 um; shallow ridges leak into the substrate below ~500 um (Smit et al. 2014).
XSECTIONS: dict[str, WaveguideSpec] = {
    "inp_deep": WaveguideSpec(
        "WG_DEEP", 1.5, 150.0, 100.0, "deep-etched ridge, 1.5 um: routing, bends, MMIs, modulators"
    ),
    "inp_shallow": WaveguideSpec(
        "WG_SHALLOW", 2.0, 600.0, 500.0, "shallow-etched ridge, 2 um: laser, VOA, facet SSC"
    ),
    "inp_metal": WaveguideSpec("RFMETAL", 10.0, None, None, "plated-gold interconnect trace"),
}
