"""Put the spikes drained from the GPU in the CPU backend's order: by step, then by neuron.

GPU threads append spikes to the record buffers with atomic additions, so within one step
they arrive in any order. Steps arrive in order: every step's spikes are appended before
the next step's (a grid barrier, or the next launch, separates the updates of two steps).
So only each step's neurons need sorting, and a neuron fires at most once per step, so
they are distinct indices in ``[0, n)``: a bucket sort (as many buckets as spikes, by
index) orders them in time linear in the number of spikes. ``numpy.lexsort`` of the whole
drain costs O(m log m) instead: about 0.28 µs per spike on the development machine, which
is 1.5 s per biological second for the 5.3 million spikes of benchmark B4 (see
``benchmarks/bench_spike_order.py`` for both, measured side by side).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ...runtime.numba_cache import njit_cached

__all__ = ["order_spikes", "PARALLEL_MIN", "MAX_THREADS"]

PARALLEL_MIN = 1 << 18
"""Drains of at least this many spikes are ordered by several threads (the kernels release
the GIL), one contiguous range of steps each."""
MAX_THREADS = 8

_SMALL = 32
"""Runs of at most this many indices are sorted by insertion."""


@njit_cached(nogil=True)
def _insertion_sort(a, lo, hi):
    for k in range(lo + 1, hi):
        x = a[k]
        j = k - 1
        while j >= lo and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


@njit_cached(nogil=True)
def _sort_indices(a, n, tmp, start):
    """Sort ``a`` (indices in [0, n)) in place; ``tmp`` and ``start`` are scratch of at least
    ``a.size`` and ``a.size + 1`` entries."""
    m = a.size
    if m <= _SMALL:
        _insertion_sort(a, 0, m)
        return
    scale = m / n  # bucket of index x: int(x * scale), monotone in x
    start[: m + 1] = 0
    for k in range(m):
        start[min(int(a[k] * scale), m - 1) + 1] += 1
    for b in range(m):
        start[b + 1] += start[b]
    for k in range(m):  # scatter into the buckets; start[b] moves to the end of bucket b
        b = min(int(a[k] * scale), m - 1)
        tmp[start[b]] = a[k]
        start[b] += 1
    lo = 0
    for b in range(m):
        hi = start[b]
        if hi - lo <= _SMALL:
            _insertion_sort(tmp, lo, hi)
        else:  # crowded bucket (indices far from uniform): a comparison sort
            tmp[lo:hi] = np.sort(tmp[lo:hi])
        lo = hi
    a[:] = tmp[:m]


@njit_cached(nogil=True)
def _in_order(steps):
    for k in range(1, steps.size):
        if steps[k] < steps[k - 1]:
            return False
    return True


@njit_cached(nogil=True)
def _order_each_step(steps, neurons, n):
    """Sort the neurons of each run of equal steps (``steps`` in order)."""
    m = steps.size
    longest = 0
    a = 0
    while a < m:
        b = a + 1
        while b < m and steps[b] == steps[a]:
            b += 1
        longest = max(longest, b - a)
        a = b
    tmp = np.empty(longest, neurons.dtype)
    start = np.empty(longest + 1, np.int64)
    a = 0
    while a < m:
        b = a + 1
        while b < m and steps[b] == steps[a]:
            b += 1
        _sort_indices(neurons[a:b], n, tmp, start)
        a = b


_POOL: dict[int, ThreadPoolExecutor] = {}


def _threads() -> int:
    return min(os.cpu_count() or 1, MAX_THREADS)


def _pool() -> ThreadPoolExecutor:
    """The worker threads of this process (a forked child makes its own: it has none of its
    parent's threads)."""
    pid = os.getpid()
    if pid not in _POOL:
        _POOL.clear()
        _POOL[pid] = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="fastspike-order")
    return _POOL[pid]


def order_spikes(steps: np.ndarray, neurons: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, neurons)`` ordered by step, then neuron.

    Parameters
    ----------
    steps : numpy.ndarray of int64
        Step of each spike.
    neurons : numpy.ndarray of int32
        Index of the neuron of each spike, in ``[0, n)``; at most one spike per neuron and
        step. Sorted in place when ``steps`` is in order.
    n : int
        Number of neurons the indices refer to.

    Returns
    -------
    steps, neurons : numpy.ndarray
        The same arrays, ``neurons`` ordered in place, when ``steps`` was already in order
        (the GPU's case: linear time; drains of more than ``PARALLEL_MIN`` spikes are split
        at step boundaries among up to ``MAX_THREADS`` threads); else ordered copies
        (``numpy.lexsort``).
    """
    m = steps.size
    if m == 0:
        return steps, neurons
    if not _in_order(steps):
        order = np.lexsort((neurons, steps))
        return steps[order], neurons[order]
    n = max(int(n), 1)
    parts = _threads() if m >= PARALLEL_MIN else 1
    if parts == 1:
        _order_each_step(steps, neurons, n)
        return steps, neurons
    cuts = np.unique(np.searchsorted(steps, steps[np.arange(1, parts) * m // parts]))  # first spike of a step
    bounds = [0, *cuts.tolist(), m]
    list(_pool().map(lambda ab: _order_each_step(steps[ab[0]:ab[1]], neurons[ab[0]:ab[1]], n),
                     zip(bounds[:-1], bounds[1:])))
    return steps, neurons
