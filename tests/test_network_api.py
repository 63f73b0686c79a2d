"""The Network API: dtypes, repeated runs, seeds and recording conventions."""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs

DT = 0.1
LIF_KW = dict(tau_m=10.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0)


# --------------------------------------------------------------------------------------------
# float32 and float64
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("integrator", ["exact", "euler"])
def test_float32_and_float64_agree_on_spike_times(integrator):
    currents = np.array([16.0, 20.0, 30.0, 50.0, 100.0])
    results = {}
    for dtype in ("float64", "float32"):
        net = fs.Network(dt=DT, dtype=dtype)
        pop = net.population(fs.LIF(t_ref=2.0, **LIF_KW), n=5, integrator=integrator)
        net.current(pop, currents)
        spikes = net.record(pop, "spikes")
        net.run(200.0)
        results[dtype] = spikes
    s64, s32 = results["float64"], results["float32"]
    assert len(s64) > 50
    for i in range(5):
        a = s64.steps[s64.neurons == i]
        b = s32.steps[s32.neurons == i]
        assert len(a) == len(b), (i, len(a), len(b))
        assert np.max(np.abs(a - b), initial=0) <= 1, (i, a, b)  # within one step
    if integrator == "exact":  # and both within a step of the analytic interval
        u = -65.0 + currents
        isi = 2.0 + 10.0 * np.log((u + 70.0) / (u + 50.0))
        for s in (s64, s32):
            for i in range(5):
                d = np.diff(s.steps[s.neurons == i]) * DT
                assert np.all((d >= isi[i] - 1e-9) & (d <= isi[i] + 2 * DT + 1e-9))


def test_float32_state_and_records_are_float32():
    net = fs.Network(dt=DT, dtype="float32")
    assert net.dtype == np.float32
    pop = net.population(fs.LIF(tau_m=10.0, v_thresh=1e9, tau_theta=20.0), n=3)
    assert pop.v.dtype == np.float32 and pop.theta.dtype == np.float32
    pop.v[:] = [-70.0, -65.0, -60.0]
    pop.theta[:] = 1.0
    net.current(pop, 5.0)
    trace = net.record(pop, ["v", "theta"])
    net.run(30.0)
    assert trace.v.dtype == np.float32 and trace.theta.dtype == np.float32
    assert pop.v.dtype == np.float32  # still float32 after running
    t = trace.times[:, None]
    expected = -60.0 + (np.array([-70.0, -65.0, -60.0]) + 60.0) * np.exp(-t / 10.0)
    np.testing.assert_allclose(trace.v, expected, rtol=0, atol=1e-5 * 70)
    np.testing.assert_allclose(trace.theta, np.exp(-t / 20.0) * np.ones(3), rtol=1e-5)
    assert fs.Network(dt=DT, dtype=np.float64).dtype == np.float64


# --------------------------------------------------------------------------------------------
# Runs in pieces, seeds
# --------------------------------------------------------------------------------------------
def _busy_network(seed=3, record_v=True):
    """Random initial v, a constant, a step and an array current, refractory period and
    adaptive threshold: state that a split run must carry over exactly."""
    n = 6
    net = fs.Network(dt=DT, seed=seed)
    pop = net.population(fs.LIF(t_ref=2.3, tau_theta=30.0, theta_plus=0.7, **LIF_KW), n=n)
    pop.v[:] = net.rng.uniform(-70.0, -50.0, n)
    net.current(pop, np.linspace(14.0, 40.0, n))
    net.current(pop, fs.StepCurrent(times=[20.0, 61.3], amplitudes=[8.0, -3.0]))
    net.current(pop, net.rng.uniform(0.0, 10.0, (700, n)))  # ends at 70 ms
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, ["v", "theta"]) if record_v else None
    return net, pop, spikes, trace


def test_run_in_pieces_equals_one_run():
    whole = _busy_network()
    whole[0].run(100.0)
    for pieces in ([50.0, 50.0], [33.3, 0.0, 66.7], [0.1] * 10 + [99.0]):
        split = _busy_network()
        for d in pieces:
            split[0].run(d)
        assert split[0].t == pytest.approx(100.0) and split[0].step == 1000
        np.testing.assert_array_equal(split[2].steps, whole[2].steps)
        np.testing.assert_array_equal(split[2].neurons, whole[2].neurons)
        np.testing.assert_array_equal(split[3].times, whole[3].times)
        np.testing.assert_array_equal(split[3].v, whole[3].v)
        np.testing.assert_array_equal(split[3].theta, whole[3].theta)
        np.testing.assert_array_equal(split[1].v, whole[1].v)
    assert len(whole[2]) > 20


def test_record_added_between_runs():
    whole = _busy_network()
    whole[0].run(100.0)
    net, pop, spikes, _ = _busy_network(record_v=False)
    net.run(50.0)
    late = net.record(pop, ["v", "theta"], neurons=[1, 4])
    net.run(50.0)
    np.testing.assert_array_equal(spikes.steps, whole[2].steps)
    np.testing.assert_array_equal(spikes.neurons, whole[2].neurons)
    np.testing.assert_array_equal(late.times, whole[3].times[500:])
    np.testing.assert_array_equal(late.v, whole[3].v[500:, [1, 4]])
    np.testing.assert_array_equal(late.theta, whole[3].theta[500:, [1, 4]])


def test_same_seed_same_result():
    a, b, c = _busy_network(seed=11), _busy_network(seed=11), _busy_network(seed=12)
    for net, *_ in (a, b, c):
        net.run(100.0)
    np.testing.assert_array_equal(a[2].steps, b[2].steps)
    np.testing.assert_array_equal(a[2].neurons, b[2].neurons)
    np.testing.assert_array_equal(a[3].v, b[3].v)
    assert not np.array_equal(a[3].v, c[3].v)


# --------------------------------------------------------------------------------------------
# Recording conventions
# --------------------------------------------------------------------------------------------
def test_sample_times_every_and_neuron_selection():
    """A sample is stamped with the time its values hold, (k + 1) dt; every=k keeps one in k;
    columns follow the given neuron order. Checked against the closed form."""
    currents = np.array([1.0, 2.0, 3.0, 4.0])
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(tau_m=10.0, v_thresh=1e9), n=4)
    net.current(pop, currents)
    full = net.record(pop, "v")
    sparse = net.record(pop, ["v"], neurons=[3, 0], every=7)
    net.run(10.0)
    np.testing.assert_allclose(full.times, DT * np.arange(1, 101), rtol=0, atol=1e-12)
    np.testing.assert_allclose(sparse.times, 7 * DT * np.arange(1, 15), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(sparse.neurons, [3, 0])
    expected = -65.0 + currents[[3, 0]] * (1.0 - np.exp(-sparse.times[:, None] / 10.0))
    np.testing.assert_allclose(sparse.v, expected, rtol=0, atol=1e-12 * 65)
    assert sparse["v"] is not None and sparse.v.shape == (14, 2)


def test_recorded_input_current_and_spike_stamps():
    """"I" holds the input of each step (row k of an array current drives step k, sampled at
    (k + 1) dt); a spike is stamped at the end of its step."""
    rows = np.zeros((50, 2))
    rows[10:, 0] = 1e5  # neuron 0 crosses threshold within step 10
    rows[20:30, 1] = 2.5
    net = fs.Network(dt=DT)
    pop = net.population(fs.LIF(**LIF_KW, t_ref=100.0), n=2)
    net.current(pop, rows)
    net.current(pop, fs.StepCurrent(times=[3.0], amplitudes=[0.5]))
    trace = net.record(pop, ["I", "v"])
    spikes = net.record(pop, "spikes")
    selected = net.record(pop, "spikes", neurons=[1])
    net.run(6.0)
    expected = rows.copy()
    expected[30:] += 0.5
    expected = np.concatenate([expected, np.full((10, 2), 0.5)])  # zero after the last row
    np.testing.assert_array_equal(trace.I, expected)
    np.testing.assert_array_equal(spikes.neurons, [0])
    assert spikes.times[0] == pytest.approx(1.1) and spikes.steps[0] == 11
    assert trace.v[9, 0] == -65.0 and trace.v[10, 0] == -70.0  # samples at 1.0 and 1.1 ms
    assert len(selected) == 0
    assert spikes.counts().tolist() == [1, 0]


def test_network_time_and_zero_duration():
    net = fs.Network(dt=0.25)
    pop = net.population(fs.LIF(tau_m=10.0), n=1)
    trace = net.record(pop, "v")
    net.run(0.0)
    assert net.t == 0.0 and len(trace) == 0
    net.run(1.0)
    assert net.step == 4 and net.t == pytest.approx(1.0)
    assert math.isclose(trace.times[-1], 1.0)
