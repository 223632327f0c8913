"""``qkdchip keyrate --phase-randomisation M``: a key-rate result of the core with M discrete
phases instead of continuous randomisation (:mod:`.sns_flaws`).

Applies to the asymptotic SNS rate with an ideal vacuum (the analysis of :mod:`.sns_flaws`);
any other case raises ``ValueError`` naming ``--phase-randomisation``. Each channel element is
evaluated at the core's parameters (with ``optimize``: re-optimised over ``mu_z`` and ``eps``
for the M-phase source, the decoys kept at the core's optimum).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from qkdchip.sims.keyrate.api import KeyRateResult
from qkdchip.sims.keyrate.channel import Channel, Detector
from qkdchip.sims.keyrate.sns import SNSParams

from .phases import PHASES_RANGE
from .sns_flaws import optimise_flawed, sns_flawed_rate

__all__ = ["check_discrete_phases", "with_discrete_phases"]


def check_discrete_phases(
    protocol: str,
    phases: int | None,
    pulses: Any = None,
    mu_vacuum: float = 0.0,
    extinction_ratio_db: Any = None,
) -> None:
    """ValueError naming ``--phase-randomisation`` unless the discrete-phase analysis applies
    (``phases`` None: continuous, always fine)."""
    if phases is None:
        return
    PHASES_RANGE.check("--phase-randomisation", phases)
    why = (
        f"protocol {protocol}"
        if protocol != "sns"
        else "a finite-key analysis (--pulses)"
        if pulses is not None
        else "an imperfect vacuum (--mu-vacuum / --extinction-ratio-db)"
        if mu_vacuum > 0 or extinction_ratio_db is not None
        else None
    )
    if why is not None:
        raise ValueError(
            f"--phase-randomisation={phases}: the discrete-phase analysis covers the asymptotic "
            f"sns rate with an ideal vacuum, not {why}"
        )


def _element(channel: Channel, i: int, shape: tuple[int, ...]) -> Channel:
    kw = {}
    for f in dataclasses.fields(channel):
        v = np.broadcast_to(np.asarray(getattr(channel, f.name), dtype=float), shape).reshape(-1)
        kw[f.name] = float(v[i])
    return Channel(**kw)


def with_discrete_phases(
    res: KeyRateResult,
    channel: Channel,
    detector: Detector,
    phases: int,
    *,
    f_ec: float = 1.1,
    optimize: bool = False,
    mu_vacuum: float = 0.0,
    pulses: Any = None,
    clock_rate_hz: float = 1e9,
    duty_cycle: float = 1.0,
) -> KeyRateResult:
    """``res`` (protocol ``sns``) with the rate of a source using ``phases`` discrete phases."""
    check_discrete_phases(
        res.protocol, phases, pulses, mu_vacuum, res.parameters.get("extinction_ratio_db")
    )
    shape = np.shape(res.rate_per_pulse)
    n = int(np.prod(shape)) if shape else 1
    rate, e_ph, s1, gain_z, qber_z = (np.zeros(n) for _ in range(5))
    mu_z, eps = np.zeros(n), np.zeros(n)
    for i in range(n):
        p = {
            k: float(
                np.broadcast_to(np.asarray(res.parameters[k], dtype=float), shape).reshape(-1)[i]
            )
            for k in ("mu_z", "mu_1", "mu_2", "eps", "phase_window_rad")
        }
        params = SNSParams(**p)
        ch = _element(channel, i, shape)
        if optimize:
            params, _ = optimise_flawed(ch, detector, params, phases=phases, f_ec=f_ec)
        out = sns_flawed_rate(ch, detector, params, phases=phases, f_ec=f_ec)
        gain_z[i], qber_z[i] = (float(np.asarray(out[k]).flat[0]) for k in ("gain_z", "qber_z"))
        rate[i], e_ph[i], s1[i] = (
            float(np.asarray(out[k]).flat[0]) for k in ("rate", "e1_ph", "y1")
        )
        mu_z[i], eps[i] = params.mu_z, params.eps
    params_out = dict(res.parameters)
    params_out["mu_z"] = mu_z.reshape(shape)
    params_out["eps"] = eps.reshape(shape)
    return dataclasses.replace(
        res,
        rate_per_pulse=rate.reshape(shape),
        rate_bps=(rate * clock_rate_hz * duty_cycle).reshape(shape),
        s1=s1.reshape(shape),
        e1_ph=e_ph.reshape(shape),
        gain_z=gain_z.reshape(shape),
        qber_z=qber_z.reshape(shape),
        parameters=params_out,
        extras={**res.extras, "phase_randomisation": np.full(shape, float(phases))},
    )
