"""TF-QKD key-rate core: bounds, channel observables, SNS, SNS-AOPP, PM, TF, CAL, finite key;
the decoy BB84 and MDI-QKD baselines.

Pure numpy/scipy, vectorised over channels; importing it imports neither gdsfactory nor sax/jax.
The equations implemented, with their sources, are listed in ``sims/keyrate/README.md``.

Main entry points::

    key_rate(protocol, channel, detector, params, *, f_ec, pulses, optimize, ...) -> KeyRateResult
    plob(eta), tgw(eta), single_repeater_bound(eta), plob_conditional(eta, eta_det)
    Channel, Detector, SNSParams, PMParams, TFParams, CALParams, Security
    Experiment.from_yaml(path).evaluate()    (experiment files; bundled_experiments())
"""

from qkdchip.sims.keyrate.api import (
    BASELINE_PROTOCOLS,
    KEY_RATE_RANGES,
    PROTOCOLS,
    KeyRateResult,
    default_params,
    key_rate,
)
from qkdchip.sims.keyrate.bb84 import BB84Params, bb84_rate
from qkdchip.sims.keyrate.bounds import (
    binary_entropy,
    plob,
    plob_conditional,
    single_repeater_bound,
    tgw,
)
from qkdchip.sims.keyrate.cal import CALParams, cal_rate
from qkdchip.sims.keyrate.channel import Channel, Detector
from qkdchip.sims.keyrate.experiment import Experiment, bundled_experiments
from qkdchip.sims.keyrate.finite import Security
from qkdchip.sims.keyrate.mdi import MDIParams, mdi_rate
from qkdchip.sims.keyrate.pm import PMParams, pm_rate
from qkdchip.sims.keyrate.sns import SNSParams, sns_rate
from qkdchip.sims.keyrate.tf import TFParams, tf_rate

__all__ = [
    "BASELINE_PROTOCOLS",
    "KEY_RATE_RANGES",
    "PROTOCOLS",
    "BB84Params",
    "CALParams",
    "Channel",
    "Detector",
    "Experiment",
    "KeyRateResult",
    "MDIParams",
    "PMParams",
    "SNSParams",
    "Security",
    "TFParams",
    "bb84_rate",
    "binary_entropy",
    "bundled_experiments",
    "cal_rate",
    "default_params",
    "key_rate",
    "mdi_rate",
    "plob",
    "plob_conditional",
    "pm_rate",
    "single_repeater_bound",
    "sns_rate",
    "tf_rate",
    "tgw",
]
