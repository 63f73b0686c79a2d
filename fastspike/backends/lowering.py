"""What the backends' lowerings share: the lowered form of a kernel, and tree passes.

A lowering turns each :class:`~fastspike.ir.nodes.Call` of a step program into a
:class:`Lowered` call: a kernel of plain Python syntax trees (a prelude and a body that a
backend's compiler renders into a function) and the arrays it takes, which may include
arrays of the lowering's own (spike flags, the ranges of CPU threads, the lanes of a GPU
delivery).
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..ir import syntax as S
from ..ir.nodes import If, Memo, Stage, StepProgram

__all__ = ["LoweredKernel", "Lowered", "Program", "Intrinsics", "kernel_hash", "memo_arrays", "memo_direct",
           "memo_cached"]


@dataclass
class LoweredKernel:
    """A kernel in a backend's terms: parameters (array names), a prelude (constants computed
    once per compiled call), a body (the work of one step), and for CPU threads a merge (run
    once after every thread's part); GPU kernels also say how many work items a step has."""

    kind: str
    stage: Stage
    params: list[str]
    prelude: list[ast.stmt]
    body: list[ast.stmt]
    functions: dict[str, Callable]
    merge: list[ast.stmt] = field(default_factory=list)
    items: ast.expr | None = None
    per_item: list[ast.stmt] = field(default_factory=list)
    persistent: frozenset = frozenset()
    """The names of the parameters that persist across runs."""

    @property
    def constants(self) -> list[str]:
        """The names the prelude assigns (passed to the body)."""
        return [n for n in S.assigned_names(self.prelude)]

    def text(self) -> str:
        """A canonical description of the kernel (its identity)."""
        parts = [self.kind, ",".join(self.params), *S.unparse(self.prelude), "|", *S.unparse(self.body), "|",
                 *S.unparse(self.per_item), "|", *S.unparse(self.merge), "|",
                 ast.unparse(self.items) if self.items is not None else "", *sorted(self.functions)]
        return "\n".join(parts)

    @property
    def name(self) -> str:
        return f"{self.kind}_{kernel_hash(self.text())}"


@dataclass
class Lowered:
    """A lowered kernel applied to arrays (one per parameter)."""

    kernel: LoweredKernel
    arrays: list[np.ndarray]
    threads: int = 1
    """GPU: independent work items of a step (neurons, spikes, samples)."""
    lanes: int = 1
    """GPU: threads per item (deliveries: lanes per spike)."""

    @property
    def stage(self) -> int:
        return int(self.kernel.stage)


@dataclass
class Program:
    """A step program lowered for a backend: the lowered calls (the engine drains the record
    buffers of ``source``)."""

    source: StepProgram
    calls: list[Lowered]
    threads: int = 1
    tile: np.ndarray | None = None
    """CPU, a tiled program (``fastspike.backends.cpu.lower.tileable``): one int64, the step the
    state has reached while spikes of earlier steps wait in the tile's bitmaps (0: none)."""

    @property
    def dtype(self) -> np.dtype:
        return self.source.dtype

    def kernels(self) -> dict[str, LoweredKernel]:
        """The distinct kernels, by name."""
        return {c.kernel.name: c.kernel for c in self.calls}


def kernel_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


class Intrinsics(ast.NodeTransformer):
    """Replace the step program's intrinsic calls (``search_right(a, x)``, ``search_left(a,
    x)``: the first index of the sorted array ``a`` whose value is > x, >= x) by a backend's
    spelling: a mapping from the intrinsic to a function building the call."""

    def __init__(self, spellings: dict[str, Callable[[list[ast.expr]], ast.expr]]) -> None:
        self.spellings = spellings

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.spellings:
            return ast.copy_location(self.spellings[node.func.id](node.args), node)
        return node


# -- memoised values (ir.nodes.Memo) ---------------------------------------------------------------
def memo_arrays(work: object) -> set[str]:
    """The arrays of the :class:`~fastspike.ir.nodes.Memo` statements of a kernel's work (every
    statement list it holds): what a lowering that evaluates memos directly leaves out."""
    out: set[str] = set()

    def visit(items: list) -> None:
        for st in items:
            if isinstance(st, Memo):
                out.update(st.values)
                out.add(st.stamps)
            elif isinstance(st, If):
                visit(st.body)
                visit(st.orelse)

    for value in vars(work).values():
        if isinstance(value, list):
            visit(value)
    return out


def _targets(st: Memo) -> ast.expr:
    if len(st.targets) == 1:
        return S.name(st.targets[0], store=True)
    return ast.Tuple([S.name(t, store=True) for t in st.targets], ast.Store())


def memo_direct(st: Memo) -> list[ast.stmt]:
    """A memo evaluated where it is needed (work items that share its index): ``targets = value``,
    each then float64 as a kept value is (a no-op for float64 values)."""
    return [ast.Assign([_targets(st)], S.clone(st.value), lineno=0),
            *(S.assign(t, f"np.float64({t})") for t in st.targets)]


def memo_cached(st: Memo, local: str = "mi") -> list[ast.stmt]:
    """A memo kept in its arrays (one thread, which alone reads and writes them): computed and
    stored when its stamp is not this step's, read back otherwise. Index expressions other
    than names are bound to locals ``<local><k>_`` first (read once)."""
    out: list[ast.stmt] = []
    index: list[ast.expr] = []
    for k, x in enumerate(st.index):
        if isinstance(x, (ast.Name, ast.Constant)):
            index.append(S.clone(x))
        else:
            out.append(ast.Assign([S.name(f"{local}{k}_", store=True)], S.clone(x), lineno=0))
            index.append(S.name(f"{local}{k}_"))

    def at(array: str, store: bool = False) -> ast.Subscript:
        return S.subscript(array, *[S.clone(x) for x in index], store=store)

    compute = [ast.Assign([_targets(st)], S.clone(st.value), lineno=0)]
    compute += [ast.Assign([at(v, store=True)], S.name(t), lineno=0) for v, t in zip(st.values, st.targets)]
    compute.append(ast.Assign([at(st.stamps, store=True)], S.name("step"), lineno=0))
    reuse = [ast.Assign([S.name(t, store=True)], at(v), lineno=0) for v, t in zip(st.values, st.targets)]
    test = ast.Compare(at(st.stamps), [ast.NotEq()], [S.name("step")])
    out.append(ast.If(test, compute, reuse))
    return out
