"""Software prefetch for the CPU kernels: LLVM's ``llvm.prefetch`` on an array element.

Numba has no prefetch. :func:`prefetch` (one index), :func:`prefetch_row` (two indices) and
:func:`prefetch_cell` (three) ask the processor to bring the cache line of ``arr[i]``
(``arr[i, j]``, ``arr[i, j, k]``) towards the core for a read, with high temporal locality,
and return at once: a hint that never faults (an index past the end is harmless) and changes
no result. The delivery of delay groups at arrival uses
them for the spikes a few places ahead (:mod:`fastspike.backends.cpu.lower`): each group is a
short run of synapses, so without them every group starts with a cache miss on its offsets
and on its first synapses (B3 at full scale: 0.85x the time on one thread, 7 interleaved
100 ms runs of each in one process).
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch", "prefetch_row", "prefetch_cell"]


def _emit(context, builder, aryty, ary, indices):
    array = context.make_array(aryty)(context, builder, ary)
    ptr = cgutils.get_item_pointer(context, builder, aryty, array, indices)
    i32, i8p = ir.IntType(32), ir.IntType(8).as_pointer()
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                        "llvm.prefetch.p0")
    builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, high locality, data cache
    return context.get_dummy_value()


@intrinsic
def prefetch(typingctx, arr, i):
    """Prefetch the cache line of ``arr[i]`` (for a read)."""
    def codegen(context, builder, sig, args):
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        return _emit(context, builder, sig.args[0], args[0], [index])
    return types.none(arr, i), codegen


@intrinsic
def prefetch_row(typingctx, arr, i, j):
    """Prefetch the cache line of ``arr[i, j]`` (a 2-d array; for a read)."""
    def codegen(context, builder, sig, args):
        indices = [context.cast(builder, a, t, types.intp) for a, t in zip(args[1:], sig.args[1:])]
        return _emit(context, builder, sig.args[0], args[0], indices)
    return types.none(arr, i, j), codegen


@intrinsic
def prefetch_cell(typingctx, arr, i, j, k):
    """Prefetch the cache line of ``arr[i, j, k]`` (a 3-d array; for a read)."""
    def codegen(context, builder, sig, args):
        indices = [context.cast(builder, a, t, types.intp) for a, t in zip(args[1:], sig.args[1:])]
        return _emit(context, builder, sig.args[0], args[0], indices)
    return types.none(arr, i, j, k), codegen
