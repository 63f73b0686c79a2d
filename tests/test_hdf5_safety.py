"""Nothing recorded is lost, and every file is either readable or refused clearly (issue 18,
part 2, items 1-5 and 12): truncated files, SIGTERM, a second writer, full disks, full memory,
names, future versions, a writer killed while creating its file.

Each failure was reproduced first on the code before the fix (``fs.load`` hung on a file cut
in its first 32 KB and reported ``complete=True`` for one cut later; SIGTERM left ``status =
"running"``; ``overwrite=True`` replaced a file another process was writing; after a full disk
the file claimed rows it did not have and could not be appended to; ...). Processes that are
killed, or that limit their own memory or file size, run in subprocesses with timeouts, so a
hang is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
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
from fastspike.recording import files

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals, locks and limits")

ROOT = Path(__file__).resolve().parents[1]
DT = 0.1

NETWORK = textwrap.dedent('''
    import fastspike as fs

    def build(n=3000, seed=11, names=("cells",)):
        net = fs.Network(dt=0.1, seed=seed)
        out = []
        for name in names:
            pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=n,
                                 name=name)
            pop.v[:] = net.rng.uniform(-70.0, -50.0, n)
            net.current(pop, net.rng.uniform(12.0, 30.0, n))
            out += [net.record(pop, "spikes"), net.record(pop, ["v"], neurons=[0, 1, 2], every=5)]
        return (net, *out)
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
    try:
        net.run(duration, output=path, overwrite=len(sys.argv) > 4)
    finally:
        print("stopped at", net.step, flush=True)
''')


def reference(duration: float):
    ns: dict = {}
    exec(NETWORK, ns)
    net, spikes, trace = ns["build"]()
    net.run(duration)
    return spikes, trace


def start_writer(path: Path, duration: float, pause: float, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(duration), str(pause), *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_progress(path: Path, proc: subprocess.Popen, steps: int, timeout: float = 120.0) -> int:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"writer exited early: {proc.communicate()}")
        try:
            with h5py.File(path, "r", swmr=True) as f:
                progress = int(f["progress"][0])
            if progress >= steps:
                return progress
        except (OSError, KeyError):
            pass
        time.sleep(0.02)
    raise AssertionError("the writer made no progress")


def finish(proc: subprocess.Popen, timeout: float = 120.0):
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    """A complete file of about 200 kB, and the spikes it holds."""
    path = tmp_path_factory.mktemp("small") / "run.h5"
    ns: dict = {}
    exec(NETWORK, ns)
    net, spikes, trace = ns["build"](n=3000)
    net.run(1500.0, output=path)
    return path, spikes.steps.copy()


# --------------------------------------------------------------------------------------------
# item 1: truncated files
# --------------------------------------------------------------------------------------------
LOAD_CUTS = textwrap.dedent('''
    import json, sys
    import fastspike as fs
    out = {}
    for path in sys.argv[1:]:
        try:
            with fs.load(path) as run:
                n = len(run.spikes("cells").steps)
                out[path] = ["opened", run.complete, n]
        except Exception as e:
            out[path] = [type(e).__name__, str(e)]
    print(json.dumps(out))
''')


def test_truncated_files_are_refused_instead_of_hanging(small_file, tmp_path):
    """Cut within its first 32 kB a file made fs.load hang inside HDF5 (SWMR read mode skips
    HDF5's end-of-file check); cut later it opened with complete=True and failed when read."""
    path, steps = small_file
    data = path.read_bytes()
    assert len(data) > 64_000
    cuts = [7, 40, 100, 2_000, 20_000, 32_000, len(data) // 2, len(data) - 1]
    paths = []
    for cut in cuts:
        p = tmp_path / f"cut{cut}.h5"
        p.write_bytes(data[:cut])
        paths.append(str(p))
    whole = tmp_path / "whole.h5"
    shutil.copy(path, whole)
    proc = subprocess.run([sys.executable, "-c", LOAD_CUTS, *paths, str(whole)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for cut, p in zip(cuts, paths):
        kind, message = out[p][:2]
        assert kind == "DamagedFileError", (cut, out[p])
        if cut >= 100:
            assert f"is truncated: HDF5 says it ends at byte {len(data)}, but it has only {cut} bytes" in message
        else:
            assert "truncated" in message or "not an HDF5 file" in message
    assert out[str(whole)] == ["opened", True, int(steps.size)]
    with pytest.raises(files.DamagedFileError, match="truncated"):  # in this process too, at once
        fs.load(paths[-1])


# --------------------------------------------------------------------------------------------
# item 2: SIGTERM, and telling a killed writer from a live one
# --------------------------------------------------------------------------------------------
def test_sigterm_finishes_the_chunk_flushes_and_marks_the_file(tmp_path):
    """SIGTERM used to kill the run as SIGKILL does: status stayed "running", the last second lost."""
    path = tmp_path / "term.h5"
    proc = start_writer(path, 600_000.0, 0.2)
    try:
        wait_progress(path, proc, 20_000)
        with fs.load(path) as run:  # a live writer
            assert run.writer_alive and not run.killed and run.status == "running"
        proc.send_signal(signal.SIGTERM)
        out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err  # 128 + SIGTERM, as a shell reports it, without a traceback
    assert "Traceback" not in err
    stopped = int(out.split("stopped at")[1].split()[0])
    with h5py.File(path, "r") as f:  # closed properly: plain h5py opens it
        assert not f.attrs["complete"] and f.attrs["status"].startswith("interrupted by SIGTERM at t = ")
        assert int(f["progress"][0]) == int(f.attrs["step_stop"]) == stopped
    spikes, trace = reference(stopped * DT)
    with fs.load(path) as run:
        assert not run.writer_alive and not run.killed and run.t_stop == pytest.approx(stopped * DT)
        assert np.array_equal(run.spikes("cells").steps, spikes.steps)  # everything up to the stop
        assert np.array_equal(run.spikes("cells").neurons, spikes.neurons)
        assert np.array_equal(run.state("cells").v, trace.v)
    assert not files.lock_path(path).exists()


IN_MEMORY_TERM = NETWORK + textwrap.dedent('''
    import json, os, signal, threading
    import fastspike as fs

    net, spikes, trace = build(n=3000)
    net.run(0.1)  # compiled before the signal is armed
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)).start()
    try:
        net.run(600_000.0)
        caught = None
    except fs.Terminated as e:
        caught = [type(e).__name__, e.code]
    print(json.dumps(dict(caught=caught, step=net.step, n=len(spikes), samples=len(trace))))
    np_ = __import__("numpy")
    np_.save("term_steps.npy", spikes.steps)
    np_.save("term_v.npy", trace.v)
''')


def test_sigterm_during_an_in_memory_run_raises_terminated_with_the_records_whole(tmp_path):
    """Without an output file, SIGTERM ends the run after its chunk with fs.Terminated (a
    SystemExit with code 143) that a script may catch; the records hold every step run."""
    proc = subprocess.run([sys.executable, "-c", IN_MEMORY_TERM], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["caught"] == ["Terminated", 143]
    assert 1 < r["step"] < 6_000_000  # stopped early, after some steps
    spikes, trace = reference(r["step"] * DT)
    assert r["n"] == len(spikes) and r["samples"] == len(trace)
    assert np.array_equal(np.load(tmp_path / "term_steps.npy"), spikes.steps)
    assert np.array_equal(np.load(tmp_path / "term_v.npy"), trace.v)


def test_a_reader_tells_a_killed_writer_from_a_live_one(tmp_path):
    path = tmp_path / "killed.h5"
    proc = start_writer(path, 600_000.0, 0.2)
    try:
        wait_progress(path, proc, 10_000)
        with fs.load(path) as run:
            assert run.writer_alive and run.status == "running" and not run.killed
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with fs.load(path) as run:
        assert not run.writer_alive and run.killed and not run.complete
        assert run.status.startswith("killed: the writer stopped without closing the file; it holds t <= ")
        assert "killed" in repr(run)
    # its stale lock does not block the next writer
    ns: dict = {}
    exec(NETWORK, ns)
    net = ns["build"](n=50)[0]
    net.run(5.0, output=path, overwrite=True)
    with fs.load(path) as run:
        assert run.complete and not run.killed


# --------------------------------------------------------------------------------------------
# item 3: a second writer
# --------------------------------------------------------------------------------------------
def test_a_file_being_written_is_not_replaced_by_another_process(tmp_path):
    """overwrite=True used to replace the file of a live writer, whose cleanup then wrote into
    the new file."""
    path = tmp_path / "shared.h5"
    proc = start_writer(path, 6_000.0, 0.3)
    try:
        wait_progress(path, proc, 10_000)
        ns: dict = {}
        exec(NETWORK, ns)
        net, spikes, _ = ns["build"](n=50, seed=3)
        with pytest.raises(FileExistsError, match=rf"is being written by process {proc.pid} on host .*; it cannot "
                                                  rf"be replaced or appended to while that run goes on"):
            net.run(10.0, output=path, overwrite=True)
        assert net.step == 0
        out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    ref, _ = reference(6_000.0)
    with fs.load(path) as run:  # the first writer's file is whole
        assert run.complete and np.array_equal(run.spikes("cells").steps, ref.steps)
    net.run(10.0, output=path, overwrite=True)  # once it finished, it can be replaced
    with fs.load(path) as run:
        assert run.complete and run.t_stop == pytest.approx(10.0)


def test_a_writer_never_touches_a_file_it_did_not_create(tmp_path):
    path = tmp_path / "run.h5"
    ns: dict = {}
    exec(NETWORK, ns)
    first = ns["build"](n=40, seed=1)[0]
    first.run(20.0, output=path)
    second, spikes, _ = ns["build"](n=40, seed=2)
    second.run(30.0, output=path, overwrite=True)  # replaces it, between runs of the first
    with pytest.raises(FileExistsError, match="not written by this network"):
        first.run(20.0, output=path)
    with fs.load(path) as run:
        assert run.complete and run.t_stop == pytest.approx(30.0) and run.metadata["seed"] == 2
        assert np.array_equal(run.spikes("cells").steps, spikes.steps)


# --------------------------------------------------------------------------------------------
# item 5: full disks (the process's file size limit, RLIMIT_FSIZE, stands for a full device)
# --------------------------------------------------------------------------------------------
DISK_FULL = NETWORK + textwrap.dedent('''
    import json, os, resource, signal, sys
    import numpy as np

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
    folder = sys.argv[1]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    result = {}

    def limit(n):
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, hard))

    # a run refused at the start: nothing is left at the path, and the next run is not blocked
    net, spikes, trace = build(n=200)
    net.run(1.0)
    path = os.path.join(folder, "refused.h5")
    limit(500_000)
    try:
        net.run(100.0, output=path)
    except OSError as e:
        result["refused"] = [type(e).__name__, e.errno, str(e)]
    limit(soft)
    result["refused_left"] = sorted(os.listdir(folder))
    net.run(10.0, output=path)
    result["refused_then"] = os.path.exists(path)

    # a run stopped by a full disk in the middle
    net, spikes, trace = build(n=3000)
    net.run(0.1)
    path = os.path.join(folder, "full.h5")
    limit(1_800_000)
    try:
        net.run(3000.0, output=path)
    except OSError as e:
        result["error"] = [type(e).__name__, e.errno, str(e)]
    limit(soft)
    result["t"] = net.t
    with fs.load(path) as run:
        sp = run.spikes("cells")
        result["file"] = dict(complete=run.complete, t_stop=run.t_stop, status=run.status, n=len(sp),
                              max_step=int(sp.steps.max()) if len(sp) else -1, samples=len(run.state("cells")),
                              progress=int(run.file["progress"][0]), step_stop=int(run.metadata["step_stop"]))
    result["record"] = [len(spikes), len(trace), float(spikes.times[-1]), len(spikes.files)]
    np.save(os.path.join(folder, "record_steps.npy"), spikes.steps)
    np.save(os.path.join(folder, "record_v.npy"), trace.v)
    net.run(500.0, output=path)  # space freed: the same network appends
    with fs.load(path) as run:
        result["after"] = dict(complete=run.complete, t_stop=run.t_stop, n=len(run.spikes("cells")))
        np.save(os.path.join(folder, "file_steps.npy"), run.spikes("cells").steps)
        np.save(os.path.join(folder, "file_v.npy"), run.state("cells").v)

    # the disk full before the first flush of a new file: it holds 0 rows and says t <= 0 ms
    net, spikes, trace = build(n=3000)
    path = os.path.join(folder, "empty.h5")
    limit(1_200_000)
    try:
        net.run(3000.0, output=path)
    except OSError as e:
        result["empty_error"] = type(e).__name__
    limit(soft)
    with fs.load(path) as run:
        result["empty"] = dict(complete=run.complete, t_stop=run.t_stop, n=len(run.spikes("cells")),
                               samples=len(run.state("cells")), status=run.status)

    # a run appending to a complete file, refused at its start: the file still says how its last run ended
    net, spikes, trace = build(n=3000)
    path = os.path.join(folder, "append.h5")
    net.run(10.0, output=path)
    limit(os.path.getsize(path) + 2000)
    try:
        net.run(3000.0, output=path)
    except OSError as e:
        result["append_error"] = type(e).__name__
    limit(soft)
    with fs.load(path) as run:
        result["append"] = dict(complete=run.complete, t_stop=run.t_stop, n=len(run.spikes("cells")),
                                status=run.status, runs=int(run.metadata["runs"]), t=net.t, held=len(spikes))
    print(json.dumps(result))
''')


def test_a_full_disk_leaves_a_file_that_says_what_it_holds_and_can_be_appended(tmp_path):
    """Was: after the error the network could not append to its own file ("already open for
    write"), fs.load showed 0 rows and a wrong t_stop, and a refused run left a 0-byte file
    that blocked the next one."""
    folder = tmp_path / "out"
    folder.mkdir()
    proc = subprocess.run([sys.executable, "-c", DISK_FULL, str(folder)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    # refused before anything was created
    name, code, message = r["refused"]
    assert name == "DiskFullError" and code == 28 and "no room left for the output file" in message
    assert r["refused_left"] == [] and r["refused_then"]
    # stopped in the middle: the file holds exactly its last flush, and says so
    name, code, message = r["error"]
    assert name == "DiskFullError" and code == 28 and "free some space and run again with the same output" in message
    f = r["file"]
    assert not f["complete"] and f["progress"] == f["step_stop"] and f["t_stop"] == pytest.approx(f["step_stop"] * DT)
    assert f["max_step"] <= f["step_stop"] and f["t_stop"] < r["t"]
    assert f["status"].startswith("interrupted by DiskFullError at t = ")
    assert f"the file holds t <= {f['t_stop']:g} ms, the records keep the rest in memory" in f["status"]
    spikes, trace = reference(r["t"])
    expected = np.searchsorted(spikes.steps, f["step_stop"], side="right")
    assert f["n"] == expected > 0
    # the records keep everything: what the file holds, then the rest in memory
    n, samples, last, nfiles = r["record"]
    assert n == len(spikes) and samples == len(trace) and nfiles == 1
    assert np.array_equal(np.load(folder / "record_steps.npy"), spikes.steps)
    assert np.array_equal(np.load(folder / "record_v.npy"), trace.v)
    # and once there is room, the network appends to its own file: nothing is missing
    spikes, trace = reference(r["t"] + 500.0)
    assert r["after"]["complete"] and r["after"]["t_stop"] == pytest.approx(r["t"] + 500.0)
    assert np.array_equal(np.load(folder / "file_steps.npy"), spikes.steps)
    assert np.array_equal(np.load(folder / "file_v.npy"), trace.v)
    # full before the first flush of a new file (was: 0 rows and t_stop = 26.2 ms)
    assert r["empty_error"] == "DiskFullError"
    e = r["empty"]
    assert not e["complete"] and e["n"] == 0 and e["samples"] == 0 and e["t_stop"] == 0.0
    assert "the file holds t <= 0 ms" in e["status"]
    # an append refused at its start leaves the file as its last run ended (was: marked "killed")
    assert r["append_error"] == "DiskFullError"
    a = r["append"]
    spikes, _ = reference(10.0)
    assert a["complete"] and a["status"] == "complete" and a["t_stop"] == pytest.approx(10.0) and a["runs"] == 1
    assert a["t"] == pytest.approx(10.0) and a["n"] == a["held"] == len(spikes)


# --------------------------------------------------------------------------------------------
# item 4: full memory
# --------------------------------------------------------------------------------------------
FULL_MEMORY = textwrap.dedent('''
    import json, resource, warnings
    import numpy as np
    import fastspike as fs

    def build():
        net = fs.Network(dt=0.1, seed=5)
        pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0, t_ref=1.0), n=40000)
        net.current(pop, net.rng.uniform(30.0, 60.0, 40000))
        return net, net.record(pop, "spikes")

    def vm():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmSize")) * 1024

    net, spikes = build()
    net.run(0.1)  # compiled before memory is limited
    spikes.clear()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (vm() + 400 * 2**20, hard))
    result = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            net.run(60_000.0)
        except MemoryError as e:
            result["error"] = str(e)
    result["warnings"] = [str(w.message) for w in caught if issubclass(w.category, fs.resources.MemoryWarning)]
    held = len(spikes)
    times = spikes.times  # readable while memory is still limited
    result["held"] = held
    last = float(times[-1])
    result["times_ok"] = bool(times.size == held and times[0] > 0)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    result["times_ok"] &= bool(np.all(np.diff(times) >= 0))
    ref_net, ref = build()
    ref_net.run(last)
    result["prefix"] = bool(np.array_equal(spikes.steps, ref.steps[:held]) and np.array_equal(spikes.neurons,
                                                                                               ref.neurons[:held]))
    result["t"] = net.t
    print(json.dumps(result))
''')


def test_records_stay_readable_after_a_memory_error(tmp_path):
    """Was: at MemoryError everything recorded was lost (even reading spikes.times failed)."""
    proc = subprocess.run([sys.executable, "-c", FULL_MEMORY], capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "ran out of memory" in r["error"] and "what was recorded before stays readable" in r["error"]
    assert "output='run.h5'" in r["error"]
    assert r["held"] > 5_000_000 and r["times_ok"] and r["prefix"]
    assert any("output='run.h5'" in w for w in r["warnings"]), r["warnings"]


# --------------------------------------------------------------------------------------------
# item 12: names, future versions, a writer killed while creating its file
# --------------------------------------------------------------------------------------------
def test_population_names_do_not_collide_in_the_file(tmp_path):
    """'x/y' and 'x_y' used to share the group 'x_y'."""
    ns: dict = {}
    exec(NETWORK, ns)
    net, *recs = ns["build"](n=30, names=("x/y", "x_y", ".", "a%2Fb"))
    net.run(50.0, output=tmp_path / "names.h5")
    with h5py.File(tmp_path / "names.h5", "r") as f:
        assert sorted(f["populations"]) == sorted(["x%2Fy", "x_y", "%2E", "a%252Fb"])
        assert sorted(f["spikes"]) == sorted(f["populations"])
    with fs.load(tmp_path / "names.h5") as run:
        assert set(run.populations) == {"x/y", "x_y", ".", "a%2Fb"}
        for name, spikes in zip(("x/y", "x_y", ".", "a%2Fb"), recs[0::2]):
            assert run.spikes(name).population == name
            assert np.array_equal(run.spikes(name).steps, spikes.steps) and len(spikes) > 0
    for name in ("x/y", "x_y", ".", "a%2Fb", "", "%00"):
        assert files.unlink_name(files.link_name(name)) == name


def test_a_file_from_a_newer_fastspike_is_refused(tmp_path):
    path = tmp_path / "future.h5"
    ns: dict = {}
    exec(NETWORK, ns)
    net = ns["build"](n=20)[0]
    net.run(5.0, output=path)
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(ValueError, match=r"has format_version 99, written by fastspike .*; this fastspike .* reads "
                                         r"versions 1, 2: upgrade fastspike"):
        fs.load(path)
    with pytest.raises(ValueError, match=r"format_version 99"):
        net.run(5.0, output=path)  # not appended to either
    assert net.step == 50
    with h5py.File(path, "r") as f:
        assert f.attrs["runs"] == 1 and f.attrs["format_version"] == 99


KILLED_WHILE_CREATING = NETWORK + textwrap.dedent('''
    import os, signal, sys
    from fastspike.recording import hdf5

    def die(self, f):
        os.kill(os.getpid(), signal.SIGKILL)

    hdf5.HDF5Writer._write_projections = die
    net = build(n=20)[0]
    net.run(5.0, output=sys.argv[1])
''')


def test_a_writer_killed_while_creating_its_file_leaves_nothing_in_the_way(tmp_path):
    """Was: a 48-byte unreadable file that blocked the next run."""
    path = tmp_path / "new.h5"
    proc = subprocess.run([sys.executable, "-c", KILLED_WHILE_CREATING, str(path)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == -signal.SIGKILL
    assert not path.exists()
    with pytest.raises(FileNotFoundError):
        fs.load(path)
    ns: dict = {}
    exec(NETWORK, ns)
    net = ns["build"](n=20)[0]
    net.run(5.0, output=path)  # no overwrite needed
    with fs.load(path) as run:
        assert run.complete
