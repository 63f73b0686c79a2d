"""Poisson afferents (``net.poisson_input``) and Poisson spike sources against their definitions.

``poisson_input(pop, n, rate, weight, synapse=fs.Delta())`` adds to every neuron, in every
step, ``weight`` times the number of spikes of ``n`` independent Poisson afferents of ``rate``
Hz: a Poisson count of mean ``lam = n rate dt / 1000``. A perfect integrator (``fs.IF``, exact
integrator, no current, a threshold never reached) turns its ``v`` into a counter of them:
``v(t_k) - v(t_{k-1}) = weight * count_k`` exactly (integer counts, weight 1, v_rest = 0).

``fs.PoissonSource(rate)`` spikes in a step with probability ``rate dt / 1000`` (at most once),
so a neuron's count over T ms is Binomial(T / dt, rate dt / 1000).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import fastspike as fs

DT = 0.1
Z = 5.0
N_STEPS = 500


def assert_within(value, mean, se, what, z=Z):
    assert abs(value - mean) <= z * se, f"{what}: {value} vs expected {mean} +- {z} * {se}"


def poisson_pmf(k, lam):
    return math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1)) if lam > 0 else float(k == 0)


# name -> (neurons, afferents n, rate Hz); lam = n rate dt / 1000
SCALAR_CASES = {
    "lam0.05": (2000, 10, 50.0),
    "lam0.5": (2000, 100, 50.0),
    "lam2": (2000, 1000, 20.0),
    "lam20": (2000, 10000, 20.0),  # >= 10: drawn by another algorithm (PTRS)
}
PER_NEURON_N = 1000  # afferents of the per-neuron case
PER_NEURON_RATES = np.linspace(0.0, 200.0, 2000)  # Hz: lam from 0 to 20


def counter_model():
    return fs.IF(tau_m=10.0, v_rest=0.0, v_reset=0.0, v_thresh=1e12)


@pytest.fixture(scope="module")
def counts():
    """Per-step afferent counts (steps, neurons) of each population."""
    net = fs.Network(dt=DT, seed=123)
    recs = {}
    for name, (n_neurons, n_aff, rate) in SCALAR_CASES.items():
        pop = net.population(counter_model(), n=n_neurons, name=name, integrator="exact")
        net.poisson_input(pop, n=n_aff, rate=rate, weight=1.0, synapse=fs.Delta())
        recs[name] = net.record(pop, "v")
    pop = net.population(counter_model(), n=PER_NEURON_RATES.size, name="per_neuron", integrator="exact")
    net.poisson_input(pop, n=PER_NEURON_N, rate=PER_NEURON_RATES, weight=1.0)
    recs["per_neuron"] = net.record(pop, "v")
    pop = net.population(counter_model(), n=2000, name="two", integrator="exact")
    for _ in range(2):  # two independent inputs of lam 0.5 each: their sum is Poisson(1)
        net.poisson_input(pop, n=100, rate=50.0, weight=1.0)
    recs["two"] = net.record(pop, "v")
    net.run(N_STEPS * DT)
    out = {}
    for name, rec in recs.items():
        v = rec.v
        assert v.shape[0] == N_STEPS
        c = np.diff(np.vstack([np.zeros((1, v.shape[1])), v]), axis=0)
        assert np.all(c == np.rint(c)), f"{name}: increments are not whole multiples of the weight"
        assert c.min() >= 0
        out[name] = c
    return out


@pytest.mark.parametrize("name", list(SCALAR_CASES))
def test_count_mean_and_variance_equal_lambda(counts, name):
    n_neurons, n_aff, rate = SCALAR_CASES[name]
    lam = n_aff * rate * DT / 1000.0
    c = counts[name].ravel()
    m = c.size
    assert_within(c.mean(), lam, math.sqrt(lam / m), f"{name}: mean count")
    # Var of the sample variance of a Poisson variable: (mu4 - sigma^4) / m = (lam + 2 lam^2) / m
    assert_within(c.var(ddof=1), lam, math.sqrt((lam + 2 * lam * lam) / m), f"{name}: count variance")


@pytest.mark.parametrize("name", list(SCALAR_CASES))
def test_count_distribution_is_poisson(counts, name):
    n_neurons, n_aff, rate = SCALAR_CASES[name]
    lam = n_aff * rate * DT / 1000.0
    c = counts[name].ravel().astype(np.int64)
    m = c.size
    freq = np.bincount(c) / m
    checked = 0
    for k in range(int(lam + 10 * math.sqrt(lam) + 10)):
        p = poisson_pmf(k, lam)
        if p * m < 50:
            continue
        f = freq[k] if k < freq.size else 0.0
        assert_within(f, p, math.sqrt(p * (1 - p) / m), f"{name}: P(count = {k})")
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("name", ["lam0.5", "lam20"])
def test_counts_uncorrelated_across_steps_and_neurons(counts, name):
    c = counts[name]
    a = (c[1:] - c.mean()).ravel()
    b = (c[:-1] - c.mean()).ravel()
    r_time = float(np.dot(a, b) / math.sqrt(np.dot(a, a) * np.dot(b, b)))
    assert abs(r_time) < Z / math.sqrt(a.size), f"lag-1 correlation in time {r_time}"
    a = (c[:, 1:] - c.mean()).ravel()
    b = (c[:, :-1] - c.mean()).ravel()
    r_space = float(np.dot(a, b) / math.sqrt(np.dot(a, a) * np.dot(b, b)))
    assert abs(r_space) < Z / math.sqrt(a.size), f"correlation of neighbouring neurons {r_space}"


def test_two_inputs_on_one_population_are_independent(counts):
    c = counts["two"].ravel()
    m = c.size
    # identical streams would give variance 4 lam, independent ones 2 lam (lam = 0.5 each)
    assert_within(c.mean(), 1.0, math.sqrt(1.0 / m), "mean of the sum")
    assert_within(c.var(ddof=1), 1.0, math.sqrt(3.0 / m), "variance of the sum")


def test_per_neuron_rates(counts):
    c = counts["per_neuron"]
    lam = PER_NEURON_N * PER_NEURON_RATES * DT / 1000.0
    total = c.sum(axis=0)
    assert np.all(total[lam == 0] == 0)
    on = lam > 0
    expected = N_STEPS * lam[on]
    z = (total[on] - expected) / np.sqrt(expected)
    assert abs(z.mean()) < Z / math.sqrt(z.size), f"mean standardized residual {z.mean()}"
    assert abs(z.var() - 1.0) < 0.25, f"variance of standardized residuals {z.var()}"
    assert np.abs(z).max() < 5.5
    # per-neuron variance across steps equals the mean, on both sides of lam = 10
    for sel in (on & (lam < 10), lam >= 10):
        var = c[:, sel].var(axis=0, ddof=1)
        mean = c[:, sel].mean(axis=0)
        ratio = var.sum() / mean.sum()
        assert abs(ratio - 1.0) < 0.05, ratio


# --------------------------------------------------------------------------------------------
# PoissonSource
# --------------------------------------------------------------------------------------------
T_SRC = 2000.0
SRC_RATES = np.linspace(0.0, 200.0, 500)
TV_TIMES = [200.0, 700.0, 1200.0]
TV_RATES = [10.0, 100.0, 0.0]
TV_N_RATES = np.array([[0.0, 50.0, 100.0, 200.0], [200.0, 100.0, 50.0, 0.0]])  # (2 times, 4 neurons)
TV_N_TIMES = [0.0, 1000.0]


@pytest.fixture(scope="module")
def sources():
    net = fs.Network(dt=DT, seed=9)
    pops = {
        "scalar": net.population(fs.PoissonSource(50.0), n=1000, name="scalar"),
        "per_neuron": net.population(fs.PoissonSource(SRC_RATES), n=SRC_RATES.size, name="per_neuron"),
        "tv": net.population(fs.PoissonSource(TV_RATES, times=TV_TIMES), n=1000, name="tv"),
        "tv_n": net.population(fs.PoissonSource(np.tile(TV_N_RATES, (1, 100)), times=TV_N_TIMES), n=400,
                               name="tv_n"),
    }
    recs = {k: net.record(p, "spikes") for k, p in pops.items()}
    net.run(T_SRC)
    return recs


def test_poisson_source_counts(sources):
    s = sources["scalar"]
    steps = int(round(T_SRC / DT))
    p = 50.0 * DT / 1000.0
    counts = s.counts()
    # at most one spike per neuron and step
    assert np.unique(s.steps * 1000 + s.neurons).size == len(s)
    assert s.steps.min() >= 1 and s.steps.max() <= steps
    mean, var = steps * p, steps * p * (1 - p)
    assert_within(counts.mean(), mean, math.sqrt(var / counts.size), "mean count")
    assert abs(counts.var(ddof=1) - var) < 0.2 * var, counts.var()
    assert abs(s.rate() - 50.0) < Z * math.sqrt(var / counts.size) / (T_SRC / 1000.0)
    # spikes are spread uniformly over time: counts per 100 ms window
    windows = np.bincount((s.steps - 1) // 1000, minlength=20)
    m = counts.size * 1000 * p
    for w in windows:
        assert_within(w, m, math.sqrt(m), "spikes per 100 ms")


def test_poisson_source_per_neuron_rates(sources):
    s = sources["per_neuron"]
    steps = int(round(T_SRC / DT))
    p = SRC_RATES * DT / 1000.0
    counts = s.counts()
    assert counts[0] == 0  # rate 0
    on = p > 0
    mean, var = steps * p[on], steps * p[on] * (1 - p[on])
    z = (counts[on] - mean) / np.sqrt(var)
    assert abs(z.mean()) < Z / math.sqrt(z.size)
    assert abs(z.var() - 1.0) < 0.35, z.var()
    assert np.abs(z).max() < 5.5


def test_poisson_source_time_varying_rate(sources):
    s = sources["tv"]
    t = s.steps * DT
    n = 1000
    # before the first time and with rate 0: no spike at all
    assert not np.any(t <= TV_TIMES[0] + 1e-9)
    assert not np.any(t > TV_TIMES[2] + 1e-9)
    for (a, b), rate in (((TV_TIMES[0], TV_TIMES[1]), TV_RATES[0]), ((TV_TIMES[1], TV_TIMES[2]), TV_RATES[1])):
        k = int(np.sum((t > a + 1e-9) & (t <= b + 1e-9)))
        p = rate * DT / 1000.0
        m = n * int(round((b - a) / DT)) * p
        assert_within(k, m, math.sqrt(m * (1 - p)), f"spikes in ({a}, {b}] ms")
    # the rate switches exactly at 700 ms: the first 10 ms after it at 100 Hz
    k = int(np.sum((t > 700.0 + 1e-9) & (t <= 710.0 + 1e-9)))
    assert_within(k, 1000.0, math.sqrt(1000.0), "spikes in (700, 710] ms")
    k = int(np.sum((t > 690.0 + 1e-9) & (t <= 700.0 + 1e-9)))
    assert_within(k, 100.0, math.sqrt(100.0), "spikes in (690, 700] ms")


def test_poisson_source_time_varying_per_neuron(sources):
    s = sources["tv_n"]
    t = s.steps * DT
    for j, (a, b) in enumerate(((0.0, 1000.0), (1000.0, T_SRC))):
        sel = (t > a + 1e-9) & (t <= b + 1e-9)
        c = np.bincount(s.neurons[sel], minlength=400).reshape(100, 4)  # neuron = 4 * copy + column
        for col in range(4):
            rate = TV_N_RATES[j, col]
            p = rate * DT / 1000.0
            m = 100 * 10000 * p
            if rate == 0:
                assert c[:, col].sum() == 0
            else:
                assert_within(c[:, col].sum(), m, math.sqrt(m * (1 - p)), f"column {col}, window {j}")


# --------------------------------------------------------------------------------------------
# Counter-based streams: chunking and seeds
# --------------------------------------------------------------------------------------------
def noisy_network(seed):
    net = fs.Network(dt=DT, seed=seed)
    pop = net.population(fs.LIF(tau_m=20.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0, t_ref=2.0), n=2000,
                         name="lif")
    pop.v[:] = np.linspace(-70.0, -51.0, 2000)
    net.poisson_input(pop, n=1000, rate=5.0, weight=0.75, synapse=fs.ExpCurrent(5.0))
    net.poisson_input(pop, n=50, rate=10.0, weight=0.5, synapse=fs.Delta())
    src = net.population(fs.PoissonSource(20.0), n=200, name="src")
    net.connect(src, pop, fs.FixedProbability(0.1), synapse=fs.Delta(), weight=0.5, delay=1.0)
    net.connect(pop, pop, fs.FixedProbability(0.01), synapse=fs.ExpCurrent(5.0), weight=-0.5, delay=1.5)
    spikes = net.record(pop, "spikes")
    src_spikes = net.record(src, "spikes")
    trace = net.record(pop, "v", neurons=[0, 1, 999])
    return net, pop, spikes, src_spikes, trace


def _run(seed, chunks):
    net, pop, spikes, src_spikes, trace = noisy_network(seed)
    for c in chunks:
        net.run(c)
    return pop.v.copy(), spikes, src_spikes, trace


@pytest.fixture(scope="module")
def reference_run():
    return _run(4, [100.0])


def test_chunked_runs_are_identical(reference_run):
    v_a, sp_a, src_a, tr_a = reference_run
    v_b, sp_b, src_b, tr_b = _run(4, [10.0] * 10)
    assert len(sp_a) > 500 and len(src_a) > 100  # the network is driven
    np.testing.assert_array_equal(sp_a.steps, sp_b.steps)
    np.testing.assert_array_equal(sp_a.neurons, sp_b.neurons)
    np.testing.assert_array_equal(src_a.steps, src_b.steps)
    np.testing.assert_array_equal(src_a.neurons, src_b.neurons)
    np.testing.assert_array_equal(tr_a.v, tr_b.v)
    np.testing.assert_array_equal(v_a, v_b)


def test_uneven_chunks_are_identical(reference_run):
    v_a, sp_a, _, _ = reference_run
    v_b, sp_b, _, _ = _run(4, [0.1, 33.3, 0.0, 16.6, 50.0])
    np.testing.assert_array_equal(sp_a.steps, sp_b.steps)
    np.testing.assert_array_equal(sp_a.neurons, sp_b.neurons)
    np.testing.assert_array_equal(v_a, v_b)


def test_same_seed_identical_different_seed_different(reference_run):
    v_a, sp_a, src_a, _ = reference_run
    v_b, sp_b, src_b, _ = _run(4, [100.0])
    np.testing.assert_array_equal(sp_a.steps, sp_b.steps)
    np.testing.assert_array_equal(sp_a.neurons, sp_b.neurons)
    np.testing.assert_array_equal(v_a, v_b)
    v_c, sp_c, src_c, _ = _run(5, [100.0])
    assert not (sp_a.steps.size == sp_c.steps.size and np.array_equal(sp_a.neurons, sp_c.neurons))
    assert not np.array_equal(src_a.neurons, src_c.neurons)
    assert not np.array_equal(v_a, v_c)


def psp_kernel(u, w, tau_s, tau_m, r=1.0):
    """Closed-form PSP of a current jump w into a channel tau_s (v - v_rest), 0 for u < 0."""
    u = np.asarray(u, dtype=np.float64)
    if tau_s is None:  # delta synapse
        return np.where(u >= 0, w * np.exp(-np.maximum(u, 0.0) / tau_m), 0.0)
    shape = tau_s * tau_m / (tau_m - tau_s) * (np.exp(-np.maximum(u, 0.0) / tau_m) - np.exp(-np.maximum(u, 0.0) / tau_s))
    return np.where(u >= 0, w * r / tau_m * shape, 0.0)


@pytest.mark.parametrize("tau_s", [5.0, None])
def test_shot_noise_mean_and_variance_of_v(tau_s):
    """Campbell's theorem on the step grid: with counts c_k ~ Poisson(lam) arriving at k dt,
    v(T) - v_rest = sum_k c_k h(T - k dt), so its mean is lam sum h and its variance lam sum h^2
    (h: the closed-form PSP). B4's drive: 1000 afferents of 5 Hz, weight 0.75 (mean about
    18.75 mV above rest with tau_s = 5 ms)."""
    tau_m, v_rest, n, T = 20.0, -70.0, 4000, 150.0
    net = fs.Network(dt=DT, seed=17)
    pop = net.population(fs.LIF(tau_m=tau_m, v_rest=v_rest, v_thresh=1e9), n=n, integrator="exact")
    synapse = fs.Delta() if tau_s is None else fs.ExpCurrent(tau_s)
    w = 0.75 if tau_s is not None else 0.25
    net.poisson_input(pop, n=1000, rate=5.0, weight=w, synapse=synapse)
    net.run(T)
    lam = 1000 * 5.0 * DT / 1000.0
    k_steps = int(round(T / DT))
    h = psp_kernel(T - DT * np.arange(1, k_steps + 1), w, tau_s, tau_m)
    mean, var = lam * h.sum(), lam * np.sum(h * h)
    x = pop.v - v_rest
    if tau_s is not None:
        assert abs(mean - 18.75) < 0.1  # the continuous-time value n rate w tau_s / 1000
    assert_within(x.mean(), mean, math.sqrt(var / n), "mean of v - v_rest")
    assert abs(x.var(ddof=1) - var) < 0.12 * var, (x.var(ddof=1), var)


# --------------------------------------------------------------------------------------------
# The counter-based Poisson generator itself
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [0.05, 0.5, 1.6, 2.32, 5.0, 9.9])
def test_table_search_equals_inversion_and_is_short(lam):
    """Drawing by the integer threshold table (used for a fixed mean) gives exactly the variates
    of the inversion search, and the table stops where the CDF stops growing in float64
    (about lam + 12 sqrt(lam) + 15 entries, not the 199 of the search's cap)."""
    from numba import njit

    from fastspike import random as rnd
    from fastspike.equations import compile_scalar

    from_table, inversion = compile_scalar(rnd.poisson_from_table, njit), compile_scalar(rnd.poisson, njit)

    table = rnd.poisson_thresholds(lam)
    assert table.size <= lam + 12 * math.sqrt(lam) + 15
    assert np.all(np.diff(table) >= 0) and table[-1] <= 2**53

    @njit
    def both(thresholds, lam, key, n):
        a = np.empty(n, np.int64)
        b = np.empty(n, np.int64)
        for c in range(n):
            a[c] = from_table(thresholds, key, np.uint64(c))
            b[c] = inversion(lam, key, np.uint64(c))
        return a, b

    a, b = both(table, lam, np.uint64(12345), 200_000)
    np.testing.assert_array_equal(a, b)
    assert a.max() <= table.size
    assert abs(a.mean() - lam) <= 5 * math.sqrt(lam / a.size)


@pytest.mark.parametrize("threads, n, steps", [(1, 3000, 300), (3, 3000, 300), (1, 2**15 + 40, 30)])
def test_network_counts_equal_inversion_of_the_same_uniform(threads, n, steps):
    """Every count a network draws (the CPU compares with the first few thresholds in a loop
    that vectorizes and finishes the rare larger counts in a sparse pass) is the inversion
    count of the same uniform, :func:`fastspike.random.poisson` at the draw's counter ``step * n
    + i``, including counts far past the entries of the dense search; with one thread and with
    three, and in a population large enough that the sparse pass tests its count words in
    groups (the last group shorter)."""
    from numba import njit

    from fastspike import random as rnd
    from fastspike.equations import compile_scalar

    inversion = compile_scalar(rnd.poisson, njit)

    @njit
    def expected(lam, key, n, steps):
        out = np.empty((steps, n), np.int64)
        for s in range(steps):
            for i in range(n):
                out[s, i] = inversion(lam, key, np.uint64(s) * np.uint64(n) + np.uint64(i))
        return out

    seed = 77
    net = fs.Network(dt=DT, seed=seed, threads=threads)
    cases = {}
    for lam in (0.5, 5.0):  # afferents n * rate * dt / 1000 = lam
        pop = net.population(counter_model(), n=n, integrator="exact")
        net.poisson_input(pop, n=100, rate=lam * 1e4 / 100 / DT / 10, weight=1.0)
        cases[lam] = (pop, net.record(pop, "v"))
    from fastspike.backends import generated_source
    from fastspike.backends.cpu.lower import SCAN_STOP_MAX_NEURONS

    grouped = re.search(r"for g_\w* in range\(0, KW\w*\.size, 8\):", generated_source(net))
    assert (grouped is not None) == (n > SCAN_STOP_MAX_NEURONS)
    net.run(steps * DT)
    for lam, (pop, rec) in cases.items():
        got = np.diff(np.vstack([np.zeros((1, n)), rec.v]), axis=0)
        key = rnd.hash_seed(seed, 3, pop.index, 0)
        want = expected(lam, key, n, steps)
        np.testing.assert_array_equal(got, want)
        dense = rnd.poisson_dense_entries(rnd.poisson_thresholds(lam))
        assert dense < rnd.poisson_thresholds(lam).size
        assert (want >= dense).sum() > 50 and want.max() >= dense + 2, (lam, dense, want.max())
