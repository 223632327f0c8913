"""From layout to device physics: the server ring and its comb, read from the server chip.

The ring's optical length, group index, group-velocity dispersion, loss and power coupling are
read from the built ``server_chip`` cell (``c.info``: the cell computed them from its own radius,
width and gap with the PDK's mode tables), never typed in again; the comb operating point
(pump power, detuning, mode shift, linewidths) is a :class:`CombSettings`, whose defaults and
ranges are those of :func:`qkdchip.sims.physics.comb.simulate_comb` itself.

    design (server.*) -> server_chip -> c.info -> RingParams -> LLE -> CombResult -> ChannelPlan
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

    #: 50 mW, not simulate_comb's 40 mW: with the mode solver's Kerr constants (A_eff 3.9 um^2,
    #: n2_eff from the Kerr overlap) the default ring's threshold is 11.9 mW, and 50 mW keeps the
    #: reference operating point f^2 ~ 4.2 (40 mW: f^2 3.4, the dark pulse is not reached).
    pump_power_w: float = field(
        default=0.05,
        metadata={"range": COMB_RANGES["pump_power_w"], "doc": COMB_RANGES["pump_power_w"].doc},
    )
    detuning_zeta: float = _comb_field("detuning_zeta")
    mode_shift_kappa: float = _comb_field("mode_shift_kappa")
    pump_linewidth_hz: float = _comb_field("pump_linewidth_hz")
    sil_k: float = _comb_field("sil_k")
    power_drift_per_12h: float = _comb_field("power_drift_per_12h")
    n_modes: int = _comb_field("n_modes")
    seed: int = _COMB_DEFAULTS["seed"]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            rng = f.metadata.get("range")
            if rng is not None:
                rng.check(f"comb.{f.name}", getattr(self, f.name))


def server_info(design: Design | None = None) -> dict[str, Any]:
    """``c.info`` of the server chip of ``design`` (built in the Si3N4 PDK)."""
    design = design or Design()
    return dict(_server_info(tuple(sorted(design.kwargs("server").items()))))


@lru_cache(maxsize=64)
def _server_info(items: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    from qkdchip.circuits.server_chip import server_chip
    from qkdchip.pdk import use_pdk

    with use_pdk("sin"):
        c = server_chip(**dict(items))
    return tuple(dict(c.info).items())


def ring_from_info(info: dict[str, Any]) -> RingParams:
    """A :class:`RingParams` from the server chip's ``c.info`` (SI units).

    The Kerr constants come from the mode solver too: the nonlinear effective area of the ring's
    cross-section and the effective n2 weighted by the Kerr overlap in the core
    (:func:`qkdchip.pdk.sin.process.effective_n2_m2_per_w`).
    """
    from qkdchip.pdk.sin.process import effective_n2_m2_per_w

    return RingParams(
        length_m=info["ring_length_um"] * 1e-6,
        n_g=info["ring_n_g"],
        beta2_s2_per_m=info["ring_beta2_ps2_per_km"] * 1e-27,
        loss_db_per_m=info["ring_loss_db_per_m"],
        kappa2=info["ring_power_coupling"],
        n2_m2_per_w=effective_n2_m2_per_w(info["ring_kerr_core_fraction"]),
        a_eff_m2=info["ring_a_eff_um2"] * 1e-12,
    )


def ring_params(design: Design | None = None) -> RingParams:
    """The server ring of ``design`` as device-physics input."""
    return ring_from_info(server_info(design))


def comb_settings(design: Design | None = None) -> CombSettings:
    design = design or Design()
    return CombSettings(**design.kwargs("comb"))


def comb(design: Design | None = None) -> CombResult:
    """The simulated comb of ``design`` (LLE steady state at the design's operating point)."""
    s = comb_settings(design)
    kwargs = dataclasses.asdict(s)
    return simulate_comb(ring_params(design), **kwargs)


def channel_plan(
    design: Design | None = None, comb_result: CombResult | None = None
) -> ChannelPlan:
    """The 10-channel plan on the comb of ``design``."""
    return plan_channels(comb_result or comb(design))
