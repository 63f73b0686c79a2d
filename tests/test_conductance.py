"""Conductance synapses (fs.ExpConductance, fs.AlphaConductance) against closed forms and NEST.

- One input spike on a LIF at rest: the solution of the linear ODE
  ``tau_m dv/dt = (v_rest - v) + R w exp(-(t - t0) / tau) (E_rev - v)`` (computed here by an
  independent high-order solver at tolerance 1e-13) against every explicit integrator at three
  steps: errors fall with the orders 1, 2 and 4 of euler, rk2 and rk4, which they only do because
  the conductance is evaluated at its exact value at each stage (held over the step, rk4 would be
  first order); exponential Euler (conductance held over the step) is first order, and exact
  for a constant conductance.
- NEST ``iaf_cond_exp`` (data generated once, see tests/nest_reference/make_references.py) on
  replayed input, with NEST's default tau_syn_ex = 0.2 ms: spike times within one step for
  >= 95 % of spikes at dt = 0.1 ms with rk4, and |dv| < 0.01 mV at dt = 0.01 ms with rk4.
- AlphaConductance peaks at its weight at t = tau.
- Bad input is refused before anything runs.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import fastspike as fs

REF = Path(__file__).parent / "nest_reference"
TAU_M, R, V_REST, E_EX, TAU, W = 20.0, 0.1, -60.0, 0.0, 5.0, 30.0
T0, T_END = 1.0, 6.0  # the spike arrives at T0 (emitted at 0.5 ms, delay 0.5 ms)
INTEGRATORS = ("euler", "rk2", "rk4", "exponential_euler")


def reference_v(t: float, w: float = W, tau: float = TAU) -> float:
    from scipy.integrate import solve_ivp

    def f(s, v):
        return [((V_REST - v[0]) + R * w * math.exp(-(s - T0) / tau) * (E_EX - v[0])) / TAU_M]

    return float(solve_ivp(f, (T0, t), [V_REST], method="DOP853", rtol=1e-13, atol=1e-13).y[0, -1])


class NoGainLIF(fs.LIF):
    """The LIF without its input_gain: exponential Euler then finds d(dv/dt)/dI by a second call
    of conditionally_linear."""

    input_gain = None


def single_spike(dt: float) -> dict[str, float]:
    """v at T_END of a LIF at rest after one conductance input, for each integrator (one network),
    and (key "constant") under exponential Euler with a conductance that does not decay."""
    net = fs.Network(dt=dt, seed=1)
    src = net.population(fs.SpikeSource([0.5], [0]), n=1)
    pops = {}
    for integ in INTEGRATORS:
        pops[integ] = net.population(fs.LIF(tau_m=TAU_M, R=R, v_rest=V_REST, v_thresh=100.0), n=1, integrator=integ)
        net.connect(src, pops[integ], fs.AllToAll(), synapse=fs.ExpConductance(TAU, E_EX), weight=W, delay=0.5)
    pops["constant"] = net.population(fs.LIF(tau_m=TAU_M, R=R, v_rest=V_REST, v_thresh=100.0), n=1,
                                      integrator="exponential_euler")
    net.connect(src, pops["constant"], fs.AllToAll(), synapse=fs.ExpConductance(1e15, E_EX), weight=W, delay=0.5)
    pops["no_gain"] = net.population(NoGainLIF(tau_m=TAU_M, R=R, v_rest=V_REST, v_thresh=100.0), n=1,
                                     integrator="exponential_euler")
    net.connect(src, pops["no_gain"], fs.AllToAll(), synapse=fs.ExpConductance(TAU, E_EX), weight=W, delay=0.5)
    net.run(T_END)
    return {k: float(p.v[0]) for k, p in pops.items()}


@pytest.fixture(scope="module")
def single_spike_runs():
    return {dt: single_spike(dt) for dt in (0.1, 0.05, 0.025)}


@pytest.mark.parametrize("integrator,order", [("euler", 1), ("rk2", 2), ("rk4", 4), ("exponential_euler", 1)])
def test_single_spike_convergence_order(single_spike_runs, integrator, order):
    ref = reference_v(T_END)
    errors = [abs(single_spike_runs[dt][integrator] - ref) for dt in (0.1, 0.05, 0.025)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(abs(o - order) < 0.15 for o in orders), (errors, orders)
    if integrator == "rk4":
        assert errors[0] < 1e-7


def test_exponential_euler_exact_for_constant_conductance(single_spike_runs):
    g = R * W  # tau_m dv/dt = (v_rest - v) + g (E - v), from v_rest at T0
    v_inf = (V_REST + g * E_EX) / (1.0 + g)
    exact = v_inf + (V_REST - v_inf) * math.exp(-(1.0 + g) * (T_END - T0) / TAU_M)
    for dt in (0.1, 0.05, 0.025):
        assert single_spike_runs[dt]["constant"] == pytest.approx(exact, abs=1e-10)


def test_exponential_euler_without_input_gain(single_spike_runs):
    """A model without input_gain: the same step (to rounding) from a second conditionally_linear call."""
    for dt in (0.1, 0.05, 0.025):
        runs = single_spike_runs[dt]
        assert runs["no_gain"] == pytest.approx(runs["exponential_euler"], rel=1e-12)


# -- NEST iaf_cond_exp on replayed input -----------------------------------------------------
GL, CM = 16.6667, 250.0  # NEST's defaults (nS, pF): tau_m = C_m / g_L, R = 1 / g_L (GOhm: weights in nS)


def nest_network(d, dt: float, integrator: str, subthreshold: bool = False):
    n = d["w_ex"].size
    net = fs.Network(dt=dt, seed=1)
    exc = net.population(fs.SpikeSource(d["exc_times"], d["exc_neurons"]), n=n)
    inh = net.population(fs.SpikeSource(d["inh_times"], d["inh_neurons"]), n=n)
    pop = net.population(fs.LIF(tau_m=CM / GL, R=1.0 / GL, v_rest=-70.0, v_reset=-60.0,
                                v_thresh=100.0 if subthreshold else -55.0, t_ref=2.0), n=n, integrator=integrator)
    net.current(pop, d["i_e"] * (0.5 if subthreshold else 1.0))
    net.connect(exc, pop, fs.OneToOne(), synapse=fs.ExpConductance(0.2, 0.0), weight=d["w_ex"], delay=1.0)
    net.connect(inh, pop, fs.OneToOne(), synapse=fs.ExpConductance(2.0, -85.0), weight=d["w_in"], delay=1.0)
    return net, pop


def matched(times, neurons, ref_times, ref_neurons, tolerance):
    """How many reference spikes have a spike of the same neuron within ``tolerance`` ms."""
    hits = 0
    for i in np.unique(ref_neurons):
        ours = times[neurons == i]
        for t in ref_times[ref_neurons == i]:
            hits += bool(ours.size) and np.min(np.abs(ours - t)) <= tolerance + 1e-9
    return hits


@pytest.fixture(scope="module")
def cond_reference():
    return np.load(REF / "iaf_cond_exp.npz")


@pytest.mark.parametrize("dt,key", [(0.1, "coarse"), (0.01, "fine")])
def test_nest_iaf_cond_exp_spike_times(cond_reference, dt, key):
    d = cond_reference
    net, pop = nest_network(d, dt, "rk4")
    rec = net.record(pop, "spikes")
    net.run(1000.0)
    ref_t, ref_n = d[f"{key}_times"], d[f"{key}_senders"]
    assert ref_t.size > 100
    assert abs(len(rec) - ref_t.size) <= 0.05 * ref_t.size
    assert matched(rec.times, rec.neurons, ref_t, ref_n, dt) >= 0.95 * ref_t.size


def test_nest_iaf_cond_exp_membrane(cond_reference):
    d = cond_reference
    net, pop = nest_network(d, 0.01, "rk4", subthreshold=True)
    rec = net.record(pop, "v", every=50)
    net.run(300.0)
    ref = np.stack([d["sub_v"][d["sub_v_senders"] == i] for i in range(pop.n)], axis=1)
    ref_times = np.unique(d["sub_v_times"])
    k = ref_times.size
    np.testing.assert_allclose(rec.times[:k], ref_times)
    assert np.max(np.abs(rec["v"][:k] - ref)) < 0.01
    assert np.ptp(ref) > 5.0  # the input moves the membrane


def test_alpha_conductance_peaks_at_weight():
    net = fs.Network(dt=0.01, seed=1)
    src = net.population(fs.SpikeSource([0.1], [0]), n=1)
    pop = net.population(fs.LIF(tau_m=20.0, v_thresh=100.0), n=1, integrator="rk4")
    net.connect(src, pop, fs.AllToAll(), synapse=fs.AlphaConductance(tau=2.0, E_rev=0.0), weight=3.0, delay=0.1)
    g = []
    for _ in range(600):
        net.run(0.01)
        g.append(float(net._buffers.channel_state(pop, fs.AlphaConductance(2.0, 0.0), "g")[0]))
    g = np.array(g)
    t = (np.arange(1, 601) * 0.01) - 0.2  # the weight arrives at 0.2 ms
    expected = np.where(t >= 0, 3.0 * (t / 2.0) * np.exp(1.0 - t / 2.0), 0.0)
    np.testing.assert_allclose(g, expected, atol=1e-12)
    assert t[np.argmax(g)] == pytest.approx(2.0, abs=0.011)


# -- bad input ------------------------------------------------------------------------------------
@pytest.fixture
def small():
    net = fs.Network(dt=0.1, seed=1)
    src = net.population(fs.SpikeSource([0.5], [0]), n=2)
    pop = net.population(fs.LIF(tau_m=10.0), n=2, integrator="rk2")
    return net, src, pop


@pytest.mark.parametrize("cls", [fs.ExpConductance, fs.AlphaConductance])
def test_bad_parameters(cls):
    with pytest.raises(ValueError, match="tau"):
        cls(tau=0.0, E_rev=0.0)
    with pytest.raises(ValueError, match="tau"):
        cls(tau=-1.0, E_rev=0.0)
    with pytest.raises(ValueError, match="E_rev"):
        cls(tau=5.0, E_rev=math.inf)
    with pytest.raises(ValueError, match="E_rev"):
        cls(tau=5.0, E_rev=math.nan)
    with pytest.raises(ValueError, match="E_rev must be given"):
        cls(tau=5.0)


@pytest.mark.parametrize("weight", [-1.0, np.array([1.0, -0.5, 2.0, 1.0]), fs.Normal(0.0, 1.0)])
def test_negative_conductance_weight(small, weight):
    net, src, pop = small
    with pytest.raises(ValueError, match=r"negative.*>= 0.*inhibition comes from its reversal potential E_rev"):
        net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpConductance(5.0, -80.0), weight=weight)
    with pytest.raises(ValueError, match="negative"):
        net.poisson_input(pop, 10, 5.0, -0.1, synapse=fs.AlphaConductance(5.0, -80.0))
    assert not net.projections  # nothing kept


def test_conductance_on_non_voltage_membrane():
    net = fs.Network(dt=0.1, seed=1)
    src = net.population(fs.SpikeSource([0.5], [0]), n=1)
    pop = net.population(fs.FitzHughNagumo(), n=1)
    with pytest.raises(ValueError, match=r"needs a membrane potential in mV; FitzHughNagumo's membrane variable 'v'"):
        net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpConductance(5.0, 0.0), weight=1.0)
    with pytest.raises(ValueError, match="needs a membrane potential in mV"):
        net.poisson_input(pop, 10, 5.0, 0.1, synapse=fs.ExpConductance(5.0, 0.0))
    net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpCurrent(5.0), weight=1.0)  # a current is fine


def test_exact_integrator_refused_with_the_ones_that_work():
    net = fs.Network(dt=0.1, seed=1)
    src = net.population(fs.SpikeSource([0.5], [0]), n=1)
    pop = net.population(fs.LIF(tau_m=10.0), n=1)  # "exact" by default
    with pytest.raises(ValueError, match=r"cannot be integrated exactly.*'euler', 'rk2', 'rk4', 'exponential_euler'"):
        net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpConductance(5.0, 0.0), weight=1.0)


@pytest.mark.parametrize("model", [fs.AdEx(), fs.Izhikevich(), fs.HodgkinHuxley(), fs.QuadLIF(tau_m=10.0),
                                   fs.IF(tau_m=10.0)])
def test_conductance_accepted_by_voltage_models(model):
    net = fs.Network(dt=0.1, seed=1)
    src = net.population(fs.SpikeSource([0.5], [0]), n=1)
    pop = net.population(model, n=1, integrator="rk2")
    net.connect(src, pop, fs.AllToAll(), synapse=fs.ExpConductance(5.0, 0.0), weight=1.0)
    assert pop.channels == (fs.ExpConductance(5.0, 0.0),)
