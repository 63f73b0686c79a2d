"""Hodgkin-Huxley: against an independent RK4 of the 1952 equations, and the classic numbers.

- The 1952 equations are re-implemented in ``_zoo_reference.py`` in Hodgkin & Huxley's own
  variables (depolarisation from rest, their rate expressions) and integrated by a plain
  Python RK4; fastspike's RK4 trace must match it to 1e-6 (relative to the voltage range).
- Published behaviour of the model (6.3 degC, modern convention, rest at -65 mV):
  * the resting state loses stability in a subcritical Hopf bifurcation at I = 9.78 uA/cm^2
    (Rinzel & Miller 1980, Math. Biosci. 49:27); checked here from the eigenvalues of the
    reference equations' Jacobian and by simulation on both sides;
  * stable periodic firing exists from I ~ 6.26 uA/cm^2 (Rinzel & Miller 1980, the fold of
    limit cycles), with a minimum rate of about 50-70 Hz: class 2 excitability (Hodgkin 1948
    classes; Izhikevich 2007, Dynamical Systems in Neuroscience, sec. 7.1);
  * a long current step from rest elicits (at least) one spike from about 2.2-2.5 uA/cm^2.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastspike as fs
from _zoo_reference import HH, hh_rhs, hh_steady_gates, rk4


def steady_iv(v):
    """Steady-state ionic current (uA/cm^2) at v, gates at their steady state."""
    m, h, n = hh_steady_gates(v)
    return HH["gNa"] * m ** 3 * h * (v - HH["ENa"]) + HH["gK"] * n ** 4 * (v - HH["EK"]) + HH["gL"] * (v - HH["EL"])


def fixed_point(I):
    """The resting potential under a constant current I: the steady-state I-V curve is monotonic
    between -80 and -40 mV, so bisection finds its unique crossing."""
    lo, hi = -80.0, -40.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if steady_iv(mid) < I else (lo, mid)
    v = 0.5 * (lo + hi)
    return np.array([v, *hh_steady_gates(v)])


def leading_eigenvalue(I):
    y = fixed_point(I)
    J = np.zeros((4, 4))
    for j in range(4):
        d = np.zeros(4)
        d[j] = 1e-6
        J[:, j] = (hh_rhs(y + d, I) - hh_rhs(y - d, I)) / 2e-6
    ev = np.linalg.eigvals(J)
    return ev[np.argmax(ev.real)]


def test_resting_state_and_initial_gates():
    """The population starts at -65 mV with its gates at their steady state there, close to the
    model's true resting point (-64.996 mV), and stays there without input."""
    rest = fixed_point(0.0)
    assert rest[0] == pytest.approx(-65.0, abs=0.01)
    net = fs.Network(dt=0.025)
    pop = net.population(fs.HodgkinHuxley(), n=1)
    for var, value in zip(("m_Na", "h_Na", "n_K"), hh_steady_gates(-65.0)):
        assert pop.state[var][0] == pytest.approx(value, rel=1e-12)
    assert fs.HodgkinHuxley.steady_state(-65.0) == pytest.approx(hh_steady_gates(-65.0), rel=1e-12)
    rec = net.record(pop, "v")
    net.run(200.0)
    assert np.max(np.abs(rec.v[:, 0] - rest[0])) < 0.01


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rk4_trace_matches_independent_reference(dtype):
    """A 10 uA/cm^2 step from rest (spikes included): fastspike's RK4 equals the reference RK4 of
    the 1952 equations to 1e-6 of the voltage range in float64 (float32: 1e-3 before the first
    spike), and its spikes are the reference trace's upward crossings of 0 mV."""
    dt, duration, onset, amplitude = 0.01, 60.0, 5.0, 10.0
    steps = int(round(duration / dt))
    k_on = int(round(onset / dt))
    net = fs.Network(dt=dt, dtype=dtype)
    pop = net.population(fs.HodgkinHuxley(), n=1, integrator="rk4")
    net.current(pop, fs.StepCurrent([onset], [amplitude]))
    rec = net.record(pop, ["v", "m_Na", "h_Na", "n_K"])
    spikes = net.record(pop, "spikes")
    net.run(duration)
    y0 = [-65.0, *hh_steady_gates(-65.0)]
    ref = rk4(hh_rhs, y0, dt, steps, lambda k: amplitude if k >= k_on else 0.0)[1:]
    v_ref = ref[:, 0]
    scale = np.ptp(v_ref)
    assert scale > 100.0  # action potentials
    crossings = np.flatnonzero((v_ref[1:] >= 0.0) & (v_ref[:-1] < 0.0)) + 1
    assert len(crossings) >= 3
    if dtype == "float64":
        assert np.max(np.abs(rec.v[:, 0] - v_ref)) <= 1e-6 * scale
        for j, var in enumerate(("m_Na", "h_Na", "n_K"), start=1):
            assert np.max(np.abs(getattr(rec, var)[:, 0] - ref[:, j])) <= 1e-6
        np.testing.assert_array_equal(spikes.steps - 1, crossings)
    else:
        first = crossings[0] - 50
        assert np.max(np.abs(rec.v[:first, 0] - v_ref[:first])) <= 1e-3 * scale
        assert len(spikes) == len(crossings)
        assert np.max(np.abs(spikes.steps - 1 - crossings)) <= 5


def test_hopf_bifurcation_at_the_published_current():
    """The leading eigenvalue of the rest state crosses the imaginary axis at 9.78 uA/cm^2
    (Rinzel & Miller 1980); a 0.1 mV kick off the fixed point decays below and grows into
    periodic firing above."""
    assert leading_eigenvalue(9.70).real < 0 < leading_eigenvalue(9.85).real
    currents = np.array([9.0, 10.5])
    net = fs.Network(dt=0.025)
    pop = net.population(fs.HodgkinHuxley(), n=2, integrator="rk4")
    fixed = np.array([fixed_point(I) for I in currents])
    pop.v, pop.m_Na, pop.h_Na, pop.n_K = fixed[:, 0] + 0.1, fixed[:, 1], fixed[:, 2], fixed[:, 3]
    net.current(pop, currents)
    rec = net.record(pop, "v")
    spikes = net.record(pop, "spikes")
    net.run(1000.0)
    counts = spikes.counts()
    assert counts[0] == 0
    assert np.max(np.abs(rec.v[-4000:, 0] - fixed[0, 0])) < 0.02
    late = spikes.times[(spikes.neurons == 1) & (spikes.times > 600.0)]
    assert len(late) >= 20  # ~ 68 Hz


def test_rheobase_and_f_i_curve():
    """Long (500 ms) steps from rest: the smallest current giving a spike is 2.2-2.5 uA/cm^2; the
    smallest giving sustained firing is at the fold of limit cycles (6.26, Rinzel & Miller 1980)
    within the resolution (6.0-7.0) and below the Hopf current 9.78; the rate starts at 50-70 Hz
    (class 2) and rises with the current."""
    dt, duration = 0.025, 500.0
    low = np.round(np.arange(1.80, 3.001, 0.01), 2)
    high = np.round(np.arange(5.0, 20.001, 0.1), 2)
    currents = np.concatenate([low, high])
    net = fs.Network(dt=dt)
    pop = net.population(fs.HodgkinHuxley(), n=currents.size, integrator="rk4")
    net.current(pop, currents)
    spikes = net.record(pop, "spikes")
    net.run(duration)
    counts = spikes.counts()
    rheobase = currents[np.argmax(counts > 0)]
    assert 2.2 <= rheobase <= 2.5, rheobase
    assert np.all(counts[: low.size][low >= rheobase] >= 1)

    def late_rate(i):
        t = spikes.times[(spikes.neurons == i) & (spikes.times > 200.0)]
        return 1000.0 * (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 else 0.0

    rates = np.array([late_rate(low.size + j) for j in range(high.size)])
    onset = np.argmax(rates > 0)
    assert 6.0 <= high[onset] <= 7.0 < 9.78, high[onset]
    assert np.all(rates[onset:] > 0)
    assert 50.0 <= rates[onset] <= 70.0, rates[onset]
    assert np.all(np.diff(rates[onset:]) > 0)
    assert rates[-1] > 1.3 * rates[onset]


def test_exponential_euler_is_stable_at_coarse_steps_and_first_order():
    """With a 10 uA/cm^2 step, explicit Euler and RK4 diverge at dt = 0.1 ms (the gates are stiff
    during a spike) while exponential Euler (the default) keeps firing regularly at steps up to
    0.2 ms, its interspike interval converging to the reference's at first order."""
    dt_ref = 0.005
    ref = rk4(hh_rhs, [-65.0, *hh_steady_gates(-65.0)], dt_ref, int(round(200.0 / dt_ref)), 10.0)[:, 0]
    ref_isi = np.mean(np.diff((np.flatnonzero((ref[1:] >= 0) & (ref[:-1] < 0)) + 1) * dt_ref)[2:])
    assert fs.HodgkinHuxley().default_integrator == "exponential_euler"
    errors = []
    for dt in (0.2, 0.1, 0.05, 0.025):
        net = fs.Network(dt=dt)
        pop = net.population(fs.HodgkinHuxley(), n=1)
        net.current(pop, 10.0)
        spikes = net.record(pop, "spikes")
        net.run(200.0)
        assert np.all(np.isfinite(pop.v)) and len(spikes) >= 10
        errors.append(abs(np.mean(np.diff(spikes.times)[2:]) - ref_isi) / ref_isi)
    assert errors[0] < 0.15 and errors[-1] < 0.02
    slope = np.polyfit(np.log([0.2, 0.1, 0.05, 0.025]), np.log(errors), 1)[0]
    assert 0.7 < slope < 1.3, (slope, errors)
    for integrator in ("euler", "rk4"):
        net = fs.Network(dt=0.1)
        pop = net.population(fs.HodgkinHuxley(), n=1, integrator=integrator)
        net.current(pop, 10.0)
        with pytest.warns(RuntimeWarning, match="not finite"):  # the run says so
            net.run(50.0)
        assert not np.all(np.abs(pop.v) < 200.0)  # diverged (inf/nan or far out)


# -- Traub-Miles (NEST hh_cond_exp_traub, COBAHH) ----------------------------------------------
def test_traub_miles_against_nest_hh_cond_exp_traub():
    """Constant currents 0, 100, 400 and 1000 pA (NEST data generated once, see
    tests/nest_reference/make_references.py): the same spike counts and inter-spike intervals
    within 0.2 % at dt = 0.01 ms with rk4 (NEST stamps a spike at the peak of the action
    potential, fastspike at the upward crossing of -20 mV: intervals, not times, are compared)."""
    from pathlib import Path

    d = np.load(Path(__file__).parent / "nest_reference" / "hh_cond_exp_traub.npz")
    net = fs.Network(dt=0.01, seed=1)
    pop = net.population(fs.HodgkinHuxley.traub_miles(), n=d["i_e"].size, integrator="rk4")
    assert isinstance(pop.model, fs.HodgkinHuxleyTraub)
    net.current(pop, d["i_e"])
    rec = net.record(pop, "spikes")
    net.run(500.0)
    for i in range(pop.n):
        ours, theirs = rec.times[rec.neurons == i], d["spike_times"][d["spike_senders"] == i]
        assert ours.size == theirs.size > 5
        np.testing.assert_allclose(np.diff(ours), np.diff(theirs), rtol=2e-3, atol=0.02)
        assert np.all(np.abs(ours - theirs) < 0.5)


def test_traub_miles_refuses_bad_parameters():
    with pytest.raises(ValueError, match="C_m"):
        fs.HodgkinHuxleyTraub(C_m=0.0)
    with pytest.raises(ValueError, match="g_Na"):
        fs.HodgkinHuxleyTraub(g_Na=-1.0)


def _traub_run(monkeypatch, min_carried: int, threads: int = 1) -> tuple[np.ndarray, ...]:
    """600 Traub-Miles cells (two blocks of 256 and a tail of 88) under different constant
    currents, exponential Euler, 30 ms: the state and the spikes."""
    from fastspike.backends.cpu import lower

    monkeypatch.setattr(lower, "SPLIT_MIN_CARRIED", min_carried)
    net = fs.Network(dt=0.1, seed=3, threads=threads)
    pop = net.population(fs.HodgkinHuxleyTraub(), n=600, integrator="exponential_euler")
    net.current(pop, np.linspace(0.0, 800.0, pop.n))
    rec = net.record(pop, "spikes")
    net.run(30.0)
    return pop.v.copy(), pop.m_Na.copy(), pop.h_Na.copy(), pop.n_K.copy(), rec.times.copy(), rec.neurons.copy()


def test_split_exponential_euler_loop_keeps_every_bit(monkeypatch):
    """The CPU cuts the neuron loop of a Hodgkin-Huxley update in two (the model's rates and
    coefficients, then an ``expm1`` per variable; ``fastspike.backends.cpu.lower._split_loop``):
    the state and the spikes are those of the whole loop, bit for bit, on one thread and in
    the thread ranges (where each range splits its own part)."""
    from fastspike.backends.cpu import lower

    carried = lower.SPLIT_MIN_CARRIED
    assert carried <= 8  # the cell's four variables' coefficients are carried: it splits
    whole = _traub_run(monkeypatch, 10**9)
    split = _traub_run(monkeypatch, carried)
    ranges = _traub_run(monkeypatch, carried, threads=2)
    assert whole[4].size > 50 and np.all(np.isfinite(whole[0]))  # the currents above rheobase fire
    for a, b, c in zip(whole, split, ranges):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
