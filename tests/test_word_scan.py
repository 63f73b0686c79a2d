"""The sparse pass over a large population's spike flags tests them a cache line (8 words, 64
neurons) at a time (``fastspike.backends.cpu.lower._word_scan``): the neurons it finds, their
resets and their spike records must be exactly those of the pass that tests word by word,
with one thread and with two ranges (the last group shorter than a line)."""
from __future__ import annotations

import re

import numpy as np

import fastspike as fs
from fastspike.backends import generated_source
from fastspike.backends.cpu import lower as L

N = 2**15 + 40  # just past SCAN_STOP_MAX_NEURONS: grouped scans, 4101 words (the last group 5)
STEPS = 60


def _network(threads: int = 1) -> tuple[fs.Network, fs.Population, object]:
    net = fs.Network(dt=0.1, seed=5, threads=threads)
    pop = net.population(fs.LIF(tau_m=10.0, R=1.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=0.5), n=N)
    pop.v[:] = net.rng.uniform(-70.0, -50.0, N)
    net.poisson_input(pop, n=1000, rate=40.0, weight=2.0, synapse=fs.ExpCurrent(2.0))
    return net, pop, net.record(pop, "spikes")


def _grouped(net: fs.Network) -> bool:
    return re.search(r"for g_\w* in range\((0, F8\w*\.size|lo_\w* \+ 7 >> 3, hi_\w* \+ 7 >> 3), 8\):",
                     generated_source(net)) is not None


def test_grouped_spike_scan_finds_every_spike_as_the_word_by_word_scan(monkeypatch):
    from fastspike.backends.cpu import compiler

    monkeypatch.setattr(compiler, "tileable", lambda *a: False)  # whole steps: the scan of the whole population
    assert N > L.SCAN_STOP_MAX_NEURONS
    runs = []
    for threads in (1, 2):
        net, pop, rec = _network(threads)
        assert _grouped(net)
        net.run(STEPS * 0.1)
        runs.append((pop.v.copy(), rec.steps.copy(), rec.neurons.copy()))
    monkeypatch.setattr(L, "SCAN_STOP_MAX_NEURONS", 1 << 20)  # word by word, stopping at the count
    net, pop, rec = _network()
    assert not _grouped(net)
    net.run(STEPS * 0.1)
    want = (pop.v, rec.steps, rec.neurons)
    assert want[1].size > 20 * STEPS and np.isin(np.arange(N - 40, N), want[2]).sum() >= 10  # the short group fires
    assert np.all(np.diff(want[1]) >= 0)
    for got in runs:
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
