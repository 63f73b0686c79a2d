"""Distributed runs under a real MPI: ``mpiexec -n 2`` and ``-n 3`` on an unchanged script
(tests/_distributed_net.py: every delivery path, input kind and record kind) give, bit for
bit, the spikes, samples, final states and output file of the same script on one process;
an error on one process ends all of them, shown once. Every mpiexec has a timeout, so a
hang fails the test instead of stopping CI."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from fastspike.parallel import SerialCommunicator

import _distributed_net as dn

pytest.importorskip("mpi4py", reason="MPI tests need mpi4py and an MPI: pip install 'fastspike[mpi]'")

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "_distributed_net.py")
TIMEOUT = 600  # s: a hang becomes a failure


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec found (pip install mpich)")


def _env():
    path = os.pathsep.join([os.path.dirname(HERE), HERE, os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, OMP_WAIT_POLICY="passive", NUMBA_NUM_THREADS="1", PYTHONPATH=path)


def _mpirun(k: int, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([MPIEXEC, "-n", str(k), sys.executable, *args], env=_env(), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    out = {}
    folder = tmp_path_factory.mktemp("one")
    for variant in ("direct", "lagged"):
        net, records = dn.build(SerialCommunicator(), variant)
        output = str(folder / f"{variant}.h5") if variant == "lagged" else None
        out[variant] = dn.run(net, records, output)
    out["file"] = folder / "lagged.h5"
    return out


@pytest.mark.parametrize("k, variant, threads", [(2, "direct", 1), (3, "lagged", 1), (2, "lagged", 2)])
def test_mpiexec_gives_one_process_results(references, tmp_path, k, variant, threads):
    path = tmp_path / "out.npz"
    output = tmp_path / "run.h5"
    args = [SCRIPT, str(path), variant, str(threads)] + ([str(output)] if variant == "lagged" else [])
    done = _mpirun(k, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    want = references[variant]
    with np.load(path) as got:
        assert int(got["processes"]) == k
        for key, value in want.items():
            np.testing.assert_array_equal(got[key], value, err_msg=key)
    for r in range(1, k):  # every process ends with every neuron's state
        with np.load(f"{path}.rank{r}.npz") as got:
            for key in got.files:
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"rank {r}: {key}")
    if variant == "lagged":
        from test_distributed import _compare_files

        _compare_files(references["file"], output, processes=k)


ERROR_SCRIPT = """
import fastspike as fs, numpy as np
net = fs.Network(seed=1)
a = net.population(fs.LIF(tau_m=20.0, R=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0), 40)
net.connect(a, a, fs.FixedIndegree(4), delay=0.2)
{fail}
net.run(5.0, progress=False)
print("finished", net.rank, flush=True)
"""


@pytest.mark.parametrize("fail, shown", [
    # bad input: refused on every process, shown once
    ("net.connect(a, a, fs.FixedIndegree(4), delay=-1.0)", "ValueError: connect: delay=-1.0 is not allowed"),
    # one process fails on its own: every process ends, the error shown by that one
    ("if net.rank == 1:\n    raise RuntimeError('only rank 1 fails')", "RuntimeError: only rank 1 fails"),
])
def test_an_error_ends_every_process_and_is_shown_once(tmp_path, fail, shown):
    script = tmp_path / "fails.py"
    script.write_text(ERROR_SCRIPT.format(fail=fail))
    done = _mpirun(2, str(script), timeout=120)
    assert done.returncode != 0
    assert "finished" not in done.stdout
    assert done.stderr.count(shown) == 1, done.stderr[-3000:]
    assert done.stderr.count("Traceback (most recent call last)") == 1, done.stderr[-3000:]


SIGNAL_SCRIPT = """
import os, sys
sys.path.insert(0, {tests!r})
import fastspike as fs
import _distributed_net as dn
net, records = dn.build(None, "lagged")
net.run(1.0, progress=False)
with open(os.path.join({folder!r}, f"pid{{net.rank}}"), "w") as f:
    f.write(str(os.getpid()))
try:
    net.run(1e6, progress=False)
except (KeyboardInterrupt, fs.Terminated) as e:
    with open(os.path.join({folder!r}, f"stopped{{net.rank}}"), "w") as f:
        f.write(f"{{type(e).__name__}} {{net.step}}")
"""


def test_sigterm_to_one_process_stops_every_process_at_the_same_step(tmp_path):
    import signal
    import time

    script = tmp_path / "long.py"
    script.write_text(SIGNAL_SCRIPT.format(tests=HERE, folder=str(tmp_path)))
    proc = subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, str(script)], env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (tmp_path / "pid1").exists() or not (tmp_path / "pid0").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-3000:]
            time.sleep(0.1)
        time.sleep(0.5)
        os.kill(int((tmp_path / "pid1").read_text()), signal.SIGTERM)  # rank 1 only
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    stopped = [(tmp_path / f"stopped{r}").read_text().split() for r in range(2)]
    assert stopped[0] == stopped[1] and stopped[0][0] == "Terminated", stopped
    assert 10 < int(stopped[0][1]) < 10**7
