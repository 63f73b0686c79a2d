"""Explicit integrators (Euler, RK2 midpoint, RK4) on the LIF, against analytic results.

For the linear equation ``dx/dt = a (x - x_inf)`` one step of an explicit Runge-Kutta method
multiplies ``x - x_inf`` by its stability polynomial ``G(z)``, ``z = a dt`` (Hairer, Norsett &
Wanner, *Solving ODEs I*, sec. II.1): ``1 + z`` (Euler), ``1 + z + z^2/2`` (RK2),
``1 + z + z^2/2 + z^3/6 + z^4/24`` (RK4). Their global errors against the exact solution
shrink as dt^1, dt^2 and dt^4.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastspike as fs

NO_SPIKE = 1e9
ORDERS = {"euler": 1, "rk2": 2, "rk4": 4}
STABILITY = {
    "euler": lambda z: 1 + z,
    "rk2": lambda z: 1 + z + z**2 / 2,
    "rk4": lambda z: 1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24,
}

TAU_M, TAU_THETA = 5.0, 3.0
V0, V_REST, CURRENT = -75.0, -65.0, 10.0  # v_inf = -55
THETA0 = 1.0
T_END = 8.0


def simulate(integrator, dt, n=1, duration=T_END, dtype="float64"):
    net = fs.Network(dt=dt, dtype=dtype)
    pop = net.population(fs.LIF(tau_m=TAU_M, v_rest=V_REST, v_thresh=NO_SPIKE, tau_theta=TAU_THETA),
                         n=n, integrator=integrator)
    pop.v[:] = V0
    pop.theta[:] = THETA0
    net.current(pop, CURRENT)
    trace = net.record(pop, ["v", "theta"])
    spikes = net.record(pop, "spikes")
    net.run(duration)
    assert len(spikes) == 0
    return trace


def exact_v(t):
    v_inf = V_REST + CURRENT
    return v_inf + (V0 - v_inf) * np.exp(-t / TAU_M)


def exact_theta(t):
    return THETA0 * np.exp(-t / TAU_THETA)


@pytest.mark.parametrize("integrator", ["euler", "rk2", "rk4"])
def test_one_step_amplification_is_the_stability_polynomial(integrator):
    """Every step multiplies v - v_inf by G(-dt/tau_m) and theta by G(-dt/tau_theta)."""
    dt = 0.25
    trace = simulate(integrator, dt, duration=10.0)
    k = np.arange(1, len(trace) + 1)
    G = STABILITY[integrator]
    v_inf = V_REST + CURRENT
    expected_v = v_inf + (V0 - v_inf) * G(-dt / TAU_M) ** k
    expected_theta = THETA0 * G(-dt / TAU_THETA) ** k
    assert np.max(np.abs(trace.v[:, 0] - expected_v)) < 1e-12 * abs(V0)
    np.testing.assert_allclose(trace.theta[:, 0], expected_theta, rtol=1e-12)


@pytest.mark.parametrize("integrator", ["euler", "rk2", "rk4"])
def test_convergence_order(integrator):
    """The slope of log(max error) against log(dt) is the method's order (+-0.25), for v and theta."""
    dts = np.array([0.8, 0.4, 0.2, 0.1])
    err_v, err_theta = [], []
    for dt in dts:
        trace = simulate(integrator, dt)
        assert trace.times[-1] == pytest.approx(T_END)
        err_v.append(np.max(np.abs(trace.v[:, 0] - exact_v(trace.times))))
        err_theta.append(np.max(np.abs(trace.theta[:, 0] - exact_theta(trace.times))))
    err_v, err_theta = np.array(err_v), np.array(err_theta)
    assert np.all(err_v > 1e-11) and np.all(err_theta > 1e-11)  # well above roundoff
    assert np.all(np.diff(err_v) < 0) and np.all(np.diff(err_theta) < 0)
    slope_v = np.polyfit(np.log(dts), np.log(err_v), 1)[0]
    slope_theta = np.polyfit(np.log(dts), np.log(err_theta), 1)[0]
    order = ORDERS[integrator]
    assert abs(slope_v - order) < 0.25, (slope_v, err_v)
    assert abs(slope_theta - order) < 0.25, (slope_theta, err_theta)


def test_exact_has_no_discretisation_error():
    """The same problem with "exact" is right to roundoff at the coarsest dt."""
    trace = simulate("exact", 0.8)
    assert np.max(np.abs(trace.v[:, 0] - exact_v(trace.times))) < 1e-12 * abs(V0)
    np.testing.assert_allclose(trace.theta[:, 0], exact_theta(trace.times), rtol=1e-12)


def test_integrator_choice_and_default():
    net = fs.Network(dt=0.1)
    assert net.population(fs.LIF(tau_m=10.0), n=1).integrator == "exact"
    for integrator in ("exact", "euler", "rk2", "rk4"):
        for model in (fs.LIF(tau_m=10.0), fs.IF(tau_m=10.0), fs.Lapicque(R=5.0, C=1.0)):
            assert net.population(model, n=1, integrator=integrator).integrator == integrator


def test_explicit_methods_integrate_the_if_ramp_exactly():
    """For IF (g_L = 0) with a constant current every method integrates the ramp exactly."""
    for integrator in ("euler", "rk4"):
        net = fs.Network(dt=0.5)
        pop = net.population(fs.IF(tau_m=4.0, R=2.0, v_thresh=NO_SPIKE), n=1, integrator=integrator)
        net.current(pop, 0.75)
        trace = net.record(pop, "v")
        net.run(20.0)
        np.testing.assert_allclose(trace.v[:, 0], -65.0 + 2.0 * 0.75 * trace.times / 4.0, rtol=0, atol=1e-12)

