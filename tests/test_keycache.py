"""The on-disk key-rate cache (qkdchip.sims.network.keycache): hits give the stored result to
the bit, every input and the code are in the key, entries are atomic, bounded, and a broken
entry is recomputed."""

from __future__ import annotations

import dataclasses
import os
import pickle

import numpy as np
import pytest

from qkdchip.sims.network import keycache
from qkdchip.sims.network.keyrates import Rows, solve
from qkdchip.sims.network.settings import LinkSettings, NetworkSettings


def _rows(distance_km: float = 300.0, sigma: float = 0.1) -> Rows:
    rows = Rows()
    link, net = LinkSettings(), NetworkSettings()
    for x in (distance_km, distance_km + 50.0):
        rows.add(
            (0, 0), link, net, length_km=(x / 2, x / 2), sigma=sigma, e_d=0.02, p_d=1e-8, er=30.0
        )
    return rows


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "keyrates"
    monkeypatch.setenv(keycache.ENV, str(folder))
    return folder


def _counted(fn):
    calls = []

    def compute():
        calls.append(1)
        return fn()

    return compute, calls


def _entries(folder):
    return sorted(p for p in folder.glob("*/*.pkl") if not p.name.startswith("."))


def test_a_second_call_is_the_stored_result_to_the_bit(cache, monkeypatch):
    rows = _rows()
    first = solve("sns-aopp", rows, False)
    assert len(_entries(cache)) == 1
    compute, calls = _counted(lambda: pytest.fail("recomputed"))
    again = keycache.cached("sns-aopp", rows, False, None, compute)
    assert calls == []
    for f in ("rate_per_pulse", "qber_x", "qber_z", "s1"):
        assert np.array_equal(getattr(again, f), getattr(first, f))
    assert first.rate_per_pulse.shape == (2,) and np.all(first.rate_per_pulse > 0)
    # and it is what the call computes without the cache
    monkeypatch.setenv(keycache.ENV, "off")
    fresh = solve("sns-aopp", rows, False)
    assert np.array_equal(fresh.rate_per_pulse, first.rate_per_pulse)


@pytest.mark.parametrize(
    "change",
    [
        lambda a: {**a, "rows": _rows(distance_km=300.0 + 1e-9)},
        lambda a: {**a, "rows": _rows(sigma=0.1000001)},
        lambda a: {**a, "protocol": "sns"},
        lambda a: {**a, "finite": True},
        lambda a: {**a, "warm": [{"mu_z": 0.4, "mu_1": 0.05, "mu_2": 0.3, "eps": 0.2}]},
    ],
)
def test_every_input_is_in_the_key(change):
    args = {"protocol": "sns-aopp", "rows": _rows(), "finite": False, "warm": None}
    k0 = keycache.key(**args)
    assert keycache.key(**args) == k0
    assert keycache.key(**change(args)) != k0


def test_the_owner_column_is_not_in_the_key():
    a, b = _rows(), _rows()
    b.owner = [(7, 3) for _ in b.owner]
    assert keycache.key("sns", a, True, None) == keycache.key("sns", b, True, None)


def test_a_change_of_the_key_rate_code_misses(cache, monkeypatch):
    rows = _rows()
    k0 = keycache.key("sns-aopp", rows, False, None)
    monkeypatch.setattr(keycache, "code_hash", lambda: "another version of the code")
    assert keycache.key("sns-aopp", rows, False, None) != k0


def test_code_hash_follows_the_installed_files():
    names = [n for n, _ in keycache.module_sources(keycache.MODULES)]
    assert "qkdchip.sims.keyrate/optimize.py" in names
    assert "qkdchip.sims.network.keyrates/keyrates.py" in names
    assert keycache.code_hash().count("|") == 2


def test_a_broken_entry_is_recomputed_and_replaced(cache):
    rows = _rows()
    solve("sns-aopp", rows, False)
    (entry,) = _entries(cache)
    entry.write_bytes(b"\x80\x05truncated")
    compute, calls = _counted(lambda: "recomputed")
    assert keycache.cached("sns-aopp", rows, False, None, compute) == "recomputed"
    assert calls == [1]
    with entry.open("rb") as fh:
        assert pickle.load(fh)[1] == "recomputed"
    assert not [p for p in cache.rglob(".*") if "tmp" in p.name]  # no temporary file left


def test_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(keycache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert keycache.cache_dir() is None
    compute, calls = _counted(lambda: 1)
    keycache.cached("sns", _rows(), True, None, compute)
    keycache.cached("sns", _rows(), True, None, compute)
    assert calls == [1, 1]
    assert list(tmp_path.rglob("*")) == []


def test_default_folder_is_beside_the_jax_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(keycache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert keycache.cache_dir() == tmp_path / "qkdchip" / "keyrates"


def test_least_recently_used_entries_go_beyond_the_limit(cache, monkeypatch):
    monkeypatch.setattr(keycache, "MAX_ENTRIES", 3)
    keys = []
    for i in range(5):
        rows = _rows(distance_km=100.0 + i)
        keys.append(keycache.key("sns", rows, True, None))
        keycache.cached("sns", rows, True, None, lambda i=i: i)
        for j, entry in enumerate(_entries(cache)):  # distinct, increasing use times
            os.utime(entry, ns=(j, 10**9 * (1 + keys.index(entry.stem))))
    left = {p.stem for p in _entries(cache)}
    assert left == set(keys[2:])


def test_the_oldest_entries_go_beyond_the_size_limit(cache, monkeypatch):
    keys = []
    for i in range(4):
        rows = _rows(distance_km=200.0 + i)
        keys.append(keycache.key("sns", rows, True, None))
        keycache.cached("sns", rows, True, None, lambda: b"x" * 1000)
        for entry in _entries(cache):
            os.utime(entry, ns=(0, 10**9 * (1 + keys.index(entry.stem))))
    sizes = [p.stat().st_size for p in _entries(cache)]
    monkeypatch.setattr(keycache, "MAX_BYTES", sum(sizes) - 1)  # the four fill it
    new = keycache.key("sns", _rows(distance_km=1.0), True, None)
    keycache.cached("sns", _rows(distance_km=1.0), True, None, lambda: b"")  # a small fifth
    left = {p.stem for p in _entries(cache)}
    assert left == {*keys[1:], new}  # the oldest made room, and enough


def test_an_unwritable_folder_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(keycache.ENV, str(blocker / "keyrates"))
    compute, calls = _counted(lambda: 42)
    assert keycache.cached("sns", _rows(), True, None, compute) == 42
    assert calls == [1]


def test_rows_fields_are_all_hashed():
    """A new field of Rows (a new input of the key rate) enters the key by itself."""
    names = {f.name for f in dataclasses.fields(Rows)} - {"owner"}
    base = _rows()
    k0 = keycache.key("sns", base, True, None)
    for name in names:
        changed = dataclasses.replace(
            base, **{name: [v * 1.01 + 1e-3 for v in getattr(base, name)]}
        )
        assert keycache.key("sns", changed, True, None) != k0, name
