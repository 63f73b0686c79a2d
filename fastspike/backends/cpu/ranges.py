"""The serial join of CPU threads' spike lists, compiled once for every network.

With ``fs.Network(threads=T)`` each thread's range of a population lists the step's spikes
from the range's own start (``starts[b]``, its first neuron) in the record buffers and in the
spike history row; after the update, worker 0 moves each range's list down to follow those
of the ranges before it, in range order (:mod:`fastspike.backends.cpu.lower`: the *merge*).
These two functions do that move for any population. They are part of the package, cached on
disk once for each combination of array types, so that a threaded network's generated
worker only calls them: the loops, rendered into every worker, cost its first compile about
half a second (B1 CUBA on two threads: 4.2 s with them, 3.6 s without).
"""
from __future__ import annotations

from ...runtime.numba_cache import njit_cached

__all__ = ["join_entries", "join_row"]


@njit_cached(nogil=True)
def join_entries(steps, neurons, first, counts, starts, blocks):  # pragma: no cover - compiled
    """Move each range's ``counts[b]`` (step, neuron) entries, listed at ``first + starts[b]`` in
    the record buffers ``steps`` and ``neurons``, to follow those of the ranges before it from
    ``first`` on; returns the entries in all. A range lists at most as many entries as it has
    neurons, so entries only move down."""
    total = 0
    for b in range(blocks):
        count = counts[b]
        start = starts[b]
        if start != total:
            for x in range(count):
                steps[first + total + x] = steps[first + start + x]
                neurons[first + total + x] = neurons[first + start + x]
        total += count
    return total


@njit_cached(nogil=True)
def join_row(history, slot, counts, starts, blocks):  # pragma: no cover - compiled
    """The same for the spike history row ``history[slot]``: each range's ``counts[b]``
    neurons, listed from ``starts[b]``, moved to follow those of the ranges before it; returns
    the spikes of the step."""
    total = 0
    for b in range(blocks):
        count = counts[b]
        start = starts[b]
        if start != total:
            for x in range(count):
                history[slot, total + x] = history[slot, start + x]
        total += count
    return total
