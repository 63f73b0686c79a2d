"""CPU threads (``Network(threads=T)``): the same results for every number of threads.

Each thread updates a contiguous range of every population and delivers the spikes onto the
neurons of that range only (the part of each row onto its range: targets ascend in a row),
so every neuron and every synaptic input sees the same operations in the same order as with
one thread: spikes, samples and final states must be identical, not just close.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastspike as fs
from fastspike.blocks import block_span, block_starts


def _network(threads: int, dtype: str = "float64"):
    """Every delivery path (uniform delay into the input, per-synapse delays and rows grouped
    by delay into ring buffers), sources, Poisson input, currents, two models, records of
    all and of some neurons, and a population smaller than the threads' ranges."""
    net = fs.Network(dt=0.1, seed=5, threads=threads, dtype=dtype)
    src = net.population(fs.SpikeSource([0.5, 1.0, 3.3], [0, 1, 0]), n=2, name="src")
    ps = net.population(fs.PoissonSource(rate=80.0), n=37, name="ps")
    a = net.population(fs.LIF(tau_m=10.0, v_thresh=-60.0, t_ref=1.0), n=101, name="a")
    c = net.population(fs.Izhikevich.preset("RS"), n=29, name="c")
    tiny = net.population(fs.LIF(tau_m=5.0, v_thresh=-64.0), n=3, name="tiny")
    a.v = net.rng.uniform(-70.0, -60.0, a.n)
    net.connect(src, a, fs.AllToAll(), synapse=fs.ExpCurrent(2.0), weight=3.0, delay=0.3)
    net.connect(ps, a, fs.FixedProbability(0.3), synapse=fs.Delta(), weight=0.7, delay=fs.Uniform(0.1, 2.0))
    net.connect(a, a, fs.FixedProbability(0.1), synapse=fs.ExpCurrent(2.0), weight=fs.Normal(0.5, 0.2), delay=1.0)
    net.connect(a, c, fs.FixedTotalNumber(900), synapse=fs.ExpCurrent(2.0), weight=2.0, delay=fs.Uniform(0.1, 3.0))
    grouped = net.connect(ps, c, fs.AllToAll(), synapse=fs.ExpCurrent(1.0), weight=fs.Normal(1.0, 0.3),
                          delay=fs.Uniform(0.1, 0.3))  # long rows, 3 delays: grouped by delay
    net.connect(a, tiny, fs.AllToAll(), synapse=fs.Delta(), weight=0.3, delay=0.2)
    net.poisson_input(a, 100, 10.0, 0.5, fs.ExpCurrent(2.0))
    net.current(c, fs.StepCurrent([0.0, 20.0], [5.0, 8.0]))
    net.current(tiny, np.full((300, 3), 1.5))
    recs = [net.record(p, "spikes") for p in (src, ps, a, c, tiny)]
    recs.append(net.record(a, "spikes", neurons=[3, 50, 99]))
    states = [net.record(a, ["v", "I"], neurons=[0, 7, 100], every=3), net.record(c, ["v", "u"])]
    return net, (a, c, tiny), recs, states, grouped


def _run(threads: int, dtype: str = "float64"):
    net, pops, recs, states, grouped = _network(threads, dtype)
    net.run(50.0, progress=False)
    net.run(30.0, progress=False)  # a second run continues the first
    return net, pops, recs, states, grouped


@pytest.mark.parametrize("threads", [2, 3, 8])
def test_threads_give_the_same_spikes_samples_and_states(threads):
    _, pops1, recs1, states1, grouped1 = _run(1)
    net, popsT, recsT, statesT, groupedT = _run(threads)
    assert grouped1.delay_offsets is not None  # the storage does not depend on the threads
    np.testing.assert_array_equal(grouped1.delay_offsets, groupedT.delay_offsets)
    groups = grouped1.delay_offsets.shape[1] - 1
    assert net._buffers.row_parts(groupedT, threads).shape == (groupedT.pre.n, groups, threads + 1)
    assert net._engine.lowered.threads == threads
    for r1, rT in zip(recs1, recsT):
        assert len(r1) > 0
        np.testing.assert_array_equal(r1.steps, rT.steps)
        np.testing.assert_array_equal(r1.neurons, rT.neurons)
    for s1, sT in zip(states1, statesT):
        np.testing.assert_array_equal(s1.steps, sT.steps)
        for v in s1.variables:
            np.testing.assert_array_equal(s1[v], sT[v])
    for p1, pT in zip(pops1, popsT):
        for v in p1.state_names:
            np.testing.assert_array_equal(getattr(p1, v), getattr(pT, v))


def test_threads_in_single_precision_and_into_hdf5(tmp_path):
    """float32 kernels, and records streamed to HDF5, read back the same for 1 and 4 threads."""
    out = {}
    for threads in (1, 4):
        net, _, _, _, _ = _network(threads, "float32")
        net.run(40.0, output=tmp_path / f"t{threads}.h5", progress=False)
        out[threads] = fs.load(tmp_path / f"t{threads}.h5")
    assert out[1].spike_records == out[4].spike_records and len(out[1].spike_records) == 6
    for name in out[1].spike_records:
        s1, s4 = out[1].spikes(name), out[4].spikes(name)
        np.testing.assert_array_equal(s1.steps, s4.steps)
        np.testing.assert_array_equal(s1.neurons, s4.neurons)
    for name in out[1].state_records:
        x1, x4 = out[1].state(name), out[4].state(name)
        for v in x1.variables:
            np.testing.assert_array_equal(x1[v], x4[v])


def test_the_runtime_parts_of_rows_bound_each_threads_targets():
    """The storage does not depend on the thread count (canonical rows: grouped by delay when
    stored so, targets ascending within a row or group); for any thread count the runtime's
    offsets bound, in every row (or delay group), exactly the synapses onto each thread's
    range, in the stored order."""
    net = fs.Network(dt=0.1, seed=9)
    a = net.population(fs.LIF(tau_m=10.0), n=50, name="a")
    b = net.population(fs.LIF(tau_m=10.0), n=70, name="b")
    projections = [
        net.connect(a, b, fs.FixedProbability(0.4), weight=fs.Normal(1.0, 0.5), delay=1.0),  # one delay
        net.connect(a, b, fs.FixedProbability(0.5), weight=1.0, delay=fs.Uniform(0.1, 0.4)),  # grouped
        net.connect(a, b, fs.FixedTotalNumber(200), weight=fs.Normal(1.0, 0.5), delay=fs.Uniform(0.1, 9.0)),
    ]
    assert projections[0].delivery == "deferred" and projections[1].delay_offsets is not None
    assert projections[2].delay_offsets is None and projections[2].delays.size > 1  # a delay per synapse
    for threads in (2, 3, 8):
        span, starts = block_span(70, threads), block_starts(70, threads)
        for proj in projections:
            parts = net._buffers.row_parts(proj, threads)
            for j in range(50):
                row = proj.targets[proj.indptr[j]:proj.indptr[j + 1]]
                if proj.delay_offsets is None:
                    segments = [(0, row.size, parts[j])]
                else:
                    groups = proj.delay_offsets[j].astype(np.int64)
                    segments = [(groups[g], groups[g + 1], parts[j, g]) for g in range(groups.size - 1)]
                for lo, hi, offsets in segments:
                    assert offsets[0] == lo and offsets[-1] == hi
                    for t in range(threads):
                        part = row[offsets[t]:offsets[t + 1]]
                        assert np.all((part >= starts[t]) & (part < starts[t + 1]))
                        assert np.all(part // span == t)
                        np.testing.assert_array_equal(part, np.sort(part, kind="stable"))  # targets ascend


@pytest.mark.parametrize("n,blocks", [(0, 2), (3, 4), (101, 2), (101, 3), (1000, 16)])
def test_block_ranges_cover_the_population_in_whole_cache_lines(n, blocks):
    starts = block_starts(n, blocks)
    assert starts[0] == 0 and starts[-1] == n and np.all(np.diff(starts) >= 0)
    assert np.all((starts[:-1] % 64 == 0) | (starts[:-1] == n))  # whole cache lines of 64 one-byte spike flags
    i = np.arange(n)
    np.testing.assert_array_equal(np.searchsorted(starts, i, side="right") - 1, i // block_span(n, blocks))


def test_a_network_built_once_runs_with_another_thread_count():
    """``net.threads`` changes between runs: the next run compiles the step for the new
    count, the runtime splits the same rows again, and the results are those of one thread."""
    def build():
        net = fs.Network(dt=0.1, seed=13)
        src = net.population(fs.PoissonSource(rate=500.0), n=30, name="src")
        pop = net.population(fs.LIF(tau_m=10.0, v_thresh=-62.0, t_ref=1.0), n=41, name="pop")
        net.connect(src, pop, fs.FixedProbability(0.3), synapse=fs.ExpCurrent(2.0), weight=1.0,
                    delay=fs.Uniform(0.1, 1.0))
        net.connect(pop, pop, fs.FixedProbability(0.2), weight=0.4, delay=0.3)
        return net, net.record(pop, "spikes"), pop

    net1, spikes1, pop1 = build()
    net1.run(40.0, progress=False)
    netT, spikesT, popT = build()
    for threads in (1, 3, 2, 1):
        netT.threads = threads
        netT.run(10.0, progress=False)
        assert netT._engine.lowered.threads == threads
    assert len(spikes1) > 20
    np.testing.assert_array_equal(spikes1.steps, spikesT.steps)
    np.testing.assert_array_equal(spikes1.neurons, spikesT.neurons)
    np.testing.assert_array_equal(pop1.v, popT.v)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_thread_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="threads"):
        fs.Network(threads=bad)


def _conductance_network(threads: int):
    """Every component of conductance-based and alpha synapses, noise and sine currents
    (ExpConductance, AlphaConductance, AlphaCurrent with the exact integrator, NoiseCurrent,
    OUCurrent, ACCurrent), each fed by projections and Poisson inputs."""
    net = fs.Network(dt=0.1, seed=8, threads=threads)
    ps = net.population(fs.PoissonSource(rate=200.0), n=23, name="ps")
    a = net.population(fs.LIF(tau_m=10.0, R=0.1, v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0, t_ref=2.0), n=41,
                       name="a", integrator="rk2")
    c = net.population(fs.LIF(tau_m=10.0, v_thresh=-60.0, t_ref=1.0), n=17, name="c")
    net.connect(ps, a, fs.FixedProbability(0.3), synapse=fs.ExpConductance(0.5, 0.0), weight=5.0,
                delay=fs.Uniform(0.1, 1.0))
    net.connect(ps, a, fs.FixedProbability(0.2), synapse=fs.AlphaConductance(2.0, -80.0), weight=3.0, delay=0.2)
    net.connect(a, a, fs.FixedProbability(0.3), synapse=fs.ExpConductance(0.5, 0.0), weight=8.0, delay=0.5)
    net.connect(ps, c, fs.FixedProbability(0.3), synapse=fs.AlphaCurrent(1.0), weight=fs.Normal(4.0, 1.0), delay=0.3)
    net.poisson_input(c, 50, 20.0, 2.0, fs.AlphaCurrent(1.0))
    net.current(a, fs.NoiseCurrent(mean=60.0, std=40.0))
    net.current(c, fs.OUCurrent(mean=np.linspace(2.0, 6.0, c.n), std=3.0, tau=3.0))
    net.current(c, fs.ACCurrent(amplitude=3.0, frequency=50.0, phase=45.0, offset=4.0))
    net.current(c, fs.NoiseCurrent(mean=0.0, std=2.0, dt_noise=0.5))
    recs = [net.record(p, "spikes") for p in (a, c)]
    states = [net.record(a, ["v", "I"], neurons=[0, 40]), net.record(c, ["v", "I"], every=2)]
    return net, (a, c), recs, states


def _one_and_three_threads_identical(build) -> list:
    """Run ``build(threads)``'s network for 15 + 10 ms with 1 and with 3 threads and assert
    identical spikes, samples and final states; the spike records of the 1-thread run."""
    runs = []
    for threads in (1, 3):
        net, pops, recs, states = build(threads)
        net.run(15.0, progress=False)
        net.run(10.0, progress=False)
        runs.append((pops, recs, states))
    (p1, r1, s1), (p3, r3, s3) = runs
    for x, y in zip(r1, r3):
        np.testing.assert_array_equal(x.steps, y.steps)
        np.testing.assert_array_equal(x.neurons, y.neurons)
    for x, y in zip(s1, s3):
        for v in x.variables:
            np.testing.assert_array_equal(x[v], y[v])
    for x, y in zip(p1, p3):
        for v in x.state_names:
            np.testing.assert_array_equal(getattr(x, v), getattr(y, v))
    return r1


def test_threads_conductance_alpha_and_noise_components():
    r1 = _one_and_three_threads_identical(_conductance_network)
    assert sum(len(r) for r in r1) > 20


def _traub_and_exponential_euler_network(threads: int):
    """Traub-Miles Hodgkin-Huxley cells (exponential Euler, their default) and LIFs with
    integrator="exponential_euler", whose conductances enter the linear part of v's equation:
    exponential conductances from projections (own delays, recurrent) and Poisson inputs."""
    net = fs.Network(dt=0.1, seed=9, threads=threads)
    ps = net.population(fs.PoissonSource(rate=150.0), n=19, name="ps")
    hh = net.population(fs.HodgkinHuxleyTraub(), n=13, name="hh")
    e = net.population(fs.LIF(tau_m=10.0, R=0.1, v_rest=-65.0, v_reset=-65.0, v_thresh=-58.0, t_ref=2.0), n=23,
                       name="e", integrator="exponential_euler")
    hh.v = net.rng.uniform(-65.0, -55.0, hh.n)
    net.connect(ps, hh, fs.FixedProbability(0.4), synapse=fs.ExpConductance(5.0, 0.0), weight=6.0,
                delay=fs.Uniform(0.1, 1.0))
    net.connect(hh, hh, fs.FixedProbability(0.3), synapse=fs.ExpConductance(10.0, -80.0), weight=20.0, delay=0.5)
    net.poisson_input(hh, 20, 30.0, 3.0, fs.ExpConductance(5.0, 0.0))
    net.connect(ps, e, fs.FixedProbability(0.3), synapse=fs.ExpConductance(2.0, 0.0), weight=2.0,
                delay=fs.Uniform(0.1, 1.0))
    net.connect(hh, e, fs.FixedProbability(0.3), synapse=fs.ExpConductance(5.0, -80.0), weight=4.0, delay=0.3)
    net.poisson_input(e, 30, 40.0, 1.5, fs.ExpConductance(2.0, 0.0))
    recs = [net.record(p, "spikes") for p in (hh, e)]
    states = [net.record(hh, ["v", "n_K", "I"], neurons=[0, 12]), net.record(e, ["v", "I"], every=2)]
    return net, (hh, e), recs, states


def test_threads_traub_and_exponential_euler_conductances():
    r1 = _one_and_three_threads_identical(_traub_and_exponential_euler_network)
    assert all(len(r) > 5 for r in r1), [len(r) for r in r1]  # both populations fire
