"""Streaming records to HDF5 (``net.run(..., output=path)``) and reading them back (``fs.load``).

Round trip bit for bit against in-memory records, the self-describing layout read with plain
h5py, appends across runs, interrupted runs (exception, Ctrl-C), bad inputs, plots of loaded
records. Crashes, concurrent readers and bounded memory: tests/test_hdf5_process.py.
"""
from __future__ import annotations

import json
import os
import signal

import h5py
import numpy as np
import pytest

import fastspike as fs
from fastspike.backends.cpu.engine import CPUEngine

DT = 0.1


def small_network(seed: int = 7, dtype: str = "float64", n_exc: int = 400, n_inh: int = 100):
    """Two LIF populations, a projection, Poisson afferents, a Poisson source, four records."""
    net = fs.Network(dt=DT, seed=seed, dtype=dtype)
    lif = dict(tau_m=20.0, v_rest=-60.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0)
    exc = net.population(fs.LIF(**lif), n=n_exc, name="exc")
    inh = net.population(fs.LIF(**{**lif, "tau_m": net.rng.uniform(8.0, 12.0, n_inh)}), n=n_inh, name="inh")
    src = net.population(fs.PoissonSource(rate=20.0), n=50, name="src")
    exc.v[:] = net.rng.uniform(-65.0, -50.0, n_exc)
    net.connect(exc, inh, fs.FixedProbability(0.1), synapse=fs.ExpCurrent(5.0), weight=0.5, delay=1.0)
    net.connect(inh, exc, fs.FixedProbability(0.1), synapse=fs.ExpCurrent(10.0), weight=fs.Normal(-1.0, 0.1),
                delay=fs.Uniform(0.5, 2.0))
    net.connect(src, exc, fs.FixedIndegree(5), synapse=fs.Delta(), weight=0.5)
    net.poisson_input(exc, n=100, rate=15.0, weight=1.6, synapse=fs.ExpCurrent(5.0))
    net.current(inh, 11.0)
    recs = {
        "exc": net.record(exc, "spikes"),
        "inh": net.record(inh, "spikes", neurons=range(0, n_inh, 3)),
        "src": net.record(src, "spikes"),
        "trace": net.record(exc, ["v", "I"], neurons=[0, 3, 17], every=3),
    }
    return net, recs


def assert_same_records(a: dict, b: dict) -> None:
    for key in ("exc", "inh", "src"):
        assert np.array_equal(a[key].steps, b[key].steps), key
        assert np.array_equal(a[key].neurons, b[key].neurons), key
        assert a[key].neurons.dtype == b[key].neurons.dtype and a[key].steps.dtype == b[key].steps.dtype
    for var in ("v", "I"):
        assert np.array_equal(a["trace"][var], b["trace"][var]), var
        assert a["trace"][var].dtype == b["trace"][var].dtype
    assert np.array_equal(a["trace"].steps, b["trace"].steps)


# --------------------------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_streamed_records_equal_memory_records_bit_for_bit(tmp_path, dtype):
    path = tmp_path / "run.h5"
    mem_net, mem = small_network(dtype=dtype)
    out_net, out = small_network(dtype=dtype)
    for duration in (1500.0, 700.0):  # the second run appends
        mem_net.run(duration)
        out_net.run(duration, output=path)
    assert min(len(mem["exc"]), len(mem["inh"]), len(mem["src"])) > 1000 and len(mem["trace"]) == 22000 // 3
    # the records of the network read their rows back from the file; nothing stays in memory
    assert out["exc"].files == [str(path)] and len(out["exc"]._steps) == 0 and len(out["trace"]._steps) == 0
    assert_same_records(mem, out)
    with fs.load(path) as run:
        loaded = {"exc": run.spikes("exc"), "inh": run.spikes("inh"), "src": run.spikes("src"),
                  "trace": run.state("exc")}
        assert_same_records(mem, loaded)
        assert np.allclose(loaded["exc"].times, mem["exc"].times, rtol=0, atol=0)
        assert loaded["inh"].n == mem["inh"].n == 34 and loaded["exc"].n == 400
        assert np.array_equal(loaded["inh"].selection, np.arange(0, 100, 3))
        assert np.array_equal(loaded["trace"].neurons, [0, 3, 17]) and loaded["trace"].every == 3
        assert np.array_equal(loaded["trace"].times, mem["trace"].times)
        assert np.array_equal(loaded["exc"].counts(), mem["exc"].counts())
        assert run.complete and run.t_stop == pytest.approx(2200.0) and run.metadata["runs"] == 2


def test_memory_runs_before_and_between_streamed_runs_end_up_in_the_file(tmp_path):
    path = tmp_path / "run.h5"
    mem_net, mem = small_network()
    out_net, out = small_network()
    for duration, output in ((300.0, None), (400.0, path), (200.0, None), (300.0, path), (100.0, None)):
        mem_net.run(duration)
        out_net.run(duration, output=output)
    assert_same_records(mem, out)  # file rows, then the rows of the last run, in memory
    assert len(out["exc"]._steps) > 0
    with fs.load(path) as run:  # the file has everything up to the end of the last streamed run
        sp = run.spikes("exc")
        keep = mem["exc"].steps <= 12000
        assert np.array_equal(sp.steps, mem["exc"].steps[keep])
        assert np.array_equal(sp.neurons, mem["exc"].neurons[keep])
        assert run.t_stop == pytest.approx(1200.0)


def test_clear_forgets_what_was_streamed_but_the_file_keeps_it(tmp_path):
    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(300.0, output=path)
    n_before = len(recs["exc"])
    recs["exc"].clear()
    assert len(recs["exc"]) == 0 and recs["exc"].steps.size == 0
    net.run(200.0, output=path)
    assert recs["exc"].steps.min() > 3000 and len(recs["exc"]) > 0
    with fs.load(path) as run:
        assert len(run.spikes("exc")) == n_before + len(recs["exc"])
        assert np.array_equal(run.spikes("exc").steps[n_before:], recs["exc"].steps)


def test_record_added_between_streamed_runs_gets_its_own_group(tmp_path):
    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(200.0, output=path)
    extra = net.record(net.populations[0], "spikes", neurons=[1, 2, 3])
    late = net.record(net.populations[1], ["v"], every=10)
    net.run(200.0, output=path)
    with fs.load(path) as run:
        assert run.spike_records == ["exc", "exc_1", "inh", "src"]
        assert np.array_equal(run.spikes("exc_1").steps, extra.steps) and extra.steps.min() > 2000
        assert run.spikes("exc_1").t_start == pytest.approx(200.0)
        assert run.state("inh").v.shape == (200, 100) and np.array_equal(run.state("inh").v, late.v)
        with pytest.raises(KeyError, match="no spikes record of 'exc_x'"):
            run.spikes("exc_x")
        assert run.state("exc", "I").name == "exc" and run.state("inh").variables == ("v",)


def test_rows_are_flushed_at_least_every_simulated_second(tmp_path, monkeypatch):
    from fastspike.recording.hdf5 import HDF5Writer

    net, recs = small_network()
    flushed = []
    original = HDF5Writer.flush

    def flush(self):
        original(self)
        if self.file is not None:
            with h5py.File(self.path, "r", swmr=True) as f:  # what another process sees now
                flushed.append((self.net.step, int(f["progress"][0]), f["spikes/exc/steps"].shape[0]))

    monkeypatch.setattr(HDF5Writer, "flush", flush)
    net.run(5500.0, output=tmp_path / "run.h5", progress=False)
    steps = [s for s, _, _ in flushed]
    assert steps[:5] == [10000, 20000, 30000, 40000, 50000] and steps[-1] == 55000
    assert all(p == s for s, p, _ in flushed)  # the progress mark follows the rows it vouches for
    all_steps = recs["exc"].steps
    for step, _, rows in flushed:
        assert rows >= np.searchsorted(all_steps, step, side="right")


# --------------------------------------------------------------------------------------------
# layout: plain h5py, self-describing
# --------------------------------------------------------------------------------------------
def test_layout_is_self_describing_with_plain_h5py(tmp_path):
    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(500.0, output=path, connectivity=True)
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert a["format"] == "fastspike-hdf5" and a["format_version"] == 2
        assert a["dt"] == DT and a["seed"] == 7 and a["backend"] == "cpu" and a["dtype"] == "float64"
        for key in ("fastspike_version", "numpy_version", "numba_version", "h5py_version", "hdf5_version",
                    "created", "modified", "file_id"):
            assert isinstance(a[key], str) and a[key], key
        assert a["numpy_version"] == np.__version__ and a["h5py_version"] == h5py.__version__
        assert a["time_unit"] == "ms" and a["voltage_unit"] == "mV" and a["rate_unit"] == "Hz"
        assert bool(a["complete"]) and a["status"] == "complete" and a["t_stop"] == pytest.approx(500.0)
        assert f["progress"][0] == 5000
        # populations: model, size, parameters (scalars as attributes, per-neuron arrays as datasets)
        exc, inh = f["populations/exc"], f["populations/inh"]
        assert exc.attrs["model"] == "LIF" and exc.attrs["n"] == 400 and exc.attrs["integrator"] == "exact"
        assert exc["parameters"].attrs["tau_m"] == 20.0 and exc["parameters"].attrs["v_thresh"] == -50.0
        assert json.loads(exc.attrs["parameter_units"])["tau_m"] == "ms"
        assert inh["parameters/tau_m"].shape == (100,) and inh["parameters/tau_m"].attrs["unit"] == "ms"
        assert np.array_equal(inh["parameters/tau_m"][()], net.populations[1].model.params["tau_m"])
        assert f["populations/src"].attrs["model"] == "PoissonSource"
        assert "PoissonInput(n=100" in exc.attrs["inputs"]
        # projections: summary and full connectivity
        p0, p1 = f["projections/0"], f["projections/1"]
        assert p0.attrs["pre"] == "exc" and p0.attrs["post"] == "inh"
        assert p0.attrs["connector"] == "FixedProbability(0.1)" and "ExpCurrent" in p0.attrs["synapse"]
        for g, proj in ((p0, net.projections[0]), (p1, net.projections[1])):
            assert g.attrs["n_synapses"] == proj.n_synapses
            assert np.array_equal(g["indptr"][()], proj.indptr)
            assert np.array_equal(g["targets"][()], proj.targets)
            assert g["targets"].dtype == np.int32 and proj._targets.dtype == np.uint16  # the file's type kept
            assert np.array_equal(np.broadcast_to(g["weights"][()], (proj.n_synapses,)), proj.weights)
            assert np.array_equal(g["delays"][()], proj.delays)
        # spikes: int64 step + int32 neuron columns, chunked and compressed
        steps, neurons = f["spikes/exc/steps"], f["spikes/exc/neurons"]
        assert steps.dtype == np.int64 and neurons.dtype == np.int32
        assert steps.compression == "gzip" and steps.shuffle and steps.maxshape == (None,)
        assert np.array_equal(steps[()] * a["dt"], recs["exc"].times)
        assert f["spikes/exc"].attrs["population"] == "exc" and f["spikes/exc"].attrs["n"] == 400
        # state samples: steps, neuron indices, one (samples, neurons) dataset per variable with its unit
        st = f["state/exc"]
        assert json.loads(st.attrs["variables"]) == ["v", "I"] and st.attrs["every"] == 3
        assert np.array_equal(st["neurons"][()], [0, 3, 17]) and st["v"].shape == (5000 // 3, 3)
        assert st["v"].attrs["unit"] == "mV" and st["v"].dtype == np.float64


def test_connectivity_is_left_out_unless_asked(tmp_path):
    net, _ = small_network()
    net.run(10.0, output=tmp_path / "a.h5")
    with fs.load(tmp_path / "a.h5") as run:
        assert run.projections[0]["n_synapses"] == net.projections[0].n_synapses
        assert not run.projections[0]["has_connectivity"]
        with pytest.raises(KeyError, match="connectivity=True"):
            run.connectivity(0)
    net.run(10.0, output=tmp_path / "a.h5", connectivity=True)  # added when appending
    with fs.load(tmp_path / "a.h5") as run:
        assert np.array_equal(run.connectivity(2)["targets"], net.projections[2].targets)


# --------------------------------------------------------------------------------------------
# safe files: no overwrite, bad inputs
# --------------------------------------------------------------------------------------------
def test_existing_file_is_not_overwritten_without_overwrite_true(tmp_path):
    path = tmp_path / "run.h5"
    path.write_bytes(b"precious data")
    net, recs = small_network()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        net.run(10.0, output=path)
    assert path.read_bytes() == b"precious data" and net.step == 0
    other, _ = small_network()
    other.run(10.0, output=tmp_path / "other.h5")
    with pytest.raises(FileExistsError, match="not written by this network"):
        net.run(10.0, output=tmp_path / "other.h5")  # a file another network wrote
    net.run(10.0, output=path, overwrite=True)
    with fs.load(path) as run:
        assert run.complete and run.t_stop == pytest.approx(10.0)


@pytest.mark.parametrize("case", ["missing folder", "unwritable folder", "folder", "not a path", "overwrite flag"])
def test_bad_output_is_refused_before_the_run(tmp_path, case):
    net, recs = small_network()
    kwargs = {}
    if case == "missing folder":
        output, error, match = tmp_path / "nope" / "run.h5", FileNotFoundError, "does not exist"
    elif case == "unwritable folder":
        output, error, match = "/proc/fastspike-test-run.h5", PermissionError, "not writable"
    elif case == "folder":
        output, error, match = tmp_path, IsADirectoryError, "is a folder"
    elif case == "not a path":
        output, error, match = 42, TypeError, "file path"
    else:
        output, error, match = tmp_path / "run.h5", TypeError, "overwrite"
        kwargs = {"overwrite": "yes"}
    with pytest.raises(error, match=match):
        net.run(100.0, output=output, **kwargs)
    assert net.step == 0 and len(recs["exc"]) == 0 and net._engine is None  # nothing ran, nothing compiled
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_for_unprivileged_users(tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        net, _ = small_network()
        with pytest.raises(PermissionError, match="not writable"):
            net.run(10.0, output=folder / "run.h5")
    finally:
        folder.chmod(0o700)


def test_bad_records_are_refused_and_nothing_written_is_lost(tmp_path):
    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(300.0, output=path)
    spikes = recs["exc"].steps.copy()
    exc = net.populations[0]
    with pytest.raises(ValueError, match="no variable 'w'"):
        net.record(exc, ["v", "w"])
    with pytest.raises(ValueError, match="out of range"):
        net.record(exc, ["v"], neurons=[0, 400])
    with pytest.raises(ValueError, match="out of range"):
        net.record(exc, "spikes", neurons=[-1])
    with pytest.raises(FileNotFoundError):
        net.run(100.0, output=tmp_path / "missing" / "x.h5")
    assert np.array_equal(recs["exc"].steps, spikes) and net.step == 3000
    with fs.load(path) as run:
        assert run.complete and np.array_equal(run.spikes("exc").steps, spikes)
    net.run(100.0, output=path)  # and the file can still be appended to
    with fs.load(path) as run:
        assert run.t_stop == pytest.approx(400.0) and np.array_equal(run.spikes("exc").steps[: spikes.size], spikes)


def test_a_file_open_for_reading_in_this_process_is_reported(tmp_path):
    path = tmp_path / "run.h5"
    net, _ = small_network()
    net.run(50.0, output=path)
    run = fs.load(path)
    try:
        with pytest.raises(OSError, match="Close it first"):
            net.run(50.0, output=path)
    finally:
        run.close()
    assert net.step == 500
    net.run(50.0, output=path)
    with fs.load(path) as run:
        assert run.complete and run.t_stop == pytest.approx(100.0)


def test_load_refuses_other_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        fs.load(tmp_path / "none.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(ValueError, match="not a fastspike recording"):
        fs.load(tmp_path / "other.h5")


# --------------------------------------------------------------------------------------------
# interrupted runs
# --------------------------------------------------------------------------------------------
def _stop_after(monkeypatch, calls: int, action, where: str = "_drain"):
    """Run in chunks of at most 200 steps, and do ``action()`` after the ``calls``-th compiled
    call (``where="_advance"``: while the network's step is not yet advanced, as a signal arriving
    during compiled code) or after the ``calls``-th drain of the record buffers (``"_drain"``:
    an exception from Python code inside the run loop)."""
    original_advance, original_drain = CPUEngine._advance, CPUEngine._drain
    count = {"n": 0}

    def hit():
        count["n"] += 1
        if count["n"] == calls:
            action()

    def call(self, step0, nsteps):
        done = original_advance(self, step0, min(nsteps, 200))
        if where == "_advance":
            hit()
        return done

    def drain(self):
        original_drain(self)
        if where == "_drain":
            hit()

    monkeypatch.setattr(CPUEngine, "_advance", call)
    monkeypatch.setattr(CPUEngine, "_drain", drain)


def _check_interrupted(path, net, recs, error_name):
    with h5py.File(path, "r") as f:  # the file was closed properly: plain h5py opens it
        assert not f.attrs["complete"] and error_name in f.attrs["status"]
        assert f["progress"][0] == net.step == f.attrs["step_stop"]
    ref_net, ref = small_network()
    ref_net.run(net.step * DT)
    assert_same_records(ref, recs)  # everything recorded up to the stop is in the file
    with fs.load(path) as run:
        assert not run.complete and run.t_stop == pytest.approx(net.step * DT)
        assert np.array_equal(run.spikes("exc").steps, ref["exc"].steps)
        assert np.array_equal(run.state("exc").v, ref["trace"].v)


def test_exception_inside_the_run_leaves_an_incomplete_readable_file(tmp_path, monkeypatch):
    path = tmp_path / "run.h5"
    net, recs = small_network()

    def fail():
        raise RuntimeError("boom")

    _stop_after(monkeypatch, 7, fail)
    with pytest.raises(RuntimeError, match="boom"):
        net.run(5000.0, output=path)
    assert net.step == 1400
    _check_interrupted(path, net, recs, "RuntimeError")
    monkeypatch.undo()
    net.run(100.0, output=path)  # a later run appends and completes the file
    with fs.load(path) as run:
        assert run.complete and run.t_stop == pytest.approx(240.0) and run.metadata["runs"] == 2


def test_keyboard_interrupt_leaves_an_incomplete_readable_file(tmp_path, monkeypatch):
    path = tmp_path / "run.h5"
    # Ctrl-C as in a terminal: Python's default handler (a pytest-xdist worker ignores SIGINT)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _keyboard_interrupt(tmp_path, path, monkeypatch)
    finally:
        signal.signal(signal.SIGINT, previous)


def _keyboard_interrupt(tmp_path, path, monkeypatch):
    net, recs = small_network()
    # Ctrl-C while compiled code runs: the engine defers it to the end of the chunk
    _stop_after(monkeypatch, 5, lambda: os.kill(os.getpid(), signal.SIGINT), where="_advance")
    with pytest.raises(KeyboardInterrupt):
        net.run(5000.0, output=path)
    assert net.step == 800  # calls: 1 to compile (0 steps), 4 chunks of 200 steps, then SIGINT
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    _check_interrupted(path, net, recs, "KeyboardInterrupt")


def test_exception_from_the_writer_keeps_the_file_readable(tmp_path, monkeypatch):
    from fastspike.recording.hdf5 import HDF5Writer

    path = tmp_path / "run.h5"
    net, recs = small_network()
    original = HDF5Writer.tick
    count = {"n": 0}

    def tick(self, step):
        count["n"] += 1
        if count["n"] == 3:
            raise OSError("disk full (simulated)")
        original(self, step)

    monkeypatch.setattr(HDF5Writer, "tick", tick)
    with pytest.raises(OSError, match="disk full"):
        net.run(3000.0, output=path)
    _check_interrupted(path, net, recs, "OSError")


# --------------------------------------------------------------------------------------------
# reading back: lazily, by blocks, plots, pandas, Neo
# --------------------------------------------------------------------------------------------
def test_select_counts_and_bins_read_by_blocks(tmp_path, monkeypatch):
    from fastspike.recording import reader

    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(1000.0, output=path)
    mem = recs["exc"]
    monkeypatch.setattr(reader, "READ_ROWS", 1000)  # many blocks
    with fs.load(path) as run:
        sp = run.spikes("exc")
        sel = sp.select(neurons=[5, 7, 300], t_start=100.0, t_stop=800.0)
        t, k = mem.times, mem.neurons
        keep = np.isin(k, [5, 7, 300]) & (t > 100.0) & (t <= 800.0)
        assert np.array_equal(sel.steps, mem.steps[keep]) and np.array_equal(sel.neurons, k[keep])
        assert sel.n == 301 and len(sel) == keep.sum() > 0
        whole = sp.select(t_start=250.0)
        assert np.array_equal(whole.steps, mem.steps[t > 250.0])
        assert np.array_equal(sp.counts(), mem.counts())
        edges = np.arange(0.0, 1000.1, 5.0)
        expected = np.histogram(t, bins=edges + 1e-6)[0]  # right-closed bins (t0, t0 + 5]
        assert np.array_equal(sp.bin_counts(edges), expected)
        assert sp.rate() == pytest.approx(mem.rate())


def test_plots_accept_loaded_records(tmp_path):
    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(300.0, output=path)
    with fs.load(path) as run:
        sp, st = run.spikes("exc"), run.state("exc")
        fig = fs.plot.raster([sp, run.spikes("inh")], fname=tmp_path / "raster.png")
        assert fig.axes[0].get_xlim()[1] == pytest.approx(300.0)
        fig = fs.plot.rate(sp, bin=10.0, fname=tmp_path / "rate.png")
        loaded_heights = [p.get_height() for p in fig.axes[0].patches]
        memory_heights = [p.get_height() for p in fs.plot.rate(recs["exc"], bin=10.0).axes[0].patches]
        assert np.allclose(loaded_heights, memory_heights) and len(loaded_heights) == 30
        fs.plot.traces(st, fname=tmp_path / "traces.png")
        fs.plot.raster(sp.select(neurons=range(50)))
    assert (tmp_path / "rate.png").stat().st_size > 0


def test_pandas_frames(tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(300.0, output=path)
    with fs.load(path) as run:
        df = run.to_dataframe()
        assert list(df.columns) == ["record", "population", "neuron", "step", "time"]
        exc = df[df["record"] == "exc"]
        assert np.array_equal(exc["step"].to_numpy(), recs["exc"].steps)
        assert np.array_equal(exc["neuron"].to_numpy(), recs["exc"].neurons)
        assert len(df) == sum(len(recs[k]) for k in ("exc", "inh", "src"))
        long = run.to_dataframe("state")
        v = long[long["variable"] == "v"]
        assert np.array_equal(v["value"].to_numpy(), recs["trace"].v.reshape(-1))
        wide = run.state("exc").to_dataframe()
        assert np.array_equal(wide[("v", 17)].to_numpy(), recs["trace"].v[:, 2])
        assert np.allclose(wide.index.to_numpy(), recs["trace"].times)
        with pytest.raises(ValueError, match="kind"):
            run.to_dataframe("bogus")
    assert isinstance(df, pd.DataFrame)


def test_neo_block(tmp_path):
    neo = pytest.importorskip("neo")
    pq = pytest.importorskip("quantities")
    path = tmp_path / "run.h5"
    net, recs = small_network()
    net.run(300.0, output=path)
    with fs.load(path) as run:
        block = run.to_neo()
    seg = block.segments[0]
    assert isinstance(block, neo.Block) and block.annotations["dt"] == DT
    assert len(seg.spiketrains) == 400 + 34 + 50  # every recorded neuron, with or without spikes
    st = seg.spiketrains[17]  # exc neuron 17
    assert st.annotations["population"] == "exc" and st.annotations["neuron"] == 17
    assert np.allclose(st.rescale(pq.ms).magnitude, recs["exc"].times[recs["exc"].neurons == 17])
    assert float(st.t_stop.rescale(pq.ms)) == pytest.approx(300.0 + DT)  # contains the last step's spikes
    inh = seg.spiketrains[400 + 2]  # the third recorded inh neuron: index 6
    assert inh.annotations["neuron"] == 6 and inh.annotations["record"] == "inh"
    assert np.allclose(inh.magnitude, recs["inh"].times[recs["inh"].neurons == 6])
    trains = list(seg.spiketrains)  # materialised all at once, by one sort
    assert sum(len(t) for t in trains) == sum(len(recs[k]) for k in ("exc", "inh", "src"))
    assert np.allclose(trains[17].magnitude, st.magnitude)
    v = next(s for s in seg.analogsignals if s.name == "exc.v")
    assert v.shape == (1000, 3) and v.units.dimensionality == pq.mV.dimensionality
    assert np.array_equal(v.magnitude, recs["trace"].v)
    assert np.array_equal(v.array_annotations["neuron"], [0, 3, 17])
    assert float(v.sampling_period.rescale(pq.ms)) == pytest.approx(0.3)
    assert float(v.t_start.rescale(pq.ms)) == pytest.approx(0.3)


def test_neo_block_of_a_million_spike_trains_is_quick(tmp_path):
    pytest.importorskip("neo")
    import time

    path = tmp_path / "big.h5"
    net = fs.Network(dt=DT, seed=1)
    pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0), n=10**6, name="big")
    pop.v[:] = net.rng.uniform(-65.0, -50.0, pop.n)
    net.current(pop, 16.0)
    spikes = net.record(pop, "spikes")
    net.run(20.0, output=path)
    with fs.load(path) as run:
        t0 = time.perf_counter()
        block = run.to_neo()
        elapsed = time.perf_counter() - t0
    trains = block.segments[0].spiketrains
    assert len(trains) == 10**6 and elapsed < 10.0, elapsed
    some = np.unique(spikes.neurons)[:3]
    for k in some:
        assert np.allclose(trains[int(k)].magnitude, spikes.times[spikes.neurons == k])
