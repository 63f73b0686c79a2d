"""The step of a network, stated once: the schedule of SPEC section 3 as a step program.

:func:`build_program` writes a network's step as :class:`~fastspike.ir.nodes.Call`\\ s of
kernels: one per projection (spike delivery), per population (its update, with its inputs),
per source, per state record (sampling). It asks each part of the network for its fragments
at fixed points: the cell model (its integrator and equations), each synaptic channel
(:class:`~fastspike.synapses.postsynaptic.PostsynapticModel`), each current source and spike
input (:class:`~fastspike.inputs.CurrentSource`), each projection's weight-update model
(:class:`~fastspike.synapses.weight_update.WeightUpdateModel`). Nothing here depends on a
backend: how a neuron loop, a spike, an accumulation or a row of synapses is run is for the
backends' lowerings to say.

One step k, from t to t + dt (NEST's ``iaf_psc_exp`` order):

1. deliver: each projection adds what arrives in this step to its target channel's input
   (one delay D: the spikes of step k - D, read from the presynaptic spike history), or, with
   several delays, the spikes of step k - 1 to the channel's ring buffer at the row of the
   step each synapse's delay brings it to;
2. update, per neuron: the input current ``I`` of the step (current sources, and the
   channels' currents at t); integrate the state over the step unless refractory (exact
   propagation uses the channels' currents at t); decay each channel and add what arrives in
   this step (the delivered input and ring row, both zeroed once read; spike inputs drawn
   here); add what arrives on the membrane unless refractory; test the threshold; for the
   neurons that fired: reset, start the refractory period, record, list in the spike history.
   A spike of step k is stamped t + dt; with delay D it acts in step k + D;
3. learn: plastic projections (weight-update models with ``on_post``): in the update stage,
   each presynaptic neuron that fired in step k - 1 updates its variables (``pre_spike``,
   after the delivery of step k read them); then, for each delay value d, each
   postsynaptic neuron that fired in step k - d walks its column's synapses of delay d
   (``on_post``) and updates its variables (``post_spike``). So a presynaptic spike acts at
   the synapse at its own time (delivered the step after it, into the ring row d ahead),
   a postsynaptic spike d steps after it, in the order of those times (NEST's dendritic
   delay);
4. sample: state records copy the state after the step.

Glossary of the names in kernels (arguments in capitals, locals in lower case):
``N``/``n`` population size; ``P_<p>``/``q_<p>`` a model parameter (array / value);
``x_<v>``, ``s_<v>``, ``n_<v>`` a state variable's array, its value at t and at t + dt;
``C<c>_<v>``/``c<c>_<v>`` state variable v of synaptic channel c (array / value at t);
``A<c>``/``R<c>`` channel c's input of the step / ring buffer; ``dv<c>_`` what arrives on the
membrane through channel c; ``I_`` the input current, ``x_I`` its record; ``RC``/``RS`` the
refractory counter / period in steps; ``SH``/``NH`` the spike history and its counts per row;
``IP``/``TG``/``WT`` row pointers, targets, weights; ``DL`` a delay per synapse, ``DO`` the
offsets of a row's delay groups; ``DM`` a
projection's (first step, smallest delay, delay groups); ``X_<v>``/``XT``, ``Y_<v>``/``YT`` a
plastic projection's per-neuron variables and last event steps, ``rd_<r>`` a read of its
weight-update model, ``MX_<r>``/``MXT``, ``MY_<r>``/``MYT`` a read's memo (values, stamps);
``RK`` the positions of a kernel's spike records, ``SS<r>``/``SN<r>``/``SM<r>`` a spike record's steps, neurons and mask;
``G``/``X``/``ST``/``V<j>``/``x<j>`` a state record's position, neurons, steps, samples and
sampled arrays.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import re
from typing import TYPE_CHECKING, Callable

import numpy as np

from .. import integrators
from .. import random as rnd
from ..equations import argument_kinds, equations_of
from ..models.base import equation_arguments
from ..models.sources import PoissonSource, SpikeSource
from ..recording import SpikeRecord, StateRecord, SynapseRecord
from ..synapses.postsynaptic import PostsynapticModel
from . import syntax as S
from .nodes import (CountAbove, Delivery, Emission, Fires, If, Kernel, Learning, Memo, NeuronUpdate, Sampling, Space,
                    SpikeRecordSlot, SpikeReplay, Split, Stage, StepProgram, Store, Transmit, Call, Var, counter_stride,
                    same_value)

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network, Population
    from ..runtime.buffers import Buffers

__all__ = ["build_program", "constant_values", "KernelBuilder", "Fragment", "SPIKE_BUFFER_MIN"]

SPIKE_BUFFER_MIN = 1 << 16
ORDER = ("deliver", "deliver_arrival", "deliver_ring", "population", "poisson_source", "spike_source", "pre_trace",
         "learn", "sample")
"""Kernel kinds in the order their calls run (stable within a kind)."""


def constant_values(net: "Network") -> np.ndarray:
    """``consts``: the values of :data:`~fastspike.ir.nodes.CONSTANTS` in the network's dtype."""
    return np.array([net.dt, 0.0, net.dt / 2, net.dt / 6, 2.0], dtype=net.dtype)


class KernelBuilder:
    """Collects a kernel's variables (with the arrays of the call being built), its prelude
    and the scalar functions it calls."""

    def __init__(self, kind: str, stage: Stage, dtype: np.dtype) -> None:
        self.kind, self.stage, self.dtype = kind, stage, dtype
        self.vars: list[Var] = []
        self.arrays: list[np.ndarray] = []
        self.prelude: list[ast.stmt] = []
        self.functions: dict[str, Callable] = {}
        self.uniform_state: list[tuple[np.ndarray, np.ndarray]] = []

    def array(self, name: str, value: np.ndarray, space: Space, persistent: bool = False, doc: str = "") -> str:
        """Declare the array argument ``name``, bound to ``value`` in the call being built."""
        assert all(v.name != name for v in self.vars), f"{self.kind}: {name} declared twice"
        if persistent:  # bound as it is: a device copies its values back into this very array
            assert value.flags.c_contiguous, f"{self.kind}: persistent {name} is not contiguous"
        self.vars.append(Var(name, space, persistent, doc))
        self.arrays.append(value if persistent else np.ascontiguousarray(value))
        return name

    def constant(self, name: str, value: ast.expr | str) -> str:
        """A constant of the call, computed once per compiled call (the prelude)."""
        self.prelude.append(S.assign(name, value))
        return name

    def function(self, fn: Callable, role: str | None = None, precision: str = "network") -> str:
        """Register a scalar function the kernel calls; returns its global name: ``role`` for
        fastspike's own helpers (random numbers, propagators: compiled in float64), else a
        name unique to the function (its module, name and a digest of its code), so kernels
        of different models never share a name for different code. ``precision`` "network":
        the function's float literals take the network's dtype (equations of models and
        components); "double": they stay float64 (constants derived from parameters)."""
        if role is not None:
            self.functions[role] = fn
            return role
        module = re.sub(r"\W", "_", getattr(fn, "__module__", "") or "")
        digest = hashlib.sha1(fn.__code__.co_code + repr(fn.__code__.co_consts).encode()).hexdigest()[:6]
        prefix = "_f_" if precision == "network" else "_d_"
        name = f"{prefix}{module}_{re.sub(r'[^0-9A-Za-z_]', '_', fn.__qualname__)}_{digest}"  # <locals> too
        self.functions[name] = fn
        return name

    def call(self, work, n: int = 1) -> Call:
        kernel = Kernel(self.kind, self.stage, self.vars, self.prelude, work, self.functions)
        return Call(kernel, self.arrays, n)


class Fragment:
    """What a current source or spike input may add to a population's update: arrays,
    constants, locals of the step and of each neuron, calls of scalar functions, persistent
    state per neuron (:meth:`state`, :meth:`store`) and a random stream of its own
    (:meth:`stream`). Names are given a suffix unique to the input, so inputs never clash."""

    STREAM_LABEL = 4
    """The label of current sources' random streams: ``hash_seed(seed, 4, population, input)``
    (projections use 1, Poisson sources 2, Poisson inputs 3)."""

    def __init__(self, b: KernelBuilder, update: NeuronUpdate, suffix: str, pop: "Population",
                 shared: dict[str, str], buffers: "Buffers | None" = None, source: object = None,
                 position: int = 0) -> None:
        self._b, self._update, self.suffix = b, update, suffix
        self.n = pop.n
        self.dt = pop.network.dt
        self.dtype = pop.network.dtype
        self.neuron = "i"
        self._shared = shared
        self._pop, self._buffers, self._source, self._position = pop, buffers, source, position

    def state(self, name: str, initial: np.ndarray | float = 0.0) -> str:
        """A per-neuron state array of the source (``initial`` when first allocated), carried
        from one run to the next (a GPU copies it back): the runtime's
        :meth:`~fastspike.runtime.buffers.Buffers.source_state`, keyed by the population, the
        source and ``name``. Read it with ``f.local(..., f"{arr}[i]")``, write it with
        :meth:`store`."""
        values = self._buffers.source_state(self._pop, self._source, name, initial)
        return self._b.array(name.upper() + self.suffix, values, Space.NEURON, persistent=True)

    def store(self, array: str, value: ast.expr | str) -> None:
        """Store ``value`` as neuron ``i``'s element of the per-neuron array ``array`` (a
        :meth:`state`)."""
        self._update.body.append(Store(array, (S.expr("i"),), S.expr(value) if isinstance(value, str) else value))

    def stream(self) -> str:
        """The constant holding this input's random stream key (uint64), from the network seed,
        the population and the input's position (:data:`STREAM_LABEL`): draw with
        ``fastspike.random`` functions at counters such as :meth:`draw_counter`, so the draws
        do not depend on chunking, threads or backend."""
        key = rnd.hash_seed(self._pop.network.seed, self.STREAM_LABEL, self._pop.index, self._position)
        return self.constant("ks", f"{self.array('KS', np.array([key], np.uint64), Space.UNIFORM)}[0]")

    def array(self, name: str, value: np.ndarray, space: Space = Space.TABLE) -> str:
        return self._b.array(name + self.suffix, value, space)

    def constant(self, name: str, value: ast.expr | str) -> str:
        return self._b.constant(name + self.suffix, value)

    def per_step(self, name: str, value: ast.expr | str) -> str:
        self._update.per_step.append(S.assign(name + self.suffix, value))
        return name + self.suffix

    def local(self, name: str, value: ast.expr | str) -> str:
        self._update.body.append(S.assign(name + self.suffix, value))
        return name + self.suffix

    def count_above(self, name: str, value: ast.expr | str, table: str, dense: int = 0) -> str:
        """A local (int64): how many entries of the ascending table ``table`` ``value`` exceeds.
        ``dense`` > 0: nearly every value exceeds at most the first ``dense`` entries (see
        :class:`~fastspike.ir.nodes.CountAbove`); ``value`` must then depend only on the
        step, the neuron and constants (a backend may compute it in a pass of its own)."""
        self._update.body.append(CountAbove(name + self.suffix, S.expr(value) if isinstance(value, str) else value,
                                            table, dense))
        return name + self.suffix

    def function(self, fn: Callable) -> str:
        return self._b.function(fn)

    def helper(self, role: str, fn: Callable) -> str:
        return self._b.function(fn, role=role)

    def value(self, name: str, values: np.ndarray) -> str:
        """A uniform (length 1) or per-neuron array as the expression of neuron ``i``'s value:
        a constant of the call, or a load per neuron."""
        arr = self.array(name.upper(), values, Space.UNIFORM if values.size == 1 else Space.NEURON)
        if values.size == 1:
            return self.constant(name, f"{arr}[0]")
        return f"{arr}[i]"

    def draw_position(self, name: str, key: str, stride: int) -> str:
        """A local (uint64): ``key + counter * stride``, wrapping, with ``counter`` the
        :meth:`draw_counter`: a draw's position in a counter-based stream (such as
        :func:`fastspike.random.poisson_bits_at`'s), which a backend may step by ``stride`` from
        one neuron to the next instead of multiplying (:func:`~fastspike.ir.nodes.counter_stride`)."""
        target = name + self.suffix
        self._update.body.append(counter_stride(target, key, self.draw_counter(), stride))
        return target

    def draw_counter(self) -> str:
        """The counter of neuron ``i`` in this step, ``step * n + i`` (uint64), for draws from
        counter-based streams (one local shared by every input of the population)."""
        if "counter" not in self._shared:
            self._update.body.append(S.assign("c_", "np.uint64(step) * np.uint64(n) + np.uint64(i)"))
            self._shared["counter"] = "c_"
        return self._shared["counter"]


def build_program(net: "Network", buffers: "Buffers", sample_rows: int, spike_buffer_steps: int = 2) -> StepProgram:
    """The :class:`StepProgram` of ``net``: state record buffers hold ``sample_rows`` samples,
    spike record buffers ``spike_buffer_steps`` steps of every neuron firing (at least
    2^16 spikes). ``buffers`` holds the runtime arrays (sized for the network's projections)."""
    prog = StepProgram(net.dtype, ring_length=buffers.ring_length)
    spike_recs = [r for r in net.records if isinstance(r, SpikeRecord)]
    prog.spike_limits = [0] * len(spike_recs)
    state_recs = [r for r in net.records if isinstance(r, StateRecord)]
    recorded_I = {r.population.index for r in state_recs if "I" in r.variables}
    senders = {proj.pre.index for proj in net.projections} | {proj.post.index for proj in net.projections
                                                              if proj.plastic and proj.weight_update.on_post}
    ordered: list[tuple[str, Call]] = []
    for pop in net.populations:
        if isinstance(pop.model, SpikeSource):
            b, work = _spike_source(pop)
        elif isinstance(pop.model, PoissonSource):
            b, work = _poisson_source(pop)
        else:
            into = [proj for proj in net.projections if proj.post is pop]
            fed = {proj.synapse.key for proj in into}
            ringed = {proj.synapse.key for proj in into if proj.delivery == "ring" and not buffers.arrives(proj)}
            arrived = {proj.synapse.key for proj in into if buffers.arrives(proj)}
            b, work = _population(pop, buffers, pop.index in recorded_I, fed, ringed, arrived)
        records = [(k, r) for k, r in enumerate(spike_recs) if r.population is pop]
        work.emission = _emission(prog, b, pop, records, buffers, pop.index in senders, spike_buffer_steps)
        prog.uniform_state += b.uniform_state
        ordered.append((b.kind, b.call(work, pop.n)))
    for proj in net.projections:
        b, work = _delivery(proj, buffers)
        ordered.append((b.kind, b.call(work, proj.pre.n)))
        if proj.plastic:
            for b, work, n in _learning(proj, buffers):
                ordered.append((b.kind, b.call(work, n)))
    for k, rec in enumerate(state_recs):
        b, work = _state_record(prog, k, rec, sample_rows, buffers)
        ordered.append((b.kind, b.call(work, len(rec.neurons))))
    ordered.sort(key=lambda kc: ORDER.index(kc[0]))  # stable: order within a kind is kept
    prog.calls = [c for _, c in ordered]
    return prog


# -- spikes ------------------------------------------------------------------------------
def _emission(prog: StepProgram, b: KernelBuilder, pop: "Population", records: list, buffers: "Buffers",
              sender: bool, buffer_steps: int) -> Emission:
    """Where a population's spikes go: its spike records' buffers (in the program, drained by
    the engine; ``RK``: their positions in ``spike_count``), and its spike history when
    projections leave it."""
    emission = Emission(history=sender)
    if records:
        b.array("RK", np.array([k for k, _ in records], np.int64), Space.TABLE)
    for r, (k, rec) in enumerate(records):
        cap = max(buffer_steps * pop.n, SPIKE_BUFFER_MIN)
        steps, neurons = np.zeros(cap, np.int64), np.zeros(cap, np.int32)
        prog.spike_records.append((rec, steps, neurons, k))
        prog.spike_limits[k] = cap - pop.n
        slot = SpikeRecordSlot(k, b.array(f"SS{r}", steps, Space.TABLE), b.array(f"SN{r}", neurons, Space.TABLE))
        if rec.selection is not None:
            mask = np.zeros(pop.n, np.bool_)
            mask[rec.selection] = True
            slot.mask = b.array(f"SM{r}", mask, Space.NEURON)
        emission.records.append(slot)
    if sender:
        sh, nh = buffers.spike_history(pop)
        b.array("SH", sh, Space.PRE, persistent=True)
        b.array("NH", nh, Space.TABLE, persistent=True)
    return emission


# -- cell models -------------------------------------------------------------------------
def _population(pop: "Population", buffers: "Buffers", record_I: bool, fed: set, ringed: set, arrived: set
                ) -> tuple[KernelBuilder, NeuronUpdate]:
    """The update of a cell population; keys of the channels that projections feed: ``fed``
    all of them (an input of the step, for one delay), ``ringed`` those with several delays
    through a ring buffer, ``arrived`` those with several delivered at arrival (an input of
    the step of their own)."""
    update = _PopulationUpdate(pop, buffers)
    update.parameters()
    update.load_state()
    update.input_current(record_I)  # current sources, the channels' currents at t
    update.integrate()  # 1. the model's integrator (exact: with the channels' kernels)
    update.channels(fed, ringed, arrived)  # 2.-3. decay the channels, add what arrives (delivered, spike inputs)
    update.membrane_and_threshold()  # 3.-4. arrivals on the membrane unless refractory; bounds; threshold
    update.on_spike()  # 4. reset, refractory period (then the emission, lowered by the backend)
    return update.b, update.up


class _PopulationUpdate:
    """The fragments of one population's update, in the order of a step (SPEC section 3)."""

    def __init__(self, pop: "Population", buffers: "Buffers") -> None:
        self.pop, self.buffers, self.model = pop, buffers, pop.model
        self.b = KernelBuilder("population", Stage.UPDATE, pop.network.dtype)
        self.up = NeuronUpdate()
        self.body = self.up.body
        self.state = list(pop.state_names)
        self.s_loc = [f"s_{v}" for v in self.state]  # the state at t
        self.n_loc = [f"n_{v}" for v in self.state]  # the state at t + dt
        self.frozen = set(self.model.frozen_state())
        self.uniform_frozen: set[str] = set()  # frozen and read once per call (load_state)
        self.exact = pop.integrator == "exact"
        self.current_channels = [(c, ch) for c, ch in enumerate(pop.channels) if ch.target == "current"]
        self.membrane_channels = [(c, ch) for c, ch in enumerate(pop.channels) if ch.target == "membrane"]
        self.channel_locals: dict[int, list[str]] = {}
        self.per_neuron: list[str] = []
        self.inputs = [(f"_{j}", src) for j, src in enumerate([*pop.currents, *pop.poisson_inputs])]
        self.shared: dict[str, str] = {}
        self.b.constant("n", f"{self.b.array('N', np.array([pop.n], np.int64), Space.UNIFORM)}[0]")

    def call(self, key: str, locals_: list[str], input_: str = "I_") -> str:
        """The source of a call of the model's equation ``key`` on the state locals ``locals_``
        (and the input current in the local ``input_``)."""
        fn = getattr(self.model, key)
        out = []
        for a, kind in zip(equation_arguments(fn), argument_kinds(self.model, fn)):
            if kind == "state":
                out.append(locals_[self.state.index(a)])
            elif kind == "option":
                out.append(str(self.model.option_code(a)))
            else:
                out.append({"param": f"q_{a}", "input": input_, "dt": "dt"}[kind])
        return f"{self.b.function(fn)}({', '.join(out)})"

    def parameters(self) -> None:
        """The model's parameters its equations use: hoisted when uniform, loaded per neuron otherwise."""
        used = set()
        for fn in equations_of(self.model).values():
            used.update(a for a in equation_arguments(fn) if a in self.pop.params)
        for name in sorted(used):
            values = self.pop.params[name]
            arr = self.b.array(f"P_{name}", values, Space.UNIFORM if values.size == 1 else Space.NEURON)
            if values.size == 1:
                self.b.constant(f"q_{name}", f"{arr}[0]")
            else:
                self.per_neuron.append(name)
                self.body.append(S.assign(f"q_{name}", f"{arr}[i]"))

    def load_state(self) -> None:
        """The neuron's state and its channels' state at t; the channels' derived constants.

        A frozen variable (one the model never changes, LIF's ``theta`` without adaptation)
        whose neurons all hold the same value is read once per call, like a uniform
        parameter: one array fewer streamed through the neuron loop (B1 CUBA 0.88x the
        time). The program keeps the array and its value (``uniform_state``): should a user
        write another value before the next run, the network is built again."""
        b = self.b
        for v, s in zip(self.state, self.s_loc):
            values = self.pop.state[v]
            if v in self.frozen and same_value(values, values[:1]):
                value = values[:1].copy()
                b.constant(s, f"{b.array(f'U_{v}', value, Space.UNIFORM)}[0]")
                b.uniform_state.append((values, value))
                self.uniform_frozen.add(v)
                continue
            self.body.append(S.assign(s, f"{b.array(f'x_{v}', values, Space.NEURON, persistent=True)}[i]"))
        for c, ch in self.current_channels:
            self.channel_locals[c] = []
            for var in ch.state_names:
                arr = b.array(f"C{c}_{var}", self.buffers.channel_state(self.pop, ch, var), Space.NEURON,
                              persistent=True)
                self.body.append(S.assign(f"c{c}_{var}", f"{arr}[i]"))
                self.channel_locals[c].append(f"c{c}_{var}")
            for dname, fn in ch.derived.items():
                b.constant(f"c{c}_{dname}", f"_cast({_component_call(b, ch, fn, {}, precision='double')})")

    def input_current(self, record_I: bool) -> None:
        """``I_``: the current sources, then (explicit integrators) the channels' currents at
        t, held over the step, except those of ``stagewise`` channels, which the integrator
        evaluates at each of its stages (:meth:`stage_input`); the exact integrator
        propagates the channels itself."""
        external = [src.lower(Fragment(self.b, self.up, suffix, self.pop, self.shared, self.buffers, src, j))
                    for j, (suffix, src) in enumerate(self.inputs) if not src.spike_input]
        self.syn = []
        self.stagewise = [(c, ch) for c, ch in self.current_channels if ch.stagewise and not self.exact]
        self.stage_states: dict[tuple[int, str], list[str]] = {}
        staged = []
        for c, ch in self.current_channels:
            args = dict(zip(ch.state_names, self.channel_locals[c]), v=self.s_loc[0])
            (staged if (c, ch) in self.stagewise else self.syn).append(
                _component_call(self.b, ch, ch.current, args, channel=c))
        self.body.append(S.assign("I_", " + ".join(["zero", *external, *([] if self.exact else self.syn)])))
        if record_I:
            self.b.array("x_I", self.buffers.recorded_input(self.pop), Space.NEURON)
            total = " + ".join(["I_", *(self.syn if self.exact else staged)])
            self.body.append(Store("x_I", (S.expr("i"),), S.expr(total)))

    def stage_input(self, state: list[str], offset: str, tag: str) -> tuple[list[str], str]:
        """The input of an integrator's stage (its state locals ``state``, ``offset`` into the
        step): ``I_`` plus the current of each stagewise channel at the stage's ``v`` and the
        channel's state at the stage's time, its ``decay`` over ``offset`` (derived constants
        and ``dt`` taken for ``offset``; at the start, the state itself)."""
        lines, terms = [], []
        for c, ch in self.stagewise:
            values = self._stage_state(c, ch, offset, lines)
            args = dict(zip(ch.state_names, values), v=state[0])
            terms.append(_component_call(self.b, ch, ch.current, args, channel=c))
        name = f"t_I{tag}"
        lines.append(f"{name} = {' + '.join(['I_', *terms])}")
        return lines, name

    def _stage_state(self, c: int, ch: PostsynapticModel, offset: str, lines: list[str]) -> list[str]:
        if offset == "zero":
            return self.channel_locals[c]
        if (c, offset) in self.stage_states:
            return self.stage_states[(c, offset)]
        tag = {"half_dt": "h", "dt": "f"}[offset]
        args: dict[str, str | None] = dict(zip(ch.state_names, self.channel_locals[c]), dt=offset)
        for dname, fn in ch.derived.items():
            if dname in equation_arguments(ch.decay):
                if offset == "dt":
                    args[dname] = f"c{c}_{dname}"
                else:  # computed once per call, for a step of ``offset``
                    value = _component_call(self.b, ch, fn, {"dt": offset}, precision="double")
                    args[dname] = self.b.constant(f"c{c}_{dname}_{tag}", f"_cast({value})")
        names = [f"c{c}_{tag}_{var}" for var in ch.state_names]
        lines.append(ast.unparse(S.assign(names[0] if len(names) == 1 else names,
                                          _component_call(self.b, ch, ch.decay, args, c))))
        self.stage_states[(c, offset)] = names
        return names

    def stage_conductance(self) -> str | None:
        """For ``"exponential_euler"``: the sum of the stagewise channels' conductances (those
        that declare one) at the start of the step."""
        terms = [_component_call(self.b, ch, ch.conductance, dict(zip(ch.state_names, self.channel_locals[c])),
                                 channel=c) for c, ch in self.stagewise if ch.conductance is not None]
        return " + ".join(terms) if terms else None

    def integrate(self) -> None:
        """The state at t + dt (``n_<v>``), by the population's integrator."""
        b, body = self.b, self.body
        s_loc, n_loc = self.s_loc, self.n_loc
        if not self.exact:
            staged = bool(self.stagewise)
            conductance = self.stage_conductance() if staged and self.pop.integrator == "exponential_euler" else None
            gain = self.call("input_gain", s_loc) if conductance and self.model.input_gain is not None else None
            lines = S.stmts("\n".join(integrators.step_lines(self.pop.integrator, s_loc, n_loc, self.call, "t_",
                                                              self.stage_input if staged else None, conductance,
                                                              gain)))
            # frozen variables keep their value, and so do those only events change (a zero
            # derivative): the compiler then drops their (dead) arithmetic
            passed = self.frozen | set(self.model.event_state())
            if self.pop.integrator == "exponential_euler":  # the coefficients; the loop may split; the updates
                k = len(s_loc)
                body.extend(lines[:-k])
                body.append(Split(tuple(integrators.exponential_euler_coefficients("t_", k)),
                                  np.dtype(self.pop.network.dtype)))
                body.extend(u for v, u in zip(self.state, lines[-k:]) if v not in passed)
            else:
                body.extend(lines)
            body.extend(S.assign(n_, s) for v, s, n_ in zip(self.state, s_loc, n_loc) if v in passed)
            return
        for role, fn in (("_propagator_exp", integrators.propagator_exp), ("_propagator_phi", integrators.propagator_phi),
                         ("_propagator_syn", integrators.propagator_syn)):
            b.function(fn, role=role)
        shapes, kernels = [], []  # each channel variable whose kernel (exp, alpha) enters the current
        for c, ch in self.current_channels:
            described = ch.kernels()
            for var, local in zip(ch.state_names, self.channel_locals[c]):
                if var in described:
                    shape, tau = described[var]
                    shapes.append((shape, repr(ch.params[tau])))
                    kernels.append(local)
                    if shape == "alpha":
                        b.function(integrators.propagator_alpha, role="_propagator_alpha")
        lines, coeffs = integrators.exact_coefficient_lines(self.state, self.call("linear", s_loc), "e_", "_cast",
                                                            shapes)
        where = body if set(self.per_neuron) & set(equation_arguments(self.model.linear)) else b.prelude
        where.extend(S.stmts("\n".join(lines)))
        for v, s, n_, (x0, P, F, qs) in zip(self.state, s_loc, n_loc, coeffs):
            terms = "".join(f" + {q} * {y}" for q, y in zip(qs, kernels))
            body.append(S.assign(n_, s if v in self.frozen else f"{x0} + {P} * ({s} - {x0}) + {F} * I_{terms}"))

    def _delivered(self, c: int, channel: PostsynapticModel, fed: set, ringed: set, arrived: set
                   ) -> tuple[list[str], list[Store]]:
        """The terms of channel c's input that projections delivered for this step, and the
        stores that consume (zero) it: the input of one delay, the ring's row, the input
        delivered at arrival (in the place of the ring's: a channel has one of them unless
        delays stored per synapse need a ring beside it)."""
        terms, consume = [], []
        if channel.key in fed:
            self.b.array(f"A{c}", self.buffers.channel_input(self.pop, channel), Space.POST)
            terms.append(f"A{c}[i]")
            consume.append(Store(f"A{c}", (S.expr("i"),), S.expr("zero")))
        if channel.key in ringed:
            self.b.array(f"R{c}", self.buffers.ring(self.pop, channel), Space.POST, persistent=True)
            terms.append(f"R{c}[slot, i]")
            consume.append(Store(f"R{c}", (S.expr("slot"), S.expr("i")), S.expr("zero")))
        if channel.key in arrived:
            self.b.array(f"AD{c}", self.buffers.arrival_input(self.pop, channel), Space.POST)
            terms.append(f"AD{c}[i]")
            consume.append(Store(f"AD{c}", (S.expr("i"),), S.expr("zero")))
        return terms, consume

    def channels(self, fed: set, ringed: set, arrived: set) -> None:
        """Each channel decays over the step, then takes what arrives in it in this step: the
        input delivered by projections (then zeroed), the spike inputs drawn here (Poisson
        afferents), in that order. Membrane channels sum what arrives (``dv<c>_``)."""
        arriving: dict[tuple, list[str]] = {}
        for suffix, src in self.inputs:
            if src.spike_input:
                arriving.setdefault(src.synapse.key, []).append(
                    src.lower(Fragment(self.b, self.up, suffix, self.pop, self.shared, self.buffers, src)))
        for c, ch in self.current_channels:
            terms, consume = self._delivered(c, ch, fed, ringed, arrived)
            values = _component_step(self.b, self.body, ch, ch.decay, dict(zip(ch.state_names, self.channel_locals[c])),
                                     c, "d")
            for m, term in enumerate(terms + arriving.get(ch.key, [])):
                values = _component_step(self.b, self.body, ch, ch.arrive, dict(zip(ch.state_names, values), w=term), c,
                                         f"a{m}")
            for var, value in zip(ch.state_names, values):
                self.body.append(Store(f"C{c}_{var}", (S.expr("i"),), S.expr(value)))
            self.body.extend(consume)
        self.arrivals = []  # what reaches the membrane through each membrane channel
        for c, ch in self.membrane_channels:
            terms, consume = self._delivered(c, ch, fed, ringed, arrived)
            self.body.append(S.assign(f"dv{c}_", " + ".join(["zero", *terms, *arriving.get(ch.key, [])])))
            self.body.extend(consume)
            self.arrivals.append((c, ch, f"dv{c}_"))

    def membrane_and_threshold(self) -> None:
        """What arrives on the membrane, unless refractory (the refractory counter counts
        down); the model's bounds; the threshold (:class:`Fires`); the new state stored."""
        body, model = self.body, self.model
        v_new = self.n_loc[0]
        if model.refractory:
            # refractory neurons keep v and take nothing: written as the arrivals of w * on_
            # (w when on_, else 0: arrive(v, 0) is v) onto ``v_new if on_ else v``, so that no
            # branch holds the arrivals' work (the draws of Poisson inputs): the loop vectorizes
            self.b.array("RC", self.buffers.refractory(self.pop), Space.NEURON, persistent=True)
            body += [S.assign("r_", "RC[i]"), S.assign("on_", "r_ <= 0"),
                     Store("RC", (S.expr("i"),), S.expr("r_ - 1 if r_ > 0 else 0"), S.expr("r_ > 0"), S.expr("r_ - 1"))]
            membrane = f"({v_new} if on_ else {self.s_loc[0]})"
            for c, ch, total in self.arrivals:
                membrane = _component_call(self.b, ch, ch.arrive, {"v": membrane, "w": f"{total} * on_"}, channel=c)
            body.append(S.assign(v_new, membrane))
        elif self.arrivals:
            membrane = v_new
            for c, ch, total in self.arrivals:
                membrane = _component_call(self.b, ch, ch.arrive, {"v": membrane, "w": total}, channel=c)
            body.append(S.assign(v_new, membrane))
        if model.constrain is not None:
            body.append(S.assign(self.n_loc, self.call("constrain", self.n_loc)))
        test = self.call("threshold", self.n_loc)
        body.append(Fires(S.expr(f"on_ and {test}" if model.refractory else test)))
        body += [Store(f"x_{v}", (S.expr("i"),), S.expr(n_)) for v, n_ in zip(self.state, self.n_loc)
                 if v not in self.frozen]

    def on_spike(self) -> None:
        """The neurons that fired: reset, start of the refractory period (``reload``: what a
        second, sparse pass reads back from memory)."""
        up, n_loc = self.up, self.n_loc
        up.reload = [S.assign(f"q_{name}", f"P_{name}[i]") for name in self.per_neuron]
        up.reload += [S.assign(n_, s if v in self.uniform_frozen else f"x_{v}[i]")
                      for v, s, n_ in zip(self.state, self.s_loc, n_loc)]
        up.on_spike = [S.assign(n_loc, self.call("reset", n_loc))]
        up.on_spike += [Store(f"x_{v}", (S.expr("i"),), S.expr(n_)) for v, n_ in zip(self.state, n_loc)
                        if v not in self.frozen]
        if self.model.refractory:
            steps = np.rint(np.asarray(self.model.params["t_ref"]) / self.pop.network.dt).astype(np.int32).reshape(-1)
            uniform = bool(np.all(steps == steps[0]))
            self.b.array("RS", steps[:1] if uniform else steps, Space.UNIFORM if uniform else Space.NEURON)
            up.on_spike.append(Store("RC", (S.expr("i"),), S.expr(f"RS[{'0' if uniform else 'i'}]")))


def _component_call(b: KernelBuilder, component, fn: Callable, args: dict[str, str | None], channel: int | None = None,
                    precision: str = "network") -> str:
    """The source of a call of a component's scalar function, its arguments matched by name:
    ``args`` (state locals, ``v``, ``w``), the component's parameters (compiled in), its
    derived constants (locals ``c<channel>_<name>``) and ``dt``."""
    out = []
    for a in equation_arguments(fn):
        if a in args and args[a] is not None:
            out.append(args[a])
        elif a in component.params:  # compiled in; in the network's dtype for network-precision functions
            literal = repr(float(component.params[a]))
            out.append(literal if precision == "double" else f"_cast({literal})")
        elif a in getattr(component, "derived", {}) and channel is not None:
            out.append(f"c{channel}_{a}")
        elif a == "dt":
            out.append("dt")
        else:
            allowed = sorted({*(k for k, v in args.items() if v is not None), *component.params, "dt",
                              *getattr(component, "derived", {})})
            raise TypeError(f"{component.name}.{fn.__name__}: argument {a!r} is not one of {', '.join(allowed)}")
    if precision == "network":  # one expression of the arguments: no function to compile
        expression = S.inlined(fn, [S.expr(x) for x in out])
        if expression is not None:
            return f"({ast.unparse(expression)})"
    return f"{b.function(fn, precision=precision)}({', '.join(out)})"


def _component_step(b: KernelBuilder, body: list, channel: PostsynapticModel, fn: Callable, args: dict, c: int,
                    tag: str) -> list[str]:
    """Append a call of a channel function that returns the channel's state variables (one
    value, or a tuple of as many) to ``body``, assigning fresh locals ``c<c>_<tag>_<var>``
    (each keeps its own type, as the terms of one expression would); returns their names."""
    names = [f"c{c}_{tag}_{var}" for var in channel.state_names]
    body.append(S.assign(names[0] if len(names) == 1 else names, _component_call(b, channel, fn, args, c)))
    return names


def _poisson_source(pop: "Population") -> tuple[KernelBuilder, NeuronUpdate]:
    model, dt = pop.model, pop.network.dt
    b = KernelBuilder("poisson_source", Stage.UPDATE, pop.network.dtype)
    up = NeuronUpdate()
    b.constant("n", f"{b.array('N', np.array([pop.n], np.int64), Space.UNIFORM)}[0]")
    b.constant("key", f"{b.array('K', np.array([pop.key], np.uint64), Space.UNIFORM)}[0]")
    uniform = b.function(rnd.uniform, role="_uniform")
    probs = model.rate * (dt / 1000.0)
    if model.times is None:
        b.array("PR", probs.reshape(-1), Space.UNIFORM if probs.size == 1 else Space.NEURON)
        prob = f"PR[{'0' if probs.size == 1 else 'i'}]"
    else:
        b.array("PT", np.rint(model.times / dt).astype(np.int64), Space.TABLE)
        b.array("PR", np.concatenate([np.zeros((1,) + probs.shape[1:]), probs]), Space.TABLE)
        up.per_step.append(S.assign("ptr", "search_right(PT, step)"))
        prob = "PR[ptr]" if probs.ndim == 1 else "PR[ptr, i]"
    up.body.append(Fires(S.expr(f"{uniform}(key, np.uint64(step) * np.uint64(n) + np.uint64(i)) < {prob}")))
    return b, up


def _spike_source(pop: "Population") -> tuple[KernelBuilder, SpikeReplay]:
    b = KernelBuilder("spike_source", Stage.UPDATE, pop.network.dtype)
    steps, neurons = pop.model.steps(pop.network.dt)
    b.array("GS", steps, Space.TABLE)
    b.array("GN", neurons.astype(np.int32), Space.TABLE)
    return b, SpikeReplay()


# -- delivery and recording ---------------------------------------------------------------
def _delivery(proj, buffers: "Buffers") -> tuple[KernelBuilder, Delivery]:
    """A projection's delivery: the arrays of its spikes (the pre population's spike
    history), its target (the channel's input, or its ring buffer with several delays), its
    rows, and per synapse what its weight-update model transmits."""
    arrival = buffers.arrives(proj)
    ring = proj.delivery == "ring" and not arrival
    grouped = proj.delay_offsets is not None
    b = KernelBuilder("deliver_ring" if ring else "deliver_arrival" if arrival else "deliver", Stage.DELIVER,
                      proj.pre.network.dtype)
    sh, nh = buffers.spike_history(proj.pre)
    b.array("SH", sh, Space.PRE, persistent=True)
    b.array("NH", nh, Space.TABLE, persistent=True)
    if ring:
        b.array("R", buffers.ring(proj.post, proj.synapse), Space.POST, persistent=True)
    elif arrival:
        b.array("A", buffers.arrival_input(proj.post, proj.synapse), Space.POST)
    else:
        b.array("A", buffers.channel_input(proj.post, proj.synapse), Space.POST)
    b.array("IP", proj.indptr, Space.PRE)
    b.array("TG", proj._targets, Space.SYNAPSE)
    b.array("WT", proj._weights, Space.UNIFORM if proj._weights.size == 1 else Space.SYNAPSE)
    groups = proj.delay_offsets.shape[-1] - 1 if grouped else 0
    b.array("DM", np.array([proj.start_step, proj.min_delay, groups], np.int64), Space.UNIFORM)
    b.constant("first", "DM[0]")
    b.constant("dmin", "DM[1]")
    if ring or arrival:
        b.constant("dn", "DM[2]")
    scheme = "input"
    if arrival:
        b.array("DO", proj.delay_offsets, Space.PRE)
        scheme = "arrival_groups"
    elif ring and grouped:
        b.array("DO", proj.delay_offsets, Space.PRE)
        scheme = "ring_groups"
    elif ring:
        b.array("DL", proj.delays, Space.SYNAPSE)
        scheme = "ring_delays"
    partition = functools.partial(buffers.row_parts, proj)
    wu = proj.weight_update
    if wu.plastic:  # the ring scheme: the spikes of step k - 1, at their presynaptic time
        args = _plastic_arguments(b, proj, "j_", "step - 1", "pr_", "TG[s_]")
        body = [S.assign("pr_", "np.int64(DL[s_]) - dmin"),
                *_reads(b, proj, "pre", wu.on_pre, args, ("j_",)),  # the spike's neuron and step
                *_reads(b, proj, "post", wu.on_pre, args, ("pr_", "TG[s_]")),  # the target's, shared by rows
                S.assign(["pw_", "pg_"], _component_call(b, wu, wu.on_pre, {"g": "WT[s_]", **args})),
                Store("WT", (S.expr("s_"),), S.expr("pg_")), Transmit(S.expr("pw_"))]
        return b, Delivery(scheme, body, proj.n_synapses, proj.pre.n, partition, buffers.delivery_lag,
                           proj.post.index, plastic=True)
    weight = "WT[s_]"
    if proj._weights.size == 1:
        weight = b.constant("w", "_cast(WT[0])")
    transmitted = _component_call(b, wu, wu.on_pre, {"g": weight})
    return b, Delivery(scheme, [Transmit(S.expr(transmitted))], proj.n_synapses, proj.pre.n, partition,
                       buffers.delivery_lag, proj.post.index)


def _plastic_arguments(b: KernelBuilder, proj, pre: str, time: str, post_row: str, post: str) -> dict[str, str]:
    """Declare a plastic projection's per-neuron variables (``X_<v>``/``XT``: presynaptic
    values and last event steps; ``Y_<v>``/``YT``: postsynaptic, one row per delay value) and
    return the weight-update functions' arguments for presynaptic neuron ``pre`` and
    postsynaptic neuron ``post`` (row ``post_row``) at synapse time ``time`` (a step)."""
    wu = proj.weight_update
    args: dict[str, str] = {}
    for v in wu.pre_variables:
        args[v.name] = f"{b.array(f'X_{v.name}', proj.pre_state[v.name], Space.PRE, persistent=True)}[{pre}]"
    b.array("XT", proj.pre_last, Space.PRE, persistent=True)
    for v in wu.post_variables:
        arr = b.array(f"Y_{v.name}", proj.post_state[v.name], Space.POST, persistent=True)
        args[v.name] = f"{arr}[{post_row}, {post}]"
    b.array("YT", proj.post_last, Space.POST, persistent=True)
    args["dt_pre"] = f"(({time}) - XT[{pre}]) * dt"
    args["dt_post"] = f"(({time}) - YT[{post_row}, {post}]) * dt"
    return args


def _reads(b: KernelBuilder, proj, side: str, fn: Callable, args: dict[str, str],
           index: tuple[str, ...] | None) -> list:
    """The statements computing the reads of ``side`` ("pre" or "post") of a plastic
    projection's weight-update model that ``fn`` takes (none: no statements), from
    ``args`` (:func:`_plastic_arguments`), into locals ``rd_<name>``, which are added to
    ``args``. ``index``: the neuron (post: row and neuron) the reads are of, whose value
    other synapses of the step share: a :class:`~fastspike.ir.nodes.Memo` with its arrays
    (``MX_<name>``/``MXT``, ``MY_<name>``/``MYT``); None: a plain assignment (the caller
    computes it once per neuron already).

    A memo holds within its kernel's call only, which is what the stage order gives: the
    delivery (deliver stage) reads X before ``pre_trace`` (update stage) writes it and Y,
    which only ``learn`` writes; ``learn`` (learn stage) reads X after ``pre_trace`` and
    writes the Y of a neuron and delay row after that neuron's column (its post reads are
    computed before the column, once), and a neuron fires once per step. So each kernel
    keeps memos of its own (the delivery's and the learn kernel's X differ within a
    step), valid in the step that stored them only (steps only advance)."""
    wu = proj.weight_update
    read, names = wu.reads(side)
    if read is None or not set(names) & set(equation_arguments(fn)):
        return []
    targets = tuple(f"rd_{n}" for n in names)
    value = _component_call(b, wu, read, args)
    args.update({n: t for n, t in zip(names, targets)})
    if index is None:  # float64, as a kept read is
        return [S.assign(targets[0] if len(targets) == 1 else list(targets), value),
                *(S.assign(t, f"np.float64({t})") for t in targets)]
    shape = (proj.pre.n,) if side == "pre" else proj.post_last.shape
    prefix = "MX" if side == "pre" else "MY"
    space = Space.PRE if side == "pre" else Space.POST
    values = tuple(b.array(f"{prefix}_{n}", np.zeros(shape, np.float64), space) for n in names)
    stamps = b.array(f"{prefix}T", np.full(shape, -1, np.int64), space)  # steps are >= 0
    return [Memo(targets, S.expr(value), tuple(S.expr(x) for x in index), values, stamps)]


def gallop_row(indptr, s, j):
    """The row ``r >= j`` of synapse ``s`` (``indptr[r] <= s < indptr[r + 1]``), searched
    from row ``j`` by doubling steps, then bisection: O(log of the distance), so a column
    walked in ascending synapse order finds each synapse's presynaptic neuron without a
    stored source index (a few steps per synapse when rows are dense)."""
    if indptr[j + 1] > s:
        return j
    lo = j + 1
    step = 1
    hi = lo + step
    last = indptr.size - 1
    while hi < last and indptr[hi] <= s:
        lo = hi
        step *= 2
        hi = lo + step
    if hi > last:
        hi = last
    while hi - lo > 1:  # indptr[lo] <= s < indptr[hi]
        mid = (lo + hi) // 2
        if indptr[mid] <= s:
            lo = mid
        else:
            hi = mid
    return lo


def row_in_block(indptr, table, s, shift):
    """The row of synapse ``s`` (``indptr[r] <= s < indptr[r + 1]``) from the row of the first
    synapse of its block of ``2**shift`` (``table``), which is that row or the one before
    (:func:`fastspike.synapses.projection.row_table`): one compare, no branch."""
    r = table[np.uint64(s) >> np.uint64(shift)]
    return r + (indptr[np.uint64(r) + np.uint64(1)] <= s)


def _learning(proj, buffers: "Buffers") -> list[tuple[KernelBuilder, Learning, int]]:
    """A plastic projection's learning kernels: ``pre_trace`` (update stage: the presynaptic
    neurons that fired in the last step update their variables, after the delivery read
    them) and ``learn`` (learn stage: each postsynaptic spike of step k - d reaches the
    synapses of delay d now: ``on_post`` for each, then the neuron's variables)."""
    wu, dtype = proj.weight_update, proj.pre.network.dtype
    out = []
    b = KernelBuilder("pre_trace", Stage.UPDATE, dtype)
    sh, nh = buffers.spike_history(proj.pre)
    b.array("SH", sh, Space.PRE, persistent=True)
    b.array("NH", nh, Space.TABLE, persistent=True)
    b.array("LM", np.array([proj.start_step, 1, 1], np.int64), Space.UNIFORM)
    work = Learning(column=False)
    if wu.pre_variables:
        args = _plastic_arguments(b, proj, "i", "k_", "0", "0")
        names = [f"px_{v.name}" for v in wu.pre_variables]
        work.per_spike.append(S.assign(names[0] if len(names) == 1 else names,
                                       _component_call(b, wu, wu.pre_spike, args)))
        work.per_spike += [Store(f"X_{v.name}", (S.expr("i"),), S.expr(n)) for v, n in zip(wu.pre_variables, names)]
    else:
        b.array("XT", proj.pre_last, Space.PRE, persistent=True)
    work.per_spike.append(Store("XT", (S.expr("i"),), S.expr("k_")))
    out.append((b, work, proj.pre.n))
    if wu.on_post is None:  # short-term plasticity: nothing learns from postsynaptic spikes
        return out

    b = KernelBuilder("learn", Stage.LEARN, dtype)
    sh, nh = buffers.spike_history(proj.post)
    b.array("SH", sh, Space.POST, persistent=True)
    b.array("NH", nh, Space.TABLE, persistent=True)
    b.array("LM", np.array([proj.start_step, proj.min_delay, proj.max_delay], np.int64), Space.UNIFORM)
    b.array("CP", proj.column_ptr, Space.POST)
    b.array("CI", proj.column_index, Space.SYNAPSE)
    b.array("DL", proj.delays, Space.SYNAPSE)
    b.array("IP", proj.indptr, Space.PRE)
    b.array("WT", proj._weights, Space.SYNAPSE, persistent=True)
    args = _plastic_arguments(b, proj, "pj_", "step", "e_", "i")
    work = Learning(column=True)  # the synapses of delay d_ onto i: CP[i, e_] to CP[i, e_ + 1] of CI
    work.before_column = _reads(b, proj, "post", wu.on_post, args, None)  # once per spike and delay
    if proj.row_table is not None:  # each synapse's row from a table of every 2**shift-th synapse's
        b.array("RT", proj.row_table, Space.TABLE)
        b.array("RTS", np.array([proj.row_shift], np.int64), Space.UNIFORM)
        b.constant("row_shift", "RTS[0]")
        find_row = f"{b.function(row_in_block, role='_row_in_block')}(IP, RT, s_, row_shift)"
    else:  # rows too short: searched from the row of the synapse before (a group's ids ascend: so do their rows)
        find_row = f"{b.function(gallop_row, role='_gallop_row')}(IP, s_, pj_)"
        work.before_column.insert(0, S.assign("pj_", "0"))
    work.per_synapse = [S.assign("pj_", find_row),
                        *_reads(b, proj, "pre", wu.on_post, args, ("pj_",)),  # shared by the columns of the step
                        Store("WT", (S.expr("s_"),), S.expr(_component_call(b, wu, wu.on_post, {"g": "WT[s_]", **args})))]
    if wu.post_variables:
        names = [f"py_{v.name}" for v in wu.post_variables]
        work.per_spike.append(S.assign(names[0] if len(names) == 1 else names,
                                       _component_call(b, wu, wu.post_spike, args)))
        work.per_spike += [Store(f"Y_{v.name}", (S.expr("e_"), S.expr("i")), S.expr(n))
                           for v, n in zip(wu.post_variables, names)]
    work.per_spike.append(Store("YT", (S.expr("e_"), S.expr("i")), S.expr("step")))
    out.append((b, work, proj.post.n))
    return out


def _state_record(prog: StepProgram, k: int, rec: StateRecord, rows: int, buffers: "Buffers"
                  ) -> tuple[KernelBuilder, Sampling]:
    b = KernelBuilder("sample", Stage.SAMPLE, prog.dtype)
    pop, m = rec.population, len(rec.neurons)
    b.constant("g", f"{b.array('G', np.array([k], np.int64), Space.UNIFORM)}[0]")
    b.array("X", rec.neurons.astype(np.int64), Space.TABLE)
    steps = np.zeros(rows, np.int64)
    b.array("ST", steps, Space.TABLE)
    bufs = {}
    for j, v in enumerate(rec.variables):
        bufs[v] = np.zeros((rows, m), prog.dtype)
        b.array(f"V{j}", bufs[v], Space.TABLE)
        if isinstance(rec, SynapseRecord):  # per-synapse variables of a projection: its weights
            b.array(f"x{j}", rec.projection._weights, Space.SYNAPSE)
        else:
            b.array(f"x{j}", buffers.recorded_input(pop) if v == "I" else pop.state[v], Space.NEURON)
    prog.state_records.append((rec, steps, bufs))
    prog.sample_limits.append(rows)
    return b, Sampling(rec.every, len(rec.variables))
