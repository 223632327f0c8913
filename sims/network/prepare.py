"""One design up to the key rate: the device part of the chain of model.py.

comb (inputs.comb_of) -> channel plan: line k_i, demux port (physics.channels.plan_channels,
    the fixed line lattice, independent of the comb's power window)
-> downstream fibre + 1:2 split (physics.channels.deliver), injection facet of the die
   (its S-matrix, wafer.py) -> injected power at each slave laser
-> injection locking of A_i and B_i (physics.injection: Adler range, bandwidth, residual
   phase; the die's free-running detuning)
-> X-error budget of a locked pair (physics.qber): polarisation, intensity mismatch, timing
   jitter vs pulse width, demux crosstalk through the lock, the extra misalignment, and the
   residual phase (physics.phasenoise: locked linewidth over the path imbalance, injection
   residuals, fibre drift after the dual-wavelength subtraction and the estimation error of
   the drifting reference phase for the tracking scheme, reference shot noise): its phase
   variances and the budget, or None where a client is unlocked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qkdchip.base.design import Design
from qkdchip.sims.physics.budget import Transmitter
from qkdchip.sims.physics.channels import (
    Channel,
    ChannelPlan,
    DemuxFilter,
    Distribution,
    deliver,
    plan_channels,
)
from qkdchip.sims.physics.comb import CombResult
from qkdchip.sims.physics.injection import injection_lock
from qkdchip.sims.physics.qber import XBudget, crosstalk_fraction, pair_budget

from .inputs import comb_of, settings_of, wafer_of
from .results import ClientLink
from .settings import LinkSettings, NetworkSettings
from .wafer import ClientChip, Die

__all__ = ["Prepared", "Progress", "prepare"]

#: plan_channels's widest window: the channel lattice independent of line powers
_LATTICE_WINDOW_DB = 200.0

#: intensity FWHM of a pulse as a fraction of the clock period: the carving modulator's duty
#: cycle (its one home, the client transmitter budget; 20 % -> 200 ps at 1 GHz)
_PULSE_DUTY = Transmitter.duty_cycle

Progress = Callable[[str], None] | None


@dataclass(frozen=True, eq=False)
class Prepared:
    """One design up to the key rate: device-level results per channel."""

    design: Design
    link: LinkSettings
    net: NetworkSettings
    comb: CombResult
    plan: ChannelPlan
    pairs: tuple[tuple[ClientLink, ClientLink], ...]
    phase: tuple[dict[str, float] | None, ...]  # None where a client is unlocked
    xbudget: tuple[XBudget | None, ...]  # X-error budget of each locked pair
    rejected: tuple[Die, ...]
    timings_s: dict[str, float]


def _lock(chip: ClientChip, feed_dbm: float, km: float, comb: CombResult) -> ClientLink:
    p_dbm = feed_dbm - chip.injection_loss_db
    p_w = 1e-3 * 10.0 ** (p_dbm / 10.0)
    lock = injection_lock(
        chip.laser,
        min(p_w, 10.0),
        detuning_hz=chip.die.detuning_hz,
        master_linewidth_hz=comb.line_linewidth_hz,
    )
    return ClientLink(chip, km, p_dbm, lock)


def _crosstalk(comb: CombResult, plan: ChannelPlan, ch: Channel, link: LinkSettings, f_l: float):
    """Non-interfering power fraction at the beam splitter from the other comb lines: through
    the channel's demux port, the lock (bandwidth ``f_l``) and the server's receive filter."""
    off = comb.frequency_hz - ch.frequency_hz
    port = plan.demux.transmission_db(off)
    p = comb.power_w * 10.0 ** (port / 10.0)
    idx = comb.index_of(ch.k)
    others = np.arange(off.size) != idx
    if p[idx] <= 0.0:
        return 0.0
    rx = DemuxFilter(
        insertion_loss_db=link.server_filter_loss_db,
        isolation_db=link.server_filter_isolation_db,
    )
    rx_db = rx.transmission_db(off) + link.server_filter_loss_db
    return crosstalk_fraction(off[others], p[others] / p[idx], f_l, rx_db[others])


def prepare(design: Design, progress: Progress = None) -> Prepared:
    """Comb, channel plan, wafer, distribution, locking and phase noise of ``design``."""
    say = progress or (lambda _m: None)
    link, net = settings_of(design)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say("comb (LLE)")
    comb = comb_of(design)
    timings["comb"] = time.perf_counter() - t0
    plan = plan_channels(comb, n_channels=net.channels, within_db=_LATTICE_WINDOW_DB)
    t0 = time.perf_counter()
    say("client wafer (S-matrix)")
    chips, rejected = wafer_of(design, net)
    timings["wafer"] = time.perf_counter() - t0

    per_pair = {
        ch.channel: link.downstream_km(ch.channel)
        for ch in plan.channels
        if link.downstream_km(ch.channel)
        != (link.downstream_default_km, link.downstream_default_km)
    }
    dist = Distribution(
        fibre_loss_db_per_km=link.fibre_loss_db_per_km,
        coupling_loss_db=0.0,  # the die's own injection path (its S-matrix) is applied instead
        default_km=link.downstream_default_km,
        per_pair_km=per_pair,
    )
    feeds = {f.client: f for f in deliver(plan, dist)}
    pairs = []
    phases: list[dict[str, float] | None] = []
    budgets: list[XBudget | None] = []
    for i, ch in enumerate(plan.channels):
        a_chip, b_chip = chips[2 * i], chips[2 * i + 1]
        fa, fb = feeds[f"A{ch.channel}"], feeds[f"B{ch.channel}"]
        a = _lock(a_chip, fa.injected_power_dbm, fa.fibre_km, comb)
        b = _lock(b_chip, fb.injected_power_dbm, fb.fibre_km, comb)
        pairs.append((a, b))
        budgets.append(None)
        if not (a.lock.locked and b.lock.locked):
            phases.append(None)
            continue
        imbalance = (
            abs((fa.fibre_km + link.upstream_a_km) - (fb.fibre_km + link.upstream_b_km))
            + link.fibre_imbalance_km
        )
        xb = pair_budget(
            linewidth_hz=comb.line_linewidth_hz,
            imbalance_km=imbalance,
            injection_var_rad2=a.lock.residual_phase_var_rad2 + b.lock.residual_phase_var_rad2,
            drift_rad_per_ms=link.phase_drift_rad_per_ms,
            reference_drift_rad_per_ms=link.phase_reference_drift_rad_per_ms,
            estimation_rate_hz=link.phase_estimation_hz,
            pulse_fwhm_s=_PULSE_DUTY / net.clock_rate_hz,
            scheme=link.phase_tracking,
            polarisation_extinction_db=link.polarisation_extinction_db,
            intensity_mismatch_db=link.intensity_mismatch_db,
            jitter_rms_s=link.timing_jitter_ps * 1e-12,
            crosstalk=0.5
            * sum(_crosstalk(comb, plan, ch, link, cl.lock.locking_bandwidth_hz) for cl in (a, b)),
            misalignment=link.misalignment,
        )
        ph = dict(xb.phase_var_rad2)
        phases.append(
            {
                "laser_delay": ph["laser_delay"],
                "injection": ph["injection"],
                "drift": ph["drift_residual"] + ph["reference_estimation"],
                "detection": ph["detection"],
            }
        )
        budgets[-1] = xb
    return Prepared(
        design,
        link,
        net,
        comb,
        plan,
        tuple(pairs),
        tuple(phases),
        tuple(budgets),
        rejected,
        timings,
    )
