"""Initial state from a distribution (``pop.v = fs.Uniform(...)``): drawn per neuron from a
counter-based stream, the values follow the law, any range of neurons drawn on its own gives
the values of the whole population, and net.rng is left alone."""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs
from fastspike.blocks import block_starts
from fastspike.initial_state import draw_state

N = 100_000
KS_CRITICAL = 1.95  # sqrt(n) D exceeds 1.95 with probability 0.001 under the law


def ks(samples, cdf):
    x = np.sort(samples)
    f = cdf(x)
    n = x.size
    return math.sqrt(n) * float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


def make(n=N, seed=3, dtype="float64"):
    net = fs.Network(dt=0.1, seed=seed, dtype=dtype)
    a = net.population(fs.LIF(tau_m=10.0), n=n, name="a")
    b = net.population(fs.Izhikevich.preset("RS"), n=n, name="b")
    return net, a, b


def test_uniform_initial_state_follows_its_law():
    net, a, _ = make()
    a.v = fs.Uniform(-70.0, -50.0)
    v = a.v.astype(np.float64)
    assert v.min() >= -70.0 and v.max() < -50.0
    assert ks(v, lambda x: (x + 70.0) / 20.0) < KS_CRITICAL


def test_truncated_normal_initial_state_follows_its_law():
    net, _, b = make()
    mu, sigma, low = -65.0, 5.0, -70.0
    b.v = fs.Normal(mu, sigma, low=low)
    v = b.v.astype(np.float64)
    assert v.min() >= low
    erf = np.vectorize(math.erf)
    phi = lambda x: 0.5 * (1.0 + erf((x - mu) / (sigma * math.sqrt(2.0))))  # noqa: E731
    p_low = phi(low)
    assert ks(v, lambda x: (phi(x) - p_low) / (1.0 - p_low)) < KS_CRITICAL


@pytest.mark.parametrize("k", [2, 3, 7])
def test_ranges_give_the_values_of_the_whole(k):
    net, a, b = make(n=1001)
    a.v = fs.Uniform(-70.0, -50.0)
    b.u = fs.Normal(-14.0, 2.0, low=-20.0, high=-10.0)
    for pop, name, dist in ((a, "v", fs.Uniform(-70.0, -50.0)), (b, "u", fs.Normal(-14.0, 2.0, -20.0, -10.0))):
        for cuts in (block_starts(pop.n, k), np.r_[0, np.sort(np.random.default_rng(k).integers(0, pop.n, k)), pop.n]):
            parts = [draw_state(dist, net.seed, pop.index, name, int(lo), int(hi)) for lo, hi in zip(cuts[:-1], cuts[1:])]
            np.testing.assert_array_equal(np.concatenate(parts), getattr(pop, name))


def test_streams_differ_by_seed_population_and_variable_and_repeat_with_the_seed():
    net, a, b = make(n=5000)
    a.v = fs.Uniform(0.0, 1.0)
    b.v = fs.Uniform(0.0, 1.0)
    b.u = fs.Uniform(0.0, 1.0)
    net2, a2, _ = make(n=5000)
    a2.v = fs.Uniform(0.0, 1.0)
    np.testing.assert_array_equal(a.v, a2.v)
    net3, a3, _ = make(n=5000, seed=4)
    a3.v = fs.Uniform(0.0, 1.0)
    for x, y in ((a.v, b.v), (b.v, b.u), (a.v, a3.v)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 / math.sqrt(5000)


def test_rng_untouched_and_float32_state():
    net, a, _ = make(n=1000, dtype="float32")
    a.v = fs.Uniform(-70.0, -50.0)
    assert a.v.dtype == np.float32
    np.testing.assert_array_equal(a.v, draw_state(fs.Uniform(-70.0, -50.0), 3, 0, "v", 0, 1000).astype(np.float32))
    assert net.rng.uniform() == np.random.default_rng(3).uniform()  # the user's generator was not used


def test_draw_state_bad_input():
    with pytest.raises(TypeError, match="fs.Uniform or fs.Normal"):
        draw_state(3.0, 1, 0, "v", 0, 10)
    with pytest.raises(ValueError, match="lo=5, hi=2"):
        draw_state(fs.Uniform(0.0, 1.0), 1, 0, "v", 5, 2)
    net, a, _ = make(n=10)
    with pytest.raises(AttributeError, match="state variables"):
        a.w_unknown = fs.Uniform(0.0, 1.0)
