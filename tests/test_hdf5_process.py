"""HDF5 streaming seen from other processes: a writer killed with SIGKILL, a reader in SWMR
mode while the file is written, and memory that stays flat during a streamed run."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import fastspike as fs

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ROOT = Path(__file__).resolve().parents[1]

NETWORK = textwrap.dedent('''
    import fastspike as fs

    def build(n=5000):
        net = fs.Network(dt=0.1, seed=11)
        pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=n,
                             name="cells")
        pop.v[:] = net.rng.uniform(-70.0, -50.0, n)
        net.current(pop, net.rng.uniform(12.0, 30.0, n))
        return net, net.record(pop, "spikes"), net.record(pop, ["v"], neurons=[0, 1, 2], every=5)
''')

WRITER = NETWORK + textwrap.dedent('''
    import sys, time
    from fastspike.recording import hdf5

    path, duration, pause = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    original = hdf5.HDF5Writer.flush

    def flush(self):  # slow the writer down so that the test sees the run going on
        original(self)
        time.sleep(pause)

    hdf5.HDF5Writer.flush = flush
    net, spikes, trace = build()
    net.run(duration, output=path)
    print("done", len(spikes), flush=True)
''')


def reference(duration: float):
    ns: dict = {}
    exec(NETWORK, ns)
    net, spikes, trace = ns["build"]()
    net.run(duration)
    return spikes, trace


def start_writer(path: Path, duration: float, pause: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(duration), str(pause)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_progress(path: Path, proc: subprocess.Popen, steps: int, timeout: float = 120.0) -> int:
    """Wait until the writer has flushed up to ``steps``; return the progress seen."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"writer exited early: {proc.communicate()}")
        try:
            with h5py.File(path, "r", swmr=True) as f:
                progress = int(f["progress"][0])
            if progress >= steps:
                return progress
        except (OSError, KeyError):  # not created, or not yet in SWMR mode
            pass
        time.sleep(0.02)
    raise AssertionError("the writer made no progress")


def test_writer_killed_with_sigkill_leaves_a_readable_file(tmp_path):
    path = tmp_path / "killed.h5"
    proc = start_writer(path, duration=600_000.0, pause=0.1)
    try:
        wait_progress(path, proc, 30_000)  # 3 s of simulated time flushed
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # h5py opens it in SWMR read mode (a plain open may ask for ``h5clear -s``: the writer never
    # cleared its SWMR flag), and so does fs.load
    with h5py.File(path, "r", swmr=True) as f:
        assert not f.attrs["complete"] and f.attrs["status"] == "running"
        progress = int(f["progress"][0])
        assert progress >= 30_000
    spikes, trace = reference(progress * 0.1)
    with fs.load(path) as run:
        assert not run.complete and run.t_stop == pytest.approx(progress * 0.1)
        sp = run.spikes("cells")
        steps, neurons = sp.steps, sp.neurons
        assert steps.size >= len(spikes) > 10_000
        upto = steps <= progress  # everything up to the last flush, exactly as simulated
        assert np.array_equal(steps[upto], spikes.steps) and np.array_equal(neurons[upto], spikes.neurons)
        st = run.state("cells")
        k = len(trace)
        assert len(st) >= k and np.array_equal(st.v[:k], trace.v) and np.array_equal(st.steps[:k], trace.steps)


def test_file_can_be_read_by_another_process_while_it_is_written(tmp_path):
    path = tmp_path / "live.h5"
    duration = 8000.0
    proc = start_writer(path, duration=duration, pause=0.3)
    try:
        first = wait_progress(path, proc, 10_000)
        with fs.load(path) as run:  # a second process, in SWMR read mode, during the run
            assert not run.complete and run.metadata["status"] == "running"
            a = run.spikes("cells").steps
            assert a.size > 0 and run.t_stop >= first * 0.1
            later = wait_progress(path, proc, first + 1)
            run.refresh()
            b = run.spikes("cells").steps
            assert run.t_stop >= later * 0.1 > first * 0.1
        assert b.size > a.size and np.array_equal(b[: a.size], a)  # the file only grows
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    spikes, trace = reference(duration)
    with fs.load(path) as run:
        assert run.complete and np.array_equal(run.spikes("cells").steps, spikes.steps)
        assert np.array_equal(run.spikes("cells").neurons, spikes.neurons)
        assert np.array_equal(run.state("cells").v, trace.v)


MEMORY = textwrap.dedent('''
    import json, sys
    import numpy as np
    import fastspike as fs
    from fastspike.backends.cpu.engine import CPUEngine

    def rss():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) * 1024

    samples = []
    original = CPUEngine._drain

    def drain(self):
        original(self)
        samples.append(rss())

    CPUEngine._drain = drain
    net = fs.Network(dt=0.1, seed=3)
    n = 20000
    pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=n)
    pop.v[:] = net.rng.uniform(-70.0, -50.0, n)
    net.current(pop, net.rng.uniform(20.0, 40.0, n))
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, ["v"], neurons=range(100), every=10)
    net.run(2000.0, output=sys.argv[1])  # warm-up: compile, buffers, HDF5's caches (~20 MB) filled
    result = {}
    for name, output in (("streamed", sys.argv[1]), ("memory", None)):
        samples.clear()
        net.run(6000.0, output=output)
        result[name] = samples[:]
    result["spikes"] = len(spikes)
    print(json.dumps(result))
''')


def test_memory_stays_flat_while_streaming(tmp_path):
    """RSS sampled at every drain of a 6 s run of 20000 fast-firing neurons (about 11 million
    spikes): flat when streamed (+0.4 MB measured), growing when kept in memory (+130 MB)."""
    proc = subprocess.run([sys.executable, "-c", MEMORY, str(tmp_path / "mem.h5")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    streamed, memory = np.array(result["streamed"]), np.array(result["memory"])
    assert len(streamed) >= 6 and result["spikes"] > 4_000_000
    mb = 1 << 20
    held = memory[-1] - memory[0]  # what keeping the records of the run in memory takes
    assert held > 40 * mb, f"the test cannot see memory grow: {held / mb:.1f} MB"
    growth = streamed.max() - streamed[0]
    assert growth < held / 10, f"RSS grew by {growth / mb:.1f} MB while streaming: {streamed // mb}"
