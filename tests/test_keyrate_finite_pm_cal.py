"""Finite key of PM, TF and CAL: not implemented, and every output says so (issue 10, item 3).

No published finite-size analysis of PM-QKD, of the original TF-QKD or of CAL could be turned
into equations here (see ``sims/keyrate/README.md`` section 11), so ``key_rate(..., pulses=N)``
refuses these protocols and an experiment file asking for finite key with them is evaluated
asymptotically, with ``key: asymptotic`` and a ``key_note`` naming the published analysis
(CAL: Curras Lorenzo et al. 2021) that is not implemented.
"""

from __future__ import annotations

import pytest

from qkdchip.sims.keyrate import Channel, Detector, Experiment, key_rate
from qkdchip.sims.keyrate.api import FINITE_KEY_NOT_IMPLEMENTED, FINITE_KEY_PROTOCOLS
from qkdchip.sims.keyrate.cal import CALParams
from qkdchip.sims.keyrate.pm import PMParams
from qkdchip.sims.keyrate.tf import TFParams

_PARAMS = {"pm": PMParams(mu=0.05), "tf": TFParams(mu=0.05), "cal": CALParams(mu=0.02)}


@pytest.mark.parametrize("protocol", ["pm", "tf", "cal"])
def test_key_rate_refuses_pulses_for_protocols_without_finite_key(protocol):
    """No silent asymptotic rate under a finite-key request: ValueError naming ``pulses``."""
    assert protocol not in FINITE_KEY_PROTOCOLS
    with pytest.raises(
        ValueError, match=rf"^pulses=\S+: no finite-key analysis of {protocol} is implemented"
    ):
        key_rate(
            protocol,
            Channel.symmetric(200.0),
            Detector(),
            _PARAMS[protocol],
            pulses=1e12,
        )


def test_refusal_names_the_published_cal_analysis():
    with pytest.raises(ValueError) as err:
        key_rate("cal", Channel.symmetric(200.0), Detector(), _PARAMS["cal"], pulses=1e12)
    assert "Curras Lorenzo" in str(err.value)
    assert "s41534-020-00345-3" in str(err.value)
    assert FINITE_KEY_NOT_IMPLEMENTED["pm"] is None and FINITE_KEY_NOT_IMPLEMENTED["tf"] is None
    with pytest.raises(ValueError, match="no published finite-size analysis of it"):
        key_rate("pm", Channel.symmetric(200.0), Detector(), _PARAMS["pm"], pulses=1e12)


def _experiment(protocol: str, finite: bool) -> dict:
    d = {
        "protocol": protocol,
        "arms": {"alice": {"length_km": 100.0}, "bob": {"length_km": 100.0}},
        "detectors": [
            {"efficiency": 0.6, "dark_count_prob": 1.0e-8},
            {"efficiency": 0.6, "dark_count_prob": 1.0e-8},
        ],
        "intensities": {"mu": 0.05 if protocol != "cal" else 0.02},
        "misalignment": 0.03,
    }
    if protocol in ("pm", "tf"):
        d["phase"] = {"slices": 16}
    if finite:
        d["finite_key"] = {"pulses": 1.0e12}
    return d


@pytest.mark.parametrize("protocol", ["pm", "tf", "cal"])
def test_experiment_with_finite_key_is_asymptotic_and_says_why(protocol):
    """``finite_key`` in the file changes nothing but the note: the rate is the asymptotic one
    to the last bit, ``key`` is "asymptotic" and ``key_note`` names what is missing."""
    fin = Experiment.from_dict(_experiment(protocol, finite=True)).evaluate()
    asy = Experiment.from_dict(_experiment(protocol, finite=False)).evaluate()
    assert fin["rate_per_pulse"] > 0.0
    assert fin["rate_per_pulse"] == asy["rate_per_pulse"]
    assert fin["key"] == asy["key"] == "asymptotic"
    assert fin["key_note"].startswith(f"asymptotic: no finite-key analysis of {protocol}")
    assert fin["key_note"].endswith("finite_key ignored")
    assert asy["key_note"] == "asymptotic (no finite_key in the file)"
    if protocol == "cal":
        assert "Curras Lorenzo" in fin["key_note"] and "npj Quantum Inf. 7, 22" in fin["key_note"]
    else:
        assert "no published finite-size analysis of it" in fin["key_note"]
