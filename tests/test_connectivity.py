"""Connectivity against the definitions of the connectors, distributions and storage.

Statistics are compared with the distribution the connector defines (binomial, multinomial,
truncated normal, ...), with tolerances of several standard errors (a fixed seed makes each
check deterministic; the tolerances are wide enough that any seed should pass).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs

DT = 0.1
N = 2000  # pre and post sizes of the statistical checks
Z = 5.0  # tolerance in standard errors


def make_net(seed=11, n_pre=N, n_post=N):
    net = fs.Network(dt=DT, seed=seed)
    model = fs.IF(tau_m=10.0, v_thresh=1e9)
    pre = net.population(model, n=n_pre, name="pre")
    post = net.population(model, n=n_post, name="post")
    return net, pre, post


def pairs(proj):
    return proj.sources().astype(np.int64), proj.targets.astype(np.int64)


def in_degrees(proj):
    return np.bincount(proj.targets, minlength=proj.post.n)


def out_degrees(proj):
    return np.diff(proj.indptr)


def assert_within(value, mean, se, what, z=Z):
    assert abs(value - mean) <= z * se, f"{what}: {value} vs expected {mean} +- {z} * {se}"


def check_variance(samples, var_expected, what, rel=0.15):
    """Sample variance of ``samples`` against the variance of their distribution."""
    v = float(np.var(samples, ddof=1))
    assert abs(v - var_expected) <= rel * var_expected, f"{what}: variance {v}, expected {var_expected}"


def check_csr(proj):
    n_pre = proj.pre.n
    assert proj.indptr.shape == (n_pre + 1,) and proj.indptr[0] == 0
    assert np.all(np.diff(proj.indptr) >= 0)
    assert proj.indptr[-1] == proj.targets.size
    if proj.targets.size:
        assert proj.targets.min() >= 0 and proj.targets.max() < proj.post.n
    # canonical order: targets ascending within a row (within each delay group when rows
    # are grouped by delay)
    for j in range(n_pre):
        a, b = proj.indptr[j], proj.indptr[j + 1]
        bounds = [0, b - a] if proj.delay_offsets is None else proj.delay_offsets[j].astype(np.int64)
        for g in range(len(bounds) - 1):
            assert np.all(np.diff(proj.targets[a + bounds[g]:a + bounds[g + 1]]) >= 0)


def check_delay_groups(proj):
    """Within each row, synapses are sorted by delay and ``delay_offsets`` bounds each group."""
    delays = np.asarray(proj.delays).astype(np.int64)
    if proj.delay_offsets is None:  # uniform, or per synapse in connector order (ring delivery)
        assert delays.size == 1 or delays.size == proj.n_synapses
        return
    dmin = int(delays.min())
    for j in range(proj.pre.n):
        a, b = proj.indptr[j], proj.indptr[j + 1]
        row = delays[a:b]
        assert np.all(np.diff(row) >= 0)
        offs = proj.delay_offsets[j].astype(np.int64)
        assert offs[0] == 0 and offs[-1] == b - a
        for g in range(offs.size - 1):
            assert np.all(row[offs[g]:offs[g + 1]] == dmin + g)


# --------------------------------------------------------------------------------------------
# FixedProbability
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.001, 0.05, 0.5])
def test_fixed_probability_count_is_binomial(p):
    net, pre, post = make_net(n_pre=N, n_post=1500)
    proj = net.connect(pre, post, fs.FixedProbability(p))
    check_csr(proj)
    total = N * 1500
    assert_within(proj.n_synapses, total * p, math.sqrt(total * p * (1 - p)), f"synapses p={p}")
    # independence: out-degrees ~ Binomial(1500, p), in-degrees ~ Binomial(N, p)
    out, inn = out_degrees(proj), in_degrees(proj)
    assert_within(out.mean(), 1500 * p, math.sqrt(1500 * p * (1 - p) / N), "mean out-degree")
    assert_within(inn.mean(), N * p, math.sqrt(N * p * (1 - p) / 1500), "mean in-degree")
    check_variance(out, 1500 * p * (1 - p), "out-degree")
    check_variance(inn, N * p * (1 - p), "in-degree")
    # no pair twice
    s, t = pairs(proj)
    assert np.unique(s * 1500 + t).size == s.size


def test_fixed_probability_pairs_are_uniform_in_position():
    """Every pair has the same probability: the connection frequency does not depend on the
    target index (first, middle, last columns) or on the source index."""
    p = 0.05
    net, pre, post = make_net()
    proj = net.connect(pre, post, fs.FixedProbability(p))
    inn = in_degrees(proj)
    blocks = inn.reshape(10, N // 10).sum(axis=1)  # synapses onto each tenth of the targets
    m = N * (N // 10) * p
    for b in blocks:
        assert_within(b, m, math.sqrt(m * (1 - p)), "synapses per block of targets")
    # the first and the last target individually over many independent projections would be
    # needed for more; here the first column and row are checked against Binomial(N, p)
    assert_within(inn[0], N * p, math.sqrt(N * p * (1 - p)), "in-degree of target 0")
    assert_within(inn[-1], N * p, math.sqrt(N * p * (1 - p)), "in-degree of the last target")


def test_fixed_probability_extremes():
    net, pre, post = make_net(n_pre=30, n_post=40)
    full = net.connect(pre, post, fs.FixedProbability(1.0))
    s, t = pairs(full)
    assert full.n_synapses == 30 * 40
    np.testing.assert_array_equal(s, np.repeat(np.arange(30), 40))
    np.testing.assert_array_equal(t, np.tile(np.arange(40), 30))
    none = net.connect(pre, post, fs.FixedProbability(0.0))
    assert none.n_synapses == 0
    check_csr(none)


def test_fixed_probability_autapses():
    p = 0.05
    net, pre, _ = make_net()
    no_self = net.connect(pre, pre, fs.FixedProbability(p, allow_autapses=False))
    s, t = pairs(no_self)
    assert not np.any(s == t)
    total = N * (N - 1)
    assert_within(no_self.n_synapses, total * p, math.sqrt(total * p * (1 - p)), "synapses without autapses")
    with_self = net.connect(pre, pre, fs.FixedProbability(p))
    s, t = pairs(with_self)
    assert_within(int(np.sum(s == t)), N * p, math.sqrt(N * p * (1 - p)), "autapses")
    full = net.connect(pre, pre, fs.FixedProbability(1.0, allow_autapses=False))
    assert full.n_synapses == N * (N - 1)


# --------------------------------------------------------------------------------------------
# Fixed indegree / outdegree / total number
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("multapses", [True, False])
def test_fixed_indegree(multapses):
    k = 100
    net, pre, post = make_net(n_pre=N, n_post=1500)
    proj = net.connect(pre, post, fs.FixedIndegree(k, allow_multapses=multapses))
    check_csr(proj)
    assert proj.n_synapses == 1500 * k
    np.testing.assert_array_equal(in_degrees(proj), np.full(1500, k))
    s, t = pairs(proj)
    n_unique = np.unique(t * N + s).size
    out = out_degrees(proj)
    if multapses:
        # each of the 1500 k draws picks a pre neuron uniformly: out-degree ~ Binomial(1500 k, 1/N)
        q = 1.0 / N
        check_variance(out, 1500 * k * q * (1 - q), "out-degree")
        # duplicates occur as often as drawing k of N with replacement predicts
        expected_dups = 1500 * (k - N * (1 - (1 - q) ** k))
        assert_within(s.size - n_unique, expected_dups, math.sqrt(expected_dups), "multapses")
    else:
        assert n_unique == s.size  # no duplicate pre per post
        q = k / N  # each post picks pre j with probability k / N, independently across posts
        check_variance(out, 1500 * q * (1 - q), "out-degree")
    assert_within(out.mean(), 1500 * k / N, 0.0 + 1e-9, "mean out-degree", z=1)


def test_fixed_indegree_without_autapses_and_all_sources():
    net, pre, _ = make_net(n_pre=50, n_post=50)
    proj = net.connect(pre, pre, fs.FixedIndegree(49, allow_autapses=False, allow_multapses=False))
    s, t = pairs(proj)
    assert not np.any(s == t)
    # every neuron receives from every other neuron exactly once
    m = np.zeros((50, 50), int)
    np.add.at(m, (s, t), 1)
    np.testing.assert_array_equal(m, 1 - np.eye(50, dtype=int))


@pytest.mark.parametrize("multapses", [True, False])
def test_fixed_outdegree(multapses):
    k = 100
    net, pre, post = make_net(n_pre=1500, n_post=N)
    proj = net.connect(pre, post, fs.FixedOutdegree(k, allow_multapses=multapses))
    check_csr(proj)
    assert proj.n_synapses == 1500 * k
    np.testing.assert_array_equal(out_degrees(proj), np.full(1500, k))
    s, t = pairs(proj)
    n_unique = np.unique(s * N + t).size
    inn = in_degrees(proj)
    if multapses:
        q = 1.0 / N
        check_variance(inn, 1500 * k * q * (1 - q), "in-degree")
        expected_dups = 1500 * (k - N * (1 - (1 - q) ** k))
        assert_within(s.size - n_unique, expected_dups, math.sqrt(expected_dups), "multapses")
    else:
        assert n_unique == s.size
        q = k / N
        check_variance(inn, 1500 * q * (1 - q), "in-degree")


def test_fixed_outdegree_without_autapses():
    net, pre, _ = make_net(n_pre=300, n_post=300)
    proj = net.connect(pre, pre, fs.FixedOutdegree(20, allow_autapses=False, allow_multapses=False))
    s, t = pairs(proj)
    assert not np.any(s == t)
    np.testing.assert_array_equal(out_degrees(proj), np.full(300, 20))
    assert np.unique(s * 300 + t).size == s.size


def _chi_square_uniform(counts):
    e = counts.sum() / counts.size
    return float(np.sum((counts - e) ** 2 / e))


@pytest.mark.parametrize("autapses", [True, False])
def test_fixed_total_number(autapses):
    n = 300_000
    net, pre, post = make_net()
    target = pre if not autapses else post
    proj = net.connect(pre, target, fs.FixedTotalNumber(n, allow_autapses=autapses))
    check_csr(proj)
    assert proj.n_synapses == n
    s, t = pairs(proj)
    if not autapses:
        assert not np.any(s == t)
    # pre and post marginals ~ Multinomial(n, 1/N): chi-square with N - 1 degrees of freedom
    for what, counts in (("pre", np.bincount(s, minlength=N)), ("post", np.bincount(t, minlength=N))):
        chi2 = _chi_square_uniform(counts)
        assert_within(chi2, N - 1, math.sqrt(2 * (N - 1)), f"chi-square of the {what} marginal")
    # pre and post independent: the 10 x 10 table of (pre block, post block) is uniform
    table = np.zeros((10, 10))
    np.add.at(table, (s * 10 // N, t * 10 // N), 1)
    if autapses:
        chi2 = _chi_square_uniform(table.ravel())
        assert_within(chi2, 99, math.sqrt(2 * 99), "chi-square of the joint table")


# --------------------------------------------------------------------------------------------
# AllToAll, OneToOne, FromArrays: exact structure and per-synapse values
# --------------------------------------------------------------------------------------------
def test_all_to_all_structure_and_weight_matrix():
    net, pre, post = make_net(n_pre=7, n_post=5)
    w = np.arange(35, dtype=np.float64).reshape(7, 5) * 0.25 - 3.0
    d = (np.arange(35).reshape(7, 5) % 4 + 1) * DT
    proj = net.connect(pre, post, fs.AllToAll(), weight=w, delay=d)
    s, t = pairs(proj)
    # every pair once, each row grouped by delay (stable within a delay group)
    order = np.lexsort((t, s))
    np.testing.assert_array_equal(s[order], np.repeat(np.arange(7), 5))
    np.testing.assert_array_equal(t[order], np.tile(np.arange(5), 7))
    np.testing.assert_array_equal(proj.synapse_weights(), w[s, t].astype(np.float32))
    delays = np.broadcast_to(proj.delays, (35,))
    np.testing.assert_array_equal(delays, np.rint(d[s, t] / DT))
    check_delay_groups(proj)


def test_all_to_all_without_autapses_keeps_weight_positions():
    net, pre, _ = make_net(n_pre=6, n_post=6)
    w = np.arange(36, dtype=np.float64).reshape(6, 6)
    proj = net.connect(pre, pre, fs.AllToAll(allow_autapses=False), weight=w)
    s, t = pairs(proj)
    assert proj.n_synapses == 30 and not np.any(s == t)
    assert {(a, b) for a, b in zip(s, t)} == {(a, b) for a in range(6) for b in range(6) if a != b}
    np.testing.assert_array_equal(proj.synapse_weights(), w[s, t])
    # the same with a flat array of all 36 pairs
    proj2 = net.connect(pre, pre, fs.AllToAll(allow_autapses=False), weight=w.ravel())
    np.testing.assert_array_equal(proj2.synapse_weights(), w[s, t])


def test_one_to_one_structure():
    net, pre, post = make_net(n_pre=9, n_post=9)
    w = np.linspace(-2.0, 2.0, 9)
    proj = net.connect(pre, post, fs.OneToOne(), weight=w)
    s, t = pairs(proj)
    np.testing.assert_array_equal(s, np.arange(9))
    np.testing.assert_array_equal(t, np.arange(9))
    np.testing.assert_array_equal(proj.synapse_weights(), w.astype(np.float32))


def test_from_arrays_reproduces_pairs_weights_and_delays():
    rng = np.random.default_rng(0)
    m = 5000
    pre_i = rng.integers(0, 300, m)
    post_i = rng.integers(0, 200, m)
    pre_i[:3], post_i[:3] = 7, 9  # multapses allowed
    w = rng.normal(0.0, 1.0, m)
    d = rng.integers(1, 40, m) * DT
    net, pre, post = make_net(n_pre=300, n_post=200)
    proj = net.connect(pre, post, fs.FromArrays(pre_i, post_i), weight=w, delay=d)
    assert proj.n_synapses == m
    check_csr(proj)
    s, t = pairs(proj)
    check_delay_groups(proj)
    # CSR by pre in canonical order: targets ascending, multapses in input order (a stable
    # sort by (pre, post)); rows grouped by delay when the delays are stored as group offsets
    # (a stable sort by (pre, delay, post))
    if proj.delay_offsets is None:
        order = np.lexsort((post_i, pre_i))
    else:
        order = np.lexsort((post_i, np.rint(d / DT), pre_i))
    np.testing.assert_array_equal(s, pre_i[order])
    np.testing.assert_array_equal(t, post_i[order])
    np.testing.assert_array_equal(proj.synapse_weights(), w[order].astype(np.float32))
    np.testing.assert_array_equal(np.broadcast_to(proj.delays, (m,)), np.rint(d[order] / DT))


def test_from_arrays_empty():
    net, pre, post = make_net(n_pre=3, n_post=3)
    proj = net.connect(pre, post, fs.FromArrays([], []))
    assert proj.n_synapses == 0
    check_csr(proj)


# --------------------------------------------------------------------------------------------
# Weight and delay distributions
# --------------------------------------------------------------------------------------------
def _phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _Phi(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def truncated_normal_moments(mu, sigma, low, high):
    a, b = (low - mu) / sigma, (high - mu) / sigma
    z = _Phi(b) - _Phi(a)
    pa, pb = _phi(a), _phi(b)
    apa = a * pa if math.isfinite(a) else 0.0
    bpb = b * pb if math.isfinite(b) else 0.0
    mean = mu + sigma * (pa - pb) / z
    var = sigma ** 2 * (1 + (apa - bpb) / z - ((pa - pb) / z) ** 2)
    return mean, var


@pytest.fixture(scope="module")
def big():
    """200,000 synapses (FixedTotalNumber) to draw distributions on."""
    return make_net(seed=21)


N_SYN = 200_000


def test_normal_weights(big):
    net, pre, post = big
    proj = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), weight=fs.Normal(2.0, 0.5))
    w = proj.synapse_weights().astype(np.float64)
    assert w.dtype == np.float64 and w.size == N_SYN
    assert_within(w.mean(), 2.0, 0.5 / math.sqrt(N_SYN), "mean")
    assert_within(w.std(), 0.5, 0.5 / math.sqrt(2 * N_SYN), "std")
    # shape: fraction within one standard deviation
    inside = np.mean(np.abs(w - 2.0) < 0.5)
    p1 = _Phi(1.0) - _Phi(-1.0)
    assert_within(inside, p1, math.sqrt(p1 * (1 - p1) / N_SYN), "fraction within 1 std")


@pytest.mark.parametrize("low, high", [(0.5, 2.5), (0.0, None), (None, 1.2), (1.8, 2.0)])
def test_truncated_normal_weights(big, low, high):
    net, pre, post = big
    mu, sigma = 1.0, 1.0
    proj = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), weight=fs.Normal(mu, sigma, low=low, high=high))
    w = proj.synapse_weights().astype(np.float64)
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    assert w.min() >= np.float32(lo) and w.max() <= np.float32(hi)
    mean, var = truncated_normal_moments(mu, sigma, lo, hi)
    assert_within(w.mean(), mean, math.sqrt(var / N_SYN), "truncated mean")
    check_variance(w, var, "truncated variance", rel=0.03)


def _ks_statistic(samples, cdf):
    """Kolmogorov-Smirnov distance between the empirical distribution of ``samples`` and ``cdf``."""
    x = np.sort(samples)
    f = cdf(x)
    n = x.size
    return float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


KS_CRITICAL = 1.95  # sqrt(n) D exceeds 1.95 with probability 0.001 under the law


@pytest.mark.parametrize("low, high", [(0.5, 2.5), (None, 1.2)])
def test_truncated_normal_weights_ks(big, low, high):
    """The whole law, not only its moments: Kolmogorov-Smirnov against the truncated normal."""
    net, pre, post = big
    mu, sigma = 1.0, 1.0
    proj = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), weight=fs.Normal(mu, sigma, low=low, high=high))
    w = proj.synapse_weights().astype(np.float64)
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    erf = np.vectorize(math.erf)
    big_phi = lambda x: 0.5 * (1.0 + erf((x - mu) / (sigma * math.sqrt(2.0))))  # noqa: E731
    p_lo = 0.0 if low is None else big_phi(lo)
    d = _ks_statistic(w, lambda x: (big_phi(x) - p_lo) / (big_phi(hi) - p_lo))
    assert math.sqrt(w.size) * d < KS_CRITICAL, d


def test_uniform_weights_ks(big):
    net, pre, post = big
    proj = net.connect(pre, post, fs.FixedProbability(0.05), weight=fs.Uniform(-1.0, 3.0))
    w = proj.synapse_weights().astype(np.float64)
    d = _ks_statistic(w, lambda x: (x + 1.0) / 4.0)
    assert math.sqrt(w.size) * d < KS_CRITICAL, d


def test_normal_zero_std_is_constant(big):
    net, pre, post = big
    proj = net.connect(pre, post, fs.FixedTotalNumber(1000), weight=fs.Normal(-1.5, 0.0))
    assert np.all(proj.synapse_weights() == -1.5)


def test_uniform_weights(big):
    net, pre, post = big
    proj = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), weight=fs.Uniform(-1.0, 3.0))
    w = proj.synapse_weights().astype(np.float64)
    assert w.min() >= -1.0 and w.max() <= 3.0
    assert w.min() < -0.99 and w.max() > 2.99
    var = 16.0 / 12.0
    assert_within(w.mean(), 1.0, math.sqrt(var / N_SYN), "uniform mean")
    check_variance(w, var, "uniform variance", rel=0.03)
    hist = np.histogram(w, bins=8, range=(-1.0, 3.0))[0]
    assert_within(_chi_square_uniform(hist), 7, math.sqrt(14), "uniform chi-square")


def test_weights_of_different_projections_are_independent(big):
    net, pre, post = big
    a = net.connect(pre, post, fs.FixedTotalNumber(10000), weight=fs.Normal(0.0, 1.0))
    b = net.connect(pre, post, fs.FixedTotalNumber(10000), weight=fs.Normal(0.0, 1.0))
    assert not np.array_equal(a.targets, b.targets)
    wa, wb = a.synapse_weights().astype(float), b.synapse_weights().astype(float)
    assert abs(np.corrcoef(wa, wb)[0, 1]) < Z / math.sqrt(10000)


def test_uniform_delays_are_rounded_to_steps(big):
    """Uniform(0, 0.3) ms with dt = 0.1: [0, 0.15) -> 1 step (0 is raised to one step),
    [0.15, 0.25) -> 2 steps, [0.25, 0.3) -> 3 steps: probabilities 1/2, 1/3, 1/6."""
    net, pre, post = big
    proj = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), delay=fs.Uniform(0.0, 0.3))
    d = np.asarray(proj.delays)
    assert d.dtype == np.uint8 and d.size == N_SYN
    counts = np.bincount(d, minlength=4)
    assert counts[0] == 0 and d.max() <= 3
    for steps, prob in ((1, 1 / 2), (2, 1 / 3), (3, 1 / 6)):
        assert_within(counts[steps] / N_SYN, prob, math.sqrt(prob * (1 - prob) / N_SYN), f"P({steps} steps)")


def test_normal_delays_at_least_one_step(big):
    net, pre, post = big
    proj = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), delay=fs.Normal(1.5, 0.75, low=DT))
    d = np.asarray(proj.delays)
    assert d.min() >= 1
    ms = proj.synapse_delays()
    np.testing.assert_allclose(ms / DT, np.rint(ms / DT), atol=1e-9)  # on the step grid
    # rounding to the grid leaves the mean of a smooth distribution (truncated at dt) unbiased
    mean, var = truncated_normal_moments(1.5, 0.75, DT, math.inf)
    assert_within(ms.mean(), mean, math.sqrt((var + DT ** 2 / 12) / N_SYN), "mean delay")
    # an unbounded normal with most mass below half a step: every delay is at least one step
    small = net.connect(pre, post, fs.FixedTotalNumber(1000), delay=fs.Normal(0.02, 0.01))
    assert np.all(np.asarray(small.delays) == 1)


# --------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------
def test_storage_types_and_bytes_per_synapse(big):
    net, pre, post = big
    proj = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), weight=fs.Normal(1.0, 0.2),
                       delay=fs.Uniform(0.1, 5.0))
    assert proj.indptr.dtype == np.int64
    assert proj.targets.dtype == np.int32  # what users get; stored as uint16 (post.n <= 65536)
    assert proj._targets.dtype == np.uint16
    assert proj.weights.dtype == np.float32 and proj.weights.size == N_SYN
    assert proj.delays.dtype == np.uint8 and proj.delays.size == N_SYN
    per_syn = (proj.nbytes - proj.indptr.nbytes) / N_SYN
    # 100 synapses per row, 50 delay values: one byte per delay group bound instead of per synapse
    assert proj.delay_offsets is not None and proj.delay_offsets.dtype == np.uint8
    assert proj.nbytes == proj.indptr.nbytes + N_SYN * 6 + proj.pre.n * 51
    assert per_syn <= 8

    long = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), weight=fs.Normal(1.0, 0.2),
                       delay=fs.Uniform(1.0, 100.0))  # up to 1000 steps
    assert long.delays.dtype == np.uint16
    assert long.delays.max() > 255
    # 991 delay values for 100 synapses per row: delays stored per synapse (uint16)
    assert long.delay_offsets is None
    assert long.nbytes == long.indptr.nbytes + N_SYN * 8

    uniform = net.connect(pre, post, fs.FixedTotalNumber(N_SYN), weight=0.5, delay=1.0)
    assert uniform.weights.dtype == np.float32
    assert (uniform.nbytes - uniform.indptr.nbytes) / N_SYN <= 2 + 1e-3
    np.testing.assert_array_equal(np.broadcast_to(uniform.delays, (N_SYN,)), 10)


@pytest.mark.parametrize("n_post, kind", [(1 << 16, np.uint16), ((1 << 16) + 1, np.int32)])
def test_targets_are_stored_as_uint16_onto_at_most_65536_neurons(n_post, kind):
    net, pre, post = make_net(n_pre=50, n_post=n_post)
    proj = net.connect(pre, post, fs.FixedTotalNumber(5000), weight=fs.Normal(1.0, 0.2))
    wide = proj.targets
    assert proj._targets.dtype == kind and wide.dtype == np.int32
    assert wide.max() >= n_post - 2000  # the last neurons are reached, their indices kept
    np.testing.assert_array_equal(proj._targets, wide)
    assert proj.nbytes == proj.indptr.nbytes + 5000 * (np.dtype(kind).itemsize + 4) + 1  # a uniform delay: 1 byte
    plastic = net.connect(pre, post, fs.FixedTotalNumber(5000), weight=0.5, delay=fs.Uniform(0.1, 2.0),
                          weight_update=fs.STDP(w_max=1.0))  # rows sorted by target again
    assert plastic._targets.dtype == kind and plastic.targets.max() >= n_post - 2000


def test_scalar_delay_array_long_uses_uint16():
    net, pre, post = make_net(n_pre=3, n_post=3)
    proj = net.connect(pre, post, fs.OneToOne(), delay=[0.1, 25.5, 30.0])
    assert proj.delays.dtype == np.uint16
    np.testing.assert_array_equal(proj.delays, [1, 255, 300])


# --------------------------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------------------------
CONNECTORS = [
    lambda: fs.FixedProbability(0.02),
    lambda: fs.FixedIndegree(30),
    lambda: fs.FixedIndegree(30, allow_multapses=False),
    lambda: fs.FixedOutdegree(30),
    lambda: fs.FixedTotalNumber(20000),
]


def _build(seed, make_connector):
    net, pre, post = make_net(seed=seed, n_pre=800, n_post=700)
    proj = net.connect(pre, post, make_connector(), weight=fs.Normal(0.5, 0.1), delay=fs.Uniform(0.1, 3.0))
    return proj


@pytest.mark.parametrize("k", range(len(CONNECTORS)))
def test_same_seed_same_connectivity_different_seed_different(k):
    a, b, c = _build(7, CONNECTORS[k]), _build(7, CONNECTORS[k]), _build(8, CONNECTORS[k])
    for name in ("indptr", "targets", "weights", "delays"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert not (np.array_equal(a.indptr, c.indptr) and np.array_equal(a.targets, c.targets))
    assert not np.array_equal(a.weights, c.weights)
