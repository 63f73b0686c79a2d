"""Render a step program lowered for a GPU (:mod:`fastspike.backends.cuda.lower`) as
``numba.cuda`` code: a few kernels that run whole stages of a step, or whole steps.

**Arenas.** Every array of the program lives in one device array per dtype (an *arena*,
``M_float32``, ``M_int32``, ...); a call's arrays are views of its arena, found through an
int64 table ``TAB`` (for each array: offset and shape; for each prelude constant, evaluated
on the host: its offset). So a kernel takes a dozen arguments whatever the network, and the
calls of one kernel are made by a loop over rows of the table, not by launches.

**Groups and stages.** Calls of the same kernel (and argument types) form a *group*; each
group is a device function ``g<k>(..., gi, G_, o_, TAB, b_, arenas)`` that binds the views
of the call at table row ``b_`` (2-D arrays as flat views indexed by hand) and runs the
kernel's work items ``i`` (neurons, samples, or lanes of spikes to deliver) that fall to
thread ``gi`` of a grid of ``G_`` threads: items are numbered across the calls of a stage
(``o_``: items of the calls before), so the work of a stage spreads over the whole grid
however it is split among populations and projections. A step has three stages:
deliveries; population updates and sources; state samples. A stage's calls are independent
of each other.

**Kernels.** ``run_steps(step0, nsteps, spike_limit, done, ...)`` runs up to ``nsteps``
whole steps in one cooperative launch, with a grid-wide barrier
(``cuda.cg.this_grid().sync()``) after the deliveries and after the updates; the samples of
step k run with the deliveries of step k + 1 (they read what neither writes). It stops
early, before a step, once a spike record buffer holds more than its ``spike_limit`` (so
that the next step cannot overflow it), and writes the steps it ran to ``done[0]``: a
chunk lasts as long as the spikes actually fired fit, as in the CPU backend, not as long
as the worst case (every neuron firing every step) would. ``stage_deliver``,
``stage_update`` and ``stage_sample`` run one stage of one step each (ordinary launches: 2
per step, 3 on sampling steps) when cooperative launches are not wanted or not possible.

The model's scalar equations are compiled as device functions (``cuda.jit(device=True)``):
the same functions as on the CPU.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np

from ...equations import compile_scalar
from ...ir import syntax as S
from ...ir.nodes import CONSTANTS, Stage, StepProgram
from ..cpu.compiler import _constants, import_generated
from ..lowering import Lowered, LoweredKernel, Program
from .availability import simulated
from .lower import lower_program

__all__ = ["Layout", "layout", "lower", "render", "compile_program", "host_prelude", "check_no_aliases", "signature",
           "STAGES", "SCALARS", "FlatIndices"]

STAGES = ("deliver", "update", "sample", "learn")
STAGE_OF = {Stage.DELIVER: 0, Stage.UPDATE: 1, Stage.SAMPLE: 2, Stage.LEARN: 3}
"""The GPU stages of the step program's stages (numbered so that a program without plasticity
renders as before; learning runs between update and sample, when a program has it)."""
SCALARS = ("ring_length", "consts", "spike_count", "sample_count", "TAB")
"""The arguments of every kernel after the step(s), before the arenas."""


def lower(prog: StepProgram, lanes: int | None = None) -> Program:
    """``prog`` lowered to GPU work items."""
    return Program(prog, lower_program(prog, lanes))


def host_prelude(kernel: LoweredKernel, arrays: list[np.ndarray], consts: np.ndarray, dtype: np.dtype) -> tuple:
    """The values of the kernel's prelude constants, computed on the host (plain Python)."""
    ns: dict = dict(zip(kernel.params, arrays))
    ns.update(zip(CONSTANTS, consts))
    ns.update(np=np, math=math, _cast=dtype.type)
    ns.update(kernel.functions)
    module = ast.fix_missing_locations(ast.Module(body=[S.clone(st) for st in kernel.prelude], type_ignores=[]))
    exec(S.compile_tree(module, "<prelude>"), ns)  # noqa: S102 - fastspike-generated code only
    return tuple(ns[c] for c in kernel.constants)


@dataclass
class Group:
    """The calls of one kernel with the same argument types, run by one device function."""

    stage: int
    kernel: LoweredKernel
    calls: list[Lowered]
    signature: tuple  # ((dtype name, ndim) per constant then per array)

    @property
    def width(self) -> int:
        """Table entries per call: one per constant, 1 + ndim per array, and the call's items."""
        return sum(1 if nd == 0 else 1 + nd for _, nd in self.signature) + 1


@dataclass
class Layout:
    """Where every array and constant of a program lives in the arenas, and the table."""

    groups: list[Group] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # arena dtype name -> elements
    places: dict[int, tuple[str, int]] = field(default_factory=dict)  # id(array) -> (arena, offset)
    arrays: dict[int, np.ndarray] = field(default_factory=dict)  # id(array) -> array
    table: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def arenas(self) -> list[str]:
        return sorted(self.sizes)

    def stage_items(self, stage: int) -> int:
        """An upper bound of a stage's work items in one step."""
        total = 0
        for g in self.groups:
            if g.stage == stage:
                for call in g.calls:
                    total += int(call.threads) * call.lanes
        return total


def _arena(dtype: np.dtype) -> str:
    return np.dtype(dtype).name


def layout(prog: Program, consts: np.ndarray) -> Layout:
    """Place the program's arrays (each once, however many calls share it) and prelude
    constants in arenas, and write the table: a header of (first row, number of calls) per
    group, then one row per call."""
    out = Layout()
    groups: dict[tuple, Group] = {}
    constants: dict[int, list] = {}  # id(call) -> its prelude constants
    for call in prog.calls:
        values = [np.asarray(v) for v in host_prelude(call.kernel, call.arrays, consts, prog.dtype)]
        constants[id(call)] = values
        sig = tuple((_arena(v.dtype), 0) for v in values) + tuple((_arena(a.dtype), a.ndim) for a in call.arrays)
        stage = STAGE_OF[call.kernel.stage]
        key = (stage, call.kernel.name, sig)
        if key not in groups:
            groups[key] = Group(stage, call.kernel, [], sig)
        groups[key].calls.append(call)
    out.groups = sorted(groups.values(), key=lambda g: g.stage)  # stable: first appearance in a stage

    def place(a: np.ndarray) -> int:
        key = id(a)
        if key not in out.places:
            name = _arena(a.dtype)
            out.places[key] = (name, out.sizes.get(name, 0))
            out.sizes[name] = out.sizes.get(name, 0) + max(a.size, 1)
            out.arrays[key] = a
        return out.places[key][1]

    table = [0] * (2 * len(out.groups))
    for k, g in enumerate(out.groups):
        table[2 * k], table[2 * k + 1] = len(table), len(g.calls)
        for call in g.calls:
            row = []
            for v in constants[id(call)]:
                row.append(place(v.reshape(1)))
            for a in call.arrays:
                row += [place(a), *a.shape]
            row.append(int(call.threads))
            assert len(row) == g.width
            table += row
    out.table = np.array(table, np.int64)
    return out


def check_no_aliases(arrays: list[np.ndarray], written: set[int]) -> None:
    """Arrays are copied into the arenas one by one: two different arrays over the same memory
    become two copies, which is wrong if a kernel writes one of them (ids in ``written``)."""
    spans = sorted((a.__array_interface__["data"][0], a.nbytes, id(a)) for a in arrays if a.nbytes)
    end, last = -1, None
    for p, n, key in spans:
        if p < end and (key in written or last in written):
            raise AssertionError("CUDA backend: two arrays of the step program share memory")
        if p + n > end:
            end, last = p + n, key


def _view(arena: str, at: str, ndim: int) -> str:
    """The source of a view whose offset is ``TAB[at]`` (shape after it): the element for
    ``ndim`` 0, else the flat run of its elements (2-D arrays are indexed by hand: see
    :func:`_flat_indices`)."""
    base = f"TAB[{at}]"
    if ndim == 0:
        return f"M_{arena}[{base}]"
    dims = [f"TAB[{at} + {d + 1}]" for d in range(ndim)]
    return f"M_{arena}[{base}:{base} + {' * '.join(dims)}]"


class FlatIndices(ast.NodeTransformer):
    """Index the 2-D arrays ``names`` by hand: they are bound as flat views with ``<name>_r_``
    rows and ``<name>_c_`` columns, so ``X[a, b]`` becomes ``X[a * X_c_ + b]``,
    ``cuda.atomic.add(X, (a, b), v)`` takes that index, ``X.shape[k]`` the rows or columns
    (``X.size`` stays). Any other use of ``X`` is refused. Numba-cuda reshapes a view by
    calling a helper through local memory: every thread would pay that for every 2-D array
    of every call, every step."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def _flat(self, name: str, index: ast.expr, where: ast.AST) -> ast.expr:
        if not (isinstance(index, ast.Tuple) and len(index.elts) == 2):
            raise AssertionError(f"2-D array {name} not indexed by two indices in {ast.unparse(where)!r}")
        a, b = (self.visit(e) for e in index.elts)
        return ast.BinOp(ast.BinOp(a, ast.Mult(), S.name(f"{name}_c_")), ast.Add(), b)

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        value = node.value
        if isinstance(value, ast.Name) and value.id in self.names:
            node.slice = self._flat(value.id, node.slice, node)
            return node
        if isinstance(value, ast.Attribute) and value.attr == "shape" and isinstance(value.value, ast.Name) \
                and value.value.id in self.names and isinstance(node.slice, ast.Constant):
            return ast.copy_location(S.name(f"{value.value.id}_{'rc'[node.slice.value]}_"), node)
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        if isinstance(node.value, ast.Name) and node.value.id in self.names and node.attr == "size":
            return node  # the flat view has as many elements
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if ast.unparse(node.func) == "cuda.atomic.add" and node.args and isinstance(node.args[0], ast.Name) \
                and node.args[0].id in self.names:
            node.args = [node.args[0], self._flat(node.args[0].id, node.args[1], node), *map(self.visit, node.args[2:])]
            return node
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            raise AssertionError(f"2-D array {node.id} used whole")
        return node


def _flat_indices(line: str, names: set[str]) -> str:
    """``line`` (one statement) with the 2-D arrays ``names`` indexed by hand (see
    :class:`FlatIndices`)."""
    tree = S.parse(line)
    try:
        FlatIndices(names).visit(tree)
    except AssertionError as exc:
        raise AssertionError(f"{exc} in {line!r}") from None
    return ast.unparse(tree)


_OWN = ("step", "slot", *SCALARS, "gi", "G_", "o_", "b_", "items_", "i0_")
"""The names of a group function that its kernel's statements must not assign."""


def _check_own_names(kernel: LoweredKernel, statements: list[ast.stmt]) -> None:
    """A kernel statement that assigned ``o_`` (say) would give the threads different offsets
    for the calls after it, and the grid would miss some items and do others twice."""
    for name in S.assigned_names(statements):
        if name in _OWN:
            raise AssertionError(f"kernel {kernel.kind}: assigns {name}, a name of its GPU group")


def _group_source(k: int, g: Group, arenas: list[str], decorator: str) -> list[str]:
    kernel = g.kernel
    _check_own_names(kernel, [*kernel.body, *kernel.per_item])
    out = ["", "", decorator,
           f"def g{k}(step, slot, {', '.join(SCALARS)}, gi, G_, o_, b_, {', '.join('M_' + a for a in arenas)}):",
           *_constants("    ")]
    binds, at, matrices = {}, 0, set()
    for name, (arena, ndim) in zip([*kernel.constants, *kernel.params], g.signature):
        assert ndim <= 2, (kernel.kind, name, ndim)
        binds[name] = f"    {name} = {_view(arena, f'b_ + {at}', ndim)}"
        if ndim == 2:
            binds[name] += f"; {name}_r_ = TAB[b_ + {at + 1}]; {name}_c_ = TAB[b_ + {at + 2}]"
            matrices.add(name)
        at += 1 if ndim == 0 else 1 + ndim
    flat = FlatIndices(matrices)
    items = flat.visit(S.clone(kernel.items)) if kernel.items is not None else S.expr(f"TAB[b_ + {at}]")
    # Every thread runs every call of a stage, and most have no item in most calls (a
    # microcircuit step: 56 deliveries, about 34 000 lanes in all): such a thread binds only
    # what the count of items needs (a few loads from the table each), and leaves.
    needed = S.names_in(kernel.items) if kernel.items is not None else set()
    out += [line for name, line in binds.items() if name in needed]
    out += [f"    items_ = {ast.unparse(items)}", "    i0_ = gi - o_ % G_", "    if i0_ < 0:", "        i0_ += G_",
            "    if i0_ >= items_:", "        return o_ + items_"]
    out += [line for name, line in binds.items() if name not in needed]
    out += S.unparse([flat.visit(S.clone(st)) for st in kernel.body], 1)
    loop = S.stmts("for i in range(i0_, items_, G_):\n    pass")[0]
    loop.body = [flat.visit(S.clone(st)) for st in kernel.per_item] or [ast.Pass()]
    out += S.unparse(loop, 1)
    out.append("    return o_ + items_")
    return out


def render(prog: Program, lay: Layout) -> str:
    """The source of the program's device functions and kernels."""
    device = "@cuda.jit(device=True)"
    kernel = "@cuda.jit" if simulated() else "@cuda.jit(cache=True)"
    arenas = ", ".join("M_" + a for a in lay.arenas)
    scalars = ", ".join(SCALARS)
    out = ["# Generated by fastspike: one network's CUDA kernels. Do not edit.", "from numba import cuda"]
    for k, g in enumerate(lay.groups):
        out += _group_source(k, g, lay.arenas, device)
    learns = any(g.stage == 3 for g in lay.groups)
    stages = STAGES if learns else STAGES[:3]
    for s, stage in enumerate(stages):
        out += ["", "", device, f"def {stage}(step, {scalars}, gi, G_, {arenas}):",
                "    slot = step & (ring_length - 1)", "    o_ = 0"]
        for k, g in enumerate(lay.groups):
            if g.stage == s:
                out += [f"    for c_ in range(TAB[{2 * k + 1}]):",
                        f"        o_ = g{k}(step, slot, {scalars}, gi, G_, o_, TAB[{2 * k}] + c_ * {g.width}, {arenas})"]
        out.append("    return o_")
    for stage in stages:
        out += ["", "", kernel, f"def stage_{stage}(step, {scalars}, {arenas}):",
                f"    {stage}(step, {scalars}, cuda.grid(1), cuda.gridsize(1), {arenas})"]
    out += ["", "", kernel, f"def run_steps(step0, nsteps, spike_limit, done, {scalars}, {arenas}):",
            "    grid = cuda.cg.this_grid()", "    gi = cuda.grid(1)", "    G_ = cuda.gridsize(1)",
            "    s_ = 0",
            "    while s_ < nsteps:",
            "        if s_ > 0:  # after a barrier: every thread reads the same counts, and all stop or none",
            "            full_ = False",
            "            for k_ in range(spike_limit.size):",
            "                if spike_count[k_] > spike_limit[k_]:",
            "                    full_ = True",
            "            if full_:",
            "                break",
            f"        deliver(step0 + s_, {scalars}, gi, G_, {arenas})",
            *([] if learns else ["        if s_ > 0:", f"            sample(step0 + s_ - 1, {scalars}, gi, G_, {arenas})"]),
            "        grid.sync()",
            f"        update(step0 + s_, {scalars}, gi, G_, {arenas})",
            "        grid.sync()",
            # plastic synapses: learn, then sample the step (weights too) before the next delivery
            *([f"        learn(step0 + s_, {scalars}, gi, G_, {arenas})", "        grid.sync()",
               f"        sample(step0 + s_, {scalars}, gi, G_, {arenas})", "        grid.sync()"] if learns else []),
            "        s_ += 1",
            *([] if learns else ["    if s_ > 0:", f"        sample(step0 + s_ - 1, {scalars}, gi, G_, {arenas})"]),
            "    if gi == 0:",
            "        done[0] = s_"]
    return "\n".join(out) + "\n"


def signature(kernel: str, lay: Layout, dtype: np.dtype) -> tuple:
    """The Numba types of the arguments of the rendered ``kernel`` (``run_steps`` or
    ``stage_<stage>``): to compile it ahead of a launch, or to PTX without a GPU."""
    import numba

    i64 = numba.types.Array(numba.int64, 1, "C")
    leading = (numba.int64, numba.int64, i64, i64) if kernel == "run_steps" else (numba.int64,)
    scalars = (numba.int64, numba.types.Array(numba.from_dtype(np.dtype(dtype)), 1, "C"), i64, i64, i64)
    assert len(scalars) == len(SCALARS)
    return leading + scalars + tuple(numba.types.Array(numba.from_dtype(np.dtype(a)), 1, "C") for a in lay.arenas)


_DEVICE: list = []


def _device_decorator():
    """One ``cuda.jit(device=True)`` per process, so compiled device functions are shared."""
    if not _DEVICE:
        from numba import cuda

        _DEVICE.append(cuda.jit(device=True))
    return _DEVICE[0]


def compile_program(prog: Program, lay: Layout):
    """Write and import the module of the program's CUDA kernels; returns the module."""
    from numba import cuda

    device = _device_decorator()
    return import_generated(render(prog, lay), prog, "cuda", lambda fn, dtype: compile_scalar(fn, device, dtype=dtype),
                            dict(np=np, math=math, _cast=prog.dtype.type, cuda=cuda), (str(simulated()),))
