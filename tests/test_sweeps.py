"""Sweeps as a dataset (qkdchip.sweeps, `qkdchip sweep`), Dask scale-out, the JAX cache."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from qkdchip import design as design_mod
from qkdchip import sweeps
from qkdchip.cli import app

runner = CliRunner()


def _ok(**m) -> sweeps.PointResult:
    vals = {k: float(i) for i, k in enumerate(sweeps.METRICS)}
    vals.update(m)
    return sweeps.PointResult(vals, "ok", "")


FAILED = sweeps.PointResult(
    {k: math.nan for k in sweeps.METRICS}, "failed", "comb is cw: 1 line within 30 dB"
)


# --- sampling and tasks ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", sweeps.METHODS)
def test_sampled_points_are_reproducible_and_inside_the_box(method):
    bounds = [("server.ring.gap_um", 2.0, 3.0), ("link.misalignment", 0.0, 0.1)]
    a = sweeps.sample_points(bounds, 16, method, seed=3)
    assert a == sweeps.sample_points(bounds, 16, method, seed=3)
    assert a != sweeps.sample_points(bounds, 16, method, seed=4)
    x = np.array([[p[n] for n, _, _ in bounds] for p in a])
    assert (x[:, 0] >= 2.0).all() and (x[:, 0] <= 3.0).all()
    assert (x[:, 1] >= 0.0).all() and (x[:, 1] <= 0.1).all()


def test_latin_hypercube_has_one_point_per_stratum():
    k = 20
    pts = sweeps.sample_points([("a.x", 0.0, 1.0), ("b.y", 10.0, 20.0)], k, "lhs", seed=0)
    for name, lo, hi in (("a.x", 0.0, 1.0), ("b.y", 10.0, 20.0)):
        strata = np.floor((np.array([p[name] for p in pts]) - lo) / (hi - lo) * k)
        assert sorted(strata.astype(int)) == list(range(k))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="--method 'halton'"):
        sweeps.sample_points([("a.x", 0.0, 1.0)], 4, "halton")


def test_tasks_group_layout_points_and_do_not_depend_on_workers():
    d = [
        design_mod.validate({"server.ring.gap_um": g, "link.misalignment": m})
        for g in (2.4, 2.5)
        for m in (0.01, 0.02, 0.03)
    ]
    tasks = sweeps.plan_tasks(d, size=2)
    assert tasks == [[0, 1], [2], [3, 4], [5]]  # one comb per task, at most 2 points each
    assert sorted(i for t in tasks for i in t) == list(range(len(d)))
    # system-level points share one layout: one group, cut in fixed-size tasks
    e = [design_mod.validate({"link.misalignment": m / 100}) for m in range(1, 20)]
    assert [len(t) for t in sweeps.plan_tasks(e)] == [8, 8, 3]


def test_points_of_different_layouts_are_packed_into_full_tasks():
    """A sampled ring gap gives every point its own layout: tasks of TASK_POINTS points (one
    key-rate call each), not one task per point; a layout's points are never split."""
    d = [design_mod.validate({"server.ring.gap_um": 2.3 + g / 100}) for g in range(19)]
    assert sweeps.plan_tasks(d) == [list(range(0, 8)), list(range(8, 16)), [16, 17, 18]]
    mixed = [
        design_mod.validate({"server.ring.gap_um": g, "link.misalignment": m})
        for g, n in ((2.4, 3), (2.5, 6), (2.6, 1))
        for m in (0.01, 0.02, 0.03, 0.04, 0.05, 0.06)[:n]
    ]
    assert sweeps.plan_tasks(mixed) == [[0, 1, 2], [3, 4, 5, 6, 7, 8, 9]]


def test_local_workers_run_xla_on_one_thread_after_the_users_flags(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    assert sweeps.worker_xla_flags() == sweeps.WORKER_XLA_FLAGS
    assert "--xla_cpu_multi_thread_eigen=false" in sweeps.WORKER_XLA_FLAGS
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
    assert sweeps.worker_xla_flags() == "--xla_dump_to=/tmp/x " + sweeps.WORKER_XLA_FLAGS


def test_local_workers_keep_dasks_thread_limits_but_not_its_malloc_trim():
    env = sweeps.worker_pre_spawn_environ()
    assert "MALLOC_TRIM_THRESHOLD_" not in env
    assert str(env["OMP_NUM_THREADS"]) == str(env["OPENBLAS_NUM_THREADS"]) == "1"


def test_grid_points_last_parameter_fastest():
    pts = sweeps.grid_points([("a.x", [1.0, 2.0]), ("b.y", [5.0, 6.0, 7.0])])
    assert [(p["a.x"], p["b.y"]) for p in pts][:4] == [(1, 5), (1, 6), (1, 7), (2, 5)]


# --- dataset and CSV ------------------------------------------------------------------------------


def _grid_dataset():
    grid = [[2.2, 2.4, 2.6]]
    pts = sweeps.grid_points([("server.ring.gap_um", grid[0])])
    res = [FAILED, _ok(min_ratio=8.3), None]
    return (
        pts,
        res,
        sweeps.to_dataset(
            ["server.ring.gap_um"], pts, res, ["min_ratio", "beating_plob"], grid=grid
        ),
    )


def test_dataset_marks_failed_points_nan_with_their_reason():
    import xarray as xr

    _, _, ds = _grid_dataset()
    back = xr.open_dataset(io.BytesIO(sweeps.dataset_bytes(ds)), engine="scipy")
    assert list(back["min_ratio"].dims) == ["server.ring.gap_um"]
    np.testing.assert_allclose(back["server.ring.gap_um"], [2.2, 2.4, 2.6])
    assert math.isnan(back["min_ratio"].values[0]) and back["min_ratio"].values[1] == 8.3
    assert list(back["status"].values) == ["failed", "ok", "pending"]
    assert back["reason"].values[0] == "comb is cw: 1 line within 30 dB"
    # units from the metric table and the design registry
    assert back["server.ring.gap_um"].attrs["units"] == design_mod.param("server.ring.gap_um").unit
    assert back["beating_plob"].attrs["units"] == "1"
    assert "PLOB" in back["min_ratio"].attrs["long_name"]


def test_dataset_bytes_are_reproducible():
    a = sweeps.dataset_bytes(_grid_dataset()[2])
    b = sweeps.dataset_bytes(_grid_dataset()[2])
    assert a == b and a[:3] == b"CDF"  # netCDF3: no timestamp, no library version


def test_sampled_dataset_has_a_point_dimension():
    pts = sweeps.sample_points([("link.misalignment", 0.0, 0.1)], 3, "random", 1)
    ds = sweeps.to_dataset(["link.misalignment"], pts, [_ok()] * 3, ["min_ratio"])
    assert ds["min_ratio"].dims == ("point",)
    assert ds["link.misalignment"].dims == ("point",)


def test_csv_round_trip_is_exact_and_ignores_changed_points():
    pts, res, _ = _grid_dataset()
    names, metrics = ["server.ring.gap_um"], ["min_ratio", "beating_plob"]
    text = sweeps.to_csv(names, pts, res, metrics)
    assert "nan" in text.splitlines()[1] and "failed" in text  # never 0 for a failed point
    done = sweeps.read_csv(text, names, pts, metrics)
    assert set(done) == {0, 1}  # the pending point is not done
    assert done[1].metrics["min_ratio"] == 8.3 and done[0].status == "failed"
    moved = [dict(p, **{"server.ring.gap_um": p["server.ring.gap_um"] + 1e-9}) for p in pts]
    assert sweeps.read_csv(text, names, moved, metrics) == {}


def test_metric_units_in_the_help():
    res = runner.invoke(app, ["sweep", "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    assert "bit/s" in text and "bit/pulse" in text and "--sample" in text
    assert sweeps.metric_label("min_rate") == "min key rate (bit/pulse)"
    assert sweeps.metric_label("beating_plob") == "channels above PLOB"


# --- CLI input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["--sample", "link.misalignment=0.1"], "LOW:HIGH"),
        (["--sample", "link.misalignment=0.1:0.0", "--samples", "4"], "LOW < HIGH"),
        (["--sample", "link.misalignment=0:0.1", "--samples", "0"], "--samples=0"),
        (["--sample", "link.misalignment=0:0.1", "--samples", "4", "--method", "x"], "--method"),
        (["--sample", "network.protocol=0:1", "--samples", "4"], "not numeric"),
        (
            ["--sample", "link.misalignment=0:0.1", "--set", "link.upstream_a_km=1:2:2"],
            "one kind",
        ),
        (["--set", "link.misalignment=0:0.1:2", "--workers", "0"], "--workers=0"),
        (
            ["--set", "link.misalignment=0:0.1:2", "--workers", "2", "--scheduler", "tcp://x:1"],
            "not both",
        ),
        (["--set", "link.misalignment=0:0.1:2", "--metric", "speed"], "--metric 'speed'"),
    ],
)
def test_bad_sweep_input_is_one_line(args, what):
    res = runner.invoke(app, ["sweep", *args])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert what in res.stderr


def test_out_folder_with_foreign_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["sweep", "--set", "link.misalignment=0:0.1:2", "--out", tmp_path])
    assert res.exit_code == 2 and "holds other files" in res.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_out_folder_of_another_sweep_is_refused(tmp_path):
    spec = {"parameters": ["link.misalignment"], "metrics": ["min_ratio"]}
    (tmp_path / "sweep.json").write_text(json.dumps(spec))
    res = runner.invoke(app, ["sweep", "--set", "link.misalignment=0:0.1:2", "--out", tmp_path])
    assert res.exit_code == 2 and "holds another sweep" in res.stderr


# --- the JAX cache --------------------------------------------------------------------------------


def test_jax_cache_folder_is_per_user_and_overridable(monkeypatch, tmp_path):
    from qkdchip.sims import jaxcache

    monkeypatch.delenv(jaxcache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert jaxcache.cache_dir() == tmp_path / "qkdchip" / "jax"
    monkeypatch.setenv(jaxcache.ENV, str(tmp_path / "elsewhere"))
    assert jaxcache.cache_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv(jaxcache.ENV, "off")
    assert jaxcache.cache_dir() is None


def test_jax_cache_is_configured_on_import():
    import jax

    from qkdchip.sims import (
        jaxcache,
        models,  # noqa: F401  (configures JAX)
    )

    folder = jaxcache.cache_dir()
    if folder is None:
        pytest.skip("the cache is switched off in this environment")
    assert Path(jax.config.jax_compilation_cache_dir) == folder
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0.0


# --- the real chain (slow) ------------------------------------------------------------------------

SYSTEM_SWEEP = [
    "sweep",
    "--set",
    "link.misalignment=0.01:0.05:10",
    "--set",
    "network.pulses=0",
    "--metric",
    "min_ratio",
    "--metric",
    "key_channels",
    "--json",
]


@pytest.mark.slow
def test_serial_workers_and_scheduler_give_the_same_bytes(tmp_path):
    """The same sweep (10 points, 2 tasks) serially, on a LocalCluster of 2 worker processes
    (--workers 2) and on a running LocalCluster given by its address: identical sweep.nc."""
    from distributed import LocalCluster

    res = runner.invoke(app, [*SYSTEM_SWEEP, "--out", tmp_path / "serial"])
    assert res.exit_code == 0, res.output
    serial = (tmp_path / "serial" / "sweep.nc").read_bytes()
    out = json.loads(res.stdout)
    assert out["failed"] == 0 and [p["status"] for p in out["points"]] == ["ok"] * 10

    res = runner.invoke(app, [*SYSTEM_SWEEP, "--out", tmp_path / "workers", "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "workers" / "sweep.nc").read_bytes() == serial

    with LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None, env={"PYTHONHASHSEED": "0"}
    ) as cluster:
        args = [
            *SYSTEM_SWEEP,
            "--out",
            tmp_path / "sched",
            "--scheduler",
            cluster.scheduler_address,
        ]
        res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "sched" / "sweep.nc").read_bytes() == serial
    assert (tmp_path / "sched" / "sweep.csv").read_bytes() == (
        tmp_path / "serial" / "sweep.csv"
    ).read_bytes()

    # resume: drop the second task's rows (as after a crash) and run again: same bytes
    csv_file = tmp_path / "serial" / "sweep.csv"
    lines = csv_file.read_text().splitlines(keepends=True)
    csv_file.write_text("".join(lines[:9]))  # header + the first task's 8 points
    (tmp_path / "serial" / "sweep.nc").unlink()
    res = runner.invoke(app, [*SYSTEM_SWEEP, "--out", tmp_path / "serial"])
    assert res.exit_code == 0, res.output
    assert "8/10 points already done" in res.stderr
    assert (tmp_path / "serial" / "sweep.nc").read_bytes() == serial


@pytest.mark.slow
def test_failed_points_are_nan_with_a_reason_and_marked_in_the_plot(tmp_path):
    """Pump powers 5 mW (below the comb's threshold: CW) and 50 mW: the failed point is NaN with
    its reason, never 0; the old single --set sweep keeps its JSON keys. (Ring gap 2.2 um gave
    no comb before the heater put the pump on the simulated resonance; it now forms one.)"""
    png = tmp_path / "gap.png"
    res = runner.invoke(
        app,
        [
            "sweep",
            "--set",
            "comb.pump_power_w=0.005:0.05:2",
            "--set",
            "network.pulses=0",
            "--json",
            "--plot",
            str(png),
            "--out",
            tmp_path / "gap",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"metric", "parameters", "fixed", "points", "best", "elapsed_s"} <= set(out)
    bad, good = out["points"]
    assert bad["status"] == "failed" and bad["metric"] is None
    assert bad["reason"].startswith("comb is") and "within 30 dB" in bad["reason"]
    assert good["status"] == "ok" and good["metric"] > 1.0
    assert out["best"]["values"] == {"comb.pump_power_w": 0.05}
    assert png.stat().st_size > 10_000
    text = (tmp_path / "gap" / "sweep.csv").read_text()
    assert ",nan,failed,comb is" in text


@pytest.mark.slow
def test_infeasible_points_fail_with_the_constraint_and_are_not_evaluated(tmp_path):
    """Phase modulators too long for the client die: every point violates client.chain_fold;
    they fail with that reason (NaN, never 0) and the sweep still writes its dataset."""
    res = runner.invoke(
        app,
        ["sweep", "--set", "client.pm.length_um=1234.567:1300:2", "--json", "--out", tmp_path],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [p["status"] for p in out["points"]] == ["failed", "failed"]
    assert all(p["reason"].startswith("client.chain_fold: ") for p in out["points"])
    assert all(p["metric"] is None for p in out["points"]) and out["best"] is None
    assert "2 points infeasible" in res.stderr
    import xarray as xr

    ds = xr.open_dataset(tmp_path / "sweep.nc", engine="scipy")
    assert np.isnan(ds["min_ratio"].values).all()
    assert list(ds["status"].values) == ["failed", "failed"]


def _string_hash() -> int:
    return hash("qkdchip")


@pytest.mark.slow
def test_local_workers_hash_strings_as_a_serial_run():
    """Serial runs re-execute with PYTHONHASHSEED=STRING_HASH_SEED and the local Dask workers
    must get the same seed (Dask's nanny replaces 0 by 6640), or they trace other circuits and
    miss the JAX cache entries of serial runs."""
    import os
    import subprocess
    import sys

    from qkdchip.sims.jaxcache import STRING_HASH_SEED

    serial = subprocess.run(
        [sys.executable, "-c", "print(hash('qkdchip'))"],
        env={**os.environ, "PYTHONHASHSEED": STRING_HASH_SEED},
        capture_output=True,
        text=True,
        check=True,
    )
    with sweeps.cluster(workers=1) as client:
        worker = client.submit(_string_hash, pure=False).result()
    assert worker == int(serial.stdout)
