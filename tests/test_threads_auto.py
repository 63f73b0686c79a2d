"""``threads="auto"`` and the warning for a thread count expected to slow a run.

A step with T threads costs about W / T + SYNC_NS (fastspike.runtime.work): "auto" takes one
thread for a network whose step has a few microseconds of work (B1 CUBA: 4000 neurons), more
when the work of a step dwarfs the threads' barriers (B4-like: 10^5 neurons with Poisson
afferents), never more than the available cores; an explicit count that is predicted slower
than one thread, or above the cores, runs as asked with a RuntimeWarning.
"""
from __future__ import annotations

import ast
import warnings

import numpy as np
import pytest

import fastspike as fs
from fastspike.backends.cpu.engine import sample_rows
from fastspike.backends.cpu.lower import delivery_owners, lower_program
from fastspike.blocks import balance
from fastspike.ir.schedule import build_program
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


def test_deliveries_with_several_delays_are_shared_out_by_target_population(monkeypatch):
    """B3 (every projection with distributed delays) ran 0.85-0.87x as fast with 2 threads as
    with 1 on a 2-core machine when every thread walked every spike's delay groups for its own
    targets, and 1.34x once each target population's deliveries went whole to one thread
    (benchmarks/bench_threads.py): "auto" takes 2 threads for it; the largest thread's share is
    what the model charges. A population that also receives a plastic projection with several
    delays keeps the walk of every thread (the serial part)."""
    monkeypatch.setattr(work, "available_cores", lambda: 2)
    net, _ = standard.microcircuit(0.1)
    w, serial = work.step_work_ns(net), work.serial_work_ns(net)
    total, largest = work.owned_work_ns(net, 2)
    assert serial == 0 and w > 4 * work.SYNC_NS and total > 0.5 * w  # a large step, mostly ring deliveries
    assert total / 2 <= largest < 0.6 * total  # 8 populations balance well on 2 threads
    assert work.auto_threads(net) == 2
    assert work.predicted_step_ns(w, 2, serial, (total, largest)) < w / work.MIN_GAIN
    b2, _ = standard.brunel(0.5, threads="auto")  # one delay: threads split its rows by range
    assert work.serial_work_ns(b2) == 0 and work.owned_work_ns(b2, 2) == (0.0, 0.0) and b2.threads == 2

    plastic = fs.Network(threads=2)
    a = plastic.population(fs.LIF(tau_m=10.0), 2000, "a")
    b = plastic.population(fs.LIF(tau_m=10.0), 2000, "b")
    plastic.connect(a, b, fs.FixedIndegree(500), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0),
                    plasticity=fs.STDP(w_max=10.0))
    plastic.connect(b, b, fs.FixedIndegree(500), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0))
    plastic.connect(b, a, fs.FixedIndegree(500), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0))
    ab, bb, ba = (work._events_ns(plastic, p) for p in plastic.projections)
    assert work.serial_work_ns(plastic) == pytest.approx(ab + bb)  # b receives a plastic one: both stay split
    assert work.owned_work_ns(plastic, 2) == (pytest.approx(ba), pytest.approx(ba))


def test_balance_gives_each_population_whole_to_the_least_loaded_range():
    """Greedy balancing, heaviest first (the lowest range on a tie): the same answer as by hand."""
    assert balance({"L23E": 9.0, "L4E": 7.0, "L5E": 4.0, "L6E": 3.0, "L4I": 1.0}, 2) == \
        {"L23E": 0, "L4E": 1, "L5E": 1, "L6E": 0, "L4I": 1}  # loads 12 and 12
    assert balance({0: 1.0, 1: 1.0, 2: 1.0}, 3) == {0: 0, 1: 1, 2: 2}
    assert balance({}, 2) == {}


def test_threads_run_each_populations_deliveries_of_several_delays_in_one_range():
    """The lowering (threads in one process): every delivery of several delays into one
    population is owned by one range and run whole there, guarded by ``block == OW[0]``; a
    population receiving a plastic one keeps the split by range (offsets ``DO``/``DL`` of one
    thread, not the ranges' ``DP``)."""
    net = fs.Network(threads=2)
    a = net.population(fs.LIF(tau_m=10.0), 20, "a")
    b = net.population(fs.LIF(tau_m=10.0), 30, "b")
    c = net.population(fs.LIF(tau_m=10.0), 10, "c")
    net.connect(a, b, fs.FixedIndegree(5), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0))
    net.connect(c, b, fs.FixedIndegree(5), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0))
    net.connect(b, a, fs.FixedIndegree(5), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0))
    net.connect(a, c, fs.FixedIndegree(5), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0),
                plasticity=fs.STDP(w_max=10.0))
    net.connect(b, c, fs.FixedIndegree(5), fs.ExpCurrent(2.0), weight=1.0, delay=fs.Uniform(0.5, 2.0))
    net.prepare_buffers()
    prog = build_program(net, net._buffers, sample_rows(net))
    owners = delivery_owners(prog, 2)
    posts = {k: prog.calls[k].kernel.work.post for k in owners}
    assert sorted(posts.values()) == [a.index, b.index, b.index]  # c (plastic input) is left out
    assert owners == {k: (0 if posts[k] == b.index else 1) for k in owners}  # b: 150 synapses, a: 100
    for lowered in lower_program(prog, threads=2):
        work_ = lowered.kernel
        if work_.kind.startswith("deliver") and "OW" in work_.params:
            assert "block == OW[0]" in ast.unparse(work_.body[0].test) and "DP" not in work_.params
    assert sum("OW" in low.kernel.params for low in lower_program(prog, threads=2)) == 3
    assert not any("OW" in low.kernel.params for low in lower_program(prog, threads=2, processes=2))


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


def test_owned_deliveries_follow_the_populations_rates_and_keep_the_spikes():
    """Between chunks the engine gives the owned deliveries anew by the synaptic events of
    the spikes in the presynaptic histories: a population with many synapses from a silent
    source and one with few from a busy one end up on different ranges, whichever had the
    most synapses; the spikes are those of one thread, before and after."""
    def build(threads):
        net = fs.Network(dt=0.1, seed=5, threads=threads)
        busy = net.population(fs.PoissonSource(rate=400.0), 40, "busy")
        quiet = net.population(fs.PoissonSource(rate=0.0), 40, "quiet")
        a = net.population(fs.LIF(tau_m=10.0), 30, "a")
        b = net.population(fs.LIF(tau_m=10.0), 30, "b")
        c = net.population(fs.LIF(tau_m=10.0), 30, "c")
        net.connect(quiet, a, fs.FixedIndegree(20), fs.ExpCurrent(2.0), weight=50.0, delay=fs.Uniform(0.5, 2.0))
        net.connect(busy, b, fs.FixedIndegree(5), fs.ExpCurrent(2.0), weight=50.0, delay=fs.Uniform(0.5, 2.0))
        net.connect(busy, c, fs.FixedIndegree(5), fs.ExpCurrent(2.0), weight=50.0, delay=fs.Uniform(0.5, 2.0))
        recs = [net.record(p, "spikes") for p in (a, b, c)]
        return net, recs

    one, recs1 = build(1)
    one.run(30.0)
    two, recs2 = build(2)
    with pytest.warns(RuntimeWarning, match="slower than one thread"):
        two.build()
    owned = two._engine.owned
    first = {d.post: int(d.owner[0]) for d in owned}  # by synapses: a (600) alone, b and c (150 each) together
    assert first[2] != first[3] == first[4]
    two.run(15.0)  # one chunk: its spikes are in the histories when the next chunk starts
    two.run(15.0)
    after = {d.post: int(d.owner[0]) for d in owned}  # by events: a receives none, b and c apart
    assert after[3] != after[4]
    for r1, r2 in zip(recs1, recs2):
        assert np.array_equal(r1.neurons, r2.neurons) and np.array_equal(r1.steps, r2.steps)
    assert recs1[1].steps.size and recs1[2].steps.size  # b and c fire
