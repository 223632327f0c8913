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
from qkdchip.base.params import AUTO, Range, defaults_of
from qkdchip.sims.physics.channels import ChannelPlan, plan_channels
from qkdchip.sims.physics.comb import COMB_RANGES, CombResult, simulate_comb
from qkdchip.sims.physics.ring import RingParams
from qkdchip.sims.physics.sil import SIL_RANGES, SILResult, self_injection_lock

#: Heater powers a design may set (W).
HEATER_POWER_RANGE = Range(0.0, 2.0, "W", "ring heater power")
#: Backscatter coupling beta = mode splitting / loaded linewidth of the pumped mode: an
#: assumption (a doublet of one linewidth, ~24 MHz here); replace it by the measured splitting
#: of the chip's resonance (docs/assumptions.md). With it SIL's red shift is <= beta^2/4 = 0.25
#: kappa, too little for the dark pulse, so ``sil_drive`` defaults to false (docs/physics.md 3b).
SIL_BACKSCATTER = 1.0

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
    heater_power_w: float | None = field(
        default=None,
        metadata={
            "range": HEATER_POWER_RANGE,
            "auto": True,
            "doc": "ring heater power (W); auto (unset): the power that puts the pump line on lambda_0",
        },
    )
    sil_backscatter: float = field(
        default=SIL_BACKSCATTER,
        metadata={"range": SIL_RANGES["backscatter"], "doc": SIL_RANGES["backscatter"].doc},
    )
    sil_laser_detuning_zeta: float = field(
        default=0.0,
        metadata={
            "range": SIL_RANGES["laser_detuning_zeta"],
            "doc": SIL_RANGES["laser_detuning_zeta"].doc,
        },
    )
    sil_drive: bool = field(
        default=False,
        metadata={"doc": "the LLE runs at the SIL lock point (else at detuning_zeta/mode_shift)"},
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("auto") and value in (None, AUTO):
                object.__setattr__(self, f.name, None)  # auto: derived where it is used
                continue
            rng = f.metadata.get("range")
            if rng is not None:
                rng.check(f"comb.{f.name}", value)


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


def sil_point(design: Design | None = None, pump_power_w: float | None = None) -> SILResult:
    """The self-injection-locked operating point of ``design``'s pump (:mod:`..physics.sil`):
    backscatter and laser detuning from the design's ``comb.*``, the locking phase from the drawn
    laser -> ring path and the facet coupling from the pump facet's model."""
    from qkdchip.sims import server

    design = design or Design()
    s = comb_settings(design)
    ring = ring_params(design)
    comp = server._build(design.kwargs("server"))
    return self_injection_lock(
        kappa_rad_s=ring.kappa,
        eta=ring.eta,
        f2=ring.f2(s.pump_power_w if pump_power_w is None else pump_power_w),
        backscatter=s.sil_backscatter,
        laser_detuning_zeta=s.sil_laser_detuning_zeta,
        facet_coupling=server.facet_power_coupling(component=comp),
        path_phase_rad=server.feedback_path_phase_rad(component=comp),
    )


def operating_point(design: Design | None = None) -> dict[str, Any]:
    """Detuning, mode shift, heater power and pump frequency the comb of ``design`` runs at.

    zeta_0 and the mode shift: the SIL lock point when ``comb.sil_drive`` is true (with the
    pumped mode's extra loss and the model's stabilisation coefficient K for the line narrowing;
    a ``comb.detuning_zeta``, ``comb.mode_shift_kappa`` or ``comb.sil_k`` the design sets
    overrides its part), else the design's ``comb.detuning_zeta`` / ``comb.mode_shift_kappa`` /
    ``comb.sil_k``. The heater: ``comb.heater_power_w``
    when the design sets it, else the power that puts the pumped resonance at lambda_0 + the
    detuning (the pump line on lambda_0). The pump frequency is then the simulated resonance at
    that heater power minus the detuning (:func:`qkdchip.sims.server.resonance_hz`)."""
    from qkdchip.sims import server
    from qkdchip.sims.physics.constants import NU0_HZ

    design = design or Design()
    s = comb_settings(design)
    ring = ring_params(design)
    sil = sil_point(design)
    typed = design.kwargs("comb")
    drive = s.sil_drive
    # SIL drives: its zeta_0, shift, extra loss and K (1 when unlocked: no narrowing), each
    # unless the design types it
    zeta = sil.detuning_zeta if drive and "detuning_zeta" not in typed else s.detuning_zeta
    shift = (
        sil.mode_shift_kappa if drive and "mode_shift_kappa" not in typed else s.mode_shift_kappa
    )
    extra_loss = sil.pump_mode_extra_loss if drive else 0.0
    model_k = sil.stabilization_k if sil.locked else 1.0
    sil_k = model_k if drive and "sil_k" not in typed else s.sil_k
    comp = server._build(design.kwargs("server"))
    heater = server.server_heater(component=comp)
    detuning_hz = ring.detuning_hz_from_zeta(zeta)
    auto = s.heater_power_w is None
    if auto:
        power = server.heater_power_for(NU0_HZ + detuning_hz, component=comp)
    else:
        power = s.heater_power_w
    res_hz = server.resonance_hz(NU0_HZ + detuning_hz, power, component=comp)
    return {
        "detuning_zeta": zeta,
        "mode_shift_kappa": shift,
        "pump_mode_extra_loss": extra_loss,
        "sil_k": sil_k,
        "sil_drives": drive,
        "heater_power_w": power,
        "heater_auto": auto,
        "resonance_hz": res_hz,
        "pump_frequency_hz": res_hz - detuning_hz,
        "sil": sil,
        "heater": heater,
    }


def comb(design: Design | None = None) -> CombResult:
    """The simulated comb of ``design`` (LLE steady state at :func:`operating_point`): the pump
    sits ``zeta_0`` below the ring's simulated resonance at the heater power; the result carries
    the ``sil`` and ``heater`` blocks."""
    design = design or Design()
    s = comb_settings(design)
    op = operating_point(design)
    kwargs = dataclasses.asdict(s)
    for key in ("heater_power_w", "sil_backscatter", "sil_laser_detuning_zeta", "sil_drive"):
        kwargs.pop(key)
    for key in ("detuning_zeta", "mode_shift_kappa", "pump_mode_extra_loss", "sil_k"):
        kwargs[key] = op[key]
    res = simulate_comb(ring_params(design), pump_frequency_hz=op["pump_frequency_hz"], **kwargs)
    heater = op["heater"].summary(op["heater_power_w"])
    heater["auto"] = op["heater_auto"]
    heater["resonance_thz"] = op["resonance_hz"] / 1e12
    sil = op["sil"].to_dict()
    sil["drives_comb"] = op["sil_drives"]
    return dataclasses.replace(res, extras={"sil": sil, "heater": heater})


def channel_plan(
    design: Design | None = None,
    comb_result: CombResult | None = None,
    *,
    allow_fewer: bool = False,
) -> ChannelPlan:
    """The 10-channel plan on the comb of ``design`` (``allow_fewer``: the channels the comb
    gives, with the plan's ``shortfall`` saying why there are fewer, instead of a ValueError)."""
    return plan_channels(comb_result or comb(design), allow_fewer=allow_fewer)


#: Free-running laser detunings xi of the map's laser-frequency axis (normalised, 2(omega_0 -
#: omega_LD)/kappa; step 50 = 0.59 GHz for the default ring).
SIL_LASER_AXIS_XI = tuple(float(x) for x in range(-300, 301, 50))


def sil_laser_axis(
    design: Design | None = None, laser_detuning_zetas: tuple[float, ...] = SIL_LASER_AXIS_XI
) -> list[dict[str, Any]]:
    """The map's laser-frequency axis: for each free-running laser detuning xi, the SIL lock point
    of ``design`` (the drawn feedback phase, its backscatter, its pump power) and, where locked,
    the LLE state at that point (64 modes, as the existence map; with the pumped mode's extra
    loss). ``laser_offset_ghz`` is the
    free-running laser frequency minus the cold resonance (= -xi kappa / 4 pi)."""
    import math

    from qkdchip.sims import server

    design = design or Design()
    s = comb_settings(design)
    ring = ring_params(design)
    comp = server._build(design.kwargs("server"))
    tc = server.facet_power_coupling(component=comp)
    phase = server.feedback_path_phase_rad(component=comp)
    f2 = ring.f2(s.pump_power_w)
    rows = []
    for xi in laser_detuning_zetas:
        p = self_injection_lock(
            kappa_rad_s=ring.kappa,
            eta=ring.eta,
            f2=f2,
            backscatter=s.sil_backscatter,
            laser_detuning_zeta=float(xi),
            facet_coupling=tc,
            path_phase_rad=phase,
        )
        state = "unlocked"
        z_ok = COMB_RANGES["detuning_zeta"].contains(p.detuning_zeta)
        m_ok = COMB_RANGES["mode_shift_kappa"].contains(p.mode_shift_kappa)
        if p.locked and z_ok and m_ok:
            state = simulate_comb(
                ring,
                pump_power_w=s.pump_power_w,
                detuning_zeta=p.detuning_zeta,
                mode_shift_kappa=p.mode_shift_kappa,
                n_modes=64,
                seed=s.seed,
                pump_mode_extra_loss=p.pump_mode_extra_loss,
            ).state
        elif p.locked:
            state = "outside_lle_ranges"
        rows.append(
            {
                "laser_detuning_zeta": float(xi),
                "laser_offset_ghz": -float(xi) * ring.kappa / (4.0 * math.pi) / 1e9,
                "locked": p.locked,
                "supermode": p.supermode,
                "detuning_zeta0": p.detuning_zeta,
                "mode_shift_kappa": p.mode_shift_kappa,
                "pump_mode_extra_loss": p.pump_mode_extra_loss,
                "state": state,
            }
        )
    return rows
