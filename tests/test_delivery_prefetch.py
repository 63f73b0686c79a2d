"""The next row prefetched by a delivery (``ROW_PREFETCH_LINES`` in fastspike.backends.cpu.lower).

A delivery that reads rows (not delay groups at arrival) prefetches, in its loop over the
spikes, the synapses of the next spike: targets always, weights and delays when stored per
synapse. Prefetches are hints, so the invariant is that nothing changes: every spike and state
is the same bit for bit with and without them, on one thread and with thread ranges (each
range prefetches its part of the next row).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import fastspike as fs
from _kernels import kernels
from fastspike.backends import generated_source
from fastspike.backends.cpu import lower as L
from fastspike.runtime import buffers as B

LIF = dict(tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0)


def network(threads: int = 1):
    """A uniform weight and delay (the input scheme), weights per synapse, delays grouped in a
    ring (rows by delay), delays per synapse (few synapses per row), and a plastic projection."""
    net = fs.Network(dt=0.1, seed=5, threads=threads)
    a = net.population(fs.LIF(**LIF), n=300, name="a")
    b = net.population(fs.LIF(**LIF), n=200, name="b")
    for pop in (a, b):
        net.poisson_input(pop, n=100, rate=120.0, weight=1.2, synapse=fs.ExpCurrent(5.0))
    net.connect(a, b, fs.FixedProbability(0.2), synapse=fs.ExpCurrent(2.0), weight=0.4, delay=1.0)
    net.connect(b, a, fs.FixedProbability(0.2), synapse=fs.Delta(), weight=fs.Normal(-0.6, 0.1), delay=0.5)
    net.connect(b, b, fs.FixedProbability(0.2), synapse=fs.ExpCurrent(2.0), weight=-0.3,
                delay=fs.Uniform(0.2, 2.0))
    net.connect(a, b, fs.FixedTotalNumber(150), synapse=fs.ExpCurrent(2.0), weight=0.7,
                delay=fs.Uniform(0.1, 12.0))
    net.connect(a, a, fs.FixedProbability(0.1), synapse=fs.Delta(), weight=0.2, delay=1.0,
                weight_update=fs.STDP(lambda_=0.05, alpha=1.05, mu_plus=0.0, mu_minus=0.0, w_max=1.0))
    recs = [net.record(p, "spikes") for p in (a, b)]
    return net, (a, b), recs


def outcome(net, pops, recs) -> list[np.ndarray]:
    out = [r.steps.copy() for r in recs] + [r.neurons.copy() for r in recs]
    out += [getattr(p, v).copy() for p in pops for v in p.state_names]
    return out + [proj.weights.copy() for proj in net.projections if proj.weight_update.plastic]


@pytest.fixture
def ring(monkeypatch):
    monkeypatch.setattr(B, "ARRIVAL_MIN_BYTES", 1 << 62)  # rows grouped by delay stay in a ring


def test_each_spike_loop_prefetches_the_next_spikes_synapses(ring):
    net, _, _ = network()
    deliveries = kernels(net, "deliver_")
    assert len(deliveries) == 5
    for k in deliveries:
        loop = k[k.index("for a_ in range(NH[r_]):"):]
        assert loop.index("if a_ + 1 < NH[r_]:") < loop.index("q_ = SH[r_, a_ + 1]") < loop.index("for s_ in range(")
        assert "_prefetch(TG, pl_)" in loop
        for name in ("WT", "DL"):  # what the loop reads per synapse, and nothing it does not
            assert (f"_prefetch({name}, pl_)" in loop) == (f"{name}[np.uint64(s_)]" in loop or f"{name}[s_]" in loop)
    assert sum("_prefetch(WT, pl_)" in k for k in deliveries) == 2  # the weights per synapse, the plastic ones
    assert sum("_prefetch(DL, pl_)" in k for k in deliveries) == 2  # the delays per synapse, the plastic ones'
    assert all(f"p0_ + {L.ROW_PREFETCH_LINES * 32}), 32)" in k for k in deliveries)  # uint16 targets: 32 per line


@pytest.mark.filterwarnings("ignore:Network. threads=2 is expected to make this network slower")
def test_prefetching_changes_nothing(ring, monkeypatch):
    results = []
    for threads, lines in ((1, L.ROW_PREFETCH_LINES), (2, L.ROW_PREFETCH_LINES), (1, 0)):
        monkeypatch.setattr(L, "ROW_PREFETCH_LINES", lines)
        net, pops, recs = network(threads)
        source = generated_source(net)
        assert ("_prefetch(TG" in source) == (lines > 0)
        assert (re.search(r"BO(_\d+)?\[q_(_\d+)?, block\]", source) is not None) == (threads == 2 and lines > 0)
        net.run(40.0)  # each thread range prefetches its part of the next row
        results.append(outcome(net, pops, recs))
    assert sum(r.size for r in results[0][:2]) > 100
    for other in results[1:]:
        for x, y in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(x, y)
