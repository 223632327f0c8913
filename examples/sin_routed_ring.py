"""Your own routed ring circuit on the Si3N4 PDK: layout, DRC, GDS and S-parameters.

A microring (``sin_ring_bus``) between two inverse-taper edge couplers, the arms routed by
gdsfactory's own router with the process's cells (Euler bends at the ``xs_sin`` radius), on a
die outline so that the full design-rule check applies. The S-matrix comes from the layout's own
netlist and the PDK's sax models::

    .venv/bin/python examples/sin_routed_ring.py [--out DIR] [--radius-um 800] [--gap-um 2.0]

Writes ``sin_routed_ring.gds``, ``s21.csv`` (one resonance, finely resolved) and ``s21.png`` to
``DIR`` (default: a new temporary folder) and prints the ring's figures.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

#: die margin around the circuit, above the 50 um keep-out (um)
DIE_MARGIN_UM = 150.0


def build(radius_um: float, gap_um: float):
    """The circuit: edge coupler -> routed arm -> ring -> routed arm -> edge coupler, on a die."""
    import gdsfactory as gf

    from qkdchip.components.sin import sin_edge_coupler, sin_ring_bus
    from qkdchip.components.sin.routing import route_single_sin
    from qkdchip.pdk.sin import LAYER

    c = gf.Component(name="sin_example_routed_ring")
    ring = c << sin_ring_bus(radius_um=radius_um, gap_um=gap_um)
    ec_in = c << sin_edge_coupler()
    ec_out = c << sin_edge_coupler()
    dx = ring.ports["o2"].x + 2500.0
    ec_in.move((-dx, -1500.0))
    ec_out.mirror_x()
    ec_out.move((dx, -1500.0))
    route_single_sin(c, ec_in.ports["o2"], ring.ports["o1"])
    route_single_sin(c, ring.ports["o2"], ec_out.ports["o2"])
    c.add_port("o1", port=ec_in.ports["o1"])
    c.add_port("o2", port=ec_out.ports["o1"])
    # the die: the facet trenches reach its edge, everything else keeps the margin
    trench = ec_in.cell.info["trench_length_um"]
    x0, x1 = ec_in.ports["o1"].x - trench, ec_out.ports["o1"].x + trench
    y0, y1 = c.dymin - DIE_MARGIN_UM, c.dymax + DIE_MARGIN_UM
    c.add_polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], layer=LAYER.DIE)
    return c, ring.cell


def through(c):
    """|S21|^2 (o1 -> o2) as a function of wavelength (um), from the layout's netlist."""
    import numpy as np
    import sax

    from qkdchip.pdk.sin import PDK

    circuit, _ = sax.circuit(c.get_netlist(recursive=True), models=PDK.models)
    return lambda wl: np.abs(np.asarray(circuit(wl=wl)[("o1", "o2")])) ** 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: temp)")
    parser.add_argument("--radius-um", type=float, default=800.0, help="ring radius (um)")
    parser.add_argument("--gap-um", type=float, default=2.0, help="ring-bus gap (um)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="qkdchip_sin_ring_"))
    out.mkdir(parents=True, exist_ok=True)

    import numpy as np

    from qkdchip.build import write_gds
    from qkdchip.pdk import use_pdk
    from qkdchip.pdk.drc import check_component
    from qkdchip.pdk.sin.process import DESIGN_WAVELENGTH_UM

    with use_pdk("sin"):
        try:
            c, ring = build(args.radius_um, args.gap_um)
        except ValueError as exc:  # a parameter out of its range: the message names it
            print(f"error: {exc}", file=sys.stderr)
            return 2
        drc = check_component(c, "sin")
        gds = write_gds(c, out / "sin_routed_ring.gds")
    print(f"layout: {gds} ({drc.total} DRC violations)")
    if not drc.clean:
        for v in drc.violations:
            print(f"  {v.rule} {v.layer}: {v.count} at {v.where_um[:3]}", file=sys.stderr)
        return 1

    t = through(c)
    info = ring.info
    fsr_um = DESIGN_WAVELENGTH_UM**2 / (info["n_g"] * info["length_um"])
    wl = np.linspace(DESIGN_WAVELENGTH_UM - fsr_um / 2, DESIGN_WAVELENGTH_UM + fsr_um / 2, 2001)
    t_wl = t(wl)
    t_off, wl_res = float(t_wl.max()), float(wl[np.argmin(t_wl)])
    for half in (5e-6, 1e-6):  # zoom on the ~0.2 pm line
        wz = np.linspace(wl_res - half, wl_res + half, 2001)
        tz = t(wz)
        wl_res = float(wz[np.argmin(tz)])
    db = 10 * np.log10(tz)
    np.savetxt(
        out / "s21.csv",
        np.column_stack([wz * 1e3, db]),
        delimiter=",",
        header="wavelength_nm,s21_db",
        comments="",
        fmt="%.9f",
    )
    print(
        f"ring R = {info['radius_um']} um, gap {info['gap_um']} um: FSR {info['fsr_ghz']:.3f} GHz, "
        f"power coupling {info['power_coupling']:.3g}"
    )
    print(
        f"S21: insertion loss {-10 * math.log10(t_off):.2f} dB off resonance, resonance at "
        f"{wl_res * 1e3:.6f} nm, {10 * math.log10(tz.min() / t_off):.1f} dB deep"
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot((wz - wl_res) * 1e6, db)
    ax.set_xlabel(f"detuning from {wl_res * 1e3:.4f} nm (pm)")
    ax.set_ylabel("|S21|^2 (dB)")
    ax.set_title("routed ring: through port")
    fig.tight_layout()
    fig.savefig(out / "s21.png", dpi=120)
    print(f"wrote {out / 's21.csv'}, {out / 's21.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
