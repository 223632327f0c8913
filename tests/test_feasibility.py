"""Joint feasibility (issue 16): the chips' named constraints, ``qkdchip design --check``, the check
every command runs first, and the study of random designs drawn inside the listed ranges.

The study draws designs with every ``server.*`` (or ``client.*``) parameter uniform in the range
``qkdchip design`` lists (seeded) and checks that the feasibility check agrees with building: a
feasible design builds its chip and its mask DRC-clean, an infeasible one is refused by the chip
cell with exactly the named constraints the check reports (never any other error). The fast
version draws 30 designs per chip (plus 3 near the default, so that the feasible branch runs
for both chips), the slow one 200 and prints the feasible fraction and the histogram of the
violated constraints.
"""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from qkdchip import design as design_mod
from qkdchip import feasibility
from qkdchip.base.design import Design
from qkdchip.base.params import ranges_of
from qkdchip.circuits.constraints import InfeasibleDesign
from qkdchip.cli import app

runner = CliRunner()
SEED = 16
CHIP_MODULES = {
    prefix: __import__(module, fromlist=[attr])
    for prefix, (_, module, attr) in feasibility.CHIPS.items()
}


def cli(*args: str):
    return runner.invoke(app, list(args))


def one_line_error(res) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    return lines[0]


# --- the constraints ---------------------------------------------------------------------------


def test_constraints_are_named_beside_their_chip_with_registry_parameters():
    rows = feasibility.constraints()
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    registry = {p.name for p in design_mod.parameters()}
    for prefix, mod in CHIP_MODULES.items():
        mine = [r for r in rows if r["name"].startswith(prefix + ".")]
        assert [r["name"] for r in mine] == [c.name for c in mod.CONSTRAINTS]
        for r in mine:
            assert r["params"] and set(r["params"]) <= registry, r
            assert r["doc"]
    assert {
        "server.width_budget",
        "server.height_budget",
        "server.label_size",
        "server.die_id_box",
        "server.pad_spacing",
        "client.chain_fold",
        "client.uturn_radius",
        "client.south_pads",
        "client.north_pads",
    } <= set(names)


def test_default_design_is_feasible():
    assert feasibility.violations(Design()) == []
    feasibility.check(Design())
    res = cli("design", "--check")
    assert res.exit_code == 0 and res.stdout.startswith("feasible"), res.output


@pytest.mark.parametrize(
    ("sets", "names", "params"),
    [
        (["client.pm.length_um=1234.567"], ["client.chain_fold"], ["client.pm.length_um"]),
        (
            ["server.die.bus_y_um=5000"],
            ["server.height_budget"],
            ["server.die.height_um", "server.die.bus_y_um"],
        ),
        (["server.die.label=" + "A" * 300], ["server.label_size"], ["server.die.label"]),
        (
            ["client.wg.radius_um=600"],
            ["client.uturn_radius", "client.chain_fold"],  # its S-bends lengthen the IMs too
            ["client.wg.radius_um"],
        ),
        (
            ["server.heater.opening_um=1500"],
            ["server.heater_opening"],
            ["server.heater.opening_um", "server.ring.radius_um"],
        ),
        (
            ["server.heater.opening_um=100", "server.pad.size_um=150"],
            ["server.pad_spacing"],
            ["server.heater.opening_um", "server.pad.size_um"],
        ),
        (["server.die.width_um=2000"], ["server.width_budget"], ["server.die.width_um"]),
        (
            ["server.die.bus_y_um=100", "server.facet.trench_width_um=400"],
            ["server.trench_in_die", "server.label_size", "server.die_id_box"],
            ["server.die.bus_y_um", "server.facet.trench_width_um"],
        ),
        (
            [  # short IMs: row 1 takes the laser and all three (14 pads at ~400 um)
                "client.die.pad_pitch_um=394",
                "client.im.length_um=170",
                "client.pm.length_um=1150",
                "client.pmref.length_um=500",
                "client.voa.length_um=520",
            ],
            ["client.south_pads"],
            ["client.die.pad_pitch_um"],
        ),
    ],
)
def test_violations_name_the_constraint_parameters_and_bound(sets, names, params):
    design = design_mod.load(None, sets)
    found = feasibility.violations(design)
    assert [v.name for v in found] == names
    text = " ".join(v.message for v in found)
    for p in params:
        assert p in text, (p, text)
    for v in found:
        assert "allowed" in v.message or "must be" in v.message, v.message
        assert v.params and all("." in p for p in v.params)
        # the design's dotted names, not the chip's argument names
        assert "die_width_um=" not in v.message and "pm_length_um=" not in v.message
    with pytest.raises(ValueError, match=names[0]):
        feasibility.check(design)


def test_the_cell_raises_the_same_named_constraints():
    from qkdchip.circuits.server_chip import server_chip, server_footprint
    from qkdchip.pdk import use_pdk

    kw = {"die_bus_y_um": 5000.0, "die_label": "A" * 300, "heater_opening_um": 1500.0}
    with use_pdk("sin"), pytest.raises(InfeasibleDesign) as exc:
        server_chip(**kw)
    names = [v.constraint for v in exc.value.violations]
    assert names == ["server.heater_opening", "server.label_size"]  # height needs the heater
    with use_pdk("sin"):
        fp = server_footprint(**kw)
    assert [v.constraint for v in fp.violations] == names
    # every constraint that can be decided is: height and label together
    with use_pdk("sin"), pytest.raises(InfeasibleDesign) as exc:
        server_chip(die_bus_y_um=5000.0, die_label="A" * 300, die_width_um=1500.0)
    names = [v.constraint for v in exc.value.violations]
    assert names == ["server.width_budget", "server.height_budget", "server.label_size"]


# --- the CLI -------------------------------------------------------------------------------------


def test_design_check_reports_every_violated_constraint(tmp_path):
    sets = [
        "--set",
        "server.die.bus_y_um=5000",
        "--set",
        "server.die.label=" + "A" * 300,
        "--set",
        "client.pm.length_um=1234.567",
    ]
    res = cli("design", "--check", *sets)
    assert res.exit_code == 2, res.output
    for name in ("server.height_budget", "server.label_size", "client.chain_fold"):
        assert name in res.stdout
    assert "server.height_budget" in one_line_error(res)
    res = cli("design", "--check", "--json", *sets)
    assert res.exit_code == 2
    out = json.loads(res.stdout)
    assert out["feasible"] is False
    assert [v["name"] for v in out["violations"]] == [
        "server.height_budget",
        "server.label_size",
        "client.chain_fold",
    ]
    yml = tmp_path / "d.yml"
    yml.write_text("server:\n  die:\n    width_um: 1500\n")
    res = cli("design", "--check", "--design", str(yml), "--json")
    assert res.exit_code == 2 and "server.width_budget" in res.stdout
    res = cli("design", "--check", "--set", "server.ring.gap_um=0.1")  # a range error: one line
    assert res.exit_code == 2 and "server.ring.gap_um" in one_line_error(res)
    res = cli("design", "--constraints", "--json")
    assert res.exit_code == 0
    assert {r["name"] for r in json.loads(res.stdout)} == {
        r["name"] for r in feasibility.constraints()
    }


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--no-previews"],
        ["simulate", "server", "--points", "11"],
        ["simulate", "client", "--points", "11"],
        ["comb"],
        ["network"],
        ["run"],
        ["sweep", "--set", "link.detector_eta=0.5:0.6:2", "--metric", "min_rate"],
    ],
    ids=lambda a: a[0] + ("_" + a[1] if a[0] == "simulate" else ""),
)
@pytest.mark.parametrize(
    ("override", "name"),
    [
        ("client.pm.length_um=1234.567", "client.chain_fold"),
        ("server.die.bus_y_um=5000", "server.height_budget"),
    ],
)
def test_commands_refuse_an_infeasible_design_before_any_work(tmp_path, args, override, name):
    out = tmp_path / "out"
    if args[0] in ("build", "run"):
        args = [*args, "--out", str(out)]
    if args[0] == "sweep":
        params = {p.name for p in design_mod.parameters(["link"])}
        if "link.detector_eta" not in params:  # pragma: no cover
            pytest.skip("no link.detector_eta to sweep")
    res = cli(*args, "--set", override)
    assert res.exit_code == 2, res.output
    assert one_line_error(res).startswith(f"error: {name}: ")
    assert not out.exists() or not any(out.iterdir())


# --- one range per parameter ---------------------------------------------------------------------


def test_pump_facet_width_has_one_range_that_the_model_accepts():
    """``server.pump.facet_width_um`` is listed with the pump facet cell's range (the drawn core
    widths, wider than the mode table), and the pump facet's S-matrix model, which ``qkdchip
    simulate``, ``comb`` and ``network`` use, accepts both of its ends (outside the mode table
    the facet mode takes the nearest tabulated width)."""
    from qkdchip.components.sin import sin_pump_facet
    from qkdchip.sims.models.sin import sin_pump_facet as model

    param = design_mod.param("server.pump.facet_width_um")
    rng = ranges_of(sin_pump_facet)["facet_width_um"]
    assert (param.min, param.max) == (rng.min, rng.max)
    for end in (param.min, param.max):
        s21 = model(wl=1.55, facet_width_um=end)[("o1", "o2")]
        assert 0.0 < abs(complex(np.asarray(s21))) < 1.0


@pytest.mark.slow
def test_pump_facet_width_range_ends_simulate():
    from qkdchip.commands.simulate import simulate_chip

    param = design_mod.param("server.pump.facet_width_um")
    wl = np.linspace(1549.0, 1551.0, 5) * 1e-3
    for end in (param.min, param.max):
        S, _, figures, _ = simulate_chip("server", wl, [f"{param.name}={end}"], None)
        assert np.all(np.isfinite(S)) and figures["insertion_loss_db"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["server", "client"])
def test_every_feasible_range_end_is_accepted_by_simulate(prefix):
    """Each chip parameter at either end of its listed range (the others at their defaults):
    if the check calls it feasible, ``qkdchip simulate`` accepts it (and, for the server, the
    ring of the comb and the network); if not, the check names a constraint."""
    from qkdchip.commands.simulate import simulate_chip
    from qkdchip.sims import devices

    wl = np.linspace(1549.0, 1551.0, 5) * 1e-3
    for p in numeric_params(prefix):
        for end in (p.min, p.max):
            design = design_mod.validate({p.name: end})
            if feasibility.violations(design):
                continue
            S, _, _, _ = simulate_chip(prefix, wl, [f"{p.name}={end}"], None)
            assert np.all(np.isfinite(S)), (p.name, end)
            if prefix == "server":
                devices.ring_params(design)


# --- the study -----------------------------------------------------------------------------------


def numeric_params(prefix: str) -> list[design_mod.Param]:
    return [
        p
        for p in design_mod.parameters([prefix])
        if p.min is not None and p.max is not None and not isinstance(p.value, bool | str)
    ]


def draw(prefix: str, n: int, seed: int, near_default: float | None = None) -> list[Design]:
    """``n`` designs, every numeric ``prefix.*`` parameter uniform in its listed range (or, with
    ``near_default``, within that fraction of its default, clipped to the range)."""
    rng = np.random.default_rng(seed)
    params = numeric_params(prefix)
    out = []
    for _ in range(n):
        overrides = {}
        for p in params:
            lo, hi = p.min, p.max
            if near_default is not None:
                span = near_default * max(abs(p.value), 1e-9)
                lo, hi = max(lo, p.value - span), min(hi, p.value + span)
            if isinstance(p.value, int):
                overrides[p.name] = int(rng.integers(lo, hi, endpoint=True))
            else:
                overrides[p.name] = float(rng.uniform(lo, hi))
        out.append(design_mod.validate(overrides))
    return out


@dataclass
class Study:
    prefix: str
    n: int = 0
    feasible: int = 0
    violated: collections.Counter = field(default_factory=collections.Counter)
    n_violated: collections.Counter = field(default_factory=collections.Counter)

    @property
    def fraction(self) -> float:
        return self.feasible / self.n

    def summary(self) -> str:
        hist = ", ".join(f"{k} {v}" for k, v in self.violated.most_common())
        per = ", ".join(f"{k}: {v}" for k, v in sorted(self.n_violated.items()))
        return (
            f"{self.prefix}: {self.feasible}/{self.n} feasible ({self.fraction:.1%}); designs "
            f"violating each constraint: {hist or '-'}; designs by number of violations: {per}"
        )


def run_study(designs: list[Design], prefix: str, tmp: Path) -> Study:
    """Check each design, then build its chip and mask: feasible -> both build DRC-clean;
    infeasible -> the chip cell refuses it with the very constraints the check named."""
    from qkdchip.build import write_gds
    from qkdchip.pdk import use_pdk
    from qkdchip.pdk.drc import check_gds

    process, _, attr = feasibility.CHIPS[prefix]
    mod = CHIP_MODULES[prefix]
    chip = getattr(mod, attr)
    known = {c.name for c in mod.CONSTRAINTS}
    masks = __import__("qkdchip.circuits.masks", fromlist=["x"])
    mask = {"server": masks.mask_server, "client": masks.mask_clients}[prefix]
    st = Study(prefix)
    for i, design in enumerate(designs):
        found = feasibility.violations(design, [prefix])
        kw = design.kwargs(prefix)
        st.n += 1
        with use_pdk(process):
            try:
                component = chip(**kw)
            except InfeasibleDesign as exc:
                built = [v.constraint for v in exc.violations]
                assert [v.name for v in found] == built, (i, kw)
                assert set(built) <= known
                st.violated.update(built)
                st.n_violated[len(built)] += 1
                continue
            assert found == [], (i, kw, found)
            st.feasible += 1
            st.n_violated[0] += 1
            files = [write_gds(component, tmp / f"{prefix}_{i}.gds")]
            files.append(write_gds(mask(**kw), tmp / f"{prefix}_{i}_mask.gds"))
        for gds in files:
            report = check_gds(gds, process)
            assert report.total == 0, (i, kw, gds.name, report.to_dict()["violations"][:3])
    return st


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["server", "client"])
def test_study_fast(prefix, tmp_path):
    uniform = run_study(draw(prefix, 30, SEED), prefix, tmp_path)
    near = run_study(draw(prefix, 3, SEED + 1, near_default=0.15), prefix, tmp_path)
    print(uniform.summary())
    assert uniform.n == 30 and near.feasible > 0  # the feasible branch runs for both chips


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["server", "client"])
def test_study_200(prefix, tmp_path):
    st = run_study(draw(prefix, 200, SEED), prefix, tmp_path)
    print(st.summary())
    assert st.n == 200
    assert sum(st.n_violated.values()) == 200
