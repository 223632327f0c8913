"""Results of the network and their JSON form (the last link of the chain of model.py).

    ... -> key rate, transmitter budget, reason (keyrates.py, outcome.py)
        -> ClientLink (one client: chip, feed, locking), ChannelResult (one client pair),
           NetworkResult (one design: channels, comb, settings; figures of merit, summary)
        -> to_dict() -> JSON (``qkdchip network --json``, results.json of ``qkdchip run``)

:func:`jsonable` turns numpy values into Python ones and non-finite floats into None.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qkdchip.base.design import Design
from qkdchip.sims.physics.channels import ChannelPlan
from qkdchip.sims.physics.comb import CombResult
from qkdchip.sims.physics.constants import C_M_PER_S
from qkdchip.sims.physics.injection import LockingResult
from qkdchip.sims.physics.qber import XBudget

from .settings import LinkSettings, NetworkSettings
from .wafer import ClientChip, Die

__all__ = ["COMB_WINDOW_DB", "ChannelResult", "ClientLink", "NetworkResult", "jsonable"]

#: power window (dB below the strongest line) within which a line counts as part of the comb
#: for the report (physics.channels.plan_channels's default window)
COMB_WINDOW_DB = 30.0


def jsonable(o: Any) -> Any:
    """``o`` with numpy scalars/arrays as Python values and non-finite floats as None (JSON)."""
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return jsonable(o.tolist())
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


@dataclass(frozen=True)
class ClientLink:
    """One client of a pair: its chip, its comb-line feed, and the locking outcome."""

    chip: ClientChip
    downstream_km: float
    injected_power_dbm: float  # at the slave laser (after the die's injection facet)
    lock: LockingResult

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.chip.to_dict(),
            "downstream_km": self.downstream_km,
            "injected_power_dbm": self.injected_power_dbm,
            "rho_db": self.lock.rho_db if self.lock.rho > 0 else None,
            "locked": self.lock.locked,
            "locking_range_mhz": [x / 1e6 for x in self.lock.range_hz],
            "locking_bandwidth_mhz": self.lock.locking_bandwidth_hz / 1e6,
            "residual_phase_var_rad2": self.lock.residual_phase_var_rad2,
            "lock_reason": self.lock.reason,
        }


@dataclass(frozen=True)
class ChannelResult:
    """One WDM channel (client pair) of the network."""

    channel: int
    k: int
    frequency_hz: float
    line_power_dbm: float
    in_comb: bool  # line within the comb's power window
    a: ClientLink
    b: ClientLink
    upstream_km: tuple[float, float]
    phase_var_rad2: dict[str, float]
    x_budget: XBudget | None  # X-error contributors of the locked pair (physics.qber)
    extinction_ratio_db: float  # of the pair (the worse die), as used by the SNS vacuum
    dark_count_prob: float  # incl. simultaneous-mode crosstalk
    rate_per_pulse: float
    rate_bps: float
    plob_per_pulse: float
    qber_x: float | None
    qber_z: float | None
    parameters: dict[str, Any] | None  # None where the channel has no key (see ``reason``)
    external_attenuation_db: tuple[float | None, float | None]
    reason: str  # empty when the channel has key

    @property
    def wavelength_nm(self) -> float:
        return C_M_PER_S / self.frequency_hz * 1e9

    @property
    def locked(self) -> bool:
        return self.a.lock.locked and self.b.lock.locked

    @property
    def has_key(self) -> bool:
        return self.rate_per_pulse > 0.0

    @property
    def distance_km(self) -> float:
        return self.upstream_km[0] + self.upstream_km[1]

    @property
    def ratio_to_plob(self) -> float:
        return self.rate_per_pulse / self.plob_per_pulse if self.plob_per_pulse > 0 else 0.0

    @property
    def qber_x_budget(self) -> dict[str, float] | None:
        """X-QBER contributor -> share of ``qber_x`` (sums to 1; ``protocol``: what the key-rate
        model adds, dark counts and the X-event phase window); without a key-rate evaluation,
        the split of the optical X error; None where a client is unlocked."""
        if self.x_budget is None:
            return None
        return self.x_budget.shares(self.qber_x)

    @property
    def phase_rms_rad(self) -> float:
        return math.sqrt(sum(self.phase_var_rad2.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "clients": [self.a.chip.name, self.b.chip.name],
            "k": self.k,
            "wavelength_nm": self.wavelength_nm,
            "frequency_thz": self.frequency_hz / 1e12,
            "line_power_dbm": self.line_power_dbm,
            "in_comb": self.in_comb,
            "locked": self.locked,
            "qber_x": self.qber_x,
            "qber_z": self.qber_z,
            "qber_x_budget": self.qber_x_budget,
            "rate_per_pulse": self.rate_per_pulse,
            "rate_bps": self.rate_bps,
            "plob_per_pulse": self.plob_per_pulse,
            "ratio_to_plob": self.ratio_to_plob,
            "has_key": self.has_key,
            "reason": self.reason,
            "distance_km": self.distance_km,
            "upstream_km": list(self.upstream_km),
            "phase_rms_rad": self.phase_rms_rad,
            "phase_var_rad2": dict(self.phase_var_rad2),
            "extinction_ratio_db": self.extinction_ratio_db,
            "dark_count_prob": self.dark_count_prob,
            "external_attenuation_db": list(self.external_attenuation_db),
            "parameters": self.parameters,
            "client_links": [self.a.to_dict(), self.b.to_dict()],
        }


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """The network of one design."""

    design: Design
    link: LinkSettings
    net: NetworkSettings
    comb: CombResult
    plan: ChannelPlan
    channels: tuple[ChannelResult, ...]
    rejected: tuple[Die, ...]
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def distance_km(self) -> float:
        return self.link.distance_km

    @property
    def with_key(self) -> list[ChannelResult]:
        return [c for c in self.channels if c.has_key]

    @property
    def networking_capability_km(self) -> float:
        return float(sum(c.distance_km for c in self.with_key))

    @property
    def network_bps(self) -> float:
        """Time-averaged key of the whole network [bit/s]: the mean over channels in sequential
        mode (each runs 1/n of the time), the sum in simultaneous mode."""
        total = sum(c.rate_bps for c in self.channels)
        return total / len(self.channels) if self.net.mode == "sequential" else total

    def metrics(self) -> dict[str, float]:
        """Scalar figures of merit (the ``qkdchip sweep`` metrics)."""
        ratios = [c.ratio_to_plob for c in self.channels]
        qx = [c.qber_x for c in self.with_key if c.qber_x is not None]
        return {
            "min_ratio": float(min(ratios)),
            "mean_ratio": float(np.mean(ratios)),
            "max_ratio": float(max(ratios)),
            "min_rate": float(min(c.rate_per_pulse for c in self.channels)),
            "mean_rate": float(np.mean([c.rate_per_pulse for c in self.channels])),
            "total_bps": float(sum(c.rate_bps for c in self.channels)),
            "network_bps": self.network_bps,
            "locked_channels": float(sum(c.locked for c in self.channels)),
            "key_channels": float(len(self.with_key)),
            "beating_plob": float(sum(c.ratio_to_plob > 1.0 for c in self.channels)),
            "capability_km": self.networking_capability_km,
            "mean_qber_x": float(np.mean(qx)) if qx else float("nan"),
            "max_qber_x": float(max(qx)) if qx else float("nan"),
        }

    def summary(self) -> dict[str, Any]:
        m = self.metrics()
        mounted = [c.a.chip for c in self.channels] + [c.b.chip for c in self.channels]
        working = sum(ch.die.working_modulators for ch in mounted)
        return {
            "distance_km": self.distance_km,
            "protocol": self.net.protocol,
            "mode": self.net.mode,
            "pulses": self.net.finite_pulses,
            "channels": len(self.channels),
            "locked_channels": int(m["locked_channels"]),
            "channels_with_key": int(m["key_channels"]),
            "channels_beating_plob": int(m["beating_plob"]),
            "ratio_to_plob_min": m["min_ratio"],
            "ratio_to_plob_max": m["max_ratio"],
            "qber_x_range": [min(c.qber_x for c in self.with_key), m["max_qber_x"]]
            if self.with_key and not math.isnan(m["max_qber_x"])
            else None,
            "network_bps": self.network_bps,
            "networking_capability_km": self.networking_capability_km,
            "modulators_working": f"{working}/{6 * len(mounted)}",
            "dies_set_aside": [d.index for d in self.rejected],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance_km": self.distance_km,
            "networking_capability_km": self.networking_capability_km,
            "summary": self.summary(),
            "channels": [c.to_dict() for c in self.channels],
            "comb": {
                "state": self.comb.state,
                "fsr_ghz": self.comb.fsr_hz / 1e9,
                "lines_within_30db": self.comb.n_lines_within(COMB_WINDOW_DB),
                "line_linewidth_hz": self.comb.line_linewidth_hz,
                "lambda0_nm": self.plan.lambda0_nm,
            },
            "settings": {
                "link": dataclasses.asdict(self.link),
                "network": dataclasses.asdict(self.net),
            },
            "design_overrides": dict(self.design.overrides),
        }
