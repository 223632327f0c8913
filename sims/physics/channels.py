"""WDM channel plan on the comb lines, demultiplexing, and downstream delivery to the clients.

The comb (FSR 30.03 GHz) is not commensurate with the ITU grid, so each channel is cut out of the
comb by its own filter centred on the chosen line (a tunable filter / flex-grid WSS port). The
rule used here:

1. The reference line lambda_0 is line ``k_ref`` (default 0: the pump line at 1549.78 nm, the
   strongest line); it carries the phase reference and is not a client channel.
2. The channel lines are every m-th line, ``k = k_ref + j m`` (j != 0), with
   ``m = ceil(min_port_spacing / FSR)``: the demux ports are then at least ``min_port_spacing``
   apart (50 GHz default -> m = 2, 60.06 GHz), so that the lines in between (the +-30 GHz
   neighbours of every channel line) fall in the filter stop band.
3. The 10 channels are the lines closest to the reference on alternating sides
   (j = +-1, +-2, ...) that are *usable* (in the C band and within the power window of the
   strongest line), numbered 1..10 in ascending frequency.

A filter port is a super-Gaussian passband with a stop-band floor::

    T(d nu) [dB] = -IL + max(10 log10 exp(-ln 2 (2 d nu / B)^(2 n)), -ISO)

(B the 3 dB bandwidth, n the order, IL the insertion loss, ISO the isolation floor). The
adjacent-channel isolation of a channel is computed from the actual comb: the wanted line's
power after its port over the sum of all other lines' powers after the same port.

Downstream each channel's line is split 1:2 to the pair's two clients (A_i, B_i) and reaches each
through its own fibre (loss ``alpha L``) and a coupling loss into the client chip; the result is
the injected power used by :mod:`.injection`. Short links by default (1 km); 60 + 60 km for
pair 5, as in the reference network.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qkdchip.base.params import Range

from .comb import CombResult
from .constants import C_M_PER_S

__all__ = [
    "REFERENCE_DOWNSTREAM_KM",
    "Channel",
    "ChannelPlan",
    "ClientFeed",
    "DemuxFilter",
    "Distribution",
    "deliver",
    "plan_channels",
]

#: Downstream fibre per client pair (km to A_i, km to B_i): short except pair 5 (60 + 60 km).
REFERENCE_DOWNSTREAM_KM: dict[int, tuple[float, float]] = {5: (60.0, 60.0)}


#: Allowed ranges of the :class:`DemuxFilter` fields (their single home).
DEMUX_RANGES: dict[str, Range] = {
    "bandwidth_3db_hz": Range(1e8, 1e12, "Hz", "3 dB bandwidth"),
    "order": Range(1, 10, "", "super-Gaussian order", integer=True),
    "insertion_loss_db": Range(0.0, 30.0, "dB", "insertion loss"),
    "isolation_db": Range(0.0, 100.0, "dB", "isolation floor"),
    "min_port_spacing_hz": Range(1e9, 1e13, "Hz", "minimum port spacing"),
}

#: Allowed ranges of the :class:`Distribution` fields (their single home).
DISTRIBUTION_RANGES: dict[str, Range] = {
    "fibre_loss_db_per_km": Range(0.0, 2.0, "dB/km", "fibre loss"),
    "splitter_excess_db": Range(0.0, 10.0, "dB", "splitter excess loss"),
    "coupling_loss_db": Range(0.0, 30.0, "dB", "fibre-to-chip coupling loss"),
    "default_km": Range(0.0, 500.0, "km", "downstream fibre"),
}


@dataclass(frozen=True)
class DemuxFilter:
    """One demultiplexer port (tunable super-Gaussian band-pass with an isolation floor)."""

    bandwidth_3db_hz: float = 12.5e9
    order: int = 2
    insertion_loss_db: float = 3.0
    isolation_db: float = 40.0
    min_port_spacing_hz: float = 50e9

    def __post_init__(self) -> None:
        for name, rng in DEMUX_RANGES.items():
            rng.check(name, getattr(self, name))

    def transmission_db(self, offset_hz: ArrayLike) -> NDArray[np.float64]:
        """Port transmission in dB (insertion loss included) at a detuning from its centre."""
        x = (2.0 * np.abs(np.asarray(offset_hz, dtype=np.float64)) / self.bandwidth_3db_hz) ** (
            2 * self.order
        )
        shape_db = -10.0 * math.log10(math.e) * math.log(2.0) * x
        return -self.insertion_loss_db + np.maximum(shape_db, -self.isolation_db)


@dataclass(frozen=True)
class Channel:
    """One WDM channel: its comb line, powers before/after the demux, isolation."""

    channel: int
    k: int
    frequency_hz: float
    line_power_dbm: float  # at the comb (ring bus) output
    demux_power_dbm: float  # wanted line after its port
    isolation_db: float  # wanted / (all other lines) after the port
    neighbour_rejection_db: float  # port transmission at +-FSR relative to the centre

    @property
    def frequency_thz(self) -> float:
        return self.frequency_hz / 1e12

    @property
    def wavelength_nm(self) -> float:
        return C_M_PER_S / self.frequency_hz * 1e9


@dataclass(frozen=True)
class ChannelPlan:
    """The channel plan: reference line, line spacing, channels, filter."""

    k_ref: int
    reference_frequency_hz: float
    reference_power_dbm: float
    line_step: int
    fsr_hz: float
    channels: tuple[Channel, ...]
    demux: DemuxFilter
    #: why the plan has fewer channels than asked for (``plan_channels(allow_fewer=True)``)
    shortfall: str | None = None

    @property
    def lambda0_nm(self) -> float:
        return C_M_PER_S / self.reference_frequency_hz * 1e9

    @property
    def channel_spacing_hz(self) -> float:
        return self.line_step * self.fsr_hz

    def channel(self, i: int) -> Channel:
        for ch in self.channels:
            if ch.channel == i:
                return ch
        raise ValueError(f"channel={i} is out of range: allowed [1, {len(self.channels)}]")

    def to_dict(self) -> dict[str, Any]:
        return {
            "k_ref": self.k_ref,
            "lambda0_nm": self.lambda0_nm,
            "line_step": self.line_step,
            "channel_spacing_ghz": self.channel_spacing_hz / 1e9,
            "channels": [
                {
                    "channel": ch.channel,
                    "k": ch.k,
                    "frequency_thz": ch.frequency_thz,
                    "wavelength_nm": ch.wavelength_nm,
                    "power_dbm": ch.line_power_dbm,
                    "demux_power_dbm": ch.demux_power_dbm,
                    "isolation_db": ch.isolation_db,
                }
                for ch in self.channels
            ],
        }


def plan_channels(
    comb: CombResult,
    n_channels: int = 10,
    demux: DemuxFilter | None = None,
    k_ref: int = 0,
    within_db: float = 30.0,
    floor_dbm: float | None = None,
    allow_fewer: bool = False,
) -> ChannelPlan:
    """Place ``n_channels`` channels on ``comb`` by the rule of the module docstring.

    Raises ValueError (naming n_channels and the number available) if the comb has too few
    usable lines on the required line lattice; with ``allow_fewer`` the plan holds the channels
    there are (possibly none) and ``shortfall`` says why (a comb's result, not a bad input).
    """
    demux = DemuxFilter() if demux is None else demux
    Range(1, 200, "", "number of channels", integer=True).check("n_channels", n_channels)
    ref_i = comb.index_of(k_ref)
    fsr = comb.fsr_hz
    m = max(1, math.ceil(demux.min_port_spacing_hz / fsr - 1e-9))
    usable = comb.usable(within_db=within_db, floor_dbm=floor_dbm)
    chosen: list[int] = []
    j = 1
    kmax = int(max(abs(comb.k[0]), abs(comb.k[-1])))
    while len(chosen) < n_channels and j * m <= kmax + abs(k_ref):
        for k in (k_ref - j * m, k_ref + j * m):
            if (
                comb.k[0] <= k <= comb.k[-1]
                and usable[comb.index_of(k)]
                and len(chosen) < n_channels
            ):
                chosen.append(k)
        j += 1
    shortfall = None
    if len(chosen) < n_channels:
        shortfall = (
            f"only {len(chosen)} usable lines on the every-{m}-th-line lattice around "
            f"k_ref={k_ref} (within {within_db} dB, C band)"
        )
        if not allow_fewer:
            raise ValueError(f"n_channels={n_channels} is out of range: {shortfall}")
    chosen.sort()
    p_dbm = comb.power_dbm
    p_w = comb.power_w
    channels = []
    for i, k in enumerate(chosen, start=1):
        idx = comb.index_of(k)
        t_db = demux.transmission_db(comb.frequency_hz - comb.frequency_hz[idx])
        out_w = p_w * 10.0 ** (t_db / 10.0)
        others = out_w.sum() - out_w[idx]
        channels.append(
            Channel(
                channel=i,
                k=int(k),
                frequency_hz=float(comb.frequency_hz[idx]),
                line_power_dbm=float(p_dbm[idx]),
                demux_power_dbm=float(p_dbm[idx] - demux.insertion_loss_db),
                isolation_db=float(10.0 * math.log10(out_w[idx] / others)),
                neighbour_rejection_db=float(
                    demux.transmission_db(fsr)[()] + demux.insertion_loss_db
                ),
            )
        )
    return ChannelPlan(
        k_ref=k_ref,
        reference_frequency_hz=float(comb.frequency_hz[ref_i]),
        reference_power_dbm=float(p_dbm[ref_i]),
        line_step=m,
        fsr_hz=fsr,
        channels=tuple(channels),
        demux=demux,
        shortfall=shortfall,
    )


@dataclass(frozen=True)
class ClientFeed:
    """The comb line delivered to one client for injection locking."""

    client: str  # 'A1', 'B1', ...
    channel: int
    k: int
    frequency_hz: float
    fibre_km: float
    injected_power_dbm: float

    @property
    def injected_power_w(self) -> float:
        return 1e-3 * 10.0 ** (self.injected_power_dbm / 10.0)


@dataclass(frozen=True)
class Distribution:
    """Downstream losses common to all clients."""

    fibre_loss_db_per_km: float = 0.2
    splitter_excess_db: float = 0.3
    coupling_loss_db: float = 3.0
    default_km: float = 1.0
    per_pair_km: Mapping[int, tuple[float, float]] = field(
        default_factory=lambda: dict(REFERENCE_DOWNSTREAM_KM)
    )

    def __post_init__(self) -> None:
        for name, rng in DISTRIBUTION_RANGES.items():
            rng.check(name, getattr(self, name))
        for pair, (la, lb) in self.per_pair_km.items():
            DISTRIBUTION_RANGES["default_km"].check(f"per_pair_km[{pair}]", la)
            DISTRIBUTION_RANGES["default_km"].check(f"per_pair_km[{pair}]", lb)


def deliver(plan: ChannelPlan, distribution: Distribution | None = None) -> list[ClientFeed]:
    """Injected comb-line power at each client: demux output - 3 dB split - excess - fibre -
    coupling (all in dB)."""
    d = Distribution() if distribution is None else distribution
    split_db = 10.0 * math.log10(2.0) + d.splitter_excess_db
    feeds = []
    for ch in plan.channels:
        lengths = d.per_pair_km.get(ch.channel, (d.default_km, d.default_km))
        for side, km in zip(("A", "B"), lengths, strict=True):
            p = ch.demux_power_dbm - split_db - d.fibre_loss_db_per_km * km - d.coupling_loss_db
            feeds.append(
                ClientFeed(f"{side}{ch.channel}", ch.channel, ch.k, ch.frequency_hz, km, p)
            )
    return feeds
