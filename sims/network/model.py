"""The TF-QKD network: from the design (layout + system parameters) to the key of every channel.

Chain for channel i (client pair A_i, B_i), every number from the layer that owns it::

    server chip (layout) -> ring -> LLE comb (qkdchip.sims.devices)
        -> channel plan: line k_i, demux port (physics.channels.plan_channels)
        -> downstream fibre + 1:2 split (physics.channels.deliver), injection facet of the die
           (its S-matrix, wafer.py) -> injected power at each slave laser
        -> injection locking of A_i and B_i (physics.injection: Adler range, bandwidth,
           residual phase; the die's free-running detuning; unlocked -> no key, with the reason)
        -> residual phase of the pair (physics.phasenoise: locked linewidth over the path
           imbalance, injection residuals, fibre drift after the dual-wavelength subtraction,
           reference shot noise) -> rms sigma
        -> upstream fibres + the server's receive filter + detectors (keyrate.Channel/Detector)
        -> key rate of the protocol, finite key (keyrate.key_rate, optimised per channel) with
           the finite-extinction vacuum of the pair's dies (SNS)
        -> transmitter link budget of each die at the optimised intensities (physics.budget;
           the external attenuator chosen in the middle of the die's window)
        -> PLOB at the same fibre distance, ratio.

Conventions:

* Channels are the plan's fixed line lattice (every m-th line around the reference line); the
  line assignment does not depend on the comb's power window, so a comb that is weaker (or not
  formed, e.g. a ring far from critical coupling) leaves its channels on weak lines, where
  locking then fails -- the consequence is computed, not asserted.
* PLOB is evaluated for the fibre alone, eta = 10^(-alpha (L_A + L_B)/10) (as the reference
  compares), i.e. the server's filter loss and the detector efficiency count against the
  protocol, not the bound.
* ``sequential`` mode: one channel at a time (the reference); ``rate_bps`` of a channel is its
  rate while it runs, the network average is the mean over channels. ``simultaneous``: all
  channels at once on two shared upstream fibres (A side, B side); the other channels leak
  through the server's receive filter (its stop band at the actual line offsets) and add
  incoherent counts, treated as dark counts (p_d += eta_d sum_j eta_arm,j mu_mean,j T(dnu_ij) / 2
  per detector, mu_mean from the optimised intensities of a first pass); ``detector_pairs``
  pairs are time-shared among the active channels (each gets min(1, pairs / n) of the time).
* Networking capability = (client pairs with key) x (their Alice-Bob fibre distance).

Where each link of the chain lives (this module re-exports their public names)::

    inputs.py     settings_of; comb_of, wafer_of (cached per the parameters they read)
    prepare.py    channel plan, distribution, injection locking, phase noise -> Prepared
    keyrates.py   key rates of all prepared designs in one vectorised call (+ crosstalk)
                  -> evaluate, simulate_network
    outcome.py    reasons, transmitter budgets, PLOB, time share -> ChannelResult
    results.py    ClientLink, ChannelResult, NetworkResult, their JSON (jsonable)
    curves.py     rate vs distance of an evaluated network -> rate_curves
    uncertainty.py  the unpublished parameters (uncertain.*) sampled and propagated through an
                  evaluated network: bands, sensitivity, consistency -> propagate
"""

from __future__ import annotations

from .curves import rate_curves
from .inputs import comb_of, provide_comb, settings_of, wafer_of
from .keyrates import evaluate, simulate_network
from .prepare import Prepared, Progress, prepare
from .results import ChannelResult, ClientLink, NetworkResult, jsonable

__all__ = [
    "ChannelResult",
    "ClientLink",
    "NetworkResult",
    "Prepared",
    "Progress",
    "comb_of",
    "evaluate",
    "jsonable",
    "prepare",
    "provide_comb",
    "rate_curves",
    "settings_of",
    "simulate_network",
    "wafer_of",
]
