"""Synchronisation of CPU threads that run a chunk of steps together.

The threads of a CPU network (``fs.Network(threads=T)``) run a whole chunk of steps at once,
one compiled worker per thread (started by the engine; ``nogil``), and meet at a barrier
between the stages of each step (deliveries, updates, the merge of their spike lists), as
the blocks of a GPU's cooperative grid do. A barrier costs a few atomic operations and a short spin (about a
microsecond on two cores), where opening a parallel region per stage cost 50-200 us with
OpenMP's passive wait policy.

Numba has no atomic operations on the CPU: :func:`atomic_add`, :func:`atomic_load` and
:func:`atomic_cas` are LLVM's (sequentially consistent), on an element of an int64 array.

A barrier needs every worker to run at once. :func:`rendezvous` checks this when a chunk
starts: the workers count themselves in, and one of them decides, by a compare-and-swap,
either "go" (all arrived) or "abort" (the first to wait past a spin budget, for workers that
did not start together); an aborted chunk has done no work, and the engine runs the stages
in one Numba parallel region each instead (a small, fused program: the ranges one after
another in one thread).

``sync`` (int64, 8 entries): [0] arrivals at the barrier, [1] its generation, [2] the steps
the region ran, [3] the rendezvous state (0 gathering, 1 go, 2 abort), [4] rendezvous arrivals,
[5] a tiled program's stop, [6] its counter of the blocks of a tile claimed.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ...runtime.numba_cache import njit_cached

__all__ = ["atomic_add", "atomic_load", "atomic_cas", "barrier", "rendezvous", "SYNC_SIZE", "SPIN_BUDGET"]

SYNC_SIZE = 8
SPIN_BUDGET = 1 << 20
"""Spins (after the first few, each yields the processor: a second or more) a worker waits at
the rendezvous for the others before it gives up."""


def _pointer(context, builder, aryty, ary, index):
    array = context.make_array(aryty)(context, builder, ary)
    return cgutils.get_item_pointer(context, builder, aryty, array, [index])


@intrinsic
def atomic_add(typingctx, arr, index, value):
    """``arr[index] += value`` atomically (int64 array); returns the value before."""
    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], args[1])
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")
    return types.int64(arr, index, value), codegen


@intrinsic
def atomic_load(typingctx, arr, index):
    """``arr[index]`` read atomically (int64 array)."""
    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "seq_cst", 8)
    return types.int64(arr, index), codegen


@intrinsic
def atomic_cas(typingctx, arr, index, expected, value):
    """If ``arr[index] == expected``, set it to ``value``, atomically; returns the value before."""
    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], args[1])
        pair = builder.cmpxchg(ptr, args[2], args[3], "seq_cst", "seq_cst")
        return builder.extract_value(pair, 0)
    return types.int64(arr, index, expected, value), codegen


@intrinsic
def yield_cpu(typingctx):
    """Give the processor to another thread (POSIX ``sched_yield``): a worker that waits
    longer than a short spin lets the one it waits for run, where threads outnumber cores."""
    def codegen(context, builder, sig, args):
        fnty = ir.FunctionType(ir.IntType(32), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()
    return types.none(), codegen


SPINS_BEFORE_YIELD = 2000
"""Spins (a few microseconds) a worker waits at a barrier before it yields the processor."""


@njit_cached(nogil=True)
def barrier(sync, workers):
    """Wait until all ``workers`` arrived (a sense-reversing barrier: the last to arrive
    resets the count and starts the next generation); spin briefly, then yield."""
    generation = atomic_load(sync, 1)
    if atomic_add(sync, 0, 1) == workers - 1:
        sync[0] = 0
        atomic_add(sync, 1, 1)
    else:
        spins = 0
        while atomic_load(sync, 1) == generation:
            spins += 1
            if spins > SPINS_BEFORE_YIELD:
                yield_cpu()


@njit_cached(nogil=True)
def rendezvous(sync, workers, budget):
    """True when all ``workers`` run at once (then barriers are safe), False when the region
    must be given up (decided once, for all, by a compare-and-swap)."""
    if atomic_add(sync, 4, 1) == workers - 1:
        atomic_cas(sync, 3, 0, 1)
    spins = 0
    while atomic_load(sync, 3) == 0:
        spins += 1
        if spins > SPINS_BEFORE_YIELD:
            yield_cpu()
        if spins > budget:
            atomic_cas(sync, 3, 0, 2)
    return atomic_load(sync, 3) == 1
