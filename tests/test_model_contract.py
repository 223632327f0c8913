"""The contract of every sax model of both PDKs, parametrised over ``PDK.models``.

Each model

* takes its defaults from the cell it models: every keyword default whose name is a parameter of
  the cell equals the cell's default (read from the cell function's signature, not typed here);
* runs at its defaults and returns exactly the optical ports of the default cell;
* runs under ``jax.jit`` with a wavelength array, giving what the eager call gives;
* is passive (every singular value of S <= 1 + 1e-9, at every wavelength) and reciprocal
  (S = S^T) at its defaults and at random parameters inside the cell's declared ranges
  (:func:`qkdchip.base.params.ranges_of`; seeded, a few draws per model, each one a design the
  cell itself accepts).
"""

from __future__ import annotations

import inspect
import zlib

import jax
import numpy as np
import pytest

from qkdchip.base.params import defaults_of, ranges_of
from qkdchip.pdk import use_pdk
from qkdchip.pdk.inp import get_pdk as inp_pdk
from qkdchip.pdk.sin import get_pdk as sin_pdk
from qkdchip.sims.models.analysis import reciprocity_error, to_dense
from qkdchip.sims.models.cells import optical_ports

PDKS = {"sin": sin_pdk, "inp": inp_pdk}
#: inside the wavelength range of every model of both processes (um)
WL = np.linspace(1.50, 1.60, 41)
#: random designs per model
DRAWS = 4

MODELS = [(process, name) for process, get in PDKS.items() for name in get().models]
IDS = [name for _, name in MODELS]


def model_and_cell(process: str, name: str):
    pdk = PDKS[process]()
    return pdk.models[name], pdk.cells[name]


def shared(model, cell) -> dict[str, tuple[object, object]]:
    """Keyword -> (model default, cell default) for every model keyword the cell also takes."""
    cell_defaults = defaults_of(cell)
    return {
        k: (p.default, cell_defaults[k])
        for k, p in inspect.signature(model).parameters.items()
        if k in cell_defaults
    }


def max_singular_value(S: np.ndarray) -> float:
    return float(np.linalg.svd(S, compute_uv=False).max())


def check_passive_reciprocal(sdict, label: str) -> None:
    S, _ = to_dense(sdict)
    assert S.shape[0] == WL.size, label
    assert np.all(np.isfinite(S)), f"{label}: NaN/inf"
    assert max_singular_value(S) <= 1 + 1e-9, f"{label}: not passive"
    assert reciprocity_error(S) <= 1e-12, f"{label}: not reciprocal"


def test_every_pdk_model_is_covered():
    assert {n for _, n in MODELS} == set(sin_pdk().models) | set(inp_pdk().models)
    assert len(MODELS) == len(sin_pdk().models) + len(inp_pdk().models)
    for process, name in MODELS:  # every model has its cell in the same PDK
        assert name in PDKS[process]().cells, name


@pytest.mark.parametrize(("process", "name"), MODELS, ids=IDS)
def test_defaults_are_the_cells(process, name):
    model, cell = model_and_cell(process, name)
    pairs = shared(model, cell)
    wrong = {k: v for k, v in pairs.items() if v[0] != v[1]}
    assert not wrong, f"{name}: model default != cell default (model, cell): {wrong}"


@pytest.mark.parametrize(("process", "name"), MODELS, ids=IDS)
def test_runs_at_defaults_and_under_jit(process, name):
    model, cell = model_and_cell(process, name)
    sd = model()
    S, ports = to_dense(sd)
    assert np.all(np.isfinite(S))
    with use_pdk(process):
        assert ports == optical_ports(cell())
    eager = model(wl=WL)
    jitted = jax.jit(lambda wl: model(wl=wl))(WL)
    assert set(jitted) == set(eager)
    for key, value in eager.items():
        assert np.shape(jitted[key]) == (WL.size,)
        np.testing.assert_allclose(np.asarray(jitted[key]), np.asarray(value), rtol=0, atol=1e-9)
    check_passive_reciprocal(eager, f"{name} at its defaults")


def draws(process: str, name: str) -> list[dict[str, float]]:
    """Up to DRAWS random in-range designs of the model's shared parameters (seeded per name);
    a draw the cell rejects (an interplay of ranges, e.g. a bend below its cross-section's
    radius_min) is drawn again."""
    model, cell = model_and_cell(process, name)
    ranges = {k: r for k, r in ranges_of(cell).items() if k in shared(model, cell)}
    if not ranges:
        return []
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    out: list[dict[str, float]] = []
    for _ in range(20 * DRAWS):
        kw = {}
        for k, r in ranges.items():
            x = float(rng.uniform(r.min, r.max))
            kw[k] = float(round(x)) if r.integer else x
        try:
            with use_pdk(process):
                cell(**kw)
        except ValueError:
            continue
        out.append(kw)
        if len(out) == DRAWS:
            break
    assert out, f"{name}: no random design in range"
    return out


@pytest.mark.parametrize(("process", "name"), MODELS, ids=IDS)
def test_passive_and_reciprocal_at_random_in_range_parameters(process, name):
    model, _ = model_and_cell(process, name)
    for kw in draws(process, name):
        check_passive_reciprocal(model(wl=WL, **kw), f"{name}({kw})")
