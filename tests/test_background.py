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


# --- map_pair: tasks shared between this process and a second one -----------------------------

_TASKS = """
import os, time

def square(k):
    time.sleep(0.01 * (k % 4))  # uneven tasks
    return k * k, os.getpid()

def fail_from(k, first):
    time.sleep(0.01)
    if k >= first:
        raise ValueError(f"task {k}")
    return k
"""


def _map_pair_script(tmp_path, body: str) -> str:
    (tmp_path / "pairtasks.py").write_text(_TASKS)
    head = f"import os, sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
    return head + textwrap.dedent(body)


def test_map_pair_gives_the_serial_results_from_two_processes(tmp_path):
    """In a fresh interpreter (forked second process): the results in task order, every task
    reported once, both processes used, one-thread XLA flags for both; with one CPU, all here."""
    script = _map_pair_script(
        tmp_path,
        """
        from pairtasks import square, fail_from
        from qkdchip.sims.network import background as b
        b._cpus = lambda: 2
        seen = []
        out = b.map_pair(square, [(k,) for k in range(24)], lambda k, r: seen.append(k))
        assert [o[0] for o in out] == [k * k for k in range(24)], out
        assert sorted(seen) == list(range(24)), seen
        pids = {o[1] for o in out}
        assert len(pids) == 2 and os.getpid() in pids, pids
        assert "--xla_cpu_multi_thread_eigen=false" in os.environ["XLA_FLAGS"]
        # the exception of the first failed task in list order, as a serial loop raises it
        for first in (0, 3, 23):
            try:
                b.map_pair(fail_from, [(k, first) for k in range(24)])
            except ValueError as exc:
                assert str(exc) == f"task {first}", (first, exc)
            else:
                raise AssertionError("no error")
        assert b.map_pair(fail_from, [(k, 99) for k in range(5)]) == list(range(5))
        b._cpus = lambda: 1
        seen.clear()
        out = b.map_pair(square, [(k,) for k in range(6)], lambda k, r: seen.append(k))
        assert seen == list(range(6)) and {o[1] for o in out} == {os.getpid()}
        print("ok")
        """,
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


def test_wafer_on_two_processes_gives_the_serial_numbers(tmp_path):
    """``qkdchip wafer`` shares its tasks (10 wafers each) with a second process: the JSON is
    the one-process run's (one CPU), but for the elapsed time."""
    import json

    outs = []
    for cpus in (2, 1):
        script = (
            "import sys; from qkdchip.sims.network import background as b; "
            f"b._cpus = lambda: {cpus}; from qkdchip.cli import app; "
            "app(['wafer', '--wafers', '20', '--seed', '3', '--json'])"
        )
        res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-2000:]
        out = json.loads(res.stdout)
        out.pop("elapsed_s")
        outs.append(out)
    assert outs[0] == outs[1]
    assert outs[0]["wafers"] == 20 and outs[0]["dies"] == 400
