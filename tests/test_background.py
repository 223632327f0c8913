"""The second process of ``qkdchip run`` (sims.network.background): the same numbers as the
caller's own call, errors back in the caller, and no process left behind when the parent dies.

Real processes (spawned ones import the key-rate stack, ~1 s; forked ones share the caller's
imports): slow tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from qkdchip.sims.network.background import KeyRateProcess
from qkdchip.sims.network.keyrates import Rows, solve
from qkdchip.sims.network.settings import LinkSettings, NetworkSettings

pytestmark = pytest.mark.slow


def rows(distances_km) -> Rows:
    r = Rows()
    link, net = LinkSettings(), NetworkSettings()
    for i, d in enumerate(distances_km):
        r.add((0, i), link, net, length_km=(d / 2, d / 2), sigma=0.1, e_d=0.02, p_d=1e-8, er=30.0)
    return r


@pytest.fixture(scope="module")
def proc():
    with KeyRateProcess() as p:
        yield p


def test_the_second_process_gives_the_callers_numbers_bit_for_bit(proc):
    r = rows([100.0, 300.0, 500.0])
    proc.submit("sns-aopp", r, False)
    there = proc.result()
    here = solve("sns-aopp", r, False)
    assert np.array_equal(np.asarray(there.rate_per_pulse), np.asarray(here.rate_per_pulse))
    assert np.asarray(here.rate_per_pulse)[0] > 0
    for k, v in here.parameters.items():
        if isinstance(v, np.ndarray):
            assert np.array_equal(np.asarray(there.parameters[k]), v), k


def test_an_error_there_is_raised_here_and_the_process_serves_on(proc):
    proc.submit("no-such-protocol", rows([100.0]), False)
    with pytest.raises(ValueError, match="no-such-protocol"):
        proc.result()
    proc.submit("sns-aopp", rows([100.0]), False)
    assert np.asarray(proc.result().rate_per_pulse)[0] > 0
    with pytest.raises(RuntimeError, match="no key-rate request"):
        proc.result()


def test_calls_and_key_rates_come_back_in_the_order_sent(proc):
    r = rows([200.0])
    proc.call(divmod, 17, 5)
    proc.submit("sns-aopp", r, False)
    proc.call(max, [3, 9, 4])
    assert proc.pending == 3
    assert proc.result() == (3, 2)
    assert np.array_equal(proc.result().rate_per_pulse, solve("sns-aopp", r, False).rate_per_pulse)
    assert proc.result() == 9
    assert proc.pending == 0


def test_fork_only_while_jax_has_no_backend():
    """In a fresh interpreter: with the key-rate stack and JAX imported and no JAX computation
    yet the process is forked (and computes the same numbers); after one JAX operation,
    spawned."""
    script = textwrap.dedent(
        """
        import numpy as np
        from qkdchip.sims.network import background as b
        from qkdchip.sims.network.keyrates import Rows, solve
        from qkdchip.sims.network.settings import LinkSettings, NetworkSettings
        r = Rows()
        r.add((0, 0), LinkSettings(), NetworkSettings(), length_km=(150.0, 150.0), sigma=0.1,
              e_d=0.02, p_d=1e-8, er=30.0)
        import jax  # imported, no backend started
        b._cpus = lambda: 2
        assert b.fork_safe()
        with b.start() as p:
            assert p._proc._popen.method == "fork"
            p.submit("sns-aopp", r, False)
            assert np.array_equal(p.result().rate_per_pulse,
                                  solve("sns-aopp", r, False).rate_per_pulse)
        import jax.numpy as jnp
        float(jnp.ones(3).sum())  # a backend now runs
        assert not b.fork_safe()
        with b.start() as p:
            assert p._proc._popen.method == "spawn"
        print("ok")
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


def test_the_process_ends_when_its_parent_ends_without_clean_up(tmp_path):
    """A parent that stops with os._exit (a second SIGINT) runs no clean-up: the second process
    notices and exits, mid-call too, instead of computing on for nobody."""
    script = textwrap.dedent(
        """
        import os, sys
        from qkdchip.sims.network.background import KeyRateProcess
        from qkdchip.sims.network.keyrates import Rows
        from qkdchip.sims.network.settings import LinkSettings, NetworkSettings
        r = Rows()
        for d in range(0, 600, 1):  # 600 rows: a minute of work
            r.add((0, d), LinkSettings(), NetworkSettings(), length_km=(d / 2, d / 2),
                  sigma=0.1, e_d=0.02, p_d=1e-8, er=30.0)
        p = KeyRateProcess()
        p.submit("sns-aopp", r, True)  # a long finite-key call
        import time; time.sleep(0.5)  # it is computing
        print(p._proc.pid, flush=True)
        os._exit(0)
        """
    )
    err = tmp_path / "stderr.txt"
    with err.open("w") as fe:
        # not subprocess.run: it would wait for the pipes, which the second process inherits
        parent = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=fe, text=True
        )
        pid = int(parent.stdout.readline())
        parent.wait(timeout=60)
    deadline = time.monotonic() + 5  # far less than the call takes
    try:
        while _alive(pid):
            assert time.monotonic() < deadline, f"the second process {pid} outlived its parent"
            time.sleep(0.1)
    finally:
        if _alive(pid):
            os.kill(pid, 9)
    assert "Traceback" not in err.read_text()
    parent.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose (its parent, the -c interpreter, has exited)
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
