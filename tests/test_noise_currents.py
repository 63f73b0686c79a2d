"""fs.NoiseCurrent, fs.OUCurrent and fs.ACCurrent against the analytic responses of a passive membrane.

A passive LIF (no threshold) integrated exactly, ``v_{k+1} = P v_k + F I_k`` (``P = exp(-dt /
tau_m)``, ``F = R (1 - P)``, v from rest 0), driven by

- NoiseCurrent (NEST noise_generator: ``mean + std xi`` held over each step): stationary mean
  ``R mean`` and variance ``F^2 std^2 / (1 - P^2)``;
- OUCurrent (exact AR(1) update, ``I_{k+1} = m + (I_k - m) A + std sqrt(1 - A^2) xi``, ``A =
  exp(-dt / tau)``): mean ``R m`` and variance ``F^2 std^2 (1 + P A) / ((1 - P^2)(1 - P A))``;

within 4 standard errors over 10^4 neurons (sampled at 4 times, 20 ms apart). ACCurrent
against the steady-state response ``R (offset + A / sqrt(1 + (w tau_m)^2) sin(w t + phase -
atan(w tau_m)))``. Draws do not depend on how the run is chunked. Bad input is refused.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs

N, DT, TAU_M, R = 10_000, 0.1, 10.0, 2.0
SAMPLES = (60.0, 80.0, 100.0, 120.0)


def passive(net, n):
    return net.population(fs.LIF(tau_m=TAU_M, R=R, v_rest=0.0, v_thresh=1e9), n=n)


@pytest.fixture(scope="module")
def stationary():
    net = fs.Network(dt=DT, seed=5)
    noise, ou = passive(net, N), passive(net, N)
    net.current(noise, fs.NoiseCurrent(mean=1.5, std=3.0))
    net.current(ou, fs.OUCurrent(mean=-1.0, std=2.0, tau=5.0))
    out = {"noise": [], "ou": []}
    t = 0.0
    for when in SAMPLES:
        net.run(when - t)
        t = when
        out["noise"].append(noise.v.copy())
        out["ou"].append(ou.v.copy())
    return {k: np.array(v) for k, v in out.items()}


def _check(samples, mean, var):
    m, s2 = samples.mean(axis=1), samples.var(axis=1)
    k = samples.shape[0]
    assert abs(m.mean() - mean) < 4 * math.sqrt(var / (N * k))
    assert abs(s2.mean() - var) < 4 * var * math.sqrt(2.0 / (N * k))


def test_noise_current_stationary_mean_and_variance(stationary):
    P = math.exp(-DT / TAU_M)
    F = R * (1 - P)
    _check(stationary["noise"], R * 1.5, F ** 2 * 3.0 ** 2 / (1 - P ** 2))


def test_ou_current_stationary_mean_and_variance(stationary):
    P, A = math.exp(-DT / TAU_M), math.exp(-DT / 5.0)
    F = R * (1 - P)
    _check(stationary["ou"], -R, F ** 2 * 2.0 ** 2 * (1 + P * A) / ((1 - P ** 2) * (1 - P * A)))


def test_noise_held_over_dt_noise_and_ou_correlation():
    net = fs.Network(dt=DT, seed=9)
    a, b = passive(net, 2000), passive(net, 2000)
    net.current(a, fs.NoiseCurrent(mean=0.5, std=2.0, dt_noise=1.0))
    net.current(b, fs.OUCurrent(mean=0.0, std=1.0, tau=2.0))
    ra, rb = net.record(a, "I"), net.record(b, "I")
    net.run(60.0)
    I = ra["I"]  # row k: the current of step k
    blocks = I.reshape(-1, 10, a.n)
    assert np.all(blocks == blocks[:, :1, :])  # one draw per 1 ms
    assert np.all(blocks[1:, 0] != blocks[:-1, 0])
    draws = blocks[:, 0].ravel()
    assert abs(draws.mean() - 0.5) < 4 * 2.0 / math.sqrt(draws.size)
    assert abs(draws.std() - 2.0) < 4 * 2.0 / math.sqrt(2 * draws.size)
    J = rb["I"][100:]  # after 5 tau
    lag = 20  # 2 ms = tau: correlation exp(-1)
    corr = np.mean(J[lag:] * J[:-lag]) / np.mean(J * J)
    assert corr == pytest.approx(math.exp(-1.0), abs=0.03)


def test_chunking_does_not_change_the_draws():
    def run(chunks):
        net = fs.Network(dt=DT, seed=2)
        p = passive(net, 50)
        net.current(p, fs.OUCurrent(mean=1.0, std=1.0, tau=3.0))
        net.current(p, fs.NoiseCurrent(mean=0.0, std=1.0, dt_noise=0.5))
        for _ in range(chunks):
            net.run(20.0 / chunks)
        return p.v.copy()

    np.testing.assert_array_equal(run(1), run(4))


def test_ac_current_steady_state_of_a_passive_membrane():
    net = fs.Network(dt=0.01, seed=1)
    pop = passive(net, 3)
    amp, f, phase, offset = np.array([1.0, 2.0, 3.0]), 40.0, 30.0, 0.5
    net.current(pop, fs.ACCurrent(amplitude=amp, frequency=f, phase=phase, offset=offset))
    rec = net.record(pop, "v", every=10)
    net.run(150.0)
    w = 2 * math.pi * f / 1000.0
    t = rec.times
    keep = t > 100.0  # 10 tau_m: the transient is gone
    expected = R * (offset + amp / math.sqrt(1 + (w * TAU_M) ** 2)
                    * np.sin(w * t[keep, None] + math.radians(phase) - math.atan(w * TAU_M)))
    # the current is held over each step: the response lags by dt / 2 (w dt / 2 = 1.3e-3 rad)
    np.testing.assert_allclose(rec["v"][keep], expected, atol=2e-3 * R * amp.max())


@pytest.mark.parametrize("make,match", [
    (lambda: fs.NoiseCurrent(mean=0.0, std=-1.0), "std=-1.0 is not allowed"),
    (lambda: fs.NoiseCurrent(mean=0.0), "std must be given"),
    (lambda: fs.NoiseCurrent(mean=0.0, std=1.0, dt_noise=0.0), "dt_noise=0.0 must be a finite number > 0"),
    (lambda: fs.OUCurrent(mean=0.0, std=1.0, tau=0.0), "tau=0.0 is not allowed"),
    (lambda: fs.OUCurrent(mean=0.0, std=1.0, tau=-1.0),
     r"OUCurrent: tau=-1.0 is not allowed; it must be a finite number > 0 \(ms\)"),
    (lambda: fs.AlphaCurrent(tau=0.0), r"AlphaCurrent: tau=0.0 is not allowed; it must be a finite number > 0 \(ms\)"),
    (lambda: fs.AlphaCurrent(tau=-1.0), r"AlphaCurrent: tau=-1.0 is not allowed; it must be a finite number > 0 \(ms\)"),
    (lambda: fs.OUCurrent(mean=0.0, std=-0.1, tau=1.0), "std=-0.1 is not allowed"),
    (lambda: fs.ACCurrent(amplitude=1.0, frequency=0.0), "frequency=0.0 is not allowed"),
    (lambda: fs.ACCurrent(amplitude=1.0, frequency=-5.0), "frequency=-5.0 is not allowed"),
    (lambda: fs.ACCurrent(amplitude=math.nan, frequency=5.0), "amplitude"),
])
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_binding():
    net = fs.Network(dt=0.1, seed=1)
    pop = passive(net, 3)
    with pytest.raises(ValueError, match="dt_noise=0.25 ms is not a multiple"):
        net.current(pop, fs.NoiseCurrent(mean=0.0, std=1.0, dt_noise=0.25))
    with pytest.raises(ValueError, match="has 2 values but the population has 3 neurons"):
        net.current(pop, fs.OUCurrent(mean=[0.0, 1.0], std=1.0, tau=1.0))
    assert not pop.currents
