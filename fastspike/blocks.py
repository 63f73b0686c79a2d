"""Neuron ranges for CPU threads: a population is split into contiguous blocks, one per thread.

The same split serves every population and projection of a network: a block updates the
neurons of its range and receives the synaptic input of those neurons only, so threads
never write to the same memory and every neuron sees the same operations in the same order
whatever the number of threads. (A distributed run would split neurons into ranges the
same way, with the spike histories exchanged between ranks.)
"""
from __future__ import annotations

import numpy as np

__all__ = ["block_span", "block_starts"]


def block_span(n: int, blocks: int) -> int:
    """Neurons per block: ``n / blocks`` rounded up to a whole number of 8 (the spike flags
    are scanned 8 at a time), at least 8; the last blocks may be shorter or empty."""
    span = -(-max(n, 1) // blocks)
    return -(-span // 8) * 8


def block_starts(n: int, blocks: int) -> np.ndarray:
    """The first neuron of each block of a population of ``n`` neurons, and ``n`` (int64,
    ``blocks + 1`` entries): block b is ``starts[b]`` to ``starts[b + 1] - 1``, and neuron i
    is in block ``i // block_span(n, blocks)``."""
    return np.minimum(np.arange(blocks + 1, dtype=np.int64) * block_span(n, blocks), n)
