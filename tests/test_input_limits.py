"""Inputs at the edges of what the engine can represent (issue 18, part 2, items 6-11).

Each case was first reproduced on the code before the fix: times beyond the step counters
wrapped to negative steps and acted at once, negative delay distributions were clamped to one
step, NumPy scalars were refused and strings accepted, off-grid durations were lost, large
seeds aliased small ones, and networks too large for memory were built until a bare
``MemoryError``. Now each is refused before anything runs, with the value and what is
allowed, or handled (the remainder of a duration is carried).
"""
from __future__ import annotations

import datetime
import re
import warnings

import h5py
import numpy as np
import pytest

import fastspike as fs
from fastspike import resources, validation
from fastspike.random import hash_seed


def _lif_net(n=2, dt=0.1, **kw):
    net = fs.Network(dt=dt, **kw)
    pop = net.population(fs.LIF(tau_m=10.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=n, name="p")
    return net, pop


# --------------------------------------------------------------------------------------------
# item 6: times and counts that do not fit the step counters
# --------------------------------------------------------------------------------------------
def test_step_current_time_beyond_the_step_counter_is_refused():
    """times=[0, 1e20] used to round to step -2**63: the far step acted from t = 0."""
    net, pop = _lif_net()
    with pytest.raises(ValueError, match=r"StepCurrent: times contains 1e\+20 ms.*steps.*below 9007199254740992"):
        net.current(pop, fs.StepCurrent(times=[0.0, 1e20], amplitudes=[0.0, 100.0]))
    assert pop.currents == []
    net.current(pop, fs.StepCurrent(times=[0.0, 1e9], amplitudes=[0.0, 100.0]))  # far but representable


def test_poisson_source_time_beyond_the_step_counter_is_refused():
    net = fs.Network(dt=0.1)
    with pytest.raises(ValueError, match=r"PoissonSource: times contains 1e\+20 ms"):
        net.population(fs.PoissonSource(rate=[0.0, 500.0], times=[0.0, 1e20]), n=3)
    assert net.populations == []


def test_refractory_period_beyond_the_int32_counter_is_refused():
    """t_ref = 1e10 ms is 1e11 steps: cast to int32 it wrapped, and every neuron fired every step."""
    net = fs.Network(dt=0.1)
    with pytest.raises(ValueError, match=r"LIF: t_ref=1e\+10 ms is 1e\+11 steps.*at most 2147483647 steps"):
        net.population(fs.LIF(tau_m=10.0, t_ref=1e10), n=3)
    net.population(fs.LIF(tau_m=10.0, t_ref=1e8), n=3)  # 1e9 steps: fits


def test_spike_source_indices_and_times_beyond_the_counters_are_refused():
    """np.uint64(2**63) used to wrap to -2**63 and replay neuron 0."""
    with pytest.raises(ValueError, match=r"SpikeSource: neurons contains 9223372036854775808, out of range"):
        fs.SpikeSource(times=[1.0], neurons=np.array([2**63], np.uint64))
    with pytest.raises(ValueError, match=r"neurons contains 2147483648"):
        fs.SpikeSource(times=[1.0], neurons=[2**31])
    net = fs.Network(dt=0.1)
    with pytest.raises(ValueError, match=r"SpikeSource: times contains 1e\+20 ms"):
        net.population(fs.SpikeSource(times=[1.0, 1e20], neurons=[0, 1]), n=2)
    # a spike before the first step end is refused when the population is made (it was at run())
    with pytest.raises(ValueError, match=r"before the first step end"):
        net.population(fs.SpikeSource(times=[0.0], neurons=[0]), n=2)
    assert net.populations == []


def test_counts_and_durations_beyond_the_counters_are_refused():
    net, pop = _lif_net()
    with pytest.raises(ValueError, match=r"record: every=1180591620717411303424 is not allowed"):
        net.record(pop, "v", every=2**70)
    with pytest.raises(ValueError, match=r"run: duration=1e\+300 ms would take the network to step"):
        net.run(1e300)
    with pytest.raises(ValueError, match=r"population: n=4294967296 is not allowed; it must be an integer >= 1 and "
                                         r"<= 2147483647"):
        net.population(fs.LIF(tau_m=10.0), n=2**32)
    with pytest.raises(ValueError, match=r"FromArrays: pre contains 9223372036854775808"):
        fs.FromArrays(np.array([2**63], np.uint64), [0])
    assert net.step == 0 and net.records == []


# --------------------------------------------------------------------------------------------
# item 7: delay distributions below zero
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("delay", [fs.Uniform(-5.0, -1.0), fs.Normal(-5.0, 1.0), fs.Normal(-0.5, 1.0),
                                   fs.Uniform(-3.0, 1.0)])
def test_delay_distributions_mostly_below_zero_are_refused_as_negative_scalars_are(delay):
    """Uniform(-5, -1) used to be clamped to one step silently, while delay=-1.0 was refused."""
    net, pop = _lif_net()
    with pytest.raises(ValueError, match=r"connect: delay=(Uniform|Normal).*% of its values are below 0 ms.*low="):
        net.connect(pop, pop, fs.AllToAll(), delay=delay)
    with pytest.raises(ValueError, match=r"delays must be >= 0 ms"):
        net.connect(pop, pop, fs.AllToAll(), delay=-1.0)
    assert net.projections == []


def test_delay_distribution_partly_below_zero_warns_and_is_raised_to_one_step():
    net, pop = _lif_net(n=50)
    with pytest.warns(RuntimeWarning, match=r"30\.9% of the delays drawn from Normal.*raised to one step.*low=0\.1"):
        proj = net.connect(pop, pop, fs.AllToAll(), delay=fs.Normal(0.5, 1.0))
    assert proj.delays.min() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.connect(pop, pop, fs.AllToAll(), delay=fs.Normal(0.5, 1.0, low=0.1))  # bounded: no warning
        net.connect(pop, pop, fs.AllToAll(), delay=fs.Uniform(0.0, 0.3))  # >= 0: raised to a step, as scalars


# --------------------------------------------------------------------------------------------
# item 8: one number check for the whole API
# --------------------------------------------------------------------------------------------
def test_numpy_scalars_are_numbers_everywhere():
    """ExpCurrent(np.float32(5.0)) and Normal(np.int64(1), 0.1) were refused as "not a finite number"."""
    assert fs.ExpCurrent(np.float32(5.0)).tau == 5.0
    assert fs.Normal(np.int64(1), np.float32(0.5)).args[:2] == (1.0, 0.5)
    assert fs.Uniform(np.float32(0.5), np.int32(2)).args[:2] == (0.5, 2.0)
    assert fs.FixedProbability(np.float32(0.5)).p == 0.5
    assert fs.FixedIndegree(np.uint16(3)).k == 3
    assert fs.LIF(tau_m=np.float32(5.0), v_thresh=np.int64(-50)).params["tau_m"] == 5.0
    net = fs.Network(dt=np.float32(0.5), seed=np.uint64(3))
    pop = net.population(fs.LIF(tau_m=10.0), n=np.int16(3))
    net.poisson_input(pop, n=np.int64(10), rate=np.float32(5.0), weight=np.float32(0.5))
    net.connect(pop, pop, fs.AllToAll(), weight=np.float16(0.5), delay=np.float32(1.0))
    assert net.dt == 0.5 and pop.n == 3


NOT_NUMBERS = [
    ("a string", "20"), ("a complex number", 5 + 0j), ("a complex number", np.complex64(5)), ("a boolean", True),
    ("a boolean", np.bool_(True)), ("date", datetime.datetime(2024, 1, 1)),
    ("date", np.datetime64("2024-01-01")), ("date", np.timedelta64(5, "ms")),
    ("date", datetime.timedelta(milliseconds=5)),
]
TAKERS = {
    "LIF tau_m": lambda x: fs.LIF(tau_m=x),
    "ExpCurrent tau": lambda x: fs.ExpCurrent(x),
    "Normal mean": lambda x: fs.Normal(x, 1.0),
    "Uniform high": lambda x: fs.Uniform(0.0, x),
    "FixedProbability p": lambda x: fs.FixedProbability(x),
    "Network dt": lambda x: fs.Network(dt=x),
    "run duration": lambda x: _lif_net()[0].run(x),
    "StepCurrent times": lambda x: fs.StepCurrent(times=[x], amplitudes=[1.0]),
    "PoissonSource rate": lambda x: fs.PoissonSource(rate=x),
    "poisson_input weight": lambda x: (lambda net, pop: net.poisson_input(pop, 10, 5.0, x))(*_lif_net()),
    "current": lambda x: (lambda net, pop: net.current(pop, x))(*_lif_net()),
    "connect weight": lambda x: (lambda net, pop: net.connect(pop, pop, fs.AllToAll(), weight=[x] * 4))(*_lif_net()),
}


@pytest.mark.parametrize("taker", sorted(TAKERS))
@pytest.mark.parametrize("why, value", NOT_NUMBERS, ids=[f"{w}:{v!r}" for w, v in NOT_NUMBERS])
def test_non_numbers_are_refused_by_every_constructor(taker, why, value):
    """tau_m='20' used to be accepted (converted by NumPy), so were booleans and datetimes."""
    with pytest.raises(TypeError, match=rf"{re.escape(why)}|{re.escape(why.split()[-1])}s?") as info:
        TAKERS[taker](value)
    assert isinstance(info.value, ValueError)  # the one helper's refusal is also a ValueError (as before)


def test_number_helper_messages_name_value_and_what_is_allowed():
    with pytest.raises(TypeError, match=r"^ExpCurrent: tau='5' is not a number \(a string\); it must be a finite "
                                        r"number > 0 \(ms\)$"):
        fs.ExpCurrent("5")
    with pytest.raises(ValueError, match=r"^ExpCurrent: tau=-1\.0 is not allowed; it must be a finite number > 0"):
        fs.ExpCurrent(-1.0)
    assert validation.number(np.float32(0.25), "x", "t") == 0.25
    assert validation.integer(np.int8(-3), "k", "t") == -3
    with pytest.raises(ValueError, match=r"k=3\.0 is not allowed; it must be an integer"):
        validation.integer(3.0, "k", "t")


# --------------------------------------------------------------------------------------------
# item 9: durations off the step grid
# --------------------------------------------------------------------------------------------
def test_off_grid_durations_carry_their_remainder():
    """20 x run(0.05) at dt = 0.1 used to advance 0 ms; now 1 ms, as run(1.0)."""
    net, pop = _lif_net()
    for _ in range(20):
        net.run(0.05)
    assert net.step == 10 and net.t == pytest.approx(1.0)
    a, b = _lif_net()[0], _lif_net()[0]
    for d in (0.25, 0.25, 0.37, 0.13, 1.04, 0.06):
        a.run(d)
    b.run(2.1)
    assert a.step == b.step == 21


def test_off_grid_runs_give_the_records_of_one_run():
    nets = []
    for parts in ((0.25, 0.25, 9.5, 0.05, 0.05, 9.9), (20.0,)):
        net, pop = _lif_net()
        net.current(pop, [30.0, 20.0])
        rec = net.record(pop, ["v"])
        spikes = net.record(pop, "spikes")
        for d in parts:
            net.run(d)
        nets.append((net.step, rec.v.copy(), spikes.steps.copy()))
    assert nets[0][0] == nets[1][0] == 200
    assert np.array_equal(nets[0][1], nets[1][1]) and np.array_equal(nets[0][2], nets[1][2])


# --------------------------------------------------------------------------------------------
# item 10: seeds beyond 64 bits
# --------------------------------------------------------------------------------------------
def test_128_bit_seeds_do_not_alias_and_reach_the_file(tmp_path):
    """Seed 5 + 2**64 used the streams of seed 5; 2**70 was accepted and failed at run(output=)."""
    assert hash_seed(5, 1, 0) != hash_seed(5 + 2**64, 1, 0)
    assert hash_seed(5, 1, 0) == np.uint64(int(hash_seed(5, 1, 0)))  # seeds below 2**64 keep their streams
    draws = []
    for seed in (5, 5 + 2**64):
        net = fs.Network(dt=0.1, seed=seed)
        a = net.population(fs.LIF(tau_m=10.0), n=200, name="a")
        draws.append(net.connect(a, a, fs.FixedProbability(0.1)).targets)
    assert not np.array_equal(draws[0], draws[1])
    entropy = np.random.SeedSequence().entropy  # what NumPy hands out: 128 bits
    fs.Network(seed=entropy)
    with pytest.raises(ValueError, match=r"seed=340282366920938463463374607431768211456 is not allowed.*<= "
                                         r"340282366920938463463374607431768211455"):
        fs.Network(seed=2**128)
    net, pop = _lif_net(seed=2**70)
    net.run(1.0, output=tmp_path / "s.h5")
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert f.attrs["seed"] == str(2**70)
    with fs.load(tmp_path / "s.h5") as run:
        assert run.metadata["seed"] == str(2**70) and run.complete


# --------------------------------------------------------------------------------------------
# item 11: networks that cannot fit in memory
# --------------------------------------------------------------------------------------------
def test_projection_too_large_for_memory_is_refused_before_building():
    """10^12 synapses used to be drawn for a minute before a bare MemoryError."""
    net = fs.Network(dt=0.1)
    a = net.population(fs.LIF(tau_m=10.0), n=10**6, name="big_a")
    b = net.population(fs.LIF(tau_m=10.0), n=10**6, name="big_b")
    with pytest.raises(MemoryError, match=r"connect: projection 'big_a' -> 'big_b' \(FixedProbability\(0\.9\), about "
                                          r"9e\+11 synapses\) needs about [\d.]+ TB of memory, but only .* available"):
        net.connect(a, b, fs.FixedProbability(0.9), weight=fs.Normal(1.0, 0.1))
    assert net.projections == []


def _stdp():
    return fs.STDP(tau_plus=20.0, tau_minus=20.0, lambda_=0.01, alpha=1.0, mu_plus=0.0, mu_minus=0.0, w_max=10.0)


def test_a_plastic_projection_that_cannot_fit_is_refused_before_drawing(monkeypatch):
    """A plastic projection takes about 30 bytes per synapse while its storage is built (46
    with several delays), a static one 4-10: with room for 20 per synapse the static
    projection is made and the plastic one refused, naming it plastic."""
    net = fs.Network(dt=0.1)
    a = net.population(fs.LIF(tau_m=10.0), n=1000, name="a")
    b = net.population(fs.LIF(tau_m=10.0), n=1000, name="b")
    monkeypatch.setattr(resources, "available_memory", lambda: 20 * 200_000)
    net.connect(a, b, fs.FixedIndegree(200), weight=fs.Normal(1.0, 0.1), delay=fs.Uniform(0.1, 2.0))
    with pytest.raises(MemoryError, match=r"connect: plastic projection 'a' -> 'b' \(FixedIndegree\(200\), about "
                                          r"2e\+05 synapses\) needs about [\d.]+ MB"):
        net.connect(a, b, fs.FixedIndegree(200), weight=1.0, plasticity=_stdp())
    assert len(net.projections) == 1


@pytest.mark.parametrize("delay", [1.0, fs.Uniform(0.1, 2.0)])
def test_the_plastic_estimate_covers_what_building_takes(delay):
    """The memory check's estimate for a plastic projection is at least the peak of what
    ``connect`` allocates (traced by tracemalloc, which NumPy reports to), one delay or many."""
    import gc
    import tracemalloc

    net = fs.Network(dt=0.1, seed=3)
    a = net.population(fs.LIF(tau_m=10.0), n=2000, name="a")
    b = net.population(fs.LIF(tau_m=10.0), n=2000, name="b")
    # the same projection once before tracing: what it compiles (a cold cache) is not its storage
    net.connect(a, b, fs.FixedIndegree(300), weight=fs.Normal(1.0, 0.1), delay=delay, plasticity=_stdp())
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        proj = net.connect(a, b, fs.FixedIndegree(300), weight=fs.Normal(1.0, 0.1), delay=delay, plasticity=_stdp())
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    estimate = {}
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(resources, "_refuse", lambda what, needed, remedy: estimate.setdefault("bytes", needed))
    try:
        resources.check_projection(a, b, fs.FixedIndegree(300), fs.Normal(1.0, 0.1), delay, 1, plastic=True)
    finally:
        monkeypatch.undo()
    assert proj.n_synapses == 600_000
    assert peak > 25 * proj.n_synapses  # not a trivial bound: the storage of a plastic projection
    assert estimate["bytes"] >= peak, (estimate["bytes"] / proj.n_synapses, peak / proj.n_synapses)


def test_population_too_large_for_memory_is_refused(monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: 10_000_000)  # 10 MB left
    net = fs.Network(dt=0.1)
    with pytest.raises(MemoryError, match=r"population 'huge' \(HodgkinHuxley, n=1000000\) needs about [\d.]+ MB.*"
                                          r"only 10 MB are available"):
        net.population(fs.HodgkinHuxley(), n=10**6, name="huge")
    net.population(fs.HodgkinHuxley(), n=1000, name="small")


def test_ring_buffers_too_large_for_memory_are_refused_at_run():
    """Delays up to 6 s at dt = 0.1 ms make 65536 ring rows per target neuron: 0.5 TB for 10^6."""
    net = fs.Network(dt=0.1)
    src = net.population(fs.SpikeSource(times=[1.0], neurons=[0]), n=1, name="src")
    big = net.population(fs.LIF(tau_m=10.0), n=10**6, name="big")
    net.connect(src, big, fs.FixedTotalNumber(10), weight=1.0, delay=fs.Uniform(0.1, 6000.0))
    with pytest.raises(MemoryError, match=r"run: the network's buffers \(largest: the ring buffers of population 'big'.*"
                                          r"65536 steps x 1000000 neurons.*\) needs about [\d.]+ GB"):
        net.run(1.0)
    assert net.step == 0 and net._engine is None


# --------------------------------------------------------------------------------------------
# item 4 (before the run): records kept in memory
# --------------------------------------------------------------------------------------------
def test_records_that_cannot_fit_in_memory_are_refused_with_the_output_remedy():
    net, pop = _lif_net(n=1000)
    net.record(pop, "v")
    with pytest.raises(MemoryError, match=r"run: the records kept in memory would grow by about [\d.]+ (TB|PB).*"
                                          r"'p' state.*output='run\.h5'"):
        net.run(1e9)
    assert net.step == 0


def test_records_that_would_take_most_of_the_memory_warn(monkeypatch):
    net, pop = _lif_net(n=1000)
    net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.current(pop, 30.0)
    net.run(10.0)
    assert len(spikes) > 0
    # 200 steps: 200 x (8 + 8000) bytes of samples + spikes at the rate seen so far (100 steps)
    expected = 200 * (8 + 8000) + 12.0 * len(spikes) / 100 * 200
    needed, parts = resources.record_estimate(net, 200)
    assert needed == pytest.approx(expected) and len(parts) == 2
    monkeypatch.setattr(resources, "available_memory", lambda: int(expected * 1.5))
    with pytest.warns(resources.MemoryWarning, match=r"more than 50% of the .* available.*output='run\.h5'"):
        net.run(20.0)
    assert net.step == 300
