"""From layout to device physics: the server ring and its comb, read from the server chip.

The ring (:func:`ring_params`) has one route from the design: the ring instance's geometry in the
built ``server_chip`` (radius, width, gap, coupling length) and the PDK's mode tables, through
:func:`qkdchip.sims.server.server_ring_params` (length, n_g, beta2, loss, |k|^2 of the coupler
model, A_eff and the Kerr-weighted n2, at full precision: not the rounded figures of ``c.info``);
the comb operating point (pump power, detuning, mode shift, linewidths) is a
:class:`CombSettings`, whose defaults and ranges are those of
:func:`qkdchip.sims.physics.comb.simulate_comb` itself.

    design (server.*) -> server_chip -> ring geometry -> RingParams -> LLE -> CombResult
        -> ChannelPlan
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from qkdchip.base.design import Design
from qkdchip.base.params import defaults_of
from qkdchip.sims.physics.channels import ChannelPlan, plan_channels
from qkdchip.sims.physics.comb import COMB_RANGES, CombResult, simulate_comb
from qkdchip.sims.physics.ring import RingParams

_COMB_DEFAULTS = defaults_of(simulate_comb)


def _comb_field(name: str) -> Any:
    rng = COMB_RANGES[name]
    return field(default=_COMB_DEFAULTS[name], metadata={"range": rng, "doc": rng.doc})


@dataclass(frozen=True)
class CombSettings:
    """Operating point of the comb (the design's ``comb.*`` parameters)."""

    pump_power_w: float = _comb_field("pump_power_w")
    detuning_zeta: float = _comb_field("detuning_zeta")
    mode_shift_kappa: float = _comb_field("mode_shift_kappa")
    pump_linewidth_hz: float = _comb_field("pump_linewidth_hz")
    sil_k: float = _comb_field("sil_k")
    power_drift_per_12h: float = _comb_field("power_drift_per_12h")
    n_modes: int = _comb_field("n_modes")
    seed: int = _comb_field("seed")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            rng = f.metadata.get("range")
            if rng is not None:
                rng.check(f"comb.{f.name}", getattr(self, f.name))


def server_info(design: Design | None = None) -> dict[str, Any]:
    """``c.info`` of the server chip of ``design`` (built in the Si3N4 PDK): the chip's stated,
    rounded figures (for reports; the ring itself is :func:`ring_params`)."""
    design = design or Design()
    return dict(_server_info(tuple(sorted(design.kwargs("server").items()))))


@lru_cache(maxsize=64)
def _server_info(items: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    from qkdchip.circuits.server_chip import server_chip
    from qkdchip.pdk import use_pdk

    with use_pdk("sin"):
        c = server_chip(**dict(items))
    return tuple(dict(c.info).items())


def ring_params(design: Design | None = None) -> RingParams:
    """The server ring of ``design`` (default: the default design) as device-physics input:
    :func:`qkdchip.sims.server.server_ring_params` of the design's server chip."""
    from qkdchip.sims.server import server_ring_params

    design = design or Design()
    return server_ring_params(**design.kwargs("server"))


def comb_settings(design: Design | None = None) -> CombSettings:
    design = design or Design()
    return CombSettings(**design.kwargs("comb"))


def comb(design: Design | None = None) -> CombResult:
    """The simulated comb of ``design`` (LLE steady state at the design's operating point)."""
    s = comb_settings(design)
    kwargs = dataclasses.asdict(s)
    return simulate_comb(ring_params(design), **kwargs)


def channel_plan(
    design: Design | None = None,
    comb_result: CombResult | None = None,
    *,
    allow_fewer: bool = False,
) -> ChannelPlan:
    """The 10-channel plan on the comb of ``design`` (``allow_fewer``: the channels the comb
    gives, with the plan's ``shortfall`` saying why there are fewer, instead of a ValueError)."""
    return plan_channels(comb_result or comb(design), allow_fewer=allow_fewer)
