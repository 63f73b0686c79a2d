"""Lower a step program for the CPU: serial loops, or each thread's range of neurons.

**Serial** (one thread). A neuron update is a ``for`` loop over the neurons whose body stays
branch-free so that it vectorizes: it writes each neuron's spike condition to a flag array
``F`` (padded to whole words of 8), and a second, sparse pass scans the flags 8 at a time
(``F8``: most words are 0; a population of at most :data:`SCAN_STOP_MAX_NEURONS` counts its
flags in the loop and the pass stops at that count) and runs, for the few neurons that fired,
the reset and the emission (appending to the record buffers and to the spike history row of
the step). A
delivery loops over the spikes of its history row and each spike's synapses (group by group
when rows are grouped by delay); an accumulation is ``+=``; a memo (a value of one neuron and
step) is computed once per step and read back from its arrays.

**Tiles** (populations that nothing couples: :func:`tileable`). The populations
advance :data:`TILE_STEPS` steps at a time, each in blocks of :data:`TILE_NEURONS` neurons
(ranges, as below) that run through all the tile's steps while their state stays in the
cache (CPU threads take whole blocks). A spike sets a bit in the bitmap of two tiles
(``TB<r>``: a row of bits per step); the merge emits a step's bits in the order of neurons
into the record buffers once its tile is done.

**Ranges** (CPU threads, ``threads`` > 1; NEST's scheme). Every population is split into
``threads`` contiguous ranges (:mod:`fastspike.blocks`); a call runs for one range
(``block``): it updates the neurons of its range and lists their spikes from the start of its
range in the spike history and the record buffers; a serial *merge* joins the ranges' lists
once every range ran. A delivery adds only the synapses onto its own range: targets ascend
in a row (or a delay group), so that part is one run, whose offsets the runtime computes for
the thread count (``BO``, or ``DP`` per delay group: :mod:`fastspike.runtime.layout`); each
target receives its inputs in the stored order, as with one thread, so results do not
depend on the number of threads. A memo is evaluated where it is needed (ranges share the
neurons it is of), without its arrays.

**Owned deliveries** (threads in one process). Deliveries of several delays (ring buffers,
delay groups read at arrival) are bound by the memory: split by target range, every thread
walks every spike's delay groups and its own offsets table (``DP``) for a few synapses each,
and two threads ran the microcircuit slower than one. Instead each target population's
deliveries of several delays go whole to one range (:func:`delivery_owners`: the populations,
heaviest first, each to the range with the fewest synapses so far), whose thread runs them as
one thread would (``if block == OW[0]``), in the step's order: each target still receives its
inputs in the stored order, so the results stay those of one thread. Since populations fire
at different rates, the engine balances them anew between chunks by the synaptic events of
the spikes in their histories (:func:`rebalance`; ``OW`` is data, nothing recompiles). A
population with a plastic delivery of several delays keeps the split by range for all of
them (a plastic delivery changes its synapses, which the learn kernels of every range read).
"""
from __future__ import annotations

import ast
import re
from typing import NamedTuple

import numpy as np

from ...blocks import balance, owned_loads, range_starts
from ...ir import syntax as S
from ...ir.nodes import (Accumulate, Call, CountAbove, Delivery, Fires, If, Learning, Memo, NeuronUpdate, Sampling,
                         SpikeReplay, Split, StepProgram, Store, Transmit, stride_of)
from ...runtime import aligned
from ..lowering import Intrinsics, Lowered, LoweredKernel, memo_arrays, memo_cached, memo_direct

__all__ = ["lower_program", "delivery_owners", "owned_deliveries", "rebalance", "OwnedDelivery", "BLOCK_LOOP",
           "OWNED_SCHEMES", "tileable", "tile_starts", "TILE_STEPS", "TILE_NEURONS"]

BLOCK_LOOP = "np.uint64(lo_), np.uint64(hi_)"
"""CPU threads: the bounds of a range's neuron loop. An unsigned index: Numba wraps negative
indices around, and a signed index from an array-loaded start keeps that select in the loop
(LLVM cannot prove it non-negative), which stops the loop vectorizing (3.5x slower)."""

_INTRINSICS = Intrinsics({
    "search_right": lambda a: S.expr(f"np.searchsorted({ast.unparse(a[0])}, {ast.unparse(a[1])}, side='right')"),
    "search_left": lambda a: S.expr(f"np.searchsorted({ast.unparse(a[0])}, {ast.unparse(a[1])})"),
})


class _UnsignedIndices(ast.NodeTransformer):
    """Index elements that are never negative but that LLVM cannot prove so, made unsigned.
    Numba wraps a negative index around with a select per access, which LLVM drops for a loop
    counter from 0 but not for a value loaded from an array. These are: the targets
    ``TG[s_]`` (in ``A[TG[s_]]``, ``R[q_, TG[s_]]``, ``Y_y[pr_, TG[s_]]``) and the gathered
    synapses ``GS[...]``; the synapse ``s_`` (a loop from offsets read from ``IP``/``DO``, or
    ``CI[c_]``), the presynaptic neuron ``j_`` (``SH[r_, a_]``), ``pj_``, a plastic synapse's
    delay row ``pr_`` (``DL[s_] - dmin``), ``e_`` (``d_ - LM[1]``) and a memo's index locals;
    and a ring row masked by ``ring_length - 1`` (per-synapse delays). The variables
    themselves stay signed (unsigned ones would turn sums with signed integers into floats).
    In the delivery's loop per synapse it is a tenth of the time (B2: 0.87-0.89x)."""

    ARRAYS = frozenset({"TG", "GS"})
    NAMES = frozenset({"s_", "j_", "pj_", "pr_", "e_"})
    MEMO_INDEX = re.compile(r"mi[0-9]+_")  # a memo's index bound to a local (lowering.memo_cached)
    RING_MASK = "ring_length - 1"

    def _loaded_index(self, e: ast.expr) -> bool:
        if isinstance(e, ast.Subscript):
            return isinstance(e.value, ast.Name) and e.value.id in self.ARRAYS
        if isinstance(e, ast.BinOp):
            return isinstance(e.op, ast.BitAnd) and ast.unparse(e.right) == self.RING_MASK
        return isinstance(e, ast.Name) and (e.id in self.NAMES or self.MEMO_INDEX.fullmatch(e.id) is not None)

    def visit_Subscript(self, node: ast.Subscript) -> ast.Subscript:
        self.generic_visit(node)
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        wrapped = [S.expr(f"np.uint64({ast.unparse(e)})") if self._loaded_index(e) else e for e in elements]
        if any(w is not e for w, e in zip(wrapped, elements)):
            node.slice = ast.Tuple(wrapped, ast.Load()) if isinstance(node.slice, ast.Tuple) else wrapped[0]
        return node


_UNSIGNED = _UnsignedIndices()


OWNED_SCHEMES = frozenset({"arrival_groups", "ring_groups", "ring_delays"})
"""The delivery schemes (several delays) that CPU threads run whole, one target population per
thread, instead of each thread its part of every row (see the module's docstring)."""


def lower_program(prog: StepProgram, threads: int = 1, processes: int = 1, tiled: bool = False) -> list[Lowered]:
    """The calls of ``prog`` lowered serially (``threads`` == 1 and ``processes`` == 1) or for
    the ``processes x threads`` ranges of :func:`fastspike.blocks.range_starts` (a process
    runs its own ``threads`` of them); ``tiled`` (one thread, a :func:`tileable` program):
    for tiles of steps run block by block (see :func:`tileable`)."""
    owners = delivery_owners(prog, threads) if threads > 1 and processes == 1 else {}
    return [_lower_call(call, threads, processes, owners.get(k), tiled) for k, call in enumerate(prog.calls)]


TILE_STEPS = 32
"""The steps of a tile (a power of 2; :func:`tileable`)."""
TILE_NEURONS = 4096
"""The neurons of a tile's block (a multiple of 64): a block's state stays in the L2 cache for
the tile's steps (B4: 4096 x 32 steps 0.78x the time of whole steps, 16384 x 16 0.80x)."""


def tileable(prog: StepProgram, threads: int = 1, processes: int = 1) -> bool:
    """Whether ``prog`` runs in tiles: :data:`TILE_STEPS` steps at a time, each population
    block by block (:data:`TILE_NEURONS` neurons) through all the tile's steps, so that a
    block's state stays in the cache instead of streaming the whole population through memory
    at every step. That is the step's result only when no neuron reads another's state within
    a step, and nothing reads a population's state between steps: one process, every call a
    neuron update (no projections, no spike sources, no state records), no spike history
    kept, and few enough calls to be fused. CPU threads take whole blocks of a tile (the
    lowering does not depend on their number). Spikes are recorded into a bitmap per tile
    and emitted in the order of whole steps (by step, then neuron) after it: the records are
    the same."""
    from .compiler import FUSE_MAX_CALLS

    return (processes == 1 and 0 < len(prog.calls) <= FUSE_MAX_CALLS
            and all(isinstance(call.kernel.work, NeuronUpdate) and not call.kernel.work.emission.history
                    for call in prog.calls))


_DE_BRUIJN = 0x03F79D71B4CB0A89
"""A de Bruijn sequence of 64 bits: the top 6 bits of ``(1 << k) * _DE_BRUIJN`` (wrapping) differ
for each k, so a table finds the position of a word's lowest bit set (``b & -b``)."""
_DE_BRUIJN_POSITIONS = np.zeros(64, np.int64)
_DE_BRUIJN_POSITIONS[[((_DE_BRUIJN << k) & (2**64 - 1)) >> 58 for k in range(64)]] = np.arange(64)


def tile_starts(n: int) -> np.ndarray:
    """The first neuron of each block of a tiled population of ``n`` neurons, and ``n``."""
    return np.array([*range(0, n, TILE_NEURONS), n] if n else [0, 0], np.int64)


def delivery_owners(prog: StepProgram, ranges: int) -> dict[int, int]:
    """The range (0 to ``ranges - 1``) that runs each delivery of several delays (the
    positions of the calls in ``prog.calls``), whole: all of one target population's to the
    same range, the populations balanced by the synapses so delivered
    (:func:`fastspike.blocks.balance`). Populations with a plastic delivery of several delays
    are left out (split by range as before)."""
    calls = [(k, call.kernel.work) for k, call in enumerate(prog.calls)
             if isinstance(call.kernel.work, Delivery) and call.kernel.work.scheme in OWNED_SCHEMES]
    owned, _ = owned_loads((work.post, work.n_synapses, work.plastic) for _, work in calls)
    owner = balance(owned, ranges)
    return {k: owner[work.post] for k, work in calls if work.post in owner}


class OwnedDelivery(NamedTuple):
    """A delivery that one range runs whole (:func:`delivery_owners`), as its engine sees it:
    the target population, the one-entry array of the owning range (``OW``, which the engine
    may rewrite between chunks), the presynaptic spike history's counts per row (``NH``) and
    the mean synapses per presynaptic neuron."""

    post: int
    owner: np.ndarray
    spike_counts: np.ndarray
    synapses_per_spike: float


def owned_deliveries(prog: StepProgram, lowered: list[Lowered]) -> list[OwnedDelivery]:
    """The deliveries of ``lowered`` (the calls of ``prog``, lowered) that one range runs whole."""
    out = []
    for call, low in zip(prog.calls, lowered):
        params = low.kernel.params
        if "OW" in params:
            work = call.kernel.work
            out.append(OwnedDelivery(work.post, low.arrays[params.index("OW")], low.arrays[params.index("NH")],
                                     work.n_synapses / max(work.n_pre, 1)))
    return out


def rebalance(owned: list[OwnedDelivery], ranges: int) -> None:
    """Give each target population's owned deliveries to the ranges anew, balancing the
    synaptic events of the spikes in the presynaptic histories (their last ring length of
    steps: a population's recent rate); unchanged while no spike is there. The owners change
    who adds, not what or in which order: the results do not depend on them."""
    loads: dict[int, float] = {}
    for d in owned:
        loads[d.post] = loads.get(d.post, 0.0) + d.synapses_per_spike * float(d.spike_counts.sum())
    if sum(loads.values()) > 0:
        owner = balance(loads, ranges)
        for d in owned:
            d.owner[0] = owner[d.post]


class _Call:
    """The lowering of one call: the kernel's parameters and arrays, plus the lowering's own."""

    def __init__(self, call: Call, threads: int, processes: int = 1, tiled: bool = False) -> None:
        self.call, self.threads, self.processes, self.tiled = call, threads, processes, tiled
        self.blocks = threads * processes  # the ranges of every population
        k = call.kernel
        dropped = memo_arrays(k.work) if self.blocks > 1 else set()  # memos evaluated directly
        kept = [(v, a) for v, a in zip(k.vars, call.arrays) if v.name not in dropped]
        self.params = [v.name for v, _ in kept]
        self.arrays = [a for _, a in kept]
        self.bound = dict(zip(self.params, self.arrays))
        self.persistent = {v.name for v, _ in kept if v.persistent}
        self.merge: list[ast.stmt] = []
        self.count_fired = False  # Fires also counts the neurons that fired (nf_): see _neuron_update

    def array(self, name: str, value: np.ndarray) -> str:
        self.params.append(name)
        self.arrays.append(np.ascontiguousarray(value))
        self.bound[name] = self.arrays[-1]
        return name

    def statements(self, items: list) -> list[ast.stmt]:
        """Lower the step program's statements (and plain syntax trees) to syntax trees."""
        out: list[ast.stmt] = []
        for st in items:
            st = S.clone(st)  # the program stays as it is: passes rewrite the lowered trees
            if isinstance(st, Store):
                out.append(ast.Assign([_target(st.var, st.index)], st.value, lineno=0))
            elif isinstance(st, Accumulate):
                out.append(ast.AugAssign(_target(st.var, st.index), ast.Add(), st.value))
            elif isinstance(st, CountAbove):  # branch-free: the neuron loop vectorizes
                size = self.bound[st.table].size
                value = ast.unparse(st.value)
                out.append(S.assign(st.target, " + ".join(["0", *(f"({value} > {st.table}[{k}])" for k in range(size))])))
            elif isinstance(st, If):
                out.append(ast.If(st.test, self.statements(st.body), self.statements(st.orelse)))
            elif isinstance(st, Memo):  # one thread: once per step and index; ranges share the index
                out += memo_direct(st) if self.blocks > 1 else memo_cached(st)
            elif isinstance(st, Fires):
                if self.count_fired:  # and count the neurons that fired
                    out += [S.assign("f_", st.test), *S.stmts("F[i] = f_\nnf_ += f_")]
                else:
                    out.append(ast.Assign([S.subscript("F", "i", store=True)], st.test, lineno=0))
            elif isinstance(st, Split):  # taken by _split_loop, or one loop
                continue
            elif isinstance(st, ast.stmt):
                out.append(st)
            else:  # pragma: no cover - a statement kind without a CPU lowering
                raise TypeError(f"CPU lowering: no rule for {type(st).__name__}")
        return [_INTRINSICS.visit(s) for s in out]


def _target(var: str, index: tuple) -> ast.Subscript:
    return S.subscript(var, *index, store=True)


def _lower_call(call: Call, threads: int, processes: int = 1, owner: int | None = None, tiled: bool = False
                ) -> Lowered:
    c = _Call(call, threads, processes, tiled)
    work = call.kernel.work
    if isinstance(work, NeuronUpdate):
        body = _neuron_update(c, work)
    elif isinstance(work, SpikeReplay):
        body = _spike_replay(c, work)
    elif isinstance(work, Delivery) and owner is not None:  # whole, by the range that owns it
        c.array("OW", np.array([owner], np.int64))
        body = [ast.If(S.expr("block == OW[0]"), _delivery(c, work, whole=True), [])]
    elif isinstance(work, Delivery):
        body = _delivery(c, work)
    elif isinstance(work, Sampling):
        body = _sampling(c, work)
    elif isinstance(work, Learning):
        body = _learning(c, work)
    else:  # pragma: no cover
        raise TypeError(f"CPU lowering: no rule for {type(work).__name__}")
    body = [_UNSIGNED.visit(st) for st in body]
    k = call.kernel
    prelude = [_INTRINSICS.visit(S.clone(s)) for s in k.prelude]
    kernel = LoweredKernel(k.kind, k.stage, c.params, prelude, body, dict(k.functions), c.merge,
                           persistent=frozenset(c.persistent))
    return Lowered(kernel, c.arrays, call.n)


# -- spikes -----------------------------------------------------------------------------------
def _emission(c: _Call, emission, head: list, tail: list) -> list[ast.stmt]:
    """The lines that emit neuron ``i``'s spike: into the record buffers and the spike
    history row of the step. With thread ranges, each range lists from its start ``lo_`` and
    the merge joins the lists (``head``/``tail``: lines before and after the range's work)."""
    lines: list[str] = []
    ranged = c.blocks > 1
    for r, rec in enumerate(emission.records):
        if c.tiled:  # a bit in the tile's bitmap; the merge emits a step's bits in the order of neurons
            bits = c.array(f"TB{r}", np.zeros((2 * TILE_STEPS, -(-c.call.n // 64)), np.uint64))  # two tiles
            store = [f"{bits}[step & {2 * TILE_STEPS - 1}, i >> 6] |= np.uint64(1) << np.uint64(i & 63)"]
            emit = [f"k_ = spike_count[RK[{r}]]", f"{rec.steps}[k_] = step + 1", f"{rec.neurons}[k_] = i",
                    f"spike_count[RK[{r}]] = k_ + 1"]
            if rec.mask is not None:
                emit = [f"if {rec.mask}[i]:", *["    " + ln for ln in emit]]
            lowest = c.array("DB", _DE_BRUIJN_POSITIONS) if "DB" not in c.bound else "DB"
            c.merge += S.stmts("\n".join([
                f"row_ = step & {2 * TILE_STEPS - 1}", f"for w_ in range({bits}.shape[1]):",
                f"    b_ = {bits}[row_, w_]", "    if b_ != np.uint64(0):", f"        {bits}[row_, w_] = np.uint64(0)",
                "        while b_ != np.uint64(0):",  # the lowest bit set, by a de Bruijn sequence
                f"            i = w_ * 64 + {lowest}[((b_ & (np.uint64(0) - b_)) * np.uint64({_DE_BRUIJN})) >> np.uint64(58)]",
                "            b_ &= b_ - np.uint64(1)", *["            " + ln for ln in emit]]))
            lines += store
            continue
        if ranged:  # the buffer has room for a spike of every neuron past spike_count
            c.array(f"BR{r}", np.zeros(c.blocks, np.int64))
            head.append(f"m{r}_ = 0")
            store = [f"k_ = spike_count[RK[{r}]] + lo_ + m{r}_", f"{rec.steps}[k_] = step + 1", f"{rec.neurons}[k_] = i",
                     f"m{r}_ += 1"]
            tail.append(f"BR{r}[block] = m{r}_")
            c.merge += S.stmts("\n".join([f"k_ = spike_count[RK[{r}]]",
                                          f"spike_count[RK[{r}]] = k_ + _join_entries({rec.steps}, {rec.neurons}, k_, "
                                          f"BR{r}, BL, blocks)"]))
        else:
            store = [f"k_ = spike_count[RK[{r}]]", f"{rec.steps}[k_] = step + 1", f"{rec.neurons}[k_] = i",
                     f"spike_count[RK[{r}]] = k_ + 1"]
        if rec.mask is not None:
            lines += [f"if {rec.mask}[i]:", *["    " + ln for ln in store]]
        else:
            lines += store
    if emission.history:
        if ranged:
            c.array("BN", np.zeros(c.blocks, np.int64))
            lines += ["SH[slot, lo_ + nsp] = i", "nsp += 1"]
            tail.append("BN[block] = nsp")
            c.merge += S.stmts("NH[slot] = _join_row(SH, slot, BN, BL, blocks)")
        else:
            lines += ["SH[slot, nsp] = i", "nsp += 1"]
    return S.stmts("\n".join(lines)) if lines else [ast.Pass()]


def _range(c: _Call, starts: np.ndarray) -> list[ast.stmt]:
    """CPU threads: bind ``lo_`` and ``hi_`` to the neuron range of ``block``."""
    c.array("BL", starts)
    return S.stmts("lo_ = BL[block]\nhi_ = BL[block + 1]")


def _neuron_update(c: _Call, work: NeuronUpdate) -> list[ast.stmt]:
    n = c.call.n
    ranged = c.blocks > 1 or c.tiled  # a thread's range, or a tile's block
    head: list[str] = []
    tail: list[str] = []
    emit = _emission(c, work.emission, head, tail)
    out: list[ast.stmt] = []
    if work.emission.history:
        out.append(S.assign("nsp", "0"))
    if ranged:
        out += _range(c, tile_starts(n) if c.tiled else range_starts(n, c.threads, c.processes))
    out += c.statements(work.per_step)
    loop = f"for i in range({BLOCK_LOOP if ranged else 'n'}):\n    pass"
    dense = [st for st in work.body if not isinstance(st, Fires)]
    if not dense and not work.on_spike:  # nothing to vectorize: emit in the loop
        fires = next(st for st in work.body if isinstance(st, Fires))
        neuron_loop = S.stmts(loop)[0]
        neuron_loop.body = [ast.If(_INTRINSICS.visit(S.clone(fires.test)), emit, [])]
        out.append(neuron_loop)
    else:  # a dense loop that sets the flags, then a sparse pass over the neurons that fired
        words = ("(lo_ + 7) >> 3", "(hi_ + 7) >> 3") if ranged else None  # None: every word
        body = _count_passes(c, work.body, loop, words, out)
        flags = aligned.zeros(-(-n // 8) * 8, np.bool_)  # padded to whole words, the padding stays False
        c.array("F", flags)
        c.array("F8", flags.view(np.uint64))
        stop_at_count = n <= SCAN_STOP_MAX_NEURONS
        if stop_at_count:
            out += S.stmts("nf_ = 0\nns_ = 0")
        c.count_fired = stop_at_count  # while the dense loop is lowered
        out += _split_loop(c, body, loop, ranged)
        c.count_fired = False
        first_word, end_word = ("(lo_ + 7) >> 3", "(hi_ + 7) >> 3") if ranged else ("0", "F8.size")
        fired = [*c.statements(work.reload), *c.statements(work.on_spike), *emit]
        if stop_at_count:  # stop once the neurons that fired are found
            fired.append(S.stmts("ns_ += 1")[0])
        sparse = _word_scan(first_word, end_word, "F8[{}]", "0", S.stmts("if F[i]:\n    pass")[0], fired,
                            grouped=not stop_at_count)
        if stop_at_count:
            sparse.body.insert(0, S.stmts("if ns_ == nf_:\n    break")[0])
        out.append(sparse)
    if work.emission.history and not ranged:
        out.append(S.stmts("NH[slot] = nsp")[0])
    return S.stmts("\n".join(head)) + out + S.stmts("\n".join(tail))


SCAN_STOP_MAX_NEURONS = 1 << 15
"""Populations of at most this many neurons count the neurons that fire in their dense loop
(``nf_``), and their sparse pass over the flags stops once it has found them all (``ns_``):
B1 CUBA (3200 + 800 neurons, about 2 spikes per step among 500 words) 0.87-0.92x the time,
B6 COBA 0.89x, B2 Brunel (10000 + 2500) 0.99x. At 10^6 neurons (B4, about 500 spikes per
step, the last near the end of the flags) the count cost 1.06-1.09x and saved nothing."""

SPLIT_BLOCK = 256
"""Neurons per block of a split loop (:func:`_split_loop`): the carried values of a block stay
in the L1 cache (B7: 8 values x 256 x 8 bytes = 16 KB; 0.84x with blocks of 256, 0.87x with
1024)."""
SPLIT_MIN_CARRIED = 6
"""Split a neuron loop at its :class:`~fastspike.ir.nodes.Split` only when it carries at
least this many values: three exponential-Euler variables or more. Measured on B7 (four,
Traub-Miles): 0.84-0.87x the time with vector math (the loop vectorizes, and one iteration
of 1339 AVX2 instructions spilled registers and kept the reorder window from overlapping
iterations), 1.0x with the C library's scalar ``exp`` (no gain, no loss)."""


def _split_loop(c: _Call, body: list, loop: str, ranged: bool) -> list[ast.stmt]:
    """The dense loop over the neurons, cut in two at its :class:`Split` when that pays: for
    each block of :data:`SPLIT_BLOCK` neurons, a loop runs the statements before the split
    and stores the carried values in ``SC`` (a row per thread range), then a second loop
    loads them back, reads again the other values it needs (loads ``x[i]``) and runs the
    rest. Each neuron's arithmetic is the same, so are the bits. Unsigned bounds: the block
    loop's start is no loop counter from 0, and a signed index would keep Numba's wrap-around
    select in the loop, which then does not vectorize (2x slower)."""
    at = [k for k, st in enumerate(body) if isinstance(st, Split)]
    plan = _carried(c, body[:at[0]], body[at[0] + 1:], body[at[0]]) if len(at) == 1 else None
    if plan is None or len(plan[1]) < SPLIT_MIN_CARRIED:
        whole = S.stmts(loop)[0]
        whole.body = c.statements(body)
        return [whole]
    split = body[at[0]]
    reloads, carried = plan
    c.array("SC", np.zeros((c.blocks, len(carried), SPLIT_BLOCK), split.dtype))
    row = "block" if ranged else "0"
    lo, hi = ("lo_", "hi_") if ranged else ("0", "n")
    blocks = S.stmts(f"for ib_ in range({lo}, {hi}, {SPLIT_BLOCK}):\n    ub_ = np.uint64(ib_)\n"
                     f"    ue_ = np.uint64(min(ib_ + {SPLIT_BLOCK}, {hi}))")[0]
    first, second = (S.stmts("for i in range(ub_, ue_):\n    pass")[0] for _ in range(2))
    first.body = [*c.statements(body[:at[0]]),
                  *S.stmts("\n".join(f"SC[{row}, {q}, i - ub_] = {name}" for q, name in enumerate(carried)))]
    second.body = [*c.statements(reloads),
                   *S.stmts("\n".join(f"{name} = SC[{row}, {q}, i - ub_]" for q, name in enumerate(carried))),
                   *c.statements(body[at[0] + 1:])]
    blocks.body += [first, second]
    return [blocks]


def _carried(c: _Call, before: list, after: list, split: Split) -> tuple[list, list[str]] | None:
    """What the statements ``after`` a split read of the locals computed ``before`` it: the
    assignments to read again (loads that nothing before the split stores to) and the names
    to carry in memory (those of ``split.carry``); None when something else is read, or when
    ``before`` holds statements other than assignments and stores (then the loop stays whole)."""
    if not all(isinstance(st, (ast.Assign, Store)) for st in before):
        return None
    lowered_before = c.statements(before)
    assigned = S.assigned_names(lowered_before)
    stored = {st.var for st in before if isinstance(st, Store)}
    read_after = S.names_in(c.statements(after))
    reloads: list = []
    carried: list[str] = []
    for name in dict.fromkeys(assigned):  # in order of first assignment
        if name not in read_after:
            continue
        if name in split.carry:
            carried.append(name)
            continue
        defs = [st for st in before if isinstance(st, ast.Assign) and name in S.assigned_names([st])]
        if len(defs) != 1 or not _is_load(defs[0], set(assigned), stored):
            return None
        reloads.append(defs[0])
    return reloads, carried


_LOAD_CASTS = frozenset({"np.int64", "np.uint64", "_cast"})


def _is_load(st: ast.Assign, assigned: set[str], stored: set[str]) -> bool:
    """``st`` assigns one local a load: ``x[i]`` (an index of names the loop does not assign),
    a name the loop does not assign, a constant, or a cast of one, from an array nothing
    before the split stores to."""
    if len(st.targets) != 1 or not isinstance(st.targets[0], ast.Name):
        return False

    def load(e: ast.expr) -> bool:
        if isinstance(e, ast.Constant):
            return True
        if isinstance(e, ast.Name):
            return e.id not in assigned
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) and e.value.id not in stored:
            return all(load(x) for x in (e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]))
        if isinstance(e, ast.Call) and ast.unparse(e.func) in _LOAD_CASTS and len(e.args) == 1 and not e.keywords:
            return load(e.args[0])
        return False

    return load(st.value)


SCAN_GROUP_WORDS = 8
"""The sparse passes over flag and count words (:func:`_word_scan`) of a population of more
than :data:`SCAN_STOP_MAX_NEURONS` neurons test this many words (64 neurons, a cache line)
with one branch. B4 (10^6 neurons, about 500 spikes and 1800 counts beyond the table per
step, spread over 125 000 words): 0.93x the time. Smaller populations test word by word: B1
(whose pass stops at the count of spikes) took 1.02x with groups, B3 at scale 0.25 1.01x."""


def _word_scan(first: str, end: str, word: str, zero: str, test: ast.If, body: list[ast.stmt], grouped: bool
               ) -> ast.For:
    """A sparse pass over the words ``first`` to ``end - 1`` (expressions) of 8 neurons each:
    ``word`` formats a word's test value (nonzero, compared with ``zero``, when some neuron of
    it needs ``body``); for the neurons ``i`` of such a word, ``body`` runs where ``test`` (an ``if``
    on ``i``) holds. ``grouped``: the words are taken :data:`SCAN_GROUP_WORDS` at a time,
    their test values or-ed, so that a group with nothing to do costs one branch; the last
    group may be shorter (then its words are tested one by one, never read past ``end``)."""
    inner = (f"if {word.format('w_')} != {zero}:\n"
             f"    for i in range(w_ * 8, min(w_ * 8 + 8, n)):\n"
             f"        pass")
    if grouped:
        g = SCAN_GROUP_WORDS
        any_ = " | ".join(f"({word.format(f'g_ + {k}')})" for k in range(g))
        scan = S.stmts(f"for g_ in range({first}, {end}, {g}):\n"
                       f"    if g_ + {g} > {end} or ({any_}) != {zero}:\n"
                       f"        for w_ in range(g_, min(g_ + {g}, {end})):\n"
                       + "\n".join("            " + ln for ln in inner.split("\n")))[0]
        neurons = scan.body[0].body[0].body[0].body[0]
    else:
        words = f"range({end})" if first == "0" else f"range({first}, {end})"
        scan = S.stmts(f"for w_ in {words}:\n" + "\n".join("    " + ln for ln in inner.split("\n")))[0]
        neurons = scan.body[0].body[0]
    test = S.clone(test)
    test.body = body
    neurons.body = [test]
    return scan


def _count_passes(c: _Call, body: list, loop: str, words: str | None, out: list[ast.stmt]) -> list:
    """Searches of long tables (:class:`CountAbove` with ``dense`` entries, Poisson counts)
    moved out of the neuron loop, which then vectorizes: a dense pass (appended to ``out``)
    compares each neuron's value with the first ``dense`` entries only and stores the count
    (``KC<m>``, one byte per neuron, padded to whole words of 8); a sparse pass
    (:func:`_word_scan`) scans the counts 8 at a time (``KW<m>``: a word holds a count of
    ``dense`` in some byte exactly when ``(word + (128 - dense) * 0x0101..01) & 0x8080..80`` is
    not 0, counts being below 128) and finishes the search for those neurons; the neuron loop
    reads the count back. The count is the whole search's: the table ascends. The value's
    locals are computed in the passes (and dropped from the loop when nothing else reads
    them); ``body`` with the searches replaced by the reads is returned. ``words``: the first
    word of this thread's range and the word past it (expressions; None: every word). Table
    lengths and word counts are read at run time, not written into the source, so that
    populations of different sizes share one compiled kernel."""
    kept = list(body)
    m = 0
    for pos, st in enumerate(body):
        if not isinstance(st, CountAbove):
            continue
        size = c.bound[st.table].size
        deps = _dependencies(body[:pos], st.value)
        if not 0 < st.dense < min(size, 128) or size > 255 or deps is None:
            continue
        counts = np.zeros(-(-c.call.n // 8) * 8, np.uint8)
        kc, kw = c.array(f"KC{m}", counts), c.array(f"KW{m}", counts.view(np.uint64))
        # the first entries in locals before the loop: read from the table in the loop, they
        # would be loaded again for every neuron (the count's store may alias the table), which
        # costs the vectorized pass a third of its time (B4: 2.2 -> 1.2 ns per neuron-step)
        entries = [f"th{m}_{k}" for k in range(st.dense)]
        m += 1
        value = ast.unparse(st.value)
        out += S.stmts("\n".join(f"{e} = {st.table}[{k}]" for k, e in enumerate(entries)))
        dense = " + ".join(["0", *(f"({value} > {e})" for e in entries)])
        first = S.stmts(loop)[0]
        ahead, in_loop, stepped = _stepped_positions(deps, st.value, "lo_" if words else "0")
        out += ahead
        first.body = [*c.statements(in_loop), ast.Assign([S.subscript(kc, "i", store=True)], S.expr(dense), lineno=0),
                      *stepped]
        magic, high = (128 - st.dense) * 0x0101010101010101, 0x8080808080808080
        finish = S.stmts(f"kx_ = {st.dense}\nwhile kx_ < {st.table}.size and {value} > {st.table}[kx_]:\n    kx_ += 1\n"
                         f"{kc}[i] = kx_")
        first_word, end_word = words or ("0", f"{kw}.size")
        rest = _word_scan(first_word, end_word, f"(({kw}[{{}}] + np.uint64({magic})) & np.uint64({high}))", "np.uint64(0)",
                          S.stmts(f"if {kc}[i] == {st.dense}:\n    pass")[0], [*c.statements(deps), *finish],
                          grouped=c.call.n > SCAN_STOP_MAX_NEURONS)
        out += [first, rest]
        kept[next(j for j, x in enumerate(kept) if x is st)] = S.assign(st.target, f"np.int64({kc}[i])")
        for dep in reversed(deps):  # the value's locals that nothing else in the loop reads
            others = [x for x in kept if x is not dep]
            if dep.targets[0].id not in S.names_in(c.statements(others)):
                kept = others
    return kept


def _stepped_positions(deps: list, value: ast.expr, first: str) -> tuple[list, list, list]:
    """A dense pass's draw positions (:func:`~fastspike.ir.nodes.counter_stride`) carried
    along its loop from neuron ``first`` on: the assignments before the loop, the
    dependencies left in the loop (without the draw counter once no one reads it) and the
    additions of the strides at the end of the loop's body. LLVM multiplies a vector of
    counters by the stride (``vpmullq``, one of three per draw) but keeps an induction as
    additions: B4's whole update 0.92x the time at 10^5 neurons, the same bits."""
    ahead, stepped, carried = [], [], set()
    for d in deps:
        if stride_of(d):
            base, stride = stride_of(d)
            name = d.targets[0].id
            ahead.append(S.assign(name, f"{base} + (np.uint64(step) * np.uint64(n) + np.uint64({first})) * "
                                        f"np.uint64({stride})"))
            stepped.append(S.stmts(f"{name} += np.uint64({stride})")[0])
            carried.add(name)
    need = S.names_in(value) - carried
    in_loop = []
    for d in reversed(deps):
        if d.targets[0].id in need and d.targets[0].id not in carried:
            in_loop.append(d)
            need |= S.names_in(d.value)
    return ahead, in_loop[::-1], stepped


def _dependencies(before: list, value: ast.expr) -> list | None:
    """The assignments among the statements ``before`` that ``value`` depends on, in order;
    None when it depends on something else computed there (a store, a branch, a search)."""
    need = S.names_in(value)
    stored = set()
    deps: list = []
    for st in reversed(before):
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            if st.targets[0].id in need:
                need.discard(st.targets[0].id)
                need |= S.names_in(st.value)
                deps.append(st)
        elif isinstance(st, (Store, Accumulate)):
            stored.add(st.var)
        elif isinstance(st, CountAbove):
            if st.target in need:
                return None
        elif isinstance(st, If):
            return None
        elif isinstance(st, ast.AST) and set(S.assigned_names([st])) & need:
            return None
    if stored & set().union(*(S.names_in(d) for d in deps), S.names_in(value)):
        return None  # the value reads what the update stores before it
    return deps[::-1]


def _spike_replay(c: _Call, work: SpikeReplay) -> list[ast.stmt]:
    ranged = c.blocks > 1
    head: list[str] = []
    tail: list[str] = []
    emit = _emission(c, work.emission, head, tail)
    out = [S.assign("nsp", "0")] if work.emission.history else []
    if ranged:  # range 0 replays the step's spikes (a range of the whole population)
        starts = np.full(c.blocks + 1, c.call.n, np.int64)
        starts[0] = 0
        out += _range(c, starts)
        out.append(S.assign("g_", "np.searchsorted(GS, step) if block == 0 else GS.size"))
    else:
        out.append(S.assign("g_", "np.searchsorted(GS, step)"))
    loop = S.stmts("while g_ < GS.size and GS[g_] == step:\n    i = GN[g_]\n    g_ += 1")[0]
    loop.body += emit
    out.append(loop)
    if work.emission.history and not ranged:
        out.append(S.stmts("NH[slot] = nsp")[0])
    return S.stmts("\n".join(head)) + out + S.stmts("\n".join(tail))


# -- deliveries ---------------------------------------------------------------------------------
PREFETCH_AHEAD = 4
"""Delay groups read at arrival (one thread's or an owned delivery's, see
:func:`_arrival_segments`): the segment this many places ahead in the step's list has its
synapses prefetched, and the spike twice as far in a history row its row's offsets
(:mod:`fastspike.backends.cpu.prefetch`; on the full microcircuit, distances of 8 and 8 ran
as fast as 4 and 4)."""

ROW_PREFETCH_LINES = 64
"""The most cache lines of each array read per synapse that a delivery prefetches of one
spike's synapses (0: no prefetch). A delivery without delay groups read at arrival
prefetches the next spike's row (its part of it, with thread ranges) while it adds the current
one; a delivery at arrival the segment ``PREFETCH_AHEAD`` places ahead in its list. Rows
and groups start at scattered places, so the hardware prefetcher misses their first lines.
On B2 (rows of 1000 targets, 4 KB, from 50 MB of connectivity) the whole next row took 0.74x
the run's time, 8 lines of it 0.75x, the row two spikes ahead 0.76x; on the
full microcircuit (groups of about 100 synapses) the group's lines took 0.76-0.94x the time
of its first line alone (one process, hand-edited source, the same bits: prefetches are
hints)."""

def _prefetch_synapses(c: _Call, names: list[str]) -> list[str]:
    """Loops that prefetch the synapses ``p0_`` to ``p1_`` of each array in ``names``, at most
    ``ROW_PREFETCH_LINES`` lines of each (none when that is 0)."""
    lines: list[str] = []
    if ROW_PREFETCH_LINES == 0:
        return lines
    for name in names:
        step = max(aligned.CACHE_LINE // c.bound[name].itemsize, 1)
        lines += [f"for pl_ in range(p0_, min(p1_, p0_ + {ROW_PREFETCH_LINES * step}), {step}):",
                  f"    _prefetch({name}, pl_)"]
    return lines


def _per_synapse_arrays(c: _Call) -> list[str]:
    """The arrays a delivery reads per synapse: targets, and weights and delays when stored per
    synapse."""
    return ["TG"] + [name for name in ("WT", "DL") if name in c.bound and c.bound[name].size > 1]


SEGMENT_SCRATCH = 1024
"""Rows of each delivery at arrival's list of the step's segments (a step with more (group,
spike) items lists them in a larger array of its own)."""


def _arrival_segments(c: _Call, per_synapse: list[ast.stmt], ranged: bool = False) -> list[ast.stmt]:
    """A delivery at arrival in two passes. The first walks the step's (group, spike) items in
    order (groups from the longest delay down, the spikes of each group's history row) and
    lists the non-empty ones as segments ``[p0, p1)`` of the synapses, prefetching the row
    offsets of the spike ``2 x PREFETCH_AHEAD`` places ahead in the history row; the second
    adds the segments in that order (``per_synapse`` for each synapse ``s_``), prefetching the
    synapses of the segment ``PREFETCH_AHEAD`` places ahead. The same additions in the same
    order as one pass; the microcircuit's items hold about 13 synapses and a third of them
    none, so the walk's bookkeeping, not the additions, set the pace of one pass. ``ranged``
    (a distributed run's process, or a thread's range of a population that receives a plastic
    delivery): the part of each group onto the range (``DP[j_, g_, block]``), listed in the
    range's own rows of the list."""
    if ranged:
        c.array("SG", np.zeros((c.blocks, SEGMENT_SCRATCH, 2), np.int64))
        scratch, own = "SG.shape[1]", "SG[block]"
        start, stop = "IP[j_] + DP[j_, g_, block]", "IP[j_] + DP[j_, g_, block + 1]"
        offsets_line = "_prefetch_cell(DP, q_, g_, block)"
    else:
        c.array("SG", np.zeros((SEGMENT_SCRATCH, 2), np.int64))
        scratch, own = "SG.shape[0]", "SG"
        start, stop = "IP[j_] + DO[j_, g_]", "IP[j_] + DO[j_, g_ + 1]"
        offsets_line = "_prefetch_row(DO, q_, g_)"
    d = PREFETCH_AHEAD
    prefetching = ROW_PREFETCH_LINES > 0
    offsets = [offsets_line, "_prefetch(IP, q_)"] if prefetching else []
    synapses = _prefetch_synapses(c, _per_synapse_arrays(c))

    lines = ["items_ = 0", "for g_ in range(dn):", "    if step - dmin - g_ >= first:",
             "        items_ += NH[(step - dmin - g_) & (ring_length - 1)]",
             f"SG_ = {own} if items_ <= {scratch} else np.empty((items_, 2), np.int64)",
             "m_ = 0", "for g_ in range(dn - 1, -1, -1):", "    e_ = step - dmin - g_", "    if e_ >= first:",
             "        r_ = e_ & (ring_length - 1)", "        na_ = NH[r_]"]
    if offsets:
        lines += [f"        for a_ in range(min({2 * d}, na_)):", "            q_ = SH[r_, a_]",
                  *("            " + line for line in offsets)]
    lines += ["        for a_ in range(na_):"]
    if offsets:
        lines += [f"            if a_ + {2 * d} < na_:", f"                q_ = SH[r_, a_ + {2 * d}]",
                  *("                " + line for line in offsets)]
    lines += ["            j_ = SH[r_, a_]", f"            p0_ = {start}", f"            p1_ = {stop}",
              "            if p1_ > p0_:", "                SG_[m_, 0] = p0_", "                SG_[m_, 1] = p1_",
              "                m_ += 1"]
    if synapses:
        lines += [f"for k_ in range(min({d}, m_)):", "    p0_ = SG_[k_, 0]", "    p1_ = SG_[k_, 1]",
                  *("    " + line for line in synapses)]
    lines += ["for k_ in range(m_):"]
    if synapses:
        lines += [f"    if k_ + {d} < m_:", f"        p0_ = SG_[k_ + {d}, 0]", f"        p1_ = SG_[k_ + {d}, 1]",
                  *("        " + line for line in synapses)]
    lines += ["    for s_ in range(SG_[k_, 0], SG_[k_, 1]):", "        pass"]
    out = S.stmts("\n".join(lines))
    out[-1].body[-1].body = per_synapse
    return out


def _prefetch_next_row(c: _Call, start: str, stop: str) -> str:
    """The prefetch of the next spike's synapses ``start`` to ``stop`` (written for ``j_``, the
    spike's neuron): the lines of the source after ``j_ = SH[r_, a_]`` in the loop over the
    spikes."""
    loops = _prefetch_synapses(c, _per_synapse_arrays(c))
    if not loops:
        return ""
    start, stop = (re.sub(r"\bj_\b", "q_", bound) for bound in (start, stop))  # the next spike's neuron
    lines = ["if a_ + 1 < NH[r_]:", "    q_ = SH[r_, a_ + 1]", f"    p0_ = {start}", f"    p1_ = {stop}"]
    return "\n".join(lines + ["    " + line for line in loops])


def _delivery(c: _Call, work: Delivery, whole: bool = False) -> list[ast.stmt]:
    """The spikes of the step's history row, their rows (or, with threads, the part of each
    row onto this range's targets, unless ``whole``), group by group when rows are grouped by
    delay."""
    ranged = c.blocks > 1 and not whole
    grouped = work.scheme in ("ring_groups", "arrival_groups")
    if ranged:  # the runtime's offsets of the parts of the rows onto each range (BO, or per delay group DP)
        c.array("DP" if grouped else "BO", work.partition(c.threads, c.processes))
    lag = work.lag  # ring: the spikes of step - lag (1; a distributed run's exchange interval)
    if work.scheme == "arrival_groups":  # each delay group when it arrives: g_ from the longest delay
        per_synapse = c.statements([Accumulate("A", (S.expr("TG[s_]"),), S.clone(st.value))
                                    if isinstance(st, Transmit) else st for st in work.body])
        return _arrival_segments(c, per_synapse, ranged)
    if work.scheme == "input":
        since, row = "step - dmin", "(step - dmin) & (ring_length - 1)"
    else:
        since, row = f"step - {lag}", f"(step - {lag}) & (ring_length - 1)"
    if work.scheme == "ring_groups":
        if ranged:
            start, stop = "o_ + DP[j_, g_, block]", "o_ + DP[j_, g_, block + 1]"
        else:
            start, stop = "o_ + DO[j_, g_]", "o_ + DO[j_, g_ + 1]"
        synapses = ["o_ = IP[j_]", "for g_ in range(dn):", f"    q_ = (step - {lag} + dmin + g_) & (ring_length - 1)",
                    f"    for s_ in range({start}, {stop}):", "        pass"]
        target = ("q_", "TG[s_]")
    else:
        if ranged:
            start, stop = "IP[j_] + BO[j_, block]", "IP[j_] + BO[j_, block + 1]"
        else:
            start, stop = "IP[j_]", "IP[j_ + 1]"
        synapses = [f"for s_ in range({start}, {stop}):", "    pass"]
        target = ("TG[s_]",) if work.scheme == "input" else \
            (f"(step - {lag} + np.int64(DL[s_])) & (ring_length - 1)", "TG[s_]")
    array = "A" if work.scheme == "input" else "R"
    per_synapse = c.statements([Accumulate(array, tuple(S.expr(t) for t in target), S.clone(st.value))
                                if isinstance(st, Transmit) else st for st in work.body])
    inner = S.stmts("\n".join(synapses))
    loop = inner[-1]
    while not isinstance(loop.body[-1], ast.Pass):  # the innermost synapse loop
        loop = loop.body[-1]
    loop.body = per_synapse
    spikes = S.stmts(f"if {since} >= first:\n    r_ = {row}\n    for a_ in range(NH[r_]):\n        j_ = SH[r_, a_]")[0]
    prefetched = (start, stop)  # the next spike's synapses: its row, or the range's part of it
    if work.scheme == "ring_groups":  # the whole row; with thread ranges, parts of each group (not prefetched)
        prefetched = None if ranged else ("IP[j_]", "IP[j_ + 1]")
    if prefetched is not None:
        spikes.body[1].body += S.stmts(_prefetch_next_row(c, *prefetched))
    spikes.body[1].body += inner
    return [spikes]


def _learning(c: _Call, work: Learning) -> list[ast.stmt]:
    """The spikes of the steps ``step - d_`` (``k_``; ``e_`` = d_ - LM[1]), neurons ascending;
    with thread ranges, only the neurons of this range (a bisection of the sorted row); with a
    column, the synapses of delay ``d_`` onto each first."""
    ranged = c.blocks > 1
    lines = ["for d_ in range(LM[1], LM[2] + 1):", "    k_ = step - d_", "    if k_ >= LM[0]:",
             "        e_ = d_ - LM[1]", "        r_ = k_ & (ring_length - 1)", "        a0_ = 0", "        a1_ = NH[r_]"]
    out = []
    if ranged:
        out += _range(c, range_starts(c.call.n, c.threads, c.processes))
        lines += ["        row_ = SH[r_, :a1_]", "        a0_ = np.searchsorted(row_, lo_)",
                  "        a1_ = np.searchsorted(row_, hi_)"]
    lines += ["        for a_ in range(a0_, a1_):", "            i = SH[r_, a_]"]
    blocked = _blocked_column(c, work, ranged) if work.column else None
    if work.column and blocked is None:  # the synapses of delay d_ onto i: the column's group e_
        lines += ["            for c_ in range(CP[i, e_], CP[i, e_ + 1]):", "                s_ = CI[c_]",
                  "                pass"]
    loop = S.stmts("\n".join(lines))[0]
    spike = loop.body[1].body[-1]  # for a_ ...
    if blocked is not None:
        spike.body[1:] = blocked
        spike.body[1:1] = c.statements(work.before_column)
    elif work.column:
        spike.body[1].body[1:] = c.statements(work.per_synapse)
        spike.body[1:1] = c.statements(work.before_column)
    spike.body += c.statements(work.per_spike)
    return out + [loop]


COLUMN_BLOCK = 64
"""Synapses of a column gathered at a time by a blocked column walk (:func:`_blocked_column`)."""
COLUMN_PREFETCH = 1024
"""How many synapses ahead a blocked column walk prefetches the weights (0: no prefetch). A
column's weights are scattered over the whole projection (one cache line per presynaptic
neuron, or per synapse), and the walk's instructions between two of them keep
only one or two loads in flight: B8 frozen 0.78-0.84x the time with 256, 1024 or the whole
column ahead at scale 0.1, the same bits (prefetches are hints)."""


def _blocked_column(c: _Call, work: Learning, ranged: bool) -> list[ast.stmt] | None:
    """A postsynaptic spike's column walked in blocks of :data:`COLUMN_BLOCK` synapses: the
    per-synapse statements up to the weight's update gather each synapse (its id in ``GS``,
    its weight in ``GW``, the memoised values the update reads in ``GK<k>``), then a loop of
    its own computes the new weights of the block and another stores them. The rule's
    function (a ``pow`` call in the power-law rules) then neither keeps the walk scalar nor
    limits how many of its scattered weight loads are in flight, and under vector math the
    computing loop vectorizes ``vmath.pow``: B8 frozen on vector math 0.76-0.83x the time of
    the same walk with the C library's ``pow`` (which gains nothing from the blocks). The same
    operations on the same values: the same bits as the unblocked walk.

    None (walk unblocked) unless the per-synapse statements are plain assignments and memos,
    then ``WT[s_] = value`` reading only ``WT[s_]``, memoised values and what is fixed for the
    spike. Buffers are per range with threads (``[block, q_]``)."""
    *gather, store = work.per_synapse
    if not (isinstance(store, Store) and store.var == "WT" and store.when is None and len(store.index) == 1
            and ast.unparse(store.index[0]) == "s_"):
        return None
    if not all(isinstance(st, (ast.Assign, Memo)) for st in gather):
        return None
    memos = [t for st in gather if isinstance(st, Memo) for t in st.targets]
    assigned = set(S.assigned_names([st for st in gather if isinstance(st, ast.Assign)])) | {"s_", "c_"}
    row = ["block"] if ranged else []

    def at(array: str, position: str, store_: bool = False) -> ast.Subscript:
        return S.subscript(array, *row, position, store=store_)

    class _Gathered(ast.NodeTransformer):  # WT[s_] and the memoised values read back from the buffers
        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
            return at("GW", "q_") if ast.unparse(node) == "WT[s_]" else self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> ast.AST:
            return at(f"GK{memos.index(node.id)}", "q_") if node.id in memos else node

    value = _Gathered().visit(S.clone(store.value))
    used = S.names_in(value)
    if used & (assigned - set(memos)):  # a per-synapse local other than a memo: not blocked
        return None
    kept = [t for t in memos if f"GK{memos.index(t)}" in used]
    shape = (c.blocks, COLUMN_BLOCK) if ranged else (COLUMN_BLOCK,)
    c.array("GS", np.zeros(shape, np.int64))
    c.array("GW", np.zeros(shape, c.bound["WT"].dtype))
    for t in kept:
        c.array(f"GK{memos.index(t)}", np.zeros(shape, np.float64))
    ahead = COLUMN_PREFETCH  # the synapses of delay d_ onto i (the column's group e_): a counted loop
    first = f"for p_ in range(c_, min(c_ + {ahead}, ce_)):\n    _prefetch(WT, CI[p_])\n" if ahead else ""
    then = f"    for p_ in range(c_ + {ahead}, min(c_ + {ahead} + m_, ce_)):\n        _prefetch(WT, CI[p_])\n" \
        if ahead else ""
    walk = S.stmts(f"c_ = CP[i, e_]\nce_ = CP[i, e_ + 1]\n{first}while c_ < ce_:\n    m_ = min({COLUMN_BLOCK}, ce_ - c_)\n"
                   f"{then}    for q_ in range(m_):\n        s_ = CI[c_ + q_]\n    c_ += m_\n"
                   "    for q_ in range(m_):\n        pass\n    for q_ in range(m_):\n        pass")
    keep = [ast.Assign([at("GS", "q_", True)], S.name("s_"), lineno=0),
            ast.Assign([at("GW", "q_", True)], S.subscript("WT", "s_"), lineno=0),
            *(ast.Assign([at(f"GK{memos.index(t)}", "q_", True)], S.name(t), lineno=0) for t in kept)]
    body = walk[-1].body  # m_, (the prefetch), the gathering loop, c_ += m_, the computing loop, the storing loop
    body[-4].body += [*c.statements(gather), *keep]  # after s_ = CI[c_ + q_]
    body[-2].body = [ast.Assign([at("GW", "q_", True)], value, lineno=0)]
    body[-1].body = [ast.Assign([S.subscript("WT", at("GS", "q_"), store=True)], at("GW", "q_"), lineno=0)]
    return walk


def _sampling(c: _Call, work: Sampling) -> list[ast.stmt]:
    lines = [f"if (step + 1) % {work.every} == 0:", "    row_ = sample_count[g]", "    ST[row_] = step + 1",
             "    for j_ in range(X.size):", "        n_ = X[j_]",
             *[f"        V{j}[row_, j_] = x{j}[n_]" for j in range(work.variables)],
             "    sample_count[g] = row_ + 1"]
    return S.stmts("\n".join(lines))
