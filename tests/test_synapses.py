"""Synaptic input against closed-form solutions (exact LIF integrator, float64).

A current jump ``w`` at ``t0`` into an exponential channel of time constant ``tau_s`` drives
``tau_m dv/dt = -(v - v_rest) + R I`` with ``I(t) = w exp(-(t - t0)/tau_s)``, whose solution for
``t >= t0`` (``v(t0) = v_rest``) is the PSP

    v(t) - v_rest = w R / tau_m * tau_s tau_m / (tau_m - tau_s) * (exp(-(t-t0)/tau_m) - exp(-(t-t0)/tau_s))

with the limit ``w R / tau_m * (t - t0) exp(-(t - t0)/tau_m)`` when ``tau_s == tau_m``. The
equation is linear, so the response to many input spikes is the superposition of their PSPs.
A delta synapse makes ``v`` jump by ``w`` at ``t0``, then relax as ``exp(-(t - t0)/tau_m)``.

Timing (SPEC sec. 3, fastspike.ir.schedule module docstring): a SpikeSource spike given at ``t`` is stamped
``t``; with a delay of ``D`` steps it is added to the target channel at the end of the step that
ends at ``t0 = t + D dt``. Every expected value below is computed from these formulas, never
from fastspike; the comparison is to 1e-10 mV at every recorded sample.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastspike as fs

DT = 0.1
TAU_M = 10.0
R = 2.0
V_REST = -65.0
NEVER = 1e9  # a threshold that is never reached
T_RUN = 60.0
ATOL = 1e-10


def psp_exp(u, w, tau_s, tau_m=TAU_M, r=R):
    """v - v_rest, ``u`` ms after a current jump ``w`` into a channel of time constant tau_s."""
    u = np.asarray(u, dtype=np.float64)
    on = u >= 0
    uu = np.where(on, u, 0.0)
    if tau_s == tau_m:
        shape = uu * np.exp(-uu / tau_m)
    else:
        shape = tau_s * tau_m / (tau_m - tau_s) * (np.exp(-uu / tau_m) - np.exp(-uu / tau_s))
    return np.where(on, w * r / tau_m * shape, 0.0)


def psp_delta(u, w, tau_m=TAU_M):
    u = np.asarray(u, dtype=np.float64)
    return np.where(u >= 0, w * np.exp(-np.where(u >= 0, u, 0.0) / tau_m), 0.0)


def steps_of(ms):
    return int(round(ms / DT))


# --------------------------------------------------------------------------------------------
# One network with three exponential channels (tau 2, 8 and tau_m = 10 ms), a delta channel
# fed by two projections, and a refractory population; run once for the module.
# --------------------------------------------------------------------------------------------
SRC_TIMES = {0: [1.0, 4.5, 4.6, 12.0], 1: [2.0, 4.5, 20.0]}  # ms, per source neuron

# AllToAll from the 2 source neurons to the 3 target neurons: weights (2, 3), dyadic so that
# their float32 storage is exact.
EXP_PROJECTIONS = [
    # tau_s, weights, delay (scalar ms or (2, 3) array ms)
    (2.0, np.array([[1.5, 0.0, -2.0], [0.5, 3.0, 0.0]]), 0.1),
    (8.0, np.array([[-1.25, 2.0, 0.75], [0.0, -0.5, 1.0]]), 0.5),
    (TAU_M, np.array([[0.25, 0.0, 1.5], [2.5, 1.0, -0.75]]),
     np.array([[0.2, 1.3, 0.7], [2.0, 0.1, 0.4]])),
]
DELTA_PROJECTIONS = [
    (np.array([[1.0, -0.5, 0.0], [0.25, 2.0, -1.5]]), 0.1),
    (np.array([[-0.75, 0.5, 1.25], [0.0, 1.0, 0.5]]), 0.7),
]

# refractory population: LIF that fires on a strong delta input, then receives weak inputs
REF = dict(tau_m=TAU_M, R=1.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0)
REF_STRONG_ARRIVAL = 2.0  # 20 mV from -65: fires, stamped 2.0, refractory up to 4.0 inclusive
REF_WEAK = {0: [3.0, 6.0], 1: [4.0], 2: [4.1]}  # arrival times of 5 mV inputs per target


def _src_arrays(times_by_neuron):
    times, neurons = [], []
    for i, ts in times_by_neuron.items():
        times += list(ts)
        neurons += [i] * len(ts)
    return np.array(times), np.array(neurons)


@pytest.fixture(scope="module")
def psp_run():
    net = fs.Network(dt=DT, seed=3)
    src = net.population(fs.SpikeSource(*_src_arrays(SRC_TIMES)), n=2, name="src")
    lif = dict(tau_m=TAU_M, R=R, v_rest=V_REST, v_thresh=NEVER)
    exp_pop = net.population(fs.LIF(**lif), n=3, name="exp", integrator="exact")
    delta_pop = net.population(fs.LIF(**lif), n=3, name="delta", integrator="exact")
    for tau_s, w, d in EXP_PROJECTIONS:
        net.connect(src, exp_pop, fs.AllToAll(), synapse=fs.ExpCurrent(tau_s), weight=w, delay=d)
    for w, d in DELTA_PROJECTIONS:
        net.connect(src, delta_pop, fs.AllToAll(), synapse=fs.Delta(), weight=w, delay=d)

    # refractory: source neurons 0-2 strong (20 mV) to targets 0-2, 3-5 weak (5 mV)
    rt, rn = [], []
    for i in range(3):
        rt.append(REF_STRONG_ARRIVAL - DT)
        rn.append(i)
    for i, arrivals in REF_WEAK.items():
        for a in arrivals:
            rt.append(a - DT)
            rn.append(3 + i)
    rsrc = net.population(fs.SpikeSource(np.array(rt), np.array(rn)), n=6, name="rsrc")
    ref_pop = net.population(fs.LIF(**REF), n=3, name="ref", integrator="exact")
    net.connect(rsrc, ref_pop, fs.FromArrays([0, 1, 2, 3, 4, 5], [0, 1, 2, 0, 1, 2]), synapse=fs.Delta(),
                weight=[20.0, 20.0, 20.0, 5.0, 5.0, 5.0], delay=DT)

    recs = {
        "exp": net.record(exp_pop, "v"),
        "delta": net.record(delta_pop, "v"),
        "ref": net.record(ref_pop, "v"),
        "ref_spikes": net.record(ref_pop, "spikes"),
        "exp_spikes": net.record(exp_pop, "spikes"),
        "src_spikes": net.record(src, "spikes"),
    }
    net.run(T_RUN)
    return net, recs


def _sample_times(rec):
    return rec.steps.astype(np.float64) * DT


def _delay_matrix(d):
    return np.broadcast_to(np.asarray(d, dtype=np.float64), (2, 3))


def test_samples_are_stamped_at_step_ends(psp_run):
    _, recs = psp_run
    n = steps_of(T_RUN)
    np.testing.assert_array_equal(recs["exp"].steps, np.arange(1, n + 1))


def test_spike_source_replays_stamped_times(psp_run):
    _, recs = psp_run
    s = recs["src_spikes"]
    times, neurons = _src_arrays(SRC_TIMES)
    order = np.lexsort((neurons, times))
    np.testing.assert_array_equal(s.steps, np.rint(times[order] / DT).astype(np.int64))
    np.testing.assert_array_equal(s.neurons, neurons[order])


def expected_exp_traces(t):
    v = np.full((t.size, 3), V_REST)
    for tau_s, w, d in EXP_PROJECTIONS:
        dm = _delay_matrix(d)
        for i, ts in SRC_TIMES.items():
            for t_spike in ts:
                for j in range(3):
                    t0 = (steps_of(t_spike) + steps_of(dm[i, j])) * DT
                    v[:, j] += psp_exp(t - t0, w[i, j], tau_s)
    return v


def test_two_exp_channels_and_equal_tau_superpose_closed_form_psps(psp_run):
    _, recs = psp_run
    trace = recs["exp"]
    t = _sample_times(trace)
    expected = expected_exp_traces(t)
    assert len(recs["exp_spikes"]) == 0
    # the input is not trivial: PSPs of both signs
    assert expected.max() - V_REST > 0.5 and expected.min() - V_REST < -0.1
    err = np.abs(trace.v - expected)
    k, j = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() <= ATOL, f"max error {err.max():.3e} mV at t={t[k]} ms, neuron {j}"


def test_fast_channel_alone_before_other_inputs_arrive(psp_run):
    """Neuron 0: the first input is source 0 at 1.0 ms through tau_s = 2 ms (w = 1.5, 1 step), so
    t0 = 1.1; the next one (tau = 10 channel, delay 0.2 ms) reaches v only from 1.3 on."""
    _, recs = psp_run
    trace = recs["exp"]
    t = _sample_times(trace)
    sel = (t >= 1.1 - 1e-9) & (t <= 1.2 + 1e-9)
    assert sel.sum() == 2
    np.testing.assert_allclose(trace.v[sel, 0], V_REST + psp_exp(t[sel] - 1.1, 1.5, 2.0), rtol=0, atol=ATOL)
    assert np.all(trace.v[t < 1.15, 0] == V_REST)
    assert trace.v[int(np.argmin(np.abs(t - 1.2))), 0] > V_REST


def test_equal_tau_limit_alone():
    """tau_s == tau_m: v - v_rest = w R / tau_m (t - t0) exp(-(t - t0)/tau_m), one spike."""
    net = fs.Network(dt=DT, seed=1)
    src = net.population(fs.SpikeSource([0.5], [0]), n=1)
    pop = net.population(fs.LIF(tau_m=TAU_M, R=R, v_rest=V_REST, v_thresh=NEVER), n=1, integrator="exact")
    net.connect(src, pop, fs.OneToOne(), synapse=fs.ExpCurrent(TAU_M), weight=4.0, delay=0.3)
    trace = net.record(pop, "v")
    net.run(80.0)
    t = _sample_times(trace)
    t0 = 0.5 + 0.3
    expected = V_REST + 4.0 * R / TAU_M * np.where(t >= t0, (t - t0) * np.exp(-(t - t0) / TAU_M), 0.0)
    np.testing.assert_allclose(trace.v[:, 0], expected, rtol=0, atol=ATOL)
    # the peak of the alpha-like PSP is at t0 + tau_m, value w R / tau_m * tau_m / e
    k = np.argmax(trace.v[:, 0])
    assert abs(t[k] - (t0 + TAU_M)) < DT + 1e-9
    assert abs(trace.v[k, 0] - V_REST - 4.0 * R / np.e) < 1e-3


def test_delta_synapses_jump_then_relax(psp_run):
    _, recs = psp_run
    trace = recs["delta"]
    t = _sample_times(trace)
    expected = np.full((t.size, 3), V_REST)
    for w, d in DELTA_PROJECTIONS:
        for i, ts in SRC_TIMES.items():
            for t_spike in ts:
                t0 = (steps_of(t_spike) + steps_of(d)) * DT
                for j in range(3):
                    expected[:, j] += psp_delta(t - t0, w[i, j])
    err = np.abs(trace.v - expected)
    assert err.max() <= ATOL, f"max error {err.max():.3e} mV"
    # the first jump: source 0 at 1.0 ms, delay 1 step, w = 1.0 onto neuron 0, visible at 1.1
    k = int(np.argmin(np.abs(t - 1.1)))
    assert trace.v[k - 1, 0] == V_REST
    assert abs(trace.v[k, 0] - (V_REST + 1.0)) <= ATOL


def test_refractory_neuron_fires_once_at_the_strong_input(psp_run):
    _, recs = psp_run
    s = recs["ref_spikes"]
    np.testing.assert_array_equal(np.sort(s.neurons), [0, 1, 2])
    np.testing.assert_array_equal(s.steps, [steps_of(REF_STRONG_ARRIVAL)] * 3)


def test_delta_input_during_refractory_period_is_discarded(psp_run):
    """After the spike at 2.0 ms, v is held at v_reset for t_ref = 2 ms (samples 2.0 ... 4.0) and
    input arriving in that time is lost; afterwards v relaxes to v_rest and input counts."""
    _, recs = psp_run
    trace = recs["ref"]
    t = _sample_times(trace)
    v_rest, v_reset, t_ref = REF["v_rest"], REF["v_reset"], REF["t_ref"]
    end = REF_STRONG_ARRIVAL + t_ref  # last refractory sample
    expected = np.full((t.size, 3), v_rest)
    held = (t >= REF_STRONG_ARRIVAL - 1e-9) & (t <= end + 1e-9)
    after = t > end + 1e-9
    for j, arrivals in REF_WEAK.items():
        expected[held, j] = v_reset
        expected[after, j] = v_rest + (v_reset - v_rest) * np.exp(-(t[after] - end) / REF["tau_m"])
        for a in arrivals:
            if a > end + 1e-9:  # only input arriving after the refractory period counts
                expected[:, j] += psp_delta(t - a, 5.0, REF["tau_m"])
    err = np.abs(trace.v - expected)
    k, j = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() <= ATOL, f"max error {err.max():.3e} mV at t={t[k]} ms, neuron {j}: " \
                              f"got {trace.v[k, j]}, expected {expected[k, j]}"
    # explicitly: the input at 3.0 (neuron 0) and at 4.0 (neuron 1, last refractory step) are lost
    for tt in (3.0, 4.0):
        k = int(np.argmin(np.abs(t - tt)))
        assert trace.v[k, 0] == v_reset and trace.v[k, 1] == v_reset
    # the input at 4.1 (neuron 2, first step after the refractory period) is added
    k = int(np.argmin(np.abs(t - 4.1)))
    assert abs(trace.v[k, 2] - (v_rest + (v_reset - v_rest) * np.exp(-DT / REF["tau_m"]) + 5.0)) <= ATOL


# --------------------------------------------------------------------------------------------
# Delays land on the predicted step
# --------------------------------------------------------------------------------------------
T_SPIKE = 1.0  # ms, the single input spike (stamped 1.0)
# delay given (ms) -> steps it must become (rounded to the grid, at least one step)
DELAYS = [(0.1, 1), (0.3, 3), (1.7, 17), (0.54, 5), (0.26, 3), (0.03, 1), (0.0, 1), (30.0, 300)]


@pytest.fixture(scope="module")
def delay_run():
    net = fs.Network(dt=DT, seed=5)
    src = net.population(fs.SpikeSource([T_SPIKE], [0]), n=1, name="src")
    lif = dict(tau_m=TAU_M, R=R, v_rest=V_REST, v_thresh=NEVER)
    n = len(DELAYS)
    delta_pop = net.population(fs.LIF(**lif), n=n, name="delta")
    exp_pop = net.population(fs.LIF(**lif), n=n, name="exp")
    array_pop = net.population(fs.LIF(**lif), n=n, name="array")
    projs = []
    for k, (d, _) in enumerate(DELAYS):  # one projection per delay, same source, different targets
        projs.append(net.connect(src, delta_pop, fs.FromArrays([0], [k]), synapse=fs.Delta(), weight=1.0, delay=d))
        net.connect(src, exp_pop, fs.FromArrays([0], [k]), synapse=fs.ExpCurrent(5.0), weight=1.0, delay=d)
    # one projection with a per-synapse delay array, targets given in reverse order
    rev = np.arange(n)[::-1]
    arr_proj = net.connect(src, array_pop, fs.FromArrays(np.zeros(n, int), rev), synapse=fs.Delta(), weight=1.0,
                           delay=np.array([DELAYS[k][0] for k in rev]))
    recs = {name: net.record(p, "v") for name, p in (("delta", delta_pop), ("exp", exp_pop), ("array", array_pop))}
    net.run(40.0)
    return projs, arr_proj, recs


def _first_change(v):
    changed = np.flatnonzero(v != V_REST)
    return int(changed[0]) if changed.size else None


def test_delays_are_rounded_to_steps(delay_run):
    projs, arr_proj, _ = delay_run
    for p, (d, steps) in zip(projs, DELAYS):
        assert int(p.delays[0]) == steps, (d, p.delays)
        np.testing.assert_allclose(p.synapse_delays(), steps * DT)
    # the array projection: synapse order follows the FromArrays input order
    by_target = dict(zip(arr_proj.targets.tolist(), np.broadcast_to(arr_proj.delays, (len(DELAYS),)).tolist()))
    assert by_target == {k: s for k, (_, s) in enumerate(DELAYS)}


@pytest.mark.parametrize("k", range(len(DELAYS)))
def test_delta_input_first_changes_v_at_stamp_plus_delay(delay_run, k):
    _, _, recs = delay_run
    trace = recs["delta"]
    steps = DELAYS[k][1]
    arrival_step = steps_of(T_SPIKE) + steps  # the step that ends at T + D dt
    first = _first_change(trace.v[:, k])
    assert first is not None
    assert int(trace.steps[first]) == arrival_step, (DELAYS[k], trace.steps[first] * DT)
    assert abs(trace.v[first, k] - (V_REST + 1.0)) <= ATOL
    first_arr = _first_change(recs["array"].v[:, k])
    assert int(recs["array"].steps[first_arr]) == arrival_step


@pytest.mark.parametrize("k", range(len(DELAYS)))
def test_exp_input_first_changes_v_one_step_after_arrival(delay_run, k):
    _, _, recs = delay_run
    trace = recs["exp"]
    arrival_step = steps_of(T_SPIKE) + DELAYS[k][1]
    first = _first_change(trace.v[:, k])
    assert first is not None
    assert int(trace.steps[first]) == arrival_step + 1, (DELAYS[k], trace.steps[first] * DT)
    u = DT
    assert abs(trace.v[first, k] - (V_REST + psp_exp(u, 1.0, 5.0))) <= ATOL


# --------------------------------------------------------------------------------------------
# The three delivery paths: uniform delay (spike history), grouped delays and per-synapse
# delays (ring buffer); and projections made after the network has run
# --------------------------------------------------------------------------------------------
def _arrival_steps(trace):
    """Per neuron: the step at which v first leaves v_rest (None when it never does)."""
    return [None if (f := _first_change(trace.v[:, j])) is None else int(trace.steps[f])
            for j in range(trace.v.shape[1])]


def test_grouped_delays_land_on_their_steps():
    """60 synapses with 5 delay values, from two spikes of one source: rows are grouped by
    delay (``delay_offsets``), every target sees each spike exactly at stamp + delay."""
    net = fs.Network(dt=DT, seed=5)
    src = net.population(fs.SpikeSource([T_SPIKE, T_SPIKE + 0.2], [0, 0]), n=1, name="src")
    n = 60
    pop = net.population(fs.LIF(tau_m=TAU_M, R=R, v_rest=V_REST, v_thresh=NEVER), n=n, name="pop")
    steps = np.array([1, 2, 3, 5, 8])[np.arange(n) % 5]
    proj = net.connect(src, pop, fs.FromArrays(np.zeros(n, int), np.arange(n)), synapse=fs.Delta(), weight=1.0,
                       delay=steps * DT)
    assert proj.delay_offsets is not None and proj.delivery == "ring"
    trace = net.record(pop, "v")
    net.run(5.0)
    first = steps_of(T_SPIKE)
    assert _arrival_steps(trace) == [first + int(s) for s in steps]
    # the second spike, two steps later, adds the same jump: v = v_rest + 1 decayed + 1
    for j in range(n):
        k = int(np.flatnonzero(trace.steps == first + 2 + steps[j])[0])
        expected = V_REST + np.exp(-2 * DT / TAU_M) + 1.0
        assert abs(trace.v[k, j] - expected) <= ATOL


def test_the_three_delivery_paths_agree():
    """The same random connectivity and delays delivered as per-synapse delays (few synapses
    per row), grouped delays (forced by a denser row) and one uniform delay give the same
    voltages at every step as a reference computed from the spike trains."""
    rng = np.random.default_rng(3)
    n_src, n_tgt = 5, 7
    times = np.sort(rng.uniform(0.1, 3.0, 30)).round(1)
    neurons = rng.integers(0, n_src, times.size)
    pre_i = np.repeat(np.arange(n_src), n_tgt)
    post_i = np.tile(np.arange(n_tgt), n_src)
    w = rng.normal(0.0, 1.0, pre_i.size)
    d_steps = rng.integers(1, 9, pre_i.size)
    t_end = 5.0
    cases = {  # name: (pre, post, weights, delay steps per synapse, delay argument)
        "per-synapse": (pre_i, post_i, w, d_steps, d_steps * DT),
        "grouped": (np.tile(pre_i, 3), np.tile(post_i, 3), np.tile(w, 3), np.tile(d_steps, 3),
                    np.tile(d_steps, 3) * DT),  # multapses: rows long enough for group offsets
        "uniform": (pre_i, post_i, w, np.full(pre_i.size, 4), 0.4),
    }
    for mode, (pre, post, weights, steps, delay) in cases.items():
        net = fs.Network(dt=DT, seed=1)
        src = net.population(fs.SpikeSource(times, neurons), n=n_src, name="src")
        pop = net.population(fs.IF(tau_m=10.0, v_thresh=NEVER, v_rest=0.0), n=n_tgt, name="pop")
        proj = net.connect(src, pop, fs.FromArrays(pre, post), synapse=fs.Delta(), weight=weights, delay=delay)
        assert (proj.delay_offsets is not None) == (mode == "grouped")
        assert proj.delivery == ("deferred" if mode == "uniform" else "ring")
        trace = net.record(pop, "v")
        net.run(t_end)
        # reference: an IF neuron integrates delta input exactly: v(t) = sum of the (float32)
        # weights arrived by t
        expected = np.zeros((trace.steps.size, n_tgt))
        for t, j in zip(times, neurons):
            for k in np.flatnonzero(pre == j):
                arrive = int(round(t / DT)) + steps[k]
                expected[trace.steps >= arrive, post[k]] += np.float32(weights[k])
        np.testing.assert_allclose(trace.v, expected, atol=1e-9, err_msg=mode)


def test_projection_made_after_a_run_carries_only_later_spikes():
    """Spikes emitted before a projection exists do not travel through it, whatever its
    delay; the in-flight input of existing projections survives the rebuild."""
    net = fs.Network(dt=DT, seed=5)
    src = net.population(fs.SpikeSource([1.0, 3.0], [0, 0]), n=1, name="src")
    pop = net.population(fs.IF(tau_m=10.0, v_thresh=NEVER, v_rest=0.0), n=2, name="pop")
    net.connect(src, pop, fs.FromArrays([0], [0]), synapse=fs.Delta(), weight=1.0, delay=1.5)
    trace = net.record(pop, "v")
    net.run(2.0)  # the spike at 1.0 is in flight to neuron 0 (arrives at 2.5)
    net.connect(src, pop, fs.FromArrays([0, 0], [1, 1]), synapse=fs.Delta(), weight=[1.0, 10.0], delay=[0.5, 1.0])
    net.run(3.0)
    v = trace.v
    at = {round(float(t), 1): row for t, row in zip(trace.times, v)}
    assert at[2.4][0] == 0.0 and at[2.5][0] == 1.0  # in-flight spike arrived after the rebuild
    assert at[3.4][1] == 0.0  # the spike at 1.0 never reaches neuron 1
    assert at[3.5][1] == 1.0 and at[4.0][1] == 11.0  # the spike at 3.0 does, through both synapses
    assert at[4.5][0] == 2.0
