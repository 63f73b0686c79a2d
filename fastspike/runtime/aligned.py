"""Arrays that start on a cache line of their own and end on a whole line.

NumPy starts an array where malloc puts it, 16 bytes into a 64-byte cache line. The neurons'
vector loops then load and store 64 bytes (8 doubles with AVX-512) across two lines at every
instruction. And CPU threads update the neurons of a population in contiguous ranges
(:mod:`fastspike.blocks`), writing their ranges' part of each per-neuron array every step:
two cores that write the same line take it from each other at every write ("false
sharing"), where a range ended in the middle of a line or one array's last line (the last
thread's) was the next array's first (the first thread's). With its arrays on lines of their
own, B1 (4000 neurons, in the L2 cache) took 0.76-0.79x the time on one thread, and two
threads 0.80x (README, *Per-neuron arrays on cache lines of their own*).

The per-neuron arrays the step reads and writes are therefore allocated here: the first
element on a line boundary (``CACHE_LINE`` bytes), and the bytes after the last element, to
the end of its line, left to no other array. They are ordinary C-contiguous NumPy arrays
(views of a byte buffer they keep alive).
"""
from __future__ import annotations

import numpy as np

__all__ = ["CACHE_LINE", "empty", "zeros", "full", "copy"]

CACHE_LINE = 64
"""Bytes of a cache line (x86-64 and most ARM cores)."""


def empty(shape: int | tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on a cache line and whose last
    line holds no other array's data."""
    dtype = np.dtype(dtype)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    padded = -(-max(nbytes, 1) // CACHE_LINE) * CACHE_LINE
    raw = np.empty(padded + CACHE_LINE, np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def zeros(shape: int | tuple[int, ...], dtype) -> np.ndarray:
    """:func:`empty`, filled with zeros."""
    return full(shape, 0, dtype)


def full(shape: int | tuple[int, ...], value, dtype) -> np.ndarray:
    """:func:`empty`, filled with ``value``."""
    out = empty(shape, dtype)
    out[...] = value
    return out


def copy(values: np.ndarray, dtype=None) -> np.ndarray:
    """``values`` (converted to ``dtype`` when given) in a new array of :func:`empty`."""
    values = np.asarray(values)
    out = empty(values.shape, values.dtype if dtype is None else dtype)
    out[...] = values
    return out
