"""Compiled construction of connectivity (CSR by presynaptic neuron), weights and delays.

Every draw comes from the counter-based generator of :mod:`fastspike.random`, indexed by
what it decides (row and position), so the connectivity is a pure function of the seed,
and two passes (count, then fill) regenerate the same draws instead of keeping
temporaries: building a projection needs its final arrays and little else.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import random as _random
from ..equations import compile_scalar

_uniform = compile_scalar(_random.uniform, njit)
_normal = compile_scalar(_random.normal, njit)
_ROW = np.uint64(1 << 32)  # draws of row j use counters j * 2**32 + m


@njit(cache=True)
def _draw_index(key, counter, n, exclude):
    """A uniform index in [0, n), or in [0, n) without ``exclude`` when exclude >= 0."""
    if exclude >= 0:
        k = int(_uniform(key, counter) * (n - 1))
        return k + 1 if k >= exclude else k
    return int(_uniform(key, counter) * n)


@njit(cache=True)
def fixed_probability(n_pre, n_post, p, key, same):
    """Each (pre, post) pair connected with probability p (geometric skipping, O(synapses))."""
    counts = np.zeros(n_pre + 1, np.int64)
    indptr = np.zeros(n_pre + 1, np.int64)
    targets = np.empty(0, np.int32)
    if p <= 0.0:
        return indptr, targets
    logq = math.log1p(-p) if p < 1.0 else 0.0
    for fill in range(2):
        if fill:
            indptr = np.cumsum(counts)
            targets = np.empty(indptr[-1], np.int32)
        for j in range(n_pre):
            base = np.uint64(j) * _ROW
            m = np.uint64(0)
            post = -1
            pos = indptr[j] if fill else 0
            while True:
                if p >= 1.0:
                    post += 1
                else:
                    u = _uniform(key, base + m)
                    m += np.uint64(1)
                    gap = math.floor(math.log1p(-u) / logq)
                    post += 1 + int(min(gap, n_post))
                if post >= n_post:
                    break
                if same and post == j:
                    continue
                if fill:
                    targets[pos] = post
                    pos += 1
                else:
                    counts[j + 1] += 1
    return indptr, targets


@njit(cache=True)
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


@njit(cache=True)
def _start_fill(counts, size):
    """After the counting pass (``counts[j + 1]``: synapses of row j): the CSR row pointers,
    each row's next free position, and the targets to fill."""
    indptr = np.cumsum(counts)
    return indptr, indptr[:-1].copy(), np.empty(size, np.int32)


@njit(cache=True)
def _count_or_place(fill, counts, pos, targets, pre, post):
    """Counting pass: one more synapse in row ``pre``; filling pass: put ``post`` there."""
    if fill:
        targets[pos[pre]] = post
        pos[pre] += 1
    else:
        counts[pre + 1] += 1


@njit(cache=True)
def fixed_indegree(n_pre, n_post, k, key, same, multapses):
    """Each post neuron gets k pre neurons drawn uniformly (without itself when not ``same``)."""
    counts = np.zeros(n_pre + 1, np.int64)
    mark = np.zeros(n_pre if not multapses else 0, np.bool_)
    chosen = np.empty(k, np.int64)
    indptr = counts
    pos = counts
    targets = np.empty(0, np.int32)
    for fill in range(2):
        if fill:
            indptr, pos, targets = _start_fill(counts, counts.sum())
        for i in range(n_post):
            _draw_row(key, np.uint64(i) * _ROW, n_pre, i if same else -1, multapses, mark, chosen)
            for c in range(k):
                _count_or_place(fill, counts, pos, targets, chosen[c], i)
    return indptr, targets


@njit(cache=True)
def fixed_outdegree(n_pre, n_post, k, key, same, multapses):
    """Each pre neuron projects to k post neurons drawn uniformly."""
    indptr = np.arange(n_pre + 1).astype(np.int64) * k
    targets = np.empty(n_pre * k, np.int32)
    mark = np.zeros(n_post if not multapses else 0, np.bool_)
    for j in range(n_pre):
        _draw_row(key, np.uint64(j) * _ROW, n_post, j if same else -1, multapses, mark, targets[j * k:(j + 1) * k])
    return indptr, targets


@njit(cache=True)
def fixed_total_number(n_pre, n_post, total, key, same):
    """``total`` synapses with uniformly drawn pre and post neurons (multapses allowed)."""
    counts = np.zeros(n_pre + 1, np.int64)
    indptr = counts
    pos = counts
    targets = np.empty(0, np.int32)
    for fill in range(2):
        if fill:
            indptr, pos, targets = _start_fill(counts, total)
        for c in range(total):
            cc = np.uint64(c) * np.uint64(2)
            pre = _draw_index(key, cc, n_pre, -1)
            post = _draw_index(key, cc + np.uint64(1), n_post, pre if same else -1)
            _count_or_place(fill, counts, pos, targets, pre, post)
    return indptr, targets


@njit(cache=True)
def from_arrays(n_pre, pre, post):
    """CSR of given (pre, post) pairs; ``order[s]`` is the input position of synapse s."""
    counts = np.zeros(n_pre + 1, np.int64)
    for s in range(pre.size):
        counts[pre[s] + 1] += 1
    indptr = np.cumsum(counts)
    pos = indptr[:-1].copy()
    targets = np.empty(pre.size, np.int32)
    order = np.empty(pre.size, np.int64)
    for s in range(pre.size):
        targets[pos[pre[s]]] = post[s]
        order[pos[pre[s]]] = s
        pos[pre[s]] += 1
    return indptr, targets, order


@njit(cache=True)
def _sample(code, a, b, lo, hi, key, counter):
    if code == 1:
        return a + (b - a) * _uniform(key, counter)
    x = a
    for attempt in range(1000):
        x = a + b * _normal(key, counter * np.uint64(1024) + np.uint64(attempt))
        if lo <= x <= hi:
            return x
    return min(max(x, lo), hi)


@njit(cache=True)
def sample_float32(n, code, a, b, lo, hi, key):
    """n draws of a distribution (see :mod:`.distributions`), as float32 (weights)."""
    out = np.empty(n, np.float32)
    for s in range(n):
        out[s] = _sample(code, a, b, lo, hi, key, np.uint64(s))
    return out


@njit(cache=True)
def sample_steps(n, code, a, b, lo, hi, key, dt, out):
    """n delays drawn in ms, rounded to steps of dt, at least one step, into ``out``."""
    largest = 0
    for s in range(n):
        d = max(int(np.rint(_sample(code, a, b, lo, hi, key, np.uint64(s)) / dt)), 1)
        out[s] = min(d, np.iinfo(out.dtype).max)
        largest = max(largest, d)
    return largest


@njit(cache=True)
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

