"""Delivery at arrival (fastspike.runtime.buffers): a channel fed with several delays whose ring
buffer would be large is fed, on the CPU, by reading each delay group of the rows in the step
it arrives in, from the spike history, into an input array of n values.

Invariants checked (the choice forced either way with ``ARRIVAL_MIN_BYTES``):
- one projection of several delays per channel: the additions into a target come in the
  ring's order, so spikes and every state are the same bit for bit as with the ring, also
  across runs that add a projection with longer delays (histories grown, spikes in flight
  kept);
- several projections onto one channel (the sum of the same inputs in another order): the
  same spikes over a short run, the states equal to rounding; and, as for every delivery,
  identical for any thread count and any chunking;
- delays stored per synapse (rows not grouped) keep a ring beside the input at arrival;
- a population that receives a plastic delivery of several delays has its deliveries at
  arrival split by thread range (each range lists its parts of the groups): identical for 1,
  2 and 3 threads.
"""
from __future__ import annotations

import numpy as np

import fastspike as fs
from _kernels import kernels
from fastspike.runtime import buffers as B

LIF = dict(tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0)


def network(kind: str, threads: int = 1):
    """Two populations driven by Poisson afferents; projections with several delays."""
    net = fs.Network(dt=0.1, seed=11, threads=threads)
    a = net.population(fs.LIF(**LIF), n=300, name="a")
    b = net.population(fs.LIF(**LIF), n=200, name="b")
    for pop in (a, b):
        net.poisson_input(pop, n=100, rate=120.0, weight=1.2, synapse=fs.ExpCurrent(5.0))
    projs = [net.connect(a, b, fs.FixedProbability(0.3), synapse=fs.ExpCurrent(2.0), weight=0.5,
                         delay=fs.Uniform(0.1, 3.0)),
             net.connect(b, a, fs.FixedProbability(0.1), synapse=fs.Delta(), weight=-0.8,
                         delay=fs.Uniform(0.5, 2.0))]
    if kind in ("shared", "mixed"):  # a second projection onto b's ExpCurrent(2.0) channel
        projs.append(net.connect(b, b, fs.FixedProbability(0.3), synapse=fs.ExpCurrent(2.0), weight=-0.4,
                                 delay=fs.Uniform(0.2, 1.5)))
    if kind == "mixed":  # delays stored per synapse: few synapses per row, many delay values
        projs.append(net.connect(a, b, fs.FixedTotalNumber(150), synapse=fs.ExpCurrent(2.0), weight=0.7,
                                 delay=fs.Uniform(0.1, 12.0)))
    if kind == "plastic":  # b receives a plastic delivery of several delays: threads split b's deliveries by range
        projs.append(net.connect(a, b, fs.FixedProbability(0.1), synapse=fs.ExpCurrent(4.0), weight=0.3,
                                 delay=fs.Uniform(0.1, 2.0), plasticity=fs.STDP(w_max=1.0)))
    recs = [net.record(p, "spikes") for p in (a, b)]
    return net, (a, b), projs, recs


def run(kind: str, arrival: bool, monkeypatch, threads: int = 1, chunks=(60.0,), grow: bool = False):
    monkeypatch.setattr(B, "ARRIVAL_MIN_BYTES", 0 if arrival else 1 << 62)
    net, pops, projs, recs = network(kind, threads)
    net.run(chunks[0])
    if grow:  # a projection with longer delays onto a channel of its own: histories grow
        projs.append(net.connect(pops[0], pops[1], fs.FixedProbability(0.5), synapse=fs.ExpCurrent(7.0),
                                 weight=0.2, delay=fs.Uniform(1.0, 5.0)))
    for t in chunks[1:]:
        net.run(t)
    used = [net._buffers.arrives(p) for p in projs]
    out = [r.steps.copy() for r in recs] + [r.neurons.copy() for r in recs]
    out += [getattr(p, v).copy() for p in pops for v in p.state_names]
    out += [a.copy() for a in net._buffers._channel_state.values()]
    return out, used


def assert_identical(x, y):
    assert len(x) == len(y)
    for a, b in zip(x, y):
        np.testing.assert_array_equal(a, b)


def test_one_projection_per_channel_is_bitwise_the_ring(monkeypatch):
    ring, used_ring = run("single", False, monkeypatch)
    arrival, used = run("single", True, monkeypatch)
    assert not any(used_ring) and all(used)
    assert ring[0].size > 50 and ring[1].size > 50  # both populations fire
    assert_identical(ring, arrival)


def test_growing_delays_between_runs_keep_the_spikes_in_flight(monkeypatch):
    ring, _ = run("single", False, monkeypatch, chunks=(25.0, 35.0), grow=True)
    arrival, used = run("single", True, monkeypatch, chunks=(25.0, 35.0), grow=True)
    assert all(used)
    assert_identical(ring, arrival)


def test_shared_channel_same_spikes_states_to_rounding(monkeypatch):
    ring, _ = run("shared", False, monkeypatch, chunks=(30.0,))
    arrival, used = run("shared", True, monkeypatch, chunks=(30.0,))
    assert all(used)
    for a, b in zip(ring[:4], arrival[:4]):  # spikes
        np.testing.assert_array_equal(a, b)
    for a, b in zip(ring[4:], arrival[4:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_identical_for_threads_and_chunks(monkeypatch):
    one, used = run("shared", True, monkeypatch, chunks=(40.0,))
    assert all(used)
    assert_identical(one, run("shared", True, monkeypatch, threads=3, chunks=(40.0,))[0])
    assert_identical(one, run("shared", True, monkeypatch, chunks=(13.0, 0.1, 26.9))[0])


def test_ranges_of_a_delivery_at_arrival_identical_to_one_thread(monkeypatch):
    one, used = run("plastic", True, monkeypatch, chunks=(25.0, 15.0))
    assert used == [True, True, False]  # the plastic projection delivers by its ring
    assert one[1].size > 50  # b fires
    for threads in (2, 3):
        net, _, _, _ = network("plastic", threads)
        ranged = [k for k in arrival_kernels(net) if "SG_ = SG[block] if items_ <= SG.shape[1]" in k]
        assert len(ranged) == 1 and "_prefetch_cell(DP, q_, g_, block)" in ranged[0]  # b's: split by range
        assert_identical(one, run("plastic", True, monkeypatch, threads=threads, chunks=(25.0, 15.0))[0])


def test_delays_per_synapse_keep_a_ring_beside(monkeypatch):
    ring, _ = run("mixed", False, monkeypatch, chunks=(30.0,))
    arrival, used = run("mixed", True, monkeypatch, chunks=(30.0,))
    assert used == [True, True, True, False]  # the last projection's delays are stored per synapse
    for a, b in zip(ring[:4], arrival[:4]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(ring[4:], arrival[4:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def arrival_kernels(net) -> list[str]:
    """The source of each delivery-at-arrival kernel of ``net`` (not its prelude)."""
    return kernels(net, "deliver_arrival")


def test_arrival_lists_its_segments_then_adds_them(monkeypatch):
    """A delivery at arrival (one thread, and an owned delivery of threads) walks the step's
    (group, spike) items into a list of non-empty segments, prefetching the offsets of the
    spike 2 x PREFETCH_AHEAD places ahead in the history row, then adds the segments,
    prefetching the synapses of the one PREFETCH_AHEAD places ahead (targets; weights only
    when stored per synapse). A range's part (distributed runs; threads onto a population
    with a plastic delivery) lists its own: ``test_ranges_of_...``. Hints: the spikes are the
    ring's (the tests above)."""
    from fastspike.backends.cpu.lower import PREFETCH_AHEAD as D

    monkeypatch.setattr(B, "ARRIVAL_MIN_BYTES", 0)
    for threads in (1, 2):
        net, pops, _, _ = network("single", threads)  # uniform weights
        net.connect(pops[0], pops[1], fs.FixedProbability(0.3), synapse=fs.ExpCurrent(3.0),
                    weight=fs.Normal(0.5, 0.1), delay=fs.Uniform(0.1, 3.0))  # weights per synapse
        kernels = arrival_kernels(net)
        assert len(kernels) == 2 and sum("+= WT[np.uint64(s_)]" in k for k in kernels) == 1
        for k in kernels:
            walk, adds = k.index("for g_ in range(dn - 1, -1, -1):"), k.index("for k_ in range(m_):")
            assert k.index("SG_ = SG if items_ <= SG.shape[0] else np.empty((items_, 2), np.int64)") < walk < adds
            ahead = k.index(f"q_ = SH[r_, a_ + {2 * D}]", walk)  # in the loop over a group's spikes
            assert k.index("_prefetch_row(DO, q_, g_)", walk) < ahead < k.index("_prefetch_row(DO, q_, g_)", ahead) < adds
            assert "SG_[m_, 0] = p0_" in k[walk:adds] and f"p0_ = SG_[k_ + {D}, 0]" in k[adds:]
            assert k.index("_prefetch(TG, pl_)", adds) < k.index("for s_ in range(SG_[k_, 0], SG_[k_, 1]):")
            assert ("_prefetch(WT, pl_)" in k) == ("+= WT[np.uint64(s_)]" in k)  # a uniform weight: no WT to read
            assert ("if block == OW[0]:" in k) == (threads == 2)


class _Additions:
    """An input array that records the additions into it, in order: (target, value)."""

    def __init__(self) -> None:
        self.log: list[tuple[int, float]] = []

    def __getitem__(self, i):
        return 0.0

    def __setitem__(self, i, value) -> None:
        self.log.append((int(i), float(value)))


def test_the_segments_are_the_walks_synapses_in_order(monkeypatch):
    """The two passes add exactly the synapses of the walk of one pass, in its order (groups
    from the longest delay down, skipping those not yet arrived; the spikes of each group's
    history row in order; each spike's synapses of that group in row order), whether the step's
    segments fit the kernel's list or need a larger one: the generated kernel run as plain
    Python on random histories and delay groups."""
    from fastspike.backends.cpu import lower

    monkeypatch.setattr(B, "ARRIVAL_MIN_BYTES", 0)
    net, pops, _, _ = network("single")
    net.connect(pops[0], pops[1], fs.FixedProbability(0.3), synapse=fs.ExpCurrent(3.0),
                weight=fs.Normal(0.5, 0.1), delay=fs.Uniform(0.1, 3.0))  # weights per synapse
    kernel = next(k for k in arrival_kernels(net) if "+= WT[np.uint64(s_)]" in k)
    namespace = {"np": np, "_prefetch": lambda *a: None, "_prefetch_row": lambda *a: None}
    exec(kernel, namespace)
    name = kernel[4:kernel.index("(")]
    rng = np.random.default_rng(5)
    ring_length, n_pre, n_post, dn, dmin = 16, 40, 30, 9, 2
    sizes = rng.integers(0, 4, (n_pre, dn))
    sizes[rng.random((n_pre, dn)) < 0.4] = 0  # empty groups
    DO = np.zeros((n_pre, dn + 1), np.int64)
    DO[:, 1:] = np.cumsum(sizes, axis=1)
    IP = np.zeros(n_pre + 1, np.int64)
    IP[1:] = np.cumsum(DO[:, -1])
    TG = rng.integers(0, n_post, IP[-1]).astype(np.int32)
    WT = rng.normal(size=IP[-1])
    counts = []
    for scratch in (lower.SEGMENT_SCRATCH, 3):  # the list fits, or a larger one is made for the step
        for step, first in ((5, 0), (40, 0), (40, 35), (6, 3)):  # from the start, later, some groups not yet arrived
            NH = rng.integers(0, 6, ring_length)
            NH[rng.random(ring_length) < 0.3] = 0
            SH = np.array([rng.permutation(n_pre)[:6] for _ in range(ring_length)], np.int32)
            A = _Additions()
            SG = np.zeros((scratch, 2), np.int64)
            namespace[name](step, step & (ring_length - 1), ring_length, np.zeros(8), None, None, (first, dmin, dn),
                            SH, NH, A, IP, TG, WT, np.array([first, dmin, dn]), DO, SG)
            expected = [(int(TG[s]), float(WT[s]))
                        for g in range(dn - 1, -1, -1) if step - dmin - g >= first
                        for j in SH[(step - dmin - g) & (ring_length - 1), :NH[(step - dmin - g) & (ring_length - 1)]]
                        for s in range(IP[j] + DO[j, g], IP[j] + DO[j, g + 1])]
            assert A.log == expected
            counts.append(len(expected))
    assert max(counts) > 3 * 3  # some step needed the larger list (at most 3 synapses per segment)
