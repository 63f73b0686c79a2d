"""Compiled construction of connectivity (CSR by presynaptic neuron), weights and delays.

**Target ranges.** Every builder makes the synapses onto one range of targets ``lo <= i < hi``
(the whole population, or the part of one thread or process): CSR by presynaptic neuron
over *all* presynaptic neurons (int64 ``indptr`` of ``n_pre + 1``, int32 global target
indices) holding only the synapses onto the range.

**Canonical row order.** Within a row, synapses are sorted by target, multapses (the same
pair more than once) in the order they were drawn. The per-target rules draw the sources
of each target in ascending target order and place them with one stable counting sort by
presynaptic neuron, which gives that order directly. Any part of a row onto a range of
targets is then one contiguous segment, and building the ranges of any partition of the
targets and joining them row by row gives exactly the build of the whole population.

**Identity.** Every draw is indexed by what it decides, never by where a synapse is stored:
the sources of target i are drawn from counters ``i * 2**32 + m`` (the targets of source j,
for FixedOutdegree, from ``j * 2**32 + m``). The weight and delay of a synapse are drawn
from its *identity* (j, i, r): source j, target i, and its rank r among the synapses of the
same pair (0 but for multapses, ranked in draw order, or the user's order for
FromArrays). Draw ``j * n_post + i`` of the weight (delay) stream, a stream of its own for
each r > 0. As every synapse of a pair belongs to the range of its target, the values
are drawn after the connectivity, walking the CSR rows in storage order (sequential
writes), and are the same whatever range is built.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import random as _random
from ..equations import compile_scalar
from ..runtime.numba_cache import njit_cached
from .distributions import Distribution

# The random functions compiled for the builders, cached on disk like the builders (else
# every process compiles them again on its first build: 0.6-0.8 s). Their own wrappers (not
# compile_scalar's shared ones, which the engine uses uncached), float64 only, so no other
# cached wrapper of the same function shares their cache entries. The builders inline them:
# njit_cached's stamp covers the whole package, so a change of random.py recompiles the
# builders too (Numba's own stamp covers only the builder's file).
_compiled: dict = {}
_uniform = compile_scalar(_random.uniform, njit_cached, _compiled)
_normal = compile_scalar(_random.normal, njit_cached, _compiled)
_mix64 = compile_scalar(_random.mix64, njit_cached, _compiled)
_binomial = compile_scalar(_random.binomial, njit_cached, _compiled)
_ROW = np.uint64(1 << 32)  # draws about target (or source) i use counters i * 2**32 + m
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TREE = np.uint64(0x7EE5B1A7C0DE5EED)  # labels the stream of FixedTotalNumber's splits
_RANK = np.uint64(0xD1B54A32D192ED03)  # labels the value streams of multapses of rank r > 0
MAX_DELAY_STEPS = int(np.iinfo(np.uint16).max)


class Draws(NamedTuple):
    """A distribution drawn once per synapse, from stream ``key`` at the synapse's identity.

    ``dt`` (ms) is given for delays: values are rounded to steps of ``dt``, at least one.
    Without it, values are weights (float32).
    """

    distribution: Distribution
    key: np.uint64
    dt: float | None = None

    def bound(self) -> float:
        """An upper bound of every value the compiled sampler can return."""
        d = self.distribution
        a, b, lo, hi = d.args
        if d.code == 1:
            return max(a, b)
        if math.isfinite(hi):
            return hi
        # the normal quantile of a 53-bit uniform (Acklam) stays below 8.7 standard deviations
        return max(lo, a + 9.0 * b)


class Synapses(NamedTuple):
    """What a connector built for one range of targets (see :meth:`.Connector.build`).

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_pre + 1,)
        Row pointers: the synapses of presynaptic neuron j are ``indptr[j]:indptr[j + 1]``.
    targets : ndarray of int32
        Global index of each synapse's target, ascending within each row (canonical order).
    order : ndarray of int64 or None
        For connectors that take per-synapse arrays: each synapse's position in the user's
        order (None when it is the synapse's own position).
    weights : ndarray of float32 or None
        Drawn weights, when a weight distribution was given.
    delays : ndarray of uint8 or uint16 or None
        Drawn delays in steps (uint8 when all are below 256), when a delay distribution was
        given.
    """

    indptr: np.ndarray
    targets: np.ndarray
    order: np.ndarray | None
    weights: np.ndarray | None
    delays: np.ndarray | None


def finish_delays(delays: np.ndarray, largest: int) -> np.ndarray:
    """Drawn delays as uint8 when every one is below 256 steps; a delay beyond
    ``MAX_DELAY_STEPS`` is an error (it was clipped while drawing)."""
    if largest > MAX_DELAY_STEPS:
        raise ValueError(f"connect: delay of {largest} steps exceeds the maximum of {MAX_DELAY_STEPS} steps")
    if delays.dtype != np.uint8 and largest <= 255:
        return delays.astype(np.uint8)
    return delays


# --------------------------------------------------------------------------------------------
# Values drawn per synapse, keyed by identity
# --------------------------------------------------------------------------------------------
@njit_cached
def _sample(code, a, b, lo, hi, key, counter):
    """Draw ``counter`` of a distribution (code 1: uniform on [a, b); 2: normal of mean a and
    standard deviation b on [lo, hi]) in stream ``key``. A normal value outside [lo, hi] is
    drawn again from the same counter of a stream of its own per attempt (up to 1000
    attempts, then clipped)."""
    if code == 1:
        return a + (b - a) * _uniform(key, counter)
    x = a
    k = key
    for attempt in range(1000):
        x = a + b * _normal(k, counter)
        if lo <= x <= hi:
            return x
        k = _mix64(key ^ (np.uint64(attempt + 1) * _GOLDEN))
    return min(max(x, lo), hi)


_RANK_KEYS = 256  # streams of ranks below this are computed once per call


@njit_cached
def _rank_keys(key):
    """The value stream of multapse rank r, for r < _RANK_KEYS: ``key`` for r = 0, else
    ``mix64(key ^ r * c)``."""
    keys = np.empty(_RANK_KEYS, np.uint64)
    keys[0] = key
    for r in range(1, _RANK_KEYS):
        keys[r] = _mix64(key ^ (np.uint64(r) * _RANK))
    return keys


@njit_cached
def _row_identities(indptr, targets, n_post, j, key, keys, counters, streams):
    """The identity of each synapse of row j: its counter ``j * n_post + i`` and the stream
    of its rank among the multapses of its pair (rows are sorted by target, so a pair's
    synapses are adjacent), into ``counters`` and ``streams``; returns the row length.
    Computed apart from the draws, which then run as a plain loop (measured: the rank's
    branch inside the loop of draws cost a third more time)."""
    start = indptr[j]
    m = indptr[j + 1] - start
    base = np.uint64(j) * np.uint64(n_post)
    r = 0
    for t in range(m):
        i = targets[start + t]
        if t > 0 and i == targets[start + t - 1]:
            r += 1
        else:
            r = 0
        counters[t] = base + np.uint64(i)
        streams[t] = keys[r] if r < _RANK_KEYS else _mix64(key ^ (np.uint64(r) * _RANK))
    return m


@njit_cached
def _longest_row(indptr):
    longest = 0
    for j in range(indptr.size - 1):
        longest = max(longest, indptr[j + 1] - indptr[j])
    return longest


@njit_cached
def _draw_weights(indptr, targets, n_post, code, a, b, lo, hi, key, out):
    """Values of the synapses of a CSR from their identities (see :func:`draw_values`)."""
    keys = _rank_keys(key)
    longest = _longest_row(indptr)
    counters = np.empty(longest, np.uint64)
    streams = np.empty(longest, np.uint64)
    for j in range(indptr.size - 1):
        m = _row_identities(indptr, targets, n_post, j, key, keys, counters, streams)
        start = indptr[j]
        for t in range(m):
            out[start + t] = _sample(code, a, b, lo, hi, streams[t], counters[t])


@njit_cached
def _draw_steps(indptr, targets, n_post, code, a, b, lo, hi, key, dt, top, out):
    """As :func:`_draw_weights`, the values rounded to steps of ``dt`` (at least one) and
    clipped to ``top``; returns the largest step count before clipping."""
    keys = _rank_keys(key)
    longest = _longest_row(indptr)
    counters = np.empty(longest, np.uint64)
    streams = np.empty(longest, np.uint64)
    largest = 0
    for j in range(indptr.size - 1):
        m = _row_identities(indptr, targets, n_post, j, key, keys, counters, streams)
        start = indptr[j]
        for t in range(m):
            d = max(int(np.rint(_sample(code, a, b, lo, hi, streams[t], counters[t]) / dt)), 1)
            out[start + t] = min(d, top)
            largest = max(largest, d)
    return largest


def draw_values(indptr: np.ndarray, targets: np.ndarray, n_post: int, weight: Draws | None,
                delay: Draws | None) -> tuple[np.ndarray | None, np.ndarray | None, int]:
    """Weights (float32) and delays (steps) of the synapses of a CSR whose rows are in
    canonical order, drawn from each synapse's identity (j, i, r): draw ``j * n_post + i``
    of the stream, or, for the r-th multapse of the pair (r > 0), of the stream
    ``mix64(key ^ r * c)``. Returns (weights or None, delays or None, largest delay in
    steps before clipping to the delays' dtype)."""
    weights = delays = None
    largest = 0
    if weight is not None:
        code, (a, b, lo, hi) = weight.distribution.code, weight.distribution.args
        key = np.uint64(weight.key)
        weights = np.empty(targets.size, np.float32)
        _draw_weights(indptr, targets, n_post, code, a, b, lo, hi, key, weights)
    if delay is not None:
        if delay.dt is None or not delay.dt > 0:
            raise ValueError(f"delay draws need the step dt > 0 (ms), got {delay.dt!r}")
        code, (a, b, lo, hi) = delay.distribution.code, delay.distribution.args
        key, dt = np.uint64(delay.key), float(delay.dt)
        # uint8 when the distribution's bound allows (no temporary uint16 copy), else uint16
        for dtype in ((np.uint8, np.uint16) if round(delay.bound() / delay.dt) <= 255 else (np.uint16,)):
            top = int(np.iinfo(dtype).max)
            delays = np.empty(targets.size, dtype)
            largest = _draw_steps(indptr, targets, n_post, code, a, b, lo, hi, key, dt, top, delays)
            if largest <= top:
                break
    return weights, delays, largest


@njit_cached
def all_equal(values):
    """Whether every entry equals the first (stops at the first that differs)."""
    for s in range(1, values.size):
        if values[s] != values[0]:
            return False
    return True


@njit_cached
def draw_range(code, a, b, lo, hi, key, first, stop):
    """Values ``first`` to ``stop - 1`` (float64) of a distribution (see :func:`_sample`) in
    stream ``key``: value i is draw i, so any range gives the same values as the whole."""
    out = np.empty(stop - first, np.float64)
    for i in range(first, stop):
        out[i - first] = _sample(code, a, b, lo, hi, key, np.uint64(i))
    return out


# --------------------------------------------------------------------------------------------
# Per-target rules: sources drawn per target, then one stable counting sort by source
# --------------------------------------------------------------------------------------------
@njit_cached
def _draw_index(key, counter, n, exclude):
    """A uniform index in [0, n), or in [0, n) without ``exclude`` when exclude >= 0."""
    if exclude >= 0:
        k = int(_uniform(key, counter) * (n - 1))
        return k + 1 if k >= exclude else k
    return int(_uniform(key, counter) * n)


@njit_cached
def _draw_row(key, base, n, exclude, multapses, mark, out):
    """Fill ``out`` with indices in [0, n) drawn uniformly from counters ``base``, ``base + 1``,
    ... (never ``exclude``), all different unless ``multapses`` (``mark``: n False flags,
    left all False)."""
    m = np.uint64(0)
    for c in range(out.size):
        while True:
            x = _draw_index(key, base + m, n, exclude)
            m += np.uint64(1)
            if multapses or not mark[x]:
                break
        if not multapses:
            mark[x] = True
        out[c] = x
    if not multapses:
        for c in range(out.size):
            mark[out[c]] = False


@njit_cached
def _place(n_pre, lo, toff, src, counts):
    """CSR by source of the synapses onto targets ``lo``, ``lo + 1``, ...: target ``lo + t``
    has the sources ``src[toff[t]:toff[t + 1]]``, in draw order, and ``counts[j + 1]`` is the
    number of synapses of source j (counted while drawing). A stable counting sort by
    source, so each row holds its targets in ascending order, multapses in draw order.
    Returns (indptr, targets)."""
    total = toff[-1]
    indptr = np.cumsum(counts)
    pos = indptr[:-1].copy()
    targets = np.empty(total, np.int32)
    for t in range(toff.size - 1):
        i = lo + t
        for s in range(toff[t], toff[t + 1]):
            j = src[s]
            q = pos[j]
            pos[j] = q + 1
            targets[q] = i
    return indptr, targets


@njit_cached
def fixed_indegree(n_pre, lo, hi, k, key, same, multapses):
    """Targets lo to hi - 1 each get k sources drawn uniformly (never itself with ``same``;
    all different without ``multapses``), from counters ``i * 2**32 + m`` of target i."""
    toff = np.arange(hi - lo + 1).astype(np.int64) * k
    src = np.empty((hi - lo) * k, np.int32)
    counts = np.zeros(n_pre + 1, np.int64)
    mark = np.zeros(n_pre if not multapses else 0, np.bool_)
    for i in range(lo, hi):
        a = (i - lo) * k
        _draw_row(key, np.uint64(i) * _ROW, n_pre, i if same else -1, multapses, mark, src[a:a + k])
        for s in range(a, a + k):
            counts[src[s] + 1] += 1
    return _place(n_pre, lo, toff, src, counts)


@njit_cached
def _grow(a, n):
    """``a`` (of which the first n entries are used) in an array twice as long."""
    b = np.empty(2 * a.size + 1024, a.dtype)
    b[:n] = a[:n]
    return b


@njit_cached
def fixed_probability(n_pre, lo, hi, p, key, same):
    """Each pair (j, i) with target lo <= i < hi connected with probability p: per target, the
    gaps between its sources are geometric (one uniform per synapse, from counters
    ``i * 2**32 + m``), so the work is O(synapses)."""
    width = hi - lo
    toff = np.zeros(width + 1, np.int64)
    mean = p * n_pre * width
    src = np.empty(int(min(n_pre * width, mean + 6.0 * math.sqrt(mean) + 1024)) if p > 0.0 else 0, np.int32)
    n = 0
    counts = np.zeros(n_pre + 1, np.int64)
    if p > 0.0:
        logq = math.log1p(-p) if p < 1.0 else 0.0
        for i in range(lo, hi):
            base = np.uint64(i) * _ROW
            m = np.uint64(0)
            j = -1
            while True:
                if p >= 1.0:
                    j += 1
                else:
                    u = _uniform(key, base + m)
                    m += np.uint64(1)
                    gap = math.floor(math.log1p(-u) / logq)
                    j += 1 + int(min(gap, n_pre))
                if j >= n_pre:
                    break
                if same and j == i:
                    continue
                if n == src.size:
                    src = _grow(src, n)
                src[n] = j
                counts[j + 1] += 1
                n += 1
            toff[i - lo + 1] = n
    return _place(n_pre, lo, toff, src, counts)


@njit_cached
def split_total(total, n_post, lo, hi, key):
    """How many of ``total`` synapses each target lo to hi - 1 receives, as a multinomial of
    equal probabilities over the n_post targets: a binary tree of conditional binomials
    over target intervals. The root [0, n_post) holds ``total``; a node [a, b) with N gives
    its left half [a, m), m = (a + b) // 2, a Binomial(N, (m - a) / (b - a)) drawn from the
    node's own counter (heap numbering: root 1, children 2 k and 2 k + 1) and the rest to the
    right half. Only the nodes that meet [lo, hi) are visited: O(log n_post + hi - lo)
    binomials, and the counts do not depend on the range."""
    counts = np.zeros(hi - lo, np.int64)
    tkey = _mix64(key ^ _TREE)
    size = 2 * 64 + 2
    sa = np.empty(size, np.int64)
    sb = np.empty(size, np.int64)
    sn = np.empty(size, np.int64)
    sid = np.empty(size, np.int64)
    sp = 0
    sa[0], sb[0], sn[0], sid[0] = 0, n_post, total, 1
    sp = 1
    while sp > 0:
        sp -= 1
        a, b, n, node = sa[sp], sb[sp], sn[sp], sid[sp]
        if n == 0 or b <= lo or a >= hi:
            continue
        if b - a == 1:
            counts[a - lo] = n
            continue
        m = a + (b - a) // 2
        left = _binomial(n, (m - a) / (b - a), tkey, np.uint64(node))
        sa[sp], sb[sp], sn[sp], sid[sp] = m, b, n - left, 2 * node + 1
        sa[sp + 1], sb[sp + 1], sn[sp + 1], sid[sp + 1] = a, m, left, 2 * node
        sp += 2
    return counts


@njit_cached
def fixed_total_number(n_pre, n_post, lo, hi, total, key, same):
    """``total`` synapses between uniformly drawn pairs (multapses allowed): target i gets
    ``split_total(...)[i]`` of them, each from a source drawn uniformly (never itself with
    ``same``) from counter ``i * 2**32 + c``. So every pair is equally likely, as when
    drawing pre and post of each synapse, but a range draws only its own synapses."""
    counts = split_total(total, n_post, lo, hi, key)
    toff = np.zeros(hi - lo + 1, np.int64)
    for t in range(hi - lo):
        toff[t + 1] = toff[t] + counts[t]
    src = np.empty(toff[-1], np.int32)
    per_source = np.zeros(n_pre + 1, np.int64)
    for i in range(lo, hi):
        base = np.uint64(i) * _ROW
        a = toff[i - lo]
        for c in range(counts[i - lo]):
            j = _draw_index(key, base + np.uint64(c), n_pre, i if same else -1)
            src[a + c] = j
            per_source[j + 1] += 1
    return _place(n_pre, lo, toff, src, per_source)


# --------------------------------------------------------------------------------------------
# Per-source and given rules
# --------------------------------------------------------------------------------------------
@njit_cached
def fixed_outdegree(n_pre, n_post, lo, hi, k, key, same, multapses):
    """Each source j projects to k targets drawn uniformly from counters ``j * 2**32 + m``;
    only those in [lo, hi) are kept, so every range walks all n_pre k draws (as NEST does).
    A row is sorted by target, multapses in draw order. A range other than the whole
    population draws twice (count, then fill)."""
    full = lo == 0 and hi == n_post
    mark = np.zeros(n_post if not multapses else 0, np.bool_)
    drawn = np.empty(k, np.int64)
    order = np.empty(k, np.int64)
    counts = np.zeros(n_pre + 1, np.int64)
    for j in range(n_pre):
        if full:
            counts[j + 1] = k
        else:
            _draw_row(key, np.uint64(j) * _ROW, n_post, j if same else -1, multapses, mark, drawn)
            for c in range(k):
                if lo <= drawn[c] < hi:
                    counts[j + 1] += 1
    indptr = np.cumsum(counts)
    targets = np.empty(indptr[-1], np.int32)
    for j in range(n_pre):
        _draw_row(key, np.uint64(j) * _ROW, n_post, j if same else -1, multapses, mark, drawn)
        m = 0
        for c in range(k):
            if lo <= drawn[c] < hi:
                order[m] = drawn[c] * k + c  # sorted by target, then draw
                m += 1
        row = np.sort(order[:m])
        a = indptr[j]
        for t in range(m):
            targets[a + t] = row[t] // k
    return indptr, targets


@njit_cached
def from_arrays(n_pre, pre, post, lo, hi):
    """CSR of the given pairs ``pre[s] -> post[s]`` with lo <= post[s] < hi: stable counting
    sorts by target, then by source, so rows are sorted by target with multapses in the
    user's order. ``order[q]`` is the input position of stored synapse q."""
    width = hi - lo
    start = np.zeros(width + 1, np.int64)
    for s in range(post.size):
        t = post[s] - lo
        if 0 <= t < width:
            start[t + 1] += 1
    for t in range(width):
        start[t + 1] += start[t]
    kept = start[width]
    by_target = np.empty(kept, np.int64)
    for s in range(post.size):
        t = post[s] - lo
        if 0 <= t < width:
            by_target[start[t]] = s
            start[t] += 1
    counts = np.zeros(n_pre + 1, np.int64)
    for q in range(kept):
        counts[pre[by_target[q]] + 1] += 1
    indptr = np.cumsum(counts)
    pos = indptr[:-1].copy()
    targets = np.empty(kept, np.int32)
    order = np.empty(kept, np.int64)
    for q in range(kept):
        s = by_target[q]
        j = pre[s]
        r = pos[j]
        pos[j] = r + 1
        targets[r] = post[s]
        order[r] = s
    return indptr, targets, order


@njit_cached
def all_to_all(n_pre, n_post, lo, hi, no_self, with_order):
    """Every source to every target lo to hi - 1 (not itself with ``no_self``); ``order``
    (when ``with_order``): the position ``j * n_post + i`` of each pair in the (n_pre, n_post)
    matrix of per-synapse values."""
    counts = np.zeros(n_pre + 1, np.int64)
    for j in range(n_pre):
        counts[j + 1] = hi - lo - (1 if no_self and lo <= j < hi else 0)
    indptr = np.cumsum(counts)
    targets = np.empty(indptr[-1], np.int32)
    order = np.empty(indptr[-1] if with_order else 0, np.int64)
    q = 0
    for j in range(n_pre):
        for i in range(lo, hi):
            if no_self and i == j:
                continue
            targets[q] = i
            if with_order:
                order[q] = np.int64(j) * n_post + i
            q += 1
    return indptr, targets, order


@njit_cached
def group_rows(indptr, targets, weights, delays, dmin, ndel, span, offsets, move_delays):
    """Reorder each row's synapses by the block of their target (block b holds the targets
    ``b * span`` to ``(b + 1) * span - 1``; CPU threads, one block per thread), then, with
    ``ndel`` > 1, by delay (``dmin`` to ``dmin + ndel - 1`` steps): a stable counting sort.
    Fills ``offsets[j, b, g]``: the start of the synapses of block b and delay ``dmin + g`` in
    row j, relative to the row start (``offsets[j, b, ndel]``: the end of block b's synapses).
    With one block (``offsets.shape[1] == 1``, ``span`` above every target) this groups rows
    by delay only. ``weights`` of length 1 (uniform) are left alone; ``delays`` are reordered
    only with ``move_delays`` (they are stored per synapse; otherwise the offsets replace
    them). Stable: the synapses of one target and delay keep their drawn order, so each
    target receives its inputs in the same order whatever the number of blocks."""
    blocks = offsets.shape[1]
    keys = blocks * ndel
    count = np.zeros(keys + 1, np.int64)
    longest = 0
    for j in range(indptr.size - 1):
        longest = max(longest, indptr[j + 1] - indptr[j])
    tmp_t = np.empty(longest, targets.dtype)
    tmp_w = np.empty(longest if weights.size > 1 else 0, weights.dtype)
    tmp_d = np.empty(longest if move_delays else 0, delays.dtype)
    tmp_k = np.empty(longest, np.int64)
    for j in range(indptr.size - 1):
        a, b = indptr[j], indptr[j + 1]
        count[:] = 0
        for s in range(a, b):
            k = np.int64(targets[s]) // span * ndel if blocks > 1 else 0  # no division with one block
            k += np.int64(delays[s]) - dmin if ndel > 1 else 0
            tmp_k[s - a] = k
            count[k + 1] += 1
        for k in range(keys):
            count[k + 1] += count[k]
        for c in range(blocks):
            for g in range(ndel + 1):
                offsets[j, c, g] = count[c * ndel + g]
        for s in range(a, b):
            k = tmp_k[s - a]
            p = count[k]
            count[k] = p + 1
            tmp_t[p] = targets[s]
            if weights.size > 1:
                tmp_w[p] = weights[s]
            if move_delays:
                tmp_d[p] = delays[s]
        targets[a:b] = tmp_t[: b - a]
        if weights.size > 1:
            weights[a:b] = tmp_w[: b - a]
        if move_delays:
            delays[a:b] = tmp_d[: b - a]

