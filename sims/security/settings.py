"""The design's ``security.*`` settings: the phase-randomisation driver and the attacker budget.

Registered in :data:`qkdchip.design.SOURCES` (``security.phases``, ``security.dac_bits``, ...);
each field carries its :class:`~qkdchip.base.params.Range` in ``metadata["range"]``. Sources
(docs/assumptions.md, section "Security margins"):

* ``phases`` M = 16: the phase-slice number the key-rate core already uses for PM and TF
  (``PMParams``/``TFParams``), and the number of discrete phases used in SNS experiments with
  discrete randomisation (Jiang et al., arXiv:2009.00816, show 12 to be close to continuous);
* ``dac_bits`` = 8: the vertical resolution of the arbitrary waveform generators used to drive
  GHz QKD modulators (Keysight M8195A: 8 bit, 65 GSa/s, datasheet);
* ``drive_swing_v`` = 10 V peak to peak: the output of a 10 Gb/s modulator driver amplifier
  (GD19903 datasheet: 10 Vpp differential drive);
* ``attacker_power_dbm`` = 10 dBm in the client's fibre: the budget stated by the issue
  (a 10 mW fibre laser; the laser-seeding attack of Huang et al., PR Applied 12, 064043
  (2019), injected up to ~ 1 mW-class powers).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from qkdchip.base.params import Range

from .phases import DAC_BITS_RANGE, PHASES_RANGE

__all__ = ["SecuritySettings"]


def _f(default: Any, rng: Range, doc: str) -> Any:
    from dataclasses import replace

    return field(default=default, metadata={"doc": doc, "range": replace(rng, doc=doc)})


@dataclass(frozen=True)
class SecuritySettings:
    """Phase-randomisation driver of PM I and the attacker's injection budget."""

    phases: int = _f(16, PHASES_RANGE, "discrete random phases M applied by PM I")
    dac_bits: int = _f(8, DAC_BITS_RANGE, "resolution of the DAC driving PM I")
    drive_swing_v: float = _f(
        10.0,
        Range(0.0, 200.0, "V", lo_open=True),
        "full-scale drive swing of PM I (peak to peak, DAC full scale after the amplifier)",
    )
    attacker_power_dbm: float = _f(
        10.0, Range(-100.0, 40.0, "dBm"), "attacker's injected power in the client's fibre"
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            f.metadata["range"].check(f"security.{f.name}", getattr(self, f.name))
