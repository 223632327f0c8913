"""Regenerate the Si3N4 mode tables in ``pdk/sin/data`` with the femwell finite-element solver.

This is a maintenance script, never imported at run time: the package reads the stored tables
through :mod:`qkdchip.pdk.sin.modes` (numpy/scipy only). femwell is the optional extra
``modesolver``; install it in its own environment and run, from the repository root::

    python3 -m venv /work/femwell-venv && /work/femwell-venv/bin/pip install femwell
    /work/femwell-venv/bin/python pdk/sin/modesolver.py convergence
    /work/femwell-venv/bin/python pdk/sin/modesolver.py dispersion
    /work/femwell-venv/bin/python pdk/sin/modesolver.py coupler
    /work/femwell-venv/bin/python pdk/sin/modesolver.py kerr

Method
------
Full-vectorial finite elements (femwell: Nedelec order-2 transverse x Lagrange order-2
longitudinal field, scipy shift-invert eigen solver) on a gmsh triangulation of the waveguide
cross-section. The Si3N4 core (thickness :data:`CORE_THICKNESS_UM`, width w) sits in homogeneous
SiO2 (:mod:`process`: Luke 2015 / Malitson 1965 Sellmeier, i.e. material dispersion included).
The structure is mirror-symmetric in x and y, so only the quarter x >= 0, y >= 0 is meshed:

* y = 0 (horizontal mid-plane): natural boundary (n x H = 0, magnetic wall): Ex, Ez even in y.
* x = 0, single core (core centred on x = 0): electric wall (n x E = 0): Ex even in x, the TE0
  class. Two parallel cores (mirror plane half-way across the gap): electric wall -> even
  (symmetric) TE supermode n_even, magnetic wall -> odd (antisymmetric) supermode n_odd.
* outer box edges (x = X, y = Y): magnetic wall, X and Y several evanescent decay lengths out
  (convergence checked with the ``convergence`` command; figures in the table headers).

The mesh of one geometry is reused for every wavelength, so the wavelength derivatives of n_eff
(n_g, beta2) see the same discretisation. Derived quantities (computed by the loader):

    n_g   = n_eff - wl dn_eff/dwl
    beta2 = wl^3 / (2 pi c^2) d^2 n_eff / dwl^2
    kappa = pi (n_even - n_odd) / wl           (field coupling per unit length, two identical cores)
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np


def _script_core_width_um() -> float:
    """``layers.CORE_WIDTH_UM`` where qkdchip is not installed (the femwell environment): the
    plain-data modules ``pdk/_process.py`` and ``pdk/sin/layers.py`` are loaded from their files."""
    import importlib.util

    here = Path(__file__).resolve().parent
    module = None
    for name, path in (
        ("qkdchip.pdk._process", here.parent / "_process.py"),
        ("_qkdchip_sin_layers", here / "layers.py"),
    ):
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return float(module.CORE_WIDTH_UM)  # type: ignore[union-attr]


try:  # inside the package (main environment)
    from qkdchip.pdk.sin import process
    from qkdchip.pdk.sin.layers import CORE_WIDTH_UM
except ImportError:  # run as a script from the femwell environment (no qkdchip installed there)
    import process  # type: ignore[no-redef]

    CORE_WIDTH_UM = _script_core_width_um()

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Production mesh and box (um); see ``convergence`` for the check that justifies them.
MESH = {
    "res_core_um": 0.02,  # element size inside the core (core is 0.05 um thick in the quarter)
    "res_max_um": 0.3,  # largest element size (far cladding)
    "refine_dist_um": 3.0,  # element size grows linearly from res_core to res_max over this
    "box_margin_x_um": 8.0,  # cladding beyond the outer core edge
    "box_y_um": 6.0,  # cladding above the mid-plane
    "order": 2,
}

#: Table grids.
DISPERSION_WIDTHS_UM = tuple(np.round(np.arange(1.6, 4.0001, 0.2), 3))
DISPERSION_WLS_UM = tuple(np.round(np.arange(1.50, 1.60001, 0.01), 3))
COUPLER_WIDTHS_UM = tuple(np.round(np.arange(1.6, 4.0001, 0.4), 3))
COUPLER_GAPS_UM = tuple(np.round(np.arange(1.0, 4.0001, 0.5), 3))
COUPLER_WLS_UM = (1.50, 1.55, 1.60)


def _mesh(shapes: dict, res_core: float, res_max: float, dist: float):
    """Triangulate the quarter cross-section; subdomains 'core' and 'clad'."""
    from femwell.mesh import mesh_from_OrderedDict
    from skfem.io.meshio import from_meshio

    return from_meshio(
        mesh_from_OrderedDict(
            OrderedDict(shapes),
            resolutions={"core": {"resolution": res_core, "distance": dist}},
            default_resolution_max=res_max,
        )
    )


def quarter_mesh(
    width_um: float,
    gap_um: float | None = None,
    *,
    thickness_um: float = process.CORE_THICKNESS_UM,
    res_core_um: float = MESH["res_core_um"],
    res_max_um: float = MESH["res_max_um"],
    refine_dist_um: float = MESH["refine_dist_um"],
    box_margin_x_um: float = MESH["box_margin_x_um"],
    box_y_um: float = MESH["box_y_um"],
):
    """Mesh of the quarter domain: one core centred on x = 0 (``gap_um=None``) or the right core
    of a pair whose mirror plane is x = 0 (core from gap/2 to gap/2 + width)."""
    import shapely

    x0 = 0.0 if gap_um is None else gap_um / 2
    x1 = width_um / 2 if gap_um is None else gap_um / 2 + width_um
    shapes = {
        "core": shapely.box(x0, 0.0, x1, thickness_um / 2),
        "clad": shapely.box(0.0, 0.0, x1 + box_margin_x_um, box_y_um),
    }
    return _mesh(shapes, res_core_um, res_max_um, refine_dist_um)


def _epsilon(mesh, wl_um: float):
    from skfem import Basis, ElementTriP0

    basis0 = Basis(mesh, ElementTriP0())
    eps = basis0.zeros()
    eps[basis0.get_dofs(elements="core")] = float(process.n_si3n4(wl_um)) ** 2
    eps[basis0.get_dofs(elements="clad")] = float(process.n_sio2(wl_um)) ** 2
    return basis0, eps


def _x0_wall(x: np.ndarray) -> np.ndarray:
    return np.isclose(x[0], 0.0)


def solve_mode(mesh, wl_um: float, *, electric_wall_x0: bool, order: int = MESH["order"]):
    """Highest-index mode (n_eff, te_fraction) of a quarter mesh at one wavelength."""
    n, te, _, _ = _solve(mesh, wl_um, electric_wall_x0=electric_wall_x0, order=order)
    return n, te


def _solve(mesh, wl_um: float, *, electric_wall_x0: bool, order: int = MESH["order"]):
    """Highest-index mode of a quarter mesh: (n_eff, te_fraction, field basis, eigenvector).

    ``electric_wall_x0`` puts n x E = 0 on x = 0 (TE0 / even supermode); otherwise the natural
    (magnetic-wall) condition holds there (odd supermode). The magnetic wall at y = 0 keeps only
    modes with Ex even in y: the TM-like modes (Ey dominant) are excluded by symmetry, so the
    highest-index mode of the class is the wanted TE mode (checked: te_fraction > 0.5).

    The eigenproblem is femwell's (``femwell.maxwell.waveguide.compute_modes``: Nedelec x
    Lagrange, E_z scaled by beta), assembled here without femwell's H-field/power
    post-processing, which costs more than the eigen solve and is not needed for n_eff;
    ``convergence`` checks that both give the same n_eff. The shift sigma = (k0 n_guess)^2 with
    n_guess = n_SiO2 + 0.06 lies just above every guided index of this thin core, so the
    nearest eigenvalue is the highest-index mode and ARPACK converges in a few iterations.
    """
    from skfem import (
        BilinearForm,
        ElementTriN1,
        ElementTriN2,
        ElementTriP1,
        ElementTriP2,
        Functional,
        condense,
        solve,
    )
    from skfem.helpers import curl, dot, grad, inner
    from skfem.utils import solver_eigen_scipy

    k0 = 2 * np.pi / wl_um
    basis0, eps = _epsilon(mesh, wl_um)
    element = ElementTriN2() * ElementTriP2() if order == 2 else ElementTriN1() * ElementTriP1()
    basis = basis0.with_element(element)
    basis0 = basis.with_element(basis0.elem)  # quadrature of the field basis

    @BilinearForm
    def aform(e_t, e_z, v_t, v_z, w):
        return (
            curl(e_t) * curl(v_t) / k0**2
            - w.epsilon * dot(e_t, v_t)
            + dot(grad(e_z), v_t)
            + w.epsilon * inner(e_t, grad(v_z))
            - w.epsilon * e_z * v_z * k0**2
        )

    @BilinearForm
    def bform(e_t, e_z, v_t, v_z, w):
        return -dot(e_t, v_t) / k0**2

    epsilon = basis0.interpolate(eps)
    a_mat, b_mat = aform.assemble(basis, epsilon=epsilon), bform.assemble(basis, epsilon=epsilon)
    n_clad = float(process.n_sio2(wl_um))
    sigma = (k0 * (n_clad + 0.06)) ** 2
    eig = solver_eigen_scipy(k=1, sigma=sigma)
    if electric_wall_x0:
        walls = basis.get_dofs(_x0_wall)
        lams, xs = solve(
            *condense(-a_mat, -b_mat, D=walls, x=basis.zeros(dtype=complex)), solver=eig
        )
    else:
        lams, xs = solve(-a_mat, -b_mat, solver=eig)
    n = float(np.sqrt(np.real(lams[0])) / k0)

    @Functional
    def ex2(w):
        return np.abs(w.E[0][0]) ** 2

    @Functional
    def ey2(w):
        return np.abs(w.E[0][1]) ** 2

    field = basis.interpolate(xs[:, 0])
    sx, sy = ex2.assemble(basis, E=field), ey2.assemble(basis, E=field)
    te = float(sx / (sx + sy))
    if not (n > n_clad and te > 0.5):
        raise RuntimeError(f"no guided TE mode found at wl={wl_um} um (n={n:.6f}, te={te:.3f})")
    return n, te, basis, xs[:, 0]


def kerr_figures(mesh, wl_um: float) -> tuple[float, float, float]:
    """TE0 nonlinear figures of a single-core quarter mesh: (A_eff [um^2], f2, f4).

    With the transverse field E_t of the mode (quarter-domain integrals x 4 for the whole plane)::

        A_eff = (int |E_t|^2)^2 / int |E_t|^4            (Agrawal's nonlinear effective area)
        f2    = int_core |E_t|^2 / int |E_t|^2          (fraction of the field energy in the core)
        f4    = int_core |E_t|^4 / int |E_t|^4          (weight of the core in the Kerr overlap)

    so that an inhomogeneous Kerr coefficient acts as n2_eff = f4 n2_Si3N4 + (1 - f4) n2_SiO2
    over the area A_eff (scalar, weak-guidance approximation).
    """
    from skfem import Functional

    _, _, basis, x = _solve(mesh, wl_um, electric_wall_x0=True)

    @Functional
    def e2(w):
        return np.abs(w.E[0][0]) ** 2 + np.abs(w.E[0][1]) ** 2

    @Functional
    def e4(w):
        return (np.abs(w.E[0][0]) ** 2 + np.abs(w.E[0][1]) ** 2) ** 2

    core = basis.with_elements("core")
    i2, i4 = e2.assemble(basis, E=basis.interpolate(x)), e4.assemble(basis, E=basis.interpolate(x))
    i2c = e2.assemble(core, E=core.interpolate(x))
    i4c = e4.assemble(core, E=core.interpolate(x))
    return float(4 * i2**2 / i4), float(i2c / i2), float(i4c / i4)


def solve_mode_femwell(mesh, wl_um: float, *, electric_wall_x0: bool, order: int = MESH["order"]):
    """Same as :func:`solve_mode` through ``femwell.maxwell.waveguide.compute_modes`` (slower)."""
    from femwell.maxwell.waveguide import compute_modes

    basis0, eps = _epsilon(mesh, wl_um)
    modes = compute_modes(
        basis0,
        eps,
        wavelength=wl_um,
        num_modes=1,
        order=order,
        n_guess=float(process.n_sio2(wl_um)) + 0.06,
        metallic_boundaries=_x0_wall if electric_wall_x0 else False,
    )
    return float(np.real(modes[0].n_eff)), float(modes[0].te_fraction)


def derivatives(wls_um: np.ndarray, n_eff: np.ndarray, wl0_um: float, deg: int = 4):
    """n_eff, n_g and beta2 [ps^2/km] at wl0 from a polynomial fit of n_eff(wl) (same as loader)."""
    from scipy.constants import c  # exact SI value (femwell brings scipy)

    p = np.polynomial.Polynomial.fit(wls_um - wl0_um, n_eff, deg)
    n0, d1, d2 = p(0.0), p.deriv(1)(0.0), p.deriv(2)(0.0)
    wl = wl0_um * 1e-6
    beta2 = wl**3 / (2 * np.pi * c**2) * d2 * 1e12  # d2 [1/um^2] -> [1/m^2]: x1e12
    return float(n0), float(n0 - wl0_um * d1), float(beta2 * 1e27)  # s^2/m -> ps^2/km: x1e27


def _header(kind: str, extra: list[str]) -> str:
    import femwell
    import skfem

    lines = [
        f"qkdchip Si3N4 mode table: {kind}",
        f"generated {datetime.date.today().isoformat()} by pdk/sin/modesolver.py "
        f"(femwell {femwell.__version__ if hasattr(femwell, '__version__') else '?'}, "
        f"scikit-fem {skfem.__version__})",
        "method: full-vectorial FEM (Nedelec-2 x Lagrange-2), quarter domain with symmetry walls",
        f"core: LPCVD Si3N4 {process.CORE_THICKNESS_UM * 1e3:.0f} nm thick, Sellmeier Luke et al. "
        "Opt. Lett. 40, 4823 (2015); cladding: SiO2 all round, Sellmeier Malitson JOSA 55, 1205 "
        "(1965)",
        "mesh: "
        + ", ".join(f"{k}={v}" for k, v in MESH.items())
        + " (quarter domain: box x from mirror plane to outer core edge + margin, y 0..box_y)",
    ]
    conv = DATA_DIR / "convergence.txt"
    if conv.exists():
        lines += ["convergence check (modesolver.py convergence):", *conv.read_text().splitlines()]
    return "\n".join(lines + extra)


def run_dispersion(out: Path) -> None:
    """TE0 n_eff on the width x wavelength grid -> ``sin_te0_neff.csv``."""
    rows = []
    t0 = time.time()
    for w in DISPERSION_WIDTHS_UM:
        mesh = quarter_mesh(w)
        for wl in DISPERSION_WLS_UM:
            n, te = solve_mode(mesh, wl, electric_wall_x0=True)
            rows.append((w, wl, n, te))
        print(f"width {w} um done ({time.time() - t0:.0f} s)", flush=True)
    header = _header(
        "TE0 effective index of a single core vs width and wavelength",
        ["columns: width_um, wl_um, n_eff, te_fraction", "width_um,wl_um,n_eff,te_fraction"],
    )
    np.savetxt(
        out / "sin_te0_neff.csv",
        np.array(rows),
        delimiter=",",
        fmt=["%.3f", "%.4f", "%.10f", "%.5f"],
        header=header,
    )


def run_kerr(out: Path) -> None:
    """TE0 effective area and core fractions at the design wavelength -> ``sin_te0_kerr.csv``."""
    wl = process.DESIGN_WAVELENGTH_UM
    rows = [(w, wl, *kerr_figures(quarter_mesh(w), wl)) for w in DISPERSION_WIDTHS_UM]
    checks = [
        f"{name}: " + ", ".join(f"{v:.6f}" for v in kerr_figures(quarter_mesh(w, **kw), wl))
        for w in (DISPERSION_WIDTHS_UM[0], CORE_WIDTH_UM)
        for name, kw in (
            (f"width {w} production", {}),
            (f"width {w} core res 0.01", {"res_core_um": 0.01}),
            (f"width {w} box x+4 y+4", {"box_margin_x_um": 12.0, "box_y_um": 10.0}),
        )
    ]
    header = _header(
        "TE0 nonlinear effective area and core fractions of a single core vs width",
        [
            "A_eff convergence (a_eff_um2, f2, f4):",
            *checks,
            "a_eff = (int|Et|^2)^2 / int|Et|^4; f2, f4: core share of int|Et|^2, int|Et|^4",
            "columns: width_um, wl_um, a_eff_um2, core_fraction_e2, core_fraction_e4",
            "width_um,wl_um,a_eff_um2,core_fraction_e2,core_fraction_e4",
        ],
    )
    np.savetxt(
        out / "sin_te0_kerr.csv",
        np.array(rows),
        delimiter=",",
        fmt=["%.3f", "%.5f", "%.6f", "%.6f", "%.6f"],
        header=header,
    )


def run_coupler(out: Path) -> None:
    """Even/odd TE supermodes of two identical parallel cores -> ``sin_coupler_supermodes.csv``."""
    rows = []
    t0 = time.time()
    for w in COUPLER_WIDTHS_UM:
        for g in COUPLER_GAPS_UM:
            mesh = quarter_mesh(w, g)
            for wl in COUPLER_WLS_UM:
                ne, _ = solve_mode(mesh, wl, electric_wall_x0=True)
                no, _ = solve_mode(mesh, wl, electric_wall_x0=False)
                rows.append((w, g, wl, ne, no))
        print(f"width {w} um done ({time.time() - t0:.0f} s)", flush=True)
    header = _header(
        "even/odd TE supermodes of two identical parallel cores (edge-to-edge gap)",
        [
            "kappa = pi (n_even - n_odd) / wl (field coupling per um)",
            "columns: width_um, gap_um, wl_um, n_even, n_odd",
            "width_um,gap_um,wl_um,n_even,n_odd",
        ],
    )
    np.savetxt(
        out / "sin_coupler_supermodes.csv",
        np.array(rows),
        delimiter=",",
        fmt=["%.3f", "%.3f", "%.4f", "%.10f", "%.10f"],
        header=header,
    )


def run_convergence(out: Path, width_um: float = CORE_WIDTH_UM, gap_um: float = 3.0) -> None:
    """Mesh and box study at the design point; prints a table and writes ``convergence.txt``."""
    wl0 = process.DESIGN_WAVELENGTH_UM
    wls = np.array([1.50, 1.525, 1.55, 1.575, 1.60])
    cases = [
        ("production", {}),
        ("core res 0.01", {"res_core_um": 0.01}),
        ("far res 0.15", {"res_max_um": 0.15, "refine_dist_um": 4.0}),
        ("box x+4 y+4", {"box_margin_x_um": 12.0, "box_y_um": 10.0}),
    ]
    lines = [
        f"convergence at width {width_um} um, wl0 {wl0} um; coupler gap {gap_um} um",
        "case | n_eff | n_g | beta2 ps^2/km | kappa 1/um | triangles | s",
    ]
    for name, kw in cases:
        t0 = time.time()
        mesh = quarter_mesh(width_um, **kw)
        ns = np.array([solve_mode(mesh, wl, electric_wall_x0=True)[0] for wl in wls])
        n0, ng, b2 = derivatives(wls, ns, wl0)
        cm = quarter_mesh(width_um, gap_um, **kw)
        ne, _ = solve_mode(cm, 1.55, electric_wall_x0=True)
        no, _ = solve_mode(cm, 1.55, electric_wall_x0=False)
        kappa = np.pi * (ne - no) / 1.55
        line = (
            f"{name} | {n0:.8f} | {ng:.6f} | {b2:.2f} | {kappa:.6e} | {mesh.t.shape[1]} | "
            f"{time.time() - t0:.0f}"
        )
        print(line, flush=True)
        lines.append(line)
    # Check of the symmetry reduction: full cross-section, no walls, same resolution.
    import shapely

    t = process.CORE_THICKNESS_UM
    full = _mesh(
        {
            "core": shapely.box(-width_um / 2, -t / 2, width_um / 2, t / 2),
            "clad": shapely.box(-width_um / 2 - 8, -6, width_um / 2 + 8, 6),
        },
        MESH["res_core_um"],
        MESH["res_max_um"],
        MESH["refine_dist_um"],
    )
    nf, _ = solve_mode(full, 1.55, electric_wall_x0=False)
    nq, _ = solve_mode(quarter_mesh(width_um), 1.55, electric_wall_x0=True)
    nfw, _ = solve_mode_femwell(quarter_mesh(width_um), 1.55, electric_wall_x0=True)
    line = (
        f"n_eff(1.55): quarter {nq:.8f}; full domain, no symmetry walls {nf:.8f}; "
        f"quarter via femwell.compute_modes {nfw:.8f}"
    )
    print(line)
    lines.append(line)
    (out / "convergence.txt").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["convergence", "dispersion", "coupler", "kerr"])
    ap.add_argument("--out", type=Path, default=DATA_DIR)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {
        "convergence": run_convergence,
        "dispersion": run_dispersion,
        "coupler": run_coupler,
        "kerr": run_kerr,
    }
    runs[args.what](args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
