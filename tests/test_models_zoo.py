"""The cell-model zoo: interface, inputs, precision, convergence and model-specific analytics.

Expected values come from the models' published equations (re-implemented independently in
``_zoo_reference.py``), from closed-form results derived in the tests' docstrings, or from
published numbers (cited where used); never from fastspike's own output.

Model-specific behaviour tested here: QuadLIF's rheobase and interspike interval (closed form
of the quadratic integrate-and-fire), FitzHugh-Nagumo's Hopf bifurcation (linear stability of
the fixed point), the resonate-and-fire neuron's linear response and resonance (complex
exponential solution), and ngc-learn's SLIF and WTAS update rules. Izhikevich, AdEx and
Hodgkin-Huxley have their own files.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs
from _zoo_reference import (adex_rhs, fhn_rhs, hh_rhs, hh_steady_gates, izhikevich_rhs, leaky_rhs, quadlif_rhs,
                            raf_rhs, rk4)

ZOO = ["QuadLIF", "Izhikevich", "AdEx", "FitzHughNagumo", "HodgkinHuxley", "ResonateAndFire", "SLIF", "WTAS"]


def make(name, **kw):
    """A model of the zoo with the parameters the tests use by default (overridable)."""
    defaults = {"QuadLIF": dict(tau_m=10.0), "SLIF": dict(tau_m=10.0, v_thresh=1.0),
                "WTAS": dict(tau_m=1.0, n_units=10.0)}
    return getattr(fs, name)(**{**defaults.get(name, {}), **kw})


# A suprathreshold step current for each model (its own units) and a dt that resolves it.
DRIVE = {"QuadLIF": (160.0, 0.05), "Izhikevich": (10.0, 0.05), "AdEx": (40.0, 0.05), "FitzHughNagumo": (0.5, 0.05),
         "HodgkinHuxley": (10.0, 0.02), "ResonateAndFire": (15.0, 0.01), "SLIF": (2.0, 0.05), "WTAS": (5.0, 0.05)}


# --------------------------------------------------------------------------------------------
# Interface
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ZOO)
def test_exported_documented_and_declared(name):
    cls = getattr(fs, name)
    assert cls is getattr(fs.models, name) and name in fs.__all__
    doc = cls.__doc__
    assert "Parameters" in doc and "Sources" in doc and "Integrators" in doc
    model = make(name)
    assert model.state_names[0] == "v"  # delta synapses and the refractory hold act on it
    for p in model.parameters:
        assert p.name in doc, f"{name}: parameter {p.name} is not documented"
        assert p.unit
    for integrator in ("euler", "rk2", "rk4"):
        assert integrator in model.integrators
    assert model.default_integrator in model.integrators
    assert model.source


@pytest.mark.parametrize("name", ZOO)
def test_every_integrator_builds_and_the_default_is_used(name):
    model = make(name)
    net = fs.Network(dt=0.1)
    assert net.population(model, n=1).integrator == model.default_integrator
    for integrator in model.integrators:
        assert net.population(model, n=1, integrator=integrator).integrator == integrator


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
BAD_PARAMETERS = [
    ("QuadLIF", dict(tau_m=0.0), "tau_m"), ("QuadLIF", dict(tau_m=-5.0), "tau_m"), ("QuadLIF", {}, "tau_m"),
    ("QuadLIF", dict(tau_m=10.0, tau_theta=0.0), "tau_theta"), ("QuadLIF", dict(tau_m=10.0, a0=math.nan), "a0"),
    ("Izhikevich", dict(a=math.inf), "a"), ("Izhikevich", dict(v_peak=math.nan), "v_peak"),
    ("AdEx", dict(delta_T=0.0), "delta_T"), ("AdEx", dict(delta_T=-1.0), "delta_T"), ("AdEx", dict(tau_m=0.0), "tau_m"),
    ("AdEx", dict(tau_w=-1.0), "tau_w"), ("AdEx", dict(t_ref=-1.0), "t_ref"),
    ("FitzHughNagumo", dict(tau_m=0.0), "tau_m"), ("FitzHughNagumo", dict(tau_w=-12.5), "tau_w"),
    ("FitzHughNagumo", dict(gamma=0.0), "gamma"),
    ("HodgkinHuxley", dict(C_m=0.0), "C_m"), ("HodgkinHuxley", dict(g_Na=-1.0), "g_Na"),
    ("HodgkinHuxley", dict(E_K=math.nan), "E_K"),
    ("ResonateAndFire", dict(tau_v=0.0), "tau_v"), ("ResonateAndFire", dict(tau_w=-1.0), "tau_w"),
    ("SLIF", dict(tau_m=0.0, v_thresh=1.0), "tau_m"), ("SLIF", dict(tau_m=10.0), "v_thresh"),
    ("SLIF", dict(tau_m=10.0, v_thresh=1.0, thr_leak=-0.1), "thr_leak"),
    ("WTAS", dict(tau_m=-1.0, n_units=4), "tau_m"), ("WTAS", dict(tau_m=1.0), "n_units"),
    ("WTAS", dict(tau_m=1.0, n_units=0.5), "n_units"),
]


@pytest.mark.parametrize("name, kwargs, culprit", BAD_PARAMETERS,
                         ids=[f"{n}-{c}-{i}" for i, (n, _, c) in enumerate(BAD_PARAMETERS)])
def test_undefined_parameters_are_refused_at_construction(name, kwargs, culprit):
    with pytest.raises(ValueError, match=culprit):
        getattr(fs, name)(**kwargs)


def test_per_neuron_parameter_arrays_are_checked_element_wise():
    with pytest.raises(ValueError, match="delta_T"):
        fs.AdEx(delta_T=[2.0, 0.0, 1.0])
    net = fs.Network(dt=0.1)
    with pytest.raises(ValueError, match="shape"):
        net.population(fs.Izhikevich(a=[0.02, 0.1]), n=3)


@pytest.mark.parametrize("name", ZOO)
def test_unknown_parameter_and_unsupported_integrator(name):
    with pytest.raises(TypeError, match="unknown parameter.*'tau_x'"):
        getattr(fs, name)(tau_x=1.0)
    net = fs.Network(dt=0.1)
    with pytest.raises(ValueError, match="supported: 'euler', 'rk2', 'rk4'"):
        net.population(make(name), n=1, integrator="exact")
    if name != "HodgkinHuxley":
        with pytest.raises(ValueError, match="exponential_euler"):
            net.population(make(name), n=1, integrator="exponential_euler")


def test_presets_are_checked():
    with pytest.raises(ValueError, match="unknown preset 'XX'.*'RS'.*'TC'"):
        fs.Izhikevich(preset="XX")
    with pytest.raises(ValueError, match="unknown preset.*'tonic'.*'irregular'"):
        fs.AdEx.preset("chaotic")
    with pytest.raises(ValueError, match="tau_w"):
        fs.AdEx.preset("tonic", tau_w=0.0)  # overrides are checked as any parameter
    # names are case-, space- and hyphen-insensitive; explicit arguments override the preset
    assert fs.Izhikevich.preset("ch").params["c"] == -50.0
    m = fs.AdEx(preset="Initial Burst", b=10.0)
    assert m.params["b"] == 10.0 and m.params["tau_w"] == 150.0
    assert fs.AdEx.preset("delayed-regular-bursting").params["v_reset"] == -47.0
    assert fs.AdEx.preset_current("initial burst") == 400.0


def test_options_are_checked():
    with pytest.raises(ValueError, match="reset='sometimes'.*'none', 'value'"):
        fs.FitzHughNagumo(reset="sometimes")
    with pytest.raises(ValueError, match="reset="):
        fs.QuadLIF(tau_m=10.0, reset="zero")


# --------------------------------------------------------------------------------------------
# Inputs and records: currents, exponential and delta synapses from a SpikeSource, Poisson input
# --------------------------------------------------------------------------------------------
T_IN, DELAY = 2.0, 0.5  # input spike time (ms), delay
# small inputs (no spike), dyadic so that float32 stores them exactly: delta weights in the unit of v,
# exponential-current weights in the model's current unit
W_DELTA = {"FitzHughNagumo": 0.0625}
W_EXP = {"QuadLIF": 20.0, "Izhikevich": 3.0, "AdEx": 10.0, "FitzHughNagumo": 0.0625, "HodgkinHuxley": 1.0,
         "ResonateAndFire": 0.5, "SLIF": 0.25, "WTAS": 0.25}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ZOO)
def test_currents_synapses_poisson_and_records(name, dtype):
    """Four twin neurons from the same state: 0 gets a delta input, 1 an exponential-current input
    (both from a SpikeSource spike at T_IN, delay DELAY), 2 nothing more, 3 Poisson input. All
    get the same weak constant current. The delta input adds exactly its weight to v in the step
    that ends at T_IN + DELAY (SPEC sec. 3, step 3); the exponential channel changes v from the
    next step on; the Poisson input makes neuron 3 differ from neuron 2."""
    dt = 0.05
    model = make(name, thr_gain=0.0) if name == "WTAS" else make(name)  # a fixed threshold
    net = fs.Network(dt=dt, seed=3, dtype=dtype)
    pop = net.population(model, n=4)
    net.current(pop, np.array([1.0, 1.0, 1.0, 1.0]) * 0.1 * DRIVE[name][0])
    src = net.population(fs.SpikeSource([T_IN, T_IN], [0, 1]), n=2)
    w_delta = W_DELTA.get(name, 0.25)
    net.connect(src, pop, fs.FromArrays([0], [0]), synapse=fs.Delta(), weight=w_delta, delay=DELAY)
    net.connect(src, pop, fs.FromArrays([1], [1]), synapse=fs.ExpCurrent(tau=2.0), weight=W_EXP[name], delay=DELAY)
    net.poisson_input(pop, n=10, rate=np.array([0.0, 0.0, 0.0, 100.0]), weight=W_EXP[name] * 0.25,
                      synapse=fs.ExpCurrent(tau=5.0))
    state = net.record(pop, list(pop.state_names) + ["I"])
    spikes = net.record(pop, "spikes")
    src_spikes = net.record(src, "spikes")
    net.run(10.0)

    assert state.times.shape == (200,) and np.allclose(state.times, dt * np.arange(1, 201))
    for var in (*pop.state_names, "I"):
        x = getattr(state, var)
        assert x.shape == (200, 4) and x.dtype == np.dtype(dtype) and np.all(np.isfinite(x)), var
    assert np.allclose(src_spikes.times, [T_IN, T_IN])
    assert np.all(spikes.neurons == 3)  # subthreshold but for the Poisson-driven neuron
    arrival = int(round((T_IN + DELAY) / dt)) - 1  # index of the sample at T_IN + DELAY
    v = state.v.astype(np.float64)
    tol = 1e-12 if dtype == "float64" else 1e-5
    scale = np.max(np.abs(v)) + 1.0
    # before the arrival every twin without Poisson input is the same neuron
    assert np.allclose(v[:arrival, 0], v[:arrival, 2], rtol=0, atol=tol * scale)
    assert np.allclose(v[:arrival + 1, 1], v[:arrival + 1, 2], rtol=0, atol=tol * scale)
    # the delta synapse: a jump of exactly its weight at the arrival step
    assert v[arrival, 0] - v[arrival, 2] == pytest.approx(w_delta, abs=tol * scale)
    # the exponential channel: felt from the next step on, as the current W exp(-t/tau)
    assert abs(v[arrival + 1, 1] - v[arrival + 1, 2]) > 10 * tol * scale
    I = state.I.astype(np.float64)
    k = np.arange(arrival + 1, 200)
    expected = I[k, 2] + W_EXP[name] * np.exp(-(k - arrival - 1) * dt / 2.0)
    np.testing.assert_allclose(I[k, 1], expected, rtol=1e-5 if dtype == "float32" else 1e-12)
    # Poisson afferents reach neuron 3 only
    assert np.any(np.abs(I[:, 3] - I[:, 2]) > 0) and np.any(np.abs(v[:, 3] - v[:, 2]) > tol * scale)
    assert np.all(I[:, 2] == I[0, 2])


@pytest.mark.parametrize("name", ZOO)
def test_float32_and_float64_agree(name):
    """Same step current in both precisions: traces agree to float32 accuracy until the first
    spike, and the spike counts agree (these drives give regular firing)."""
    current, dt = DRIVE[name]
    out = {}
    for dtype in ("float64", "float32"):
        net = fs.Network(dt=dt, dtype=dtype)
        pop = net.population(make(name), n=1, integrator="rk4")
        net.current(pop, fs.StepCurrent([5.0], [current]))
        out[dtype] = (net.record(pop, "v"), net.record(pop, "spikes"))
        net.run(100.0)
    (v64, s64), (v32, s32) = out["float64"], out["float32"]
    assert len(s64) >= 3, "the drive must make the model fire"
    assert abs(len(s32) - len(s64)) <= max(1, len(s64) // 50)
    first = int(round(s64.times[0] / dt)) - 2  # samples before the first spike
    a, b = v64.v[:first, 0], v32.v[:first, 0].astype(np.float64)
    assert np.max(np.abs(a - b)) <= 1e-4 * (np.max(np.abs(a)) + 1.0)
    assert abs(s32.times[0] - s64.times[0]) <= 2 * dt


# --------------------------------------------------------------------------------------------
# Convergence order of every integrator on every model (smooth, subthreshold dynamics)
# --------------------------------------------------------------------------------------------
QL = dict(tau_m=10.0, R=1.0, v_rest=-65.0, v_c=-41.6, a0=1.0, tau_theta=20.0)
IZ = dict(a=0.02, b=0.2)
AD = dict(tau_m=15.0, R=1.0, tau_w=400.0, delta_T=2.0, v_T=-55.0, v_rest=-72.0, a=0.1)
FH = dict(tau_m=1.0, tau_w=12.5, a=0.7, b=0.8, gamma=3.0)
RF = dict(omega=1.0, b=-0.2, tau=1.0)
SL = dict(tau_m=10.0, R=1.0)
WT = dict(tau_m=5.0, R=1.0)
_gates = hh_steady_gates(-65.0)
# name: (model, current, initial state, reference rhs, duration ms, coarsest dt ms)
CONVERGENCE = {
    "QuadLIF": (lambda: fs.QuadLIF(**QL), 50.0, dict(v=-58.0, theta=0.5), quadlif_rhs(QL), 10.0, 0.1),
    "Izhikevich": (lambda: fs.Izhikevich(**IZ), 3.0, dict(v=-70.0, u=-12.0), izhikevich_rhs(IZ), 20.0, 0.2),
    "AdEx": (lambda: fs.AdEx(**AD), 5.0, dict(v=-65.0, w=0.5), adex_rhs(AD), 20.0, 1.0),
    "FitzHughNagumo": (lambda: fs.FitzHughNagumo(), 0.0, dict(v=-1.0, w=-0.3), fhn_rhs(FH), 20.0, 0.1),
    "HodgkinHuxley": (lambda: fs.HodgkinHuxley(), 1.0, dict(v=-62.0, m_Na=_gates[0], h_Na=_gates[1], n_K=_gates[2]),
                      hh_rhs, 10.0, 0.02),
    "ResonateAndFire": (lambda: fs.ResonateAndFire(omega=1.0, b=-0.2), 0.1, dict(v=0.5, w=0.0), raf_rhs(RF),
                        10.0, 0.1),
    "SLIF": (lambda: fs.SLIF(tau_m=10.0, v_thresh=2.0), 0.5, dict(v=0.0), leaky_rhs(SL), 20.0, 0.8),
    "WTAS": (lambda: fs.WTAS(tau_m=5.0, n_units=10, thr_base=0.99, thr_gain=0.0), 0.5, dict(v=0.0), leaky_rhs(WT),
             20.0, 0.4),
}
ORDERS = {"euler": 1, "rk2": 2, "rk4": 4, "exponential_euler": 1}
CASES = [(n, i) for n in ZOO for i in ("euler", "rk2", "rk4")] + [("HodgkinHuxley", "exponential_euler")]


def _reference(name):
    factory, current, init, rhs, duration, h0 = CONVERGENCE[name]
    model = factory()
    names = [s for s in model.state_names if s != "above"]
    full = model.initial_state(1)
    y0 = [init.get(s, float(full[s][0])) for s in names]
    fine = h0 / 64
    ref = rk4(rhs, y0, fine, int(round(duration / fine)), current)
    return model, names, y0, ref[::64]  # the states at multiples of h0 (row 0: t = 0)


@pytest.mark.parametrize("name, integrator", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_convergence_order(name, integrator):
    """The maximum error (over the samples at multiples of the coarsest step, every state
    variable scaled by its range) against a fine-step RK4 of the published equations shrinks
    as dt^order: the fitted slope of log(error) against log(dt) is the order +- 0.3."""
    factory, current, init, rhs, duration, h0 = CONVERGENCE[name]
    model, names, y0, ref = _reference(name)
    span = np.maximum(np.ptp(ref, axis=0), 1e-3 * (np.max(np.abs(ref), axis=0) + 1.0))
    dts = h0 / np.array([1, 2, 4, 8])
    errors = []
    for j, dt in enumerate(dts):
        net = fs.Network(dt=dt)
        pop = net.population(factory(), n=1, integrator=integrator)
        for var, value in init.items():
            setattr(pop, var, value)
        net.current(pop, current)
        rec = net.record(pop, names)
        spikes = net.record(pop, "spikes")
        net.run(duration)
        assert len(spikes) == 0
        idx = np.arange(1, len(ref)) * 2 ** j - 1  # samples at t = k h0, k >= 1
        got = np.column_stack([getattr(rec, s)[idx, 0] for s in names])
        errors.append(np.max(np.abs(got - ref[1:]) / span))
    errors = np.array(errors)
    assert np.all(errors > 1e-12), errors  # above roundoff: the slope is meaningful
    assert np.all(np.diff(errors) < 0), errors
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert abs(slope - ORDERS[integrator]) < 0.3, (slope, errors)


def test_exponential_euler_step_is_the_frozen_linear_solution():
    """One exponential-Euler step of Hodgkin-Huxley from a non-equilibrium state: every variable
    x moves to x_inf + (x - x_inf) exp(-dt / tau_x), with tau_x and x_inf computed from the
    published rates at the state's v (and, for v, from the conductances at the state's gates)."""
    from _zoo_reference import HH, hh_rates_1952

    dt = 0.05
    v, m, h, n = -60.0, 0.1, 0.5, 0.35
    net = fs.Network(dt=dt)
    pop = net.population(fs.HodgkinHuxley(), n=1, integrator="exponential_euler")
    pop.v, pop.m_Na, pop.h_Na, pop.n_K = v, m, h, n
    net.current(pop, 3.0)
    rec = net.record(pop, ["v", "m_Na", "h_Na", "n_K"])
    net.run(dt)
    am, bm, ah, bh, an, bn = hh_rates_1952(v)
    expected = {}
    for var, x, a, b in (("m_Na", m, am, bm), ("h_Na", h, ah, bh), ("n_K", n, an, bn)):
        tau, x_inf = 1.0 / (a + b), a / (a + b)
        expected[var] = x_inf + (x - x_inf) * math.exp(-dt / tau)
    g = HH["gNa"] * m ** 3 * h + HH["gK"] * n ** 4 + HH["gL"]
    v_inf = (HH["gNa"] * m ** 3 * h * HH["ENa"] + HH["gK"] * n ** 4 * HH["EK"] + HH["gL"] * HH["EL"] + 3.0) / g
    expected["v"] = v_inf + (v - v_inf) * math.exp(-dt * g / HH["C"])
    for var, value in expected.items():
        assert getattr(rec, var)[0, 0] == pytest.approx(value, rel=1e-12, abs=1e-14), var


# --------------------------------------------------------------------------------------------
# QuadLIF: the closed form of the quadratic integrate-and-fire
# --------------------------------------------------------------------------------------------
def qif_isi(RI, tau_m, a0, v_rest, v_c, v_from, v_to):
    """Time to go from v_from to v_to under tau_m dv/dt = a0 (v - v_rest)(v - v_c) + R I, above
    rheobase: with x = v - (v_rest + v_c)/2 and k^2 = R I / a0 - (v_c - v_rest)^2 / 4 > 0,
    tau_m dx/dt = a0 (x^2 + k^2), so t = tau_m / (a0 k) [atan(x / k)] between the two values."""
    mid = 0.5 * (v_rest + v_c)
    k = math.sqrt(RI / a0 - (v_c - v_rest) ** 2 / 4)
    return tau_m / (a0 * k) * (math.atan((v_to - mid) / k) - math.atan((v_from - mid) / k))


def test_quadlif_rheobase_and_interspike_interval():
    """Repetitive firing iff R I > a0 (v_c - v_rest)^2 / 4 (the saddle-node of the two fixed
    points); above it the interspike interval is t_ref + the closed-form travel time from
    v_reset to v_thresh (the spike is detected at the end of a step: within dt after)."""
    p = dict(tau_m=10.0, a0=0.2, v_rest=-65.0, v_c=-45.0, v_reset=-60.0, v_thresh=-40.0, t_ref=2.0,
             theta_plus=0.0, tau_theta=math.inf)
    rheobase = p["a0"] * (p["v_c"] - p["v_rest"]) ** 2 / 4  # 20 (mV of drive)
    currents = np.array([0.97, 0.995, 1.02, 1.2, 2.0, 5.0]) * rheobase
    dt = 0.01
    net = fs.Network(dt=dt)
    pop = net.population(fs.QuadLIF(**p), n=currents.size, integrator="rk4")
    net.current(pop, currents)
    spikes = net.record(pop, "spikes")
    net.run(400.0)
    counts = spikes.counts()
    assert counts[0] == 0 and counts[1] == 0
    for i in range(2, currents.size):
        t = spikes.times[spikes.neurons == i]
        assert len(t) >= 3
        theory = p["t_ref"] + qif_isi(currents[i], p["tau_m"], p["a0"], p["v_rest"], p["v_c"], p["v_reset"],
                                      p["v_thresh"])
        isi = np.diff(t)
        assert np.all(isi >= theory - 1e-3) and np.all(isi <= theory + dt + 1e-3), (currents[i], isi, theory)
        first = qif_isi(currents[i], p["tau_m"], p["a0"], p["v_rest"], p["v_c"], p["v_rest"], p["v_thresh"])
        assert first - 1e-3 <= t[0] <= first + dt + 1e-3


def test_quadlif_adaptive_threshold_as_lif():
    """theta jumps by theta_plus at each spike and decays with tau_theta, as the LIF's."""
    net = fs.Network(dt=0.05)
    pop = net.population(fs.QuadLIF(tau_m=10.0, a0=0.2, v_c=-45.0, t_ref=0.0, theta_plus=1.0, tau_theta=50.0),
                         n=1, integrator="rk4")
    net.current(pop, 60.0)
    rec = net.record(pop, "theta")
    spikes = net.record(pop, "spikes")
    net.run(100.0)
    assert len(spikes) >= 3
    k = spikes.steps[0] - 1  # sample index of the first spike
    assert rec.theta[k, 0] == pytest.approx(1.0, abs=1e-12)
    # between two spikes theta decays as RK4's amplification of exp(-dt/tau_theta) per step
    z = -0.05 / 50.0
    g = 1 + z + z * z / 2 + z ** 3 / 6 + z ** 4 / 24
    assert rec.theta[k + 1, 0] == pytest.approx(rec.theta[k, 0] * g, rel=1e-12)


# --------------------------------------------------------------------------------------------
# FitzHugh-Nagumo: the Hopf bifurcation
# --------------------------------------------------------------------------------------------
def fhn_fixed_point(I, a=0.7, b=0.8, gamma=3.0):
    """The fixed point: w = (v + a)/b and v - v^3/gamma - (v + a)/b + I = 0 (unique for b < 1)."""
    roots = np.roots([-1.0 / gamma, 0.0, 1.0 - 1.0 / b, I - a / b])
    v = float(roots[np.argmin(np.abs(roots.imag))].real)
    return v, (v + a) / b


def fhn_hopf_current(a=0.7, b=0.8, gamma=3.0, tau_m=1.0, tau_w=12.5):
    """The trace of the Jacobian [[(1 - 3 v^2/gamma)/tau_m, -1/tau_m], [1/tau_w, -b/tau_w]]
    vanishes at v*^2 = gamma (1 - b tau_m / tau_w) / 3 (determinant > 0 there); the current that
    puts the fixed point there, on the branch reached first from rest, is the Hopf current."""
    v = -math.sqrt(gamma * (1 - b * tau_m / tau_w) / 3)
    return (v + a) / b - v + v ** 3 / gamma


def test_fitzhugh_nagumo_hopf_bifurcation():
    """From a small kick off the fixed point, the neuron settles back below the Hopf current and
    grows into the limit cycle (periodic spikes) above it. For ngc-learn's defaults I_H = 0.3313."""
    I_H = fhn_hopf_current()
    assert I_H == pytest.approx(0.3313, abs=1e-4)
    assert fs.FitzHughNagumo().hopf_current() == pytest.approx(I_H, rel=1e-12)
    offsets = np.array([-0.03, -0.01, 0.01, 0.03])
    currents = I_H + offsets
    net = fs.Network(dt=0.02)
    pop = net.population(fs.FitzHughNagumo(), n=currents.size, integrator="rk4")
    fixed = [fhn_fixed_point(I) for I in currents]
    pop.v[:] = [v + 0.01 for v, _ in fixed]
    pop.w[:] = [w for _, w in fixed]
    net.current(pop, currents)
    spikes = net.record(pop, "spikes")
    trace = net.record(pop, "v")
    net.run(2000.0)
    late = trace.times > 1500.0
    for i, d in enumerate(offsets):
        excursion = np.max(np.abs(trace.v[late, i] - fixed[i][0]))
        n_late = np.sum((spikes.neurons == i) & (spikes.times > 1000.0))
        if d < 0:
            assert n_late == 0 and excursion < 1e-3, (d, n_late, excursion)
        else:
            # the limit cycle: large relaxation oscillations, one spike per cycle
            assert n_late >= 15 and excursion > 1.5, (d, n_late, excursion)
            isi = np.diff(spikes.times[(spikes.neurons == i) & (spikes.times > 1000.0)])
            assert np.ptp(isi) < 0.05 * np.mean(isi)


def test_fitzhugh_nagumo_spikes_are_upward_crossings_and_reset_option():
    """One spike per action potential (v stays above v_thresh for many steps), and with
    reset="value" the state snaps to (v0, w0) at each spike."""
    net = fs.Network(dt=0.02)
    free = net.population(fs.FitzHughNagumo(), n=1, integrator="rk4")
    snap = net.population(fs.FitzHughNagumo(reset="value", v0=-1.0, w0=-0.5), n=1, integrator="rk4")
    for pop in (free, snap):
        net.current(pop, 0.5)
    trace = net.record(free, ["v", "above"])
    s_free, s_snap = net.record(free, "spikes"), net.record(snap, "spikes")
    t_snap = net.record(snap, ["v", "w"])
    net.run(300.0)
    v = trace.v[:, 0]
    crossings = np.flatnonzero((v[1:] >= 1.07) & (v[:-1] < 1.07)) + 1  # sample indices
    assert len(crossings) >= 5
    np.testing.assert_array_equal(s_free.steps - 1, crossings)
    assert np.sum(v >= 1.07) > 5 * len(crossings)  # long excursions above threshold, one spike each
    assert np.all(trace.above[v < 1.07, 0] == 0)
    k = s_snap.steps - 1
    assert len(k) >= 2
    np.testing.assert_array_equal(t_snap.v[k, 0], -1.0)
    np.testing.assert_array_equal(t_snap.w[k, 0], -0.5)


# --------------------------------------------------------------------------------------------
# Resonate-and-fire: linear response and resonance (Izhikevich 2001)
# --------------------------------------------------------------------------------------------
def test_resonate_and_fire_subthreshold_is_the_complex_exponential():
    """Below threshold z = w + i v obeys dz/dt = lambda z + R I / tau, lambda = (b + i omega)/tau,
    whose solution from z0 under constant I is z* + (z0 - z*) exp(lambda t), z* = -R I / (b + i omega).
    RK4 maps z - z* to G(lambda dt) (z - z*) each step, G its stability polynomial (the real
    2-D system is the complex one), so the samples are z* + (z0 - z*) G^k to roundoff, and
    approach the exact solution to RK4's accuracy."""
    omega, b, tau, I = 10.0, -1.0, 1.0, 3.0
    net = fs.Network(dt=0.001)
    pop = net.population(fs.ResonateAndFire(omega=omega, b=b, tau_v=tau, tau_w=tau, v_thresh=100.0), n=1,
                         integrator="rk4")
    pop.v[:], pop.w[:] = 0.2, -0.1
    net.current(pop, I)
    rec = net.record(pop, ["v", "w"])
    net.run(3.0)
    lam = complex(b, omega) / tau
    z_star = -I / complex(b, omega)
    x = lam * 0.001
    G = 1 + x + x ** 2 / 2 + x ** 3 / 6 + x ** 4 / 24
    z = z_star + (complex(-0.1, 0.2) - z_star) * G ** np.arange(1, rec.times.size + 1)
    np.testing.assert_allclose(rec.v[:, 0], z.imag, rtol=0, atol=1e-13)
    np.testing.assert_allclose(rec.w[:, 0], z.real, rtol=0, atol=1e-13)
    z = z_star + (complex(-0.1, 0.2) - z_star) * np.exp(lam * rec.times)
    np.testing.assert_allclose(rec.v[:, 0], z.imag, rtol=0, atol=1e-9)
    np.testing.assert_allclose(rec.w[:, 0], z.real, rtol=0, atol=1e-9)


def test_resonate_and_fire_fires_to_pulse_pairs_at_its_period():
    """Two brief equal pulses into w: the response to each is a damped rotation of period
    T = 2 pi tau / omega, so their responses in v add when the pair is T apart and cancel when
    T/2 apart. With an amplitude between the two peak responses (computed here from the linear
    solution), the neuron fires to the resonant pair only, not to a single pulse nor to the
    anti-resonant pair, nor to a pair 3T/2 apart."""
    omega, b, tau, width = 1.0, -0.1, 1.0, 0.1  # T = 6.28 ms, decay exp(-0.1 t)
    dt = 0.001
    T = 2 * math.pi * tau / omega
    lam = complex(b, omega) / tau

    def peak_v(gap, amp):
        """Max of v after two rectangular pulses of width ``width`` into w, gap apart (one if
        gap is None), from the linear solution."""
        t = np.arange(0.0, (gap or 0.0) + 4 * T, dt / 4)
        z = np.zeros_like(t, dtype=complex)
        for start in ([0.0] if gap is None else [0.0, gap]):
            u = t - start
            on = (u > 0) & (u <= width)
            after = u > width
            z[on] += amp / (tau * lam) * (np.exp(lam * u[on]) - 1)
            z[after] += amp / (tau * lam) * (np.exp(lam * width) - 1) * np.exp(lam * (u[after] - width))
        return np.max(z.imag)

    res, single = peak_v(T, 1.0), peak_v(None, 1.0)
    assert res > 1.4 * single  # 1 + exp(b T / tau) = 1.53: the second response adds to the first
    assert peak_v(T / 2, 1.0) <= single * (1 + 1e-9) and peak_v(1.5 * T, 1.0) <= single * (1 + 1e-9)
    amp = 1.0 / (0.5 * (res + single))  # v_thresh = 1 is reached by the resonant pair only
    gaps = [T, T / 2, 1.5 * T, None]
    t0, duration = 1.0, 40.0
    steps = int(round(duration / dt))
    current = np.zeros((steps, len(gaps)))
    for i, gap in enumerate(gaps):
        for start in ([t0] if gap is None else [t0, t0 + gap]):
            k = int(round(start / dt))
            current[k:k + int(round(width / dt)), i] = amp
    net = fs.Network(dt=dt)
    pop = net.population(fs.ResonateAndFire(omega=omega, b=b, tau_v=tau, tau_w=tau), n=len(gaps), integrator="rk4")
    net.current(pop, current)
    spikes = net.record(pop, "spikes")
    net.run(duration)
    np.testing.assert_array_equal(spikes.counts(), [1, 0, 0, 0])


# --------------------------------------------------------------------------------------------
# SLIF and WTAS: ngc-learn's update rules
# --------------------------------------------------------------------------------------------
def ngclearn_slif(currents, steps, dt, tau_m, R, thr0, inh_R, W, thr_gain, thr_leak):
    """ngc-learn SLIFCell's step (sLIFCell.run_cell, Euler, refract_T = 0), re-implemented:
    j = R I - inh_R s(t-dt) W; v += (-v + j) dt / tau_m; s = v > thr; v *= 1 - s;
    thr += s thr_gain - thr thr_leak."""
    n = currents.size
    v, thr, s = np.zeros(n), np.full(n, thr0, dtype=np.float64), np.zeros(n)
    raster = []
    for _ in range(steps):
        j = R * currents - inh_R * (s @ W)
        v = v + (-v + j) * dt / tau_m
        s = (v > thr).astype(np.float64)
        v = v * (1 - s)
        thr = thr + s * thr_gain - thr * thr_leak
        raster.append(s.copy())
    return np.array(raster)


def test_slif_matches_ngclearn_with_lateral_inhibition():
    """The SLIF with connect_lateral_inhibition reproduces ngc-learn's SLIF step for step (Euler),
    lateral inhibition included, on 12 neurons with different currents."""
    n, dt, tau_m, thr0, inh_R = 12, 1.0, 20.0, 0.4, 0.05
    currents = np.linspace(0.3, 1.5, n)
    net = fs.Network(dt=dt, seed=7)
    pop = net.population(fs.SLIF(tau_m=tau_m, v_thresh=thr0), n=n, integrator="euler")
    net.current(pop, currents)
    fs.SLIF.connect_lateral_inhibition(net, pop, inh_R)
    spikes = net.record(pop, "spikes")
    net.run(200 * dt)
    # the same hollow uniform(0.025, 1) matrix, from a generator seeded as the network's
    rng = np.random.default_rng(7)
    W = np.zeros((n, n))
    pre, post = np.nonzero(~np.eye(n, dtype=bool))
    W[pre, post] = rng.uniform(0.025, 1.0, pre.size)
    ref = ngclearn_slif(currents, 200, dt, tau_m, 1.0, thr0, inh_R, W, 0.0, 0.0)
    got = np.zeros_like(ref)
    got[spikes.steps - 1, spikes.neurons] = 1
    assert ref.sum() > 50
    assert np.sum(ref[:, :1]) < np.sum(ref[:, -1:])  # inhibition and drive both matter
    np.testing.assert_array_equal(got, ref)


def test_slif_adaptive_threshold_per_step():
    """thr_gain and thr_leak per step, as ngc-learn (whose leak acts after the spike test,
    fastspike's before it: the spikes are tested against the leaked threshold)."""
    dt, gain, leak = 1.0, 0.05, 0.01
    net = fs.Network(dt=dt)
    pop = net.population(fs.SLIF(tau_m=5.0, v_thresh=0.5, thr_gain=gain, thr_leak=leak), n=1)
    net.current(pop, 1.0)
    rec = net.record(pop, ["v", "thr"])
    spikes = net.record(pop, "spikes")
    net.run(100.0)
    thr = np.concatenate([[0.5], rec.thr[:, 0]])
    spiked = np.zeros(100, bool)
    spiked[spikes.steps - 1] = True
    assert 3 <= spiked.sum() < 50
    np.testing.assert_allclose(thr[1:], thr[:-1] * (1 - leak) + gain * spiked, rtol=1e-12)
    np.testing.assert_array_equal(rec.v[spiked, 0], 0.0)  # hyperpolarised to 0


def test_slif_sparsity_mode_per_neuron_rule():
    """rho_b > 0 (ngc-learn: thr <- max(thr + rho_b (sum(s) - 1), 0.025), thr_gain and thr_leak
    ignored): per neuron thr_i <- max(thr_i - rho_b, thr_min) + rho_b n_units s_i, so that the
    mean threshold of n_units units follows ngc-learn's rule while no floor is hit."""
    n, rho_b = 4, 0.01
    currents = np.array([0.2, 0.6, 1.0, 1.4])
    net = fs.Network(dt=1.0)
    model = fs.SLIF(tau_m=3.0, v_thresh=0.3, rho_b=rho_b, n_units=n, thr_gain=0.3, thr_leak=0.5)
    assert model.params["thr_gain"] == 0.0 and model.params["thr_leak"] == 0.0
    pop = net.population(model, n=n)
    net.current(pop, currents)
    rec = net.record(pop, "thr")
    spikes = net.record(pop, "spikes")
    net.run(150.0)
    s = np.zeros((150, n))
    s[spikes.steps - 1, spikes.neurons] = 1
    thr = np.vstack([np.full(n, 0.3), rec.thr])
    expected = np.maximum(thr[:-1] - rho_b, 0.025) + rho_b * n * s
    np.testing.assert_allclose(thr[1:], expected, rtol=1e-12, atol=1e-15)
    assert 10 < s.sum() and s[:, 0].sum() < s[:, -1].sum()
    free = np.all(thr[:-1] - rho_b > 0.025, axis=1)
    np.testing.assert_allclose(np.diff(thr.mean(axis=1))[free], rho_b * (s.sum(axis=1) - 1)[free], atol=1e-12)


def test_wtas_per_neuron_rules():
    """WTAS with tau_m = dt and Euler: v equals R I in every step (ngc-learn's v = j R); a unit
    spikes iff exp(v) / (exp(v) + n_units - 1) > thr; each threshold moves by
    thr_gain (n_units s - 1) per step (floored at thr_min), so that the mean threshold of the
    n_units units follows ngc-learn's rule thr_gain (sum(s) - 1)."""
    n, dt, gain = 5, 1.0, 0.01
    currents = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    net = fs.Network(dt=dt)
    pop = net.population(fs.WTAS(tau_m=dt, n_units=n, R=2.0, thr_base=0.3, thr_gain=gain), n=n)
    net.current(pop, currents)
    rec = net.record(pop, ["v", "thr"])
    spikes = net.record(pop, "spikes")
    steps = 200
    net.run(steps * dt)
    s = np.zeros((steps, n))
    s[spikes.steps - 1, spikes.neurons] = 1
    v_expected = np.where(s > 0, 0.0, 2.0 * currents[None, :])  # reset to 0 at a spike
    np.testing.assert_allclose(rec.v, v_expected, rtol=1e-12, atol=1e-12)
    thr = np.vstack([np.full(n, 0.3), rec.thr])
    thr_before_test = np.maximum(thr[:-1] - gain, 0.025)
    p = np.exp(2.0 * currents) / (np.exp(2.0 * currents) + n - 1)
    np.testing.assert_array_equal(s > 0, p[None, :] > thr_before_test)
    np.testing.assert_allclose(thr[1:], thr_before_test + gain * n * s, rtol=1e-12, atol=1e-15)
    unfloored = np.all(thr_before_test > 0.025 + 1e-12, axis=1)
    mean_step = np.diff(thr.mean(axis=1))
    np.testing.assert_allclose(mean_step[unfloored], gain * (s.sum(axis=1) - 1)[unfloored], atol=1e-12)
    assert s.sum() > 20 and s[:, -1].sum() > s[:, 0].sum()  # the most driven unit wins most
