"""Single home of the reference numbers shared by the device-physics modules.

Fundamental constants come from :mod:`scipy.constants` (CODATA); this module holds only the
design-level reference values that several physics modules need. Each is a documented default,
not a law of nature: every function that uses one takes it as an overridable parameter.
"""

from __future__ import annotations

from decimal import Decimal

from scipy.constants import c as C_M_PER_S
from scipy.constants import h as H_J_S
from scipy.constants import hbar as HBAR_J_S

from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM

__all__ = [
    "C_BAND_HZ",
    "C_M_PER_S",
    "FIBRE_GROUP_INDEX",
    "HBAR_J_S",
    "H_J_S",
    "LAMBDA0_M",
    "NU0_HZ",
]

#: Reference comb line / pump wavelength of the Weiming comb (vacuum), m: the Si3N4 process's
#: design wavelength ``DESIGN_WAVELENGTH_UM`` (``pdk/sin/process.py``, its one home), moved from
#: um to m by a decimal shift (the double nearest to 1549.78e-9; ``x * 1e-6`` is one ulp off).
LAMBDA0_M: float = float(Decimal(repr(DESIGN_WAVELENGTH_UM)).scaleb(-6))
#: Its optical frequency, Hz.
NU0_HZ: float = C_M_PER_S / LAMBDA0_M
#: Group index of standard single-mode fibre (G.652) at 1550 nm: 1.468 / c = 4.897 us/km.
FIBRE_GROUP_INDEX: float = 1.468
#: The C band, 1530-1565 nm, as a frequency interval (low, high) in Hz.
C_BAND_HZ: tuple[float, float] = (C_M_PER_S / 1565e-9, C_M_PER_S / 1530e-9)
