"""sax models of every cell of both processes, and chip-level simulation.

Importing this package configures JAX and sax once, before any model runs (docs/api.md):

- 64-bit JAX: ring round-trip phases are ~1e4 rad and need float64;
- sax's "optical" port naming (o1, o2, ...), matching gdsfactory's port names; models are
  jitted, so the strategy must be set before the first call.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)

import sax  # noqa: E402  (after the JAX configuration on purpose)

sax.set_port_naming_strategy("optical")
