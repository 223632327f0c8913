"""Derivatives of the differentiable links of the chain by JAX automatic differentiation.

The S-matrix layer is JAX (sax circuits of the chips' own netlists), so the figures that depend
on model-level parameters through the circuits alone are differentiated exactly
(``jax.grad``), at a design's own values:

* client (transmitter) chip, ``view="source"``: the chip output power of the link budget with
  every modulator open and the VOA unbiased, P_out = P_laser + 10 log10 |S[o2, laser]|^2 (dBm,
  :mod:`qkdchip.sims.physics.budget`), w.r.t. the model-level electrode / absorber lengths
  (:data:`qkdchip.sims.client.LENGTH_KEYS`: ``im_length_um``, ``pm_length_um``,
  ``pmref_length_um``, ``voa_length_um``), at the laser wavelength. A change of P_out moves
  the VOA setting of the budget dB for dB (A_VOA = P_out - duty - A_ext - P(mu_max));
* server chip: the off-resonance facet-to-facet transmission -10 log10 |S[o2, o1]|^2 (dB, the
  pump's insertion loss) w.r.t. ``pump_air_gap_um`` and ``loss_db_per_m`` (half an FSR from the
  pump resonance), and the ring's power coupling per pass |k|^2 (which sets Q_ex and so the
  comb's coupling regime) w.r.t. ``ring_gap_um`` and ``ring_coupling_length_um``.

The key-rate optimisation (a maximisation over intensities and probabilities per channel), the
injection-locking thresholds and the comb's soliton existence are not differentiable in this
sense; the optimiser reports finite differences of its objectives for those
(:func:`qkdchip.optimize.finite_differences`), labelled so.
"""

from __future__ import annotations

import math
from typing import Any

from qkdchip.base.design import Design

__all__ = ["chain_gradients", "client_output_power", "server_figures_fn"]

_DB = 10.0 / math.log(10.0)


def client_output_power(design: Design):
    """``(f, x0)``: ``f(lengths) -> P_out`` [dBm] (all modulators open, VOA at 0 V, laser
    wavelength) as a JAX function of the model lengths, and the design's lengths ``x0`` [um]."""
    import jax.numpy as jnp

    from qkdchip.sims.client import IMS, LASER_PORT, LENGTH_KEYS, client_circuit
    from qkdchip.sims.models.inp import WL0_UM

    cc = client_circuit(view="source", **design.kwargs("client"))
    i_out, i_in = cc.ports.index("o2"), cc.ports.index(LASER_PORT)
    from qkdchip.pdk.inp.process import PROCESS

    p_laser = 10.0 * math.log10(float(cc.laser_info.get("output_power_mW", PROCESS.laser_power_mW)))
    wl = jnp.asarray([WL0_UM])
    x0 = {
        k: float(cc.eo_lengths_um[els[0] if els != IMS else "im1"])
        for k, els in LENGTH_KEYS.items()
    }

    def f(lengths):
        s = cc.sdense(wl, dict(lengths))[0, i_out, i_in]
        return p_laser + _DB * jnp.log(jnp.abs(s) ** 2)

    return f, x0


def server_figures_fn(design: Design):
    """``(loss, kappa2, x0)``: JAX functions of the server's model parameters -- the off-resonance
    insertion loss [dB] and the ring's |k|^2 at the pump wavelength -- and their values ``x0``."""
    import jax.numpy as jnp

    from qkdchip.sims.models import sin
    from qkdchip.sims.server import server_circuit

    sc = server_circuit(**design.kwargs("server"))
    geom = sc.geometry()
    ring = sin.ring_length_um(geom["radius_um"], geom["coupling_length_um"])
    _, n_g, _ = sin.mode_figures(geom["width_um"])
    fsr_um = sin.WL0_UM**2 / (float(n_g) * float(ring))
    wl = jnp.asarray([sin.WL0_UM + fsr_um / 2.0])  # half an FSR off the pump resonance
    i1, i2 = sc.ports.index("o1"), sc.ports.index("o2")
    air = float(sc.pump["air_gap_um"])
    x0 = {
        "pump_air_gap_um": air,
        "loss_db_per_m": float(geom["loss_db_per_m"]),
        "ring_gap_um": float(geom["gap_um"]),
        "ring_coupling_length_um": float(geom["coupling_length_um"]),
    }

    def loss(p):
        s = sc.sdense(wl, dict(p))[0, i2, i1]
        return -_DB * jnp.log(jnp.abs(s) ** 2)

    def kappa2(p):
        return sin.power_coupling(
            sin.WL0_UM, p["ring_gap_um"], geom["radius_um"], geom["width_um"],
            p["ring_coupling_length_um"],
        )  # fmt: skip

    return loss, kappa2, x0


def chain_gradients(design: Design) -> dict[str, Any]:
    """Autodiff derivatives of the differentiable figures at ``design`` (module docstring):
    ``{figure: {"value": v, "at": {parameter: value}, "derivative": {parameter: dv/dp},
    "unit": {parameter: unit of dv/dp}}}`` and ``"method"``."""
    import jax
    import jax.numpy as jnp

    out: dict[str, Any] = {"method": "JAX automatic differentiation (jax.grad) of the S-matrices"}
    f, x0 = client_output_power(design)
    x = {k: jnp.float64(v) for k, v in x0.items()}
    val, g = jax.value_and_grad(f)(x)
    out["client.output_power_dbm"] = {
        "value": float(val),
        "at": x0,
        "derivative": {k: float(v) for k, v in g.items()},
        "unit": {k: "dB/um" for k in x0},
    }
    loss, kappa2, s0 = server_figures_fn(design)
    p = {k: jnp.float64(s0[k]) for k in ("pump_air_gap_um", "loss_db_per_m")}
    val, g = jax.value_and_grad(loss)(p)
    out["server.insertion_loss_db"] = {
        "value": float(val),
        "at": {k: s0[k] for k in p},
        "derivative": {k: float(v) for k, v in g.items()},
        "unit": {"pump_air_gap_um": "dB/um", "loss_db_per_m": "dB per dB/m"},
    }
    q = {k: jnp.float64(s0[k]) for k in ("ring_gap_um", "ring_coupling_length_um")}
    val, g = jax.value_and_grad(kappa2)(q)
    out["server.ring_kappa2"] = {
        "value": float(val),
        "at": {k: s0[k] for k in q},
        "derivative": {k: float(v) for k, v in g.items()},
        "unit": {k: "1/um" for k in q},
    }
    return out
