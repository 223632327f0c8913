"""Experiment files: a published (or planned) TF-QKD experiment as data, evaluated by the core.

An experiment file is YAML; every key is snake_case with its unit in the name::

    name: "Liu et al. 2023, 1002 km"              # optional
    protocol: sns-aopp                            # plob | sns | sns-aopp | pm | tf | cal
    arms:                                         # each: loss_db, or length_km with optional
      alice: {loss_db: 31.7}                      #   attenuation_db_per_km (default 0.2), and
      bob: {length_km: 150.0, attenuation_db_per_km: 0.19, extra_loss_db: 1.2}  # extra_loss_db
    detectors:                                    # the server's two detectors (one entry: both)
      - {efficiency: 0.70, dark_count_hz: 5.0, background_hz: 3.0}  # optional gate_s (1/clock)
      - {efficiency: 0.74, dark_count_prob: 1.0e-8}                 # or the probability per pulse
    clock_hz: 1.0e9                               # optional
    quantum_duty_cycle: 0.6                       # optional
    intensities:                                  # per user: mu_z, mu_1, mu_2, mu_0 (SNS);
      alice: {mu_z: 0.45, mu_1: 0.08, mu_2: 0.45, mu_0: 1.0e-4}   # mu (PM/TF/CAL)
      bob: {mu_z: 0.41, mu_1: 0.07, mu_2: 0.41, mu_0: 1.0e-4}
    probabilities: {eps: 0.25, p_z: 0.7, p_0: 0.2, p_1: 0.4}      # optional; or per user
    phase: {window_rad: 0.3, rms_rad: 0.05, slices: 16}           # optional
    misalignment: 0.03                            # optional
    f_ec: 1.1                                     # optional
    finite_key: {pulses: 1.0e13, eps_sec: 1.0e-10, eps_cor: 1.0e-15}  # absent: asymptotic
    optimize: false                               # or true, or a list of names to optimise
                                                  #   (mu_z mu_1 mu_2 eps p_z p_0 p_1 window_rad,
                                                  #   Bob's mu_z_b mu_1_b mu_2_b p_z_b p_0_b
                                                  #   p_1_b; mu for pm/tf/cal), the rest as given
    published: {rate_bps: 12.3, source: "journal, year, table/figure"}  # or rate_per_pulse
    provenance: {arms.alice.loss_db: "paper, Table S2", ...}    # key path -> source
    insufficient_parameters: "why the published parameters cannot reproduce the rate"  # optional

:meth:`Experiment.from_yaml` validates everything (unknown key, missing required key, value out
of range: ``ValueError`` naming the key path, the value and what is allowed) and
:meth:`Experiment.evaluate` returns one JSON-ready dict (see :data:`OUTPUT_KEYS`).

Unequal detectors enter the click statistics detector by detector
(:class:`~.channel.Detector` ``eta_det_2``/``dark_count_prob_2``); unequal per-user SNS
intensities and probabilities are the asymmetric SNS protocol (Hu et al., PRA 100, 062337,
2019; :class:`~.sns.SNSParams` ``*_b`` fields), never averaged. With ``optimize: true`` (or
Bob's names ``mu_z_b``, ``mu_1_b``, ``mu_2_b`` in the list) an asymmetric file's intensities are
optimised per user (with ``finite_key`` his probabilities too, ``p_z_b p_0_b p_1_b``): Bob's
sending probability ``eps_b`` then follows from the protocol's condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qkdchip.base.params import Range, parse_number
from qkdchip.sims.keyrate.api import (
    KEY_RATE_RANGES,
    PROTOCOLS,
    finite_key_missing_note,
    key_rate,
)
from qkdchip.sims.keyrate.cal import CALParams
from qkdchip.sims.keyrate.channel import MAX_LENGTH_KM, Channel, Detector
from qkdchip.sims.keyrate.finite import Security
from qkdchip.sims.keyrate.pm import PMParams
from qkdchip.sims.keyrate.sns import SNSParams
from qkdchip.sims.keyrate.tf import TFParams

#: keys of :meth:`Experiment.evaluate`'s result (``published_rate_bps`` and
#: ``ratio_to_published`` only when the file has ``published``)
OUTPUT_KEYS = (
    "name",
    "protocol",
    "rate_per_pulse",
    "rate_bps",
    "plob_per_pulse",
    "ratio_to_plob",
    "qber_x",
    "qber_z",
    "s1",
    "e1_ph",
    "key",
    "key_note",
    "parameters",
    "loss_db",
    "published_rate_bps",
    "ratio_to_published",
    "published_source",
    "provenance",
    "insufficient_parameters",
)
#: protocols with a finite-key analysis in this core (the others evaluate asymptotically and
#: say so in ``key``/``key_note``)
FINITE_KEY_PROTOCOLS = ("sns", "sns-aopp")

_TOP = {
    "name",
    "description",
    "protocol",
    "arms",
    "detectors",
    "clock_hz",
    "quantum_duty_cycle",
    "intensities",
    "probabilities",
    "phase",
    "misalignment",
    "f_ec",
    "finite_key",
    "optimize",
    "published",
    "provenance",
    "insufficient_parameters",
}
_ARM = {"loss_db", "length_km", "attenuation_db_per_km", "extra_loss_db"}
_DET = {"efficiency", "dark_count_hz", "background_hz", "gate_s", "dark_count_prob"}
_SNS_MU = {"mu_z", "mu_1", "mu_2", "mu_0"}
_SNS_P = {"eps", "p_z", "p_0", "p_1"}
_PHASE = {"window_rad", "rms_rad", "slices"}
_FINITE = {"pulses", "eps_sec", "eps_cor"}
_PUBLISHED = {"rate_bps", "rate_per_pulse", "source"}
_USERS = ("alice", "bob")

_R = {
    "loss_db": Range(0.0, 3000.0, "dB", "arm loss"),
    "length_km": Range(0.0, MAX_LENGTH_KM, "km", "arm fibre length"),
    "attenuation_db_per_km": Range(0.0, 10.0, "dB/km", "fibre attenuation"),
    "extra_loss_db": Range(0.0, 3000.0, "dB", "extra loss of the arm"),
    "efficiency": Range(0.0, 1.0, "", "detector efficiency", lo_open=True),
    "dark_count_hz": Range(0.0, 1e9, "Hz", "dark-count rate"),
    "background_hz": Range(0.0, 1e9, "Hz", "background (stray light) count rate"),
    "gate_s": Range(0.0, 1.0, "s", "detection window per pulse", lo_open=True),
    "dark_count_prob": Range(0.0, 0.1, "", "dark-count probability per pulse"),
    "clock_hz": KEY_RATE_RANGES["clock_rate_hz"],
    "quantum_duty_cycle": KEY_RATE_RANGES["duty_cycle"],
    "misalignment": Range(0.0, 0.5, "", "optical misalignment e_d"),
    "f_ec": KEY_RATE_RANGES["f_ec"],
    "window_rad": Range(0.0, float(np.pi), "rad", "SNS X1 phase window"),
    "rms_rad": Range(0.0, 100.0, "rad", "rms residual phase"),
    "slices": Range(2, 1024, "", "phase slices M", integer=True),
    "pulses": KEY_RATE_RANGES["pulses"],
    "eps_sec": Range(0.0, 0.1, "", "failure probability of each estimate", lo_open=True),
    "eps_cor": Range(0.0, 0.1, "", "correctness failure probability", lo_open=True),
    "rate_bps": Range(0.0, 1e12, "bit/s", "published key rate", lo_open=True),
    "rate_per_pulse": Range(0.0, 1.0, "bit", "published key rate per pulse", lo_open=True),
    "mu": Range(0.0, 5.0, "", "intensity per user", lo_open=True),
    "mu_z": Range(0.0, 5.0, "", "SNS sending intensity", lo_open=True),
    "mu_1": Range(0.0, 5.0, "", "SNS weak decoy", lo_open=True),
    "mu_2": Range(0.0, 5.0, "", "SNS strong decoy", lo_open=True),
    "mu_0": Range(0.0, 1.0, "", "nominal-vacuum intensity", hi_open=True),
    "eps": Range(0.0, 1.0, "", "SNS sending probability", lo_open=True, hi_open=True),
    "p_z": Range(0.0, 1.0, "", "Z-window probability", lo_open=True),
    "p_0": Range(0.0, 1.0, "", "vacuum-decoy probability", lo_open=True, hi_open=True),
    "p_1": Range(0.0, 1.0, "", "weak-decoy probability", lo_open=True, hi_open=True),
}


def _mapping(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{path}={value!r}: must be a mapping")
    return value


def _keys(path: str, d: dict[str, Any], allowed: set[str], required: tuple[str, ...] = ()) -> None:
    for k in d:
        if k not in allowed:
            where = f"{path}.{k}" if path else str(k)
            raise ValueError(f"{where}: unknown key (allowed: {', '.join(sorted(allowed))})")
    for k in required:
        if k not in d:
            where = f"{path}.{k}" if path else k
            raise ValueError(f"{where}: missing required key")


def _num(path: str, key: str, value: Any) -> Any:
    """``value`` checked against the Range of ``key`` (YAML text such as ``1.0e9`` accepted)."""
    return parse_number(path, value, _R[key])


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file (see the module docstring for the schema)."""

    protocol: str
    channel: Channel
    detector: Detector
    params: SNSParams | PMParams | TFParams | CALParams | None
    clock_hz: float
    duty_cycle: float
    f_ec: float
    pulses: float | None
    security: Security | None
    optimize: bool | tuple[str, ...]
    name: str = ""
    published_rate_bps: float | None = None
    published_rate_per_pulse: float | None = None
    published_source: str = ""
    provenance: dict[str, str] = field(default_factory=dict)
    source: str = ""
    insufficient_parameters: str = ""

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_yaml(cls, path: str | Path) -> Experiment:
        """Read and validate an experiment file (ValueError naming the bad key)."""
        import yaml

        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"experiment file {str(p)!r}: cannot be read: {exc}") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
            raise ValueError(f"experiment file {str(p)!r}: not valid YAML: {first}") from None
        return cls.from_dict(data, source=str(p))

    @classmethod
    def from_dict(cls, data: Any, source: str = "") -> Experiment:
        """Validate a parsed experiment mapping (the YAML document)."""
        d = _mapping("experiment", data)
        _keys("", d, _TOP, ("protocol", "arms", "detectors"))
        protocol = d["protocol"]
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol={protocol!r}: unknown (allowed {', '.join(PROTOCOLS)})")
        clock = _num("clock_hz", "clock_hz", d.get("clock_hz", 1e9))
        duty = _num("quantum_duty_cycle", "quantum_duty_cycle", d.get("quantum_duty_cycle", 1.0))
        channel = _channel(d)
        detector = _detector(d.get("detectors"), clock)
        pulses, security = _finite(d.get("finite_key"))
        optimize = _optimize(protocol, d.get("optimize", False), pulses)
        params = None if protocol == "plob" else _params(protocol, d, optimize, pulses)
        f_ec = _num("f_ec", "f_ec", d.get("f_ec", 1.1))
        pub = d.get("published")
        rate_bps = rate_pp = None
        pub_source = ""
        if pub is not None:
            pub = _mapping("published", pub)
            _keys("published", pub, _PUBLISHED, ("source",))
            if "rate_bps" not in pub and "rate_per_pulse" not in pub:
                raise ValueError("published.rate_bps: missing required key (or rate_per_pulse)")
            if "rate_bps" in pub:
                rate_bps = _num("published.rate_bps", "rate_bps", pub["rate_bps"])
            if "rate_per_pulse" in pub:
                rate_pp = _num("published.rate_per_pulse", "rate_per_pulse", pub["rate_per_pulse"])
            pub_source = str(pub["source"])
        provenance = _provenance(d)
        name = d.get("name", "")
        for key in ("name", "description", "insufficient_parameters"):
            if not isinstance(d.get(key, ""), str):
                raise ValueError(f"{key}={d[key]!r}: must be a string")
        return cls(
            protocol=protocol,
            channel=channel,
            detector=detector,
            params=params,
            clock_hz=clock,
            duty_cycle=duty,
            f_ec=f_ec,
            pulses=pulses,
            security=security,
            optimize=optimize,
            name=name or (Path(source).stem if source else ""),
            published_rate_bps=rate_bps,
            published_rate_per_pulse=rate_pp,
            published_source=pub_source,
            provenance=provenance,
            source=source,
            insufficient_parameters=d.get("insufficient_parameters", ""),
        )

    # ------------------------------------------------------------------ evaluation
    @property
    def key(self) -> str:
        """ "finite" when a finite-key analysis is used, else "asymptotic"."""
        finite = self.pulses is not None and self.protocol in FINITE_KEY_PROTOCOLS
        return "finite" if finite else "asymptotic"

    def evaluate(self) -> dict[str, Any]:
        """Key rate of the experiment: one JSON-ready dict with the keys of :data:`OUTPUT_KEYS`."""
        pulses = self.pulses if self.key == "finite" else None
        res = key_rate(
            self.protocol,
            self.channel,
            self.detector,
            self.params,
            f_ec=self.f_ec,
            pulses=pulses,
            security=self.security if pulses is not None else None,
            optimize=self.optimize,
            clock_rate_hz=self.clock_hz,
            duty_cycle=self.duty_cycle,
        )
        rec = res.records()[0]
        rate, plob_pp = rec["rate_per_pulse"], rec["plob_per_pulse"]
        out: dict[str, Any] = {
            "name": self.name,
            "protocol": self.protocol,
            "rate_per_pulse": rate,
            "rate_bps": rec["rate_bps"],
            "plob_per_pulse": plob_pp,
            "ratio_to_plob": rate / plob_pp if plob_pp else None,
            "qber_x": rec["qber_x"],
            "qber_z": rec["qber_z"],
            "s1": rec["s1"],
            "e1_ph": rec["e1_ph"],
            "key": self.key,
            "key_note": self._key_note(),
            "parameters": None if rate <= 0.0 and self.optimize else rec["parameters"],
            "loss_db": {
                "alice": float(self.channel.loss_a_db),
                "bob": float(self.channel.loss_b_db),
                "total": float(self.channel.loss_a_db + self.channel.loss_b_db),
            },
        }
        if self.optimize and rate <= 0.0:
            out["key_note"] += "; no key at any parameters: parameters null"
        if self.published_rate_bps is not None or self.published_rate_per_pulse is not None:
            scale = self.clock_hz * self.duty_cycle
            if self.published_rate_bps is not None:
                pub = self.published_rate_bps
                ratio = rec["rate_bps"] / pub
            else:
                pub = self.published_rate_per_pulse * scale  # type: ignore[operator]
                ratio = rate / self.published_rate_per_pulse  # type: ignore[operator]
            out["published_rate_bps"] = pub
            out["ratio_to_published"] = ratio
            out["published_source"] = self.published_source
        out["provenance"] = dict(self.provenance)
        if self.insufficient_parameters:
            out["insufficient_parameters"] = self.insufficient_parameters
        return out

    def _key_note(self) -> str:
        if self.pulses is None:
            return "asymptotic (no finite_key in the file)"
        if self.key == "finite":
            return f"finite key, N = {self.pulses:.3g} pulses (Jiang et al. 2019/2021 analysis)"
        return f"asymptotic: {finite_key_missing_note(self.protocol)}; finite_key ignored"


# ---------------------------------------------------------------------- sections
def _channel(d: dict[str, Any]) -> Channel:
    arms = _mapping("arms", d["arms"])
    _keys("arms", arms, set(_USERS), _USERS)
    lengths, att, extra = {}, {}, {}
    for user in _USERS:
        path = f"arms.{user}"
        arm = _mapping(path, arms[user])
        _keys(path, arm, _ARM)
        if ("loss_db" in arm) == ("length_km" in arm):
            raise ValueError(
                f"{path}.loss_db: missing required key (give exactly one of loss_db, length_km)"
            )
        if "loss_db" in arm and "attenuation_db_per_km" in arm:
            raise ValueError(
                f"{path}.attenuation_db_per_km: only with length_km (loss_db is the total)"
            )
        extra[user] = _num(f"{path}.extra_loss_db", "extra_loss_db", arm.get("extra_loss_db", 0.0))
        if "loss_db" in arm:
            lengths[user], att[user] = 0.0, 0.0
            extra[user] += _num(f"{path}.loss_db", "loss_db", arm["loss_db"])
        else:
            lengths[user] = _num(f"{path}.length_km", "length_km", arm["length_km"])
            att[user] = _num(
                f"{path}.attenuation_db_per_km",
                "attenuation_db_per_km",
                arm.get("attenuation_db_per_km", 0.2),
            )
    # per-arm attenuation: Channel has one; fold each arm's fibre loss into its extra loss
    kw: dict[str, Any] = {
        "length_a_km": lengths["alice"],
        "length_b_km": lengths["bob"],
        "fibre_loss_db_per_km": 0.0,
        "extra_loss_a_db": extra["alice"] + att["alice"] * lengths["alice"],
        "extra_loss_b_db": extra["bob"] + att["bob"] * lengths["bob"],
    }
    if "misalignment" in d:
        kw["misalignment"] = _num("misalignment", "misalignment", d["misalignment"])
    phase = d.get("phase")
    if phase is not None:
        phase = _mapping("phase", phase)
        _keys("phase", phase, _PHASE)
        if "rms_rad" in phase:
            kw["phase_rms_rad"] = _num("phase.rms_rad", "rms_rad", phase["rms_rad"])
    return Channel(**kw)


def _detector(value: Any, clock_hz: float) -> Detector:
    if not isinstance(value, list) or len(value) not in (1, 2):
        raise ValueError(
            f"detectors={value!r}: must be a list of two detectors (one entry: two identical)"
        )
    effs, probs = [], []
    for i, det in enumerate(value):
        path = f"detectors[{i}]"
        det = _mapping(path, det)
        _keys(path, det, _DET, ("efficiency",))
        effs.append(_num(f"{path}.efficiency", "efficiency", det["efficiency"]))
        rate_keys = {"dark_count_hz", "background_hz", "gate_s"} & set(det)
        if "dark_count_prob" in det and rate_keys:
            raise ValueError(
                f"{path}.dark_count_prob: give either dark_count_prob or dark_count_hz "
                "(with background_hz, gate_s), not both"
            )
        if "dark_count_prob" in det:
            p = _num(f"{path}.dark_count_prob", "dark_count_prob", det["dark_count_prob"])
        elif rate_keys:
            gate = _num(f"{path}.gate_s", "gate_s", det.get("gate_s", 1.0 / clock_hz))
            hz = _num(f"{path}.dark_count_hz", "dark_count_hz", det.get("dark_count_hz", 0.0))
            hz += _num(f"{path}.background_hz", "background_hz", det.get("background_hz", 0.0))
            p = -float(np.expm1(-hz * gate))  # Poisson: at least one count in the window
            _R["dark_count_prob"].check(f"{path}.dark_count_hz * gate_s", p)
        else:
            p = float(Detector().dark_count_prob)
        probs.append(p)
    if len(effs) == 1 or (effs[0] == effs[1] and probs[0] == probs[1]):
        return Detector(eta_det=effs[0], dark_count_prob=probs[0])
    return Detector(
        eta_det=effs[0], dark_count_prob=probs[0], eta_det_2=effs[1], dark_count_prob_2=probs[1]
    )


def _finite(value: Any) -> tuple[float | None, Security | None]:
    if value is None:
        return None, None
    fk = _mapping("finite_key", value)
    _keys("finite_key", fk, _FINITE, ("pulses",))
    pulses = _num("finite_key.pulses", "pulses", fk["pulses"])
    default = Security()
    eps_sec = _num("finite_key.eps_sec", "eps_sec", fk.get("eps_sec", default.eps_stat))
    eps_cor = _num("finite_key.eps_cor", "eps_cor", fk.get("eps_cor", default.eps_cor))
    return pulses, Security(eps_cor=eps_cor, eps_pa=eps_sec, eps_smooth=eps_sec, eps_stat=eps_sec)


def _per_user(d: dict[str, Any], section: str, allowed: set[str]) -> dict[str, dict[str, float]]:
    """``section`` as {alice: {...}, bob: {...}}; a flat mapping applies to both users."""
    raw = d.get(section)
    if raw is None:
        return {u: {} for u in _USERS}
    raw = _mapping(section, raw)
    if set(raw) & set(_USERS):
        _keys(section, raw, set(_USERS), _USERS)
        users = {u: _mapping(f"{section}.{u}", raw[u]) for u in _USERS}
    else:
        users = {"alice": raw, "bob": raw}
    out: dict[str, dict[str, float]] = {}
    for u, vals in users.items():
        path = f"{section}.{u}" if set(raw) & set(_USERS) else section
        _keys(path, vals, allowed)
        out[u] = {k: _num(f"{path}.{k}", k, v) for k, v in vals.items()}
    return out


def _params(
    protocol: str, d: dict[str, Any], optimize: bool | tuple[str, ...], pulses: float | None
) -> SNSParams | PMParams | TFParams | CALParams:
    phase = d.get("phase") or {}
    searched = set() if optimize is False else (_ALL if optimize is True else set(optimize))
    if protocol in ("sns", "sns-aopp"):
        mus = _per_user(d, "intensities", _SNS_MU)
        probs = _per_user(d, "probabilities", _SNS_P)
        for u in _USERS:
            for k in ("mu_z", "mu_1", "mu_2"):
                own = k if u == "alice" else f"{k}_b"
                if k not in mus[u] and k not in searched and own not in searched:
                    raise ValueError(f"intensities.{u}.{k}: missing required key (or optimize it)")
        a, b = mus["alice"], mus["bob"]
        if a.get("mu_0", 0.0) != b.get("mu_0", 0.0):
            raise ValueError(
                f"intensities.bob.mu_0={b.get('mu_0', 0.0)!r}: per-user vacuum intensities are "
                f"not modelled (allowed: equal to alice's, {a.get('mu_0', 0.0)!r})"
            )
        kw: dict[str, Any] = {k: a[k] for k in ("mu_z", "mu_1", "mu_2") if k in a}
        kw["mu_vacuum"] = a.get("mu_0", 0.0)
        pa, pb = probs["alice"], probs["bob"]
        kw.update({k: pa[k] for k in _SNS_P if k in pa})
        if "window_rad" in phase:
            kw["phase_window_rad"] = _num("phase.window_rad", "window_rad", phase["window_rad"])
        for k in ("mu_z", "mu_1", "mu_2"):
            if k in b and b[k] != a.get(k):
                kw[f"{k}_b"] = b[k]
        for k in _SNS_P:
            if k in pb and pb[k] != pa.get(k):
                kw[f"{k}_b"] = pb[k]
        if pulses is not None:
            if "p_z" not in pa and "p_z" not in searched:
                raise ValueError("probabilities.p_z: missing required key with finite_key")
            if "window_rad" not in phase and "phase_window_rad" not in searched:
                raise ValueError("phase.window_rad: missing required key with finite_key")
        try:
            return SNSParams(**kw)
        except ValueError as exc:
            raise ValueError(f"intensities/probabilities: {exc}") from None
    if d.get("probabilities") is not None:
        raise ValueError(f"probabilities: not used by {protocol} (only sns, sns-aopp)")
    mus = _per_user(d, "intensities", {"mu"})
    a, b = mus["alice"].get("mu"), mus["bob"].get("mu")
    if a is None or b is None:
        if "mu" not in searched:
            raise ValueError("intensities.alice.mu: missing required key (or optimize it)")
    elif a != b:
        raise ValueError(
            f"intensities.bob.mu={b!r}: unequal per-user intensities are modelled for sns and "
            f"sns-aopp only (allowed for {protocol}: equal to alice's, {a!r})"
        )
    slices = phase.get("slices")
    if slices is not None:
        slices = _num("phase.slices", "slices", slices)
    if protocol == "cal":
        mu = a if a is not None else CALParams().mu
        lo, hi = 0.0, CALParams.__dataclass_fields__["mu"].metadata["range"].max
        Range(lo, hi, "", lo_open=True).check("intensities.alice.mu", mu)
        return CALParams(mu=mu)
    total = 2.0 * a if a is not None else None  # PMParams/TFParams take the total mu_A + mu_B
    if total is not None:
        Range(0.0, 2.5, "", lo_open=True).check("intensities.alice.mu", a)
    if protocol == "pm":
        kw = {} if total is None else {"mu": total}
        return PMParams(**kw, **({} if slices is None else {"phase_slices": slices}))
    kw = {} if total is None else {"mu": total}
    return TFParams(**kw, **({} if slices is None else {"phase_slices": slices}))


#: every name (``optimize: true``)
_ALL = {"mu_z", "mu_1", "mu_2", "eps", "p_z", "p_0", "p_1", "phase_window_rad", "mu"}
_ALL |= {"mu_z_b", "mu_1_b", "mu_2_b", "p_z_b", "p_0_b", "p_1_b"}


def _optimize(protocol: str, value: Any, pulses: float | None) -> bool | tuple[str, ...]:
    """``optimize``: true/false, or the list of names to optimise (file spelling:
    ``window_rad`` for the X1 window), checked against what the optimiser can search."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"optimize={value!r}: must be true, false or a list of names")
    from qkdchip.sims.keyrate.optimize import optimisable

    allowed = (
        optimisable(protocol, pulses is not None, asymmetric=True) if protocol != "plob" else ()
    )
    names = []
    for v in value:
        name = "phase_window_rad" if v == "window_rad" else v
        if name not in allowed:
            spelled = [("window_rad" if a == "phase_window_rad" else a) for a in allowed]
            raise ValueError(
                f"optimize: {v!r} cannot be optimised for {protocol}"
                f"{' with finite_key' if pulses is not None else ''} "
                f"(allowed: {', '.join(spelled) or 'none'})"
            )
        names.append(name)
    return tuple(names) if names else False


def _provenance(d: dict[str, Any]) -> dict[str, str]:
    raw = d.get("provenance")
    if raw is None:
        return {}
    raw = _mapping("provenance", raw)
    out: dict[str, str] = {}
    for key, src in raw.items():
        if not _has_path(d, str(key)):
            raise ValueError(
                f"provenance.{key}: names no key of this file (use dotted paths such as "
                "arms.alice.length_km or detectors[0].efficiency)"
            )
        if not isinstance(src, str) or not src.strip():
            raise ValueError(f"provenance.{key}={src!r}: must be a non-empty source string")
        out[str(key)] = src
    return out


def _has_path(d: Any, path: str) -> bool:
    node = d
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if not isinstance(node, dict) or name not in node:
            return False
        node = node[name]
        while rest:
            idx, _, rest = rest.partition("]")
            rest = rest.lstrip("[")
            if not isinstance(node, list) or not idx.isdigit() or int(idx) >= len(node):
                return False
            node = node[int(idx)]
    return True


def experiments_dir() -> Path:
    """The folder of the bundled published experiments (package data)."""
    return Path(__file__).with_name("experiments")


def bundled_experiments() -> list[Path]:
    """The bundled experiment files, sorted by name."""
    return sorted(experiments_dir().glob("*.yml"))
