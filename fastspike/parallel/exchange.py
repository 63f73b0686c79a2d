"""What a distributed run exchanges: spikes every smallest delay, records at each drain,
the state at the end of a run.

**Spikes.** Each process runs its own neurons (:func:`fastspike.blocks.process_range`) for
at most ``d`` steps, ``d`` the network's smallest delay in steps
(:meth:`fastspike.Network.exchange_interval`): no spike emitted in those steps is read
before they end (a delivery reads the spikes of ``d`` or more steps ago). The row of each
step in a population's spike history (``SH``/``NH``, :mod:`fastspike.runtime.buffers`)
then lists the spikes of this process's neurons only; :class:`SpikeExchange` sends them
(the counts per population and step, then the neurons) in one fixed-size ``Allgather``,
with an overflow round when needed (see :data:`METHODS`), and writes every row back as the
concatenation of all processes' lists in rank order: since the ranges ascend with the
rank, that is the list one process would have made, in the same order, so every delivery
adds the same values in the same order.

**Records.** Every process samples the same steps; spike records list each process's own
neurons. :func:`gather_spikes` and :func:`gather_samples` bring them to rank 0 in the order
of one process (spikes: by step, then rank, then as listed; samples: each recorded neuron's
column from the process that owns it).

**State.** :func:`gather_state` gives every process the final state of every neuron (each
range from its owner), so that ``pop.v`` after a run is what one process would hold.
Floating-point arrays travel as integers of the same width (bit for bit).
"""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import numpy as np
from numba import typed

from ..blocks import process_range
from ..runtime.numba_cache import njit_cached

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network
    from .comm import Communicator

__all__ = ["SpikeExchange", "gather_spikes", "gather_samples", "gather_state", "as_integers", "METHODS"]

METHODS = ("fixed", "allgatherv")
"""How spikes travel (environment variable ``FASTSPIKE_EXCHANGE``): ``"fixed"`` (the default),
one ``Allgather`` of a fixed width per process with an overflow round (NEST's and
CoreNEURON's scheme), or ``"allgatherv"``, an ``Allgather`` of the lengths then an
``Allgatherv`` (two collectives every time)."""
FIXED_WIDTH = 64
MAX_FIXED_WIDTH = 1 << 20


@njit_cached(nogil=True)
def _pack(shs, nhs, k0, m, mask, out):
    """The counts of every population and step (``P x m``), then the neurons, in that order,
    into ``out``; returns their number (minus it when ``out`` is too short: nothing written)."""
    total = len(shs) * m
    for p in range(len(shs)):
        nh = nhs[p]
        for s in range(m):
            total += nh[(k0 + s) & mask]
    if total > out.size:
        return -total
    pos = len(shs) * m
    for p in range(len(shs)):
        sh = shs[p]
        nh = nhs[p]
        for s in range(m):
            row = (k0 + s) & mask
            c = nh[row]
            out[p * m + s] = c
            for a in range(c):
                out[pos + a] = sh[row, a]
            pos += c
    return total


@njit_cached(nogil=True)
def _unpack(data, start, k0, m, mask, shs, nhs):
    """Every row of the steps k0 .. k0 + m - 1: the lists of all ranks, in rank order (rank
    r's packed values begin at ``data[start[r]]``)."""
    ranks = start.size
    npop = len(shs)
    cursor = np.empty(ranks, np.int64)
    for r in range(ranks):
        cursor[r] = start[r] + npop * m
    for p in range(npop):
        sh = shs[p]
        nh = nhs[p]
        for s in range(m):
            row = (k0 + s) & mask
            t = 0
            for r in range(ranks):
                c = data[start[r] + p * m + s]
                q = cursor[r]
                for a in range(c):
                    sh[row, t + a] = data[q + a]
                cursor[r] = q + c
                t += c
            nh[row] = t


class SpikeExchange:
    """The spike histories of the populations that projections leave, exchanged after
    each piece of at most ``interval`` steps (see the module docstring)."""

    def __init__(self, net: "Network", comm: "Communicator") -> None:
        self.comm = comm
        buffers = net._buffers
        senders = sorted({proj.pre.index for proj in net.projections})
        self.shs = typed.List()
        self.nhs = typed.List()
        for index in senders:
            sh, nh = buffers.spike_history(net.populations[index])
            self.shs.append(sh)
            self.nhs.append(nh)
        self.mask = buffers.ring_length - 1
        self.interval = net.exchange_interval()
        self.method = os.environ.get("FASTSPIKE_EXCHANGE", "fixed")
        if self.method not in METHODS:
            raise ValueError(f"FASTSPIKE_EXCHANGE={self.method!r} is not allowed; choose one of "
                             f"{', '.join(map(repr, METHODS))}")
        self.width = FIXED_WIDTH  # int32 per process in the fixed-size round (grows on overflow)
        self.seconds = 0.0  # spent exchanging
        self.count = 0  # exchanges
        self.overflows = 0  # exchanges that needed a second round
        self.steps = 0  # steps exchanged
        self._out = np.empty(1 << 12, np.int32)  # this process's packed spikes (grows)
        self._send = np.zeros(self.width, np.int32)
        if len(self.shs):  # compile (or load) the packing now, not in the first exchange
            _pack(self.shs, self.nhs, 0, 0, self.mask, self._out)
            _unpack(self._out, np.zeros(comm.size, np.int64), 0, 0, self.mask, self.shs, self.nhs)

    def exchange(self, k0: int, m: int) -> None:
        """Make the rows of steps ``k0`` to ``k0 + m - 1`` hold every process's spikes."""
        if not len(self.shs):
            return
        t0 = time.perf_counter()
        n = _pack(self.shs, self.nhs, k0, m, self.mask, self._out)
        if n < 0:
            self._out = np.empty(2 * -n, np.int32)
            n = _pack(self.shs, self.nhs, k0, m, self.mask, self._out)
        out = self._out[:n]
        if self.method == "allgatherv":
            data, sizes = self.comm.allgatherv(out)
            start = np.zeros(sizes.size, np.int64)
            np.cumsum(sizes[:-1], out=start[1:])
        else:
            data, start = self._fixed(out)
        _unpack(data, start, k0, m, self.mask, self.shs, self.nhs)
        self.seconds += time.perf_counter() - t0
        self.count += 1
        self.steps += m

    def _fixed(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One ``Allgather`` of ``width`` int32 per process (the length, then the first values),
        and only when some process had more, an ``Allgatherv`` of the rest (every process
        knows every length by then); the width then grows, the same on every process.
        Returns the values and where each rank's begin."""
        width = self.width
        send = self._send
        send[0] = out.size
        first = min(out.size, width - 1)
        send[1:1 + first] = out[:first]
        table = self.comm.allgather(send)
        sizes = table[:, 0].astype(np.int64)
        longest = int(sizes.max())
        if longest <= width - 1:  # every rank's values are in its row of the table
            return table.reshape(-1), np.arange(sizes.size, dtype=np.int64) * width + 1
        self.overflows += 1
        rest, _ = self.comm.allgatherv(out[first:], np.maximum(sizes - (width - 1), 0))
        parts, pos = [], 0
        for r in range(sizes.size):
            head = min(int(sizes[r]), width - 1)
            tail = int(sizes[r]) - head
            parts += [table[r, 1:1 + head], rest[pos:pos + tail]]
            pos += tail
        self.width = min(1 << int(longest + longest // 4 + 1).bit_length(), MAX_FIXED_WIDTH)
        self._send = np.zeros(self.width, np.int32)
        start = np.zeros(sizes.size, np.int64)
        np.cumsum(sizes[:-1], out=start[1:])
        return np.concatenate(parts), start


def as_integers(values: np.ndarray) -> np.ndarray:
    """``values`` (1-D, contiguous) seen as integers of the same width (bit for bit)."""
    values = np.ascontiguousarray(values).reshape(-1)
    if values.dtype.kind in "iu" and values.dtype.itemsize in (4, 8):
        return values.view(np.int64 if values.dtype.itemsize == 8 else np.int32)
    if values.dtype.itemsize == 8:
        return values.view(np.int64)
    if values.dtype.itemsize == 4:
        return values.view(np.int32)
    return values.astype(np.int64)


def gather_spikes(comm: "Communicator", steps: np.ndarray, neurons: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Every rank's spikes (steps ascending on each rank) on rank 0, ordered as one process
    lists them: by step, then rank (the ranks' neurons ascend with the rank), then as each
    rank listed them. None on the other ranks."""
    all_steps, counts = comm.allgatherv(np.ascontiguousarray(steps, np.int64))
    all_neurons, _ = comm.allgatherv(np.ascontiguousarray(neurons, np.int32), counts)
    if comm.rank != 0:
        return None
    order = np.argsort(all_steps, kind="stable")
    return all_steps[order], all_neurons[order]


def gather_samples(comm: "Communicator", rows: int, columns: list[np.ndarray], values: dict[str, np.ndarray]
                   ) -> dict[str, np.ndarray] | None:
    """Rank 0: ``rows`` samples of every recorded neuron, each neuron's column from its owner
    (``columns[r]``: the positions among the recorded neurons that rank r owns). None on the
    other ranks."""
    mine = columns[comm.rank]
    counts = np.array([rows * len(c) for c in columns], np.int64)
    out = {} if comm.rank == 0 else None
    for name, v in values.items():
        part = np.ascontiguousarray(v[:rows][:, mine])
        flat, _ = comm.allgatherv(as_integers(part), counts)
        if out is not None:
            whole = np.empty((rows, v.shape[1]), v.dtype)
            pos = 0
            for c in columns:
                size = rows * len(c)
                whole[:, c] = flat[pos:pos + size].view(v.dtype).reshape(rows, len(c))
                pos += size
            out[name] = whole
    return out


def record_columns(net: "Network", population, neurons: np.ndarray) -> list[np.ndarray]:
    """For each rank, the positions in ``neurons`` of the neurons it owns."""
    out = []
    for r in range(net.processes):
        lo, hi = process_range(population.n, net.processes, r)
        out.append(np.flatnonzero((neurons >= lo) & (neurons < hi)))
    return out


def gather_state(net: "Network") -> None:
    """Every process: every population's state, each range from the process that owns it."""
    comm = net.comm
    for pop in net.populations:
        ranges = [process_range(pop.n, comm.size, r) for r in range(comm.size)]
        counts = np.array([hi - lo for lo, hi in ranges], np.int64)
        lo, hi = ranges[comm.rank]
        for values in pop.state.values():
            flat, _ = comm.allgatherv(as_integers(values[lo:hi]), counts)
            values[:] = flat.view(values.dtype)
