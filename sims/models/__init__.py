"""sax models of every cell of both processes, and chip-level simulation.

Importing this package configures JAX and sax once, before any model runs (docs/api.md):

- 64-bit JAX: ring round-trip phases are ~1e4 rad and need float64;
- JAX's persistent compilation cache in a per-user folder (:mod:`qkdchip.sims.jaxcache`: where, and the
  ``QKDCHIP_JAX_CACHE_DIR`` override), so that a second process compiles nothing;
- sax's "optical" port naming (o1, o2, ...), matching gdsfactory's port names; models are
  jitted, so the strategy must be set before the first call.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)

from qkdchip.sims.jaxcache import configure as _configure_cache  # noqa: E402

_configure_cache()

import sax  # noqa: E402  (after the JAX configuration on purpose)

sax.set_port_naming_strategy("optical")
