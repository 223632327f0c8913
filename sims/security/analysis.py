"""Security margins of a design (``qkdchip security``, the ``qkdchip run`` report section).

From the design's client chip (its S-matrix), link and ``security.*`` settings:

* **Phase randomisation.** ``V_pi`` of PM I from the S-matrix (``client_figures``: the
  voltage that turns the phase of ``S[o2, laser]`` by pi; ``V_pi = V_pi L / L_PM``), the
  phases the DAC produces (:func:`.phases.dac_phase_set`), and the asymptotic SNS rate at the
  link's distance (370 km by default; detector, fibre loss and misalignment of ``link.*``)
  with M discrete phases and with the phases actually produced (:mod:`.sns_flaws`), relative to
  the continuous rate at the same parameters (the core optimiser's continuous optimum; not
  re-optimised, so the loss is an upper bound). ``m_for_1pct``: the smallest M whose ideal set
  loses < 1 %; ``dac_bits_for_1pct``: the fewest DAC bits for which the set produced with the
  design's swing and V_pi loses < 1 % (None if none up to 16 does).
* **Injection.** ``isolation_db = -10 log10 |S[laser, o2]|^2``, the client S-matrix in reverse
  (facet to laser) with the IMs at maximum transmission and the VOA at full reverse bias (its
  most isolating state; an attenuator outside the chip is not counted); the intensity change
  ``delta(P)`` of every state vs the power at the facet (:mod:`.injection`); the largest facet
  power for which the rate with a decoy analysis allowing ``delta`` stays within 10 % of the
  nominal rate, and the extra isolation needed against ``security.attacker_power_dbm``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from qkdchip.base.design import Design

from .injection import InjectedLaser, injected_power_for
from .phases import DAC_BITS_RANGE, dac_phase_set
from .settings import SecuritySettings
from .sns_flaws import DEVIATION_RANGE, sns_flawed_rate

__all__ = ["KEY_TOLERANCE", "RATE_LOSS_TARGET", "SecurityResult", "security_margins"]

#: the criteria of the report: rate loss of the phase randomisation, key drop under injection
RATE_LOSS_TARGET = 0.01
KEY_TOLERANCE = 0.10
#: M scanned for ``m_for_1pct``
_M_SCAN = tuple(range(2, 65))
#: facet powers of the injection curve [dBm]
CURVE_DBM = tuple(float(x) for x in np.arange(-90.0, 20.01, 2.0))


@dataclass(frozen=True)
class SecurityResult:
    """Figures of :func:`security_margins` (``to_dict`` is the JSON of ``qkdchip security``)."""

    phase_randomisation: dict[str, Any]
    injection: dict[str, Any]
    curves: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"phase_randomisation": self.phase_randomisation, "injection": self.injection}


def _dbm(w: float) -> float:
    return 10.0 * math.log10(w / 1e-3)


def _client(design: Design) -> tuple[dict[str, Any], float, dict[str, Any], float]:
    """(client figures, isolation dB, laser info, drawn PM I length um) from the design's client
    chip and its S-matrix."""
    import jax.numpy as jnp

    from qkdchip.pdk.inp.process import PROCESS
    from qkdchip.sims.client import LASER_PORT, client_circuit
    from qkdchip.sims.client_figures import client_figures
    from qkdchip.sims.models.inp import WL0_UM

    kw = design.kwargs("client")
    figs = client_figures(**kw)
    cc = client_circuit(view="source", **kw)
    drive = {f"{im}_v": float(v) for im, v in figs["im_bias_v"].items()}
    drive["voa_v"] = float(PROCESS.voa_max_reverse_bias_V)
    s = cc.sdense(jnp.asarray([WL0_UM]), {k: jnp.float64(v) for k, v in drive.items()})
    t_rev = abs(complex(s[0, cc.ports.index(LASER_PORT), cc.ports.index("o2")])) ** 2
    return figs, -10.0 * math.log10(t_rev), dict(cc.laser_info), float(cc.eo_lengths_um["pm"])


def _sns_reference(design: Design):
    """(channel, detector, continuous-optimum SNSParams, f_ec) at the link's distance."""
    from qkdchip.sims.keyrate import Channel, Detector, key_rate
    from qkdchip.sims.keyrate.sns import SNSParams
    from qkdchip.sims.network.inputs import settings_of

    link, net = settings_of(design)
    ch = Channel(
        length_a_km=link.upstream_a_km,
        length_b_km=link.upstream_b_km,
        fibre_loss_db_per_km=link.fibre_loss_db_per_km,
        misalignment=link.misalignment,
    )
    det = Detector(link.detector_eta, link.detector_dark_count_prob)
    res = key_rate("sns", ch, det, SNSParams(), optimize=True, f_ec=net.ec_f)
    p = {k: float(np.asarray(res.parameters[k]).flat[0]) for k in ("mu_z", "mu_1", "mu_2", "eps")}
    return ch, det, SNSParams(**p), net.ec_f, link.distance_km


def _pm_fits(design: Design, pm_length_um: float) -> bool:
    """Whether the client chip with PM I ``pm_length_um`` long still meets its footprint
    constraints (the chain folding into the die's two rows) and the cell's range."""
    from qkdchip.base.params import ranges_of
    from qkdchip.circuits.client_chip import client_chip, client_footprint
    from qkdchip.pdk import use_pdk

    rng = ranges_of(client_chip).get("pm_length_um")
    if rng is not None and not rng.min <= pm_length_um <= rng.max:
        return False
    with use_pdk("inp"):
        fp = client_footprint(**{**design.kwargs("client"), "pm_length_um": pm_length_um})
    return not fp.violations


def security_margins(design: Design) -> SecurityResult:
    """The design's security margins (see the module doc)."""
    from qkdchip.pdk.inp.process import PROCESS

    sec = SecuritySettings(**design.kwargs("security"))
    figs, isolation_db, laser_info, pm_length_um = _client(design)
    vpi = float(figs["pm_vpi_v"])
    ch, det, params, f_ec, distance_km = _sns_reference(design)

    def rate(**kw: Any) -> float:
        return float(np.asarray(sns_flawed_rate(ch, det, params, f_ec=f_ec, **kw)["rate"]).flat[0])

    r0 = rate()

    def loss(r: float) -> float | None:
        return None if r0 <= 0 else 1.0 - r / r0

    pset = dac_phase_set(sec.phases, sec.dac_bits, sec.drive_swing_v, vpi)
    m_1pct = next(
        (m for m in _M_SCAN if r0 > 0 and 1.0 - rate(phases=m) / r0 < RATE_LOSS_TARGET), None
    )
    bits_1pct = None
    if r0 > 0:
        for b in range(int(DAC_BITS_RANGE.min), int(DAC_BITS_RANGE.max) + 1):
            if 2**b < sec.phases:
                continue
            ps = dac_phase_set(sec.phases, b, sec.drive_swing_v, vpi)
            if 1.0 - rate(phase_set=ps) / r0 < RATE_LOSS_TARGET:
                bits_1pct = b
                break
    full_circle_v = 2.0 * vpi * (sec.phases - 1) / sec.phases
    phase = {
        "m": sec.phases,
        "dac_bits": sec.dac_bits,
        "drive_swing_v": sec.drive_swing_v,
        "pm_vpi_v": vpi,
        "pm_length_um": pm_length_um,
        "coverage_rad": pset.coverage_rad,
        "swing_needed_v": full_circle_v,
        # the full scale whose codes land exactly on the M targets (M divides 2^bits)
        "swing_for_exact_phases_v": (
            2.0 * vpi * (2**sec.dac_bits - 1) / 2**sec.dac_bits
            if (2**sec.dac_bits) % sec.phases == 0
            else None
        ),
        "pm_length_needed_um": pm_length_um * full_circle_v / sec.drive_swing_v,
        "pm_length_needed_fits_die": _pm_fits(
            design, pm_length_um * full_circle_v / sec.drive_swing_v
        ),
        "clipped": pset.clipped,
        "phases_rad": [float(x) for x in pset.phases_rad],
        "max_phase_error_rad": pset.max_error_rad,
        "max_fourier": pset.max_fourier,
        "distance_km": distance_km,
        "rate_continuous_per_pulse": r0,
        "rate_loss_370km_ideal": loss(rate(phases=sec.phases)),
        "rate_loss_370km": loss(rate(phase_set=pset)),
        "m_for_1pct": m_1pct,
        "dac_bits_for_1pct": bits_1pct,
    }

    # ---- injection ---------------------------------------------------------------------------
    laser = InjectedLaser(laser_info, PROCESS.shallow_loss_dB_per_cm)
    gain = 10.0 ** (-isolation_db / 10.0)
    d_max = min(float(DEVIATION_RANGE.max), 0.999 * (params.mu_2 - params.mu_1) /
                (params.mu_2 + params.mu_1))  # fmt: skip

    def key_ratio(d: float) -> float:
        return rate(intensity_deviation=d) / r0 if r0 > 0 else 0.0

    if r0 > 0 and key_ratio(d_max) < 1.0 - KEY_TOLERANCE:
        d10 = float(optimize.brentq(lambda d: key_ratio(d) - (1 - KEY_TOLERANCE), 0.0, d_max,
                                    xtol=1e-10))  # fmt: skip
        p_cav = injected_power_for(laser, d10)
        max_dbm = _dbm(p_cav / gain)
    else:
        d10, max_dbm = (d_max, math.inf) if r0 > 0 else (0.0, -math.inf)
    delta_attack = laser.intensity_factor(min(1e-3 * 10 ** (sec.attacker_power_dbm / 10) * gain,
                                              10.0)) - 1.0  # fmt: skip
    mus = {"mu_z": params.mu_z, "mu_1": params.mu_1, "mu_2": params.mu_2}
    injection = {
        "isolation_db": isolation_db,
        "attacker_power_dbm": sec.attacker_power_dbm,
        "front_reflectivity": laser.r_front,
        "coupling_rate_per_s": laser.slave.coupling_rate,
        "photon_lifetime_s": laser.photon_lifetime_s,
        "delta_at_attacker_power": delta_attack,
        "intensities_at_attacker_power": {k: v * (1 + delta_attack) for k, v in mus.items()},
        "delta_for_10pct": d10,
        "max_injected_dbm_for_10pct": max_dbm if math.isfinite(max_dbm) else None,
        "required_extra_isolation_db": (
            max(0.0, sec.attacker_power_dbm - max_dbm) if math.isfinite(max_dbm) else None
        ),
    }
    curve_delta = [
        laser.intensity_factor(min(1e-3 * 10 ** (p / 10) * gain, 10.0)) - 1.0 for p in CURVE_DBM
    ]
    curves = {"facet_dbm": list(CURVE_DBM), "delta": curve_delta, "nominal": mus}
    injection["curve"] = {"facet_dbm": list(CURVE_DBM), "delta": curve_delta}
    return SecurityResult(phase, injection, curves)


def plot_security(result: SecurityResult, path: Any) -> Any:
    """Two panels: the phases PM I produces (and the uniform targets) on the unit circle; the
    intensity change of every state vs the power injected at the facet, with the 10 % key
    limit and the attacker budget (PNG/SVG/PDF by suffix, written atomically)."""
    from qkdchip.sims.network.plots import _plt, save

    plt = _plt()
    ph, inj = result.phase_randomisation, result.injection
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.0, 4.4), dpi=120)
    t = np.linspace(0, 2 * np.pi, 200)
    a1.plot(np.cos(t), np.sin(t), color="0.8", lw=1)
    m = ph["m"]
    tgt = 2 * np.pi * np.arange(m) / m
    a1.plot(np.cos(tgt), np.sin(tgt), "o", mfc="none", color="tab:blue", label="uniform targets")
    got = np.asarray(ph["phases_rad"])
    a1.plot(np.cos(got), np.sin(got), "x", color="tab:red", label="produced")
    a1.set_aspect("equal")
    a1.set_title(
        f"M = {m}, {ph['dac_bits']} bit, {ph['drive_swing_v']:g} Vpp, V_pi {ph['pm_vpi_v']:.2f} V"
    )
    a1.legend(loc="lower right", fontsize=8)
    a1.set_xticks([])
    a1.set_yticks([])
    c = result.curves
    a2.semilogy(c["facet_dbm"], np.maximum(c["delta"], 1e-12), color="tab:blue")
    a2.axhline(inj["delta_for_10pct"], color="tab:red", ls="--", label="10 % key loss")
    a2.axvline(inj["attacker_power_dbm"], color="0.4", ls=":", label="attacker budget")
    a2.set_xlabel("power injected at the output facet (dBm)")
    a2.set_ylabel("relative intensity change delta")
    a2.set_title(f"injection (isolation {inj['isolation_db']:.1f} dB)")
    a2.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)
