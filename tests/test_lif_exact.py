"""The "exact" LIF integrator against the closed-form solution of the membrane equation.

Between spikes, ``tau_m dv/dt = g_L (v_rest - v) + R I`` with a current that is constant over
an interval has the solution ``v(t) = v_inf + (v(t0) - v_inf) exp(-g_L (t - t0) / tau_m)``,
``v_inf = v_rest + R I / g_L`` (and ``v(t0) + R I (t - t0) / tau_m`` when ``g_L = 0``). The exact
integrator must reproduce it at every sample to floating-point accuracy (float64): the error
allowed is 1e-12 in units of the largest voltage magnitude of the problem.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastspike as fs

DT = 0.1
NO_SPIKE = 1e9  # a threshold that is never reached


def lif_closed_form(t, v0, segments, tau_m, R=1.0, g_L=1.0, v_rest=-65.0):
    """v(t) of a LIF driven by a piecewise-constant current, by composing closed forms.

    ``segments`` is a list of ``(t_start, I)`` in increasing time (the first starts at 0); the
    current is ``I`` from ``t_start`` to the next start. ``I`` and ``v0`` may be arrays (one value
    per neuron); the result has shape ``(len(t), n)``.
    """
    t = np.asarray(t, dtype=np.float64)[:, None]
    tau_m = np.asarray(tau_m, dtype=np.float64)
    out = np.empty((t.shape[0], np.broadcast(np.asarray(v0), tau_m, np.asarray(segments[0][1])).size))
    v_start = np.asarray(v0, dtype=np.float64)
    bounds = [s for s, _ in segments] + [np.inf]
    for j, (start, current) in enumerate(segments):
        end = bounds[j + 1]
        sel = (t[:, 0] > start - 1e-9) & (t[:, 0] <= end + 1e-9)
        if g_L == 0.0:
            def v_of(u, v_start=v_start, current=current):
                return v_start + R * np.asarray(current) * u / tau_m
        else:
            v_inf = v_rest + R * np.asarray(current) / g_L

            def v_of(u, v_start=v_start, v_inf=v_inf):
                return v_inf + (v_start - v_inf) * np.exp(-g_L * u / tau_m)
        out[sel] = np.broadcast_to(v_of(t[sel] - start), out[sel].shape)
        if np.isfinite(end):
            v_start = v_of(np.asarray(end - start))
    return out


def assert_close_scaled(got, expected, scale, rel=1e-12):
    err = np.max(np.abs(got - expected))
    assert err <= rel * scale, f"max error {err:.3e} exceeds {rel:g} * {scale:g}"


def test_constant_current_matches_closed_form():
    """Several neurons with different v0, currents and per-neuron tau_m; non-default R, g_L."""
    tau_m = np.array([5.0, 12.5, 20.0, 33.0])
    R, g_L, v_rest = 2.5, 0.7, -70.0
    v0 = np.array([-70.0, -80.0, -55.0, -62.5])
    current = np.array([4.0, 0.0, -3.0, 7.3])
    net = fs.Network(dt=DT, backend="cpu")
    pop = net.population(fs.LIF(tau_m=tau_m, R=R, g_L=g_L, v_rest=v_rest, v_thresh=NO_SPIKE), n=4,
                         integrator="exact")
    pop.v[:] = v0
    net.current(pop, current)
    trace = net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.run(100.0)
    assert len(spikes) == 0
    assert trace.v.shape == (1000, 4)
    np.testing.assert_allclose(trace.times, DT * np.arange(1, 1001), rtol=0, atol=1e-12)
    expected = lif_closed_form(trace.times, v0, [(0.0, current)], tau_m, R=R, g_L=g_L, v_rest=v_rest)
    assert_close_scaled(trace.v, expected, scale=np.max(np.abs(expected)))
    # the difference to the asymptote, relative to its initial size
    v_inf = v_rest + R * current / g_L
    rel = np.abs(trace.v - expected) / np.maximum(np.abs(v0 - v_inf), 1.0)
    assert rel.max() < 1e-12


def test_zero_rest_relative_accuracy():
    """With v_rest = 0: a pure decay is exact to 1e-12 relative at every sample (over 8 tau_m),
    and with a current the error on v - v_inf stays below 1e-12 of its initial size."""
    tau_m = 10.0
    current = np.array([0.0, 3.0])
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=tau_m, v_rest=0.0, v_reset=0.0, v_thresh=NO_SPIKE), n=2)
    pop.v[:] = 1.0
    net.current(pop, current)
    trace = net.record(pop, "v")
    net.run(80.0)
    decay = np.exp(-trace.times / tau_m)
    np.testing.assert_allclose(trace.v[:, 0], decay, rtol=1e-12, atol=0)
    expected_dev = (1.0 - current[1]) * decay  # v - v_inf
    got_dev = trace.v[:, 1] - current[1]
    assert np.max(np.abs(got_dev - expected_dev)) <= 1e-12 * abs(current[1] - 1.0)


def test_if_is_a_linear_ramp():
    """IF (g_L = 0): v(t) = v0 + R I t / tau_m, and LIF with g_L = 0 is the same model."""
    tau_m, R, current = 8.0, 1.5, np.array([2.0, -1.0, 0.25])
    v0 = np.array([-65.0, -50.0, -70.0])
    results = []
    for model in (fs.IF(tau_m=tau_m, R=R, v_thresh=NO_SPIKE),
                  fs.LIF(tau_m=tau_m, R=R, g_L=0.0, v_thresh=NO_SPIKE)):
        net = fs.Network(dt=DT)
        pop = net.population(model, n=3, integrator="exact")
        pop.v[:] = v0
        net.current(pop, current)
        trace = net.record(pop, "v")
        net.run(50.0)
        expected = v0 + R * current * trace.times[:, None] / tau_m
        assert_close_scaled(trace.v, expected, scale=np.max(np.abs(expected)))
        results.append(trace.v)
    np.testing.assert_array_equal(results[0], results[1])


def test_step_current_switches_on_at_grid_time():
    """StepCurrent: amplitude j drives the steps starting at or after times[j]."""
    tau_m = 10.0
    t0, t1 = 5.0, 30.0
    amps = np.array([[20.0, 5.0, -10.0], [0.0, 12.0, 3.0]])  # one row per time, one value per neuron
    v0 = np.array([-65.0, -60.0, -70.0])
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=tau_m, v_thresh=NO_SPIKE), n=3)
    pop.v[:] = v0
    net.current(pop, fs.StepCurrent(times=[t0, t1], amplitudes=amps))
    trace = net.record(pop, "v")
    net.run(60.0)
    t = trace.times
    expected = lif_closed_form(t, v0, [(0.0, np.zeros(3)), (t0, amps[0]), (t1, amps[1])], tau_m)
    assert_close_scaled(trace.v, expected, scale=np.max(np.abs(expected)))
    # the sample at t0 is still free of current; the one at t0 + dt is not
    k0 = int(round(t0 / DT)) - 1
    np.testing.assert_allclose(trace.v[k0], -65.0 + (v0 + 65.0) * np.exp(-t0 / tau_m), rtol=1e-13)
    assert np.all(np.abs(trace.v[k0 + 1] - (-65.0 + (trace.v[k0] + 65.0) * np.exp(-DT / tau_m))) > 1e-3)


def test_uniform_step_current_matches_closed_form():
    """A StepCurrent with one amplitude per time (shared by all neurons), switching off again."""
    tau_m = 7.0
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=tau_m, v_thresh=NO_SPIKE), n=3)
    net.current(pop, fs.StepCurrent(times=[2.0, 12.0], amplitudes=[9.0, 0.0]))
    net.current(pop, 1.0)  # currents add up
    trace = net.record(pop, "v")
    net.run(40.0)
    expected = lif_closed_form(trace.times, -65.0, [(0.0, 1.0), (2.0, 10.0), (12.0, 1.0)], tau_m)
    assert_close_scaled(trace.v, np.broadcast_to(expected, trace.v.shape), scale=65.0)


def test_array_current_rows_drive_steps():
    """An array current: row k drives the step starting at k dt; zero after the last row."""
    tau_m = 10.0
    n = 3
    levels = np.array([[5.0, 0.0, -4.0], [15.0, 8.0, 2.0], [-6.0, 3.0, 30.0]])
    rows = np.concatenate([np.repeat(levels[0][None], 100, 0), np.repeat(levels[1][None], 150, 0),
                           np.repeat(levels[2][None], 50, 0)])  # 300 rows = 30 ms
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=tau_m, v_thresh=NO_SPIKE), n=n)
    net.current(pop, rows)
    trace = net.record(pop, "v")
    net.run(45.0)  # 150 steps after the last row
    segments = [(0.0, levels[0]), (10.0, levels[1]), (25.0, levels[2]), (30.0, np.zeros(n))]
    expected = lif_closed_form(trace.times, np.full(n, -65.0), segments, tau_m)
    assert_close_scaled(trace.v, expected, scale=np.max(np.abs(expected)))


def test_theta_decays_exactly():
    """Without spikes the adaptive threshold decays as theta0 exp(-t / tau_theta)."""
    tau_theta = 7.0
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=10.0, v_thresh=NO_SPIKE, tau_theta=tau_theta, theta_plus=0.5), n=2)
    pop.theta[:] = [1.0, 2.5]
    trace = net.record(pop, ["v", "theta"])
    net.run(30.0)
    expected = np.array([1.0, 2.5]) * np.exp(-trace.times[:, None] / tau_theta)
    np.testing.assert_allclose(trace.theta, expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(trace.v, -65.0)  # at rest, no input: v stays at v_rest exactly


@pytest.mark.parametrize("dt", [0.05, 0.25, 1.0])
def test_exact_is_independent_of_dt(dt):
    """The exact integrator has no discretisation error: any dt gives the closed form."""
    tau_m, current = 4.0, 12.0
    net = fs.Network(dt=dt)
    pop = net.population(fs.LIF(tau_m=tau_m, v_thresh=NO_SPIKE), n=1)
    net.current(pop, current)
    trace = net.record(pop, "v")
    net.run(20.0)
    assert len(trace) == int(round(20.0 / dt))
    expected = -65.0 + current * (1.0 - np.exp(-trace.times / tau_m))
    assert_close_scaled(trace.v[:, 0], expected, scale=65.0)
