"""Distributed runs on the in-process stand-in (LocalCluster: K ranks as threads): the
partition, the build of each rank's synapses, the spike exchange and the gathered records
give, bit for bit, what one process gives; mistakes are refused on every rank alike.

The reference is always the same script on one process (SerialCommunicator): an invariant
of the design (the same spikes for any number of processes), not an output of the code
under test taken as truth.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastspike as fs
from fastspike.blocks import block_starts, process_range, range_starts
from fastspike.parallel import LocalCluster, PeerFailed, SerialCommunicator

import _distributed_net as dn


def _run(comm, variant, threads=1):
    net, records = dn.build(comm, variant, threads)
    return dn.run(net, records)


@pytest.fixture(scope="module", params=["direct", "lagged"])
def reference(request):
    return request.param, _run(SerialCommunicator(), request.param)


def _assert_same(got: dict, want: dict, state_only: bool = False) -> None:
    keys = [k for k in want if k.startswith("state.")] if state_only else list(want)
    for k in keys:
        assert got[k].dtype == want[k].dtype, k
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def test_reference_is_not_trivial(reference):
    _, want = reference
    for name in ("E", "I", "P", "S"):
        assert want[f"{name}.steps"].size > 5, name
    assert want["Ev.steps"].size == (250 + 150) // 3


@pytest.mark.parametrize("k", [2, 3, 4])
def test_same_results_for_any_number_of_processes(reference, k):
    """Spikes, samples (columns from every rank) and final states equal one process's; the
    final state is every neuron's on every rank."""
    variant, want = reference
    results = LocalCluster(k, timeout=300).run(_run, variant)
    _assert_same(results[0], want)
    for res in results[1:]:
        _assert_same(res, want, state_only=True)
        assert res["E.steps"].size == 0  # the records are gathered on rank 0


def test_range_starts_nest_process_ranges_in_thread_ranges():
    for n in (1, 7, 8, 100, 203, 1000):
        assert np.array_equal(range_starts(n, 3), block_starts(n, 3))
        for k in (1, 2, 3, 4):
            for t in (1, 2, 3):
                starts = range_starts(n, t, k)
                assert starts[0] == 0 and starts[-1] == n and np.all(np.diff(starts) >= 0)
                assert np.all(starts[starts < n] % 8 == 0)  # flags are scanned 8 at a time
                for r in range(k):  # a process's ranges cover its process range, whatever t
                    lo, hi = process_range(n, k, r)
                    assert starts[r * t] == lo and starts[(r + 1) * t] == hi


CONNECTORS = [
    (fs.FixedIndegree(12), dict(weight=fs.Normal(1.0, 0.5), delay=fs.Uniform(0.1, 2.0))),
    (fs.FixedProbability(0.08), dict(weight=fs.Uniform(-1.0, 1.0), delay=0.3)),
    (fs.FixedTotalNumber(2000), dict(weight=2.0, delay=fs.Uniform(0.1, 0.5))),
    (fs.FixedOutdegree(9), dict(weight=fs.Normal(0.0, 1.0), delay=fs.Uniform(0.1, 3.0))),
    (fs.AllToAll(), dict(weight=np.arange(70 * 90, dtype=float).reshape(70, 90) / 100, delay=0.2)),
    (fs.OneToOne(), dict(weight=fs.Uniform(0.0, 1.0), delay=1.0)),
    (fs.FromArrays([0, 3, 3, 69, 10], [89, 0, 45, 44, 44]), dict(weight=[1.0, 2.0, 3.0, 4.0, 5.0],
                                                                 delay=[0.1, 0.2, 0.3, 0.4, 0.5])),
]


def _synapses(comm, k):
    connector, kwargs = CONNECTORS[k]
    net = fs.Network(seed=3, comm=comm)
    n_pre = 90 if isinstance(connector, fs.OneToOne) else 70
    a = net.population(fs.LIF(**dn.LIF), n_pre)
    b = net.population(fs.LIF(**dn.LIF), 90)
    proj = net.connect(a, b, connector, **kwargs)
    lo, hi = proj.targets_range
    assert lo == process_range(90, net.processes, net.rank)[0] and hi == process_range(90, net.processes, net.rank)[1]
    assert np.all((proj.targets >= lo) & (proj.targets < hi))
    n = proj.n_synapses
    return (proj.sources(), proj.targets.copy(), np.asarray(proj.synapse_weights()).copy(),
            np.asarray(proj.synapse_delays()).copy(), proj.total_synapses, proj.min_delay, proj.max_delay,
            proj.delivery, n)


@pytest.mark.parametrize("k", range(len(CONNECTORS)))
def test_each_rank_builds_the_synapses_onto_its_neurons(k):
    """The ranks' synapses together are one process's, with the same weights and delays
    (identity-keyed draws); delays' extremes and the delivery are decided globally."""
    one = _synapses(SerialCommunicator(), k)
    parts = LocalCluster(3, timeout=120).run(_synapses, k)

    def triples(src, tgt, w, d):
        order = np.lexsort((w, d, tgt, src))
        return np.stack([src[order], tgt[order]]), w[order], d[order]

    joined = [np.concatenate([p[i] for p in parts]) for i in range(4)]
    want, got = triples(*one[:4]), triples(*joined)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[2], want[2])
    for p in parts:
        assert p[4] == one[4] == one[8]  # total synapses
        assert p[5:8] == one[5:8]  # min and max delay, delivery
    assert sum(p[8] for p in parts) == one[8]


def test_threads_per_process_keep_the_synapses_and_the_results():
    """T threads per rank, changed between runs: the process ranges (hence the synapses
    built) do not depend on T, and the results do not either."""
    def fn(comm):
        net, records = dn.build(comm, "lagged", threads=1)
        net.run(5.0, progress=False)
        net.threads = 3
        net.run(10.0, progress=False)
        return dn.results(net, records)

    one = fn(SerialCommunicator())
    parts = LocalCluster(2, timeout=300).run(fn)
    _assert_same(parts[0], one)


def test_a_later_projection_may_not_lower_the_exchange_interval():
    def fn(comm):
        net, _ = dn.build(comm, "lagged")
        net.run(2.0, progress=False)
        net.connect(net.populations[0], net.populations[1], fs.FixedIndegree(2), delay=0.1)
        try:
            net.run(1.0, progress=False)
        except ValueError as e:
            return str(e)
        return None

    messages = LocalCluster(2, timeout=300).run(fn)
    assert messages[0] is not None and messages[0] == messages[1]
    assert "smallest delay" in messages[0] and "2 processes" in messages[0]
    assert fn(SerialCommunicator()) is None  # one process: fine


def test_bad_input_is_refused_on_every_rank_with_the_same_message():
    def fn(comm):
        net = fs.Network(seed=1, comm=comm)
        a = net.population(fs.LIF(**dn.LIF), 30)
        try:
            net.connect(a, a, fs.FixedIndegree(5), weight=1.0, delay=-1.0)
        except ValueError as e:
            return str(e)

    messages = LocalCluster(3, timeout=60).run(fn)
    assert messages[0] and len(set(messages)) == 1


def test_cuda_is_refused_with_several_processes():
    def fn(comm):
        with pytest.raises(ValueError, match="backend='cpu'"):
            fs.Network(backend="cuda", comm=comm)

    LocalCluster(2, timeout=60).run(fn)


def test_plasticity_is_refused_with_several_processes():
    """Plastic projections run in one process only so far: refused at connect() on every
    rank with the same message, before anything is built."""
    def fn(comm):
        net = fs.Network(seed=3, comm=comm)
        a = net.population(fs.LIF(tau_m=10.0), n=10, name="a")
        with pytest.raises(ValueError, match="one process only so far; this network runs on 2 processes"):
            net.connect(a, a, fs.FixedIndegree(2), synapse=fs.ExpCurrent(5.0), weight=0.5,
                        plasticity=fs.STDP(w_max=1.0))
        assert net.projections == []

    LocalCluster(2, timeout=60).run(fn)


def test_an_output_error_on_rank_0_stops_every_rank(tmp_path):
    """Rank 0's output fails mid-run: it raises its error, the others PeerFailed, at the same
    decision (no rank waits in a collective)."""
    import unittest.mock as mock

    from fastspike.recording import hdf5

    def fn(comm):
        net, _ = dn.build(comm, "lagged")
        try:
            net.run(10.0, progress=False, output=tmp_path / "run.h5")
            net.run(10.0, progress=False, output=tmp_path / "run.h5")
        except (OSError, PeerFailed) as e:
            return type(e).__name__, net.step
        return None, net.step

    original = hdf5.HDF5Writer.tick

    def failing(self, step):  # only rank 0 writes
        if self.net.step > 150:
            raise OSError("disk on fire")
        return original(self, step)

    with mock.patch.object(hdf5.HDF5Writer, "tick", failing):
        outcome = LocalCluster(2, timeout=300).run(fn)
    assert outcome[0][0] == "OSError" and outcome[1][0] == "PeerFailed"
    assert outcome[0][1] == outcome[1][1]  # stopped at the same step


def test_one_output_file_equals_one_process_file(tmp_path):
    def fn(comm, path):
        net, records = dn.build(comm, "direct")
        dn.run(net, records, output=str(path))
        return net.processes

    fn(SerialCommunicator(), tmp_path / "one.h5")
    LocalCluster(2, timeout=300).run(fn, tmp_path / "two.h5")
    one, two = fs.load(tmp_path / "one.h5"), fs.load(tmp_path / "two.h5")
    _compare_files(tmp_path / "one.h5", tmp_path / "two.h5")
    assert one is not None and two is not None


def _compare_files(a, b, processes: int = 2) -> None:
    """Every dataset equal, and every attribute but those that say when, which file, and how
    many processes and threads ran."""
    import h5py

    skip = {"created", "modified", "file_id", "processes", "threads", "closed", "writer"}
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        names_a, names_b = [], []
        fa.visit(names_a.append)
        fb.visit(names_b.append)
        assert names_a == names_b
        assert fa.attrs["processes"] == 1 and fb.attrs["processes"] == processes
        for name in [None, *names_a]:
            xa, xb = (fa, fb) if name is None else (fa[name], fb[name])
            keys = sorted(set(xa.attrs) - skip)
            assert keys == sorted(set(xb.attrs) - skip), name
            for key in keys:
                va, vb = xa.attrs[key], xb.attrs[key]
                assert np.array_equal(np.asarray(va), np.asarray(vb)), (name, key, va, vb)
            if isinstance(xa, h5py.Dataset):
                np.testing.assert_array_equal(xa[()], xb[()], err_msg=name)


def test_exchange_methods_give_the_same_results(reference, monkeypatch):
    """Both ways of sending the spikes (FASTSPIKE_EXCHANGE): counts then Allgatherv (the
    "direct" network), and a fixed-size Allgather whose width is too small at first, so that
    the overflow round runs and the width grows (the "lagged" network)."""
    from fastspike.parallel import exchange

    variant, want = reference
    if variant == "direct":
        monkeypatch.setenv("FASTSPIKE_EXCHANGE", "allgatherv")
    else:
        monkeypatch.setattr(exchange, "FIXED_WIDTH", 8)

    def fn(comm):
        net, records = dn.build(comm, variant)
        out = dn.run(net, records)
        xchg = net._engine.exchange
        return out, xchg.method, xchg.overflows, xchg.width

    results = LocalCluster(3, timeout=300).run(fn)
    _assert_same(results[0][0], want)
    method, overflows, width = results[0][1:]
    if variant == "direct":
        assert method == "allgatherv"
    else:
        assert method == "fixed" and overflows >= 1 and width > 8


def test_a_network_without_projections_runs_without_exchange():
    """No projection: nothing to exchange (the interval is unbounded), the record buffers
    stay sized by the records; the records and states still equal one process's."""
    def fn(comm):
        net = fs.Network(seed=5, comm=comm)
        pop = net.population(fs.LIF(**dn.LIF), 100)
        net.poisson_input(pop, 200, 30.0, 2.0)
        rec = net.record(pop, "spikes")
        net.run(20.0, progress=False)
        return rec.steps.copy(), rec.neurons.copy(), pop.v.copy(), net._engine.spike_limit.copy()

    one = fn(SerialCommunicator())
    two = LocalCluster(2, timeout=120).run(fn)
    assert one[0].size > 10
    for a, b in zip(one[:3], two[0][:3]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(two[1][2], one[2])
    assert two[0][3].max() < 1 << 20  # entries, not the unbounded interval's steps


def test_a_state_written_on_some_ranks_keeps_one_process_results():
    """A fixed theta is compiled in while a rank's neurons share one value. Written between
    runs so that only the last rank's neurons differ, that rank alone builds its program
    again (a build exchanges nothing), and the results stay one process's."""
    def fn(comm):
        net = fs.Network(seed=5, comm=comm)
        pop = net.population(fs.LIF(**dn.LIF), 100)
        net.connect(pop, pop, fs.FixedIndegree(10), weight=2.0, delay=0.5)
        net.poisson_input(pop, 200, 30.0, 2.0)
        rec = net.record(pop, "spikes")
        net.run(10.0, progress=False)
        theta = np.zeros(pop.n)
        theta[-10:] = np.linspace(1.0, 10.0, 10)  # the last neurons: on the last rank only
        pop.theta = theta
        net.run(10.0, progress=False)
        return rec.steps.copy(), rec.neurons.copy(), pop.v.copy()

    one = fn(SerialCommunicator())
    two = LocalCluster(2, timeout=120).run(fn)
    assert one[0].size > 10
    for a, b in zip(one, two[0]):
        np.testing.assert_array_equal(a, b)


def test_every_process_count_stores_and_delivers_a_projection_alike(monkeypatch):
    """Rows grouped by delay or a delay per synapse: whichever takes less memory, judged for
    the whole projection. Here the table of group offsets (100 presynaptic neurons x 11
    delay values, a byte each) is smaller than the 1500 synapses' delays of one process but
    larger than the 750 of each of two: judged per process, two would store delays per
    synapse and deliver them by a ring while one process groups them and delivers at arrival,
    beside another projection onto the same channel, so the sums onto that channel would
    come in another order (the microcircuit at full scale differed in the last bit of a few
    neurons' v on two processes)."""
    from fastspike.runtime import buffers as B

    monkeypatch.setattr(B, "ARRIVAL_MIN_BYTES", 0)  # every channel of several delays at arrival

    def fn(comm):
        net = fs.Network(dt=0.1, seed=5, comm=comm)
        a = net.population(fs.LIF(**dn.LIF), 100, name="a")
        b = net.population(fs.LIF(**dn.LIF), 100, name="b")
        net.poisson_input(a, 200, 40.0, 2.0)
        small = net.connect(a, b, fs.FixedTotalNumber(1500), synapse=fs.ExpCurrent(5.0), weight=fs.Normal(3.0, 1.0),
                            delay=fs.Uniform(0.1, 1.0))  # 10 delay values
        net.connect(a, b, fs.FixedIndegree(30), synapse=fs.ExpCurrent(5.0), weight=fs.Normal(1.7, 0.5),
                    delay=fs.Uniform(0.1, 2.0))
        rec = net.record(b, "spikes")
        net.run(30.0, progress=False)
        return rec.steps.copy(), rec.neurons.copy(), b.v.copy(), small.delay_offsets is not None, \
            net._buffers.arrives(small)

    one = fn(SerialCommunicator())
    assert one[3] and one[4]  # grouped, delivered at arrival
    assert one[0].size > 20
    two = LocalCluster(2, timeout=120).run(fn)
    for res in two:
        assert res[3] and res[4]
        np.testing.assert_array_equal(res[2], one[2])  # every neuron's v on every rank
    for a, b in zip(one[:2], two[0][:2]):  # the records, gathered on rank 0
        np.testing.assert_array_equal(a, b)
