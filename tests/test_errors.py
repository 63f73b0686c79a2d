"""Bad input is refused before anything runs, with a message naming the bad value (SPEC sec. 7).

Every error must be a plain ValueError / TypeError (RuntimeError for a backend that cannot run
here) raised by fastspike itself: no Numba typing error or Numba frame in the traceback.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import fastspike as fs

NAN, INF = float("nan"), float("inf")


def check_raises(exc, match, fn):
    with pytest.raises(exc, match=match) as info:
        fn()
    err = info.value
    assert not type(err).__module__.startswith("numba"), type(err)
    assert "nopython" not in str(err) and "TypingError" not in str(err)
    for entry in info.traceback:
        assert f"{'/'}numba{'/'}" not in str(entry.path).replace("\\", "/"), entry.path
    return err


def _net_pop(n=5, **kw):
    net = fs.Network(dt=0.1, **kw)
    pop = net.population(fs.LIF(tau_m=10.0), n=n)
    return net, pop


# --------------------------------------------------------------------------------------------
# Model parameters
# --------------------------------------------------------------------------------------------
MODEL_CASES = [
    # unknown parameter names
    (lambda: fs.LIF(tau_m=10.0, tau=5.0), TypeError, r"unknown parameter.*'tau'"),
    (lambda: fs.LIF(tau_m=10.0, V_th=-50.0), TypeError, r"'V_th'"),
    (lambda: fs.IF(tau_m=10.0, g_L=1.0), TypeError, r"'g_L'"),
    (lambda: fs.Lapicque(R=5.0, C=1.0, tau_m=5.0), TypeError, r"'tau_m'"),
    # missing and non-positive time constants
    (lambda: fs.LIF(), ValueError, r"tau_m"),
    (lambda: fs.LIF(tau_m=0.0), ValueError, r"tau_m=0\.0"),
    (lambda: fs.LIF(tau_m=-5.0), ValueError, r"tau_m=-5\.0"),
    (lambda: fs.LIF(tau_m=10.0, tau_theta=0.0), ValueError, r"tau_theta=0\.0"),
    (lambda: fs.LIF(tau_m=10.0, tau_theta=-1.0), ValueError, r"tau_theta=-1\.0"),
    (lambda: fs.LIF(tau_m=10.0, t_ref=-1.0), ValueError, r"t_ref=-1\.0"),
    (lambda: fs.LIF(tau_m=10.0, g_L=-0.5), ValueError, r"g_L=-0\.5"),
    (lambda: fs.Lapicque(R=0.0, C=1.0), ValueError, r"R=0\.0"),
    (lambda: fs.Lapicque(R=5.0, C=-1.0), ValueError, r"C=-1\.0"),
    (lambda: fs.Lapicque(R=5.0), ValueError, r"\bC\b"),
    # NaN and inf
    (lambda: fs.LIF(tau_m=NAN), ValueError, r"tau_m=nan"),
    (lambda: fs.LIF(tau_m=INF), ValueError, r"tau_m=inf"),
    (lambda: fs.LIF(tau_m=10.0, v_rest=INF), ValueError, r"v_rest=inf"),
    (lambda: fs.LIF(tau_m=10.0, v_thresh=NAN), ValueError, r"v_thresh=nan"),
    (lambda: fs.LIF(tau_m=10.0, v_reset=-INF), ValueError, r"v_reset=-inf"),
    (lambda: fs.LIF(tau_m=10.0, R=NAN), ValueError, r"R=nan"),
    (lambda: fs.LIF(tau_m=10.0, t_ref=INF), ValueError, r"t_ref=inf"),
    (lambda: fs.LIF(tau_m=10.0, tau_theta=NAN), ValueError, r"tau_theta=nan"),
    (lambda: fs.LIF(tau_m=10.0, theta_plus=INF), ValueError, r"theta_plus=inf"),
    (lambda: fs.LIF(tau_m=10.0, v_min=NAN), ValueError, r"v_min=nan"),
    (lambda: fs.LIF(tau_m=np.array([10.0, NAN, 5.0])), ValueError, r"tau_m.*nan"),
    (lambda: fs.LIF(tau_m=10.0, v_thresh=[-50.0, INF]), ValueError, r"v_thresh.*inf"),
    # not numbers, wrong dimensions
    (lambda: fs.LIF(tau_m="fast"), TypeError, r"tau_m='fast'"),
    (lambda: fs.LIF(tau_m=np.ones((2, 3))), ValueError, r"tau_m.*\(2, 3\)"),
    # unknown reset mode
    (lambda: fs.LIF(tau_m=10.0, reset="zero"), ValueError, r"reset='zero'.*'value'"),
    (lambda: fs.Lapicque(R=5.0, C=1.0, reset="hard"), ValueError, r"reset='hard'"),
]


@pytest.mark.parametrize("fn, exc, match", MODEL_CASES)
def test_bad_model_parameters(fn, exc, match):
    check_raises(exc, match, fn)


# --------------------------------------------------------------------------------------------
# Network and population
# --------------------------------------------------------------------------------------------
NETWORK_CASES = [
    (lambda: fs.Network(dt=0.0), ValueError, r"dt=0\.0"),
    (lambda: fs.Network(dt=-0.1), ValueError, r"dt=-0\.1"),
    (lambda: fs.Network(dt=NAN), ValueError, r"dt=nan"),
    (lambda: fs.Network(dt=INF), ValueError, r"dt=inf"),
    (lambda: fs.Network(backend="gpu"), ValueError, r"'gpu'.*'cpu'"),
    (lambda: fs.Network(backend="CPU "), ValueError, r"'CPU '"),
    (lambda: fs.Network(dtype="float16"), ValueError, r"float16"),
    (lambda: fs.Network(seed=-1), ValueError, r"seed=-1"),
    (lambda: fs.Network().population(fs.LIF(tau_m=10.0), n=0), ValueError, r"n=0"),
    (lambda: fs.Network().population(fs.LIF(tau_m=10.0), n=-3), ValueError, r"n=-3"),
    (lambda: fs.Network().population(fs.LIF(tau_m=10.0), n=2.5), ValueError, r"n=2\.5"),
    (lambda: fs.Network().population(fs.LIF(tau_m=10.0), n=3, integrator="rk45"), ValueError,
     r"'rk45'.*'exact'.*'euler'"),
    (lambda: fs.Network().population(fs.LIF(tau_m=10.0), n=3, integrator="Euler"), ValueError, r"'Euler'"),
    (lambda: fs.Network().population("LIF", n=3), TypeError, r"'LIF'"),
    (lambda: fs.Network().population(fs.LIF(tau_m=10.0), n=3, size=3), TypeError, r"size"),
    # per-neuron parameter arrays of the wrong shape
    (lambda: fs.Network().population(fs.LIF(tau_m=np.full(4, 10.0)), n=5), ValueError, r"tau_m.*\(4,\).*5"),
    (lambda: fs.Network().population(fs.LIF(tau_m=10.0, t_ref=[1.0, 2.0]), n=3), ValueError, r"t_ref.*\(2,\)"),
]


@pytest.mark.parametrize("fn, exc, match", NETWORK_CASES)
def test_bad_network_and_population(fn, exc, match):
    check_raises(exc, match, fn)


def test_population_not_added_after_error():
    net = fs.Network()
    with pytest.raises(ValueError):
        net.population(fs.LIF(tau_m=np.full(4, 10.0)), n=5)
    assert net.populations == []
    net.population(fs.LIF(tau_m=10.0), n=2, name="a")
    check_raises(ValueError, r"'a'", lambda: net.population(fs.LIF(tau_m=10.0), n=2, name="a"))
    assert len(net.populations) == 1


def test_cuda_backend_when_unavailable():
    if "cuda" in fs.backends.available():
        net = fs.Network(backend="cuda")  # available here: it must be accepted
        assert net.backend_name == "cuda"
    else:
        check_raises(RuntimeError, r"(?i)'cuda'.*not available", lambda: fs.Network(backend="cuda"))
    assert "cpu" in fs.backends.available()


def test_bad_state_assignment():
    net, pop = _net_pop(n=5)
    check_raises(ValueError, r"\(4,\)", lambda: setattr(pop, "v", np.zeros(4)))
    check_raises(ValueError, r"finite", lambda: setattr(pop, "v", NAN))
    check_raises(AttributeError, r"'u'", lambda: setattr(pop, "u", 0.0))
    check_raises(AttributeError, r"'w'", lambda: pop.w)


# --------------------------------------------------------------------------------------------
# Records, currents, runs
# --------------------------------------------------------------------------------------------
def test_bad_record_variable():
    net, pop = _net_pop()
    check_raises(ValueError, r"'u'", lambda: net.record(pop, "u"))
    check_raises(ValueError, r"'w'", lambda: net.record(pop, ["v", "w"]))
    check_raises(ValueError, r"every=0", lambda: net.record(pop, "v", every=0))
    check_raises(TypeError, r"Population", lambda: net.record("pop0", "v"))
    assert net.records == []


@pytest.mark.parametrize("neurons, match", [
    ([0, 5], r"\b5\b.*5 neurons"),
    ([-1, 2], r"-1"),
    ([7], r"\b7\b"),
    ([], r"non-empty"),
    ([1.5], r"integer"),
    ([1, 1], r"repeat"),
])
def test_neuron_indices_out_of_range(neurons, match):
    net, pop = _net_pop(n=5)
    check_raises(ValueError, match, lambda: net.record(pop, "v", neurons=neurons))


@pytest.mark.parametrize("value, exc, match", [
    (np.ones(4), ValueError, r"\(4,\)"),
    (np.ones(6), ValueError, r"\(6,\)"),
    (np.ones((10, 4)), ValueError, r"\(10, 4\)"),
    (np.ones((2, 3, 5)), ValueError, r"\(2, 3, 5\)"),
    (np.ones((0, 5)), ValueError, r"\(0, 5\)"),
    (NAN, ValueError, r"(?i)nan"),
    (np.array([1.0, 2.0, INF, 0.0, 0.0]), ValueError, r"(?i)inf"),
    ("10 pA", TypeError, r"'10 pA'"),
    (None, (TypeError, ValueError), r"None"),  # not "NaN": the user gave None
])
def test_currents_of_wrong_shape_or_value(value, exc, match):
    net, pop = _net_pop(n=5)
    check_raises(exc, match, lambda: net.current(pop, value))
    assert pop.currents == []


def test_bad_step_currents():
    net, pop = _net_pop(n=5)
    check_raises(ValueError, r"4 values.*5 neurons",
                 lambda: net.current(pop, fs.StepCurrent(times=[1.0, 2.0], amplitudes=np.ones((2, 4)))))
    check_raises(ValueError, r"non-decreasing.*\[2\.0, 1\.0\]", lambda: fs.StepCurrent([2.0, 1.0], [1.0, 0.0]))
    check_raises(ValueError, r"-1\.0", lambda: fs.StepCurrent([-1.0], [1.0]))
    check_raises(ValueError, r"\(2,\).*\(3,\)", lambda: fs.StepCurrent([1.0, 2.0], [1.0, 2.0, 3.0]))
    check_raises(ValueError, r"finite", lambda: fs.StepCurrent([1.0], [NAN]))


@pytest.mark.parametrize("duration, match", [(-1.0, r"duration=-1\.0"), (NAN, r"duration=nan"),
                                             (INF, r"duration=inf"), ("10", r"duration='10'")])
def test_bad_duration(duration, match):
    net, pop = _net_pop()
    check_raises(ValueError, match, lambda: net.run(duration))
    assert net.t == 0.0


def test_population_of_another_network():
    net1, pop1 = _net_pop()
    net2, pop2 = _net_pop()
    check_raises(ValueError, r"'pop0'.*another network", lambda: net2.current(pop1, 1.0))
    check_raises(ValueError, r"another network", lambda: net2.record(pop1, "spikes"))
    check_raises(ValueError, r"another network", lambda: net2.record(pop1, "v"))
    assert net2.records == [] and pop1.currents == []


def test_run_without_population():
    check_raises(ValueError, r"no population", lambda: fs.Network().run(1.0))


def test_an_error_loses_nothing_recorded():
    net, pop = _net_pop(n=2)
    net.current(pop, 20.0)
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, "v")
    net.run(30.0)
    before = (spikes.steps.copy(), trace.v.copy())
    assert len(before[0]) > 0
    check_raises(ValueError, r"duration", lambda: net.run(-5.0))
    check_raises(ValueError, r"'u'", lambda: net.record(pop, "u"))
    check_raises(ValueError, r"\(3,\)", lambda: net.current(pop, np.ones(3)))
    np.testing.assert_array_equal(spikes.steps, before[0])
    np.testing.assert_array_equal(trace.v, before[1])
    assert net.t == pytest.approx(30.0)
    net.run(10.0)  # and the network still runs on
    assert len(trace) == 400


def test_unusual_but_valid_input_runs():
    """NumPy scalars, lists, integer arrays: accepted, converted, no Numba error."""
    net = fs.Network(dt=np.float64(0.5), seed=np.int64(4), dtype=np.float32)
    pop = net.population(fs.LIF(tau_m=[10, 20, 30], t_ref=np.int64(1), v_thresh=np.array([-50, -51, -52])),
                         n=np.int64(3), integrator="rk2")
    net.current(pop, [20, 30, 40])
    net.current(pop, np.ones((10, 3), dtype=np.int32))
    net.current(pop, fs.StepCurrent(times=[1, 2], amplitudes=[1, 0]))
    spikes = net.record(pop, "spikes", neurons=np.array([0, 2], dtype=np.int32))
    net.record(pop, ["v"], neurons=range(3), every=np.int64(2))
    net.run(np.float32(50.0))
    assert net.step == 100 and len(spikes) > 0
    assert set(np.unique(spikes.neurons)) <= {0, 2}
    assert re.search("LIF", repr(pop))


def test_diverging_integrator_warns():
    """Hodgkin-Huxley with explicit Euler at dt = 0.2 ms blows up during a spike: the run
    warns, naming the population, the variable and the remedy (the default
    exponential_euler stays stable at that step)."""
    import warnings

    net = fs.Network(dt=0.2, seed=1)
    pop = net.population(fs.HodgkinHuxley(), n=2, name="hh", integrator="euler")
    net.current(pop, 20.0)
    with pytest.warns(RuntimeWarning, match=r"(?s)'hh'.*not finite.*'euler'.*smaller dt"):
        net.run(20.0)
    stable = fs.Network(dt=0.2, seed=1)
    ok = stable.population(fs.HodgkinHuxley(), n=2, name="hh")
    stable.current(ok, 20.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        stable.run(20.0)
    assert np.all(np.isfinite(ok.v))


def test_state_variable_named_like_a_population_attribute_is_refused():
    """``pop.n`` is the population size: a model whose state variable is called ``n`` could
    not be read as ``pop.n``, so the population is refused with a clear message."""
    from fastspike.models.base import Model, StateVariable

    def gate_dynamics(v, n, I):
        return -v + I, -n

    class Gate(Model):
        state_variables = (StateVariable("v", "mV", 0.0), StateVariable("n", "1", 0.0))
        dynamics = staticmethod(gate_dynamics)
        threshold = staticmethod(lambda v: v > 1.0)
        reset = staticmethod(lambda v, n: (0.0, n))

    net = fs.Network(dt=0.1)
    check_raises(ValueError, r"(?s)state variable 'n'.*attribute of every Population.*rename",
                 lambda: net.population(Gate(), n=3, name="g"))
    assert net.populations == []
