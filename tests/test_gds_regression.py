"""Geometry regression: every cell at its defaults and both chips against stored reference GDS.

A fresh build is XORed layer by layer with klayout against ``tests/gds_ref/<process>/<cell>.gds``;
any difference fails. After an intended change: ``make gds-ref`` (see ``tests/gds_reference.py``).
"""

from __future__ import annotations

import pytest

from gds_reference import REF_DIR, build, cases, xor

CASES = list(cases())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_geometry_matches_reference(case):
    assert case.path.is_file(), f"no reference for {case.id}: run `make gds-ref` and commit it"
    diffs = xor(build(case), case.path)
    assert not diffs, f"{case.id} geometry changed (run `make gds-ref` if intended):\n" + "\n".join(
        diffs
    )


def test_every_reference_belongs_to_a_cell():
    known = {c.path for c in CASES}
    stale = sorted(str(p.relative_to(REF_DIR)) for p in REF_DIR.glob("*/*.gds") if p not in known)
    assert not stale, f"references without a cell (run `make gds-ref`): {stale}"


def test_xor_sees_a_moved_polygon():
    """The check itself: a cell drawn 1 nm longer differs from the default's reference."""
    from qkdchip.components.sin import sin_straight
    from qkdchip.pdk import use_pdk
    from qkdchip.pdk.sin import CORE_WIDTH_UM, GRID_UM

    ref = next(c for c in CASES if c.id == "sin/sin_straight")
    with use_pdk("sin"):
        longer = sin_straight(length_um=100.001)
    diffs = xor(longer, ref.path)
    assert len(diffs) == 1 and diffs[0].startswith("layer 1/0")
    assert f"XOR area {GRID_UM * CORE_WIDTH_UM:.6g} um2" in diffs[0]  # 1 nm x the core width


def test_xor_sees_a_missing_layer():
    from qkdchip.pdk import use_pdk

    ref = next(c for c in CASES if c.id == "sin/sin_pad")
    straight = next(c for c in CASES if c.id == "sin/sin_straight")
    with use_pdk("sin"):
        other = straight.factory()
    diffs = xor(other, ref.path)
    assert len(diffs) >= 2  # the pad's metal layers are missing and the core is extra
