"""Test-session settings: the tests compute every key rate (the on-disk key-rate cache,
:mod:`qkdchip.sims.network.keycache`, is off unless a test turns it on in a folder of its own).
Subprocesses of the CLI and Dask workers inherit the setting."""

from __future__ import annotations

import os

os.environ["QKDCHIP_KEYRATE_CACHE_DIR"] = "off"
