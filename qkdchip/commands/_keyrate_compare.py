"""``qkdchip keyrate --compare`` and the baseline options of ``keyrate`` (helpers of keyrate.py).

``--compare`` optimises every twin-field protocol and the two baselines (decoy BB84, decoy
MDI-QKD) on the same channel and detector, and reports where twin field starts to win: for each
TF protocol the distance beyond which its rate stays above the better baseline (and above each
baseline, and above PLOB), interpolated on log(rate) between grid points. Asymptotic by default;
with ``--pulses`` the finite-key capable protocols (sns, sns-aopp, bb84-decoy, mdi).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from qkdchip.commands._common import fail, print_json

TF_PROTOCOLS = ("sns-aopp", "sns", "pm", "tf", "cal")
TF_FINITE = ("sns-aopp", "sns")
BASELINES = ("bb84-decoy", "mdi")
#: one colour per protocol, the same in the asymptotic and the finite-key figure
COLORS = dict(zip((*TF_PROTOCOLS, *BASELINES), (f"C{i}" for i in range(7)), strict=True))
#: options of single-protocol runs that --compare does not read (it optimises every protocol)
_NOT_WITH_COMPARE = (
    "protocol",
    "mu_z",
    "mu1",
    "mu2",
    "eps",
    "p_z",
    "phase_window_rad",
    "phase_slices",
    "mu_vacuum",
    "extinction_ratio_db",
)


def baseline_params(protocol: str, kw: dict[str, Any]) -> Any:
    """``BB84Params``/``MDIParams`` from the keyrate options (``--mu-z`` signal, ``--mu1`` weak
    decoy, ``--p-z``); the class defaults for what is not given."""
    from qkdchip.sims.keyrate.bb84 import BB84Params
    from qkdchip.sims.keyrate.mdi import MDIParams

    for name in ("mu2", "eps", "extinction_ratio_db"):
        if kw.get(name) is not None:
            raise ValueError(f"{name} applies to sns/sns-aopp only, not {protocol}")
    if kw.get("mu_vacuum"):
        raise ValueError(f"mu_vacuum={kw['mu_vacuum']:g} applies to sns/sns-aopp only")
    if kw.get("phase_slices") is not None:
        raise ValueError(f"phase_slices applies to pm/tf only, not {protocol}")
    if kw.get("pulses") is not None and not kw.get("optimize") and kw.get("p_z") is None:
        raise ValueError("p_z is required with --pulses unless --optimize is given")
    given = {"mu": kw.get("mu_z"), "nu": kw.get("mu1"), "p_z": kw.get("p_z")}
    cls = BB84Params if protocol == "bb84-decoy" else MDIParams
    return cls(**{k: v for k, v in given.items() if v is not None})


def mode_title(pulses: Any) -> str:
    """``"asymptotic"`` or ``"finite key, N = 1e+13"``."""
    import numpy as np

    if pulses is None:
        return "asymptotic"
    return f"finite key, N = {float(np.max(pulses)):.2g}"


def bps_axis(ax: Any, factor: float) -> None:
    """A secondary y axis in bit/s (``factor`` = clock rate x duty cycle, pulses per second)."""
    sec = ax.secondary_yaxis("right", functions=(lambda r: r * factor, lambda b: b / factor))
    sec.set_ylabel(f"secret key rate [bit/s] at {factor:.3g} pulses/s")


def crossover_km(d: Any, rate: Any, ref: Any) -> float | None:
    """Distance [km] beyond which ``rate`` stays above ``ref`` up to its own cut-off.

    None if ``rate`` is not above ``ref`` at its last positive point; the first grid distance if
    it is above everywhere; otherwise the zero of ``log(rate/ref)`` between the last grid point
    where it is not above and the next (linear interpolation).
    """
    import numpy as np

    d, rate, ref = (np.asarray(a, dtype=float) for a in (d, rate, ref))
    pos = np.flatnonzero(rate > 0)
    if pos.size == 0:
        return None
    j = pos[-1]
    win = rate > ref
    if not win[j]:
        return None
    lose = np.flatnonzero(~win[: j + 1])
    if lose.size == 0:
        return float(d[0])
    k = lose[-1] + 1
    a, b = k - 1, k
    if rate[a] > 0 and ref[a] > 0 and ref[b] > 0:
        ga, gb = np.log(rate[a] / ref[a]), np.log(rate[b] / ref[b])
        return float(d[a] + (d[b] - d[a]) * (0.0 - ga) / (gb - ga))
    return float(d[b])


def run_compare(
    ctx: Any,
    *,
    protocol: str | None,
    plot: Path | None,
    json_out: bool,
    compute: Any,
    kw: dict[str, Any],
) -> None:
    """Body of ``keyrate --compare`` (``compute`` is keyrate's ``_compute``)."""
    import click
    import numpy as np

    for p in ctx.command.params:
        if p.name in _NOT_WITH_COMPARE and ctx.get_parameter_source(p.name) in (
            click.core.ParameterSource.COMMANDLINE,
            click.core.ParameterSource.ENVIRONMENT,
        ):
            flag = max(p.opts, key=len)
            fail(
                f"{p.name} ({flag}): not used with --compare (it optimises every protocol: "
                f"{', '.join(TF_PROTOCOLS + BASELINES)})"
            )
    pulses = kw["pulses"]
    tf = TF_PROTOCOLS if pulses is None else TF_FINITE
    fixed = dict.fromkeys(
        ("mu_z", "mu1", "mu2", "eps", "p_z", "phase_slices", "extinction_ratio_db")
    )
    results = {}
    try:
        for name in (*tf, *BASELINES):
            results[name] = compute(
                protocol=name,
                optimize=True,
                phase_window_rad=0.0,
                mu_vacuum=0.0,
                **fixed,
                **kw,
            )
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
    first = results[tf[0]]
    d = np.asarray(first.distance_km, dtype=float).reshape(-1)
    order = np.argsort(d, kind="stable")
    d = d[order]

    def col(a: Any) -> Any:
        return np.asarray(a, dtype=float).reshape(-1)[order]

    rates = {k: col(r.rate_per_pulse) for k, r in results.items()}
    plob = col(first.plob)
    rep = col(first.single_repeater)
    best_base = np.maximum(rates["bb84-decoy"], rates["mdi"])
    cross = {
        p: {
            "baselines": crossover_km(d, rates[p], best_base),
            "bb84-decoy": crossover_km(d, rates[p], rates["bb84-decoy"]),
            "mdi": crossover_km(d, rates[p], rates["mdi"]),
            "plob": crossover_km(d, rates[p], plob),
        }
        for p in tf
    }
    factor = kw["clock_rate_hz"] * kw["duty_cycle"]

    def clean(a: Any) -> list[float | None]:
        return [float(v) if np.isfinite(v) else None for v in a]

    out = {
        "mode": mode_title(pulses),
        "pulses": pulses,
        "protocols": list(results),
        "distance_km": clean(d),
        "rate_per_pulse": {k: clean(v) for k, v in rates.items()},
        "rate_bps": {k: clean(v * factor) for k, v in rates.items()},
        "plob_per_pulse": clean(plob),
        "single_repeater_bound_per_pulse": clean(rep),
        "crossover_km": cross,
        "settings": {**kw, "optimized": True},
    }
    if plot is not None:
        from qkdchip.base.outputs import save_figure

        fig = compare_figure(d, rates, plob, rep, cross, tf, pulses, factor)
        save_figure(fig, plot, dpi=120)  # atomic, format by suffix
    if json_out:
        print_json(out)
        return
    typer.echo(
        f"qkdchip keyrate --compare ({mode_title(pulses)}, optimised); rates in bit per pulse"
    )
    head = ("L_km", *results, "PLOB", "single_rep")
    typer.echo(" ".join(f"{h:>11}" for h in head))
    for i, dist in enumerate(d):
        row = [f"{dist:g}"] + [f"{rates[k][i]:.3e}" for k in results]
        row += [f"{plob[i]:.3e}", f"{rep[i]:.3e}"]
        typer.echo(" ".join(f"{c:>11}" for c in row))
    typer.echo("twin field above (km, from there to its cut-off):")
    for p, c in cross.items():
        txt = ", ".join(f"{k} {'-' if v is None else f'{v:.1f}'}" for k, v in c.items())
        typer.echo(f"  {p}: {txt}")
    if plot is not None:
        typer.echo(f"plot written to {plot}")


def compare_figure(
    d: Any,
    rates: dict[str, Any],
    plob: Any,
    rep: Any,
    cross: dict[str, dict[str, float | None]],
    tf: tuple[str, ...],
    pulses: Any,
    factor: float,
) -> Any:
    """All protocols, PLOB and the single-repeater bound on one figure; the first TF protocol's
    crossover with the better baseline marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    def y(v: Any) -> Any:
        v = np.asarray(v, dtype=float)
        return np.where((v > 0) & np.isfinite(v), v, np.nan)

    labels = {
        "sns-aopp": "SNS-AOPP",
        "sns": "SNS",
        "pm": "PM-QKD",
        "tf": "TF-QKD (original)",
        "cal": "CAL",
        "bb84-decoy": "decoy BB84",
        "mdi": "decoy MDI-QKD",
    }
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    for k, v in rates.items():
        style = "--" if k in BASELINES else "-"
        lw = 2 if k in BASELINES else 1.6
        ax.semilogy(d, y(v), style, color=COLORS[k], lw=lw, label=labels[k])
    ax.semilogy(d, y(plob), "k--", lw=1, label="PLOB (repeaterless bound)")
    ax.semilogy(d, y(rep), color="0.5", ls="-.", lw=1, label="single-repeater bound")
    x = cross[tf[0]]["baselines"]
    if x is not None:
        ax.axvline(x, color="0.25", ls=":", lw=1.2)
        ax.annotate(
            f"{labels[tf[0]]} > baselines\nfrom {x:.0f} km",
            (x, 0.5),
            xycoords=("data", "axes fraction"),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
            color="0.25",
        )
    ax.set_xlabel("distance Alice-Bob [km]")
    ax.set_ylabel("secret key rate [bit/pulse]")
    ax.set_title(f"Twin field vs decoy BB84 and MDI-QKD ({mode_title(pulses)}, optimised)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    bps_axis(ax, factor)
    fig.tight_layout()
    return fig
