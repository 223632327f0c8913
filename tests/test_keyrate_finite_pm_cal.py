"""Finite key of PM, TF and CAL: not implemented, and every output says so (issue 10, item 3).

The published finite-size analyses (PM: Zeng, Wu, Ma 2020; TF-type variants: Maeda, Sasaki,
Koashi 2019 and Yin & Chen 2019; CAL: Curras Lorenzo et al. 2021) could not be read beyond their
abstracts and introductions here (see ``sims/keyrate/README.md`` section 11), so
``key_rate(..., pulses=N)`` refuses these protocols and an experiment file asking for finite key
with them is evaluated asymptotically, with ``key: asymptotic`` and a ``key_note`` naming the
published analysis that is not implemented.
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


#: (protocol, substrings its refusal must carry): the published analysis, by author and DOI/arXiv
_REFS = {
    "cal": ("Curras Lorenzo", "s41534-020-00345-3", "arXiv:1910.11407"),
    "pm": ("Zeng, Wu, Ma", "Phys. Rev. Applied 13, 064013", "arXiv:1910.05737"),
    "tf": ("TF-type variants only", "s41467-019-11008-z", "s41598-019-53435-4"),
}


@pytest.mark.parametrize("protocol", ["pm", "tf", "cal"])
def test_refusal_names_the_published_analysis(protocol):
    with pytest.raises(ValueError) as err:
        key_rate(protocol, Channel.symmetric(200.0), Detector(), _PARAMS[protocol], pulses=1e12)
    msg = str(err.value)
    assert "published finite-size analysis not implemented" in msg
    for part in _REFS[protocol]:
        assert part in msg
        assert part in FINITE_KEY_NOT_IMPLEMENTED[protocol]


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
    for part in _REFS[protocol]:
        assert part in fin["key_note"]
