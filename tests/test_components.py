"""Components written by a user, through the public interface only, and the errors that guard it.

A postsynaptic model, a current source and a weight-update model defined in this file (as a
user defines them in a script) must be lowered exactly as the built-in ones: a user's copy of
``ExpCurrent`` (same arithmetic) and of ``Delta`` give the spikes and states of the built-in
channels bit for bit, a sine current declared by its ``current(t, ...)`` gives what the same
values given per step give, a weight-update model that transmits half the weight gives what a
halved weight gives. A sine current's steady-state response of a
passive membrane matches the analytic one. Mistakes are refused at ``connect()`` /
``current()``, naming the function, the argument and what is allowed.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs


# -- a user's components ------------------------------------------------------------------------
def my_factor(tau, dt):
    return math.exp(-1.0 / tau * dt)  # the arithmetic of fs.ExpCurrent's propagator


def my_decay(I, factor):
    return I * factor


def my_arrive(I, w):
    return I + w


def my_current(I):
    return I


class MyExpCurrent(fs.PostsynapticModel):
    parameters = (fs.Parameter("tau", None, "ms", "decay time constant", "positive"),)
    state_variables = (fs.StateVariable("I", "pA", 0.0, "synaptic current"),)
    derived = {"factor": my_factor}
    exact_time_constants = {"I": "tau"}
    decay = staticmethod(my_decay)
    arrive = staticmethod(my_arrive)
    current = staticmethod(my_current)


def my_kick(v, w):
    return v + w


class MyDelta(fs.PostsynapticModel):
    target = "membrane"
    arrive = staticmethod(my_kick)


def sine(t, amplitude, frequency, offset):
    return offset + amplitude * math.sin(2.0 * math.pi * frequency * t / 1000.0)


class SineCurrent(fs.CurrentSource):
    parameters = (fs.Parameter("amplitude", None, "pA", "amplitude"),
                  fs.Parameter("frequency", None, "Hz", "frequency", "positive"),
                  fs.Parameter("offset", 0.0, "pA", "constant part"))
    current = staticmethod(sine)


def half_on_pre(g, fraction):
    return g * fraction


class FractionalRelease(fs.WeightUpdateModel):
    parameters = (fs.Parameter("fraction", None, "1", "fraction of the weight transmitted", "positive"),)
    on_pre = staticmethod(half_on_pre)


# -- the same network with built-in and with user components -----------------------------------------
DT = 0.1
STEPS = 400


def _sine_values(n: int, amplitude: np.ndarray, frequency: float, offset: float) -> np.ndarray:
    t = np.arange(STEPS)[:, None] * DT
    return offset + amplitude[None, :] * np.sin(2.0 * math.pi * frequency * t / 1000.0)


def _network(user: bool):
    """Replayed and Poisson spikes through an exponential channel (one delay, several delays,
    Poisson input into it) and a delta channel, onto exact and rk2 LIF populations driven by a
    sine current (uniform and per-neuron amplitudes)."""
    net = fs.Network(dt=DT, seed=11)
    src = net.population(fs.PoissonSource(rate=300.0), n=20, name="src")
    exact = net.population(fs.LIF(tau_m=10.0, v_thresh=-60.0, t_ref=1.0), n=13, name="exact")
    rk2 = net.population(fs.LIF(tau_m=10.0, v_thresh=-60.0), n=9, name="rk2", integrator="rk2")
    exp_ = MyExpCurrent(tau=3.0) if user else fs.ExpCurrent(3.0)
    delta = MyDelta() if user else fs.Delta()
    release = FractionalRelease(fraction=0.5) if user else None
    w = 1.0 if user else 0.5  # transmitted: half of 1.0, or 0.5
    for post in (exact, rk2):
        net.connect(src, post, fs.FixedProbability(0.4), synapse=exp_, weight=w, delay=0.5, weight_update=release)
        net.connect(src, post, fs.FixedProbability(0.3), synapse=exp_, weight=w, delay=fs.Uniform(0.1, 1.0),
                    weight_update=release)
        net.connect(src, post, fs.FixedProbability(0.2), synapse=delta, weight=2 * w, delay=0.3,
                    weight_update=release)
        net.poisson_input(post, 50, 10.0, 0.8, exp_)
    amps = np.linspace(0.0, 6.0, rk2.n)
    if user:
        net.current(exact, SineCurrent(amplitude=4.0, frequency=40.0, offset=1.0))
        net.current(rk2, SineCurrent(amplitude=amps, frequency=25.0))
    else:
        net.current(exact, _sine_values(exact.n, np.full(exact.n, 4.0), 40.0, 1.0))
        net.current(rk2, _sine_values(rk2.n, amps, 25.0, 0.0))
    recs = [net.record(p, "spikes") for p in (exact, rk2)]
    states = [net.record(exact, ["v", "I"], every=3), net.record(rk2, "v")]
    net.run(STEPS * DT / 2)
    net.run(STEPS * DT / 2)
    return net, (exact, rk2), recs, states


@pytest.fixture(scope="module")
def builtin():
    return _network(user=False)


def test_user_components_are_lowered_as_the_built_in_ones(builtin):
    _, pops_b, recs_b, states_b = builtin
    _, pops_u, recs_u, states_u = _network(user=True)
    assert sum(len(r) for r in recs_b) > 50
    for a, b in zip(recs_b, recs_u):
        np.testing.assert_array_equal(a.steps, b.steps)
        np.testing.assert_array_equal(a.neurons, b.neurons)
    for a, b in zip(states_b, states_u):
        for v in a.variables:
            np.testing.assert_array_equal(a[v], b[v])
    for a, b in zip(pops_b, pops_u):
        np.testing.assert_array_equal(a.v, b.v)


def test_sine_current_steady_state_of_a_passive_membrane():
    """tau dv/dt = -(v - v_rest) + R I, I = A sin(w t): in the steady state v oscillates
    around v_rest with amplitude R A / sqrt(1 + (w tau)^2). The current is held over each step
    (dt = 0.01 ms, 25 Hz: the held current lags by dt/2, far below the 1e-3 tolerance)."""
    net = fs.Network(dt=0.01)
    pop = net.population(fs.LIF(tau_m=10.0, R=2.0, v_rest=-70.0, v_thresh=1e9), n=2)
    net.current(pop, SineCurrent(amplitude=np.array([3.0, 5.0]), frequency=25.0))
    trace = net.record(pop, "v")
    net.run(200.0)
    last = trace.v[-4000:]  # the last 40 ms: one period of 25 Hz is 40 ms
    omega_tau = 2 * math.pi * 25.0 / 1000.0 * 10.0
    expected = 2.0 * np.array([3.0, 5.0]) / math.sqrt(1 + omega_tau ** 2)
    np.testing.assert_allclose((last.max(axis=0) - last.min(axis=0)) / 2, expected, rtol=1e-3)
    np.testing.assert_allclose((last.max(axis=0) + last.min(axis=0)) / 2, -70.0, atol=1e-3)


def saturating_arrive(I, w, I_max):
    return min(I + w, I_max)


class SaturatingExpCurrent(MyExpCurrent):
    """The README's example: each spike adds its weight, but the current never exceeds I_max."""

    parameters = (fs.Parameter("tau", None, "ms", "decay time constant", "positive"),
                  fs.Parameter("I_max", None, "pA", "largest current", "positive"))
    arrive = staticmethod(saturating_arrive)


def test_a_saturating_channel_follows_its_closed_form():
    """Spikes of weight 20 at 1.0 and 1.5 ms (one step of delay), I_max = 30, tau = 2 ms: the
    channel's current is 20 exp(-(t - 1.1)/2) after the first arrival, then min(that + 20, 30)
    = 30 from 1.6 ms, decaying with tau again; the recorded input I of an exact LIF is the
    channel's current at the start of each step."""
    net = fs.Network(dt=DT)
    src = net.population(fs.SpikeSource([1.0, 1.5], [0, 0]), n=1)
    pop = net.population(fs.LIF(tau_m=10.0, v_thresh=1e9), n=1)
    net.connect(src, pop, fs.AllToAll(), synapse=SaturatingExpCurrent(tau=2.0, I_max=30.0), weight=20.0, delay=DT)
    trace = net.record(pop, "I")
    net.run(4.0)
    t_start = trace.times - DT  # a sample at t + dt holds the input of the step from t
    first = 20.0 * np.exp(-(t_start - 1.1) / 2.0)
    expected = np.where(t_start < 1.1 - 1e-9, 0.0, first)
    expected = np.where(t_start > 1.6 - 1e-9, 30.0 * np.exp(-(t_start - 1.6) / 2.0), expected)
    np.testing.assert_allclose(trace.I[:, 0], expected, rtol=1e-12, atol=1e-12)


# -- mistakes -----------------------------------------------------------------------------------
def _two_populations():
    net = fs.Network(dt=DT)
    src = net.population(fs.SpikeSource([1.0], [0]), n=1)
    post = net.population(fs.LIF(tau_m=10.0), n=2)
    return net, src, post


def test_a_function_argument_that_is_not_allowed_is_refused_at_connect():
    def bad_decay(I, tau_syn):  # a typo: the parameter is tau
        return I

    class Typo(MyExpCurrent):
        decay = staticmethod(bad_decay)

    net, src, post = _two_populations()
    with pytest.raises(TypeError, match=r"Typo.decay \(bad_decay\): argument 'tau_syn' is not allowed.*I, dt, factor, "
                                        r"tau"):
        net.connect(src, post, fs.AllToAll(), synapse=Typo(tau=2.0))


def test_a_function_returning_the_wrong_number_of_values_is_refused():
    def two(I, w):
        return I + w, w

    class Wrong(MyExpCurrent):
        arrive = staticmethod(two)

    net, src, post = _two_populations()
    with pytest.raises(TypeError, match=r"Wrong.arrive \(two\) must return one value"):
        net.connect(src, post, fs.AllToAll(), synapse=Wrong(tau=2.0))


def test_a_channel_that_cannot_be_integrated_exactly_is_refused_on_an_exact_population():
    class NotExact(MyExpCurrent):
        exact_time_constants = {}

    net, src, post = _two_populations()
    with pytest.raises(ValueError, match=r"cannot be integrated exactly.*integrator='exact'.*'euler', 'rk2', 'rk4'"):
        net.connect(src, post, fs.AllToAll(), synapse=NotExact(tau=2.0))
    with pytest.raises(ValueError, match=r"cannot be integrated exactly"):
        net.poisson_input(post, 10, 5.0, 1.0, NotExact(tau=2.0))
    rk = net.population(fs.LIF(tau_m=10.0), n=2, integrator="rk2")
    net.connect(src, rk, fs.AllToAll(), synapse=NotExact(tau=2.0))  # explicit integrators hold it


def test_bad_component_parameters_and_kinds_are_refused():
    with pytest.raises(ValueError, match=r"MyExpCurrent: tau=-1.0 is not allowed; it must be a finite number > 0"):
        MyExpCurrent(tau=-1.0)
    with pytest.raises(TypeError, match=r"FractionalRelease: unknown parameter 'fractoin'; allowed: fraction"):
        FractionalRelease(fractoin=0.5)
    with pytest.raises(ValueError, match=r"SineCurrent: frequency=0.0 is not allowed"):
        SineCurrent(amplitude=1.0, frequency=0.0)
    net, src, post = _two_populations()
    with pytest.raises(ValueError, match=r"SineCurrent: parameter amplitude has 3 values but the population has 2"):
        net.current(post, SineCurrent(amplitude=[1.0, 2.0, 3.0], frequency=5.0))
    with pytest.raises(TypeError, match=r"plasticity must be a weight-update model"):
        net.connect(src, post, fs.AllToAll(), weight_update=fs.ExpCurrent(2.0))

    def learn(g):
        return g

    class Plastic(fs.WeightUpdateModel):
        on_pre = staticmethod(fs.synapses.weight_update.static_on_pre)
        on_post = staticmethod(learn)

    with pytest.raises(TypeError, match=r"Plastic.on_pre \(static_on_pre\) must return a tuple of 2 values"):
        net.connect(src, post, fs.AllToAll(), weight_update=Plastic())  # plastic: (transmitted, new g)
    with pytest.raises(TypeError, match=r"give plasticity= or its alias weight_update=, not both"):
        net.connect(src, post, fs.AllToAll(), plasticity=fs.Static(), weight_update=fs.Static())


def test_the_schedule_names_no_backend():
    """The step is stated once: the schedule builds the program with no branch on a backend,
    a thread count or a GPU (the backends' lowerings decide how the work runs)."""
    import ast
    import inspect

    import fastspike.ir.schedule as schedule

    tree = ast.parse(inspect.getsource(schedule))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
            {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & {"cuda", "threads", "blocks", "lanes", "atomic", "prange"}
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    code_strings = [s for s in strings if "\n" not in s]  # docstrings aside
    assert not [s for s in code_strings if "cuda" in s or "atomic" in s or "prange" in s]
