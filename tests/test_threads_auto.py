"""``threads="auto"`` and the warning for a thread count expected to slow a run.

A step with T threads costs about W / T + SYNC_NS (fastspike.runtime.work): "auto" takes one
thread for a network whose step has a few microseconds of work (B1 CUBA: 4000 neurons), more
when the work of a step dwarfs the threads' barriers (B4-like: 10^5 neurons with Poisson
afferents), never more than the available cores; an explicit count that is predicted slower
than one thread, or above the cores, runs as asked with a RuntimeWarning.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastspike as fs
from fastspike.networks import standard
from fastspike.runtime import work


def small_net(threads):
    net = fs.Network(dt=0.1, seed=3, threads=threads)
    pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, t_ref=2.0), n=200)
    net.connect(pop, pop, fs.FixedProbability(0.1), synapse=fs.ExpCurrent(5.0), weight=0.5, delay=1.0)
    net.poisson_input(pop, n=100, rate=20.0, weight=2.0, synapse=fs.ExpCurrent(5.0))
    return net, pop


def test_auto_is_one_thread_for_small_networks(monkeypatch):
    monkeypatch.setattr(work, "available_cores", lambda: 8)
    net, _ = standard.cuba(threads="auto")
    assert net.threads == 1  # B1: a step of a few microseconds, less than the barriers cost


def test_auto_uses_the_cores_for_a_large_step(monkeypatch):
    net, _ = standard.uncoupled(10**5, threads="auto")
    w = work.step_work_ns(net)
    assert w > 4 * work.SYNC_NS  # 10^5 neurons with Poisson afferents
    for cores in (1, 2, 4):
        monkeypatch.setattr(work, "available_cores", lambda cores=cores: cores)
        assert net.threads == cores
        best = net.threads
        assert all(work.predicted_step_ns(w, best) <= work.predicted_step_ns(w, t) for t in range(1, cores + 1))


def test_auto_runs_and_gives_the_spikes_of_one_thread(monkeypatch):
    monkeypatch.setattr(work, "available_cores", lambda: 2)
    out = []
    for threads in (1, "auto"):
        net, pop = small_net(threads)
        rec = net.record(pop, "spikes")
        net.run(50.0)
        assert net.threads == 1
        out.append((rec.steps.copy(), rec.neurons.copy(), pop.v.copy()))
    assert out[0][0].size > 0
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def test_a_count_expected_to_slow_the_run_warns(monkeypatch):
    monkeypatch.setattr(work, "available_cores", lambda: 2)
    net, _ = small_net(2)
    with pytest.warns(RuntimeWarning, match=r"threads=2 is expected to make this network slower than one thread.*"
                                            r"threads='auto' would take 1"):
        net.build()
    net, _ = standard.uncoupled(10**5, threads=4)  # threads pay, but 4 on 2 cores do not
    assert "threads=4 but this process may run 2 at once" in work.slower_warning(net, 4)
    assert "would take 2" in work.slower_warning(net, 4)


def test_auto_is_one_thread_when_deliveries_with_several_delays_dominate(monkeypatch):
    """B3 (every projection with distributed delays) ran 0.85-0.87x as fast with 2 threads as
    with 1 on a 2-core machine (benchmarks/bench_threads.py, both wait policies), B2 (one
    delay) 1.5-1.6x: "auto" takes one thread for B3, and asking for 2 warns."""
    monkeypatch.setattr(work, "available_cores", lambda: 2)
    net, _ = standard.microcircuit(0.1)
    w, serial = work.step_work_ns(net), work.serial_work_ns(net)
    assert w > 4 * work.SYNC_NS and serial > 0.5 * w  # a large step, mostly ring deliveries
    assert work.auto_threads(net) == 1
    assert work.predicted_step_ns(w, 2, serial) > 0.9 * w  # without the serial part: about 0.57 w
    b2, _ = standard.brunel(0.5, threads="auto")  # one delay: threads share its events
    assert work.serial_work_ns(b2) == 0 and b2.threads == 2
    monkeypatch.setattr(work, "SYNC_NS", 2 * work.SYNC_NS)  # barriers as they cost on a busier machine
    assert "in deliveries with several delays, which threads do not share" in work.slower_warning(net, 2)


def test_no_warning_when_threads_pay(monkeypatch):
    monkeypatch.setattr(work, "available_cores", lambda: 2)
    net, _ = standard.uncoupled(10**5, threads=2)
    assert work.slower_warning(net, 2) is None
    net1, _ = small_net(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert work.slower_warning(net1, 1) is None


@pytest.mark.parametrize("value", ["four", "", 0, -1, 2.5])
def test_bad_thread_counts_are_refused(value):
    with pytest.raises((ValueError, TypeError), match="threads"):
        fs.Network(threads=value)
