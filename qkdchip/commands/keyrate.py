"""``qkdchip keyrate``: TF-QKD secret-key rate versus distance, with the PLOB and relay bounds.

Examples::

    qkdchip keyrate --protocol sns-aopp --distance-km 100,300,500 --optimize
    qkdchip keyrate --protocol pm --distance-km 0:600:10 --eta-det 0.145 --plot pm.png
    qkdchip keyrate --protocol sns-aopp --distance-km 370 --pulses 1e13 --optimize --json
    qkdchip keyrate --protocol bb84-decoy --distance-km 0:300:25 --optimize
    qkdchip keyrate --compare --distance-km 0:700:10 --plot compare.png

Without ``--pulses`` the rate is asymptotic. Bad input exits with code 2 and a one-line message
naming the parameter. Only numpy/scipy (and matplotlib for ``--plot``) are imported.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from qkdchip.base.outputs import interruptible
from qkdchip.commands._common import fail, print_json

_PROTOCOLS = ("plob", "sns", "sns-aopp", "pm", "tf", "cal", "bb84-decoy", "mdi")


#: most distances one call evaluates
MAX_DISTANCES = 100_000


def parse_distances(text: str) -> list[float]:
    """``"100,200.5"`` -> [100, 200.5]; ``"0:600:5"`` -> 0, 5, ..., 600 (stop included).

    The number of points is computed (and refused past :data:`MAX_DISTANCES`) before any list
    is built; every refusal is one ``ValueError`` naming ``distance_km`` and the text as given.
    """

    def bad(what: str) -> ValueError:
        return ValueError(
            f"distance_km={text!r}: {what} (allowed a comma-separated list of numbers or "
            f"start:stop:step, at most {MAX_DISTANCES} points)"
        )

    body = text.strip()
    if not body:
        raise bad("is empty")
    if not body.isascii():  # float() would read other scripts' digits ("１００") as numbers
        raise bad("has characters other than ASCII digits, signs, '.', 'e', ',' and ':'")
    if ":" in body:
        parts = body.split(":")
        if len(parts) != 3:
            raise bad("a range has three parts, start:stop:step")
        try:
            start, stop, step = (float(p) for p in parts)
        except ValueError:
            raise bad("start, stop and step must be numbers") from None
        if not all(math.isfinite(x) for x in (start, stop, step)):
            raise bad("start, stop and step must be finite")
        if step <= 0:
            raise bad("step must be > 0")
        if stop < start:
            raise bad("stop must not be below start")
        span = (stop - start) / step  # the number of steps, before any list exists
        if not span <= MAX_DISTANCES - 1:
            raise bad(f"gives more than {MAX_DISTANCES} points")
        n = round(span)
        return [start + i * step for i in range(n + 1) if start + i * step <= stop + 1e-9]
    items = body.split(",")
    if len(items) > MAX_DISTANCES:
        raise bad(f"gives {len(items)} points")
    values = []
    for item in items:
        if not item.strip():
            raise bad("an item is empty")
        try:
            values.append(float(item))
        except ValueError:
            raise bad(f"{item.strip()!r} is not a number") from None
    return values


#: options each protocol reads (beyond the distance, fibre, detector efficiency and clock, which
#: every protocol, the PLOB bound included, reads): an option given on the command line that the
#: chosen protocol does not read is refused, naming it
_KEY_OPTIONS = ("dark_count_prob", "misalignment", "phase_rms_rad", "f_ec", "mu_z", "optimize")
_SNS_OPTIONS = (
    "mu1",
    "mu2",
    "eps",
    "p_z",
    "phase_window_rad",
    "mu_vacuum",
    "extinction_ratio_db",
    "pulses",
)
_BASELINE_OPTIONS = ("dark_count_prob", "misalignment", "f_ec", "mu_z", "mu1", "p_z", "pulses")
_BASELINE_OPTIONS += ("optimize",)
_PROTOCOL_OPTIONS: dict[str, tuple[str, ...]] = {
    "plob": (),
    "sns": _KEY_OPTIONS + _SNS_OPTIONS,
    "sns-aopp": _KEY_OPTIONS + _SNS_OPTIONS,
    "pm": (*_KEY_OPTIONS, "phase_slices"),
    "tf": (*_KEY_OPTIONS, "phase_slices"),
    "cal": _KEY_OPTIONS,
    # the non-twin-field baselines: --mu-z signal, --mu1 weak decoy (third intensity: vacuum)
    **dict.fromkeys(("bb84-decoy", "mdi"), _BASELINE_OPTIONS),
}
_OPTIONAL = {o for opts in _PROTOCOL_OPTIONS.values() for o in opts}


def check_protocol_options(ctx: Any, protocol: str) -> None:
    """Refuse an option given on the command line that ``protocol`` does not read (ValueError
    naming it and the protocols that read it)."""
    import click

    if protocol not in _PROTOCOL_OPTIONS:
        return  # the unknown protocol is reported by _compute
    given = {
        p.name: p
        for p in ctx.command.params
        if p.name in _OPTIONAL
        and ctx.get_parameter_source(p.name)
        in (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    }
    for name, param in given.items():
        if name not in _PROTOCOL_OPTIONS[protocol]:
            users = [k for k, v in _PROTOCOL_OPTIONS.items() if name in v]
            flag = max(param.opts, key=len)
            raise ValueError(
                f"{name} ({flag}): not used by protocol {protocol} "
                f"(allowed with {', '.join(users)})"
            )


def _field(owner: type, name: str) -> Any:
    import dataclasses

    for f in dataclasses.fields(owner):
        if f.name == name:
            return f
    raise AttributeError(f"{owner.__name__} has no field {name!r}")


def _default(owner: type, name: str) -> Any:
    """The default of dataclass field ``owner.name`` (its one home)."""
    return _field(owner, name).default


def _help(text: str, rng: Any) -> str:
    """``text`` with the allowed interval of ``rng`` (a Range, or None: no range to show)."""
    return text if rng is None else f"{text}, in {rng.describe()}"


def _fhelp(text: str, owner: type, name: str) -> str:
    """``text`` with the range in the metadata of dataclass field ``owner.name``."""
    return _help(text, _field(owner, name).metadata.get("range"))


def register(app: typer.Typer) -> None:
    import inspect

    import click

    from qkdchip.sims.keyrate import (
        KEY_RATE_RANGES,
        Channel,
        Detector,
        PMParams,
        SNSParams,
        TFParams,
        key_rate,
    )

    kr = {k: p.default for k, p in inspect.signature(key_rate).parameters.items()}
    slices_default = {
        "pm": _default(PMParams, "phase_slices"),
        "tf": _default(TFParams, "phase_slices"),
    }

    @app.command("keyrate")
    @interruptible
    def keyrate_cmd(
        protocol: str | None = typer.Option(
            None,
            "--protocol",
            help="one of plob, sns, sns-aopp, pm, tf, cal (twin field) or bb84-decoy, mdi "
            "(baselines); required unless --compare or --experiment",
        ),
        distance_km: str = typer.Option(
            None,
            "--distance-km",
            help="total Alice-Bob fibre length(s): D[,D...] or start:stop:step (required)",
        ),
        fibre_loss_db_per_km: float = typer.Option(
            _default(Channel, "fibre_loss_db_per_km"),
            "--fibre-loss-db-per-km",
            "--fiber-loss-db-km",
            help=_fhelp("fibre loss", Channel, "fibre_loss_db_per_km"),
        ),
        eta_det: float = typer.Option(
            _default(Detector, "eta_det"),
            "--eta-det",
            help=_fhelp("detector efficiency", Detector, "eta_det"),
        ),
        dark_count_prob: float = typer.Option(
            _default(Detector, "dark_count_prob"),
            "--dark-count-prob",
            help=_fhelp(
                "dark-count probability per detector per pulse", Detector, "dark_count_prob"
            ),
        ),
        misalignment: float = typer.Option(
            _default(Channel, "misalignment"),
            "--misalignment",
            help=_fhelp("optical misalignment e_d", Channel, "misalignment"),
        ),
        f_ec: float = typer.Option(
            kr["f_ec"],
            "--f-ec",
            help=_help("error-correction inefficiency f", KEY_RATE_RANGES["f_ec"]),
        ),
        mu_z: float | None = typer.Option(
            None,
            "--mu-z",
            help="signal intensity: SNS sending state; PM/TF total intensity; CAL |alpha|^2; "
            "BB84/MDI signal mu",
        ),
        mu1: float | None = typer.Option(
            None, "--mu1", help=_fhelp("SNS, BB84, MDI weak decoy intensity", SNSParams, "mu_1")
        ),
        mu2: float | None = typer.Option(
            None, "--mu2", help=_fhelp("SNS strong decoy intensity", SNSParams, "mu_2")
        ),
        eps: float | None = typer.Option(
            None, "--eps", help=_fhelp("SNS sending probability", SNSParams, "eps")
        ),
        p_z: float | None = typer.Option(
            None,
            "--p-z",
            help=_fhelp(
                "SNS Z-window / BB84, MDI Z-basis probability (needed with --pulses unless "
                "--optimize)",
                SNSParams,
                "p_z",
            ),
        ),
        phase_window_rad: float = typer.Option(
            _default(SNSParams, "phase_window_rad"),
            "--phase-window-rad",
            help=_fhelp(
                "SNS X1 acceptance window D_s (0: exact match)",
                SNSParams,
                "phase_window_rad",
            ),
        ),
        phase_rms_rad: float = typer.Option(
            _default(Channel, "phase_rms_rad"),
            "--phase-rms-rad",
            help=_fhelp("residual relative phase rms sigma", Channel, "phase_rms_rad"),
        ),
        phase_slices: int | None = typer.Option(
            None,
            "--phase-slices",
            help=_fhelp(
                "PM/TF phase slices M (default: "
                + ", ".join(f"{v} for {k}" for k, v in slices_default.items())
                + "; even for pm)",
                PMParams,
                "phase_slices",
            ),
        ),
        mu_vacuum: float = typer.Option(
            _default(SNSParams, "mu_vacuum"),
            "--mu-vacuum",
            help=_fhelp(
                "SNS: mean photon number of the nominal vacuum state", SNSParams, "mu_vacuum"
            ),
        ),
        extinction_ratio_db: float | None = typer.Option(
            None,
            "--extinction-ratio-db",
            help=_fhelp(
                "SNS: modulator ER; the vacuum then carries max(mu_z, mu_2)/ER",
                SNSParams,
                "extinction_ratio_db",
            ),
        ),
        arm_imbalance_km: float = typer.Option(
            0.0, "--arm-imbalance-km", help="Alice arm minus Bob arm length, km"
        ),
        pulses: float | None = typer.Option(
            None,
            "--pulses",
            help=_help(
                "total pulses N for the finite-key rate (sns, sns-aopp, bb84-decoy, mdi)",
                KEY_RATE_RANGES["pulses"],
            ),
        ),
        clock_rate_hz: float = typer.Option(
            kr["clock_rate_hz"],
            "--clock-rate-hz",
            help=_help("pulse rate", KEY_RATE_RANGES["clock_rate_hz"]),
        ),
        duty_cycle: float = typer.Option(
            kr["duty_cycle"],
            "--duty-cycle",
            help=_help("quantum duty cycle", KEY_RATE_RANGES["duty_cycle"]),
        ),
        optimize: bool = typer.Option(
            False, "--optimize", help="maximise the rate over intensities and probabilities"
        ),
        phase_randomisation: int | None = typer.Option(
            None,
            "--phase-randomisation",
            help="M discrete random phases (sns, asymptotic; default: continuous)",
        ),
        plot: Path | None = typer.Option(
            None,
            "--plot",
            help="write rate vs distance to FILE.png (title: asymptotic or finite key; "
            "bit/pulse axis left, bit/s axis right)",
        ),
        json_out: bool = typer.Option(
            False,
            "--json",
            help="print a JSON array with one object per distance (distance_km, protocol, eta, "
            "rate_per_pulse, rate_bps, ratio_to_plob, the bounds *_per_pulse, s1, e1_ph, gain_z, "
            "qber_z, qber_x, pulses, parameters, extras, settings); with --compare one object "
            "(see README)",
        ),
        compare: bool = typer.Option(
            False,
            "--compare",
            help="optimised TF protocols against decoy BB84, MDI-QKD, PLOB and the "
            "single-repeater bound, with the crossover distances (finite key with --pulses: "
            "sns, sns-aopp, bb84-decoy, mdi)",
        ),
        experiment: Path | None = typer.Option(
            None,
            "--experiment",
            help="evaluate an experiment file (YAML, see docs/api.md) instead; with --json",
        ),
    ) -> None:
        """Secret-key rate versus distance: twin-field protocols, the decoy BB84 and MDI-QKD
        baselines, with the PLOB and relay bounds."""
        from qkdchip.base import outputs

        if experiment is not None:
            from qkdchip.commands.reproduce import run_experiment_file

            run_experiment_file(experiment, json_out, click.get_current_context())
            return
        if protocol is None and not compare:
            fail("--protocol: missing (required unless --compare or --experiment FILE.yml)")
        if distance_km is None:
            fail("--distance-km: missing (required unless --experiment FILE.yml)")

        if plot is not None:  # the output path first: nothing is computed for a bad one
            try:
                outputs.check_file(plot, f"--plot {plot}", outputs.FIGURE_SUFFIXES)
            except ValueError as exc:
                fail(str(exc))
        if compare:
            from qkdchip.commands._keyrate_compare import run_compare

            run_compare(
                click.get_current_context(),
                protocol=protocol,
                plot=plot,
                json_out=json_out,
                compute=_compute,
                kw=dict(
                    distance_km=distance_km,
                    fibre_loss_db_per_km=fibre_loss_db_per_km,
                    eta_det=eta_det,
                    dark_count_prob=dark_count_prob,
                    misalignment=misalignment,
                    f_ec=f_ec,
                    phase_rms_rad=phase_rms_rad,
                    arm_imbalance_km=arm_imbalance_km,
                    pulses=pulses,
                    clock_rate_hz=clock_rate_hz,
                    duty_cycle=duty_cycle,
                ),
            )
            return
        if protocol is None:
            fail("--protocol: missing (required unless --compare or --experiment FILE.yml)")
        try:
            check_protocol_options(click.get_current_context(), protocol)
            from qkdchip.sims.security.keyrate import check_discrete_phases

            check_discrete_phases(
                protocol, phase_randomisation, pulses, mu_vacuum, extinction_ratio_db
            )
            res = _compute(
                protocol=protocol,
                distance_km=distance_km,
                fibre_loss_db_per_km=fibre_loss_db_per_km,
                eta_det=eta_det,
                dark_count_prob=dark_count_prob,
                misalignment=misalignment,
                f_ec=f_ec,
                mu_z=mu_z,
                mu1=mu1,
                mu2=mu2,
                eps=eps,
                p_z=p_z,
                phase_window_rad=phase_window_rad,
                phase_rms_rad=phase_rms_rad,
                phase_slices=phase_slices,
                mu_vacuum=mu_vacuum,
                extinction_ratio_db=extinction_ratio_db,
                arm_imbalance_km=arm_imbalance_km,
                pulses=pulses,
                clock_rate_hz=clock_rate_hz,
                duty_cycle=duty_cycle,
                optimize=optimize,
                phase_randomisation=phase_randomisation,
            )
        except ValueError as exc:
            fail(str(exc).splitlines()[0])
        records = res.records()
        settings = {
            "fiber_loss_db_km": fibre_loss_db_per_km,  # the key of the first release, kept
            "fibre_loss_db_per_km": fibre_loss_db_per_km,
            "eta_det": eta_det,
            "dark_count_prob": dark_count_prob,
            "misalignment": misalignment,
            "phase_rms_rad": phase_rms_rad,
            "f_ec": f_ec,
            "arm_imbalance_km": arm_imbalance_km,
            "clock_rate_hz": clock_rate_hz,
            "duty_cycle": duty_cycle,
            "optimized": optimize,
            "phase_randomisation": phase_randomisation,  # M discrete phases; None: continuous
        }
        for r in records:
            plob = r["plob_per_pulse"]
            r["ratio_to_plob"] = r["rate_per_pulse"] / plob if plob else None
            r["settings"] = settings
        if plot is not None:
            _plot(res, plot, clock_rate_hz * duty_cycle)
        if json_out:
            print_json(records)
            return
        _table(records, res.protocol, pulses)
        if plot is not None:
            typer.echo(f"plot written to {plot}")


def _compute(**kw: Any) -> Any:
    import numpy as np

    from qkdchip.base.params import Range
    from qkdchip.sims.keyrate import (
        CALParams,
        Channel,
        Detector,
        PMParams,
        SNSParams,
        TFParams,
        key_rate,
    )

    protocol = kw["protocol"]
    if protocol not in _PROTOCOLS:
        raise ValueError(f"protocol={protocol!r} must be one of {', '.join(_PROTOCOLS)}")
    d = np.asarray(parse_distances(kw["distance_km"]))
    arm_max = _field(Channel, "length_a_km").metadata["range"].max  # one arm's longest fibre
    Range(0.0, 2 * arm_max, "km").check("distance_km", d)
    imb = kw["arm_imbalance_km"]
    Range(-arm_max, arm_max, "km").check("arm_imbalance_km", imb)
    if np.any(np.abs(imb) > d):
        raise ValueError(
            f"arm_imbalance_km={imb:g} km must not exceed the distance ({float(d.min()):g} km)"
        )
    longest = float(np.max((d + abs(imb)) / 2.0))
    if longest > arm_max:
        raise ValueError(
            f"arm_imbalance_km={imb:g} km makes the longer arm {longest:g} km "
            f"(distance_km={float(np.max(d)):g}; allowed arms up to {arm_max:g} km)"
        )
    channel = Channel(
        length_a_km=(d + imb) / 2.0,
        length_b_km=(d - imb) / 2.0,
        fibre_loss_db_per_km=kw["fibre_loss_db_per_km"],
        misalignment=kw["misalignment"],
        phase_rms_rad=kw["phase_rms_rad"],
    )
    detector = Detector(eta_det=kw["eta_det"], dark_count_prob=kw["dark_count_prob"])
    pulses = kw["pulses"]
    sns_only = {
        "mu1": kw["mu1"],
        "mu2": kw["mu2"],
        "eps": kw["eps"],
        "p_z": kw["p_z"],
        "extinction_ratio_db": kw["extinction_ratio_db"],
    }
    params: Any = None
    if protocol in ("bb84-decoy", "mdi"):
        from qkdchip.commands._keyrate_compare import baseline_params

        params = baseline_params(protocol, kw)
    elif protocol in ("sns", "sns-aopp"):
        base = SNSParams()
        over = {
            "mu_z": kw["mu_z"],
            "mu_1": kw["mu1"],
            "mu_2": kw["mu2"],
            "eps": kw["eps"],
            "p_z": kw["p_z"],
            "extinction_ratio_db": kw["extinction_ratio_db"],
        }
        fields = {k: v for k, v in over.items() if v is not None}
        if pulses is not None and not kw["optimize"]:
            if kw["p_z"] is None:
                raise ValueError("p_z is required with --pulses unless --optimize is given")
            if kw["phase_window_rad"] <= 0:
                raise ValueError(
                    f"phase_window_rad={kw['phase_window_rad']:g} must be > 0 with --pulses "
                    "unless --optimize is given (the X1 window must collect counts)"
                )
        params = SNSParams(
            **{**{k: getattr(base, k) for k in ("mu_z", "mu_1", "mu_2", "eps")}, **fields},
            phase_window_rad=kw["phase_window_rad"],
            mu_vacuum=kw["mu_vacuum"],
        )
    else:
        given = [k for k, v in sns_only.items() if v is not None]
        if given:
            raise ValueError(f"{given[0]} applies to sns/sns-aopp only, not {protocol}")
        if kw["mu_vacuum"] != _default(SNSParams, "mu_vacuum"):
            raise ValueError(f"mu_vacuum={kw['mu_vacuum']:g} applies to sns/sns-aopp only")
        chosen = {"mu": kw["mu_z"], "phase_slices": kw["phase_slices"]}
        chosen = {k: v for k, v in chosen.items() if v is not None}  # else the class default
        if protocol == "pm":
            params = PMParams(**chosen)
        elif protocol == "tf":
            params = TFParams(**chosen)
        elif protocol == "cal":
            params = CALParams(**({} if kw["mu_z"] is None else {"mu": kw["mu_z"]}))
    res = key_rate(
        protocol,
        channel,
        detector,
        params,
        f_ec=kw["f_ec"],
        pulses=pulses,
        optimize=kw["optimize"],
        clock_rate_hz=kw["clock_rate_hz"],
        duty_cycle=kw["duty_cycle"],
    )
    if kw.get("phase_randomisation") is None:
        return res
    from qkdchip.sims.security.keyrate import with_discrete_phases

    return with_discrete_phases(
        res, channel, detector, kw["phase_randomisation"], f_ec=kw["f_ec"],
        optimize=kw["optimize"], mu_vacuum=kw["mu_vacuum"], pulses=pulses,
        clock_rate_hz=kw["clock_rate_hz"], duty_cycle=kw["duty_cycle"],
    )  # fmt: skip


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3e}"


def _table(records: list[dict[str, Any]], protocol: str, pulses: float | None) -> None:
    mode = "asymptotic" if pulses is None else f"finite key, N = {pulses:.2g}"
    typer.echo(f"qkdchip keyrate: {protocol} ({mode}); rates in bit per pulse unless noted")
    head = (
        "L_km",
        "rate",
        "rate_bps",
        "PLOB",
        "rate/PLOB",
        "single_rep",
        "s1",
        "e1_ph",
        "qber_z",
        "qber_x",
    )
    typer.echo(" ".join(f"{h:>10}" for h in head))
    for r in records:
        plob = r["plob_per_pulse"]
        ratio = None if not plob else r["rate_per_pulse"] / plob
        row = (
            f"{r['distance_km']:g}",
            _fmt(r["rate_per_pulse"]),
            _fmt(r["rate_bps"]),
            _fmt(plob),
            "-" if ratio is None else f"{ratio:.4g}",
            _fmt(r["single_repeater_bound_per_pulse"]),
            _fmt(r["s1"]),
            _fmt(r["e1_ph"]),
            _fmt(r["qber_z"]),
            _fmt(r["qber_x"]),
        )
        typer.echo(" ".join(f"{c:>10}" for c in row))


def _plot(res: Any, path: Path, bps_per_bit_per_pulse: float) -> None:
    from qkdchip.base.outputs import save_figure

    save_figure(_figure(res, bps_per_bit_per_pulse), path, dpi=120)  # atomic, format by suffix


def _figure(res: Any, bps_per_bit_per_pulse: float) -> Any:
    """The rate-vs-distance figure of ``res`` (bit/pulse left, bit/s right, mode in the title)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    d = np.asarray(res.distance_km).reshape(-1)
    order = np.argsort(d)
    d = d[order]

    def y(a: Any) -> Any:
        v = np.asarray(a, dtype=float).reshape(-1)[order]
        return np.where((v > 0) & np.isfinite(v), v, np.nan)

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if res.protocol != "plob":
        ax.semilogy(
            d,
            y(res.rate_per_pulse),
            "o-" if d.size < 15 else "-",
            lw=2,
            label=res.protocol.upper()
            + ("" if res.pulses is None else f" (N = {float(np.max(res.pulses)):.0e})"),
        )
    ax.semilogy(d, y(res.plob), "k--", label="PLOB")
    ax.semilogy(d, y(res.plob_conditional), "k:", label=r"PLOB with $\eta_d$")
    ax.semilogy(d, y(res.single_repeater), "0.5", ls="-.", label="single-repeater bound")
    ax.set_xlabel("distance Alice-Bob [km]")
    ax.set_ylabel("secret key rate [bit/pulse]")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    from qkdchip.commands._keyrate_compare import bps_axis, mode_title

    bps_axis(ax, bps_per_bit_per_pulse)
    ax.set_title(f"{res.protocol.upper()} key rate vs distance ({mode_title(res.pulses)})")
    fig.tight_layout()
    return fig
