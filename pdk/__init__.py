"""Process design kits: ``sin`` (Si3N4 microcomb server chip) and ``inp`` (InP client chip).

Nothing is activated at import time. Build a cell of one process inside ``use_pdk("sin")`` (or
``use_pdk("inp")``); the previously active PDK is restored afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gdsfactory as gf

PROCESSES = ("sin", "inp")


def get_pdk(process: str) -> gf.Pdk:
    """The ``gf.Pdk`` of a process ('sin' or 'inp'), built once and cached by its module."""
    if process not in PROCESSES:
        raise ValueError(f"process={process!r} is unknown: allowed {PROCESSES}")
    return importlib.import_module(f"qkdchip.pdk.{process}").get_pdk()


@contextlib.contextmanager
def use_pdk(process: str) -> Iterator[gf.Pdk]:
    """Activate one process's PDK for the duration of a ``with`` block, then restore the old one."""
    import gdsfactory.pdk as gpdk

    previous = gpdk._ACTIVE_PDK
    pdk = get_pdk(process)
    pdk.activate()
    try:
        yield pdk
    finally:
        if previous is not None and previous is not pdk:
            previous.activate()
        else:
            gpdk._ACTIVE_PDK = previous
