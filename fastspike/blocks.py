"""Neuron ranges for CPU threads: a population is split into contiguous blocks, one per thread.

The same split serves every population and projection of a network: a block updates the
neurons of its range and receives the synaptic input of those neurons only, so threads
never write to the same memory and every neuron sees the same operations in the same order
whatever the number of threads. (A distributed run would split neurons into ranges the
same way, with the spike histories exchanged between ranks.)

A run on K processes of T threads splits every population twice (:func:`range_starts`):
into K process ranges (:func:`process_range`), each into T thread ranges, K x T ranges in
all, process r owning ranges r T to (r + 1) T - 1. The process ranges do not depend on T,
so the synapses a process builds (those onto its own neurons) stay valid when the number
of threads changes between runs.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

__all__ = ["NEURONS_PER_LINE", "block_span", "block_starts", "range_starts", "process_range", "balance", "owned_loads"]


NEURONS_PER_LINE = 64
"""Blocks start on a multiple of this many neurons: a cache line of one-byte spike flags
(8 lines of doubles). With each per-neuron array starting on a line
(:mod:`fastspike.runtime.aligned`), two threads never write the same cache line."""


def block_span(n: int, blocks: int) -> int:
    """Neurons per block: ``n / blocks`` rounded up to a whole number of
    :data:`NEURONS_PER_LINE` (threads then write whole cache lines of every per-neuron array;
    the spike flags are also scanned 8 at a time), at least that many; the last blocks may be
    shorter or empty."""
    span = -(-max(n, 1) // blocks)
    return -(-span // NEURONS_PER_LINE) * NEURONS_PER_LINE


def block_starts(n: int, blocks: int) -> np.ndarray:
    """The first neuron of each block of a population of ``n`` neurons, and ``n`` (int64,
    ``blocks + 1`` entries): block b is ``starts[b]`` to ``starts[b + 1] - 1``, and neuron i
    is in block ``i // block_span(n, blocks)``."""
    return np.minimum(np.arange(blocks + 1, dtype=np.int64) * block_span(n, blocks), n)


def process_range(n: int, processes: int, rank: int) -> tuple[int, int]:
    """The neurons ``lo <= i < hi`` of a population of ``n`` that process ``rank`` of
    ``processes`` owns (the blocks of :func:`block_starts`)."""
    starts = block_starts(n, processes)
    return int(starts[rank]), int(starts[rank + 1])


def range_starts(n: int, threads: int, processes: int = 1) -> np.ndarray:
    """The first neuron of each of the ``processes x threads`` ranges of a population of
    ``n`` neurons, and ``n`` (int64): the process ranges of :func:`process_range`, each split
    into ``threads`` blocks as :func:`block_starts` splits a population (every start but ``n``
    a multiple of :data:`NEURONS_PER_LINE`). With one process, ``block_starts(n, threads)``."""
    if processes == 1:
        return block_starts(n, threads)
    outer = block_starts(n, processes)
    out = np.empty(processes * threads + 1, np.int64)
    for r in range(processes):
        lo, hi = int(outer[r]), int(outer[r + 1])
        out[r * threads:(r + 1) * threads] = lo + block_starts(hi - lo, threads)[:-1]
    out[-1] = n
    return out


def balance(loads: dict, ranges: int) -> dict:
    """Each key of ``loads`` (a load: a number) given whole to one of ``ranges`` ranges, the
    heaviest first, each to the range with the least load so far (the lowest index on a tie;
    keys of equal load in ascending order): the range of each key."""
    total = [0.0] * ranges
    owners = {}
    for key in sorted(loads, key=lambda k: (-loads[k], k)):
        r = min(range(ranges), key=lambda i: (total[i], i))
        total[r] += loads[key]
        owners[key] = r
    return owners


def owned_loads(deliveries: Iterable[tuple[int, float, bool]]) -> tuple[dict[int, float], float]:
    """Deliveries of several delays as (target population, load, plastic): the load per target
    population that CPU threads give whole to one thread, and the summed load of the target
    populations that receive a plastic one (their deliveries stay split by range). The rule
    of the lowering (:func:`fastspike.backends.cpu.lower.delivery_owners`) and of the work
    model (:mod:`fastspike.runtime.work`)."""
    by_post: dict[int, float] = {}
    plastic: set[int] = set()
    for post, load, is_plastic in deliveries:
        by_post[post] = by_post.get(post, 0.0) + load
        if is_plastic:
            plastic.add(post)
    owned = {post: load for post, load in by_post.items() if post not in plastic}
    return owned, sum(by_post[post] for post in plastic)
