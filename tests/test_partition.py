"""Connectivity built per target range: any partition of the targets gives the whole build.

For every connector (autapses and multapses on and off), building the synapses onto each
range of a partition of [0, n_post) and joining the parts row by row must give exactly the
build of the whole range: the same synapses in the same order, the same drawn weights and
delays, the same user positions. Rows are in canonical order (targets ascending). Weights
and delays depend on each synapse's identity (source, target, rank among multapses), not
on where it is stored or which rule made it. The binomial variates that split
FixedTotalNumber's count over targets follow the binomial law.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastspike as fs
from fastspike import random as frandom
from fastspike.blocks import block_starts
from fastspike.synapses import build
from fastspike.synapses.build import Draws

KEY = frandom.hash_seed(17, 1, 0)
WEIGHT = Draws(fs.Normal(0.5, 1.0, low=-0.2, high=1.5), np.uint64(0xABC))  # redraws often
DELAY = Draws(fs.Uniform(0.1, 3.0), np.uint64(0xDEF), 0.1)


def _arrays_connector(n_pre, n_post, same):
    rng = np.random.default_rng(5)
    m = 900
    pre, post = rng.integers(0, n_pre, m), rng.integers(0, n_post, m)
    pre[:6], post[:6] = 3, np.array([9, 9, 2, 9, 60 % n_post, 2])  # multapses, given out of order
    return fs.FromArrays(pre, post)


# name -> (factory(autapses, multapses, n_pre, n_post, same), takes autapses, takes multapses)
CONNECTORS = {
    "AllToAll": (lambda a, m, n_pre, n_post, same: fs.AllToAll(allow_autapses=a), True, False),
    "OneToOne": (lambda a, m, n_pre, n_post, same: fs.OneToOne(), False, False),
    "FixedProbability": (lambda a, m, n_pre, n_post, same: fs.FixedProbability(0.15, allow_autapses=a), True,
                         False),
    "FixedIndegree": (lambda a, m, n_pre, n_post, same: fs.FixedIndegree(9, a, m), True, True),
    "FixedOutdegree": (lambda a, m, n_pre, n_post, same: fs.FixedOutdegree(11, a, m), True, True),
    "FixedTotalNumber": (lambda a, m, n_pre, n_post, same: fs.FixedTotalNumber(1700, allow_autapses=a), True,
                         False),
    "FromArrays": (lambda a, m, n_pre, n_post, same: _arrays_connector(n_pre, n_post, same), False, False),
}

CASES = [(name, autapses, mult) for name, (_, takes_autapses, takes_multapses) in CONNECTORS.items()
         for autapses in ((True, False) if takes_autapses else (True,))
         for mult in ((True, False) if takes_multapses else (True,))]


def partitions(n):
    """Cut points of several partitions of [0, n): one range, the ranges of 2 and 3
    threads or processes (whole cache lines of 64 neurons; where that leaves a single
    range, whole words of 8 instead), ranges not aligned to 8 with empty ones, and one
    target per range."""
    rng = np.random.default_rng(n)
    cuts = np.sort(rng.integers(0, n + 1, 3))
    return {
        "whole": [0, n],
        "blocks2": list(block_starts(n, 2)) if block_starts(n, 2)[1] < n else [0, 8 * (n // 16), n],
        "blocks3": list(block_starts(n, 3)) if block_starts(n, 3)[1] < n else [0, 8 * (n // 24), 16 * (n // 24), n],
        "unaligned_empty": [0, 5, 5, 38, n, n],
        "random4": [0, *cuts.tolist(), n],
        "single": list(range(n + 1)),
    }


def join(parts, n_pre):
    """Join the builds of consecutive target ranges row by row."""
    indptr = np.zeros(n_pre + 1, np.int64)
    fields = {"targets": [], "order": [], "weights": [], "delays": []}
    for j in range(n_pre):
        for p in parts:
            a, b = p.indptr[j], p.indptr[j + 1]
            indptr[j + 1] += b - a
            fields["targets"].append(p.targets[a:b])
            for name in ("order", "weights", "delays"):
                values = getattr(p, name)
                if values is not None:
                    fields[name].append(values[a:b])
    indptr = np.cumsum(indptr)
    return indptr, {k: (np.concatenate(v) if v else None) for k, v in fields.items()}


def _sizes(name, same):
    if same or name == "OneToOne":
        return 61, 61
    return 47, 66


@pytest.mark.parametrize("name, autapses, multapses", CASES)
@pytest.mark.parametrize("same", [True, False])
def test_partition_builds_join_to_the_whole(name, autapses, multapses, same):
    n_pre, n_post = _sizes(name, same)
    factory = CONNECTORS[name][0]
    connector = factory(autapses, multapses, n_pre, n_post, same)
    connector.check(n_pre, n_post, same)
    whole = connector.build(n_pre, n_post, same, KEY, weight=WEIGHT, delay=DELAY)
    assert whole.indptr.dtype == np.int64 and whole.indptr.shape == (n_pre + 1,)
    assert whole.targets.dtype == np.int32
    assert whole.weights.dtype == np.float32 and whole.delays.dtype == np.uint8
    assert whole.targets.size > 0
    # canonical order: targets ascending within each row
    for j in range(n_pre):
        assert np.all(np.diff(whole.targets[whole.indptr[j]:whole.indptr[j + 1]]) >= 0)
    if same and not autapses:
        sources = np.repeat(np.arange(n_pre), np.diff(whole.indptr))
        assert not np.any(sources == whole.targets)
    order = whole.order if whole.order is not None else np.arange(whole.targets.size)
    for label, cuts in partitions(n_post).items():
        parts = [connector.build(n_pre, n_post, same, KEY, lo, hi, weight=WEIGHT, delay=DELAY)
                 for lo, hi in zip(cuts[:-1], cuts[1:])]
        for (lo, hi), p in zip(zip(cuts[:-1], cuts[1:]), parts):
            assert p.indptr.shape == (n_pre + 1,) and p.indptr[0] == 0 and p.indptr[-1] == p.targets.size
            assert np.all((p.targets >= lo) & (p.targets < hi)), label
        indptr, joined = join(parts, n_pre)
        np.testing.assert_array_equal(indptr, whole.indptr, err_msg=label)
        np.testing.assert_array_equal(joined["targets"], whole.targets, err_msg=label)
        np.testing.assert_array_equal(joined["weights"], whole.weights, err_msg=label)
        np.testing.assert_array_equal(joined["delays"], whole.delays, err_msg=label)
        if connector.array_shape(n_pre, n_post) is not None:  # user positions, for per-synapse arrays
            got = joined["order"] if label != "whole" or whole.order is not None else np.arange(whole.targets.size)
            np.testing.assert_array_equal(got, order, err_msg=label)


def test_from_arrays_rows_sorted_by_target_multapses_in_user_order():
    pre = np.array([2, 0, 2, 2, 0, 2, 1])
    post = np.array([5, 3, 1, 5, 3, 0, 4])
    syn = fs.FromArrays(pre, post).build(3, 6, False, KEY)
    np.testing.assert_array_equal(syn.indptr, [0, 2, 3, 7])
    np.testing.assert_array_equal(syn.targets, [3, 3, 4, 0, 1, 5, 5])
    np.testing.assert_array_equal(syn.order, [1, 4, 6, 5, 2, 0, 3])


def test_values_keyed_by_identity_not_by_rule_or_position():
    """The same synapses (source, target, multapse rank) made by FixedIndegree and by
    FromArrays given in a shuffled order get the same weights and delays."""
    n_pre, n_post = 13, 40
    made = fs.FixedIndegree(25).build(n_pre, n_post, False, KEY, weight=WEIGHT, delay=DELAY)
    sources = np.repeat(np.arange(n_pre), np.diff(made.indptr))
    assert np.unique(sources * n_post + made.targets).size < made.targets.size  # there are multapses
    perm = np.random.default_rng(1).permutation(made.targets.size)
    given = fs.FromArrays(sources[perm], made.targets[perm]).build(n_pre, n_post, False, KEY, weight=WEIGHT,
                                                                  delay=DELAY)
    np.testing.assert_array_equal(given.indptr, made.indptr)
    np.testing.assert_array_equal(given.targets, made.targets)
    np.testing.assert_array_equal(given.weights, made.weights)
    np.testing.assert_array_equal(given.delays, made.delays)


def test_multapses_draw_independent_values():
    """Multapses of one pair get different values (a stream per rank), each of the law."""
    n_pre, n_post = 2, 3000
    syn = fs.FixedIndegree(8).build(n_pre, n_post, False, KEY, weight=Draws(fs.Normal(0.0, 1.0), np.uint64(9)))
    w = syn.weights.astype(np.float64)
    sources = np.repeat(np.arange(n_pre), np.diff(syn.indptr))
    pair = sources * n_post + syn.targets
    first = np.r_[True, pair[1:] != pair[:-1]]
    later = w[~first]
    assert later.size > 10000
    # ranks > 0 against rank 0 of the same pair: uncorrelated, standard normal
    assert np.all(later != np.repeat(w[first], np.diff(np.r_[np.flatnonzero(first), w.size]))[~first])
    assert abs(later.mean()) < 5 / math.sqrt(later.size)
    assert abs(later.std() - 1.0) < 5 / math.sqrt(2 * later.size)


def test_build_rejects_a_bad_range():
    c = fs.FixedIndegree(3)
    for lo, hi in ((-1, 5), (3, 2), (0, 11)):
        with pytest.raises(ValueError, match="target range"):
            c.build(10, 10, False, KEY, lo, hi)
    with pytest.raises(TypeError, match="lo=1.5"):
        c.build(10, 10, False, KEY, 1.5, 4)


# --------------------------------------------------------------------------------------------
# FixedTotalNumber's split of the count over targets, and the binomial variates behind it
# --------------------------------------------------------------------------------------------
def test_split_total_is_exact_and_does_not_depend_on_the_range():
    total, n = 123_457, 1001
    whole = build.split_total(total, n, 0, n, KEY)
    assert whole.sum() == total
    for lo, hi in ((0, 1), (500, 501), (3, 777), (1000, 1001), (17, 17)):
        np.testing.assert_array_equal(build.split_total(total, n, lo, hi, KEY), whole[lo:hi])
    # a multinomial of equal probabilities: counts ~ Binomial(total, 1/n), chi-square n - 1 dof
    e = total / n
    chi2 = float(np.sum((whole - e) ** 2 / e))
    assert abs(chi2 - (n - 1)) <= 5 * math.sqrt(2 * (n - 1))


def _binomial_pmf(n, p, k):
    lgamma = np.vectorize(math.lgamma)
    return np.exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * math.log(p) + (n - k) * math.log1p(-p))


@pytest.mark.parametrize("n, p", [(20, 0.3), (200, 0.1), (59, 0.5), (1000, 0.5), (5000, 0.97), (10**9, 0.5)])
def test_binomial_follows_its_law(n, p):
    """Inversion (n min(p, 1 - p) < 30) and BTPE, both sides of 1/2: chi-square of the
    counts against the binomial probabilities, mean and variance."""
    from numba import njit

    from fastspike.equations import compile_scalar

    draw = compile_scalar(frandom.binomial, njit)

    @njit
    def many(n, p, key, m):
        out = np.empty(m, np.int64)
        for c in range(m):
            out[c] = draw(n, p, key, c)
        return out

    m = 40_000
    x = many(n, p, np.uint64(KEY), m)
    mean, var = n * p, n * p * (1 - p)
    assert abs(x.mean() - mean) <= 5 * math.sqrt(var / m)
    assert abs(x.var() - var) <= 0.05 * var
    lo = int(max(0, mean - 6 * math.sqrt(var) - 1))
    hi = int(min(n, mean + 6 * math.sqrt(var) + 1))
    k = np.arange(lo, hi + 1)
    width = max(1, int(math.sqrt(var) / 4))  # bins of a quarter standard deviation at most
    expected = np.add.reduceat(_binomial_pmf(n, p, k) * m, np.arange(0, k.size, width))
    observed = np.bincount(np.clip(x - lo, 0, hi - lo) // width, minlength=expected.size)[:expected.size]
    keep = expected >= 5
    chi2 = float(np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep]))
    dof = int(keep.sum()) - 1
    assert abs(chi2 - dof) <= 5 * math.sqrt(2 * dof), (chi2, dof)
    assert frandom.binomial(0, 0.5, KEY, 0) == 0 and many(7, 1.0, np.uint64(KEY), 1)[0] == 7
