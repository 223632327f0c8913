"""A client-chip variant with a longer encoding phase modulator: GDS, DRC and its S-matrix.

``client_chip(pm_length_um=...)`` redraws the InP transmitter with a longer PM I electrode (the
chain is re-floorplanned on the same 4.6 x 2.0 mm die; a PM too long to fold raises a ValueError
naming the parameters to shorten). The chip is written to GDS, checked against the InP rules and
simulated from its own netlist (:mod:`qkdchip.sims.client`): the chip's figures, all read from
its S-matrix (insertion loss, IM extinction, VOA range, PM V_pi, which falls as 1/L)::

    .venv/bin/python examples/client_long_pm.py [--out DIR] [--pm-length-um 1100]

Writes ``client_long_pm.gds`` and ``figures.json`` to ``DIR`` (default: a new temporary
folder). For S-parameters over wavelength or drive see ``client_sparams`` and
``client_batch_fn`` in :mod:`qkdchip.sims.client`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: temp)")
    parser.add_argument(
        "--pm-length-um", type=float, default=1100.0, help="PM I electrode length (um)"
    )
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="qkdchip_client_pm_"))
    out.mkdir(parents=True, exist_ok=True)

    from qkdchip.base.params import defaults_of
    from qkdchip.build import write_gds
    from qkdchip.circuits.client_chip import client_chip
    from qkdchip.pdk import use_pdk
    from qkdchip.pdk.drc import check_component
    from qkdchip.sims.client import client_figures
    from qkdchip.sims.models.inp import eo_vpi_v

    with use_pdk("inp"):
        try:
            chip = client_chip(pm_length_um=args.pm_length_um)
        except ValueError as exc:  # out of range, or does not fold onto the die: names the knob
            print(f"error: {exc}", file=sys.stderr)
            return 2
        drc = check_component(chip, "inp")
        gds = write_gds(chip, out / "client_long_pm.gds")
    print(f"layout: {gds} ({drc.total} DRC violations)")
    if not drc.clean:
        for v in drc.violations:
            print(f"  {v.rule} {v.layer}: {v.count} at {v.where_um[:3]}", file=sys.stderr)
        return 1

    figures = client_figures(component=chip, points=51)
    (out / "figures.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    l_default = defaults_of(client_chip)["pm_length_um"]
    print(
        f"PM I {args.pm_length_um:g} um: V_pi {figures['pm_vpi_v']:.3f} V from the S-matrix "
        f"(V_pi L / L = {eo_vpi_v(args.pm_length_um):.3f} V; the default {l_default:g} um PM: "
        f"{eo_vpi_v(l_default):.3f} V)"
    )
    print(
        f"insertion loss {figures['insertion_loss_db']:.2f} dB, output "
        f"{figures['output_power_dbm']:.2f} dBm, IM extinction "
        f"{figures['im_extinction_ratio_total_db']:.1f} dB, VOA range {figures['voa_range_db']:.1f} dB"
    )

    print(f"wrote {out / 'figures.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
