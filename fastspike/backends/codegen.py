"""Generate the source of a network's step sequence from its populations' models.

The generator is backend-neutral. It produces a :class:`StepProgram`:

- ``prelude``: lines run once per compiled call (uniform parameters, propagators),
- ``checks``: conditions under which a call returns before a step, so that Python drains
  full record buffers,
- ``per_step``: lines run at the start of every step (input pointers, ring-buffer slot),
- ``blocks``: in order, what a step does: per-neuron blocks (``NeuronBlock``: the body
  of neuron ``i``, which a backend wraps in a loop or a kernel) and plain blocks (lines),
- ``after``: lines at the end of every step (state sampling),

plus the ordered array arguments and the scalar functions the code calls (model equations,
propagators, random numbers).

One step, from t to t + dt, follows SPEC section 3 (NEST's ``iaf_psc_exp`` order):

1. Poisson afferents of the step are drawn into the ring-buffer slot of the step;
2. each population: integrate (exact propagation uses the synaptic currents at t), decay
   each exponential channel and add what arrives in this step from its ring buffer, add
   delta input to ``v`` unless refractory, test the threshold, reset, start the refractory
   period, record the spike (stamped t + dt) and list it for delivery;
3. each projection: deliver the step's spikes into the ring buffers of their targets at
   slot ``(step + delay) mod L``, so that a spike of step k with delay D is added in step k + D.

Naming in the generated code: population ``p`` owns ``p{p}_<var>`` (state arrays),
``P{p}_<param>`` (parameter arrays, length 1 or n), ``q{p}_<param>`` (their values),
``s{p}_<var>``/``n{p}_<var>`` (state before/after the step), ``I{p}`` (input current),
``Y{p}_{c}`` (exponential channel currents), ``B{p}_{c}`` (ring buffers, shape (L, n)).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from .. import integrators
from .. import random as rnd
from ..equations import argument_kinds, equations_of
from ..inputs import ArrayCurrent, ConstantCurrent, SteppedCurrent
from ..models.base import equation_arguments
from ..models.sources import PoissonSource, Source, SpikeSource
from ..recording import SpikeRecord, StateRecord
from ..synapses.types import Delta, ExpCurrent

if TYPE_CHECKING:  # pragma: no cover
    from ..network import Network, Population

__all__ = ["StepProgram", "NeuronBlock", "generate"]

SPIKE_BUFFER_MIN = 1 << 16


@dataclass
class NeuronBlock:
    """The update of neuron ``i`` of a population of ``n`` neurons (independent across i,
    except for appending to the population's spike list)."""

    n: int
    body: list[str]


@dataclass
class StepProgram:
    """A network's step sequence as source text, arguments and called functions."""

    dtype: np.dtype
    args: list[tuple[str, np.ndarray]] = field(default_factory=list)
    functions: dict[str, Callable] = field(default_factory=dict)
    prelude: list[str] = field(default_factory=list)
    per_step: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    blocks: list[NeuronBlock | list[str]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    spike_records: list[tuple[SpikeRecord, str, str]] = field(default_factory=list)  # record, steps arg, idx arg
    state_records: list[tuple[StateRecord, str, dict[str, str]]] = field(default_factory=list)

    def arg(self, name: str, value: np.ndarray) -> str:
        self.args.append((name, value))
        return name

    def function(self, name: str, fn: Callable) -> str:
        self.functions[name] = fn
        return name


def generate(net: "Network", sample_rows: int) -> StepProgram:
    """Build the :class:`StepProgram` of ``net``; state buffers hold ``sample_rows`` samples."""
    prog = StepProgram(net.dtype)
    for name, fn in (("_propagator_exp", integrators.propagator_exp), ("_propagator_phi", integrators.propagator_phi),
                     ("_propagator_syn", integrators.propagator_syn), ("_uniform", rnd.uniform),
                     ("_poisson", rnd.poisson), ("_poisson_bits", rnd.poisson_bits)):
        prog.function(name, fn)
    spike_recs = [r for r in net.records if isinstance(r, SpikeRecord)]
    state_recs = [r for r in net.records if isinstance(r, StateRecord)]
    recorded_I = {r.population.index for r in state_recs if "I" in r.variables}
    senders = {proj.pre.index for proj in net.projections}
    L = net.ring_length()
    if net.has_ring_buffers():
        prog.per_step.append(f"slot = step % {L}")
    for pop in net.populations:
        recs = [(k, r) for k, r in enumerate(spike_recs) if r.population is pop]
        spike_list = pop.index in senders
        if spike_list:
            prog.arg(f"SL{pop.index}", np.zeros(pop.n, np.int32))
        for m, inp in enumerate(pop.poisson_inputs):
            _poisson_input(prog, pop, m, inp)
        if isinstance(pop.model, SpikeSource):
            _spike_source(prog, pop, recs, spike_list)
        elif isinstance(pop.model, PoissonSource):
            _poisson_source(prog, pop, recs, spike_list)
        else:
            _population(prog, pop, recs, pop.index in recorded_I, spike_list)
    for proj in net.projections:
        _delivery(prog, proj, L)
    for k, rec in enumerate(state_recs):
        _state_record(prog, k, rec, sample_rows)
    return prog


# -- spikes ------------------------------------------------------------------------------
def _spike_lines(prog: StepProgram, pop: "Population", spike_recs, spike_list: bool) -> list[str]:
    """Lines that record the spike of neuron ``i`` in this step and list it for delivery."""
    p, lines = pop.index, []
    for k, rec in spike_recs:
        cap = max(2 * pop.n, SPIKE_BUFFER_MIN)
        steps = prog.arg(f"SS{k}", np.zeros(cap, np.int64))
        idx = prog.arg(f"SN{k}", np.zeros(cap, np.int32))
        prog.spike_records.append((rec, steps, idx))
        prog.checks.append(f"spike_count[{k}] > {cap - pop.n}")
        store = [f"k_ = spike_count[{k}]", f"{steps}[k_] = step + 1", f"{idx}[k_] = i", f"spike_count[{k}] = k_ + 1"]
        if rec.selection is not None:
            mask = np.zeros(pop.n, np.bool_)
            mask[rec.selection] = True
            lines += [f"if {prog.arg(f'SM{k}', mask)}[i]:", *("    " + ln for ln in store)]
        else:
            lines += store
    if spike_list:
        lines += [f"SL{p}[nsp{p}] = i", f"nsp{p} += 1"]
    return lines


def _indent(lines: list[str], n: int = 1) -> list[str]:
    return ["    " * n + ln for ln in lines]


# -- cell models -------------------------------------------------------------------------
def _population(prog: StepProgram, pop: "Population", spike_recs, record_I: bool, spike_list: bool) -> None:
    p, model, dt = pop.index, pop.model, pop.network.dt
    state = list(pop.state_names)
    s_loc = [f"s{p}_{v}" for v in state]
    n_loc = [f"n{p}_{v}" for v in state]
    body: list[str] = []

    # parameters: hoisted when uniform, loaded per neuron otherwise
    used = set()
    for fn in equations_of(model).values():
        used.update(a for a in equation_arguments(fn) if a in pop.params)
    per_neuron = set()
    for name in sorted(used):
        arr = prog.arg(f"P{p}_{name}", pop.params[name])
        if pop.params[name].size == 1:
            prog.prelude.append(f"q{p}_{name} = {arr}[0]")
        else:
            per_neuron.add(name)
            body.append(f"q{p}_{name} = {arr}[i]")

    def call(key: str, locals_: list[str]) -> str:
        fn = getattr(model, key)
        gname = prog.function(f"_eq{p}_{key}", fn)
        out = []
        for a, kind in zip(equation_arguments(fn), argument_kinds(model, fn)):
            if kind == "state":
                out.append(locals_[state.index(a)])
            elif kind == "option":
                out.append(str(model.option_code(a)))
            else:
                out.append({"param": f"q{p}_{a}", "input": f"I{p}", "dt": "dt"}[kind])
        return f"{gname}({', '.join(out)})"

    # load state and synaptic currents, sum the input current
    channels = pop.exp_channels()
    for v, s in zip(state, s_loc):
        body.append(f"{s} = {prog.arg(f'p{p}_{v}', pop.state[v])}[i]")
    syn = []
    for c, channel in enumerate(channels):
        prog.arg(f"Y{p}_{c}", pop.synaptic_current(channel))
        prog.arg(f"B{p}_{c}", pop.ring_buffer(channel))
        prog.prelude.append(f"d{p}_{c} = _cast(_propagator_exp(-1.0 / {channel.tau!r}, dt))")
        body.append(f"y{p}_{c} = Y{p}_{c}[i]")
        syn.append(f"y{p}_{c}")
    external = _current_terms(prog, pop)
    exact = pop.integrator == "exact"
    body.append(f"I{p} = {' + '.join(['zero', *external, *([] if exact else syn)])}")
    if record_I:
        prog.arg(f"p{p}_I", np.zeros(pop.n, pop.network.dtype))
        body.append(f"p{p}_I[i] = {' + '.join([f'I{p}', *syn]) if exact else f'I{p}'}")

    # 1. integrate
    frozen = set(model.frozen_state())
    if exact:
        taus = [repr(ch.tau) for ch in channels]
        lines, coeffs = integrators.exact_coefficient_lines(state, call("linear", s_loc), f"e{p}_", "_cast", taus)
        (body if per_neuron.intersection(equation_arguments(model.linear)) else prog.prelude).extend(lines)
        for v, s, n_, (x0, P, F, qs) in zip(state, s_loc, n_loc, coeffs):
            terms = "".join(f" + {q} * {y}" for q, y in zip(qs, syn))
            body.append(f"{n_} = {s}" if v in frozen else f"{n_} = {x0} + {P} * ({s} - {x0}) + {F} * I{p}{terms}")
    else:
        body.extend(integrators.step_lines(pop.integrator, s_loc, n_loc, call, f"t{p}_"))
        # frozen variables keep their value; the compiler then drops their (dead) arithmetic
        body.extend(f"{n_} = {s}" for v, s, n_ in zip(state, s_loc, n_loc) if v in frozen)

    # 2.-3. decay the channels, add what arrives in this step
    for c in range(len(channels)):
        body += [f"Y{p}_{c}[i] = y{p}_{c} * d{p}_{c} + B{p}_{c}[slot, i]", f"B{p}_{c}[slot, i] = zero"]
    delta = pop.has_delta_channel()
    if delta:
        prog.arg(f"BD{p}", pop.ring_buffer(Delta()))
        body += [f"dv{p} = BD{p}[slot, i]", f"BD{p}[slot, i] = zero"]

    # 4. delta input unless refractory, bounds, threshold; branch-free so the loop vectorizes.
    #    The few neurons that fire are reset, recorded and listed in a second, sparse pass.
    if model.refractory:
        rc = prog.arg(f"RC{p}", pop.refractory_count)
        body += [f"r_ = {rc}[i]", "on_ = r_ <= 0", f"{rc}[i] = r_ - 1 if r_ > 0 else 0"]
        held = f"{n_loc[0]} if on_ else {s_loc[0]}"
        body.append(f"{n_loc[0]} = {n_loc[0]} + dv{p} if on_ else {s_loc[0]}" if delta else f"{n_loc[0]} = {held}")
    elif delta:
        body.append(f"{n_loc[0]} = {n_loc[0]} + dv{p}")
    if model.constrain is not None:
        body.append(f"{', '.join(n_loc)}, = {call('constrain', n_loc)}")
    test = call("threshold", n_loc)
    flags = prog.arg(f"F{p}", np.zeros(pop.n, np.bool_))
    body.append(f"{flags}[i] = on_ and {test}" if model.refractory else f"{flags}[i] = {test}")
    for v, n_ in zip(state, n_loc):
        if v not in frozen:
            body.append(f"p{p}_{v}[i] = {n_}")
    if spike_list:
        prog.blocks.append([f"nsp{p} = 0"])
    prog.blocks.append(NeuronBlock(pop.n, body))

    # the sparse pass: reset, refractory period, record, list for delivery
    spike = [f"q{p}_{name} = P{p}_{name}[i]" for name in sorted(per_neuron)]
    spike += [f"{n_} = p{p}_{v}[i]" for v, n_ in zip(state, n_loc)]
    spike.append(f"{', '.join(n_loc)}, = {call('reset', n_loc)}")
    spike += [f"p{p}_{v}[i] = {n_}" for v, n_ in zip(state, n_loc) if v not in frozen]
    if model.refractory:
        steps = np.rint(np.asarray(model.params["t_ref"]) / dt).astype(np.int32).reshape(-1)
        uniform = bool(np.all(steps == steps[0]))
        rs = prog.arg(f"RS{p}", steps[:1] if uniform else steps)
        spike.append(f"{rc}[i] = {rs}[{'0' if uniform else 'i'}]")
    spike += _spike_lines(prog, pop, spike_recs, spike_list)
    prog.blocks.append([f"for i in range({pop.n}):", f"    if {flags}[i]:", *_indent(spike, 2)])


def _current_terms(prog: StepProgram, pop: "Population") -> list[str]:
    p, terms = pop.index, []
    dtype = pop.network.dtype
    for j, cur in enumerate(pop.currents):
        tag = f"{p}_{j}"
        if isinstance(cur, ConstantCurrent):
            arr = prog.arg(f"CC{tag}", cur.values.astype(dtype))
            if cur.values.size == 1:
                prog.prelude.append(f"cc{tag} = {arr}[0]")
                terms.append(f"cc{tag}")
            else:
                terms.append(f"{arr}[i]")
        elif isinstance(cur, SteppedCurrent):
            steps = prog.arg(f"CS{tag}", cur.steps)
            amps = prog.arg(f"CA{tag}", cur.amplitudes.astype(dtype))
            prog.prelude.append(f"ptr{tag} = 0")
            prog.per_step += [f"while ptr{tag} < {cur.steps.size} and {steps}[ptr{tag}] <= step:",
                              f"    ptr{tag} += 1"]
            terms.append(f"{amps}[ptr{tag}]" if cur.amplitudes.ndim == 1 else f"{amps}[ptr{tag}, i]")
        elif isinstance(cur, ArrayCurrent):
            padded = np.concatenate([cur.values, np.zeros((1, pop.n))]).astype(dtype)
            arr = prog.arg(f"CR{tag}", padded)
            prog.per_step.append(f"row{tag} = min(step, {cur.values.shape[0]})")
            terms.append(f"{arr}[row{tag}, i]")
        else:  # pragma: no cover - as_current() only makes the kinds above
            raise TypeError(f"unknown current {cur!r}")
    return terms


# -- inputs and sources --------------------------------------------------------------------
def _poisson_input(prog: StepProgram, pop: "Population", m: int, inp) -> None:
    """Poisson afferents drawn per neuron and step into the ring-buffer slot of the step."""
    p, tag = pop.index, f"{pop.index}_{m}"
    buf = prog.arg(f"BP{tag}", pop.ring_buffer(inp.synapse))
    key = prog.arg(f"KP{tag}", np.array([inp.key], np.uint64))
    weight = prog.arg(f"WP{tag}", np.array([inp.weight], pop.network.dtype))
    prog.prelude += [f"kp{tag} = {key}[0]", f"wp{tag} = {weight}[0]"]
    means = inp.means(pop.network.dt)
    body = [f"c_ = np.uint64(step) * np.uint64({pop.n}) + np.uint64(i)"]
    if means.size == 1 and means[0] < rnd.POISSON_TABLE_MAX_MEAN:
        thresholds = rnd.poisson_thresholds(float(means[0]))
        th = prog.arg(f"TP{tag}", thresholds)
        count = " + ".join(f"({'z_'} > {th}[{k}])" for k in range(thresholds.size)) or "0"
        body += ["z_ = _poisson_bits(" + f"kp{tag}, c_)", f"{buf}[slot, i] += wp{tag} * ({count})"]
    else:
        lam = prog.arg(f"LP{tag}", means)
        body.append(f"{buf}[slot, i] += wp{tag} * _poisson({lam}[{'0' if means.size == 1 else 'i'}], kp{tag}, c_)")
    prog.blocks.append(NeuronBlock(pop.n, body))


def _poisson_source(prog: StepProgram, pop: "Population", spike_recs, spike_list: bool) -> None:
    p, model, dt = pop.index, pop.model, pop.network.dt
    key = prog.arg(f"KS{p}", np.array([pop.key], np.uint64))
    prog.prelude.append(f"ks{p} = {key}[0]")
    probs = model.rate * (dt / 1000.0)
    if model.times is None:
        pr = prog.arg(f"PR{p}", probs.reshape(-1))
        prob = f"{pr}[{'0' if probs.size == 1 else 'i'}]"
    else:
        steps = prog.arg(f"PT{p}", np.rint(model.times / dt).astype(np.int64))
        pr = prog.arg(f"PR{p}", np.concatenate([np.zeros((1,) + probs.shape[1:]), probs]))
        prog.prelude.append(f"ptrs{p} = 0")
        prog.per_step += [f"while ptrs{p} < {model.times.size} and {steps}[ptrs{p}] <= step:", f"    ptrs{p} += 1"]
        prob = f"{pr}[ptrs{p}]" if probs.ndim == 1 else f"{pr}[ptrs{p}, i]"
    body = [f"if _uniform(ks{p}, np.uint64(step) * np.uint64({pop.n}) + np.uint64(i)) < {prob}:",
            *_indent(_spike_lines(prog, pop, spike_recs, spike_list))]
    if spike_list:
        prog.blocks.append([f"nsp{p} = 0"])
    prog.blocks.append(NeuronBlock(pop.n, body))


def _spike_source(prog: StepProgram, pop: "Population", spike_recs, spike_list: bool) -> None:
    p = pop.index
    steps, neurons = pop.model.steps(pop.network.dt)
    ks = prog.arg(f"GS{p}", steps)
    kn = prog.arg(f"GN{p}", neurons.astype(np.int32))
    prog.prelude.append(f"ptrg{p} = np.searchsorted({ks}, step0)")
    lines = [f"nsp{p} = 0"] if spike_list else []
    lines += [f"while ptrg{p} < {steps.size} and {ks}[ptrg{p}] == step:", f"    i = {kn}[ptrg{p}]",
              f"    ptrg{p} += 1", *_indent(_spike_lines(prog, pop, spike_recs, spike_list))]
    prog.blocks.append(lines)


# -- delivery and recording ---------------------------------------------------------------
def _delivery(prog: StepProgram, proj, L: int) -> None:
    j, pre, post = proj.index, proj.pre.index, proj.post
    buf = prog.arg(f"BJ{j}", post.ring_buffer(proj.synapse))
    ip = prog.arg(f"IP{j}", proj.indptr)
    tg = prog.arg(f"TG{j}", proj.targets)
    wt = prog.arg(f"WT{j}", proj.weights)
    dl = prog.arg(f"DL{j}", proj.delays)
    uniform_w, uniform_d = proj.weights.size == 1, proj.delays.size == 1
    if uniform_w:
        prog.prelude.append(f"w{j} = _cast({wt}[0])")
    if uniform_d:
        prog.prelude.append(f"dd{j} = np.int64({dl}[0])")
    row = ["row_ = slot + " + (f"dd{j}" if uniform_d else f"np.int64({dl}[s_])"), f"if row_ >= {L}:",
           f"    row_ -= {L}"]
    weight = f"w{j}" if uniform_w else f"{wt}[s_]"
    prog.blocks.append([
        f"for a_ in range(nsp{pre}):",
        f"    j_ = SL{pre}[a_]",
        *_indent(row if uniform_d else []),
        f"    for s_ in range({ip}[j_], {ip}[j_ + 1]):",
        *_indent([] if uniform_d else row, 2),
        f"        {buf}[row_, {tg}[s_]] += {weight}",
    ])


def _state_record(prog: StepProgram, k: int, rec: StateRecord, rows: int) -> None:
    p, m = rec.population.index, len(rec.neurons)
    idx = prog.arg(f"X{k}", rec.neurons.astype(np.int64))
    steps = prog.arg(f"ST{k}", np.zeros(rows, np.int64))
    bufs = {v: prog.arg(f"SV{k}_{v}", np.zeros((rows, m), prog.dtype)) for v in rec.variables}
    prog.state_records.append((rec, steps, bufs))
    prog.checks.append(f"sample_count[{k}] >= {rows}")
    prog.after += [f"if (step + 1) % {rec.every} == 0:", f"    row_ = sample_count[{k}]",
                   f"    {steps}[row_] = step + 1", f"    for j_ in range({m}):", f"        n_ = {idx}[j_]"]
    prog.after += [f"        {buf}[row_, j_] = p{p}_{v}[n_]" for v, buf in bufs.items()]
    prog.after.append(f"    sample_count[{k}] = row_ + 1")
