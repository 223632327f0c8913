"""Simulation layer: sax models, chip S-matrices, device physics, key rates, the network.

Importing it sets XLA's C++ log level while JAX's persistent compilation cache is on, before
any submodule loads JAX (:func:`qkdchip.sims.jaxcache.quiet_xla_logs`: why).
"""

from qkdchip.sims.jaxcache import quiet_xla_logs as _quiet_xla_logs

_quiet_xla_logs()
