"""Izhikevich's cell classes reproduce the published firing behaviour.

Izhikevich (2003), "Simple model of spiking neurons", IEEE Trans. Neural Netw. 14:1569, Fig. 2
and its text describe, for a step of DC current:
- RS (regular spiking): a few spikes with short interspike intervals, then the period
  increases: spike-frequency adaptation;
- IB (intrinsically bursting): a stereotypical burst of spikes, then repetitive single spikes;
- CH (chattering): stereotypical bursts of closely spaced spikes, repeated (high-frequency
  bursts separated by long pauses: a bimodal interspike-interval distribution);
- FS (fast spiking): periodic trains of very high frequency practically without adaptation;
- LTS (low-threshold spiking): high-frequency trains with pronounced adaptation;
- TC (thalamo-cortical): a rebound burst when released from hyperpolarisation;
- RZ (resonator): damped subthreshold oscillations; the neuron prefers inputs at its resonant
  frequency.
The thresholds below are properties of those descriptions (ratios, bimodality, counts), and
the resonant period is computed from the linearisation of the model at rest.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs

# Izhikevich (2003), Fig. 2: (a, b, c, d) of each class
PUBLISHED = {"RS": (0.02, 0.2, -65, 8), "IB": (0.02, 0.2, -55, 4), "CH": (0.02, 0.2, -50, 2), "FS": (0.1, 0.2, -65, 2),
             "LTS": (0.02, 0.25, -65, 2), "RZ": (0.1, 0.26, -65, 2), "TC": (0.02, 0.25, -65, 0.05)}
METHODS = [("rk4", 0.05), ("euler", 0.1)]


def test_presets_are_the_published_parameters_and_initial_state():
    for name, (a, b, c, d) in PUBLISHED.items():
        for model in (fs.Izhikevich.preset(name), fs.Izhikevich(preset=name)):
            assert (model.params["a"], model.params["b"], model.params["c"], model.params["d"]) == (a, b, c, d)
            assert model.params["v_peak"] == 30.0
            state = model.initial_state(3)
            np.testing.assert_array_equal(state["v"], -65.0)  # Izhikevich's code: v = -65, u = b v
            np.testing.assert_allclose(state["u"], b * -65.0)
    assert fs.Izhikevich().params == fs.Izhikevich.preset("RS").params  # default: regular spiking


def step_responses(names, current, integrator, dt, duration=1000.0):
    net = fs.Network(dt=dt)
    recs = {}
    for name in names:
        pop = net.population(fs.Izhikevich.preset(name), n=1, name=name, integrator=integrator)
        net.current(pop, fs.StepCurrent([0.0], [current]))
        recs[name] = net.record(pop, "spikes")
    net.run(duration)
    return {name: r.times for name, r in recs.items()}


@pytest.mark.parametrize("integrator, dt", METHODS)
def test_regular_spiking_adapts_and_fast_spiking_does_not(integrator, dt):
    """At the same current (I = 15): RS's interspike intervals grow to several times the first
    one, FS's stay within a factor 2 and are constant after the first ten; FS fires several
    times faster."""
    t = step_responses(["RS", "FS"], 15.0, integrator, dt)
    rs, fs_ = np.diff(t["RS"]), np.diff(t["FS"])
    assert len(rs) >= 10 and len(fs_) >= 50
    assert np.all(np.diff(rs) > -0.01 * rs[1:])  # non-decreasing
    assert rs[-1] > 4 * rs[0]
    assert fs_[-1] < 2 * fs_[0]
    steady = fs_[10:]
    assert np.ptp(steady) <= 2 * dt + 1e-9  # constant, to the resolution of the step grid
    assert len(t["FS"]) > 4 * len(t["RS"])


@pytest.mark.parametrize("integrator, dt", METHODS)
def test_intrinsically_bursting_bursts_then_fires_tonically(integrator, dt):
    """IB (I = 10): an initial burst (the first intervals < 6 ms), then single spikes at long,
    regular intervals (> 20 ms) and no further burst."""
    isi = np.diff(step_responses(["IB"], 10.0, integrator, dt)["IB"])
    burst = np.flatnonzero(isi < 6.0)
    assert len(burst) >= 2 and np.array_equal(burst, np.arange(len(burst)))  # the burst comes first
    tonic = isi[len(burst) + 1:]  # after the interval that ends the burst
    assert len(tonic) >= 15 and np.all(tonic > 20.0)
    assert np.ptp(tonic) < 0.02 * np.mean(tonic)


@pytest.mark.parametrize("integrator, dt", METHODS)
def test_chattering_bursts_repeatedly_with_bimodal_intervals(integrator, dt):
    """CH (I = 10): every interspike interval is either intra-burst (< 8 ms) or inter-burst
    (> 30 ms), nothing in between; at least 15 bursts of at least 3 spikes in 1 s."""
    isi = np.diff(step_responses(["CH"], 10.0, integrator, dt)["CH"])
    short, long_ = isi < 8.0, isi > 30.0
    assert np.all(short | long_)
    assert long_.sum() >= 15
    bursts = np.split(isi, np.flatnonzero(long_))  # each piece: a long interval then the burst's short ones
    assert all(np.sum(b < 8.0) >= 2 for b in bursts[1:-1])


@pytest.mark.parametrize("integrator, dt", METHODS)
def test_low_threshold_spiking_adapts_at_high_frequency(integrator, dt):
    """LTS (I = 10): a high-frequency onset (first interval < 5 ms) with strong adaptation
    (steady interval > 3x the first), faster than RS at the same current."""
    t = step_responses(["LTS", "RS"], 10.0, integrator, dt)
    isi = np.diff(t["LTS"])
    assert isi[0] < 5.0 and isi[-1] > 3 * isi[0]
    assert len(t["LTS"]) > 2 * len(t["RS"])


def test_thalamocortical_rebound_burst():
    """TC: silent during a hyperpolarising step (-10 for 200 ms); at release it fires a rebound
    burst (>= 3 spikes within 50 ms, intervals < 20 ms). RS and FS do not rebound."""
    net = fs.Network(dt=0.05)
    recs = {}
    for name in ("TC", "RS", "FS"):
        pop = net.population(fs.Izhikevich.preset(name), n=1, integrator="rk4")
        net.current(pop, fs.StepCurrent([0.0, 200.0, 400.0], [0.0, -10.0, 0.0]))
        recs[name] = net.record(pop, "spikes")
    net.run(700.0)
    tc = recs["TC"].times
    assert np.all(tc > 400.0)
    burst = tc[tc < 450.0]
    assert len(burst) >= 3 and np.all(np.diff(burst) < 20.0)
    assert len(recs["RS"]) == 0 and len(recs["FS"]) == 0


def rz_rest_and_period(a=0.1, b=0.26):
    """Rest of 0.04 v^2 + (5 - b) v + 140 = 0 (u = b v; the lower root is the stable one), and
    the period 2 pi / Im(lambda) of the Jacobian [[0.08 v + 5, -1], [a b, -a]] there."""
    disc = (5 - b) ** 2 - 4 * 0.04 * 140
    v = (-(5 - b) - math.sqrt(disc)) / 0.08
    tr, det = 0.08 * v + 5 - a, -(0.08 * v + 5) * a + a * b
    assert tr ** 2 < 4 * det  # a focus: damped oscillations
    return v, 2 * math.pi / math.sqrt(det - tr ** 2 / 4)


def test_resonator_prefers_pulse_pairs_at_its_resonant_period():
    """RZ at rest (a focus, period T = 41 ms from the linearisation): with 1 ms pulses at 90 % of
    the single-pulse threshold, a pair T apart fires the neuron while pairs T/2 and 3T/2 apart
    (second pulse against the ringing) do not."""
    v_rest, T = rz_rest_and_period()
    assert T == pytest.approx(41.0, abs=0.1)
    dt, width, t0, duration = 0.05, 1.0, 20.0, 250.0
    steps = int(round(duration / dt))

    def run(amplitudes, gaps):
        net = fs.Network(dt=dt)
        pop = net.population(fs.Izhikevich.preset("RZ"), n=len(amplitudes), integrator="rk4")
        pop.v, pop.u = v_rest, 0.26 * v_rest
        current = np.zeros((steps, len(amplitudes)))
        for i, (amp, gap) in enumerate(zip(amplitudes, gaps)):
            for start in ([t0] if gap is None else [t0, t0 + gap]):
                k = int(round(start / dt))
                current[k:k + int(round(width / dt)), i] = amp
        net.current(pop, current)
        spikes = net.record(pop, "spikes")
        net.run(duration)
        return spikes.counts()

    grid = np.round(np.arange(0.5, 5.0, 0.01), 2)
    fired = run(grid, [None] * grid.size) > 0
    assert fired.any() and not fired[0]
    single = grid[np.argmax(fired)]
    counts = run([0.9 * single] * 4, [T, T / 2, 1.5 * T, None])
    assert counts[0] >= 1
    np.testing.assert_array_equal(counts[1:], 0)
