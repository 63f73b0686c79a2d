"""Generate a network's step sequence as small kernels, from its populations' models.

The generator is backend-neutral. A step is a sequence of :class:`Call`\\ s of
:class:`Kernel`\\ s: one per projection (spike delivery), per population (its update, with
its Poisson afferents drawn inline) and per state record (sampling). A kernel's source uses
only its own names (no population index), so populations and projections of the same
structure share one kernel: the microcircuit's 55 projections are delivered by two compiled
functions. A backend compiles each distinct kernel once and generates the driver that calls
them (the CPU backend: one ``@njit`` loop over steps; the GPU backend: device functions
over work items, run a stage or a chunk of steps per launch).

A kernel has parameters (arrays), a *prelude* (constants computed from them once per
compiled call: uniform parameters, exact propagators) and a *body* of lines and
:class:`NeuronLoop`\\ s (the update of neuron ``i``, independent across i). Every kernel
receives ``step``, ``slot`` (``step mod L``, the row of the step in the spike histories and
ring buffers), ``ring_length`` (L, a power of two above the largest delay), ``consts`` (dt,
0, dt/2, dt/6, 2 in the network dtype), ``spike_count``, ``sample_count`` (record buffer
fill levels; on a GPU, the base row of the samples, see ``_state_record``) and its
prelude's constants ``pre``, then its arrays. The calls of a step come
in phases (deliveries, populations and sources, samples); the calls of one phase are
independent of each other's order, so a backend may group the calls of one kernel.

Spikes travel through *spike histories*: a population that projections leave lists the
neurons that fired in step k in row ``k mod L`` of ``spike_history`` (L x n, int32) and
their number in ``spike_history_counts``. This is also the array a distributed run would
exchange between ranks every minimum delay.

One step k, from t to t + dt, follows SPEC section 3 (NEST's ``iaf_psc_exp`` order):

1. each projection delivers what arrives in this step or later. A uniform delay D reads
   the pre population's history row of step k - D and adds each synapse's weight to the
   target channel's *input* of the step (an array of n: small, cache-resident, whatever
   D). Several delays: the spikes of step k - 1 are added once, to the target channel's
   *ring buffer* (L x n) at row ``(k - 1 + d) mod L``, one row per delay group of the
   presynaptic row (rows are stored grouped by delay);
2. each population: integrate (exact propagation uses the synaptic currents at t), decay
   each exponential channel and add what arrives in this step (the delivered input and
   ring row ``k mod L``, both zeroed once read, and the step's Poisson afferents, drawn
   per neuron from counter-based streams), add delta input to ``v`` unless refractory,
   test the threshold (a branch-free pass that vectorizes), then reset, start the
   refractory period, record and list the neurons that fired (a sparse pass); spikes are
   stamped t + dt. A spike of step k with delay D thus acts in step k + D.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from .. import integrators
from .. import random as rnd
from ..blocks import block_starts
from ..equations import argument_kinds, equations_of
from ..inputs import ArrayCurrent, ConstantCurrent, SteppedCurrent
from ..models.base import equation_arguments
from ..models.sources import PoissonSource, SpikeSource
from ..recording import SpikeRecord, StateRecord
from ..synapses.types import Delta

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network, Population

__all__ = ["StepProgram", "Kernel", "Call", "NeuronLoop", "generate", "constant_values", "KERNEL_ARGS"]

SPIKE_BUFFER_MIN = 1 << 16
KERNEL_ARGS = ("step", "slot", "ring_length", "consts", "spike_count", "sample_count", "pre")
"""The leading arguments of every kernel."""
CONSTANTS = ("dt", "zero", "half_dt", "sixth_dt", "two")
"""The names bound from ``consts`` in every kernel and prelude."""


def constant_values(net: "Network") -> np.ndarray:
    """``consts``: the values of :data:`CONSTANTS` in the network's dtype (dt in ms)."""
    return np.array([net.dt, 0.0, net.dt / 2, net.dt / 6, 2.0], dtype=net.dtype)


@dataclass
class NeuronLoop:
    """The update of neuron ``i`` for ``i`` in ``range(n)`` (independent across i, apart from
    appending to a spike list); ``n`` is a source expression."""

    n: str
    body: list[str]


@dataclass
class Kernel:
    """One generated function of a step: see the module docstring."""

    kind: str
    params: list[str]
    prelude: list[str] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)
    body: list = field(default_factory=list)
    functions: dict[str, Callable] = field(default_factory=dict)
    items: str = ""
    """GPU: the number of work items of the step (an expression of the kernel's names), when
    it is not the call's fixed ``threads`` (deliveries: the spikes to deliver x the lanes
    per spike)."""
    merge: list[str] = field(default_factory=list)
    """CPU threads: lines run once after every block of the step ran the body, which join the
    blocks' spike lists into the spike history row and the record buffers (see
    :func:`block_starts`)."""

    def text(self) -> str:
        """A canonical description of the kernel (its identity)."""
        parts = [self.kind, ",".join(self.params), self.items, *self.prelude, "|",
                 ",".join(self.constants), "|"]
        for block in self.body:
            if isinstance(block, NeuronLoop):
                parts += [f"loop {block.n}", *block.body, "end"]
            else:
                parts.append(block)
        parts += ["merge", *self.merge, *sorted(self.functions)] if self.merge else sorted(self.functions)
        return "\n".join(parts)

    @property
    def name(self) -> str:
        return f"{self.kind}_{hashlib.sha1(self.text().encode()).hexdigest()[:10]}"


PHASES = ("deliver", "deliver_ring", "population", "poisson_source", "spike_source", "sample")
STAGES = {"deliver": 0, "deliver_ring": 0, "population": 1, "poisson_source": 1, "spike_source": 1, "sample": 2}
"""The stages of a step: the calls of one stage are independent of each other (a GPU runs a
stage's calls together, with a grid-wide barrier between stages)."""
WARP = 32
"""GPU: threads that run in lockstep; the fewest lanes that deliver one spike."""
MAX_LANES = 1024
SYNAPSES_PER_LANE = 4
"""GPU: a spike of a projection is delivered by enough lanes (consecutive threads, striding
over its synapses) that each adds about this many of an average row, at least WARP and at
most MAX_LANES: see :func:`lanes_per_spike`."""
LANES_ENV = "FASTSPIKE_CUDA_LANES"


def lanes_asked(text: str) -> int | None:
    """The lanes per spike that ``text`` (a value of ``$FASTSPIKE_CUDA_LANES``) fixes: None for
    "auto" or nothing, else a power of two from 1 to MAX_LANES (ValueError otherwise)."""
    asked = text.strip().lower()
    if asked in ("", "auto"):
        return None
    lanes = int(asked) if asked.isdigit() else 0
    if not (1 <= lanes <= MAX_LANES and lanes & (lanes - 1) == 0):
        raise ValueError(f"{LANES_ENV}={asked!r}: expected 'auto' or a power of two from 1 to {MAX_LANES}")
    return lanes


def lanes_per_spike(n_synapses: int, n_pre: int) -> int:
    """GPU: how many lanes deliver one spike of a projection of ``n_synapses`` synapses from
    ``n_pre`` neurons (a power of two).

    A lane's synapses are dependent loads and an atomic add each, so a spike delivered by one
    warp takes as long as its row has synapses / 32 memory round trips (a microcircuit row of
    2000 synapses: about 60, far more than the step's budget), while most of the grid waits
    at the barrier. Spreading each row over more lanes uses that idle grid; GeNN's "threads
    per spike" does the same. ``$FASTSPIKE_CUDA_LANES`` (a power of two from 1 to MAX_LANES)
    overrides the choice, to compare schemes on a GPU (32: one warp per spike).
    """
    asked = lanes_asked(os.environ.get(LANES_ENV, ""))
    if asked is not None:
        return asked
    mean = n_synapses / max(n_pre, 1)
    lanes = WARP
    while lanes < MAX_LANES and lanes * SYNAPSES_PER_LANE < mean:
        lanes *= 2
    return lanes


@dataclass
class Call:
    """A kernel applied to given arrays."""

    kernel: Kernel
    arrays: list[np.ndarray]
    threads: int = 1
    """Independent work items (neurons, spikes, samples): a GPU launches this many threads."""
    lanes: int = 1
    """GPU: threads per item (deliveries: lanes per spike)."""

    @property
    def phase(self) -> int:
        return PHASES.index(self.kernel.kind)

    @property
    def stage(self) -> int:
        return STAGES[self.kernel.kind]


@dataclass
class StepProgram:
    """A network's step: the calls in order, and the record buffers to drain."""

    dtype: np.dtype
    calls: list[Call] = field(default_factory=list)
    spike_records: list[tuple[SpikeRecord, np.ndarray, np.ndarray, int]] = field(default_factory=list)
    state_records: list[tuple[StateRecord, np.ndarray, dict[str, np.ndarray]]] = field(default_factory=list)
    spike_limits: list[int] = field(default_factory=list)
    sample_limits: list[int] = field(default_factory=list)
    ring_length: int = 1
    blocks: int = 1
    """CPU: the blocks (threads) that run each population's update and each projection's
    delivery side by side; 1: the sequential step."""

    def kernels(self) -> dict[str, Kernel]:
        """The distinct kernels, by name."""
        return {c.kernel.name: c.kernel for c in self.calls}


class _Builder:
    """Collects a kernel's arrays (by local name) while its source is written."""

    def __init__(self, kind: str, target: str = "cpu", threads: int = 1, blocks: int = 1) -> None:
        self.kernel = Kernel(kind, [])
        self.arrays: list[np.ndarray] = []
        self.target = target
        self.threads = threads
        self.lanes = 1
        self.blocks = blocks
        """CPU: the neuron ranges that threads update side by side (1: no threads)."""

    def arg(self, name: str, value: np.ndarray) -> str:
        self.kernel.params.append(name)
        self.arrays.append(value)
        return name

    def function(self, role: str, fn: Callable, fixed: bool = False) -> str:
        """Register a scalar function the kernel calls; returns its global name: ``role`` for
        fastspike's own helpers (``fixed``), else a name unique to the function, so kernels of
        different models never share a name for different code."""
        if fixed:
            self.kernel.functions[role] = fn
            return role
        module = re.sub(r"\W", "_", getattr(fn, "__module__", "") or "")
        digest = hashlib.sha1(fn.__code__.co_code + repr(fn.__code__.co_consts).encode()).hexdigest()[:6]
        qualname = re.sub(r"\W", "_", fn.__qualname__)  # <lambda>, <locals>: not in identifiers
        name = f"_f_{module}_{qualname}_{digest}"
        self.kernel.functions[name] = fn
        return name

    def call(self) -> Call:
        k = self.kernel
        k.constants = _assigned(k.prelude)
        return Call(k, [np.ascontiguousarray(a) for a in self.arrays], self.threads, self.lanes)


def _assigned(lines: list[str]) -> list[str]:
    """Names assigned at the top level of ``lines`` (the prelude's constants)."""
    names: list[str] = []
    for ln in lines:
        m = re.match(r"^([A-Za-z_][\w, ]*?)\s*,?\s*=(?!=)", ln)
        if m and not ln.startswith(" "):
            for name in m.group(1).split(","):
                name = name.strip()
                if name and name not in names:
                    names.append(name)
    return names


def generate(net: "Network", sample_rows: int, target: str = "cpu", spike_buffer_steps: int = 2,
             blocks: int = 1) -> StepProgram:
    """Build the :class:`StepProgram` of ``net``; state buffers hold ``sample_rows`` samples.

    ``target`` is ``"cpu"`` (sequential loops over neurons: a ``NeuronLoop`` is a ``for``
    loop, emitting a spike appends to a list) or ``"cuda"``: every kernel has one
    ``NeuronLoop``, the work of item ``i`` (a thread), preceded by lines that only compute
    locals of the step; ``Kernel.items`` or the call's ``threads`` is the number of items;
    spikes are appended with atomic additions and the spike history row of the next step is
    cleared by item 0, since threads cannot count spikes in order. Spike record
    buffers hold ``spike_buffer_steps`` steps of every neuron firing (at least 2^16 spikes).

    ``blocks`` > 1 (CPU threads): every population and source kernel updates the neurons of
    range ``block`` of :func:`block_starts` (``block`` and ``blocks`` follow the kernel
    arguments), listing its spikes from the start of its range; the kernel's ``merge`` joins
    the lists once every block has run. Every delivery kernel reads, from each row, only the
    part onto the targets of range ``block`` of the post population (rows are stored split
    by range, see :class:`~fastspike.synapses.projection.Projection`), in the drawn order,
    so each target receives its inputs in the same order as with one block: the results do
    not depend on ``blocks``.
    """
    if blocks > 1 and target != "cpu":
        raise ValueError("generate: blocks > 1 is for the CPU target")
    prog = StepProgram(net.dtype, ring_length=net.ring_length(), blocks=blocks)
    spike_recs = [r for r in net.records if isinstance(r, SpikeRecord)]
    prog.spike_limits = [0] * len(spike_recs)
    state_recs = [r for r in net.records if isinstance(r, StateRecord)]
    recorded_I = {r.population.index for r in state_recs if "I" in r.variables}
    senders = {proj.pre.index for proj in net.projections}
    for pop in net.populations:
        recs = [(k, r) for k, r in enumerate(spike_recs) if r.population is pop]
        if isinstance(pop.model, SpikeSource):
            b = _spike_source(pop, target, blocks)
        elif isinstance(pop.model, PoissonSource):
            b = _poisson_source(pop, target, blocks)
        else:
            fed = {proj.synapse.key for proj in net.projections if proj.post is pop}
            b = _population(pop, pop.index in recorded_I, fed, set(pop._rings), target, blocks)
        _spike_recording(prog, b, pop, recs, pop.index in senders, spike_buffer_steps)
        prog.calls.append(b.call())
    for proj in net.projections:
        prog.calls.append(_delivery(proj, target, blocks))
    for k, rec in enumerate(state_recs):
        prog.calls.append(_state_record(prog, k, rec, sample_rows, target))
    prog.calls.sort(key=lambda c: c.phase)  # stable: order within a phase is kept
    return prog


# -- spikes ------------------------------------------------------------------------------
def _spike_recording(prog: StepProgram, b: _Builder, pop: "Population", spike_recs, sender: bool,
                     buffer_steps: int = 2) -> None:
    """Complete a population kernel: at ``<spike>``, record neuron ``i``'s spike and, when
    projections leave the population (``sender``), list it in the spike history."""
    lines: list[str] = []
    cuda = b.target == "cuda"
    blocked = b.blocks > 1  # each block lists its spikes from the start of its range, lo_
    head: list[str] = []
    tail: list[str] = []
    if spike_recs:
        b.arg("RK", np.array([k for k, _ in spike_recs], np.int64))
    for r, (k, rec) in enumerate(spike_recs):
        cap = max(buffer_steps * pop.n, SPIKE_BUFFER_MIN)
        steps = b.arg(f"SS{r}", np.zeros(cap, np.int64))
        idx = b.arg(f"SN{r}", np.zeros(cap, np.int32))
        prog.spike_records.append((rec, b.arrays[-2], b.arrays[-1], k))
        prog.spike_limits[k] = cap - pop.n
        if cuda:  # in any order; the engine sorts what it drains; never past the buffer
            store = [f"k_ = cuda.atomic.add(spike_count, RK[{r}], 1)", f"if k_ < {steps}.size:",
                     f"    {steps}[k_] = step + 1", f"    {idx}[k_] = i"]
        elif blocked:  # the buffer has room for a spike of every neuron past spike_count
            b.arg(f"BR{r}", np.zeros(b.blocks, np.int64))
            head.append(f"m{r}_ = 0")
            store = [f"k_ = spike_count[RK[{r}]] + lo_ + m{r}_", f"{steps}[k_] = step + 1", f"{idx}[k_] = i",
                     f"m{r}_ += 1"]
            tail.append(f"BR{r}[block] = m{r}_")
            b.kernel.merge += [f"k_ = spike_count[RK[{r}]]",
                               *_join_blocks(f"BR{r}", [f"{steps}[k_ + {{}}]", f"{idx}[k_ + {{}}]"]),
                               f"spike_count[RK[{r}]] = k_ + t_"]
        else:
            store = [f"k_ = spike_count[RK[{r}]]", f"{steps}[k_] = step + 1", f"{idx}[k_] = i",
                     f"spike_count[RK[{r}]] = k_ + 1"]
        if rec.selection is not None:
            mask = np.zeros(pop.n, np.bool_)
            mask[rec.selection] = True
            lines += [f"if {b.arg(f'SM{r}', mask)}[i]:", *_indent(store)]
        else:
            lines += store
    if sender:
        b.arg("SH", pop.spike_history)
        b.arg("NH", pop.spike_history_counts)
        if cuda:
            lines += ["p_ = cuda.atomic.add(NH, slot, 1)", "SH[slot, p_] = i"]
        elif blocked:
            b.arg("BN", np.zeros(b.blocks, np.int64))
            lines += ["SH[slot, lo_ + nsp] = i", "nsp += 1"]
            tail.append("BN[block] = nsp")
            b.kernel.merge += [*_join_blocks("BN", ["SH[slot, {}]"]), "NH[slot] = t_"]
        else:
            lines += ["SH[slot, nsp] = i", "nsp += 1"]
    def expand(body: list[str]) -> list[str]:
        """Replace the placeholder line ``<spike>`` (keeping its indentation) by ``lines``."""
        out = []
        for ln in body:
            if ln.strip() == "<spike>":
                pad = ln[: len(ln) - len(ln.lstrip())]
                out += [pad + x for x in lines] or [pad + "pass"]
            else:
                out.append(ln)
        return out

    k = b.kernel
    body: list = []
    for block in k.body:
        if isinstance(block, NeuronLoop):
            body.append(NeuronLoop(block.n, expand(block.body)))
        else:
            body += expand([block])
    if cuda:  # item 0 clears the row of the next step now: this step's deliveries have read it
        clear = ["if i == 0:", "    NH[(slot + 1) & (ring_length - 1)] = 0"] if sender else []
        k.body = [NeuronLoop(x.n, clear + x.body) if isinstance(x, NeuronLoop) else x for x in body]
    elif blocked:
        k.body = head + body + tail
    else:
        k.body = body + (["NH[slot] = nsp"] if sender else [])


def _join_blocks(counts: str, arrays: list[str]) -> list[str]:
    """CPU threads: lines that move the entries each block listed from the start of its range
    (``BL[b_]``, ``counts[b_]`` entries) to follow those of the blocks before it, in block
    order; ``arrays`` are the entries' element expressions, with ``{}`` for the position.
    Leaves ``t_``, the entries in all. A block never lists more entries than its range has
    neurons, so entries only move down."""
    move = [f"            {a.format('t_ + x_')} = {a.format('o_ + x_')}" for a in arrays]
    return ["t_ = 0", "for b_ in range(blocks):", f"    c_ = {counts}[b_]", "    o_ = BL[b_]", "    if o_ != t_:",
            "        for x_ in range(c_):", *move, "    t_ += c_"]


BLOCK_LOOP = "np.uint64(lo_), np.uint64(hi_)"
"""CPU threads: the bounds of a block's neuron loop. An unsigned index: Numba wraps negative
indices around, and a signed index from an array-loaded start keeps that select in the loop
(LLVM cannot prove it non-negative), which stops the loop vectorizing (3.5x slower)."""


def _block_range(b: _Builder, starts: np.ndarray, name: str = "BL") -> list[str]:
    """CPU threads: the lines that bind ``lo_`` and ``hi_`` to the neuron range of ``block``
    (``starts``: see :func:`block_starts`)."""
    b.arg(name, starts)
    return [f"lo_ = {name}[block]", f"hi_ = {name}[block + 1]"]


def _indent(lines: list[str], n: int = 1) -> list[str]:
    return ["    " * n + ln for ln in lines]


# -- cell models -------------------------------------------------------------------------
def _population(pop: "Population", record_I: bool, fed: set, ringed: set, target: str = "cpu",
                blocks: int = 1) -> _Builder:
    """The update kernel of a cell population; ``fed``: keys of the channels that projections
    feed (only those read their delivered input), ``ringed``: those also fed through a ring
    buffer (projections with per-synapse delays)."""
    model, dt = pop.model, pop.network.dt
    b = _Builder("population", target, pop.n, blocks)
    state = list(pop.state_names)
    s_loc = [f"s_{v}" for v in state]
    n_loc = [f"n_{v}" for v in state]
    body: list[str] = []
    prelude = b.kernel.prelude
    prelude.append(f"n = {b.arg('N', np.array([pop.n], np.int64))}[0]")

    # parameters: hoisted when uniform, loaded per neuron otherwise
    used = set()
    for fn in equations_of(model).values():
        used.update(a for a in equation_arguments(fn) if a in pop.params)
    per_neuron = set()
    for name in sorted(used):
        arr = b.arg(f"P_{name}", pop.params[name])
        if pop.params[name].size == 1:
            prelude.append(f"q_{name} = {arr}[0]")
        else:
            per_neuron.add(name)
            body.append(f"q_{name} = {arr}[i]")

    def call(key: str, locals_: list[str]) -> str:
        fn = getattr(model, key)
        gname = b.function(f"_eq_{key}", fn)
        out = []
        for a, kind in zip(equation_arguments(fn), argument_kinds(model, fn)):
            if kind == "state":
                out.append(locals_[state.index(a)])
            elif kind == "option":
                out.append(str(model.option_code(a)))
            else:
                out.append({"param": f"q_{a}", "input": "I_", "dt": "dt"}[kind])
        return f"{gname}({', '.join(out)})"

    # load state and synaptic currents, sum the input current
    channels = pop.exp_channels()
    for v, s in zip(state, s_loc):
        body.append(f"{s} = {b.arg(f'x_{v}', pop.state[v])}[i]")
    syn = []
    for c, channel in enumerate(channels):
        b.arg(f"Y{c}", pop.synaptic_current(channel))
        prelude.append(f"d{c} = _cast(_propagator_exp(-1.0 / {channel.tau!r}, dt))")
        body.append(f"y{c} = Y{c}[i]")
        syn.append(f"y{c}")
    b.function("_propagator_exp", integrators.propagator_exp, fixed=True)
    external, per_step = _current_terms(b, pop)
    if target == "cuda":  # every thread runs the per-step lines: they only compute locals
        per_step = [ln.replace("np.searchsorted(", "_search_right(").replace(", step, side='right')", ", step)")
                    for ln in per_step]
        if per_step:
            b.function("_search_right", search_right, fixed=True)
    exact = pop.integrator == "exact"
    body.append(f"I_ = {' + '.join(['zero', *external, *([] if exact else syn)])}")
    if record_I:
        b.arg("x_I", pop.input_current())
        body.append(f"x_I[i] = {' + '.join(['I_', *syn]) if exact else 'I_'}")

    # 1. integrate
    frozen = set(model.frozen_state())
    if exact:
        for name, fn in (("_propagator_phi", integrators.propagator_phi),
                         ("_propagator_syn", integrators.propagator_syn)):
            b.function(name, fn, fixed=True)
        taus = [repr(ch.tau) for ch in channels]
        lines, coeffs = integrators.exact_coefficient_lines(state, call("linear", s_loc), "e_", "_cast", taus)
        (body if per_neuron.intersection(equation_arguments(model.linear)) else prelude).extend(lines)
        for v, s, n_, (x0, P, F, qs) in zip(state, s_loc, n_loc, coeffs):
            terms = "".join(f" + {q} * {y}" for q, y in zip(qs, syn))
            body.append(f"{n_} = {s}" if v in frozen else f"{n_} = {x0} + {P} * ({s} - {x0}) + {F} * I_{terms}")
    else:
        body.extend(integrators.step_lines(pop.integrator, s_loc, n_loc, call, "t_"))
        # frozen variables keep their value; the compiler then drops their (dead) arithmetic
        body.extend(f"{n_} = {s}" for v, s, n_ in zip(state, s_loc, n_loc) if v in frozen)

    # 2.-3. decay the channels, add what arrives in this step: the input the projections
    #       delivered (then zeroed), Poisson afferents drawn here (counter-based: one stream
    #       per input, neuron and step)
    arriving = _poisson_terms(b, pop, body)
    def delivered(key, name: str, channel) -> tuple[list[str], list[str]]:
        """Terms of the input delivered by projections, and the lines that consume it."""
        terms, consume = [], []
        if key in fed:
            b.arg(f"A{name}", pop.synaptic_input(channel))
            terms.append(f"A{name}[i]")
            consume.append(f"A{name}[i] = zero")
        if key in ringed:
            b.arg(f"R{name}", pop.ring_buffer(channel))
            terms.append(f"R{name}[slot, i]")
            consume.append(f"R{name}[slot, i] = zero")
        return terms, consume

    for c, channel in enumerate(channels):
        terms, consume = delivered(channel.key, str(c), channel)
        terms += arriving.get(channel.key, [])
        body.append(f"Y{c}[i] = y{c} * d{c}" + "".join(f" + {t}" for t in terms))
        body += consume
    delta = pop.has_delta_channel()
    if delta:
        terms, consume = delivered(Delta().key, "D", Delta())
        terms += arriving.get(Delta().key, [])
        body.append(f"dv_ = {' + '.join(['zero', *terms])}")
        body += consume

    # 4. delta input unless refractory, bounds, threshold; branch-free so the loop vectorizes.
    #    The few neurons that fire are reset, recorded and listed in a second, sparse pass.
    #    A GPU thread has one neuron and branches instead: it stores only what changed (most
    #    neurons are not refractory) and resets its neuron at once, with no flag in memory.
    cuda = target == "cuda"
    if model.refractory:
        b.arg("RC", pop.refractory_count)
        body += ["r_ = RC[i]", "on_ = r_ <= 0"]
        body += ["if r_ > 0:", "    RC[i] = r_ - 1"] if cuda else ["RC[i] = r_ - 1 if r_ > 0 else 0"]
        body.append(f"{n_loc[0]} = {n_loc[0]} + dv_ if on_ else {s_loc[0]}" if delta
                    else f"{n_loc[0]} = {n_loc[0]} if on_ else {s_loc[0]}")
    elif delta:
        body.append(f"{n_loc[0]} = {n_loc[0]} + dv_")
    if model.constrain is not None:
        body.append(f"{', '.join(n_loc)}, = {call('constrain', n_loc)}")
    test = call("threshold", n_loc)
    if cuda:
        flag = "f_"
    else:
        flags = np.zeros(-(-pop.n // 8) * 8, np.bool_)  # padded to whole words, the padding stays False
        flag = f"{b.arg('F', flags)}[i]"
        b.arg("F8", flags.view(np.uint64))
    body.append(f"{flag} = on_ and {test}" if model.refractory else f"{flag} = {test}")
    body += [f"x_{v}[i] = {n_}" for v, n_ in zip(state, n_loc) if v not in frozen]

    # the sparse pass: reset, refractory period, record, list for delivery
    spike = [f"q_{name} = P_{name}[i]" for name in sorted(per_neuron)]
    if not cuda:  # a GPU thread still holds the new state in n_loc
        spike += [f"{n_} = x_{v}[i]" for v, n_ in zip(state, n_loc)]
    spike.append(f"{', '.join(n_loc)}, = {call('reset', n_loc)}")
    spike += [f"x_{v}[i] = {n_}" for v, n_ in zip(state, n_loc) if v not in frozen]
    if model.refractory:
        steps = np.rint(np.asarray(model.params["t_ref"]) / dt).astype(np.int32).reshape(-1)
        uniform = bool(np.all(steps == steps[0]))
        b.arg("RS", steps[:1] if uniform else steps)
        spike.append(f"RC[i] = RS[{'0' if uniform else 'i'}]")
    if cuda:  # one thread per neuron: the few that fire reset at once
        b.kernel.body = [*per_step, NeuronLoop("n", body + ["if f_:", *_indent(spike), "    <spike>"])]
        b.kernel.items = "n"
        return b
    # the flags are scanned 8 at a time: most words are 0 (no spike among 8 neurons)
    if blocks > 1:  # the neurons of one block: whole words of flags
        b.kernel.body = ["nsp = 0", *_block_range(b, block_starts(pop.n, blocks)), *per_step,
                         NeuronLoop(BLOCK_LOOP, body), "for w_ in range((lo_ + 7) >> 3, (hi_ + 7) >> 3):"]
    else:
        b.kernel.body = ["nsp = 0", *per_step, NeuronLoop("n", body), "for w_ in range(F8.size):"]
    b.kernel.body += ["    if F8[w_] != 0:",
                     "        for i in range(w_ * 8, min(w_ * 8 + 8, n)):", "            if F[i]:",
                     *_indent(spike, 4), "                <spike>"]
    return b


def _current_terms(b: _Builder, pop: "Population") -> tuple[list[str], list[str]]:
    """The terms of the external current of neuron ``i``, and the lines to run each step first."""
    terms, per_step = [], []
    dtype = pop.network.dtype
    for j, cur in enumerate(pop.currents):
        if isinstance(cur, ConstantCurrent):
            arr = b.arg(f"CC{j}", cur.values.astype(dtype))
            if cur.values.size == 1:
                b.kernel.prelude.append(f"cc{j} = {arr}[0]")
                terms.append(f"cc{j}")
            else:
                terms.append(f"{arr}[i]")
        elif isinstance(cur, SteppedCurrent):
            steps = b.arg(f"CS{j}", cur.steps)
            amps = b.arg(f"CA{j}", cur.amplitudes.astype(dtype))
            per_step.append(f"ptr{j} = np.searchsorted({steps}, step, side='right')")
            terms.append(f"{amps}[ptr{j}]" if cur.amplitudes.ndim == 1 else f"{amps}[ptr{j}, i]")
        elif isinstance(cur, ArrayCurrent):
            padded = np.concatenate([cur.values, np.zeros((1, pop.n))]).astype(dtype)
            arr = b.arg(f"CR{j}", padded)
            per_step.append(f"row{j} = min(step, {arr}.shape[0] - 1)")
            terms.append(f"{arr}[row{j}, i]")
        else:  # pragma: no cover - as_current() only makes the kinds above
            raise TypeError(f"unknown current {cur!r}")
    return terms, per_step


# -- inputs and sources --------------------------------------------------------------------
def _poisson_terms(b: _Builder, pop: "Population", body: list[str]) -> dict[tuple, list[str]]:
    """Draw the step's Poisson afferents of neuron ``i`` (lines appended to ``body``); returns,
    per channel key, the terms (weight x count) to add to it."""
    terms: dict[tuple, list[str]] = {}
    if pop.poisson_inputs:
        body.append("c_ = np.uint64(step) * np.uint64(n) + np.uint64(i)")
    for m, inp in enumerate(pop.poisson_inputs):
        b.kernel.prelude += [f"kp{m} = {b.arg(f'KP{m}', np.array([inp.key], np.uint64))}[0]",
                             f"wp{m} = {b.arg(f'WP{m}', np.array([inp.weight], pop.network.dtype))}[0]"]
        means = inp.means(pop.network.dt)
        if means.size == 1 and means[0] < rnd.POISSON_TABLE_MAX_MEAN:
            thresholds = b.arg(f"TP{m}", rnd.poisson_thresholds(float(means[0])))
            b.function("_poisson_bits", rnd.poisson_bits, fixed=True)
            body.append(f"z{m}_ = _poisson_bits(kp{m}, c_)")
            if b.target == "cuda":  # a search that stops early (the thresholds ascend): the
                # sum below would keep every threshold in registers across the neuron loop
                body += [f"k{m}_ = 0", f"while k{m}_ < {thresholds}.size and z{m}_ > {thresholds}[k{m}_]:",
                         f"    k{m}_ += 1"]
            else:  # branch-free: the neuron loop vectorizes
                count = " + ".join(["0", *(f"(z{m}_ > {thresholds}[{k}])" for k in range(b.arrays[-1].size))])
                body.append(f"k{m}_ = {count}")
        else:
            lam = b.arg(f"LP{m}", means)
            b.function("_poisson", rnd.poisson, fixed=True)
            body.append(f"k{m}_ = _poisson({lam}[{'0' if means.size == 1 else 'i'}], kp{m}, c_)")
        terms.setdefault(inp.synapse.key, []).append(f"wp{m} * k{m}_")
    return terms


def _poisson_source(pop: "Population", target: str = "cpu", blocks: int = 1) -> _Builder:
    model, dt = pop.model, pop.network.dt
    b = _Builder("poisson_source", target, pop.n, blocks)
    b.kernel.prelude += [f"n = {b.arg('N', np.array([pop.n], np.int64))}[0]",
                         f"key = {b.arg('K', np.array([pop.key], np.uint64))}[0]"]
    b.function("_uniform", rnd.uniform, fixed=True)
    probs = model.rate * (dt / 1000.0)
    body = ["nsp = 0"]
    if model.times is None:
        b.arg("PR", probs.reshape(-1))
        prob = f"PR[{'0' if probs.size == 1 else 'i'}]"
    else:
        b.arg("PT", np.rint(model.times / dt).astype(np.int64))
        b.arg("PR", np.concatenate([np.zeros((1,) + probs.shape[1:]), probs]))
        if target == "cuda":
            b.function("_search_right", search_right, fixed=True)
            body.append("ptr = _search_right(PT, step)")
        else:
            body.append("ptr = np.searchsorted(PT, step, side='right')")
        prob = "PR[ptr]" if probs.ndim == 1 else "PR[ptr, i]"
    if blocks > 1:
        body += _block_range(b, block_starts(pop.n, blocks))
    b.kernel.body = body + [NeuronLoop(BLOCK_LOOP if blocks > 1 else "n",
                                       [f"if _uniform(key, np.uint64(step) * np.uint64(n) + np.uint64(i)) < {prob}:",
                                        "    <spike>"])]
    if target == "cuda":
        b.kernel.items = "n"
    return b


def _spike_source(pop: "Population", target: str = "cpu", blocks: int = 1) -> _Builder:
    b = _Builder("spike_source", target, 1, blocks)
    steps, neurons = pop.model.steps(pop.network.dt)
    b.arg("GS", steps)
    b.arg("GN", neurons.astype(np.int32))
    loop = ["while g_ < GS.size and GS[g_] == step:", "    i = GN[g_]", "    g_ += 1", "    <spike>"]
    if target == "cuda":  # one work item replays the step's spikes
        b.function("_search_left", search_left, fixed=True)
        b.kernel.body = [NeuronLoop("1", ["g_ = _search_left(GS, step)", *loop])]
        b.kernel.items = "1"
    elif blocks > 1:  # block 0 replays the step's spikes (a range of the whole population)
        starts = np.full(blocks + 1, pop.n, np.int64)
        starts[0] = 0
        b.kernel.body = ["nsp = 0", *_block_range(b, starts), "g_ = np.searchsorted(GS, step) if block == 0 else GS.size",
                         *loop]
    else:
        b.kernel.body = ["nsp = 0", "g_ = np.searchsorted(GS, step)", *loop]
    return b


# -- delivery and recording ---------------------------------------------------------------
def _delivery_builder(kind: str, proj, target: str, extra: list[int], blocks: int = 1) -> tuple[_Builder, str]:
    """The arrays and constants every delivery kernel has: the pre population's spike
    history, the connectivity, ``first`` (the step from which spikes use the projection) and
    ``DM[1:]`` = ``extra`` (on a GPU then ``lb``: log2 of the lanes per spike); returns the
    builder and the weight expression of synapse ``s_``."""
    b = _Builder(kind, target, proj.pre.n, blocks)
    if target == "cuda":
        b.lanes = lanes_per_spike(proj.n_synapses, proj.pre.n)
        extra = [*extra, b.lanes.bit_length() - 1]
    b.arg("SH", proj.pre.spike_history)
    b.arg("NH", proj.pre.spike_history_counts)
    b.arg("A" if kind == "deliver" else "R",
          proj.post.synaptic_input(proj.synapse) if kind == "deliver" else proj.post.ring_buffer(proj.synapse))
    b.arg("IP", proj.indptr)
    b.arg("TG", proj.targets)
    b.arg("WT", proj.weights)
    b.kernel.prelude.append(f"first = {b.arg('DM', np.array([proj.start_step, *extra], np.int64))}[0]")
    if target == "cuda":
        b.kernel.prelude.append(f"lb = DM[{len(extra)}]")
    if proj.weights.size == 1:
        b.kernel.prelude.append("w = _cast(WT[0])")
    return b, "w" if proj.weights.size == 1 else "WT[s_]"


def _each_spike(b: _Builder, row: str, since: str) -> tuple[list[str], str]:
    """Lines binding ``j_`` to each neuron of the spike history row ``r_ = row`` (when
    ``since`` holds), and the indentation of what follows. On the CPU, a loop over the row. On
    a GPU, work item ``i`` is lane ``l_ = i % 2**lb`` of spike ``i // 2**lb``: the lanes of
    a warp read one row's consecutive synapses together (see :func:`_synapses`)."""
    if b.target == "cuda":
        b.kernel.items = f"((NH[{row}] << lb) if {since} else 0)"
        return [f"r_ = {row}", "j_ = SH[r_, i >> lb]", "l_ = i & ((1 << lb) - 1)"], ""
    return [f"if {since}:", f"    r_ = {row}", "    for a_ in range(NH[r_]):", "        j_ = SH[r_, a_]"], "        "


def _synapses(start: str, stop: str, target: str) -> str:
    """The loop over synapses ``s_`` from ``start`` to ``stop`` of one spike: all of them on
    the CPU, every ``2**lb``-th from lane ``l_`` on a GPU."""
    if target == "cuda":
        return f"for s_ in range({start} + l_, {stop}, 1 << lb):"
    return f"for s_ in range({start}, {stop}):"


def _add(array: str, index: str, value: str, target: str) -> str:
    """``array[index] += value``; atomic on a GPU, where threads add into the same targets
    (``index``: one index, or several separated by commas)."""
    return f"cuda.atomic.add({array}, ({index}), {value})" if target == "cuda" else f"{array}[{index}] += {value}"


def _group(b: _Builder, proj) -> tuple[str, str]:
    """The first and the end synapse of delay group ``g_`` of the row of ``j_`` (starting at
    ``o_``) that a CPU kernel delivers: with threads, of the part onto the targets of
    ``block``."""
    if b.blocks == 1:
        return "o_ + DO[j_, g_]", "o_ + DO[j_, g_ + 1]"
    _check_split(proj, proj.delay_offsets.shape[1] if proj.delay_offsets.ndim == 3 else 1, b.blocks)
    return "o_ + DO[j_, block, g_]", "o_ + DO[j_, block, g_ + 1]"


def _check_split(proj, parts: int, blocks: int) -> None:
    if parts != blocks:
        raise ValueError(f"{proj!r} was connected for {parts} thread(s), not {blocks}: connect it in a "
                         f"Network(threads={blocks})")


def _row(b: _Builder, proj) -> tuple[str, str]:
    """The first and the end synapse of the row of ``j_`` that the kernel delivers: the whole
    row, or with CPU threads, the part onto the targets of ``block`` (``BO``: the projection's
    ``block_offsets``)."""
    if b.blocks == 1:
        return "IP[j_]", "IP[j_ + 1]"
    _check_split(proj, 1 if proj.block_offsets is None else proj.block_offsets.shape[1] - 1, b.blocks)
    b.arg("BO", proj.block_offsets)
    return "IP[j_] + BO[j_, block]", "IP[j_] + BO[j_, block + 1]"


def _delivery(proj, target: str = "cpu", blocks: int = 1) -> Call:
    """Uniform delay D: add to the post population's channel input the weights of the synapses
    of the neurons that fired D steps ago (read from the pre population's spike history)."""
    if proj.delivery == "ring":
        return _ring_delivery(proj, target, blocks)
    b, weight = _delivery_builder("deliver", proj, target, [proj.min_delay], blocks)
    b.kernel.prelude.append("dd = DM[1]")
    spikes, pad = _each_spike(b, "(step - dd) & (ring_length - 1)", "step - dd >= first")
    b.kernel.body = _per_item(target, [*spikes, pad + _synapses(*_row(b, proj), target),
                                       f"{pad}    {_add('A', 'TG[s_]', weight, target)}"])
    return b.call()


def _per_item(target: str, lines: list[str]) -> list:
    """GPU: the lines after the first (``r_ = ...``) are the work of item ``i``."""
    return [lines[0], NeuronLoop("items", lines[1:])] if target == "cuda" else lines


def _ring_delivery(proj, target: str = "cpu", blocks: int = 1) -> Call:
    """Per-synapse delays: the spikes of the last step are added to the target channel's ring
    buffer at row ``(step - 1 + delay) mod L``, the row its population reads in that step.
    Rows grouped by delay are walked group by group (one ring row per group), so each spike's
    synapses are read once, in order. On a GPU the lanes of a spike stride over its whole row
    instead (a group of a microcircuit row has a few dozen synapses: lanes per group would
    leave most lanes idle and walk the groups one after another); a lane finds the delay group
    ``g_`` of its synapse ``s_`` by bisecting the row's group offsets from its previous
    synapse's group (a lane has a few synapses; a microcircuit row has about 50 groups)."""
    grouped = proj.delay_offsets is not None
    dn = proj.delay_offsets.shape[-1] - 1 if grouped else 0
    b, weight = _delivery_builder("deliver_ring", proj, target, [proj.min_delay, dn], blocks)
    b.kernel.prelude += ["dmin = DM[1]", "dn = DM[2]"]
    if grouped and target == "cuda":  # a lane's synapses ascend: so does its delay group
        b.arg("DO", proj.delay_offsets)
        inner = ["h_ = IP[j_]", "g_ = 0", _synapses("h_", "IP[j_ + 1]", target),
                 "    d_ = s_ - h_", "    u_ = dn",  # DO[j_, g_] <= d_ < DO[j_, u_]: bisect
                 "    while u_ - g_ > 1:", "        m_ = (g_ + u_) >> 1",
                 "        if DO[j_, m_] <= d_:", "            g_ = m_", "        else:", "            u_ = m_",
                 "    q_ = (step - 1 + dmin + g_) & (ring_length - 1)",
                 f"    {_add('R', 'q_, TG[s_]', weight, target)}"]
    elif grouped:  # rows grouped by delay: one target row of the ring per group
        b.arg("DO", proj.delay_offsets)
        inner = ["o_ = IP[j_]", "for g_ in range(dn):",
                 "    q_ = (step - 1 + dmin + g_) & (ring_length - 1)",
                 "    " + _synapses(*_group(b, proj), target),
                 f"        {_add('R', 'q_, TG[s_]', weight, target)}"]
    else:
        b.arg("DL", proj.delays)
        row = "(step - 1 + np.int64(DL[s_])) & (ring_length - 1)"
        inner = [_synapses(*_row(b, proj), target), f"    {_add('R', f'{row}, TG[s_]', weight, target)}"]
    spikes, pad = _each_spike(b, "(step - 1) & (ring_length - 1)", "step - 1 >= first")
    b.kernel.body = _per_item(target, [*spikes, *[pad + ln for ln in inner]])
    return b.call()


def _state_record(prog: StepProgram, k: int, rec: StateRecord, rows: int, target: str = "cpu") -> Call:
    b = _Builder("sample", target, len(rec.neurons))
    pop, m = rec.population, len(rec.neurons)
    b.kernel.prelude.append(f"g = {b.arg('G', np.array([k], np.int64))}[0]")
    b.arg("X", rec.neurons.astype(np.int64))
    steps = b.arg("ST", np.zeros(rows, np.int64))
    bufs = {}
    for j, v in enumerate(rec.variables):
        b.arg(f"V{j}", np.zeros((rows, m), prog.dtype))
        bufs[v] = b.arrays[-1]
        b.arg(f"x{j}", pop.input_current() if v == "I" else pop.state[v])
    prog.state_records.append((rec, b.arrays[2], bufs))  # arrays: G, X, ST, ...
    prog.sample_limits.append(rows)
    if target == "cuda":  # item i: recorded neuron i. Rows follow from the step: sample_count[g]
        # holds (filled rows) - (step0 // every) - 1 for the steps from step0 the engine runs
        b.kernel.items = f"(X.size if (step + 1) % {rec.every} == 0 else 0)"
        b.kernel.body = [f"row_ = sample_count[g] + (step + 1) // {rec.every}",
                         NeuronLoop("items", ["if i == 0:", f"    {steps}[row_] = step + 1", "n_ = X[i]",
                                              *[f"V{j}[row_, i] = x{j}[n_]" for j in range(len(rec.variables))]])]
        return b.call()
    b.kernel.body = [f"if (step + 1) % {rec.every} == 0:", "    row_ = sample_count[g]", f"    {steps}[row_] = step + 1",
                     "    for j_ in range(X.size):", "        n_ = X[j_]",
                     *[f"        V{j}[row_, j_] = x{j}[n_]" for j in range(len(rec.variables))],
                     "    sample_count[g] = row_ + 1"]
    return b.call()


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
