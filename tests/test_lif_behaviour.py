"""Spiking behaviour of the LIF family against analytic results and published numbers.

- Firing: with a constant current and exact integration, the interspike interval of a LIF is
  ``t_ref + (tau_m / g_L) ln((u - v_reset) / (u - v_thresh))``, ``u = v_rest + R I / g_L``
  (Gerstner & Kistler 2002, eq. 4.10; Dayan & Abbott 2001, eq. 5.10). A spike is detected at the
  end of a step, so the measured interval lies in ``[ISI, ISI + dt]``.
- Refractory period, adaptive threshold, reset modes and ``v_min`` checked sample by sample.
- snnTorch tutorial 2 (Lapicque neuron, forward Euler, 1 ms steps).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs

DT = 0.1
TAU_M, V_REST, V_RESET, V_THRESH = 10.0, -65.0, -70.0, -50.0
EPS = 1e-9  # slack for comparing spike times computed in floating point


def isi_theory(current, t_ref, tau_m=TAU_M, R=1.0, g_L=1.0, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH):
    u = v_rest + R * current / g_L
    return t_ref + tau_m / g_L * math.log((u - v_reset) / (u - v_thresh))


def spike_steps_of(spikes, neuron=0):
    """Indices of the steps in which ``neuron`` spiked (= indices of the samples taken then)."""
    return spikes.steps[spikes.neurons == neuron] - 1


# --------------------------------------------------------------------------------------------
# Firing rate against the analytic interspike interval
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("current, t_ref, R, g_L, dt", [
    (20.0, 0.0, 1.0, 1.0, 0.1),
    (20.0, 2.0, 1.0, 1.0, 0.1),
    (40.0, 2.0, 1.0, 1.0, 0.1),
    (16.0, 5.3, 1.0, 1.0, 0.1),
    (300.0, 1.0, 1.0, 1.0, 0.1),
    (9.0, 3.0, 2.0, 0.5, 0.1),   # non-default R and g_L: u = v_rest + R I / g_L
    (25.0, 1.5, 1.0, 1.0, 0.01),
    (25.0, 1.5, 1.0, 1.0, 0.5),
])
def test_isi_matches_theory(current, t_ref, R, g_L, dt):
    net = fs.Network(dt=dt)
    pop = net.population(fs.LIF(tau_m=TAU_M, R=R, g_L=g_L, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH,
                                t_ref=t_ref), n=1, integrator="exact")
    net.current(pop, current)
    spikes = net.record(pop, "spikes")
    net.run(300.0)
    theory = isi_theory(current, t_ref, R=R, g_L=g_L)
    assert len(spikes) >= 4
    isi = np.diff(spikes.steps) * dt
    assert np.all(isi >= theory - EPS), (isi.min(), theory)
    assert np.all(isi <= theory + dt + EPS), (isi.max(), theory)
    # the first spike, from v = v_rest (t_ref plays no part yet)
    first = isi_theory(current, 0.0, R=R, g_L=g_L, v_reset=V_REST)
    assert first - EPS <= spikes.times[0] <= first + dt + EPS
    # the rate follows: spikes in 300 ms
    assert len(spikes) == 1 + int(np.floor((300.0 - spikes.times[0]) / isi[0] + EPS))


def test_per_neuron_currents_and_refractory_periods():
    """One population, a current and a t_ref per neuron: each neuron fires at its own rate."""
    currents = np.array([14.0, 16.0, 20.0, 30.0, 50.0, 100.0])  # the first stays below threshold
    t_ref = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 0.5])
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH, t_ref=t_ref),
                         n=6)
    net.current(pop, currents)
    spikes = net.record(pop, "spikes")
    net.run(400.0)
    counts = spikes.counts()
    assert counts[0] == 0  # u = -51 mV < v_thresh: never fires
    for i in range(1, 6):
        isi = np.diff(spike_steps_of(spikes, i)) * DT
        theory = isi_theory(currents[i], t_ref[i])
        assert len(isi) >= 5
        assert np.all((isi >= theory - EPS) & (isi <= theory + DT + EPS)), (i, isi, theory)
    assert np.all(np.diff(counts[1:]) > 0)  # here the rate grows with the current


# --------------------------------------------------------------------------------------------
# Refractory period
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("t_ref", [0.0, 0.73, 2.0])
def test_refractory_hold(t_ref):
    """After a spike v is v_reset at the spike sample and for round(t_ref/dt) more samples, then
    evolves freely from v_reset (closed form), under a strong current."""
    current = 200.0  # u = 135 mV: about 11 steps from v_reset to v_thresh
    ref = int(round(t_ref / DT))
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH, t_ref=t_ref),
                         n=1)
    net.current(pop, current)
    trace = net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.run(30.0)
    v = trace.v[:, 0]
    ks = spike_steps_of(spikes)
    assert len(ks) >= 5
    u = V_REST + current
    first_free = u + (V_RESET - u) * math.exp(-DT / TAU_M)
    for k in ks[:-1]:
        np.testing.assert_array_equal(v[k:k + ref + 1], V_RESET)
        assert v[k + ref + 1] != V_RESET
        assert v[k + ref + 1] == pytest.approx(first_free, rel=1e-13)
    assert np.all(np.diff(ks) == ref + int(math.ceil(isi_theory(current, 0.0) / DT - EPS)))


def test_refractory_under_overwhelming_current():
    """A current that crosses threshold within one step: a spike every round(t_ref/dt) + 1 steps,
    and v stays at v_reset from the first spike on."""
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH, t_ref=2.0),
                         n=1)
    net.current(pop, 1e5)
    trace = net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.run(50.0)
    ks = spike_steps_of(spikes)
    assert ks[0] == 0
    np.testing.assert_array_equal(np.diff(ks), 21)
    np.testing.assert_array_equal(trace.v[:, 0], V_RESET)


def test_no_spike_during_refractory_period_even_above_threshold():
    """reset="none": v stays above threshold, held during t_ref, yet no spike happens then."""
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH, t_ref=1.0,
                                reset="none"), n=1)
    net.current(pop, 1e5)
    trace = net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.run(20.0)
    ks = spike_steps_of(spikes)
    np.testing.assert_array_equal(np.diff(ks), 11)
    v = trace.v[:, 0]
    for k in ks[:-1]:
        assert v[k] >= V_THRESH
        np.testing.assert_array_equal(v[k:k + 11], v[k])  # held at the (unreset) spiking value


# --------------------------------------------------------------------------------------------
# Adaptive threshold
# --------------------------------------------------------------------------------------------
def _crossing_time(theta_s, current, t_ref, tau_theta):
    """Time after a spike at which v (from v_reset after t_ref) meets v_thresh + theta_s e^{-t/tau_theta}."""
    u = V_REST + current

    def f(t):
        v = u + (V_RESET - u) * math.exp(-(t - t_ref) / TAU_M)
        return v - (V_THRESH + theta_s * math.exp(-t / tau_theta))

    lo, hi = t_ref, t_ref + 1.0
    while f(hi) < 0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return hi


def test_adaptive_threshold_jumps_decays_and_slows_firing():
    tau_theta, theta_plus, t_ref, current = 80.0, 1.5, 2.0, 40.0
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH, t_ref=t_ref,
                                tau_theta=tau_theta, theta_plus=theta_plus), n=1)
    net.current(pop, current)
    trace = net.record(pop, ["v", "theta"])
    spikes = net.record(pop, "spikes")
    net.run(400.0)
    theta = trace.theta[:, 0]
    ks = spike_steps_of(spikes)
    assert len(ks) >= 10
    decay = math.exp(-DT / tau_theta)
    # jump of theta_plus at every spike (on top of one step of decay)
    assert theta[ks[0]] == pytest.approx(theta_plus, rel=1e-13)
    for k in ks[1:]:
        assert theta[k] == pytest.approx(theta[k - 1] * decay + theta_plus, rel=1e-12)
    # closed-form decay between spikes (also during the refractory period)
    bounds = list(ks) + [len(theta)]
    for k, nxt in zip(bounds[:-1], bounds[1:]):
        j = np.arange(k, nxt)
        np.testing.assert_allclose(theta[j], theta[k] * np.exp(-(j - k) * DT / tau_theta), rtol=1e-12)
    # before the first spike theta stays 0
    np.testing.assert_array_equal(theta[:ks[0]], 0.0)
    # each interval against the analytic crossing of v(t) and the decaying threshold
    isi = np.diff(ks) * DT
    for k, measured in zip(ks[:-1], isi):
        t_cross = _crossing_time(theta[k], current, t_ref, tau_theta)
        assert t_cross - EPS <= measured <= t_cross + DT + EPS, (k, measured, t_cross)
    # a growing threshold lengthens the interval
    assert np.all(np.diff(isi) >= 0)
    assert isi[-1] > isi[0] + 1.0
    assert isi[0] > isi_theory(current, t_ref) + DT  # already longer than with a fixed threshold


def test_adaptive_threshold_without_decay_stops_firing():
    """tau_theta = inf: theta = theta_plus x (number of spikes); firing stops once
    v_thresh + theta exceeds u = v_rest + R I: here after exactly 13 spikes."""
    theta_plus, current = 2.0, 40.0  # u = -25 mV; spike 13 brings the threshold to -24 mV
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH,
                                theta_plus=theta_plus), n=1)
    net.current(pop, current)
    trace = net.record(pop, "theta")
    spikes = net.record(pop, "spikes")
    net.run(1000.0)
    assert len(spikes) == 13
    ks = spike_steps_of(spikes)
    count = np.cumsum(np.isin(np.arange(len(trace)), ks))
    np.testing.assert_array_equal(trace.theta[:, 0], theta_plus * count)
    isi = np.diff(ks) * DT
    for j, measured in enumerate(isi):  # threshold during interval j: v_thresh + theta_plus (j + 1)
        theory = isi_theory(current, 0.0, v_thresh=V_THRESH + theta_plus * (j + 1))
        assert theory - EPS <= measured <= theory + DT + EPS


# --------------------------------------------------------------------------------------------
# Reset modes and v_min
# --------------------------------------------------------------------------------------------
def _run_reset(mode, duration=100.0, t_ref=0.0):
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH, t_ref=t_ref,
                                reset=mode), n=1)
    net.current(pop, 40.0)
    trace = net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.run(duration)
    return trace.v[:, 0], spike_steps_of(spikes)


def _propagate(v_prev, current=40.0):
    u = V_REST + current
    return u + (v_prev - u) * math.exp(-DT / TAU_M)


def test_reset_value():
    v, ks = _run_reset("value")
    assert len(ks) >= 5
    np.testing.assert_array_equal(v[ks], V_RESET)
    for k in ks[1:]:
        assert _propagate(v[k - 1]) >= V_THRESH > v[k - 1]


def test_reset_subtract():
    """v <- v - (v_thresh - v_reset), applied to the value that crossed the threshold."""
    v, ks = _run_reset("subtract")
    assert len(ks) >= 5
    for k in ks[1:]:
        crossed = _propagate(v[k - 1])
        assert crossed >= V_THRESH > v[k - 1]
        assert v[k] == pytest.approx(crossed - (V_THRESH - V_RESET), abs=1e-12 * 70)
        assert v[k] > V_RESET  # the overshoot is kept


def test_reset_none():
    """v unchanged: the trace is the free closed-form solution, and v >= v_thresh spikes every step."""
    v, ks = _run_reset("none", duration=20.0)
    t = DT * np.arange(1, len(v) + 1)
    u = V_REST + 40.0
    free = u + (V_REST - u) * np.exp(-t / TAU_M)
    assert np.max(np.abs(v - free)) < 1e-12 * 70
    first = int(np.argmax(free >= V_THRESH))
    np.testing.assert_array_equal(ks, np.arange(first, len(v)))


def test_v_min_bounds_v():
    """v_min: v follows the closed form down to v_min and then stays at v_min exactly."""
    v_min = -70.0
    currents = np.array([-30.0, 3.0])  # v_inf = -95 (bounded) and -62 (unaffected)
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_thresh=V_THRESH, v_min=v_min), n=2)
    net.current(pop, currents)
    trace = net.record(pop, "v")
    net.run(60.0)
    t = trace.times[:, None]
    free = (V_REST + currents) + (V_REST - (V_REST + currents)) * np.exp(-t / TAU_M)
    assert trace.v.min() == v_min
    assert np.max(np.abs(trace.v - np.maximum(free, v_min))) < 1e-12 * 95
    assert np.sum(trace.v[:, 0] == v_min) > 300


# --------------------------------------------------------------------------------------------
# snnTorch tutorial 2: the Lapicque neuron (forward Euler, R C in ms, dt = 1 ms)
# --------------------------------------------------------------------------------------------
def _lapicque(R, C, rows=None, v0=0.0, steps=200, **kw):
    net = fs.Network(dt=1.0)
    pop = net.population(fs.Lapicque(R=R, C=C, **kw), n=1, integrator="euler")
    pop.v[:] = v0
    if rows is not None:
        net.current(pop, rows)
    trace = net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.run(float(steps))
    return trace, spikes


def step_input(amplitude, steps=200, start=10):
    rows = np.zeros((steps, 1))
    rows[start:] = amplitude
    return rows


def test_snntorch_lapicque_decay():
    """v from 0.9 with R = 5, C = 1 (tau = 5 steps): v_n = 0.9 (1 - 1/5)^n."""
    trace, spikes = _lapicque(5.0, 1.0, v0=0.9, steps=100)
    n = np.arange(1, 101)
    np.testing.assert_allclose(trace.v[:, 0], 0.9 * 0.8 ** n, rtol=1e-12, atol=0)
    assert len(spikes) == 0


def test_snntorch_lapicque_step_input():
    """A step of 0.1 from step 10 relaxes to I R = 0.5 along the Euler recursion."""
    trace, spikes = _lapicque(5.0, 1.0, rows=step_input(0.1))
    v = trace.v[:, 0]
    np.testing.assert_array_equal(v[:10], 0.0)  # samples at 1..10 ms: no input yet
    n = np.arange(1, 201) - 10  # steps of input before each sample
    euler = 0.5 * (1.0 - 0.8 ** np.maximum(n, 0))  # v_{n+1} = v_n + (-v_n + R I) / 5
    np.testing.assert_allclose(v, euler, rtol=1e-12, atol=1e-15)
    assert abs(v[-1] - euler[-1]) < 1e-6
    assert abs(v[-1] - 0.5) < 2e-4
    assert len(spikes) == 0


def test_snntorch_lapicque_firing():
    """R = 5.1, C = 5, threshold 1, input 0.2 from step 10: the first spike at t = 109 ms."""
    trace, spikes = _lapicque(5.1, 5.0, rows=step_input(0.2), threshold=1.0)
    assert len(spikes) >= 1
    assert spikes.times[0] == pytest.approx(109.0)
    # before it, the Euler recursion of R C dv/dt = -v + R I (no reset yet)
    n = np.arange(1, 109) - 10
    euler = 1.02 * (1.0 - (1.0 - 1.0 / 25.5) ** np.maximum(n, 0))
    np.testing.assert_allclose(trace.v[:108, 0], euler, rtol=1e-12, atol=1e-15)
    assert euler[-1] < 1.0
    # default reset "subtract": the threshold is taken off the crossing value
    crossing = euler[-1] + (1.02 - euler[-1]) / 25.5
    assert crossing >= 1.0
    assert trace.v[108, 0] == pytest.approx(crossing - 1.0, abs=1e-12)


# --------------------------------------------------------------------------------------------
# A fixed threshold increment written between runs
# --------------------------------------------------------------------------------------------
def test_a_fixed_theta_written_between_runs_moves_the_threshold():
    """Without adaptation (theta_plus = 0, tau_theta = inf) theta never changes, and while
    every neuron holds the same value the step reads it once rather than per neuron. Written
    between runs, to one value for all or to one per neuron, it takes effect: the intervals
    of each run are those of threshold v_thresh + theta (Gerstner & Kistler 2002, eq. 4.10),
    none where that threshold lies above u = v_rest + R I."""
    current = 40.0  # u = -25 mV
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_reset=V_RESET, v_thresh=V_THRESH), n=2)
    net.current(pop, current)
    spikes = net.record(pop, "spikes")
    runs = [np.zeros(2), np.full(2, 10.0), np.array([0.0, 20.0]), np.array([30.0, 30.0])]
    bounds = []
    for theta in runs:
        pop.theta[:] = theta
        start = net.step
        net.run(150.0)
        bounds.append((start, net.step))
        np.testing.assert_array_equal(pop.theta, theta)  # frozen: the run leaves it as written
    for (start, stop), theta in zip(bounds, runs):
        for neuron in (0, 1):
            ks = spikes.steps[(spikes.neurons == neuron) & (spikes.steps > start) & (spikes.steps <= stop)]
            if V_THRESH + theta[neuron] >= V_REST + current:  # above u: silent
                assert ks.size == 0, (theta, neuron, ks)
                continue
            isi = np.diff(ks)[1:] * DT  # the first interval began in the run before
            theory = isi_theory(current, 0.0, v_thresh=V_THRESH + theta[neuron])
            assert isi.size >= 3, (theta, neuron)
            assert np.all(isi >= theory - EPS) and np.all(isi <= theory + DT + EPS), (theta, neuron, isi, theory)
