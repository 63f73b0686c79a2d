"""Render a network's lowered step program as cached ``@njit`` functions.

The calls of the step (lowered by :mod:`fastspike.backends.cpu.lower`) become, for small
networks, one fused function (every call's prelude and body inlined, its names given the
call's suffix), else each distinct kernel becomes two functions (its prelude and its step)
and a driver ``run_chunk`` loops over steps and calls them. The source is written to a module
file named by a hash of everything the compiled code depends on (the source itself, the
fastspike version, the dtype, and the code of the scalar functions it calls), then imported
with the jitted scalar functions injected as globals. Numba's ``cache=True`` then works as
for any package module: a later process that builds a network of the same structure, at
any size, loads the machine code instead of compiling it. A change to a model's equations
changes the hash, so a stale cache is never used (Numba alone would not notice a change
in a called function of another module).

The folder is ``$FASTSPIKE_CACHE_DIR``, else ``~/.cache/fastspike``.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import math
import os
import sys
import threading
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
from numba import njit

from ..._version import __version__
from ...equations import compile_scalar
from ...ir import syntax as S
from ...ir.nodes import CONSTANTS, KERNEL_ARGS, Stage, StepProgram
from ...runtime.numba_cache import package_digest
from ..lowering import Lowered, LoweredKernel, Program, kernel_hash
from .lower import TILE_STEPS, lower_program, tileable
from .argument_lists import argument_list
from .sync import SPIN_BUDGET

__all__ = ["cache_dir", "compile_program", "render", "jit_function", "lower", "Program"]

_DECORATOR = "@njit(cache=True, nogil=True)"
_PARALLEL = "@njit(cache=True, nogil=True, parallel=True)"
BLOCK_ARGS = ("block", "blocks")
"""With CPU threads, the arguments of every kernel after the leading ones: the neuron range
the call updates (see :func:`fastspike.blocks.block_starts`) and their number."""


def cache_dir() -> Path:
    """Folder of generated modules and their Numba caches."""
    root = os.environ.get("FASTSPIKE_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "fastspike")
    path = Path(root) / f"v{__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def jit_function(fn: Callable, dtype=None, vector_math: bool = False) -> Callable:
    """The ``@njit`` version of a scalar equation function (one per process, function and
    precision: with ``dtype`` float32 its float literals are float32). With ``vector_math``
    (``fs.backends.CPU(vector_math=True)``) it calls :mod:`fastspike.vmath`'s ``exp`` and
    ``expm1`` and compiles with ``error_model="numpy"`` (no branch to raise on a division by
    zero), so that a neuron loop that calls it can be vectorized."""
    if vector_math:
        return compile_scalar(fn, _njit_numpy_errors, dtype=dtype, vector_math=True)
    return compile_scalar(fn, njit, dtype=dtype)


VECTOR_JIT = {"error_model": "numpy", "forceinline": True}
"""How vector math compiles model equations: no branch that raises on a division by zero, and
inlined into the kernel by LLVM (``alwaysinline``: its inliner would keep a large equation, such as Traub-Miles
rates with their eight exponentials, as a call, and a loop with a call is not vectorized)."""


def _njit_numpy_errors(fn: Callable) -> Callable:
    """``njit`` with :data:`VECTOR_JIT` (the jit of vector-math equations)."""
    return njit(fn, **VECTOR_JIT)


VECTOR_MATH = "error_model='numpy'"
"""What vector math adds to every ``@njit`` decorator of the generated step."""


def with_vector_math(source: str) -> str:
    """``source`` (a rendered step) with every ``@njit`` compiled with Numba's numpy error
    model: a float division by zero gives inf or nan instead of a branch that raises, which
    LLVM's loop vectorizer cannot take."""
    return source.replace("@njit(cache=True, nogil=True", f"@njit(cache=True, nogil=True, {VECTOR_MATH}")


LITERALS = "model-literals-in-network-dtype"
"""Part of the cache key: model equations compile with float literals in the network dtype."""


LEADING = (*KERNEL_ARGS, "pre")
"""The leading arguments of every kernel: those of the step program, then ``pre``, the tuple
of its prelude's constants."""


def _constants(indent: str) -> list[str]:
    return [f"{indent}{name} = consts[{k}]" for k, name in enumerate(CONSTANTS)]


def lower(prog: StepProgram, threads: int = 1, processes: int = 1) -> Program:
    """``prog`` lowered for the CPU: serial, or for the ranges of ``threads`` threads (of each
    of ``processes`` processes: ``Program.threads`` is then the ranges of all processes)."""
    tiled = tileable(prog, threads, processes)
    return Program(prog, lower_program(prog, threads, processes, tiled), threads * processes,
                   np.zeros(1, np.int64) if tiled else None)


def _render_kernel(name: str, k: LoweredKernel, ranged: bool = False) -> list[str]:
    params = ", ".join(k.params)
    args = ", ".join([*LEADING, *(BLOCK_ARGS if ranged else ()), *k.params])
    constants = k.constants
    out = ["", "", _DECORATOR, f"def {name}_prelude(consts, {params}):", *_constants("    ")]
    out += S.unparse(k.prelude, 1)
    out.append(f"    return ({', '.join(constants)},)" if constants else "    return (0,)")
    out += ["", "", _DECORATOR, f"def {name}({args}):", *_constants("    ")]
    if constants:
        out.append(f"    {', '.join(constants)}, = pre")
    out += S.unparse(k.body, 1)
    return out


def merge_function(k: LoweredKernel) -> tuple[str, list[int]]:
    """The function that merges the threads' parts of kernel ``k``'s calls (its spike lists),
    taking only the arrays the merge reads: its name, a hash of its text, so that kernels
    whose merges are the same (every population of one record layout, whatever its model or
    inputs) share one compiled function, and the positions of those arrays among ``k.params``."""
    used = S.names_in(k.merge)
    positions = [i for i, p in enumerate(k.params) if p in used]
    text = "\n".join([",".join(k.params[i] for i in positions), *S.unparse(k.merge, 1)])
    return f"merge_{kernel_hash(text)}", positions


def _render_merges(prog: Program) -> list[str]:
    """The distinct merge functions of the program's kernels (:func:`merge_function`)."""
    out: list[str] = []
    done: set[str] = set()
    for k in prog.kernels().values():
        if not k.merge:
            continue
        name, positions = merge_function(k)
        if name not in done:
            done.add(name)
            args = ", ".join([*KERNEL_ARGS, *BLOCK_ARGS, *(k.params[i] for i in positions)])
            out += ["", "", _DECORATOR, f"def {name}({args}):", *S.unparse(k.merge, 1)]
    return out


def groups(prog: Program) -> list[tuple[LoweredKernel, list[Lowered]]]:
    """The calls grouped by kernel and argument types, in the order of the step: each group
    becomes one loop in the driver over a typed list of argument tuples, so the driver stays
    small whatever the number of populations and projections."""
    out: dict[tuple, tuple[LoweredKernel, list[Lowered]]] = {}
    for call in prog.calls:
        key = (call.stage, call.kernel.name, tuple((a.dtype.str, a.ndim) for a in call.arrays))
        out.setdefault(key, (call.kernel, []))[1].append(call)
    return list(out.values())


FUSE_MAX_CALLS = 12
"""Programs with at most this many calls per step are fused: one function (a worker and a
``run_chunk_ranges`` with CPU threads) with every call inlined."""

SHARED = {*KERNEL_ARGS, *BLOCK_ARGS, *CONSTANTS, "np", "math", "_cast"}
"""Names every call of a fused function shares (never renamed)."""


def own_names(k: LoweredKernel) -> set[str]:
    """The names a kernel owns: its parameters, its prelude's constants, the locals and loop
    indices its body (and its merge) binds."""
    bound = {*k.params, *S.assigned_names(k.prelude), *S.assigned_names(k.body), *S.assigned_names(k.merge)}
    return (bound - SHARED) - set(k.functions)


def fused(prog: Program, fuse: bool | None = None) -> bool:
    """Whether ``prog`` is rendered as fused functions (one ``run_chunk``; with CPU threads a
    ``worker`` and a ``run_chunk_ranges``) with every call inlined: ``fuse`` None decides by
    size (small networks), True or False asks for it or for the kernels and drivers."""
    return len(prog.calls) <= FUSE_MAX_CALLS if fuse is None else fuse


_RUN_CHUNK = "def run_chunk(step0, nsteps, consts, ring_length, spike_count, spike_limit, sample_count, sample_limit"
_STEP_LOOP = ["    for s_ in range(nsteps):", "        step = step0 + s_",
              "        for k_ in range(spike_count.size):", "            if spike_count[k_] > spike_limit[k_]:",
              "                return s_",
              "        for k_ in range(sample_count.size):", "            if sample_count[k_] >= sample_limit[k_]:",
              "                return s_",
              "        slot = step & (ring_length - 1)"]
"""The head of the step loop of ``run_chunk``: it returns the steps run before a record
buffer could overflow (the engine drains it and calls again)."""
_RANGED_HEAD = ("step0, nsteps, consts, ring_length, spike_count, spike_limit, sample_count, sample_limit, blocks, "
                "first, last")
"""The leading parameters of the drivers of CPU threads and processes (after a worker's own)."""
_WORKER_STEP_HEAD = ["full = False", "for k_ in range(spike_count.size):",
                     "    if spike_count[k_] > spike_limit[k_]:", "        full = True",
                     "for k_ in range(sample_count.size):", "    if sample_count[k_] >= sample_limit[k_]:",
                     "        full = True", "if full:", "    if w == 0:", "        sync[2] = s_", "    return",
                     "slot = step & (ring_length - 1)"]
"""The head of a worker's step: every worker stops before a record buffer could overflow
(worker 0 leaves the steps run in ``sync[2]``)."""


class _Inlined(NamedTuple):
    """One call of a fused function: its stage, and its kernel's parameters, prelude, body
    and merge with the call's own names."""

    stage: Stage
    params: list[str]
    prelude: list[ast.stmt]
    body: list[ast.stmt]
    merge: list[ast.stmt]


def _inlined(prog: Program) -> list[_Inlined]:
    """Every call, in the order of the step, with the names it owns renamed ``<name>_<call>``
    (a tree pass)."""
    out = []
    for c, call in enumerate(prog.calls):
        k = call.kernel
        rename = S.Rename({name: f"{name}_{c}" for name in own_names(k)})
        out.append(_Inlined(call.stage, [rename.mapping.get(p, p) for p in k.params],
                            *([rename.visit(S.clone(st)) for st in part] for part in (k.prelude, k.body, k.merge))))
    return out


def _render_fused(prog: Program) -> str:
    """One function: every call's prelude and body inlined (:func:`_inlined`), arrays flat."""
    calls = _inlined(prog)
    params = [p for call in calls for p in call.params]
    prelude = [st for call in calls for st in call.prelude]
    body = [st for call in calls for st in call.body]
    out = ["# Generated by fastspike: one network's step sequence. Do not edit.", "from numba import njit", "", "",
           _DECORATOR,
           _RUN_CHUNK + "".join(f", {p}" for p in params) + "):", *_constants("    ")]
    out += S.unparse(prelude, 1)
    out += _STEP_LOOP
    out += S.unparse(body, 2)
    out.append("    return nsteps")
    return "\n".join(out) + "\n"


def _render_tiled(prog: Program) -> str:
    """A tiled program (:func:`~fastspike.backends.cpu.lower.tileable`), fused: every population
    advances ``TILE_STEPS`` steps at a time, block by block (each call's ``BL`` ranges), and
    each step's spikes are emitted from the tile's bitmaps (the calls' merges; ``2 x
    TILE_STEPS`` rows, a step's row ``step & (2 TILE_STEPS - 1)``) in the order of the steps.
    Before a step's spikes the record buffers are checked as the step loop does; when one could
    overflow, the step the state has reached is left in ``tile[0]`` and the steps whose spikes
    are out are returned. A call with ``tile[0]`` past ``step0`` emits those steps' spikes
    first (the engine drains and calls again at once). Whatever ``fuse`` asks, a tiled program
    is fused.

    One thread: ``run_chunk(..., sample_limit, tile, *arrays)`` runs a tile, then emits its
    spikes. CPU threads: ``worker(w, workers, spin_budget, ..., sample_limit, blocks, first,
    last, sync, tile, *arrays)``: the workers claim a tile's blocks one at a time
    (``sync[6]``, an atomic counter; the ranges of threads play no part, since a block's
    neurons need no one else's) while worker 0 first emits the spikes of the tile before
    (hence two tiles of rows); they meet at a barrier before and after each tile (``sync[5]``:
    stop, ``sync[2]``: the steps whose spikes are out). ``run_chunk_ranges(..., sample_limit,
    blocks, first, last, tile, *arrays)`` is the one-thread loop (the fallback when the
    workers do not run at once)."""
    calls = _inlined(prog)
    params = [p for call in calls for p in call.params]
    prelude = [st for call in calls for st in call.prelude]
    merges = S.unparse([st for call in calls for st in call.merge], 0)
    starts = [next(p for p in call.params if p.startswith("BL_")) for call in calls]

    def steps(call) -> list[str]:  # the tile's t_ steps from done_ of one block of a call
        return ["for s_ in range(done_, done_ + t_):", "    step = step0 + s_", "    slot = step & (ring_length - 1)",
                *S.unparse(call.body, 1)]

    def emit(upto: str, full: list[str]) -> list[str]:  # the spikes of the steps before ``upto``
        return [f"while out_ < {upto}:", "    step = step0 + out_", "    full_ = False",
                "    for k_ in range(spike_count.size):", "        if spike_count[k_] > spike_limit[k_]:",
                "            full_ = True", "    if full_:", *_indent(full, 2), *_indent(merges, 1), "    out_ += 1"]

    start = ["done_ = tile[0] - step0 if tile[0] > step0 else 0  # the state's step (spikes of earlier ones wait)",
             "out_ = 0  # the steps whose spikes are out"]
    serial_tile = [line for call, bl in zip(calls, starts)
                   for line in [f"for block in range({bl}.size - 1):", *_indent(steps(call), 1)]]
    serial = [*start, "while True:", *_indent(emit("done_", ["tile[0] = step0 + done_", "return out_"]), 1),
              "    if done_ == nsteps:", "        tile[0] = 0", "        return nsteps",
              f"    t_ = min({TILE_STEPS}, nsteps - done_)", *_indent(serial_tile, 1), "    done_ += t_"]
    flat = "".join(f", {p}" for p in params)
    head = ["from numba import njit", "", "", _DECORATOR]
    if prog.threads == 1:
        out = ["# Generated by fastspike: one network's step sequence, in tiles of steps. Do not edit.", *head,
               _RUN_CHUNK + f", tile{flat}):", *_constants("    "), *S.unparse(prelude, 1), *_indent(serial, 1)]
        return "\n".join(out) + "\n"
    blocks = [f"({bl}.size - 1)" for bl in starts]  # each call's blocks
    claim: list[str] = ["k_ = _atomic_add(sync, 6, 1)", "while k_ < total_:"]  # the next block of the tile
    for c, call in enumerate(calls):
        claim += [f"    {'if' if c == 0 else 'elif'} k_ < {' + '.join(blocks[:c + 1])}:",
                  f"        block = k_{''.join(f' - {b}' for b in blocks[:c])}", *_indent(steps(call), 2)]
    claim.append("    k_ = _atomic_add(sync, 6, 1)")
    worker = [*start,  # tile[0] is read before the rendezvous: worker 0 may write it once every worker arrived
              f"total_ = {' + '.join(blocks)}", "t_last_ = 0  # the steps of the tile before (0: none)",
              "if not _rendezvous(sync, workers, spin_budget):", "    return", "while True:",
              "    if w == 0:",
              "        sync[6] = 0",
              "        if t_last_ > 0 and out_ < done_ - t_last_:  # the emission during the last tile stopped",
              "            sync[5] = 1",
              "        elif t_last_ == 0 or done_ == nsteps:  # spikes left by the call before, or the last tile's",
              *_indent(emit("done_", ["break"]), 3),
              "            if out_ < done_ or done_ == nsteps:",
              "                sync[5] = 1",
              "        if sync[5] != 0:",
              "            sync[2] = out_",
              "            tile[0] = step0 + done_ if out_ < done_ else 0",
              "    _barrier(sync, workers)", "    if sync[5] != 0:", "        return",
              f"    t_ = min({TILE_STEPS}, nsteps - done_)",
              "    if w == 0:  # the spikes of the tile before, while the others start this one",
              *_indent(emit("done_", ["break"]), 2),
              *_indent(claim, 1), "    t_last_ = t_", "    done_ += t_", "    _barrier(sync, workers)"]
    out = ["# Generated by fastspike: one network's step sequence, in tiles of steps, run by CPU threads. Do not "
           "edit.", *head, f"def worker(w, workers, spin_budget, {_RANGED_HEAD}, sync, tile{flat}):",
           *_constants("    "), *S.unparse(prelude, 1), *_indent(worker, 1)]
    out += ["", "", _DECORATOR, f"def run_chunk_ranges({_RANGED_HEAD}, tile{flat}):", *_constants("    "),
            *S.unparse(prelude, 1), *_indent(serial, 1)]
    return "\n".join(out) + "\n"


def _render_fused_ranged(prog: Program) -> str:
    """A small program run by CPU threads, as two fused functions with every call inlined
    (:func:`_inlined`, arrays flat; no kernels, typed lists or parallel regions to compile):
    ``worker(w, workers, spin_budget, ..., sample_limit, blocks, first, last, sync, *arrays)``,
    the stages of each step over the ranges ``first + w, first + w + workers, ...`` with the
    barriers of :func:`_render_ranged`'s worker, and ``run_chunk_ranges(..., sample_limit,
    blocks, first, last, *arrays)``, the ranges one after another in one thread (a distributed
    run of one thread per process, and the fallback when the workers do not run at once). The
    calls keep the order of the step within each stage, as the fused ``run_chunk`` of one
    thread does."""
    calls = _inlined(prog)
    params = [p for call in calls for p in call.params]
    prelude = [st for call in calls for st in call.prelude]

    def of_stage(stage: Stage, part: str) -> list[ast.stmt]:
        return [st for call in calls if call.stage == stage for st in getattr(call, part)]

    stages = sorted({call.stage for call in calls} - {Stage.SAMPLE})
    worker: list[str] = []
    ranges: list[str] = []
    last: list = []  # what worker 0 does once the stages are done: merges, then samples
    samples = of_stage(Stage.SAMPLE, "body")
    for stage in stages:
        body = S.unparse(of_stage(stage, "body"), 1)
        merges = of_stage(stage, "merge")
        worker += ["for block in range(first + w, last, workers):", *body]
        ranges += ["for block in range(first, last):", *body]
        if merges:  # the ranges' spike lists merged: range 0's arguments (one range), see _render_ranged
            ranges += ["block = 0", *S.unparse(merges, 0)]
        last += merges
        if stage != stages[-1] or merges or samples:  # every worker's part is done before what follows
            worker.append("_barrier(sync, workers)")
    if samples:
        ranges += ["block = 0", *S.unparse(samples, 0)]
    last += samples
    if last:
        worker += ["if w == 0:", "    block = 0", *S.unparse(last, 1), "_barrier(sync, workers)"]
    flat = "".join(f", {p}" for p in params)
    out = ["# Generated by fastspike: one network's step sequence, run by CPU threads. Do not edit.",
           "from numba import njit", "", "", _DECORATOR,
           f"def worker(w, workers, spin_budget, {_RANGED_HEAD}, sync{flat}):", *_constants("    ")]
    out += S.unparse(prelude, 1)
    out += ["    if not _rendezvous(sync, workers, spin_budget):", "        return",
            "    for s_ in range(nsteps):", "        step = step0 + s_", *_indent(_WORKER_STEP_HEAD + worker, 2),
            "    if w == 0:", "        sync[2] = nsteps"]
    out += ["", "", _DECORATOR, f"def run_chunk_ranges({_RANGED_HEAD}{flat}):", *_constants("    ")]
    out += S.unparse(prelude, 1)
    out += _STEP_LOOP
    out += _indent(ranges, 2)
    out.append("    return nsteps")
    return "\n".join(out) + "\n"


def arguments(prog: Program, fuse: bool | None = None) -> list:
    """The arguments after ``sample_limit`` of the rendered ``run_chunk``."""
    if prog.tile is not None:
        return [prog.tile, *(a for call in prog.calls for a in call.arrays)]
    if fused(prog, fuse):
        return [a for call in prog.calls for a in call.arrays]
    out = []  # with threads, the workers take the ranges first (see _render_ranged)
    for _, calls in groups(prog):
        out.append(argument_list([tuple(call.arrays) for call in calls]))
    return out


def render(prog: Program, fuse: bool | None = None, vector_math: bool = False) -> str:
    """The source of the step (see :func:`_render`), with ``vector_math`` compiled with
    Numba's numpy error model (:func:`with_vector_math`)."""
    source = _render(prog, fuse)
    return with_vector_math(source) if vector_math else source


def _render(prog: Program, fuse: bool | None = None) -> str:
    """The source of ``run_chunk(step0, nsteps, consts, ring_length, spike_count, spike_limit,
    sample_count, sample_limit, *arguments(prog))``: fused for small programs, else
    the kernels and a driver that loops over each group, a typed list of the argument tuples
    of one kernel's calls.

    With CPU threads (``prog.threads`` > 1) there is no ``run_chunk``: the engine's threads
    call ``worker`` (kernels: :func:`_render_ranged`; a fused program:
    :func:`_render_fused_ranged`).
    """
    ranged = prog.threads > 1
    if prog.tile is not None:
        return _render_tiled(prog)
    if fused(prog, fuse):
        return _render_fused_ranged(prog) if ranged else _render_fused(prog)
    out = ["# Generated by fastspike: one network's step sequence. Do not edit.",
           "from numba import njit, prange" if ranged else "from numba import njit"]
    for name, kernel in prog.kernels().items():
        out += _render_kernel(name, kernel, ranged)
    if ranged:
        out += _render_merges(prog)
    grouped = groups(prog)
    preludes = [f"    pre{g} = [{kernel.name}_prelude(consts, *t) for t in G{g}]"
                for g, (kernel, _) in enumerate(grouped)]
    if ranged:
        return "\n".join(out + _render_ranged(grouped, preludes)) + "\n"
    step: list[str] = []  # the body of the step loop
    for g, (kernel, _) in enumerate(grouped):
        step += _group_calls(g, kernel.name, "")
    out += ["", "", _DECORATOR, _RUN_CHUNK + "".join(f", G{g}" for g in range(len(grouped))) + "):", *preludes]
    out += _STEP_LOOP
    out += _indent(step, 2)
    out.append("    return nsteps")
    return "\n".join(out) + "\n"


def _merge_calls(g: int, kernel: LoweredKernel) -> list[str]:
    """The merges of the threads' parts of every call of group ``g`` (range 0's arguments)."""
    name, positions = merge_function(kernel)
    return [f"for j_ in range(len(G{g})):", f"    t_ = G{g}[j_]",
            f"    {name}(step, slot, ring_length, consts, spike_count, sample_count, 0, blocks"
            f"{''.join(f', t_[{i}]' for i in positions)})"]


def _group_calls(g: int, name: str, block: str) -> list[str]:
    """The calls of kernel ``name`` for every argument tuple of group ``g``."""
    return [f"for j_ in range(len(G{g})):",
            f"    {name}(step, slot, ring_length, consts, spike_count, sample_count, pre{g}[j_], {block}*G{g}[j_])"]


_LEADING = "step, slot, ring_length, consts, spike_count, sample_count"


def _render_ranged(grouped, preludes: list[str]) -> list[str]:
    """The drivers of a program run by CPU threads (or processes), each a range of every
    population.

    ``worker(w, workers, spin_budget, ..., sample_limit, blocks, first, last, sync, G0, G1,
    ...)`` (``sync``: int64, :data:`~fastspike.backends.cpu.sync.SYNC_SIZE` entries; this
    process runs the ranges ``first`` to ``last - 1`` of ``blocks``) computes the calls'
    preludes, then runs a whole chunk of steps as worker ``w`` of ``workers``, each called at
    once by a thread of its own (the engine's; ``nogil``), taking the ranges ``first + w,
    first + w + workers, ...`` of every stage, with a barrier
    (:mod:`fastspike.backends.cpu.sync`) after the deliveries, after the updates and after
    worker 0 has merged the ranges' spike lists and taken the samples. The worker calls the
    kernels itself, not through the stage functions of the fallbacks: a call of a stage
    function has LLVM optimize the inlined kernels once more (with the preludes computed by a
    function of their own, typed lists for the threads, a network on 2 threads compiled in
    1.35x the time of one thread; like this 1.15x, B3 at scale 0.05). Worker 0 leaves the
    steps run in ``sync[2]``; ``sync[3]`` is 2 when the workers did not run at once (then no
    work was done): ``run_chunk_stages(..., sample_limit, blocks, first, last, workers, sync,
    G0, ...)`` then runs each stage of each step in a parallel region of its own,
    ``stage<k>_blocks``, and returns the steps run. No parallel region is compiled unless
    that fallback runs (Numba's parfor passes cost several seconds per region); the calls of
    one range of a stage are a function of their own.
    ``run_chunk_ranges(..., sample_limit, blocks, first, last, G0, ...)`` runs the process's
    ranges one after another without a parallel region (a distributed run, one thread per
    process), and returns the steps run.
    """
    out: list[str] = []
    stages = sorted({calls_[0].stage for _, calls_ in grouped})
    worker_body: list[str] = ["if not _rendezvous(sync, workers, spin_budget):", "    return"]
    loop: list[str] = list(_WORKER_STEP_HEAD)
    serial_step: list[str] = []  # the fallback's step: a parallel region per stage
    ranges_step: list[str] = []  # one thread running its process's ranges one after another
    last: list[str] = []  # what worker 0 does once the updates are done: merges, then samples
    for stage in stages:
        members = [(g, kernel) for g, (kernel, calls_) in enumerate(grouped) if calls_[0].stage == stage]
        if stage == Stage.SAMPLE:  # samples copy a few neurons' state: one range
            for g, kernel in members:
                last += _group_calls(g, kernel.name, "0, blocks, ")
                serial_step += _group_calls(g, kernel.name, "0, blocks, ")
                ranges_step += _group_calls(g, kernel.name, "0, blocks, ")
            continue
        lists = "".join(f", pre{g}, G{g}" for g, _ in members)
        calls = [ln for g, kernel in members for ln in _group_calls(g, kernel.name, "block, blocks, ")]
        out += ["", "", _DECORATOR, f"def stage{stage}({_LEADING}, block, blocks{lists}):", *_indent(calls, 1)]
        # the prange index is cast, else the calls are compiled for int64 (typing) and again
        # for uint64 (the parallel region)
        out += ["", "", _PARALLEL, f"def stage{stage}_blocks({_LEADING}, blocks, first, last{lists}):",
                "    for b_ in prange(last - first):",
                f"        stage{stage}({_LEADING}, np.int64(first + b_), blocks{lists})"]
        serial_step.append(f"stage{stage}_blocks({_LEADING}, blocks, first, last{lists})")
        ranges_step += ["for block in range(first, last):", f"    stage{stage}({_LEADING}, block, blocks{lists})"]
        loop += ["for block in range(first + w, last, workers):", *_indent(calls, 1)]  # the stage's body, inlined
        merges = [(g, kernel) for g, kernel in members if kernel.merge]
        for g, kernel in merges:
            serial_step += _merge_calls(g, kernel)
            ranges_step += _merge_calls(g, kernel)
            last += _merge_calls(g, kernel)
        if stage != stages[-1] or merges:
            loop.append("_barrier(sync, workers)")
    if last:
        loop += ["if w == 0:", *_indent(last, 1), "_barrier(sync, workers)"]
    worker_body += ["for s_ in range(nsteps):", "    step = step0 + s_", *_indent(loop, 1),
                    "if w == 0:", "    sync[2] = nsteps"]
    head = _RANGED_HEAD
    groups_args = "".join(f", G{g}" for g in range(len(grouped)))
    out += ["", "", _DECORATOR, f"def worker(w, workers, spin_budget, {head}, sync{groups_args}):", *preludes,
            *_indent(worker_body, 1)]
    out += ["", "", _DECORATOR, f"def run_chunk_stages({head}, workers, sync{groups_args}):", *preludes]
    out += _STEP_LOOP
    out += _indent(serial_step, 2)
    out.append("    return nsteps")
    out += ["", "", _DECORATOR, f"def run_chunk_ranges({head}{groups_args}):", *preludes]
    out += _STEP_LOOP
    out += _indent(ranges_step, 2)
    out.append("    return nsteps")
    return out


def _indent(lines: list[str], n: int) -> list[str]:
    return ["    " * n + ln for ln in lines]


def _dependency_key(fn: Callable, _seen: set | None = None) -> str:
    """What the compiled code of ``fn`` depends on: its own code (bytecode, constants without
    the docstring, names), the values of the numeric constants it reads from its globals, and
    the same for every plain Python function it calls (a model's helpers), recursively.

    Comments, docstrings, line numbers and the rest of the file do not count: editing a
    comment in the user's script, or another function of it, does not recompile the model.
    """
    seen = set() if _seen is None else _seen
    if id(fn) in seen:
        return f"<{fn.__qualname__}>"
    seen.add(id(fn))

    def code_key(code, doc) -> str:
        consts = list(code.co_consts)
        if consts and doc is not None and consts[0] == doc:
            consts[0] = None  # the docstring
        parts = [code.co_code.hex(), repr(code.co_names), repr(code.co_varnames), str(code.co_argcount)]
        parts += [code_key(c, None) if isinstance(c, type(code)) else repr(c) for c in consts]
        return "(" + ",".join(parts) + ")"

    def names(code) -> set:
        out = set(code.co_names) | set(code.co_freevars)
        for c in code.co_consts:
            if isinstance(c, type(code)):
                out |= names(c)
        return out

    def value_key(value) -> str:
        if isinstance(value, type(fn)):
            return _dependency_key(value, seen)
        if isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
            return repr(value)
        if isinstance(value, tuple):
            return "(" + ",".join(value_key(v) for v in value) + ")"
        if isinstance(value, np.ndarray):  # Numba freezes global arrays into the code
            return f"array {value.dtype} {value.shape} {hashlib.sha256(value.tobytes()).hexdigest()}"
        if isinstance(value, type(np)):
            return f"module {value.__name__}"
        return f"{type(value).__module__}.{type(value).__qualname__}"

    code = fn.__code__
    module = getattr(fn, "__module__", "") or ""
    if module not in sys.modules:  # compiled under another module's name (see compile_scalar)
        module += " (not importable)"
    parts = [module, fn.__qualname__, code_key(code, fn.__doc__),
             repr(tuple(value_key(d) for d in fn.__defaults__ or ()))]
    cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
    for name in sorted(names(code)):
        if name in cells:
            try:
                parts.append(f"{name}={value_key(cells[name].cell_contents)}")
            except ValueError:  # an empty cell
                parts.append(f"{name}=<empty>")
        elif name in fn.__globals__:
            parts.append(f"{name}={value_key(fn.__globals__[name])}")
    return "|".join(parts)


def import_generated(source: str, prog, prefix: str, compile_fn: Callable,
                     globals_: dict, key_parts: tuple[str, ...] = ()):
    """Write ``source`` to the cache folder under a name hashed from it, the fastspike version
    and a digest of its source (the package's compiled helpers that kernels call, the barrier
    for instance, are not Python functions whose code the key could read), the program's
    dtype, ``key_parts`` and the code of every function its kernels call, and import it as a
    module whose globals are those functions, compiled by ``compile_fn(fn, dtype)``, plus
    ``globals_``. Model equations (``_f_...``) take the
    network's precision; fastspike's own helpers (random numbers, propagators) keep theirs,
    so that draws do not depend on the dtype. Shared by the CPU and CUDA backends."""
    functions = {name: fn for k in prog.kernels().values() for name, fn in k.functions.items()}
    h = hashlib.sha256()
    for part in (source, __version__, package_digest(), str(prog.dtype), LITERALS, *key_parts):
        h.update(part.encode())
    for name in sorted(functions):
        h.update(name.encode())
        h.update(_dependency_key(functions[name]).encode())
    key = h.hexdigest()[:24]
    folder = cache_dir()
    path = folder / f"fs_{prefix}_{key}.py"
    if not path.exists():
        tmp = folder / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"  # unique per writer thread
        tmp.write_text(source)
        os.replace(tmp, path)  # atomic: concurrent builders write the same content
    module_name = f"fastspike._generated.{prefix}_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update({name: compile_fn(fn, prog.dtype if name.startswith("_f_") else None)
                            for name, fn in functions.items()})
    module.__dict__.update(globals_)
    spec.loader.exec_module(module)
    sys.modules[module_name] = module
    return module


def compile_program(prog: Program, fuse: bool | None = None, vector_math: bool = False):
    """Write and import the module of ``prog`` (its ``run_chunk``, lazily compiled and cached
    on disk; with threads also ``run_chunk_stages``).

    With ``vector_math`` (``fs.backends.CPU(vector_math=True)``) the model equations
    (``_f_...``) and the step's own ``math.expm1`` (exponential Euler) are
    :mod:`fastspike.vmath`'s, and everything compiles with the numpy error model; fastspike's
    helpers (propagators, random numbers) keep the C library's functions."""
    from . import prefetch, ranges, sync

    key: tuple[str, ...] = ()  # the intrinsics it calls (sync, prefetch) are in the package digest
    if vector_math:
        from ... import vmath

        def compile_fn(fn, dtype):
            return jit_function(fn, dtype, vector_math=dtype is not None)  # dtype: a model equation
        key += (f"vector-math {VECTOR_JIT}",)
        math_module = vmath.math_namespace
    else:
        compile_fn, math_module = jit_function, math
    module = import_generated(render(prog, fuse, vector_math), prog, "step", compile_fn,
                              dict(np=np, math=math_module, _cast=prog.dtype.type, _barrier=sync.barrier,
                                   _rendezvous=sync.rendezvous, _atomic_add=sync.atomic_add, _prefetch=prefetch.prefetch,
                                   _prefetch_row=prefetch.prefetch_row, _prefetch_cell=prefetch.prefetch_cell,
                                   _join_entries=ranges.join_entries, _join_row=ranges.join_row), key)
    return module
