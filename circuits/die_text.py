"""Die labels and die IDs drawn on a fabricated layer, DRC-clean by construction.

KLayout's default font has notches and acute corners far below the metal rules of either process
(strokes 1/8 and gaps 1/16 of the text height), so a label drawn with it in gold would fail the
DRC. The die text is drawn instead with a blocky 5 x 7 pixel font: every glyph is a union of
square pixels joined edge to edge (never only at a corner), strokes are one pixel wide and gaps
at least one pixel. With the pixel at least the marking layer's min width and min space, any
text is DRC-clean on that layer: widths and spaces are whole pixels, there are no acute corners.

The marking layer of a process is ``DesignRules.marking_layer`` (InP: ``RFMETAL``, plated gold;
Si3N4: ``PAD_METAL``); every drawn text also gets a copy on the (not fabricated) ``TEXT`` layer.
Lower-case letters are drawn as capitals.
"""

from __future__ import annotations

import math
from typing import Any

import klayout.db as kdb

#: glyph rows (top to bottom), columns and the advance per character, in pixels
ROWS = 7
COLS = 5
ADVANCE = COLS + 1

_G = {
    "0": "##### #...# #...# #.#.# #...# #...# #####",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": "##### ....# ....# ##### #.... #.... #####",
    "3": "##### ....# ....# .#### ....# ....# #####",
    "4": "#...# #...# #...# ##### ....# ....# ....#",
    "5": "##### #.... #.... ####. ...## ....# #####",
    "6": "##### #.... #.... ##### #...# #...# #####",
    "7": "##### ....# ....# ....# ....# ....# ....#",
    "8": "##### #...# #...# ##### #...# #...# #####",
    "9": "##### #...# #...# ##### ....# ....# #####",
    "A": "##### #...# #...# ##### #...# #...# #...#",
    "B": "####. #..#. #..#. ##### #...# #...# #####",
    "C": "##### #.... #.... #.... #.... #.... #####",
    "D": "####. #..## #...# #...# #...# #..## ####.",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": "##### #.... #.... #.### #...# #...# #####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": "##### ..#.. ..#.. ..#.. ..#.. ..#.. #####",
    "J": "##### ...#. ...#. ...#. ...#. #..#. ####.",
    "K": "#...# #..## #..#. ####. #..#. #..## #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "##### #.#.# #.#.# #.#.# #...# #...# #...#",
    "N": "###.# #.#.# #.#.# #.#.# #.#.# #.#.# #.###",
    "O": "##### #...# #...# #...# #...# #...# #####",
    "P": "##### #...# #...# ##### #.... #.... #....",
    "Q": "##### #...# #...# #...# #...# ##### ...##",
    "R": "##### #...# #...# ##### #..#. #..#. #..##",
    "S": "##### #.... #.... ##### ....# ....# #####",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# #####",
    "V": "#...# #...# #...# #...# ##.## .#.#. .###.",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# #####",
    "X": "#...# #...# ##.## .###. ##.## #...# #...#",
    "Y": "#...# #...# ##.## .###. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...## ..##. .##.. ##... #####",
    "-": "..... ..... ..... .###. ..... ..... .....",
    ".": "..... ..... ..... ..... ..... ..... ..#..",
    "_": "..... ..... ..... ..... ..... ..... #####",
    " ": "..... ..... ..... ..... ..... ..... .....",
}

#: character -> its pixel rows, top to bottom ('#' drawn)
GLYPHS: dict[str, tuple[str, ...]] = {ch: tuple(rows.split()) for ch, rows in _G.items()}

#: a chip's die-ID box must hold at least this many characters at the font's smallest size (the
#: longest ID a mask writes: a two-letter prefix and up to three digits, e.g. TX100)
DIE_ID_MIN_CHARS = 5

ALLOWED = "A-Z, 0-9, space, '-', '.', '_' (lower case is drawn as capitals)"


def normalized(text: str, name: str) -> str:
    """``text`` in capitals; ValueError naming ``name`` if it is empty or has a character the font
    cannot draw."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name}={text!r} must be a non-empty string")
    up = text.upper()
    bad = sorted({ch for ch in up if ch not in GLYPHS})
    if bad:
        raise ValueError(
            f"{name}={text!r} has characters {bad} the die font cannot draw: allowed {ALLOWED}"
        )
    return up


def marking_layer(process: str) -> str:
    """The fabricated layer that carries die text in ``process`` (from its design rules)."""
    from qkdchip.pdk.drc import rules_for

    name = rules_for(process).marking_layer
    if name is None:
        raise ValueError(f"process={process!r} has no marking layer in its design rules")
    return name


def pixel_um(process: str) -> float:
    """Pixel (stroke and gap) of the die font: the larger of the marking layer's min width and
    min space, rounded up to 1 um."""
    from qkdchip.pdk.drc import rules_for

    rule = rules_for(process).layer(marking_layer(process))
    return float(math.ceil(max(rule.min_width_um or 0.0, rule.min_space_um or 0.0, 1.0)))


def text_size_um(text: str, pixel: float) -> tuple[float, float]:
    """(width, height) of ``text`` drawn with pixel ``pixel`` (um)."""
    n = len(text)
    return ((n * ADVANCE - 1) * pixel if n else 0.0, ROWS * pixel)


def text_region(
    text: str, x_um: float, y_um: float, pixel: float, dbu: float = 0.001
) -> kdb.Region:
    """``text`` (already :func:`normalized`) as merged polygons, lower-left corner at (x, y) um."""
    p = round(pixel / dbu)
    x0, y0 = round(x_um / dbu), round(y_um / dbu)
    region = kdb.Region()
    for i, ch in enumerate(text):
        for r, row in enumerate(GLYPHS[ch]):
            for col, px in enumerate(row):
                if px == "#":
                    x = x0 + (i * ADVANCE + col) * p
                    y = y0 + (ROWS - 1 - r) * p
                    region.insert(kdb.Box(x, y, x + p, y + p))
    region.merge()
    return region


def _layer_index(c: Any, process: str, name: str) -> int:
    from qkdchip.pdk.drc import rules_for

    return c.kcl.layer(*rules_for(process).layer(name).layer)


def clearance_um(process: str) -> float:
    """Distance the die text keeps from every other fabricated shape: the marking layer's min
    space and every separation rule that involves it (Si3N4: 10 um from CORE)."""
    from qkdchip.pdk.drc import rules_for

    rules = rules_for(process)
    name = marking_layer(process)
    dists = [rules.layer(name).min_space_um or 0.0]
    for rule in rules.layers:
        for other, d in rule.min_separation:
            if name in (rule.name, other):
                dists.append(d)
    return max(dists)


def _hits_by_layer(
    c: Any, process: str, box_um: tuple[float, float, float, float]
) -> list[tuple[str, kdb.Region]]:
    """(layer name, its fabricated shapes of ``c`` inside ``box_um`` grown by
    :func:`clearance_um`) for every checked layer with shapes there (dbu)."""
    from qkdchip.pdk.drc import rules_for

    rules = rules_for(process)
    grow = clearance_um(process)
    x0, y0, x1, y1 = box_um
    probe = kdb.DBox(x0 - grow, y0 - grow, x1 + grow, y1 + grow).to_itype(c.kcl.dbu)
    layout = c.kcl.layout
    out = []
    for rule in rules.layers:
        if rule.name in (rules.die_layer, *rules.ignore, *rules.mask_layers):
            continue
        idx = layout.find_layer(*rule.layer)
        if idx is None:
            continue
        hits = kdb.Region(c.kdb_cell.begin_shapes_rec_overlapping(idx, probe)) & kdb.Region(probe)
        if not hits.is_empty():
            out.append((rule.name, hits))
    return out


def _hits(c: Any, process: str, box_um: tuple[float, float, float, float]) -> kdb.Region:
    """The fabricated shapes of ``c`` inside ``box_um`` grown by :func:`clearance_um` (dbu)."""
    hits = kdb.Region()
    for _name, region in _hits_by_layer(c, process, box_um):
        hits += region
    return hits


def free_top(c: Any, process: str, box_um: tuple[float, float, float, float]) -> float:
    """The top (um, on the grid) of ``box_um`` lowered until the box grown by
    :func:`clearance_um` is free of the fabricated shapes of ``c`` that reach into it: the box's
    own top if it is free, else the lowest such shape less the clearance (a box under a row of
    shapes, e.g. a die ID under the bus; the result may be below the box's bottom)."""
    hits = _hits(c, process, box_um)
    if hits.is_empty():
        return box_um[3]
    per_um = round(1.0 / c.kcl.dbu)
    return (hits.bbox().bottom - round(clearance_um(process) * per_um)) / per_um


def check_free(c: Any, process: str, box_um: tuple[float, float, float, float], what: str) -> None:
    """RuntimeError unless ``box_um`` (x0, y0, x1, y1) of cell ``c``, grown by
    :func:`clearance_um`, is free of every fabricated shape (a reserved area of the floorplan)."""
    for name, hits in _hits_by_layer(c, process, box_um):
        b = hits.bbox().to_dtype(c.kcl.dbu)
        raise RuntimeError(
            f"{c.name}: the {what} box {list(box_um)} um is not free: {name} at "
            f"({b.left:.1f}, {b.bottom:.1f})-({b.right:.1f}, {b.top:.1f}) um is within "
            f"{clearance_um(process)} um"
        )


def add_text(c: Any, process: str, text: str, x_um: float, y_um: float, scale: int = 1) -> kdb.DBox:
    """Draw ``text`` (already :func:`normalized`) on the process's marking layer and on TEXT,
    lower-left corner at (x, y) um, pixels ``scale`` times the font pixel; the drawn box (um)."""
    region = text_region(text, x_um, y_um, scale * pixel_um(process), c.kcl.dbu)
    for name in (marking_layer(process), "TEXT"):
        c.shapes(_layer_index(c, process, name)).insert(region)
    return region.bbox().to_dtype(c.kcl.dbu)


def fit_text(
    text: str, box_um: tuple[float, float, float, float], process: str, max_scale: int = 1
) -> tuple[float, float, int]:
    """Place ``text`` in ``box_um``: (x, y, scale) with the largest pixel scale up to ``max_scale``
    that fits, left-aligned and vertically centred (on the 1 um grid). ValueError (naming the
    text size and the box size) if it does not fit even at scale 1."""
    pixel = pixel_um(process)
    x0, y0, x1, y1 = box_um
    for scale in range(max(1, int(max_scale)), 0, -1):
        w, h = text_size_um(text, scale * pixel)
        if w <= x1 - x0 + 1e-9 and h <= y1 - y0 + 1e-9:
            return x0, y0 + math.floor((y1 - y0 - h) / 2), scale
    w, h = text_size_um(text, pixel)
    n_max = math.floor((x1 - x0 + pixel) / (ADVANCE * pixel))
    raise ValueError(
        f"text {text!r} spans {w:.0f} x {h:.0f} um: allowed {x1 - x0:.0f} x {y1 - y0:.0f} um "
        f"({n_max} characters of {ADVANCE * pixel:.0f} um)"
    )
