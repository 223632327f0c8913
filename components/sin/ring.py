"""Microring (racetrack) resonator with a straight bus, and its heater.

Geometry (``sin_ring_bus``): a bus waveguide along y = 0 and, above it, a racetrack of radius
``radius_um`` with straights of ``coupling_length_um`` (0: a circular ring, point coupler). Bus
and ring share the ``xs_sin`` core width ``width_um``; ``gap_um`` is the edge-to-edge gap at the
coupler. The ring centre is at (0, :func:`ring_center_y_um`).

Physics in ``c.info`` (design wavelength; mode figures from the femwell tables):

* ring centre-line length ``length_um`` L = 2 pi R + 2 L_c; ``n_eff``, ``n_g``,
  ``beta2_ps2_per_km``, nonlinear effective area ``a_eff_um2`` and Kerr core share
  ``kerr_core_fraction`` of the core; ``loss_db_per_m`` (process);
* ``fsr_ghz`` = c / (n_g L);
* coupler: ``kappa_per_um`` = pi (n_even - n_odd)/wl of two parallel cores at ``gap_um``,
  ``kappa_decay_per_um`` gamma = -d ln kappa / d g there; the gap grows away from the straight
  section as g(x) ~ g + x^2/(2R), so the integrated coupling of the ring-bus coupler is
  theta = kappa (L_c + sqrt(2 pi R / gamma)) (``coupler_length_eff_um`` is the bracket) and the
  power coupling per pass is ``power_coupling`` = sin^2(theta) (coupled-mode theory; e.g.
  Bogaerts et al., Laser Photon. Rev. 6, 47 (2012) for the ring relations).
"""

from __future__ import annotations

import math

import gdsfactory as gf
from scipy.constants import speed_of_light

from qkdchip.base.params import Range, checked
from qkdchip.components.sin._geometry import (
    add_band,
    add_box,
    add_port,
    racetrack_length,
    snap,
    snap2,
)
from qkdchip.components.sin.waveguides import xs_figures
from qkdchip.pdk.sin import modes
from qkdchip.pdk.sin.design_rules import RULES
from qkdchip.pdk.sin.layers import CORE_WIDTH_UM, XSECTIONS
from qkdchip.pdk.sin.process import HEATER_SHEET_RESISTANCE_OHM_PER_SQ

_W_LO = max(modes.width_range_um()[0], modes.coupler_width_range_um()[0])
_W_HI = min(modes.width_range_um()[1], modes.coupler_width_range_um()[1])
_MIN_SPACE = RULES.layer("CORE").min_space_um
if modes.gap_range_um()[0] > _MIN_SPACE:
    raise RuntimeError("the coupler table does not reach the CORE min space; rerun modesolver")

#: Default radius of the ring and its heater (um).
RADIUS_UM = 1000.0
RADIUS = Range(
    XSECTIONS["xs_sin"].radius_min_um, 2500.0, "um", "ring radius (>= xs_sin radius_min)"
)
WIDTH = Range(_W_LO, _W_HI, "um", "ring and bus core width (range of the mode tables)")
GAP = Range(
    _MIN_SPACE, modes.gap_range_um()[1], "um", "ring-bus gap, edge to edge (>= CORE min space)"
)
COUPLING_LENGTH = Range(
    0.0, 2000.0, "um", "straight coupling length of the racetrack (0: point coupler)"
)


def ring_center_y_um(radius_um: float, width_um: float, gap_um: float) -> float:
    """y of the ring centre above the bus centre line: bus half width + gap + ring half width + R."""
    return snap(width_um + gap_um + radius_um)


def ring_figures(radius_um: float, width_um: float, coupling_length_um: float) -> dict[str, float]:
    """Ring length, mode figures and FSR (the numbers a resonator model needs)."""
    length = racetrack_length(radius_um, coupling_length_um)
    fig = xs_figures(width_um)
    fsr_ghz = speed_of_light / (fig["n_g"] * length * 1e-6) / 1e9
    return {"length_um": round(length, 4), **fig, "fsr_ghz": round(fsr_ghz, 6)}


@gf.cell
@checked(
    radius_um=RADIUS,
    width_um=WIDTH,
    gap_um=GAP,
    coupling_length_um=COUPLING_LENGTH,
    bus_extension_um=Range(1.0, 1000.0, "um", "bus length beyond the ring's outer edge, each side"),
)
def sin_ring_bus(
    radius_um: float = RADIUS_UM,
    width_um: float = CORE_WIDTH_UM,
    gap_um: float = 2.4,
    coupling_length_um: float = 0.0,
    bus_extension_um: float = 50.0,
) -> gf.Component:
    """All-pass microring: racetrack ring above a straight bus (o1 bus west, o2 bus east)."""
    c = gf.Component()
    r, lc, w = radius_um, coupling_length_um, snap2(width_um)
    yc = ring_center_y_um(r, w, gap_um)
    add_band(c, "CORE", r, lc, w, 0.0, racetrack_length(r, lc), offset=(0.0, yc))
    hb = snap(lc / 2 + r + w / 2 + bus_extension_um)
    add_box(c, "CORE", -hb, -w / 2, hb, w / 2)
    add_port(c, "o1", -hb, 0, 180, w, "CORE")
    add_port(c, "o2", hb, 0, 0, w, "CORE")

    kappa = float(modes.coupling_per_um(gap_um, w))
    gamma = float(modes.coupling_decay_per_um(gap_um, w))
    l_eff = lc + math.sqrt(2 * math.pi * r / gamma)
    theta = kappa * l_eff
    c.info.update(
        dict(
            radius_um=radius_um,
            width_um=w,
            gap_um=gap_um,
            coupling_length_um=coupling_length_um,
            bus_length_um=round(2 * hb, 3),
            **ring_figures(r, w, lc),
            kappa_per_um=float(f"{kappa:.9g}"),
            kappa_decay_per_um=round(gamma, 6),
            coupler_length_eff_um=round(l_eff, 3),
            power_coupling=float(f"{math.sin(theta) ** 2:.9g}"),
        )
    )
    return c


_HEATER_RULE = RULES.layer("HEATER")
#: width of the heater's electrical ports: the default routing trace (xs_sin_metal)
PORT_WIDTH_UM = XSECTIONS["xs_sin_metal"].width_um
#: default heater strip width: the heater cross-section's (xs_sin_heater)
HEATER_WIDTH_UM = XSECTIONS["xs_sin_heater"].width_um


def _edge_y(r: float, lc: float, x: float) -> float:
    """Height of a racetrack edge of radius ``r`` (straights of ``lc``) above its centre at x."""
    dx = max(abs(x) - lc / 2, 0.0)
    return math.sqrt(r * r - dx * dx)


@gf.cell
@checked(
    radius_um=RADIUS,
    coupling_length_um=COUPLING_LENGTH,
    # 2 um above the rule: a curved strip drawn at exactly the rule loses a grid step to snapping
    width_um=Range(_HEATER_RULE.min_width_um + 2.0, PORT_WIDTH_UM, "um", "heater strip width"),
    opening_um=Range(100.0, 2000.0, "um", "gap between the two heater ends at the top (x)"),
    lead_length_um=Range(20.0, 500.0, "um", "heater lead from the ring to the contact"),
    contact_size_um=Range(PORT_WIDTH_UM, 80.0, "um", "side of the heater-to-metal contact square"),
)
def sin_ring_heater(
    radius_um: float = RADIUS_UM,
    coupling_length_um: float = 0.0,
    width_um: float = HEATER_WIDTH_UM,
    opening_um: float = 200.0,
    lead_length_um: float = 40.0,
    contact_size_um: float = 30.0,
) -> gf.Component:
    """Heater strip on the ring's centre line (origin = ring centre), open at the top.

    The strip follows the whole ring (over the coupler too) except the top section between
    x = -opening_um/2 and +opening_um/2, where it is cut square. From each cut end a lead of the
    strip's width runs straight up to a contact square (HEATER under PAD_METAL) whose bottom is
    ``lead_length_um`` above the strip, so the pad metal stays clear of the waveguide.
    Electrical ports e1 (left) and e2 (right) on top of the contacts, facing north, with the width
    of the default metal trace. ``length_um`` is the heated centre-line length.
    """
    r, lc, w = radius_um, coupling_length_um, snap2(width_um)
    half = opening_um / 2
    if half > lc / 2 + r / 2:
        raise ValueError(
            f"opening_um={opening_um} um is out of range for this ring: allowed <= "
            f"{lc + r:.1f} um (coupling_length_um + radius_um)"
        )
    length = racetrack_length(r, lc)
    c = gf.Component()
    add_band(c, "HEATER", r, lc, w, 0.0, length, cut=(-half, 0.0, half, r + w))
    y_inner = _edge_y(r - w / 2, lc, half)
    hc = contact_size_um / 2
    for name, sign in (("e1", -1.0), ("e2", 1.0)):
        x_lead = sign * (half + w / 2)
        x_near = max(abs(x_lead) - hc, 0.0)  # contact corner nearest the ring's top
        y_contact = snap(_edge_y(r + w / 2, lc, x_near) + lead_length_um)
        add_box(c, "HEATER", x_lead - w / 2, y_inner, x_lead + w / 2, y_contact)
        add_box(c, "HEATER", x_lead - hc, y_contact, x_lead + hc, y_contact + contact_size_um)
        add_box(c, "PAD_METAL", x_lead - hc, y_contact, x_lead + hc, y_contact + contact_size_um)
        add_port(
            c,
            name,
            x_lead,
            y_contact + contact_size_um,
            90,
            PORT_WIDTH_UM,
            "PAD_METAL",
            "electrical",
        )
    # centre-line length inside the cut: s from the top centre to x = opening/2
    s_cut = half if half <= lc / 2 else lc / 2 + r * math.asin((half - lc / 2) / r)
    heated = length - 2 * s_cut
    squares = heated / w + 2 * (y_contact - y_inner) / w  # strip + leads (contacts: negligible)
    c.info.update(
        dict(
            radius_um=radius_um,
            coupling_length_um=coupling_length_um,
            width_um=w,
            opening_um=opening_um,
            length_um=round(heated, 3),
            coverage=round(heated / length, 6),
            squares=round(squares, 3),
            resistance_ohm=round(squares * HEATER_SHEET_RESISTANCE_OHM_PER_SQ, 3),
        )
    )
    return c


__all__ = ["ring_center_y_um", "ring_figures", "sin_ring_bus", "sin_ring_heater"]
