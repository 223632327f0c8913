"""From a channel's key-rate output to its ChannelResult (the end of the chain of model.py).

prepared channel (prepare.py) -> why it cannot have key before any key rate
    (a fatal die, an SNS vacuum too bright for the pair's extinction ratio): reason_before_key
key-rate output (keyrates.py) -> intensity levels each transmitter must produce
-> transmitter link budget of each die at those levels (physics.budget; the external
   attenuator chosen in the middle of the die's window): no key if a die cannot reach them
-> PLOB of the fibre alone at the same distance, ratio; the detector-pair time share in
   simultaneous mode -> ChannelResult, NetworkResult (results.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from qkdchip.sims.keyrate import plob
from qkdchip.sims.physics.budget import Transmitter, link_budget

from .prepare import Prepared
from .results import COMB_WINDOW_DB, ChannelResult, NetworkResult
from .wafer import ClientChip

__all__ = ["ER_MAX_DB", "ER_MIN_DB", "assemble", "pair_er_db", "reason_before_key"]

#: the SNS vacuum model accepts ER in [10, 100] dB (keyrate.SNSParams); beyond 100 dB the
#: vacuum (mu / 1e10) is irrelevant
ER_MIN_DB, ER_MAX_DB = 10.0, 100.0


def pair_er_db(a: ClientChip, b: ClientChip) -> float:
    """Extinction ratio of a pair: the worse die's (the two clients use the same intensities)."""
    return min(a.extinction_ratio_total_db, b.extinction_ratio_total_db)


def reason_before_key(prep: Prepared, i: int) -> str:
    """Why channel i cannot have key before any key-rate calculation ('' if it can)."""
    a, b = prep.pairs[i]
    for cl in (a, b):
        if cl.chip.fatal:
            return f"client {cl.chip.name}: " + "; ".join(cl.chip.fatal)
    if prep.net.protocol in ("sns", "sns-aopp"):
        er = pair_er_db(a.chip, b.chip)
        if er < ER_MIN_DB:
            return f"extinction ratio {er:.1f} dB < {ER_MIN_DB:g} dB: the SNS vacuum is too bright"
    return ""


def _levels(protocol: str, p: dict[str, Any]) -> dict[str, float]:
    """Intensity levels each transmitter must produce (for its link budget)."""
    if protocol in ("sns", "sns-aopp"):
        return {k: p[k] for k in ("mu_z", "mu_1", "mu_2")}
    if protocol in ("pm", "tf"):
        return {"mu": 0.5 * p["mu"]}
    return {"mu": p["mu"]}


def _budget(chip: ClientChip, levels: dict[str, float], clock_hz: float):
    """(ok, external attenuation dB, reason) of a die's transmitter at these levels; the
    external attenuator is set in the middle of the window in which the VOA reaches them."""
    ers = tuple(min(max(x, 0.0), 80.0) for x in chip.im_extinction_ratio_db)
    tx = Transmitter(
        laser_power_dbm=chip.laser_power_dbm,
        on_chip_loss_db=min(chip.insertion_loss_db, 60.0),
        im_extinction_db=ers,
        voa_range_db=min(max(chip.voa_range_db, 0.0), 100.0),
        rep_rate_hz=clock_hz,
    )
    first = link_budget(tx, levels)
    lo, hi = first.external_window_db
    if hi < 0.0:
        return False, None, f"{chip.name}: " + "; ".join(first.notes)
    ext = min(0.5 * (lo + hi), 150.0)
    res = link_budget(dataclasses.replace(tx, external_attenuation_db=ext), levels)
    if not res.reachable:
        return False, ext, f"{chip.name}: " + "; ".join(res.notes)
    return True, ext, ""


def assemble(
    d: int, prep: Prepared, outputs: dict[tuple[int, int], dict[str, Any]], t_key: float
) -> NetworkResult:
    """The NetworkResult of design ``d`` from its preparation and the key-rate ``outputs``
    (keyed by (design, channel)); ``t_key`` is the time of the key-rate calls."""
    link, net = prep.link, prep.net
    eta_fibre = 10.0 ** (-link.fibre_loss_db_per_km * link.distance_km / 10.0)
    bound = float(plob(eta_fibre)) if eta_fibre < 1.0 else float("inf")
    usable = prep.comb.usable(within_db=COMB_WINDOW_DB)
    n_active_key = 0
    chans = []
    pending = []
    for i, ch in enumerate(prep.plan.channels):
        a, b = prep.pairs[i]
        out = outputs.get((d, i))
        reason = reason_before_key(prep, i)
        ext: tuple[float | None, float | None] = (None, None)
        rate = 0.0
        if reason:
            pass
        elif not (a.lock.locked and b.lock.locked):
            bad = [cl for cl in (a, b) if not cl.lock.locked]
            idx = prep.comb.index_of(ch.k)
            where = f"comb line k={ch.k:+d} at {ch.line_power_dbm:.1f} dBm" + (
                "" if usable[idx] else f" (outside the comb, state {prep.comb.state})"
            )
            reason = (
                "; ".join(f"{cl.chip.name} not locked: {cl.lock.reason}" for cl in bad)
                + f" [{where}]"
            )
        elif out is None:
            reason = "no key-rate evaluation"
        else:
            rate = out["rate_per_pulse"]
            if rate <= 0.0:
                key = (
                    f"finite key, N = {net.finite_pulses:.3g}"
                    if net.finite_pulses
                    else ("asymptotic key")
                )
                reason = (
                    f"no key at {link.distance_km:g} km with these devices: no intensities and "
                    f"probabilities give a positive {net.protocol} rate ({key})"
                )
            else:
                levels = _levels(net.protocol, out["parameters"])
                ok_a, ext_a, why_a = _budget(a.chip, levels, net.clock_rate_hz)
                ok_b, ext_b, why_b = _budget(b.chip, levels, net.clock_rate_hz)
                ext = (ext_a, ext_b)
                if not (ok_a and ok_b):
                    rate = 0.0
                    reason = "transmitter cannot produce the intensities: " + "; ".join(
                        w for w in (why_a, why_b) if w
                    )
        if rate > 0.0:
            n_active_key += 1
        pending.append((i, ch, a, b, out, reason, ext, rate))
    share = 1.0
    if net.mode == "simultaneous" and n_active_key > 0:
        share = min(1.0, net.detector_pairs / n_active_key)
    for i, ch, a, b, out, reason, ext, rate in pending:
        idx = prep.comb.index_of(ch.k)
        chans.append(
            ChannelResult(
                channel=ch.channel,
                k=ch.k,
                frequency_hz=ch.frequency_hz,
                line_power_dbm=ch.line_power_dbm,
                in_comb=bool(usable[idx]),
                a=a,
                b=b,
                upstream_km=(link.upstream_a_km, link.upstream_b_km),
                phase_var_rad2=dict(prep.phase[i] or {}),
                x_budget=prep.xbudget[i],
                extinction_ratio_db=out["er"] if out else pair_er_db(a.chip, b.chip),
                dark_count_prob=out["p_d"] if out else link.detector_dark_count_prob,
                rate_per_pulse=rate,
                rate_bps=rate * net.clock_rate_hz * net.duty_cycle * share,
                plob_per_pulse=bound,
                qber_x=out["qber_x"] if out else None,
                qber_z=out["qber_z"] if out else None,
                # the optimiser's answer only where it found key (elsewhere its starting point)
                parameters=out["parameters"] if out and rate > 0.0 else None,
                external_attenuation_db=ext,
                reason=reason,
            )
        )
    timings = dict(prep.timings_s)
    timings["key_rates"] = t_key
    return NetworkResult(
        prep.design, link, net, prep.comb, prep.plan, tuple(chans), prep.rejected, timings
    )
