"""Design optimisation (qkdchip.optimize, `qkdchip optimize`), the reach metric, the gradients."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from qkdchip import design as design_mod
from qkdchip import optimize as opt
from qkdchip.cli import app
from qkdchip.commands.optimize import best_yaml

runner = CliRunner()

#: a one-channel network (2 clients): the cheapest real chain
SMALL = ["--set", "network.clients=2", "--set", "network.channels=1"]


THREE_OBJECTIVES = [
    "--objective",
    "min_ratio",
    "--objective",
    "reach_km",
    "--objective",
    "total_bps",
]


# --- input (fast) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "what"),
    [
        ([], "--vary: missing"),
        (["--vary", "link.detector_eta=0.4:0.8", "--objective", "speed"], "--objective 'speed'"),
        (["--vary", "link.detector_eta=0.8:0.4"], "LOW < HIGH"),
        (["--vary", "server.ring.gap_um=0.2:2"], "server.ring.gap_um"),
        (["--vary", "network.protocol=0:1"], "not numeric"),
        (["--vary", "link.detector_eta=0.4:0.8", "--constraint", "min_ratio>1"], ">=VALUE"),
        (["--vary", "link.detector_eta=0.4:0.8", "--quantile", "1.5"], "--quantile=1.5"),
        (["--vary", "link.detector_eta=0.4:0.8", "--trials", "0"], "--trials=0"),
        (
            ["--vary", "link.detector_eta=0.4:0.8", *THREE_OBJECTIVES],
            "3 given",
        ),
    ],
)
def test_bad_optimize_input_is_one_line(args, what):
    res = runner.invoke(app, ["optimize", *args])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert what in res.stderr


def test_pareto_front_and_constraints_of_a_study():
    """best_trials: the best feasible trial of one objective, the non-dominated feasible trials
    of two (a real in-memory Optuna study)."""
    import optuna
    from optuna.distributions import FloatDistribution

    vals = [(1.0, 5.0), (2.0, 4.0), (1.5, 3.0), (3.0, 1.0), (0.5, 6.0), (2.0, 4.5)]
    study = optuna.create_study(directions=["maximize", "maximize"])
    outcomes = {}
    for i, v in enumerate(vals):
        study.add_trial(
            optuna.trial.create_trial(
                params={"a.x": float(i)},
                distributions={"a.x": FloatDistribution(0.0, 10.0)},
                values=list(v),
            )
        )
        outcomes[i] = opt.TrialOutcome({"min_ratio": v[0], "total_bps": v[1]}, "ok")
    spec = opt.Spec(bounds=(("a.x", 0.0, 10.0, False),), objectives=("min_ratio", "total_bps"))
    front = [t.number for t in opt.best_trials(study, spec, outcomes)]
    assert front == [0, 3, 4, 5]  # (2, 4) is dominated by (2, 4.5); (1.5, 3) by (2, 4)
    one = opt.Spec(bounds=spec.bounds, objectives=("min_ratio",))
    assert [t.number for t in opt.best_trials(study, one, outcomes)] == [3]
    fenced = opt.Spec(
        bounds=spec.bounds, objectives=("min_ratio",), constraints=(("total_bps", 2.0),)
    )
    assert [t.number for t in opt.best_trials(study, fenced, outcomes)] == [1]  # tie: earliest


def test_best_yaml_is_a_design_file(tmp_path):
    d = design_mod.load(None, ["server.ring.gap_um=2.4712345678901234", "link.detector_eta=0.7"])
    path = tmp_path / "best.yml"
    path.write_text(best_yaml(d))
    assert design_mod.load(path).overrides == d.overrides


# --- the real chain (slow) ----------------------------------------------------------------------


def _run(args):
    res = runner.invoke(app, ["optimize", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.slow
def test_serial_run_is_reproducible_resumable_and_best_yml_reproduces(tmp_path):
    args = [*SMALL, "--vary", "link.detector_eta=0.3:0.9", "--vary", "link.misalignment=0:0.08",
            "--objective", "min_ratio", "--trials", "4", "--seed", "7"]  # fmt: skip
    a = _run([*args, "--out", str(tmp_path / "a")])
    b = _run([*args, "--out", str(tmp_path / "b")])
    assert a["trials"] == b["trials"] and a["best_parameters"] == b["best_parameters"]
    assert (tmp_path / "a" / "trials.nc").read_bytes() == (
        tmp_path / "b" / "trials.nc"
    ).read_bytes()
    assert set(a) >= {"best_value", "best_parameters", "default_value", "trials", "failed_trials"}
    assert a["trials"][0]["parameters"] == a["default_parameters"]  # the default is trial 0
    assert a["default_value"] == a["trials"][0]["values"]["min_ratio"]
    assert a["best_value"] >= a["default_value"]
    assert a["best_value"] == max(
        t["values"]["min_ratio"] for t in a["trials"] if t["values"]["min_ratio"] is not None
    )
    # the dataset and the CSV
    import xarray as xr

    ds = xr.open_dataset(tmp_path / "a" / "trials.nc", engine="scipy")
    assert list(ds["status"].values) == ["ok"] * 4
    assert np.array_equal(ds["min_ratio"].values, [t["values"]["min_ratio"] for t in a["trials"]])
    assert (tmp_path / "a" / "trials.csv").read_text().count("\n") == 5
    assert (tmp_path / "a" / "convergence.png").stat().st_size > 1000
    # best.yml through `network --design`
    res = runner.invoke(app, ["network", "--design", str(tmp_path / "a" / "best.yml"), "--json"])
    got = json.loads(res.stdout)["summary"]["ratio_to_plob_min"]
    assert got == pytest.approx(a["best_value"], rel=1e-6)
    # resume: two more trials, the first four unchanged
    c = _run([*args[:-4], "--trials", "6", "--seed", "7", "--out", str(tmp_path / "a")])
    assert len(c["trials"]) == 6 and c["trials"][:4] == a["trials"]


@pytest.mark.slow
def test_reach_objective_is_reproduced_by_network_reach(tmp_path):
    """reach_km of the best design == `network --design best.yml --reach`; and at the reach the
    ratio crosses 1 (above 0.5 km before, below 0.5 km after)."""
    from qkdchip.sims.network.model import simulate_network
    from qkdchip.sims.network.reach import min_ratio_at

    r = _run([*SMALL, "--vary", "link.detector_eta=0.5:0.8", "--objective", "reach_km",
              "--trials", "2", "--seed", "1", "--out", str(tmp_path)])  # fmt: skip
    res = runner.invoke(
        app, ["network", "--design", str(tmp_path / "best.yml"), "--reach", "--json"]
    )
    assert res.exit_code == 0, res.output
    reach = json.loads(res.stdout)["reach_km"]
    assert reach == pytest.approx(r["best_value"], rel=1e-6)
    result = simulate_network(design_mod.load(tmp_path / "best.yml"))
    below, above = min_ratio_at(result, [reach - 0.5, reach + 0.5])
    assert below > 1.0 > above


@pytest.mark.slow
def test_two_objectives_give_a_pareto_front(tmp_path):
    r = _run([*SMALL, "--vary", "link.detector_eta=0.3:0.9", "--vary", "link.misalignment=0:0.08",
              "--objective", "min_ratio", "--objective", "max_qber_x", "--trials", "4",
              "--out", str(tmp_path)])  # fmt: skip
    front = r["pareto_front"]
    assert front and (tmp_path / "pareto.png").stat().st_size > 1000
    pts = [(t["values"]["min_ratio"], t["values"]["max_qber_x"]) for t in r["trials"]]
    for f in front:
        v = (f["values"]["min_ratio"], f["values"]["max_qber_x"])
        assert not any(p[0] >= v[0] and p[1] >= v[1] and p != v for p in pts)


@pytest.mark.slow
def test_robust_trial_is_the_quantile_of_its_wafer_draws():
    from qkdchip.sims.network.model import simulate_network
    from qkdchip.sims.network.montecarlo import wafer_design

    spec = opt.Spec(
        bounds=(("link.detector_eta", 0.3, 0.9, False),),
        objectives=("min_ratio",),
        robust=3,
        quantile=0.25,
        fixed=("network.clients=2", "network.channels=1"),
    )
    point = {"link.detector_eta": 0.65}
    got = opt.evaluate_trial(point, spec)
    d = opt.make_design(spec, point)
    vals = [simulate_network(wafer_design(d, k)).metrics()["min_ratio"] for k in range(3)]
    assert len(set(vals)) > 1  # the draws differ
    assert got.metrics["min_ratio"] == pytest.approx(np.quantile(vals, 0.25), rel=1e-12)


@pytest.mark.slow
def test_dask_batch_gives_the_serial_trials(tmp_path):
    args = [*SMALL, "--vary", "link.detector_eta=0.3:0.9", "--objective", "min_ratio",
            "--trials", "2", "--batch", "2", "--seed", "2"]  # fmt: skip
    a = _run(args)
    b = _run([*args, "--workers", "2", "--out", str(tmp_path)])
    assert a["trials"] == b["trials"]
    res = runner.invoke(app, ["network", "--design", str(tmp_path / "best.yml"), "--json"])
    assert json.loads(res.stdout)["summary"]["ratio_to_plob_min"] == b["best_value"]


@pytest.mark.slow
def test_gradients_autodiff_match_finite_differences():
    """jax.grad of the client output power and the server insertion loss / |k|^2 vs central
    finite differences of the same S-matrix functions."""
    import jax.numpy as jnp

    from qkdchip.base.design import Design
    from qkdchip.sims.gradients import chain_gradients, client_output_power, server_figures_fn

    g = chain_gradients(Design())
    f, x0 = client_output_power(Design())
    loss, kappa2, s0 = server_figures_fn(Design())

    def fd(fun, x, key, h):
        """Central differences; second-order forward differences at a lower bound of 0."""

        def at(dx):
            return float(fun({k: jnp.float64(v + (dx if k == key else 0.0)) for k, v in x.items()}))

        if x[key] - h < 0:
            return (-3 * at(0.0) + 4 * at(h) - at(2 * h)) / (2 * h)
        return (at(h) - at(-h)) / (2 * h)

    for key, d in g["client.output_power_dbm"]["derivative"].items():
        assert d == pytest.approx(fd(f, x0, key, 1.0), rel=1e-6, abs=1e-9)
        assert d < 0  # a longer electrode / absorber loses light
    p = {k: s0[k] for k in ("pump_air_gap_um", "loss_db_per_m")}
    for key, d in g["server.insertion_loss_db"]["derivative"].items():
        assert d == pytest.approx(fd(loss, p, key, 1e-3), rel=1e-4)
    q = {k: s0[k] for k in ("ring_gap_um", "ring_coupling_length_um")}
    for key, d in g["server.ring_kappa2"]["derivative"].items():
        assert d == pytest.approx(fd(kappa2, q, key, 1e-4), rel=1e-4)
    # |k|^2 falls with the gap about exponentially (evanescent coupling): d ln k2 / d gap < 0
    assert g["server.ring_kappa2"]["derivative"]["ring_gap_um"] < 0
    assert math.isfinite(g["server.insertion_loss_db"]["value"])
