"""Lower a step program for a GPU: the work of each call as independent work items.

Every call of a step becomes a number of work items (``items``, an expression of the
kernel's names evaluated each step) and the work of item ``i`` (``per_item``), preceded by
statements that only compute locals of the step (``body``): a neuron update has an item
per neuron; a delivery has ``2**lb`` items (lanes) per spike to deliver; a sample an item
per recorded neuron; a spike source one item. The compiler
(:mod:`fastspike.backends.cuda.compiler`) spreads the items of a stage over the whole grid.

Threads cannot count spikes in order: a spike is appended to the record buffers and the
spike history with atomic additions (the host orders each drain), and item 0 of a
population clears the history row of the next step (this step's deliveries have read it).
A neuron update runs in one pass: the thread that holds a neuron resets it at once, and
stores only what changed (most neurons are not refractory). Accumulations are atomic. A
memo is evaluated where it is needed (threads share the neurons it is of), without its arrays.
"""
from __future__ import annotations

import ast
import types

import numpy as np

from ...ir import syntax as S
from ...ir.nodes import (Accumulate, Call, CountAbove, Delivery, Fires, If, Learning, Memo, NeuronUpdate, Sampling,
                         SpikeReplay, Split, StepProgram, Store, Transmit)
from ...models.checks import check_device_code
from ..lowering import Intrinsics, Lowered, LoweredKernel, memo_arrays, memo_direct
from ..options import LANES_ENV, MAX_LANES, lanes_asked

__all__ = ["lower_program", "lanes_per_spike", "lanes_asked", "search_left", "search_right", "WARP", "MAX_LANES",
           "SYNAPSES_PER_LANE", "LANES_ENV"]

WARP = 32
"""GPU: threads that run in lockstep; the fewest lanes that deliver one spike."""
SYNAPSES_PER_LANE = 4
"""GPU: a spike of a projection is delivered by enough lanes (consecutive threads, striding
over its synapses) that each adds about this many of an average row, at least WARP and at
most MAX_LANES: see :func:`lanes_per_spike`."""


def lanes_per_spike(n_synapses: int, n_pre: int, asked: int | None = None) -> int:
    """How many lanes deliver one spike of a projection of ``n_synapses`` synapses from
    ``n_pre`` neurons (a power of two).

    A lane's synapses are dependent loads and an atomic add each, so a spike delivered by one
    warp takes as long as its row has synapses / 32 memory round trips (a microcircuit row of
    2000 synapses: about 60, far more than the step's budget), while most of the grid waits
    at the barrier. Spreading each row over more lanes uses that idle grid; GeNN's "threads
    per spike" does the same. ``asked`` (the backend option ``fs.backends.CUDA(lanes=)``)
    fixes the number instead, to compare schemes on a GPU (32: one warp per spike).
    """
    if asked is not None:
        return asked
    mean = n_synapses / max(n_pre, 1)
    lanes = WARP
    while lanes < MAX_LANES and lanes * SYNAPSES_PER_LANE < mean:
        lanes *= 2
    return lanes


def search_left(a, x):
    """The first index ``j`` with ``a[j] >= x`` in the sorted array ``a`` (``np.searchsorted``,
    side "left"), as a scalar function for GPU kernels."""
    lo = 0
    hi = a.size
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def search_right(a, x):
    """The first index ``j`` with ``a[j] > x`` in the sorted array ``a`` (side "right")."""
    lo = 0
    hi = a.size
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


_HELPERS = {"search_right": ("_search_right", search_right), "search_left": ("_search_left", search_left)}


def lower_program(prog: StepProgram, lanes: int | None = None) -> list[Lowered]:
    """The calls of ``prog`` as GPU work items; ``lanes`` fixes the lanes per spike of every
    delivery (default: :func:`lanes_per_spike`)."""
    return [_lower_call(call, lanes) for call in prog.calls]


def check_user_device_code(fn: object, role: str) -> None:
    """Refuse, before anything compiles, a user's equation or component function that CUDA
    device code cannot hold: the checker the model and component definitions use
    (:func:`fastspike.models.checks.check_device_code`), applied again here because a class's
    functions can be replaced after it was defined. fastspike's own functions (random
    streams, propagators) are compiled and tested for the GPU with the package."""
    if isinstance(fn, types.FunctionType) and not (fn.__module__ or "").startswith("fastspike"):
        name = getattr(fn, "__qualname__", role)
        check_device_code(fn, f"CUDA backend: {name}")


class _Call:
    def __init__(self, call: Call) -> None:
        self.call = call
        k = call.kernel
        dropped = memo_arrays(k.work)  # memos are evaluated directly
        self.params = [v.name for v in k.vars if v.name not in dropped]
        self.arrays = [a for v, a in zip(k.vars, call.arrays) if v.name not in dropped]
        self.functions = dict(k.functions)
        for role, fn in self.functions.items():
            check_user_device_code(fn, role)
        self.persistent = {v.name for v in k.vars if v.persistent and v.name not in dropped}
        self.prelude = [S.clone(s) for s in k.prelude]
        self.intrinsics = Intrinsics({key: (lambda args, role=role: ast.Call(S.name(role), args, []))
                                      for key, (role, _) in _HELPERS.items()})

    def array(self, name: str, value: np.ndarray) -> str:
        self.params.append(name)
        self.arrays.append(np.ascontiguousarray(value))
        return name

    def finish(self, nodes: list[ast.AST]) -> list:
        """Resolve intrinsics, registering the helpers they call."""
        out = [self.intrinsics.visit(n) for n in nodes]
        for role, fn in _HELPERS.values():
            if role in S.names_in(out):
                self.functions[role] = fn
        return out

    def statements(self, items: list) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for st in items:
            st = S.clone(st)
            if isinstance(st, Store):
                if st.when is not None:  # store only what changed
                    out.append(ast.If(st.when, [ast.Assign([S.subscript(st.var, *st.index, store=True)], st.value_when,
                                                           lineno=0)], []))
                else:
                    out.append(ast.Assign([S.subscript(st.var, *st.index, store=True)], st.value, lineno=0))
            elif isinstance(st, Accumulate):
                index = st.index[0] if len(st.index) == 1 else ast.Tuple(list(st.index), ast.Load())
                out.append(ast.Expr(ast.Call(S.expr("cuda.atomic.add"), [S.name(st.var), index, st.value], [])))
            elif isinstance(st, CountAbove):  # a search that stops early (the table ascends): a
                # branch-free sum would keep every entry in registers across the neuron loop
                value = ast.unparse(st.value)
                out += S.stmts(f"{st.target} = 0\nwhile {st.target} < {st.table}.size and {value} > "
                               f"{st.table}[{st.target}]:\n    {st.target} += 1")
            elif isinstance(st, If):
                out.append(ast.If(st.test, self.statements(st.body), self.statements(st.orelse)))
            elif isinstance(st, Memo):  # threads share the neurons: no memory to keep it in
                out += memo_direct(st)
            elif isinstance(st, Fires):
                out.append(ast.Assign([S.name("f_", store=True)], st.test, lineno=0))
            elif isinstance(st, Split):  # a thread per neuron: nothing to split
                continue
            elif isinstance(st, ast.stmt):
                out.append(st)
            else:  # pragma: no cover
                raise TypeError(f"CUDA lowering: no rule for {type(st).__name__}")
        return self.finish(out)


def _lower_call(call: Call, lanes: int | None) -> Lowered:
    c = _Call(call)
    work = call.kernel.work
    threads, lane_count = call.n, 1
    if isinstance(work, NeuronUpdate):
        body, per_item, items = _neuron_update(c, work)
    elif isinstance(work, SpikeReplay):
        body, per_item, items = _spike_replay(c, work)
        threads = 1
    elif isinstance(work, Delivery):
        lane_count = lanes_per_spike(work.n_synapses, work.n_pre, lanes)
        body, per_item, items = _delivery(c, work, lane_count)
    elif isinstance(work, Sampling):
        body, per_item, items = _sampling(c, work)
    elif isinstance(work, Learning):
        body, per_item, items = _learning(c, work)
        lm = call.arrays[[v.name for v in call.kernel.vars].index("LM")]
        threads = call.n * int(lm[2] - lm[1] + 1)  # a spike of each delay value's row
    else:  # pragma: no cover
        raise TypeError(f"CUDA lowering: no rule for {type(work).__name__}")
    k = call.kernel
    kernel = LoweredKernel(k.kind, k.stage, c.params, c.finish(c.prelude), body, c.functions, items=items,
                           per_item=per_item, persistent=frozenset(c.persistent))
    return Lowered(kernel, c.arrays, threads, lane_count)


def _emission(emission) -> list[ast.stmt]:
    lines: list[str] = []
    for r, rec in enumerate(emission.records):  # in any order; the engine sorts what it drains
        store = [f"k_ = cuda.atomic.add(spike_count, RK[{r}], 1)", f"if k_ < {rec.steps}.size:",
                 f"    {rec.steps}[k_] = step + 1", f"    {rec.neurons}[k_] = i"]
        lines += [f"if {rec.mask}[i]:", *["    " + ln for ln in store]] if rec.mask is not None else store
    if emission.history:
        lines += ["p_ = cuda.atomic.add(NH, slot, 1)", "SH[slot, p_] = i"]
    return S.stmts("\n".join(lines)) if lines else [ast.Pass()]


def _clear_history(emission) -> list[ast.stmt]:
    """Item 0 clears the history row of the next step now: this step's deliveries read it."""
    return S.stmts("if i == 0:\n    NH[(slot + 1) & (ring_length - 1)] = 0") if emission.history else []


def _neuron_update(c: _Call, work: NeuronUpdate):
    per_item = _clear_history(work.emission) + c.statements(work.body)
    spike = S.stmts("if f_:\n    pass")[0]  # one thread per neuron: the few that fire reset at once
    spike.body = c.statements(work.on_spike) + _emission(work.emission)
    per_item.append(spike)
    return c.statements(work.per_step), per_item, S.expr("n")


def _spike_replay(c: _Call, work: SpikeReplay):
    loop = S.stmts("g_ = search_left(GS, step)\nwhile g_ < GS.size and GS[g_] == step:\n    i = GN[g_]\n    g_ += 1")
    loop[1].body += _emission(work.emission)
    return [], _clear_history(work.emission) + c.finish(loop), S.expr("1")


def _delivery(c: _Call, work: Delivery, lanes: int):
    """Item ``i`` is lane ``l_ = i % 2**lb`` of spike ``i // 2**lb``: the lanes of a spike read
    consecutive synapses of its row together. Rows grouped by delay are strided by all the
    lanes of a spike (a group of a microcircuit row has a few dozen synapses: lanes per group
    would leave most lanes idle and walk the groups one after another); a lane finds the
    delay group ``g_`` of its synapse by bisecting the row's group offsets from its previous
    synapse's group (a lane has a few synapses; a microcircuit row has about 50 groups)."""
    if work.scheme not in ("input", "ring_groups", "ring_delays"):  # "arrival_groups" is the CPU's (Buffers)
        raise NotImplementedError(f"CUDA lowering: no rule for the delivery scheme {work.scheme!r}")
    c.prelude.append(S.assign("lb", f"{c.array('LB', np.array([lanes.bit_length() - 1], np.int64))}[0]"))
    if work.scheme == "input":
        since, row = "step - dmin", "(step - dmin) & (ring_length - 1)"
    else:
        since, row = "step - 1", "(step - 1) & (ring_length - 1)"
    items = S.expr(f"((NH[{row}] << lb) if {since} >= first else 0)")
    stride = "range(IP[j_] + l_, IP[j_ + 1], 1 << lb)"
    if work.scheme == "ring_groups":  # a lane's synapses ascend: so does its delay group
        lines = ["h_ = IP[j_]", "g_ = 0", "for s_ in range(h_ + l_, IP[j_ + 1], 1 << lb):",
                 "    d_ = s_ - h_", "    u_ = dn",  # DO[j_, g_] <= d_ < DO[j_, u_]: bisect
                 "    while u_ - g_ > 1:", "        m_ = (g_ + u_) >> 1",
                 "        if DO[j_, m_] <= d_:", "            g_ = m_", "        else:", "            u_ = m_",
                 "    q_ = (step - 1 + dmin + g_) & (ring_length - 1)", "    pass"]
        target = ("q_", "TG[s_]")
    else:
        lines = [f"for s_ in {stride}:", "    pass"]
        target = ("TG[s_]",) if work.scheme == "input" else \
            ("(step - 1 + np.int64(DL[s_])) & (ring_length - 1)", "TG[s_]")
    array = "A" if work.scheme == "input" else "R"
    per_synapse = c.statements([Accumulate(array, tuple(S.expr(t) for t in target), S.clone(st.value))
                                if isinstance(st, Transmit) else st for st in work.body])
    synapses = S.stmts("\n".join(lines))
    loop = synapses[-1]
    loop.body = loop.body[:-1] + per_synapse
    per_item = S.stmts("j_ = SH[r_, i >> lb]\nl_ = i & ((1 << lb) - 1)") + synapses
    return [S.assign("r_", row)], per_item, items


def _learning(c: _Call, work: Learning):
    """Item ``i``: entry ``a_ = i % W`` of the history row of the step ``d_`` steps ago, ``d_ =
    LM[1] + i // W`` (W: the history's width, the population size): a thread per spike and
    delay value, which walks the column of its neuron alone (no two items write the same
    synapse or the same per-neuron element), so results do not depend on the order."""
    lines = ["w_ = SH.shape[1]", "d_ = LM[1] + i // w_", "a_ = i - (d_ - LM[1]) * w_", "k_ = step - d_",
             "r_ = k_ & (ring_length - 1)", "if k_ >= LM[0] and a_ < NH[r_]:", "    e_ = d_ - LM[1]",
             "    i_ = SH[r_, a_]"]
    if work.column:  # the synapses of delay d_ onto i_: the column's group e_
        lines += ["    for c_ in range(CP[i_, e_], CP[i_, e_ + 1]):", "        s_ = CI[c_]", "        pass"]
    per_item = S.stmts("\n".join(lines))
    spike = per_item[-1]
    rename = S.Rename({"i": "i_"})  # the neuron that fired is i_ here (i is the item)
    if work.column:
        spike.body[2].body[1:] = [rename.visit(st) for st in c.statements(work.per_synapse)]
        spike.body[2:2] = [rename.visit(st) for st in c.statements(work.before_column)]
    spike.body += [rename.visit(st) for st in c.statements(work.per_spike)]
    items = S.expr("SH.shape[1] * (LM[2] - LM[1] + 1)")
    return [], per_item, items


def _sampling(c: _Call, work: Sampling):
    """Item i: recorded neuron i. Rows follow from the step: ``sample_count[g]`` holds (filled
    rows) - (step0 // every) - 1 for the steps from step0 the engine runs."""
    per_item = S.stmts("\n".join(["if i == 0:", "    ST[row_] = step + 1", "n_ = X[i]",
                                  *[f"V{j}[row_, i] = x{j}[n_]" for j in range(work.variables)]]))
    return ([S.assign("row_", f"sample_count[g] + (step + 1) // {work.every}")], per_item,
            S.expr(f"(X.size if (step + 1) % {work.every} == 0 else 0)"))
