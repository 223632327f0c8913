"""Axis labels with units: the one table of the quantities, metrics and parameters that figures
and tables show.

:data:`LABELS` maps a name (a metric such as ``min_ratio``, a quantity such as ``rate_per_pulse``
or ``distance_km``) to a :class:`Label` (text and unit); :func:`axis_label` turns any name into
``"text (unit)"``: a name of the table, else a design parameter's dotted name
(``server.ring.gap_um`` -> ``server ring gap (um)``, its unit read from the name's suffix with
:func:`unit_from_name`, the same rule the design registry uses for a parameter without a declared
unit), else the name itself. Every figure of the report, ``keyrate --plot`` and ``sweep --plot``
reads its axis labels here, so a unit is written once.

This module imports nothing of the project (the bottom layer): every layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LABELS", "UNIT_SUFFIXES", "Label", "axis_label", "unit_from_name"]

#: name suffix -> unit, for names that carry their unit (``gap_um``, ``loss_db``)
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_um", "um"),
    ("_nm", "nm"),
    ("_pm", "pm"),
    ("_mm", "mm"),
    ("_km", "km"),
    ("_db", "dB"),
    ("_dbm", "dBm"),
    ("_db_per_km", "dB/km"),
    ("_ghz", "GHz"),
    ("_mhz", "MHz"),
    ("_hz", "Hz"),
    ("_deg", "deg"),
    ("_rad", "rad"),
    ("_v", "V"),
    ("_ma", "mA"),
    ("_mw", "mW"),
    ("_bps", "bit/s"),
)


@dataclass(frozen=True)
class Label:
    """What a quantity is (``text``) and its ``unit`` ('' for a pure number)."""

    text: str
    unit: str = ""

    def __str__(self) -> str:
        return f"{self.text} ({self.unit})" if self.unit else self.text


#: name -> label: the quantities of the figures and the metrics of ``qkdchip sweep``
LABELS: dict[str, Label] = {
    # spectra
    "wavelength_nm": Label("wavelength", "nm"),
    "detuning_pm": Label("wavelength - resonance", "pm"),
    "frequency_ghz": Label("frequency", "GHz"),
    "transmission_db": Label("|S|$^2$", "dB"),
    "drive_v": Label("drive voltage", "V"),
    "power_dbm": Label("power", "dBm"),
    # key rates
    "distance_km": Label("Alice-Bob fibre distance", "km"),
    "rate_per_pulse": Label("secret key rate", "bit/pulse"),
    "rate_bps": Label("secret key rate", "bit/s"),
    "ratio_to_plob": Label("key rate / PLOB", ""),
    "plob_per_pulse": Label("PLOB bound", "bit/pulse"),
    "channel": Label("channel", ""),
    "qber_x": Label("X-basis QBER", "%"),
    "qber_z": Label("Z-basis QBER", "%"),
    # the metrics of `qkdchip sweep` (NetworkResult.metrics)
    "min_ratio": Label("smallest key rate / PLOB over the channels", ""),
    "mean_ratio": Label("mean key rate / PLOB over the channels", ""),
    "max_ratio": Label("largest key rate / PLOB", ""),
    "min_rate": Label("smallest key rate", "bit/pulse"),
    "mean_rate": Label("mean key rate", "bit/pulse"),
    "total_bps": Label("sum of the channels' key rates while they run", "bit/s"),
    "network_bps": Label("time-averaged key of the whole network", "bit/s"),
    "locked_channels": Label("channels with both clients injection-locked", ""),
    "key_channels": Label("channels with a positive key rate", ""),
    "beating_plob": Label("channels above PLOB", ""),
    "capability_km": Label("networking capability", "km"),
    "mean_qber_x": Label("mean X-basis QBER of the channels with key", ""),
    "max_qber_x": Label("largest X-basis QBER of the channels with key", ""),
}


def unit_from_name(name: str) -> str:
    """The unit a name's suffix states (``gap_um`` -> ``um``), '' if none does."""
    low = name.lower()
    best = ""
    for suffix, unit in UNIT_SUFFIXES:  # the longest suffix wins (_db_per_km over _km)
        if low.endswith(suffix) and len(suffix) > len(best):
            best, found = suffix, unit
    return found if best else ""


def _strip_unit(word: str) -> str:
    low = word.lower()
    for suffix, _ in sorted(UNIT_SUFFIXES, key=lambda s: -len(s[0])):
        if low.endswith(suffix):
            return word[: -len(suffix)]
    return word


def axis_label(name: str, unit: str | None = None, text: str | None = None) -> str:
    """``"text (unit)"`` for ``name``: from :data:`LABELS`, else from the name (a dotted design
    parameter: its words, the unit from its suffix). ``unit`` / ``text`` override (e.g. the
    unit and description the design registry declares for a parameter)."""
    known = LABELS.get(name)
    if known is not None:
        return str(Label(text or known.text, known.unit if unit is None else unit))
    words = " ".join(_strip_unit(name).replace(".", " ").replace("_", " ").split())
    return str(Label(text or words or name, unit_from_name(name) if unit is None else unit))
