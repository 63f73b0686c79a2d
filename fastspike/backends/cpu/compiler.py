"""Turn a :class:`~fastspike.backends.codegen.StepProgram` into cached ``@njit`` functions.

Each distinct kernel becomes two functions (its prelude and its step), and a driver
``run_chunk`` loops over steps and calls them. The source is written to a module file named
by a hash of everything the compiled code depends on (the source itself, the fastspike
version, the dtype, and the source files of the scalar functions it calls), then imported
with the jitted scalar functions injected as globals. Numba's ``cache=True`` then works as
for any package module: a later process that builds a network of the same structure, at
any size, loads the machine code instead of compiling it. A change to a model's equations
changes the hash, so a stale cache is never used (Numba alone would not notice a change
in a called function of another module).

The folder is ``$FASTSPIKE_CACHE_DIR``, else ``~/.cache/fastspike``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
import keyword
import math
import os
import re
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from numba import njit, typed

from ..._version import __version__
from ...equations import compile_scalar
from ..codegen import CONSTANTS, KERNEL_ARGS, STAGES, Call, Kernel, NeuronLoop, StepProgram

__all__ = ["cache_dir", "compile_program", "render", "jit_function"]

_FILE_HASHES: dict[str, str] = {}
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


def jit_function(fn: Callable, dtype=None) -> Callable:
    """The ``@njit`` version of a scalar equation function (one per process, function and
    precision: with ``dtype`` float32 its float literals are float32)."""
    return compile_scalar(fn, njit, dtype=dtype)


LITERALS = "model-literals-in-network-dtype"
"""Part of the cache key: model equations compile with float literals in the network dtype."""


def _constants(indent: str) -> list[str]:
    return [f"{indent}{name} = consts[{k}]" for k, name in enumerate(CONSTANTS)]


def _render_kernel(name: str, k: Kernel, blocked: bool = False) -> list[str]:
    params = ", ".join(k.params)
    args = ", ".join([*KERNEL_ARGS, *(BLOCK_ARGS if blocked else ()), *k.params])
    out = ["", "", _DECORATOR, f"def {name}_prelude(consts, {params}):", *_constants("    ")]
    out += ["    " + ln for ln in k.prelude]
    out.append(f"    return ({', '.join(k.constants)},)" if k.constants else "    return (0,)")
    if k.merge:
        out += ["", "", _DECORATOR, f"def {name}_merge({args}):", *["    " + ln for ln in k.merge]]
    out += ["", "", _DECORATOR, f"def {name}({args}):", *_constants("    ")]
    if k.constants:
        out.append(f"    {', '.join(k.constants)}, = pre")
    for block in k.body:
        if isinstance(block, NeuronLoop):
            out.append(f"    for i in range({block.n}):")
            out += ["        " + ln for ln in block.body]
        else:
            out.append("    " + block)
    return out


def groups(prog: StepProgram) -> list[tuple[Kernel, list[Call]]]:
    """The calls grouped by kernel and argument types, in phase order: each group becomes one
    loop in the driver over a typed list of argument tuples, so the driver stays small
    whatever the number of populations and projections."""
    out: dict[tuple, tuple[Kernel, list[Call]]] = {}
    for call in prog.calls:
        key = (call.phase, call.kernel.name, tuple((a.dtype.str, a.ndim) for a in call.arrays))
        out.setdefault(key, (call.kernel, []))[1].append(call)
    return list(out.values())


FUSE_MAX_CALLS = 12
"""Programs with at most this many calls per step are fused into one function."""

_SHARED = {*KERNEL_ARGS, *CONSTANTS, *keyword.kwlist, "np", "math", "_cast", "range", "min", "max", "abs", "int",
           "float", "len", "side", "right"}
_NAME = re.compile(r"(?<![\w.'])([A-Za-z_]\w*)(?![\w'])")


def _rename(lines: list[str], suffix: str, keep: set[str]) -> list[str]:
    """Give every kernel-local name of ``lines`` the suffix (fastspike-generated text only)."""
    def sub(m: re.Match) -> str:
        name = m.group(1)
        return name if name in keep else f"{name}{suffix}"

    return [_NAME.sub(sub, ln) for ln in lines]


def fused(prog: StepProgram) -> bool:
    """Whether ``prog`` is rendered as one fused function (small networks, one thread)."""
    return len(prog.calls) <= FUSE_MAX_CALLS and prog.blocks == 1


_RUN_CHUNK = "def run_chunk(step0, nsteps, consts, ring_length, spike_count, spike_limit, sample_count, sample_limit"
_STEP_LOOP = ["    for s_ in range(nsteps):", "        step = step0 + s_",
              "        for k_ in range(spike_count.size):", "            if spike_count[k_] > spike_limit[k_]:",
              "                return s_",
              "        for k_ in range(sample_count.size):", "            if sample_count[k_] >= sample_limit[k_]:",
              "                return s_",
              "        slot = step & (ring_length - 1)"]
"""The head of the step loop of ``run_chunk``: it returns the steps run before a record
buffer could overflow (the engine drains it and calls again)."""


def _render_fused(prog: StepProgram) -> str:
    """One function: every call's prelude and body inlined with its own names, arrays flat."""
    params, prelude, body = [], [], []
    for c, call in enumerate(prog.calls):
        k = call.kernel
        keep = _SHARED | set(k.functions)
        suffix = f"_{c}"
        params += _rename(k.params, suffix, keep)
        prelude += _rename(k.prelude, suffix, keep)
        for block in k.body:
            if isinstance(block, NeuronLoop):
                body += _rename([f"for i in range({block.n}):"], suffix, keep)
                body += _rename(["    " + ln for ln in block.body], suffix, keep)
            else:
                body += _rename([block], suffix, keep)
    out = ["# Generated by fastspike: one network's step sequence. Do not edit.", "from numba import njit", "", "",
           _DECORATOR,
           _RUN_CHUNK + "".join(f", {p}" for p in params) + "):", *_constants("    ")]
    out += ["    " + ln for ln in prelude]
    out += _STEP_LOOP
    out += ["        " + ln for ln in body]
    out.append("    return nsteps")
    return "\n".join(out) + "\n"


def arguments(prog: StepProgram) -> list:
    """The arguments after ``sample_limit`` of the rendered ``run_chunk``."""
    if fused(prog):
        return [a for call in prog.calls for a in call.arrays]
    out = [np.int64(prog.blocks)] if prog.blocks > 1 else []
    for _, calls in groups(prog):
        argument_tuples = typed.List()
        for call in calls:
            argument_tuples.append(tuple(call.arrays))
        out.append(argument_tuples)
    return out


def render(prog: StepProgram) -> str:
    """The source of ``run_chunk(step0, nsteps, consts, ring_length, spike_count, spike_limit,
    sample_count, sample_limit, *arguments(prog))``: fused for small programs, else
    the kernels and a driver that loops over each group, a typed list of the argument tuples
    of one kernel's calls.

    With CPU threads (``prog.blocks`` > 1) the driver runs the calls of a stage for every
    block (deliveries, then populations and sources; each block has its own neurons and
    targets) through ``stage<k>_blocks``, a small ``parallel=True`` function with a
    ``prange`` over the blocks, then the merges that join the blocks' spike lists, and the
    samples. The driver and the kernels stay serial functions.
    """
    if fused(prog):
        return _render_fused(prog)
    blocked = prog.blocks > 1
    out = ["# Generated by fastspike: one network's step sequence. Do not edit.",
           "from numba import njit, prange" if blocked else "from numba import njit"]
    for name, kernel in prog.kernels().items():
        out += _render_kernel(name, kernel, blocked)
    grouped = groups(prog)

    def calls(g: int, name: str, block: str) -> list[str]:
        return [f"for j_ in range(len(G{g})):",
                f"    {name}(step, slot, ring_length, consts, spike_count, sample_count, pre{g}[j_], "
                f"{block}*G{g}[j_])"]

    step: list[str] = []  # the body of the step loop
    if not blocked:
        for g, (kernel, _) in enumerate(grouped):
            step += calls(g, kernel.name, "")
    for stage in sorted({calls_[0].stage for _, calls_ in grouped}) if blocked else ():
        members = [(g, kernel) for g, (kernel, calls_) in enumerate(grouped) if calls_[0].stage == stage]
        if stage == STAGES["sample"]:  # samples copy a few neurons' state: one block
            for g, kernel in members:
                step += calls(g, kernel.name, "0, blocks, ")
            continue
        # the calls of one block are a function of their own, run for every block by a small
        # parallel function (Numba's parfor passes are slow on large functions: the driver
        # itself stays serial); the prange index is cast, else the calls are compiled for
        # int64 (typing) and again for uint64 (the parallel region)
        lists = "".join(f", pre{g}, G{g}" for g, _ in members)
        leading = "step, slot, ring_length, consts, spike_count, sample_count"
        out += ["", "", _DECORATOR, f"def stage{stage}({leading}, block, blocks{lists}):"]
        for g, kernel in members:
            out += _indent(calls(g, kernel.name, "block, blocks, "), 1)
        out += ["", "", _PARALLEL, f"def stage{stage}_blocks({leading}, blocks{lists}):",
                "    for block in prange(blocks):",
                f"        stage{stage}({leading}, np.int64(block), blocks{lists})"]
        step.append(f"stage{stage}_blocks({leading}, blocks{lists})")
        for g, kernel in members:
            if kernel.merge:
                step += calls(g, kernel.name + "_merge", "0, blocks, ")
    out += ["", "", _DECORATOR,
            _RUN_CHUNK + (", blocks" if blocked else "") + "".join(f", G{g}" for g in range(len(grouped))) + "):"]
    out += [f"    pre{g} = [{kernel.name}_prelude(consts, *t) for t in G{g}]" for g, (kernel, _) in enumerate(grouped)]
    out += _STEP_LOOP
    out += _indent(step, 2)
    out.append("    return nsteps")
    return "\n".join(out) + "\n"


def _indent(lines: list[str], n: int) -> list[str]:
    return ["    " * n + ln for ln in lines]


def _file_hash(path: str) -> str:
    if path not in _FILE_HASHES:
        try:
            _FILE_HASHES[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            _FILE_HASHES[path] = ""
    return _FILE_HASHES[path]


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
    parts = [getattr(fn, "__module__", "") or "", fn.__qualname__, code_key(code, fn.__doc__),
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


def import_generated(source: str, prog: StepProgram, prefix: str, compile_fn: Callable,
                     globals_: dict, key_parts: tuple[str, ...] = ()):
    """Write ``source`` to the cache folder under a name hashed from it, the fastspike version,
    the program's dtype, ``key_parts`` and the code of every function its kernels call, and
    import it as a module whose globals are those functions, compiled by
    ``compile_fn(fn, dtype)``, plus ``globals_``. Model equations (``_f_...``) take the
    network's precision; fastspike's own helpers (random numbers, propagators) keep theirs,
    so that draws do not depend on the dtype. Shared by the CPU and CUDA backends."""
    functions = {name: fn for k in prog.kernels().values() for name, fn in k.functions.items()}
    h = hashlib.sha256()
    for part in (source, __version__, str(prog.dtype), LITERALS, *key_parts):
        h.update(part.encode())
    for name in sorted(functions):
        h.update(name.encode())
        h.update(_dependency_key(functions[name]).encode())
    key = h.hexdigest()[:24]
    folder = cache_dir()
    path = folder / f"fs_{prefix}_{key}.py"
    if not path.exists():
        tmp = folder / f".{path.name}.{os.getpid()}.tmp"
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


def compile_program(prog: StepProgram) -> Callable:
    """Write, import and return the (lazily compiled, disk-cached) ``run_chunk`` of ``prog``."""
    module = import_generated(render(prog), prog, "step", jit_function,
                              dict(np=np, math=math, _cast=prog.dtype.type))
    return module.run_chunk
