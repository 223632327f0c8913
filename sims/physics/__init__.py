"""Device physics of the TF-QKD network: pure, typed models in SI units (numpy/scipy only).

* :mod:`.ring`       -- :class:`RingParams`: FSR, D1, D2, Q, rates, threshold, LLE normalisation.
* :mod:`.lle`        -- normalised Lugiato-Lefever solver, CW states, MI, state classification.
* :mod:`.comb`       -- :func:`simulate_comb`: LLE steady state -> comb lines at the bus output.
* :mod:`.channels`   -- :func:`plan_channels`, :func:`deliver`: 10 WDM channels, demux, fibre.
* :mod:`.injection`  -- :func:`injection_lock`: Adler locking range, bandwidth, residual phase.
* :mod:`.phasenoise` -- residual phase of a client pair -> X-basis error.
* :mod:`.budget`     -- :func:`link_budget`: client transmitter attenuation, vacuum intensity.

No gdsfactory/sax import here: the layout layer builds a :class:`RingParams` and calls in.
"""

from .budget import BudgetResult, Transmitter, link_budget, mu_to_dbm
from .channels import ChannelPlan, DemuxFilter, Distribution, deliver, plan_channels
from .comb import CombResult, simulate_comb
from .injection import LockingResult, SlaveLaser, injection_lock, locking_range_hz
from .lle import LLEConfig, LLESolver, classify_state, cw_states
from .phasenoise import PhaseNoiseBudget, phase_error, slice_error, x_qber
from .ring import RingParams

__all__ = [
    "BudgetResult",
    "ChannelPlan",
    "CombResult",
    "DemuxFilter",
    "Distribution",
    "LLEConfig",
    "LLESolver",
    "LockingResult",
    "PhaseNoiseBudget",
    "RingParams",
    "SlaveLaser",
    "Transmitter",
    "classify_state",
    "cw_states",
    "deliver",
    "injection_lock",
    "link_budget",
    "locking_range_hz",
    "mu_to_dbm",
    "phase_error",
    "plan_channels",
    "simulate_comb",
    "slice_error",
    "x_qber",
]
