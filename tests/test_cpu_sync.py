"""The synchronisation of CPU threads in one parallel region (fastspike.backends.cpu.sync).

A barrier must let no worker into the next phase before every worker finished the last one,
and the rendezvous must give up (rather than wait forever at the first barrier) when a
threading layer runs the workers one after another. A threaded network gives the same
spikes in one parallel region per chunk and in its fallback, a region per stage.
"""
from __future__ import annotations

import numpy as np
import pytest
from numba import njit, prange

import fastspike as fs
from fastspike.backends.cpu.sync import SYNC_SIZE, atomic_add, barrier, rendezvous


@njit
def _phases(w, workers, sync, counts, seen, phases):
    if not rendezvous(sync, workers, 1 << 20):
        return
    for p in range(phases):
        atomic_add(counts, p, 1)
        barrier(sync, workers)
        seen[w, p] = counts[p]  # every worker has counted phase p by now


@njit(parallel=True)
def _region(workers, sync, counts, seen, phases):
    for w in prange(workers):
        _phases(np.int64(w), workers, sync, counts, seen, phases)
    return 0


def test_a_barrier_lets_no_worker_ahead():
    import numba

    workers = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(workers)
    sync, counts = np.zeros(SYNC_SIZE, np.int64), np.zeros(200, np.int64)
    seen = np.zeros((workers, 200), np.int64)
    _region(workers, sync, counts, seen, 200)
    assert sync[3] == 1  # the workers ran at once
    np.testing.assert_array_equal(counts, workers)
    np.testing.assert_array_equal(seen, workers)


@njit
def _one_after_another(workers, sync, budget):
    out = np.zeros(workers, np.bool_)
    for w in range(workers):  # what a layer that does not run the workers at once does
        out[w] = rendezvous(sync, workers, budget)
    return out


def test_the_rendezvous_gives_up_when_the_workers_do_not_run_at_once():
    sync = np.zeros(SYNC_SIZE, np.int64)
    assert not _one_after_another(3, sync, 1000).any()
    assert sync[3] == 2  # abort, decided once for all


@pytest.mark.parametrize("fused", [False, True], ids=["kernels", "fused"])
def test_workers_at_once_and_one_region_per_stage_give_the_same_spikes(fused, monkeypatch):
    """The workers started at once and the fallback (a parallel region per stage for a
    program of kernels; the ranges one after another for a small, fused program) give the
    same spikes."""
    from fastspike.backends.cpu import compiler

    if not fused:  # render kernels and drivers, as for a large network
        monkeypatch.setattr(compiler, "FUSE_MAX_CALLS", 0)
    fallback = "run_chunk_ranges" if fused else "run_chunk_stages"

    def run(stages: bool):
        net = fs.Network(dt=0.1, seed=9, threads=2)
        src = net.population(fs.PoissonSource(rate=400.0), n=40, name="src")
        pop = net.population(fs.LIF(tau_m=10.0, v_thresh=-60.0, t_ref=1.0), n=50, name="pop")
        net.connect(src, pop, fs.FixedProbability(0.3), synapse=fs.ExpCurrent(2.0), weight=1.5,
                    delay=fs.Uniform(0.1, 1.0))
        net.connect(pop, pop, fs.FixedProbability(0.1), synapse=fs.Delta(), weight=0.5, delay=0.5)
        spikes = net.record(pop, "spikes")
        net.build()
        assert hasattr(net._engine.module, "run_chunk_stages") != fused
        if stages:
            net._engine.function = getattr(net._engine.module, fallback)
        net.run(30.0)
        return spikes, net._engine.function.__name__

    (a, name_a), (b, name_b) = run(False), run(True)
    assert (name_a, name_b) == ("worker", fallback)  # threads started at once, then the fallback
    assert len(a) > 20
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.neurons, b.neurons)
