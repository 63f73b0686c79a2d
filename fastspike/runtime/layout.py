"""The parts of a projection's rows that each thread (or process) delivers: built at run().

A projection stores its rows in one canonical order whatever runs it (CSR by presynaptic
neuron; grouped by delay when the delays vary and a table of group offsets is the smaller
storage; within a row or a group, targets ascending, multapses in draw order: see
:class:`~fastspike.synapses.projection.Projection`). A CPU thread delivers only the synapses
onto its own range of neurons (:mod:`fastspike.blocks`); since targets ascend, its part of a
row, or of a delay group, is one contiguous run, found by bisection. This module computes,
for the ranges of the thread count in use, where each part starts:

- rows not grouped by delay (one delay, or a delay per synapse): ``offsets[j, b]``, the first
  synapse of row j onto range b, relative to the row start (``offsets[j, parts]``: its end);
- rows grouped by delay: ``offsets[j, g, b]``, the first synapse of group g of row j onto
  range b, relative to the row start (``offsets[j, g, parts]``: the end of the group).

Each target still receives the synapses of a row in the stored order, so every thread count
gives the same sums, bit for bit. The tables are the runtime's: a network built once runs
with any thread count (``net.threads = T``), and they cost ``n_pre x (parts + 1)`` (x delay
groups) small integers, only while threads run.
"""
from __future__ import annotations

import numpy as np

from .numba_cache import njit_cached

__all__ = ["row_parts"]


@njit_cached(nogil=True)
def _bisect(targets, lo, hi, value):
    """The first position in ``targets[lo:hi]`` (ascending) whose target is >= ``value``."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if targets[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit_cached(nogil=True)
def _row_parts(indptr, targets, starts, out):
    parts = starts.size - 1
    for j in range(indptr.size - 1):
        a, b = indptr[j], indptr[j + 1]
        for p in range(parts):
            out[j, p] = _bisect(targets, a, b, starts[p]) - a
        out[j, parts] = b - a


@njit_cached(nogil=True)
def _group_parts(indptr, targets, groups, starts, out):
    parts = starts.size - 1
    for j in range(indptr.size - 1):
        a = indptr[j]
        for g in range(groups.shape[1] - 1):
            lo, hi = a + np.int64(groups[j, g]), a + np.int64(groups[j, g + 1])
            for p in range(parts):
                out[j, g, p] = _bisect(targets, lo, hi, starts[p]) - a
            out[j, g, parts] = hi - a


def row_parts(indptr: np.ndarray, targets: np.ndarray, starts: np.ndarray,
              groups: np.ndarray | None = None) -> np.ndarray:
    """The offsets of the parts of every row (or delay group) onto the ranges
    ``starts[b]:starts[b + 1]`` of the targets (see the module docstring); ``groups``: the
    rows' delay-group offsets (``Projection.delay_offsets``), when they are grouped."""
    parts = starts.size - 1
    n_pre = indptr.size - 1
    longest = int(np.diff(indptr).max()) if n_pre else 0
    if groups is None:
        out = np.zeros((n_pre, parts + 1), np.int32 if longest < 1 << 31 else np.int64)
        _row_parts(indptr, targets, starts.astype(np.int64), out)
    else:
        out = np.zeros((n_pre, groups.shape[1] - 1, parts + 1), groups.dtype)
        _group_parts(indptr, targets, groups, starts.astype(np.int64), out)
    return out
